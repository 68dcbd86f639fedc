"""The `signaling_forecast` benchmark's pieces: splits, baselines, scores, series from the reference data.

The baselines are checked on small hand-made series whose answers follow from their definitions (last
observation carried forward, mean of the other conditions, linear autoregression); the full benchmark is a
registry task (`yeastcell bench run signaling_forecast`), not a CI test.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from yeastcell.bench import get_task
from yeastcell.bench.forecast_data import ForecastSeries, forecast_series
from yeastcell.bench.forecast_predictors import (
    autoregression,
    fit_parameters,
    fit_reactions,
    last_observation,
    mean_of_others,
    model_dataset,
)
from yeastcell.bench.signaling_forecast import dataset_names, scores, splits
from yeastcell.bench.task import TaskOptionError
from yeastcell.exceptions import DatasetError, UnknownNameError


def _series(values, times=(0.0, 10.0, 20.0, 40.0, 60.0), name="nitrogen"):
    v = np.asarray(values, dtype=float)
    n_o = v.shape[2]
    return ForecastSeries(
        name,
        "torc1_module",
        ("N_upshift", "N_downshift", "Rapamycin")[: v.shape[0]],
        ("nitrogen:0.1>75.7", "nitrogen:75.7>0.1", "rapamycin:218.8")[: v.shape[0]],
        np.asarray(times),
        tuple(f"o{j}" for j in range(n_o)),
        ("Sch9_P",) * n_o,
        ("phospho",) * n_o,
        v,
    )


def _nacl_series(values, times=(0.0, 10.0, 20.0, 40.0)):
    """NaCl, mock, NaCl + alpha-factor (simulated as NaCl)."""
    v = np.asarray(values, dtype=float)
    return ForecastSeries(
        "nacl",
        "hog_module",
        ("NaCl", "control", "NaCl+alpha"),
        ("nacl:0.4", "wt", "nacl:0.4"),
        np.asarray(times),
        ("o0",),
        ("Hog1_PP",),
        ("phospho",),
        v,
        simulated_as={"NaCl+alpha": "NaCl"},
    )


def test_baselines_follow_their_definitions():
    up = [0.0, 1.0, 2.0, 3.0, 4.0]
    down = [0.0, -1.0, np.nan, -1.5, -2.0]
    rap = [0.0, -2.0, -3.0, -3.5, -4.0]
    s = _series(np.array([up, down, rap])[:, :, None])
    (fc, lo), notes = splits(s, 30.0)
    assert notes == [] and fc.name.startswith("forecast") and lo.name == "left out: N_downshift"
    locf = last_observation(s, fc.train)
    assert locf[0, -1, 0] == 2.0 and locf[1, -1, 0] == -1.0 and locf[2, -1, 0] == -3.0
    assert np.all(last_observation(s, lo.train)[1] == 0.0)  # a left-out condition starts from no change
    other = mean_of_others(s, fc.train)
    assert other[1, 3, 0] == pytest.approx((3.0 - 3.5) / 2) and other[1, 2, 0] == pytest.approx((2.0 - 3.0) / 2)
    ar = autoregression(s, fc.train)
    # pairs (0,1),(1,2) | (0,-1) | (0,-2),(-2,-3): least squares y' = a + b y, iterated from the last value
    x, y = np.array([0, 1, 0, 0, -2.0]), np.array([1, 2, -1, -2, -3.0])
    assert np.polyfit(x, y, 1)[0] > 1  # explosive: refitted at b = 1
    b, a = 1.0, float(np.mean(y - x))
    assert ar[0, 3, 0] == pytest.approx(a + b * 2.0) and ar[0, 4, 0] == pytest.approx(a + b * (a + b * 2.0))
    rmse, acc, n, per = scores(locf, s, fc)
    late = np.array([[3.0, 4.0], [-1.5, -2.0], [-3.5, -4.0]]) - np.array([[2.0], [-1.0], [-3.0]])
    assert n == 6 and rmse == pytest.approx(np.sqrt(np.mean(late**2))) and acc == 0.0 and per[0] == rmse
    assert scores(s.values, s, fc)[:2] == (0.0, 1.0)


def test_single_condition_has_no_mean_of_others_and_no_left_out_split():
    s = _series(np.array([[0.0, 1.0, 1.0, 1.0, 1.0]])[:, :, None], name="kanshin")
    assert mean_of_others(s, np.isfinite(s.values)) is None
    sp, notes = splits(s, 30.0)
    assert len(sp) == 1 and any("nothing to leave out" in n for n in notes)


def test_series_checks_shapes_and_names():
    with pytest.raises(DatasetError, match="values shape"):
        _series(np.zeros((3, 4, 1)))
    with pytest.raises(UnknownNameError, match="nitrogen"):
        forecast_series("nitrogenn")


def test_registered_with_its_options():
    task = get_task("signaling_forecast")
    assert set(task.options) == {"datasets", "seeds", "lm_epochs", "hybrid_epochs", "train_until"}
    assert task.resolve_options(quick=True)["datasets"] == "nitrogen"


@pytest.fixture(scope="module")
def nitrogen(refdata):
    if not (refdata / "omics/goncalves2017_nitrogen_rapamycin").is_dir():
        msg = "reference data omics/goncalves2017_nitrogen_rapamycin missing"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return forecast_series("nitrogen", refdata)


@pytest.mark.reference_data
def test_nitrogen_series_scores_every_mapped_observable(nitrogen):
    s = nitrogen
    assert s.conditions == ("nitrogen:0.1>75.7", "nitrogen:75.7>0.1", "rapamycin:218.8")
    assert s.quantities.count("Sch9_P") == 2 and "GLN_c" in s.quantities and "syn_Gap1" in s.quantities
    assert any("Hog1_PP" in why for why in s.unmapped.values())  # mapped in the site map, not in this model
    assert np.all(np.isfinite(s.values).any(axis=(0, 1)))
    assert fit_reactions(s)[:4] == ["GLN_SYN", "GLN_USE", "SCH9_PHOS", "SCH9_DEPHOS"]
    assert fit_parameters(s) == ["GLN_SYN.V_gln", "GLN_USE.kf", "SCH9_PHOS.k_sch9", "SCH9_DEPHOS.kf"]
    ds = model_dataset(s, np.isfinite(s.values))
    assert ds.conditions[0] == "nitrogen:0.1>75.7@60" and ds.reference_time_min == 60.0
    assert int(ds.mask.sum()) == int(np.isfinite(s.values).sum())


def test_a_condition_simulated_as_another_is_only_scored_when_left_out():
    nacl = [0.0, 2.0, 3.0, 4.0]
    mock = [0.0, 0.0, 1.0, 0.0]
    both = [0.0, 1.0, 5.0, 6.0]
    s = _nacl_series(np.array([nacl, mock, both])[:, :, None])
    assert list(s.proxies()) == [False, False, True] and s.simulated() == [0, 1, 0]
    (fc, lo), notes = splits(s, 15.0)
    assert notes == [] and lo.name == "left out: NaCl+alpha"
    assert not fc.train[2].any() and not fc.score[2].any()  # never learnt from, not forecast
    assert fc.score[0, 2:, 0].all() and fc.train[0, :2, 0].all()
    assert lo.train[:2].all() and not lo.train[2].any() and list(lo.score[2, :, 0]) == [False, True, True, True]
    other = mean_of_others(s, fc.train)
    assert other[0, 2, 0] == 1.0  # NaCl's other: mock only, not NaCl + alpha
    assert other[2, 2, 0] == pytest.approx(2.0) and other[2, 3, 0] == pytest.approx(2.0)  # (3 + 1) / 2, (4 + 0) / 2
    assert np.all(last_observation(s, lo.train)[2] == 0.0)
    ds = model_dataset(s, lo.train)
    assert ds.conditions == ("nacl:0.4@60", "wt")  # the proxy is not simulated twice
    with pytest.raises(DatasetError, match="simulated_as"):
        ForecastSeries(**{**s.__dict__, "simulated_as": {"NaCl+alpha": "alpha"}})


def test_options_are_checked_before_anything_runs():
    task = get_task("signaling_forecast")
    o = task.resolve_options()
    assert dataset_names(o) == ["kanshin", "nitrogen", "nacl"]
    with pytest.raises(UnknownNameError, match="nacl"):
        dataset_names({**o, "datasets": "kanshin,nacll"})
    with pytest.raises(TaskOptionError, match="seeds"):
        dataset_names({**o, "seeds": 0})
    with pytest.raises(TaskOptionError, match="train_until"):
        dataset_names({**o, "train_until": -5.0})
    with pytest.raises(TaskOptionError, match="no dataset"):
        dataset_names({**o, "datasets": " , "})


@pytest.mark.slow  # ~25 s on a cold start (the NaCl phosphoproteome reader parses the UniProt table), <1 s warm
@pytest.mark.reference_data
def test_nacl_series_holds_nacl_alpha_as_a_left_out_proxy(refdata):
    if not (refdata / "omics/goncalves2017_nacl_pheromone").is_dir():
        msg = "reference data omics/goncalves2017_nacl_pheromone missing"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    s = forecast_series("nacl", refdata)
    assert s.experiments == ("NaCl", "control", "NaCl+alpha") and s.simulated() == [0, 1, 0]
    assert "Hog1_PP + Hog1_PP_n" in s.quantities and "alpha" in s.not_scored_conditions
    (fc, lo), _ = splits(s, 30.0)
    assert lo.name == "left out: NaCl+alpha" and lo.score[2].sum() == np.isfinite(s.values[2, 1:]).sum()
    assert not fc.score[2].any()
