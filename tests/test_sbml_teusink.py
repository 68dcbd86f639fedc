"""BIOMD0000000064 (Teusink et al. 2000, yeast glycolysis) imported from SBML against libroadrunner.

The trajectory over 0–100 min and the steady state must match libroadrunner (CVODE at tight
tolerances) to 1e-5 relative on every species and every reaction flux. The model uses function
definitions (inlined at import), assignment rules and boundary species.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import yeastcell as yc

roadrunner = pytest.importorskip("roadrunner")
sbml = pytest.importorskip("yeastcell.sbml")

REL = 1e-5
T = np.linspace(0.0, 100.0, 101)
OPTS = yc.SolverOptions(rtol=1e-8, atol=1e-10, negative_tol=None)


@pytest.fixture(scope="module")
def teusink_path(refdata):
    p = refdata / "sbml" / "biomodels" / "BIOMD0000000064_teusink2000.xml"
    if not p.is_file():
        pytest.fail(f"{p} missing from the reference data")
    return p


@pytest.fixture(scope="module")
def teusink(teusink_path):
    return yc.compile_model(sbml.load(teusink_path))


def _rr(path):
    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-16
    return rr


def _rel_err(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = np.maximum(np.abs(b), 1e-12)
    return np.max(np.abs(a - b) / scale)


def test_teusink_imports_function_definitions_and_rules(teusink):
    spec = teusink.spec
    assert len(spec.species) == 26 and len(spec.reactions) == 17
    assert any(r.kind == "assignment" for r in spec.rules)
    assert all("(" in r.rate_law.formula for r in spec.reactions)  # function calls inlined


def test_teusink_trajectory_matches_roadrunner(teusink, teusink_path):
    rr = _rr(teusink_path)
    floating = list(rr.model.getFloatingSpeciesIds())
    boundary = list(rr.model.getBoundarySpeciesIds())
    rxns = list(rr.model.getReactionIds())
    res = rr.simulate(0, 100, 101, selections=["time"] + [f"[{s}]" for s in floating + boundary] + rxns)
    traj = yc.simulate(teusink, None, T, options=OPTS).raise_if_failed()
    for k, s in enumerate(floating + boundary):
        err = _rel_err(traj.species(s), res[:, 1 + k])
        assert err < REL, f"species {s}: max relative error {err:.2e}"
    off = 1 + len(floating) + len(boundary)
    for k, r in enumerate(rxns):
        err = _rel_err(traj.reaction_flux(r), res[:, off + k])
        assert err < REL, f"flux {r}: max relative error {err:.2e}"


def test_teusink_steady_state_matches_roadrunner(teusink, teusink_path):
    # roadrunner's Newton solver fails here (the conserved moieties make the Jacobian singular), so
    # the reference steady state is CVODE run to t = 5000 min, checked to be stationary
    rr = _rr(teusink_path)
    rr.simulate(0, 5000, 11)
    rates = np.asarray(rr.getRatesOfChange())
    assert np.max(np.abs(rates)) < 1e-9
    ss = yc.steady_state(teusink, options=yc.SolverOptions(rtol=1e-8, atol=1e-10, negative_tol=None), tol=1e-10)
    ss.raise_if_failed()
    for s in rr.model.getFloatingSpeciesIds():
        ref = rr[f"[{s}]"]
        got = float(ss.species(s))
        assert abs(got - ref) <= REL * max(abs(ref), 1e-12), f"species {s}: {got} vs {ref}"
    for r in rr.model.getReactionIds():
        ref = rr[r]
        got = float(ss.reaction_flux(r))
        assert abs(got - ref) <= REL * max(abs(ref), 1e-12), f"flux {r}: {got} vs {ref}"


def test_teusink_written_back_simulates_identically_in_roadrunner(teusink, teusink_path, tmp_path):
    out = sbml.write(teusink, tmp_path / "teusink_out.xml")
    a, b = _rr(teusink_path), _rr(out)
    sel = ["time"] + [f"[{s}]" for s in a.model.getFloatingSpeciesIds()] + list(a.model.getReactionIds())
    ra = a.simulate(0, 100, 51, selections=sel)
    rb = b.simulate(0, 100, 51, selections=sel)
    np.testing.assert_allclose(rb, ra, rtol=1e-7, atol=1e-12)


def test_teusink_batch_of_perturbations_matches_single_runs(teusink):
    import jax

    conds = yc.resolve_batch(teusink, [yc.wild_type(), yc.initial("GLCi", 0.5), yc.initial("F6P", 1.0)])
    t = np.linspace(0.0, 5.0, 6)
    batch = yc.simulate_batch(teusink, conds, t, options=OPTS, strategy="vmap")
    lane = jax.tree_util.tree_map(lambda x: x[1], conds)
    # the same solver as the 3-lane batch (the event-located Rodas4P): the same numbers
    same = dataclasses.replace(OPTS, solver=yc.Rodas4P(linear_solver="dense"))
    np.testing.assert_allclose(
        np.asarray(batch.conc[1]), np.asarray(yc.simulate(teusink, lane, t, options=same).conc), rtol=1e-9
    )
    # one trajectory by default takes BatchBDF (solvers/solve.py, batch_options): within the tolerances
    one = yc.simulate(teusink, lane, t, options=OPTS)
    np.testing.assert_allclose(np.asarray(batch.conc[1]), np.asarray(one.conc), rtol=1e-7, atol=1e-10)
    assert not np.allclose(np.asarray(batch.conc[0]), np.asarray(batch.conc[1]))
