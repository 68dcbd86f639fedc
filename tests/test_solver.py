"""The Rosenbrock solver (yeastcell/solvers/rosenbrock.py): convergence order, dense output, sparse Jacobian,
stage loop = unrolled stages."""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

import yeastcell as yc
from yeastcell.solvers import Rodas4P
from yeastcell.solvers.jacobian import jacobian_sparsity

A = jnp.array([[-1.0, 0.5], [0.0, -100.0]])


def _exact(t):
    return scipy.linalg.expm(np.asarray(A) * t) @ np.array([1.0, 1.0])


def test_rodas4p_is_fourth_order_with_fixed_steps():
    term = diffrax.ODETerm(lambda t, y, a: A @ y)
    errs = []
    for n in (10, 20, 40):
        sol = diffrax.diffeqsolve(term, Rodas4P(), 0.0, 1.0, 1.0 / n, jnp.array([1.0, 1.0]))
        errs.append(np.abs(np.asarray(sol.ys[-1]) - _exact(1.0)).max())
    rates = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(rates > 3.5), rates


def test_rodas4p_adaptive_dense_output_matches_expm():
    term = diffrax.ODETerm(lambda t, y, a: A @ y)
    ts = jnp.linspace(0.0, 2.0, 17)
    sol = diffrax.diffeqsolve(
        term,
        Rodas4P(),
        0.0,
        2.0,
        None,
        jnp.array([1.0, 1.0]),
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=diffrax.PIDController(rtol=1e-8, atol=1e-10),
    )
    ref = np.stack([_exact(float(t)) for t in ts])
    np.testing.assert_allclose(np.asarray(sol.ys), ref, rtol=1e-6, atol=1e-8)


def test_sparse_jacobian_gives_the_same_trajectory(two_step):
    t = np.linspace(0.0, 30.0, 7)
    dense = yc.simulate(two_step, None, t).raise_if_failed()
    sp = jacobian_sparsity(two_step)
    opts = yc.SolverOptions(solver=Rodas4P(sparsity=sp))
    sparse = yc.simulate(two_step, None, t, options=opts).raise_if_failed()
    np.testing.assert_allclose(np.asarray(sparse.conc), np.asarray(dense.conc), rtol=1e-10, atol=1e-13)
    x = jnp.asarray(two_step.c0)[jnp.asarray(two_step.dynamic)] + 0.3

    def f(y):
        return two_step.rhs(0.0, y, two_step.c0, jnp.zeros(two_step.n_species, bool), jnp.ones(two_step.n_reactions))

    J = np.asarray(jax.jacfwd(f)(x))
    assert np.all((J != 0) <= np.asarray(sp))


def test_stage_loop_equals_unrolled_stages_on_the_core_model(core):
    """The default Rodas4P runs stages 2..6 as a lax.scan (one right-hand side in the compiled step);
    the unrolled form is the same method: trajectories agree to round-off on the stiff core model."""
    t = np.linspace(0.0, 20.0, 5)
    pert = yc.condition("teusink2000") + yc.knockdown("PFK1", 0.5)
    loop = yc.simulate(core, pert, t).raise_if_failed()
    unrolled = yc.simulate(core, pert, t, options=yc.SolverOptions(solver=Rodas4P(stage_loop=False)))
    unrolled.raise_if_failed()
    assert Rodas4P().stage_loop
    np.testing.assert_allclose(np.asarray(loop.conc), np.asarray(unrolled.conc), rtol=1e-10, atol=1e-13)
    # the state moved (the comparison is not between two copies of the initial values)
    assert np.max(np.abs(np.asarray(loop.conc[-1]) - np.asarray(loop.conc[0]))) > 1e-2


_BLOW_UP = """
format: yeastcell-model/1
model: {id: blow_up, name: autocatalytic blow-up}
references:
  test: "Test fixture: x' = k x^2, which reaches infinity at t = 1/(k x0) (not biology)."
compartments:
  - {id: cell, name: cell, volume: {value: 1.0, unit: fL, source: test}}
species:
  - {id: X, compartment: cell, initial: {value: 1.0, unit: mM}}
reactions:
  - id: autocatalysis
    stoichiometry: {X: 1}
    modifiers: {activators: [X]}
    rate_law:
      kind: expression
      formula: k * X * X
      parameters:
        k: {value: 1.0, unit: 1/(mM*min), source: test}
"""


def test_a_lane_that_blows_up_fails_fast_and_alone(tmp_path):
    """x' = x^2 from x0 = 1 has no solution past t = 1 min: that lane reports a collapsed step
    size, cheaply (not by stepping to max_steps), and the lane from x0 = 0.1 (finite to t = 10)
    still solves in the same vmapped batch."""
    from yeastcell.status import Status

    path = tmp_path / "blow_up.yaml"
    path.write_text(_BLOW_UP)
    cell = yc.load_cell(path)
    opts = yc.SolverOptions(max_steps=1_000_000)
    traj = yc.simulate_batch(cell, [yc.initial("X", 1.0), yc.initial("X", 0.1)], t=np.linspace(0, 2, 5), options=opts)
    assert list(np.asarray(traj.status)) == [Status.STEP_SIZE_TOO_SMALL, Status.SUCCESS]
    x = np.asarray(traj.conc)[1, :, 0]
    np.testing.assert_allclose(x, 0.1 / (1 - 0.1 * np.linspace(0, 2, 5)), rtol=1e-5)
    # the failed lane keeps what it solved before the blow-up (x = 1/(1 - t)) and is NaN after it stopped
    stop = float(np.asarray(traj.t_failed)[0])
    assert 0.9 < stop <= 1.0 and np.isinf(np.asarray(traj.t_failed)[1])
    t = np.linspace(0, 2, 5)
    x0 = np.asarray(traj.conc)[0, :, 0]
    np.testing.assert_allclose(x0[t < stop], 1.0 / (1.0 - t[t < stop]), rtol=1e-5)
    assert np.all(np.isnan(x0[t > stop]))
    with pytest.raises(yc.SimulationInputError, match="min_step_fraction"):
        yc.SolverOptions(min_step_fraction=-1.0)


def test_batch_in_chunks_equals_one_vmap(two_step):
    """Sequential vmapped chunks (the CPU default for SBML-style cells) give the one-vmap answer,
    lane for lane, including a batch that is not a multiple of the chunk."""
    perts = [yc.initial("S_e", v) for v in (0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)]
    t = np.linspace(0, 10, 6)
    whole = yc.simulate_batch(two_step, perts, t=t, lanes_per_chunk=None)
    chunks = yc.simulate_batch(two_step, perts, t=t, lanes_per_chunk=3)
    np.testing.assert_allclose(np.asarray(chunks.conc), np.asarray(whole.conc), rtol=1e-12, atol=1e-15)
    assert np.asarray(chunks.conc).shape == (7, 6, two_step.n_species)
    assert np.all(np.asarray(chunks.status) == 0)
    for bad in (0, -2, 2.5, "sixteen"):
        with pytest.raises(yc.SimulationInputError, match="lanes_per_chunk"):
            yc.simulate_batch(two_step, perts, t=t, lanes_per_chunk=bad)
