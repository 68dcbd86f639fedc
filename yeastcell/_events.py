"""State-triggered events of an SBML-semantics model, compiled: triggers, atoms, delays, priorities.

A trigger is a boolean formula. Its relational sub-expressions (``a > b``, ...) are *atoms*: each
has a continuous function p (``a - b``, or ``b - a`` for ``<``) whose sign gives the atom's value.
`build_events` compiles a model's events into an `EventSystem` (static functions of the symbol
environment) at compile time; the event-located solve that uses it lives in
`yeastcell.solvers.events` (compiling imports nothing from the solvers).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ._expr import ExpressionError, compile_formula, parse
from ._rules import RATE_OF, TIME, System
from .exceptions import ModelFileError

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
    delay: tuple[Callable | None, ...] = eqx.field(static=True, default=())
    queue_extra: int = eqx.field(static=True, default=64)  # queue slots for delayed instances

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
        return jnp.select(
            [op == _GT, op == _GE, op == _LT, op == _LE, op == _EQ], [p > 0, p >= 0, p > 0, p >= 0, p == 0], p != 0
        )

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

    def delays(self, env):
        """Delay of each event (time units; 0 for an event without delay) evaluated in `env`."""
        return jnp.stack(
            [
                jnp.asarray(f(env), dtype=float) if f is not None else jnp.zeros(())
                for f in (self.delay or (None,) * self.n)
            ]
        )

    def priorities(self, env):
        return jnp.stack(
            [jnp.asarray(f(env), dtype=float) if f is not None else jnp.asarray(-jnp.inf) for f in self.priority]
        )


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

    triggers, targets, values, prios, delays = [], [], [], [], []
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
        delays.append(_compile(spec, ev.delay, allowed, f"delay of event {ev.id!r}") if ev.delay else None)
    names = tuple(f"__atom{k}" for k in range(len(atom_src)))
    trig_fns = tuple(
        _compile(spec, t, allowed | set(names), f"trigger of event {ev.id!r}") for t, ev in zip(triggers, spec.events)
    )
    return EventSystem(
        tuple(_compile(spec, src, allowed, "event trigger") for src, _ in atom_src),
        tuple(op for _, op in atom_src),
        trig_fns,
        names,
        tuple(targets),
        tuple(values),
        tuple(prios),
        tuple(bool(e.initial_value) for e in spec.events),
        tuple(bool(e.persistent) for e in spec.events),
        tuple(bool(e.use_trigger_time_values) for e in spec.events),
        tuple(delays),
    )


def _compile(spec, formula, allowed, item):
    try:
        return compile_formula(formula, allowed)
    except ExpressionError as err:
        raise ModelFileError(spec.path or spec.id, item, str(err)) from None
