"""Fit parameters bounded around a cell's own (literature) values, for the fitting benchmarks."""

from __future__ import annotations

from ..fit import FitParameter


def bounded_parameters(cell, names, factor: float) -> list[FitParameter]:
    """A `FitParameter` per name, bounded to [value / factor, value * factor] of ``cell``'s value.

    Values keep the parameter's own units (``cell.theta``); ``factor`` is dimensionless (> 1).
    """
    out = []
    for p in names:
        v = float(cell.theta[cell.theta_names.index(p)])
        out.append(FitParameter(p, v / factor, v * factor))
    return out
