"""Private: call the entry function of a benchmark script in the checkout's ``benchmarks/``.

Only for the three benchmarks whose measurement is not in the package yet (knockouts:
``bench_knockouts.py``, heldout: ``bench_hybrid.py``, active: ``bench_active.py``; each several
hundred lines of protocol). From an installed wheel there is no ``benchmarks/`` folder: the reason
says which script is needed and how to get it. Every other task calls package functions.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import sys
from collections.abc import Sequence
from types import ModuleType

from ..refdata import checkout_dir


def script_path(stem: str):
    root = checkout_dir()
    return None if root is None else root / "benchmarks" / f"{stem}.py"


def _absent(stem: str) -> str | None:
    p = script_path(stem)
    if p is None:
        return (
            f"its measurement is the script benchmarks/{stem}.py of the yeastcell source checkout, "
            "not part of the installed package: clone the repository, pip install -e .[bench], "
            f"and run yeastcell bench there (or python benchmarks/{stem}.py)"
        )
    if not p.is_file():
        return f"its implementation benchmarks/{stem}.py has not landed in this checkout"
    return None


def script_missing(stem: str, entry: str = "main") -> str | None:
    """None if ``benchmarks/<stem>.py`` exists in the checkout and defines ``entry``, else why not."""
    why = _absent(stem)
    if why is None and f"def {entry}(" not in script_path(stem).read_text():
        why = f"benchmarks/{stem}.py has no {entry}() entry function yet"
    return why


def load_script(stem: str) -> ModuleType:
    """Import ``benchmarks/<stem>.py`` under its own name (so spawned workers can import it too).

    Raises:
        FileNotFoundError: no checkout, or the script is absent (message says where it lives).
    """
    why = _absent(stem)
    if why:
        raise FileNotFoundError(why)
    bench_dir = str(script_path(stem).parent)
    if bench_dir not in sys.path:
        sys.path.insert(0, bench_dir)
    return importlib.import_module(stem)


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, s):
        for st in self.streams:
            st.write(s)
        return len(s)

    def flush(self):
        for st in self.streams:
            st.flush()


def call_main(stem: str, argv: Sequence[str], echo: bool = True) -> tuple[object, list[str]]:
    """Run ``<stem>.main(argv)``; returns its return value and the lines it printed.

    Scripts whose ``main()`` takes no argument parse ``sys.argv``: it is set to ``argv`` for the
    call and restored after.
    """
    mod = load_script(stem)
    buf = io.StringIO()
    out = _Tee(buf, sys.stdout) if echo else buf
    takes_argv = len(inspect.signature(mod.main).parameters) > 0
    old_argv = sys.argv
    try:
        with contextlib.redirect_stdout(out):
            if takes_argv:
                ret = mod.main(list(argv))
            else:
                sys.argv = [f"benchmarks/{stem}.py", *argv]
                ret = mod.main()
    finally:
        sys.argv = old_argv
    return ret, buf.getvalue().splitlines()
