"""The Jacobian of a concentration `Cell`'s right-hand side, built from its reaction structure.

dx/dt = N_dyn · v(c), so J = N_dyn · ∂v/∂x. Each reaction rate depends on a handful of species, so
∂v/∂x (reactions × dynamic species) is very sparse: columns (species) that no reaction shares can be
seeded together in one forward-mode JVP (Curtis–Powell–Reid compression). On the core model that is
6 JVPs of the flux vector instead of the 33 of a dense `jax.jacfwd` of the right-hand side (20
instead of 188 on the whole cell), and the stiff solver's per-step Jacobian is its largest cost.

The pattern is read from the traced rate laws (`yeastcell.solvers.structural_sparsity`): which
dynamic species each reaction rate can depend on, propagated through the jaxpr of `fluxes` for any
parameter values, rate scales and time. It is conservative (a piecewise formula depends on the
species of both branches, the `min` over an enzyme complex on every member) and needs no compile;
it replaced a union of the declared rate-law species and `jax.jacfwd` samples at random states,
whose compile was ~4 s of a whole-cell first result (2-core AMD EPYC) and which would have missed a
derivative that vanished at every sample. On the core model the pattern has 114 nonzeros where the
old one had 108 (the extra ones are zero at those states only), on the whole cell 537 where it had
524; it needs fewer colours (6 instead of 8 on the core model, 20 instead of 24 on the whole cell),
as it leaves out the declared species a rate law does not read (products of irreversible laws).
`SolverOptions(jacobian="dense")` remains the reference.
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..cells import with_dynamic
from ..compile import compile_model


def flux_sparsity(cell) -> tuple[tuple[bool, ...], ...]:
    """Nonzero pattern of ∂v/∂x, reactions × dynamic species, for a concentration `Cell`.

    Structural (`yeastcell.solvers.structural_sparsity.jacobian_pattern` of `fluxes`): it holds for
    any values of the cell's arrays (parameters, initial state, volumes), any rate scales and any
    time, with the enzyme factor computed from the state. Traces `fluxes` once (Python only, ~0.2 s
    on the whole cell); call it outside `jax.ensure_compile_time_eval`, which would run every
    operation on constants eagerly.
    """
    return _cell_pattern(
        cell,
        lambda c, x, t, rate_scale: c.fluxes(with_dynamic(c.dynamic, c.c0, x), t, rate_scale),
        np.float64(0.0),
        np.ones(cell.n_reactions),
    )


def _cell_pattern(cell, fn, *args) -> tuple[tuple[bool, ...], ...]:
    """Structural pattern of ``fn(cell, x, *args)`` in the dynamic state x, for any values of the
    cell's arrays and of `args` (`yeastcell.solvers.structural_sparsity.jacobian_pattern`)."""
    from .structural_sparsity import jacobian_pattern  # not imported on a first result from the program store

    arrays, static = eqx.partition(cell, eqx.is_array)
    x0 = np.asarray(cell.c0)[np.asarray(cell.dynamic, dtype=int)]
    pattern = jacobian_pattern(lambda x, arrays, *a: fn(eqx.combine(arrays, static), x, *a), x0, arrays, *args)
    return tuple(tuple(bool(b) for b in row) for row in pattern)


@functools.lru_cache(maxsize=32)
def _pattern_of_spec(spec) -> tuple[tuple[bool, ...], ...]:
    """`flux_sparsity` of the cell compiled from `spec` (specs hash by identity), computed once."""
    with jax.ensure_compile_time_eval():  # concrete arrays even inside a caller's trace
        cell = compile_model(spec)
    return flux_sparsity(cell)


class _JacobianPlan:
    """Static index plan of J = N_dyn · ∂v/∂x for one model spec (built once, in NumPy).

    ∂v/∂x comes compressed (one JVP per column colour); J's nonzeros are assembled directly from it:
    J[i, j] = Σ_r N[i, r] · compressed[colour(j), r] over the reactions r that both change species i
    and depend on species j, padded to the longest such sum. This replaces a dense N_dyn @ ∂v/∂x
    (33 x 33 x 33 multiply-adds per lane on the core model; 205 x 365 x 205 on the whole cell).
    """

    def __init__(self, n_dyn_pattern: np.ndarray, flux_pattern: np.ndarray):
        n_dyn, n_rxn = n_dyn_pattern.shape
        self.colors = column_colors(flux_pattern)
        self.seeds = np.zeros((self.colors.max() + 1, n_dyn))
        self.seeds[self.colors, np.arange(n_dyn)] = 1.0
        j_pattern = (n_dyn_pattern.astype(int) @ flux_pattern.astype(int)) > 0
        rows, cols = np.nonzero(j_pattern)
        terms = [np.nonzero(n_dyn_pattern[i] & flux_pattern[:, j])[0] for i, j in zip(rows, cols)]
        width = max((len(t) for t in terms), default=1)
        n_dummy = n_dyn * n_rxn  # index of an appended 0 in the flattened N_dyn
        c_dummy = len(self.seeds) * n_rxn  # ... and in the flattened compressed Jacobian
        self.n_index = np.full((len(terms), width), n_dummy, dtype=int)
        self.c_index = np.full((len(terms), width), c_dummy, dtype=int)
        for k, (i, j, rs) in enumerate(zip(rows, cols, terms)):
            self.n_index[k, : len(rs)] = i * n_rxn + rs
            self.c_index[k, : len(rs)] = self.colors[j] * n_rxn + rs
        self.position = np.full(n_dyn * n_dyn, len(terms), dtype=int)  # J entry -> nonzero (or a 0)
        self.position[rows * n_dyn + cols] = np.arange(len(terms))
        self.n = n_dyn
        self.w_pattern = tuple(tuple(bool(b) for b in row) for row in (j_pattern | np.eye(n_dyn, dtype=bool)))

    def assemble(self, n_dyn_values, compressed):
        """Dense J (n_dyn x n_dyn) from N_dyn's values and the compressed flux Jacobian."""
        zero = jnp.zeros(1, dtype=compressed.dtype)
        n_flat = jnp.concatenate([n_dyn_values.ravel(), zero])
        c_flat = jnp.concatenate([compressed.ravel(), zero])
        nonzeros = jnp.sum(n_flat[self.n_index] * c_flat[self.c_index], axis=1)
        return jnp.concatenate([nonzeros, zero])[self.position].reshape(self.n, self.n)


@functools.lru_cache(maxsize=32)
def _jacobian_plan(spec) -> _JacobianPlan:
    """The `_JacobianPlan` of the cell compiled from `spec` (specs hash by identity), built once."""
    with jax.ensure_compile_time_eval():
        cell = compile_model(spec)
        dyn = np.asarray(cell.dynamic, dtype=int)
        n_dyn = np.abs(np.asarray(cell.N)[dyn]) > 0
    return _JacobianPlan(n_dyn, np.asarray(_pattern_of_spec(spec), dtype=bool))


def column_colors(pattern: np.ndarray) -> np.ndarray:
    """Greedy colouring: columns sharing a nonzero row get different colours."""
    n = pattern.shape[1]
    colors = -np.ones(n, dtype=int)
    for j in np.argsort(-pattern.sum(axis=0), kind="stable"):
        used = {colors[k] for k in range(n) if colors[k] >= 0 and np.any(pattern[:, k] & pattern[:, j])}
        c = 0
        while c in used:
            c += 1
        colors[j] = c
    return colors


def jacobian_sparsity(cell) -> tuple[tuple[bool, ...], ...]:
    """Nonzero pattern of d(rhs)/dx for a concentration `Cell`, for `Rodas4P(sparsity=...)`.

    Structural, as `flux_sparsity`: it holds for any state, clamps, rate scales and parameter
    values (`yeastcell.solvers.structural_sparsity`), and needs no compile.
    """
    return _cell_pattern(
        cell,
        lambda c, x, t, clamp, rate_scale: c.rhs(t, x, c.c0, clamp, rate_scale),
        np.float64(0.0),
        np.zeros(cell.n_species, dtype=bool),
        np.ones(cell.n_reactions),
    )
