"""Steady states: integrate until dx/dt vanishes, then check convergence explicitly.

The solve runs the stiff ODE with a diffrax steady-state event (it stops once
max|dx/dt| ≤ 0.1·tol·max|x|), and the result is accepted only if the relative residual
max_i |dx_i/dt| / max_j |x_j| is below `tol` (per min). Otherwise the status is
`Status.NO_STEADY_STATE`, and the concentrations are NaN.
"""

from __future__ import annotations

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .cells import Cell, SbmlCell
from .exceptions import SimulationInputError
from .perturb import Condition, Perturbation, resolve_batch
from .simulate import _as_condition
from .solvers import SolverOptions
from .solvers.events import system_ode
from .status import Status, fail_where, from_diffrax, raise_for_status


def _max_norm(x):
    return jnp.max(jnp.abs(x))


class SteadyState(eqx.Module):
    """A steady state: concentrations (mM), fluxes (mM/min), status, residual (1/min), time reached (min)."""

    conc: jnp.ndarray
    flux: jnp.ndarray
    status: jnp.ndarray
    residual: jnp.ndarray
    t_reached: jnp.ndarray
    species_ids: tuple[str, ...] = eqx.field(static=True)
    reaction_ids: tuple[str, ...] = eqx.field(static=True)

    @property
    def ok(self):
        return np.asarray(self.status) == Status.SUCCESS

    def raise_if_failed(self) -> SteadyState:
        raise_for_status(self.status, "steady-state solves")
        return self

    def species(self, name: str) -> np.ndarray:
        self.raise_if_failed()
        return np.asarray(self.conc[..., self.species_ids.index(name)])

    def reaction_flux(self, name: str) -> np.ndarray:
        self.raise_if_failed()
        return np.asarray(self.flux[..., self.reaction_ids.index(name)])

    def fluxes(self) -> dict[str, float]:
        """All reaction fluxes (mM/min) by reaction id (single steady state)."""
        self.raise_if_failed()
        return {r: float(v) for r, v in zip(self.reaction_ids, np.asarray(self.flux))}


def steady_state(
    cell: Cell,
    perturbation: Perturbation | Condition | None = None,
    *,
    t_max: float = 1e5,
    tol: float = 1e-9,
    options: SolverOptions | None = None,
) -> SteadyState:
    """Find the steady state reached from the condition's initial state.

    Args:
        t_max: give up after this much simulated time (min).
        tol: convergence threshold on the relative residual (1/min).

    Raises:
        SimulationInputError: non-positive `t_max` or `tol`.
    """
    if not (np.isfinite(t_max) and t_max > 0) or not tol > 0:
        raise SimulationInputError(f"t_max and tol must be positive, got {t_max}, {tol}")
    cond, _ = _as_condition(cell, perturbation)
    if isinstance(cell, SbmlCell) and cell.events is not None:
        raise SimulationInputError(
            f"model {cell.model_id!r} has state events; steady_state ignores them, "
            "so it is refused: use simulate over a long horizon"
        )
    if cond.n_events:
        raise SimulationInputError("steady_state does not take timed events (pulse/step); use simulate")
    return _steady(cell, cond, float(t_max), float(tol), options or SolverOptions())


@eqx.filter_jit
def _steady(cell: Cell, cond: Condition, t_max: float, tol: float, options: SolverOptions) -> SteadyState:
    if isinstance(cell, SbmlCell):
        return _steady_system(cell, cond, t_max, tol, options)
    dyn = jnp.asarray(cell.dynamic, dtype=int)
    args = (cond.c0, cond.clamp, cond.rate_scale)
    term = diffrax.ODETerm(lambda t, x, a: cell.rhs(t, x, *a))
    event = diffrax.Event(diffrax.steady_state_event(rtol=tol * 0.1, atol=1e-300, norm=_max_norm))
    sol = diffrax.diffeqsolve(
        term,
        options.solver,
        0.0,
        t_max,
        None,
        cond.c0[dyn],
        args=args,
        saveat=diffrax.SaveAt(t1=True),
        event=event,
        stepsize_controller=options.controller(t_max),
        max_steps=options.max_steps,
        throw=False,
    )
    x = sol.ys[-1]
    dx = cell.rhs(sol.ts[-1], x, *args)
    residual = jnp.max(jnp.abs(dx)) / jnp.maximum(jnp.max(jnp.abs(x)), 1e-300)
    status = from_diffrax(sol.result)
    status = fail_where(status, ~jnp.all(jnp.isfinite(x)), Status.NONFINITE)
    status = fail_where(status, ~(residual <= tol), Status.NO_STEADY_STATE)
    c = cond.c0.at[dyn].set(x)
    v = cell.fluxes(c, sol.ts[-1], cond.rate_scale)
    bad = status != Status.SUCCESS
    return SteadyState(
        jnp.where(bad, jnp.nan, c),
        jnp.where(bad, jnp.nan, v),
        status.astype(jnp.int32),
        residual,
        sol.ts[-1],
        cell.species_ids,
        cell.reaction_ids,
    )


def steady_state_batch(cell: Cell, perturbations, **kwargs) -> SteadyState:
    """Steady states of many perturbations as one vmapped program."""
    conds = perturbations if isinstance(perturbations, Condition) else resolve_batch(cell, list(perturbations))
    t_max, tol = kwargs.get("t_max", 1e5), kwargs.get("tol", 1e-9)
    options = kwargs.get("options") or SolverOptions()
    return jax.vmap(lambda c: _steady(cell, c, t_max, tol, options))(conds)


def _steady_system(cell: SbmlCell, cond: Condition, t_max: float, tol: float, options: SolverOptions) -> SteadyState:
    """Steady state of an SBML-style cell (its state events are not applied; see steady_state)."""
    sysm = cell.system
    y0, full, vf, x_of, scale = system_ode(cell, cond, 0.0)
    args = (y0,)
    event = diffrax.Event(diffrax.steady_state_event(rtol=tol * 0.1, atol=1e-300, norm=_max_norm))
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(vf),
        options.solver,
        0.0,
        t_max,
        None,
        x_of(y0),
        args=args,
        saveat=diffrax.SaveAt(t1=True),
        event=event,
        stepsize_controller=options.controller(t_max),
        max_steps=options.max_steps,
        throw=False,
    )
    x = sol.ys[-1]
    dx = vf(sol.ts[-1], x, args)
    residual = jnp.max(jnp.abs(dx)) / jnp.maximum(jnp.max(jnp.abs(x)), 1e-300)
    status = from_diffrax(sol.result)
    status = fail_where(status, ~jnp.all(jnp.isfinite(x)), Status.NONFINITE)
    status = fail_where(status, ~(residual <= tol), Status.NO_STEADY_STATE)
    y, env = full(x, y0, sol.ts[-1])
    c = sysm.species_values(y)
    v = sysm.rates(env, cell.theta, cond.rate_scale)
    bad = status != Status.SUCCESS
    return SteadyState(
        jnp.where(bad, jnp.nan, c),
        jnp.where(bad, jnp.nan, v),
        status.astype(jnp.int32),
        residual,
        sol.ts[-1],
        cell.species_ids,
        cell.reaction_ids,
    )
