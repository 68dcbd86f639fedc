"""Perturbation-only direction of change of kinase knockouts (the ``kinase_direction`` task)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import yeastcell as yc
from yeastcell.bench import kinase_direction as kd
from yeastcell.exceptions import SimulationInputError

HOG1, PBS2, SNF1 = "YLR113W", "YJL128C", "YDR477W"
GPD1, GPP2, HXK1, GLK1, ADH1 = "YDL022W", "YER062C", "YFR053C", "YCL040W", "YOL086C"


def test_leave_one_out_mean_never_sees_the_strain_itself():
    frame = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0, np.nan], "b": [np.nan, 4.0, np.nan, np.nan]}, index=["s1", "s2", "s3", "s4"]
    )
    out = kd.leave_one_out_mean(frame, ["s1", "s2", "s4"])
    assert list(out.index) == ["s1", "s2", "s4"] and list(out.columns) == ["a", "b"]
    assert out.loc["s1", "a"] == pytest.approx(2.5) and out.loc["s2", "a"] == pytest.approx(2.0)
    assert out.loc["s4", "a"] == pytest.approx(2.0)  # s4 did not measure a: the mean of all three
    assert out.loc["s1", "b"] == pytest.approx(4.0) and math.isnan(out.loc["s2", "b"])  # nobody else measured b
    # the strain's own value cannot move its baseline
    moved = frame.copy()
    moved.loc["s1", "a"] = 100.0
    assert kd.leave_one_out_mean(moved, ["s1"]).loc["s1", "a"] == pytest.approx(2.5)


def test_direction_metrics_count_no_change_calls_as_wrong():
    y = np.array([1.0, -1.0, 0.8, -0.6, 0.1, np.nan])
    p = np.array([0.2, -0.3, 1e-6, 0.4, -5.0, 1.0])
    m = kd.direction_metrics(y, p, threshold=0.5, min_predicted=1e-3)
    assert (m["n"], m["n_big"], m["right"], m["n_calls"], m["right_on_calls"]) == (5, 4, 2, 3, 2)
    assert m["accuracy"] == pytest.approx(0.5) and m["accuracy_on_calls"] == pytest.approx(2 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(np.mean((y[:5] - p[:5]) ** 2)))
    # another predictor scored on the first one's calls
    calls = np.abs(p) >= 1e-3
    b = kd.direction_metrics(y, np.ones_like(y), calls=calls)
    assert (b["n_calls"], b["right_on_calls"]) == (3, 1)
    assert math.isnan(kd.direction_metrics(y, np.zeros_like(y))["pearson"])  # constant predictions
    with pytest.raises(ValueError, match="shape"):
        kd.direction_metrics(y, p[:3])


def test_which_strains_and_proteins_the_whole_cell_model_covers():
    spec = yc.load_model("yeast_cell")
    assert kd.model_knockout_strains(spec, [SNF1, "YAL017W", HOG1.lower()]) == [SNF1, HOG1.lower()]
    totals = kd.protein_totals(spec, [HOG1, SNF1, "YAL017W", GPD1])
    assert list(totals) == [HOG1, SNF1, GPD1]  # PSK1 (YAL017W) is not a model gene
    assert totals[HOG1] == "Hog1 + Hog1_PP + Hog1_n + Hog1_PP_n" and totals[SNF1] == "Snf1 + Snf1_P"
    with pytest.raises(SimulationInputError, match="YAL017W"):
        kd.predict_directions(spec, ["YAL017W"], [], [])
    with pytest.raises(SimulationInputError, match="no knockout strain"):
        kd.predict_directions(spec, [], [], [])


@pytest.mark.slow  # compiles and solves the whole-cell model (~1-2 min on 2 cores)
def test_hog1_and_snf1_deletions_give_the_textbook_directions():
    """hog1Δ: no basal Hog1 activity, so less Hot1/Msn2/4-driven GPD1 and GPP2 expression (Rep et al.
    2000; both measured down in the hog1Δ proteome); snf1Δ: Mig1 stays nuclear and represses HXK1
    and GLK1 (both measured down in the snf1Δ proteome). Without any proteome input."""
    out = kd.predict_directions("yeast_cell", [HOG1, SNF1], ["fdp"], [GPD1, GPP2, HXK1, GLK1, ADH1, HOG1])
    assert out.failed == {} and list(out.proteins.index) == [HOG1, SNF1]
    p = out.proteins
    assert p.loc[HOG1, GPD1] < -0.5 and p.loc[HOG1, GPP2] < -0.5
    assert p.loc[SNF1, HXK1] < -kd.MIN_PREDICTED and p.loc[SNF1, GLK1] < -kd.MIN_PREDICTED
    assert abs(p.loc[HOG1, HXK1]) < kd.MIN_PREDICTED  # no HOG input to glucose repression
    assert abs(p.loc[SNF1, ADH1]) < kd.MIN_PREDICTED  # constitutive enzyme
    assert math.isnan(p.loc[HOG1, HOG1])  # the deleted protein itself is not scored
    # less glycerol-branch capacity: the upper glycolytic intermediate FBP accumulates
    assert out.metabolites.loc[HOG1, "fdp"] > kd.MIN_PREDICTED


def test_task_is_registered_with_its_options():
    from yeastcell.bench import get_task

    t = get_task("kinase_direction")
    assert {"model", "condition", "threshold", "min_predicted"} <= set(t.options)
    assert "MeanEffect" in " ".join(t.baselines)
    from yeastcell.bench import TaskOptionError, run_task

    with pytest.raises(TaskOptionError, match="yeast_central_cell"):  # close match of a misspelt model
        run_task("kinase_direction", {"model": "yeast_centrl_cell"})
    with pytest.raises(TaskOptionError, match="positive"):
        run_task("kinase_direction", {"threshold": -0.5})


def test_central_cell_composes_central_metabolism_with_the_signaling_genes():
    from yeastcell.studies.zelezniak2018 import zelezniak2018_map_coverage

    spec = yc.load_model("yeast_central_cell")
    central = yc.load_model("yeast_central")
    assert {s.id for s in central.species} <= {s.id for s in spec.species}
    assert len(zelezniak2018_map_coverage(spec).mapped) == 50  # every measured metabolite maps
    kinases = ["YDR477W", "YJL164C", "YPL203W", "YKL166C", "YNR031C", "YJL128C", HOG1, "YLR248W"]
    assert kd.model_knockout_strains(spec, kinases) == kinases
    assert kd.default_direction_model() == "yeast_central_cell"
