"""Growth media as data: bounds on exchange reactions.

A :class:`Medium` maps exchange-reaction ids to ``(lower, upper)`` flux bounds
in mmol gDW⁻¹ h⁻¹ (uptake is negative flux, cobrapy's convention). With
``close_exchanges=True`` (Yeast-GEM's and RAVEN's "clean slate") every exchange
reaction first gets ``lb = 0`` and ``ub = close_upper`` (no uptake, free
secretion), and then the listed bounds are applied.

Exchange reactions are found as in RAVEN's ``getExchangeRxns``, which
Yeast-GEM's own tests use: columns of ``S`` with no products or no reactants;
except the enzyme-pool and enzyme-usage columns of an enzyme-constrained model
(:mod:`yeastcell.gem.enzyme`, metabolites ``prot_*``, as in GECKO), which are
protein budgets of the cell, not exchanges with the medium.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from yeastcell.exceptions import MediumError, UnknownReactionError
from yeastcell.gem.load import GEM

__all__ = ["Medium", "read_medium", "apply_medium", "exchange_reactions", "ENZYME_METABOLITE_PREFIX"]

#: Id prefix of the enzyme metabolites of an enzyme-constrained model (GECKO's naming): columns
#: touching only such metabolites are not exchange reactions.
ENZYME_METABOLITE_PREFIX = "prot_"


@dataclasses.dataclass(frozen=True)
class Medium:
    """Exchange bounds that define a growth medium.

    Attributes:
        bounds: reaction id → ``(lb, ub)``, mmol gDW⁻¹ h⁻¹.
        close_exchanges: first set every exchange reaction to ``(0, close_upper)``.
        close_upper: upper bound given to all exchanges when closing them.
        name: label for reports.
    """

    bounds: Mapping[str, tuple[float, float]]
    close_exchanges: bool = True
    close_upper: float = 1000.0
    name: str = ""

    def __post_init__(self) -> None:
        clean = {}
        for rid, b in self.bounds.items():
            try:
                lo, hi = (float(b[0]), float(b[1]))
            except (TypeError, ValueError, IndexError) as e:
                raise MediumError(f"bounds of {rid!r} must be (lb, ub), got {b!r}") from e
            if math.isnan(lo) or math.isnan(hi):
                raise MediumError(f"bounds of {rid!r} contain NaN")
            if lo > hi:
                raise MediumError(f"lower bound {lo} above upper bound {hi} for {rid!r}")
            clean[rid] = (lo, hi)
        object.__setattr__(self, "bounds", dict(clean))


def read_medium(path: str | os.PathLike, *, close_exchanges: bool = True, upper: float = 1000.0) -> Medium:
    """Read a medium table (tab-separated, ``#`` comments).

    Columns: ``reaction`` and ``lower_bound`` (mmol gDW⁻¹ h⁻¹), optionally
    ``upper_bound`` (default ``upper``); other columns (notes) are ignored.

    Args:
        path: the file, e.g. Yeast-GEM's ``medium_synthetic_complete.tsv``.
        close_exchanges: see :class:`Medium`.
        upper: upper bound for rows without ``upper_bound`` and for closed exchanges.

    Raises:
        MediumError: missing columns or unparsable numbers.
        FileNotFoundError: the file does not exist.
    """
    path = Path(path)
    rows = [
        ln.rstrip("\n").split("\t")
        for ln in path.read_text().splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not rows:
        raise MediumError(f"{path}: empty medium file")
    header = [h.strip() for h in rows[0]]
    if "reaction" not in header or "lower_bound" not in header:
        raise MediumError(f"{path}: need columns 'reaction' and 'lower_bound', got {header}")
    ir, il = header.index("reaction"), header.index("lower_bound")
    iu = header.index("upper_bound") if "upper_bound" in header else None
    bounds = {}
    for n, row in enumerate(rows[1:], start=2):
        try:
            lo = float(row[il])
            hi = float(row[iu]) if iu is not None and row[iu].strip() else upper
        except (ValueError, IndexError) as e:
            raise MediumError(f"{path}: bad row {n}: {row}") from e
        rid = row[ir].strip()
        if rid in bounds:
            raise MediumError(f"{path}: reaction {rid!r} listed twice")
        bounds[rid] = (lo, hi)
    return Medium(bounds=bounds, close_exchanges=close_exchanges, close_upper=upper, name=path.stem)


def exchange_reactions(gem: GEM) -> np.ndarray:
    """Indices of exchange reactions: columns of ``S`` without products or without reactants."""
    S = gem.S.tocsc()
    n = gem.n_reactions
    has_prod = np.zeros(n, dtype=bool)
    has_reac = np.zeros(n, dtype=bool)
    cols = np.repeat(np.arange(n), np.diff(S.indptr))
    has_prod[cols[S.data > 0]] = True
    has_reac[cols[S.data < 0]] = True
    enzyme_met = np.array([m.startswith(ENZYME_METABOLITE_PREFIX) for m in gem.metabolite_ids], dtype=bool)
    other = np.zeros(n, dtype=bool)
    other[cols[~enzyme_met[S.indices]]] = True  # touches a metabolite that is not an enzyme
    budget = np.zeros(n, dtype=bool)
    budget[cols[enzyme_met[S.indices]]] = True
    budget &= ~other  # touches enzyme metabolites only: a protein budget
    return np.flatnonzero((~has_prod | ~has_reac) & ~budget)


def apply_medium(gem: GEM, medium: Medium) -> GEM:
    """Return ``gem`` with the medium's exchange bounds.

    Raises:
        UnknownReactionError: the medium names a reaction the model lacks.
        MediumError: the medium bounds a reaction that is not an exchange.
    """
    lookup = {r: i for i, r in enumerate(gem.reaction_ids)}
    missing = [r for r in medium.bounds if r not in lookup]
    if missing:
        raise UnknownReactionError(missing, gem.reaction_ids)
    ex = exchange_reactions(gem)
    is_ex = np.zeros(gem.n_reactions, dtype=bool)
    is_ex[ex] = True
    not_ex = [r for r in medium.bounds if not is_ex[lookup[r]]]
    if not_ex:
        raise MediumError(f"medium {medium.name!r} bounds non-exchange reactions {not_ex}")
    lb, ub = gem.lb.copy(), gem.ub.copy()
    if medium.close_exchanges:
        lb[ex] = 0.0
        ub[ex] = medium.close_upper
    for rid, (lo, hi) in medium.bounds.items():
        lb[lookup[rid]], ub[lookup[rid]] = lo, hi
    return gem.replace(lb=lb, ub=ub)
