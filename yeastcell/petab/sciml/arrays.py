"""PEtab-SciML array files (HDF5, row-major, PyTorch indexing).

Layout (groups ``/``-separated)::

    /metadata/pytorch_format          uint8 scalar 1 (arrays use PyTorch's index order)
    /parameters/<netId>/<layerId>/<arrayName>   e.g. weight (out, in), bias (out,)
    /inputs/<inputId>/<conditionId | "0" | "data">   one network input (all conditions: "0")

Readers return NumPy arrays as stored (float32 or float64); callers choose the compute dtype.
The writer is atomic (temporary file + rename).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ...io import atomic_path
from .errors import SciMLFormatError

NetArrays = dict[str, dict[str, np.ndarray]]  # layer id -> array name -> array


def _open(path: str | Path):
    import h5py

    path = Path(path)
    if not path.is_file():
        raise SciMLFormatError(f"array file {path} does not exist")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise SciMLFormatError(f"array file {path} is not a readable HDF5 file: {err}") from None


def read_parameters(path: str | Path) -> dict[str, NetArrays]:
    """All network parameter arrays in `path`: net id -> layer id -> array name -> array.

    Raises:
        SciMLFormatError: not HDF5, or a `parameters` entry that is not net/layer/array.
    """
    out: dict[str, NetArrays] = {}
    with _open(path) as f:
        if "parameters" not in f:
            return out
        for net_id, g in f["parameters"].items():
            nets: NetArrays = {}
            for layer_id, lg in g.items():
                if not hasattr(lg, "items"):
                    raise SciMLFormatError(
                        f"{path}: parameters/{net_id}/{layer_id} is an array, expected a layer group"
                    )
                nets[layer_id] = {name: np.asarray(ds[()]) for name, ds in lg.items()}
            out[net_id] = nets
    return out


def read_inputs(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """Network input arrays in `path`: input id -> condition id ("0"/"data" = every condition) -> array."""
    out: dict[str, dict[str, np.ndarray]] = {}
    with _open(path) as f:
        for input_id, g in f["inputs"].items() if "inputs" in f else []:
            if hasattr(g, "items"):
                out[input_id] = {k: np.asarray(ds[()]) for k, ds in g.items()}
            else:
                out[input_id] = {"0": np.asarray(g[()])}
    return out


def read_outputs(path: str | Path) -> dict[str, np.ndarray]:
    """Reference outputs (``/outputs/<id>/data``) in `path`: output id -> array."""
    with _open(path) as f:
        if "outputs" not in f:
            raise SciMLFormatError(f"{path}: no 'outputs' group")
        return {k: np.asarray(g["data"][()] if hasattr(g, "items") else g[()]) for k, g in f["outputs"].items()}


def write_parameters(path: str | Path, nets: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]]) -> Path:
    """Write parameter arrays (net id -> layer id -> name -> array) in the PEtab-SciML layout,
    atomically. Arrays are written as float64 unless already float32."""
    import h5py

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.create_group("metadata").create_dataset("pytorch_format", data=np.uint8(1))
        root = f.create_group("parameters")
        for net_id, layers in nets.items():
            g = root.create_group(net_id)
            for layer_id, arrays in layers.items():
                lg = g.create_group(layer_id)
                for name, arr in arrays.items():
                    a = np.asarray(arr)
                    lg.create_dataset(name, data=a if a.dtype == np.float32 else a.astype(np.float64))
    return Path(path)
