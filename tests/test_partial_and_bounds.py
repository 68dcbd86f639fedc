"""Partial results of failed solves and the physiological-bounds warning (issue 30, part 5).

- A failed lane keeps the values saved up to the time its solve stopped (`Trajectory.t_failed`) and
  holds NaN after it, on the diffrax path (Rodas4P), under BatchBDF and in the SBML event solve;
  the named accessors still raise `SolverError`, now naming the stop time and the last state.
- A solved trajectory that leaves the bounds of `yeastcell.bounds` stays ``ok`` and carries the
  warning `Status.IMPLAUSIBLE_STATE`.
- The core model: pdc1/5/6 null cells excrete pyruvate (Flikweert et al. 1996 Yeast 12:247;
  Pronk et al. 1996 Yeast 12:1607) instead of accumulating it to molar levels; PFK1 knockdowns
  below ~23 % (the README's dose-response) solve to an ATP-depleted state instead of stopping.
"""

from __future__ import annotations

import numpy as np
import pytest

import yeastcell as yc
from yeastcell.bounds import CLASS_BOUNDS, species_bounds
from yeastcell.solvers import BatchBDF

T = np.linspace(0.0, 2.0, 41)


def _check_partial(traj, full, species):
    """`traj` failed mid-way: values up to t_failed equal the successful run `full`, NaN after."""
    assert not traj.ok
    tf = float(traj.t_failed)
    assert T[0] < tf < T[-1]
    before = np.asarray(traj.t) <= tf
    assert before.sum() >= 2
    if species is None:  # every species
        x, ref = np.asarray(traj.conc), np.asarray(full.conc)
    else:
        x, ref = traj.species(species, allow_failed=True), full.species(species)
    np.testing.assert_allclose(x[before], ref[before], rtol=1e-5, atol=1e-9)
    assert np.all(np.isnan(x[~before]))
    assert np.all(np.isnan(np.asarray(traj.conc)[~before]))
    assert np.all(np.isnan(np.asarray(traj.flux)[~before]))


def test_failed_lane_keeps_values_before_stop_and_nan_after(two_step):
    full = yc.simulate(two_step, None, T)
    traj = yc.simulate(two_step, None, T, options=yc.SolverOptions(max_steps=20))
    assert int(traj.status) == yc.Status.MAX_STEPS
    _check_partial(traj, full, "P_c")
    # the accessors still refuse a failed trajectory, and say where it stopped
    with pytest.raises(yc.SolverError, match=r"stopped at t=0\.\d+ min; last saved state \(t="):
        traj.species("P_c")
    part = traj.partial()
    np.testing.assert_array_equal(part.species("P_c"), traj.species("P_c", allow_failed=True))


def test_failed_lanes_of_a_batch_keep_their_values_under_batch_bdf(two_step):
    perts = [None, yc.knockdown("ENZ1", 0.5)]
    full = yc.simulate_batch(two_step, perts, T)
    opts = yc.SolverOptions(max_steps=40, solver=BatchBDF())
    traj = yc.simulate_batch(two_step, perts, T, options=opts)
    assert not traj.ok.any()
    for i in range(2):
        _check_partial(traj[i], full[i], "P_c")
    recs = traj.failures()
    assert [r["index"] for r in recs] == [0, 1]
    assert all(T[0] < r["t_failed"] < T[-1] and r["t_last"] <= r["t_failed"] for r in recs)
    assert "2 of 2 trajectories failed" in traj.failure_summary()


def test_successful_lanes_have_infinite_stop_time(two_step):
    traj = yc.simulate_batch(two_step, [None, yc.knockdown("ENZ1", 0.5)], T)
    assert traj.ok.all()
    assert np.all(np.isinf(np.asarray(traj.t_failed)))
    assert traj.failures() == [] and traj.failure_summary() == ""


@pytest.mark.reference_data
def test_sbml_event_solve_keeps_values_before_stop(refdata):
    sbml = pytest.importorskip("yeastcell.sbml")
    cell = yc.compile_model(sbml.load(refdata / "sbml" / "biomodels" / "BIOMD0000000064_teusink2000.xml"))
    # the event-located solve by name (one trajectory of an event-free cell otherwise takes BatchBDF,
    # whose partial values tests/test_sbml_bdf.py checks)
    opts = dict(negative_tol=None, solver=yc.Rodas4P(linear_solver="dense"))
    full = yc.simulate(cell, None, T, options=yc.SolverOptions(**opts))
    traj = yc.simulate(cell, None, T, options=yc.SolverOptions(max_steps=400, **opts))
    assert int(traj.status) == yc.Status.MAX_STEPS
    _check_partial(traj, full, None)


def test_bounds_table_covers_the_species_classes(core):
    assert CLASS_BOUNDS["intracellular metabolite"].upper == 200.0
    lo, hi = species_bounds(core)
    i = core.species_ids
    assert hi[i.index("PYR_c")] == 200.0 and hi[i.index("GLC_e")] == 3000.0
    assert np.isinf(hi[i.index("H2O_c")])  # water is 55.5 M: not checked


@pytest.fixture(scope="module")
def pdc_runs(core):
    t = np.linspace(0.0, 60.0, 13)
    base = yc.condition("aerobic_batch") + yc.knockout("PDC1", "PDC5", "PDC6")
    # without the excretion route (PYR_T inhibited): the 1.1 M pyruvate of the issue
    perts = [base, base + yc.inhibit("PYR_T", 1e9, 1.0)]
    return yc.simulate_batch(core, perts, t, strategy="vmap")


def test_pdc_null_excretes_pyruvate_and_stays_plausible(pdc_runs):
    ko = pdc_runs[0]
    assert ko.ok and ko.plausible
    assert ko.warnings == []
    assert ko.species("PYR_c").max() < 200.0
    assert ko.species("PYR_e")[-1] > 0.1  # mM in the medium after 60 min at 1e7 cells/mL


def test_pdc_null_without_pyruvate_excretion_carries_the_warning(pdc_runs):
    ko = pdc_runs[1]
    assert bool(ko.ok)  # a warning, not a failure
    assert int(ko.warning) == yc.Status.IMPLAUSIBLE_STATE
    assert not ko.plausible
    assert ko.species("PYR_c")[-1] > 500.0
    assert any("PYR_c reaches" in w for w in ko.warnings)
    assert ko.status_messages()[0].startswith("IMPLAUSIBLE_STATE")


@pytest.mark.slow  # ~70-145 s (two BatchBDF programs); CI keeps the failed-lane checks below and runs the README's block
def test_readme_dose_response_failed_lanes_report_stop_times(core):
    """A smaller version of the README's dose-response of PFK1 knockdowns (64 lanes: BatchBDF, as
    the README's 1000): every lane solves now, the low ones to the ATP-depleted state of a turbo
    pathway; with a step limit that stops lanes, each failed lane reports its stop time and last state."""
    t = np.linspace(0.0, 60.0, 121)
    fr = np.linspace(0.05, 1, 64, endpoint=False)
    perts = [yc.condition("aerobic_batch") + yc.knockdown("PFK1", f) for f in fr]
    batch = yc.simulate_batch(core, perts, t)
    assert batch.ok.all(), batch.failure_summary(limit=10)
    atp = batch.species("ATP_c")[:, -1]
    assert np.all(atp[fr <= 0.2] < 0.01) and np.all(atp[fr >= 0.3] > 0.5)
    limited = yc.simulate_batch(core, perts, t, options=yc.SolverOptions(max_steps=150))
    recs = limited.failures()
    assert recs, "the step limit should stop some lanes"
    for r in recs:
        assert 0.0 <= r["t_failed"] < 60.0 and r["t_last"] <= r["t_failed"]
        assert "highest" in r and "lowest" in r
    summary = limited.failure_summary()
    assert f"{len(recs)} of {len(perts)} trajectories failed" in summary and "stopped at t=" in summary


@pytest.mark.slow
def test_readme_dose_response_of_1000_pfk1_knockdowns_all_solve(core):
    """The README's block as written: 1000 PFK1 knockdowns (fractions 0.05 to < 1), every lane solves."""
    t = np.linspace(0, 60, 121)
    perts = [
        yc.condition("aerobic_batch") + yc.knockdown("PFK1", f) for f in np.linspace(0.05, 1, 1000, endpoint=False)
    ]
    batch = yc.simulate_batch(core, perts, t)
    assert batch.ok.sum() == 1000, batch.failure_summary(limit=10)
    assert batch.failure_summary(limit=5) == ""


@pytest.mark.slow
def test_whole_cell_eno2_osmotic_shock_carries_the_warning():
    cell = yc.load_cell("yeast_cell")
    pert = yc.condition("aerobic_batch") + yc.knockout("ENO2") + yc.osmotic_shock(0.4)
    traj = yc.simulate(cell, pert, np.linspace(0.0, 60.0, 13))
    print("\n".join(traj.status_messages() + traj.warnings))  # shown with -s
    if traj.ok:
        for s in ("F16BP_c", "ATP_c", "PEP_c", "P2G_c", "GLY_c", "Eno1"):
            print(s, np.round(traj.species(s), 4))
        for r in ("PFK", "ALD", "GAPDH", "ENO", "PYK", "GPD"):
            print(r, np.round(traj.reaction_flux(r), 3))
    assert bool(traj.ok)
    assert int(traj.warning) == yc.Status.IMPLAUSIBLE_STATE
    assert any("F16BP_c reaches" in w for w in traj.warnings)


_IMPLAUSIBLE_MODEL = """format: yeastcell-model/1
model: {id: pileup, name: intracellular pile-up (test fixture)}
references:
  test: "Test fixture: a metabolite made faster than it leaves (not biology)."
compartments:
  - {id: cell, name: cell, volume: {value: 1.0, unit: fL, source: test}, outside: medium}
  - {id: medium, name: medium, volume: {value: 100.0, unit: fL, source: test}}
species:
  - {id: S_e, compartment: medium, initial: {value: 2000.0, unit: mM}, formula: C6H12O6}
  - {id: S_c, compartment: cell, initial: {value: 0.0, unit: mM}, formula: C6H12O6}
reactions:
  - id: uptake
    stoichiometry: {S_e: -1, S_c: 1}
    compartment: cell
    rate_law:
      kind: mass_action
      parameters:
        kf: {value: 1.0, unit: 1/min, source: test}
"""


def test_cli_prints_the_warning_status(tmp_path, capsys):
    from yeastcell.cli import main

    model = tmp_path / "pileup.yaml"
    model.write_text(_IMPLAUSIBLE_MODEL)
    assert main(["simulate", "-m", str(model), "--t-end", "1", "--points", "3", "--species", "S_c"]) == 0
    out = capsys.readouterr().out
    assert "ok, WARNING IMPLAUSIBLE_STATE" in out
    assert "warning: wild type: IMPLAUSIBLE_STATE: S_c reaches" in out
