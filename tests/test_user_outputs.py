"""What a new user gets out (issue 30): DataFrames of trajectories, datasets and screens, a simulate
CSV that compare and fit read back, SBML files everywhere, ``info``, ``--version``, help texts with
defaults and examples, ``simulate --params`` from a fit, the licence text, plot titles with names."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import REPO, TEST_MODELS

import yeastcell as yc
from yeastcell.cli import main
from yeastcell.cli.simulate import notation_labels
from yeastcell.data import Dataset
from yeastcell.perturb import parse_perturbation

TWO_STEP = str(TEST_MODELS / "two_step.yaml")
TEUSINK = ("sbml", "biomodels", "BIOMD0000000064_teusink2000.xml")


@pytest.fixture(scope="module")
def two_step_runs(two_step):
    t = np.linspace(0.0, 10.0, 6)
    texts = ["wt", "ko:ENZ1"]
    return texts, yc.simulate_batch(two_step, [parse_perturbation(x) for x in texts], t)


# ---------------------------------------------------------------- pandas
def test_trajectory_to_dataframe_long_and_wide(two_step_runs):
    texts, traj = two_step_runs
    long = traj.to_dataframe(conditions=texts)
    assert list(long.columns) == ["condition", "time_min", "variable", "kind", "value", "unit"]
    n_var = len(traj.species_ids) + len(traj.reaction_ids) + 1  # + the observable total_cell
    assert len(long) == 2 * n_var * 6
    s_e = long[(long.condition == "ko:ENZ1") & (long.variable == "S_e")]
    np.testing.assert_array_equal(s_e["value"], traj[1].species("S_e"))
    np.testing.assert_array_equal(s_e["time_min"], np.linspace(0.0, 10.0, 6))
    assert set(s_e["unit"]) == {"mM"} and set(s_e["kind"]) == {"species"}
    conv = long[(long.condition == "wt") & (long.variable == "conv")]
    assert set(conv["unit"]) == {"mM/min"} and set(conv["kind"]) == {"flux"}
    np.testing.assert_array_equal(conv["value"], traj[0].reaction_flux("conv"))
    obs = long[(long.condition == "wt") & (long.variable == "total_cell")]
    assert set(obs["kind"]) == {"observable"} and set(obs["unit"]) == {"mM"}
    np.testing.assert_allclose(obs["value"], traj[0].species("S_c") + traj[0].species("P_c"))
    assert list(traj.to_dataframe().condition.unique()) == list(traj.labels)  # default: the run labels

    wide = traj.to_dataframe(kind="wide", conditions=texts)
    assert list(wide.columns[:2]) == ["condition", "time_min"] and len(wide) == 2 * 6
    assert set(traj.species_ids) | set(traj.reaction_ids) | {"total_cell"} == set(wide.columns[2:])
    np.testing.assert_array_equal(wide.loc[wide.condition == "wt", "P_c"], traj[0].species("P_c"))
    assert wide.attrs["units"]["S_e"] == "mM" and wide.attrs["units"]["uptake"] == "mM/min"
    assert wide.attrs["units"]["time_min"] == "min"
    only = traj.to_dataframe(kind="wide", include=("species",), conditions=texts)
    assert list(only.columns[2:]) == list(traj.species_ids)
    with pytest.raises(ValueError, match="kind must be"):
        traj.to_dataframe(kind="tall")
    with pytest.raises(ValueError, match="2 runs"):
        traj.to_dataframe(conditions=["wt"])

    # both frames read back as Datasets with the simulated values
    for frame in (long, wide):
        ds = Dataset.from_dataframe(frame)
        assert ds.conditions == tuple(texts)
        k = ds.observable_index("S_e")
        np.testing.assert_array_equal(ds.values[1, 0, :, k], traj[1].species("S_e"))
        assert ds.units["S_e"] == "mM" and ds.units["conv"] == "mM/min"


def test_dataset_dataframe_round_trip_is_exact():
    rng = np.random.default_rng(3)
    values = rng.lognormal(size=(3, 2, 4, 2))
    mask = rng.random(values.shape) < 0.7
    mask[2] = False  # a condition with nothing measured survives through the axes metadata
    mask[0, 0, 0, 0] = True
    ds = Dataset(
        conditions=("wt", "ko:HXK2", "kd:PFK1=0.3#2"),
        times_min=np.array([0.0, 0.1 + 0.2, 5.0, 60.0]),
        observables=("GLC_e", "ATP_c"),
        values=np.where(mask, np.log2(values), np.nan),
        mask=mask,
        transform="log2fc",
        reference="wt",
        reference_time_min=0.0,
        units={"GLC_e": "log2", "ATP_c": "log2"},
        provenance={"source": "test", "doi": "10.0/x"},
        annotations={"orf": ("-", "-")},
    )
    df = ds.to_dataframe()
    assert list(df.columns) == ["condition", "time_min", "observable", "value", "replicate", "unit"]
    assert len(df) == int(mask.sum()) and set(df["replicate"]) <= {1, 2}
    back = Dataset.from_dataframe(df)
    assert back.equals(ds)
    np.testing.assert_array_equal(back.values[ds.mask], ds.values[ds.mask])  # bit for bit
    raw = ds.replace(transform="raw", reference=None, reference_time_min=None, values=np.where(mask, values, np.nan))
    assert Dataset.from_dataframe(raw.to_dataframe()).equals(raw)
    plain = raw.to_dataframe()
    plain.attrs.clear()  # without metadata: axes from the rows
    assert Dataset.from_dataframe(plain).conditions == ("wt", "ko:HXK2")
    with pytest.raises(yc.YeastcellError, match="DataFrame"):
        Dataset.from_dataframe([1, 2])


def test_knockout_screen_frame_has_orfs_and_standard_names(gem):
    from yeastcell.gem import knockout_screen

    df = knockout_screen(gem, genes=["b1241"], pairs=[("b1241", "b0351")])
    name = dict(zip(gem.gene_ids, gem.gene_names))
    assert list(df["orf"]) == ["b1241", "b1241+b0351"]
    assert list(df["name"]) == [name["b1241"] or "b1241", f"{name['b1241'] or 'b1241'}+{name['b0351'] or 'b0351'}"]
    assert name["b1241"]  # the E. coli core model names its genes (adhE)
    np.testing.assert_allclose(df["growth_ratio"], df["growth"] / df.attrs["wild_type_growth"])


# ---------------------------------------------------------------- the simulate CSV reads back
def test_notation_labels_parse_and_name_distinct_conditions():
    labels = notation_labels(["wt", "ko:HXK2", " ko:PDC1 + pulse:GLC_e=10@20", "wt"], "aerobic_batch")
    assert labels == [
        "cond:aerobic_batch",
        "cond:aerobic_batch+ko:HXK2",
        "cond:aerobic_batch+ko:PDC1+pulse:GLC_e=10@20",
        "cond:aerobic_batch#2",
    ]
    assert notation_labels(["wt", "kd:PFK1=0.3"]) == ["wt", "kd:PFK1=0.3"]
    for lab in labels:
        parse_perturbation(lab)
    ds = Dataset(labels, [0.0], ["GLC_e"], np.ones((4, 1, 1, 1)), np.ones((4, 1, 1, 1), bool))
    assert ds.conditions == tuple(labels)


def test_simulate_csv_reads_back_into_compare_and_fit(tmp_path, capsys):
    out = tmp_path / "runs.csv"
    sim = ["simulate", "-m", TWO_STEP, "-p", "wt", "-p", "ko:ENZ1", "--t-end", "10", "--points", "6", "-o", str(out)]
    assert main(sim) == 0
    ds = Dataset.from_table(out)
    assert ds.conditions == ("wt", "ko:ENZ1") and ds.units["S_e"] == "mM" and ds.units["conv"] == "mM/min"
    assert ds.times_min.tolist() == pytest.approx(np.linspace(0, 10, 6).tolist())
    metrics = tmp_path / "metrics.csv"
    capsys.readouterr()
    rc = main(["compare", "-m", TWO_STEP, "-d", str(out), "--observables", "S_e", "-o", str(metrics)])
    assert rc == 0, capsys.readouterr().err
    rows = list(csv.DictReader(metrics.open()))
    assert {r["condition"] for r in rows} == {"wt", "ko:ENZ1"}
    assert all(float(r["rmse_log2"]) < 1e-6 for r in rows)  # the model reproduces its own simulation
    fit_out = tmp_path / "fit.json"
    fit = ["fit", str(out), "-m", TWO_STEP, "--observables", "S_e", "-p", "uptake.kf", "--epochs", "1", "-q"]
    rc = main([*fit, "-o", str(fit_out)])
    assert rc == 0, capsys.readouterr().err
    assert set(json.loads(fit_out.read_text())["parameters"]) == {"uptake.kf"}
    # ... and that result file simulates
    assert main(["simulate", "-m", TWO_STEP, "--params", str(fit_out), "--t-end", "1", "--points", "2"]) == 0


def test_simulate_with_condition_writes_notation(tmp_path):
    out = tmp_path / "c.csv"
    model = tmp_path / "m.yaml"
    text = (TEST_MODELS / "two_step.yaml").read_text()
    model.write_text(text + "conditions:\n  - {id: rich, initial: {S_e: 4.0}}\n")
    assert (
        main(["simulate", "-m", str(model), "-c", "rich", "-p", "wt", "-p", "ko:ENZ1", "--points", "3", "-o", str(out)])
        == 0
    )
    ds = Dataset.from_table(out)
    assert ds.conditions == ("cond:rich", "cond:rich+ko:ENZ1")
    assert ds.values[0, 0, 0, ds.observable_index("S_e")] == 4.0


# ---------------------------------------------------------------- --params
def test_simulate_params_from_a_fit_result(tmp_path, capsys, two_step):
    assert "conv.kf" in two_step.theta_names
    fit_json = tmp_path / "fit.json"
    fit_json.write_text(json.dumps({"parameters": {"conv.kf": 0.0}, "loss": 1.0, "starts": []}))
    out = tmp_path / "p.csv"
    assert main(["simulate", "-m", TWO_STEP, "--params", str(fit_json), "--points", "4", "-o", str(out)]) == 0
    ds = Dataset.from_table(out)
    assert np.all(ds.values[0, 0, :, ds.observable_index("P_c")] == 0.0)  # conv switched off by the file
    assert ds.values[0, 0, -1, ds.observable_index("S_c")] > 0.0

    fit_json.write_text(json.dumps({"parameters": {"conv.kff": 0.1}}))
    capsys.readouterr()
    assert main(["simulate", "-m", TWO_STEP, "--params", str(fit_json)]) == 2
    cap = capsys.readouterr()
    assert "unknown parameter 'conv.kff'" in cap.err and "did you mean 'conv.kf'" in cap.err
    assert cap.out == ""  # refused before any simulation
    assert main(["simulate", "-m", TWO_STEP, "--params", str(tmp_path / "missing.json")]) == 2
    assert "no such parameter file" in capsys.readouterr().err
    fit_json.write_text("[1, 2]")
    assert main(["simulate", "-m", TWO_STEP, "--params", str(fit_json)]) == 2
    assert "parameters" in capsys.readouterr().err

    from yeastcell.fit import with_parameters

    cell = with_parameters(two_step, {"uptake.kf": 2.0})
    assert float(cell.theta[cell.theta_names.index("uptake.kf")]) == 2.0
    assert float(two_step.theta[two_step.theta_names.index("uptake.kf")]) == 0.5  # the original is unchanged


# ---------------------------------------------------------------- SBML everywhere, info
def test_simulate_an_sbml_file(refdata, tmp_path, capsys):
    xml = refdata.joinpath(*TEUSINK)
    out = tmp_path / "teusink.csv"
    assert main(["simulate", "-m", str(xml), "--t-end", "1", "--points", "3", "-o", str(out)]) == 0
    assert "wt" in capsys.readouterr().out
    ds = Dataset.from_table(out)
    assert ds.conditions == ("wt",) and ds.times_min.tolist() == [0.0, 0.5, 1.0]
    spec = yc.load_model(xml)  # load_model and load_cell take SBML files too
    assert len(ds.observables) == len(spec.species) + len(spec.reactions)
    assert main(["screen", "-m", str(xml)]) == 2
    assert "no genes" in capsys.readouterr().err
    assert main(["simulate", "-m", str(tmp_path / "nothing.xml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_info_native_and_sbml(refdata, capsys):
    assert main(["info", TWO_STEP]) == 0
    text = capsys.readouterr().out
    assert "model two_step" in text and "compartments (2)" in text
    assert "ENZ1 (YAL001W)" in text and "reactions: 2" in text and "total_cell" in text
    assert main(["info", "yeast_core", "--parameters"]) == 0
    text = capsys.readouterr().out
    assert "aerobic_batch" in text and "teusink2000" in text
    line = next(x for x in text.splitlines() if x.split()[:1] == ["KeqAK"])
    assert "dimensionless" in line and "teusink2000" in line  # unit and source of a model parameter
    assert "fittable parameters" in text and "HXK." in text
    xml = refdata.joinpath(*TEUSINK)
    spec = yc.load_model(xml)
    assert main(["info", str(xml)]) == 0
    text = capsys.readouterr().out
    assert "(SBML)" in text and f"species: {len(spec.species)}" in text
    assert f"reactions: {len(spec.reactions)}" in text and "genes: 0" in text and "cytosol" in text


# ---------------------------------------------------------------- housekeeping
def test_version_and_help_with_defaults_and_examples(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"yeastcell {yc.__version__}"
    for cmd in ("simulate", "compare", "fit", "screen"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        text = capsys.readouterr().out
        assert "examples:" in text and f"yeastcell {cmd}" in text.split("examples:")[1], cmd
        assert "(default:" in text, cmd
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "end time (min) (default: 100.0)" in text and "(default: None)" not in text


def test_license_is_the_mit_text():
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) 2026 the yeastcell authors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_plot_panels_are_titled_with_names_and_units(tmp_path, core, two_step_runs):
    from yeastcell.plot import panel_title, plot_species

    class _T:  # the names of a trajectory of the core model (no solve needed)
        spec = core.spec
        species_ids = core.species_ids
        reaction_ids = core.reaction_ids

    title, unit = panel_title(_T(), "species", "GLC_e")
    assert title.replace("\n", " ") == "glucose (medium) [GLC_e], mM" and unit == "mM"
    title, unit = panel_title(_T(), "flux", "HXK")
    assert title.startswith("hexokinase") and unit == "mM/min"
    texts, traj = two_step_runs
    assert panel_title(traj, "species", "s_e") == ("S_e, mM", "mM")  # no name in the model: the id
    assert plot_species(traj, ["S_e", "P_c"], tmp_path / "p.png", fluxes=["conv"]).stat().st_size > 1000
