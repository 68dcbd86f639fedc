"""The structured (compressed) Jacobian equals jax.jacfwd of the right-hand side."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import yeastcell as yc
from yeastcell.exceptions import SimulationInputError
from yeastcell.solvers import SolverOptions
from yeastcell.solvers.cell_term import CellTerm, cell_term
from yeastcell.solvers.jacobian import flux_sparsity


def test_structured_jacobian_matches_dense(core):
    term = cell_term(core, "structured")
    assert isinstance(term, CellTerm)
    cond = yc.resolve(core, yc.condition("teusink2000"))  # clamps external glucose and ethanol
    dyn = np.asarray(core.dynamic)
    rng = np.random.default_rng(3)
    for _ in range(3):
        c = jnp.asarray(np.abs(np.asarray(cond.c0)) * rng.uniform(0.2, 5.0, core.n_species) + 1e-3)
        args = (c, cond.clamp, cond.rate_scale)
        dense = jax.jit(jax.jacfwd(lambda x, a=args: core.rhs(0.0, x, *a)))(c[dyn])
        structured = jax.jit(lambda x, a=args: term.jacobian(0.0, x, a))(c[dyn])
        np.testing.assert_allclose(np.asarray(structured), np.asarray(dense), rtol=1e-12, atol=1e-12)
    # the pattern is sparse: far fewer colours than dynamic species
    pattern = np.asarray(flux_sparsity(core))
    assert pattern.shape == (core.n_reactions, len(core.dynamic))
    assert pattern.sum() < 0.25 * pattern.size


def test_jacobian_option_is_validated():
    with pytest.raises(SimulationInputError, match="jacobian"):
        SolverOptions(jacobian="sparse-ish")


@pytest.fixture(scope="module")
def whole_cell():
    return yc.load_cell("yeast_cell")


def test_expression_laws_bind_exactly_the_names_their_formula_uses(whole_cell):
    """General-formula rate laws gather only the names they use; the rate equals the formula evaluated
    on every species, model parameter and local parameter of the spec (local shadows global)."""
    from yeastcell._expr import compile_formula, names_in

    cell = whole_cell
    assert len(cell.expressions) >= 20
    spec_rxn = {r.id: r for r in cell.spec.reactions}
    rng = np.random.default_rng(5)
    c = jnp.asarray(np.abs(np.asarray(cell.c0)) * rng.uniform(0.5, 2.0, cell.n_species) + 0.05)
    for e in cell.expressions:
        law = spec_rxn[cell.reaction_ids[e.rxn]].rate_law
        bound = {n for n, _ in e.species} | {n for n, _ in e.thetas}
        assert bound <= names_in(law.formula)
        env = {s.id: c[i] for i, s in enumerate(cell.spec.species)}
        env.update({p.id: p.value for p in cell.spec.parameters})
        env.update(law.parameters)
        env["time"] = 7.0
        fn = compile_formula(law.formula, set(env))
        np.testing.assert_allclose(float(e.rate(c, cell.theta, 7.0)), float(fn(env)), rtol=1e-14, atol=0)


@pytest.mark.slow  # a 188-column jacfwd of the whole cell: minutes of compile; CI keeps the per-law check above
def test_structured_jacobian_matches_dense_on_the_whole_cell(whole_cell):
    cell = whole_cell
    term = cell_term(cell, "structured")
    cond = yc.resolve(cell, yc.condition("aerobic_clamped") + yc.osmotic_shock(0.4))
    dyn = np.asarray(cell.dynamic)
    c = jnp.asarray(np.abs(np.asarray(cond.c0)) * np.random.default_rng(4).uniform(0.3, 3.0, cell.n_species) + 1e-3)
    args = (c, cond.clamp, cond.rate_scale)
    dense = jax.jit(jax.jacfwd(lambda x: cell.rhs(2.0, x, *args)))(c[dyn])
    structured = jax.jit(lambda x: term.jacobian(2.0, x, args))(c[dyn])
    np.testing.assert_allclose(np.asarray(structured), np.asarray(dense), rtol=1e-12, atol=1e-12)
    assert np.count_nonzero(np.asarray(dense)) > len(dyn)  # not a trivial (diagonal or empty) Jacobian
