"""A fitting problem: a Dataset turned into arrays once (names checked here), and the loss as a pure
function of the `Fittable`, vmapped over conditions and jitted.

Loss = Gaussian negative log-likelihood on the log2 scale over measured entries
(`yeastcell.observe.gaussian_nll`, noise `sigma_log2` per observable), divided by the number of
measured entries, plus the priors of the mechanistic parameters and, for hybrids, the residual
regularisation (L2/L1 on weights, L2 on the network outputs along the simulated states).

A condition whose solve fails contributes a fixed penalty (`FAILED_PENALTY` per condition) instead of
its likelihood; its states are replaced by 1 mM before the observation model so no NaN reaches the
gradient, and the number of failed conditions is reported with every loss.

Raw data need a positive model prediction; log2fc data are compared with the model's own log2 fold
change against the simulated reference condition at the dataset's reference time (or the first time).
"""

from __future__ import annotations

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..exceptions import SimulationInputError
from ..hybrid import HybridCell, output_penalty, weight_penalty
from ..observe import ObservationModel, ObservationParams, data_log2, gaussian_nll, predict_log2
from ..perturb import Condition, resolve, resolve_batch
from ..solvers import check_times, solve

FAILED_PENALTY = 1e3


@dataclass(frozen=True)
class Regularisation:
    """Residual-network regularisation weights (see `yeastcell.hybrid.weight_penalty`, `output_penalty`)."""

    l2: float = 1e-4
    l1: float = 0.0
    output: float = 1e-3


class Problem(eqx.Module):
    """Arrays of one Dataset for a given model (conditions resolved and stacked)."""

    conds: Condition  # stacked (n_cond leading axis)
    ref_cond: Condition | None  # reference condition of log2fc data (unbatched) or None
    ts: jnp.ndarray  # (n_t,) min
    data: jnp.ndarray  # (n_cond, n_rep, n_t, n_obs) log2 values (0 where missing)
    mask: jnp.ndarray  # same shape, bool
    log_sigma: jnp.ndarray  # (n_obs,)
    om: ObservationModel
    obs_params: ObservationParams  # identity by default
    transform: str = eqx.field(static=True)
    ref_t_index: int = eqx.field(static=True)
    conditions: tuple[str, ...] = eqx.field(static=True)
    n_measured: int = eqx.field(static=True)


def build_problem(model, dataset, sigma_log2: float = 0.2, mapping=None) -> Problem:
    """Check `dataset` against `model` and build the arrays of the loss.

    Raises:
        UnknownNameError / PerturbationError / DatasetError: naming the bad observable, gene or value.
        SimulationInputError: no measured values, bad sigma.
    """

    if not (np.isfinite(sigma_log2) and sigma_log2 > 0):
        raise SimulationInputError(f"sigma_log2 must be positive, got {sigma_log2!r}")
    om = ObservationModel.build(model, dataset.observables, mapping=mapping)
    conds = resolve_batch(model, list(dataset.perturbations))  # parsed once, when the Dataset was built
    ts = check_times(dataset.times_min)
    if ts[0] > 0:
        raise SimulationInputError("the dataset's first time point must be 0 min (the start of the experiment)")
    values, mask = data_log2(dataset)
    if not mask.any():
        raise SimulationInputError("the dataset has no measured values")
    ref_cond, ref_t = None, 0
    if dataset.transform == "log2fc":
        if dataset.reference is not None:
            ref_cond = resolve(model, dataset.reference_perturbation, n_events=conds.n_events)
        if dataset.reference_time_min is not None:
            ref_t = int(np.argmin(np.abs(ts - dataset.reference_time_min)))
            if abs(ts[ref_t] - dataset.reference_time_min) > 1e-9:
                raise SimulationInputError(f"reference time {dataset.reference_time_min} min is not a time point")
    return Problem(
        conds,
        ref_cond,
        jnp.asarray(ts),
        jnp.asarray(np.where(mask, values, 0.0)),
        jnp.asarray(mask),
        jnp.full(len(dataset.observables), float(np.log(sigma_log2))),
        om,
        ObservationParams.init(len(dataset.observables), sigma_log2),
        dataset.transform,
        ref_t,
        tuple(dataset.conditions),
        int(mask.sum()),
    )


def simulate_observables(model, problem: Problem, conds, options):
    """(observables (n, n_t, n_obs) model units, safe states (n, n_t, n_species), ok (n,)) for stacked `conds`."""
    conc, status = jax.vmap(lambda c: solve(model, c, problem.ts, options))(conds)
    ok = status == 0
    conc = jnp.where(ok[:, None, None] & jnp.isfinite(conc), conc, 1.0)
    flux = jax.vmap(lambda cs, rs: jax.vmap(lambda c, t: model.fluxes(c, t, rs))(cs, problem.ts))(
        conc, conds.rate_scale
    )
    return problem.om(conc, flux), conc, ok


def predictions_log2(model, problem: Problem, conds, options):
    """(log2 predictions (n, n_t, n_obs), safe states, ok) comparable with `problem.data`."""
    y, conc, ok = simulate_observables(model, problem, conds, options)
    if problem.transform == "log2fc":
        if problem.ref_cond is not None:
            batch1 = jax.tree_util.tree_map(lambda x: x[None], problem.ref_cond)
            y_ref, _, ok_ref = simulate_observables(model, problem, batch1, options)
            y_ref = y_ref[:, problem.ref_t_index : problem.ref_t_index + 1, :]
            ok = ok & ok_ref[0]
        else:
            y_ref = y[:, problem.ref_t_index : problem.ref_t_index + 1, :]
        return predict_log2(problem.obs_params, y, "log2fc", y_ref=y_ref), conc, ok
    return predict_log2(problem.obs_params, y, "raw"), conc, ok


def loss_terms(f, problem: Problem, idx, options, reg: Regularisation | None = None):
    """(loss, aux) over the conditions `idx` (an int array) of `problem` for the `Fittable` `f`.

    aux = {"nll": data term per measured entry, "n_failed": failed conditions}."""

    model = f.build()
    conds = jax.tree_util.tree_map(lambda x: x[idx], problem.conds)
    pred, conc, ok = predictions_log2(model, problem, conds, options)
    data, mask = problem.data[idx], problem.mask[idx]
    mask = mask & ok[:, None, None, None]
    nll = gaussian_nll(pred, data, mask, problem.log_sigma)
    n_meas = jnp.maximum(jnp.sum(problem.mask[idx]), 1)
    n_failed = jnp.sum(~ok)
    loss = (nll + FAILED_PENALTY * n_failed) / n_meas + f.prior_penalty() / problem.n_measured
    if isinstance(model, HybridCell) and reg is not None:
        loss = loss + weight_penalty(model.net, reg.l2, reg.l1)
        if reg.output:
            loss = loss + output_penalty(model.net, conc, reg.output)
    return loss, {"nll": nll / n_meas, "n_failed": n_failed}


def weighted_residuals(f, problem: Problem, idx, options):
    """Residuals (pred - data)/sigma of all entries (0 where not measured) and ok flags: for
    Levenberg–Marquardt and the Fisher information."""
    model = f.build()
    conds = jax.tree_util.tree_map(lambda x: x[idx], problem.conds)
    pred, _, ok = predictions_log2(model, problem, conds, options)
    data, mask = problem.data[idx], problem.mask[idx]
    r = (pred[:, None] - data) * jnp.exp(-problem.log_sigma)
    return jnp.where(mask, r, 0.0).ravel(), ok
