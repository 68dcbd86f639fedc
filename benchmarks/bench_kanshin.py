"""Kanshin et al. 2015 (0.4 M NaCl phosphoproteomics) vs the uncalibrated whole-cell model.

For the phosphosites mapped in data/kanshin2015_site_map.tsv: the fraction of significant
(peptide, time) points at which the model changes in the direction the data change. Peers in the
same run: the "no change" predictor (0 by construction) and "always up" (every site rises), the
simplest baselines a model must beat. This is the baseline figure that fitting must improve. The
measurement is `yeastcell.bench.phospho` (also ``yeastcell bench run phospho``).

    python benchmarks/bench_kanshin.py [--record] [--note TEXT]
"""

from __future__ import annotations

import argparse

from _common import record

from yeastcell.bench.phospho import phospho_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    ap.add_argument("--note", default=None)
    args = ap.parse_args()
    lines = phospho_table()
    print("\n".join(lines))
    if args.record:
        record("bench_kanshin", lines, title="Kanshin 2015 phosphosite directions vs yeast_cell", note=args.note)


if __name__ == "__main__":
    main()
