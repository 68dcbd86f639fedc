"""Fit the yeast core model to the van Heerden et al. 2014 glucose-pulse metabolites; validate on
time points and on metabolites left out of the fit.

The measurement (data, model, protocol, score) is documented and implemented in `yeastcell.bench.glucose_pulse`
(also ``yeastcell bench run ...``); this script is its command line and records the table.

    python benchmarks/bench_vanheerden.py [--epochs 40] [--record]

"""

from __future__ import annotations

from _common import fit_argument_parser, record

from yeastcell.bench.glucose_pulse import glucose_pulse_table


def main(argv=None):
    args = fit_argument_parser(__doc__, epochs=40).parse_args(argv)
    lines = glucose_pulse_table(args.epochs)
    print("\n".join(lines))
    if args.record:
        record(
            "bench_vanheerden",
            lines,
            title="van Heerden 2014 glucose pulse: core model fitted vs literature parameters",
        )


if __name__ == "__main__":
    main()
