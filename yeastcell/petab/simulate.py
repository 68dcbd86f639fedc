"""Simulating every experiment of a PEtab problem: experiments grouped, each group one vmapped
program, the model's symbol values at every measurement row out.

Experiments with the same structure (the same period start times and the same changed targets per
period, and whether they have steady-state measurements) form a group. A group saves its lanes on
one time grid per period (the union of the group's measurement times), so its lanes are one
`jax.vmap` of a lane function. The values a lane sets at a period start are formulas
(PEtab math) of the problem parameters and of the model's values just before the change; where
the lanes' formulas differ, `jax.lax.switch` on the lane index picks each lane's own.

Periods: the first period computes the initial state (parameter and compartment targets first,
then the initial assignments, then species targets); a period at ``-inf`` is run to steady state
(pre-equilibration) and the next period starts from it at its own start time; a later period
applies its changes to the state reached. Measurements at ``inf`` are the steady state reached
from the start of the experiment's last period.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..solvers import SolverOptions
from ..status import Status
from .errors import PetabError, UnsupportedPetabError
from .math import TIME_NAMES, Formula, compile_formula
from .model import PARAMETER, PetabModel, merge_status
from .tables import Experiment, Tables


@dataclass
class _Group:
    experiments: list[Experiment]
    times: tuple[float, ...]  # period start times
    targets: tuple[tuple[int, ...], ...]  # model indices changed per period
    # per period, per target: (unique formulas, lane -> formula index)
    formulas: list[list[tuple[list[Formula], np.ndarray]]]
    grids: list[np.ndarray]  # save times per finite period (first = the period's start)
    offsets: list[int]  # first saved slot of each period
    n_slots: int = 0
    inf_slot: int = -1  # slot of the steady state of the last period (-1: none)
    measure_from: int = 0  # the first period whose start can be measured


class Simulator:
    """The symbol values (as formulas see them) at each measurement row for a vector of problem
    parameter values (linear scale, the parameter table's order). Traceable: `__call__` is pure.

    Attributes:
        parameter_ids: the problem parameters, in the order of the values vector.
        rows: the model values at each measurement row come in measurement-table order.
    """

    def __init__(self, model: PetabModel, tables: Tables, options: SolverOptions, path=""):
        self.model = model
        self.tables = tables
        self.options = options
        self.path = path
        self.parameter_ids = tuple(p.id for p in tables.parameters)
        self.pindex = {p: i for i, p in enumerate(self.parameter_ids)}
        # parameter-table entries that are model parameters: (value index, model parameter position)
        nc, ns = model.n_comp, model.n_species
        self.model_params = [
            (i, model.index[self._model_id(p)] - nc - ns)
            for i, p in enumerate(self.parameter_ids)
            if model.kind(self._model_id(p)) == PARAMETER
        ]
        self.groups: list[_Group] = []
        self.row_slot: dict[int, tuple[int, int, int]] = {}  # row -> (group, lane, slot)
        self._build()

    def _model_id(self, sid: str) -> str:
        return self.tables.aliases.get(sid, sid)

    def _check_names(self, formula: Formula, where: str, extra=()):
        for n in formula.args:
            m = self._model_id(n)
            if m in self.model.index or n in self.pindex or n in TIME_NAMES or n in extra:
                continue
            if m in self.model.reaction_ids:
                raise UnsupportedPetabError(self.path, "reaction rates in PEtab formulas", f"{where} uses {n!r}")
            raise PetabError(f"{self.path}: {where}: unknown symbol {n!r} (not a model entity nor a parameter)")

    def _build(self):
        model, tables = self.model, self.tables
        by_exp = defaultdict(list)
        for m in tables.measurements:
            by_exp[m.experiment].append(m)
        keyed: dict[tuple, list[Experiment]] = defaultdict(list)
        for e in tables.experiments:
            if e.id not in by_exp:
                continue  # nothing measured: not simulated
            periods = e.periods or ()
            if periods and periods[0].time == math.inf:
                raise PetabError(f"{self.path}: experiment {e.id!r} has no period to start from")
            for per in periods:
                seen = set()
                for ch in per.changes:
                    tid = self._model_id(ch.target)
                    if model.kind(tid) is None:
                        raise PetabError(
                            f"{self.path}: experiment {e.id!r}: condition target {ch.target!r} is not a model "
                            "parameter, species or compartment"
                        )
                    if tid in seen:
                        raise PetabError(
                            f"{self.path}: experiment {e.id!r}: {ch.target!r} is changed twice at t={per.time:g}"
                        )
                    seen.add(tid)
            key = (
                tuple(p.time for p in periods),
                tuple(tuple(sorted(model.index[self._model_id(c.target)] for c in p.changes)) for p in periods),
                any(m.time == math.inf for m in by_exp[e.id]),
            )
            keyed[key].append(e)
        for (times, targets, has_inf), exps in keyed.items():
            self._add_group(list(times), targets, has_inf, exps, by_exp)

    def _add_group(self, times, targets, has_inf, exps, by_exp):
        model = self.model
        if not times:  # no periods: one at 0 without changes
            times, targets = [0.0], ((),)
        g = len(self.groups)
        formulas = []
        for p, tgt in enumerate(targets):
            per_target = []
            for k in tgt:
                fs: list[Formula] = []
                keys: dict[str, int] = {}
                lane_idx = []
                for e in exps:
                    ch = next(c for c in e.periods[p].changes if model.index[self._model_id(c.target)] == k)
                    key = str(ch.value)
                    if key not in keys:
                        keys[key] = len(fs)
                        f = compile_formula(ch.value)
                        self._check_names(f, f"experiment {e.id!r}, change of {ch.target!r}")
                        fs.append(f)
                    lane_idx.append(keys[key])
                per_target.append((fs, np.asarray(lane_idx, dtype=int)))
            formulas.append(per_target)
        # measurement times per period
        finite_starts = [t for t in times if t != -math.inf]
        if not finite_starts and any(m.time != math.inf for e in exps for m in by_exp[e.id]):
            finite_starts = [0.0]  # only pre-equilibration: the time course starts at 0 from the steady state
            times = list(times) + [0.0]
            targets = tuple(targets) + ((),)
            formulas.append([])
        per_times: list[set[float]] = [set() for _ in times]
        for e in exps:
            for m in by_exp[e.id]:
                if m.time == math.inf:
                    continue
                p = _period_of(times, m.time)
                if p is None:
                    raise PetabError(
                        f"{self.path}: measurement row {m.row + 1}: time {m.time:g} is before the start of experiment {e.id!r}"
                    )
                per_times[p].add(m.time)
        grids, offsets, n = [], [], 0
        for p, t in enumerate(times):
            if t == -math.inf:
                grids.append(np.zeros(0))
                offsets.append(n)
                continue
            pts = set(per_times[p]) | {t}
            if p + 1 < len(times):
                pts.add(times[p + 1])
            grid = np.array(sorted(pts), dtype=float)
            grids.append(grid)
            offsets.append(n)
            n += len(grid)
        group = _Group(exps, tuple(times), tuple(targets), formulas, grids, offsets, n)
        if has_inf:
            group.inf_slot = n
            group.n_slots = n + 1
        self.groups.append(group)
        for lane, e in enumerate(exps):
            for m in by_exp[e.id]:
                if m.time == math.inf:
                    self.row_slot[m.row] = (g, lane, group.inf_slot)
                    continue
                p = _period_of(times, m.time)
                assert p is not None
                slot = offsets[p] + int(np.searchsorted(grids[p], m.time))
                self.row_slot[m.row] = (g, lane, slot)

    # --------------------------------------------------------------------------------- traced
    def _pv_env(self, pv) -> dict:
        return {p: pv[i] for i, p in enumerate(self.parameter_ids)}

    def _eval(self, fs, lane_idx, lane, env):
        if len(fs) == 1:
            return fs[0](env)
        return jax.lax.switch(jnp.asarray(lane_idx)[lane], [lambda en, f=f: f(en) for f in fs], env)

    def _lane(self, group: _Group, lane, pv, model=None):
        model = self.model if model is None else model
        nc, ns = model.n_comp, model.n_species
        pv_env = self._pv_env(pv)
        params = model.default_params()
        for i, j in self.model_params:
            params = params.at[j].set(pv[i])
        volumes = model.cell.volumes
        status = jnp.asarray(Status.SUCCESS, dtype=jnp.int32)
        saved = []
        y = None
        y_last_start = None
        for p, t in enumerate(group.times):
            t_start = 0.0 if t == -math.inf else t
            trigger0 = None if p == 0 else model.triggers(y, t_start)
            changes = list(zip(group.targets[p], group.formulas[p]))
            if p == 0:
                y0 = model.initial(params, volumes, t_start)
                env = {**pv_env, **_model_env(model, y0, t_start, self.tables.aliases)}
                first = [(k, self._eval(fs, li, lane, env)) for k, (fs, li) in changes if k < nc or k >= nc + ns]
                for k, v in first:
                    if k < nc:
                        volumes = volumes.at[k].set(v)
                    else:
                        params = params.at[k - nc - ns].set(v)
                y = model.initial(params, volumes, t_start) if first else y0
                env = {**pv_env, **_model_env(model, y, t_start, self.tables.aliases)}
                rest = [(k, self._eval(fs, li, lane, env)) for k, (fs, li) in changes if nc <= k < nc + ns]
                if first or rest:  # again after the initial assignments: the condition overrides them
                    y = model.set_values(y, t_start, first + rest)
            elif changes:
                env = {**pv_env, **_model_env(model, y, t_start, self.tables.aliases)}
                # the triggers' left limit before the change (an event due at this very time runs after it)
                trigger0 = model.triggers(y, t_start - 1e-9 * max(1.0, abs(t_start)))
                y = model.set_values(y, t_start, [(k, self._eval(fs, li, lane, env)) for k, (fs, li) in changes])
            y_last_start = (y, t_start, trigger0)
            if t == -math.inf:
                y, st = model.steady(y, 0.0, self.options, trigger0)
                status = merge_status(status, st)
                continue
            grid = group.grids[p]
            if len(grid) > 1:
                values, st = model.solve(y, jnp.asarray(grid), self.options, trigger0)
                status = merge_status(status, st)
                saved.append(values)
                y = values[-1]
            else:
                assert y is not None
                saved.append(y[None])
        if group.inf_slot >= 0:
            assert y_last_start is not None
            y_inf, st = model.steady(*y_last_start[:2], self.options, y_last_start[2])
            status = merge_status(status, st)
            saved.append(y_inf[None])
        out = jnp.concatenate(saved, axis=0) if saved else jnp.zeros((0, len(model.ids)))
        return out, status

    def __call__(self, pv, model=None):
        """(model values at each measurement row (n_rows, n_symbols), status per row (n_rows,)).

        Values are as formulas see them (species concentrations unless amount-based); the rows
        of a failed lane are NaN and carry its `Status` code. `model`: a model to simulate in
        place of `self.model`, with the same symbols (a hybrid model with other network
        weights, `yeastcell.petab.sciml.HybridModel.with_weights`)."""
        outs = []
        for group in self.groups:
            lanes = jnp.arange(len(group.experiments))
            y, st = jax.vmap(lambda lane, g=group: self._lane(g, lane, pv, model))(lanes)
            outs.append((y, st))
        n_rows = len(self.tables.measurements)
        gi = np.array([self.row_slot[r][0] for r in range(n_rows)], dtype=int)
        li = np.array([self.row_slot[r][1] for r in range(n_rows)], dtype=int)
        si = np.array([self.row_slot[r][2] for r in range(n_rows)], dtype=int)
        vals = jnp.zeros((n_rows, len(self.model.ids)))
        status = jnp.zeros((n_rows,), dtype=jnp.int32)
        for g, (y, st) in enumerate(outs):
            rows = np.nonzero(gi == g)[0]
            if len(rows):
                vals = vals.at[rows].set(y[li[rows], si[rows]])
                status = status.at[rows].set(st[li[rows]])
        seen = self.model.seen(vals)
        return jnp.where((status == Status.SUCCESS)[:, None], seen, jnp.nan), status


def _model_env(model: PetabModel, y, t, aliases) -> dict:
    env = model.env(y, t)
    for petab_id, model_id in aliases.items():
        if model_id in env:
            env[petab_id] = env[model_id]
    return env


def _period_of(times, t) -> int | None:
    """Index of the last period starting at or before `t` (a finite period; None if none)."""
    best = None
    for p, start in enumerate(times):
        if start != -math.inf and start <= t:
            best = p
    return best
