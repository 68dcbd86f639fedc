"""Helpers shared by the benchmark scripts: machine description, reference data, RESULTS.md rows.

A thin re-export of :mod:`yeastcell.bench` (one implementation of the atomic RESULTS.md writer for
the scripts and for ``yeastcell bench run --record``).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # scripts run as `python benchmarks/x.py` from any folder
    sys.path.insert(0, str(REPO))

from yeastcell.bench._results import machine, record, reference_data_dir

RESULTS = REPO / "benchmarks" / "RESULTS.md"

__all__ = ["REPO", "RESULTS", "bounded_parameters", "fit_argument_parser", "machine", "record",
           "reference_data_dir"]


def fit_argument_parser(doc: str, epochs: int):
    """The command line of the fitting benchmarks: ``--epochs`` (LM iterations) and ``--record``."""
    import argparse

    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=epochs, help="Levenberg–Marquardt iterations at most")
    ap.add_argument("--record", action="store_true", help="append the result to benchmarks/RESULTS.md")
    return ap


def bounded_parameters(cell, names, factor: float):
    """`FitParameter`s for `names`, each bounded to [value / factor, value * factor] of `cell`'s value."""
    from yeastcell.fit import FitParameter

    out = []
    for p in names:
        v = float(cell.theta[cell.theta_names.index(p)])
        out.append(FitParameter(p, v / factor, v * factor))
    return out
