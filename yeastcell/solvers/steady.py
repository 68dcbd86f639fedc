"""The steady-state solve: integrate until dx/dt vanishes, then check convergence explicitly.

One implementation for both cell kinds: the ODE is described by (initial state x0, vector field,
args, and a map from the final state to species values and fluxes) — the dynamic species of a
concentration cell, or the integrated symbols of an SBML cell (`solvers.events.system_ode`). The
solve runs with a diffrax steady-state event (it stops once max|dx/dt| ≤ 0.1·tol·max|x|) and the
result is accepted only if the relative residual max_i |dx_i/dt| / max_j |x_j| is below `tol`
(per min); otherwise the status is `Status.NO_STEADY_STATE`.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..cells import SbmlCell
from ..perturb import Condition
from ..status import Status, fail_where, from_diffrax
from .events import system_ode
from .options import SolverOptions
from .runtime_checks import checks_as_nan
from .solve import with_parameters


def _max_norm(x):
    return jnp.max(jnp.abs(x))


def _ode(cell, cond: Condition):
    """(x0, vf(t, x, args), args, finish(x, t) -> (species values, fluxes)) of `cell` under `cond`."""
    if isinstance(cell, SbmlCell):
        y0, full, vf, x_of, _ = system_ode(cell, cond, 0.0)

        def finish_system(x, t):
            y, env = full(x, y0, t)
            return cell.species_values(y), cell.system.rates(env, cell.theta, cond.rate_scale)

        return x_of(y0), vf, (y0,), finish_system
    dyn = jnp.asarray(cell.dynamic, dtype=int)

    def finish(x, t):
        c = cond.c0.at[dyn].set(x)
        return c, cell.fluxes(c, t, cond.rate_scale)

    return cond.c0[dyn], (lambda t, x, a: cell.rhs(t, x, *a)), (cond.c0, cond.clamp, cond.rate_scale), finish


def steady_solve(cell, cond: Condition, t_max: float, tol: float, options: SolverOptions):
    """(species values, fluxes, status, residual (1/min), time reached (min)) of one condition.

    Traceable; the caller jits and vmaps. Values and fluxes of a failed solve are returned as they
    are (the caller masks them).
    """
    with checks_as_nan():
        return _steady_solve(cell, cond, t_max, tol, options)


def _steady_solve(cell, cond: Condition, t_max: float, tol: float, options: SolverOptions):
    import diffrax

    x0, vf, args, finish = _ode(with_parameters(cell, cond), cond)
    event = diffrax.Event(diffrax.steady_state_event(rtol=tol * 0.1, atol=1e-300, norm=_max_norm))
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(vf),
        options.solver,
        0.0,
        t_max,
        None,
        x0,
        args=args,
        saveat=diffrax.SaveAt(t1=True),
        event=event,
        stepsize_controller=options.controller(t_max),
        max_steps=options.max_steps,
        throw=False,
    )
    x, t_end = sol.ys[-1], sol.ts[-1]
    dx = vf(t_end, x, args)
    residual = jnp.max(jnp.abs(dx)) / jnp.maximum(jnp.max(jnp.abs(x)), 1e-300)
    status = from_diffrax(sol.result)
    status = fail_where(status, ~jnp.all(jnp.isfinite(x)), Status.NONFINITE)
    status = fail_where(status, ~(residual <= tol), Status.NO_STEADY_STATE)
    c, v = finish(x, t_end)
    return c, v, status, residual, t_end
