"""A benchmark results file: one current section per benchmark, each replaced atomically.

``benchmarks/RESULTS.md`` holds a header, then one section per benchmark::

    ## <key> — <title>
    - date: 2026-12-04 14:46 UTC
    - machine: <CPU model>, <cores> cores, JAX <version> on <platform>:<device>
    - command: `python benchmarks/bench_simulate.py --record`
    - note: <optional>

    | table ... |

The key names the benchmark (``bench_simulate``, ``bench_simulate --solver bdf``...). A run that
is recorded replaces the section of its key and leaves the others as they were; a new key is
appended at the end. The history of earlier runs stays in git. :func:`record` writes the whole new
file beside the old one and renames it onto it (:func:`yeastcell.io.atomic_path`), so an
interrupted run never leaves a half-written file. The benchmark scripts (``benchmarks/_common.py``)
and ``yeastcell bench run --record`` both write through :func:`record`.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import sys
from pathlib import Path

import jax

from .io import atomic_path
from .refdata import checkout_dir

HEADER = "# Benchmark results\n"
_SEP = " — "


def default_results_path() -> Path | None:
    """``benchmarks/RESULTS.md`` of the checkout, or None when running from an installed wheel."""
    root = checkout_dir()
    return None if root is None else root / "benchmarks" / "RESULTS.md"


def machine() -> str:
    """One line: CPU model, core count, JAX version and its first device."""
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


def device_key(key: str) -> str:
    """``key`` on a CPU; ``"<key> on gpu"`` (or the accelerator's platform) otherwise.

    Runs on an accelerator keep their own section, so a GPU run never replaces the CPU figures.
    """
    backend = jax.default_backend()
    return key if backend == "cpu" else f"{key} on {backend}"


def section_key(heading: str) -> str:
    """The key of a ``## <key> — <title>`` heading line (or of its text without ``## ``)."""
    text = heading.removeprefix("## ")
    return text.split(_SEP, 1)[0].strip()


def split_sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first ``## `` heading, and (key, section text) in file order.

    A section runs from its ``## `` heading to the next ``## `` heading or the end of the file.
    """
    head: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            sections.append((section_key(line), [line]))
        elif sections:
            sections[-1][1].append(line)
        else:
            head.append(line)
    body = "\n".join(head).rstrip("\n") + "\n"
    return body, [(k, "\n".join(lines).rstrip("\n") + "\n") for k, lines in sections]


def format_section(
    key: str,
    lines: list[str],
    *,
    title: str | None,
    date: str,
    machine_line: str,
    command: str,
    note: str | None = None,
) -> str:
    """A section's text: heading, date (UTC), machine, command, optional note, then ``lines``."""
    if _SEP in key or "\n" in key:
        raise ValueError(f"a results key holds no {_SEP!r} and no newline: {key!r}")
    heading = f"## {key}" + (f"{_SEP}{title}" if title else "")
    block = [heading, f"- date: {date}", f"- machine: {machine_line}", f"- command: `{command}`"]
    if note:
        block.append(f"- note: {note}")
    block += [""] + list(lines)
    return "\n".join(block).rstrip("\n") + "\n"


def replace_section(text: str, key: str, section: str) -> str:
    """``text`` with the section of ``key`` replaced by ``section`` (appended if it has none).

    Every other section and the header are kept byte for byte; duplicate sections of ``key``
    (left by hand edits) are dropped in favour of the new one.
    """
    head, sections = split_sections(text if text.strip() else HEADER)
    out, placed = [head], False
    for k, body in sections:
        if k != key:
            out.append(body)
        elif not placed:
            out.append(section)
            placed = True
    if not placed:
        out.append(section)
    return "\n".join(s.rstrip("\n") + "\n" for s in out)


def record(
    key: str,
    lines: list[str],
    *,
    title: str | None = None,
    command: str | None = None,
    path: str | os.PathLike | None = None,
    note: str | None = None,
) -> Path:
    """Replace the section of ``key`` in a results file with this run's lines, atomically.

    Args:
        key: the benchmark's name, e.g. ``"bench_simulate"`` (on an accelerator the platform is
            appended, see :func:`device_key`).
        lines: body lines (typically a markdown table).
        title: one line describing the benchmark, shown after the key.
        command: the command that produced the numbers (default: this process's ``sys.argv``).
        path: results file; default the checkout's ``benchmarks/RESULTS.md``.
        note: an extra line (e.g. that the machine was shared).

    Returns:
        The path written.

    Raises:
        FileNotFoundError: no path given and no checkout to hold ``benchmarks/RESULTS.md``.
    """
    if path is None:
        path = default_results_path()
        if path is None:
            raise FileNotFoundError(
                "no source checkout found (yeastcell runs from an installed wheel); "
                "pass a results file path (yeastcell bench run ... --results FILE)"
            )
    path = Path(path)
    if command is None:
        command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    key = device_key(key)
    date = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = format_section(key, lines, title=title, date=date, machine_line=machine(), command=command, note=note)
    # read and replace under one atomic rename: readers see the old or the new file, never a part
    old = path.read_text() if path.exists() else HEADER
    with atomic_path(path) as tmp:
        tmp.write_text(replace_section(old, key, section))
    return path
