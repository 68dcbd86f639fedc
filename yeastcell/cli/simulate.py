"""``yeastcell simulate``: time courses of perturbations in the condition-string notation.

Prints, per run, whether the solve succeeded and the final concentrations (mM) of the chosen
species at ``--t-end`` (min); optionally writes the trajectories (.csv or .h5) and a plot (.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from .. import load_cell
from ..batch import simulate_batch
from ..io import write_trajectory_csv, write_trajectory_hdf5
from ..perturb import condition
from ..perturb.notation import parse_perturbation
from ..plot import plot_species
from ..trajectory import Trajectory

DEFAULT_SPECIES = ("GLC_e", "ETOH_e", "GLYC_e", "ATP_c", "G6P_c", "F16BP_c", "PYR_c")


def add_parser(sub, default_model: str) -> None:
    """Register ``yeastcell simulate`` on an argparse sub-parser set."""
    s = sub.add_parser("simulate", help="simulate perturbation time courses")
    s.add_argument("-m", "--model", default=default_model, help="model file or embedded model name")
    s.add_argument("-c", "--condition", help="named condition of the model applied to every run (e.g. aerobic_batch)")
    s.add_argument(
        "-p",
        "--perturbation",
        action="append",
        help="one condition per flag, e.g. wt, ko:HXK2, kd:PFK1=0.3, pulse:GLC_e=10@20 "
        "(see yeastcell.perturb.notation)",
    )
    s.add_argument("--t-end", type=float, default=100.0, help="end time (min)")
    s.add_argument("--points", type=int, default=101, help="number of save points")
    s.add_argument("-o", "--out", help="output file (.csv or .h5)")
    s.add_argument("--plot", help="PNG file for a plot of --species")
    s.add_argument("--species", nargs="+", help="species to print and plot")
    s.set_defaults(func=run)


def run(args) -> int:
    """Simulate every ``-p`` perturbation; exit status 0 when all succeed, 3 when any failed."""
    cell = load_cell(args.model)
    texts = args.perturbation or ["wt"]
    perts = [parse_perturbation(p) for p in texts]
    if args.condition:
        perts = [condition(args.condition) + p for p in perts]
    t = np.linspace(0.0, args.t_end, args.points)
    traj = simulate_batch(cell, perts, t)
    labels = [f"{args.condition + ' + ' if args.condition else ''}{p}" for p in texts]
    for lab, ok, plausible, msg in zip(labels, traj.ok, traj.plausible, traj.status_messages()):
        print(f"{lab:40s} {('ok' if plausible else 'ok, WARNING ' + msg) if ok else 'FAILED ' + msg}")
    for line in traj.warnings:
        print(f"  warning: {line}")
    if not all(traj.ok):
        print(traj.failure_summary(limit=10))
    good = [i for i, ok in enumerate(traj.ok) if ok]
    species = args.species or default_species(cell)
    for i in good:
        tr = traj[i]
        vals = ", ".join(f"{s}={tr.species(s)[-1]:.4g}" for s in species)
        print(f"  {labels[i]} at t={t[-1]:g} min: {vals} mM")
    if args.out:
        out = Path(args.out)
        if not good:
            print("no trajectory succeeded; nothing written", file=sys.stderr)
        else:
            sel = traj if len(good) == len(labels) else select(traj, good)
            sel_labels = [labels[i] for i in good]
            if out.suffix in (".h5", ".hdf5"):
                write_trajectory_hdf5(sel, out)
            else:
                write_trajectory_csv(sel, out, sel_labels)
            print(f"wrote {out}")
    if args.plot and good:
        plot_species(select(traj, good), species, args.plot, labels=[labels[i] for i in good])
        print(f"wrote {args.plot}")
    return 0 if len(good) == len(labels) else 3


def select(traj: Trajectory, idx: list[int]) -> Trajectory:
    """The runs `idx` of a batched trajectory, as a batched trajectory."""
    i = jnp.asarray(idx)
    return Trajectory(
        traj.t[i],
        traj.conc[i],
        traj.flux[i],
        traj.status[i],
        traj.species_ids,
        traj.reaction_ids,
        tuple(traj.labels[k] for k in idx) if traj.labels else (),
        traj.spec,
    )


def default_species(cell) -> list[str]:
    """Species printed and plotted without ``--species``: the glycolytic ones the cell has, else
    its first five dynamic species."""
    have = [s for s in DEFAULT_SPECIES if s in cell.species_ids]
    return have or [cell.species_ids[i] for i in cell.dynamic[:5]]
