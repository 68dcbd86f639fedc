"""Aerobic batch culture on glucose with dynamic FBA: the diauxic shift, wild type vs a knockout.

Yeast-GEM 9.0.2 (from the shared reference data) coupled to the kinetic core model
(`yeastcell.dfba.run_dfba`, scheme and parameters in docs/dfba.md). Phase 1: glucose is fermented
(ethanol, CO2) at ~0.27 /h because the glucose-repressed respiratory capacity is low; phase 2: when
glucose is exhausted, ethanol uptake is de-repressed, respiratory proteins rise over ~3 h (the lag)
and ethanol is respired at ~0.15 /h. Once ethanol is gone no carbon source is left, so the
non-growth ATP maintenance cannot be paid: those steps are reported as infeasible (stationary
phase, no numbers invented). The knockout pdc1Δ pdc5Δ pdc6Δ (no pyruvate decarboxylase) removes
ethanol formation; in the real strain it also stops growth on glucose (cytosolic acetyl-CoA;
Flikweert et al. 1996 Yeast 12:247), which the GEM's stoichiometry alone may not reproduce.

    python examples/batch_culture_diauxie.py [--out batch_culture_diauxie.png] [--smoke]

Needs YEASTCELL_REFERENCE_DATA (default ../shared/data) for yeast-GEM.yml.
"""

from __future__ import annotations

import argparse

import numpy as np

import yeastcell as yc
from yeastcell.dfba import run_dfba
from yeastcell.gem import load_gem
from yeastcell.io import atomic_path
from yeastcell.refdata import reference_data_dir

STRAINS = {"wild type": yc.wild_type(), "pdc1Δ pdc5Δ pdc6Δ": yc.knockout("PDC1", "PDC5", "PDC6")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="batch_culture_diauxie.png")
    ap.add_argument("--smoke", action="store_true", help="short horizon and one strain, for CI")
    args = ap.parse_args()

    gem = load_gem(reference_data_dir() / "yeast-gem" / "yeast-GEM.yml")
    cell = yc.load_cell()
    strains = dict(list(STRAINS.items())[:1]) if args.smoke else STRAINS
    perts = [yc.condition("aerobic_batch") + p for p in strains.values()]
    res = run_dfba(
        gem, cell, perts, initial={"biomass": 0.05, "glucose": 55.5}, t_end_h=2.0 if args.smoke else 30.0, dt_h=0.5
    )

    for k, name in enumerate(strains):
        g, e = res.medium["glucose"][k], res.medium["ethanol"][k]
        mu = np.where(res.step_status[k] == "optimal", res.growth[k], np.nan)
        on_glc = g[:-1] > 0.01 * g[0]
        print(
            f"{name}: status {res.status[k]}, final biomass {res.biomass[k, -1]:.3f} gDW/L, "
            f"peak ethanol {e.max():.1f} mM at {res.t[e.argmax()]:.1f} h, "
            f"glucose left {g[-1]:.2f} mM, ethanol left {e[-1]:.1f} mM; growth on glucose "
            f"{np.nanmax(mu[on_glc], initial=0):.3f} /h, after glucose "
            f"{np.nanmax(mu[~on_glc], initial=0):.3f} /h; LP pivots {int(res.pivots[k].sum())}"
        )
        bad = res.step_status[k] != "optimal"
        if bad.any():
            print(
                f"  {int(bad.sum())} steps without an optimum from {res.first_failure_h[k]:.1f} h "
                f"({sorted(set(res.step_status[k][bad]))}): no carbon source left"
            )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for k, name in enumerate(strains):
        ls = "-" if k == 0 else "--"
        axes[0].plot(res.t, res.biomass[k], ls, label=name)
        axes[1].plot(res.t, res.medium["glucose"][k], ls, color="C0", label=f"glucose, {name}")
        axes[1].plot(res.t, res.medium["ethanol"][k], ls, color="C1", label=f"ethanol, {name}")
        mu = np.where(res.step_status[k] == "optimal", res.growth[k], np.nan)  # gaps: no optimum
        axes[2].step(res.t[:-1], mu, ls, where="post", label=name)
    g0 = res.medium["glucose"][0]
    if (g0 < 0.01 * g0[0]).any():  # mark the diauxic shift of the wild type
        t_shift = res.t[int(np.argmax(g0 < 0.01 * g0[0]))]
        for ax in axes:
            ax.axvline(t_shift, color="0.6", lw=0.8, ls=":")
        axes[1].annotate("glucose exhausted", (t_shift, 0.9 * res.medium["ethanol"][0].max()), fontsize=7, ha="right")
    axes[0].set(xlabel="time (h)", ylabel="biomass (gDW/L)")
    axes[1].set(xlabel="time (h)", ylabel="medium (mM)")
    axes[2].set(xlabel="time (h)", ylabel="growth rate (1/h)")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.suptitle("dFBA: Yeast-GEM + kinetic core, aerobic batch on 1 % glucose")
    fig.tight_layout()
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    print(f"wrote {args.out}")
    if not np.all(res.status == "optimal"):
        print("LP status per strain:", dict(zip(strains, res.status)))


if __name__ == "__main__":
    main()
