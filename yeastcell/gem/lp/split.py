"""Irreversible form of a GEM, for a lexicographic "minimise total flux" secondary objective.

Every reaction ``j`` becomes a forward column ``v⁺_j`` (stoichiometry ``S_j``)
and, when it may run backwards (``lb_j < 0`` or ``j`` listed in ``reversible``),
a backward column ``v⁻_j`` (``-S_j``); ``v_j = v⁺_j - v⁻_j`` and both are
non-negative, so ``Σ (v⁺ + v⁻)`` is the total flux (as in cobrapy's pFBA).

The objective ``max c·v - ε Σ (v⁺ + v⁻)`` is the lexicographic optimum (growth
first, then least total flux) for small enough ``ε`` (an LP has finitely many
vertices); tests check the growth against a plain HiGHS FBA.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from yeastcell.gem.load import GEM

__all__ = ["SplitGEM", "split_gem"]


@dataclasses.dataclass(frozen=True, eq=False)
class SplitGEM:
    """A GEM in irreversible form.

    Attributes:
        gem: the split model (``n + n_back`` columns; objective ``c - ε`` per column).
        back_of: ``(n,)`` column of the backward part of each reaction, ``-1`` if none.
        n: number of reactions of the original model.
        epsilon: weight of the total-flux term.
    """

    gem: GEM
    back_of: np.ndarray
    n: int
    epsilon: float

    def split_bounds(self, lb: np.ndarray, ub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split-model bounds for original bounds ``(..., n)`` (last axis = reactions)."""
        lb, ub = np.asarray(lb, np.float64), np.asarray(ub, np.float64)
        has = self.back_of >= 0
        if np.any((lb < 0) & ~has):
            raise ValueError("a negative lower bound on a reaction without a backward column")
        fl, fu = np.maximum(lb, 0.0), np.maximum(ub, 0.0)
        bl = np.maximum(-ub[..., has], 0.0)
        bu = np.maximum(-lb[..., has], 0.0)
        return np.concatenate([fl, bl], axis=-1), np.concatenate([fu, bu], axis=-1)

    def net(self, x):
        """Net fluxes ``v⁺ - v⁻`` (``(..., n)``) from split fluxes; works on numpy and JAX arrays."""
        has = np.flatnonzero(self.back_of >= 0)
        fwd = x[..., : self.n]
        return fwd.at[..., has].add(-x[..., self.n :]) if hasattr(fwd, "at") else _np_net(fwd, x[..., self.n :], has)


def _np_net(fwd, back, has):
    out = np.array(fwd, copy=True)
    out[..., has] -= back
    return out


def split_gem(gem: GEM, *, reversible=(), epsilon: float = 1e-6) -> SplitGEM:
    """Build the irreversible form of ``gem``.

    Args:
        gem: the model (objective sense must be ``"max"``).
        reversible: extra reaction indices that get a backward column although
            their reference lower bound is 0 (e.g. exchanges opened later).
        epsilon: weight of the total-flux term (h⁻¹ per mmol gDW⁻¹ h⁻¹).
    """
    if gem.objective_sense != "max":
        raise ValueError("split_gem needs a maximisation objective")
    n = gem.n_reactions
    back = np.zeros(n, dtype=bool)
    back[gem.lb < 0] = True
    back[np.asarray(list(reversible), dtype=np.int64)] = True
    idx = np.flatnonzero(back)
    back_of = np.full(n, -1, dtype=np.int64)
    back_of[idx] = n + np.arange(idx.size)
    S = sp.csc_array(sp.hstack([gem.S, -gem.S[:, idx]]))
    c = np.concatenate([gem.c - epsilon, -gem.c[idx] - epsilon])
    split = SplitGEM(gem=gem, back_of=back_of, n=n, epsilon=epsilon)
    lb, ub = split.split_bounds(gem.lb, gem.ub)
    rid = gem.reaction_ids + tuple(gem.reaction_ids[i] + "_reverse" for i in idx)
    names = gem.reaction_names + tuple(gem.reaction_names[i] + " (reverse)" for i in idx)
    rules = gem.gene_rules + tuple(gem.gene_rules[i] for i in idx)
    sgem = gem.replace(S=S, lb=lb, ub=ub, c=c, reaction_ids=rid, reaction_names=names, gene_rules=rules)
    return dataclasses.replace(split, gem=sgem)
