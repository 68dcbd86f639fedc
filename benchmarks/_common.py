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

__all__ = ["REPO", "RESULTS", "machine", "record", "reference_data_dir"]
