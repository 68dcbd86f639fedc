"""The `yeastcell` argument parser and dispatcher: one sub-command per module of this package."""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..exceptions import YeastcellError
from ..models import DEFAULT_MODEL
from . import bench, compare, fit, gem, genes, info, loop, simulate
from ._help import Parser


def build_parser() -> argparse.ArgumentParser:
    """The parser of every sub-command; each sets ``func``, the function that runs it. Every
    option's help shows its default (`_help.HelpFormatter`)."""
    p = Parser(prog="yeastcell", description="A virtual yeast cell: simulate perturbations.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    simulate.add_parser(sub, DEFAULT_MODEL)
    info.add_parser(sub, DEFAULT_MODEL)
    genes.add_parser(sub, DEFAULT_MODEL)
    gem.add_screen_parser(sub)
    gem.add_gem_test_parser(sub)
    bench.add_parser(sub)
    loop.add_parser(sub)
    compare.add_parser(sub, DEFAULT_MODEL)
    fit.add_parser(sub, DEFAULT_MODEL)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: ``sys.argv[1:]``); returns the exit status.

    A `YeastcellError` (bad input: unknown names, malformed files) is printed as one
    ``yeastcell: error: ...`` line with exit status 2, not a traceback.
    """
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
