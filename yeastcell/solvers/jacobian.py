"""The Jacobian of a concentration `Cell`'s right-hand side, built from its reaction structure.

dx/dt = N_dyn · v(c), so J = N_dyn · ∂v/∂x. Each reaction rate depends on a handful of species, so
∂v/∂x (reactions × dynamic species) is very sparse: columns (species) that no reaction shares can be
seeded together in one forward-mode JVP (Curtis–Powell–Reid compression). On the core model that is
5 JVPs of the flux vector instead of the 33 of a dense `jax.jacfwd` of the right-hand side (or 14
with a colouring of the right-hand side's own, denser pattern), and the stiff solver's per-step
Jacobian is its largest cost.

The pattern is the union of the structure the compiled cell declares (rate-law substrates,
products and roles, modifiers, every member of every enzyme complex: the `min` over complex members
has a zero derivative for all but one member at any one state) and the nonzeros of ∂v/∂x sampled at
random positive states (which covers general-formula rate laws and the proteome layer). A
derivative that is zero at every sample and not declared (a piecewise formula on one branch) would
be missed; `SolverOptions(jacobian="dense")` is the fallback.
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._xla import FAST_COMPILE
from ..cells import with_dynamic
from ..compile import compile_model


def _declared_dependencies(cell) -> np.ndarray:
    """(n_reactions, n_species) bools: the species each rate law names (substrates, products, roles,
    modifiers, enzyme-complex members)."""
    dep = np.zeros((cell.n_reactions, cell.n_species), dtype=bool)
    for g in cell.groups:
        for j, sub, prod, role in zip(g.rxn, g.sub, g.prod, g.role):
            dep[j, list(sub) + list(prod) + list(role)] = True
    for j, i, _, _ in cell.modifiers:
        dep[j, i] = True
    for j, clauses in cell.enzyme_clauses:
        for cl in clauses:
            dep[j, list(cl)] = True
    return dep


def flux_sparsity(cell, n_points: int = 4, seed: int = 0) -> tuple[tuple[bool, ...], ...]:
    """Nonzero pattern of ∂v/∂x, reactions × dynamic species, for a concentration `Cell`.

    Computed eagerly on concrete arrays: declared dependencies plus nonzeros sampled at `n_points`
    random positive states, with the parameters scaled randomly (and zero parameters made positive,
    so that a fit moving a parameter off zero cannot reveal a dependency the pattern lacks) and unit
    rate scales.
    """
    dyn = np.asarray(cell.dynamic, dtype=int)
    pattern = _declared_dependencies(cell)[:, dyn]
    c0 = np.abs(np.asarray(cell.c0))
    theta = np.asarray(cell.theta)
    rng = np.random.default_rng(seed)
    C = c0 * rng.uniform(0.3, 3.0, (n_points, c0.size)) + rng.uniform(0.01, 0.1, (n_points, c0.size))
    TH = np.where(
        theta == 0, rng.uniform(0.1, 1.0, (n_points, theta.size)), theta * rng.uniform(0.5, 2.0, (n_points, theta.size))
    )

    def jac_at(c, th):
        sample = eqx.tree_at(lambda k: k.theta, cell, th)
        return jax.jacfwd(lambda x: sample.fluxes(with_dynamic(cell.dynamic, c, x), 0.0, None))(c[dyn])

    # one compiled call, run once per model: compiled fast (`yeastcell._xla`)
    args = jnp.asarray(C), jnp.asarray(TH)
    jacs = jax.jit(jax.vmap(jac_at)).lower(*args).compile(compiler_options=FAST_COMPILE)(*args)
    pattern |= np.any(np.asarray(jacs) != 0, axis=0)
    return tuple(tuple(bool(b) for b in row) for row in pattern)


@functools.lru_cache(maxsize=32)
def _pattern_of_spec(spec) -> tuple[tuple[bool, ...], ...]:
    """`flux_sparsity` of the cell compiled from `spec` (specs hash by identity), computed once."""
    with jax.ensure_compile_time_eval():
        return flux_sparsity(compile_model(spec))


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


def jacobian_sparsity(cell, n_points: int = 3, seed: int = 0) -> tuple[tuple[bool, ...], ...]:
    """Nonzero pattern of d(rhs)/dx for a concentration `Cell` (computed eagerly, outside jit).

    Evaluated at random positive states with no clamps and unit rate scales, so any condition's
    Jacobian pattern is a subset of it. For `Rodas4P(sparsity=...)`. A derivative that vanishes at all
    sample points (e.g. a piecewise rate law on one branch) would be missed: use the dense default then.
    """
    dyn = np.asarray(cell.dynamic, dtype=int)
    c0 = np.asarray(cell.c0)
    clamp = jnp.zeros(cell.n_species, dtype=bool)
    scale = jnp.ones(cell.n_reactions)
    rng = np.random.default_rng(seed)
    pattern = np.zeros((dyn.size, dyn.size), dtype=bool)
    for _ in range(n_points):
        c = jnp.asarray(np.abs(c0) * rng.uniform(0.5, 2.0, c0.size) + rng.uniform(0.01, 0.1, c0.size))
        jac = jax.jacfwd(lambda x, c=c: cell.rhs(0.0, x, c, clamp, scale))(c[dyn])
        pattern |= np.asarray(jac) != 0
    return tuple(tuple(bool(v) for v in row) for row in pattern)
