"""`BatchBDF` on SBML-semantics cells (yeastcell/solvers/sbml_bdf.py), with and without state events
(yeastcell/solvers/sbml_bdf_events.py), against the event-located solve (the path such cells took
before) and libroadrunner, lane by lane."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import libsbml
import numpy as np
import pytest

import yeastcell as yc
from yeastcell import sbml
from yeastcell.solvers import BDF_MIN_BATCH, BatchBDF, Method, Rodas4P, batch_options, method, traced

roadrunner = pytest.importorskip("roadrunner")

T = np.linspace(0.0, 4.0, 21)
RTOL, ATOL = 1e-10, 1e-12
FACTORS = (0.5, 1.0, 1.7, 3.0)  # of parameter k, one per lane


def _model(with_event: bool = False) -> str:
    """A <-> B in a 2 L compartment: forward C * lin(k, A) (a function definition), backward
    C * piecewise(kr * B, time > 1, 0) (off until t = 1); an assignment rule total = A + B; a
    rate rule dp/dt = -k * p on a parameter; with `with_event`, an event doubling kr at p < 0.5."""
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    m.setId("bdf_rules")
    c = m.createCompartment()
    c.setId("C")
    c.setSize(2.0)
    c.setConstant(True)
    for sid, amount in (("A", 1.0), ("B", 0.0)):
        s = m.createSpecies()
        s.setId(sid)
        s.setCompartment("C")
        s.setInitialAmount(amount)
        s.setHasOnlySubstanceUnits(False)
        s.setBoundaryCondition(False)
        s.setConstant(False)
    for pid, value, const in (("k", 0.8, True), ("kr", 0.3, False), ("p", 1.0, False), ("total", 0.0, False)):
        p = m.createParameter()
        p.setId(pid)
        p.setValue(value)
        p.setConstant(const)
    fd = m.createFunctionDefinition()
    fd.setId("lin")
    fd.setMath(libsbml.parseL3Formula("lambda(x, y, x * y)"))
    for rid, sub, prod, law in (
        ("fwd", "A", "B", "C * lin(k, A)"),
        ("bwd", "B", "A", "C * piecewise(kr * B, time > 1, 0)"),
    ):
        r = m.createReaction()
        r.setId(rid)
        r.setReversible(False)
        for sid, make in ((sub, r.createReactant), (prod, r.createProduct)):
            sr = make()
            sr.setSpecies(sid)
            sr.setStoichiometry(1)
            sr.setConstant(True)
        r.createKineticLaw().setMath(libsbml.parseL3Formula(law))
    rule = m.createAssignmentRule()
    rule.setVariable("total")
    rule.setMath(libsbml.parseL3Formula("A + B"))
    rate = m.createRateRule()
    rate.setVariable("p")
    rate.setMath(libsbml.parseL3Formula("-k * p"))
    if with_event:
        e = m.createEvent()
        e.setId("boost")
        e.setUseValuesFromTriggerTime(True)
        t = e.createTrigger()
        t.setMath(libsbml.parseL3Formula("p < 0.5"))
        t.setInitialValue(False)
        t.setPersistent(True)
        a = e.createEventAssignment()
        a.setVariable("kr")
        a.setMath(libsbml.parseL3Formula("2 * kr"))
    return libsbml.writeSBMLToString(doc)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sbml_bdf") / "bdf_rules.xml"
    path.write_text(_model())
    return path


@pytest.fixture(scope="module")
def cell(model_path):
    return yc.compile_model(sbml.load(model_path))


def _roadrunner(path, factor, selections=("[A]", "[B]", "p", "total")):
    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-14
    rr["k"] = rr["k"] * factor
    out = rr.simulate(float(T[0]), float(T[-1]), len(T), selections=list(selections))
    return np.asarray(out)


def test_batch_bdf_matches_libroadrunner_lane_by_lane(cell, model_path):
    perts = [yc.parameter("k", factor=f) for f in FACTORS]
    opts = yc.SolverOptions(rtol=RTOL, atol=ATOL, negative_tol=None, solver=BatchBDF())
    assert method(cell, opts) is Method.SBML_BDF
    assert method(cell, yc.SolverOptions(solver=Rodas4P())) is Method.EVENTS
    bdf = yc.simulate_batch(cell, perts, T, options=opts, progress=False)
    assert np.all(bdf.ok)
    vals, ids = np.asarray(bdf.values), bdf.value_ids
    got = np.stack(
        [bdf.species("A"), bdf.species("B"), vals[..., ids.index("p")], vals[..., ids.index("total")]], axis=-1
    )
    for lane, f in enumerate(FACTORS):
        np.testing.assert_allclose(got[lane], _roadrunner(model_path, f), rtol=1e-6, atol=1e-9)
    # the rule holds in every lane, at every save point (amount conserved by the reactions)
    np.testing.assert_allclose(got[..., 3], 0.5, rtol=1e-9)


def test_batch_bdf_matches_the_event_located_solve_with_timed_events_and_parameters(cell):
    """The path SBML cells took before (`Method.EVENTS`) as the reference."""
    perts = [yc.pulse("A", 0.25, at=2.0), yc.step("B", 0.1, at=1.0) + yc.parameter("k", factor=2.0)]
    bdf = yc.simulate_batch(
        cell, perts, T, options=yc.SolverOptions(rtol=RTOL, atol=ATOL, negative_tol=None, solver=BatchBDF())
    )
    old = yc.simulate_batch(cell, perts, T, options=yc.SolverOptions(rtol=RTOL, atol=ATOL, negative_tol=None))
    assert np.all(bdf.ok) and np.all(old.ok)
    np.testing.assert_allclose(np.asarray(bdf.values), np.asarray(old.values), rtol=1e-6, atol=1e-9)
    # the pulse shows at its time (right-continuous save) and the step sets B
    i = int(np.searchsorted(T, 2.0))
    assert bdf.species("A")[0, i] > bdf.species("A")[0, i - 1] + 0.2
    np.testing.assert_allclose(bdf.species("B")[1, int(np.searchsorted(T, 1.0))], 0.1, rtol=1e-9)


@pytest.fixture(scope="module")
def event_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sbml_bdf_events") / "with_event.xml"
    path.write_text(_model(with_event=True))
    return path


def test_large_batches_of_sbml_cells_get_batch_bdf_with_or_without_state_events(cell, event_path):
    opts = yc.SolverOptions()
    assert isinstance(batch_options(opts, BDF_MIN_BATCH, cell).solver, BatchBDF)
    assert not isinstance(batch_options(opts, BDF_MIN_BATCH - 1, cell).solver, BatchBDF)
    evented = yc.compile_model(sbml.load(event_path))
    assert evented.events is not None
    assert isinstance(batch_options(opts, BDF_MIN_BATCH, evented).solver, BatchBDF)
    assert not isinstance(batch_options(opts, BDF_MIN_BATCH - 1, evented).solver, BatchBDF)
    assert method(evented, yc.SolverOptions(solver=BatchBDF())) is Method.SBML_BDF
    assert method(evented, yc.SolverOptions()) is Method.EVENTS


def test_batch_bdf_locates_state_events_per_lane_as_libroadrunner_and_the_event_located_solve(event_path):
    """The event (p < 0.5: kr doubles) fires at t = ln 2 / k, a different time in every lane; kr is a
    parameter outside the integrated state, so its value at each save point comes from the lane's
    event state."""
    evented = yc.compile_model(sbml.load(event_path))
    perts = [yc.parameter("k", factor=f) for f in FACTORS]
    opts = {"rtol": RTOL, "atol": ATOL, "negative_tol": None}
    bdf = yc.simulate_batch(evented, perts, T, options=yc.SolverOptions(**opts, solver=BatchBDF()), progress=False)
    old = yc.simulate_batch(evented, perts, T, options=yc.SolverOptions(**opts), progress=False)
    assert np.all(bdf.ok) and np.all(old.ok)
    vals, ids = np.asarray(bdf.values), bdf.value_ids
    kr = vals[..., ids.index("kr")]
    for lane, f in enumerate(FACTORS):
        t_event = np.log(2.0) / (0.8 * f)
        np.testing.assert_allclose(kr[lane], np.where(T < t_event, 0.3, 0.6))  # right-continuous
        got = np.stack([bdf.species("A")[lane], bdf.species("B")[lane], vals[lane, :, ids.index("p")], kr[lane]], -1)
        np.testing.assert_allclose(got, _roadrunner(event_path, f, ("[A]", "[B]", "p", "kr")), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(vals, np.asarray(old.values), rtol=1e-6, atol=1e-9)


def test_a_lane_over_max_events_fails_alone_with_too_many_events(tmp_path):
    """A trigger that re-arms itself (x > 1: x = 0, with dx/dt = r): lane r = 3 fires at every third
    of a minute, lane r = 0.4 once (t = 2.5); with max_events 5 only the first fails, at its fifth
    execution (t = 5/3)."""
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    m.setId("sawtooth")
    c = m.createCompartment()
    c.setId("C")
    c.setSize(1.0)
    c.setConstant(True)
    x = m.createSpecies()
    x.setId("x")
    x.setCompartment("C")
    x.setInitialAmount(0.0)
    x.setHasOnlySubstanceUnits(True)
    x.setBoundaryCondition(True)
    x.setConstant(False)
    q = m.createParameter()
    q.setId("r")
    q.setValue(1.0)
    q.setConstant(True)
    y = m.createSpecies()  # a decay beside it (a model needs a reaction to be simulated in a batch)
    y.setId("y")
    y.setCompartment("C")
    y.setInitialAmount(1.0)
    y.setHasOnlySubstanceUnits(True)
    y.setBoundaryCondition(False)
    y.setConstant(False)
    decay = m.createReaction()
    decay.setId("decay")
    decay.setReversible(False)
    sr = decay.createReactant()
    sr.setSpecies("y")
    sr.setStoichiometry(1)
    sr.setConstant(True)
    decay.createKineticLaw().setMath(libsbml.parseL3Formula("0.1 * y"))
    rule = m.createRateRule()
    rule.setVariable("x")
    rule.setMath(libsbml.parseL3Formula("r"))
    e = m.createEvent()
    e.setId("reset")
    e.setUseValuesFromTriggerTime(True)
    t = e.createTrigger()
    t.setMath(libsbml.parseL3Formula("x > 1"))
    t.setInitialValue(False)
    t.setPersistent(True)
    a = e.createEventAssignment()
    a.setVariable("x")
    a.setMath(libsbml.parseL3Formula("0"))
    path = tmp_path / "sawtooth.xml"
    path.write_text(libsbml.writeSBMLToString(doc))
    saw = yc.compile_model(sbml.load(path))
    opts = yc.SolverOptions(rtol=RTOL, atol=ATOL, negative_tol=None, max_events=5, solver=BatchBDF())
    tr = yc.simulate_batch(saw, [yc.parameter("r", factor=3.0), yc.parameter("r", factor=0.4)], T, options=opts)
    status = np.asarray(tr.status)
    assert status[0] == yc.Status.TOO_MANY_EVENTS and status[1] == yc.Status.SUCCESS
    np.testing.assert_allclose(float(np.asarray(tr.t_failed)[0]), 5.0 / 3.0, rtol=1e-9)
    x = np.asarray(tr.species("x", allow_failed=True))[1]
    np.testing.assert_allclose(x, np.where(T < 2.5, 0.4 * T, 0.4 * T - 1.0), atol=1e-9)  # reset at t = 2.5


def test_a_lane_out_of_steps_is_a_failure_with_values_kept_up_to_where_it_stopped(cell):
    perts = [yc.parameter("k", factor=1e-3), yc.parameter("k", factor=30.0)]  # lane 0 barely moves: few steps
    opts = yc.SolverOptions(rtol=RTOL, atol=ATOL, negative_tol=None, max_steps=200, solver=BatchBDF())
    tr = yc.simulate_batch(cell, perts, T, options=opts, progress=False)
    status = np.asarray(tr.status)
    assert status[0] == yc.Status.SUCCESS and status[1] == yc.Status.MAX_STEPS
    a = np.asarray(tr.species("A", allow_failed=True))
    tf = float(np.asarray(tr.t_failed)[1])
    assert T[0] < tf < T[-1]
    before = T <= tf
    assert np.all(np.isfinite(a[1, before])) and np.all(np.isnan(a[1, ~before]))  # never valid-looking
    assert np.all(np.isfinite(a[0]))
    assert not bool(np.asarray(tr.ok)[1])


def test_one_trajectory_without_gradients_takes_batch_bdf_and_a_traced_one_keeps_rodas(cell, model_path, tmp_path):
    """The batch-1 rule of `batch_options`: an event-free SBML cell whose solve nobody can
    differentiate (nothing traced) gets BatchBDF; gradients requested, a cell with state events, an
    explicit solver keep what they had. `simulate` applies it and agrees with the old path."""
    opts = yc.SolverOptions(rtol=RTOL, atol=ATOL, negative_tol=None)
    assert isinstance(batch_options(opts, 1, cell).solver, BatchBDF)
    assert isinstance(batch_options(opts, 1, cell, gradients=True).solver, Rodas4P)
    assert not isinstance(batch_options(opts, 2, cell).solver, BatchBDF)  # small batches: unchanged
    explicit = yc.SolverOptions(solver=Rodas4P(linear_solver="dense"))
    assert batch_options(explicit, 1, cell) is explicit
    path = tmp_path / "with_event.xml"
    path.write_text(_model(with_event=True))
    evented = yc.compile_model(sbml.load(path))
    assert not isinstance(batch_options(opts, 1, evented).solver, BatchBDF)
    seen = []
    jax.jit(lambda theta: seen.append(traced(cell, theta)) or theta)(cell.theta)
    assert seen == [True] and not traced(cell, T)

    pert = yc.parameter("k", factor=1.7)
    new = yc.simulate(cell, pert, T, options=opts)  # BatchBDF
    old = yc.simulate(cell, pert, T, options=dataclasses.replace(opts, solver=Rodas4P(linear_solver="dense")))
    assert bool(new.ok) and bool(old.ok)
    np.testing.assert_allclose(np.asarray(new.values), np.asarray(old.values), rtol=1e-6, atol=1e-9)
    ref = _roadrunner(model_path, 1.7)
    np.testing.assert_allclose(
        np.stack([new.species("A"), new.species("B")], axis=-1), ref[:, :2], rtol=1e-6, atol=1e-9
    )


def test_scalar_state_derivative_equals_the_vector_form(cell):
    """`System.state_derivative` (the right-hand side the solvers use) against `derivative` after
    `apply_rules` at random states, parameters, rate scales and clamps."""
    sysm = cell.system
    state = np.asarray(sysm.state)
    rng = np.random.default_rng(1)
    y = sysm.apply_rules(sysm.y_from(cell.c0, cell.volumes, cell.theta[: sysm.n_param]), 0.0, cell.theta)[0]
    for _ in range(3):
        theta = cell.theta * rng.uniform(0.5, 2.0, cell.theta.shape)
        x = rng.uniform(0.1, 2.0, state.size)
        rs = rng.uniform(0.5, 2.0, len(sysm.laws))
        clamp = rng.uniform(size=sysm.n_species) < 0.5
        t = rng.uniform(0.0, 3.0)
        full, env = sysm.apply_rules(y.at[state].set(x), t, theta)
        want = sysm.derivative(full, env, theta, rs, clamp)
        got = sysm.state_derivative(jnp.asarray(x), y, t, theta, rs, clamp)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-13, atol=1e-15)


@pytest.mark.slow
def test_tyson_2001_divisions_in_a_batch_match_the_event_located_solve_and_libroadrunner(refdata):
    """Tyson & Novák 2001 (BioModels 195), whose division event (CycB < 0.1: mass halved) fires
    twice in 300 min, in a batch of 4 lanes with different growth rates (`mu`, so the divisions
    fall at different times): the batched BDF locates every division in every lane as the
    event-located solve and libroadrunner do (measured: within 0.1 of the bound below vs
    libroadrunner at rtol 1e-12, 0.13 vs the event-located solve)."""
    path = refdata / "sbml" / "biomodels" / "BIOMD0000000195_tyson2001.xml"
    cell = yc.load_cell(str(path))
    ts = np.linspace(0.0, 300.0, 301)
    factors = (0.9, 1.0, 1.05, 1.2)
    perts = [yc.parameter("mu", factor=f) for f in factors]
    opts = {"rtol": 1e-8, "atol": 1e-10, "negative_tol": None, "max_steps": 100_000}
    bdf = yc.simulate_batch(cell, perts, ts, options=yc.SolverOptions(**opts, solver=BatchBDF()), progress=False)
    old = yc.simulate_batch(cell, perts, ts, options=yc.SolverOptions(**opts), progress=False)
    assert np.all(bdf.ok) and np.all(old.ok)
    species = [s for s in ("CycB", "Cdh1", "Cdc20t", "CKIt") if s in cell.species_ids]
    mass = np.asarray(bdf.values)[..., bdf.value_ids.index("m")]
    for lane, f in enumerate(factors):
        rr = roadrunner.RoadRunner(str(path))
        rr.integrator.relative_tolerance, rr.integrator.absolute_tolerance = 1e-12, 1e-14
        rr["mu"] = rr["mu"] * f
        ref = np.asarray(rr.simulate(0.0, 300.0, len(ts), selections=["m"] + [f"[{s}]" for s in species]))
        got = np.stack([mass[lane]] + [bdf.species(s)[lane] for s in species], axis=-1)
        # the divisions: where the mass drops, the same save intervals as libroadrunner's
        drops = np.flatnonzero(np.diff(mass[lane]) < 0)
        np.testing.assert_array_equal(drops, np.flatnonzero(np.diff(ref[:, 0]) < 0))
        assert len(drops) >= 2
        err = np.abs(got - ref) / (1e-4 * np.abs(ref) + 1e-6 * np.abs(ref).max(axis=0))
        assert err.max() <= 1.0, (lane, float(err.max()))
    v_new, v_old = np.asarray(bdf.values), np.asarray(old.values)
    err = np.abs(v_new - v_old) / (1e-4 * np.abs(v_old) + 1e-8)
    assert err.max() <= 1.0
