"""Where benchmarks find their inputs and write their results: reference data, checkout, RESULTS.md.

One writer, :func:`record`, appends a dated section (machine, UTC date, command, lines) to
``benchmarks/RESULTS.md`` atomically (a full copy is written beside it and renamed onto it, see
:func:`yeastcell.io.atomic_path`), so an interrupted run never leaves a half-written file. The
benchmark scripts (``benchmarks/_common.py``) and ``yeastcell bench run --record`` both use it.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import sys
from pathlib import Path

from ..io import atomic_path

_PACKAGE = Path(__file__).resolve().parents[1]


def checkout_dir() -> Path | None:
    """The source checkout this package runs from (holding ``benchmarks/``), or None for a wheel."""
    root = _PACKAGE.parent
    if (root / "benchmarks").is_dir() and (root / "pyproject.toml").is_file():
        return root
    return None


def reference_data_dir() -> Path:
    """``$YEASTCELL_REFERENCE_DATA``, else ``../shared/data`` beside the checkout (or the package)."""
    env = os.environ.get("YEASTCELL_REFERENCE_DATA")
    if env:
        return Path(env)
    return (checkout_dir() or _PACKAGE.parent).parent / "shared" / "data"


def default_results_path() -> Path | None:
    """``benchmarks/RESULTS.md`` of the checkout, or None when running from an installed wheel."""
    root = checkout_dir()
    return None if root is None else root / "benchmarks" / "RESULTS.md"


def machine() -> str:
    """One line: CPU model, core count, JAX version and its first device."""
    import jax

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    dev = jax.devices()[0]
    return f"{cpu}, {os.cpu_count()} cores, JAX {jax.__version__} on {dev.platform}:{dev.device_kind}"


def record(section: str, lines: list[str], *, command: str | None = None,
           path: str | os.PathLike | None = None, note: str | None = None) -> Path:
    """Append a dated section to a results file (default ``benchmarks/RESULTS.md``), atomically.

    Args:
        section: heading text (the UTC date is appended).
        lines: body lines (typically a markdown table).
        command: the command that produced the numbers (default: this process's ``sys.argv``).
        path: results file; default the checkout's ``benchmarks/RESULTS.md``.
        note: an extra line under the heading (e.g. that the machine was shared).

    Returns:
        The path written.

    Raises:
        FileNotFoundError: no path given and no checkout to hold ``benchmarks/RESULTS.md``.
    """
    if path is None:
        path = default_results_path()
        if path is None:
            raise FileNotFoundError("no source checkout found (yeastcell runs from an installed wheel); "
                                    "pass a results file path (yeastcell bench run ... --results FILE)")
    path = Path(path)
    if command is None:
        command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = [f"\n## {section} — {stamp}", f"- machine: {machine()}", f"- command: `{command}`"]
    if note:
        block.append(f"- note: {note}")
    block += [""] + list(lines) + [""]
    # read and replace under one atomic rename: readers see the old or the new file, never a part
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    with atomic_path(path) as tmp:
        tmp.write_text(old.rstrip("\n") + "\n" + "\n".join(block))
    return path
