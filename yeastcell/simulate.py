"""Time-course simulation of a `Cell` under a perturbation, in float64.

`simulate` validates its input (save times, the perturbation, resolved here in Python), integrates
with `yeastcell.solvers.solve`, and returns a `Trajectory` with the fluxes along the saved states.
Given a resolved `Condition`, ``jax.jit`` and ``jax.vmap`` apply to the array work directly.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ._xla import FAST_COMPILE
from .bounds import species_bounds
from .cells import Cell
from .exceptions import SimulationInputError
from .perturb import Condition, Perturbation, resolve
from .program_store import Deferred, stored_program
from .solvers import SolverOptions, batch_options, save_times, solve, traced, with_parameters
from .status import Status
from .trajectory import Trajectory


def simulate(
    cell: Cell,
    perturbation: Perturbation | Condition | None = None,
    t=None,
    saveat=None,
    options: SolverOptions | None = None,
) -> Trajectory:
    """Simulate one condition.

    Args:
        cell: a compiled model.
        perturbation: a symbolic perturbation (resolved here), a resolved `Condition`, or None (wild type).
        t: save times in min (1-D, strictly increasing; the first is the start time), or a
            (t0, t1) span when `saveat` is given.
        saveat: save times within the span, or a number of evenly spaced points.
        options: `SolverOptions`. With the default solver, an SBML-imported cell without state
            events runs under `BatchBDF` (forward only) unless the call is traced (`jax.grad`,
            `jax.jit`, ...), which keeps the differentiable Rodas4P (`yeastcell.solvers.batch_options`,
            docs/solvers.md "One trajectory").

    Returns:
        A `Trajectory`; check `.ok` / `.status` (or call `.raise_if_failed()`).

    Raises:
        SimulationInputError: bad time points. UnknownNameError / PerturbationError: bad perturbation.
    """
    if t is None:
        raise SimulationInputError("simulate needs time points t (min)")
    ts = save_times(t, saveat)
    cond, label = _as_condition(cell, perturbation)
    if cond.c0.ndim != 1:
        raise SimulationInputError("a batched Condition was passed to simulate; use simulate_batch or jax.vmap")
    # the solver for one trajectory (`batch_options`: BatchBDF for an SBML cell without state
    # events when nothing is traced, i.e. nobody can differentiate this call)
    gradients = traced(cell, cond, ts)
    chosen: SolverOptions | Deferred
    if options is None and not gradients:  # built only if the solve is not in the program store
        chosen = Deferred("simulate: default options, one lane", lambda: batch_options(SolverOptions(), 1, cell))
    else:
        chosen = batch_options(options or SolverOptions(), 1, cell, gradients=gradients)
    conc, status, t_failed = solve(cell, cond, ts, chosen, stop_time=True)
    return _trajectory(cell, ts, conc, status, (label,), cond, t_failed)


def _as_condition(cell, perturbation):
    if isinstance(perturbation, Condition):
        return perturbation, ""
    if perturbation is None or isinstance(perturbation, Perturbation):
        cond = resolve(cell, perturbation)
        return cond, perturbation.label if perturbation is not None else "wild type"
    raise SimulationInputError(f"perturbation must be a Perturbation or Condition, got {type(perturbation).__name__}")


# Save points whose fluxes are evaluated together after a batched solve. Evaluated for the whole
# batch at once, the rate laws' intermediates (e.g. the gathered members of every enzyme complex)
# took 1.8 MB per lane of the core model at 121 save points, 6x what its saved values need
# (benchmarks/bench_batch_memory.py); in blocks of this many points they take a fixed ~60 MB.
FLUX_POINTS_PER_BLOCK = 4096


def _trajectory(cell, ts, conc, status, labels, cond, t_failed=None):
    """A `Trajectory` with labels; the array work runs as one jitted program (labels stay outside jit)."""
    if t_failed is None:  # no stop time known: a failed lane is NaN from the start
        t_failed = jnp.where(status == Status.SUCCESS, jnp.inf, -jnp.inf)
    lo, hi = species_bounds(cell)
    traj = _trajectory_arrays(cell, ts, conc, status, cond, t_failed, lo, hi)
    return dataclasses.replace(traj, labels=tuple(labels))


def _trajectory_arrays(cell, ts, values, status, cond, t_failed, lo, hi) -> Trajectory:
    """Species and fluxes along the saved values, NaN after the time a failed lane stopped, and
    the physiological-bounds warning of solved lanes (`yeastcell.bounds`), as a `Trajectory`.

    `values` are what the solver saved, (n_t, n_values) or batched (B, n_t, n_values): the species
    concentrations of a concentration cell, all symbol values of an SBML cell (`cell.value_ids`).
    A failed lane keeps what was saved up to `t_failed` (min; +inf for a lane that did not fail).
    The array work is one compiled program (`_trajectory_program`, `_one_trajectory_program`); names
    stay outside it.
    """
    program = _trajectory_program if values.ndim == 3 else _one_trajectory_program
    tt, conc, flux, t_failed, warning, *saved_values = program(cell, ts, values, status, cond, t_failed, lo, hi)
    saved = {} if cell.value_ids is None else {"values": saved_values[0], "value_ids": cell.value_ids}
    return Trajectory(
        tt,
        conc,
        flux,
        status,
        cell.species_ids,
        cell.reaction_ids,
        (),
        cell.spec,
        **saved,
        t_failed=t_failed,
        warning=warning,
    )


def _trajectory_body(cell, ts, values, status, cond, t_failed, lo, hi):
    """(times, species, fluxes, t_failed, warning[, symbol values]) arrays of `_trajectory_arrays`."""
    tt = jnp.broadcast_to(ts, values.shape[:-1])

    def lane_fluxes(vals, times, cond_lane):
        lane = with_parameters(cell, cond_lane)
        return jax.vmap(lane.saved_fluxes, in_axes=(0, 0, None))(vals, times, cond_lane.rate_scale)

    if values.ndim == 2:
        flux = lane_fluxes(values, tt, cond)
    else:  # blocks of lanes, so the rate laws' intermediates never exist for the whole batch at once
        lanes = max(1, FLUX_POINTS_PER_BLOCK // max(1, values.shape[1]))
        flux = jax.lax.map(lambda a: lane_fluxes(*a), (values, tt, cond), batch_size=min(lanes, values.shape[0]))
    t_failed = jnp.where(status == Status.SUCCESS, jnp.inf, t_failed)
    bad = (tt > t_failed[..., None])[..., None]
    conc = jnp.where(bad, jnp.nan, cell.species_values(values))
    flux = jnp.where(bad, jnp.nan, flux)
    outside = jnp.any((conc > hi) | (conc < lo), axis=(-2, -1))
    warning = jnp.where((status == Status.SUCCESS) & outside, Status.IMPLAUSIBLE_STATE, 0).astype(jnp.int32)
    saved = () if cell.value_ids is None else (jnp.where(bad, jnp.nan, values),)
    return (tt, conc, flux, t_failed, warning, *saved)


# The post-processing of a batch (compiled with XLA's defaults), and of one trajectory, compiled fast
# (`yeastcell._xla.FAST_COMPILE`): for one lane that halves its compile time (core model 1.6 -> 0.9 s,
# whole cell 3.4 -> 1.8 s) and runs as fast; for 1000 lanes of the core model it ran 3.6x slower
# (6.2 s instead of 1.7 s), more than the 2.7 s of compile it saved.
_trajectory_program = stored_program("trajectory")(_trajectory_body)
_one_trajectory_program = stored_program("trajectory_one", compiler_options=FAST_COMPILE)(_trajectory_body)
