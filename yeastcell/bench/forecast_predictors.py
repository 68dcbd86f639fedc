"""Predictors of `signaling_forecast`: the literature model, the fitted model, the fitted hybrid, and baselines.

Every predictor returns log2 ratios to the pre-perturbation state, shape (n_cond, n_t, n_obs) on a series'
time grid (`yeastcell.bench.forecast_data.ForecastSeries`). ``train`` is a boolean mask of the same shape:
the entries a predictor may learn from.

Mechanistic predictors simulate each condition with a lead-in of `LEAD_MIN` minutes on the pre-perturbation
medium (`yeastcell.perturb.delayed_notation`), so the fast signaling states start at their pre-perturbation
steady state, and compare the model's log2 ratio to its own state at the perturbation. Fitted parameters: the
rate parameters of the signaling reactions that make or consume a measured species (`fit_parameters`; the
proteome layer's synthesis and turnover excluded), log scale within 1/`BOUND`..`BOUND` times the authored value,
with a Gaussian prior of one decade (`PRIOR_SD`) around it, Levenberg-Marquardt. Hybrid: the fitted model plus a
residual network (`yeastcell.hybrid.hybridize`) on the rates of the same reactions, seeing the log state of every
dynamic species, trained on the same entries. The hybrid's readout layer and assimilated forecasts:
`yeastcell.bench.forecast_readout`.

Baselines: last observation carried forward (per condition and observable; a condition never observed starts
from its pre-perturbation state, 0), the mean of the other conditions at the same time (over their measured
values, all times), and a linear autoregression per observable ``y[k+1] = a + b y[k]`` over consecutive
measured training points (|b| <= 1), iterated from the last training value (or from 0).
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from ..data.dataset import Dataset
from ..exceptions import SimulationInputError, YeastcellError
from ..fit import FitParameter, bounded_parameters, fit
from ..fit.problem import build_problem, predictions_log2
from ..hybrid import hybridize
from ..observe import protein_forms
from ..perturb import delayed_notation
from ..solvers import SolverOptions
from .forecast_data import ForecastSeries, model_cell

LEAD_MIN = 60.0  # min on the pre-perturbation medium before the perturbation
BOUND = 50.0  # fitted rate parameters within authored / BOUND .. authored x BOUND
SIGMA_LOG2 = 0.5  # measurement noise of the likelihood (log2 units)
PRIOR_SD = math.log(10.0)  # prior sd of a fitted rate parameter around its authored value (natural log: a decade)


class ForecastFailed(YeastcellError, RuntimeError):
    """A mechanistic predictor's simulation failed (reported, never scored as NaN)."""


# ------------------------------------------------------------------ mechanistic predictors
def _grid(series: ForecastSeries, times: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """(model times (min, from 0), row of each of `times` (default: the series times) in them, row of the
    perturbation)."""
    t = np.asarray(series.times_min if times is None else times, dtype=float)
    tm = np.unique(np.concatenate([[0.0, LEAD_MIN], LEAD_MIN + t]))
    if tm[0] < 0:
        raise SimulationInputError(f"{series.name}: data before -{LEAD_MIN:g} min need a longer lead-in")
    rows = np.searchsorted(tm, LEAD_MIN + t)
    return tm, rows, int(np.searchsorted(tm, LEAD_MIN))


def model_dataset(series: ForecastSeries, mask: np.ndarray, times: np.ndarray | None = None):
    """A `Dataset` of the entries `mask` (n_cond, n_t, n_obs) on the lead-in time grid (log2fc vs the
    perturbation time) for `yeastcell.fit.fit`. Every simulated condition stays in (a left-out one with no
    entry), so every split of a series has the same shapes and `fit` reuses its compiled programs; a condition
    simulated as another (`ForecastSeries.simulated_as`) is not in it."""

    idx = _simulated_rows(series)
    tm, rows, _ = _grid(series)
    if times is not None:  # a finer grid that holds the series times: simulation only (no entry off the series)
        tm = _grid(series, times)[0]
        rows = np.searchsorted(tm, LEAD_MIN + np.asarray(series.times_min))
    vals = np.full((len(idx), 1, len(tm), len(series.observables)), np.nan)
    m = np.zeros(vals.shape, dtype=bool)
    sel = mask[idx] & np.isfinite(series.values[idx])
    vals[:, 0, rows, :] = np.where(sel, series.values[idx], np.nan)
    m[:, 0, rows, :] = sel
    return Dataset(
        conditions=tuple(delayed_notation(series.conditions[i], LEAD_MIN) for i in idx),
        times_min=tm,
        observables=series.observables,
        values=vals,
        mask=m,
        transform="log2fc",
        reference=None,
        reference_time_min=LEAD_MIN,
        units=dict.fromkeys(series.observables, "log2"),
    )


def _simulated_rows(series: ForecastSeries) -> list[int]:
    """The conditions that are simulated (not `simulated_as` another)."""
    return [i for i, p in enumerate(series.proxies()) if not p]


def mapping(series: ForecastSeries) -> dict[str, str]:
    return dict(zip(series.observables, series.quantities))


def simulate_series(model, series: ForecastSeries, options=None, times: np.ndarray | None = None) -> np.ndarray:
    """Model log2 ratios (n_cond, n_t, n_obs) to the model's state at the perturbation, at the series times or
    at `times` (min from the perturbation, holding the series times; then (n_cond, len(times), n_obs)).

    Raises:
        ForecastFailed: a condition's simulation failed (named).
    """

    ds = model_dataset(series, np.ones(series.values.shape, dtype=bool), times)
    prob = build_problem(model, ds, SIGMA_LOG2, mapping(series))
    pred, _, ok = predictions_log2(model, prob, prob.conds, _options(options))
    ok = np.asarray(ok)
    if not ok.all():
        bad = [c for c, g in zip(ds.conditions, ok) if not g]
        raise ForecastFailed(f"{series.name}: the simulation of {bad} failed ({type(model).__name__})")
    _, rows, _ = _grid(series, times)
    pos = {c: k for k, c in enumerate(_simulated_rows(series))}
    return np.asarray(pred)[[pos[c] for c in series.simulated()]][:, rows, :]


def _options(options):

    return options or SolverOptions(rtol=1e-6, atol=1e-9, max_steps=20_000)


_PROTEOME = re.compile(r"^(syn|deg|turnover)_")  # the proteome layer's synthesis and turnover
_RATE = re.compile(r"^(k|V)")  # rate constants and maximal rates (kf, kr, k_sch9, V_gln), not binding constants


def fit_reactions(series: ForecastSeries) -> list[str]:
    """Signaling reactions (not the proteome layer's syn_/deg_) that make or consume a measured species."""

    cell = model_cell(series.model)
    measured: set[str] = set()
    for q in series.quantities:
        m = re.fullmatch(r"(total|phospho|pfrac):(\S+)", q)
        if m:
            allf, ph = protein_forms(cell.species_ids, m.group(2))
            measured |= set(ph if m.group(1) == "phospho" else allf)
        else:
            measured |= {t.strip() for t in q.split("+") if t.strip() in cell.species_ids}
    out = []
    for r in cell.spec.reactions:
        if not _PROTEOME.match(r.id) and measured & set(r.stoichiometry):
            out.append(r.id)
    return out


def fit_parameters(series: ForecastSeries) -> list[str]:
    """Positive rate constants and maximal rates (``REACTION.k*``, ``REACTION.V*``) of `fit_reactions`."""
    cell = model_cell(series.model)
    theta = np.asarray(cell.theta)
    rx = set(fit_reactions(series))
    out = []
    for i, n in enumerate(cell.theta_names):
        r, _, p = n.partition(".")
        if p and r in rx and _RATE.match(p) and theta[i] > 0:
            out.append(n)
    return out


def fit_priors(cell, series: ForecastSeries) -> list[FitParameter]:
    """`fit_parameters` as log-scale `FitParameter`s within 1/`BOUND`..`BOUND` x authored, each with a Gaussian
    prior (sd `PRIOR_SD`, natural-log units) around its authored value: the literature value known to an order of
    magnitude, so that rates the training entries do not constrain stay near it."""
    return [
        FitParameter(p.name, p.lower, p.upper, prior_sd=PRIOR_SD)
        for p in bounded_parameters(cell, fit_parameters(series), BOUND)
    ]


def fit_model(series: ForecastSeries, train: np.ndarray, seed: int, epochs: int):
    """(fitted Cell, FitResult): the rate parameters (`fit_parameters`) fitted on the `train` entries.

    Seed 0 starts at the authored values; seed k > 0 runs two starts, the authored values and one drawn
    log-uniformly within the bounds with seed k (`yeastcell.fit.fit` ``starts=2``), and keeps the better.
    """

    cell = model_cell(series.model)
    res = fit(
        cell,
        model_dataset(series, train),
        params=fit_priors(cell, series),
        optimizer="lm",
        epochs=epochs,
        starts=1 if seed == 0 else 2,
        seed=seed,
        sigma_log2=SIGMA_LOG2,
        options=_options(None),
        mapping=mapping(series),
        progress=False,
    )
    return res.model, res


@functools.lru_cache(maxsize=1)
def _adam():
    """One optimiser object for every hybrid fit, so `fit` reuses its compiled training step."""
    import optax

    return optax.adam(1e-2)


def fit_hybrid(fitted, series: ForecastSeries, train: np.ndarray, seed: int, epochs: int, width: int = 16):
    """(HybridCell, FitResult): a residual on the rates of `fit_reactions` of the fitted model, trained on `train`."""
    import jax

    hyb = hybridize(
        fitted,
        rate_targets=fit_reactions(series),
        input_genes=(),
        width=width,
        depth=1,
        key=jax.random.PRNGKey(seed),
    )
    res = fit(
        hyb,
        model_dataset(series, train),
        train="residual",
        optimizer=_adam(),
        epochs=epochs,
        seed=seed,
        sigma_log2=SIGMA_LOG2,
        options=_options(None),
        mapping=mapping(series),
        progress=False,
    )
    return res.model, res


# ------------------------------------------------------------------ baselines
def last_observation(series: ForecastSeries, train: np.ndarray) -> np.ndarray:
    """Each condition and observable: its last training value (0 if none), at every time."""
    v = np.where(train, series.values, np.nan)
    out = np.zeros(v.shape)
    for c in range(v.shape[0]):
        for j in range(v.shape[2]):
            seen = np.nonzero(np.isfinite(v[c, :, j]))[0]
            if seen.size:
                out[c, :, j] = v[c, seen[-1], j]
    return out


def mean_of_others(series: ForecastSeries, train: np.ndarray) -> np.ndarray | None:
    """Each condition: the mean of the other conditions' measured values at the same time (None: one condition).

    The other conditions' values are used at every time (their forecast windows included), as "the mean time
    course of the other conditions"; a time no other condition measured falls back to 0 (no change). A condition
    simulated as another (`ForecastSeries.simulated_as`, scored only when left out) is not among the others."""
    n = series.values.shape[0]
    pool = ~series.proxies()
    if n < 2:
        return None
    out = np.zeros(series.values.shape)
    for c in range(n):
        keep = pool.copy()
        keep[c] = False
        others = series.values[keep]
        n = np.sum(np.isfinite(others), axis=0)
        out[c] = np.where(n > 0, np.nansum(others, axis=0) / np.maximum(n, 1), 0.0)
    return out


def autoregression(series: ForecastSeries, train: np.ndarray) -> np.ndarray:
    """Per observable, ``y[k+1] = a + b y[k]`` (least squares over consecutive measured training points of every
    condition; fewer than 3 pairs: b = 1, a = 0; a fit with |b| > 1, which diverges when iterated, is refitted
    with b = ±1), iterated along each condition's measured times from its last
    training value (0 if none)."""
    v = series.values
    vt = np.where(train, v, np.nan)
    out = np.zeros(v.shape)
    for j in range(v.shape[2]):
        x, y = [], []
        for c in range(v.shape[0]):
            s = vt[c, :, j]
            ks = np.nonzero(np.isfinite(s))[0]
            x += list(s[ks[:-1]])
            y += list(s[ks[1:]])
        if len(x) >= 3 and np.ptp(x) > 0:
            b, a = np.polyfit(np.asarray(x), np.asarray(y), 1)
            if abs(b) > 1.0:  # an explosive fit: refit a with b at the stationarity bound
                b = float(np.sign(b))
                a = float(np.mean(np.asarray(y) - b * np.asarray(x)))
        else:
            a, b = 0.0, 1.0
        for c in range(v.shape[0]):
            seen = np.nonzero(np.isfinite(vt[c, :, j]))[0]
            last_k = int(seen[-1]) if seen.size else -1
            cur = float(vt[c, last_k, j]) if seen.size else 0.0
            out[c, :, j] = cur
            steps = [int(k) for k in np.nonzero(np.isfinite(v[c, :, j]))[0] if k > last_k]
            for k in steps:  # one step per later measured time
                cur = a + b * cur
                out[c, k, j] = cur
    return out
