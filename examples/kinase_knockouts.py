"""Kinase-knockout metabolomes from proteomes (Zelezniak et al. 2018, Cell Systems 7:269).

Trains the hybrid predictor (the kinetic model's control coefficients + rate-level residuals learned
from measured enzyme levels, `yeastcell.bench.kinase_metabolome.Hybrid`) on the shared knockout
strains, holds three strains out of training, saves the trained residual network, and predicts the
held-out strains with `yeastcell.predict` from their measured proteomes as a user would for strains
no training file contains. Plots measured vs predicted log2 ratios to the wild type, per strain.

Needs the reference data (``YEASTCELL_REFERENCE_DATA``, folder ``omics/zelezniak2018_kinase_ko``).

    python examples/kinase_knockouts.py [--out kinase_knockouts.png] [--model yeast_central] [--smoke]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import yeastcell as yc  # noqa: E402
from yeastcell.bench.kinase_metabolome import Hybrid, default_model, metabolite_totals  # noqa: E402
from yeastcell.hybrid import save_residual  # noqa: E402
from yeastcell.refdata import reference_data_dir  # noqa: E402
from yeastcell.studies.zelezniak2018 import (  # noqa: E402
    read_zelezniak2018_proteome,
    zelezniak2018_metabolite_matrix,
)

CONDITION = "aerobic_clamped"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="kinase_knockouts.png")
    ap.add_argument("--model", default=None, help="kinetic model (default: yeast_central if present)")
    ap.add_argument("--smoke", action="store_true", help="the small core model, for CI")
    args = ap.parse_args()
    model = "yeast_core" if args.smoke else (args.model or default_model())

    root = reference_data_dir()
    proteome = read_zelezniak2018_proteome(root)  # strains x proteins, log2 ratio to wild type
    metabolome = zelezniak2018_metabolite_matrix(root)  # strains x metabolites, log2 ratio to wild type
    strains = [s for s in metabolome.index if s in proteome.index]
    rng = np.random.default_rng(0)
    held = sorted(rng.choice(strains, size=3, replace=False))
    train = [s for s in strains if s not in held]

    hybrid = Hybrid(model, f"cond:{CONDITION}").fit(train, proteome, metabolome.loc[train])
    print(
        f"trained on {len(train)} strains; held out {held}; inner-CV lambda {hybrid.lambda_:g}, gamma {hybrid.gamma_:g}"
    )

    # apply the saved model to strains it never saw, as `yeastcell predict` would
    totals = metabolite_totals(yc.load_cell(model), list(metabolome.columns))
    mapped = list(totals)
    with tempfile.TemporaryDirectory() as tmp:
        path = save_residual(hybrid.residual(), Path(tmp) / "kinase_hybrid.h5")
        pred = yc.predict(
            str(path),
            held,
            proteome.loc[held],
            condition=CONDITION,
            base_model=model,
            method="linear",
            observables={f"zel:{m}": q for m, q in totals.items()},
            progress=False,
        )
    ds = pred.dataset
    fig, axes = plt.subplots(1, len(held), figsize=(4.2 * len(held), 4.0), squeeze=False)
    for ax, s, label in zip(axes[0], pred.strains, pred.conditions):
        meas = metabolome.loc[s, mapped].to_numpy(dtype=float)
        i = ds.condition_index(label)
        hyb = np.array([ds.values[i, 0, 0, ds.observable_index(f"zel:{m}")] for m in mapped])
        ok = np.isfinite(meas)
        r = np.corrcoef(meas[ok], hyb[ok])[0, 1] if ok.sum() > 2 else float("nan")
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.scatter(meas[ok], hyb[ok], s=18)
        for m, x, y in zip(np.array(mapped)[ok], meas[ok], hyb[ok]):
            ax.annotate(m, (x, y), fontsize=6, alpha=0.7)
        lim = max(0.5, float(np.nanmax(np.abs(np.r_[meas[ok], hyb[ok]]))) * 1.1)
        ax.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="measured log2 ratio", ylabel="predicted log2 ratio")
        ax.set_title(f"ko {s} (held out), r = {r:.2f}", fontsize=9)
        print(f"{s}: {ok.sum()} metabolites, Pearson r measured vs predicted {r:.2f}")
    fig.suptitle(f"Hybrid ({model} + rate residuals) on held-out kinase knockouts", fontsize=10)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
