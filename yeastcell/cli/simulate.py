"""``yeastcell simulate``: time courses of perturbations in the condition-string notation.

Prints, per run, whether the solve succeeded and the final concentrations (mM) of the chosen
species at ``--t-end`` (min); optionally writes the trajectories (.csv or .h5) and a plot (.png).
The condition column of the CSV (and the labels of the HDF5 file) is each run's perturbation in
the notation (``cond:aerobic_batch+ko:HXK2``), so the file reads back as a Dataset
(`yeastcell.Dataset.from_table`, ``yeastcell compare -d``, ``yeastcell fit``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from .. import load_cell
from ..batch import simulate_batch
from ..fit import read_parameter_file, with_parameters
from ..io import write_trajectory_csv, write_trajectory_hdf5
from ..perturb.notation import parse_perturbation
from ..plot import plot_species
from ..trajectory import Trajectory
from ._help import examples

DEFAULT_SPECIES = ("GLC_e", "ETOH_e", "GLYC_e", "ATP_c", "G6P_c", "F16BP_c", "PYR_c")
WILD_TYPE = ("wt", "wild_type", "wildtype", "wild-type")


def add_parser(sub, default_model: str) -> None:
    """Register ``yeastcell simulate`` on an argparse sub-parser set."""
    s = sub.add_parser(
        "simulate",
        help="simulate perturbation time courses",
        description="Simulate time courses of perturbations (one run per -p) and print the final concentrations.",
        epilog=examples(
            "yeastcell simulate -c aerobic_batch -p wt -p ko:HXK2 --t-end 60 -o runs.csv",
            "yeastcell simulate -p kd:PFK1=0.3 --species GLC_e F16BP_c --plot pfk1.png",
            "yeastcell simulate -m BIOMD0000000064_teusink2000.xml --t-end 10",
            "yeastcell simulate -p wt --params fit.json    # parameters of a 'yeastcell fit -o fit.json'",
        ),
    )
    s.add_argument(
        "-m", "--model", default=default_model, help="model: embedded name, YAML file or SBML file (.xml, .sbml)"
    )
    s.add_argument("-c", "--condition", help="named condition of the model applied to every run (e.g. aerobic_batch)")
    s.add_argument(
        "-p",
        "--perturbation",
        action="append",
        help="one condition per flag, e.g. wt, ko:HXK2, kd:PFK1=0.3, pulse:GLC_e=10@20 "
        "(see yeastcell.perturb.notation; default: wt)",
    )
    s.add_argument("--t-end", type=float, default=100.0, help="end time (min)")
    s.add_argument("--points", type=int, default=101, help="number of save points")
    s.add_argument(
        "--params",
        metavar="FIT.json",
        help="set parameters (core units) from a fit result: the JSON of 'yeastcell fit -o' or a checkpoint folder",
    )
    s.add_argument("-o", "--out", help="output file (.csv or .h5)")
    s.add_argument("--plot", help="PNG file for a plot of --species")
    s.add_argument("--species", nargs="+", help="species to print and plot (default: the main glycolytic ones)")
    s.set_defaults(func=run)


def run(args) -> int:
    """Simulate every ``-p`` perturbation; exit status 0 when all succeed, 3 when any failed."""
    cell = load_cell(args.model)
    if args.params:
        cell = with_parameters(cell, read_parameter_file(args.params))  # unknown names fail before any solve
    texts = args.perturbation or ["wt"]
    for p in texts:
        parse_perturbation(p)  # errors name the user's own text
    labels = notation_labels(texts, args.condition)
    perts = [parse_perturbation(lab) for lab in labels]  # what is simulated is what the files say
    species = args.species or default_species(cell)
    for sp in species:
        cell.species_index(sp)
    t = np.linspace(0.0, args.t_end, args.points)
    traj = simulate_batch(cell, perts, t)
    for lab, ok, plausible, msg in zip(labels, traj.ok, traj.plausible, traj.status_messages()):
        print(f"{lab:40s} {('ok' if plausible else 'ok, WARNING ' + msg) if ok else 'FAILED ' + msg}")
    for line in traj.warnings:
        print(f"  warning: {line}")
    if not all(traj.ok):
        print(traj.failure_summary(limit=10))
    good = [i for i, ok in enumerate(traj.ok) if ok]
    for i in good:
        tr = traj[i]
        vals = ", ".join(f"{s}={tr.species(s)[-1]:.4g}" for s in species)
        print(f"  {labels[i]} at t={t[-1]:g} min: {vals} mM")
    if args.out:
        out = Path(args.out)
        if not good:
            print("no trajectory succeeded; nothing written", file=sys.stderr)
        else:
            sel = select(traj, good, labels)
            if out.suffix in (".h5", ".hdf5"):
                write_trajectory_hdf5(sel, out)
            else:
                write_trajectory_csv(sel, out, list(sel.labels))
            print(f"wrote {out}")
    if args.plot and good:
        plot_species(select(traj, good, labels), species, args.plot)
        print(f"wrote {args.plot}")
    return 0 if len(good) == len(labels) else 3


def notation_labels(texts: list[str], condition: str | None = None) -> list[str]:
    """Each run's perturbation as one notation string (`yeastcell.perturb.notation`): the named
    `condition` first (``cond:NAME``), then the run's own parts; a run repeated under the same
    perturbation gets a run label (``wt#2``), so that every label is a distinct Dataset condition."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for text in texts:
        parts = [x.strip() for x in text.split("+") if x.strip()]
        if condition:
            parts = [f"cond:{condition.strip()}"] + [x for x in parts if x.lower() not in WILD_TYPE]
        label = "+".join(parts) or "wt"
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out


def select(traj: Trajectory, idx: list[int], labels: list[str] | None = None) -> Trajectory:
    """The runs `idx` of a batched trajectory, as a batched trajectory (labelled by `labels`, one
    per run of `traj`, when given)."""
    i = jnp.asarray(idx)
    names = labels if labels is not None else traj.labels
    return Trajectory(
        traj.t[i],
        traj.conc[i],
        traj.flux[i],
        traj.status[i],
        traj.species_ids,
        traj.reaction_ids,
        tuple(names[k] for k in idx) if names else (),
        traj.spec,
        values=traj.values[i] if traj.values is not None else None,
        value_ids=traj.value_ids,
    )


def default_species(cell) -> list[str]:
    """Species printed and plotted without ``--species``: the glycolytic ones the cell has, else
    its first five dynamic species that are not boundary species (SBML)."""
    have = [s for s in DEFAULT_SPECIES if s in cell.species_ids]
    if have:
        return have
    spec = cell.spec.species if cell.spec is not None else ()
    free = [i for i in cell.dynamic if not (i < len(spec) and (spec[i].boundary or spec[i].constant))]
    return [cell.species_ids[i] for i in (free or list(cell.dynamic))[:5]]
