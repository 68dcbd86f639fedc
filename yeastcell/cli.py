"""The `yeastcell` command line: simulate perturbations, list genes.

    yeastcell simulate [-m MODEL] [-c CONDITION] [-p PERTURBATION ...] [--t-end MIN] [--points N]
                       [-o OUT.csv|OUT.h5] [--plot OUT.png] [--species ID ...]
    yeastcell genes [-m MODEL]
    yeastcell screen --gem MODEL [--medium TSV] [--genes ...] [--pairs A+B ...] [--all-pairs] [-o OUT.csv]
    yeastcell gem-test essentiality|chemostat
    yeastcell bench list [-v]
    yeastcell bench run TASK [--quick] [--set KEY=VALUE ...] [--record] [--results FILE]
    yeastcell bench sbml [--cases 1-100] [--workers N] [--record]     (= bench run sbml)
    yeastcell compare -d DATA.h5|DATA.csv [-m MODEL] [-c CONDITION] [--map OBS=QUANTITY ...]
                      [-o METRICS.csv] [--plot OUT.png|OUT.pdf]
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
    if args.all_pairs:
        import itertools

        pool = args.genes or list(gem.gene_ids)
        pairs = (pairs or []) + list(itertools.combinations(pool, 2))
        print(f"{len(pairs)} gene pairs")
    genes = args.genes if (args.genes or pairs) else None
    if pairs is not None and (not args.genes or args.all_pairs):
        genes = []
    df = knockout_screen(gem, genes=genes, pairs=pairs, medium=medium, processes=args.processes,
                         engine=args.engine)
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


def _cmd_bench_list(args) -> int:
    from .bench import list_tasks

    tasks = list_tasks()
    width = max(len(t.name) for t in tasks)
    for t in tasks:
        print(f"{t.name:{width}s}  {t.status()}\n{'':{width}s}  {t.title}")
        if args.verbose:
            for label, items in (("data", t.data), ("metrics", t.metrics), ("baselines", t.baselines)):
                if items:
                    print(f"{'':{width}s}  {label}: {'; '.join(items)}")
            print(f"{'':{width}s}  protocol: {t.protocol}")
            for k, o in t.options.items():
                print(f"{'':{width}s}  --set {k}=... ({o.type.__name__}, default {o.default!r}): {o.help}")
    return 0


def _cmd_bench_run(args) -> int:
    import shlex

    from .bench import TaskOptionError, get_task, run_task
    from .results_file import record

    options = dict(getattr(args, "options", None) or {})
    for item in args.set or []:
        if "=" not in item:
            raise TaskOptionError(f"--set {item!r}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        options[k.strip()] = v
    task = get_task(args.task)
    res = run_task(task.name, options, quick=args.quick)
    print(f"\n{task.title}")
    print("\n".join(res.to_markdown()))
    if args.record:
        cmd = "yeastcell " + " ".join(shlex.quote(a) for a in args.argv)
        path = record(f"{task.title} (yeastcell bench run {task.name})", res.to_markdown(), command=cmd,
                      path=args.results, note=args.note)
        print(f"appended to {path}")
    return 0


def _cmd_loop(args) -> int:
    from .active import closed_loop
    from .active._cli import build, load_config
    from .active.report import loop_report, plot_learning_curves
    from .lab.file_lab import MeasurementsPending

    if args.loop_command == "report":
        from .active import learning_curve

        print(loop_report(args.folder))
        if args.plot:
            plot_learning_curves({args.folder: [learning_curve(args.folder)]}, args.plot)
            print(f"wrote {args.plot}")
        return 0
    config, learner, lab, initial, heldout = build(load_config(args.config))
    try:
        res = closed_loop(config, learner, lab, args.folder, initial=initial, heldout=heldout)
    except MeasurementsPending as err:
        print(f"waiting for the lab: {err}")
        return 4
    print(loop_report(res.folder))
    return 0


def _cmd_fit(args) -> int:
    """Fit mechanistic parameters (and/or a residual network) to a Dataset file; write the result JSON."""
    import json

    from .compile import compile_model
    from .data import Dataset
    from .fit import FitParameter, fit
    from .io import atomic_path
    from .load import load_model

    path = args.data
    ds = Dataset.from_hdf5(path) if str(path).endswith((".h5", ".hdf5")) else Dataset.from_table(path)
    cell = compile_model(load_model(args.model))
    params = []
    for item in args.param or []:
        name, _, rng = item.partition("=")
        if rng:
            try:
                lo, hi = (float(x) for x in rng.split(":"))
            except ValueError:
                print(f"yeastcell: error: --param {item!r}: expected NAME or NAME=LOWER:UPPER", file=sys.stderr)
                return 2
            params.append(FitParameter(name.strip(), lo, hi))
        else:
            params.append(FitParameter(name.strip()))
    model = cell
    if args.residual:
        from .hybrid import hybridize

        model = hybridize(cell, rate_targets=args.residual, width=args.width, depth=1)
    optimizer = "lm" if args.optimizer == "lm" else None
    if args.optimizer == "adam":
        import optax

        optimizer = optax.adam(args.lr)
    res = fit(model, ds, params=params or None, optimizer=optimizer, epochs=args.epochs, starts=args.starts,
              seed=args.seed, validation_fraction=args.validation, checkpoint_dir=args.checkpoint,
              progress=not args.quiet, sigma_log2=args.sigma)
    out = {"parameters": res.parameters, "loss": res.loss, "val_loss": res.val_loss, "starts": res.starts,
           "epochs": len(res.history)}
    for k, v in res.parameters.items():
        print(f"{k}\t{v:.6g}")
    if args.output:
        with atomic_path(args.output) as tmp:
            tmp.write_text(json.dumps(out, indent=1))
        if args.residual:
            from .hybrid import save_residual

            save_residual(res.model.net, str(args.output) + ".residual.h5")
        print(f"wrote {args.output}")
    return 0


def _add_fit(sub, DEFAULT_MODEL) -> None:
    """The `fit` subcommand (yeastcell.fit)."""
    ft = sub.add_parser("fit", help="fit parameters and/or a residual network to a Dataset (yeastcell.fit)")
    ft.add_argument("data", help="Dataset file: HDF5 (.h5) or long table (CSV/TSV)")
    ft.add_argument("-m", "--model", default=DEFAULT_MODEL, help="model name or YAML file")
    ft.add_argument("-p", "--param", action="append", help="parameter to fit: NAME or NAME=LOWER:UPPER (core units)")
    ft.add_argument("--residual", nargs="+", metavar="REACTION", help="train a residual on these reactions' rates")
    ft.add_argument("--width", type=int, default=16, help="residual hidden width")
    ft.add_argument("--optimizer", choices=("adam", "lm"), default="adam")
    ft.add_argument("--lr", type=float, default=0.05)
    ft.add_argument("--epochs", type=int, default=100)
    ft.add_argument("--starts", type=int, default=1)
    ft.add_argument("--seed", type=int, default=0)
    ft.add_argument("--sigma", type=float, default=0.2, help="noise sd (log2 units)")
    ft.add_argument("--validation", type=float, default=None, help="fraction of conditions held out for early stopping")
    ft.add_argument("--checkpoint", help="checkpoint folder (resume by rerunning the same command)")
    ft.add_argument("-o", "--output", help="result JSON (atomic)")
    ft.add_argument("-q", "--quiet", action="store_true")
    ft.set_defaults(func=_cmd_fit)


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
    sc.add_argument("--all-pairs", action="store_true",
                    help="all pairs of --genes (default: of every gene of the model) as double deletions")
    sc.add_argument("--engine", choices=["highs", "jax"], default="highs",
                    help="LP engine: highs (CPU, exact shortcuts) or jax (batched dual simplex)")
    sc.add_argument("--processes", type=int, default=1, help="worker processes (0 = all cores)")
    sc.add_argument("--threshold", type=float, default=0.01, help="growth ratio counted as lethal in the summary")
    sc.add_argument("-o", "--out", help="output CSV")
    sc.set_defaults(func=_cmd_screen)
    gt = sub.add_parser("gem-test", help="Yeast-GEM's own validation tests (reference data needed)")
    gt.add_argument("which", choices=["essentiality", "chemostat"])
    gt.add_argument("--gem", default=None, help="model file (default: Yeast-GEM from the reference data)")
    gt.add_argument("--processes", type=int, default=1)
    gt.set_defaults(func=_cmd_gem_test)
    _add_bench(sub)
    _add_loop(sub)
    from .compare import add_compare_parser

    add_compare_parser(sub, DEFAULT_MODEL)
    _add_fit(sub, DEFAULT_MODEL)
    return p


def _add_loop(sub) -> None:
    lp = sub.add_parser("loop", help="closed loop: train -> choose experiments -> lab -> ingest (yeastcell.active)")
    ls = lp.add_subparsers(dest="loop_command", required=True)
    lr = ls.add_parser("run", help="run or resume a loop described by a JSON config (docs/active_learning.md)")
    lr.add_argument("config")
    lr.add_argument("folder", help="checkpoint folder (a rerun resumes from it)")
    lr.set_defaults(func=_cmd_loop)
    lrep = ls.add_parser("report", help="what each round chose and why; learning curve")
    lrep.add_argument("folder")
    lrep.add_argument("--plot", help="PNG/PDF file for the learning curve (needs a held-out set)")
    lrep.set_defaults(func=_cmd_loop)


def _add_bench(sub) -> None:
    b = sub.add_parser("bench", help="benchmark tasks: list them, run one (yeastcell.bench)")
    bs = b.add_subparsers(dest="bench_command", required=True)
    bl = bs.add_parser("list", help="list the benchmark tasks and whether each can run here")
    bl.add_argument("-v", "--verbose", action="store_true", help="data, protocol, metrics, baselines, options")
    bl.set_defaults(func=_cmd_bench_list)

    def common(q):
        q.add_argument("--quick", action="store_true", help="the task's small smoke-test setting")
        q.add_argument("--set", action="append", metavar="KEY=VALUE", help="a task option (see bench list -v)")
        q.add_argument("--record", action="store_true", help="append the table to benchmarks/RESULTS.md")
        q.add_argument("--results", help="results file for --record (default: the checkout's benchmarks/RESULTS.md)")
        q.add_argument("--note", help="a note recorded with the results (e.g. 'machine shared with other jobs')")
        q.set_defaults(func=_cmd_bench_run)

    br = bs.add_parser("run", help="run one task and print its table")
    br.add_argument("task")
    common(br)
    sb = bs.add_parser("sbml", help="the SBML Test Suite task (= bench run sbml)")
    sb.add_argument("--cases", help="e.g. 1-100,205 (default: all time-course cases)")
    sb.add_argument("--workers", type=int)
    common(sb)
    sb.set_defaults(task="sbml")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    if getattr(args, "bench_command", None) == "sbml":
        args.options = {k: v for k, v in (("cases", args.cases), ("workers", args.workers)) if v is not None}
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
