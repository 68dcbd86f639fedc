"""Write a yeastcell fitting problem (cell + `Dataset` + parameters to fit) as a PEtab v2 problem.

`write_problem(cell, dataset, folder, parameters=...)` writes, into a new folder (atomically: a
temporary folder renamed into place, so no half-written problem is left behind):

- ``model.xml``: the cell as SBML L3V2 (`yeastcell.sbml.write`, the cell's own numbers, without the
  fbc gene associations, which AMICI refuses; knockouts are written as rate scales). Reaction-local
  parameters that a table must address (fitted ones, ones a condition changes) become global
  parameters named ``REACTION_param``; a reaction whose rate a condition scales (knockout, knockdown,
  inhibitor) gets a global multiplier ``REACTION_rate_scale`` (1 in the model).
- ``conditions.tsv``, ``experiments.tsv``: one experiment per dataset condition. Its changes against
  the wild-type cell (initial concentrations, rate scales, parameter values) apply at 0 min; a
  timed pulse or set of a species is a later experiment period (``S + amount`` or the new value).
- ``observables.tsv``: each observable as the formula of the observation model (a weighted sum of
  species concentrations, mM, or a ratio of two sums) with log-normal noise, σ(ln) = σ(log2)·ln 2:
  the likelihood yeastcell fits (Gaussian on log2 values) up to a constant.
- ``measurements.tsv``: every measured replicate value. A log2 fold change is written as the ratio
  2^value, and its observable divides by a reference level: one estimated nuisance parameter per
  observable (a reference condition) or per observable and experiment (a reference time), with the
  simulated reference as its nominal value. This is the usual PEtab form of relative data; it frees
  the reference that yeastcell ties to the simulated reference, so the fitted optimum can differ.
- ``parameters.tsv``: the fitted parameters (bounds; a log-normal prior where the `FitParameter`
  has ``prior_sd`` on the log scale, a normal prior on the linear scale).
- ``problem.yaml`` and ``README.md`` (which yeastcell condition each experiment is).

Units: concentrations mM, time min (the model's units). Residual networks (`HybridCell`) are not
written here (`yeastcell.petab.sciml` writes networks).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import jax
import numpy as np

from ..cells import AbstractCell
from ..data.dataset import Dataset
from ..exceptions import SimulationInputError
from ..fit.params import FitParameter, as_parameters
from ..fit.problem import build_problem, simulate_observables
from ..io import atomic_folder
from ..perturb import resolve, wild_type
from ..perturb.types import EVENT_ADD, PARAM_SCALE
from ..sbml import write as write_sbml
from ..solvers import SolverOptions
from .errors import ExportError

LN2 = math.log(2.0)


def _sid(text: str) -> str:
    """A valid SBML/PEtab id from `text` (letters, digits, underscores; not starting with a digit)."""
    s = re.sub(r"\W", "_", text)
    return s if s and not s[0].isdigit() else f"_{s}"


def _num(x: float) -> str:
    return repr(float(x))


def _observable_formulas(om, cell) -> list[str]:
    """Observable formulas (species concentrations, mM) from the observation model's rows."""
    if om.formulas:
        names = [om.observables[i] for i, _ in om.formulas]
        raise ExportError(f"observables declared as model formulas cannot be exported yet: {names}")
    ns = len(cell.species_ids)
    num, den = np.asarray(om.num), np.asarray(om.den)

    def row(r, what) -> str:
        if np.any(r[ns:-1] != 0):
            raise ExportError(f"observable {what!r} reads reaction fluxes, which the export cannot write yet")
        terms = [f"{_num(w)} * {cell.species_ids[i]}" if w != 1 else cell.species_ids[i] for i, w in _nz(r[:ns])]
        if r[-1] != 0:
            terms.append(_num(r[-1]))
        return " + ".join(terms) or "0.0"

    out = []
    for k, name in enumerate(om.observables):
        top = row(num[k], name)
        plain_den = np.all(den[k][:-1] == 0) and den[k][-1] == 1
        out.append(top if plain_den else f"({top}) / ({row(den[k], name)})")
    return out


def _nz(v):
    return [(i, float(w)) for i, w in enumerate(v) if w != 0]


def _changes(cell, base, cond, theta_names) -> tuple[dict[str, str], list[tuple[float, dict[str, str]]], set, set]:
    """(changes at 0 min, later periods [(t, changes)], rate-scaled reactions, changed parameters)."""
    c0, c0_base = np.asarray(cond.c0), np.asarray(base.c0)
    at0: dict[str, str] = {}
    rates, params = set(), set()
    for i in np.nonzero(~np.isclose(c0, c0_base, rtol=1e-12, atol=0))[0]:
        at0[cell.species_ids[i]] = _num(c0[i])
    scale = np.asarray(cond.rate_scale)
    for j in np.nonzero(scale != 1.0)[0]:
        rid = cell.reaction_ids[j]
        rates.add(rid)
        at0[f"{_sid(rid)}_rate_scale"] = _num(scale[j])
    if cond.n_params:
        theta = np.asarray(cell.theta)
        for i, mode, v in zip(np.asarray(cond.param_index), np.asarray(cond.param_mode), np.asarray(cond.param_value)):
            if mode == PARAM_SCALE and v == 1.0:
                continue  # an unused slot
            name = theta_names[int(i)]
            params.add(name)
            at0[_sid(name)] = _num(theta[int(i)] * v if mode == PARAM_SCALE else v)
    later: dict[float, dict[str, str]] = {}
    for t, s, mode, v in zip(
        np.asarray(cond.event_t),
        np.asarray(cond.event_species),
        np.asarray(cond.event_mode),
        np.asarray(cond.event_value),
    ):
        if not np.isfinite(t):
            continue
        sp = cell.species_ids[int(s)]
        if t == 0.0:  # a pulse at the start: fold it into the initial value
            start = float(at0.get(sp, c0[int(s)]))
            at0[sp] = _num(start + v if mode == EVENT_ADD else v)
        else:
            later.setdefault(float(t), {})[sp] = f"{sp} + {_num(v)}" if mode == EVENT_ADD else _num(v)
    return at0, sorted(later.items()), rates, params


def write_problem(
    cell,
    dataset: Dataset,
    folder: str | Path,
    parameters: Sequence[str | FitParameter] | Mapping[str, tuple[float, float]] | None = None,
    sigma_log2: float | Mapping[str, float] = 0.2,
    mapping: Mapping[str, str] | None = None,
    problem_id: str | None = None,
    options: SolverOptions | None = None,
) -> Path:
    """Write `cell`, `dataset` and the parameters to fit as a PEtab v2 problem in a new `folder`.

    Args:
        cell: a compiled cell (`yeastcell.load_cell`, an imported SBML model); its current numbers
            (fitted parameters included) are written.
        dataset: measurements (raw values in the observables' units, or log2 fold changes).
        parameters: the parameters to estimate (`Cell.theta_names` entries or `FitParameter`s, as
            for `yeastcell.fit.fit`); a log-scale parameter without bounds gets [value/100, value·100].
        sigma_log2: noise sd on the log2 scale, one number or one per observable.
        mapping: observable -> model quantity (as for `yeastcell.fit.fit`).
        problem_id: an id for the problem (default: the folder name).
        options: solver options for the simulated reference levels of log2 fold-change data.

    Returns:
        The path of ``problem.yaml``.

    Raises:
        ExportError: the folder exists, or a part of the problem PEtab cannot express (named).
        UnknownNameError / SimulationInputError / DatasetError: as `yeastcell.fit.fit` (bad names, values).
    """
    import pandas as pd
    import yaml

    if not isinstance(cell, AbstractCell):
        raise ExportError(
            f"write_problem needs a compiled cell (yeastcell.load_cell), got {type(cell).__name__}; "
            "residual networks are written with yeastcell.petab.sciml"
        )
    if not isinstance(dataset, Dataset):
        raise SimulationInputError(f"dataset must be a yeastcell Dataset, got {type(dataset).__name__}")
    folder = Path(folder)
    if folder.exists():
        raise ExportError(f"{folder} exists; write_problem writes a new folder")
    fit_params = as_parameters(parameters, cell)
    obs = tuple(dataset.observables)
    sig = dict(sigma_log2) if isinstance(sigma_log2, Mapping) else dict.fromkeys(obs, sigma_log2)
    for o in obs:
        s = sig.get(o)
        if s is None or not (isinstance(s, int | float) and math.isfinite(s) and s > 0):
            raise SimulationInputError(f"sigma_log2 of observable {o!r} must be a positive number, got {s!r}")
    values = np.asarray(dataset.values)
    mask = np.asarray(dataset.mask)
    if dataset.transform == "raw" and np.any(mask & ~(values > 0)):
        ci, ri, ki, oi = (int(i) for i in np.argwhere(mask & ~(values > 0))[0])
        raise ExportError(
            f"raw value {values[ci, ri, ki, oi]} of {obs[oi]!r} (condition {dataset.conditions[ci]!r}, "
            f"t = {dataset.times_min[ki]} min) is not positive; log-normal noise needs positive data"
        )

    problem = build_problem(cell, dataset, mapping=mapping)  # checks names and perturbations
    theta_names = tuple(cell.theta_names)
    base = resolve(cell, wild_type())

    n_cond = len(dataset.conditions)
    conds = [jax.tree_util.tree_map(lambda x, k=k: x[k], problem.conds) for k in range(n_cond)]
    # a species held constant by every condition is a boundary species of the written model; PEtab
    # conditions cannot hold a species constant in some experiments only
    clamps = np.stack([np.asarray(c.clamp) for c in conds]) != np.asarray(base.clamp)[None]
    partly = np.nonzero(clamps.any(0) & ~clamps.all(0))[0]
    if partly.size:
        raise ExportError(
            f"species held constant in some conditions only ({[cell.species_ids[i] for i in partly]}); "
            "PEtab conditions cannot clamp a species"
        )
    boundary = tuple(cell.species_ids[i] for i in np.nonzero(clamps.all(0))[0])
    changes = [_changes(cell, base, c, theta_names) for c in conds]
    scaled = sorted(set().union(*(c[2] for c in changes)))
    local = {p.name for p in fit_params} | set().union(*(c[3] for c in changes))
    local = {n for n in local if "." in n}
    global_parameters = {n: _sid(n) for n in sorted(local)}

    formulas = _observable_formulas(problem.om, cell)
    obs_ids = [f"observable_{_sid(o)}" for o in obs]  # PEtab ids must not shadow model ids
    if len(set(obs_ids)) != len(obs_ids):
        raise ExportError(f"observable ids collide after making them PEtab ids: {obs_ids}")
    exp_ids = [f"experiment_{k + 1}" for k in range(n_cond)]

    # relative data: a reference level per observable (reference condition) or per experiment too
    ref_param: dict[tuple[int, int], str] = {}
    ref_nominal: dict[str, float] = {}
    if dataset.transform == "log2fc":
        opts = options or SolverOptions(rtol=1e-8, atol=1e-10)
        if problem.ref_cond is not None:
            one = jax.tree_util.tree_map(lambda x: x[None], problem.ref_cond)
            y_ref, _, ok = simulate_observables(cell, problem, one, opts)
            if not bool(np.asarray(ok)[0]):
                raise ExportError(f"the reference condition {dataset.reference!r} failed to solve")
            for j, oid in enumerate(obs_ids):
                pid = f"reference_{oid}"
                ref_nominal[pid] = float(np.asarray(y_ref)[0, problem.ref_t_index, j])
                for k in range(n_cond):
                    ref_param[(k, j)] = pid
        else:
            y, _, ok = simulate_observables(cell, problem, problem.conds, opts)
            bad = [dataset.conditions[k] for k in np.nonzero(~np.asarray(ok))[0]]
            if bad:
                raise ExportError(f"conditions failed to solve at the written parameters: {bad}")
            for k in range(n_cond):
                for j, oid in enumerate(obs_ids):
                    pid = f"reference_{oid}_{exp_ids[k]}"
                    ref_nominal[pid] = float(np.asarray(y)[k, problem.ref_t_index, j])
                    ref_param[(k, j)] = pid
        nonpositive = [p for p, v in ref_nominal.items() if not v > 0]
        if nonpositive:
            raise ExportError(f"simulated reference levels are not positive: {nonpositive[:5]}")

    with atomic_folder(folder) as tmp:
        write_sbml(
            cell,
            tmp / "model.xml",
            global_parameters=global_parameters,
            rate_scales={r: f"{_sid(r)}_rate_scale" for r in scaled},
            boundary=boundary,
            genes=False,  # conditions carry knockouts as rate scales; AMICI refuses fbc gene products
        )
        cond_rows, exp_rows = [], []
        for k, (at0, later, _, _) in enumerate(changes):
            first = ""
            if at0:
                first = f"condition_{k + 1}"
                cond_rows += [(first, t, v) for t, v in at0.items()]
            exp_rows.append((exp_ids[k], 0.0, first))
            for m, (t, ch) in enumerate(later):
                cid = f"condition_{k + 1}_period_{m + 2}"
                cond_rows += [(cid, tt, v) for tt, v in ch.items()]
                exp_rows.append((exp_ids[k], t, cid))
        if cond_rows:
            pd.DataFrame(cond_rows, columns=["conditionId", "targetId", "targetValue"]).to_csv(
                tmp / "conditions.tsv", sep="\t", index=False
            )
        pd.DataFrame(exp_rows, columns=["experimentId", "time", "conditionId"]).to_csv(
            tmp / "experiments.tsv", sep="\t", index=False
        )
        relative = dataset.transform == "log2fc"
        obs_rows = []
        for j, oid in enumerate(obs_ids):
            f = f"({formulas[j]}) / observableParameter1_{oid}" if relative else formulas[j]
            obs_rows.append(
                {
                    "observableId": oid,
                    "observableName": obs[j],
                    "observableFormula": f,
                    "noiseFormula": _num(sig[obs[j]] * LN2),
                    "noiseDistribution": "log-normal",
                    "observablePlaceholders": f"observableParameter1_{oid}" if relative else "",
                    "noisePlaceholders": "",
                }
            )
        pd.DataFrame(obs_rows).to_csv(tmp / "observables.tsv", sep="\t", index=False)
        meas = []
        t_min = np.asarray(dataset.times_min)
        for c, r, k, o in np.argwhere(mask):
            v = float(values[c, r, k, o])
            meas.append(
                {
                    "observableId": obs_ids[o],
                    "experimentId": exp_ids[c],
                    "time": float(t_min[k]),
                    "measurement": 2.0**v if relative else v,
                    "observableParameters": ref_param.get((int(c), int(o)), ""),
                    "noiseParameters": "",
                }
            )
        pd.DataFrame(meas).to_csv(tmp / "measurements.tsv", sep="\t", index=False, float_format="%.17g")
        theta = np.asarray(cell.theta)
        prows = []
        for p in fit_params:
            v = float(theta[theta_names.index(p.name)])
            lo, hi = (p.lower, p.upper) if p.lower is not None else (v / 100.0, v * 100.0)
            if lo is None and p.scale == "linear":
                raise ExportError(f"parameter {p.name!r}: a linear-scale parameter needs bounds to be exported")
            row = {
                "parameterId": _sid(p.name),
                "lowerBound": lo,
                "upperBound": hi,
                "nominalValue": v,
                "estimate": "true",
            }
            if p.prior_sd is not None:
                if p.scale == "log":
                    row |= {"priorDistribution": "log-normal", "priorParameters": f"{math.log(v)!r};{p.prior_sd!r}"}
                else:
                    row |= {"priorDistribution": "normal", "priorParameters": f"{v!r};{p.prior_sd!r}"}
            prows.append(row)
        for pid, v in ref_nominal.items():
            prows.append(
                {
                    "parameterId": pid,
                    "lowerBound": v / 1e3,
                    "upperBound": v * 1e3,
                    "nominalValue": v,
                    "estimate": "true",
                }
            )
        ptab = pd.DataFrame(prows, columns=["parameterId", "lowerBound", "upperBound", "nominalValue", "estimate"])
        if any("priorDistribution" in r for r in prows):
            ptab = pd.DataFrame(prows)
        ptab.to_csv(tmp / "parameters.tsv", sep="\t", index=False, float_format="%.17g")
        pid_name = problem_id or _sid(folder.name)
        config = {
            "format_version": "2.0.0",
            "id": pid_name,
            "model_files": {"model": {"location": "model.xml", "language": "sbml"}},
            "condition_files": ["conditions.tsv"] if cond_rows else [],
            "experiment_files": ["experiments.tsv"],
            "measurement_files": ["measurements.tsv"],
            "observable_files": ["observables.tsv"],
            "parameter_files": ["parameters.tsv"],
        }
        (tmp / "problem.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        lines = [
            f"# PEtab problem {pid_name}",
            "",
            "Written by yeastcell.petab.write_problem. Units: mM, min. Experiments and the yeastcell",
            "conditions they encode:",
            "",
            "| experiment | yeastcell condition |",
            "|---|---|",
        ]
        lines += [f"| {e} | `{c}` |" for e, c in zip(exp_ids, dataset.conditions)]
        prov = dict(dataset.provenance or {})
        if prov:
            lines += ["", "Data provenance:", ""] + [f"- {k}: {v}" for k, v in prov.items()]
        (tmp / "README.md").write_text("\n".join(lines) + "\n")
    return folder / "problem.yaml"
