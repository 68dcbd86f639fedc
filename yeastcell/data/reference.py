"""The shared reference-data folder: where published data sets are read from, and their provenance.

The folder is `root`, else ``$YEASTCELL_REFERENCE_DATA``, else ``../shared/data`` beside a source
checkout (`yeastcell.refdata.reference_data_dir`; layout as in that folder's SOURCES.md).
Nothing is downloaded and nothing is copied into the package. Readers of single studies
(`yeastcell.studies`) build on these helpers.
"""

from __future__ import annotations

from pathlib import Path

from ..exceptions import DatasetError
from ..io import sha256
from ..refdata import ReferenceDataNotFound, reference_data_dir


def data_root(root: str | Path | None = None) -> Path:
    """The reference-data folder: `root`, else ``$YEASTCELL_REFERENCE_DATA``, else ``../shared/data``
    beside a source checkout.

    Raises:
        DatasetError: none of them is given (an installed package), or the folder does not exist.
    """
    if root is None:
        try:
            root = reference_data_dir()
        except ReferenceDataNotFound as err:
            raise DatasetError(f"{err}, or pass root=") from None
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(
            f"reference-data folder {root} does not exist (set YEASTCELL_REFERENCE_DATA to the folder holding SOURCES.md)"
        )
    return root


def reference_file(root: Path, rel: str) -> Path:
    """The file `rel` (a path relative to `root`), which must exist.

    Raises:
        DatasetError: the file is missing.
    """
    p = root / rel
    if not p.is_file():
        raise DatasetError(f"{p}: missing (expected in the reference-data folder {root})")
    return p


def provenance(root: Path, files: list[Path], **fields: str) -> dict[str, str]:
    """`Dataset.provenance` of data read from `files`: `fields` plus the files (relative to `root`)
    and the sha256 of each."""
    rel = [str(p.relative_to(root)) for p in files]
    return {**fields, "file": "; ".join(rel), "sha256": "; ".join(f"{r}={sha256(p)}" for r, p in zip(rel, files))}


def gene_names(root: Path) -> dict[str, str]:
    """Systematic ORF -> SGD standard gene name, from ``yeast-gem/SGDgeneNames.tsv`` under `root`
    (empty when the file is absent; ORFs without a standard name are left out)."""
    p = root / "yeast-gem" / "SGDgeneNames.tsv"
    if not p.is_file():
        return {}
    import pandas as pd  # third-party and slow to import: only when a study is read

    df = pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False)
    return {o: n for o, n in zip(df.iloc[:, 0], df.iloc[:, 1]) if n}
