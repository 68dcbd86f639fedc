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
    return _write(
        tmp_path,
        "cell.yaml",
        f"""\
format: yeastcell-model/1
model: {{id: cell, name: test cell}}
include: [{inc}]
{extra}""",
    )


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
    mod = _write(
        tmp_path,
        "mod.yaml",
        MODULE_HEAD % "mod"
        + """\
species:
- {id: X_c, compartment: cytosol, initial: {value: 0.5, unit: mM, source: ref}}
reactions:
- id: X_from_G6P
  stoichiometry: {G6P_c: -1, X_c: 1}
  rate_law: {kind: mass_action, parameters: {kf: {value: 0.01, unit: 1/min, source: ref}}}
""",
    )
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
    mod = _write(
        tmp_path,
        "dup.yaml",
        MODULE_HEAD % "dup"
        + """\
species:
- {id: GLY_c, compartment: cytosol, initial: {value: 1, unit: mM, source: ref}}
""",
    )
    with pytest.raises(ModelFileError) as err:
        yc.load_model(_whole(tmp_path, str(mod)))
    msg = str(err.value)
    assert "dup.yaml" in msg and "yeast_core.yaml" in msg and "GLY_c" in msg


def test_duplicate_gene_across_files_names_both_files(tmp_path):
    mod = _write(tmp_path, "g.yaml", MODULE_HEAD % "g" + "genes:\n- {orf: YDL022W, name: GPD1X}\n")
    with pytest.raises(ModelFileError, match=r"g\.yaml.*YDL022W.*yeast_core\.yaml"):
        yc.load_model(_whole(tmp_path, str(mod)))


def test_errors_name_the_module_file(tmp_path):
    mod = _write(
        tmp_path,
        "bad.yaml",
        MODULE_HEAD % "bad"
        + """\
species:
- {id: Y_c, compartment: golgi, initial: {value: 1, unit: mM, source: ref}}
""",
    )
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
    mod = _write(
        tmp_path,
        "reg.yaml",
        MODULE_HEAD % "reg"
        + """\
species:
- {id: Inh_c, compartment: cytosol, kind: signal, initial: {value: 2.0, unit: mM, source: ref}}
regulation:
- reaction: GLY_T
  inhibitors: {Inh_c: {value: 1.0, unit: mM, source: ref}}
""",
    )
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
    mod = _write(
        tmp_path,
        "reg2.yaml",
        MODULE_HEAD % "reg2"
        + """\
regulation:
- reaction: GLY_X
  inhibitors: {GLY_c: {value: 1.0, unit: mM, source: ref}}
""",
    )
    with pytest.raises(ModelFileError, match=r"reg2\.yaml.*unknown reaction 'GLY_X'; did you mean 'GLY_T'"):
        yc.load_model(_whole(tmp_path, str(mod)))


def test_regulation_gpr_on_reaction_with_rule_is_an_error(tmp_path):
    mod = _write(tmp_path, "reg3.yaml", MODULE_HEAD % "reg3" + "regulation:\n- {reaction: GPD, gpr: YDL022W}\n")
    with pytest.raises(ModelFileError, match="already has gpr.*gpr_and"):
        yc.load_model(_whole(tmp_path, str(mod)))


# ------------------------------------------------------------------ remove: (replacing entries of another file)
REPLACE_GLY_T = """\
remove:
- {reaction: GLY_T, note: replaced below by a faster export}
- {conserved_moiety: ubiquinone, note: dropped by this test}
reactions:
- id: GLY_T
  stoichiometry: {GLY_c: -1, GLY_e: 1}
  rate_law: {kind: mass_action, parameters: {kf: {value: 5.0, unit: 1/min, source: ref}}}
"""


def test_remove_replaces_a_core_reaction_and_moiety(tmp_path):
    mod = _write(tmp_path, "rm.yaml", MODULE_HEAD % "rm" + REPLACE_GLY_T)
    spec = yc.load_model(_whole(tmp_path, str(mod)))
    assert [r.id for r in spec.reactions].count("GLY_T") == 1
    assert "ubiquinone" not in {m.id for m in spec.conserved_moieties}
    cell = yc.compile_model(spec)
    gly = float(cell.c0[cell.species_index("GLY_c")])
    assert np.asarray(cell.fluxes(cell.c0))[cell.reaction_index("GLY_T")] == pytest.approx(5.0 * gly)
    # the core file itself is unchanged
    core = yc.load_model("yeast_core")
    assert core.reaction_by_id()["GLY_T"].rate_law.parameters["kf"] == pytest.approx(1.9)
    assert "ubiquinone" in {m.id for m in core.conserved_moieties}


@pytest.mark.parametrize(
    "entry, match",
    [
        ("- {reaction: GLY_T}", "needs a 'note'"),
        ("- {reaction: GLY_X, note: typo}", r"rm2\.yaml.*remove reaction 'GLY_X'.*did you mean 'GLY_T'"),
        ("- {reaction: GLY_T, species: GLY_c, note: two}", "exactly one of"),
        ("- {reactions: GLY_T, note: plural}", "unknown key"),
        ("- {reaction: OWN, note: own entry}", "no entry of another included file"),
    ],
)
def test_bad_remove_entries_are_named(tmp_path, entry, match):
    own = (
        "reactions:\n- id: OWN\n  stoichiometry: {GLY_c: -1, GLY_e: 1}\n"
        "  rate_law: {kind: mass_action, parameters: {kf: {value: 1.0, unit: 1/min, source: ref}}}\n"
    )
    mod = _write(tmp_path, "rm2.yaml", MODULE_HEAD % "rm2" + "remove:\n" + entry + "\n" + own)
    with pytest.raises(ModelFileError, match=match):
        yc.load_model(_whole(tmp_path, str(mod)))


def test_removed_entry_still_referenced_is_an_error(tmp_path):
    mod = _write(tmp_path, "rm3.yaml", MODULE_HEAD % "rm3" + "remove:\n- {species: GLY_e, note: gone}\n")
    with pytest.raises(ModelFileError, match="GLY_e"):
        yc.load_model(_whole(tmp_path, str(mod)))


# ------------------------------------------------------------------ proteome layer (expression:)
@pytest.fixture(scope="module")
def whole_cell():
    return yc.compile_model(yc.load_model("yeast_cell"))


def test_every_core_protein_has_synthesis_and_turnover(whole_cell):
    spec = whole_cell.spec
    expressed = {e.protein for e in spec.expression}
    proteins = {g.protein for g in yc.load_model("yeast_core").genes if g.protein}
    assert proteins <= expressed
    rx = set(whole_cell.reaction_ids)
    for p in proteins:
        assert f"syn_{p}" in rx and f"turnover_{p}" in rx


def test_authored_protein_levels_are_the_reference_steady_state(whole_cell):
    """Derived basal rates: at the authored state every protein is stationary and the core
    reactions run exactly as in yeast_core (same fluxes at the same concentrations)."""
    cell = whole_cell
    core = yc.compile_model(yc.load_model("yeast_core"))
    v = np.asarray(cell.fluxes(cell.c0))
    dc = np.asarray(cell.N) @ v
    c0 = np.asarray(cell.c0)
    core_proteins = [cell.species_index(g.protein) for g in core.spec.genes if g.protein]
    assert np.all(np.abs(dc[core_proteins]) <= 1e-12 * c0[core_proteins])
    # every expressed protein (signaling proteins with several forms included): synthesis = turnover
    vol = np.asarray(cell.volumes)
    comp = cell.species_compartment
    for e in cell.spec.expression:
        made = v[cell.reaction_index(e.synthesis)] * vol[comp[cell.species_index(e.protein)]]
        lost = sum(
            v[cell.reaction_index(r)] * vol[comp[cell.species_index(r.removeprefix("turnover_"))]] for r in e.turnover
        )
        assert made == pytest.approx(lost, rel=1e-12), e.gene
    idx = [cell.reaction_index(r) for r in core.reaction_ids]
    np.testing.assert_allclose(v[idx], np.asarray(core.fluxes(core.c0)), rtol=1e-13, atol=0)
    # turnover = (ln2/t_half + mu) * P with the model's growth rate and default half-life
    mu = {p.id: p.value for p in cell.spec.parameters}["growth_rate"]
    t_half = {p.id: p.value for p in cell.spec.parameters}["protein_half_life"]
    i = cell.species_index("Hxk2")
    assert v[cell.reaction_index("turnover_Hxk2")] == pytest.approx((np.log(2) / t_half + mu) * c0[i], rel=1e-12)


def test_knockout_abolishes_synthesis_and_knockdown_scales_it(whole_cell):
    cell = whole_cell
    j = cell.reaction_index("syn_Gpd1")
    i = cell.species_index("Gpd1")
    ko = yc.resolve(cell, yc.knockout("GPD1"))
    assert float(ko.c0[i]) == 0.0 and float(ko.rate_scale[j]) == 0.0
    kd = yc.resolve(cell, yc.knockdown("GPD1", 0.25))
    assert float(kd.c0[i]) == pytest.approx(0.25 * float(cell.c0[i]))
    assert float(kd.rate_scale[j]) == pytest.approx(0.25)
    # a knocked-down protein stays at its new level: synthesis and turnover balance
    c = kd.c0
    v = np.asarray(cell.fluxes(c, 0.0, kd.rate_scale))
    assert v[j] == pytest.approx(v[cell.reaction_index("turnover_Gpd1")], rel=1e-12)


def _tf_module(tmp_path, extra_entry=""):
    return _write(
        tmp_path,
        "tf.yaml",
        MODULE_HEAD % "tf"
        + f"""\
species:
- {{id: Tf_n, compartment: cytosol, kind: protein, initial: {{value: 0.002, unit: mM, source: ref}}}}
- {{id: Rep_n, compartment: cytosol, kind: protein, initial: {{value: 0.001, unit: mM, source: ref}}}}
genes:
- {{orf: YTEST01W, name: TF1, protein: Tf_n}}
- {{orf: YTEST02W, name: REP1, protein: Rep_n}}
parameters:
- {{id: growth_rate, value: 0.004, unit: 1/min, source: ref}}
- {{id: protein_half_life, value: 60, unit: min, source: ref}}
expression:
- {{gene: TF1}}
- {{gene: REP1, half_life: {{value: 20, unit: min, source: ref}}}}
- gene: GPD2
  activators: [{{tf: Tf_n, K: {{value: 0.001, unit: mM}}, n: 2, fold: 10, source: ref}}]
  repressors: [{{tf: Rep_n, K: {{value: 0.004, unit: mM}}, n: 1, source: ref}}]
{extra_entry}""",
    )


def test_hill_regulation_of_synthesis_matches_the_formula(tmp_path):
    cell = yc.compile_model(yc.load_model(_whole(tmp_path, str(_tf_module(tmp_path)))))
    c0 = np.asarray(cell.c0)
    P0 = c0[cell.species_index("Gpd2")]
    kdeg, mu = np.log(2) / 60.0, 0.004

    def factor(tf, rep):
        x = (tf / 0.001) ** 2
        return (1 + 10 * x) / (1 + x) / (1 + rep / 0.004)

    k_basal = (kdeg + mu) * P0 / factor(0.002, 0.001)  # derived from the authored levels
    j = cell.reaction_index("syn_Gpd2")
    for tf, rep in [(0.0, 0.0), (0.002, 0.001), (0.01, 0.0), (0.0005, 0.02)]:
        c = c0.copy()
        c[cell.species_index("Tf_n")], c[cell.species_index("Rep_n")] = tf, rep
        assert float(cell.fluxes(c)[j]) == pytest.approx(k_basal * factor(tf, rep), rel=1e-12)
    assert float(cell.fluxes(c0)[cell.reaction_index("turnover_Rep_n")]) == pytest.approx(
        (np.log(2) / 20.0 + mu) * 0.001, rel=1e-12
    )


@pytest.mark.parametrize(
    "entry, match",
    [
        ("- {gene: GPD9}", "unknown gene 'GPD9'"),
        ("- {gene: GPD1, half_life: {value: -3, unit: min, source: ref}}", "must be positive"),
        ("- {gene: GPD1, half_life: {value: 3, unit: mM, source: ref}}", "unit mismatch"),
        (
            "- {gene: GPD1, activators: [{tf: Nope_n, K: {value: 1, unit: mM}, n: 1, fold: 2, source: ref}]}",
            "unknown species 'Nope_n'",
        ),
        (
            "- {gene: GPD1, activators: [{tf: Tf_n, K: {value: 1, unit: mM}, n: 1, fold: 0.5, source: ref}]}",
            "fold .* must be >= 1",
        ),
        ("- {gene: GPD1, repressors: [{tf: Tf_n, K: {value: 1, unit: mM}, n: 0, source: ref}]}", "must be positive"),
        ("- {gene: GPD1, forms: [GLY_c]}", "expected 'protein'"),
        ("- {gene: GPD2}", "already has an expression entry"),
    ],
)
def test_bad_expression_entries_are_named(tmp_path, entry, match):
    with pytest.raises(ModelFileError, match=match):
        yc.load_model(_whole(tmp_path, str(_tf_module(tmp_path, entry))))


NUCLEUS = """\
compartments:
- {id: nucleus, outside: cytosol, volume: {value: %s, unit: fL, source: ref}}
"""


def test_identical_shared_compartment_is_merged_and_a_different_one_is_an_error(tmp_path):
    a = _write(tmp_path, "na.yaml", MODULE_HEAD % "na" + NUCLEUS % "2.94")
    b = _write(tmp_path, "nb.yaml", MODULE_HEAD % "nb" + NUCLEUS % "2.94")
    spec = yc.load_model(_whole(tmp_path, str(a), str(b)))
    assert [c.id for c in spec.compartments].count("nucleus") == 1
    c = _write(tmp_path, "nc.yaml", MODULE_HEAD % "nc" + NUCLEUS % "3.5")
    with pytest.raises(ModelFileError, match=r"nc\.yaml: compartment 'nucleus': declared differently in .*na\.yaml"):
        yc.load_model(_whole(tmp_path, str(a), str(c)))
