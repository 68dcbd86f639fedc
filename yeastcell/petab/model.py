"""The model of a PEtab problem: an SBML file imported by `yeastcell.sbml` and compiled to an
`SbmlCell`, with the operations a PEtab experiment needs, all traceable (jit, vmap, grad):

* `PetabModel.initial`: the symbol vector at the start from parameter values and compartment
  sizes (initial assignments re-evaluated, `yeastcell._rules.System.initial_values`);
* `PetabModel.set_values`: condition changes at a period start (simultaneous; a species' value is
  a concentration unless the species is amount-based; a compartment change keeps the
  concentrations of its species);
* `PetabModel.solve`: integrate from a symbol vector over save times (`yeastcell.solvers.solve`);
* `PetabModel.steady`: integrate to steady state (pre-equilibration, measurements at ``inf``).

Condition targets that are not entities of the model file (a PySB model without the parameter a
PEtab condition sets) are added as non-constant model parameters (`extra_parameters`, value NaN
until a condition sets them).

The symbol vector ``y`` is the `System`'s: ``[compartment sizes | species amounts | parameters]``
in the model's own units (no unit conversion: SBML import keeps the file's numbers). Ids are
the SBML ids of the file (`ids`), also for ids the importer renamed (Python keywords).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import diffrax
import equinox as eqx
import jax.numpy as jnp

from ..cells import SbmlCell
from ..compile import compile_model
from ..perturb import resolve
from ..sbml import load as sbml_load
from ..solvers import SolverOptions
from ..solvers import solve as solve_cell
from ..solvers.events import solve_system, system_ode
from ..solvers.segments import mask_after
from ..spec import Parameter
from ..status import Status, check_partial, fail_where, first_failure, from_diffrax
from .errors import PetabError

COMPARTMENT, SPECIES, PARAMETER = "compartment", "species", "parameter"

# steady state: max|dx/dt| <= STEADY_ATOL + STEADY_RTOL * max|x| (x: concentration-like state),
# integrated for at most STEADY_T_MAX model time units
STEADY_RTOL = 1e-10
STEADY_ATOL = 1e-12
STEADY_T_MAX = 1e9
STEADY_T_MAX_EVENTS = 1e5  # a model with events: integrated this long with events, then checked


def default_options() -> SolverOptions:
    """Solver settings of PEtab simulations: Rodas4P, rtol 1e-9, atol 1e-12, no negativity check
    (SBML variables may be negative)."""
    return SolverOptions(rtol=1e-9, atol=1e-12, max_steps=100_000, negative_tol=None, max_events=10_000)


class PetabModel:
    """An SBML model compiled for PEtab simulation (see module docstring).

    Attributes:
        path: the SBML file.
        spec: the imported `ModelSpec`.
        cell: the compiled `SbmlCell`.
        ids: SBML id of each entry of the symbol vector.
        kinds: ``compartment``, ``species`` or ``parameter`` per entry.
    """

    def __init__(self, path: str | Path, spec=None, extra_parameters: tuple[str, ...] = ()):
        self.path = Path(path)
        spec = spec if spec is not None else sbml_load(self.path)
        if extra_parameters:  # PEtab entities only conditions set and formulas read (value NaN until set)
            added = tuple(Parameter(p, math.nan, constant=False) for p in extra_parameters)
            spec = dataclasses.replace(spec, parameters=tuple(spec.parameters) + added)
        self.spec = spec
        cell = compile_model(self.spec)
        if not isinstance(cell, SbmlCell):
            raise PetabError(f"{self.path}: the model did not compile to an SBML-semantics cell")
        self.cell: SbmlCell = cell
        sysm = cell.system
        renamed: dict[str, str] = dict(
            cast(Mapping[str, str], self.spec.annotations.get("renamed", {}))
        )  # safe -> SBML id
        self.ids: tuple[str, ...] = tuple(renamed.get(n, n) for n in sysm.names)
        self.index = {n: k for k, n in enumerate(self.ids)}
        nc, ns = sysm.n_comp, sysm.n_species
        self.kinds = tuple(
            COMPARTMENT if k < nc else SPECIES if k < nc + ns else PARAMETER for k in range(len(self.ids))
        )
        self.n_comp, self.n_species, self.n_param = nc, ns, sysm.n_param
        self.reaction_ids = tuple(renamed.get(r, r) for r in cell.reaction_ids)
        self._cond0 = resolve(cell)

    @property
    def system(self):
        return self.cell.system

    def kind(self, sid: str) -> str | None:
        """``compartment``, ``species``, ``parameter`` or None for an unknown id."""
        k = self.index.get(sid)
        return None if k is None else self.kinds[k]

    # ----------------------------------------------------------------------------- traceable
    def theta(self, params) -> jnp.ndarray:
        """The cell's parameter vector with the global parameters set to `params` (n_param,)."""
        return self.cell.theta.at[: self.n_param].set(params)

    def initial(self, params, volumes, t0=0.0):
        """Symbol vector at `t0` from global parameter values (n_param,) and compartment sizes."""
        return self.system.initial_values(volumes, params, self.theta(params), t0)

    def default_params(self):
        return self.cell.theta[: self.n_param]

    def seen(self, y):
        """Values as formulas see them (species as concentrations unless amount-based), (..., n)."""
        nc, ns = self.n_comp, self.n_species
        return jnp.concatenate([y[..., :nc], self.system.species_values(y), y[..., nc + ns :]], axis=-1)

    def env(self, y, t) -> dict:
        """SBML id -> value as formulas see it, plus ``time``."""
        v = self.seen(y)
        out = {sid: v[k] for k, sid in enumerate(self.ids)}
        out["time"] = jnp.asarray(t, dtype=v.dtype)
        return out

    def set_values(self, y, t, targets: list[tuple[int, object]]):
        """`y` with each (index, value) set at once, then the assignment rules at time `t`.

        Species values are concentrations (amounts for amount-based species), converted with the
        new compartment size; a compartment change keeps its species' concentrations."""
        nc, ns = self.n_comp, self.n_species
        sysm = self.system
        conc = sysm.species_values(y)
        new = y
        set_species = set()
        for k, v in targets:
            if nc <= k < nc + ns:
                set_species.add(k - nc)
            else:
                new = new.at[k].set(jnp.asarray(v, dtype=y.dtype))
        for k, v in targets:
            if nc <= k < nc + ns:
                i = k - nc
                v = jnp.asarray(v, dtype=y.dtype)
                new = new.at[k].set(v if sysm.amount_based[i] else v * new[sysm.species_comp[i]])
        changed_comps = {k for k, _ in targets if k < nc}
        for i in range(ns):
            if i not in set_species and not sysm.amount_based[i] and sysm.species_comp[i] in changed_comps:
                new = new.at[nc + i].set(conc[i] * new[sysm.species_comp[i]])
        theta = self.theta(new[nc + ns :])
        return sysm.apply_rules(new, t, theta)[0]

    def _cell_at(self, y):
        """(cell, condition) that start from symbol vector `y`."""
        nc, ns = self.n_comp, self.n_species
        cell = eqx.tree_at(lambda c: (c.volumes, c.theta), self.cell, (y[:nc], self.theta(y[nc + ns :])))
        cond = eqx.tree_at(lambda c: c.c0, self._cond0, self.system.species_values(y))
        return cell, cond

    def triggers(self, y, t):
        """The SBML event triggers' values at symbol vector `y`, time `t` (None without events)."""
        evs = self.cell.events
        if evs is None:
            return None
        env = self.system.env(y, t, self.theta(y[self.n_comp + self.n_species :]))
        return evs.trigger_values(evs.strict(evs.p(env)), env)

    def solve(self, y, ts, options: SolverOptions, trigger0=None):
        """(symbol vectors at `ts` (n_t, n), status) integrating from `y` at ``ts[0]``.

        `trigger0`: the event triggers' values before ``ts[0]`` (`triggers` of the state before a
        condition change), so an event whose trigger the change makes true fires then; None: the
        SBML initialValue (the start of an experiment)."""
        cell, cond = self._cell_at(y)
        if cell.events is None or trigger0 is None:
            values, status = solve_cell(cell, cond, ts, options)
            return values, status
        values, status, t_failed = solve_system(cell, cond, ts, options, options.max_events, trigger0)
        status, t_failed = check_partial(cell.species_values(values), ts, status, t_failed, options.negative_tol)
        return mask_after(values, ts, t_failed), status

    def steady(self, y, t0, options: SolverOptions, trigger0=None):
        """(steady-state symbol vector, status) integrating from `y` at `t0` until
        max|dx/dt| <= STEADY_ATOL + STEADY_RTOL max|x| (else `Status.NO_STEADY_STATE`). SBML
        events are not executed during this solve (a model with events is refused at load)."""
        cell, cond = self._cell_at(y)
        if cell.events is not None:
            return self._steady_with_events(cell, cond, t0, options, trigger0)
        y0, full, vf, x_of, _ = system_ode(cell, cond, t0)

        def norm(x):
            return jnp.max(jnp.abs(x))

        event = diffrax.Event(diffrax.steady_state_event(rtol=STEADY_RTOL, atol=STEADY_ATOL, norm=norm))
        sol = diffrax.diffeqsolve(
            diffrax.ODETerm(vf),
            options.solver,
            t0,
            t0 + STEADY_T_MAX,
            None,
            x_of(y0),
            args=(y0,),
            saveat=diffrax.SaveAt(t1=True),
            event=event,
            stepsize_controller=options.controller(STEADY_T_MAX),
            max_steps=options.max_steps,
            throw=False,
        )
        x, t_end = sol.ys[-1], sol.ts[-1]
        dx = vf(t_end, x, (y0,))
        ok = jnp.max(jnp.abs(dx)) <= 10 * (STEADY_ATOL + STEADY_RTOL * jnp.max(jnp.abs(x)))
        status = from_diffrax(sol.result)
        status = fail_where(status, ~jnp.all(jnp.isfinite(x)), Status.NONFINITE)
        status = fail_where(status, ~ok, Status.NO_STEADY_STATE)
        y_ss = full(x, y0, t_end)[0]
        return jnp.where(status == Status.SUCCESS, y_ss, jnp.nan), status

    def _steady_with_events(self, cell, cond, t0, options: SolverOptions, trigger0=None):
        """Steady state of a model with SBML events: the event-located solve over
        `STEADY_T_MAX_EVENTS` (events execute; `trigger0` as in `solve`), then the same residual
        check as `steady`."""
        ts = jnp.asarray([t0, t0 + STEADY_T_MAX_EVENTS])
        values, status, _ = solve_system(cell, cond, ts, options, options.max_events, trigger0)
        y_end = values[-1]
        _, _, vf, x_of, _ = system_ode(cell, eqx.tree_at(lambda c: c.c0, cond, cell.system.species_values(y_end)), t0)
        x = x_of(y_end)
        dx = vf(ts[-1], x, (y_end,))
        ok = jnp.max(jnp.abs(dx)) <= 10 * (STEADY_ATOL + STEADY_RTOL * jnp.max(jnp.abs(x)))
        status = fail_where(status, ~jnp.all(jnp.isfinite(y_end)), Status.NONFINITE)
        status = fail_where(status, ~ok, Status.NO_STEADY_STATE)
        return jnp.where(status == Status.SUCCESS, y_end, jnp.nan), status


def merge_status(a, b):
    """The first failure of two status codes (`yeastcell.status.first_failure`)."""
    return first_failure(a, b)
