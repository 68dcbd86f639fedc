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
from yeastcell.bench.signaling_forecast import scores, splits
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
    b, a = np.polyfit(x, y, 1)
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
