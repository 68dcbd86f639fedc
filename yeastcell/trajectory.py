"""Trajectory: simulated time courses with names, units and a per-trajectory solver status.

Concentrations are mM, fluxes mM/min (referred to each reaction's compartment), time min.
A failed trajectory (status != 0) keeps the values saved up to the time its solve stopped
(`t_failed`) and holds NaN after it; its accessors raise `SolverError` (naming the stop time and
the last saved state's extreme species) unless ``allow_failed=True``, which returns those partial
values: a failed solve is never returned as valid numbers. A solved trajectory that left the
physiological bounds of `yeastcell.bounds` stays ``ok`` and carries the warning
`Status.IMPLAUSIBLE_STATE` (`warning`, `warnings`).
`Trajectory.to_dataframe` gives pandas DataFrames (long or wide) with these units.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ._expr import compile_formula
from .bounds import bounds_for, outside
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
        t_failed: time (min) where a failed solve stopped, shape (...): +inf for a trajectory that
            did not fail, -inf where no stop time is known. Values after it are NaN.
        warning: 0, or `Status.IMPLAUSIBLE_STATE` for a solved trajectory that left the
            physiological bounds (`yeastcell.bounds`), shape (...); not a failure.
        lanes_per_chunk: lanes per chunk a batch ran in from Python (`simulate_batch`, e.g. chunks
            that fit in memory), None where it ran as one program.
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
    t_failed: jnp.ndarray | None = None
    warning: jnp.ndarray | None = None
    lanes_per_chunk: int | None = eqx.field(static=True, default=None)

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
        """One message per trajectory: its status, or the warning of a solved one that left the bounds."""
        warn = np.broadcast_to(self._warning_codes(), np.shape(self.status)).ravel()
        return [
            describe(w) if c == Status.SUCCESS and w else describe(c)
            for c, w in zip(np.atleast_1d(np.asarray(self.status)), np.atleast_1d(warn))
        ]

    def raise_if_failed(self) -> Trajectory:
        """Raise `SolverError` naming every failed trajectory (its stop time and last saved state's
        extreme species); return self otherwise."""
        raise_for_status(self.status, "trajectories", self.labels, details=self._failure_details())
        return self

    def __getitem__(self, i) -> Trajectory:
        """Select trajectories of a batch (an int or a slice)."""
        if not self.batch_shape:
            raise IndexError("not a batch of trajectories")
        t, conc, flux, status = (x[i] for x in (self.t, self.conc, self.flux, self.status))
        labels = self.labels[i] if self.labels else ()
        labels = labels if isinstance(labels, tuple) else (labels,)
        values = self.values[i] if self.values is not None else None
        t_failed = self.t_failed[i] if self.t_failed is not None else None
        warning = self.warning[i] if self.warning is not None else None
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
            t_failed=t_failed,
            warning=warning,
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
            var_ids = [x for _, xs, _ in blocks for x in xs]
            kinds = [what for what, xs, _ in blocks for _ in xs]
            unit = [units[what][x] for what, xs, _ in blocks for x in xs]
            k = len(var_ids)
            stacked = (
                np.concatenate([np.swapaxes(v, 1, 2) for _, _, v in blocks], axis=1)
                if blocks
                else np.zeros((n_b, 0, n_t))
            )
            return pd.DataFrame(  # rows by condition, variable, time: each time course contiguous
                {
                    "condition": np.repeat(np.asarray(names, dtype=object), k * n_t),
                    "time_min": np.repeat(t[:, None, :], k, axis=1).reshape(-1),
                    "variable": np.tile(np.repeat(np.asarray(var_ids, dtype=object), n_t), n_b),
                    "kind": np.tile(np.repeat(np.asarray(kinds, dtype=object), n_t), n_b),
                    "value": stacked.reshape(-1),
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

    # ---------------------------------------------------------------- partial results and warnings
    def _warning_codes(self) -> np.ndarray:
        return np.zeros(np.shape(self.status), int) if self.warning is None else np.asarray(self.warning)

    @property
    def plausible(self):
        """Boolean (array): which trajectories stayed within the physiological bounds (failed ones: True)."""
        return self._warning_codes() == 0

    @property
    def warnings(self) -> list[str]:
        """One line per solved trajectory that left the physiological bounds of `yeastcell.bounds`,
        naming each species outside its bound, its extreme value and when."""
        codes = self._warning_codes()
        if not np.any(codes):
            return []
        t, c = np.asarray(self.t), np.asarray(self.conc)
        batch = t.ndim > 1
        t, c, codes = (t, c, codes) if batch else (t[None], c[None], np.atleast_1d(codes))
        lines = []
        for b in np.flatnonzero(codes):
            label = self.labels[b] if b < len(self.labels) else f"[{b}]"
            found = outside(self.spec, self.species_ids, t[b], c[b], sbml=bool(self.value_ids))
            lines.append(f"{label}: {Status(int(codes[b])).name}: " + "; ".join(found))
        return lines

    def partial(self) -> Trajectory:
        """The trajectory with every lane readable: failed lanes keep their values up to `t_failed`
        (NaN after); the accessors of the result do not raise. Check `.ok` / `.t_failed` yourself."""
        return dataclasses.replace(self, status=jnp.zeros_like(self.status), labels=self.labels)

    def last_state(self, allow_failed: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(t (...,), conc (..., n_species)): the last saved time with finite values of each
        trajectory and the concentrations there (mM); NaN where nothing finite was saved."""
        if not allow_failed:
            self.raise_if_failed()
        t, c = np.asarray(self.t), np.asarray(self.conc)
        finite = np.all(np.isfinite(c), axis=-1)  # (..., n_t)
        any_finite = np.any(finite, axis=-1)
        k = t.shape[-1] - 1 - np.argmax(finite[..., ::-1], axis=-1)
        t_last = np.where(any_finite, np.take_along_axis(t, k[..., None], -1)[..., 0], np.nan)
        c_last = np.take_along_axis(c, k[..., None, None], -2)[..., 0, :]
        return t_last, np.where(any_finite[..., None], c_last, np.nan)

    def failures(self) -> list[dict]:
        """One record per failed trajectory: index, label, status, the time its solve stopped
        (``t_failed``, min), the last saved time with finite values (``t_last``) and the species
        with the highest and lowest concentration there (mM; among the species `yeastcell.bounds`
        checks, i.e. not water or constant species, where the model has any)."""
        status = np.atleast_1d(np.asarray(self.status))
        tf = np.broadcast_to(np.asarray(self.t_failed) if self.t_failed is not None else -np.inf, status.shape)
        t_last, c_last = self.last_state()
        t_last, c_last = np.atleast_1d(t_last), np.atleast_2d(c_last)
        lo_b, hi_b = bounds_for(self.spec, self.species_ids, sbml=bool(self.value_ids))
        checked = np.isfinite(lo_b) | np.isfinite(hi_b)  # water and constant species left out
        out = []
        for b in np.flatnonzero(status != Status.SUCCESS):
            rec = {
                "index": int(b),
                "label": self.labels[b] if b < len(self.labels) else "",
                "status": Status(int(status[b])).name,
                "t_failed": float(np.ravel(tf)[b]),
                "t_last": float(t_last[b]),
            }
            if np.isfinite(t_last[b]):
                x = np.where(checked, c_last[b], np.nan) if checked.any() else c_last[b]
                hi, lo = int(np.nanargmax(x)), int(np.nanargmin(x))
                rec["highest"] = (self.species_ids[hi], float(c_last[b, hi]))
                rec["lowest"] = (self.species_ids[lo], float(c_last[b, lo]))
            out.append(rec)
        return out

    def failure_summary(self, limit: int | None = None) -> str:
        """A line per failed trajectory (up to `limit`): label, status, stop time, last state's
        extreme species; and a count line. Empty string when none failed."""
        recs = self.failures()
        if not recs:
            return ""
        lines = [f"{len(recs)} of {len(self)} trajectories failed"]
        for r in recs[:limit]:
            lines.append("  " + _failure_line(r))
        if limit is not None and len(recs) > limit:
            lines.append(f"  ... {len(recs) - limit} more (Trajectory.failures())")
        return "\n".join(lines)

    def _failure_details(self) -> list[str]:
        if self.t_failed is None:
            return []
        recs = {r["index"]: r for r in self.failures()}
        n = int(np.size(self.status))
        return [_failure_line(recs[b], status=False) if b in recs else "" for b in range(n)]


def _failure_line(r: dict, status: bool = True) -> str:
    head = f"[{r['index']}] {r['label']}: {r['status']} " if status else ""
    if not np.isfinite(r["t_failed"]):
        stop = "stop time unknown"
    else:
        stop = f"stopped at t={r['t_failed']:.6g} min"
    if "highest" not in r:
        return head + stop + "; nothing finite was saved"
    (hs, hv), (ls, lv) = r["highest"], r["lowest"]
    return (
        head + f"{stop}; last saved state (t={r['t_last']:.6g} min): highest {hs}={hv:.4g} mM, lowest {ls}={lv:.4g} mM"
    )


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
