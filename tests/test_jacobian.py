"""The structured (compressed) Jacobian equals jax.jacfwd of the right-hand side."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import yeastcell as yc
from yeastcell._jacobian import CellTerm, cell_term, flux_sparsity
from yeastcell.exceptions import SimulationInputError
from yeastcell.simulate import SolverOptions


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
