"""A measured proteome as input: protein levels of strains as log2 ratios to the wild type.

`ProteomeTable` holds the measurements, one row per strain and one column per protein (ORF or
standard gene name), each value the log2 ratio of the protein's level in that strain to its level
in the wild type. It is built from a pandas DataFrame in the exchange layout (index = strain id,
columns = proteins, values = log2 ratios; the readers of published proteomes return this), or read
from a CSV/TSV file in that wide layout (first column = strain id) or in the long layout (columns
``strain``, ``gene``, ``log2_ratio``, one row per measurement). Everything is checked on
construction: missing columns, empty ids, duplicate strains or proteins, non-numeric and non-finite
values raise `DatasetError` naming the item (and the file and line).

`table.levels(strain)` (or ``yc.proteome(table, strain)``) is a perturbation, `ProteomeLevels`:
every model gene with a measured ratio r gets the protein amount reference × 2^r. It is applied
per gene, exactly as ``overexpress(gene, 2**r)`` would be: the protein species' initial amount is
scaled, and in a model with a proteome layer (``expression:``) also the amounts of its other forms
and its synthesis rate, so that with the protein's regulators at their reference levels the scaled
amount is also its steady state (the model's own regulation still acts on top, so the level reached
in a strain whose regulators change may differ from the measured one). A reaction's capacity
follows from its gene rule over protein amounts (``or`` = sum: isoenzymes add their measured
amounts; ``and`` = minimum over a complex's subunits). Model genes without a measurement keep the
reference level; `ProteomeLevels.coverage(cell)` lists measured-and-modelled,
modelled-but-unmeasured and measured-but-not-modelled proteins. Combined with a knockout
(``yc.knockout(g) + yc.proteome(table, s)``) the deleted gene's protein stays 0: factors multiply,
and 0 × 2^r = 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..exceptions import DatasetError, PerturbationError, UnknownNameError
from .types import GeneActivity, Perturbation

LONG_COLUMNS = ("strain", "gene", "log2_ratio")
MISSING_TEXT = frozenset({"", "na", "nan", "n/a", "null", "none"})  # empty cells, lower-cased
WHAT = "measured level"  # GeneActivity.what of a measured protein level


def _ids(values: Iterable, what: str, where: str, line0: int | None = None) -> tuple[str, ...]:
    """Stripped, non-empty, unique ids; errors name the first bad one (and its line)."""
    out: list[str] = []
    first: dict[str, int] = {}
    for k, x in enumerate(values):
        s = "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x).strip()
        at = f" (line {line0 + k})" if line0 is not None else ""
        if not s:
            raise DatasetError(f"{where}: empty {what} id{at}")
        key = s.upper()
        if key in first:
            prev = f" and line {line0 + first[key]}" if line0 is not None else ""
            raise DatasetError(f"{where}: duplicate {what} {s!r}{at}{prev}")
        first[key] = k
        out.append(s)
    return tuple(out)


def _numbers(cells: np.ndarray, where: str, describe) -> tuple[np.ndarray, np.ndarray]:
    """(values, missing) of an object/number array; raises on non-numeric and non-finite entries.

    `describe(index tuple)` names an entry for the message (strain, protein, line)."""
    import pandas as pd

    arr = np.asarray(cells)
    if arr.dtype.kind in "fiu":  # numbers already (a DataFrame of floats): vectorised
        values = arr.astype(np.float64)
        if np.isinf(values).any():
            ij = tuple(int(k) for k in np.argwhere(np.isinf(values))[0])
            raise DatasetError(f"{where}: {describe(ij)}: {values[ij]!r} is not finite (a log2 ratio must be finite)")
        return values, np.isnan(values)
    arr = arr.astype(object)
    flat = arr.reshape(-1)
    if all(isinstance(x, str) for x in flat):  # the text of a file: vectorised
        text = pd.Series(flat, dtype=object).str.strip()
        missing = text.str.lower().isin(MISSING_TEXT).to_numpy()
        values = pd.to_numeric(text.where(~missing, "nan"), errors="coerce").to_numpy(dtype=np.float64)
        bad = ~missing & ~np.isfinite(values)
        if bad.any():
            k = int(np.nonzero(bad)[0][0])
            what = "is not finite (a log2 ratio must be finite)" if np.isinf(values[k]) else "is not a number"
            raise DatasetError(f"{where}: {describe(np.unravel_index(k, arr.shape))}: {text.iloc[k]!r} {what}")
        return values.reshape(arr.shape), missing.reshape(arr.shape)
    missing = np.zeros(flat.shape, dtype=bool)
    values = np.full(flat.shape, np.nan)
    for k, x in enumerate(flat):
        if x is None or (isinstance(x, float | np.floating) and math.isnan(x)) or x is pd.NA or x is pd.NaT:
            missing[k] = True
            continue
        if isinstance(x, bool | np.bool_):
            raise DatasetError(f"{where}: {describe(np.unravel_index(k, arr.shape))}: {x!r} is not a number")
        if isinstance(x, str):
            if x.strip().lower() in MISSING_TEXT:
                missing[k] = True
                continue
            try:
                v = float(x.strip())
            except ValueError:
                raise DatasetError(
                    f"{where}: {describe(np.unravel_index(k, arr.shape))}: {x.strip()!r} is not a number"
                ) from None
        else:
            try:
                v = float(x)
            except (TypeError, ValueError):
                raise DatasetError(
                    f"{where}: {describe(np.unravel_index(k, arr.shape))}: {x!r} is not a number"
                ) from None
        if not math.isfinite(v):
            raise DatasetError(
                f"{where}: {describe(np.unravel_index(k, arr.shape))}: {x!r} is not finite (a log2 ratio must be finite)"
            )
        values[k] = v
    return values.reshape(arr.shape), missing.reshape(arr.shape)


def _missing_error(where: str, entry: str) -> DatasetError:
    return DatasetError(
        f"{where}: {entry}: missing value; pass allow_missing=True (--allow-missing) to treat empty "
        "cells as not measured in that strain (the protein then keeps its reference level there)"
    )


@dataclass(frozen=True)
class ProteomeCoverage:
    """Which proteins a measured proteome sets in a model.

    Attributes:
        measured_modelled: model genes (standard name, else ORF) with a measured ratio.
        modelled_unmeasured: model genes with a protein species but no measurement; their proteins
            keep the reference level.
        measured_unmodelled: measured proteins (as named in the table) that are not a gene with a
            protein species of the model; they change nothing.
    """

    measured_modelled: tuple[str, ...]
    modelled_unmeasured: tuple[str, ...]
    measured_unmodelled: tuple[str, ...]

    def summary(self, limit: int = 10) -> str:
        """A few lines: the counts, and up to `limit` names of the unmeasured model proteins."""

        def names(xs: tuple[str, ...]) -> str:
            more = f", ... ({len(xs) - limit} more)" if len(xs) > limit else ""
            return ", ".join(xs[:limit]) + more

        n_model = len(self.measured_modelled) + len(self.modelled_unmeasured)
        lines = [
            f"proteome: {len(self.measured_modelled)} of {n_model} model proteins measured; "
            f"{len(self.measured_unmodelled)} measured proteins not in the model"
        ]
        if self.modelled_unmeasured:
            lines.append(f"  kept at the reference level (not measured): {names(self.modelled_unmeasured)}")
        return "\n".join(lines)


def _gene_keys(genes) -> dict[str, int]:
    """Upper-cased ORF and standard name -> gene index (the first gene with that ORF or name, as
    `AbstractCell.gene_index` finds it)."""
    keys: dict[str, int] = {}
    for i, (orf, std, _prot) in enumerate(genes):
        keys.setdefault(orf.upper(), i)
        if std:
            keys.setdefault(std.upper(), i)
    return keys


def _match(cell, names: Iterable[str]) -> tuple[dict[int, str], list[str]]:
    """({model gene index: measured name}, [measured names not modelled]) for measured protein
    names; a model gene measured under two names (ORF and standard name) is an error."""
    genes = cell.genes  # one attribute read: attribute access on a compiled cell (an equinox Module) is slow
    keys = _gene_keys(genes)
    hit: dict[int, str] = {}
    unmodelled: list[str] = []
    for name in names:
        g = keys.get(name.upper())
        if g is None or genes[g][2] < 0:
            unmodelled.append(name)
            continue
        if g in hit:
            raise PerturbationError(
                f"proteins {hit[g]!r} and {name!r} of the measured proteome are the same gene "
                f"{cell.gene_label(g)!r} ({genes[g][0]}) of model {cell.model_id!r}; keep one"
            )
        hit[g] = name
    return hit, unmodelled


def _coverage(cell, measured: Iterable[str]) -> ProteomeCoverage:
    hit, unmodelled = _match(cell, measured)
    genes = cell.genes
    with_protein = [i for i, g in enumerate(genes) if g[2] >= 0]
    label = [std or orf for orf, std, _ in genes]
    return ProteomeCoverage(
        tuple(label[i] for i in with_protein if i in hit),
        tuple(label[i] for i in with_protein if i not in hit),
        tuple(unmodelled),
    )


@dataclass(frozen=True)
class ProteomeLevels(Perturbation):
    """Set every measured model protein to reference × 2^(log2 ratio) (see the module docstring).

    Attributes:
        strain: the strain whose proteome this is (for labels and messages).
        levels: (protein as named in the measurement, log2 ratio to the wild type), finite ratios.
        source: where the measurement comes from (file name), for messages.
    """

    strain: str
    levels: tuple[tuple[str, float], ...]
    source: str = ""

    @property
    def label(self) -> str:
        return f"measured proteome of {self.strain}"

    def coverage(self, cell) -> ProteomeCoverage:
        """Which model proteins this measurement sets in `cell` (`ProteomeCoverage`).

        Raises:
            PerturbationError: one model gene measured under two names.
        """
        return _coverage(cell, (g for g, _ in self.levels))

    def factors(self, cell) -> dict[str, float]:
        """{model gene ORF: amount factor 2^ratio} for the measured genes `cell` has a protein for."""
        ratio = dict(self.levels)
        hit, _ = _match(cell, ratio)
        genes = cell.genes
        return {genes[g][0]: 2.0 ** ratio[name] for g, name in hit.items()}

    def expand(self, cell) -> list[Perturbation]:
        """One `GeneActivity` per measured model gene (the resolver applies them like knockdowns)."""
        return [GeneActivity(orf, f, WHAT) for orf, f in self.factors(cell).items()]


class ProteomeTable:
    """Measured protein levels of strains, log2 ratios to the wild type (see the module docstring).

    Attributes:
        strains: strain ids (row order of the source), e.g. the deleted gene's ORF or name.
        genes: protein ids (ORFs or standard names), column order of the source.
        values: (n_strains, n_genes) float64, read-only; NaN = not measured in that strain (only
            with ``allow_missing``).
        source: the file it was read from, or "DataFrame".

    Raises (on construction):
        DatasetError: empty table, empty or duplicate ids, shape mismatch, non-finite values.
    """

    def __init__(self, strains: Iterable[str], genes: Iterable[str], values, source: str = "table"):
        self.source = str(source)
        self.strains = _ids(strains, "strain", self.source)
        self.genes = _ids(genes, "protein", self.source)
        v = np.array(values, dtype=np.float64)
        if v.shape != (len(self.strains), len(self.genes)):
            raise DatasetError(
                f"{self.source}: values have shape {v.shape}, expected ({len(self.strains)} strains, "
                f"{len(self.genes)} proteins)"
            )
        if not self.strains or not self.genes:
            raise DatasetError(f"{self.source}: the proteome table is empty (no strain or no protein)")
        if np.isinf(v).any():
            i, j = (int(k) for k in np.argwhere(np.isinf(v))[0])
            raise DatasetError(
                f"{self.source}: strain {self.strains[i]!r}, protein {self.genes[j]!r}: value is not finite"
            )
        v.setflags(write=False)
        self.values = v
        self._index = {s.upper(): i for i, s in enumerate(self.strains)}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frame(cls, df, *, source: str | None = None, allow_missing: bool = False) -> ProteomeTable:
        """From a pandas DataFrame: the wide exchange layout (index = strain id, columns = proteins,
        values = log2 ratios; a default integer index with a ``strain`` column takes that column),
        or the long layout (columns ``strain``, ``gene``, ``log2_ratio``).

        Args:
            allow_missing: treat NaN / empty cells as not measured in that strain (default: error).
        """
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise DatasetError(f"a proteome table must be a pandas DataFrame, got {type(df).__name__}")
        where = source or "DataFrame"
        cols = {str(c).strip().lower(): c for c in df.columns}
        if _is_long(cols):
            return cls._from_long(df, cols, where, allow_missing, line0=None)
        if "strain" in cols and isinstance(df.index, pd.RangeIndex):
            df = df.set_index(cols["strain"])
        if len(df) == 0 or len(df.columns) == 0:
            raise DatasetError(f"{where}: the proteome table is empty (no strain or no protein)")
        strains = _ids(df.index, "strain", where)
        genes = _ids(df.columns, "protein", where)

        def describe(ij) -> str:
            return f"strain {strains[ij[0]]!r}, protein {genes[ij[1]]!r} (row {ij[0] + 1})"

        values, missing = _numbers(df.to_numpy(), where, describe)
        if missing.any() and not allow_missing:
            raise _missing_error(where, describe(tuple(np.argwhere(missing)[0])))
        return cls(strains, genes, values, where)

    @classmethod
    def read(cls, path: str | Path, *, allow_missing: bool = False) -> ProteomeTable:
        """From a CSV (.csv) or TSV (.tsv, .tab, .txt) file, optionally gzipped (.gz): wide (one row
        per strain, the first column the strain id, one column per protein) or long (columns
        ``strain``, ``gene``, ``log2_ratio``; other columns are ignored). Errors name the file and
        line.

        Args:
            allow_missing: treat empty cells (or NA/NaN) as not measured in that strain (default: error).
        """
        import io

        import pandas as pd

        p = Path(path)
        name = p.name.lower().removesuffix(".gz")
        if name.endswith((".tsv", ".tab", ".txt")):
            sep = "\t"
        elif name.endswith(".csv"):
            sep = ","
        else:
            raise DatasetError(f"{p}: a proteome table must be a .csv, .tsv, .tab or .txt file (optionally .gz)")
        if not p.is_file():
            raise DatasetError(f"{p}: no such file")
        try:
            if p.name.lower().endswith(".gz"):
                import gzip

                text = gzip.decompress(p.read_bytes()).decode("utf-8")
            else:
                text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, EOFError) as err:
            raise DatasetError(f"{p}: cannot read as UTF-8 text ({err})") from None
        if not text.strip():
            raise DatasetError(f"{p}: the file is empty")
        try:
            df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, index_col=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
            raise DatasetError(f"{p}: cannot parse the table ({err})") from None
        cols = {str(c).strip().lower(): c for c in df.columns}
        if _is_long(cols):
            return cls._from_long(df, cols, str(p), allow_missing, line0=2)
        if len(df.columns) < 2:
            raise DatasetError(
                f"{p}: a wide proteome table needs a strain column and at least one protein column; "
                f"found {list(df.columns)} (long tables need the columns {', '.join(LONG_COLUMNS)})"
            )
        if len(df) == 0:
            raise DatasetError(f"{p}: the table has no rows")
        strains = _ids(df.iloc[:, 0], "strain", str(p), line0=2)
        genes = _ids(df.columns[1:], "protein", f"{p}: header")

        def describe(ij) -> str:
            return f"strain {strains[ij[0]]!r}, protein {genes[ij[1]]!r} (line {ij[0] + 2})"

        values, missing = _numbers(df.iloc[:, 1:].to_numpy(dtype=object), str(p), describe)
        if missing.any() and not allow_missing:
            raise _missing_error(str(p), describe(tuple(np.argwhere(missing)[0])))
        return cls(strains, genes, values, str(p))

    @classmethod
    def _from_long(cls, df, cols: dict, where: str, allow_missing: bool, line0: int | None) -> ProteomeTable:
        lacking = [c for c in LONG_COLUMNS if c not in cols]
        if lacking:
            raise DatasetError(
                f"{where}: missing column(s) {lacking} of a long proteome table (needs {', '.join(LONG_COLUMNS)}; "
                f"found {sorted(cols)}); a wide table has one row per strain and one column per protein"
            )
        if len(df) == 0:
            raise DatasetError(f"{where}: the table has no rows")

        def at(k: int) -> str:
            return f"line {line0 + k}" if line0 is not None else f"row {k + 1}"

        strain_col = [str(x).strip() if x is not None else "" for x in df[cols["strain"]]]
        gene_col = [str(x).strip() if x is not None else "" for x in df[cols["gene"]]]
        for k, (s, g) in enumerate(zip(strain_col, gene_col)):
            if not s or s.lower() == "nan":
                raise DatasetError(f"{where}: {at(k)}: empty strain id")
            if not g or g.lower() == "nan":
                raise DatasetError(f"{where}: {at(k)}: empty gene id")

        def describe(ij) -> str:
            k = int(ij[0])
            return f"strain {strain_col[k]!r}, protein {gene_col[k]!r} ({at(k)})"

        vals, missing = _numbers(df[cols["log2_ratio"]].to_numpy(dtype=object).reshape(-1, 1), where, describe)
        if missing.any() and not allow_missing:
            raise _missing_error(where, describe(tuple(np.argwhere(missing)[0])))
        strains: dict[str, int] = {}
        genes: dict[str, int] = {}
        spell_s: dict[str, str] = {}
        spell_g: dict[str, str] = {}
        seen: dict[tuple[int, int], int] = {}
        entries = []
        for k, (s, g) in enumerate(zip(strain_col, gene_col)):
            i = strains.setdefault(s.upper(), len(strains))
            j = genes.setdefault(g.upper(), len(genes))
            spell_s.setdefault(s.upper(), s)
            spell_g.setdefault(g.upper(), g)
            if (i, j) in seen:
                raise DatasetError(
                    f"{where}: strain {s!r}, protein {g!r} is measured twice ({at(seen[(i, j)])} and {at(k)})"
                )
            seen[(i, j)] = k
            if not missing[k, 0]:
                entries.append((i, j, vals[k, 0]))
        values = np.full((len(strains), len(genes)), np.nan)
        for i, j, v in entries:
            values[i, j] = v
        if not allow_missing and np.isnan(values).any():
            i, j = (int(x) for x in np.argwhere(np.isnan(values))[0])
            raise _missing_error(
                where, f"strain {list(spell_s.values())[i]!r} has no row for protein {list(spell_g.values())[j]!r}"
            )
        return cls(spell_s.values(), spell_g.values(), values, where)

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.strains)

    def __contains__(self, strain: object) -> bool:
        return isinstance(strain, str) and strain.strip().upper() in self._index

    def __repr__(self) -> str:
        return f"ProteomeTable({len(self.strains)} strains × {len(self.genes)} proteins, from {self.source})"

    def find_strain(self, strain: str) -> int | None:
        """Row of a strain id (case-insensitive), or None."""
        return self._index.get(strain.strip().upper())

    def strain_index(self, strain: str) -> int:
        """Row of a strain id (case-insensitive).

        Raises:
            UnknownNameError: not in the table (with close matches among its strains).
        """
        i = self.find_strain(strain)
        if i is None:
            raise UnknownNameError(f"strain of the proteome table {self.source}", strain, self.strains)
        return i

    def levels(self, strain: str) -> ProteomeLevels:
        """The measured proteome of one strain as a perturbation (`ProteomeLevels`).

        Raises:
            UnknownNameError: the strain is not in the table (with close matches).
        """
        i = self.strain_index(strain)
        row = self.values[i]
        keep = np.isfinite(row)
        return ProteomeLevels(
            self.strains[i],
            tuple((g, float(v)) for g, v, k in zip(self.genes, row, keep) if k),
            self.source,
        )

    def coverage(self, cell) -> ProteomeCoverage:
        """Which model proteins the table measures (in at least one strain) for `cell`."""
        measured = np.asarray(np.isfinite(self.values).any(axis=0))
        return _coverage(cell, (g for j, g in enumerate(self.genes) if measured[j]))

    def to_frame(self):
        """The wide exchange layout: a DataFrame, index = strain, columns = proteins, log2 ratios."""
        import pandas as pd

        df = pd.DataFrame(np.array(self.values), index=list(self.strains), columns=list(self.genes))
        df.index.name = "strain"
        return df


def _is_long(cols: dict) -> bool:
    """Whether a table's lower-cased column names make it the long layout."""
    return "gene" in cols or "log2_ratio" in cols


def as_proteome_table(table, *, allow_missing: bool = False) -> ProteomeTable:
    """A `ProteomeTable` from a table, a pandas DataFrame (`ProteomeTable.from_frame`) or a file
    path (`ProteomeTable.read`)."""
    if isinstance(table, ProteomeTable):
        return table
    if isinstance(table, str | Path):
        return ProteomeTable.read(table, allow_missing=allow_missing)
    return ProteomeTable.from_frame(table, allow_missing=allow_missing)


def proteome(table, strain: str, *, allow_missing: bool = False) -> ProteomeLevels:
    """The measured proteome of `strain` as a perturbation: every measured model protein is set to
    reference × 2^(log2 ratio); combine with ``+`` (``yc.knockout("PFK1") + yc.proteome(t, "PFK1")``).

    Args:
        table: a `ProteomeTable`, a pandas DataFrame (index = strain, columns = proteins, log2
            ratios to the wild type) or a CSV/TSV file (wide or long layout).
        strain: the strain's id in the table (case-insensitive).
        allow_missing: for a DataFrame or file, treat empty cells as not measured.

    Raises:
        DatasetError: a malformed table. UnknownNameError: `strain` is not in the table.
    """
    if not isinstance(strain, str) or not strain.strip():
        raise PerturbationError(f"strain must be a non-empty string, got {strain!r}")
    return as_proteome_table(table, allow_missing=allow_missing).levels(strain)
