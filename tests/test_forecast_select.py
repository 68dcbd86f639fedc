"""Choice of the readout driver on inner splits of the training entries (`yeastcell.bench.forecast_select`).

Hand-made series and drivers with known answers; no model is simulated and each test runs in about a second."""

from __future__ import annotations

import numpy as np
import pytest

from yeastcell.bench.forecast_data import ForecastSeries
from yeastcell.bench.forecast_readout import dense_times
from yeastcell.bench.forecast_select import DRIVERS, candidates, choose, inner_splits, series_readouts
from yeastcell.exceptions import SimulationInputError

TIMES = np.array([0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 45.0, 60.0])


def _series(values):
    v = np.asarray(values, dtype=float)
    return ForecastSeries(
        "nitrogen",
        "torc1_module",
        ("N_upshift", "N_downshift", "Rapamycin")[: v.shape[0]],
        ("nitrogen:0.1>75.7", "nitrogen:75.7>0.1", "rapamycin:218.8")[: v.shape[0]],
        TIMES,
        ("o0",),
        ("GLN_c",),
        ("metabolite",),
        v,
    )


def _ramp(td, slope):
    """A driver that rises linearly from 0 (log2 units per min after time 0)."""
    return np.where(td > 0, slope * td, 0.0)


def test_inner_forecast_split_learns_two_thirds_of_the_training_window():
    s = _series(np.zeros((2, len(TIMES), 1)))
    train = np.broadcast_to((TIMES <= 30.0)[None, :, None], s.values.shape).copy()
    (isp,) = inner_splits(s, train, left_out=False)
    assert TIMES[isp.train[0, :, 0]].max() == 20.0 and set(TIMES[isp.val[0, :, 0]]) == {25.0, 30.0}
    assert not (isp.val & ~train).any() and not (isp.train & isp.val).any()


def test_inner_left_out_splits_leave_each_training_condition_out_and_need_two():
    s = _series(np.zeros((3, len(TIMES), 1)))
    train = np.ones(s.values.shape, dtype=bool)
    train[1] = False  # the outer split's left-out condition
    inner = inner_splits(s, train, left_out=True)
    assert [i.name for i in inner] == ["N_upshift left out", "Rapamycin left out"]
    assert not inner[0].train[0].any() and inner[0].val[0, 1:].all() and not inner[0].val[0, 0]
    train[2] = False
    assert inner_splits(s, train, left_out=True) == []  # one training condition: nothing to choose on


def test_the_driver_that_forecasts_the_held_out_entries_is_chosen():
    td = dense_times(TIMES)
    # the measured level keeps rising as the "literature" driver says; the "hybrid" driver stops at 20 min
    truth = _ramp(td, 0.05)
    values = np.full((2, len(TIMES), 1), np.nan)
    cols = np.searchsorted(td, TIMES)
    values[:, :, 0] = truth[cols][None, :]
    s = _series(values)
    train = np.broadcast_to((TIMES <= 30.0)[None, :, None], values.shape).copy()
    inner = inner_splits(s, train, left_out=False)
    lit = np.broadcast_to(truth[None, :, None], (2, len(td), 1)).copy()
    flat = np.broadcast_to(np.minimum(truth, 0.05 * 20.0)[None, :, None], (2, len(td), 1)).copy()
    drives = [{"literature": lit, "fitted": flat, "hybrid": flat}]
    ch = choose(s, td, inner, drives, left_out=False)
    assert ch.driver == "literature" and ch.ahead
    assert ch.inner_mse[("literature", True)] < ch.inner_mse[("hybrid", True)]
    pred = series_readouts(s, td, lit, train, ch.ahead, assimilate=True)
    late = TIMES > 30
    assert np.abs(pred[:, late, 0] - values[:, late, 0]).max() < 0.5


def test_without_inner_splits_the_default_stands_and_bad_drives_fail():
    s = _series(np.zeros((2, len(TIMES), 1)))
    td = dense_times(TIMES)
    assert choose(s, td, [], [], left_out=True).label() == "hybrid driver, free-running readout loss"
    assert candidates(False)[0] == ("hybrid", True) and len(candidates(True)) == 2 * len(DRIVERS)
    train = np.ones(s.values.shape, dtype=bool)
    with pytest.raises(SimulationInputError, match="driver shape"):
        series_readouts(s, td, np.zeros((2, 3, 1)), train, True, assimilate=False)
    inner = inner_splits(s, np.broadcast_to((TIMES <= 30)[None, :, None], s.values.shape).copy(), left_out=False)
    with pytest.raises(SimulationInputError, match="one drive per inner split"):
        choose(s, td, inner, [{"hybrid": np.zeros((2, len(td), 1))}], left_out=False)
