"""Wild type vs glycolytic knockouts in the yeast core model: metabolites and fluxes over an hour.

Aerobic batch culture on 2 % glucose (condition `aerobic_batch` of models/yeast_core.yaml). The
knockouts and what the literature reports for them:
  pdc1Δ pdc5Δ pdc6Δ  no pyruvate decarboxylase, no ethanol (Flikweert et al. 1996 Yeast 12:247)
  gpd1Δ gpd2Δ        no glycerol (Ansell et al. 1997 EMBO J 16:2179)
  tpi1Δ              DHAP accumulates (Compagno et al. 1996)
  hxk2Δ              grows through Hxk1/Glk1 in real cells; model v1 lacks the derepression of HXK1/GLK1
                     and collapses (see tests/test_core_model.py)

    python examples/knockout_glycolysis.py [--out knockout_glycolysis.png] [--smoke]
"""

from __future__ import annotations

import argparse

import numpy as np

import yeastcell as yc
from yeastcell.plot import plot_species

KNOCKOUTS = {
    "wild type": yc.wild_type(),
    "pdc1Δ pdc5Δ pdc6Δ": yc.knockout("PDC1", "PDC5", "PDC6"),
    "gpd1Δ gpd2Δ": yc.knockout("GPD1", "GPD2"),
    "tpi1Δ": yc.knockout("TPI1"),
    "hxk2Δ": yc.knockout("HXK2"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="knockout_glycolysis.png")
    ap.add_argument("--smoke", action="store_true", help="short horizon, for CI")
    args = ap.parse_args()

    cell = yc.load_cell()  # the embedded yeast core model
    t = np.linspace(0.0, 5.0 if args.smoke else 60.0, 11 if args.smoke else 121)  # min
    perts = [yc.condition("aerobic_batch") + p for p in KNOCKOUTS.values()]
    traj = yc.simulate_batch(cell, perts, t)
    labels = list(KNOCKOUTS)
    for lab, msg in zip(labels, traj.status_messages()):
        print(f"{lab:20s} {msg}")
    ok = [i for i in range(len(labels)) if traj.ok[i]]
    for i in ok:
        tr = traj[i]
        print(
            f"{labels[i]:20s} at {t[-1]:g} min: ethanol {tr.species('ETOH_e')[-1]:.3g} mM, glycerol "
            f"{tr.species('GLY_e')[-1]:.3g} mM, DHAP {tr.species('DHAP_c')[-1]:.3g} mM, ATP "
            f"{tr.species('ATP_c')[-1]:.3g} mM, glucose uptake {tr.reaction_flux('GLT')[-1]:.3g} mM/min"
        )
    sel = yc.Trajectory(
        traj.t[np.array(ok)],
        traj.conc[np.array(ok)],
        traj.flux[np.array(ok)],
        traj.status[np.array(ok)],
        traj.species_ids,
        traj.reaction_ids,
        tuple(labels[i] for i in ok),
        traj.spec,
    )
    plot_species(
        sel,
        ["ETOH_e", "GLY_e", "DHAP_c", "ATP_c", "F16BP_c", "PYR_c"],
        args.out,
        labels=[labels[i] for i in ok],
        fluxes=["GLT", "PDC", "GPD"],
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
