"""PEtab math (observable, noise and condition formulas) as traceable JAX functions.

Formulas are parsed by libpetab (`petab.v1.math.sympify_petab`, the PEtab math grammar: ``^``,
``&&``, ``piecewise``, ``log(x, base)``...) into sympy and turned into JAX functions with
`sympy.lambdify`. A compiled formula takes a mapping name -> value (arrays broadcast elementwise)
and is differentiable with `jax.grad`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
import sympy
from petab.v1.math import sympify_petab

from .errors import PetabError

TIME_NAMES = ("time", "t")  # the time symbol of PEtab v2 (``time``) and v1 (``t``)


def parse(value, where: str = "") -> sympy.Expr:
    """A PEtab formula (string or number) as a sympy expression.

    Raises:
        PetabError: the text is not PEtab math (`where` names the file and item in the message).
    """
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return sympy.Float(float(value))
    try:
        return sympify_petab(value)
    except Exception as err:  # noqa: BLE001 - libpetab raises several types; reported with the item
        raise PetabError(f"{where}: cannot parse {value!r} as PEtab math: {err}") from None


def names(expr: sympy.Expr) -> frozenset[str]:
    """The free symbol names of a parsed formula."""
    return frozenset(str(s) for s in expr.free_symbols)


@dataclass(frozen=True)
class Formula:
    """A compiled formula: ``formula(env)`` evaluates it on a mapping name -> value (traceable)."""

    expr: sympy.Expr
    args: tuple[str, ...]
    fn: Callable

    def __call__(self, env: Mapping):
        vals = []
        for a in self.args:
            if a in env:
                vals.append(env[a])
            elif a in TIME_NAMES and "time" in env:
                vals.append(env["time"])
            else:
                raise PetabError(f"formula {self.expr}: no value for {a!r}")
        out = self.fn(*vals)
        return jnp.asarray(out, dtype=jnp.result_type(float))

    @property
    def constant(self) -> bool:
        return not self.args


def compile_formula(expr: sympy.Expr) -> Formula:
    """Compile a sympy expression to a JAX function of its free symbols."""
    symbols = sorted(expr.free_symbols, key=str)
    fn = sympy.lambdify(symbols, expr, modules="jax")
    return Formula(expr, tuple(str(s) for s in symbols), fn)
