"""The batched BDF (`bdf_batch`) for SBML-semantics cells, with or without state events.

An SBML-semantics cell (`SbmlCell`) integrates the symbols of its `System` (species amounts over
their compartment's initial size, rate-rule variables), with the assignment and algebraic rules
evaluated inside the right-hand side (`yeastcell.solvers.events.ode_functions`). The whole batch is
one `bdf_batch` loop per segment, as for a concentration cell (`yeastcell.solvers.solve._bdf`):
each lane carries its own parameter vector, rate scales, clamps and symbol vector in the solver's
args. Timed perturbation events (pulses, steps) cut the horizon into segments (`segment_plan`);
after each segment the event is applied to the symbols (`apply_timed_event`, then the rules), as
the event-located solve does.

State events (SBML `<event>`s) are located per lane inside the loop (`bdf_batch`'s `events`,
`yeastcell.solvers.sbml_bdf_events.SbmlLaneEvents`): a lane whose step holds a trigger crossing
or a due delayed execution stops there, its events execute, and it restarts at order 1; the others
go on. The events at the start are processed before the first segment, those after a timed
perturbation right after it (as the event-located solve does; one difference: a timed perturbation
at exactly the start time is applied after the state events at the start, not before). Each
lane's event state (atoms, triggers, queue, executions, event-assigned symbols outside the state)
is carried from segment to segment.

Jacobian: forward differences of the right-hand side per lane (`difference_jacobian`, the n
evaluations vmapped; CVODE's default kind, as libroadrunner runs it). The Newton iteration only
needs an approximate Jacobian (the residual and the error test use the exact right-hand side).
`jax.jacfwd` (``JACOBIAN = "forward"``) compiles about as long and runs slower. A compressed
Jacobian was judged to save nothing on imported models because a column colouring of the pattern
then sampled for Teusink 2000 needed all 21 colours; that pattern was mostly NaN artefacts (below),
and the structural one needs 10 colours. Measured 2026-12-08 (2-core Intel Xeon, batch 1000, every
global parameter scaled per lane, rtol 1e-8; columns grouped by colour, one evaluation per colour,
the same quotients on the pattern): Hynne 2001 9.18 -> 8.98 ms per trajectory, Tyson 2001 11.33 ->
10.93, Y3M1 11.92 -> 15.20 (6-15 colours for 8-41 symbols): the Jacobians (7-19 per trajectory)
are not what a step costs, so plain differences are kept. W = I/c − J is factorised
with the sparse LU (`yeastcell.solvers.sparse_lu`) on the structural pattern of the right-hand side
(`state_pattern`, read from its traced program: every derivative that can be nonzero, both branches
of a piecewise formula included), as for a concentration cell. Difference quotients outside the
pattern (round-off) are left out of W, which is an approximation anyway.

Measured (Teusink 2000 from BioModels, 21 integrated symbols, 200 lanes with every global
parameter scaled by a log-normal factor, 100 min, rtol 1e-8 / atol 1e-10, 2-core AMD EPYC under
load, so ±30 %): ~700 steps, ~140 factorisations, ~19 Jacobians per lane; per trajectory 16.5 ms
with `jax.jacfwd` and LAPACK, 8.8 ms with the sparse LU (224 of 441 entries), 6.6 ms with
differences and the sparse LU, against 44-85 ms for the event-located Rodas4P in chunks of 16 lanes.
The first call compiles for ~80 s (the event-located solve: ~50 s). Those figures used a pattern
sampled from `jax.jacfwd` at random states (224 entries, ~10 s to compute): most of its entries were
NaN derivatives (a square root at 0 times a zero tangent), not dependencies; the structural pattern
has 78 entries and takes ~1 s.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from ..cells import SbmlCell
from ..compile import compile_model
from ..perturb import Condition
from ..status import Status, first_failure
from .bdf import bdf_batch
from .events import apply_timed_event, ode_functions, state_scale
from .options import SolverOptions
from .sbml_bdf_events import SbmlLaneEvents
from .segments import mask_after, segment_plan
from .sparse_lu import SPARSE_LU_MAX_STATES

JACOBIAN = "differences"  # or "forward" (jax.jacfwd)


@functools.lru_cache(maxsize=32)
def state_pattern(spec) -> tuple[tuple[bool, ...], ...] | None:
    """Nonzero pattern of I − cJ (diagonal included) over the integrated symbols of the SBML cell
    compiled from `spec` (specs hash by identity; computed once): the structural pattern of the
    right-hand side (`yeastcell.solvers.structural_sparsity`), valid for any state, parameter
    vector, time, rate scales and clamps. None for a model without integrated symbols or a pattern
    too large for the sparse LU."""
    from .structural_sparsity import jacobian_pattern  # not imported on a first result from the program store

    with jax.ensure_compile_time_eval():  # concrete arrays even inside a caller's trace
        cell = compile_model(spec)
        assert isinstance(cell, SbmlCell)  # only SBML-semantics specs get here
        sysm = cell.system
        n = len(sysm.state)
        if not n or n > SPARSE_LU_MAX_STATES:
            return None

    def symbols(c):
        return sysm.apply_rules(sysm.y_from(c.c0, c.volumes, c.theta[: sysm.n_param]), 0.0, c.theta)[0]

    ybase = jax.eval_shape(symbols, cell)  # only its shape: the pattern holds for any values
    scale = jax.ShapeDtypeStruct((n,), np.float64)

    def rhs(x, theta, ybase, t, rate_scale, clamp, scale):
        _, vf, _ = ode_functions(sysm, theta, rate_scale, clamp, scale)
        return vf(t, jnp.concatenate([x, jnp.zeros(1, dtype=x.dtype)]), (ybase,))[:-1]

    args = (cell.theta, ybase, np.float64(0.0), np.ones(len(sysm.laws)), np.zeros(sysm.n_species, bool), scale)
    pattern = np.eye(n, dtype=bool) | jacobian_pattern(rhs, np.ones(n), *args)
    return tuple(tuple(bool(b) for b in row) for row in pattern)


def difference_jacobian(f, x, floor, rel: float = float(np.sqrt(np.finfo(np.float64).eps))):
    """(n, n) forward-difference Jacobian of f at x (CVODE's default kind): column j from
    f(x + σ_j e_j) with σ_j = rel · max(|x_j|, floor), the n evaluations vmapped."""
    sigma = rel * jnp.maximum(jnp.abs(x), floor)
    sigma = (x + sigma) - x  # exactly representable increments
    f0 = f(x)
    cols = jax.vmap(lambda d: f(x + d))(jnp.diag(sigma))  # (n: column, n: component)
    return ((cols - f0[None, :]) / sigma[:, None]).T


def solve_sbml_batch(cell, conds: Condition, ts, options: SolverOptions):
    """(values (B, n_t, n_symbols), status (B,), t_failed (B,) min) of a stacked batch of conditions
    of an SBML-semantics cell (state events located per lane); the state checks are the caller's.

    values are those of every symbol (compartment sizes, species amounts, parameters) at the save
    times; a failed lane keeps the values saved up to `t_failed` (the time its first failing
    segment reached, +inf where it did not fail), those after it are NaN.
    """
    sysm = cell.system
    state = np.asarray(sysm.state, dtype=int)
    n_state = len(state)
    B, n_t = conds.c0.shape[0], ts.shape[0]
    t0 = ts[0]
    if conds.n_params:
        thetas = jax.vmap(lambda c: c.theta(cell.theta))(conds)
    else:
        thetas = jnp.broadcast_to(cell.theta, (B,) + cell.theta.shape)

    def initial(cond, theta):
        y0 = sysm.y_from(cond.c0, cell.volumes, theta[: sysm.n_param])
        y0, _ = sysm.apply_rules(y0, t0, theta)
        return y0, state_scale(sysm, y0)

    y0, scale = jax.vmap(initial)(conds, thetas)
    status = jnp.full((B,), Status.SUCCESS, dtype=jnp.int32)
    lane_events = SbmlLaneEvents(sysm, cell.events, options.max_events) if cell.events is not None else None
    if lane_events is not None:
        # the events at t0 (triggers true from the start), as the event-located solve
        y0, carry, status = jax.vmap(lambda y, th: lane_events.initial(y, t0, th))(y0, thetas)
        extra = lane_events.extra
        # no step longer than the output spacing (as the event-located solve; module docstring of
        # `yeastcell.solvers.sbml_bdf_events`)
        event_kw = dict(events=lane_events, max_step=(ts[-1] - t0) / max(n_t - 1, 1))
    else:
        carry, extra, event_kw = None, np.zeros((0,), int), {}

    def functions(a):  # a = (ybase, theta, rate_scale, clamp, scale) of one lane
        return ode_functions(sysm, a[1], a[2], a[3], a[4])

    # the solver's state is the integrated symbols alone (no dummy component: it would dilute the
    # RMS error norm); a model without any keeps one constant component
    def vf(t, x, a):
        if not n_state:
            return jnp.zeros_like(x)
        return functions(a)[1](t, jnp.concatenate([x, jnp.zeros((1,), x.dtype)]), a)[:-1]

    def jac(t, x, a):
        if JACOBIAN == "forward":
            return jax.jacfwd(lambda z: vf(t, z, a))(x)
        return difference_jacobian(lambda z: vf(t, z, a), x, options.atol / options.rtol)

    def values_at(x, ybase, t, a):  # the symbol vector at ODE state x (one lane, one time)
        if not n_state:
            return sysm.apply_rules(ybase, t, a[1])[0]
        return functions(a)[0](jnp.concatenate([x, jnp.zeros((1,), x.dtype)]), ybase, t)[0]

    bounds, seg_of_t = jax.vmap(lambda c: segment_plan(c, ts))(conds)
    n_ev = conds.event_t.shape[1]

    def segment(c, k):
        y, out, status, t_failed, carry = c
        args = (y, thetas, conds.rate_scale, conds.clamp, scale)
        x0 = y[:, state] / scale if n_state else jnp.zeros((B, 1), y.dtype)
        if lane_events is not None:
            event_kw["event_state"] = carry
        xs, x_end, code, stats = bdf_batch(
            vf,
            jac,
            x0,
            args,
            bounds[:, k],
            bounds[:, k + 1],
            ts,
            rtol=options.rtol,
            atol=options.atol,
            max_steps=options.max_steps,
            w_pattern=state_pattern(cell.spec) if n_state else None,
            jac_lanes=options.solver.jac_lanes,
            min_step_fraction=options.min_step_fraction,
            **event_kw,
        )
        n_x = x0.shape[1]
        xs, saved = xs[..., :n_x], xs[..., n_x:]  # saved: event-assigned symbols outside the state

        def lane_values(xb, sb, yb, ab):
            return jax.vmap(lambda x, e, t: values_at(x, yb.at[extra].set(e), t, ab))(xb, sb, ts)

        seg = jax.vmap(lane_values)(xs, saved, y, args)
        out = jnp.where((seg_of_t == k)[:, :, None], seg, out)
        t_reached = stats["t"]
        t_failed = jnp.where((status == Status.SUCCESS) & (code != Status.SUCCESS), t_reached, t_failed)
        status = first_failure(status, code)
        if lane_events is not None:
            carry = stats["events"]
            args = jax.vmap(lane_events.args)(args, carry)
        y_end = jax.vmap(values_at)(x_end, args[0], t_reached, args)
        if n_ev:

            def after_event(cond, theta, yl, t, c):
                e = jnp.minimum(k, n_ev - 1)
                live = (k < n_ev) & (cond.event_t[e] <= ts[-1])
                y_new = apply_timed_event(sysm, theta, cond, yl, e, t)
                code = jnp.asarray(Status.SUCCESS, jnp.int32)
                if lane_events is not None:  # then the state events at t, as the event-located solve
                    y_new, c_new, code = lane_events.process(y_new, t, theta, c, c.p_prev)
                    c = jax.tree_util.tree_map(lambda a, b: jnp.where(live, a, b), c_new, c)
                return jnp.where(live, y_new, yl), c, jnp.where(live, code, Status.SUCCESS)

            y_end, carry, code = jax.vmap(after_event)(conds, thetas, y_end, bounds[:, k + 1], carry)
            t_failed = jnp.where((status == Status.SUCCESS) & (code != Status.SUCCESS), bounds[:, k + 1], t_failed)
            status = first_failure(status, code)
        return (y_end, out, status, t_failed, carry), None

    out = jnp.zeros((B, n_t, y0.shape[1]), dtype=y0.dtype)
    t_failed = jnp.where(status == Status.SUCCESS, jnp.inf, t0).astype(y0.dtype)
    # a non-finite initial state fails in the first segment (`bdf_batch` checks it)
    (_, values, status, t_failed, _), _ = jax.lax.scan(
        segment, (y0, out, status, t_failed, carry), jnp.arange(n_ev + 1)
    )
    return mask_after(values, ts, t_failed), status, t_failed
