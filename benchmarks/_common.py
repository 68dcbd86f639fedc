"""Helpers shared by the benchmark scripts: machine description, reference data, RESULTS.md rows."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "RESULTS.md"


def reference_data_dir() -> Path:
    return Path(os.environ.get("YEASTCELL_REFERENCE_DATA", REPO.parent / "shared" / "data"))


def machine() -> str:
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


def record(section: str, lines: list[str]) -> None:
    """Append a dated section to benchmarks/RESULTS.md (atomically: write a copy, then rename)."""
    sys.path.insert(0, str(REPO))
    from yeastcell.io import atomic_path

    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "python " + " ".join(sys.argv)
    block = [f"\n## {section} — {stamp}", f"- machine: {machine()}", f"- command: `{cmd}`", ""] + lines + [""]
    with atomic_path(RESULTS) as tmp:
        tmp.write_text(old.rstrip("\n") + "\n" + "\n".join(block))
