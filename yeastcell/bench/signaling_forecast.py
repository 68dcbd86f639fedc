"""Benchmark task `signaling_forecast`: forecast later time points and left-out conditions of signaling time courses.

For each dataset (`yeastcell.bench.forecast_data`: Kanshin 2015 HOG phosphoproteome; Gonçalves 2017 nitrogen
upshift / downshift / rapamycin; Gonçalves 2017 NaCl) and each split:

* ``forecast``: learn from every condition's entries up to `train_until` min, predict the later ones;
* ``left-out condition``: learn from every entry of the other conditions, predict the held-out condition after
  its perturbation (nitrogen: fit upshift + rapamycin, predict the downshift; NaCl: fit NaCl + mock, predict
  NaCl + alpha-factor, which the model, lacking a pheromone pathway, simulates as NaCl alone; Kanshin has one
  condition);

the predictors of `yeastcell.bench.forecast_predictors` (and the fitted hybrid with its readout layer, free-running
and assimilated at the forecast origin: `yeastcell.bench.forecast_readout`, `readout_predictions`; and the readout
layer on the driver and loss chosen on inner splits of the training entries, `yeastcell.bench.forecast_select`,
the models refitted on each inner split) are scored per
measured mapped observable on the predicted entries: log-ratio RMSE (log2 units) and direction accuracy (the sign of the change from the last
training value, or from the pre-perturbation state for a left-out condition, over entries that change by at
least `DIRECTION_MIN_LOG2`). Fitted predictors are run once per seed (random restarts: seed 0 starts at the
authored values); the table gives mean ± sd over seeds (sd 0 for the deterministic predictors). The verdict notes
of each split compare the assimilated hybrid (`HYBRID_ASSIMILATED`) and the inner-split choice (`HYBRID_SELECTED`)
with the literature model and the baselines (`BASELINES`); the notes list the choice of every seed.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import jax
import numpy as np

from ..exceptions import UnknownNameError
from ..progress import bar as progress_bar
from ..progress import enabled
from .forecast_data import SERIES, ForecastSeries, forecast_series, model_cell
from .forecast_predictors import (
    LEAD_MIN,
    autoregression,
    fit_hybrid,
    fit_model,
    fit_parameters,
    last_observation,
    mean_of_others,
    simulate_series,
)
from .forecast_readout import dense_times
from .forecast_select import Choice, choose, fit_series_readouts, inner_splits, series_readouts
from .task import TaskOptionError, TaskResult

DIRECTION_MIN_LOG2 = 0.1
#: left-out condition per dataset: (held-out experiment, why not scored when None)
LEFT_OUT = {
    "kanshin": (None, "one condition (0.4 M NaCl): nothing to leave out"),
    "nitrogen": ("N_downshift", ""),
    "nacl": ("NaCl+alpha", ""),
}
HYBRID_READOUT = "fitted hybrid + readouts"
HYBRID_ASSIMILATED = "fitted hybrid + readouts, assimilated"
HYBRID_SELECTED = "readouts, driver chosen on inner splits"
#: the competitors of the issue's criterion (the fitted predictors are the candidates)
BASELINES = ("literature model", "last observation", "mean of other conditions", "linear autoregression")
PREDICTORS = (
    "literature model",
    "fitted model",
    "fitted hybrid",
    HYBRID_READOUT,
    HYBRID_ASSIMILATED,
    HYBRID_SELECTED,
    "last observation",
    "mean of other conditions",
    "linear autoregression",
)


@dataclass(frozen=True)
class Split:
    """Entries to learn from (`train`) and to score (`score`), both (n_cond, n_t, n_obs) bool."""

    name: str
    train: np.ndarray
    score: np.ndarray
    anchor: np.ndarray  # (n_cond, n_t, n_obs) value a change is measured from (direction accuracy)
    left_out: bool = False  # a left-out condition (else a forecast of later times)


def splits(series: ForecastSeries, train_until: float) -> tuple[list[Split], list[str]]:
    """(the splits of `series`, notes on the splits that do not exist)."""
    t = np.asarray(series.times_min)
    shape = series.values.shape
    proxy = series.proxies()
    measured = np.isfinite(series.values) & ~proxy[:, None, None]  # what the forecast split learns and scores
    early = np.broadcast_to((t <= train_until)[None, :, None], shape) & measured
    late = np.broadcast_to((t > train_until)[None, :, None], shape) & measured
    out, notes = [], []
    if late.any():
        out.append(Split(f"forecast (> {train_until:g} min)", early, late, last_observation(series, early)))
    else:
        notes.append(f"{series.name}: nothing measured after {train_until:g} min")
    held, why = LEFT_OUT.get(series.name, (None, "no left-out condition defined"))
    if held is None:
        notes.append(f"{series.name}, left-out condition: not scored: {why}")
    else:
        h = series.experiments.index(held)
        keep = ~proxy
        keep[h] = False
        train = measured & keep[:, None, None]
        score = np.isfinite(series.values) & (np.arange(shape[0]) == h)[:, None, None] & (t > 0)[None, :, None]
        out.append(Split(f"left out: {held}", train, score, np.zeros(shape), left_out=True))
    return out, notes


def scores(pred: np.ndarray, series: ForecastSeries, split: Split) -> tuple[float, float, int, list[float]]:
    """(pooled RMSE, direction accuracy, entries, RMSE per observable (NaN: none scored))."""
    d = series.values
    m = split.score
    err = (pred - d)[m]
    rmse = float(np.sqrt(np.mean(err**2))) if err.size else float("nan")
    change = d - split.anchor
    big = m & (np.abs(change) >= DIRECTION_MIN_LOG2)
    hit = np.sign(pred - split.anchor)[big] == np.sign(change)[big]
    acc = float(np.mean(hit)) if hit.size else float("nan")
    per = []
    for j in range(d.shape[2]):
        e = (pred - d)[..., j][m[..., j]]
        per.append(float(np.sqrt(np.mean(e**2))) if e.size else float("nan"))
    return rmse, acc, int(m.sum()), per


def _pm(xs: list[float], digits: int = 3) -> str:
    a = np.asarray([x for x in xs if np.isfinite(x)])
    if a.size == 0:
        return "n/a"
    if a.size == 1:
        return f"{a[0]:.{digits}f}"
    return f"{a.mean():.{digits}f} ± {a.std(ddof=1):.{digits}f}"


def run_dataset(
    series: ForecastSeries, seeds: int, lm_epochs: int, hybrid_epochs: int, train_until: float, log: Callable
) -> tuple[list[tuple], list[str]]:
    """Table rows and note lines of one dataset."""
    rows: list[tuple] = []
    notes: list[str] = []
    sp, why = splits(series, train_until)
    notes += why
    literature = simulate_series(_cell(series), series)
    td = dense_times(series.times_min)
    literature_dense = simulate_series(_cell(series), series, times=td)
    for split in sp:
        inner = inner_splits(series, split.train, split.left_out)
        choices: list[Choice] = []
        results: dict[str, list[tuple[float, float, int, list[float]]]] = {p: [] for p in PREDICTORS}
        results["literature model"].append(scores(literature, series, split))
        results["last observation"].append(scores(last_observation(series, split.train), series, split))
        other = mean_of_others(series, split.train)
        if other is not None:
            results["mean of other conditions"].append(scores(other, series, split))
        results["linear autoregression"].append(scores(autoregression(series, split.train), series, split))
        fitted_params = []
        for seed in range(seeds):
            t0 = time.perf_counter()
            fitted, fres = fit_model(series, split.train, seed, lm_epochs)
            results["fitted model"].append(scores(simulate_series(fitted, series), series, split))
            hyb, _ = fit_hybrid(fitted, series, split.train, seed, hybrid_epochs)
            results["fitted hybrid"].append(scores(simulate_series(hyb, series), series, split))
            drives = {"literature": literature_dense, "fitted": simulate_series(fitted, series, times=td)}
            drives["hybrid"] = simulate_series(hyb, series, times=td)
            free, assimilated = readout_predictions(hyb, series, split.train, drives["hybrid"])
            results[HYBRID_READOUT].append(scores(free, series, split))
            results[HYBRID_ASSIMILATED].append(scores(assimilated, series, split))
            inner_drives = []
            for isp in inner:  # refit on each inner split's training entries (same seed and iterations)
                f_in, _ = fit_model(series, isp.train, seed, lm_epochs)
                h_in, _ = fit_hybrid(f_in, series, isp.train, seed, hybrid_epochs)
                inner_drives.append(
                    {
                        "literature": literature_dense,
                        "fitted": simulate_series(f_in, series, times=td),
                        "hybrid": simulate_series(h_in, series, times=td),
                    }
                )
            choice = choose(series, td, inner, inner_drives, split.left_out)
            choices.append(choice)
            if (choice.driver, choice.ahead) == ("hybrid", True):  # the assimilated row's readouts: reused
                chosen = assimilated
            else:
                chosen = series_readouts(series, td, drives[choice.driver], split.train, choice.ahead, True)
            results[HYBRID_SELECTED].append(scores(chosen, series, split))
            fitted_params.append(fres.parameters)
            # every fit traces new closures: their compiled programs pile up (each holds memory mappings of
            # its machine code) until the process meets the kernel's map limit (vm.max_map_count, 65530 by
            # default; LLVM then fails with "Cannot allocate memory" with plenty of RAM free, 2026-12-08)
            jax.clear_caches()
            log(
                f"{series.name} / {split.name} / seed {seed}: {time.perf_counter() - t0:.0f} s"
                + (f"; {n} memory mappings" if (n := _mapped_regions()) is not None else "")
            )
        best = {}
        for p in PREDICTORS:
            r = results[p]
            if not r:
                rows.append((series.name, split.name, p, "n/a", "n/a", 0, "one condition: no other condition"))
                continue
            rmse = [x[0] for x in r]
            best[p] = float(np.mean(rmse))
            rows.append(
                (
                    series.name,
                    split.name,
                    p,
                    _pm(rmse),
                    _pm([x[1] for x in r], 2),
                    r[0][2],
                    f"{len(r)} seed(s)" if p.startswith("fitted") or p == HYBRID_SELECTED else "deterministic",
                )
            )
        with warnings.catch_warnings():  # an observable with no scored entry in this split: NaN, not listed
            warnings.simplefilter("ignore", RuntimeWarning)
            per = {p: np.nanmean(np.array([x[3] for x in results[p]]), axis=0) for p in PREDICTORS if results[p]}
        notes.append(f"{series.name} / {split.name}, RMSE per observable ({', '.join(per)}):")
        for j, o in enumerate(series.observables):
            if np.isfinite(per["literature model"][j]):
                notes.append(f"  {o} [{series.quantities[j]}]: " + ", ".join(f"{per[p][j]:.2f}" for p in per))
        notes.append(
            f"{series.name} / {split.name}: inner splits: "
            + ("; ".join(i.name for i in inner) if inner else "none (the default stands)")
        )
        for seed, ch in enumerate(choices):
            mse = ", ".join(f"{d}{'' if a else ' free-running'} {v:.3f}" for (d, a), v in ch.inner_mse.items())
            notes.append(f"  seed {seed}: {ch.label()}" + (f" (inner validation MSE: {mse})" if mse else ""))
        for head in (HYBRID_ASSIMILATED, HYBRID_SELECTED):
            hyb = best.get(head, float("nan"))
            lost = [
                f"{p} ({best[p]:.3f}, worse by {hyb - best[p]:.3f})" for p in best if p in BASELINES and best[p] < hyb
            ]
            verdict = (
                "beats the literature model and every baseline" if not lost else "does not beat: " + "; ".join(lost)
            )
            notes.append(f"{series.name} / {split.name}: {head} {verdict}")
    return rows, notes


def readout_predictions(
    model, series: ForecastSeries, train: np.ndarray, drive: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(free-running, assimilated) readout predictions (n_cond, n_t, n_obs) of `model` (`forecast_readout`): the
    model simulated on the dense grid (`drive`, when given: that simulation) drives one readout per observable,
    fitted on the `train` entries with the multi-step-ahead loss."""
    td = dense_times(series.times_min)
    drive = simulate_series(model, series, times=td) if drive is None else drive
    ros = fit_series_readouts(series, td, drive, train, ahead=True)
    free = series_readouts(series, td, drive, train, True, assimilate=False, readouts=ros)
    return free, series_readouts(series, td, drive, train, True, assimilate=True, readouts=ros)


def _mapped_regions() -> int | None:
    """Memory mappings of this process (Linux: lines of /proc/self/maps), None elsewhere."""
    try:
        with open("/proc/self/maps", "rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return None


def _cell(series: ForecastSeries):

    return model_cell(series.model)


def dataset_names(o: dict) -> list[str]:
    """The datasets of the option string ``o["datasets"]``, the other options checked before anything runs.

    Raises:
        UnknownNameError: an unknown dataset (close matches listed). TaskOptionError: a bad option value.
    """

    names = [n.strip() for n in str(o["datasets"]).split(",") if n.strip()]
    if not names:
        raise TaskOptionError("signaling_forecast: option datasets names no dataset (kanshin, nitrogen, nacl)")
    for n in names:
        if n not in SERIES:
            raise UnknownNameError("signaling_forecast dataset", n, SERIES)
    for k in ("seeds", "lm_epochs", "hybrid_epochs"):
        if int(o[k]) < 1:
            raise TaskOptionError(f"signaling_forecast: option {k} must be >= 1, got {o[k]!r}")
    if not float(o["train_until"]) > 0:
        raise TaskOptionError(f"signaling_forecast: option train_until must be > 0 min, got {o['train_until']!r}")
    return names


def signaling_forecast_result(o: dict) -> TaskResult:
    """Run the benchmark with options `o` (see the task's options)."""
    t_start = time.perf_counter()
    names = dataset_names(o)
    rows: list[tuple] = []
    notes: list[str] = []
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        if enabled():
            bar.write(line, file=sys.stderr) if hasattr(bar, "write") else print(line, file=sys.stderr)

    bar = progress_bar(total=len(names), desc="signaling_forecast", unit="dataset")
    try:
        for name in names:
            series = forecast_series(name)
            notes.append(
                f"{name}: model {series.model}; {len(series.observables)} measured observables scored "
                f"({', '.join(sorted(set(series.kinds)))}), conditions {', '.join(series.experiments)}; "
                f"fitted parameters: {len(fit_parameters(series))} ({', '.join(fit_parameters(series))})"
            )
            by_reason: dict[str, list[str]] = {}
            for k, v in series.unmapped.items():
                by_reason.setdefault(v, []).append(k)
            for reason, obs in by_reason.items():
                notes.append(
                    f"  unmapped ({len(obs)}): {reason}: {', '.join(obs[:12])}{' ...' if len(obs) > 12 else ''}"
                )
            for e, why in series.not_scored_conditions.items():
                notes.append(f"  condition {e} not scored: {why}")
            r, n = run_dataset(
                series, int(o["seeds"]), int(o["lm_epochs"]), int(o["hybrid_epochs"]), float(o["train_until"]), log
            )
            rows += r
            notes += n
            bar.update(1)
    finally:
        bar.close()
    wall = time.perf_counter() - t_start
    notes.append(
        f"lead-in {LEAD_MIN:g} min on the pre-perturbation medium; seeds {o['seeds']}, LM iterations "
        f"{o['lm_epochs']}, hybrid epochs {o['hybrid_epochs']}; direction = sign of the change from the last "
        f"training value (left-out condition: from the pre-perturbation state), changes >= {DIRECTION_MIN_LOG2} "
        f"log2; {wall:.0f} s"
    )
    return TaskResult(
        "signaling_forecast",
        ("dataset", "split", "predictor", "log2 RMSE (mean ± sd)", "direction accuracy", "entries", "runs"),
        tuple(rows),
        {"wall_s": wall},
        "\n".join(notes + lines),
    )
