"""Long tables (CSV/TSV) <-> the fields of a `Dataset` (this module does not import `Dataset`:
`Dataset.from_table` and `Dataset.to_table` call it).

One row per measured value::

    condition, time_min, observable, value, replicate, unit

* ``condition``: perturbation notation (``wt``, ``ko:HXK2``, ``cond:nacl_0.4M`` ...).
* time: a column ``time_min``, ``time_s`` or ``time_h``; or a column ``time`` with either a
  ``time_unit`` column (per row) or the `time_unit` argument. Accepted units: s, min, h
  (and spelled-out forms); times are converted to minutes.
* ``replicate``: optional positive integer (default 1); replicate r goes to axis position r - 1.
* ``unit``: optional, one unit per observable.

Wide tables are read too: one row per condition and time (columns ``condition``, a time column
as above or ``t_min``, and one column per observable, named ``ID`` or ``ID [unit]``), such as the
CSV of ``yeastcell simulate -o`` and `Trajectory.to_dataframe(kind="wide")`; a ``variable`` column
stands for ``observable`` (the long frames of `Trajectory.to_dataframe`).

A DataFrame made by `dataset_to_frame` carries the dataset's metadata (transform, reference,
provenance, annotations and the full axes) in ``df.attrs["yeastcell_dataset"]``, so
Dataset -> DataFrame -> Dataset is exact, as through a file.

Files written by `write_table` start with ``#`` lines holding the dataset's metadata as JSON
(``# yeastcell-dataset-table: 1``, ``# transform: "raw"``, ..., and ``# axes: {...}`` with every
condition, observable, time and unit, measured or not); `read_table_fields` reads them back, so
Dataset -> CSV -> Dataset and CSV -> Dataset -> HDF5 -> Dataset -> CSV are exact. A missing
measurement is a missing row.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from ..exceptions import DatasetError
from ..io import atomic_path

TABLE_VERSION = 1
TIME_UNITS = {
    "s": "s",
    "sec": "s",
    "second": "s",
    "seconds": "s",
    "min": "min",
    "minute": "min",
    "minutes": "min",
    "h": "h",
    "hr": "h",
    "hour": "h",
    "hours": "h",
}
META_KEYS = ("transform", "reference", "reference_time_min", "provenance", "annotations")
COLUMNS = ["condition", "time_min", "observable", "value", "replicate", "unit"]
FRAME_META = "yeastcell_dataset"  # df.attrs key of a DataFrame's dataset metadata
_WIDE_TIME = {"t_min": "time_min"}  # the trajectory CSV's time column
_ID_VARS = {"condition", "time_min", "time_s", "time_h", "time", "time_unit", "replicate", "t_min", "status"}


def to_minutes(t: np.ndarray, unit: str) -> np.ndarray:
    """Convert times in `unit` (s, min, h or a spelled-out form) to minutes."""
    key = TIME_UNITS.get(str(unit).strip().lower())
    if key is None:
        raise DatasetError(f"unknown time unit {unit!r}; use s, min or h")
    t = np.asarray(t, dtype=np.float64)
    return t / 60.0 if key == "s" else (t * 60.0 if key == "h" else t)


def _time_unit(unit, where: str) -> str:
    key = str(unit).strip().lower()
    if key not in TIME_UNITS:
        raise DatasetError(f"{where}: unknown time unit {unit!r}; use s, min or h")
    return TIME_UNITS[key]


def _sep(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".tsv", ".tab", ".txt")):
        return "\t"
    if name.endswith(".csv"):
        return ","
    raise DatasetError(f"{path}: table files must end in .csv, .tsv, .tab or .txt (optionally .gz)")


def _open_text(path: Path, mode: str):
    if path.name.lower().endswith(".gz"):
        import gzip

        return gzip.open(path, mode + "t", encoding="utf-8", newline="")
    return open(path, mode, encoding="utf-8", newline="")


def _read_file(path: Path):
    import pandas as pd

    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    try:
        with _open_text(path, "r") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise DatasetError(f"{path}: cannot read as UTF-8 text ({err})") from None
    meta = {}
    lines = text.split("\n")
    k = 0
    while k < len(lines) and lines[k].startswith("#"):
        entry = lines[k][1:].strip()
        if ":" in entry:
            key, val = entry.split(":", 1)
            try:
                meta[key.strip()] = json.loads(val)
            except json.JSONDecodeError:
                raise DatasetError(f"{path}: line {k + 1}: metadata {key.strip()!r} is not JSON") from None
        k += 1
    body = "\n".join(lines[k:])
    if not body.strip():
        raise DatasetError(f"{path}: the table is empty")
    try:
        df = pd.read_csv(io.StringIO(body), sep=_sep(path), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise DatasetError(f"{path}: cannot parse the table ({err})") from None
    return df, meta, k


def read_table_fields(source, time_unit: str | None = None, missing: str = "error", **meta) -> tuple[dict, str]:
    """The fields of a `Dataset` (keyword arguments of its constructor) read from a long table (a
    .csv/.tsv[.gz] path or a pandas DataFrame), and where they came from (the path, or "table")
    for messages about them. `Dataset.from_table` builds the dataset; the arguments are those of
    `yeastcell.data.read_table`.

    Raises:
        DatasetError: missing columns, non-numeric or NaN values, bad time units, duplicate rows;
            the message names the row (1-based, as in the file).
    """
    import pandas as pd

    if missing not in ("error", "drop"):
        raise DatasetError(f"missing must be 'error' or 'drop', got {missing!r}")
    unknown = set(meta) - set(META_KEYS) - {"units"}
    if unknown:
        raise DatasetError(f"unknown dataset fields {sorted(unknown)}; known: {list(META_KEYS) + ['units']}")
    frame_units: dict = {}
    if isinstance(source, pd.DataFrame):
        df, skip, where = source.astype(str), 0, "table"
        df = df.where(source.notna(), "")
        file_meta = json.loads(json.dumps(source.attrs.get(FRAME_META, {})))  # a copy, as from a file
        frame_units = dict(source.attrs.get("units", {}))  # Trajectory.to_dataframe(kind="wide")
    else:
        path = Path(source)
        df, file_meta, skip = _read_file(path)
        where = str(path)
    df = _long(df, frame_units)
    version = file_meta.pop("yeastcell-dataset-table", TABLE_VERSION)
    if not isinstance(version, int) or version > TABLE_VERSION:
        raise DatasetError(
            f"{where}: table format version {version!r} is newer than this yeastcell "
            f"reads ({TABLE_VERSION}); upgrade yeastcell"
        )
    df = df.rename(columns={c: str(c).strip().lower() for c in df.columns})
    cols = set(df.columns)
    need = {"condition", "observable", "value"}
    if not need <= cols:
        raise DatasetError(f"{where}: missing column(s) {sorted(need - cols)}; found {sorted(cols)}")
    if len(df) == 0:
        raise DatasetError(f"{where}: the table has no rows")
    row0 = skip + 2  # file line of the first data row (1-based, after the header)

    # time in minutes
    tcols = [c for c in ("time_min", "time_s", "time_h", "time") if c in cols]
    if len(tcols) != 1:
        raise DatasetError(
            f"{where}: need exactly one time column (time_min, time_s, time_h, or time "
            f"with a time_unit column/argument); found {tcols or 'none'}"
        )
    tcol = tcols[0]
    if tcol == "time":
        if "time_unit" in cols:
            units_t = [_time_unit(u, f"{where}: row {row0 + i}") for i, u in enumerate(df["time_unit"])]
        elif time_unit is not None:
            units_t = [_time_unit(time_unit, "time_unit argument")] * len(df)
        else:
            raise DatasetError(
                f"{where}: column 'time' has no unit; add a time_unit column, name the "
                "column time_s/time_min/time_h, or pass time_unit='s'|'min'|'h'"
            )
    else:
        if time_unit is not None and _time_unit(time_unit, "time_unit argument") != tcol.split("_")[1]:
            raise DatasetError(f"{where}: time_unit={time_unit!r} contradicts column {tcol!r}")
        units_t = [tcol.split("_")[1]] * len(df)

    def numbers(col: str, allow_nan: bool) -> np.ndarray:
        out = np.empty(len(df))
        for i, x in enumerate(df[col]):
            s = str(x).strip()
            try:
                out[i] = float(s) if s else np.nan
            except ValueError:
                raise DatasetError(f"{where}: row {row0 + i}: {col} {s!r} is not a number") from None
            if not allow_nan and not np.isfinite(out[i]):
                raise DatasetError(f"{where}: row {row0 + i}: {col} is empty or not finite")
        return out

    t_raw = numbers(tcol, allow_nan=False)
    unit_of_t = np.array(units_t)
    t = t_raw.copy()
    for u in ("s", "h"):
        sel = unit_of_t == u
        t[sel] = to_minutes(t_raw[sel], u)
    val = numbers("value", allow_nan=True)
    if np.isinf(val).any():
        i = int(np.nonzero(np.isinf(val))[0][0])
        raise DatasetError(f"{where}: row {row0 + i}: value is infinite")
    if "replicate" in cols:
        rep = numbers("replicate", allow_nan=False)
        bad = (rep < 1) | (rep != np.round(rep)) | (rep > 10_000)
        if bad.any():
            i = int(np.nonzero(bad)[0][0])
            raise DatasetError(
                f"{where}: row {row0 + i}: replicate must be an integer 1..10000, got {df['replicate'].iloc[i]!r}"
            )
        rep = rep.astype(int)
    else:
        rep = np.ones(len(df), dtype=int)
    cond = [str(x).strip() for x in df["condition"]]
    obs = [str(x).strip() for x in df["observable"]]
    for what, col in (("condition", cond), ("observable", obs)):
        if "" in col:
            raise DatasetError(f"{where}: row {row0 + col.index('')}: empty {what}")

    keep = np.isfinite(val)
    if not keep.all() and missing == "error":
        i = int(np.nonzero(~keep)[0][0])
        raise DatasetError(
            f"{where}: row {row0 + i}: value is empty/NaN for ({cond[i]!r}, "
            f"t = {t[i]:g} min, {obs[i]!r}); leave the row out for a missing "
            "measurement, or pass missing='drop'"
        )
    # duplicates
    keys = list(zip(cond, t.tolist(), obs, rep.tolist()))
    seen: dict = {}
    for i, key in enumerate(keys):
        if key in seen:
            raise DatasetError(
                f"{where}: rows {row0 + seen[key]} and {row0 + i} are duplicates "
                f"(condition {key[0]!r}, t = {key[1]:g} min, observable {key[2]!r}, "
                f"replicate {key[3]})"
            )
        seen[key] = i

    units = dict(meta.pop("units", None) or {})
    if "unit" in cols:
        for i, (o, u) in enumerate(zip(obs, df["unit"])):
            u = str(u).strip()
            if units.setdefault(o, u) != u:
                raise DatasetError(
                    f"{where}: row {row0 + i}: observable {o!r} has unit {u!r} here and {units[o]!r} elsewhere"
                )
    conditions = list(dict.fromkeys(cond))
    observables = list(dict.fromkeys(obs))
    times = np.unique(t)
    n_rep = int(rep.max())
    axes = file_meta.get("axes")
    if axes is not None:  # written by write_table: the full axes, measured or not
        conditions, observables, times, n_rep, units = _axes(
            axes, conditions, observables, times, n_rep, units, where, frame=isinstance(source, pd.DataFrame)
        )
    ci = {c: i for i, c in enumerate(conditions)}
    oi = {o: i for i, o in enumerate(observables)}
    ti = np.searchsorted(times, t)
    shape = (len(conditions), n_rep, times.size, len(observables))
    values = np.full(shape, np.nan)
    mask = np.zeros(shape, dtype=bool)
    idx = np.nonzero(keep)[0]
    c_ix = np.array([ci[cond[i]] for i in idx], dtype=int)
    o_ix = np.array([oi[obs[i]] for i in idx], dtype=int)
    values[c_ix, rep[idx] - 1, ti[idx], o_ix] = val[idx]
    mask[c_ix, rep[idx] - 1, ti[idx], o_ix] = True
    fields = {k: file_meta[k] for k in META_KEYS if k in file_meta}
    fields.update(meta)
    if "annotations" in fields:
        try:
            fields["annotations"] = {k: tuple(v) for k, v in dict(fields["annotations"]).items()}
        except (TypeError, ValueError):
            raise DatasetError(f"{where}: annotations must map names to lists of strings") from None
    fields.update(
        conditions=tuple(conditions),
        times_min=times,
        observables=tuple(observables),
        values=values,
        mask=mask,
        units=units,
    )
    return fields, where


def _long(df, units: dict):
    """`df` as a long table: a wide table (one column per observable, ``ID [unit]`` or ``ID`` with
    the unit in `units`) melted into observable / value / unit columns; a ``variable`` column
    renamed ``observable``. A long table is returned as it is."""
    cols = {str(c).strip().lower(): c for c in df.columns}
    if "observable" not in cols and "variable" in cols:
        return df.rename(columns={cols["variable"]: "observable"})
    if "observable" in cols or "value" in cols or "condition" not in cols:
        return df
    df = df.rename(columns={c: _WIDE_TIME.get(k, k) for k, c in cols.items() if k in _ID_VARS})
    ids = [c for c in df.columns if c in _ID_VARS or c in _WIDE_TIME.values()]
    ids = [c for c in ids if c != "status"]
    obs = [c for c in df.columns if c not in ids and c != "status"]
    if not obs:
        return df
    long = df.melt(id_vars=ids, value_vars=obs, var_name="observable", value_name="value")
    name_unit = {}
    for c in obs:
        text = str(c).strip()
        if text.endswith("]") and " [" in text:
            name, unit = text[:-1].rsplit(" [", 1)
        else:
            name, unit = text, str(units.get(c, ""))
        name_unit[c] = (name.strip(), unit.strip())
    long["unit"] = [name_unit[c][1] for c in long["observable"]]
    long["observable"] = [name_unit[c][0] for c in long["observable"]]
    return long


def _axes(axes, conditions, observables, times, n_rep, units, where, frame: bool = False):
    """Axes from a table's ``# axes`` line (a DataFrame's ``attrs``), checked against the rows."""
    line = (
        f"df.attrs[{FRAME_META!r}]['axes'] (clear df.attrs to take the axes from the rows)"
        if frame
        else "'# axes' line"
    )
    try:
        a_cond = [str(x) for x in axes["conditions"]]
        a_obs = [str(x) for x in axes["observables"]]
        a_t = np.asarray(axes["times_min"], dtype=np.float64)
        a_rep = int(axes["n_replicates"])
        a_units = [str(x) for x in axes["units"]]
    except (KeyError, TypeError, ValueError):
        raise DatasetError(
            f"{where}: the '# axes' line needs conditions, observables, times_min, n_replicates and units"
        ) from None
    if len(a_units) != len(a_obs):
        raise DatasetError(f"{where}: '# axes' has {len(a_units)} units for {len(a_obs)} observables")
    for what, rows, ax in (("condition", conditions, a_cond), ("observable", observables, a_obs)):
        extra = [x for x in rows if x not in set(ax)]
        if extra:
            raise DatasetError(f"{where}: {what} {extra[0]!r} is in the rows but not in the {line}")
    off = [x for x in times if x not in set(a_t.tolist())]
    if off:
        raise DatasetError(f"{where}: time {off[0]} min is in the rows but not in the {line}")
    merged = dict(zip(a_obs, a_units))
    for o, u in units.items():
        if o in merged and merged[o] != u:
            raise DatasetError(f"{where}: observable {o!r} has unit {u!r} in the rows and {merged[o]!r} in '# axes'")
    return a_cond, a_obs, a_t, max(a_rep, n_rep), merged


def dataset_to_frame(ds):
    """The measured entries of `ds` as a long pandas DataFrame (columns as in `COLUMNS`)."""
    import pandas as pd

    c, r, k, o = np.nonzero(ds.mask)
    df = pd.DataFrame(
        {
            "condition": [ds.conditions[i] for i in c],
            "time_min": ds.times_min[k],
            "observable": [ds.observables[i] for i in o],
            "value": ds.values[c, r, k, o],
            "replicate": r + 1,
            "unit": [ds.units[ds.observables[i]] for i in o],
        }
    )
    df.attrs[FRAME_META] = _metadata(ds)
    return df


def _metadata(ds) -> dict:
    """The dataset's fields that are not rows (JSON-compatible): transform, reference, reference
    time, provenance, annotations and the full axes (every condition, observable, time and unit,
    measured or not)."""
    meta = {"transform": ds.transform}
    if ds.reference is not None:
        meta["reference"] = ds.reference
    if ds.reference_time_min is not None:
        meta["reference_time_min"] = ds.reference_time_min
    if ds.provenance:
        meta["provenance"] = dict(ds.provenance)
    if ds.annotations:
        meta["annotations"] = {k: list(v) for k, v in ds.annotations.items()}
    meta["axes"] = {
        "conditions": list(ds.conditions),
        "observables": list(ds.observables),
        "times_min": [float(x) for x in ds.times_min],
        "n_replicates": ds.n_replicates,
        "units": [ds.units[o] for o in ds.observables],
    }
    return meta


def _cell(x: str, sep: str) -> str:
    if any(ch in x for ch in (sep, '"', "\n", "\r")) or x != x.strip():
        return '"' + x.replace('"', '""') + '"'
    return x


def write_table(ds, path: str | Path) -> Path:
    """Write `ds` as a long table with `#` metadata lines, atomically (.csv/.tsv, optionally .gz).

    Numbers are written with Python's shortest round-trip repr, so reading back is exact.
    """
    path = Path(path)
    sep = _sep(path)
    head = [f"# yeastcell-dataset-table: {TABLE_VERSION}"]
    head += [f"# {k}: {json.dumps(v)}" for k, v in _metadata(ds).items()]
    c, r, k, o = np.nonzero(ds.mask)
    lines = head + [sep.join(COLUMNS)]
    cond = [_cell(x, sep) for x in ds.conditions]
    obs = [_cell(x, sep) for x in ds.observables]
    unit = [_cell(ds.units[x], sep) for x in ds.observables]
    t = [repr(float(x)) for x in ds.times_min]
    v = ds.values
    for ci, ri, ki, oi in zip(c.tolist(), r.tolist(), k.tolist(), o.tolist()):
        lines.append(sep.join((cond[ci], t[ki], obs[oi], repr(float(v[ci, ri, ki, oi])), str(ri + 1), unit[oi])))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if path.name.lower().endswith(".gz"):
        import gzip

        data = gzip.compress(data, mtime=0)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path
