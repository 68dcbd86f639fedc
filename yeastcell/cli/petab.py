"""``yeastcell petab yeast FOLDER``: write the project's yeast fitting problems as PEtab v2 problems
(`yeastcell.petab.yeast`), one sub-folder each, from the reference data.

Every name is checked before anything is written; a problem folder that exists is an error (exit
status 2) and nothing half-written is left (each problem folder appears whole or not at all).
"""

from __future__ import annotations

from ._help import examples


def add_parser(sub) -> None:
    """Register ``yeastcell petab`` on an argparse sub-parser set."""
    p = sub.add_parser(
        "petab",
        help="exchange problems with other PEtab tools (write the project's yeast problems)",
        description="PEtab v2 problems for other tools (AMICI, PEtab.jl, pyPESTO).",
    )
    commands = p.add_subparsers(dest="petab_command", required=True)
    y = commands.add_parser(
        "yeast",
        help="write the project's yeast fitting problems as PEtab v2 problems",
        description=(
            "Write the project's yeast fits as PEtab v2 problems, one folder each: the SBML model, the\n"
            "experiments, the measurements (from the reference data: YEASTCELL_REFERENCE_DATA or\n"
            "../shared/data), the observables with their noise, and the parameters to estimate."
        ),
        epilog=examples(
            "yeastcell petab yeast yeast_petab/",
            "yeastcell petab yeast yeast_petab/ --problems vanheerden2014_glucose_pulse",
            "yeastcell fit yeast_petab/vanheerden2014_glucose_pulse/problem.yaml -o fit_out/",
        ),
    )
    y.add_argument("folder", help="output folder (one sub-folder per problem)")
    y.add_argument("--problems", nargs="+", metavar="NAME", help="which problems (default: all)")
    y.set_defaults(func=run_yeast)


def run_yeast(args) -> int:
    from ..petab.yeast import write_yeast_problems

    for path in write_yeast_problems(args.folder, args.problems):
        print(f"wrote {path}")
    return 0
