"""The structural Jacobian pattern (read from the jaxpr) contains every nonzero `jax.jacfwd` finds.

Compared on small functions covering each propagation rule, on the core model and the whole cell
(flux Jacobian) and on imported SBML models with assignment rules, events, piecewise formulas and an
algebraic rule (state Jacobian): the structural pattern must contain every finite nonzero of the
Jacobian sampled at random states and parameter vectors, and be at most a little denser.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import yeastcell as yc
from yeastcell._xla import FAST_COMPILE
from yeastcell.cells import with_dynamic
from yeastcell.compile import compile_model
from yeastcell.load import load_sbml
from yeastcell.solvers.events import ode_functions, state_scale
from yeastcell.solvers.jacobian import flux_sparsity, jacobian_sparsity
from yeastcell.solvers.sbml_bdf import state_pattern
from yeastcell.solvers.structural_sparsity import jacobian_pattern

X = np.array([0.5, 1.5, 2.0, 3.0, 4.5])


@jax.custom_jvp
def _surrogate(x, y):
    """Returns x; its JVP rule also reads y's tangent (a surrogate derivative)."""
    return x


_surrogate.defjvp(lambda primals, tangents: (primals[0], tangents[0] + tangents[1]))


def _gather_one(x, index: np.ndarray, mode: str):
    dn = lax.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,))
    return lax.gather(x, index.reshape(1, 1), dn, (1,), mode=mode, fill_value=0.0 if mode == "fill" else None)


CASES = {
    "gather": lambda x: x[np.array([1, 2, 2])] * x[0],
    "scatter_add": lambda x: x.at[np.array([1, 3])].add(x[:2] ** 2),
    "scatter_set": lambda x: x.at[np.array([0])].set(x[4]),
    "constant_matrix": lambda x: jnp.array([[1.0, 0, 0, 0, 0], [0, 0, 2.0, 0, 1.0]]) @ x,
    "piecewise": lambda x: jnp.where(x[0] > 1.0, x[1] * x[2], jnp.exp(x[3])) + 0 * x[:1],
    "dynamic_slice": lambda x: lax.dynamic_slice(x, (np.int64(1),), (2,)) ** 2,
    "cond": lambda x: lax.cond(x[0] > 0, lambda: x[::-1] * x[1], lambda: -x),
    "while": lambda x: lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, jnp.roll(c[1], 1) * c[1]), (0, x))[1],
    "scan": lambda x: lax.scan(lambda c, xi: (c + xi, c * xi), 0.0, x)[1],
    "cumsum_pad": lambda x: jnp.pad(jnp.cumsum(x), (1, 2)),
    "reshape_transpose": lambda x: jnp.stack([x, x[::-1]]).T.reshape(-1)[:5],
    "reductions": lambda x: jnp.concatenate([jnp.min(x[:2], keepdims=True), jnp.prod(x[2:4], keepdims=True)]),
    "dynamic_index": lambda x: x[jnp.argmax(x[:2])] * x[4] + 0 * x[:1],
    # gaps found in review (each missed a dependency before its fix)
    "bfloat16": lambda x: x.astype(jnp.bfloat16).astype(jnp.float64) * x[0],  # not np.inexact to NumPy
    "scatter_apply_index": lambda x: x[jnp.array([0, 1, 2]).at[0].apply(lambda v: v + 3)],  # not a set
    "float_to_int_saturates": lambda x: x[jnp.array([1e10, 0.0]).astype(jnp.int32)[0]] + 0 * x,
    "nan_to_int": lambda x: x[jnp.array([jnp.nan, 0.0]).astype(jnp.int32)[0] + 3] + 0 * x,
    "gather_fill_int32_wrap": lambda x: _gather_one(x, np.array([2**32 + 1]), "fill") + 0 * x[:1],
    "gather_clip_uint64": lambda x: _gather_one(x, np.array([2**63 + 5], dtype=np.uint64), "clip") + 0 * x[:1],
    "custom_jvp_rule": lambda x: _surrogate(x[:2], x[3:]),
    # rules without a case before
    "select_state_predicate": lambda x: jnp.where(x > 1.0, x[::-1], x**2),
    "dot_both_sides": lambda x: jnp.outer(x[:2], x[2:4]).ravel()[:4] + jnp.dot(x[:2], x[3:]),
    "dot_batch": lambda x: jnp.einsum(
        "bi,bij->bj", x[:4].reshape(2, 2), jnp.stack([x[:4], x[1:]]).reshape(2, 2, 2)
    ).ravel(),
    "dynamic_update_slice": lambda x: lax.dynamic_update_slice(x, x[:2] * x[4], (jnp.argmax(x).astype(jnp.int32),)),
    "scatter_sub_max": lambda x: x.at[np.array([1, 3])].subtract(x[:2] ** 2).at[np.array([0, 0])].max(x[3:]),
    "switch_loops": lambda x: lax.switch(
        jnp.argmax(x[:3]),
        [lambda: x * x[0], lambda: lax.fori_loop(0, 3, lambda i, c: c.at[i].set(c[i + 1] * c[0]), x), lambda: x[::-1]],
    ),
    "scan_reverse": lambda x: lax.scan(lambda c, xi: (c * xi, c + xi), x[0], x[1:], reverse=True)[1],
    "sort_cummax": lambda x: jnp.sort(x[:3]) + lax.cummax(x[2:], reverse=True),
    "calls": lambda x: jax.checkpoint(lambda y: jnp.sin(y) * jax.nn.relu(y[0]))(jax.device_put(x)) + jax.nn.softmax(x),
    "stop_gradient": lambda x: lax.stop_gradient(x[::-1]) * x,
}
EXACT = {
    "gather",
    "scatter_add",
    "constant_matrix",
    "dynamic_slice",
    "cumsum_pad",
    "reshape_transpose",
    "reductions",
    "bfloat16",
    "dot_both_sides",
    "dot_batch",
    "custom_jvp_rule",
}


def _nonzero(jac) -> np.ndarray:
    """Finite nonzeros (a NaN from 0 * inf, e.g. the derivative of a square root at 0 times a zero
    tangent, is no dependency)."""
    jac = np.asarray(jac)
    return (jac != 0) & np.isfinite(jac)


@pytest.mark.parametrize("name", sorted(CASES))
def test_pattern_contains_the_jacobian_of_each_rule(name):
    fn = CASES[name]
    pattern = jacobian_pattern(fn, X)
    rng = np.random.default_rng(0)
    seen = np.zeros_like(pattern)
    jac = jax.jit(jax.jacfwd(fn))  # jitted, as a solver runs it (JAX folds some constants while tracing)
    for _ in range(3):
        seen |= _nonzero(jac(jnp.asarray(X * rng.uniform(0.5, 2.0, X.size))))
    assert pattern.shape == seen.shape
    assert not (seen & ~pattern).any(), f"{name}: missed {np.argwhere(seen & ~pattern).tolist()}"
    if name in EXACT:
        np.testing.assert_array_equal(pattern, seen)


def test_stop_gradient_keeps_the_dependency():
    """A solver differencing the right-hand side sees through `lax.stop_gradient` (jacfwd does not)."""
    pattern = jacobian_pattern(lambda x: lax.stop_gradient(x[::-1]) * 2.0, X)
    np.testing.assert_array_equal(pattern, np.eye(5, dtype=bool)[::-1])


def test_undefined_integer_values_are_unknown():
    """XLA leaves x / 0 and x % 0 on integers implementation-defined (and may trap compiling them, so
    this is not compared with jacfwd): an index computed so is unknown, every entry may be read."""
    for op in (lax.div, lax.rem, jnp.floor_divide):
        pattern = jacobian_pattern(lambda x, op=op: x[op(jnp.array([4, 1]), jnp.array([0, 1]))[0]] + 0 * x[:1], X)
        assert pattern.all(), op


def test_arguments_are_unknown_values():
    """A zero in an argument does not hide a dependency (the pattern holds for any parameters)."""
    pattern = jacobian_pattern(lambda x, k: x * k[0] + x[::-1] * k[1], X, np.array([1.0, 0.0]))
    assert pattern[0, 4] and pattern[0, 0]


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="1-D x"):
        jacobian_pattern(lambda x: x.ravel(), np.ones((2, 2)))
    with pytest.raises(ValueError, match="one 1-D array"):
        jacobian_pattern(lambda x: jnp.outer(x, x), X)


def _sampled_flux_pattern(cell, n_points: int = 4) -> np.ndarray:
    """Nonzeros of ∂v/∂x sampled at random states with random parameters (zeros made positive)."""
    dyn = np.asarray(cell.dynamic, dtype=int)
    c0, theta = np.abs(np.asarray(cell.c0)), np.asarray(cell.theta)
    rng = np.random.default_rng(0)
    C = c0 * rng.uniform(0.3, 3.0, (n_points, c0.size)) + rng.uniform(0.01, 0.1, (n_points, c0.size))
    TH = np.where(
        theta == 0, rng.uniform(0.1, 1.0, (n_points, theta.size)), theta * rng.uniform(0.5, 2.0, (n_points, theta.size))
    )

    def jac_at(c, th):
        sample = cell.with_theta(th)
        return jax.jacfwd(lambda x: sample.fluxes(with_dynamic(cell.dynamic, c, x), 0.0, None))(c[dyn])

    args = jnp.asarray(C), jnp.asarray(TH)
    jacs = jax.jit(jax.vmap(jac_at)).lower(*args).compile(compiler_options=FAST_COMPILE)(*args)
    return np.any(_nonzero(jacs), axis=0)


def _declared_pattern(cell) -> np.ndarray:
    """(n_reactions, n_dynamic) bools: the species each rate law names (substrates, products, roles,
    modifiers, enzyme-complex members), what the solver's pattern added to the samples before."""
    dep = np.zeros((cell.n_reactions, cell.n_species), dtype=bool)
    for g in cell.groups:
        for j, sub, prod, role in zip(g.rxn, g.sub, g.prod, g.role):
            dep[j, list(sub) + list(prod) + list(role)] = True
    for j, i, _, _ in cell.modifiers:
        dep[j, i] = True
    for j, clauses in cell.enzyme_clauses:
        for cl in clauses:
            dep[j, list(cl)] = True
    return dep[:, np.asarray(cell.dynamic, dtype=int)]


@pytest.mark.parametrize("model", ["core", "yeast_cell"])
def test_flux_pattern_contains_the_sampled_one(model):
    cell = yc.load_cell() if model == "core" else yc.load_cell(model)
    structural = np.asarray(flux_sparsity(cell))
    sampled = _sampled_flux_pattern(cell)
    assert structural.shape == (cell.n_reactions, len(cell.dynamic))
    assert not (sampled & ~structural).any(), np.argwhere(sampled & ~structural).tolist()
    # not much denser than the samples plus the declared rate-law species (the pattern used before:
    # the min over an enzyme complex has a nonzero derivative for one member per state only);
    # core 114 vs 108, whole cell 537 vs 524
    assert structural.sum() <= 1.1 * (sampled | _declared_pattern(cell)).sum()


def test_rhs_pattern_contains_the_jacobian(core):
    pattern = np.asarray(jacobian_sparsity(core))
    dyn = np.asarray(core.dynamic)
    clamp, scale = jnp.zeros(core.n_species, bool), jnp.ones(core.n_reactions)
    c = jnp.asarray(np.abs(np.asarray(core.c0)) * 1.7 + 0.05)
    jac = jax.jit(jax.jacfwd(lambda x: core.rhs(0.0, x, c, clamp, scale)))(c[dyn])
    assert not (_nonzero(jac) & ~pattern).any()
    assert pattern.sum() < 0.5 * pattern.size


SBML_MODELS = [
    "biomodels/BIOMD0000000064_teusink2000.xml",  # assignment rules
    "biomodels/BIOMD0000000195_tyson2001.xml",  # events
    "y3m/y3m1_gp.xml",  # events, function definitions
    "test-suite/cases/00190/00190-sbml-l3v2.xml",  # piecewise rate law
    "test-suite/cases/00619/00619-sbml-l3v2.xml",  # assignment rule and event
    "test-suite/cases/00039/00039-sbml-l3v2.xml",  # algebraic rule
]


@pytest.mark.parametrize("path", SBML_MODELS)
def test_sbml_state_pattern_contains_the_sampled_one(refdata, path):
    cell = compile_model(load_sbml(refdata / "sbml" / path))
    sysm = cell.system
    state = np.asarray(sysm.state, dtype=int)
    n = len(state)
    structural = np.asarray(state_pattern(cell.spec))
    y0, _ = sysm.apply_rules(sysm.y_from(cell.c0, cell.volumes, cell.theta[: sysm.n_param]), 0.0, cell.theta)
    scale = state_scale(sysm, y0)
    x0 = np.abs(np.nan_to_num(np.asarray(y0[state] / scale)))
    theta0 = np.asarray(cell.theta)
    rs, clamp = jnp.ones(len(sysm.laws)), jnp.zeros(sysm.n_species, bool)
    rng = np.random.default_rng(0)

    def jac_at(theta, x, t):
        _, vf, _ = ode_functions(sysm, theta, rs, clamp, scale)
        ybase, _ = sysm.apply_rules(sysm.y_from(cell.c0, cell.volumes, theta[: sysm.n_param]), 0.0, theta)
        return jax.jacfwd(lambda z: vf(t, jnp.concatenate([z, jnp.zeros(1)]), (ybase,))[:-1])(x)

    sampled = np.eye(n, dtype=bool)
    for _ in range(3):
        theta = np.where(theta0 == 0, rng.uniform(0.1, 1.0, theta0.size), theta0 * rng.uniform(0.5, 2.0, theta0.size))
        x = x0 * rng.uniform(0.3, 3.0, n) + rng.uniform(0.01, 0.1, n)
        sampled |= _nonzero(jax.jit(jac_at)(jnp.asarray(theta), jnp.asarray(x), rng.uniform(0.0, 100.0)))
    assert structural.shape == (n, n)
    assert not (sampled & ~structural).any(), np.argwhere(sampled & ~structural).tolist()
    assert structural.sum() <= 1.2 * sampled.sum() + 2
