"""``yeastcell predict``: steady states of gene-deletion strains, optionally with their measured
proteomes, as log2 ratios to the wild type (`yeastcell.predict`).

Prints one line per strain (solved, with its largest changes, or failed, with the reason) and, with
``-o``, writes the predictions as a Dataset file (long CSV/TSV table or HDF5), atomically: an
interrupted or failed run leaves no file. Every input (strains, the proteome table, the model, the
condition, the output path) is checked before anything is solved; bad input exits with status 2
and writes nothing. Exit status 3 when some strain's solve failed (the others are written).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..exceptions import DatasetError
from ..perturb.proteome import ProteomeTable
from ..predict import check_output_suffix, predict
from ._help import examples


def add_parser(sub, default_model: str) -> None:
    """Register ``yeastcell predict`` on an argparse sub-parser set."""
    p = sub.add_parser(
        "predict",
        help="predict strains' steady states (deletions, optionally with measured proteomes) as log2 ratios to wt",
        description=(
            "Predict the steady state of gene-deletion strains as log2 ratios to the wild type of every\n"
            "metabolite, every observable of the model and, in a model with a proteome layer, every protein.\n"
            "With --proteome, each strain's measured protein levels (log2 ratios to the wild type) set the\n"
            "model's protein amounts (reference x 2^ratio; unmeasured proteins keep the reference level;\n"
            "the deleted gene's protein stays 0). A strain whose gene the model lacks acts only through its\n"
            "measured proteome; without a proteome row it is an error. Output: a Dataset file (log2fc vs wt)."
        ),
        epilog=examples(
            "yeastcell predict PFK2 HXK2 PDC1,PDC5 -c aerobic_clamped -o pred.csv",
            "yeastcell predict --all-strains --proteome kko_proteome.tsv -c aerobic_clamped -o pred.csv",
            "yeastcell predict YGL253W --proteome levels.csv -m fit.json.residual.h5 --params fit.json -o pred.h5",
            "yeastcell genes    # the genes a model knows (ORFs and names)",
        ),
    )
    p.add_argument(
        "strains",
        nargs="*",
        metavar="STRAIN",
        help="deleted gene(s) per strain: ORF or name, GENE1,GENE2 for a multiple deletion, or wt",
    )
    p.add_argument(
        "-m",
        "--model",
        default=default_model,
        help="model: embedded name, YAML file, SBML file (.xml, .sbml), or a residual network file (.h5) "
        "written by 'yeastcell fit --residual' (a hybrid on --base-model)",
    )
    p.add_argument("--base-model", default=default_model, help="the mechanistic model a residual file (.h5) extends")
    p.add_argument(
        "--params",
        metavar="FIT.json",
        help="set parameters (core units) from a fit result: the JSON of 'yeastcell fit -o' or a checkpoint folder",
    )
    p.add_argument(
        "--proteome",
        metavar="FILE",
        help="measured protein levels, log2 ratio to wt: CSV/TSV, wide (first column strain id, one column per "
        "protein ORF or name) or long (columns strain, gene, log2_ratio)",
    )
    p.add_argument(
        "--allow-missing",
        action="store_true",
        help="empty cells of --proteome mean 'not measured in that strain' (the protein keeps its reference level)",
    )
    p.add_argument("--strains-file", metavar="FILE", help="more strains, one per line ('#' starts a comment)")
    p.add_argument("--all-strains", action="store_true", help="predict every strain (row) of --proteome")
    p.add_argument(
        "-c",
        "--condition",
        help="named condition of the model (or a perturbation string) for every strain and the wild type; it "
        "must have a steady state, e.g. aerobic_clamped for yeast_core",
    )
    p.add_argument(
        "--method",
        choices=("steady_state", "linear"),
        default="steady_state",
        help="steady_state: solve each strain's steady state; linear: the wild type's linear response "
        "(control coefficients) times each strain's protein log2 ratios (a deletion counts as -3), "
        "one linearisation for all strains",
    )
    p.add_argument("--t-max", type=float, default=1e5, help="steady-state search horizon (min)")
    p.add_argument(
        "--tol", type=float, default=1e-9, help="steady-state convergence threshold (relative residual, 1/min)"
    )
    p.add_argument("-o", "--out", help="output Dataset file: .csv/.tsv (long table, optionally .gz) or .h5")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def read_strain_file(path: str) -> list[str]:
    """Strain ids from a text file, one per line; blank lines and ``#`` comments are skipped."""
    p = Path(path)
    if not p.is_file():
        raise DatasetError(f"{p}: no such strains file")
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"{p}: cannot read as UTF-8 text ({err})") from None
    return [s for s in (line.split("#", 1)[0].strip() for line in lines) if s]


def run(args) -> int:
    """Predict every strain; exit status 0 when all were solved, 3 when some failed, 2 for bad input."""
    if args.out:
        check_output_suffix(args.out)
    table = ProteomeTable.read(args.proteome, allow_missing=args.allow_missing) if args.proteome else None
    strains = list(args.strains)
    if args.strains_file:
        strains += read_strain_file(args.strains_file)
    if args.all_strains:
        if table is None:
            print("yeastcell: error: --all-strains needs --proteome", file=sys.stderr)
            return 2
        have = {s.upper() for s in strains}
        strains += [s for s in table.strains if s.upper() not in have]
    if not strains:
        print("yeastcell: error: no strains given (STRAIN ..., --strains-file or --all-strains)", file=sys.stderr)
        return 2
    pred = predict(
        args.model,
        strains,
        table,
        condition=args.condition,
        base_model=args.base_model,
        parameters=args.params,
        t_max=args.t_max,
        tol=args.tol,
        progress=False if args.quiet else None,
        method=args.method,
    )
    print(pred.summary())
    if pred.coverage is not None:
        print(pred.coverage.summary())
    if pred.dropped:
        print(f"not reported (wild-type value 0): {', '.join(pred.dropped)}")
    n_ok = int(pred.ok.sum())
    if n_ok < len(pred.strains):
        print(f"{len(pred.strains) - n_ok} of {len(pred.strains)} strains failed; they are not in the output")
    if args.out:
        if pred.dataset is None:
            print("no strain was solved; nothing written", file=sys.stderr)
        else:
            pred.write(args.out)
            print(f"wrote {args.out} ({n_ok} strains x {len(pred.dataset.observables)} observables, log2 ratio to wt)")
    return 0 if n_ok == len(pred.strains) else 3
