"""Batch culture on 2 % glucose with growth from the enzyme pool: the diauxic shift, ecGEM vs plain GEM.

The embedded kinetic cell (`yc.load_cell()`) is coupled to Yeast-GEM 9.0.2 by dynamic FBA
(`yeastcell.dfba.run_dfba`, docs/dfba.md) twice:

* **enzyme-constrained** (`enzyme_constrained`, sMOMENT pool; docs/enzyme_constrained.md): the pool
  bound is calibrated, as in the `growth` benchmark, so that the ecGEM's maximal growth on glucose
  equals the median measured aerobic glucose batch growth rate (GECKO's BayesianGrowthRates.csv,
  0.375 /h). In the culture, glucose uptake is priced by the pool (no kinetic transport bound), so
  μ on glucose and the ethanol overflow come out of the enzyme budget;
* **plain** Yeast-GEM: glucose uptake bounded by the kinetic core's transport rate (GLT), as before.

Both keep the kinetic core's respiratory capacity (glucose-repressed respiratory-chain proteins,
derepressed after the shift at rate μ + k: the diauxic lag) and the ethanol uptake kinetics.
Printed per model: μ on glucose (fit of ln biomass over the exponential phase), glucose exhaustion,
lag (tangent method), μ on ethanol, ethanol peak and consumption (`yeastcell.culture_phases`).

    python examples/batch_growth.py [--out batch_growth.png] [--t-end 32] [--dt 0.25] [--smoke]

Needs YEASTCELL_REFERENCE_DATA (default ../shared/data) for yeast-GEM.yml and gecko/.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import yeastcell as yc
from yeastcell.bench.growth import batch_growth_target
from yeastcell.culture_phases import batch_phases
from yeastcell.dfba import run_dfba
from yeastcell.gem import enzyme_constrained, load_enzyme_data, load_gem
from yeastcell.gem.chemostat import pool_for_growth
from yeastcell.gem.enzyme import with_pool
from yeastcell.io import atomic_path
from yeastcell.refdata import reference_data_dir

GLUCOSE_2_PERCENT_MM = 20.0 / 180.16 * 1000.0  # 20 g/L glucose, mM


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="batch_growth.png")
    ap.add_argument("--t-end", type=float, default=32.0, help="simulated time, h")
    ap.add_argument("--dt", type=float, default=0.25, help="macro-step, h")
    ap.add_argument("--smoke", action="store_true", help="2 h of the ecGEM culture only (glucose phase), for CI")
    args = ap.parse_args()
    if args.smoke:
        args.t_end, args.dt = 2.0, 0.5

    root = reference_data_dir()
    gem = load_gem(root / "yeast-gem" / "yeast-GEM.yml")
    ec0 = enzyme_constrained(gem, load_enzyme_data(gem, root))
    target, _ = batch_growth_target(root / "gecko" / "BayesianGrowthRates.csv")  # GECKO: median aerobic glucose batch
    ec = with_pool(ec0, pool_for_growth(ec0, target))
    print(f"enzyme pool P = {ec.pool_bound:.4g} g/gDW (σ = {ec.saturation:.3g}): max growth on glucose {target:.3f} /h")
    cell = yc.load_cell()
    pert = [yc.condition("aerobic_batch")]
    initial = {"biomass": 0.05, "glucose": GLUCOSE_2_PERCENT_MM}

    runs = {}
    models = (("ecGEM (enzyme pool)", ec), ("plain GEM (kinetic bounds)", gem))
    for name, model in models[:1] if args.smoke else models:
        t0 = time.perf_counter()
        res = run_dfba(model, cell, pert, initial=initial, t_end_h=args.t_end, dt_h=args.dt)
        wall = time.perf_counter() - t0
        runs[name] = res
        ph = batch_phases(res)
        on_glc = res.medium["glucose"][0][:-1] >= 0.1 * GLUCOSE_2_PERCENT_MM
        q = {k: float(np.median(res.exchange[k][0][on_glc])) for k in ("glucose", "ethanol", "oxygen")}
        print(
            f"{name}: μ on glucose {ph.mu_glucose_per_h:.3f} /h (exchange glucose {q['glucose']:.2f}, ethanol "
            f"{q['ethanol']:+.2f}, O2 {q['oxygen']:.2f} mmol/gDW/h); glucose exhausted at "
            f"{ph.glucose_exhausted_h:.2f} h; lag {ph.lag_h:.2f} h; μ on ethanol {ph.mu_ethanol_per_h:.3f} /h; "
            f"ethanol peak {ph.ethanol_peak_mM:.1f} mM at {ph.ethanol_peak_h:.2f} h, consumed "
            f"{ph.ethanol_consumed_mM:.1f} mM, left {ph.ethanol_final_mM:.1f} mM; final biomass "
            f"{ph.biomass_final:.2f} gDW/L; status {res.status[0]}; {wall:.0f} s wall"
        )
        bad = res.step_status[0] != "optimal"
        if bad.any():
            E = res.medium["ethanol"][0][:-1]
            counts = {str(s): int(np.sum(res.step_status[0][bad] == s)) for s in sorted(set(res.step_status[0][bad]))}
            print(
                f"  {int(bad.sum())} steps without an optimum from {res.first_failure_h[0]:.2f} h {counts}; "
                f"{int(np.sum(bad & (E > 1.0)))} of them with ethanol still > 1 mM (no growth or exchange "
                "recorded for them; the others: no carbon source left)"
            )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for k, (name, res) in enumerate(runs.items()):
        ls = "-" if k == 0 else "--"
        axes[0].semilogy(res.t, res.biomass[0], ls, color="k", label=name)
        axes[1].plot(res.t, res.medium["glucose"][0], ls, color="C0", label=f"glucose, {name}")
        axes[1].plot(res.t, res.medium["ethanol"][0], ls, color="C1", label=f"ethanol, {name}")
        mu = np.where(res.step_status[0] == "optimal", res.growth[0], np.nan)  # gaps: no optimum
        axes[2].step(res.t[:-1], mu, ls, where="post", color="k", label=name)
        t_exh = batch_phases(res).glucose_exhausted_h
        if np.isfinite(t_exh):
            for ax in axes:
                ax.axvline(t_exh, color="0.6", lw=0.8, ls=ls)
    axes[2].axhspan(0.32, 0.48, color="C2", alpha=0.12, label="0.4 /h ± 20 %")
    axes[0].set(xlabel="time (h)", ylabel="biomass (gDW/L, log)")
    axes[1].set(xlabel="time (h)", ylabel="medium (mM)")
    axes[2].set(xlabel="time (h)", ylabel="growth rate (1/h)")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.suptitle("dFBA batch on 2 % glucose: enzyme-constrained vs plain Yeast-GEM (+ kinetic core)")
    fig.tight_layout()
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
