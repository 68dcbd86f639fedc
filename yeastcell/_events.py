"""State-triggered events (SBML events without delay) and the event-driven solve of a `System`.

A trigger is a boolean formula. Its relational sub-expressions (``a > b``, ...) are *atoms*: each
has a continuous function p (``a - b``, or ``b - a`` for ``<``) whose sign gives the atom's value.
The solve integrates until some atom's p crosses zero (a diffrax `Event` with a Newton root
finder on the dense output), flips that atom, re-evaluates the triggers, and executes the events
whose trigger went from false to true, highest priority first (re-evaluating triggers after each
execution: non-persistent events whose trigger turned false are dropped, newly triggered events
join). Then the solve restarts at the event time. Atom values are tracked, not recomputed from the
sign of p at the event time, so a root found a hair before the crossing does not re-trigger.
Everything is traceable (`lax.while_loop`); at most `max_events` executions, else the status is
`Status.TOO_MANY_EVENTS`. Timed perturbation events (pulse/step) are applied at their times.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx

from ._expr import ExpressionError, compile_formula, parse
from ._rules import RATE_OF, TIME, System
from .exceptions import ModelFileError
from .perturb import EVENT_SET
from .status import Status, from_diffrax

_GT, _GE, _LT, _LE, _EQ, _NE = range(6)
_OPS = {ast.Gt: _GT, ast.GtE: _GE, ast.Lt: _LT, ast.LtE: _LE, ast.Eq: _EQ, ast.NotEq: _NE}


class EventSystem(eqx.Module):
    """Compiled triggers, priorities and assignments of a model's state events (static)."""

    atom_p: tuple[Callable, ...] = eqx.field(static=True)
    atom_op: tuple[int, ...] = eqx.field(static=True)
    triggers: tuple[Callable, ...] = eqx.field(static=True)  # fn(env with atom names) -> bool
    atom_names: tuple[str, ...] = eqx.field(static=True)
    targets: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    values: tuple[tuple[Callable, ...], ...] = eqx.field(static=True)
    priority: tuple[Callable | None, ...] = eqx.field(static=True)
    initial_value: tuple[bool, ...] = eqx.field(static=True)
    persistent: tuple[bool, ...] = eqx.field(static=True)
    trigger_time_values: tuple[bool, ...] = eqx.field(static=True)

    @property
    def n(self) -> int:
        return len(self.triggers)

    @property
    def width(self) -> int:
        return max([len(t) for t in self.targets] + [1])

    def p(self, env):
        if not self.atom_p:
            return jnp.zeros((0,))
        return jnp.stack([jnp.asarray(f(env), dtype=float) for f in self.atom_p])

    def strict(self, p):
        op = np.asarray(self.atom_op, dtype=int)
        return jnp.select([op == _GT, op == _GE, op == _LT, op == _LE, op == _EQ],
                          [p > 0, p >= 0, p > 0, p >= 0, p == 0], p != 0)

    def trigger_values(self, atom_val, env):
        e = dict(env)
        e.update({n: atom_val[k] for k, n in enumerate(self.atom_names)})
        return jnp.stack([jnp.asarray(f(e), dtype=bool) for f in self.triggers])

    def assignment_values(self, env):
        out = []
        for vals in self.values:
            row = [jnp.asarray(f(env), dtype=float) for f in vals]
            row += [jnp.zeros(())] * (self.width - len(row))
            out.append(jnp.stack(row))
        return jnp.stack(out)

    def priorities(self, env):
        return jnp.stack([jnp.asarray(f(env), dtype=float) if f is not None else jnp.asarray(-jnp.inf)
                          for f in self.priority])


def build_events(spec, sysm: System) -> EventSystem | None:
    """Compile `spec.events` against the symbol table of `sysm` (None if there are none)."""
    if not spec.events:
        return None
    index = {n: k for k, n in enumerate(sysm.names)}
    allowed = set(sysm.names) | {TIME} | set(sysm.reaction_names) | {RATE_OF + n for n in sysm.names}
    atoms: dict[tuple[str, int], int] = {}
    atom_src: list[tuple[str, int]] = []

    def atom_name(src, op):
        key = (src, op)
        if key not in atoms:
            atoms[key] = len(atom_src)
            atom_src.append(key)
        return f"__atom{atoms[key]}"

    def rewrite(node):
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(node.op, [rewrite(v) for v in node.values])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ast.UnaryOp(node.op, rewrite(node.operand))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "xor":
            return ast.Call(node.func, [rewrite(a) for a in node.args], [])
        if isinstance(node, ast.Compare):
            vals = [node.left] + list(node.comparators)
            parts = []
            for a, o, b in zip(vals[:-1], node.ops, vals[1:]):
                op = _OPS[type(o)]
                left, right = ast.unparse(a), ast.unparse(b)
                src = f"({left}) - ({right})" if op in (_GT, _GE, _EQ, _NE) else f"({right}) - ({left})"
                parts.append(ast.Name(atom_name(src, op), ast.Load()))
            return parts[0] if len(parts) == 1 else ast.BoolOp(ast.And(), parts)
        return node

    triggers, targets, values, prios = [], [], [], []
    for ev in spec.events:
        tree = parse(ev.trigger)
        new = ast.fix_missing_locations(ast.Expression(rewrite(tree.body)))
        triggers.append(ast.unparse(new))
        tg, vs = [], []
        for var, formula in ev.assignments:
            if var not in index:
                raise ModelFileError(spec.path or spec.id, f"event {ev.id!r}", f"assigns unknown symbol {var!r}")
            tg.append(index[var])
            vs.append(_compile(spec, formula, allowed, f"event {ev.id!r} assignment to {var!r}"))
        targets.append(tuple(tg))
        values.append(tuple(vs))
        prios.append(_compile(spec, ev.priority, allowed, f"priority of event {ev.id!r}") if ev.priority else None)
    names = tuple(f"__atom{k}" for k in range(len(atom_src)))
    trig_fns = tuple(_compile(spec, t, allowed | set(names), f"trigger of event {ev.id!r}")
                     for t, ev in zip(triggers, spec.events))
    return EventSystem(
        tuple(_compile(spec, src, allowed, "event trigger") for src, _ in atom_src),
        tuple(op for _, op in atom_src), trig_fns, names, tuple(targets), tuple(values), tuple(prios),
        tuple(bool(e.initial_value) for e in spec.events), tuple(bool(e.persistent) for e in spec.events),
        tuple(bool(e.use_trigger_time_values) for e in spec.events),
    )


def _compile(spec, formula, allowed, item):
    try:
        return compile_formula(formula, allowed)
    except ExpressionError as err:
        raise ModelFileError(spec.path or spec.id, item, str(err)) from None


# ---------------------------------------------------------------------------------- solving
def system_ode(cell, cond, t0):
    """The ODE of an SBML-style cell under a condition.

    Returns (y0, full, vf, x_of, scale): initial symbol vector (rules applied); ``full(x, ybase, t)
    -> (y, env)``; the diffrax vector field ``vf(t, x, (ybase, ...))``; ``x_of(y)`` the ODE state
    of a symbol vector. The state holds the integrated symbols (species amounts divided by their
    compartment's initial size, so absolute tolerances are concentration-like) plus one dummy
    component, so that a model without ODE variables still integrates.
    """
    sysm: System = cell.system
    theta, rs, clamp = cell.theta, cond.rate_scale, cond.clamp
    state = np.asarray(sysm.state, dtype=int)
    y0 = sysm.y_from(cond.c0, cell.volumes, theta[:sysm.n_param])
    y0, _ = sysm.apply_rules(y0, t0, theta)
    scale = jnp.ones((len(state),), dtype=y0.dtype)
    if len(state):
        comp_of = np.array([sysm.species_comp[k - sysm.n_comp] if sysm.n_comp <= k < sysm.n_comp + sysm.n_species
                            and not sysm.amount_based[k - sysm.n_comp] else -1 for k in state], dtype=int)
        v = y0[np.maximum(comp_of, 0)]
        scale = jnp.where((comp_of >= 0) & jnp.isfinite(v) & (v > 0), v, 1.0)

    def full(x, ybase, t):
        return sysm.apply_rules(ybase.at[state].set(x[:-1] * scale), t, theta)

    def vf(t, x, args):
        y, env = full(x, args[0], t)
        dx = sysm.derivative(y, env, theta, rs, clamp) / scale
        return jnp.concatenate([dx, jnp.zeros((1,), dtype=x.dtype)])

    def x_of(y):
        return jnp.concatenate([y[state] / scale, jnp.zeros((1,), dtype=y.dtype)])

    return y0, full, vf, x_of, scale


def solve_system(cell, cond, ts, options, max_events: int = 1000):
    """Integrate an SBML-style cell; returns (y at `ts` (n_t, n_symbols), status). Traceable."""
    sysm: System = cell.system
    evs: EventSystem | None = cell.events
    theta = cell.theta
    t0, t_end = ts[0], ts[-1]
    y0, full, vf, x_of, _ = system_ode(cell, cond, t0)

    term = diffrax.ODETerm(vf)
    controller = diffrax.PIDController(rtol=options.rtol, atol=options.atol, pcoeff=0.3, icoeff=0.4)
    save_full = jax.vmap(lambda x, t, yb: full(x, yb, t)[0], in_axes=(0, 0, None))
    n_timed = cond.event_t.shape[0]

    if evs is None and n_timed == 0:
        sol = diffrax.diffeqsolve(term, options.solver, t0, t_end, None, x_of(y0), args=(y0,),
                                  saveat=diffrax.SaveAt(ts=ts), stepsize_controller=controller,
                                  max_steps=options.max_steps, throw=False)
        return save_full(sol.ys, ts, y0), from_diffrax(sol.result)

    n_atoms = len(evs.atom_p) if evs is not None else 0
    if n_atoms:
        conds = tuple(_cond_fn(evs, k, full) for k in range(n_atoms))
        event = diffrax.Event(conds, root_finder=optx.Newton(rtol=1e-12, atol=1e-12), direction=True)
    else:
        event = None

    def process(y, t, atom_val, p_ref, trig_val, n_fired):
        """Execute the events whose triggers went false -> true at time t."""
        if evs is None:
            return y, atom_val, p_ref, trig_val, n_fired
        env = sysm.env(y, t, theta)
        p_now = evs.p(env)
        atom_val = jnp.where(p_now != p_ref, evs.strict(p_now), atom_val)
        trig_now = evs.trigger_values(atom_val, env)
        pending = trig_now & ~trig_val
        stored = jnp.where(pending[:, None], evs.assignment_values(env), 0.0)
        persistent = jnp.asarray(evs.persistent)
        use_stored = jnp.asarray(evs.trigger_time_values)

        def branch(e):
            def apply(y, vals):
                return sysm.set_values(y, t, theta, evs.targets[e], [vals[a] for a in range(len(evs.targets[e]))])[0]
            return apply

        branches = [branch(e) for e in range(evs.n)]

        def cond_fn(c):
            return jnp.any(c[3]) & (c[5] < max_events)

        def body(c):
            y, atom_val, p_now, pending, trig_val, n_fired, stored = c
            env = sysm.env(y, t, theta)
            prio = jnp.where(pending, evs.priorities(env), -jnp.inf)
            best = jnp.max(prio)
            e = jnp.argmax(pending & (prio == best))
            vals = jnp.where(use_stored[e], stored[e], evs.assignment_values(env)[e])
            y = jax.lax.switch(e, branches, y, vals)
            env = sysm.env(y, t, theta)
            p_new = evs.p(env)
            atom_val = jnp.where(p_new != p_now, evs.strict(p_new), atom_val)
            trig_after = evs.trigger_values(atom_val, env)
            newly = trig_after & ~trig_val
            pending = (pending.at[e].set(False) & (persistent | trig_after)) | newly
            stored = jnp.where(newly[:, None], evs.assignment_values(env), stored)
            return y, atom_val, p_new, pending, trig_after, n_fired + 1, stored

        y, atom_val, p_now, _, trig_val, n_fired, _ = jax.lax.while_loop(
            cond_fn, body, (y, atom_val, p_now, pending, trig_now, n_fired, stored))
        return y, atom_val, p_now, trig_val, n_fired

    def timed(y, t, applied):
        if n_timed == 0:
            return y, applied
        for e in range(n_timed):
            live = ~applied[e] & (cond.event_t[e] <= t)
            cur = sysm.species_values(y)[cond.event_species[e]]
            new = jnp.where(cond.event_mode[e] == EVENT_SET, cond.event_value[e], cur + cond.event_value[e])
            y2, _ = sysm.apply_rules(_set_species(sysm, y, cond.event_species[e], new), t, theta)
            y = jnp.where(live, y2, y)
            applied = applied.at[e].set(applied[e] | live)
        return y, applied

    n_ev = evs.n if evs is not None else 0
    atom0 = jnp.zeros((n_atoms,), dtype=bool)
    pref0 = jnp.full((n_atoms,), jnp.nan)
    trig0 = jnp.asarray(evs.initial_value if evs is not None else (), dtype=bool).reshape(n_ev)
    applied0 = jnp.zeros((n_timed,), dtype=bool)
    y0, applied0 = timed(y0, t0, applied0)
    y0, atom0, pref0, trig0, nf0 = process(y0, t0, atom0, pref0, trig0, jnp.asarray(0))
    out0 = jnp.zeros((ts.shape[0], len(sysm.names)), dtype=y0.dtype)
    written0 = jnp.zeros(ts.shape, dtype=bool)
    max_iter = max_events + n_timed + 2

    def loop_cond(c):
        t, _, _, _, _, _, _, _, status, n_fired, it = c
        return (t < t_end) & (status == Status.SUCCESS) & (n_fired < max_events) & (it < max_iter + max_events)

    def loop_body(c):
        t, y, atom_val, p_ref, trig_val, applied, out, written, status, n_fired, it = c
        next_timed = jnp.min(jnp.where(applied, jnp.inf, cond.event_t)) if n_timed else jnp.inf
        t1 = jnp.minimum(t_end, jnp.maximum(next_timed, t))
        sol = diffrax.diffeqsolve(
            term, options.solver, t, t1, None, x_of(y), args=(y, atom_val),
            saveat=diffrax.SaveAt(subs=[diffrax.SubSaveAt(ts=jnp.clip(ts, t, t1)), diffrax.SubSaveAt(t1=True)]),
            stepsize_controller=controller, max_steps=options.max_steps, throw=False, event=event)
        # separate sub-saves: after an event diffrax drops the ts beyond it (inf), t1 is the event time
        t_stop = sol.ts[1][-1]
        x_stop = sol.ys[1][-1]
        hit = sol.result == diffrax.RESULTS.event_occurred
        inclusive = ~hit & (t_stop >= t_end)
        m = (ts >= t) & ((ts < t_stop) | (inclusive & (ts <= t_stop))) & ~written
        ys = save_full(sol.ys[0], ts, y)
        out = jnp.where(m[:, None], ys, out)
        written = written | m
        y_stop, env = full(x_stop, y, t_stop)
        status = jnp.where(status == Status.SUCCESS, from_diffrax(sol.result), status)
        if n_atoms:
            # the atom diffrax located flips; so does any other atom whose crossing function went
            # from <= 0 at the segment start to > 0 now (two atoms crossing within one step)
            mask = jnp.stack([jnp.asarray(b) for b in sol.event_mask]) & hit
            p_stop = evs.p(env)
            c_start = jnp.where(atom_val, -p_ref, p_ref)
            c_stop = jnp.where(atom_val, -p_stop, p_stop)
            # (within the root finder's resolution: crossings at the same instant are simultaneous)
            eps = 1e-9 * (1.0 + jnp.abs(t_stop))
            atom_val = jnp.where(mask | ((c_start <= 0) & (c_stop > -eps) & hit), ~atom_val, atom_val)
            p_ref = p_stop
        y_new, applied = timed(y_stop, t_stop, applied)
        y_new, atom_val, p_ref, trig_val, n_fired = process(y_new, t_stop, atom_val, p_ref, trig_val, n_fired)
        return t_stop, y_new, atom_val, p_ref, trig_val, applied, out, written, status, n_fired, it + 1

    init = (t0, y0, atom0, pref0, trig0, applied0, out0, written0, jnp.asarray(Status.SUCCESS, dtype=jnp.int32),
            nf0, jnp.asarray(0))
    _, y, _, _, _, _, out, written, status, n_fired, _ = jax.lax.while_loop(loop_cond, loop_body, init)
    out = jnp.where(written[:, None], out, y[None, :])  # points at/after the last event time
    status = jnp.where((status == Status.SUCCESS) & (n_fired >= max_events), Status.TOO_MANY_EVENTS, status)
    return out, status.astype(jnp.int32)


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
