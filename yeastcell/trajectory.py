"""Trajectory: simulated time courses with names, units and a per-trajectory solver status.

Concentrations are mM, fluxes mM/min (referred to each reaction's compartment), time min.
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
