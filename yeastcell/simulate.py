"""Time-course simulation of a `Cell` under a perturbation, in float64.

`simulate` validates its input (save times, the perturbation, resolved here in Python), integrates
with `yeastcell.solvers.solve`, and returns a `Trajectory` with the fluxes along the saved states.
Given a resolved `Condition`, ``jax.jit`` and ``jax.vmap`` apply to the array work directly.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp

from .compile import Cell
from .exceptions import SimulationInputError
from .perturb import Condition, Perturbation, resolve
from .solvers import SolverOptions, save_times, solve
from .status import Status
from .trajectory import Trajectory


def simulate(cell: Cell, perturbation: Perturbation | Condition | None = None, t=None, saveat=None,
             options: SolverOptions | None = None) -> Trajectory:
    """Simulate one condition.

    Args:
        cell: a compiled model.
        perturbation: a symbolic perturbation (resolved here), a resolved `Condition`, or None (wild type).
        t: save times in min (1-D, strictly increasing; the first is the start time), or a
            (t0, t1) span when `saveat` is given.
        saveat: save times within the span, or a number of evenly spaced points.
        options: `SolverOptions`.

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
    options = options or SolverOptions()
    conc, status = solve(cell, cond, ts, options)
    return _trajectory(cell, ts, conc, status, (label,), cond)


def _as_condition(cell, perturbation):
    if isinstance(perturbation, Condition):
        return perturbation, ""
    if perturbation is None or isinstance(perturbation, Perturbation):
        cond = resolve(cell, perturbation)
        return cond, perturbation.label if perturbation is not None else "wild type"
    raise SimulationInputError(f"perturbation must be a Perturbation or Condition, got {type(perturbation).__name__}")


def _trajectory(cell, ts, conc, status, labels, cond):
    """A `Trajectory` with labels; the array work runs as one jitted program (labels stay outside jit)."""
    return dataclasses.replace(_trajectory_arrays(cell, ts, conc, status, cond), labels=tuple(labels))


@eqx.filter_jit
def _trajectory_arrays(cell, ts, conc, status, cond):
    """Fluxes along the saved states and the NaN masking of failed lanes."""
    labels = ()
    if cell.system is not None:
        return _system_trajectory(cell, ts, conc, status, labels, cond)
    flux_fn = lambda c, t: cell.fluxes(c, t, cond.rate_scale)  # noqa: E731
    if conc.ndim == 2:
        flux = jax.vmap(flux_fn)(conc, ts)
    else:
        flux = jax.vmap(lambda cs, tt, rs: jax.vmap(lambda c, t: cell.fluxes(c, t, rs))(cs, tt))(
            conc, jnp.broadcast_to(ts, conc.shape[:-1]), cond.rate_scale)
    bad = status != Status.SUCCESS
    conc = jnp.where(bad[..., None, None], jnp.nan, conc)
    flux = jnp.where(bad[..., None, None], jnp.nan, flux)
    tt = jnp.broadcast_to(ts, conc.shape[:-1])
    return Trajectory(tt, conc, flux, status, cell.species_ids, cell.reaction_ids, tuple(labels), cell.spec)


def _system_trajectory(cell, ts, values, status, labels, cond):
    """Trajectory of an SBML-style cell from its symbol values (..., n_t, n_symbols)."""
    sysm = cell.system
    conc = sysm.species_values(values)

    def flux_one(y, t, rs):
        return sysm.rates(sysm.env(y, t, cell.theta), cell.theta, rs)

    tt = jnp.broadcast_to(ts, values.shape[:-1])
    if values.ndim == 2:
        flux = jax.vmap(flux_one, in_axes=(0, 0, None))(values, tt, cond.rate_scale)
    else:
        flux = jax.vmap(jax.vmap(flux_one, in_axes=(0, 0, None)))(values, tt, cond.rate_scale)
    bad = status != Status.SUCCESS
    conc = jnp.where(bad[..., None, None], jnp.nan, conc)
    flux = jnp.where(bad[..., None, None], jnp.nan, flux)
    values = jnp.where(bad[..., None, None], jnp.nan, values)
    return Trajectory(tt, conc, flux, status, cell.species_ids, cell.reaction_ids, tuple(labels), cell.spec,
                      values=values, value_ids=sysm.names)
