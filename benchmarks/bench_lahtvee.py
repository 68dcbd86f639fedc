"""Lahtvee et al. 2017 NaCl proteomics: direction of change of the modelled proteins, before and after training on heat and ethanol.

The measurement (data, model, protocol, score) is documented and implemented in `yeastcell.bench.stress_proteome`
(also ``yeastcell bench run ...``); this script is its command line and records the table.

    python benchmarks/bench_lahtvee.py [--ridge 1.0] [--hours 24] [--record] [--note TEXT]

"""

from __future__ import annotations

import argparse

from _common import record

from yeastcell.bench.stress_proteome import stress_proteome_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--ridge", type=float, default=1.0, help="shrinkage of the residual (pseudo-conditions of no change)"
    )
    ap.add_argument("--hours", type=float, default=24.0, help="simulated time to the steady state (h)")
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    ap.add_argument("--note", default=None)
    args = ap.parse_args()
    lines = stress_proteome_table(args.ridge, args.hours)
    print("\n".join(lines))
    if args.record:
        record(
            "bench_lahtvee",
            lines,
            title="Lahtvee 2017 NaCl proteome directions, before/after training on heat + ethanol",
            note=args.note,
        )


if __name__ == "__main__":
    main()
