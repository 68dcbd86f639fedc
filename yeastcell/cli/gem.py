"""Genome-scale model commands: ``yeastcell screen`` (gene-deletion screens by FBA, growth in
1/h; ``--relative-growth``: every gene's deletion under the enzyme constraint, relative to the
wild type) and ``yeastcell gem-test`` (Yeast-GEM's own essentiality and chemostat tests)."""

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
            "yeastcell screen -m yeast-GEM.yml --medium medium_synthetic_complete.tsv --relative-growth -o rel.csv",
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
    rg = sc.add_argument_group(
        "relative growth under the enzyme constraint",
        "a table for every gene of the combined model: the GEM's genes (deletions of the "
        "enzyme-constrained GEM, GECKO 3 kcats from the reference data's gecko/ folder) and the "
        "kinetic/signaling model's genes (those not in the GEM marked 'not in the genome-scale model')",
    )
    rg.add_argument(
        "--relative-growth",
        action="store_true",
        help="single deletions of every gene under the enzyme constraint, growth relative to the wild type",
    )
    rg.add_argument(
        "--kinetic-model",
        default="yeast_cell",
        help="model whose genes join the table (embedded name or file; default yeast_cell, the whole cell)",
    )
    rg.add_argument(
        "--saturation",
        type=float,
        default=None,
        help="average enzyme saturation sigma in (0, 1] (default 0.5, GECKO's); pool = Ptot*f*sigma",
    )
    rg.add_argument("--pool-bound", type=float, default=None, help="enzyme pool bound P in g/gDW (instead of sigma)")
    rg.add_argument(
        "--enzyme-data",
        default=None,
        help="folder holding gecko/ (kcats, masses, PaxDb, Ptot); default the reference data",
    )
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
    if args.relative_growth:
        return run_relative_growth(args)
    for opt in ("saturation", "pool_bound", "enzyme_data"):
        if getattr(args, opt) is not None:
            raise GemError(f"--{opt.replace('_', '-')} applies to --relative-growth only")
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


def run_relative_growth(args) -> int:
    """Every gene's deletion under the enzyme constraint: growth relative to the wild type, a table."""
    import time

    from ..gem.enzyme import DEFAULT_SATURATION, enzyme_constrained
    from ..gem.enzyme_data import load_enzyme_data
    from ..gem.relative_growth import relative_growth_table
    from ..load import load_model

    if args.pairs or args.all_pairs:
        raise GemError("--relative-growth screens single deletions; drop --pairs/--all-pairs")
    if args.engine != "highs":
        raise GemError("--relative-growth uses the HiGHS engine; drop --engine jax")
    if args.saturation is not None and args.pool_bound is not None:
        raise GemError("give --saturation or --pool-bound, not both")
    medium = read_medium(args.medium) if args.medium else None
    kinetic = load_model(args.kinetic_model)  # validated before the slow steps
    gem = load_gem(args.gem)
    if not gem.gene_ids:
        raise GemFileError(
            f"{args.gem}: the model has no genes (no gene-reaction rules), so there is nothing to delete"
        )
    data = load_enzyme_data(gem, args.enzyme_data)
    sigma = DEFAULT_SATURATION if args.saturation is None else args.saturation
    ec = enzyme_constrained(gem, data, saturation=sigma, pool_bound=args.pool_bound)
    t0 = time.perf_counter()
    table = relative_growth_table(
        ec,
        medium,
        genes=args.genes,
        other_genes=[(g.orf, g.name or "") for g in kinetic.genes],
        processes=args.processes,
    )
    seconds = time.perf_counter() - t0
    counts = table["effect"].value_counts()
    print(
        f"enzyme pool {ec.pool_bound:.4g} g/gDW (sigma {ec.saturation:.3g}); wild-type growth "
        f"{table.attrs['wild_type_growth']:.6g} /h; {len(table)} genes "
        f"({int(table['in_gem'].sum())} in the GEM, {int((~table['in_gem']).sum())} only in {args.kinetic_model}); "
        f"{table.attrs['n_lps']} LPs in {seconds:.1f} s"
    )
    print("; ".join(f"{k}: {v}" for k, v in counts.items()))
    if args.out:
        with atomic_path(args.out) as tmp:
            table.to_csv(tmp, index=False)
        print(f"wrote {args.out}")
    else:
        print(table.to_string(max_rows=40, index=False))
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
