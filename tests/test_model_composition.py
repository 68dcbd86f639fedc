"""Model composition (`include:`, module files, `regulation:`), docs/model_format.md "Composition"."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import yeastcell as yc
from yeastcell.exceptions import ModelFileError
from yeastcell.models import available_models, models_dir

MODULE_HEAD = """\
format: yeastcell-module/1
module: {id: %s, name: test module, description: a module written by this test}
references: {ref: "A reference used by this test file."}
"""


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def _whole(tmp_path, *includes, extra=""):
    core = models_dir() / "yeast_core.yaml"
    inc = ", ".join([str(core)] + list(includes))
    return _write(tmp_path, "cell.yaml", f"""\
format: yeastcell-model/1
model: {{id: cell, name: test cell}}
include: [{inc}]
{extra}""")


def test_whole_cell_includes_the_core_unchanged():
    core, cell = yc.load_model("yeast_core"), yc.load_model("yeast_cell")
    core_ids = {s.id for s in core.species}
    assert core_ids <= {s.id for s in cell.species}
    assert {r.id for r in core.reactions} <= {r.id for r in cell.reactions}
    assert {c.id for c in core.conditions} <= {c.id for c in cell.conditions}
    assert "yeast_cell" in available_models()


def test_module_files_are_not_models_and_cannot_load_alone(tmp_path):
    p = _write(tmp_path, "mod.yaml", MODULE_HEAD % "mod")
    with pytest.raises(ModelFileError, match="module file"):
        yc.load_model(p)
    for stem in available_models():
        assert "yeastcell-module/1" not in (models_dir() / f"{stem}.yaml").read_text()[:4096]


def test_module_adds_species_and_reactions_referring_to_core(tmp_path):
    mod = _write(tmp_path, "mod.yaml", MODULE_HEAD % "mod" + """\
species:
- {id: X_c, compartment: cytosol, initial: {value: 0.5, unit: mM, source: ref}}
reactions:
- id: X_from_G6P
  stoichiometry: {G6P_c: -1, X_c: 1}
  rate_law: {kind: mass_action, parameters: {kf: {value: 0.01, unit: 1/min, source: ref}}}
""")
    spec = yc.load_model(_whole(tmp_path, str(mod)))
    assert "X_c" in {s.id for s in spec.species}
    assert spec.reaction_by_id()["X_from_G6P"].stoichiometry["G6P_c"] == -1
    cell = yc.compile_model(spec)
    v = np.asarray(cell.fluxes(cell.c0))
    g6p = float(cell.c0[cell.species_index("G6P_c")])
    assert v[cell.reaction_index("X_from_G6P")] == pytest.approx(0.01 * g6p)


def test_missing_include_is_named(tmp_path):
    p = _whole(tmp_path, "no_such_module.yaml")
    with pytest.raises(ModelFileError, match="no_such_module.yaml.*not found"):
        yc.load_model(p)


def test_duplicate_id_across_files_names_both_files(tmp_path):
    mod = _write(tmp_path, "dup.yaml", MODULE_HEAD % "dup" + """\
species:
- {id: GLY_c, compartment: cytosol, initial: {value: 1, unit: mM, source: ref}}
""")
    with pytest.raises(ModelFileError) as err:
        yc.load_model(_whole(tmp_path, str(mod)))
    msg = str(err.value)
    assert "dup.yaml" in msg and "yeast_core.yaml" in msg and "GLY_c" in msg


def test_duplicate_gene_across_files_names_both_files(tmp_path):
    mod = _write(tmp_path, "g.yaml", MODULE_HEAD % "g" + "genes:\n- {orf: YDL022W, name: GPD1X}\n")
    with pytest.raises(ModelFileError, match=r"g\.yaml.*YDL022W.*yeast_core\.yaml"):
        yc.load_model(_whole(tmp_path, str(mod)))


def test_errors_name_the_module_file(tmp_path):
    mod = _write(tmp_path, "bad.yaml", MODULE_HEAD % "bad" + """\
species:
- {id: Y_c, compartment: golgi, initial: {value: 1, unit: mM, source: ref}}
""")
    with pytest.raises(ModelFileError, match=r"bad\.yaml: species 'Y_c': unknown compartment 'golgi'"):
        yc.load_model(_whole(tmp_path, str(mod)))


def test_module_header_is_required(tmp_path):
    mod = _write(tmp_path, "nohead.yaml", "format: yeastcell-module/1\nmodule: {id: x}\n")
    with pytest.raises(ModelFileError, match="missing or empty 'name'"):
        yc.load_model(_whole(tmp_path, str(mod)))


def test_include_cycle(tmp_path):
    a = _write(tmp_path, "a.yaml", "format: yeastcell-model/1\nmodel: {id: a}\ninclude: [b.yaml]\n")
    _write(tmp_path, "b.yaml", "format: yeastcell-model/1\nmodel: {id: b}\ninclude: [a.yaml]\n")
    with pytest.raises(ModelFileError, match="include cycle"):
        yc.load_model(a)


def test_regulation_adds_an_inhibitor_to_a_core_reaction(tmp_path):
    mod = _write(tmp_path, "reg.yaml", MODULE_HEAD % "reg" + """\
species:
- {id: Inh_c, compartment: cytosol, kind: signal, initial: {value: 2.0, unit: mM, source: ref}}
regulation:
- reaction: GLY_T
  inhibitors: {Inh_c: {value: 1.0, unit: mM, source: ref}}
""")
    spec = yc.load_model(_whole(tmp_path, str(mod)))
    assert spec.reaction_by_id()["GLY_T"].inhibitors == ("Inh_c",)
    core = yc.compile_model(yc.load_model("yeast_core"))
    cell = yc.compile_model(spec)
    j = cell.reaction_index("GLY_T")
    v_core = np.asarray(core.fluxes(core.c0))[core.reaction_index("GLY_T")]
    v = np.asarray(cell.fluxes(cell.c0))[j]
    assert v == pytest.approx(v_core / (1.0 + 2.0 / 1.0), rel=1e-12)
    # the core file itself is unchanged
    assert yc.load_model("yeast_core").reaction_by_id()["GLY_T"].inhibitors == ()


def test_regulation_of_unknown_reaction_suggests(tmp_path):
    mod = _write(tmp_path, "reg2.yaml", MODULE_HEAD % "reg2" + """\
regulation:
- reaction: GLY_X
  inhibitors: {GLY_c: {value: 1.0, unit: mM, source: ref}}
""")
    with pytest.raises(ModelFileError, match=r"reg2\.yaml.*unknown reaction 'GLY_X'; did you mean 'GLY_T'"):
        yc.load_model(_whole(tmp_path, str(mod)))


def test_regulation_gpr_on_reaction_with_rule_is_an_error(tmp_path):
    mod = _write(tmp_path, "reg3.yaml", MODULE_HEAD % "reg3" + "regulation:\n- {reaction: GPD, gpr: YDL022W}\n")
    with pytest.raises(ModelFileError, match="already has gpr.*gpr_and"):
        yc.load_model(_whole(tmp_path, str(mod)))
