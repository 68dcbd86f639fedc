"""Helpers shared by the benchmark scripts: the RESULTS.md writer, reference data, fit options.

Each script is a thin command line over a measurement in `yeastcell.bench` (or, for the largest
benchmarks, its own code) plus the recording: ``record(key, lines, title=...)`` replaces the
script's own section of ``benchmarks/RESULTS.md`` (keyed by the benchmark's name) atomically, the
same writer ``yeastcell bench run --record`` uses (`yeastcell.results_file.record`).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # scripts run as `python benchmarks/x.py` from any folder
    sys.path.insert(0, str(REPO))

from yeastcell.fit.params import bounded_parameters
from yeastcell.refdata import reference_data_dir
from yeastcell.results_file import machine, record

RESULTS = REPO / "benchmarks" / "RESULTS.md"

__all__ = ["REPO", "RESULTS", "bounded_parameters", "fit_argument_parser", "machine", "record", "reference_data_dir"]


def fit_argument_parser(doc: str, epochs: int):
    """The command line of the fitting benchmarks: ``--epochs`` (LM iterations) and ``--record``."""
    import argparse

    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=epochs, help="Levenberg–Marquardt iterations at most")
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    return ap
