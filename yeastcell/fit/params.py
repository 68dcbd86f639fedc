"""What a fit changes: mechanistic parameters through transforms (log, bounds) and priors, and the
weights of a residual network, held together in one `Fittable` pytree.

Transforms (per parameter, unconstrained value z):

* ``"log"`` without bounds: θ = exp(z) (θ > 0, steps are relative changes);
* ``"log"`` with bounds [lo, hi]: θ = exp(log lo + (log hi - log lo) · sigmoid(z)) (smooth, never leaves
  the box, so an optimiser needs no projection);
* ``"linear"`` with bounds: θ = lo + (hi - lo) · sigmoid(z); without bounds θ = z.

Priors: ``prior_sd`` (natural-log units for log parameters, parameter units otherwise) adds
½((t(θ) - t(θ_prior))/sd)² to the loss, t = log or identity, θ_prior = the nominal value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..exceptions import DatasetError, SimulationInputError, UnknownNameError
from ..hybrid import HybridCell


@dataclass(frozen=True)
class FitParameter:
    """One mechanistic parameter to fit (a `Cell.theta_names` entry), in core units (mM, min)."""

    name: str
    lower: float | None = None
    upper: float | None = None
    scale: str = "log"
    prior_sd: float | None = None

    def __post_init__(self):
        if self.scale not in ("log", "linear"):
            raise SimulationInputError(f"parameter {self.name!r}: scale must be 'log' or 'linear', got {self.scale!r}")
        lo, hi = self.lower, self.upper
        if (lo is None) != (hi is None):
            raise SimulationInputError(f"parameter {self.name!r}: give both bounds or neither")
        if lo is not None:
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise SimulationInputError(f"parameter {self.name!r}: bounds must be finite with lower < upper")
            if self.scale == "log" and lo <= 0:
                raise SimulationInputError(f"parameter {self.name!r}: log-scale bounds must be positive")
        if self.prior_sd is not None and not (math.isfinite(self.prior_sd) and self.prior_sd > 0):
            raise SimulationInputError(f"parameter {self.name!r}: prior_sd must be positive")


def bounded_parameters(cell, names: Sequence[str], factor: float) -> list[FitParameter]:
    """A log-scale `FitParameter` per name, bounded to [value / factor, value · factor] of `cell`'s value.

    Values keep the parameter's own units (``cell.theta``); ``factor`` is dimensionless (> 1).

    Raises:
        UnknownNameError: a name not in ``cell.theta_names`` (with close matches).
        SimulationInputError: ``factor`` not above 1.
    """
    if not (isinstance(factor, int | float) and math.isfinite(factor) and factor > 1):
        raise SimulationInputError(f"factor must be a number above 1, got {factor!r}")
    out = []
    for p in names:
        if p not in cell.theta_names:
            raise UnknownNameError("parameter", p, cell.theta_names)
        v = float(cell.theta[cell.theta_names.index(p)])
        out.append(FitParameter(p, v / factor, v * factor))
    return out


def as_parameters(
    params: Sequence[str | FitParameter] | Mapping[str, tuple[float, float]] | None, model
) -> tuple[FitParameter, ...]:
    """Normalise a user's parameter list (names, FitParameter, or {name: (lower, upper)}), checking names.

    Raises:
        UnknownNameError: a name not in the model's `theta_names` (with close matches).
        SimulationInputError: duplicates or bad bounds.
    """
    if params is None:
        return ()
    if isinstance(params, str):
        params = [params]
    if isinstance(params, Mapping):
        out = [FitParameter(k, *(v if v is not None else (None, None))) for k, v in params.items()]
    else:
        out = [p if isinstance(p, FitParameter) else FitParameter(str(p)) for p in params]
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        raise SimulationInputError(f"parameters listed twice: {sorted({n for n in names if names.count(n) > 1})}")
    theta = np.asarray(model.theta)
    for p in out:
        if p.name not in model.theta_names:
            raise UnknownNameError("parameter", p.name, model.theta_names)
        v = theta[model.theta_names.index(p.name)]
        if p.scale == "log" and not v > 0:
            raise SimulationInputError(f"parameter {p.name!r} has value {v}; a log-scale fit needs a positive value")
        if p.lower is not None and not (p.lower < v < p.upper):
            raise SimulationInputError(
                f"parameter {p.name!r}: nominal value {v:g} lies outside its bounds [{p.lower:g}, {p.upper:g}]"
            )
    return tuple(out)


class Fittable(eqx.Module):
    """The pytree a fit optimises: unconstrained mechanistic values `z` and the model (whose residual
    network weights may also be trained). `build()` returns the model with θ = transform(z).

    Attributes:
        z: unconstrained values, shape (n_params,).
        model: a `Cell` or `HybridCell` (its theta at the fitted indices is overwritten by `build`).
    """

    z: jnp.ndarray
    model: eqx.Module
    params: tuple[FitParameter, ...] = eqx.field(static=True)
    idx: tuple[int, ...] = eqx.field(static=True)
    nominal: tuple[float, ...] = eqx.field(static=True)

    def theta_values(self):
        """Fitted parameter values (core units), shape (n_params,)."""
        return _forward(self.z, self.params)

    def build(self):
        """The model with the fitted parameters in place."""
        if not self.params:
            return self.model

        theta = _cell(self.model).theta.at[np.asarray(self.idx)].set(self.theta_values())
        if isinstance(self.model, HybridCell):
            return eqx.tree_at(lambda m: m.cell.theta, self.model, theta)
        return eqx.tree_at(lambda m: m.theta, self.model, theta)

    def prior_residuals(self):
        """(t(θ) - t(θ_nominal))/sd for the parameters with a prior (t = log or identity)."""
        vals = self.theta_values()
        out = []
        for k, p in enumerate(self.params):
            if p.prior_sd is None:
                continue
            d = jnp.log(vals[k]) - math.log(self.nominal[k]) if p.scale == "log" else vals[k] - self.nominal[k]
            out.append(d / p.prior_sd)
        return jnp.stack(out) if out else jnp.zeros(0)

    def prior_penalty(self):
        """Σ ½((t(θ) - t(θ_nominal))/sd)² over parameters with a prior."""
        return 0.5 * jnp.sum(self.prior_residuals() ** 2)


def _cell(model):
    return (
        model.cell
        if hasattr(type(model), "__dataclass_fields__") and "cell" in type(model).__dataclass_fields__
        else model
    )


def _forward(z, params):
    out = []
    for k, p in enumerate(params):
        u = z[k]
        if p.scale == "log":
            if p.lower is None:
                out.append(jnp.exp(u))
            else:
                a, b = math.log(p.lower), math.log(p.upper)
                out.append(jnp.exp(a + (b - a) * jax.nn.sigmoid(u)))
        else:
            out.append(u if p.lower is None else p.lower + (p.upper - p.lower) * jax.nn.sigmoid(u))
    return jnp.stack(out) if out else jnp.zeros(0)


def _inverse(values, params) -> np.ndarray:
    z = []
    for v, p in zip(values, params):
        v = float(v)
        if p.scale == "log":
            if p.lower is None:
                z.append(math.log(v))
            else:
                a, b = math.log(p.lower), math.log(p.upper)
                s = min(max((math.log(v) - a) / (b - a), 1e-9), 1 - 1e-9)
                z.append(math.log(s / (1 - s)))
        else:
            if p.lower is None:
                z.append(v)
            else:
                s = min(max((v - p.lower) / (p.upper - p.lower), 1e-9), 1 - 1e-9)
                z.append(math.log(s / (1 - s)))
    return np.asarray(z, dtype=float)


def fittable(model, params=None) -> Fittable:
    """A `Fittable` for `model` and the mechanistic parameters `params` (see `as_parameters`)."""
    ps = as_parameters(params, _cell(model))
    cell = _cell(model)
    idx = tuple(cell.theta_names.index(p.name) for p in ps)
    nominal = tuple(float(np.asarray(cell.theta)[i]) for i in idx)
    return Fittable(jnp.asarray(_inverse(nominal, ps)), model, ps, idx, nominal)


def with_values(f: Fittable, values: Sequence[float]) -> Fittable:
    """`f` with its parameters set to `values` (core units)."""
    return eqx.tree_at(lambda m: m.z, f, jnp.asarray(_inverse(values, f.params)))


def random_start(f: Fittable, rng: np.random.Generator, spread: float = 3.0) -> Fittable:
    """A start drawn log-uniformly within the bounds (or within nominal ×/÷ `spread` when unbounded)."""
    vals = []
    for p, v in zip(f.params, f.nominal):
        if p.scale == "log":
            a, b = (
                (math.log(p.lower), math.log(p.upper))
                if p.lower is not None and p.upper is not None  # both or neither (FitParameter)
                else (math.log(v / spread), math.log(v * spread))
            )
            vals.append(math.exp(rng.uniform(a + 0.02 * (b - a), b - 0.02 * (b - a))))
        else:
            a, b = (
                (p.lower, p.upper)
                if p.lower is not None and p.upper is not None
                else (v - abs(v) * (spread - 1), v + abs(v) * (spread - 1))
            )
            vals.append(rng.uniform(a + 0.02 * (b - a), b - 0.02 * (b - a)))
    return with_values(f, vals)


def read_parameter_file(path: str | Path) -> dict[str, float]:
    """Fitted parameter values by name (core units) from a fit result file.

    Reads the JSON that ``yeastcell fit -o RESULT.json`` writes, or the ``history.json`` of a fit's
    checkpoint folder (a folder is read through its ``history.json``): both hold a ``"parameters"``
    object of name -> value. A plain JSON object of name -> value is read as it is; a value may
    also be an object with a ``"value"`` entry.

    Raises:
        DatasetError: the file is missing, not JSON, or holds no name -> number mapping.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "history.json"
    if not p.is_file():
        raise DatasetError(f"{p}: no such parameter file (expected the JSON written by 'yeastcell fit -o')")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DatasetError(f"{p}: not a JSON file ({err})") from None
    if isinstance(doc, Mapping) and isinstance(doc.get("parameters"), Mapping):
        doc = doc["parameters"]
    if not isinstance(doc, Mapping) or not doc:
        raise DatasetError(f"{p}: expected a 'parameters' object of name -> value (as 'yeastcell fit -o' writes)")
    out = {}
    for k, v in doc.items():
        if isinstance(v, Mapping) and "value" in v:
            v = v["value"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise DatasetError(f"{p}: parameter {k!r}: value {v!r} is not a finite number")
        out[str(k)] = float(v)
    return out


def with_parameters(model, values: Mapping[str, float]):
    """`model` (a `Cell` or `HybridCell`) with the parameters `values` (name -> value, core units,
    names from `theta_names`) set in its theta; every name is checked before anything changes.

    Raises:
        UnknownNameError: a name the model has no parameter of (with close matches).
    """
    cell = _cell(model)
    names = cell.theta_names
    for k in values:
        if k not in names:
            raise UnknownNameError("parameter", k, names)
    if not values:
        return model
    idx = np.asarray([names.index(k) for k in values])
    theta = cell.theta.at[idx].set(jnp.asarray([float(v) for v in values.values()], dtype=cell.theta.dtype))
    if isinstance(model, HybridCell):
        return eqx.tree_at(lambda m: m.cell.theta, model, theta)
    return eqx.tree_at(lambda m: m.theta, model, theta)
