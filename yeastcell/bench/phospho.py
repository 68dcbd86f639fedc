"""Kanshin et al. 2015 (0.4 M NaCl phosphoproteomics) vs the uncalibrated whole-cell model.

For the phosphosites mapped in the package's Kanshin site map: the fraction of significant
(peptide, time) points at which the model changes in the direction the data change (log2 fold
changes; a model change < 0.1 log2 counts as no change). Peers in the same run: the "no change"
predictor (0 by construction) and "always up" (every site rises), the simplest baselines a model
must beat. The command line with ``--record`` is ``benchmarks/bench_kanshin.py``.
"""

from __future__ import annotations

import time

import numpy as np

import yeastcell as yc

from ..refdata import reference_data_dir
from ..studies.kanshin2015 import compare_kanshin2015

MODEL = "yeast_cell"
REPORT_TIMES_MIN = (5, 30, 60)


def phospho_table(root=None) -> list[str]:
    """Per-site, then overall direction matches, as markdown lines (what the script prints)."""
    summary, sites = phospho_tables(root)
    return sites + [""] + summary


def phospho_tables(root=None) -> tuple[list[str], list[str]]:
    """(overall matches per predictor with the run's notes, per-site matches) as markdown lines.

    Wall time in the notes is in s, including compilation.
    """
    t0 = time.perf_counter()
    cell = yc.load_cell(MODEL)
    res = compare_kanshin2015(cell, root=reference_data_dir() if root is None else root)
    wall = time.perf_counter() - t0
    sig = res.significant
    up = int(((res.data_log2fc > 0) & sig).sum())
    lines = [
        "| site (peptide) | matched / significant points | data log2FC at 5, 30, 60 min | model log2FC at 5, 30, 60 min |",
        "|---|---:|---|---|",
    ]
    idx = [int(np.searchsorted(res.times_min, x)) for x in REPORT_TIMES_MIN]
    for k, (site, m, g) in enumerate(res.per_site()):
        d = ", ".join(f"{res.data_log2fc[k, i]:+.2f}" for i in idx)
        mo = ", ".join(f"{res.model_log2fc[k, i]:+.2f}" for i in idx)
        lines.append(f"| {site} ({res.peptides[k]}) | {m} / {g} | {d} | {mo} |")
    summary = [
        "| predictor | direction matches at significant points | fraction |",
        "|---|---:|---:|",
        f"| {MODEL} (uncalibrated) | {res.n_matched} / {res.n_significant} | {res.fraction_matched:.3f} |",
        f"| baseline: no change | 0 / {res.n_significant} | 0.000 |",
        f"| baseline: every site up | {up} / {res.n_significant} | {up / res.n_significant:.3f} |",
        "",
        (
            f"{len(res.peptides)} mapped peptides, 13 time points (0-60 min); significance = firstScores.tsv "
            f"flag 0 (Köksal et al. 2018); model change < 0.1 log2 counts as no change; condition "
            f"aerobic_clamped; {wall:.0f} s incl. compile"
        ),
    ]
    return summary, lines
