"""Writing result files atomically: a temporary file in the target directory, then `os.replace`.

An interrupted write never leaves a half-written file at the destination, and never corrupts an
existing file there.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

_PARTIAL: set[Path] = set()  # temporary files of writes in progress (removed by `remove_partial_files`)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it onto `path`, else delete it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    _PARTIAL.add(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file open()'s usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    finally:
        _PARTIAL.discard(tmp)


@contextlib.contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside `path` (which must not exist); on success rename it onto
    `path`, else delete it: the folder appears whole or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    _PARTIAL.add(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700; give the folder mkdir's usual mode
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        _PARTIAL.discard(tmp)


def remove_partial_files() -> None:
    """Delete the temporary files and folders of `atomic_path` / `atomic_folder` writes still in
    progress (e.g. in another thread when the command line is interrupted and exits at once): no
    ``.NAME.*.tmp`` is left behind."""
    for tmp in list(_PARTIAL):
        with contextlib.suppress(OSError):
            if tmp.is_dir():
                shutil.rmtree(tmp)
            else:
                tmp.unlink()
        _PARTIAL.discard(tmp)


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_trajectory_csv(traj, path: str | Path, labels: list[str] | None = None) -> Path:
    """Write a (batched) trajectory as a wide CSV: condition, t_min, species (mM), fluxes (mM/min)."""
    header, rows = traj.to_rows()
    names = labels or list(traj.labels)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            b = int(row[0])
            w.writerow([names[b] if b < len(names) else b] + [f"{x:.10g}" for x in row[1:]])
    return Path(path)


def write_trajectory_hdf5(traj, path: str | Path) -> Path:
    """Write a trajectory to HDF5: datasets t (min), conc (mM), flux (mM/min), status; names as attributes."""
    import h5py

    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = "yeastcell-trajectory/1"
            for name, unit in (("t", "min"), ("conc", "mM"), ("flux", "mM/min")):
                d = f.create_dataset(name, data=np.asarray(getattr(traj, name)))
                d.attrs["unit"] = unit
            f.create_dataset("status", data=np.asarray(traj.status))
            text = h5py.string_dtype("utf-8")
            f.create_dataset("species_ids", data=list(traj.species_ids), dtype=text)
            f.create_dataset("reaction_ids", data=list(traj.reaction_ids), dtype=text)
            f.create_dataset("labels", data=list(traj.labels), dtype=text)
    return Path(path)


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
