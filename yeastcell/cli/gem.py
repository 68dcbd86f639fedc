"""Genome-scale model commands: ``yeastcell screen`` (gene-deletion screens by FBA, growth in
1/h) and ``yeastcell gem-test`` (Yeast-GEM's own essentiality and chemostat tests)."""

from __future__ import annotations

import itertools

from ..exceptions import GemError, GemFileError
from ..gem import chemostat_growth_test, essentiality_test, knockout_screen, load_gem, read_medium
from ..io import atomic_path
from ._help import examples


def add_screen_parser(sub) -> None:
    """Register ``yeastcell screen`` on an argparse sub-parser set."""
    sc = sub.add_parser(
        "screen",
        help="single/double gene-deletion screen of a genome-scale model (FBA) -> CSV",
        description="Delete genes singly or in pairs in a genome-scale model and report growth by FBA (1/h).",
        epilog=examples(
            "yeastcell screen --gem yeast-GEM.yml --medium medium_synthetic_complete.tsv -o screen.csv",
            "yeastcell screen -m yeast-GEM.xml --genes YGR192C YJR009C --pairs YGR192C+YJR009C",
        ),
    )
    sc.add_argument(
        "--gem",
        "-m",
        "--model",
        dest="gem",
        required=True,
        help="genome-scale model file with genes (SBML .xml/.sbml, JSON, YAML, MAT), e.g. yeast-GEM.yml",
    )
    sc.add_argument("--medium", help="medium TSV (exchange reaction, lower bound), e.g. medium_synthetic_complete.tsv")
    sc.add_argument("--genes", nargs="+", help="genes to delete one at a time (default: all, unless --pairs)")
    sc.add_argument("--pairs", nargs="+", help="double deletions as GENE1+GENE2")
    sc.add_argument(
        "--all-pairs",
        action="store_true",
        help="all pairs of --genes (default: of every gene of the model) as double deletions",
    )
    sc.add_argument(
        "--engine",
        choices=["highs", "jax"],
        default="highs",
        help="LP engine: highs (CPU, exact shortcuts) or jax (batched dual simplex)",
    )
    sc.add_argument("--processes", type=int, default=1, help="worker processes (0 = all cores)")
    sc.add_argument("--threshold", type=float, default=0.01, help="growth ratio counted as lethal in the summary")
    sc.add_argument("-o", "--out", help="output CSV")
    sc.set_defaults(func=run_screen)


def add_gem_test_parser(sub) -> None:
    """Register ``yeastcell gem-test`` on an argparse sub-parser set."""
    gt = sub.add_parser("gem-test", help="Yeast-GEM's own validation tests (reference data needed)")
    gt.add_argument("which", choices=["essentiality", "chemostat"])
    gt.add_argument("--gem", default=None, help="model file (default: Yeast-GEM from the reference data)")
    gt.add_argument("--processes", type=int, default=1)
    gt.set_defaults(func=run_gem_test)


def run_screen(args) -> int:
    """Delete genes (singly, in pairs) and print or write the growth of each deletion (1/h)."""
    for p in args.pairs or []:
        parse_pair(p)  # before loading the model
    gem = load_gem(args.gem)
    if not gem.gene_ids:
        raise GemFileError(
            f"{args.gem}: the model has no genes (no gene products or gene-reaction rules), so there is "
            "nothing to delete; a knockout screen needs a genome-scale model with gene rules (e.g. Yeast-GEM)"
        )
    medium = read_medium(args.medium) if args.medium else None
    pairs = [parse_pair(p) for p in args.pairs] if args.pairs else None
    if args.all_pairs:
        pool = args.genes or list(gem.gene_ids)
        pairs = (pairs or []) + list(itertools.combinations(pool, 2))
        print(f"{len(pairs)} gene pairs")
    genes = args.genes if (args.genes or pairs) else None
    if pairs is not None and (not args.genes or args.all_pairs):
        genes = []
    df = knockout_screen(gem, genes=genes, pairs=pairs, medium=medium, processes=args.processes, engine=args.engine)
    wt = df.attrs.get("wild_type_growth")
    print(
        f"wild-type growth {wt:.6g} /h; {len(df)} deletions; "
        f"{int((df['growth_ratio'] < args.threshold).sum())} below growth ratio {args.threshold:g}"
    )
    if args.out:
        out = df.drop(columns=["genes"]).assign(genes=["+".join(g) for g in df["genes"]])
        with atomic_path(args.out) as tmp:
            out.to_csv(tmp)
        print(f"wrote {args.out}")
    else:
        print(df.drop(columns=["genes"]).to_string(max_rows=40))
    return 0


def parse_pair(text: str) -> tuple[str, str]:
    """``GENE1+GENE2`` as a pair of gene names; anything else raises `GemError` naming the item."""
    parts = tuple(g.strip() for g in text.split("+"))
    if len(parts) != 2 or not all(parts):
        raise GemError(
            f"--pairs {text!r}: expected two genes as GENE1+GENE2 (a double deletion), got {len(parts)} part(s)"
            + ("; triple deletions are not supported" if len(parts) > 2 else "")
        )
    return parts


def run_gem_test(args) -> int:
    """Run one of Yeast-GEM's validation tests, printing its report."""
    if args.which == "essentiality":
        essentiality_test(args.gem, processes=args.processes, verbose=True)
    else:
        chemostat_growth_test(args.gem, verbose=True)
    return 0
