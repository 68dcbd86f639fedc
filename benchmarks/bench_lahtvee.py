"""Lahtvee et al. 2017 NaCl proteomics: direction of change of the modelled proteins, before and after training on heat and ethanol.

The whole-cell model (`yeast_cell`, from the named condition ``aerobic_clamped``) is simulated for
24 h without stress and under each NaCl level of the data within the model's validated range; the
predicted steady-state log2 change of every protein group that maps to model proteins is scored
against the measured change (yeastcell.lahtvee: changes of >= 1.5-fold with non-overlapping
replicates count; a model change < 0.1 log2 is "no change"). Then a synthesis-rate residual is
trained on the heat (33/36/38 °C) and ethanol (20/40/60 g/L) conditions only (the model has no
input for either stress) and the hybrid (NaCl shock + the residual's synthesis multipliers) is
simulated and scored on the same NaCl changes, never seen in training. Peers in the same run: the
"no change" predictor (0 by construction) and the residual alone (the mean change under the other
stresses, without the mechanistic model).

The measurement is `yeastcell.bench.stress_proteome` (also ``yeastcell bench run stress_proteome``).

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
