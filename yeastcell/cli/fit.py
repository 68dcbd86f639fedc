"""``yeastcell fit``: fit mechanistic parameters and/or a residual network to a Dataset file.

Prints each fitted parameter (core units: mM, min) with its 95 % confidence interval (from the
Fisher information, Gauss–Newton, on the log-parameter scale; `yeastcell.fit.confidence_intervals`)
and, with ``-o``, writes the result JSON (parameters, confidence intervals with their method, loss,
validation loss, starts, epochs) atomically; a trained residual network goes to
``<output>.residual.h5``.
"""

from __future__ import annotations

import json
import sys

import optax

from ..cells import AbstractCell, ConcentrationCell
from ..compile import compile_model
from ..data import Dataset
from ..exceptions import SimulationInputError
from ..fit import FitParameter, confidence_intervals, fit
from ..hybrid import HybridCell, hybridize, save_residual
from ..io import atomic_path
from ..load import load_model
from ._help import examples
from .petab_fit import is_petab_problem, run_petab


def add_parser(sub, default_model: str) -> None:
    """Register ``yeastcell fit`` on an argparse sub-parser set."""
    ft = sub.add_parser(
        "fit",
        help="fit parameters and/or a residual network to a Dataset (yeastcell.fit)",
        description="Fit mechanistic parameters (core units: mM, min) and/or a residual network to a dataset.",
        epilog=examples(
            "yeastcell fit data.csv -p HXK.Vmax=10:1000 -p PFK.Vmax -o fit.json",
            "yeastcell fit problem.yaml --starts 10 -o fit_out/    # a PEtab problem (yeastcell.petab)",
            "yeastcell simulate -p wt --params fit.json    # simulate with the fitted values",
            "yeastcell info --parameters    # the parameter names a fit can take",
        ),
    )
    ft.add_argument(
        "data", help="Dataset file: HDF5 (.h5) or long table (CSV/TSV), or a PEtab problem (.yaml: a multi-start fit)"
    )
    ft.add_argument(
        "-m", "--model", default=default_model, help="model: embedded name, YAML file or SBML file (.xml, .sbml)"
    )
    ft.add_argument(
        "-p",
        "--param",
        action="append",
        help="parameter to fit: NAME or NAME=LOWER:UPPER (core units; names: 'yeastcell info MODEL --parameters')",
    )
    ft.add_argument("--observables", nargs="+", help="fit only these observables of the dataset (default: all)")
    ft.add_argument("--residual", nargs="+", metavar="REACTION", help="train a residual on these reactions' rates")
    ft.add_argument("--width", type=int, default=16, help="residual hidden width")
    ft.add_argument("--optimizer", choices=("adam", "lm"), default="adam")
    ft.add_argument("--lr", type=float, default=0.05)
    ft.add_argument("--epochs", type=int, default=100)
    ft.add_argument(
        "--starts",
        type=int,
        default=1,
        help="number of optimisation starts (seeded; a PEtab problem draws each within its bounds)",
    )
    ft.add_argument("--seed", type=int, default=0, help="seed of the random starts")
    ft.add_argument("--sigma", type=float, default=0.2, help="noise sd (log2 units)")
    ft.add_argument("--validation", type=float, default=None, help="fraction of conditions held out for early stopping")
    ft.add_argument("--checkpoint", help="checkpoint folder (resume by rerunning the same command)")
    ft.add_argument(
        "--ci-level",
        type=float,
        default=0.95,
        help="confidence level of the parameter intervals (Fisher information; default 0.95; 0: none)",
    )
    ft.add_argument("--maxiter", type=int, default=200, help="PEtab problems: L-BFGS-B iterations per start")
    ft.add_argument("-o", "--output", help="result JSON (atomic); for a PEtab problem the output folder")
    ft.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    ft.set_defaults(func=run)


def run(args) -> int:
    """Fit and print the parameters (NAME or NAME=LOWER:UPPER per ``--param``, core units); exit
    status 2 for a malformed ``--param``."""
    if is_petab_problem(args.data):
        return run_petab(args)
    if not 0.0 <= args.ci_level < 1.0:
        print(f"yeastcell: error: --ci-level must be in [0, 1), got {args.ci_level:g}", file=sys.stderr)
        return 2
    path = args.data
    ds = Dataset.from_hdf5(path) if str(path).endswith((".h5", ".hdf5")) else Dataset.from_table(path)
    if args.observables:
        ds = ds.subset(observables=args.observables)
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
    model: AbstractCell = cell
    if args.residual:
        if not isinstance(cell, ConcentrationCell):
            print(
                f"yeastcell: error: --residual needs a concentration model; {args.model} has amount semantics",
                file=sys.stderr,
            )
            return 2
        model = hybridize(cell, rate_targets=args.residual, width=args.width, depth=1)
    optimizer = "lm" if args.optimizer == "lm" else None
    if args.optimizer == "adam":
        optimizer = optax.adam(args.lr)
    res = fit(
        model,
        ds,
        params=params or None,
        optimizer=optimizer,
        epochs=args.epochs,
        starts=args.starts,
        seed=args.seed,
        validation_fraction=args.validation,
        checkpoint_dir=args.checkpoint,
        progress=False if args.quiet else None,
        sigma_log2=args.sigma,
    )
    out = {
        "parameters": res.parameters,
        "loss": res.loss,
        "val_loss": res.val_loss,
        "starts": res.starts,
        "epochs": len(res.history),
    }
    ci = None
    if res.fittable.params and args.ci_level:
        try:
            ci = confidence_intervals(res.fittable, ds, level=args.ci_level, sigma_log2=args.sigma)
        except SimulationInputError as err:
            print(f"no confidence intervals: {err}", file=sys.stderr)
    if ci is not None:
        out["confidence_intervals"] = ci
    for k, v in res.parameters.items():
        c = (ci or {}).get("parameters", {}).get(k)
        if c is None:
            print(f"{k}\t{v:.6g}")
        elif c["lower"] is None:
            print(f"{k}\t{v:.6g}\tCI: none (not identifiable: a flat direction of the fit)")
        else:
            flag = "" if c["identifiable"] else "  (poorly identified)"
            print(f"{k}\t{v:.6g}\t[{c['lower']:.4g}, {c['upper']:.4g}]{flag}")
    if ci is not None:
        print(f"{ci['method']} (noise sd {args.sigma:g} log2 units)")
    if args.output:
        with atomic_path(args.output) as tmp:
            tmp.write_text(json.dumps(out, indent=1))
        if args.residual:
            assert isinstance(res.model, HybridCell)  # fitted from the hybridized model
            save_residual(res.model.net, str(args.output) + ".residual.h5")
        print(f"wrote {args.output}")
    return 0
