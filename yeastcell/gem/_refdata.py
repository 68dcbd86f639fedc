"""Private: locate the read-only reference data (Yeast-GEM files and test data)."""

from __future__ import annotations

import os
from pathlib import Path

from ..refdata import reference_data_dir


def yeast_gem_file(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Path of a file in the ``yeast-gem`` reference folder.

    Raises:
        FileNotFoundError: the file is absent (message names the env variable).
    """
    p = Path(data_dir) if data_dir is not None else reference_data_dir()
    f = p / "yeast-gem" / name
    if not f.is_file():
        raise FileNotFoundError(f"reference file {f} not found; set YEASTCELL_REFERENCE_DATA to the shared data folder")
    return f
