"""Gene names of a genome-scale model: systematic ids or standard names -> gene indices (the one
name resolver of the GEM layer, used by the CPU screen and the JAX LP engine)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from yeastcell.exceptions import UnknownGeneError
from yeastcell.gem.load import GEM

__all__ = ["resolve_genes"]


def resolve_genes(gem: GEM, names: Iterable[str]) -> np.ndarray:
    """Gene indices for systematic ids or standard names.

    Matching is exact on ids, then case-insensitive on ids and standard names
    (from the model's own gene annotations, e.g. ``"ADH1"`` → ``"YOL086C"``).

    Raises:
        UnknownGeneError: some names match no gene (with close matches). A
            standard name shared by several genes is also rejected.
    """
    exact = {g: i for i, g in enumerate(gem.gene_ids)}
    folded: dict[str, set[int]] = {}
    for i, (g, n) in enumerate(zip(gem.gene_ids, gem.gene_names)):
        folded.setdefault(g.upper(), set()).add(i)
        if n:
            folded.setdefault(n.upper(), set()).add(i)
    out, missing = [], []
    for name in names:
        if name in exact:
            out.append(exact[name])
            continue
        hits = folded.get(str(name).upper(), set())
        if len(hits) == 1:
            out.append(next(iter(hits)))
        elif len(hits) > 1:
            ids = sorted(gem.gene_ids[i] for i in hits)
            raise UnknownGeneError([f"{name} (ambiguous: {', '.join(ids)})"], ids)
        else:
            missing.append(str(name))
    if missing:
        raise UnknownGeneError(missing, list(gem.gene_ids) + [n for n in gem.gene_names if n])
    return np.array(out, dtype=np.int64)
