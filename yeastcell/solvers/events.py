"""The event-located solve of an SBML-semantics cell (its `System` and compiled `EventSystem`).

The solve integrates until some trigger atom's crossing function p crosses zero (a diffrax `Event`
with a Newton root finder on the dense output) or the next queued execution time, flips that atom,
re-evaluates the triggers, and queues one instance of every event whose trigger went from false to
true: execution time = now + its delay (evaluated at trigger time; 0 without delay), with its
assignment values when it uses trigger-time values. The queue is a fixed-size array (static shapes,
jit-compatible); a full queue ends the solve with `Status.TOO_MANY_EVENTS`. Then the instances due
now execute, highest priority first (ties: event order, then queue order), re-evaluating triggers
after each execution: queued instances of non-persistent events whose trigger is false are dropped
(also when the trigger turns false during integration), newly triggered events join. Then the solve
restarts. Atom values are tracked, not recomputed from the sign of p at the event time, so a root
found a hair before the crossing does not re-trigger. Everything is traceable
(`lax.while_loop`); at most `max_events` executions, else the status is `Status.TOO_MANY_EVENTS`.
Timed perturbation events (pulse/step) are applied at their times. The triggers themselves are
compiled with the cell (`yeastcell._events`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._events import EventSystem
from .._rules import System
from ..perturb import EVENT_SET
from ..status import Status, fail_where, first_failure, from_diffrax

_TIE_SEED = 20261125  # fixed: ties of equal priority are drawn reproducibly


def system_ode(cell, cond, t0):
    """The ODE of an SBML-style cell under a condition.

    Returns (y0, full, vf, x_of, scale): initial symbol vector (rules applied); ``full(x, ybase, t)
    -> (y, env)``; the diffrax vector field ``vf(t, x, (ybase, ...))``; ``x_of(y)`` the ODE state
    of a symbol vector. The state holds the integrated symbols (species amounts divided by their
    compartment's initial size, so absolute tolerances are concentration-like) plus one dummy
    component, so that a model without ODE variables still integrates.
    """
    sysm: System = cell.system
    theta = cell.theta
    y0 = sysm.y_from(cond.c0, cell.volumes, theta[: sysm.n_param])
    y0, _ = sysm.apply_rules(y0, t0, theta)
    scale = state_scale(sysm, y0)
    full, vf, x_of = ode_functions(sysm, theta, cond.rate_scale, cond.clamp, scale)
    return y0, full, vf, x_of, scale


def state_scale(sysm: System, y0):
    """(n_state,) the divisor of each integrated symbol in the ODE state: the initial size of the
    compartment of a concentration-based species, else 1 (see `system_ode`)."""
    state = np.asarray(sysm.state, dtype=int)
    scale = jnp.ones((len(state),), dtype=y0.dtype)
    if len(state):
        comp_of = np.array(
            [
                sysm.species_comp[k - sysm.n_comp]
                if sysm.n_comp <= k < sysm.n_comp + sysm.n_species and not sysm.amount_based[k - sysm.n_comp]
                else -1
                for k in state
            ],
            dtype=int,
        )
        v = y0[np.maximum(comp_of, 0)]
        scale = jnp.where((comp_of >= 0) & jnp.isfinite(v) & (v > 0), v, 1.0)
    return scale


def ode_functions(sysm: System, theta, rate_scale, clamp, scale):
    """(full, vf, x_of) of `system_ode` for parameters `theta`, a condition's rate scales and clamps
    and the state's `scale` (traceable in all of them: a batched solver passes them per lane)."""
    state = np.asarray(sysm.state, dtype=int)

    def full(x, ybase, t):
        return sysm.apply_rules(ybase.at[state].set(x[:-1] * scale), t, theta)

    def vf(t, x, args):
        if sysm.algebraic:  # the rules' Newton solve needs the symbol vector
            y, env = full(x, args[0], t)
            dx = sysm.derivative(y, env, theta, rate_scale, clamp) / scale
        else:  # the scalar form: a few fused kernels instead of ~100 (`System.state_derivative`)
            dx = sysm.state_derivative(x[:-1] * scale, args[0], t, theta, rate_scale, clamp) / scale
        return jnp.concatenate([dx, jnp.zeros((1,), dtype=x.dtype)])

    def x_of(y):
        return jnp.concatenate([y[state] / scale, jnp.zeros((1,), dtype=y.dtype)])

    return full, vf, x_of


def solve_system(cell, cond, ts, options, max_events: int = 1000, trigger0=None):
    """Integrate an SBML-style cell; returns (y at `ts` (n_t, n_symbols), status, t_failed). Traceable.

    t_failed: the time (min) where a failed solve stopped (+inf where it did not fail); the values
    saved after it are not valid (the caller masks them with NaN). `trigger0` (one bool per event):
    the trigger values just before ``ts[0]`` for a solve that continues an earlier one (an event
    whose trigger is true at the start fires only where it was false before); default: the
    triggers' SBML initialValue."""
    import diffrax
    import optimistix as optx

    sysm: System = cell.system
    evs: EventSystem | None = cell.events
    theta = cell.theta
    t0, t_end = ts[0], ts[-1]
    y0, full, vf, x_of, _ = system_ode(cell, cond, t0)

    term = diffrax.ODETerm(vf)

    # SBML-style cells keep the PI controller (0.3, 0.4) their Test Suite results were measured with
    # (benchmarks/RESULTS.md), not SolverOptions.pcoeff/icoeff (tuned on the concentration cells)
    def controller(span, dtmax=None):
        return options.controller(span, pcoeff=0.3, icoeff=0.4, dtmax=dtmax)

    # with state events, no step is longer than the output spacing: a trigger that depends on time
    # (sin(10 t) < 0) has nothing in the state to keep the steps short, and a step spanning several
    # of its crossings hides them or leaves the root finder a non-monotone function (SBML case 00936)
    out_dt = (t_end - t0) / max(ts.shape[0] - 1, 1)

    save_full = jax.vmap(lambda x, t, yb: full(x, yb, t)[0], in_axes=(0, 0, None))
    n_timed = cond.event_t.shape[0]

    if evs is None and n_timed == 0:
        sol = diffrax.diffeqsolve(
            term,
            options.solver,
            t0,
            t_end,
            None,
            x_of(y0),
            args=(y0,),
            saveat=diffrax.SaveAt(subs=[diffrax.SubSaveAt(ts=ts), diffrax.SubSaveAt(t1=True)]),
            stepsize_controller=controller(t_end - t0),
            max_steps=options.max_steps,
            throw=False,
        )
        status = from_diffrax(sol.result)
        t_failed = jnp.where(status == Status.SUCCESS, jnp.inf, sol.ts[1][-1])
        return save_full(sol.ys[0], ts, y0), status, t_failed

    n_atoms = len(evs.atom_p) if evs is not None else 0
    if n_atoms:
        conds = tuple(_cond_fn(evs, k, full) for k in range(n_atoms))
        event = diffrax.Event(conds, root_finder=optx.Newton(rtol=1e-12, atol=1e-12), direction=True)
    else:
        event = None

    queue = EventQueue(evs) if evs is not None else None

    def process(y, t, atom_val, p_ref, trig_val, n_fired, q):
        if evs is None:
            return y, atom_val, p_ref, trig_val, n_fired, q
        return process_events(sysm, evs, theta, queue, y, t, atom_val, p_ref, trig_val, n_fired, q, max_events)

    def timed(y, t, applied):
        if n_timed == 0:
            return y, applied
        for e in range(n_timed):
            live = ~applied[e] & (cond.event_t[e] <= t)
            y = jnp.where(live, apply_timed_event(sysm, theta, cond, y, e, t), y)
            applied = applied.at[e].set(applied[e] | live)
        return y, applied

    n_ev = evs.n if evs is not None else 0
    atom0 = jnp.zeros((n_atoms,), dtype=bool)
    pref0 = jnp.full((n_atoms,), jnp.nan)
    trig0 = jnp.asarray(evs.initial_value if evs is not None else (), dtype=bool).reshape(n_ev)
    if trigger0 is not None:
        trig0 = jnp.asarray(trigger0, dtype=bool).reshape(n_ev)
    applied0 = jnp.zeros((n_timed,), dtype=bool)
    y0, applied0 = timed(y0, t0, applied0)
    q0 = queue.empty() if queue is not None else None
    y0, atom0, pref0, trig0, nf0, q0 = process(y0, t0, atom0, pref0, trig0, jnp.asarray(0), q0)
    out0 = jnp.zeros((ts.shape[0], len(sysm.names)), dtype=y0.dtype)
    written0 = jnp.zeros(ts.shape, dtype=bool)
    max_iter = max_events + n_timed + 2

    def loop_cond(c):
        t, _, _, _, _, _, _, _, status, n_fired, it, _, _ = c
        return (t < t_end) & (status == Status.SUCCESS) & (n_fired < max_events) & (it < max_iter + max_events)

    def loop_body(c):
        t, y, atom_val, p_ref, trig_val, applied, out, written, status, n_fired, it, q, t_cap = c
        next_timed = jnp.min(jnp.where(applied, jnp.inf, cond.event_t)) if n_timed else jnp.inf
        if queue is not None:  # the next delayed execution ends the segment too
            next_timed = jnp.minimum(next_timed, jnp.min(q.time))
        t1 = jnp.minimum(jnp.minimum(t_end, t_cap), jnp.maximum(next_timed, t))
        sol = diffrax.diffeqsolve(
            term,
            options.solver,
            t,
            t1,
            None,
            x_of(y),
            args=(y, atom_val),
            saveat=diffrax.SaveAt(subs=[diffrax.SubSaveAt(ts=jnp.clip(ts, t, t1)), diffrax.SubSaveAt(t1=True)]),
            stepsize_controller=controller(t1 - t, out_dt),
            max_steps=options.max_steps,
            throw=False,
            event=event,
        )
        # separate sub-saves: after an event diffrax drops the ts beyond it (inf), t1 is the event time
        t_stop = sol.ts[1][-1]
        x_stop = sol.ys[1][-1]
        hit = sol.result == diffrax.RESULTS.event_occurred
        y_stop, env = full(x_stop, y, t_stop)
        reject = jnp.asarray(False)
        new_val = atom_val
        if n_atoms:
            # the atom diffrax located flips; so does any other atom whose crossing function went
            # from <= 0 at the segment start to > 0 now (two atoms crossing within one step)
            mask = jnp.stack([jnp.asarray(b) for b in sol.event_mask]) & hit
            p_stop = evs.p(env)
            c_start = crossing_values(atom_val, p_ref)
            c_stop = crossing_values(atom_val, p_stop)
            # (within the root finder's resolution: crossings at the same instant are simultaneous;
            # an atom whose function did not move, e.g. sitting at 0 like |Q - R| - m, is not crossing)
            eps = 1e-9 * (1.0 + jnp.abs(t_stop))
            new_val = crossed_atoms(atom_val, mask, c_start, c_stop, eps, hit)
            # diffrax locates the first crossing *in atom order* among those within its last step,
            # not the earliest in time: if another atom clearly crossed too, its crossing may lie
            # before t_stop, so the segment is rejected and redone ending just before t_stop
            earlier = ~mask & (c_start <= 0) & (c_stop > eps) & hit
            reject = jnp.any(earlier) & (t_stop - t > 2 * eps)
            p_ref = jnp.where(reject, p_ref, p_stop)
        atom_val = jnp.where(reject, atom_val, new_val)
        inclusive = ~hit & (t_stop >= t_end)
        m = (ts >= t) & ((ts < t_stop) | (inclusive & (ts <= t_stop))) & ~written & ~reject
        ys = save_full(sol.ys[0], ts, y)
        out = jnp.where(m[:, None], ys, out)
        written = written | m
        status = first_failure(status, from_diffrax(sol.result))
        y_new, applied_new = timed(y_stop, t_stop, applied)
        y_new, atom_new, p_new, trig_new, n_new, q_new = process(y_new, t_stop, atom_val, p_ref, trig_val, n_fired, q)
        if queue is not None:
            status = fail_where(status, q_new.overflow, Status.TOO_MANY_EVENTS)

        def keep(old, new):
            return jax.tree.map(lambda a, b: jnp.where(reject, a, b), old, new)

        t_new = jnp.where(reject, t, t_stop)
        y_new, applied_new, atom_new, p_new, trig_new, n_new, q_new = keep(
            (y, applied, atom_val, p_ref, trig_val, n_fired, q),
            (y_new, applied_new, atom_new, p_new, trig_new, n_new, q_new),
        )
        t_cap = jnp.where(reject, t_stop - 1e-9 * (1.0 + jnp.abs(t_stop)), jnp.inf)
        return t_new, y_new, atom_new, p_new, trig_new, applied_new, out, written, status, n_new, it + 1, q_new, t_cap

    status0 = jnp.asarray(Status.SUCCESS, dtype=jnp.int32)
    if queue is not None:
        status0 = jnp.where(q0.overflow, jnp.int32(Status.TOO_MANY_EVENTS), status0)
    init = (
        t0,
        y0,
        atom0,
        pref0,
        trig0,
        applied0,
        out0,
        written0,
        status0,
        nf0,
        jnp.asarray(0),
        q0,
        jnp.asarray(jnp.inf),
    )
    t, y, _, _, _, _, out, written, status, n_fired, _, _, _ = jax.lax.while_loop(loop_cond, loop_body, init)
    out = jnp.where(written[:, None], out, y[None, :])  # points at/after the last event time
    status = fail_where(status, n_fired >= max_events, Status.TOO_MANY_EVENTS)
    return out, status, jnp.where(status == Status.SUCCESS, jnp.inf, t)


def crossing_values(atom_val, p):
    """The crossing function of each atom (n_atoms,): p while the atom is false, -p while it is
    true; an atom flips where it goes from <= 0 to > 0 (what the event-located solve's diffrax
    `Event` locates, and the batched BDF's `yeastcell.solvers.sbml_bdf_events`)."""
    return jnp.where(atom_val, -p, p)


def crossed_atoms(atom_val, located, c_start, c_stop, eps, hit=True):
    """Atom values after a located crossing (n_atoms,): the located atoms flip; so does any other
    atom whose crossing function went from <= 0 at the start of the integration to > -eps at the
    event time `eps` (within the root finder's resolution: crossings at the same instant are
    simultaneous; an atom whose function did not move, e.g. sitting at 0 like |Q - R| - m, is not
    crossing). `hit`: whether an event was located at all."""
    return jnp.where(located | ((c_start <= 0) & (c_stop > -eps) & (c_stop > c_start) & hit), ~atom_val, atom_val)


def process_events(
    sysm: System, evs: EventSystem, theta, queue, y, t, atom_val, p_ref, trig_val, n_fired, q, max_events
):
    """The state events at time t of one trajectory, after the integration stopped there: queue the
    events whose triggers went false -> true, drop queued instances of non-persistent events whose
    trigger is false, then execute the due instances (highest priority first, re-evaluating the
    triggers after each execution; see the module docstring). Traceable.

    Args:
        queue: the `EventQueue` of `evs`; y: symbol vector at t; atom_val: tracked atom values; p_ref:
            the atoms' crossing functions where `atom_val` was last set (an atom whose p changed
            since is re-evaluated from its sign); trig_val: trigger values before t; n_fired:
            executions so far; q: the `QueueState`; max_events: most executions.

    Returns:
        (y, atom_val, p_ref, trig_val, n_fired, q) after the executions.
    """

    def retrigger(y, p_ref, atom_val, trig_prev, q):
        """Triggers re-evaluated at state y (time t): drop queued non-persistent instances whose
        trigger is false, queue the events whose triggers went false -> true."""
        env = sysm.env(y, t, theta)
        p = evs.p(env)
        atom_val = jnp.where(p != p_ref, evs.strict(p), atom_val)
        trig = evs.trigger_values(atom_val, env)
        q = queue.drop_untriggered(q, trig)
        return p, atom_val, trig, queue.push(q, trig & ~trig_prev, t, env)

    p_now, atom_val, trig_now, q = retrigger(y, p_ref, atom_val, trig_val, q)
    branches = [_assign_branch(sysm, evs, theta, e) for e in range(evs.n)]

    def cond_fn(c):
        return jnp.any(c[5].time <= t) & (c[4] < max_events) & ~c[5].overflow

    def body(c):
        y, atom_val, p_now, trig_val, n_fired, q = c
        env = sysm.env(y, t, theta)
        slot = queue.next_due(q, t, evs.priorities(env), jax.random.fold_in(jax.random.PRNGKey(_TIE_SEED), n_fired))
        e = q.event[slot]
        vals = jnp.where(jnp.asarray(evs.trigger_time_values)[e], q.values[slot], evs.assignment_values(env)[e])
        q = q._replace(time=q.time.at[slot].set(jnp.inf))
        y = jax.lax.switch(e, branches, y, t, vals)
        p_new, atom_val, trig_after, q = retrigger(y, p_now, atom_val, trig_val, q)
        return y, atom_val, p_new, trig_after, n_fired + 1, q

    return jax.lax.while_loop(cond_fn, body, (y, atom_val, p_now, trig_now, n_fired, q))


def apply_timed_event(sysm: System, theta, cond, y, e, t):
    """The symbol vector `y` after timed perturbation event `e` of `cond` (set or add to a species'
    value as formulas see it, then the rules at time `t`); traceable, `e` may be traced."""
    cur = sysm.species_values(y)[cond.event_species[e]]
    new = jnp.where(cond.event_mode[e] == EVENT_SET, cond.event_value[e], cur + cond.event_value[e])
    return sysm.apply_rules(_set_species(sysm, y, cond.event_species[e], new), t, theta)[0]


def _set_species(sysm, y, i, value):
    k = sysm.n_comp + i
    ab = jnp.asarray(np.asarray(sysm.amount_based, dtype=bool))[i]
    vol = y[jnp.asarray(np.asarray(sysm.species_comp, dtype=int))[i]]
    return y.at[k].set(jnp.where(ab, value, value * vol))


def _cond_fn(evs, k, full):
    def fn(t, y, args, **kwargs):
        _, env = full(y, args[0], t)
        p = jnp.asarray(evs.atom_p[k](env), dtype=float)
        return jnp.where(args[1][k], -p, p)

    return fn


def _assign_branch(sysm, evs, theta, e):
    def apply(y, t, vals):
        return sysm.set_values(y, t, theta, evs.targets[e], [vals[a] for a in range(len(evs.targets[e]))])[0]

    return apply


class QueueState(NamedTuple):
    """Pending event executions: fixed-size arrays, a free slot has time +inf."""

    time: jax.Array  # (Q,) execution times
    event: jax.Array  # (Q,) event index
    values: jax.Array  # (Q, width) assignment values at trigger time
    seq: jax.Array  # (Q,) insertion order (ties: first queued executes first)
    n_queued: jax.Array  # () instances queued so far (not `count`: that would shadow tuple.count)
    overflow: jax.Array  # () bool: an instance found no free slot


class EventQueue:
    """Operations on a `QueueState` for one `EventSystem` (all traceable, static shapes).

    Every triggered event goes through the queue: an event without delay is queued for the
    trigger time itself, so delayed and immediate executions at one instant are ordered together
    (priority, then event order, then queue order).
    """

    def __init__(self, evs: EventSystem):
        self.evs = evs
        self.size = evs.n + (evs.queue_extra if any(d is not None for d in evs.delay) else 0)

    def empty(self) -> QueueState:
        q = self.size
        return QueueState(
            jnp.full((q,), jnp.inf),
            jnp.zeros((q,), dtype=jnp.int32),
            jnp.zeros((q, self.evs.width)),
            jnp.zeros((q,), dtype=jnp.int32),
            jnp.asarray(0, dtype=jnp.int32),
            jnp.asarray(False),
        )

    def push(self, q: QueueState, new, t, env) -> QueueState:
        """Queue one instance of every event e with new[e] (trigger went false -> true at t)."""
        evs = self.evs
        vals = evs.assignment_values(env)
        delays = evs.delays(env)
        time, event, values, seq, count, overflow = q
        for e in range(evs.n):
            free = jnp.isinf(time)
            slot = jnp.argmax(free)
            do = new[e] & free[slot]
            overflow = overflow | (new[e] & ~free[slot])
            time = jnp.where(do, time.at[slot].set(t + delays[e]), time)
            event = jnp.where(do, event.at[slot].set(e), event)
            values = jnp.where(do, values.at[slot].set(vals[e]), values)
            seq = jnp.where(do, seq.at[slot].set(count), seq)
            count = count + do.astype(count.dtype)
        return QueueState(time, event, values, seq, count, overflow)

    def drop_untriggered(self, q: QueueState, trig) -> QueueState:
        """Remove queued instances of non-persistent events whose trigger is false."""
        keep = jnp.asarray(self.evs.persistent)[q.event] | trig[q.event]
        return q._replace(time=jnp.where(keep, q.time, jnp.inf))

    def next_due(self, q: QueueState, t, prio_by_event, key):
        """Slot to execute next among those due at t: highest priority; among instances of equal
        (defined) priority one drawn uniformly at random with `key`, as SBML requires (L3V2
        section 4.12.8); among events without priority, lowest event index, then first queued."""
        due = q.time <= t
        prio = jnp.where(due, prio_by_event[q.event], -jnp.inf)
        best = due & (prio == jnp.max(prio))
        draw = jax.random.uniform(key, q.time.shape)
        random_slot = jnp.argmax(jnp.where(best, draw, -1.0))
        ev = jnp.where(best, q.event, jnp.iinfo(jnp.int32).max)
        best = best & (q.event == jnp.min(ev))
        sq = jnp.where(best, q.seq, jnp.iinfo(jnp.int32).max)
        return jnp.where(jnp.isfinite(jnp.max(prio)), random_slot, jnp.argmin(sq))
