"""Enzyme parameters of an enzyme-constrained GEM: turnover numbers, masses, abundances.

The tables are GECKO 3's (Chen et al. 2024 Nat Protoc 19:629; the ``gecko/`` folder of the
reference data):

* ``customKcats.tsv``: curated kcats (1/s) per protein or complex (genes joined by ``and``),
  optionally restricted to listed reactions;
* ``DLKcat.tsv.gz``: kcats (1/s) **predicted** by DLKcat (Li et al. 2022 Nat Catal 5:662) per
  reaction × gene × substrate; GECKO's ids ``r_0001_EXP_2`` (2nd isoenzyme) and ``r_0001_REV``
  (reverse direction) are reduced here to ``(reaction, direction, gene)``, keeping the largest value
  over substrates (GECKO's ``selectKcatValue(…, 'max')``); rows without a prediction (``None``) are
  dropped;
* ``uniprot.tsv.gz``: protein masses (Da = g mol⁻¹) by ordered-locus ORF;
* ``paxDB.tsv``: PaxDb whole-organism abundances (ppm), for the mass fraction of the proteome that
  the model's enzymes make up;
* ``fluxData.tsv``: the measured total protein content ``Ptot`` (g gDW⁻¹).

:class:`EnzymeData` gathers them, validated: every gene must be one of the model's, every kcat and
mass positive and finite.
"""

from __future__ import annotations

import dataclasses
import gzip
import math
import os
from collections.abc import Mapping
from pathlib import Path

from yeastcell.exceptions import GemError, UnknownGeneError, UnknownReactionError
from yeastcell.gem.load import GEM

__all__ = [
    "EnzymeDataError",
    "CustomKcat",
    "EnzymeData",
    "read_custom_kcats",
    "read_dlkcat",
    "read_masses",
    "read_paxdb",
    "read_total_protein",
    "modelled_mass_fraction",
    "load_enzyme_data",
]


class EnzymeDataError(GemError, ValueError):
    """An enzyme table is malformed: a non-positive or non-finite kcat or mass, a bad row."""


@dataclasses.dataclass(frozen=True)
class CustomKcat:
    """A curated turnover number.

    Attributes:
        genes: the complex's genes (one gene for a monomer; empty: every enzyme of ``reactions``).
        kcat: turnover number, 1/s (per complex).
        reactions: reactions it applies to; empty: every reaction whose rule has a complex
            containing all of ``genes``.
        note: provenance.
    """

    genes: frozenset[str]
    kcat: float
    reactions: tuple[str, ...] = ()
    note: str = ""


def _check_kcat(value: float, what: str) -> float:
    if not (math.isfinite(value) and value > 0):
        raise EnzymeDataError(f"kcat of {what} must be positive and finite (1/s), got {value!r}")
    return float(value)


def _open(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path)


def read_custom_kcats(path: str | os.PathLike) -> tuple[CustomKcat, ...]:
    """Read a curated kcat table (GECKO 3's ``customKcats.tsv`` layout).

    Columns (tab-separated, header row): ``proteins``, ``genes`` (ORFs, complexes joined by
    `` and ``), ``gene_name``, ``kcat`` (1/s), ``rxns`` (comma-separated; empty = every reaction of
    those genes), ``notes``, ``stoicho``.

    Raises:
        EnzymeDataError: a missing column, an unparsable or non-positive kcat (naming the row).
    """
    path = Path(path)
    lines = [ln.rstrip("\n") for ln in _open(path) if ln.strip()]
    header = lines[0].split("\t")
    for col in ("genes", "kcat", "rxns"):
        if col not in header:
            raise EnzymeDataError(f"{path}: need a {col!r} column, got {header}")
    ig, ik, ir = header.index("genes"), header.index("kcat"), header.index("rxns")
    inote = header.index("notes") if "notes" in header else None
    out = []
    for n, ln in enumerate(lines[1:], start=2):
        row = ln.split("\t") + [""] * len(header)
        try:
            k = float(row[ik])
        except ValueError:
            raise EnzymeDataError(f"{path}: row {n}: kcat {row[ik]!r} is not a number") from None
        _check_kcat(k, f"{path} row {n}")
        genes = frozenset(g.strip() for g in row[ig].replace(" AND ", " and ").split(" and ") if g.strip())
        rxns = tuple(r.strip() for r in row[ir].split(",") if r.strip())
        if not genes and not rxns:
            raise EnzymeDataError(f"{path}: row {n} names neither genes nor reactions")
        out.append(CustomKcat(genes, k, rxns, row[inote].strip() if inote is not None else ""))
    return tuple(out)


def _dlkcat_key(rid: str) -> tuple[str, str]:
    base = rid.split("_EXP_")[0]
    if base.endswith("_REV"):
        return base[: -len("_REV")], "-"
    return base, "+"


def read_dlkcat(path: str | os.PathLike) -> dict[tuple[str, str, str], float]:
    """Predicted kcats: ``(reaction, direction "+"/"-", gene) -> kcat`` (1/s), max over substrates.

    Columns (no header): GECKO reaction id, gene, substrate name, SMILES, sequence, kcat
    (``None`` where DLKcat made no prediction: dropped).

    Raises:
        EnzymeDataError: a row with too few columns or a non-positive kcat.
    """
    path = Path(path)
    out: dict[tuple[str, str, str], float] = {}
    with _open(path) as fh:
        for n, ln in enumerate(fh, start=1):
            row = ln.rstrip("\n").split("\t")
            if len(row) < 6:
                raise EnzymeDataError(f"{path}: line {n} has {len(row)} columns, expected 6")
            if row[5] in ("None", "NA", "NaN", ""):
                continue
            rxn, d = _dlkcat_key(row[0])
            k = _check_kcat(float(row[5]), f"{row[0]}/{row[1]} ({path.name} line {n})")
            key = (rxn, d, row[1])
            out[key] = max(out.get(key, 0.0), k)
    return out


def read_masses(path: str | os.PathLike) -> dict[str, float]:
    """Protein masses by ORF, g mol⁻¹ (UniProt ``Mass``, Da); an entry listing several ORFs
    (identical paralogues) gives each of them the mass."""
    path = Path(path)
    with _open(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        try:
            io, im = header.index("Gene Names (ordered locus)"), header.index("Mass")
        except ValueError:
            raise EnzymeDataError(f"{path}: need 'Gene Names (ordered locus)' and 'Mass' columns") from None
        out: dict[str, float] = {}
        for ln in fh:
            row = ln.rstrip("\n").split("\t")
            if len(row) <= max(io, im) or not row[im].strip():
                continue
            mw = float(row[im])
            if not (math.isfinite(mw) and mw > 0):
                raise EnzymeDataError(f"{path}: non-positive mass {row[im]!r} for {row[io]!r}")
            for orf in row[io].split(";"):
                if orf.strip():
                    out[orf.strip()] = mw
    return out


def read_paxdb(path: str | os.PathLike) -> dict[str, float]:
    """PaxDb abundances by ORF, ppm (``#`` comment lines; columns: id, ``4932.<ORF>``, ppm)."""
    out: dict[str, float] = {}
    for ln in Path(path).read_text().splitlines():
        if not ln.strip() or ln.startswith("#"):
            continue
        row = ln.split("\t")
        out[row[1].split(".", 1)[-1]] = float(row[2])
    return out


def read_total_protein(path: str | os.PathLike) -> float:
    """Measured total protein content ``Ptot`` (g gDW⁻¹) of GECKO's ``fluxData.tsv`` (first row)."""
    rows = [ln.split("\t") for ln in Path(path).read_text().splitlines() if ln.strip()]
    if "Ptot" not in rows[0]:
        raise EnzymeDataError(f"{path}: no 'Ptot' column")
    return float(rows[1][rows[0].index("Ptot")])


def modelled_mass_fraction(genes, abundance_ppm: Mapping[str, float], mw: Mapping[str, float]) -> float:
    """Mass fraction of the proteome made of ``genes`` (GECKO's ``f``), dimensionless.

    ``Σ_{g in genes} ppm_g · MW_g / Σ_all ppm_g · MW_g`` over proteins with a known mass.
    """
    genes = set(genes)
    total = modelled = 0.0
    for g, a in abundance_ppm.items():
        m = mw.get(g)
        if m is None:
            continue
        total += a * m
        if g in genes:
            modelled += a * m
    if total <= 0:
        raise EnzymeDataError("no abundance with a known mass: cannot compute the modelled mass fraction")
    return modelled / total


@dataclasses.dataclass(frozen=True, eq=False)
class EnzymeData:
    """The enzyme parameters of one model.

    Attributes:
        kcat: predicted kcats, ``(reaction, direction "+"/"-", gene) -> 1/s``.
        custom: curated kcats (take precedence over ``kcat``).
        mw: protein masses, ``gene -> g mol⁻¹``.
        total_protein: measured protein content ``Ptot``, g gDW⁻¹.
        mass_fraction: ``f``, mass fraction of the proteome made of the model's enzymes.
    """

    kcat: Mapping[tuple[str, str, str], float]
    custom: tuple[CustomKcat, ...]
    mw: Mapping[str, float]
    total_protein: float
    mass_fraction: float

    def __post_init__(self) -> None:
        if not (0 < self.total_protein <= 1):
            raise EnzymeDataError(f"total_protein must be in (0, 1] g/gDW, got {self.total_protein!r}")
        if not (0 < self.mass_fraction <= 1):
            raise EnzymeDataError(f"mass_fraction must be in (0, 1], got {self.mass_fraction!r}")
        for key, k in self.kcat.items():
            _check_kcat(k, "/".join(key))
        for c in self.custom:
            _check_kcat(c.kcat, f"custom entry {sorted(c.genes) or c.reactions}")
        for g, m in self.mw.items():
            if not (math.isfinite(m) and m > 0):
                raise EnzymeDataError(f"mass of {g!r} must be positive (g/mol), got {m!r}")

    def validate_for(self, gem: GEM) -> None:
        """Check that every gene and reaction the kcat tables name is in ``gem``.

        Raises:
            UnknownGeneError: a gene of a kcat table is not a gene of the model (close matches).
            UnknownReactionError: a reaction of a kcat table is not in the model.
        """
        genes, rxns = set(gem.gene_ids), set(gem.reaction_ids)
        bad_g = sorted(
            {g for _, _, g in self.kcat if g not in genes} | {g for c in self.custom for g in c.genes} - genes
        )
        if bad_g:
            raise UnknownGeneError(bad_g, gem.gene_ids)
        bad_r = sorted(
            {r for r, _, _ in self.kcat if r not in rxns} | {r for c in self.custom for r in c.reactions} - rxns
        )
        if bad_r:
            raise UnknownReactionError(bad_r, gem.reaction_ids)


def load_enzyme_data(gem: GEM, data_dir: str | os.PathLike | None = None) -> EnzymeData:
    """GECKO 3's Yeast-GEM tables from the reference data's ``gecko/`` folder.

    ``f`` is computed from PaxDb over the genes of ``gem``; ``Ptot`` is ``fluxData.tsv``'s.
    Entries of the predicted table for genes or reactions absent from ``gem`` (GECKO's tables
    were made for a slightly different Yeast-GEM release) are dropped here, those of the curated
    table too; :meth:`EnzymeData.validate_for` is strict for user-supplied tables.

    Raises:
        FileNotFoundError: a table is missing (names the folder and the env variable).
    """
    from yeastcell.refdata import reference_data_dir

    root = Path(data_dir) if data_dir is not None else reference_data_dir()
    d = root / "gecko"
    need = ("customKcats.tsv", "DLKcat.tsv.gz", "uniprot.tsv.gz", "paxDB.tsv", "fluxData.tsv")
    for name in need:
        if not (d / name).is_file():
            raise FileNotFoundError(f"{d / name} not found; set YEASTCELL_REFERENCE_DATA to the shared data folder")
    genes, rxns = set(gem.gene_ids), set(gem.reaction_ids)
    kcat = {k: v for k, v in read_dlkcat(d / "DLKcat.tsv.gz").items() if k[0] in rxns and k[2] in genes}
    custom = tuple(
        dataclasses.replace(c, reactions=tuple(r for r in c.reactions if r in rxns))
        for c in read_custom_kcats(d / "customKcats.tsv")
        if c.genes <= genes and (not c.reactions or any(r in rxns for r in c.reactions))
    )
    mw = read_masses(d / "uniprot.tsv.gz")
    f = modelled_mass_fraction(gem.gene_ids, read_paxdb(d / "paxDB.tsv"), mw)
    return EnzymeData(
        kcat=kcat, custom=custom, mw=mw, total_protein=read_total_protein(d / "fluxData.tsv"), mass_fraction=f
    )
