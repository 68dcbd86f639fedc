"""Rapamycin and nitrogen shifts against the measured time courses (Gonçalves et al. 2017), with forecasts.

Data: Gonçalves et al. 2017 (PLoS Comput Biol 13:e1005297; shared folder ``omics/goncalves2017_nitrogen_rapamycin``):
nitrogen upshift, nitrogen downshift and rapamycin, three biological series each, metabolome (FIA-MS),
phosphoproteome and transcriptome as log2 ratios to the pre-perturbation samples; only the observables
that map to the TORC1 module (`models/torc1_module.yaml`) are shown (the readers and maps:
docs/goncalves2017.md; the benchmark built on the same series: docs/signaling_forecast.md).

What it does:

1. simulates the three experiments with the literature-parameter TORC1 module (`nitrogen_shift`,
   `rapamycin` perturbations) and plots, per observable, the measured mean over the series (markers)
   against the simulation (lines), one colour per experiment;
2. with ``--fit`` (default), fits the module's rate parameters and then rate residuals (`hybridize`) on
   the time points up to ``--train-until`` min and draws the fitted hybrid too (dashed);
3. prints the log2-ratio RMSE and direction accuracy on the later time points (the forecast window) of
   the literature model, the fitted model and hybrid, the hybrid with its readout layer (site and pool
   states driven by the model, `yeastcell.bench.forecast_readout`), free-running and assimilated at the
   last training observation, and the baselines: last observation carried forward, mean of the other
   experiments, a linear autoregression per observable.

    python examples/rapamycin_timecourse.py [--out rapamycin_timecourse.png] [--no-fit] [--smoke]

Needs YEASTCELL_REFERENCE_DATA (default ../shared/data).
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from yeastcell.bench.forecast_data import forecast_series, model_cell
from yeastcell.bench.forecast_predictors import (
    autoregression,
    fit_hybrid,
    fit_model,
    last_observation,
    mean_of_others,
    simulate_series,
)
from yeastcell.bench.signaling_forecast import readout_predictions, scores, splits
from yeastcell.io import atomic_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="rapamycin_timecourse.png")
    ap.add_argument("--train-until", type=float, default=30.0, help="fit on time points up to this (min)")
    ap.add_argument("--no-fit", action="store_true", help="literature model and baselines only")
    ap.add_argument("--lm-epochs", type=int, default=5, help="Levenberg-Marquardt iterations of the parameter fit")
    ap.add_argument("--hybrid-epochs", type=int, default=20, help="Adam steps of the residual fit")
    ap.add_argument("--smoke", action="store_true", help="no fit (literature model and baselines), for CI")
    args = ap.parse_args()
    do_fit = not (args.no_fit or args.smoke)

    series = forecast_series("nitrogen")
    print(
        f"{series.source}\n{len(series.observables)} observables map to {series.model} "
        f"({sum(k == 'metabolite' for k in series.kinds)} metabolites, {sum(k == 'phospho' for k in series.kinds)} "
        f"phosphosites, {sum(k == 'transcript' for k in series.kinds)} transcripts); {len(series.unmapped)} do not"
    )
    forecast = next(s for s in splits(series, args.train_until)[0] if s.name.startswith("forecast"))
    preds = {"literature model": simulate_series(model_cell(series.model), series)}
    if do_fit:
        fitted, _ = fit_model(series, forecast.train, 0, args.lm_epochs)
        preds["fitted model"] = simulate_series(fitted, series)
        hybrid, _ = fit_hybrid(fitted, series, forecast.train, 0, args.hybrid_epochs)
        preds["fitted hybrid"] = simulate_series(hybrid, series)
        free, assimilated = readout_predictions(hybrid, series, forecast.train)
        preds["fitted hybrid + readouts"] = free
        preds["fitted hybrid + readouts, assimilated"] = assimilated
    preds["last observation"] = last_observation(series, forecast.train)
    other = mean_of_others(series, forecast.train)
    if other is not None:
        preds["mean of other experiments"] = other
    preds["linear autoregression"] = autoregression(series, forecast.train)

    print(f"\nforecast window (> {args.train_until:g} min): log2 RMSE, direction accuracy, entries")
    for name, p in preds.items():
        rmse, acc, n, _ = scores(p, series, forecast)
        print(f"  {name:38s} {rmse:6.3f}  {acc:5.2f}  {n}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_obs = len(series.observables)
    cols = 4
    rows = math.ceil(n_obs / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.5 * rows), squeeze=False)
    t = np.asarray(series.times_min)
    for j, obs in enumerate(series.observables):
        ax = axes[j // cols][j % cols]
        for c, exp in enumerate(series.experiments):
            colour = f"C{c}"
            ax.plot(t, series.values[c, :, j], "o", ms=3, color=colour, label=f"{exp} measured")
            ax.plot(t, preds["literature model"][c, :, j], "-", color=colour, label=f"{exp} literature model")
            if "fitted hybrid" in preds:
                ax.plot(t, preds["fitted hybrid"][c, :, j], "--", color=colour, label=f"{exp} fitted hybrid")
        ax.axvline(args.train_until, color="0.6", lw=0.8)
        ax.axhline(0.0, color="0.85", lw=0.6)
        ax.set_title(f"{obs} ({series.kinds[j]})", fontsize=8)
        ax.tick_params(labelsize=7)
    for k in range(n_obs, rows * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=6)
    fig.supxlabel("time after the shift or the drug (min)")
    fig.supylabel("log2 ratio to before")
    fig.suptitle("Gonçalves 2017 nitrogen shifts and rapamycin vs the TORC1 module (grey line: end of the fit window)")
    fig.tight_layout()
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
