"""``yeastcell genes``: the genes (ORFs) of a model, their names, proteins and reactions."""

from __future__ import annotations

from .. import gpr
from ..load import load_model


def add_parser(sub, default_model: str) -> None:
    """Register ``yeastcell genes`` on an argparse sub-parser set."""
    g = sub.add_parser("genes", help="list the genes (ORFs) of a model")
    g.add_argument("-m", "--model", default=default_model)
    g.set_defaults(func=run)


def run(args) -> int:
    """Print one line per gene: ORF, standard name, protein species, reactions its rules name."""
    spec = load_model(args.model)
    prot_of = {g.orf: g.protein for g in spec.genes}
    rx_of: dict[str, list[str]] = {}
    for r in spec.reactions:
        for orf in gpr.genes_of(gpr.parse(r.gpr)) if r.gpr else ():
            rx_of.setdefault(orf, []).append(r.id)
    print(f"{'ORF':10s} {'name':8s} {'protein':10s} reactions")
    for g in spec.genes:
        print(f"{g.orf:10s} {g.name or '':8s} {prot_of[g.orf] or '':10s} {', '.join(rx_of.get(g.orf, []))}")
    return 0
