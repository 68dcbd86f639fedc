"""`yc.predict` and ``yeastcell predict`` (yeastcell/predict.py, yeastcell/cli/predict.py): steady
states of deletion strains, optionally with measured proteomes, as log2 ratios to the wild type.

Every solve uses the core model under ``aerobic_clamped`` in chunks of two lanes, so one compiled
program serves the whole file (the wild type is lane 0 of the first chunk)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TEST_MODELS

import yeastcell as yc
from yeastcell.cli import main
from yeastcell.predict import load_predictor, resolve_strains

COND = "aerobic_clamped"
LANES = 2

# PDC1 deleted, with its measured proteome; YAL017W (PSK1, not in the core model) acts only through
# its proteome; "wt" is the measured wild type (all ratios 0); PGI1's deletion has no steady state
PROTEOME = pd.DataFrame(
    {
        "YLR044C": [-3.0, 0.3, 0.0, 0.0],
        "PDC5": [1.0, -1.0, 0.0, 0.0],
        "ADH1": [0.2, 0.5, 0.0, 0.0],
        "XYZ9": [1, 1, 0, 0],
    },
    index=["PDC1", "YAL017W", "wt", "YBR196C"],
)


@pytest.fixture(scope="module")
def prediction(core):
    return yc.predict(core, ["wt", "PDC1", "YAL017W", "PGI1"], PROTEOME, condition=COND, lanes_per_chunk=LANES)


def test_strains_are_deletions_plus_their_measured_proteome(prediction):
    p = prediction
    assert p.strains == ("wt", "PDC1", "YAL017W", "PGI1") and p.reference == f"cond:{COND}"
    assert p.conditions == (f"cond:{COND}", f"cond:{COND}+ko:PDC1", f"cond:{COND}+ko:YAL017W", f"cond:{COND}+ko:PGI1")
    assert list(p.ok) == [True, True, True, False]
    assert p.failed == {"PGI1": "NO_STEADY_STATE: no steady state was reached within the time limit"}
    assert "YAL017W" in p.notes and "only through the measured proteome" in p.notes["YAL017W"]
    ds = p.dataset
    assert ds.transform == "log2fc" and ds.reference == p.reference and ds.conditions == p.conditions[:3]
    assert not np.isnan(ds.values[ds.mask]).any() and np.isnan(ds.values[~ds.mask]).all()
    assert {"PYR_c", "energy_charge", "glucose_uptake"} <= set(ds.observables)
    kinds = dict(zip(ds.observables, ds.annotations["kind"]))
    assert kinds["PYR_c"] == "metabolite" and kinds["energy_charge"] == "observable"
    assert "protein" not in kinds.values()  # the core model's proteins are inputs, not dynamic
    wt = ds.values[0, 0, 0][ds.mask[0, 0, 0]]
    assert np.allclose(wt, 0.0, atol=1e-9)  # ratio 0 everywhere = the wild type
    for cond in ds.conditions[1:]:
        assert np.nanmax(np.abs(ds.values[ds.condition_index(cond)])) > 0.01
    assert p.coverage.measured_modelled == ("PDC1", "PDC5", "ADH1") and p.coverage.measured_unmodelled == ("XYZ9",)
    assert "PGI1" in p.summary() and "FAILED" in p.summary()


def test_species_clamped_at_zero_are_dropped_not_noise(prediction):
    # ETOH_e is clamped at 0 mM in aerobic_clamped: its solver-noise value (~1e-20) has no ratio
    assert "ETOH_e" in prediction.dropped and "ETOH_e" not in prediction.dataset.observables


def test_batch_equals_one_by_one(core, prediction):
    for strain in ("PDC1", "YAL017W"):
        one = yc.predict(core, [strain], PROTEOME, condition=COND, lanes_per_chunk=LANES).dataset
        ds = prediction.dataset
        sub = ds.subset(conditions=list(one.conditions), observables=list(one.observables))
        assert np.allclose(sub.values, one.values, rtol=1e-7, atol=1e-10, equal_nan=True)


def test_unknown_genes_and_strains_fail_before_anything_runs(core):
    base = yc.wild_type()
    with pytest.raises(yc.UnknownNameError) as err:
        resolve_strains(core, ["PFK11", "HXK"], None, base, "wt")
    assert "'PFK11'; did you mean 'PFK1'" in str(err.value) and "also unknown gene" in str(err.value)
    table = yc.ProteomeTable.from_frame(PROTEOME)
    with pytest.raises(yc.UnknownNameError, match="unknown strain of the proteome table DataFrame 'HXK2'"):
        resolve_strains(core, ["HXK2"], table, base, "wt")
    # a model gene named as the table does not: found through its ORF / standard name
    (s,) = resolve_strains(core, ["YLR044C"], table, base, "wt")
    assert s.proteome_row == "PDC1" and s.genes == ("YLR044C",)
    with pytest.raises(yc.PerturbationError, match="listed twice"):
        resolve_strains(core, ["PDC1", "ko:pdc1"], None, base, "wt")
    with pytest.raises(yc.UnknownNameError, match="unknown condition of model 'yeast_core' 'aerobic'"):
        yc.predict(core, ["PDC1"], condition="aerobic")


def test_a_residual_file_loads_as_a_hybrid(tmp_path, two_step):
    from yeastcell.hybrid import HybridCell, hybridize, save_residual

    path = save_residual(hybridize(two_step, rate_targets=["conv"], width=4).net, tmp_path / "fit.json.residual.h5")
    cell = load_predictor(str(path), base_model=TEST_MODELS / "two_step.yaml")
    assert isinstance(cell, HybridCell) and cell.net.rate_targets == (two_step.reaction_index("conv"),)
    pred = yc.predict(str(path), ["ENZ1"], base_model=TEST_MODELS / "two_step.yaml", lanes_per_chunk=2)
    assert list(pred.ok) == [True]
    # the deletion stops the conversion: P_c stays 0, which has no log2 ratio (masked, reported)
    assert pred.undefined == {"ENZ1": ("P_c",)}


# ---------------------------------------------------------------- the command line
def test_cli_writes_the_predictions_as_a_dataset_csv(tmp_path, prediction, capsys):
    table = tmp_path / "proteome.tsv"
    PROTEOME.rename_axis("strain").to_csv(table, sep="\t")
    out = tmp_path / "pred.csv"
    strains = tmp_path / "strains.txt"
    strains.write_text("# kinase deletions\nYAL017W  # PSK1, not in the core model\n\n")
    rc = main(["predict", "--strains-file", str(strains), "--proteome", str(table), "-c", COND, "-o", str(out), "-q"])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "YAL017W" in text and "only through the measured proteome" in text and f"wrote {out}" in text
    ds = yc.Dataset.from_table(out)
    assert ds.conditions == (f"cond:{COND}+ko:YAL017W",) and ds.transform == "log2fc"
    ref = prediction.dataset.subset(conditions=list(ds.conditions), observables=list(ds.observables))
    assert np.allclose(ds.values, ref.values, rtol=1e-7, atol=1e-10, equal_nan=True)
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_reports_failed_strains_and_writes_the_others(tmp_path, capsys):
    out = tmp_path / "pred.csv"
    assert main(["predict", "PGI1", "-c", COND, "-o", str(out), "-q"]) == 3
    captured = capsys.readouterr()
    assert "PGI1" in captured.out and "FAILED NO_STEADY_STATE" in captured.out
    assert "nothing written" in captured.err and not out.exists()


@pytest.mark.parametrize(
    "args, table_text, message",
    [
        (["PFK11"], None, "unknown gene of model 'yeast_core' 'PFK11'; did you mean 'PFK1'"),
        (["PDC1"], "strain,gene,value\nPDC1,PDC5,1\n", "missing column(s) ['log2_ratio']"),
        (["PDC1"], "strain,PDC5\nPDC1,lots\n", "strain 'PDC1', protein 'PDC5' (line 2): 'lots' is not a number"),
        (["PDC6"], "strain,PDC5\nPDC1,1\n", "unknown strain of the proteome table"),
        ([], None, "no strains given"),
        (["--all-strains"], None, "--all-strains needs --proteome"),
        (["--strains-file", "missing.txt"], None, "missing.txt: no such strains file"),
        (["PDC1"], None, "pred.xlsx: predictions are written as"),
    ],
)
def test_cli_bad_input_errors_and_writes_nothing(tmp_path, capsys, args, table_text, message):
    out = tmp_path / ("pred.xlsx" if "xlsx" in message else "pred.csv")
    argv = ["predict", *args, "-c", COND, "-o", str(out), "-q"]
    if table_text is not None:
        (tmp_path / "p.csv").write_text(table_text)
        argv += ["--proteome", str(tmp_path / "p.csv")]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.glob("pred*")) == [] and not list(tmp_path.glob(".*.tmp"))


def test_help_documents_the_command(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text and "yeastcell predict" in text.split("examples:")[1]
    assert "--proteome" in text and "log2_ratio" in text and "(default: yeast_core)" in text


def test_extra_observables_are_whole_cell_sums(core):
    """`observables=` adds sums of species (compartment-volume weighted, as an extract measures them),
    checked before anything is solved."""
    extra = {"hexose_p": "G6P_c + F6P_c", "pyruvate": "PYR_c + PYR_m", "atp": "ATP_c"}
    p = yc.predict(core, ["PDC1"], condition=COND, lanes_per_chunk=LANES, observables=extra)
    ds = p.dataset
    ss = yc.steady_state_batch(core, [yc.condition(COND), yc.condition(COND) + yc.knockout("PDC1")])
    sid = {s: i for i, s in enumerate(core.species_ids)}
    vol = np.asarray(core.volumes)[list(core.species_compartment)]
    conc = np.asarray(ss.conc)

    def total(row, terms):
        return sum(conc[row, sid[t]] * vol[sid[t]] for t in terms) / vol[sid[terms[0]]]

    for name, terms in (("hexose_p", ["G6P_c", "F6P_c"]), ("pyruvate", ["PYR_c", "PYR_m"])):
        want = np.log2(total(1, terms) / total(0, terms))
        assert ds.values[0, 0, 0, ds.observable_index(name)] == pytest.approx(want, abs=1e-6)
    with pytest.raises(yc.UnknownNameError, match="PYR_x"):
        yc.predict(core, ["PDC1"], condition=COND, observables={"bad": "PYR_c + PYR_x"})
