"""Timed perturbation events (pulses, steps) cut a solve into segments: one scan for every solver.

A condition's events (`Condition.event_t`, ...) split the horizon at their times. Each segment is
integrated by the solver, then the event's change is applied to the state, and the next segment
starts from there; a `lax.scan` over segments, so a batch whose lanes have different event times is
still one program and the solver is compiled once whatever the number of events.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ..perturb import EVENT_SET, Condition
from ..status import Status, first_failure


def segment_plan(cond: Condition, ts):
    """How a condition's events cut the save times `ts` into segments (one condition, traceable).

    Returns:
        bounds: (n_events + 2,) segment boundaries (min): start, event times clipped to [ts[0],
            ts[-1]], end. seg_of_t: (n_t,) the segment of each save time, i.e. the number of events at
            or before it (right-continuous: a value saved at an event time is the one after it).
    """
    t0, t_end = ts[0], ts[-1]
    if cond.event_t.shape[0] == 0:
        # vmapped, concatenate([t0[None], t_end[None]]) sends XLA's algebraic simplifier into a loop
        # ("algebraic simplifier is likely stuck" on stderr at every first compile)
        bounds = jnp.where(jnp.arange(2) == 0, t0, t_end)
    else:
        bounds = jnp.concatenate([t0[None], jnp.clip(cond.event_t, t0, t_end), t_end[None]])
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


# solve_segment(c_full (B, n_species) mM, t_start (B,), t_stop (B,)) ->
#     (states at the save times (B, n_t, n_dynamic), state where the lane stopped (B, n_dynamic),
#      status (B,), time the lane reached (B,): t_stop, or where a failure stopped it)
SegmentSolver = Callable[[jax.Array, jax.Array, jax.Array], tuple[jax.Array, jax.Array, jax.Array, jax.Array]]


def scan_segments(solve_segment: SegmentSolver, dynamic: tuple[int, ...], conds: Condition, ts):
    """(conc (B, n_t, n_species) mM, status (B,), t_failed (B,) min) of a stacked batch of conditions.

    `solve_segment` integrates the dynamic species of every lane over its own segment (see
    `SegmentSolver`); species that are not dynamic keep their values. The status is the first
    failure of any segment, or NONFINITE for a non-finite initial state; the state checks of
    `yeastcell.status.check_state` are the caller's. `t_failed` is the time the first failing
    segment reached (+inf for a lane that did not fail); the values saved after it are NaN (the
    later segments of a failed lane still run under vmap, from the state where it stopped, and
    must not look valid), those saved up to it are kept.
    """
    dyn = np.asarray(dynamic, dtype=int)
    n_t = ts.shape[0]
    n_ev = conds.event_t.shape[1]
    bounds, seg_of_t = jax.vmap(lambda c: segment_plan(c, ts))(conds)

    def segment(carry, k):
        c_full, out, status, t_failed = carry
        ys, y_end, code, t_reached = solve_segment(c_full, bounds[:, k], bounds[:, k + 1])
        seg = jnp.repeat(c_full[:, None, :], n_t, axis=1).at[:, :, dyn].set(ys)
        out = jnp.where((seg_of_t == k)[:, :, None], seg, out)
        t_failed = jnp.where((status == Status.SUCCESS) & (code != Status.SUCCESS), t_reached, t_failed)
        status = first_failure(status, code)
        c_full = jax.vmap(lambda cond, c: apply_event(cond, c, k, ts[-1]))(conds, c_full.at[:, dyn].set(y_end))
        return (c_full, out, status, t_failed), None

    B = conds.c0.shape[0]
    out = jnp.zeros((B, n_t, conds.c0.shape[1]), dtype=conds.c0.dtype)
    status = jnp.full((B,), Status.SUCCESS, dtype=jnp.int32)
    t_failed = jnp.full((B,), jnp.inf, dtype=conds.c0.dtype)
    (_, conc, status, t_failed), _ = jax.lax.scan(segment, (conds.c0, out, status, t_failed), jnp.arange(n_ev + 1))
    finite0 = jnp.all(jnp.isfinite(conds.c0), axis=1)
    t_failed = jnp.where(finite0, t_failed, ts[0])
    status = jnp.where(finite0, status, Status.NONFINITE).astype(jnp.int32)
    return mask_after(conc, ts, t_failed), status, t_failed


def mask_after(values, ts, t_failed):
    """`values` (..., n_t, n) with NaN at the save times after `t_failed` (...) (min); +inf keeps all."""
    return jnp.where((ts > t_failed[..., None])[..., None], jnp.nan, values)
