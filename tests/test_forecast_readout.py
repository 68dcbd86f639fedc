"""The readout layer of `signaling_forecast` (`yeastcell.bench.forecast_readout`): site and pool states driven by
the model, their fit, and forecasts assimilated at the forecast origin. Small hand-made drivers with analytic
answers; each test runs in well under a second."""

from __future__ import annotations

import math

import numpy as np
import pytest

from yeastcell.bench.forecast_readout import (
    Readout,
    dense_times,
    fit_readout,
    integrate,
    readout_forecast,
    readout_kind,
)
from yeastcell.exceptions import SimulationInputError

T = dense_times(np.array([0.0, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0]))


def _pulse(t):
    """A kinase that is 4096-fold active for 10 min, then adapts back (log2 ratio)."""
    return np.where((t > 0) & (t <= 10.0), 12.0, 0.0)[None, :]


def test_a_site_without_dephosphorylation_stays_phosphorylated_after_its_kinase_adapts():
    # p0 fixes k_on / k_off, so a slow phosphatase also means slow phosphorylation: the site persists when the
    # kinase pulse drives it well above its basal occupancy
    drive = _pulse(T)
    i10, i60 = int(np.searchsorted(T, 10.0)), int(np.searchsorted(T, 60.0))
    slow = integrate(Readout("site", 1e-3, 1.0, 0.01), T, drive, np.array([0]), np.array([0.0]))[0]
    fast = integrate(Readout("site", 1.0, 1.0, 0.01), T, drive, np.array([0]), np.array([0.0]))[0]
    assert slow[i10] > 4.0 and slow[i60] == pytest.approx(slow[i10], abs=0.1)  # persists
    assert fast[i10] > 6.0 and abs(fast[i60]) < 0.01  # follows its kinase back
    assert np.all(np.isfinite(slow)) and slow[0] == 0.0


def test_a_pool_relaxes_to_its_driver_at_its_rate():
    drive = np.where(T > 0, 1.0, 0.0)[None, :]  # u = 2 after the perturbation
    r = integrate(Readout("pool", 0.1, 1.0), T, drive, np.array([0]), np.array([0.0]))[0]
    exact = np.log2(2.0 - np.exp(-0.1 * T))
    # the driver switches inside the first step, which holds the mean log2 drive: a half-step lag at most
    assert np.max(np.abs(r - exact)) < 0.05 and r[-1] == pytest.approx(exact[-1], abs=1e-4)
    inverse = integrate(Readout("pool", 0.1, -1.0), T, drive, np.array([0]), np.array([0.0]))[0]
    assert inverse[-1] == pytest.approx(np.log2(0.5 + 0.5 * np.exp(-6.0)), abs=1e-4)


def test_the_assimilated_forecast_passes_through_the_last_training_observation():
    times = np.array([0.0, 10.0, 20.0, 30.0, 40.0, 60.0])
    td = dense_times(times)
    cols = np.searchsorted(td, times)
    drive = np.where(td > 0, 2.0, 0.0)[None, :, None]
    values = np.array([0.0, 0.5, 2.6, 2.9, 3.0, 3.0])[None, :, None]
    train = (times <= 30.0)[None, :, None] & np.ones(values.shape, dtype=bool)
    ro = [Readout("site", 0.05, 1.0, 0.02)]
    free = readout_forecast(ro, td, drive, cols, values, train, assimilate=False)
    assim = readout_forecast(ro, td, drive, cols, values, train, assimilate=True)
    assert assim[0, 3, 0] == pytest.approx(2.9)  # the origin: the measured value
    assert free[0, 3, 0] != pytest.approx(2.9, abs=0.05)
    np.testing.assert_allclose(assim[0, :3, 0], free[0, :3, 0])  # before the origin: free-running
    # after the origin it moves towards the free-running trajectory's attractor, never jumps
    assert abs(assim[0, 4, 0] - 2.9) < abs(free[0, 4, 0] - 2.9)
    none = readout_forecast(ro, td, drive, cols, values, np.zeros_like(train), assimilate=True)
    np.testing.assert_allclose(none, free)  # no training observation (a left-out condition): free-running


def test_fit_recovers_a_slow_site_and_prefers_persistence_from_training_data():
    times = np.array([0.0, 2.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 45.0, 60.0])
    td = dense_times(times)
    cols = np.searchsorted(td, times)
    drive = np.where((td > 0) & (td <= 8.0), 3.0, 0.0)[None, :]  # the model's kinase adapts within 8 min
    true = Readout("site", 0.01, 1.0, 0.02)
    y = integrate(true, td, drive, np.array([0]), np.array([0.0]))[0][cols][None, :]
    train = (times <= 30.0)[None, :]
    ro = fit_readout("site", td, drive, cols, y, train, 0.5)
    assert ro.kind == "site" and ro.rate < 0.05  # slow dephosphorylation, not the 0.1 /min prior mean
    pred = integrate(ro, td, drive, np.array([0]), np.array([0.0]))[0][cols]
    assert np.max(np.abs(pred - y[0])) < 0.3  # the forecast window (45, 60 min) included


def test_bad_readouts_are_refused():
    assert readout_kind("phospho") == "site" and readout_kind("transcript") == "pool"
    with pytest.raises(SimulationInputError, match="lipid"):
        readout_kind("lipid")
    with pytest.raises(SimulationInputError, match="below 1"):
        Readout("site", 0.1, 1.0, 1.0)
    with pytest.raises(SimulationInputError, match="kind"):
        Readout("sites", 0.1, 1.0)
    assert not math.isnan(Readout("pool", 0.1, 0.0).rate)
