"""Time-course simulation of a `Cell` under a perturbation, with a stiff diffrax solver in float64.

`simulate` is a pure function of (cell, condition, times): ``jax.jit`` and ``jax.vmap`` apply to it
directly when it is given a resolved `Condition`; given a symbolic perturbation it resolves it first
(in Python, with validation). Events (pulses, steps) split the horizon into segments integrated one
after the other inside a `lax.scan`, so a batch with different event times is still one program.
"""

from __future__ import annotations

import dataclasses

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._bdf import BatchBDF, solve_cells
from ._jacobian import cell_term, solver_args
from ._solver import default_solver
from .compile import Cell
from .exceptions import SimulationInputError
from .perturb import EVENT_SET, Condition, Perturbation, resolve
from .status import Status, from_diffrax
from .trajectory import Trajectory


class SolverOptions(eqx.Module):
    """Settings of the ODE solve.

    Attributes:
        rtol, atol: relative and absolute (mM) tolerances of the adaptive step control.
        max_steps: maximum number of solver steps per segment.
        solver: a diffrax solver; default `Rodas4P` (yeastcell/_solver.py: a Rosenbrock method for
            stiff systems, one Jacobian + LU per step, no Newton iteration). For an ESDIRK method use
            `yeastcell._solver.esdirk(diffrax.Kvaerno5)` (chord-iteration tolerances decoupled
            from rtol/atol; plain `diffrax.Kvaerno5()` takes ~4x more steps on the core model).
        negative_tol: a concentration below ``-negative_tol`` mM marks the trajectory as failed
            (None disables the check, e.g. for SBML models whose variables may be negative).
        max_events: maximum number of state-event executions (SBML events) per trajectory;
            beyond it the status is `Status.TOO_MANY_EVENTS`.
        adjoint: how diffrax differentiates the solve: `RecursiveCheckpointAdjoint` (default,
            reverse mode) or `diffrax.ForwardMode()` (forward sensitivities for `jax.jacfwd`; what
            `yeastcell.fit` uses, see docs/hybrid.md).
        pcoeff, icoeff: the PID step-size controller's proportional and integral coefficients.
            Default: a plain integral controller (0, 1). Measured on the core model (20 perturbed
            100-min Teusink time courses, rtol 1e-6): 231 accepted + 15 rejected steps per trajectory,
            against 292 + 13 with the PI setting (0.3, 0.4) diffrax suggests for stiff problems, and
            the same trajectories to 3.4e-6 relative.
        min_step_fraction: a trajectory fails with `Status.STEP_SIZE_TOO_SMALL` once the step size
            falls below this fraction of the integration interval (CVODE's "t + h = t" failure). A
            state that turned NaN or a finite-time blow-up shrinks the step towards zero; without
            this floor such a trajectory takes zero-length steps until `max_steps`, and under
            `vmap` the whole batch steps with it. 0 disables the floor. Default 1e-14: a step that
            small needs 1e14 steps to cross the interval.
        jacobian: "structured" (default) builds the solver's Jacobian from the reaction structure
            (compressed forward differentiation of the flux vector, yeastcell/_jacobian.py);
            "dense" uses `jax.jacfwd` of the right-hand side. Only Rosenbrock solvers use it.
    """

    rtol: float = eqx.field(static=True, default=1e-7)
    atol: float = eqx.field(static=True, default=1e-10)
    max_steps: int = eqx.field(static=True, default=50_000)
    solver: diffrax.AbstractSolver = eqx.field(static=True, default_factory=default_solver)
    negative_tol: float | None = eqx.field(static=True, default=1e-6)
    max_events: int = eqx.field(static=True, default=1000)
    adjoint: diffrax.AbstractAdjoint = eqx.field(static=True, default_factory=diffrax.RecursiveCheckpointAdjoint)
    jacobian: str = eqx.field(static=True, default="structured")
    pcoeff: float = eqx.field(static=True, default=0.0)
    icoeff: float = eqx.field(static=True, default=1.0)
    min_step_fraction: float = eqx.field(static=True, default=1e-14)

    def controller(self, span, *, pcoeff: float | None = None, icoeff: float | None = None,
                   dtmax=None) -> diffrax.PIDController:
        """The adaptive step-size controller these options describe, for an interval of length `span`.

        Args:
            span: length of the integration interval (min; may be traced); sets the step floor
                ``min_step_fraction * span``.
            pcoeff, icoeff: override the options' controller coefficients (the SBML path keeps its own).
            dtmax: largest step (min; None: unbounded).
        """
        dtmin = None if self.min_step_fraction == 0 else self.min_step_fraction * jnp.abs(span)
        return diffrax.PIDController(
            rtol=self.rtol, atol=self.atol,
            pcoeff=self.pcoeff if pcoeff is None else pcoeff, icoeff=self.icoeff if icoeff is None else icoeff,
            dtmin=dtmin, force_dtmin=False, dtmax=dtmax)

    def __check_init__(self):
        if not (self.rtol > 0 and self.atol > 0):
            raise SimulationInputError(f"rtol and atol must be positive, got {self.rtol}, {self.atol}")
        if self.max_steps <= 0:
            raise SimulationInputError(f"max_steps must be positive, got {self.max_steps}")
        if not 0 <= self.min_step_fraction < 1:
            raise SimulationInputError(f"min_step_fraction must be in [0, 1), got {self.min_step_fraction}")
        if self.jacobian not in ("structured", "dense"):
            raise SimulationInputError(f"jacobian must be 'structured' or 'dense', got {self.jacobian!r}")


def check_times(t) -> np.ndarray:
    """Validate save times (min): 1-D, finite, >= 0 at the start, strictly increasing, >= 2 points."""
    try:
        arr = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise SimulationInputError(f"time points must be numbers, got {t!r}") from None
    if arr.ndim != 1 or arr.size < 2:
        raise SimulationInputError(f"time points must be a 1-D sequence of at least 2 values, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise SimulationInputError("time points must be finite")
    bad = np.nonzero(np.diff(arr) <= 0)[0]
    if bad.size:
        i = int(bad[0])
        raise SimulationInputError(
            f"time points must be strictly increasing: t[{i}]={arr[i]:g} is followed by t[{i + 1}]={arr[i + 1]:g}")
    return arr


def _is_traced(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def _save_times(t, saveat):
    if saveat is None:
        return t if _is_traced(t) else jnp.asarray(check_times(t))
    if _is_traced(saveat):
        return saveat
    span = np.asarray(t, dtype=float)
    if span.shape != (2,):
        raise SimulationInputError("with saveat, t must be a (t0, t1) span")
    if isinstance(saveat, int | np.integer):
        return jnp.asarray(check_times(np.linspace(span[0], span[1], int(saveat))))
    ts = check_times(saveat)
    if ts[0] < span[0] or ts[-1] > span[1]:
        raise SimulationInputError(f"saveat times must lie within t = ({span[0]:g}, {span[1]:g})")
    if ts[0] > span[0]:
        raise SimulationInputError("the first saveat time must equal t0 (the initial state is reported)")
    return jnp.asarray(ts)


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
    ts = _save_times(t, saveat)
    cond, label = _as_condition(cell, perturbation)
    options = options or SolverOptions()
    conc, status = _solve(cell, cond, ts, options)
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


@eqx.filter_jit
def _solve(cell: Cell, cond: Condition, ts, options: SolverOptions):
    """Integrate; returns (conc (n_t, n_species) mM, status code). Pure and traceable.

    For an SBML-style cell (``cell.system``) the first output holds the values of all symbols
    (n_t, n_symbols): compartment sizes, species amounts, parameters.
    """
    if cond.c0.ndim != 1:
        raise SimulationInputError("a batched Condition was passed to simulate; use simulate_batch or jax.vmap")
    if cell.system is not None:
        from ._events import solve_system

        values, status = solve_system(cell, cond, ts, options, options.max_events)
        return values, _post_status(cell.system.species_values(values), status, options)
    if isinstance(options.solver, BatchBDF):  # a batch of one (see yeastcell/_bdf.py)
        conc, status = solve_cells(cell, jax.tree_util.tree_map(lambda a: a[None], cond), ts, options)
        return conc[0], status[0]
    dyn = jnp.asarray(cell.dynamic, dtype=int)
    n_ev = cond.event_t.shape[0]
    bounds, seg_of_t = segment_plan(cond, ts)
    term = cell_term(cell, options.jacobian)

    def segment(carry, k):
        c_full, out, status = carry
        a, b = bounds[k], bounds[k + 1]
        sol = diffrax.diffeqsolve(
            term, options.solver, a, b, None, c_full[dyn], args=solver_args(term, cell, c_full, cond.clamp, cond.rate_scale),
            saveat=diffrax.SaveAt(ts=jnp.clip(ts, a, b), t1=True), stepsize_controller=options.controller(b - a),
            max_steps=options.max_steps, throw=False, adjoint=options.adjoint,
        )
        seg_conc = jax.vmap(lambda x: c_full.at[dyn].set(x))(sol.ys[:-1])
        out = jnp.where((seg_of_t == k)[:, None], seg_conc, out)
        code = from_diffrax(sol.result)
        status = jnp.where(status == Status.SUCCESS, code, status)
        c_full = apply_event(cond, c_full.at[dyn].set(sol.ys[-1]), k, ts[-1])
        return (c_full, out, status), None

    out0 = jnp.zeros((ts.shape[0], cell.n_species), dtype=cond.c0.dtype)
    init = (cond.c0, out0, jnp.asarray(Status.SUCCESS, dtype=jnp.int32))
    (c_end, conc, status), _ = jax.lax.scan(segment, init, jnp.arange(n_ev + 1))
    status = jnp.where(jnp.all(jnp.isfinite(cond.c0)), status, Status.NONFINITE)
    status = _post_status(conc, status, options)
    return conc, status


def segment_plan(cond: Condition, ts):
    """How a condition's events cut the save times `ts` into segments (one condition, traceable).

    Returns:
        bounds: (n_events + 2,) segment boundaries (min): start, event times clipped to [ts[0],
            ts[-1]], end. seg_of_t: (n_t,) the segment of each save time, i.e. the number of events at
            or before it (right-continuous: a value saved at an event time is the one after it).
    """
    t0, t_end = ts[0], ts[-1]
    ev_t = jnp.clip(cond.event_t, t0, t_end)
    bounds = jnp.concatenate([t0[None], ev_t, t_end[None]])
    seg_of_t = jnp.sum((cond.event_t[None, :] <= ts[:, None]) & (cond.event_t[None, :] <= t_end), axis=1)
    return bounds, seg_of_t


def apply_event(cond: Condition, c_full, k, t_end):
    """Concentrations `c_full` (mM) after event k of `cond`, if it exists and falls at or before
    `t_end` (one condition, traceable; k may be traced)."""
    n_ev = cond.event_t.shape[0]
    if not n_ev:
        return c_full
    e = jnp.minimum(k, n_ev - 1)
    live = (k < n_ev) & (cond.event_t[e] <= t_end)
    i = cond.event_species[e]
    new = jnp.where(cond.event_mode[e] == EVENT_SET, cond.event_value[e], c_full[i] + cond.event_value[e])
    return jnp.where(live, c_full.at[i].set(new), c_full)


def _post_status(conc, status, options):
    status = jnp.where((status == Status.SUCCESS) & ~jnp.all(jnp.isfinite(conc)), Status.NONFINITE, status)
    if options.negative_tol is not None:
        neg = jnp.any(conc < -options.negative_tol)
        status = jnp.where((status == Status.SUCCESS) & neg, Status.NEGATIVE_CONCENTRATION, status)
    return status.astype(jnp.int32)


