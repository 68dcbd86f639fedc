"""The `yeastcell` command line: simulate perturbations, list genes.

    yeastcell simulate [-m MODEL] [-c CONDITION] [-p PERTURBATION ...] [--t-end MIN] [--points N]
                       [-o OUT.csv|OUT.h5] [--plot OUT.png] [--species ID ...]
    yeastcell genes [-m MODEL]
    yeastcell screen --gem MODEL [--medium TSV] [--genes ...] [--pairs A+B ...] [-o OUT.csv]
    yeastcell gem-test essentiality|chemostat
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .exceptions import YeastcellError


def _cmd_simulate(args) -> int:
    import numpy as np

    from . import load_cell
    from .batch import simulate_batch
    from .io import write_trajectory_csv, write_trajectory_hdf5
    from .notation import parse_perturbation
    from .perturb import condition

    cell = load_cell(args.model)
    texts = args.perturbation or ["wt"]
    perts = [parse_perturbation(p) for p in texts]
    if args.condition:
        perts = [condition(args.condition) + p for p in perts]
    t = np.linspace(0.0, args.t_end, args.points)
    traj = simulate_batch(cell, perts, t)
    labels = [f"{args.condition + ' + ' if args.condition else ''}{p}" for p in texts]
    for lab, ok, msg in zip(labels, traj.ok, traj.status_messages()):
        print(f"{lab:40s} {'ok' if ok else 'FAILED ' + msg}")
    good = [i for i, ok in enumerate(traj.ok) if ok]
    species = args.species or _default_species(cell)
    for i in good:
        tr = traj[i]
        vals = ", ".join(f"{s}={tr.species(s)[-1]:.4g}" for s in species)
        print(f"  {labels[i]} at t={t[-1]:g} min: {vals} mM")
    if args.out:
        out = Path(args.out)
        if not good:
            print("no trajectory succeeded; nothing written", file=sys.stderr)
        else:
            sel = traj if len(good) == len(labels) else _select(traj, good)
            sel_labels = [labels[i] for i in good]
            if out.suffix in (".h5", ".hdf5"):
                write_trajectory_hdf5(sel, out)
            else:
                write_trajectory_csv(sel, out, sel_labels)
            print(f"wrote {out}")
    if args.plot and good:
        from .plot import plot_species

        plot_species(_select(traj, good), species, args.plot, labels=[labels[i] for i in good])
        print(f"wrote {args.plot}")
    return 0 if len(good) == len(labels) else 3


def _select(traj, idx):
    import jax.numpy as jnp

    from .trajectory import Trajectory

    i = jnp.asarray(idx)
    return Trajectory(traj.t[i], traj.conc[i], traj.flux[i], traj.status[i], traj.species_ids,
                      traj.reaction_ids, tuple(traj.labels[k] for k in idx) if traj.labels else (), traj.spec)


def _default_species(cell) -> list[str]:
    wanted = ["GLC_e", "ETOH_e", "GLYC_e", "ATP_c", "G6P_c", "F16BP_c", "PYR_c"]
    have = [s for s in wanted if s in cell.species_ids]
    return have or [cell.species_ids[i] for i in cell.dynamic[:5]]


def _cmd_genes(args) -> int:
    from . import load_model

    spec = load_model(args.model)
    prot_of = {g.orf: g.protein for g in spec.genes}
    rx_of: dict[str, list[str]] = {}
    from . import gpr

    for r in spec.reactions:
        for g in gpr.genes_of(gpr.parse(r.gpr)) if r.gpr else ():
            rx_of.setdefault(g, []).append(r.id)
    print(f"{'ORF':10s} {'name':8s} {'protein':10s} reactions")
    for g in spec.genes:
        print(f"{g.orf:10s} {g.name or '':8s} {prot_of[g.orf] or '':10s} {', '.join(rx_of.get(g.orf, []))}")
    return 0


def _cmd_screen(args) -> int:
    from .gem import knockout_screen, load_gem, read_medium
    from .io import atomic_path

    gem = load_gem(args.gem)
    medium = read_medium(args.medium) if args.medium else None
    pairs = [tuple(p.split("+")) for p in args.pairs] if args.pairs else None
    genes = args.genes if (args.genes or pairs) else None
    if pairs is not None and not args.genes:
        genes = []
    df = knockout_screen(gem, genes=genes, pairs=pairs, medium=medium, processes=args.processes)
    wt = df.attrs.get("wild_type_growth")
    print(f"wild-type growth {wt:.6g} /h; {len(df)} deletions; "
          f"{int((df['growth_ratio'] < args.threshold).sum())} below growth ratio {args.threshold:g}")
    if args.out:
        out = df.drop(columns=["genes"]).assign(genes=["+".join(g) for g in df["genes"]])
        with atomic_path(args.out) as tmp:
            out.to_csv(tmp)
        print(f"wrote {args.out}")
    else:
        print(df.drop(columns=["genes"]).to_string(max_rows=40))
    return 0


def _cmd_gem_test(args) -> int:
    from .gem import chemostat_growth_test, essentiality_test

    if args.which == "essentiality":
        essentiality_test(args.gem, processes=args.processes, verbose=True)
    else:
        chemostat_growth_test(args.gem, verbose=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .models import DEFAULT_MODEL

    p = argparse.ArgumentParser(prog="yeastcell", description="A virtual yeast cell: simulate perturbations.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("simulate", help="simulate perturbation time courses")
    s.add_argument("-m", "--model", default=DEFAULT_MODEL, help="model file or embedded model name")
    s.add_argument("-c", "--condition", help="named condition of the model applied to every run (e.g. aerobic_batch)")
    s.add_argument("-p", "--perturbation", action="append",
                   help="one condition per flag, e.g. wt, ko:HXK2, kd:PFK1=0.3, pulse:GLC_e=10@20 (see yeastcell.notation)")
    s.add_argument("--t-end", type=float, default=100.0, help="end time (min)")
    s.add_argument("--points", type=int, default=101, help="number of save points")
    s.add_argument("-o", "--out", help="output file (.csv or .h5)")
    s.add_argument("--plot", help="PNG file for a plot of --species")
    s.add_argument("--species", nargs="+", help="species to print and plot")
    s.set_defaults(func=_cmd_simulate)
    g = sub.add_parser("genes", help="list the genes (ORFs) of a model")
    g.add_argument("-m", "--model", default=DEFAULT_MODEL)
    g.set_defaults(func=_cmd_genes)
    sc = sub.add_parser("screen", help="single/double gene-deletion screen of a genome-scale model (FBA) -> CSV")
    sc.add_argument("--gem", required=True, help="genome-scale model file (SBML, JSON, YAML, MAT), e.g. yeast-GEM.yml")
    sc.add_argument("--medium", help="medium TSV (exchange reaction, lower bound), e.g. medium_synthetic_complete.tsv")
    sc.add_argument("--genes", nargs="+", help="genes to delete one at a time (default: all, unless --pairs)")
    sc.add_argument("--pairs", nargs="+", help="double deletions as GENE1+GENE2")
    sc.add_argument("--processes", type=int, default=1, help="worker processes (0 = all cores)")
    sc.add_argument("--threshold", type=float, default=0.01, help="growth ratio counted as lethal in the summary")
    sc.add_argument("-o", "--out", help="output CSV")
    sc.set_defaults(func=_cmd_screen)
    gt = sub.add_parser("gem-test", help="Yeast-GEM's own validation tests (reference data needed)")
    gt.add_argument("which", choices=["essentiality", "chemostat"])
    gt.add_argument("--gem", default=None, help="model file (default: Yeast-GEM from the reference data)")
    gt.add_argument("--processes", type=int, default=1)
    gt.set_defaults(func=_cmd_gem_test)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "t_end", 1.0) <= 0 or getattr(args, "points", 2) < 2:
        print("yeastcell: error: --t-end must be > 0 and --points >= 2", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except YeastcellError as err:
        print(f"yeastcell: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
