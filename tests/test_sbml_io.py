"""SBML import/export: refused constructs, formula translation, export of a yeastcell (YAML) model."""

from __future__ import annotations

import libsbml
import numpy as np
import pytest
from conftest import TEST_MODELS

import yeastcell as yc
from yeastcell import sbml
from yeastcell.sbml._write import to_l3

roadrunner = pytest.importorskip("roadrunner")


def _doc(build) -> str:
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    m.setId("m")
    c = m.createCompartment()
    c.setId("C"); c.setSize(2.0); c.setConstant(True)
    for sid, amount in (("A", 1.0), ("B", 0.0)):
        s = m.createSpecies()
        s.setId(sid); s.setCompartment("C"); s.setInitialAmount(amount)
        s.setHasOnlySubstanceUnits(False); s.setBoundaryCondition(False); s.setConstant(False)
    p = m.createParameter()
    p.setId("k"); p.setValue(0.5); p.setConstant(False)
    build(m)
    return libsbml.writeSBMLToString(doc)


def _write(tmp_path, text, name="m.xml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_algebraic_rule_is_refused_with_its_name(tmp_path):
    def build(m):
        r = m.createAlgebraicRule()
        r.setMath(libsbml.parseL3Formula("A + B - k"))

    with pytest.raises(sbml.UnsupportedSBMLError, match="AlgebraicRule") as err:
        sbml.load(_write(tmp_path, _doc(build)))
    assert err.value.construct == "AlgebraicRule"


def test_delayed_event_and_fast_reaction_are_refused(tmp_path):
    def delayed(m):
        e = m.createEvent()
        e.setId("E1"); e.setUseValuesFromTriggerTime(True)
        t = e.createTrigger()
        t.setMath(libsbml.parseL3Formula("time > 1")); t.setInitialValue(False); t.setPersistent(True)
        e.createDelay().setMath(libsbml.parseL3Formula("0.5"))
        a = e.createEventAssignment()
        a.setVariable("k"); a.setMath(libsbml.parseL3Formula("1"))

    with pytest.raises(sbml.UnsupportedSBMLError, match="EventWithDelay.*|.*E1.*"):
        sbml.load(_write(tmp_path, _doc(delayed)))

    def delay_symbol(m):
        r = m.createAssignmentRule()
        r.setVariable("k")
        r.setMath(libsbml.parseL3Formula("delay(A, 1)"))

    with pytest.raises(sbml.UnsupportedSBMLError, match="delay"):
        sbml.load(_write(tmp_path, _doc(delay_symbol), "d.xml"))


def test_invalid_sbml_names_the_line(tmp_path):
    path = _write(tmp_path, "<sbml xmlns='http://www.sbml.org/sbml/level3/version2/core' level='3' version='2'><model><listOfSpecies><species/></listOfSpecies></model></sbml>")
    with pytest.raises(yc.ModelFileError, match="invalid SBML"):
        sbml.load(path)


def test_rules_events_and_function_definitions_simulate_correctly(tmp_path):
    """A -> B with rate k*A (k doubles at time 1 by an event), B_total by an assignment rule."""

    def build(m):
        fd = m.createFunctionDefinition()
        fd.setId("lin"); fd.setMath(libsbml.parseL3Formula("lambda(x, y, x * y)"))
        r = m.createReaction()
        r.setId("R"); r.setReversible(False)
        sr = r.createReactant(); sr.setSpecies("A"); sr.setStoichiometry(1); sr.setConstant(True)
        sr = r.createProduct(); sr.setSpecies("B"); sr.setStoichiometry(1); sr.setConstant(True)
        r.createKineticLaw().setMath(libsbml.parseL3Formula("C * lin(k, A)"))
        p = m.createParameter(); p.setId("total"); p.setConstant(False)
        rule = m.createAssignmentRule(); rule.setVariable("total"); rule.setMath(libsbml.parseL3Formula("A + B"))
        e = m.createEvent(); e.setId("double_k"); e.setUseValuesFromTriggerTime(True)
        t = e.createTrigger(); t.setMath(libsbml.parseL3Formula("time >= 1")); t.setInitialValue(False); t.setPersistent(True)
        a = e.createEventAssignment(); a.setVariable("k"); a.setMath(libsbml.parseL3Formula("2 * k"))

    cell = yc.compile_model(sbml.load(_write(tmp_path, _doc(build))))
    t = np.array([0.0, 0.5, 1.0, 2.0, 3.0])
    traj = yc.simulate(cell, None, t, options=yc.SolverOptions(rtol=1e-10, atol=1e-12, negative_tol=None))
    a0 = 0.5  # 1 amount in a 2 L compartment
    expect = np.where(t <= 1.0, a0 * np.exp(-0.5 * t), a0 * np.exp(-0.5) * np.exp(-1.0 * (t - 1.0)))
    np.testing.assert_allclose(traj.species("A"), expect, rtol=1e-7)
    total = np.asarray(traj.values)[:, traj.value_ids.index("total")]
    np.testing.assert_allclose(total, a0, rtol=1e-9)


def test_formula_translation_round_trips_through_libsbml():
    for f in ["pow(A, 2) + piecewise(1.0, time > 3, 0.0)", "log(2.0, x) * ln(y) / log10(z)",
              "((a < b) and (not (c >= 1.0))) or xor(d, e)", "ceil(x) + min(a, b)"]:
        node = libsbml.parseL3Formula(to_l3(f))
        assert node is not None, f


def test_yaml_model_exports_to_sbml_that_roadrunner_simulates_identically(tmp_path):
    cell = yc.load_cell(TEST_MODELS / "two_step.yaml")
    path = sbml.write(cell, tmp_path / "two_step.xml")
    doc = libsbml.readSBMLFromFile(str(path))
    doc.checkConsistency()
    errors = [doc.getError(i).getMessage() for i in range(doc.getNumErrors())
              if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    assert not errors
    fbc = doc.getModel().getReaction("conv").getPlugin("fbc")
    assert fbc.getGeneProductAssociation().getAssociation().getGeneProduct() == "G_YAL001W"
    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-16
    t = np.linspace(0.0, 30.0, 7)
    res = rr.simulate(0, 30, 7, selections=["time"] + [f"[{s}]" for s in cell.species_ids])
    traj = yc.simulate(cell, None, t).raise_if_failed()
    np.testing.assert_allclose(np.asarray(traj.conc), res[:, 1:], rtol=1e-6, atol=1e-12)
    # and back: the written file imports and simulates to the same trajectory
    again = yc.compile_model(sbml.load(path))
    assert again.spec.reactions[1].gpr == "YAL001W"
    traj2 = yc.simulate(again, None, t, options=yc.SolverOptions(negative_tol=None)).raise_if_failed()
    np.testing.assert_allclose(np.asarray(traj2.conc), np.asarray(traj.conc), rtol=1e-6, atol=1e-12)


def test_write_is_atomic_on_failure(tmp_path):
    target = tmp_path / "out.xml"
    target.write_text("keep me")

    class Bad:
        pass

    with pytest.raises(AttributeError):
        sbml.write(Bad(), target)
    assert target.read_text() == "keep me"
