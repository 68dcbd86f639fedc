"""The command line runs end to end (the examples run in tests/test_examples_run.py)."""

import csv

import h5py
import numpy as np
import pytest
from conftest import TEST_MODELS

from yeastcell.cli import main


def test_simulate_writes_csv_hdf5_and_plot(tmp_path, capsys):
    model = str(TEST_MODELS / "two_step.yaml")
    out = tmp_path / "run.csv"
    rc = main(
        [
            "simulate",
            "-m",
            model,
            "-p",
            "wt",
            "-p",
            "ko:ENZ1",
            "--t-end",
            "10",
            "--points",
            "6",
            "-o",
            str(out),
            "--plot",
            str(tmp_path / "run.png"),
            "--species",
            "S_e",
            "P_c",
        ]
    )
    assert rc == 0
    rows = list(csv.reader(out.open()))
    assert rows[0][:3] == ["condition", "t_min", "S_e [mM]"] and len(rows) == 1 + 2 * 6
    assert {r[0] for r in rows[1:]} == {"wt", "ko:ENZ1"}
    ko_p = [float(r[rows[0].index("P_c [mM]")]) for r in rows[1:] if r[0] == "ko:ENZ1"]
    assert max(ko_p) == 0.0
    assert (tmp_path / "run.png").stat().st_size > 1000
    h5 = tmp_path / "run.h5"
    assert main(["simulate", "-m", model, "-p", "kd:ENZ1=0.5", "--t-end", "5", "--points", "3", "-o", str(h5)]) == 0
    with h5py.File(h5) as f:
        assert f["conc"].shape == (1, 3, 4) and f["conc"].attrs["unit"] == "mM"
        assert np.all(np.asarray(f["status"]) == 0)
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_cli_errors_are_messages_not_tracebacks(capsys):
    model = str(TEST_MODELS / "two_step.yaml")
    assert main(["simulate", "-m", model, "-p", "ko:ENZ2"]) == 2
    assert "did you mean 'ENZ1'" in capsys.readouterr().err
    assert main(["simulate", "-m", model, "-p", "pulse:S_e=1"]) == 2
    assert "SPECIES=VALUE@TIME" in capsys.readouterr().err
    assert main(["simulate", "-m", model, "--t-end", "-1"]) == 2


def test_genes_lists_orfs(capsys):
    assert main(["genes"]) == 0
    out = capsys.readouterr().out
    assert "YGL253W" in out and "HXK2" in out and "YLR044C" in out


def test_screen_command(tmp_path, refdata, capsys):
    out = tmp_path / "screen.csv"
    gem = refdata / "yeast-gem" / "yeast-GEM.yml"
    medium = refdata / "yeast-gem" / "medium_synthetic_complete.tsv"
    assert (
        main(
            [
                "screen",
                "--gem",
                str(gem),
                "--medium",
                str(medium),
                "--genes",
                "ERG10",
                "TPI1",
                "--pairs",
                "PDC1+PDC5",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    rows = {r["perturbation"]: r for r in csv.DictReader(out.open())}
    assert float(rows["YPL028W"]["growth"]) < 1e-6  # ERG10 is essential in Yeast-GEM
    assert float(rows["YDR050C"]["growth_ratio"]) == pytest.approx(1.0)
