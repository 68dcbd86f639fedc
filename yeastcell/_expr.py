"""Safe compilation of formula strings (rate laws, observables) to JAX functions.

A formula is a Python-syntax arithmetic expression (``^`` is accepted for powers) over names
(species, parameters, reaction fluxes, ``time``) and a fixed set of functions. It is parsed once
with `ast`, checked against the names the caller allows, and turned into a closure that evaluates
with `jax.numpy` on a mapping name -> value. Names never reach traced code as strings at run time:
the closure looks them up in the mapping the caller builds from index arrays.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jax.numpy as jnp
from jax.typing import ArrayLike

from .exceptions import YeastcellError


class ExpressionError(YeastcellError, ValueError):
    """A formula cannot be parsed or uses a name or function that is not allowed."""


def _piecewise(*args):
    """SBML piecewise(v1, c1, v2, c2, ..., [otherwise])."""
    if len(args) % 2 == 1:
        result = args[-1]
        pairs = args[:-1]
    else:
        result = jnp.nan
        pairs = args
    for value, cond in reversed(list(zip(pairs[0::2], pairs[1::2]))):
        result = jnp.where(cond, value, result)
    return result


def _root(n, x=None):
    return jnp.sqrt(n) if x is None else jnp.power(x, 1.0 / n)


def _log(a, b=None):
    """log(x) natural; log(base, x) as in SBML/MathML `logbase`."""
    return jnp.log(a) if b is None else jnp.log(b) / jnp.log(a)


FUNCTIONS: dict[str, Callable] = {
    "exp": jnp.exp,
    "log": _log,
    "ln": jnp.log,
    "log10": jnp.log10,
    "sqrt": jnp.sqrt,
    "abs": jnp.abs,
    "pow": jnp.power,
    "power": jnp.power,
    "min": jnp.minimum,
    "max": jnp.maximum,
    "floor": jnp.floor,
    "ceil": jnp.ceil,
    "ceiling": jnp.ceil,
    "root": _root,
    "sin": jnp.sin,
    "cos": jnp.cos,
    "tan": jnp.tan,
    "arcsin": jnp.arcsin,
    "arccos": jnp.arccos,
    "arctan": jnp.arctan,
    "sinh": jnp.sinh,
    "cosh": jnp.cosh,
    "tanh": jnp.tanh,
    "arcsinh": jnp.arcsinh,
    "arccosh": jnp.arccosh,
    "arctanh": jnp.arctanh,
    "sec": lambda x: 1.0 / jnp.cos(x),
    "csc": lambda x: 1.0 / jnp.sin(x),
    "cot": lambda x: 1.0 / jnp.tan(x),
    "sech": lambda x: 1.0 / jnp.cosh(x),
    "csch": lambda x: 1.0 / jnp.sinh(x),
    "coth": lambda x: 1.0 / jnp.tanh(x),
    "arcsec": lambda x: jnp.arccos(1.0 / x),
    "arccsc": lambda x: jnp.arcsin(1.0 / x),
    "arccot": lambda x: jnp.arctan(1.0 / x),
    "arcsech": lambda x: jnp.arccosh(1.0 / x),
    "arccsch": lambda x: jnp.arcsinh(1.0 / x),
    "arccoth": lambda x: jnp.arctanh(1.0 / x),
    "piecewise": _piecewise,
    "factorial": lambda x: jnp.exp(jnp.vectorize(_lgamma1)(x)),
    "quotient": lambda a, b: jnp.floor(a / b),
    "rem": lambda a, b: jnp.fmod(a, b),
    "xor": lambda *xs: jnp.sum(jnp.stack([jnp.asarray(x, bool) for x in xs]).astype(int), axis=0) % 2 == 1,
}
CONSTANTS = {
    "pi": jnp.pi,
    "exponentiale": jnp.e,
    "true": True,
    "false": False,
    "inf": jnp.inf,
    "INF": jnp.inf,
    "nan": jnp.nan,
    "NaN": jnp.nan,
}


def _lgamma1(x):
    import jax.scipy.special as jss

    return jss.gammaln(x + 1.0)


_BINOPS: dict[type[ast.operator], Callable] = {
    ast.Add: jnp.add,
    ast.Sub: jnp.subtract,
    ast.Mult: jnp.multiply,
    ast.Div: jnp.true_divide,
    ast.Pow: jnp.power,
}
_CMPOPS = {
    ast.Lt: jnp.less,
    ast.LtE: jnp.less_equal,
    ast.Gt: jnp.greater,
    ast.GtE: jnp.greater_equal,
    ast.Eq: jnp.equal,
    ast.NotEq: jnp.not_equal,
}


def parse(formula: str) -> ast.Expression:
    """Parse a formula; ``^`` is a power, ``&&``/``||``/``!`` are not accepted (use and/or/not)."""
    text = str(formula).replace("^", "**")
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"cannot parse formula {formula!r}: {err.msg}") from None


def names_in(formula: str) -> set[str]:
    """The free names a formula uses (functions and constants excluded)."""
    tree = parse(formula)
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in CONSTANTS:
            out.add(node.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            out.discard(node.func.id)
    return out


def compile_formula(formula: str, allowed: Iterable[str]) -> Callable[[Mapping[str, Any]], ArrayLike]:
    """Compile `formula` into ``f(env) -> value`` using only the names in `allowed`.

    Raises:
        ExpressionError: syntax error, unknown name, or a construct outside arithmetic/logic.
    """
    allowed = set(allowed)
    tree = parse(formula)
    return _build(tree.body, allowed, formula)


def _build(node: ast.AST, allowed: set[str], src: str) -> Callable:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or isinstance(node.value, (int, float)):
            v = float(node.value) if not isinstance(node.value, bool) else node.value
            return lambda env: v
        raise ExpressionError(f"constant {node.value!r} not allowed in {src!r}")
    if isinstance(node, ast.Name):
        name = node.id
        if name in allowed:
            return lambda env: env[name]
        if name in CONSTANTS:
            c = CONSTANTS[name]
            return lambda env: c
        raise ExpressionError(f"unknown name {name!r} in formula {src!r}")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        op = _BINOPS[type(node.op)]
        a, b = _build(node.left, allowed, src), _build(node.right, allowed, src)
        return lambda env: op(a(env), b(env))
    if isinstance(node, ast.UnaryOp):
        a = _build(node.operand, allowed, src)
        if isinstance(node.op, ast.USub):
            return lambda env: -a(env)
        if isinstance(node.op, ast.UAdd):
            return a
        if isinstance(node.op, ast.Not):
            return lambda env: jnp.logical_not(a(env))
    if isinstance(node, ast.BoolOp):
        parts = [_build(v, allowed, src) for v in node.values]
        red = jnp.logical_and if isinstance(node.op, ast.And) else jnp.logical_or

        def boolop(env):
            out = parts[0](env)
            for p in parts[1:]:
                out = red(out, p(env))
            return out

        return boolop
    if isinstance(node, ast.Compare):
        left = _build(node.left, allowed, src)
        rights = [_build(c, allowed, src) for c in node.comparators]
        ops = []
        for o in node.ops:
            if type(o) not in _CMPOPS:
                raise ExpressionError(f"comparison {type(o).__name__} not allowed in {src!r}")
            ops.append(_CMPOPS[type(o)])

        def compare(env):
            vals = [left(env)] + [r(env) for r in rights]
            out = ops[0](vals[0], vals[1])
            for i in range(1, len(ops)):
                out = jnp.logical_and(out, ops[i](vals[i], vals[i + 1]))
            return out

        return compare
    if isinstance(node, ast.IfExp):
        cond, a, b = (_build(x, allowed, src) for x in (node.test, node.body, node.orelse))
        return lambda env: jnp.where(cond(env), a(env), b(env))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        fname = node.func.id
        if fname not in FUNCTIONS:
            raise ExpressionError(f"unknown function {fname!r} in formula {src!r}")
        fn = FUNCTIONS[fname]
        args = [_build(a, allowed, src) for a in node.args]
        return lambda env: fn(*(a(env) for a in args))
    raise ExpressionError(f"construct {type(node).__name__} not allowed in formula {src!r}")


def safe_identifier(name: str) -> bool:
    """True if `name` can be used as a formula name (a Python identifier, not a keyword)."""
    import keyword

    return name.isidentifier() and not keyword.iskeyword(name)
