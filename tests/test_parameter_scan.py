"""Parameters as perturbations (`yc.parameter`, ``param:`` notation) and `yc.parameter_scan`.

A scan of an imported SBML model's parameter (BIOMD0000000064, Teusink et al. 2000) must match
libroadrunner lane by lane (libroadrunner with the parameter set before the run, CVODE at tight
tolerances); on the native core model a `param:` perturbation must equal editing `cell.theta`.
"""

from __future__ import annotations

import equinox as eqx
import numpy as np
import pytest

import yeastcell as yc
from yeastcell.exceptions import PerturbationError, UnknownNameError
from yeastcell.perturb import parse_perturbation

T = np.linspace(0.0, 20.0, 21)
OPTS = yc.SolverOptions(rtol=1e-8, atol=1e-10, negative_tol=None)


def test_a_parameter_perturbation_equals_editing_theta(core):
    base = yc.condition("aerobic_batch")
    i = core.theta_names.index("PFK.Vmax")
    edited = eqx.tree_at(lambda c: c.theta, core, core.theta.at[i].multiply(0.5))
    a = yc.simulate(core, base + parse_perturbation("param:PFK.Vmax*0.5"), T)
    b = yc.simulate(edited, base, T)
    np.testing.assert_array_equal(np.asarray(a.conc), np.asarray(b.conc))
    np.testing.assert_array_equal(np.asarray(a.flux), np.asarray(b.flux))
    v = float(core.theta[i]) * 0.5
    c = yc.simulate(core, base + yc.parameter("pfk.vmax", v), T)  # set to a value; names case-insensitive
    np.testing.assert_allclose(np.asarray(c.conc), np.asarray(b.conc), rtol=1e-12, atol=1e-15)
    assert a.ok and not np.allclose(np.asarray(a.conc), np.asarray(yc.simulate(core, base, T).conc))


def test_bad_parameters_fail_before_solving(core):
    with pytest.raises(UnknownNameError, match="PFK.Vmax"):
        yc.resolve(core, yc.parameter("PFK.Vmx", 1.0))
    with pytest.raises(PerturbationError, match="exactly one"):
        yc.parameter("PFK.Vmax", 1.0, factor=2.0)
    with pytest.raises(PerturbationError, match="positive"):
        yc.parameter("PFK.Vmax", factor=-1.0)
    with pytest.raises(PerturbationError, match="twice"):
        yc.resolve(core, yc.parameter("PFK.Vmax", 1.0) + yc.parameter("PFK.Vmax", factor=2.0))


@pytest.mark.parametrize("n", [8, pytest.param(1000, marks=pytest.mark.slow)])
def test_a_scan_of_an_imported_sbml_parameter_matches_libroadrunner_lane_by_lane(refdata, tmp_path, n):
    roadrunner = pytest.importorskip("roadrunner")
    sbml = pytest.importorskip("yeastcell.sbml")
    path = refdata / "sbml" / "biomodels" / "BIOMD0000000064_teusink2000.xml"
    cell = yc.compile_model(sbml.load(path))
    values = np.linspace(0.5, 2.0, n) * float(cell.theta[cell.theta_names.index("KmPFKF6P")])
    scan = yc.parameter_scan(cell, "KmPFKF6P", values, T, options=OPTS)
    assert scan.ok.all()
    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-16
    floating = list(rr.model.getFloatingSpeciesIds())
    worst = 0.0
    for k, v in enumerate(values):
        rr.resetAll()
        rr["KmPFKF6P"] = float(v)
        res = rr.simulate(float(T[0]), float(T[-1]), len(T), ["time"] + [f"[{s}]" for s in floating])
        for j, s in enumerate(floating):
            ref = np.asarray(res[:, j + 1])
            ours = np.asarray(scan.trajectory.species(s))[k]
            worst = max(worst, float(np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-9))))
    assert worst < 1e-5, worst
    # the scan changes the outcome (otherwise the comparison above proves nothing about the parameter)
    assert np.ptp(scan.final("F6P")) > 1e-3 * np.max(np.abs(scan.final("F6P")))
    out = scan.plot(["F6P", "F16P"], tmp_path / "scan.png")
    assert out.stat().st_size > 1000
