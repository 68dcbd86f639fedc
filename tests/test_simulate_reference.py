"""The simulator against references nobody here wrote: matrix exponential, scipy's BDF, jit/vmap parity."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.linalg

import yeastcell as yc
from yeastcell.batch import simulate_batch


def _linear_matrix():
    # two_step.yaml: uptake (cell 1 fL <-> medium 4 fL, kf = kr = 0.5/min), conv kf 0.2/min
    return np.array([[-0.25 * 0.5, 0.25 * 0.5, 0.0], [0.5, -0.5 - 0.2, 0.0], [0.0, 0.2, 0.0]])


def test_linear_kinetics_match_expm(two_step):
    t = np.linspace(0, 30, 16)
    traj = yc.simulate(two_step, None, t).raise_if_failed()
    A, x0 = _linear_matrix(), np.array([2.0, 0.0, 0.0])
    ref = np.stack([scipy.linalg.expm(A * tk) @ x0 for tk in t])
    got = np.stack([traj.species(s) for s in ("S_e", "S_c", "P_c")], axis=1)
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-9)


def test_amount_is_conserved_across_compartments(two_step):
    t = np.linspace(0, 50, 11)
    traj = yc.simulate(two_step, None, t).raise_if_failed()
    amount = 4.0 * traj.species("S_e") + traj.species("S_c") + traj.species("P_c")  # fL * mM
    np.testing.assert_allclose(amount, 8.0, rtol=1e-10)


def test_pulse_matches_piecewise_expm(two_step):
    t = np.array([0.0, 5.0, 10.0, 15.0, 20.0])
    traj = yc.simulate(two_step, yc.pulse("S_e", 3.0, at=10.0), t).raise_if_failed()
    A = _linear_matrix()
    x10 = scipy.linalg.expm(A * 10.0) @ np.array([2.0, 0, 0]) + np.array([3.0, 0, 0])
    ref20 = scipy.linalg.expm(A * 10.0) @ x10
    np.testing.assert_allclose(traj.species("S_e")[2], x10[0], rtol=1e-6)  # right-continuous at the event
    np.testing.assert_allclose([traj.species(s)[-1] for s in ("S_e", "S_c", "P_c")], ref20, rtol=1e-6)


def test_knockdown_scales_enzyme_rate(two_step):
    t = np.linspace(0, 1, 3)
    wt = yc.simulate(two_step, None, t)
    kd = yc.simulate(two_step, yc.knockdown("ENZ1", 0.25), t)
    # initial conv flux is zero (S_c=0); compare at t=1 through the flux / S_c ratio = k_eff
    k_wt = wt.reaction_flux("conv")[-1] / wt.species("S_c")[-1]
    k_kd = kd.reaction_flux("conv")[-1] / kd.species("S_c")[-1]
    np.testing.assert_allclose(k_kd / k_wt, 0.25, rtol=1e-10)


def test_jit_and_vmap_agree_with_single_runs(two_step):
    t = jnp.linspace(0.0, 20.0, 5)
    perts = [yc.wild_type(), yc.knockdown("ENZ1", 0.5), yc.pulse("S_e", 1.0, 7.0), yc.initial("S_e", 4.0)]
    conds = yc.resolve_batch(two_step, perts)
    batched = jax.jit(jax.vmap(lambda c: yc.simulate(two_step, c, t)))(conds)
    for i, p in enumerate(perts):
        single = yc.simulate(two_step, yc.resolve(two_step, p, n_events=1), t)
        np.testing.assert_allclose(batched.conc[i], single.conc, rtol=1e-9, atol=1e-12)
    via_api = simulate_batch(two_step, perts, t, strategy="vmap")
    np.testing.assert_allclose(via_api.conc, batched.conc, rtol=1e-12)
    assert via_api.labels[1].startswith("ENZ1 knockdown")


def test_against_scipy_bdf(two_step):
    cond = yc.resolve(two_step, yc.initial("S_c", 1.0))
    dyn = np.array(two_step.dynamic)
    c_full = cond.c0

    def f(t, x):
        return np.asarray(two_step.rhs(t, jnp.asarray(x), c_full, cond.clamp, cond.rate_scale))

    t = np.linspace(0, 40, 9)
    ref = scipy.integrate.solve_ivp(f, (0, 40), np.asarray(c_full[dyn]), method="BDF", t_eval=t, rtol=1e-10, atol=1e-12)
    got = yc.simulate(two_step, cond, t).raise_if_failed()
    np.testing.assert_allclose(np.asarray(got.conc)[:, dyn], ref.y.T, rtol=1e-6, atol=1e-9)


def test_failed_solve_is_flagged_not_returned(two_step):
    opts = yc.SolverOptions(max_steps=3)
    traj = yc.simulate(two_step, None, np.linspace(0, 100, 5), options=opts)
    assert int(traj.status) == yc.Status.MAX_STEPS
    # issue 30: a failed solve keeps what it saved up to the time it stopped (here only t = 0, the
    # initial state) and is NaN after it (this line asserted NaN from t = 0 before)
    after = np.asarray(traj.t) > float(traj.t_failed)
    assert after[1:].all() and np.all(np.isnan(np.asarray(traj.conc)[after]))
    np.testing.assert_array_equal(np.asarray(traj.conc)[0], np.asarray(yc.resolve(two_step, None).c0))
    with pytest.raises(yc.SolverError, match="maximum number of solver steps"):
        traj.species("P_c")


def test_one_failed_lane_does_not_abort_batch(two_step):
    import equinox as eqx

    conds = yc.resolve_batch(two_step, [yc.wild_type(), yc.wild_type(), yc.knockdown("ENZ1", 0.5)])
    i = two_step.species_index("S_c")
    conds = eqx.tree_at(lambda c: c.c0, conds, conds.c0.at[1, i].set(jnp.nan))  # poison lane 1 only
    traj = simulate_batch(two_step, conds, np.linspace(0, 100, 5), strategy="vmap")
    assert traj.ok.tolist() == [True, False, True]
    assert int(traj.status[1]) == yc.Status.NONFINITE
    assert np.all(np.isfinite(np.asarray(traj.conc[0]))) and np.all(np.isfinite(np.asarray(traj.conc[2])))
    np.testing.assert_allclose(
        traj[0].species("P_c"), yc.simulate(two_step, None, np.linspace(0, 100, 5)).species("P_c")
    )
    with pytest.raises(yc.SolverError, match=r"1 of 3 trajectories failed"):
        traj.raise_if_failed()


def test_steady_state_matches_analytic(two_step):
    # clamped medium: S_c -> kf*S_e/(kr + kcat) but P_c grows forever => no steady state
    ss = yc.steady_state(two_step, yc.clamp("S_e", 2.0), t_max=1e4)
    assert int(ss.status) == yc.Status.NO_STEADY_STATE
    ss = yc.steady_state(two_step, None).raise_if_failed()
    np.testing.assert_allclose(ss.species("P_c"), 8.0, rtol=1e-8)


def test_gradients_through_the_solver_match_finite_differences(two_step):
    t = jnp.array([0.0, 5.0])
    cond = yc.resolve(two_step)

    def final_p(theta):
        cell = jax.tree_util.tree_map(lambda x: x, two_step)
        import equinox as eqx

        cell = eqx.tree_at(lambda c: c.theta, two_step, theta)
        return yc.simulate(cell, cond, t).conc[-1, two_step.species_index("P_c")]

    g = jax.grad(final_p)(two_step.theta)
    eps = 1e-6
    fd = []
    for i in range(two_step.theta.shape[0]):
        e = jnp.zeros_like(two_step.theta).at[i].set(eps)
        fd.append((final_p(two_step.theta + e) - final_p(two_step.theta - e)) / (2 * eps))
    np.testing.assert_allclose(g, np.array(fd), rtol=1e-4, atol=1e-8)
