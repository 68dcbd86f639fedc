"""The batched BDF solver (yeastcell/solvers/bdf.py): SciPy's method step for step, the core model against a
tight reference (with events), per-lane failures, and when simulate_batch chooses it."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate

import yeastcell as yc
from yeastcell.exceptions import SimulationInputError
from yeastcell.solvers import BDF_MIN_BATCH, SolverOptions, batch_options
from yeastcell.solvers.bdf import BatchBDF, bdf_batch
from yeastcell.status import Status


def robertson(t, y, k):
    """Robertson's stiff chemical kinetics (Hairer & Wanner II, Sect. IV.1), rates scaled by k."""
    k1, k2, k3 = 0.04 * k, 3e7 * k, 1e4 * k
    return jnp.stack([-k1 * y[0] + k3 * y[1] * y[2], k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2, k2 * y[1] ** 2])


def robertson_jac(t, y, k):
    return jax.jacfwd(lambda x: robertson(t, x, k))(y)


def test_steps_and_values_match_scipy_bdf():
    """Same method, constants, initial step and Jacobian updates as scipy.integrate.BDF: the same
    number of accepted steps, Jacobians and LU factorisations, and the same dense output (to 1e-7 relative: the LU and
    the Newton iterates differ in round-off at the 1e-9 level), lane by lane."""
    ks = jnp.asarray([1.0, 0.5, 2.0])
    y0 = jnp.asarray([[1.0, 0.0, 0.0]] * 3)
    ts = jnp.asarray([0.0, 0.1, 1.0, 10.0, 40.0])
    ys, y_end, status, stats = jax.jit(
        lambda y0, k: bdf_batch(robertson, robertson_jac, y0, k, 0.0, 40.0, ts, rtol=1e-6, atol=1e-10, max_steps=10_000)
    )(y0, ks)
    assert np.all(np.asarray(status) == Status.SUCCESS)
    for b, k in enumerate(np.asarray(ks)):
        f = jax.jit(lambda t, y, k=k: robertson(t, y, k))
        jac = jax.jit(lambda t, y, k=k: robertson_jac(t, y, k))
        sol = scipy.integrate.solve_ivp(
            lambda t, y, f=f: np.asarray(f(t, y)),
            (0.0, 40.0),
            np.asarray(y0[b]),
            method="BDF",
            rtol=1e-6,
            atol=1e-10,
            dense_output=True,
            jac=lambda t, y, jac=jac: np.asarray(jac(t, y)),
        )
        assert int(stats["steps"][b]) == len(sol.t) - 1
        assert int(stats["jacobians"][b]) == sol.njev
        assert int(stats["factorisations"][b]) == sol.nlu
        np.testing.assert_allclose(np.asarray(ys[b]), sol.sol(np.asarray(ts)).T, rtol=1e-7, atol=1e-14)
        np.testing.assert_allclose(np.asarray(y_end[b]), sol.y[:, -1], rtol=1e-7, atol=1e-14)


@pytest.fixture(scope="module")
def core():
    return yc.load_cell()


@pytest.mark.slow  # 47 s: a tight-tolerance reference batch (CI time; run with: python3 -m pytest -m slow tests/test_bdf.py)
def test_core_model_batch_with_events_against_a_tight_reference(core):
    glc = "GLC_e"
    perts = [None, yc.knockout("PDC1"), yc.knockdown("PFK1", 0.5), yc.pulse(glc, 5.0, 10.0), yc.step(glc, 0.5, 20.0)]
    t = np.linspace(0.0, 30.0, 31)
    ref = yc.simulate_batch(core, perts, t, options=SolverOptions(rtol=1e-10, atol=1e-14))
    bdf = yc.simulate_batch(core, perts, t, options=SolverOptions(rtol=1e-7, atol=1e-10, solver=BatchBDF()))
    assert bdf.ok.all() and ref.ok.all()
    err = np.abs(np.asarray(bdf.conc) - np.asarray(ref.conc)) / (1e-7 * np.abs(np.asarray(ref.conc)) + 1e-10)
    assert err.max() < 20.0  # within a small multiple of the requested tolerance
    i = core.species_ids.index(glc)
    assert float(bdf.conc[3, 10, i]) > float(bdf.conc[3, 9, i]) + 4.0  # the pulse is seen at t = 10
    # the adenylate pool is conserved (linear invariants survive the simplified Newton iteration)
    for m in core.spec.conserved_moieties:
        idx = [core.species_ids.index(sp) for sp in m.species]
        total = np.asarray(bdf.conc)[:, :, idx] @ np.asarray(list(m.species.values()))
        np.testing.assert_allclose(total, np.broadcast_to(total[:, :1], total.shape), rtol=1e-8)
    one = yc.simulate(core, yc.knockout("PDC1"), t, options=SolverOptions(rtol=1e-7, atol=1e-10, solver=BatchBDF()))
    np.testing.assert_allclose(np.asarray(one.conc), np.asarray(bdf.conc[1]), rtol=1e-5, atol=1e-9)


@pytest.mark.slow  # 40-50 s in CI (2-core run of 2026-12-07); pytest -m slow runs it
def test_failed_lanes_are_flagged_and_do_not_stop_the_others(core):
    base = yc.resolve(core, None)
    conds = jax.tree_util.tree_map(lambda x: jnp.stack([x] * 3), base)
    c0 = np.asarray(conds.c0).copy()
    c0[1, core.dynamic[0]] = np.nan
    conds = eqx.tree_at(lambda c: c.c0, conds, jnp.asarray(c0))
    tr = yc.simulate_batch(core, conds, np.linspace(0.0, 10.0, 11), options=SolverOptions(solver=BatchBDF()))
    assert list(np.asarray(tr.status)) == [Status.SUCCESS, Status.NONFINITE, Status.SUCCESS]
    # a lane whose initial state is not finite stops at t = 0: nothing after it is reported
    assert float(np.asarray(tr.t_failed)[1]) == 0.0
    assert np.all(np.isnan(np.asarray(tr.conc[1])[1:]))
    assert np.all(np.isfinite(np.asarray(tr.conc)[[0, 2]]))
    short = yc.simulate_batch(
        core, [None, None], np.linspace(0.0, 10.0, 11), options=SolverOptions(solver=BatchBDF(), max_steps=5)
    )
    assert list(np.asarray(short.status)) == [Status.MAX_STEPS, Status.MAX_STEPS]


def test_simulate_batch_chooses_bdf_for_large_batches(core):
    opts = SolverOptions()
    assert isinstance(batch_options(opts, BDF_MIN_BATCH, core).solver, BatchBDF)
    assert not isinstance(batch_options(opts, BDF_MIN_BATCH - 1, core).solver, BatchBDF)
    assert not isinstance(batch_options(opts, BDF_MIN_BATCH, None).solver, BatchBDF)
    # a solver the user chose is kept
    from yeastcell.solvers import Rodas4P

    chosen = SolverOptions(solver=Rodas4P(linear_solver="dense"))
    assert batch_options(chosen, 10 * BDF_MIN_BATCH, core).solver == chosen.solver


def test_bad_settings_fail_clearly(core):
    with pytest.raises(ValueError, match="jac_lanes"):
        BatchBDF(jac_lanes=0)
    from yeastcell.fit.train import gradient_solver_options

    with pytest.raises(SimulationInputError, match="forward-only"):
        gradient_solver_options(SolverOptions(solver=BatchBDF()), "reverse")


def test_one_trajectory_uses_cvodes_newton_test_with_fewer_iterations_and_the_same_accuracy():
    """B = 1 gets the carried-rate Newton test ("auto" -> "cvode"): fewer Newton iterations per step
    than SciPy's test (which needs two per attempt), and the result as close to a tight reference."""
    ts = jnp.asarray([0.0, 0.1, 1.0, 10.0, 40.0])
    y0, k = jnp.asarray([[1.0, 0.0, 0.0]]), jnp.asarray([1.0])
    runs = {
        test: jax.jit(
            lambda y0, k, test=test: bdf_batch(
                robertson,
                robertson_jac,
                y0,
                k,
                0.0,
                40.0,
                ts,
                rtol=1e-6,
                atol=1e-10,
                max_steps=10_000,
                newton_test=test,
            )
        )(y0, k)
        for test in ("auto", "cvode", "scipy")
    }
    ref = scipy.integrate.solve_ivp(
        lambda t, y: np.asarray(robertson(t, jnp.asarray(y), 1.0)),
        (0.0, 40.0),
        [1.0, 0.0, 0.0],
        method="Radau",
        rtol=1e-12,
        atol=1e-16,
        t_eval=np.asarray(ts),
    ).y.T
    for test, (ys, _, status, _) in runs.items():
        assert int(status[0]) == Status.SUCCESS, test
        np.testing.assert_allclose(np.asarray(ys[0]), ref, rtol=2e-5, atol=1e-10, err_msg=test)
    per_step = {t: int(r[3]["newton"][0]) / int(r[3]["steps"][0] + r[3]["rejected"][0]) for t, r in runs.items()}
    assert per_step["auto"] == per_step["cvode"] < 0.8 * per_step["scipy"], per_step
    with pytest.raises(ValueError, match="newton_test"):
        bdf_batch(robertson, robertson_jac, y0, k, 0.0, 1.0, ts, rtol=1e-6, atol=1e-10, max_steps=10, newton_test="x")
