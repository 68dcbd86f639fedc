"""Batched gene-knockout growth with the JAX LP engine.

Signature (called by ``knockout_screen(..., engine="jax")``)::

    knockout_growth_batch(gem, knockouts, medium=None, *, engine=None, gpr=None,
                          chunk=1, max_iter=20_000) -> KnockoutGrowth

``knockouts`` is either a boolean array ``(n_perturbations, n_genes)`` (True =
gene deleted, columns in ``gem.gene_ids`` order) or a sequence of gene lists
(ids or standard names; a bare string is one single-gene knockout). Each
knockout sets the bounds of the reactions its genes delete (cobrapy's GPR
semantics, :mod:`yeastcell.gem.gpr`) to zero; all LPs are solved by the dual
simplex in JAX, warm-started from the wild-type optimal basis.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from yeastcell.gem.errors import GemError
from yeastcell.gem.gpr import CompiledGPR, compile_gpr, reaction_activity
from yeastcell.gem.load import GEM
from yeastcell.gem.lp import status as st
from yeastcell.gem.lp.engine import LPEngine, make_engine, solve_bounds
from yeastcell.gem.medium import Medium, apply_medium

__all__ = ["KnockoutGrowth", "knockout_growth_batch", "knockout_masks"]


@dataclasses.dataclass(frozen=True, eq=False)
class KnockoutGrowth:
    """Growth of each knockout.

    Attributes:
        labels: gene ids joined by ``+`` per perturbation.
        growth: optimal objective (h⁻¹ for growth); NaN unless ``status == "optimal"``.
        status: ``"optimal"``, ``"infeasible"`` or ``"not_converged"`` per perturbation.
        iterations: dual simplex pivots per perturbation.
        wild_type_growth: the reference optimum (HiGHS, same medium).
        n_deleted_reactions: reactions whose bounds the knockout set to zero.
    """

    labels: tuple[str, ...]
    growth: np.ndarray
    status: np.ndarray
    iterations: np.ndarray
    wild_type_growth: float
    n_deleted_reactions: np.ndarray


def knockout_masks(gem: GEM, knockouts) -> np.ndarray:
    """Boolean ``(n_perturbations, n_genes)`` deletion masks from masks or gene lists.

    Raises:
        UnknownGeneError: a gene name matches no gene (with close matches).
        GemError: a mask of the wrong shape, or an empty list of knockouts.
    """
    from yeastcell.gem.screen import resolve_genes  # the one name resolver of the GEM layer

    if isinstance(knockouts, np.ndarray) and knockouts.dtype == bool:
        masks = np.atleast_2d(knockouts)
        if masks.shape[1] != gem.n_genes:
            raise GemError(f"knockout mask has {masks.shape[1]} columns, model has "
                           f"{gem.n_genes} genes")
        return masks
    if isinstance(knockouts, str):
        knockouts = [knockouts]
    knockouts = [[k] if isinstance(k, str) else list(k) for k in knockouts]
    if not knockouts:
        raise GemError("no knockouts given")
    masks = np.zeros((len(knockouts), gem.n_genes), dtype=bool)
    for i, genes in enumerate(knockouts):
        if genes:
            masks[i, resolve_genes(gem, genes)] = True
    return masks


def knockout_growth_batch(gem: GEM, knockouts: np.ndarray | Sequence, medium: Medium | None = None,
                          *, engine: LPEngine | None = None, gpr: CompiledGPR | None = None,
                          chunk: int = 1, max_iter: int = 20_000) -> KnockoutGrowth:
    """Optimal objective after each knockout, solved in JAX.

    Args:
        gem: the model (bounds = wild type).
        knockouts: deletion masks or gene lists (see module docstring).
        medium: applied to ``gem`` first.
        engine: a prebuilt :func:`~yeastcell.gem.lp.engine.make_engine` of ``gem``
            *with the medium applied* (saves the reference solve).
        gpr: precompiled rules of ``gem``.
        chunk: LPs per compiled call.
        max_iter: dual simplex pivot limit per LP.

    Raises:
        UnknownGeneError, GemError: bad knockouts; InfeasibleError: infeasible wild type.
    """
    if medium is not None:
        gem = apply_medium(gem, medium)
    masks = knockout_masks(gem, knockouts)
    if gpr is None:
        gpr = compile_gpr(gem.gene_rules, gem.gene_ids)
    if engine is None:
        engine = make_engine(gem)
    active = reaction_activity(gpr, ~masks.T)  # (n_reactions, batch)
    deleted = ~active.T
    lb = np.where(deleted, 0.0, gem.lb[None, :])
    ub = np.where(deleted, 0.0, gem.ub[None, :])
    out = solve_bounds(engine, lb, ub, chunk=chunk, max_iter=max_iter)
    labels = tuple("+".join(gem.gene_ids[i] for i in np.flatnonzero(row)) or "wild_type"
                   for row in masks)
    return KnockoutGrowth(labels=labels, growth=out["objective"],
                          status=st.status_names(out["status"]), iterations=out["iterations"],
                          wild_type_growth=engine.reference_objective,
                          n_deleted_reactions=deleted.sum(axis=1))
