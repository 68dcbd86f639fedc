"""Private: call the entry functions of the benchmark scripts in the checkout's ``benchmarks/``.

Tasks whose implementation is a benchmark script (``benchmarks/bench_knockout.py`` ...) run that
script's own function, so there is one implementation of each benchmark. From an installed wheel
there is no ``benchmarks/`` folder: the error says where the script lives.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import sys
from collections.abc import Sequence
from types import ModuleType

from ._results import checkout_dir

SOURCE_URL = "the yeastcell source repository"


def script_path(stem: str):
    root = checkout_dir()
    return None if root is None else root / "benchmarks" / f"{stem}.py"


def _absent(stem: str) -> str | None:
    p = script_path(stem)
    if p is None:
        return (f"benchmarks/{stem}.py lives in {SOURCE_URL} (not in the installed package); "
                "run from a source checkout")
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
