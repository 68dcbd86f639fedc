"""Relative growth rate of every gene deletion under the enzyme constraint, as one table.

For every gene of the enzyme-constrained GEM (and any other genes the caller names, e.g. those of
the kinetic and signaling modules of the whole-cell model), the growth rate of the single deletion
relative to the wild type on a medium, by :func:`~yeastcell.gem.screen.knockout_screen` on
``ECModel.gem``. With isoenzymes split into columns (:mod:`yeastcell.gem.enzyme`, the default) a
deletion removes exactly the isoenzymes it breaks and the reaction is re-priced with the cheapest
one left, so a deletion changes growth quantitatively, not only lethal/viable.

Each row says what the model can say about the gene (column ``effect``):

* ``"not in the genome-scale model"``: the gene has no reaction in the GEM (``relative_growth``
  NaN: the model cannot predict it, which is not the same as "no effect");
* ``"no reaction or enzyme cost changed"``: every reaction of the gene keeps an isoenzyme as cheap
  as before (the deletion removes no column or only dearer isoenzyme columns, which an optimum
  never needs), so the LP's optimum cannot change (``relative_growth`` 1.0 by construction);
* ``"lethal"`` (relative growth < ``lethal_below`` or no feasible flux), ``"reduced"`` (below
  ``1 - tolerance``), ``"none"`` (reactions or costs change, growth does not).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from yeastcell.gem.enzyme import ECModel
from yeastcell.gem.gpr import compile_gpr
from yeastcell.gem.medium import Medium
from yeastcell.gem.screen import knockout_screen, single_deletion_matrix

__all__ = ["EFFECTS", "cheapest_columns", "relative_growth_table"]

NOT_IN_GEM = "not in the genome-scale model"
NO_CHANGE = "no reaction or enzyme cost changed"
EFFECTS = ("lethal", "reduced", "none", NO_CHANGE, NOT_IN_GEM)
COLUMNS = ["orf", "name", "in_gem", "relative_growth", "growth", "status", "effect", "n_deleted_columns"]


def cheapest_columns(ec: ECModel) -> np.ndarray:
    """Bool ``(ec.gem.n_reactions,)``: the columns whose loss changes the LP's optimum set, i.e.
    every column except a dearer isoenzyme column of a reaction direction that has a cheaper one
    (an isoenzyme column parallel to a cheaper one with the same bounds is dominated)."""
    base, rev, cost = ec.base_column, ec.reverse, ec.column_cost
    out = np.ones(len(base), dtype=bool)
    keep = base >= 0
    best: dict[tuple[int, bool], float] = {}
    for j in np.flatnonzero(keep):
        key = (int(base[j]), bool(rev[j]))
        best[key] = min(best.get(key, np.inf), cost[j])
    for j in np.flatnonzero(keep):
        out[j] = cost[j] <= best[(int(base[j]), bool(rev[j]))]
    return out


def relative_growth_table(
    ec: ECModel,
    medium: Medium | None = None,
    *,
    genes: Sequence[str] | None = None,
    other_genes: Sequence[tuple[str, str]] = (),
    processes: int = 1,
    lethal_below: float = 1e-6,
    tolerance: float = 1e-6,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Relative growth (deletion / wild type) of single-gene deletions, one row per gene.

    Args:
        ec: the enzyme-constrained model (:func:`~yeastcell.gem.enzyme.enzyme_constrained`).
        medium: applied first (:func:`~yeastcell.gem.medium.apply_medium`).
        genes: GEM genes to delete (ids or standard names); default every gene of the GEM.
        other_genes: ``(ORF, name)`` pairs of further genes (e.g. the kinetic model's); those
            already in the GEM are not repeated, the others get a row marked
            ``"not in the genome-scale model"``.
        processes: worker processes for the knockout LPs (``0``: all cores).
        lethal_below: relative growth below which a deletion counts as lethal.
        tolerance: relative growth below ``1 - tolerance`` counts as reduced.
        progress: progress bar over the LPs (default: when stderr is a terminal).

    Returns:
        DataFrame indexed by ORF with columns ``orf``, ``name``, ``in_gem``, ``relative_growth``
        (NaN: not in the GEM, or no feasible flux), ``growth`` (h⁻¹), ``status``, ``effect`` (see
        the module docstring) and ``n_deleted_columns`` (LP columns the deletion removes: isoenzyme
        columns and split directions). ``attrs["wild_type_growth"]`` (h⁻¹) and ``attrs["n_lps"]``.

    Raises:
        UnknownGeneError: a name in ``genes`` is not a gene of the GEM (with suggestions).
        InfeasibleError: the wild type cannot grow on ``medium`` under the enzyme pool.
        ValueError: ``lethal_below`` or ``tolerance`` outside [0, 1); ``ec`` built with
            ``isoenzymes="cheapest"`` (a deletion of its cheapest isoenzyme would not re-price).
    """
    if ec.isoenzymes != "split":
        raise ValueError(
            f"relative growth needs an ECModel built with isoenzymes='split' (got {ec.isoenzymes!r}): "
            "with one column per reaction, deleting the cheapest isoenzyme does not re-price the reaction"
        )
    for name, x in (("lethal_below", lethal_below), ("tolerance", tolerance)):
        if not (0 <= x < 1):
            raise ValueError(f"{name} must be in [0, 1), got {x!r}")
    gpr = compile_gpr(ec.gem.gene_rules, ec.gem.gene_ids)
    df = knockout_screen(ec.gem, genes=genes, medium=medium, processes=processes, gpr=gpr, progress=progress)
    ratio = df["growth_ratio"].to_numpy(dtype=np.float64)
    n_del = df["n_deleted_reactions"].to_numpy()
    gene_index = {g: i for i, g in enumerate(ec.gem.gene_ids)}
    deleted = single_deletion_matrix(gpr)[:, [gene_index[g] for g in df["orf"]]]  # (n_cols, n_rows)
    changes = (deleted & cheapest_columns(ec)[:, None]).any(axis=0)
    effect = np.where(
        ~changes,
        NO_CHANGE,
        np.where(
            ~(ratio >= lethal_below),  # NaN (infeasible) counts as lethal
            "lethal",
            np.where(ratio < 1 - tolerance, "reduced", "none"),
        ),
    )
    table = pd.DataFrame(
        {
            "orf": df["orf"].to_numpy(),
            "name": df["name"].to_numpy(),
            "in_gem": True,
            "relative_growth": ratio,
            "growth": df["growth"].to_numpy(),
            "status": df["status"].to_numpy(),
            "effect": effect,
            "n_deleted_columns": n_del,
        },
        columns=COLUMNS,
    )
    in_gem = set(ec.gem.gene_ids)
    seen: set[str] = set()
    extra = []
    for orf, name in other_genes:
        if orf in in_gem or orf in seen:
            continue
        seen.add(orf)
        extra.append(
            {
                "orf": orf,
                "name": name or orf,
                "in_gem": False,
                "relative_growth": np.nan,
                "growth": np.nan,
                "status": "",
                "effect": NOT_IN_GEM,
                "n_deleted_columns": 0,
            }
        )
    if extra:
        table = pd.concat([table, pd.DataFrame(extra, columns=COLUMNS)], ignore_index=True)
    table.index = pd.Index(table["orf"], name="gene")
    table.attrs["wild_type_growth"] = df.attrs["wild_type_growth"]
    table.attrs["n_lps"] = df.attrs["n_lps"]
    return table
