"""SBML state events (`<event>`s) in the batched BDF: per-lane event location inside `bdf_batch`.

The semantics are those of the event-located solve (`yeastcell.solvers.events`), whose functions
this module calls (`crossing_values`, `crossed_atoms`, `process_events`, `EventQueue`): each lane
tracks its trigger atoms' values, its trigger values, its queue of pending executions and its count
of executions. After every accepted step of a lane (`SbmlLaneEvents.check`) the atoms' crossing
functions are evaluated at the step's end; a function that went from <= 0 at the step's start to
> 0, or a queued execution due within the step, marks the lane as waiting. The solver then hands
the waiting lanes (a compacted sub-batch) to `SbmlLaneEvents.handle`, which locates the earliest
crossing in the step on the BDF's interpolating polynomial (dense output) with a bracketing root
finder (Illinois regula falsi with a bisection every third iteration, to ``ROOT_TOL`` relative in
time; the event time is the bracket's end past the crossing, so the crossing atom has crossed
there), or takes the queued execution time if that is earlier, flips the atoms as the event-located
solve does, and runs `process_events` (queue newly triggered events with their delays, drop
non-persistent instances whose trigger turned false, execute the due instances by priority,
re-evaluating triggers after each). The lane restarts at order 1 from the event time with the new
symbols; the other lanes go on. A full queue or more than `max_events` executions stop the lane
with `Status.TOO_MANY_EVENTS`.

As in the event-located solve, no step is longer than the output spacing (a trigger that depends
on time alone has nothing in the state to keep the steps short) and a crossing and recrossing of
the same atom within one step is not seen.

Event assignments to symbols outside the integrated state (parameters, boundary species,
compartment sizes) change the lane's solver args (its symbol vector); those symbols are saved
beside the state at every save point (`SbmlLaneEvents.saved`), so the values at each save time are
rebuilt from the symbols in force then.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._events import EventSystem
from .._rules import System
from ..status import Status
from .bdf import LaneEvents
from .events import EventQueue, QueueState, crossed_atoms, crossing_values, ode_functions, process_events

ROOT_TOL = 1e-12  # event times to ROOT_TOL * (1 + |t|), as the event-located solve's Newton root finder
ROOT_MAXITER = 200  # bracketing iterations at most (the bracket at least halves every 3)


class EventCarry(NamedTuple):
    """One lane's event state (the batch carries it with a leading lane axis)."""

    z: jax.Array  # (k,) the event-assigned symbols outside the integrated state (`SbmlLaneEvents.extra`)
    atom_val: jax.Array  # (n_atoms,) bool tracked atom values
    p_prev: jax.Array  # (n_atoms,) the atoms' functions at the start of the current step
    trig: jax.Array  # (n_events,) bool trigger values
    n_fired: jax.Array  # () executions so far
    q: QueueState  # pending executions


class SbmlLaneEvents(LaneEvents):
    """The `LaneEvents` of an SBML-semantics cell's state events.

    A lane's args are those of `yeastcell.solvers.sbml_bdf.solve_sbml_batch`: (symbol vector the
    non-integrated symbols are read from, parameters theta, rate scales, clamps, state scale); the
    symbols events assign outside the state are the carry's `z`, written into the symbol vector
    by `args`.
    """

    def __init__(self, sysm: System, evs: EventSystem, max_events: int):
        self.sysm, self.evs, self.max_events = sysm, evs, max_events
        self.queue = EventQueue(evs)
        self.state = np.asarray(sysm.state, dtype=int)
        targets = sorted({k for tg in evs.targets for k in tg} - set(self.state.tolist()))
        self.extra = np.asarray(targets, dtype=int)  # event targets outside the integrated state

    def _full(self, x, a, t):
        """(y, env) of one lane at solver state x (n,) (a model without integrated symbols carries
        one dummy component)."""
        _, theta, rs, clamp, scale = a
        full, _, _ = ode_functions(self.sysm, theta, rs, clamp, scale)
        xd = jnp.concatenate([x, jnp.zeros((1,), x.dtype)]) if len(self.state) else jnp.zeros((1,), x.dtype)
        return full(xd, a[0], t)

    def _p(self, x, a, t):
        return self.evs.p(self._full(x, a, t)[1])

    def initial(self, y, t, theta, trig0=None):
        """(y, carry, status) of one lane at the start: the events at t processed from the triggers'
        initial values (or `trig0`), as the event-located solve does before integrating."""
        evs = self.evs
        n_atoms = len(evs.atom_p)
        trig = jnp.asarray(evs.initial_value if trig0 is None else trig0, dtype=bool).reshape(evs.n)
        carry = EventCarry(
            y[self.extra],
            jnp.zeros((n_atoms,), bool),
            jnp.full((n_atoms,), jnp.nan),
            trig,
            jnp.asarray(0, jnp.int32),
            self.queue.empty(),
        )
        return self.process(y, t, theta, carry, carry.p_prev)

    def process(self, y, t, theta, carry: EventCarry, p_ref):
        """(y, carry, status) after `process_events` at time t from symbols y (one lane)."""
        y, atom_val, p_new, trig, n_fired, q = process_events(
            self.sysm,
            self.evs,
            theta,
            self.queue,
            y,
            t,
            carry.atom_val,
            p_ref,
            carry.trig,
            carry.n_fired,
            carry.q,
            self.max_events,
        )
        status = jnp.where(q.overflow | (n_fired >= self.max_events), Status.TOO_MANY_EVENTS, Status.SUCCESS)
        carry = EventCarry(y[self.extra], atom_val, p_new, trig, n_fired.astype(jnp.int32), q)
        return y, carry, status.astype(jnp.int32)

    def check(self, carry: EventCarry, t, x, args):
        p = self._p(x, args, t)
        c_start = crossing_values(carry.atom_val, carry.p_prev)
        c_stop = crossing_values(carry.atom_val, p)
        pending = jnp.any((c_start <= 0) & (c_stop > 0)) | jnp.any(carry.q.time <= t)
        return carry._replace(p_prev=jnp.where(pending, carry.p_prev, p)), pending

    def handle(self, carry: EventCarry, t_old, t, dense, args):
        evs = self.evs
        c_start = crossing_values(carry.atom_val, carry.p_prev)

        def g(tau):  # the largest crossing function of the atoms that cross in the step
            c = crossing_values(carry.atom_val, self._p(dense(tau), args, tau))
            return jnp.max(jnp.where(crossing, c, -jnp.inf), initial=-jnp.inf)

        c_end = crossing_values(carry.atom_val, self._p(dense(t), args, t))
        crossing = (c_start <= 0) & (c_end > 0)
        any_crossing = jnp.any(crossing)
        t_root = _bracket_root(g, t_old, t, any_crossing)
        t_q = jnp.min(carry.q.time, initial=jnp.inf)
        t_event = jnp.where(any_crossing, jnp.minimum(t_root, t_q), jnp.minimum(t_q, t))
        t_event = jnp.clip(t_event, t_old, t)
        x = dense(t_event)
        y, env = self._full(x, args, t_event)
        p_stop = evs.p(env)
        c_stop = crossing_values(carry.atom_val, p_stop)
        eps = 1e-9 * (1.0 + jnp.abs(t_event))
        located = crossing & (c_stop > 0) & (t_root <= t_q)
        atom_val = crossed_atoms(carry.atom_val, located, c_start, c_stop, eps)
        y, new, status = self.process(y, t_event, args[1], carry._replace(atom_val=atom_val), p_stop)
        x_new = y[self.state] / args[4] if len(self.state) else jnp.zeros_like(x)
        return t_event, x_new, new, status

    def args(self, args, carry: EventCarry):
        if not len(self.extra):
            return args
        return (args[0].at[self.extra].set(carry.z),) + tuple(args[1:])

    def saved(self, carry: EventCarry):
        return carry.z


def _bracket_root(g, a, b, go):
    """A time in (a, b] where g goes from <= 0 to > 0 (g(a) <= 0 < g(b) where `go`): the right end
    of a bracket narrowed to ROOT_TOL * (1 + |b|) by Illinois steps with a bisection every third."""
    fa, fb = g(a), g(b)

    def cond(c):
        a, b, fa, fb, side, k = c
        return go & (k < ROOT_MAXITER) & (b - a > ROOT_TOL * (1.0 + jnp.abs(b)))

    def body(c):
        a, b, fa, fb, side, k = c
        wa = jnp.where(side == 1, 0.5, 1.0)  # Illinois: halve the weight of an end kept twice
        wb = jnp.where(side == -1, 0.5, 1.0)
        fa_w, fb_w = fa * wa, fb * wb
        secant = (a * fb_w - b * fa_w) / jnp.where(fb_w != fa_w, fb_w - fa_w, 1.0)
        m = jnp.where((k % 3 == 2) | ~jnp.isfinite(secant), 0.5 * (a + b), secant)
        m = jnp.clip(m, a + 0.01 * (b - a), b - 0.01 * (b - a))
        fm = g(m)
        right = fm > 0  # the crossing is in [a, m]
        return (
            jnp.where(right, a, m),
            jnp.where(right, m, b),
            jnp.where(right, fa, fm),
            jnp.where(right, fm, fb),
            jnp.where(right, 1, -1),  # the end kept: a (1) or b (-1)
            k + 1,
        )

    _, b, _, _, _, _ = jax.lax.while_loop(cond, body, (a, b, fa, fb, jnp.asarray(0), jnp.asarray(0)))
    return b
