"""`Dataset`: measured values over conditions × replicates × time points × observables.

Axes and units:
    conditions   perturbations in yeastcell's notation (`yeastcell.perturb.notation`), e.g. ``"wt"``,
                 ``"ko:PDC1,PDC5,PDC6"``, ``"cond:nacl_0.4M"``; parsed once, on construction, into
                 `Dataset.perturbations`;
    replicates   biological/technical replicates (axis position = replicate number - 1);
    times_min    time points in minutes, strictly increasing;
    observables  ids of model species, model observables or other measured quantities.

``values[c, r, t, o]`` is a float64 number in ``units[observable]`` (or a log2 fold change when
``transform == "log2fc"``); ``mask`` says which entries were measured, and every unmeasured entry
is NaN. A Dataset is immutable (its arrays are read-only), validated on construction, and written
to / read from HDF5 (`docs/dataset_format.md`) and long tables (CSV/TSV).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..exceptions import DatasetError, PerturbationError, UnknownNameError
from ..observe import ObservationModel
from ..perturb import Perturbation, resolve
from ..perturb.notation import parse_perturbation
from ._hdf5 import read_hdf5_fields, write_hdf5
from .merge import merged_fields
from .tables import dataset_to_frame, read_table_fields, write_table

TRANSFORMS = ("raw", "log2fc")
AXES = ("conditions", "times", "observables")


def _freeze(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def _text(x: str, what: str) -> str:
    """`x` unless it holds characters no file format here can store (NUL, lone surrogates)."""
    if "\x00" in x:
        raise DatasetError(f"{what}: {x!r} contains a NUL character")
    try:
        x.encode("utf-8")
    except UnicodeEncodeError:
        raise DatasetError(f"{what}: {x!r} is not valid Unicode text (lone surrogate)") from None
    return x


def _names(value, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise DatasetError(f"{what} must be a sequence of strings, not the single string {value!r}")
    try:
        out = tuple(value)
    except TypeError:
        raise DatasetError(f"{what} must be a sequence of strings, got {type(value).__name__}") from None
    for x in out:
        if not isinstance(x, str) or not x.strip() or x != x.strip():
            raise DatasetError(f"{what}: {x!r} is not a non-empty string without surrounding blanks")
        _text(x, what)
    seen: set[str] = set()
    dup: list[str] = []
    for x in out:
        if x in seen:
            dup.append(x)
        seen.add(x)
    if dup:
        raise DatasetError(f"{what}: duplicate entries {sorted(set(dup))[:5]}")
    return out


@functools.lru_cache(maxsize=4096)
def parse_condition(text: str) -> Perturbation:
    """The symbolic perturbation a condition string names.

    Cached by string (perturbations are immutable): the subsets, splits and merges of a dataset
    reuse the parse of the dataset they came from instead of parsing their conditions again.

    Raises:
        DatasetError: `text` is not in the perturbation notation.
    """
    try:
        return parse_perturbation(text)
    except (PerturbationError, UnknownNameError) as err:
        raise DatasetError(f"condition {text!r} is not in yeastcell's perturbation notation: {err}") from None


@dataclass(frozen=True, eq=False)
class Dataset:
    """Measured time courses (or steady states) of perturbations; see the module docstring.

    Attributes:
        conditions: perturbation per condition (notation strings), length n_cond.
        times_min: (n_t,) float64, minutes, strictly increasing.
        observables: observable ids, length n_obs.
        values: (n_cond, n_rep, n_t, n_obs) float64; NaN where not measured.
        mask: same shape, bool, True = measured.
        transform: ``"raw"`` (values in `units`) or ``"log2fc"`` (log2 fold change vs `reference`
            at `reference_time_min`).
        reference: reference condition of a log2 fold change (notation string) or None.
        reference_time_min: reference time (min) of a log2 fold change, or None.
        units: unit per observable (every observable has an entry; ``""`` = dimensionless).
        provenance: free-text metadata: source, doi, file, sha256, notes.
        annotations: per-observable annotation columns, e.g. ``{"orf": (...)}``, each of length n_obs.
        perturbations: the symbolic perturbation of each condition (parsed from `conditions` on
            construction; not an argument), length n_cond.
        reference_perturbation: the symbolic perturbation of `reference`, or None (not an argument).

    Raises:
        DatasetError: on construction, naming the inconsistent item.
    """

    conditions: tuple[str, ...]
    times_min: np.ndarray
    observables: tuple[str, ...]
    values: np.ndarray
    mask: np.ndarray
    transform: str = "raw"
    reference: str | None = None
    reference_time_min: float | None = None
    units: Mapping[str, str] = field(default_factory=dict)
    provenance: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    perturbations: tuple[Perturbation, ...] = field(init=False, repr=False, compare=False)
    reference_perturbation: Perturbation | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        conds = _names(self.conditions, "conditions")
        perts = tuple(parse_condition(c) for c in conds)
        obs = _names(self.observables, "observables")
        try:
            t = np.asarray(self.times_min, dtype=np.float64)
        except (TypeError, ValueError):
            raise DatasetError("times_min must be numbers (minutes)") from None
        if t.ndim != 1 or t.size == 0:
            raise DatasetError(f"times_min must be a non-empty 1-D array, got shape {t.shape}")
        if not np.all(np.isfinite(t)):
            raise DatasetError(f"times_min holds non-finite values: {t[~np.isfinite(t)][:5]}")
        if t.size > 1 and not np.all(np.diff(t) > 0):
            k = int(np.nonzero(np.diff(t) <= 0)[0][0])
            raise DatasetError(f"times_min must be strictly increasing: {t[k]} min is followed by {t[k + 1]} min")
        try:
            v = np.array(self.values, dtype=np.float64)
        except (TypeError, ValueError):
            raise DatasetError("values must be numbers (float64)") from None
        m = np.asarray(self.mask)
        if m.dtype != np.bool_:
            raise DatasetError(f"mask must be a boolean array, got dtype {m.dtype}")
        if v.ndim != 4 or v.shape[0] != len(conds) or v.shape[2] != t.size or v.shape[3] != len(obs) or v.shape[1] < 1:
            raise DatasetError(
                f"values must have shape (n_cond={len(conds)}, n_rep>=1, n_t={t.size}, n_obs={len(obs)}), got {v.shape}"
            )
        if m.shape != v.shape:
            raise DatasetError(f"mask shape {m.shape} differs from values shape {v.shape}")
        bad = m & ~np.isfinite(v)
        if bad.any():
            c, r, k, o = (int(i) for i in np.argwhere(bad)[0])
            raise DatasetError(
                f"{int(bad.sum())} entries are marked measured but are NaN/inf, first: condition "
                f"{conds[c]!r}, replicate {r + 1}, t = {t[k]} min, observable {obs[o]!r}"
            )
        v[~m] = np.nan
        if self.transform not in TRANSFORMS:
            raise DatasetError(f"transform must be one of {TRANSFORMS}, got {self.transform!r}")
        ref = self.reference
        ref_pert = None
        if ref is not None:
            if not isinstance(ref, str) or not ref.strip():
                raise DatasetError(f"reference must be a condition string or None, got {ref!r}")
            ref_pert = parse_condition(ref)
        rt = self.reference_time_min
        if rt is not None:
            try:
                rt = float(rt)
            except (TypeError, ValueError):
                raise DatasetError(f"reference_time_min must be a number (min) or None, got {rt!r}") from None
            if not np.isfinite(rt):
                raise DatasetError(f"reference_time_min must be finite, got {rt}")
        if self.transform == "log2fc" and ref is None and rt is None:
            raise DatasetError("a log2fc dataset needs a reference condition and/or reference_time_min")
        units = dict(self.units or {})
        for k, u in units.items():
            if k not in obs:
                raise UnknownNameError("observable (in units)", str(k), obs)
            if not isinstance(u, str):
                raise DatasetError(f"unit of {k!r} must be a string, got {u!r}")
            _text(u, f"unit of {k!r}")
        default = "log2" if self.transform == "log2fc" else ""
        units = {o: units.get(o, default).strip() for o in obs}  # "mM " and "mM" are one unit
        prov = dict(self.provenance or {})
        for k, p in prov.items():
            if not isinstance(k, str) or not k or not isinstance(p, str):
                raise DatasetError(f"provenance entries must be non-empty str -> str, got {k!r}: {p!r}")
            _text(k, "provenance key")
            _text(p, f"provenance[{k!r}]")
        ann = {}
        for k, col in dict(self.annotations or {}).items():
            if not isinstance(k, str) or not k.strip() or "/" in k or k.strip(".") == "":
                raise DatasetError(f"annotation names must be non-empty strings without '/', got {k!r}")
            _text(k, "annotation name")
            col = tuple(col)
            if len(col) != len(obs) or not all(isinstance(x, str) for x in col):
                raise DatasetError(f"annotation {k!r} must hold one string per observable ({len(obs)})")
            for x in col:
                _text(x, f"annotation {k!r}")
            ann[k] = col
        s = object.__setattr__
        s(self, "conditions", conds)
        s(self, "observables", obs)
        s(self, "times_min", _freeze(t))
        s(self, "values", _freeze(v))
        s(self, "mask", _freeze(m))
        s(self, "reference_time_min", rt)
        s(self, "units", units)
        s(self, "provenance", prov)
        s(self, "annotations", ann)
        s(self, "perturbations", perts)
        s(self, "reference_perturbation", ref_pert)

    # ------------------------------------------------------------------ shape
    @property
    def shape(self) -> tuple[int, int, int, int]:
        """(n_cond, n_rep, n_t, n_obs)."""
        return tuple(self.values.shape)

    @property
    def n_replicates(self) -> int:
        return self.values.shape[1]

    def __repr__(self) -> str:
        nc, nr, nt, no = self.shape
        return (
            f"Dataset({nc} conditions × {nr} replicates × {nt} times × {no} observables, "
            f"{int(self.mask.sum())} measured, transform={self.transform!r})"
        )

    def equals(self, other: Dataset) -> bool:
        """True when every field matches exactly (NaN == NaN in `values`)."""
        if not isinstance(other, Dataset):
            return False
        return (
            self.conditions == other.conditions
            and self.observables == other.observables
            and np.array_equal(self.times_min, other.times_min)
            and self.shape == other.shape
            and np.array_equal(self.mask, other.mask)
            and np.array_equal(self.values, other.values, equal_nan=True)
            and self.transform == other.transform
            and self.reference == other.reference
            and self.reference_time_min == other.reference_time_min
            and self.units == other.units
            and self.provenance == other.provenance
            and self.annotations == other.annotations
        )

    def replace(self, **changes) -> Dataset:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ indices
    def condition_index(self, name: str) -> int:
        if name not in self.conditions:
            raise UnknownNameError("condition", name, self.conditions)
        return self.conditions.index(name)

    def observable_index(self, name: str) -> int:
        if name not in self.observables:
            raise UnknownNameError("observable", name, self.observables)
        return self.observables.index(name)

    def time_index(self, t_min: float, rtol: float = 1e-9, atol: float = 1e-9) -> int:
        hit = np.nonzero(np.isclose(self.times_min, float(t_min), rtol=rtol, atol=atol))[0]
        if hit.size == 0:
            raise DatasetError(
                f"time {t_min} min is not a time point of this dataset "
                f"({', '.join(f'{x:g}' for x in self.times_min[:20])})"
            )
        return int(hit[0])

    # ------------------------------------------------------------------ selection
    def subset(
        self,
        conditions: Sequence[str] | None = None,
        observables: Sequence[str] | None = None,
        times: Sequence[float] | None = None,
        time_range: tuple[float, float] | None = None,
        replicates: Sequence[int] | None = None,
    ) -> Dataset:
        """A dataset restricted to some conditions, observables, times (min) and replicates (1-based).

        `times` lists time points that must exist; `time_range` keeps lo <= t <= hi (min).

        Raises:
            UnknownNameError: an unknown condition or observable (with close matches).
            DatasetError: a time that is not a time point, or an empty selection.
        """
        ci = (
            list(range(len(self.conditions)))
            if conditions is None
            else [self.condition_index(c) for c in _names(conditions, "conditions")]
        )
        oi = (
            list(range(len(self.observables)))
            if observables is None
            else [self.observable_index(o) for o in _names(observables, "observables")]
        )
        ti = list(range(self.times_min.size)) if times is None else sorted({self.time_index(t) for t in times})
        if time_range is not None:
            lo, hi = (float(x) for x in time_range)
            ti = [k for k in ti if lo <= self.times_min[k] <= hi]
        if replicates is None:
            ri = list(range(self.n_replicates))
        else:
            ri = [int(r) - 1 for r in replicates]
            if any(r < 0 or r >= self.n_replicates for r in ri):
                raise DatasetError(f"replicates must be in 1..{self.n_replicates}, got {list(replicates)}")
        if not (ci and oi and ti and ri):
            raise DatasetError("the selection is empty")
        ix = np.ix_(ci, ri, ti, oi)
        keep = [self.observables[i] for i in oi]
        return dataclasses.replace(
            self,
            conditions=tuple(self.conditions[i] for i in ci),
            times_min=self.times_min[ti],
            observables=tuple(keep),
            values=self.values[ix],
            mask=self.mask[ix],
            units={o: self.units[o] for o in keep},
            annotations={k: tuple(col[i] for i in oi) for k, col in self.annotations.items()},
        )

    def split(
        self, axis: str, holdout: Iterable | None = None, fraction: float | None = None, seed: int = 0
    ) -> tuple[Dataset, Dataset]:
        """Split into (train, validation) along ``"conditions"``, ``"times"`` or ``"observables"``.

        Either `holdout` names the validation items (condition/observable names or time points in
        min), or `fraction` of the items is drawn at random with `seed` (at least one on each side).

        Raises:
            DatasetError: bad axis, both or neither of holdout/fraction, a split leaving a side empty.
        """
        if axis not in AXES:
            raise DatasetError(f"split axis must be one of {AXES}, got {axis!r}")
        if (holdout is None) == (fraction is None):
            raise DatasetError("give exactly one of holdout= or fraction=")
        per_axis: dict[str, list[Any]] = {
            "conditions": list(self.conditions),
            "observables": list(self.observables),
            "times": [float(t) for t in self.times_min],
        }
        items = per_axis[axis]
        if fraction is not None:
            if not 0 < float(fraction) < 1:
                raise DatasetError(f"fraction must be in (0, 1), got {fraction}")
            n_val = round(float(fraction) * len(items))
            n_val = min(max(n_val, 1), len(items) - 1)
            if len(items) < 2:
                raise DatasetError(f"cannot split {len(items)} {axis}")
            pick = np.random.default_rng(seed).choice(len(items), size=n_val, replace=False)
            val = {items[i] for i in pick}
        elif axis == "times":
            assert holdout is not None  # exactly one of holdout and fraction was given (checked above)
            val = {items[self.time_index(t)] for t in holdout}
        else:
            assert holdout is not None
            names = list(holdout)
            for n in names:
                (self.condition_index if axis == "conditions" else self.observable_index)(n)
            val = set(names)
        train = [x for x in items if x not in val]
        valid = [x for x in items if x in val]
        if not train or not valid:
            raise DatasetError(f"split along {axis} leaves one side empty")
        key = {"conditions": "conditions", "observables": "observables", "times": "times"}[axis]
        train_kw: dict[str, Any] = {key: train}
        valid_kw: dict[str, Any] = {key: valid}
        return self.subset(**train_kw), self.subset(**valid_kw)

    def merge(self, *others: Dataset, replicates: str = "error") -> Dataset:
        """Union with other datasets (see `merge`)."""
        return merge(self, *others, replicates=replicates)

    def mean_over_replicates(self) -> Dataset:
        """One replicate: the mean of the measured replicates (mask = measured in any)."""
        m = cast(np.ndarray, self.mask.any(axis=1, keepdims=True))  # keepdims: an array, not a scalar
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(self.mask, self.values, 0.0).sum(axis=1, keepdims=True)
            v = s / np.maximum(self.mask.sum(axis=1, keepdims=True), 1)
        return dataclasses.replace(self, values=np.where(m, v, np.nan), mask=m)

    # ------------------------------------------------------------------ model check
    def check_against(
        self,
        cell,
        extra: Iterable[str] = (),
        resolve_conditions: bool = False,
        mapping: Mapping[str, str] | None = None,
    ) -> Dataset:
        """Check that every observable is something `cell` can predict.

        An observable (or its `mapping` target) must be a species, reaction or declared observable
        of the cell, or a protein quantity ``total:P`` / ``phospho:P`` / ``pfrac:P`` (see
        `yeastcell.observe`); `extra` lists further names provided elsewhere. With
        `resolve_conditions`, every condition (and the reference) is also resolved against the cell
        (gene names, species of pulses...). Returns self.

        Raises:
            UnknownNameError: the first unknown observable (or gene/species of a condition), with close matches.
            YeastcellError: a protein quantity the cell has no forms for.
        """
        skip = set(extra)
        names = [o for o in self.observables if o not in skip]
        mapping = dict(mapping or {})
        for k in mapping:
            if k not in self.observables:
                raise UnknownNameError("observable (in mapping)", k, self.observables)
        ObservationModel.build(cell, names, mapping={k: v for k, v in mapping.items() if k in names})
        if resolve_conditions:
            ref = [self.reference_perturbation] if self.reference_perturbation is not None else []
            for p in list(self.perturbations) + ref:
                resolve(cell, p)
        return self

    # ------------------------------------------------------------------ I/O
    def to_hdf5(self, path: str | Path) -> Path:
        """Write to HDF5 (layout: docs/dataset_format.md), atomically; returns the path."""
        return write_hdf5(self, path)

    @classmethod
    def from_hdf5(cls, path: str | Path) -> Dataset:
        """Read a Dataset written by `to_hdf5`.

        Raises:
            DatasetError: not a yeastcell dataset file, a newer format version, missing items.
        """
        return cls(**read_hdf5_fields(path))

    def to_table(self, path: str | Path | None = None):
        """Long table (condition, time_min, observable, value, replicate, unit) of measured entries.

        With `path` (.csv, .tsv, optionally .gz) the table is written atomically, with the dataset's
        metadata in leading ``#`` lines, and the path is returned; without, a pandas DataFrame.
        """
        return dataset_to_frame(self) if path is None else write_table(self, path)

    @classmethod
    def from_table(cls, path_or_df, time_unit: str | None = None, missing: str = "error", **meta) -> Dataset:
        """Build a Dataset from a long table (file path or pandas DataFrame); see `read_table`."""
        return read_table(path_or_df, time_unit=time_unit, missing=missing, **meta)

    def to_dataframe(self):
        """The measured entries as a long pandas DataFrame, one row per measured value: columns
        ``condition`` (notation), ``time_min`` (min), ``observable``, ``value`` (in ``unit``, or a
        log2 fold change), ``replicate`` (1-based), ``unit``.

        ``df.attrs["yeastcell_dataset"]`` holds what the rows cannot (transform, reference,
        reference time, provenance, annotations, and every condition, time and observable measured
        or not), so `Dataset.from_dataframe` rebuilds this dataset exactly.
        """
        return dataset_to_frame(self)

    @classmethod
    def from_dataframe(cls, df, time_unit: str | None = None, missing: str = "error", **meta) -> Dataset:
        """A Dataset from a pandas DataFrame: the long frame of `to_dataframe` (exact round trip,
        metadata from ``df.attrs``), any long table (columns as in `read_table`), the long frame of
        `Trajectory.to_dataframe` (its ``variable`` column is the observable) or a wide frame (one
        column per observable, e.g. ``Trajectory.to_dataframe(kind="wide")``).

        Args:
            time_unit, missing, **meta: as for `read_table` (`meta` overrides ``df.attrs``).

        Raises:
            DatasetError: as `read_table`; also when `df` is not a DataFrame.
        """
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise DatasetError(f"from_dataframe takes a pandas DataFrame, got {type(df).__name__}")
        return read_table(df, time_unit=time_unit, missing=missing, **meta)


def read_table(source, time_unit: str | None = None, missing: str = "error", **meta) -> Dataset:
    """Build a `Dataset` from a long table (a .csv/.tsv[.gz] path or a pandas DataFrame).

    Columns and ``#`` metadata lines: `yeastcell.data.tables`.

    Args:
        time_unit: unit of a plain ``time`` column (s, min, h) when the table has no ``time_unit``.
        missing: ``"error"`` (a row whose value is empty/NaN is an error) or ``"drop"`` (such rows
            are treated as not measured).
        **meta: Dataset fields not in the table: transform, reference, reference_time_min, units,
            provenance, annotations (override the file's ``#`` metadata).

    Raises:
        DatasetError: missing columns, non-numeric or NaN values, bad time units, duplicate rows,
            and anything the Dataset itself rejects; the message names the row (1-based, as in the file).
    """
    fields, where = read_table_fields(source, time_unit=time_unit, missing=missing, **meta)
    try:
        return Dataset(**fields)
    except DatasetError as err:
        raise DatasetError(f"{where}: {err}") from None


def merge(*datasets: Dataset, replicates: str = "error") -> Dataset:
    """One `Dataset` holding every measured entry of `datasets`.

    Axes are unions (conditions and observables in order of first appearance, times sorted).
    All datasets must share transform, reference and reference time, and agree on the unit and
    annotations of shared observables. With ``replicates="error"`` an entry (condition, replicate,
    time, observable) measured in two datasets is an error; with ``"append"`` each dataset's
    replicates of a condition come after those of the datasets before it.
    Provenance entries that differ are joined with `` | ``.

    Raises:
        DatasetError: nothing to merge, incompatible datasets, or a conflicting entry (named).
    """
    if not datasets:
        raise DatasetError("merge needs at least one dataset")
    if replicates not in ("error", "append"):
        raise DatasetError(f"replicates must be 'error' or 'append', got {replicates!r}")
    for d in datasets:
        if not isinstance(d, Dataset):
            raise DatasetError(f"merge takes Datasets, got {type(d).__name__}")
    return Dataset(**merged_fields(datasets, replicates))
