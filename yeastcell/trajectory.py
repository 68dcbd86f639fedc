"""Trajectory: simulated time courses with names, units and a per-trajectory solver status.

Concentrations are mM, fluxes mM/min (referred to each reaction's compartment), time min.
`Trajectory.to_dataframe` gives pandas DataFrames (long or wide) with these units.
A failed trajectory (status != 0) holds NaN, and its accessors raise `SolverError` unless
``allow_failed=True``: a failed solve is never returned as valid numbers.
"""

from __future__ import annotations

import functools
from typing import Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ._expr import compile_formula
from .exceptions import UnknownNameError
from .spec import ModelSpec
from .status import Status, describe, raise_for_status


class Trajectory(eqx.Module):
    """Time courses of one condition, or a batch (leading axis) of conditions.

    Attributes:
        t: save times (min), shape (..., n_t).
        conc: concentrations of all species (mM), shape (..., n_t, n_species).
        flux: reaction rates (mM/min), shape (..., n_t, n_reactions).
        status: `Status` code, shape (...); 0 = success.
        values: for SBML-imported cells, the value of every symbol named in `value_ids`
            (compartment sizes, species *amounts*, parameters), shape (..., n_t, n_symbols); for
            such cells `conc` holds species values as the model sees them (concentration, or
            amount for hasOnlySubstanceUnits species) and `flux` amounts per time.
    """

    t: jnp.ndarray
    conc: jnp.ndarray
    flux: jnp.ndarray
    status: jnp.ndarray
    species_ids: tuple[str, ...] = eqx.field(static=True)
    reaction_ids: tuple[str, ...] = eqx.field(static=True)
    labels: tuple[str, ...] = eqx.field(static=True, default=())
    spec: ModelSpec | None = eqx.field(static=True, default=None)
    # SBML-style cells only: values of every symbol (compartment sizes, species amounts, parameters)
    values: jnp.ndarray | None = None
    value_ids: tuple[str, ...] = eqx.field(static=True, default=())

    units = {"t": "min", "conc": "mM", "flux": "mM/min"}

    # ---------------------------------------------------------------- status
    @property
    def batch_shape(self) -> tuple[int, ...]:
        return tuple(self.status.shape)

    @property
    def ok(self):
        """Boolean (array): which trajectories solved successfully."""
        return np.asarray(self.status) == Status.SUCCESS

    def status_messages(self) -> list[str]:
        return [describe(c) for c in np.atleast_1d(np.asarray(self.status))]

    def raise_if_failed(self) -> Trajectory:
        """Raise `SolverError` naming every failed trajectory; return self otherwise."""
        raise_for_status(self.status, "trajectories", self.labels)
        return self

    def __getitem__(self, i) -> Trajectory:
        """Select trajectories of a batch (an int or a slice)."""
        if not self.batch_shape:
            raise IndexError("not a batch of trajectories")
        t, conc, flux, status = (x[i] for x in (self.t, self.conc, self.flux, self.status))
        labels = self.labels[i] if self.labels else ()
        labels = labels if isinstance(labels, tuple) else (labels,)
        values = self.values[i] if self.values is not None else None
        return Trajectory(
            t,
            conc,
            flux,
            status,
            self.species_ids,
            self.reaction_ids,
            labels,
            self.spec,
            values=values,
            value_ids=self.value_ids,
        )

    def __len__(self) -> int:
        return self.batch_shape[0] if self.batch_shape else 1

    # ---------------------------------------------------------------- named access
    def _checked(self, arr, allow_failed: bool):
        if not allow_failed:
            self.raise_if_failed()
        return np.asarray(arr)

    def species(self, name: str, allow_failed: bool = False) -> np.ndarray:
        """Concentration time course of a species (mM), shape (..., n_t)."""
        i = _index(self.species_ids, name, "species")
        return self._checked(self.conc[..., i], allow_failed)

    def reaction_flux(self, name: str, allow_failed: bool = False) -> np.ndarray:
        """Rate time course of a reaction (mM/min), shape (..., n_t)."""
        j = _index(self.reaction_ids, name, "reaction")
        return self._checked(self.flux[..., j], allow_failed)

    def observable(self, name: str, allow_failed: bool = False) -> np.ndarray:
        """An observable declared in the model file, evaluated along the trajectory."""
        fn, params = _observable_formula(self.spec, name)
        env: dict[str, Any] = {s: self.conc[..., i] for i, s in enumerate(self.species_ids)}
        env.update({r: self.flux[..., j] for j, r in enumerate(self.reaction_ids)})
        env.update(params)
        return self._checked(jnp.broadcast_to(fn(env), self.t.shape), allow_failed)

    def to_rows(self, allow_failed: bool = False) -> tuple[list[str], np.ndarray]:
        """A table: header and rows [condition, t, species..., fluxes...] for CSV export."""
        header = (
            ["condition", "t_min"]
            + [f"{s} [mM]" for s in self.species_ids]
            + [f"{r} [mM/min]" for r in self.reaction_ids]
        )
        if not allow_failed:
            self.raise_if_failed()
        t, c, v = (np.asarray(a) for a in (self.t, self.conc, self.flux))
        if t.ndim == 1:
            t, c, v = t[None], c[None], v[None]
        rows = []
        for b in range(t.shape[0]):
            for k in range(t.shape[1]):
                rows.append([b, t[b, k], *c[b, k], *v[b, k]])
        return header, np.array(rows, dtype=float)

    # ---------------------------------------------------------------- pandas
    def units_of(self) -> dict[str, dict[str, str]]:
        """Unit of every species, reaction and declared observable: ``{"species": {id: unit},
        "flux": {...}, "observable": {...}}``. Native cells: mM, mM/min; SBML cells: mM, or mmol for
        amount-based species, and mmol/min for fluxes (amount per time), the file's own units
        standing for mmol, L and min (docs/sbml.md); observables: their declared unit ("" when
        none)."""
        spec = self.spec
        sbml = spec is not None and spec.uses_amount_semantics
        amount = {x.id for x in spec.species if x.amount_based} if spec is not None else set()
        return {
            "species": {x: ("mmol" if x in amount else "mM") for x in self.species_ids},
            "flux": {r: ("mmol/min" if sbml else "mM/min") for r in self.reaction_ids},
            "observable": {o.id: o.unit or "" for o in (spec.observables if spec is not None else ())},
        }

    def to_dataframe(
        self,
        kind: str = "long",
        include: tuple[str, ...] = ("species", "flux", "observable"),
        allow_failed: bool = False,
        conditions=None,
    ):
        """The trajectories as a pandas DataFrame.

        ``kind="long"``: one row per condition x variable x time, columns ``condition`` (the run's
        label, else its index), ``time_min`` (min), ``variable`` (species, reaction or observable
        id), ``kind`` (``"species"``, ``"flux"``, ``"observable"``), ``value``, ``unit`` (mM for
        concentrations, mM/min for fluxes; see `units_of`).

        ``kind="wide"``: one row per condition x time, columns ``condition``, ``time_min``, then one
        column per species, reaction (flux) and observable, named by id (a reaction or observable
        whose id is also a species id gets the suffix `` (flux)`` / `` (observable)``); their units
        are in ``df.attrs["units"]`` (column -> unit).

        `include` picks the variable kinds; `conditions` names the runs (one string per run, e.g.
        their perturbations in the notation, ``["wt", "ko:HXK2"]``), instead of the labels. With
        notation names both frames read back as a `Dataset` (`Dataset.from_dataframe`). `to_rows`
        gives the CSV table of ``yeastcell simulate -o``.

        Raises:
            SolverError: a trajectory failed (unless ``allow_failed``: its values are NaN).
            ValueError: an unknown `kind` or `include` entry, or not one name per run in `conditions`.
        """
        import pandas as pd

        if kind not in ("long", "wide"):
            raise ValueError(f"kind must be 'long' or 'wide', got {kind!r}")
        bad = [k for k in include if k not in ("species", "flux", "observable")]
        if bad:
            raise ValueError(f"include: unknown variable kinds {bad}; known: species, flux, observable")
        if not allow_failed:
            self.raise_if_failed()
        units = self.units_of()
        blocks = []  # (kind, ids, values (B, T, K))
        t = np.asarray(self.t).reshape(-1, np.shape(self.t)[-1])
        n_b, n_t = t.shape
        if "species" in include:
            blocks.append(("species", self.species_ids, np.asarray(self.conc).reshape(n_b, n_t, -1)))
        if "flux" in include:
            blocks.append(("flux", self.reaction_ids, np.asarray(self.flux).reshape(n_b, n_t, -1)))
        if "observable" in include and units["observable"]:
            ids = tuple(units["observable"])
            vals = [np.asarray(self.observable(o, allow_failed=True)).reshape(n_b, n_t) for o in ids]
            blocks.append(("observable", ids, np.stack(vals, axis=-1)))
        if conditions is not None:
            names = [conditions] if isinstance(conditions, str) else [str(c) for c in conditions]
            if len(names) != n_b:
                raise ValueError(f"conditions: {len(names)} names for {n_b} runs")
        else:
            names = list(self.labels) if len(self.labels) == n_b else [str(b) for b in range(n_b)]
        if kind == "long":
            ids = [x for _, xs, _ in blocks for x in xs]
            kinds = [what for what, xs, _ in blocks for _ in xs]
            unit = [units[what][x] for what, xs, _ in blocks for x in xs]
            k = len(ids)
            vals = (
                np.concatenate([np.swapaxes(v, 1, 2) for _, _, v in blocks], axis=1)
                if blocks
                else np.zeros((n_b, 0, n_t))
            )
            return pd.DataFrame(  # rows by condition, variable, time: each time course contiguous
                {
                    "condition": np.repeat(np.asarray(names, dtype=object), k * n_t),
                    "time_min": np.repeat(t[:, None, :], k, axis=1).reshape(-1),
                    "variable": np.tile(np.repeat(np.asarray(ids, dtype=object), n_t), n_b),
                    "kind": np.tile(np.repeat(np.asarray(kinds, dtype=object), n_t), n_b),
                    "value": vals.reshape(-1),
                    "unit": np.tile(np.repeat(np.asarray(unit, dtype=object), n_t), n_b),
                }
            )
        data = {"condition": np.repeat(np.asarray(names, dtype=object), n_t), "time_min": t.reshape(-1)}
        col_units = {"time_min": "min"}
        for what, ids, v in blocks:
            for j, x in enumerate(ids):
                col = x if (what == "species" or x not in self.species_ids) else f"{x} ({what})"
                data[col] = v[:, :, j].reshape(-1)
                col_units[col] = units[what][x]
        df = pd.DataFrame(data)
        df.attrs["units"] = col_units
        return df


def _index(names, name, what) -> int:
    try:
        return names.index(name)
    except ValueError:
        low = [n.lower() for n in names]
        if name.lower() in low:
            return low.index(name.lower())
        raise UnknownNameError(what, name, names) from None


@functools.lru_cache(maxsize=256)
def _observable_formula(spec, name: str):
    """(compiled formula, parameter values) of observable `name` of the model `spec` (specs hash by
    identity): compiled once per model, not at every read."""
    obs = {o.id: o for o in (spec.observables if spec is not None else ())}
    if name not in obs:
        raise UnknownNameError("observable", name, obs)
    params = {p.id: p.value for p in spec.parameters}
    names = {s.id for s in spec.species} | {r.id for r in spec.reactions} | set(params)
    return compile_formula(obs[name].expression, names), params
