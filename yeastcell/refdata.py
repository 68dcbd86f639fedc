"""Where the read-only reference data lives: ``$YEASTCELL_REFERENCE_DATA`` or ``../shared/data``.

The reference data (Yeast-GEM, SBML Test Suite, omics and time-course studies) is public and
read-only; it is never copied into the package. Benchmarks and studies locate it here.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def checkout_dir() -> Path | None:
    """The source checkout this package runs from (holding ``benchmarks/``), or None for a wheel."""
    root = _PACKAGE.parent
    if (root / "benchmarks").is_dir() and (root / "pyproject.toml").is_file():
        return root
    return None


def reference_data_dir() -> Path:
    """``$YEASTCELL_REFERENCE_DATA``, else ``../shared/data`` beside the checkout (or the package)."""
    env = os.environ.get("YEASTCELL_REFERENCE_DATA")
    if env:
        return Path(env)
    return (checkout_dir() or _PACKAGE.parent).parent / "shared" / "data"
