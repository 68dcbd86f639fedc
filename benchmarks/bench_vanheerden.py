"""Fit the yeast core model to the van Heerden et al. 2014 glucose-pulse metabolites; validate on
time points and on metabolites left out of the fit.

Data (`yeastcell.data.read_vanheerden2014`): a 110 mM glucose pulse at t = 0 to an aerobic
glucose-limited chemostat (D = 0.1 h⁻¹), intracellular G6P, F6P, FBP, GAP, 3PG, PEP, ATP, ADP and AMP
at 11 time points over 5.6 min, µmol/gDW converted to mM with 2 mL/gDW (the Y3M model's cell volume).

Model: the embedded core model (`yeast_core`, Teusink 2000 glycolysis with literature parameters)
in its aerobic batch condition (medium glucose 111 mM, i.e. the pulse's 110 mM on top of the
chemostat's residual glucose), started from the measured pre-pulse state: every measured metabolite
is set to its t = 0 value. Unmeasured species keep their authored initial values.

Fit (`yeastcell.fit.fit`, Levenberg–Marquardt, central-difference Jacobian, log-normal noise
sd 0.3 log2 units): the maximal rates of the glucose transporter, hexokinase, PFK, aldolase,
GAPDH, pyruvate kinase and the ATP demand (the chemostat cells' enzyme levels differ from the batch
cells Teusink measured), each within 1/20..20 times its literature value. Two validations:

* time: fit the first 6 time points (0–107 s), predict the 5 later ones (135–337 s);
* metabolites: fit G6P, FBP, PEP, ATP, ADP, AMP at all times, predict F6P, GAP and 3PG.

Score: RMSE of log(model) - log(data) (natural log) on the held-out entries, literature model vs
fitted model; also on the fitted entries.

The measurement is `yeastcell.bench.glucose_pulse` (also ``yeastcell bench run glucose_pulse``).

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
