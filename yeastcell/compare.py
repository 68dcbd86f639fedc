"""Simulated vs measured: metrics per condition × observable, and plots of the time courses.

Predictions are arrays on the dataset's own scale: for a ``raw`` dataset in its units, shape
(n_cond, n_t, n_obs) at ``ds.times_min``; for a ``log2fc`` dataset log2 fold changes. Metrics are
computed on the log2 scale (raw values are log2-transformed; both must be > 0):

* ``rmse_log2``: root mean square of (measured - predicted) over every measured replicate entry;
* ``pearson`` / ``spearman``: correlation over time points of the replicate-mean series
  (NaN, with ``n_t`` saying why, when fewer than 3 points or a constant series);
* ``direction_accuracy``: among entries whose measured change exceeds `threshold` (log2 units) in
  absolute value, the fraction whose predicted change has the same sign. The change is the value
  itself for log2fc data; for raw data it is log2(value / reference), the reference being the
  ``reference`` condition at the same time when given, else the first time point;
* ``coverage``: with prediction intervals (lower, upper; same scale as the data), the fraction of
  measured entries inside them.

`condition_correlations` scores each condition by the correlation over all its (time,
observable) points, the usual summary for steady-state proteomics.

`predict_dataset` simulates a cell for every condition of a dataset and maps the trajectories
through an `ObservationModel`; the ``yeastcell compare`` command (`yeastcell.cli.compare`) uses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .batch import simulate_batch
from .exceptions import DatasetError, SimulationInputError
from .io import atomic_path
from .observe import ObservationModel, log2fc

MAX_PANELS = 64


# ---------------------------------------------------------------------- statistics (numpy)
def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as scipy.stats.rankdata 'average')."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(x.size)
    xs = x[order]
    i = 0
    while i < x.size:
        j = i
        while j + 1 < x.size and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i : j + 1]] = 0.5 * (i + j) + 1.0
        i = j + 1
    return ranks


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two 1-D arrays; NaN when fewer than 3 points or either is constant."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size < 3:
        return float("nan")
    da, db = a - a.mean(), b - b.mean()
    den = np.sqrt((da * da).sum() * (db * db).sum())
    return float((da * db).sum() / den) if den > 0 else float("nan")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (Pearson of average ranks); NaN as for `pearson`."""
    return pearson(rankdata(a), rankdata(b))


def _nanmean(x: np.ndarray, **kw) -> np.ndarray:
    """np.nanmean without the warning for all-NaN slices (they give NaN)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, **kw)


def _log2(x: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    fin = np.isfinite(x)
    if np.any(x[fin] <= 0):
        raise DatasetError(f"{what}: raw values must be > 0 for log-scale metrics")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(fin, np.log2(np.where(fin, x, 1.0)), np.nan)


# ---------------------------------------------------------------------- values a log scale cannot take
def nonpositive_entries(ds):
    """The measured raw entries of `ds` that are <= 0 (no log2), one row each: condition, replicate
    (1-based), t_min, observable, value (a pandas DataFrame; empty for log2fc data or none)."""
    import pandas as pd

    cols = ["condition", "replicate", "t_min", "observable", "value"]
    if ds.transform != "raw":
        return pd.DataFrame(columns=cols)
    bad = ds.mask & np.isfinite(ds.values) & (ds.values <= 0)
    rows = [
        (ds.conditions[c], r + 1, float(ds.times_min[t]), ds.observables[o], float(ds.values[c, r, t, o]))
        for c, r, t, o in zip(*np.nonzero(bad))
    ]
    return pd.DataFrame(rows, columns=cols)


def check_log_scale(ds, max_listed: int = 5, hint: str = "") -> None:
    """Raise `DatasetError` naming the measured raw values <= 0 of `ds` (they have no log2; the
    metrics are on the log2 scale). Call it before simulating."""
    bad = nonpositive_entries(ds)
    if len(bad):
        listed = "; ".join(
            f"condition {r.condition!r} replicate {r.replicate} t={r.t_min:g} min {r.observable!r} = {r.value:g}"
            for r in bad.head(max_listed).itertuples()
        )
        more = f" (and {len(bad) - max_listed} more)" if len(bad) > max_listed else ""
        raise DatasetError(
            f"{len(bad)} measured value(s) <= 0 cannot be compared on the log2 scale (raw values must be > 0): "
            f"{listed}{more}" + hint
        )


def mask_detection_limit(ds, limit: float):
    """(dataset, n): `ds` with every measured raw value <= `limit` (the detection limit, in the
    observable's units) treated as not measured (mask False, value NaN), and how many were.

    Such values say only "at most `limit`"; a log-scale comparison of them with a prediction would
    score noise, so they are left out of every metric (the number is reported). log2fc data are
    returned unchanged (their values are not concentrations)."""
    if not np.isfinite(limit) or limit < 0:
        raise DatasetError(f"detection limit must be a finite number >= 0, got {limit}")
    if ds.transform != "raw":
        return ds, 0
    below = ds.mask & np.isfinite(ds.values) & (ds.values <= limit)
    n = int(below.sum())
    if not n:
        return ds, 0
    return ds.replace(values=np.where(below, np.nan, ds.values), mask=ds.mask & ~below), n


# ---------------------------------------------------------------------- metrics
def metrics(
    ds, pred, lower=None, upper=None, threshold: float = 0.0, reference: str | None = None, floor: float = 1e-12
):
    """Metrics per (condition, observable) as a pandas DataFrame (see the module docstring).

    Args:
        ds: the measured `Dataset`.
        pred: predictions (n_cond, n_t, n_obs) on the dataset's scale at ``ds.times_min``; NaN for
            a condition whose simulation failed (its rows get ``n = 0`` and NaN metrics).
        lower, upper: optional prediction interval bounds, same shape and scale as `pred`.
        threshold: significance threshold of a measured change, log2 units (e.g. 1 = two-fold).
        reference: for raw data, the condition changes are measured against (default
            ``ds.reference`` when it is one of the conditions, else the first time point).
        floor: raw predictions below this (e.g. 0 for a deleted protein) are floored before log2.

    Raises:
        DatasetError: shapes that do not match the dataset, raw values <= 0, a bad threshold.
    """
    import pandas as pd

    nc, _, nt, no = ds.shape
    pred = np.asarray(pred, dtype=float)
    if pred.shape != (nc, nt, no):
        raise DatasetError(f"predictions must have shape (n_cond, n_t, n_obs) = {(nc, nt, no)}, got {pred.shape}")
    if (lower is None) != (upper is None):
        raise DatasetError("give both lower and upper prediction bounds, or neither")
    if not (np.isfinite(threshold) and threshold >= 0):
        raise DatasetError(f"threshold must be a finite number >= 0 (log2 units), got {threshold}")
    raw = ds.transform == "raw"
    check_log_scale(ds)
    data = _log2(np.where(ds.mask, ds.values, np.nan), "data") if raw else np.where(ds.mask, ds.values, np.nan)
    p = np.log2(np.maximum(pred, floor)) if raw else pred  # NaN (failed solve) stays NaN
    # measured and predicted changes (for direction of change)
    if not raw:
        dchg, pchg = data, np.broadcast_to(p[:, None], data.shape)
    else:
        ref = reference if reference is not None else (ds.reference if ds.reference in ds.conditions else None)
        if ref is not None:
            r = ds.condition_index(ref)
            dchg = data - _nanmean(data[r], axis=0)
            pchg = np.broadcast_to((p - p[r])[:, None], data.shape).copy()
            pchg[r] = np.nan  # the reference itself has no change to score
        else:
            dchg = data - _nanmean(data[:, :, :1], axis=1, keepdims=True)
            pchg = np.broadcast_to((p - p[:, :1])[:, None], data.shape).copy()
            pchg[:, :, 0] = np.nan
    if lower is not None:
        lo, hi = (np.asarray(x, dtype=float) for x in (lower, upper))
        if lo.shape != pred.shape or hi.shape != pred.shape:
            raise DatasetError(f"prediction bounds must have shape {pred.shape}")
        inside = (ds.values >= lo[:, None]) & (ds.values <= hi[:, None])
    rows = []
    dmean = _nanmean(data, axis=1)  # (nc, nt, no)
    for c in range(nc):
        for o in range(no):
            m = ds.mask[c, :, :, o] & np.isfinite(p[c, None, :, o])
            n = int(m.sum())
            res = (data[c, :, :, o] - p[c, None, :, o])[m]
            tm = np.isfinite(dmean[c, :, o]) & np.isfinite(p[c, :, o])
            sig = m & (np.abs(dchg[c, :, :, o]) > threshold) & np.isfinite(pchg[c, :, :, o])
            nd = int(sig.sum())
            agree = np.sign(dchg[c, :, :, o][sig]) == np.sign(pchg[c, :, :, o][sig])
            row = {
                "condition": ds.conditions[c],
                "observable": ds.observables[o],
                "n": n,
                "n_t": int(tm.sum()),
                "rmse_log2": float(np.sqrt(np.mean(res**2))) if n else float("nan"),
                "pearson": pearson(dmean[c, tm, o], p[c, tm, o]),
                "spearman": spearman(dmean[c, tm, o], p[c, tm, o]),
                "n_direction": nd,
                "direction_accuracy": float(agree.mean()) if nd else float("nan"),
            }
            if lower is not None:
                row["coverage"] = float(inside[c, :, :, o][m].mean()) if n else float("nan")
            rows.append(row)
    return pd.DataFrame(rows)


def condition_correlations(ds, pred, floor: float = 1e-12):
    """Per condition, Pearson and Spearman correlation over every measured (time, observable)
    point of the replicate means vs the predictions, on the log2 scale: the usual score for
    steady-state proteomics (one time point, many proteins). Returns a pandas DataFrame with
    columns condition, n_points, pearson, spearman.

    Raises:
        DatasetError: as for `metrics`.
    """
    import pandas as pd

    nc, _, nt, no = ds.shape
    pred = np.asarray(pred, dtype=float)
    if pred.shape != (nc, nt, no):
        raise DatasetError(f"predictions must have shape (n_cond, n_t, n_obs) = {(nc, nt, no)}, got {pred.shape}")
    raw = ds.transform == "raw"
    data = _log2(np.where(ds.mask, ds.values, np.nan), "data") if raw else np.where(ds.mask, ds.values, np.nan)
    p = np.log2(np.maximum(pred, floor)) if raw else pred
    mean = _nanmean(data, axis=1)
    rows = []
    for c in range(nc):
        ok = np.isfinite(mean[c]) & np.isfinite(p[c])
        rows.append(
            {
                "condition": ds.conditions[c],
                "n_points": int(ok.sum()),
                "pearson": pearson(mean[c][ok], p[c][ok]),
                "spearman": spearman(mean[c][ok], p[c][ok]),
            }
        )
    return pd.DataFrame(rows)


def summarize(table, by: str = "observable"):
    """Aggregate a `metrics` table by ``"observable"`` or ``"condition"``: entry-weighted RMSE,
    mean correlations, pooled direction accuracy (and coverage)."""
    import pandas as pd

    if by not in ("observable", "condition"):
        raise DatasetError(f"by must be 'observable' or 'condition', got {by!r}")
    out = []
    for key, g in table.groupby(by, sort=False):
        n = g["n"].sum()
        nd = g["n_direction"].sum()
        row = {
            by: key,
            "n": int(n),
            "rmse_log2": float(np.sqrt((g["rmse_log2"] ** 2 * g["n"]).sum() / n)) if n else float("nan"),
            "pearson": float(g["pearson"].mean()),
            "spearman": float(g["spearman"].mean()),
            "n_direction": int(nd),
            "direction_accuracy": float((g["direction_accuracy"] * g["n_direction"]).sum() / nd)
            if nd
            else float("nan"),
        }
        if "coverage" in g:
            row["coverage"] = float((g["coverage"] * g["n"]).sum() / n) if n else float("nan")
        out.append(row)
    return pd.DataFrame(out)


# ---------------------------------------------------------------------- simulate + observe
@dataclass(frozen=True)
class Prediction:
    """Model predictions for a dataset: `values` (n_cond, n_t, n_obs) on the dataset's scale at its
    times (NaN for failed conditions), a dense curve `sim_values` at `sim_times_min` for plots, and
    a status message per condition ("ok" or why the solve failed)."""

    values: np.ndarray
    sim_times_min: np.ndarray
    sim_values: np.ndarray
    status: tuple[str, ...]


def predict_dataset(
    cell, ds, base=None, mapping: Mapping[str, str] | None = None, points: int = 101, options=None
) -> Prediction:
    """Simulate `cell` for every condition of `ds` (plus its reference condition) and observe it.

    Each condition is ``base + ds.perturbations[i]`` (the condition string as parsed when the
    dataset was built); times run from 0 (or the first data
    time if earlier) to the last data time, `points` evenly spaced plus every data time. For a
    log2fc dataset the prediction is log2(y / y_ref), y_ref being the reference condition's
    observables (``ds.reference``; the condition itself if None) at ``ds.reference_time_min`` (the
    same time point if None).

    Raises:
        UnknownNameError, PerturbationError: a condition or observable the cell does not know.
        SimulationInputError: fewer than 2 plot points.
    """
    if points < 2:
        raise SimulationInputError(f"points must be >= 2, got {points}")
    om = ObservationModel.build(cell, ds.observables, mapping=mapping)
    texts = list(ds.conditions)
    perts = list(ds.perturbations)
    if ds.transform == "log2fc" and ds.reference is not None and ds.reference not in texts:
        texts.append(ds.reference)
        perts.append(ds.reference_perturbation)
    if base is not None:
        perts = [base + p for p in perts]
    t0 = min(0.0, float(ds.times_min[0]))
    extra = [ds.reference_time_min] if ds.reference_time_min is not None else []
    t = np.unique(np.concatenate([np.linspace(t0, float(ds.times_min[-1]), points), ds.times_min, extra]))
    if t.size < 2:
        t = np.array([t0, t0 + 1.0])
    traj = simulate_batch(cell, perts, t)
    ok = np.atleast_1d(traj.ok)
    y = np.array(om(traj.conc, traj.flux), dtype=float)  # (n, n_sim_t, n_obs)
    y[~ok] = np.nan
    status = tuple("ok" if k else m for k, m in zip(ok, traj.status_messages()))
    if ds.transform == "log2fc":
        ref = y[texts.index(ds.reference)] if ds.reference is not None else y
        if ds.reference_time_min is not None:
            k = int(np.argmin(np.abs(t - ds.reference_time_min)))
            ref = ref[..., k : k + 1, :]
        y = np.array(log2fc(y, ref), dtype=float)
        y[~ok] = np.nan
    idx = [int(np.argmin(np.abs(t - x))) for x in ds.times_min]
    n = len(ds.conditions)
    return Prediction(values=y[:n][:, idx], sim_times_min=t, sim_values=y[:n], status=status[:n])


# ---------------------------------------------------------------------- plots
def plot_comparison(
    ds,
    path: str | Path,
    pred=None,
    sim_times_min=None,
    sim_values=None,
    conditions: Sequence[str] | None = None,
    observables: Sequence[str] | None = None,
    lower=None,
    upper=None,
) -> Path:
    """Grid of panels (rows: conditions, columns: observables): measured replicates as points,
    simulation as a line (`sim_values` at `sim_times_min`, else `pred` at the data times), optional
    prediction band. Written atomically; format from the suffix (.png or .pdf).

    Raises:
        DatasetError: more than 64 panels (select conditions/observables), bad suffix or shapes.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        raise DatasetError(f"{path}: plots are written as .png or .pdf")
    ci = [ds.condition_index(c) for c in conditions] if conditions is not None else list(range(len(ds.conditions)))
    oi = [ds.observable_index(o) for o in observables] if observables is not None else list(range(len(ds.observables)))
    if len(ci) * len(oi) > MAX_PANELS:
        raise DatasetError(
            f"{len(ci)} conditions x {len(oi)} observables = {len(ci) * len(oi)} panels; "
            f"select at most {MAX_PANELS} with conditions=/observables="
        )
    nc, _, nt, no = ds.shape
    for name, arr in (("pred", pred), ("lower", lower), ("upper", upper)):
        if arr is not None and np.shape(arr) != (nc, nt, no):
            raise DatasetError(f"{name} must have shape {(nc, nt, no)}, got {np.shape(arr)}")
    if sim_values is not None and (sim_times_min is None or np.shape(sim_values) != (nc, len(sim_times_min), no)):
        raise DatasetError(
            f"sim_values must have shape (n_cond, len(sim_times_min), n_obs) = "
            f"{(nc, None if sim_times_min is None else len(sim_times_min), no)}"
        )
    # rows = conditions, columns = observables; a single condition wraps its observables (4 a row)
    single = len(ci) == 1 and len(oi) > 4
    nrow, ncol = (int(np.ceil(len(oi) / 4)), 4) if single else (len(ci), len(oi))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol + 0.6, 2.6 * nrow + 0.4), squeeze=False)
    ylab = "log2 fold change" if ds.transform == "log2fc" else None
    for a, c in enumerate(ci):
        for b, o in enumerate(oi):
            ax = axes[divmod(b, 4)] if single else axes[a, b]
            for r in range(ds.n_replicates):
                m = ds.mask[c, r, :, o]
                ax.plot(
                    ds.times_min[m],
                    ds.values[c, r, m, o],
                    "o",
                    ms=3.5,
                    color="k",
                    alpha=0.7,
                    label="measured" if r == 0 else None,
                )
            if sim_values is not None:
                ax.plot(sim_times_min, sim_values[c, :, o], "-", color="C0", label="simulated")
            elif pred is not None:
                ax.plot(ds.times_min, np.asarray(pred)[c, :, o], "-", color="C0", label="simulated")
            if lower is not None and upper is not None:
                ax.fill_between(
                    ds.times_min,
                    np.asarray(lower)[c, :, o],
                    np.asarray(upper)[c, :, o],
                    color="C0",
                    alpha=0.2,
                    label="prediction interval",
                )
            unit = ylab or ds.units[ds.observables[o]]
            if single or a == 0:
                ax.set_title(ds.observables[o] + (f"  ({ds.conditions[c]})" if single and b == 0 else ""), fontsize=8)
            if single or b == 0:
                ax.set_ylabel(unit if single else f"{ds.conditions[c]}\n{unit}", fontsize=8)
            ax.set_xlabel("time (min)", fontsize=8)
            measured = ds.values[c, :, :, o][ds.mask[c, :, :, o]]
            if ds.transform == "raw" and measured.size and np.all(measured > 0):
                ax.set_yscale("log")
    for ax in list(axes.flat)[len(oi) :] if single else []:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=110)
    plt.close(fig)
    return path
