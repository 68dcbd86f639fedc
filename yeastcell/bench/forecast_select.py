"""Choice of the readout layer's driver and loss on inner splits of the training entries (`signaling_forecast`).

The readout layer (`yeastcell.bench.forecast_readout`) can be driven by the literature model, the fitted model or
the fitted hybrid, and its parameters fitted with or without the multi-step-ahead terms. Which one forecasts best
is not known in advance: a residual trained on the upshift and rapamycin may not transfer to a downshift, and
fitted rates may extrapolate worse than the authored ones. `choose` makes that choice on the training entries
only, never on the scored ones:

* a forecast split is split again in time (`inner_splits`): learn up to the latest measured training time at or
  before two thirds of the last one (Kanshin and nitrogen: 20 of 30 min; NaCl: 10 of 20 min), validate on the
  later training entries;
* a left-out-condition split leaves out each training condition in turn (those with training entries, when there
  are at least two; nitrogen: upshift, rapamycin); with fewer, nothing is chosen (NaCl: one condition with
  phosphosites) and the default stands.

On each inner split the model is refitted (parameters, then residual, the same seeds and iterations as the outer
fit) so that the fitted and hybrid drivers are judged on entries they did not learn from; each candidate's readout
is then fitted on the inner training entries and forecast as the outer split is (assimilated at the last training
observation; a condition without one free-running). The candidate with the least mean squared error (log2) over
all inner validation entries is kept; ties keep the default. Candidates: the three drivers; for a left-out split
each also with the free-running-only readout loss (`fit_readout` ``ahead=False``). Default: the hybrid driver with
the loss that matches the prediction (multi-step ahead for a forecast, free-running for a left-out condition).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..exceptions import SimulationInputError
from .forecast_data import ForecastSeries
from .forecast_predictors import SIGMA_LOG2
from .forecast_readout import Readout, fit_readout, readout_forecast, readout_kind

DRIVERS = ("literature", "fitted", "hybrid")
INNER_FRACTION = 2.0 / 3.0  # the inner forecast split learns up to this fraction of the last training time


@dataclass(frozen=True)
class InnerSplit:
    """Entries to learn from (`train`) and to validate on (`val`), both (n_cond, n_t, n_obs) bool, within a
    split's training entries."""

    name: str
    train: np.ndarray
    val: np.ndarray


@dataclass(frozen=True)
class Choice:
    """The chosen driver (one of `DRIVERS`) and readout loss (``ahead``), with the inner validation mean squared
    error (log2²) of every candidate (empty when nothing was chosen: the default)."""

    driver: str
    ahead: bool
    inner_mse: dict[tuple[str, bool], float] = field(default_factory=dict)

    def label(self) -> str:
        return f"{self.driver} driver, {'multi-step' if self.ahead else 'free-running'} readout loss"


def candidates(left_out: bool) -> list[tuple[str, bool]]:
    """(driver, ahead) pairs; the default first."""
    default = ("hybrid", not left_out)
    out = [default] + [(d, not left_out) for d in DRIVERS if d != "hybrid"]
    if left_out:
        out += [(d, True) for d in DRIVERS]
    return out


def inner_splits(series: ForecastSeries, train: np.ndarray, left_out: bool) -> list[InnerSplit]:
    """The inner splits of a split's training entries `train` (module docstring); may be empty."""
    t = np.asarray(series.times_min, dtype=float)
    train = train & np.isfinite(series.values)
    if not train.any():
        return []
    if not left_out:
        seen = t[np.any(train, axis=(0, 2))]
        early = seen[seen <= INNER_FRACTION * seen.max()]
        if early.size == 0:
            return []
        cut = float(early.max())
        inner = train & (t <= cut)[None, :, None]
        val = train & (t > cut)[None, :, None]
        return [InnerSplit(f"training entries up to {cut:g} min -> later ones", inner, val)] if val.any() else []
    conds = [c for c in range(train.shape[0]) if train[c].any()]
    if len(conds) < 2:
        return []
    out = []
    for c in conds:
        inner = train.copy()
        inner[c] = False
        val = np.zeros_like(train)
        val[c] = train[c] & (t > 0)[:, None]
        if val.any():
            out.append(InnerSplit(f"{series.experiments[c]} left out", inner, val))
    return out


def fit_series_readouts(
    series: ForecastSeries, t_dense: np.ndarray, drive: np.ndarray, train: np.ndarray, ahead: bool
) -> list[Readout]:
    """One readout per observable of `series`, driven by `drive` (the model's log2 ratios (n_cond, n_d, n_obs) on
    `t_dense`) and fitted on the `train` entries (`fit_readout`, ``ahead``).

    Raises:
        SimulationInputError: a driver whose shape does not match the series and grid."""
    if np.shape(drive) != (series.values.shape[0], len(t_dense), series.values.shape[2]):
        raise SimulationInputError(f"{series.name}: driver shape {np.shape(drive)} does not match the series")
    cols = _cols(series, t_dense)
    train = train & np.isfinite(series.values)
    return [
        fit_readout(
            readout_kind(k), t_dense, drive[:, :, j], cols, series.values[:, :, j], train[:, :, j], SIGMA_LOG2, ahead
        )
        for j, k in enumerate(series.kinds)
    ]


def _cols(series: ForecastSeries, t_dense: np.ndarray) -> np.ndarray:
    return np.searchsorted(t_dense, np.round(np.asarray(series.times_min, float), 9))


def series_readouts(
    series: ForecastSeries,
    t_dense: np.ndarray,
    drive: np.ndarray,
    train: np.ndarray,
    ahead: bool,
    assimilate: bool,
    readouts: list[Readout] | None = None,
) -> np.ndarray:
    """Readout predictions (n_cond, n_t, n_obs) driven by `drive` with the readouts `readouts` (default: fitted
    here, `fit_series_readouts`); ``assimilate``: see `readout_forecast`."""
    if readouts is None:
        readouts = fit_series_readouts(series, t_dense, drive, train, ahead)
    train = train & np.isfinite(series.values)
    return readout_forecast(readouts, t_dense, drive, _cols(series, t_dense), series.values, train, assimilate)


def choose(
    series: ForecastSeries,
    t_dense: np.ndarray,
    inner: list[InnerSplit],
    drives: list[dict[str, np.ndarray]],
    left_out: bool,
) -> Choice:
    """The (driver, loss) with the least inner validation error.

    Args:
        inner: the inner splits (`inner_splits`); ``drives[i]`` maps each of `DRIVERS` to its simulation
            (n_cond, n_d, n_obs) on `t_dense`, fitted on ``inner[i].train`` (the literature model: unchanged).
        left_out: the outer split is a left-out condition (sets the candidates and the default).
    """
    cands = candidates(left_out)
    if not inner:
        return Choice(*cands[0])
    if len(drives) != len(inner) or any(set(d) != set(DRIVERS) for d in drives):
        raise SimulationInputError(f"need one drive per inner split with the drivers {DRIVERS}")
    mse: dict[tuple[str, bool], float] = {}
    for driver, ahead in cands:
        sse, n = 0.0, 0
        for isp, d in zip(inner, drives):
            pred = series_readouts(series, t_dense, d[driver], isp.train, ahead, assimilate=True)
            m = isp.val & np.isfinite(series.values)
            sse += float(np.sum((pred - series.values)[m] ** 2))
            n += int(m.sum())
        mse[(driver, ahead)] = sse / n if n else float("inf")
    best = min(cands, key=lambda c: (mse[c], c != cands[0]))
    return Choice(best[0], best[1], mse)
