"""Fit the yeast core model to the van Heerden et al. 2014 glucose-pulse metabolites; validate on
time points and on metabolites left out of the fit.

Data (`yeastcell.data.read_vanheerden2014`): a 110 mM glucose pulse at t = 0 to an aerobic
glucose-limited chemostat (D = 0.1 h⁻¹), intracellular G6P, F6P, FBP, GAP, 3PG, PEP, ATP, ADP and AMP
at 11 time points over 5.6 min, µmol/gDW converted to mM with 2 mL/gDW (the Y3M model's cell volume).

Model: the embedded core model (`yeast_core`, Teusink 2000 glycolysis with literature parameters)
in its aerobic batch condition (medium glucose 111 mM, i.e. the pulse's 110 mM on top of the
chemostat's residual glucose), started from the measured pre-pulse state: every measured metabolite
is set to its t = 0 value. Unmeasured species keep their authored initial values.

Fit (`yeastcell.fit.fit`, Levenberg–Marquardt, central-difference Jacobian, log-normal noise
sd 0.3 log2 units): the maximal rates of the glucose transporter, hexokinase, PFK, aldolase,
GAPDH, pyruvate kinase and the ATP demand (the chemostat cells' enzyme levels differ from the batch
cells Teusink measured), each within 1/20..20 times its literature value. Two validations:

* time: fit the first 6 time points (0–107 s), predict the 5 later ones (135–337 s);
* metabolites: fit G6P, FBP, PEP, ATP, ADP, AMP at all times, predict F6P, GAP and 3PG.

Score: RMSE of log(model) - log(data) (natural log) on the held-out entries, literature model vs
fitted model; also on the fitted entries.

Times in min, concentrations in mM, errors in natural-log units. The command line with
``--record`` is ``benchmarks/bench_vanheerden.py``.
"""

from __future__ import annotations

import time

import numpy as np

import yeastcell as yc

from ..fit import fit
from ..fit.params import bounded_parameters
from ..perturb.notation import parse_perturbation
from ..studies.vanheerden2014 import FIT_PARAMETERS as PARAMS
from ..studies.vanheerden2014 import ML_PER_GDW, pulse_dataset

TRAIN_UNTIL_MIN = 1.8  # 107 s is the 6th time point
FIT_METABOLITES = ("G6P_c", "F16BP_c", "PEP_c", "ATP_c", "ADP_c", "AMP_c")


def log_predictions(cell, ds, options):
    """log(model) at the dataset's times and observables, shape (n_t, n_obs); raises on a failed solve."""
    tr = yc.simulate(cell, parse_perturbation(ds.conditions[0]), ds.times_min, options=options)
    if int(np.asarray(tr.status)) != 0:
        raise RuntimeError(f"simulation failed: {tr.status_name if hasattr(tr, 'status_name') else tr.status}")
    return np.log(np.maximum(np.stack([np.asarray(tr.species(o)) for o in ds.observables], axis=-1), 1e-12))


def rmse(pred, ds, entries):
    """RMSE of natural-log residuals over the selected (time, observable) entries with data."""
    data = np.log(np.where(ds.mask[0, 0], ds.values[0, 0], np.nan))
    err = (pred - data)[entries & ds.mask[0, 0]]
    return float(np.sqrt(np.mean(err**2))), int(err.size)


def run_split(cell, ds, name, train_entries, options, epochs):
    train = ds.replace(
        mask=ds.mask & train_entries[None, None], values=np.where(train_entries[None, None], ds.values, np.nan)
    )
    params = bounded_parameters(cell, PARAMS, 20.0)
    t0 = time.perf_counter()
    res = fit(cell, train, params=params, optimizer="lm", epochs=epochs, sigma_log2=0.3, options=options)
    t_fit = time.perf_counter() - t0
    lit = log_predictions(cell, ds, options)
    fitted = log_predictions(res.model, ds, options)
    out = {
        "split": name,
        "fit_s": t_fit,
        "iterations": len(res.history),
        "parameters": {p: res.parameters[p] / float(cell.theta[cell.theta_names.index(p)]) for p in PARAMS},
    }
    for label, sel in (("held-out", ~train_entries), ("fitted", train_entries)):
        for model_name, pred in (("literature", lit), ("fitted", fitted)):
            out[(label, model_name)] = rmse(pred, ds, sel)
    return out


def glucose_pulse_table(epochs: int = 40) -> list[str]:
    """Both validations (time, metabolites) as markdown lines; ``epochs``: LM iterations at most."""
    cell = yc.load_cell("yeast_core")
    ds = pulse_dataset()
    options = yc.SolverOptions(rtol=1e-8, atol=1e-10, max_steps=50_000)
    t = ds.times_min
    by_time = np.broadcast_to((t <= TRAIN_UNTIL_MIN)[:, None], (t.size, len(ds.observables))).copy()
    by_met = np.broadcast_to(np.isin(ds.observables, FIT_METABOLITES)[None, :], by_time.shape).copy()
    runs = [
        run_split(cell, ds, "time (fit 0-107 s, predict 135-337 s)", by_time, options, epochs),
        run_split(
            cell, ds, f"metabolites (fit {', '.join(FIT_METABOLITES)}; predict the others)", by_met, options, epochs
        ),
    ]
    lines = [
        (
            "| validation | entries held out | held-out log RMSE, literature | held-out log RMSE, fitted | "
            "fitted-entry log RMSE, literature → fitted | LM iterations | fit time (s) |"
        ),
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for r in runs:
        (lo, n), (hi, _) = r[("held-out", "literature")], r[("held-out", "fitted")]
        (a, _), (b, _) = r[("fitted", "literature")], r[("fitted", "fitted")]
        lines.append(
            f"| {r['split']} | {n} | {lo:.3f} | {hi:.3f} | {a:.3f} → {b:.3f} | {r['iterations']} | {r['fit_s']:.0f} |"
        )
    lines.append("")
    for r in runs:
        lines.append(
            f"- fitted multipliers of the literature values ({r['split']}): "
            + ", ".join(
                f"{k} {v:.3g}" + (" (at its bound)" if not 0.0501 < v < 19.95 else "")
                for k, v in r["parameters"].items()
            )
        )
    lines.append(
        f"- data: van Heerden et al. 2014 (read_vanheerden2014, {ML_PER_GDW} mL/gDW), "
        f"{len(ds.observables)} metabolites x {t.size} times; model yeast_core, condition "
        "aerobic_batch (111 mM glucose) started from the measured t = 0 state; log = natural log; "
        "solver rtol 1e-8"
    )
    return lines
