"""Lumped pathways (reactions marked ``lumped: true``): the top-level ``and`` of the gene rule joins
sequential steps whose capacities add as resistances in series (harmonic mean of the steps'
activity ratios), not the subunits of a complex (minimum)."""

from __future__ import annotations

import numpy as np
import pytest

import yeastcell as yc
from yeastcell.exceptions import ModelFileError

MODEL = """format: yeastcell-model/1
model: {{id: lump, name: lumped pathway (test fixture)}}
references:
  test: "Test fixture (not biology)."
compartments:
  - {{id: cell, name: cell, volume: {{value: 1.0, unit: fL, source: test}}}}
species:
  - {{id: A, compartment: cell, initial: {{value: 1.0, unit: mM}}}}
  - {{id: B, compartment: cell, initial: {{value: 0.0, unit: mM}}}}
  - {{id: PA, compartment: cell, kind: protein, initial: {{value: 0.01, unit: mM}}}}
  - {{id: PB, compartment: cell, kind: protein, initial: {{value: 0.002, unit: mM}}}}
  - {{id: PC, compartment: cell, kind: protein, initial: {{value: 0.003, unit: mM}}}}
  - {{id: PD, compartment: cell, kind: protein, initial: {{value: 0.001, unit: mM}}}}
genes:
  - {{orf: YAA001W, name: GA, protein: PA}}
  - {{orf: YAA002W, name: GB, protein: PB}}
  - {{orf: YAA003W, name: GC, protein: PC}}
  - {{orf: YAA004W, name: GD, protein: PD}}
reactions:
  - id: path
    stoichiometry: {{A: -1, B: 1}}
    gpr: (YAA001W or YAA002W) and YAA003W and YAA004W
{lumped}    rate_law:
      kind: mass_action
      parameters:
        kf: {{value: 1.0, unit: 1/min, source: test}}
"""


def cell_of(tmp_path, lumped: str):
    path = tmp_path / "lump.yaml"
    path.write_text(MODEL.format(lumped=lumped))
    return yc.compile_model(yc.load_model(path))


def test_steps_combine_in_series_and_a_deleted_step_stops_the_pathway(tmp_path):
    cell = cell_of(tmp_path, "    lumped: true\n")
    j = cell.reaction_index("path")
    wt = yc.resolve(cell)
    assert float(cell.enzyme_factor(wt.c0)[j]) == pytest.approx(1.0, rel=1e-14)
    # step 1 (PA or PB, summed) x0.5 on PA only: (0.005 + 0.002) / 0.012; step 3 (PD) halved
    c = np.asarray(wt.c0).copy()
    c[cell.species_index("PA")] *= 0.5
    c[cell.species_index("PD")] *= 0.5
    a1, a3 = 0.007 / 0.012, 0.5
    assert float(cell.enzyme_factor(c)[j]) == pytest.approx(3.0 / (1 / a1 + 1.0 + 1 / a3), rel=1e-12)
    ko = yc.resolve(cell, yc.knockout("GC"))
    assert float(cell.enzyme_factor(ko.c0)[j]) == 0.0
    # an 8-fold drop of one step of three: 3 / (8 + 2) = 0.3; as a complex (minimum of the amounts) 0.375
    c = np.asarray(wt.c0).copy()
    c[cell.species_index("PC")] /= 8
    assert float(cell.enzyme_factor(c)[j]) == pytest.approx(0.3, rel=1e-12)
    plain = cell_of(tmp_path, "")
    assert float(plain.enzyme_factor(c)[plain.reaction_index("path")]) == pytest.approx(0.375 / 1.0, rel=1e-12)


def test_lumped_must_be_a_bool_with_a_rule(tmp_path):
    with pytest.raises(ModelFileError, match="'lumped' must be true or false"):
        cell_of(tmp_path, "    lumped: yes please\n")


def test_sbml_export_writes_the_series_factor(tmp_path):
    pytest.importorskip("libsbml")
    from yeastcell import sbml

    cell = cell_of(tmp_path, "    lumped: true\n")
    c = np.asarray(yc.resolve(cell).c0).copy()
    c[cell.species_index("PC")] /= 8
    path = sbml.write(cell, tmp_path / "lump.xml")
    again = yc.compile_model(sbml.load(path))
    # mass action kf * A * factor: the factor is 0.3 in both (A = 1 mM, kf = 1/min, 1 fL)
    v_native = float(cell.fluxes(c)[cell.reaction_index("path")])
    c_sbml = np.asarray(yc.resolve(again).c0).copy()
    c_sbml[again.species_index("PC")] /= 8
    v_sbml = float(again.fluxes(c_sbml)[again.reaction_index("path")])
    assert v_native == pytest.approx(0.3, rel=1e-12)
    assert v_sbml / float(again.fluxes(np.asarray(yc.resolve(again).c0))[again.reaction_index("path")]) == (
        pytest.approx(0.3, rel=1e-9)
    )
