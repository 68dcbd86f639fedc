"""Units of the model files, converted to the core's units: mM, min, L.

A unit string is a product/quotient of known symbols with optional integer powers, e.g.
``mM/min``, ``1/(mM*min)``, ``mM^-1*min^-1``, ``fL``, ``dimensionless``.
A parsed unit is a `Unit`: a scale factor to core units and exponents of the three dimensions
concentration (C), time (T) and volume (V).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from .exceptions import UnitError

# symbol -> (factor to core unit, (C, T, V) exponents). Core: mM, min, L.
_SYMBOLS: dict[str, tuple[float, tuple[int, int, int]]] = {
    "M": (1e3, (1, 0, 0)),
    "mM": (1.0, (1, 0, 0)),
    "uM": (1e-3, (1, 0, 0)),
    "µM": (1e-3, (1, 0, 0)),
    "nM": (1e-6, (1, 0, 0)),
    "s": (1.0 / 60.0, (0, 1, 0)),
    "sec": (1.0 / 60.0, (0, 1, 0)),
    "min": (1.0, (0, 1, 0)),
    "h": (60.0, (0, 1, 0)),
    "L": (1.0, (0, 0, 1)),
    "l": (1.0, (0, 0, 1)),
    "mL": (1e-3, (0, 0, 1)),
    "uL": (1e-6, (0, 0, 1)),
    "µL": (1e-6, (0, 0, 1)),
    "nL": (1e-9, (0, 0, 1)),
    "pL": (1e-12, (0, 0, 1)),
    "fL": (1e-15, (0, 0, 1)),
}
_DIMLESS = {"dimensionless", "1", ""}


_Dims = tuple[int, int, int]  # exponents of (conc, time, volume)


@dataclass(frozen=True)
class Unit:
    """A parsed unit: `value_core = value * factor`; `dims` = exponents of (conc, time, volume)."""

    factor: float
    dims: tuple[int, int, int]

    def __mul__(self, other: Unit) -> Unit:
        return Unit(self.factor * other.factor, cast(_Dims, tuple(a + b for a, b in zip(self.dims, other.dims))))

    def __pow__(self, p: int) -> Unit:
        return Unit(self.factor**p, cast(_Dims, tuple(a * p for a in self.dims)))


DIMENSIONLESS = Unit(1.0, (0, 0, 0))
CONCENTRATION = (1, 0, 0)
TIME = (0, 1, 0)
VOLUME = (0, 0, 1)
RATE = (1, -1, 0)  # concentration per time


def parse_unit(text: str) -> Unit:
    """Parse a unit string into a `Unit`.

    Raises:
        UnitError: the string contains an unknown symbol or is malformed.
    """
    if text is None:
        raise UnitError("missing unit")
    s = str(text).strip()
    if s in _DIMLESS:
        return DIMENSIONLESS
    s = s.replace("**", "^").replace("·", "*").replace(" ", "*")
    parser = _Parser(s, original=str(text))
    unit = parser.expr()
    if parser.pos != len(parser.s):
        raise UnitError(f"cannot parse unit {text!r} near {parser.s[parser.pos :]!r}")
    return unit


class _Parser:
    """Recursive-descent parser: expr := term (('*'|'/') term)*; term := atom ('^' int)?"""

    def __init__(self, s: str, original: str):
        self.s, self.pos, self.original = s, 0, original

    def _peek(self) -> str:
        return self.s[self.pos] if self.pos < len(self.s) else ""

    def expr(self) -> Unit:
        unit = self.term()
        while self._peek() in ("*", "/"):
            op = self._peek()
            self.pos += 1
            rhs = self.term()
            unit = unit * (rhs if op == "*" else rhs**-1)
        return unit

    def term(self) -> Unit:
        atom = self.atom()
        if self._peek() == "^":
            self.pos += 1
            m = re.match(r"\(?(-?\d+)\)?", self.s[self.pos :])
            if not m:
                raise UnitError(f"bad exponent in unit {self.original!r}")
            self.pos += m.end()
            atom = atom ** int(m.group(1))
        return atom

    def atom(self) -> Unit:
        c = self._peek()
        if c == "(":
            self.pos += 1
            unit = self.expr()
            if self._peek() != ")":
                raise UnitError(f"unbalanced parenthesis in unit {self.original!r}")
            self.pos += 1
            return unit
        m = re.match(r"\d+(?:\.\d+)?|[A-Za-zµ]+", self.s[self.pos :])
        if not m:
            raise UnitError(f"cannot parse unit {self.original!r} near {self.s[self.pos :]!r}")
        tok = m.group(0)
        self.pos += m.end()
        if tok[0].isdigit():
            return Unit(float(tok), (0, 0, 0))
        if tok in _DIMLESS:
            return DIMENSIONLESS
        if tok not in _SYMBOLS:
            raise UnitError(f"unknown unit symbol {tok!r} in {self.original!r} (known: {', '.join(_SYMBOLS)})")
        factor, dims = _SYMBOLS[tok]
        return Unit(factor, dims)


def to_core(value: float, unit: str, expected_dims: tuple[int, int, int] | None = None) -> float:
    """Convert `value` given in `unit` to core units (mM, min, L), checking the dimension.

    Raises:
        UnitError: unparseable unit, or its dimension differs from `expected_dims`.
    """
    u = parse_unit(unit)
    if expected_dims is not None and u.dims != tuple(expected_dims):
        raise UnitError(f"unit {unit!r} has dimension {describe_dims(u.dims)}, expected {describe_dims(expected_dims)}")
    return float(value) * u.factor


def describe_dims(dims: tuple[int, int, int]) -> str:
    """Human-readable dimension, e.g. 'concentration^1 time^-1'."""
    names = ("concentration", "time", "volume")
    parts = [f"{n}^{d}" for n, d in zip(names, dims) if d]
    return " ".join(parts) if parts else "dimensionless"
