"""HDF5 layout of a `Dataset` (format "yeastcell-dataset", version 1; see docs/dataset_format.md).

This module does not import `Dataset`: it writes any object with a dataset's fields and reads the
fields back; `Dataset.to_hdf5` and `Dataset.from_hdf5` call it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..exceptions import DatasetError
from ..io import atomic_path

FORMAT = "yeastcell-dataset"
FORMAT_VERSION = 1


def write_hdf5(ds, path: str | Path) -> Path:
    """Write `ds` to `path` through a temporary file and a rename (an interrupted write leaves any
    existing file untouched)."""
    import h5py

    path = Path(path)
    text = h5py.string_dtype("utf-8")
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["transform"] = ds.transform
        if ds.reference is not None:
            f.attrs["reference"] = ds.reference
        if ds.reference_time_min is not None:
            f.attrs["reference_time_min"] = float(ds.reference_time_min)
        f.create_dataset("conditions", data=list(ds.conditions), dtype=text)
        f.create_dataset("observables", data=list(ds.observables), dtype=text)
        f.create_dataset("units", data=[ds.units[o] for o in ds.observables], dtype=text)
        t = f.create_dataset("times_min", data=np.asarray(ds.times_min, dtype=np.float64))
        t.attrs["unit"] = "min"
        big = ds.values.size > 4096
        kw = {"compression": "gzip", "compression_opts": 4, "shuffle": True} if big else {}
        f.create_dataset("values", data=np.asarray(ds.values, dtype=np.float64), **kw)
        f.create_dataset("mask", data=np.asarray(ds.mask, dtype=np.uint8), **kw)
        prov = f.create_group("provenance")
        for k, v in ds.provenance.items():
            prov.attrs[k] = v
        ann = f.create_group("annotations")
        for k, col in ds.annotations.items():
            ann.create_dataset(k, data=list(col), dtype=text)
    return path


def _str(x) -> str:
    return x.decode("utf-8") if isinstance(x, bytes) else str(x)


def read_hdf5_fields(path: str | Path) -> dict:
    """The fields of a `Dataset` (keyword arguments of its constructor) read from a dataset file.

    Raises:
        DatasetError: not a yeastcell dataset file, a newer format version, missing items.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise DatasetError(f"{path}: not an HDF5 file ({err})") from None
    with f:
        fmt = _str(f.attrs.get("format", ""))
        if fmt != FORMAT:
            raise DatasetError(f"{path}: not a yeastcell dataset file (format attribute {fmt!r}, expected {FORMAT!r})")
        try:
            version = int(f.attrs["format_version"])
        except (KeyError, TypeError, ValueError):
            raise DatasetError(f"{path}: missing or bad format_version attribute") from None
        if version > FORMAT_VERSION:
            raise DatasetError(
                f"{path}: written in dataset format version {version}, newer than this "
                f"yeastcell reads ({FORMAT_VERSION}); upgrade yeastcell"
            )
        if version < 1:
            raise DatasetError(f"{path}: bad format_version {version}")

        def get(name):
            if name not in f or not isinstance(f[name], h5py.Dataset):
                raise DatasetError(f"{path}: dataset {name!r} is missing")
            return f[name][()]

        def strings(name):
            return tuple(_str(x) for x in np.atleast_1d(get(name)).tolist())

        observables = strings("observables")
        units = strings("units")
        if len(units) != len(observables):
            raise DatasetError(f"{path}: 'units' has {len(units)} entries for {len(observables)} observables")
        mask = get("mask")
        if mask.dtype not in (np.uint8, np.bool_) or (mask.size and mask.max() > 1):
            raise DatasetError(f"{path}: 'mask' must hold 0/1 (uint8)")
        prov = {k: _str(v) for k, v in f["provenance"].attrs.items()} if "provenance" in f else {}
        ann = {}
        if "annotations" in f:
            for k, item in f["annotations"].items():
                if not isinstance(item, h5py.Dataset):
                    raise DatasetError(f"{path}: annotations/{k} is not a dataset of strings")
                ann[k] = tuple(_str(x) for x in np.atleast_1d(item[()]).tolist())
        rt = f.attrs.get("reference_time_min")
        return {
            "conditions": strings("conditions"),
            "times_min": np.asarray(get("times_min"), dtype=np.float64),
            "observables": observables,
            "values": np.asarray(get("values"), dtype=np.float64),
            "mask": np.asarray(mask, dtype=bool),
            "transform": _str(f.attrs.get("transform", "raw")),
            "reference": _str(f.attrs["reference"]) if "reference" in f.attrs else None,
            "reference_time_min": float(rt) if rt is not None else None,
            "units": dict(zip(observables, units)),
            "provenance": prov,
            "annotations": ann,
        }
