"""A batched LP engine for one GEM: shared arrays, a reference basis, jitted batch solves.

``make_engine(gem)`` builds the :class:`LPEngine` once (arrays + a HiGHS
reference basis and its inverse, a few seconds for Yeast-GEM); ``solve_bounds``
then solves any number of LPs that differ from the reference only in their
bounds, ``chunk`` LPs at a time in one ``jit(vmap(dual_simplex))`` program.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from yeastcell.exceptions import GemError
from yeastcell.gem.load import GEM
from yeastcell.gem.lp.basis import Basis, reference_basis
from yeastcell.gem.lp.problem import LPArrays, lp_arrays
from yeastcell.gem.lp.simplex import LPResult, dual_simplex

__all__ = ["LPEngine", "check_bounds", "make_engine", "solve_bounds"]


class LPEngine(eqx.Module):
    """Everything shared by the LPs of one model.

    Attributes:
        P: matrix and costs.
        start: optimal basis of the reference LP (the model's own bounds).
        lb, ub: reference bounds, ``(n,)``.
        reference_objective: HiGHS optimum of the reference LP.
    """

    P: LPArrays
    start: Basis
    lb: jax.Array
    ub: jax.Array
    reference_objective: float = eqx.field(static=True)


def check_bounds(lb: np.ndarray, ub: np.ndarray, n: int, what: str = "bounds") -> None:
    """Validate a batch of bounds: shape ``(..., n)``, finite, ``lb <= ub``.

    Raises:
        GemError: naming the first offending LP and reaction column.
    """
    lb, ub = np.asarray(lb, np.float64), np.asarray(ub, np.float64)
    if lb.shape != ub.shape or lb.shape[-1:] != (n,):
        raise GemError(f"{what}: lb {lb.shape} and ub {ub.shape} must both end in ({n},)")
    for name, a in (("lb", lb), ("ub", ub)):
        bad = np.argwhere(~np.isfinite(a))
        if bad.size:
            raise GemError(
                f"{what}: {name} is not finite at {tuple(bad[0])}; the JAX LP "
                "engine needs finite bounds (use e.g. ±1000 as GEMs do)"
            )
    bad = np.argwhere(lb > ub)
    if bad.size:
        raise GemError(f"{what}: lb > ub at {tuple(bad[0])}")


def make_engine(gem: GEM, *, objective: np.ndarray | None = None) -> LPEngine:
    """Build the engine for ``gem`` (bounds as given: apply a medium first).

    Args:
        gem: the model; its bounds define the reference LP.
        objective: objective coefficients replacing ``gem.c`` (same sense).

    Raises:
        GemError: infinite bounds.
        InfeasibleError: the reference LP is infeasible.
    """
    check_bounds(gem.lb, gem.ub, gem.n_reactions, "model bounds")
    c = gem.c if objective is None else np.asarray(objective, np.float64)
    basis, obj = reference_basis(gem.S, c, gem.lb, gem.ub, gem.objective_sense)
    return LPEngine(
        P=lp_arrays(gem.S, c, gem.objective_sense),
        start=basis,
        lb=jnp.asarray(gem.lb),
        ub=jnp.asarray(gem.ub),
        reference_objective=obj,
    )


@eqx.filter_jit
def _solve_chunk(engine: LPEngine, lb: jax.Array, ub: jax.Array, max_iter: int) -> LPResult:
    def one(lo, hi):
        return dual_simplex(engine.P, lo, hi, engine.start, max_iter=max_iter)

    return jax.vmap(one)(lb, ub)


def solve_bounds(
    engine: LPEngine, lb: np.ndarray, ub: np.ndarray, *, chunk: int = 1, max_iter: int = 20_000
) -> dict[str, np.ndarray]:
    """Solve a batch of LPs given by their bounds.

    Args:
        engine: from :func:`make_engine`.
        lb, ub: ``(batch, n)`` bounds, mmol gDW⁻¹ h⁻¹ (finite).
        chunk: LPs per compiled call (each holds an ``m × m`` basis inverse).
        max_iter: pivot limit per LP.

    Returns:
        ``objective`` (NaN unless optimal), ``status`` (int codes),
        ``iterations``, ``x`` (``(batch, n)``), ``primal_residual`` as numpy arrays.
    """
    n = engine.P.n
    lb, ub = np.atleast_2d(lb), np.atleast_2d(ub)
    check_bounds(lb, ub, n)
    k = lb.shape[0]
    pad = (-k) % chunk
    if pad:  # pad the last chunk with copies of the reference LP (shape-stable jit)
        lb = np.vstack([lb, np.tile(np.asarray(engine.lb), (pad, 1))])
        ub = np.vstack([ub, np.tile(np.asarray(engine.ub), (pad, 1))])
    parts = []
    for s in range(0, lb.shape[0], chunk):
        res = _solve_chunk(engine, jnp.asarray(lb[s : s + chunk]), jnp.asarray(ub[s : s + chunk]), max_iter)
        parts.append(jax.tree.map(np.asarray, (res.objective, res.status, res.iterations, res.x, res.primal_residual)))
    names = ("objective", "status", "iterations", "x", "primal_residual")
    return {nm: np.concatenate([p[i] for p in parts])[:k] for i, nm in enumerate(names)}
