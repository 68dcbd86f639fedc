"""Kanshin et al. 2015 (0.4 M NaCl phosphoproteomics) vs the uncalibrated whole-cell model.

For the phosphosites mapped in yeastcell/studies/maps/kanshin2015_site_map.tsv: the fraction of significant
(peptide, time) points at which the model changes in the direction the data change. Peers in the
same run: the "no change" predictor (0 by construction) and "always up" (every site rises), the
simplest baselines a model must beat. This is the baseline figure that fitting must improve.

    python benchmarks/bench_kanshin.py [--record] [--note TEXT]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import record, reference_data_dir

import yeastcell as yc
from yeastcell.studies.kanshin2015 import compare_kanshin2015


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--record", action="store_true", help="append the result to benchmarks/RESULTS.md")
    ap.add_argument("--note", default=None)
    args = ap.parse_args()

    t0 = time.perf_counter()
    cell = yc.load_cell("yeast_cell")
    res = compare_kanshin2015(cell, root=reference_data_dir())
    wall = time.perf_counter() - t0
    sig = res.significant
    up = int(((res.data_log2fc > 0) & sig).sum())
    lines = ["| site (peptide) | matched / significant points | data log2FC at 5, 30, 60 min | model log2FC at 5, 30, 60 min |",
             "|---|---:|---|---|"]
    idx = [int(np.searchsorted(res.times_min, x)) for x in (5, 30, 60)]
    for k, (site, m, g) in enumerate(res.per_site()):
        d = ", ".join(f"{res.data_log2fc[k, i]:+.2f}" for i in idx)
        mo = ", ".join(f"{res.model_log2fc[k, i]:+.2f}" for i in idx)
        lines.append(f"| {site} ({res.peptides[k]}) | {m} / {g} | {d} | {mo} |")
    lines += ["", "| predictor | direction matches at significant points | fraction |", "|---|---:|---:|",
              f"| yeast_cell (uncalibrated) | {res.n_matched} / {res.n_significant} | {res.fraction_matched:.3f} |",
              f"| baseline: no change | 0 / {res.n_significant} | 0.000 |",
              f"| baseline: every site up | {up} / {res.n_significant} | {up / res.n_significant:.3f} |",
              "", (f"{len(res.peptides)} mapped peptides, 13 time points (0-60 min); significance = firstScores.tsv "
                   f"flag 0 (Köksal et al. 2018); model change < 0.1 log2 counts as no change; condition "
                   f"aerobic_clamped; {wall:.0f} s incl. compile")]
    print("\n".join(lines))
    if args.record:
        record("Kanshin 2015 phosphosite directions vs yeast_cell (bench_kanshin.py)", lines, note=args.note)


if __name__ == "__main__":
    main()
