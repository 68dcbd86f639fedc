"""Rapamycin and TORC1 in the whole-cell model: ribosome-biogenesis synthesis and Gln3 localisation.

Cells in 2 % glucose with ammonium (condition `aerobic_clamped` of models/yeast_cell.yaml) receive
rapamycin at t = 30 min. Compared: wild type without drug, rapamycin at 200 ng/mL (0.219 uM, the
usual dose, e.g. Heitman et al. 1991 Science 253:905; Beck & Hall 1999 Nature 402:689) and at 0.02 and
0.2 ng/mL (the model's graded range over a few hours: FKBP12 captures nearly all drug that enters and
drug efflux is not modelled, see docs/signaling.md), and fpr1Δ (no FKBP12, rapamycin resistant;
Heitman et al. 1991) at 200 ng/mL. Plotted over time:
Nop1 (ribosome biogenesis) and Rpl3 (ribosomal protein) synthesis relative to the untreated wild
type, phosphorylated Sch9, nuclear Sfp1 and nuclear Gln3 (fractions), and the NCR marker Gap1.
Model: models/signaling_tor.yaml (docs/signaling.md, "TORC1 module").

    python examples/rapamycin.py [--out rapamycin.png] [--smoke]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import yeastcell as yc

MW_RAPAMYCIN = 914.2  # g/mol
T_DRUG = 30.0  # min


def ng_per_ml_to_mM(ng_ml: float) -> float:
    """Rapamycin concentration: ng/mL -> mM (914.2 g/mol)."""
    return ng_ml * 1e-9 / MW_RAPAMYCIN * 1e3 * 1e3


def conditions() -> dict[str, yc.Perturbation]:
    base = yc.condition("aerobic_clamped")
    out = {"wild type, no drug": base}
    for dose in (0.02, 0.2, 200.0):
        label = f"rapamycin {dose:g} ng/mL"
        out[label] = base + yc.step("RAP_e", ng_per_ml_to_mM(dose), T_DRUG)
    out["fpr1Δ + rapamycin 200 ng/mL"] = base + yc.knockout("FPR1") + yc.step("RAP_e", ng_per_ml_to_mM(200.0), T_DRUG)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="rapamycin.png")
    ap.add_argument("--smoke", action="store_true", help="short horizon, for CI")
    args = ap.parse_args()

    cell = yc.load_cell("yeast_cell")
    t_end = 45.0 if args.smoke else 240.0
    t = np.unique(
        np.concatenate([np.linspace(0.0, t_end, 16 if args.smoke else 121), np.linspace(T_DRUG, T_DRUG + 10.0, 11)])
    )  # min
    conds = conditions()
    traj = yc.simulate_batch(cell, list(conds.values()), t)
    labels = list(conds)
    for lab, msg in zip(labels, traj.status_messages()):
        print(f"{lab:30s} {msg}")
    if not np.all(traj.ok):
        raise SystemExit("some simulations failed (see above)")

    ref = traj[0]
    panels = [
        (
            "Nop1 synthesis (RiBi), rel. to untreated",
            lambda tr: tr.reaction_flux("syn_Nop1") / ref.reaction_flux("syn_Nop1"),
        ),
        (
            "Rpl3 synthesis (RP), rel. to untreated",
            lambda tr: tr.reaction_flux("syn_Rpl3") / ref.reaction_flux("syn_Rpl3"),
        ),
        ("Sch9 phosphorylated (fraction)", lambda tr: tr.observable("sch9_phospho_fraction")),
        ("Sfp1 nuclear (fraction)", lambda tr: tr.observable("sfp1_nuclear_fraction")),
        ("Gln3 nuclear (fraction)", lambda tr: tr.observable("gln3_nuclear_fraction")),
        ("Gap1 (NCR marker), mM", lambda tr: tr.species("Gap1")),
    ]
    for i, lab in enumerate(labels):
        tr = traj[i]
        print(
            f"{lab:30s} at {t_end:g} min: RiBi synthesis x{panels[0][1](tr)[-1]:.2f}, "
            f"nuclear Gln3 {tr.observable('gln3_nuclear_fraction')[-1]:.2f}, "
            f"nuclear Sfp1 {tr.observable('sfp1_nuclear_fraction')[-1]:.2f}"
        )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from yeastcell.io import atomic_path

    fig, axes = plt.subplots(2, 3, figsize=(13, 7), squeeze=False)
    for ax, (title, fn) in zip(axes.flat, panels):
        for i, lab in enumerate(labels):
            ax.plot(t, fn(traj[i]), label=lab)
        ax.axvline(T_DRUG, color="grey", lw=0.8, ls=":")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("time (min)")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("TORC1 and rapamycin (yeastcell whole-cell model; drug added at the dotted line)")
    fig.tight_layout()
    out = Path(args.out)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
