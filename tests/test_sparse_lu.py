"""The planned-order sparse LU (yeastcell/solvers/sparse_lu.py) and its use by Rodas4P in large batches."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import yeastcell as yc
from yeastcell.solvers import Rodas4P, for_batch
from yeastcell.solvers.rosenbrock import SPARSE_LU_MIN_BATCH
from yeastcell.solvers.sparse_lu import SparseLU, analyse


def _random_system(rng, n, density, dominance):
    pattern = (rng.random((n, n)) < density) | np.eye(n, dtype=bool)
    W = np.where(pattern, rng.normal(size=(n, n)), 0.0)
    W[np.arange(n), np.arange(n)] += dominance * np.sign(rng.normal(size=n))
    return pattern, W


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 16), density=st.floats(0.0, 0.5), seed=st.integers(0, 10**6))
def test_solves_match_numpy_on_random_sparse_systems(n, density, seed):
    rng = np.random.default_rng(seed)
    pattern, W = _random_system(rng, n, density, dominance=3.0 * n * density + 2.0)
    b = rng.normal(size=n)
    slu = SparseLU(pattern)
    values, ok = slu.factor(jnp.asarray(W))
    x = np.asarray(slu.solve(values, jnp.asarray(b)))
    assert bool(ok)
    np.testing.assert_allclose(W @ x, b, rtol=0, atol=1e-10 * (1 + np.abs(b).max()))
    np.testing.assert_allclose(x, np.linalg.solve(W, b), rtol=1e-9, atol=1e-12)


def test_fill_in_is_planned_and_counted():
    # an arrow matrix: eliminating the hub first fills everything, last fills nothing
    n = 12
    pattern = np.eye(n, dtype=bool)
    pattern[0, :] = pattern[:, 0] = True
    slu = SparseLU(pattern)
    assert 0 in slu.order[-2:]  # minimum degree leaves the hub to the end
    assert slu.nnz == pattern.sum()  # no fill-in
    assert slu.flops < 2 * n**3 // 3 // 10


def test_untrustworthy_factorisation_is_flagged():
    # diagonal pivoting fails on a zero diagonal (a row exchange would be needed)
    W = jnp.asarray([[0.0, 1.0], [1.0, 0.0]])
    _, ok = SparseLU(np.ones((2, 2), dtype=bool)).factor(W)
    assert not bool(ok)
    # large growth: a tiny first pivot
    W = jnp.asarray([[1e-12, 1.0], [1.0, 1.0]])
    _, ok = SparseLU(np.ones((2, 2), dtype=bool)).factor(W)
    assert not bool(ok)
    _, ok = SparseLU(np.ones((2, 2), dtype=bool)).factor(jnp.asarray([[2.0, 1.0], [1.0, 2.0]]))
    assert bool(ok)


def test_analyse_is_cached_by_pattern():
    p = ((True, False), (True, True))
    assert analyse(p) is analyse(p)


@pytest.mark.slow  # 40-50 s in CI (2-core run of 2026-12-07); pytest -m slow runs it
def test_batches_choose_the_sparse_lu_and_agree_with_lapack(core):
    """On the core model, the sparse-LU solve equals the dense (LAPACK) one to round-off, for a small
    batch forced to "sparse"; `for_batch` switches an "auto" solver from SPARSE_LU_MIN_BATCH lanes on."""
    assert for_batch(Rodas4P(), SPARSE_LU_MIN_BATCH).linear_solver == "batched"
    assert for_batch(Rodas4P(), SPARSE_LU_MIN_BATCH - 1).linear_solver == "auto"
    assert for_batch(Rodas4P(linear_solver="dense"), 10**4).linear_solver == "dense"
    with pytest.raises(ValueError, match="linear_solver"):
        Rodas4P(linear_solver="qr")
    perts = [
        yc.condition("teusink2000"),
        yc.condition("teusink2000") + yc.knockdown("PFK1", 0.5),
        yc.condition("aerobic_batch") + yc.knockout("ADH1"),
    ]
    t = np.linspace(0.0, 30.0, 31)
    out = {}
    for ls in ("dense", "sparse"):
        opts = yc.SolverOptions(solver=Rodas4P(linear_solver=ls))
        tr = yc.simulate_batch(core, perts, t, options=opts)
        assert np.all(np.asarray(tr.status) == 0)
        out[ls] = np.asarray(tr.conc)
    np.testing.assert_allclose(out["sparse"], out["dense"], rtol=1e-8, atol=1e-12)
    jax.clear_caches()
