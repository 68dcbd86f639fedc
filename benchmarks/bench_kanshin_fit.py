"""Fit the HOG module of the whole-cell model to Kanshin et al. 2015 (0.4 M NaCl phosphoproteomics):
train on 0–30 min, predict 35–60 min for the mapped phosphosites (``--split extrapolate``, the
default), or train on every other time point and predict the others (``--split interleaved``).

Data: `read_kanshin2015` (log2 fold change vs 0 min, 13 time points, one replicate), restricted to
the peptides mapped in yeastcell/studies/maps/kanshin2015_site_map.tsv; each is compared with the model's phospho
form of its protein (`phospho:Hog1` = Hog1_PP + Hog1_PP_n as amounts, `phospho:Pbs2`, ...; the
same species the site map sums). Model: `yeast_cell` in `aerobic_clamped`, 0.4 M NaCl at 0 min.

Fitted (Levenberg–Marquardt, central-difference Jacobian, sd 0.5 log2 units, each rate constant
within 1/50..50 times its authored value): one of two sets of rate constants (`--parameters`):
"kinetics" (Hog1 phosphorylation by Pbs2, its dephosphorylation by Ptp2, the dephosphorylation of
Pbs2 and of Rck2) or "adaptation" (Fps1 closing and reopening, which set how fast glycerol restores
turgor and ends the response, Hog1's dephosphorylation by Ptp2 and Ptc, Rck2's dephosphorylation).
Score on the held-out time points (35–60 min): RMSE of log2 fold changes over
all measured entries, and direction matches at the significant points (as bench_kanshin.py),
uncalibrated vs fitted.

    python benchmarks/bench_kanshin_fit.py [--parameters kinetics|adaptation] [--split extrapolate|interleaved] [--record]
"""

from __future__ import annotations

import time

import numpy as np
from _common import bounded_parameters, fit_argument_parser, record, reference_data_dir

from yeastcell.studies.kanshin2015 import FIT_PARAMETERS as KANSHIN_FIT_PARAMETERS

PARAMETER_SETS = {
    # how strongly and how long the kinase cascade stays on (first run, 2026-12-02)
    "kinetics": KANSHIN_FIT_PARAMETERS,
    # what ends the response in the model: glycerol retention (Fps1 closing on turgor loss, reopening)
    # restores turgor and the phosphatases then reset Hog1; the measured sites stay up for an hour
    "adaptation": (
        "FPS1_OPEN.kf",
        "FPS1_CLOSE_TURGOR.k_close",
        "HOG1_DEPHOS_PTP2.kf",
        "HOG1_DEPHOS_PTC.kf",
        "RCK2_DEPHOS.kf",
    ),
}
TRAIN_UNTIL_MIN = 30.0


def _predict(model, ds, mapping, options):
    """Model log2 fold changes vs 0 min, shape (n_t, n_obs)."""
    from yeastcell.fit.problem import build_problem, simulate_observables

    prob = build_problem(model, ds, mapping=mapping)
    y, _, ok = simulate_observables(model, prob, prob.conds, options)
    if not bool(np.all(np.asarray(ok))):
        raise RuntimeError("the simulation failed")
    y = np.asarray(y)[0]
    return np.log2(y / y[:1])


def main(argv=None):
    ap = fit_argument_parser(__doc__, epochs=15)
    ap.add_argument(
        "--parameters",
        choices=sorted(PARAMETER_SETS),
        default="kinetics",
        help="which rate constants to fit (see PARAMETER_SETS)",
    )
    ap.add_argument(
        "--split",
        choices=("extrapolate", "interleaved"),
        default="extrapolate",
        help="held-out time points: 'extrapolate' fits 0-30 min and predicts 35-60 min; "
        "'interleaved' fits every other time point (0 min, the reference, included) "
        "over the whole hour and predicts the others",
    )
    args = ap.parse_args(argv)
    fitted = PARAMETER_SETS[args.parameters]
    import jax

    jax.config.update("jax_enable_x64", True)
    import yeastcell as yc
    from yeastcell.fit import fit

    t_start = time.perf_counter()
    cell = yc.load_cell("yeast_cell")
    from yeastcell.studies.kanshin2015 import mapped_dataset

    ds, mapping, sig, names = mapped_dataset(reference_data_dir())
    t = ds.times_min
    if args.split == "extrapolate":
        train_t = t <= TRAIN_UNTIL_MIN
    else:
        train_t = np.arange(len(t)) % 2 == 0

    def times(rows):
        return ", ".join(f"{x:g}" for x in t[rows])

    labels = {
        "extrapolate": ("held out (35-60 min)", "fitted (0-30 min)"),
        "interleaved": (f"held out ({times(~train_t)} min)", f"fitted ({times(train_t)} min)"),
    }
    data = np.where(ds.mask[0, 0], ds.values[0, 0], np.nan)  # (n_t, n_obs)
    train = ds.replace(
        mask=ds.mask & train_t[None, None, :, None], values=np.where(train_t[None, None, :, None], ds.values, np.nan)
    )
    options = yc.SolverOptions(rtol=1e-6, atol=1e-9, max_steps=20_000)
    params = bounded_parameters(cell, fitted, 50.0)
    t0 = time.perf_counter()
    res = fit(
        cell,
        train,
        params=params,
        optimizer="lm",
        epochs=args.epochs,
        sigma_log2=0.5,
        options=options,
        mapping=mapping,
        progress=True,
    )
    t_fit = time.perf_counter() - t0
    before = _predict(cell, ds, mapping, options)
    after = _predict(res.model, ds, mapping, options)
    held = ~train_t

    def scores(pred, rows):
        err = (pred - data)[rows]
        ok = np.isfinite(err)
        rmse = float(np.sqrt(np.mean(err[ok] ** 2)))
        s = sig[rows] & np.isfinite(data[rows])
        d = np.where(np.abs(pred[rows]) >= 0.1, np.sign(pred[rows]), 0.0)
        return rmse, int((s & (d == np.sign(data[rows]))).sum()), int(s.sum()), int(ok.sum())

    lines = [
        "| time points | model | log2FC RMSE | direction matches at significant points | entries |",
        "|---|---|---:|---:|---:|",
    ]
    for label, rows in zip(labels[args.split], (held, train_t)):
        for name, pred in (("uncalibrated", before), ("fitted", after)):
            r, m, g, n = scores(pred, rows)
            lines.append(f"| {label} | {name} | {r:.3f} | {m} / {g} | {n} |")
    multipliers = ", ".join(
        f"{p} {res.parameters[p] / float(cell.theta[cell.theta_names.index(p)]):.3g}" for p in fitted
    )
    lines += [
        "",
        f"- fitted multipliers of the authored values: {multipliers}",
        (
            f"- {len(names)} mapped peptides ({', '.join(names)}); LM iterations {len(res.history)}, fit "
            f"{t_fit:.0f} s, total {time.perf_counter() - t_start:.0f} s; condition {ds.conditions[0]}; significance "
            "as bench_kanshin.py (firstScores.tsv flag 0); model change < 0.1 log2 counts as no change"
        ),
    ]
    print("\n".join(lines))
    if args.record:
        what = {
            "extrapolate": "fitted on 0-30 min, predicting 35-60 min",
            "interleaved": "fitted on every other time point, predicting the others",
        }[args.split]
        record("bench_kanshin_fit", lines, title=f"Kanshin 2015: HOG module {what} ({args.parameters})")


if __name__ == "__main__":
    main()
