"""MathML (a libsbml `ASTNode`) -> formula string for `yeastcell._expr.compile_formula`.

The formula language is Python syntax over names and the functions of `_expr.FUNCTIONS`.
Function definitions are inlined here (their arguments substituted as parenthesised text), so the
compiled model never calls a user function. Constants are written as literals so an SBML id that
happens to be called ``pi`` or ``true`` cannot capture them. Constructs yeastcell cannot simulate
(``delay``, ``rateOf``, unknown csymbols, ...) raise `UnsupportedMathError` naming the construct.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import libsbml

AVOGADRO = 6.02214179e23  # the value SBML L3V1 specifies (and the SBML Test Suite uses)
TIME = "time"
RATE_OF = "rateOf__"  # rateOf(x) is the name rateOf__x (resolved by yeastcell._rules)


class UnsupportedMathError(ValueError):
    """A MathML construct that cannot be translated (message names it)."""

    def __init__(self, construct: str, detail: str = ""):
        self.construct = construct
        super().__init__(f"unsupported MathML construct {construct!r}" + (f": {detail}" if detail else ""))


def _num(x: float) -> str:
    if math.isnan(x):
        return "(1e309 - 1e309)"
    if math.isinf(x):
        return "1e309" if x > 0 else "(-1e309)"
    s = repr(float(x))
    return f"({s})" if x < 0 else s


_FUN = {
    libsbml.AST_FUNCTION_ABS: "abs",
    libsbml.AST_FUNCTION_EXP: "exp",
    libsbml.AST_FUNCTION_LN: "ln",
    libsbml.AST_FUNCTION_FLOOR: "floor",
    libsbml.AST_FUNCTION_CEILING: "ceil",
    libsbml.AST_FUNCTION_FACTORIAL: "factorial",
    libsbml.AST_FUNCTION_SIN: "sin",
    libsbml.AST_FUNCTION_COS: "cos",
    libsbml.AST_FUNCTION_TAN: "tan",
    libsbml.AST_FUNCTION_SEC: "sec",
    libsbml.AST_FUNCTION_CSC: "csc",
    libsbml.AST_FUNCTION_COT: "cot",
    libsbml.AST_FUNCTION_SINH: "sinh",
    libsbml.AST_FUNCTION_COSH: "cosh",
    libsbml.AST_FUNCTION_TANH: "tanh",
    libsbml.AST_FUNCTION_SECH: "sech",
    libsbml.AST_FUNCTION_CSCH: "csch",
    libsbml.AST_FUNCTION_COTH: "coth",
    libsbml.AST_FUNCTION_ARCSIN: "arcsin",
    libsbml.AST_FUNCTION_ARCCOS: "arccos",
    libsbml.AST_FUNCTION_ARCTAN: "arctan",
    libsbml.AST_FUNCTION_ARCSEC: "arcsec",
    libsbml.AST_FUNCTION_ARCCSC: "arccsc",
    libsbml.AST_FUNCTION_ARCCOT: "arccot",
    libsbml.AST_FUNCTION_ARCSINH: "arcsinh",
    libsbml.AST_FUNCTION_ARCCOSH: "arccosh",
    libsbml.AST_FUNCTION_ARCTANH: "arctanh",
    libsbml.AST_FUNCTION_ARCSECH: "arcsech",
    libsbml.AST_FUNCTION_ARCCSCH: "arccsch",
    libsbml.AST_FUNCTION_ARCCOTH: "arccoth",
}
for _name in ("AST_FUNCTION_MAX", "AST_FUNCTION_MIN", "AST_FUNCTION_QUOTIENT", "AST_FUNCTION_REM"):
    if hasattr(libsbml, _name):
        _FUN[getattr(libsbml, _name)] = {"MAX": "max", "MIN": "min", "QUOTIENT": "quotient", "REM": "rem"}[
            _name.rsplit("_", 1)[1]
        ]
_REL = {
    libsbml.AST_RELATIONAL_EQ: "==",
    libsbml.AST_RELATIONAL_NEQ: "!=",
    libsbml.AST_RELATIONAL_GT: ">",
    libsbml.AST_RELATIONAL_GEQ: ">=",
    libsbml.AST_RELATIONAL_LT: "<",
    libsbml.AST_RELATIONAL_LEQ: "<=",
}


class MathTranslator:
    """Translate ASTs of one model.

    Args:
        functions: function definition id -> (argument names, body ASTNode).
        rename: SBML id -> formula name (for ids that are not valid formula names).
        local: extra names shadowing model ids (kinetic-law local parameters) -> formula name.
    """

    def __init__(self, functions: Mapping[str, tuple[tuple[str, ...], object]], rename: Callable[[str], str]):
        self.functions = functions
        self.rename = rename

    def __call__(self, node, local: Mapping[str, str] | None = None) -> str:
        if node is None:
            raise UnsupportedMathError("missing math")
        return self._tr(node, dict(local or {}), 0)

    def _tr(self, n, env: dict, depth: int) -> str:
        if depth > 200:
            raise UnsupportedMathError("recursion", "function definitions nest too deeply")
        t = n.getType()
        k = [n.getChild(i) for i in range(n.getNumChildren())]

        def r(c):
            return self._tr(c, env, depth + 1)

        if t == libsbml.AST_INTEGER:
            return _num(float(n.getInteger()))
        if t in (libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL):
            return _num(n.getReal())
        if t == libsbml.AST_NAME:
            name = n.getName()
            if name in env:
                return env[name]
            return self.rename(name)
        if t == libsbml.AST_NAME_TIME:
            return TIME
        if t == libsbml.AST_NAME_AVOGADRO:
            return _num(AVOGADRO)
        if t == libsbml.AST_CONSTANT_PI:
            return _num(math.pi)
        if t == libsbml.AST_CONSTANT_E:
            return _num(math.e)
        if t == libsbml.AST_CONSTANT_TRUE:
            return "True"
        if t == libsbml.AST_CONSTANT_FALSE:
            return "False"
        if t == libsbml.AST_PLUS:
            return "(" + " + ".join(r(c) for c in k) + ")" if k else "0.0"
        if t == libsbml.AST_TIMES:
            return "(" + " * ".join(r(c) for c in k) + ")" if k else "1.0"
        if t == libsbml.AST_MINUS:
            if len(k) == 1:
                return f"(-{r(k[0])})"
            return f"({r(k[0])} - {r(k[1])})"
        if t == libsbml.AST_DIVIDE:
            return f"({r(k[0])} / {r(k[1])})"
        if t in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER):
            return f"pow({r(k[0])}, {r(k[1])})"
        if t == libsbml.AST_FUNCTION_ROOT:
            if len(k) == 1:
                return f"sqrt({r(k[0])})"
            return f"root({r(k[0])}, {r(k[1])})"
        if t == libsbml.AST_FUNCTION_LOG:
            if len(k) == 1:
                return f"log10({r(k[0])})"
            return f"log({r(k[0])}, {r(k[1])})"
        if t in _FUN:
            name = _FUN[t]
            if name in ("min", "max"):  # n-ary in MathML, binary in the formula language
                if not k:
                    return _num(math.inf if name == "min" else -math.inf)
                out = r(k[0])
                for c in k[1:]:
                    out = f"{name}({out}, {r(c)})"
                return out
            return f"{name}({', '.join(r(c) for c in k)})"
        if t == libsbml.AST_FUNCTION_PIECEWISE:
            return f"piecewise({', '.join(r(c) for c in k)})"
        if t in _REL:
            op = _REL[t]
            if len(k) < 2:
                return "True"
            if op == "!=":
                return f"({r(k[0])} != {r(k[1])})"
            return "(" + f" {op} ".join(r(c) for c in k) + ")"
        if t == libsbml.AST_LOGICAL_AND:
            return "(" + " and ".join(r(c) for c in k) + ")" if k else "True"
        if t == libsbml.AST_LOGICAL_OR:
            return "(" + " or ".join(r(c) for c in k) + ")" if k else "False"
        if t == libsbml.AST_LOGICAL_NOT:
            return f"(not {r(k[0])})"
        if t == libsbml.AST_LOGICAL_XOR:
            return f"xor({', '.join(r(c) for c in k)})" if k else "False"
        if hasattr(libsbml, "AST_LOGICAL_IMPLIES") and t == libsbml.AST_LOGICAL_IMPLIES:
            return f"((not {r(k[0])}) or {r(k[1])})"
        if t == libsbml.AST_FUNCTION:
            name = n.getName()
            if name not in self.functions:
                raise UnsupportedMathError("function call", f"undefined function {name!r}")
            args, body = self.functions[name]
            if len(args) != len(k):
                raise UnsupportedMathError("function call", f"{name} takes {len(args)} arguments, got {len(k)}")
            inner = {a: f"({r(c)})" for a, c in zip(args, k)}
            return self._tr(body, inner, depth + 1)
        if t == libsbml.AST_FUNCTION_DELAY:
            raise UnsupportedMathError("csymbol delay")
        if hasattr(libsbml, "AST_FUNCTION_RATE_OF") and t == libsbml.AST_FUNCTION_RATE_OF:
            if len(k) == 1 and k[0].getType() == libsbml.AST_NAME and str(env.get(k[0].getName(), "(")).isidentifier():
                return "0.0"  # a kinetic law's local parameter: constant (SBML L3V2 4.13.5)
            if len(k) != 1 or k[0].getType() != libsbml.AST_NAME or k[0].getName() in env:
                raise UnsupportedMathError("csymbol rateOf", "only rateOf(symbol) is supported")
            return RATE_OF + self.rename(k[0].getName())
        raise UnsupportedMathError(n.getName() or libsbml.formulaToL3String(n) or f"AST type {t}")


def function_table(model) -> dict[str, tuple[tuple[str, ...], object]]:
    """Function definitions of a libsbml model: id -> (argument names, body)."""
    out = {}
    for fd in model.getListOfFunctionDefinitions():
        m = fd.getMath()
        if m is None:
            continue
        args = tuple(fd.getArgument(i).getName() for i in range(fd.getNumArguments()))
        out[fd.getId()] = (args, fd.getBody())
    return out
