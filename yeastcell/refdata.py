"""Where the read-only reference data lives: ``$YEASTCELL_REFERENCE_DATA`` or ``../shared/data``.

The reference data (Yeast-GEM, SBML Test Suite, omics and time-course studies) is public and
read-only; it is never copied into the package. Benchmarks, studies and examples locate it here:

* ``$YEASTCELL_REFERENCE_DATA`` when set;
* else, running from a source checkout (a folder holding ``pyproject.toml`` and ``benchmarks/``
  above the package), ``shared/data`` beside the checkout (``<checkout>/../shared/data``), as the
  README says;
* else (an installed wheel) there is no default: `reference_data_dir` raises
  `ReferenceDataNotFound`, whose message says to set ``YEASTCELL_REFERENCE_DATA``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .exceptions import YeastcellError

_PACKAGE = Path(__file__).resolve().parent
ENV = "YEASTCELL_REFERENCE_DATA"


class ReferenceDataNotFound(YeastcellError, FileNotFoundError):
    """No reference-data folder is configured (an installed package without ``$YEASTCELL_REFERENCE_DATA``)."""


def checkout_dir() -> Path | None:
    """The source checkout this package runs from (holding ``benchmarks/``), or None for a wheel."""
    root = _PACKAGE.parent
    if (root / "benchmarks").is_dir() and (root / "pyproject.toml").is_file():
        return root
    return None


def reference_data_dir() -> Path:
    """``$YEASTCELL_REFERENCE_DATA``, else ``../shared/data`` beside the source checkout.

    The folder is not checked for existence (callers name the files they miss).

    Raises:
        ReferenceDataNotFound: installed as a package (no checkout) and the variable is not set.
    """
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    root = checkout_dir()
    if root is None:
        raise ReferenceDataNotFound(
            f"no reference-data folder: yeastcell is installed as a package (not run from a source checkout), "
            f"so there is no default ../shared/data beside a checkout; set {ENV} to the shared data folder "
            "(the one holding SOURCES.md)"
        )
    return root.parent / "shared" / "data"
