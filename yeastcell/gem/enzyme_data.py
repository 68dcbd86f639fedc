"""Enzyme parameters of an enzyme-constrained GEM: turnover numbers, masses, abundances.

The tables are GECKO 3's (Chen et al. 2024 Nat Protoc 19:629; the ``gecko/`` folder of the
reference data):

* ``customKcats.tsv``: curated kcats (1/s) per protein or complex (genes joined by ``and``),
  optionally restricted to listed reactions, with the complex's subunit stoichiometry (column
  ``stoicho``, e.g. ``3 + 3 + 1 + … + 10`` for ATP synthase) where GECKO gives it;
* ``DLKcat.tsv.gz``: kcats (1/s) **predicted** by DLKcat (Li et al. 2022 Nat Catal 5:662) per
  reaction × gene × substrate; GECKO's ids ``r_0001_EXP_2`` (2nd isoenzyme) and ``r_0001_REV``
  (reverse direction) are reduced here to ``(reaction, direction, gene)``, keeping the largest value
  over substrates (GECKO's ``selectKcatValue(…, 'max')``); rows without a prediction (``None``) are
  dropped;
* ``uniprot.tsv.gz``: protein masses (Da = g mol⁻¹) and EC numbers by ordered-locus ORF;
* ``paxDB.tsv``: PaxDb whole-organism abundances (ppm), for the mass fraction of the proteome that
  the model's enzymes make up;
* ``fluxData.tsv``: the measured total protein content ``Ptot`` (g gDW⁻¹).
* ``yeast-gem/SGDgeneNames.tsv`` (Yeast-GEM's): standard names, to find the cytosolic ribosomal
  proteins whose PaxDb mass fraction ``f_r`` the ribosome-priced pool adds (:mod:`yeastcell.gem.ribosome`).

:class:`EnzymeData` gathers them, validated: every gene must be one of the model's, every kcat and
mass positive and finite.
"""

from __future__ import annotations

import dataclasses
import gzip
import math
import os
import re
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
    "read_ec_numbers",
    "read_paxdb",
    "read_total_protein",
    "modelled_mass_fraction",
    "enzyme_composition",
    "load_enzyme_composition",
    "read_standard_names",
    "RIBOSOMAL_PROTEIN_NAMES",
    "ribosomal_genes",
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
        copies: subunit stoichiometry, gene → copies per complex (empty: not given, 1 each).
    """

    genes: frozenset[str]
    kcat: float
    reactions: tuple[str, ...] = ()
    note: str = ""
    copies: Mapping[str, float] = dataclasses.field(default_factory=dict)


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
    those genes), ``notes``, ``stoicho`` (optional: copies of each subunit joined by `` + ``, in the
    order of ``genes``; GECKO's ``applyKcatConstraints`` prices a complex as Σ copies·MW / kcat).

    Raises:
        EnzymeDataError: a missing column, an unparsable or non-positive kcat or stoichiometry, a
            stoichiometry whose length differs from the number of genes (naming the row).
    """
    path = Path(path)
    lines = [ln.rstrip("\n") for ln in _open(path) if ln.strip()]
    header = lines[0].split("\t")
    for col in ("genes", "kcat", "rxns"):
        if col not in header:
            raise EnzymeDataError(f"{path}: need a {col!r} column, got {header}")
    ig, ik, ir = header.index("genes"), header.index("kcat"), header.index("rxns")
    inote = header.index("notes") if "notes" in header else None
    istoich = header.index("stoicho") if "stoicho" in header else None
    out = []
    for n, ln in enumerate(lines[1:], start=2):
        row = ln.split("\t") + [""] * len(header)
        try:
            k = float(row[ik])
        except ValueError:
            raise EnzymeDataError(f"{path}: row {n}: kcat {row[ik]!r} is not a number") from None
        _check_kcat(k, f"{path} row {n}")
        ordered = [g.strip() for g in row[ig].replace(" AND ", " and ").split(" and ") if g.strip()]
        genes = frozenset(ordered)
        rxns = tuple(r.strip() for r in row[ir].split(",") if r.strip())
        if not genes and not rxns:
            raise EnzymeDataError(f"{path}: row {n} names neither genes nor reactions")
        copies = _read_copies(row[istoich] if istoich is not None else "", ordered, f"{path}: row {n}")
        out.append(CustomKcat(genes, k, rxns, row[inote].strip() if inote is not None else "", copies))
    return tuple(out)


def _read_copies(text: str, genes: list[str], where: str) -> dict[str, float]:
    """Subunit copies ``"3 + 1"`` aligned with ``genes``; ``{}`` when empty or all ones."""
    parts = [p.strip() for p in text.split("+") if p.strip()]
    if not parts:
        return {}
    if len(parts) != len(genes):
        raise EnzymeDataError(f"{where}: stoichiometry {text!r} has {len(parts)} entries for {len(genes)} genes")
    try:
        copies = [float(p) for p in parts]
    except ValueError:
        raise EnzymeDataError(f"{where}: stoichiometry {text!r} is not numbers joined by '+'") from None
    if not all(math.isfinite(c) and c > 0 for c in copies):
        raise EnzymeDataError(f"{where}: subunit copies must be positive, got {text!r}")
    return {} if all(c == 1 for c in copies) else dict(zip(genes, copies))


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


def _uniprot_column(path: Path, column: str):
    """(ORFs, value) of every row of a UniProt table (``Gene Names (ordered locus)``, ``;``-separated
    ORFs of identical paralogues) whose `column` is filled."""
    with _open(path) as fh:
        header = fh.readline().rstrip("\n").split("\t")
        try:
            io, iv = header.index("Gene Names (ordered locus)"), header.index(column)
        except ValueError:
            raise EnzymeDataError(f"{path}: need 'Gene Names (ordered locus)' and {column!r} columns") from None
        for ln in fh:
            row = ln.rstrip("\n").split("\t")
            if len(row) > max(io, iv) and row[iv].strip():
                yield [o.strip() for o in row[io].split(";") if o.strip()], row[iv]


def read_masses(path: str | os.PathLike) -> dict[str, float]:
    """Protein masses by ORF, g mol⁻¹ (UniProt ``Mass``, Da); an entry listing several ORFs
    (identical paralogues) gives each of them the mass."""
    path = Path(path)
    out: dict[str, float] = {}
    for orfs, value in _uniprot_column(path, "Mass"):
        mw = float(value)
        if not (math.isfinite(mw) and mw > 0):
            raise EnzymeDataError(f"{path}: non-positive mass {value!r} for {';'.join(orfs)!r}")
        out.update(dict.fromkeys(orfs, mw))
    return out


def read_ec_numbers(path: str | os.PathLike) -> dict[str, frozenset[str]]:
    """Complete EC numbers (four levels, no ``-``) by ORF from UniProt's ``EC number`` column
    (``;``-separated); proteins without one are left out."""
    out: dict[str, frozenset[str]] = {}
    for orfs, value in _uniprot_column(Path(path), "EC number"):
        ecs = frozenset(e.strip() for e in value.split(";") if e.strip() and "-" not in e)
        if ecs:
            out.update(dict.fromkeys(orfs, ecs))
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


def enzyme_composition(genes, abundance_ppm: Mapping[str, float], mw: Mapping[str, float]) -> dict[str, float]:
    """Each gene's share of the mass of ``genes`` in the proteome (PaxDb ppm × MW), summing to 1 over
    the genes with an abundance and a known mass (the others are left out).

    Raises:
        EnzymeDataError: none of ``genes`` has an abundance with a known mass.
    """
    mass = {g: abundance_ppm[g] * mw[g] for g in set(genes) if g in abundance_ppm and g in mw}
    total = sum(mass.values())
    if not total > 0:
        raise EnzymeDataError("none of the genes has an abundance with a known mass")
    return {g: m / total for g, m in mass.items()}


def load_enzyme_composition(gem: GEM, data_dir: str | os.PathLike | None = None) -> dict[str, float]:
    """:func:`enzyme_composition` of ``gem``'s genes from the reference data's PaxDb and UniProt tables
    (``gecko/paxDB.tsv``, ``gecko/uniprot.tsv.gz``): the measured make-up of the enzyme proteome.

    Raises:
        FileNotFoundError: a table is missing (names the folder and the env variable).
    """
    from yeastcell.refdata import reference_data_dir

    d = (Path(data_dir) if data_dir is not None else reference_data_dir()) / "gecko"
    for name in ("paxDB.tsv", "uniprot.tsv.gz"):
        if not (d / name).is_file():
            raise FileNotFoundError(f"{d / name} not found; set YEASTCELL_REFERENCE_DATA to the shared data folder")
    return enzyme_composition(gem.gene_ids, read_paxdb(d / "paxDB.tsv"), read_masses(d / "uniprot.tsv.gz"))


#: Standard names of the cytosolic ribosomal proteins (SGD): RPL*/RPS* with a number (not the
#: mitochondrial MRPL*/MRPS*), the P-stalk RPP0/RPP1A/RPP1B/RPP2A/RPP2B (not RPP1, an RNase P
#: subunit) and ASC1 (RACK1, a constituent of the 40S subunit).
RIBOSOMAL_PROTEIN_NAMES = re.compile(r"^(RP[LS]\d+[AB]?|RPP0|RPP[12][AB]|ASC1)$")


def ribosomal_genes(standard_names: Mapping[str, str]) -> list[str]:
    """ORFs whose standard name (ORF → name, e.g. SGD's) is a cytosolic r-protein
    (:data:`RIBOSOMAL_PROTEIN_NAMES`)."""
    return [orf for orf, name in standard_names.items() if RIBOSOMAL_PROTEIN_NAMES.match(str(name))]


@dataclasses.dataclass(frozen=True, eq=False)
class EnzymeData:
    """The enzyme parameters of one model.

    Attributes:
        kcat: predicted kcats, ``(reaction, direction "+"/"-", gene) -> 1/s``.
        custom: curated kcats (take precedence over ``kcat``).
        mw: protein masses, ``gene -> g mol⁻¹``.
        total_protein: measured protein content ``Ptot``, g gDW⁻¹.
        mass_fraction: ``f``, mass fraction of the proteome made of the model's enzymes.
        ec_numbers: complete EC numbers per gene (for kcats by EC number; empty: not used).
        ribosomal_mass_fraction: ``f_r``, mass fraction of the proteome made of the cytosolic
            ribosomal proteins (PaxDb), joined to ``f`` when the ribosome is priced
            (:mod:`yeastcell.gem.ribosome`); 0: unknown.
    """

    kcat: Mapping[tuple[str, str, str], float]
    custom: tuple[CustomKcat, ...]
    mw: Mapping[str, float]
    total_protein: float
    mass_fraction: float
    ec_numbers: Mapping[str, frozenset[str]] = dataclasses.field(default_factory=dict)
    ribosomal_mass_fraction: float = 0.0

    def __post_init__(self) -> None:
        if not (0 < self.total_protein <= 1):
            raise EnzymeDataError(f"total_protein must be in (0, 1] g/gDW, got {self.total_protein!r}")
        if not (0 < self.mass_fraction <= 1):
            raise EnzymeDataError(f"mass_fraction must be in (0, 1], got {self.mass_fraction!r}")
        f_r = self.ribosomal_mass_fraction
        if not (0 <= f_r < 1 and self.mass_fraction + f_r <= 1):
            raise EnzymeDataError(
                f"ribosomal_mass_fraction must be in [0, 1 - mass_fraction], got {f_r!r} "
                f"(mass_fraction {self.mass_fraction!r})"
            )
        for key, k in self.kcat.items():
            _check_kcat(k, "/".join(key))
        for c in self.custom:
            _check_kcat(c.kcat, f"custom entry {sorted(c.genes) or c.reactions}")
            if not set(c.copies) <= c.genes or not all(math.isfinite(x) and x > 0 for x in c.copies.values()):
                raise EnzymeDataError(
                    f"custom entry {sorted(c.genes)}: subunit copies must be positive and name its genes, "
                    f"got {dict(c.copies)}"
                )
        for g, m in self.mw.items():
            if not (math.isfinite(m) and m > 0):
                raise EnzymeDataError(f"mass of {g!r} must be positive (g/mol), got {m!r}")

    def copies(self, complex_genes: frozenset[str]) -> dict[str, float]:
        """Subunit copies of a complex (gene → copies; genes not listed: 1), from the curated entries
        whose genes the complex contains (the largest such entry first)."""
        out: dict[str, float] = {}
        for c in sorted(self.custom, key=lambda c: -len(c.genes)):
            if c.copies and c.genes <= complex_genes:
                for g, x in c.copies.items():
                    out.setdefault(g, x)
        return out

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

    ``f`` is computed from PaxDb over the genes of ``gem``, ``f_r`` over the cytosolic ribosomal
    proteins (named by ``yeast-gem/SGDgeneNames.tsv``; 0 when that file is absent, :func:`ribosomal_genes`);
    ``Ptot`` is ``fluxData.tsv``'s.
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
    names_path = root / "yeast-gem" / "SGDgeneNames.tsv"  # optional: without it f_r is unknown (0)
    genes, rxns = set(gem.gene_ids), set(gem.reaction_ids)
    kcat = {k: v for k, v in read_dlkcat(d / "DLKcat.tsv.gz").items() if k[0] in rxns and k[2] in genes}
    custom = tuple(
        dataclasses.replace(c, reactions=tuple(r for r in c.reactions if r in rxns))
        for c in read_custom_kcats(d / "customKcats.tsv")
        if c.genes <= genes and (not c.reactions or any(r in rxns for r in c.reactions))
    )
    mw = read_masses(d / "uniprot.tsv.gz")
    pax = read_paxdb(d / "paxDB.tsv")
    f = modelled_mass_fraction(gem.gene_ids, pax, mw)
    f_r = (
        modelled_mass_fraction(ribosomal_genes(read_standard_names(names_path)), pax, mw)
        if names_path.is_file()
        else 0.0
    )
    return EnzymeData(
        kcat=kcat,
        custom=custom,
        mw=mw,
        total_protein=read_total_protein(d / "fluxData.tsv"),
        mass_fraction=f,
        ec_numbers=read_ec_numbers(d / "uniprot.tsv.gz"),
        ribosomal_mass_fraction=f_r,
    )


def read_standard_names(path: str | os.PathLike) -> dict[str, str]:
    """ORF → standard name from a two-column TSV with a header (Yeast-GEM's ``SGDgeneNames.tsv``;
    ORFs without a standard name are left out)."""
    out: dict[str, str] = {}
    for ln in Path(path).read_text().splitlines()[1:]:
        row = ln.split("\t")
        if len(row) >= 2 and row[1].strip():
            out[row[0].strip()] = row[1].strip()
    return out
