"""yeastcell's own description of a PEtab problem's tables, the same for PEtab v1 and v2.

`read_v1` and `read_v2` map libpetab's parsed problem onto these frozen dataclasses:

* `Parameter`: one row of the parameter table (scale, bounds, nominal value, estimated or not,
  prior); v2 has no parameter scales (every parameter is on ``lin``).
* `Observable`: formulas (sympy, PEtab math), noise distribution (``normal`` / ``laplace``) and
  the transformation the distribution applies to (``lin``, ``log``, ``log10``; v2 ``log-normal``
  is ``normal`` on ``log``), and the placeholder names.
* `Experiment`: a sequence of `Period`s; each starts at a time (``-inf``: pre-equilibration, i.e.
  simulate to steady state) with the `Change`s applied then (target id = PEtab math). A v1
  measurement's (preequilibrationConditionId, simulationConditionId) pair becomes one experiment:
  a period at ``-inf`` with the pre-equilibration condition, then one at 0 with the simulation
  condition (a ``NaN`` entry is no change).
* `Measurement`: one measurement row (observable, experiment, time (``inf``: steady state),
  value, placeholder overrides as PEtab math: numbers or parameter ids).

Times are in the model's time unit; values in the model's units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sympy

from .errors import PetabError, UnsupportedPetabError
from .math import parse

NOISE_DISTRIBUTIONS = ("normal", "laplace")
TRANSFORMATIONS = ("lin", "log", "log10")
SCALES = ("lin", "log", "log10")
# v2 prior names; v1 objectivePriorType names are mapped onto them in `_v1_prior`
PRIORS = (
    "uniform",
    "normal",
    "laplace",
    "log-normal",
    "log-laplace",
    "log-uniform",
    "cauchy",
    "chisquare",
    "exponential",
    "gamma",
    "rayleigh",
)


@dataclass(frozen=True)
class Prior:
    """A prior of one parameter: `kind` (a name of `PRIORS`), its parameters, whether it is of the
    scaled value (v1 ``parameterScale*`` priors) and whether it is truncated to the bounds (v2)."""

    kind: str
    params: tuple[float, ...]
    on_scale: bool = False
    truncated: bool = False


@dataclass(frozen=True)
class Parameter:
    """A row of the parameter table: bounds and nominal value on the linear scale (model units)."""

    id: str
    scale: str
    lb: float
    ub: float
    nominal: float
    estimate: bool
    prior: Prior | None = None


@dataclass(frozen=True)
class Observable:
    """An observable: y = formula, noise sigma = noise, distribution of transformation(y)."""

    id: str
    formula: sympy.Expr
    noise: sympy.Expr
    distribution: str = "normal"
    transformation: str = "lin"
    observable_placeholders: tuple[str, ...] = ()
    noise_placeholders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """Set `target` (a model parameter, species or compartment) to `value` at a period's start."""

    target: str
    value: sympy.Expr


@dataclass(frozen=True)
class Period:
    """Part of an experiment starting at `time` (``-inf``: run to steady state) with `changes`."""

    time: float
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Experiment:
    """A sequence of periods; an experiment without periods starts at 0 from the model's state."""

    id: str
    periods: tuple[Period, ...] = ()


@dataclass(frozen=True)
class Measurement:
    """One measurement row (`row`: its 0-based position in the measurement table)."""

    observable: str
    experiment: str
    time: float
    value: float
    observable_parameters: tuple[sympy.Expr, ...] = ()
    noise_parameters: tuple[sympy.Expr, ...] = ()
    row: int = 0


@dataclass(frozen=True)
class Tables:
    """Every table of a problem in yeastcell's form (see module docstring)."""

    parameters: tuple[Parameter, ...]
    observables: tuple[Observable, ...]
    experiments: tuple[Experiment, ...]
    measurements: tuple[Measurement, ...]
    aliases: dict[str, str] = field(default_factory=dict)  # v2 mapping table: PEtab id -> model id


def _float(x, default=math.nan) -> float:
    if x is None:
        return default
    try:
        v = float(x)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(v) else v


def _missing(x) -> bool:
    if x is None:
        return True
    if isinstance(x, float) and math.isnan(x):
        return True
    return isinstance(x, str) and not x.strip()


def _overrides(x, where: str) -> tuple[sympy.Expr, ...]:
    if _missing(x):
        return ()
    if isinstance(x, int | float | np.floating | np.integer):
        return (sympy.Float(float(x)),)
    return tuple(parse(p.strip(), where) for p in str(x).split(";"))


# ------------------------------------------------------------------------------------- PEtab v1


_V1_PRIORS = {
    "uniform": ("uniform", False),
    "normal": ("normal", False),
    "laplace": ("laplace", False),
    "logNormal": ("log-normal", False),
    "logLaplace": ("log-laplace", False),
    "parameterScaleUniform": ("uniform", True),
    "parameterScaleNormal": ("normal", True),
    "parameterScaleLaplace": ("laplace", True),
}


def _v1_prior(row, path) -> Prior | None:
    kind = row.get("objectivePriorType")
    if _missing(kind):
        return None
    if kind not in _V1_PRIORS:
        raise UnsupportedPetabError(path, f"objectivePriorType {kind!r}", f"parameter {row.name!r}")
    name, on_scale = _V1_PRIORS[kind]
    pars = tuple(float(p) for p in str(row.get("objectivePriorParameters", "")).split(";") if p.strip())
    return Prior(name, pars, on_scale, False)


def read_v1(problem, path: Path) -> Tables:
    """Tables of a libpetab v1 problem (`petab.v1.Problem`)."""
    pdf = problem.parameter_df
    params = []
    for pid, row in pdf.iterrows():
        scale = str(row.get("parameterScale", "lin"))
        if scale not in SCALES:
            raise UnsupportedPetabError(path, f"parameterScale {scale!r}", f"parameter {pid!r}")
        params.append(
            Parameter(
                str(pid),
                scale,
                _float(row.get("lowerBound"), -math.inf),
                _float(row.get("upperBound"), math.inf),
                _float(row.get("nominalValue")),
                bool(int(row.get("estimate", 0))),
                _v1_prior(row, path),
            )
        )
    observables = []
    for oid, row in problem.observable_df.iterrows():
        dist = row.get("noiseDistribution")
        dist = "normal" if _missing(dist) else str(dist)
        trans = row.get("observableTransformation")
        trans = "lin" if _missing(trans) else str(trans)
        if dist not in NOISE_DISTRIBUTIONS:
            raise UnsupportedPetabError(path, f"noiseDistribution {dist!r}", f"observable {oid!r}")
        if trans not in TRANSFORMATIONS:
            raise UnsupportedPetabError(path, f"observableTransformation {trans!r}", f"observable {oid!r}")
        where = f"{path}: observable {oid!r}"
        formula = parse(row["observableFormula"], where)
        noise = parse(row.get("noiseFormula", 0), where)
        observables.append(
            Observable(
                str(oid),
                formula,
                noise,
                dist,
                trans,
                _placeholders(formula, "observableParameter", str(oid)),
                _placeholders(noise, "noiseParameter", str(oid)),
            )
        )
    cdf = problem.condition_df if problem.condition_df is not None else pd.DataFrame()
    targets = [c for c in cdf.columns if c != "conditionName"]

    def changes(cid, first: bool) -> tuple[Change, ...]:
        if _missing(cid):
            return ()
        if cid not in cdf.index:
            raise PetabError(f"{path}: condition {cid!r} is not in the condition table")
        out = []
        for t in targets:
            v = cdf.loc[cid, t]
            if _missing(v):
                continue  # NaN: no change (keeps the pre-equilibrated or the model's value)
            out.append(Change(str(t), parse(v, f"{path}: condition {cid!r}, {t}")))
        return tuple(out)

    mdf = problem.measurement_df
    experiments: dict[str, Experiment] = {}
    measurements = []
    has_preeq = "preequilibrationConditionId" in mdf.columns
    for k, (_, row) in enumerate(mdf.iterrows()):
        pre = row.get("preequilibrationConditionId") if has_preeq else None
        sim = str(row["simulationConditionId"])
        eid = sim if _missing(pre) else f"{pre}|{sim}"
        if eid not in experiments:
            periods = [] if _missing(pre) else [Period(-math.inf, changes(pre, True))]
            periods.append(Period(0.0, changes(sim, _missing(pre))))
            experiments[eid] = Experiment(eid, tuple(periods))
        where = f"{path}: measurement row {k + 1}"
        measurements.append(
            Measurement(
                str(row["observableId"]),
                eid,
                float(row["time"]),
                float(row["measurement"]),
                _overrides(row.get("observableParameters"), where),
                _overrides(row.get("noiseParameters"), where),
                k,
            )
        )
    return Tables(tuple(params), tuple(observables), tuple(experiments.values()), tuple(measurements))


def _placeholders(expr: sympy.Expr, kind: str, oid: str) -> tuple[str, ...]:
    """v1 placeholders ``observableParameter<n>_<observableId>`` of a formula, in order of n."""
    found = {}
    prefix = kind
    suffix = f"_{oid}"
    for s in expr.free_symbols:
        n = str(s)
        if n.startswith(prefix) and n.endswith(suffix) and n[len(prefix) : -len(suffix)].isdigit():
            found[int(n[len(prefix) : -len(suffix)])] = n
    return tuple(found[i] for i in sorted(found))


# ------------------------------------------------------------------------------------- PEtab v2


def read_v2(problem, path: Path) -> Tables:
    """Tables of a libpetab v2 problem (`petab.v2.Problem`)."""
    params = []
    for p in problem.parameters:
        prior = None
        if p.prior_distribution is not None:
            kind = str(getattr(p.prior_distribution, "value", p.prior_distribution))
            if kind not in PRIORS:
                raise UnsupportedPetabError(path, f"priorDistribution {kind!r}", f"parameter {p.id!r}")
            prior = Prior(kind, tuple(float(x) for x in p.prior_parameters), False, True)
        params.append(
            Parameter(
                p.id,
                "lin",
                _float(p.lb, -math.inf),
                _float(p.ub, math.inf),
                _float(p.nominal_value),
                bool(p.estimate),
                prior,
            )
        )
    observables = []
    for o in problem.observables:
        dist = str(getattr(o.noise_distribution, "value", o.noise_distribution) or "normal")
        trans = "lin"
        if dist.startswith("log-"):
            trans, dist = "log", dist[len("log-") :]
        if dist not in NOISE_DISTRIBUTIONS:
            raise UnsupportedPetabError(path, f"noiseDistribution {dist!r}", f"observable {o.id!r}")
        observables.append(
            Observable(
                o.id,
                parse(o.formula, f"{path}: observable {o.id!r}"),
                parse(o.noise_formula if o.noise_formula is not None else 0, f"{path}: observable {o.id!r}"),
                dist,
                trans,
                tuple(str(s) for s in o.observable_placeholders),
                tuple(str(s) for s in o.noise_placeholders),
            )
        )
    conditions = {c.id: c for c in problem.conditions}
    experiments = {}
    for e in problem.experiments:
        periods = []
        for per in sorted(e.periods, key=lambda q: float(q.time)):
            ch = []
            for cid in per.condition_ids:
                if cid not in conditions:
                    raise PetabError(f"{path}: experiment {e.id!r}: unknown condition {cid!r}")
                ch += [
                    Change(c.target_id, parse(c.target_value, f"{path}: condition {cid!r}"))
                    for c in conditions[cid].changes
                ]
            periods.append(Period(float(per.time), tuple(ch)))
        experiments[e.id] = Experiment(e.id, tuple(periods))
    measurements = []
    for k, m in enumerate(problem.measurements):
        eid = m.experiment_id or ""
        if eid not in experiments:
            if eid:
                raise PetabError(f"{path}: measurement row {k + 1}: unknown experiment {eid!r}")
            experiments[""] = Experiment("", ())
        measurements.append(
            Measurement(
                m.observable_id,
                eid,
                float(m.time),
                float(m.measurement),
                tuple(parse(x) for x in m.observable_parameters),
                tuple(parse(x) for x in m.noise_parameters),
                k,
            )
        )
    aliases = {}
    for mp in getattr(problem, "mappings", []) or []:
        if mp.model_id is not None and mp.petab_id != mp.model_id:
            aliases[mp.petab_id] = mp.model_id
    return Tables(tuple(params), tuple(observables), tuple(experiments.values()), tuple(measurements), aliases)
