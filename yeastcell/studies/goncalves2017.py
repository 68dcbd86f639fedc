"""Gonçalves et al. 2017: time-resolved omics of TORC1, osmotic and pheromone signalling, read into `Dataset`s.

Gonçalves E, Raguz Nakic Z, Zampieri M, Wagih O, Ochoa D, Sauer U, Beltrao P, Saez-Rodriguez J (2017)
Systematic analysis of transcriptional and post-transcriptional regulation of metabolism in yeast. PLoS Comput
Biol 13:e1005297 (doi 10.1371/journal.pcbi.1005297); data of github saezlab/yeast_phospho @ 09453e47 (two folders
of the reference data, SOURCES.md). The readers live in two modules:

* `yeastcell.studies.goncalves2017_nitrogen`: nitrogen upshift, nitrogen downshift and rapamycin: FIA-MS
  metabolome from the raw ion intensities, phosphoproteome, transcriptome, OD600 growth curves;
* `yeastcell.studies.goncalves2017_nacl`: NaCl, alpha-factor, both, and mock: targeted LC-MS metabolome,
  untargeted FIA-MS ions (6 replicates), phosphoproteome (UniProt sites, ORFs from gecko/uniprot.tsv.gz).

This module holds what they share: the experiment -> condition mapping, the authored metabolite map
(``maps/goncalves2017_metabolites.tsv``) and site map (``maps/goncalves2017_site_map.tsv``) and their coverage
reports. Choices and what is not mapped: docs/goncalves2017.md.

Conditions: a `Dataset` condition is a perturbation in yeastcell's notation: NaCl (``nacl:0.4``), the mock
(``wt``), nitrogen upshift / downshift (``nitrogen:0.1>75.7``, ``nitrogen:75.7>0.1``) and rapamycin
(``rapamycin:218.8``) have one; alpha-factor has none (the model has no pheromone pathway). The readers take
``conditions=`` (experiment name -> notation string, or a list of experiment names that have a default) and fail
with a clear error for an experiment with no perturbation. The
experiment names are kept in ``provenance["experiments"]``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..data.dataset import Dataset, parse_condition
from ..exceptions import DatasetError, UnknownNameError
from .zelezniak2018 import _species_ids, parse_model_expression

SOURCE = (
    "Gonçalves E, Raguz Nakic Z, Zampieri M, Wagih O, Ochoa D, Sauer U, Beltrao P, Saez-Rodriguez J (2017) "
    "Systematic analysis of transcriptional and post-transcriptional regulation of metabolism in yeast. "
    "PLoS Comput Biol 13:e1005297; data of github saezlab/yeast_phospho @ 09453e475463e96959512dc8d8cc5546ff6d2987"
)
DOI = "10.1371/journal.pcbi.1005297"
MAPS = Path(__file__).resolve().parent / "maps"
METABOLITE_MAP = MAPS / "goncalves2017_metabolites.tsv"
SITE_MAP = MAPS / "goncalves2017_site_map.tsv"
VOCABULARIES = ("kegg_name", "imm904", "targeted")
_METABOLITE_COLUMNS = ("vocabulary", "name", "model_expression", "note")
_SITE_COLUMNS = ("orf", "gene", "site", "model_phospho", "rationale")
SEP = " | "  # joins candidates / isoforms in annotation columns

#: time units of the source tables -> minutes
TIME_UNITS = {"s": 1.0 / 60.0, "sec": 1.0 / 60.0, "min": 1.0, "h": 60.0}
_TIME = re.compile(r"\s*([-+]?\d+(?:\.\d*)?)\s*([A-Za-z]*)\s*")


def to_minutes(value: str | float, unit: str | None = None, where: str = "") -> float:
    """A time as minutes: ``"-10min"``, ``"0.5min"`` (unit in the text), or a number with `unit`.

    Raises:
        DatasetError: a time that is not a number, or a unit not in `TIME_UNITS` (both named).
    """
    if isinstance(value, str):
        m = _TIME.fullmatch(value)
        if not m:
            raise DatasetError(f"{where}: time {value!r} is not a number with a unit (e.g. '-10min')")
        number, text_unit = float(m.group(1)), m.group(2)
        if text_unit and unit and text_unit != unit:
            raise DatasetError(f"{where}: time {value!r} is in {text_unit!r}, expected {unit!r}")
        unit = text_unit or unit
    else:
        number = float(value)
    if unit is None or unit == "":
        raise DatasetError(f"{where}: time {value!r} has no unit (one of {sorted(TIME_UNITS)})")
    if unit not in TIME_UNITS:
        raise DatasetError(f"{where}: unknown time unit {unit!r} of {value!r} (known: {sorted(TIME_UNITS)})")
    return number * TIME_UNITS[unit]


def resolve_conditions(
    experiments: Sequence[str],
    conditions: Mapping[str, str] | Iterable[str] | None,
    defaults: Mapping[str, str],
    study: str,
) -> dict[str, str]:
    """{experiment name: notation string} of the experiments to read, in the order asked for.

    `conditions`: None (every experiment with a default perturbation), a mapping experiment -> notation, or
    experiment names (each must have a default).

    Raises:
        UnknownNameError: a name that is not an experiment of the study (close matches listed).
        DatasetError: an experiment with no perturbation, a notation string yeastcell cannot parse, two
            experiments with the same notation, or nothing to read.
    """
    hint = (
        "alpha-factor is not a perturbation of yeastcell's notation (the model has no pheromone pathway); "
        "pass conditions={experiment: notation string}"
    )
    if conditions is None:
        chosen = {e: defaults[e] for e in experiments if e in defaults}
        if not chosen:
            raise DatasetError(
                f"{study}: none of the experiments {list(experiments)} has a perturbation in yeastcell's notation ({hint})"
            )
    elif isinstance(conditions, Mapping):
        chosen = dict(conditions)
    else:
        if isinstance(conditions, str):
            raise DatasetError(f"{study}: conditions must be a mapping or a list of experiment names, not a string")
        chosen = {}
        for name in conditions:
            if name not in experiments:
                raise UnknownNameError(f"{study} experiment", str(name), experiments)
            if name not in defaults:
                raise DatasetError(f"{study}: experiment {name!r} has no perturbation in yeastcell's notation ({hint})")
            chosen[name] = defaults[name]
    if not chosen:
        raise DatasetError(f"{study}: no experiment selected")
    for name, notation in chosen.items():
        if name not in experiments:
            raise UnknownNameError(f"{study} experiment", str(name), experiments)
        if not isinstance(notation, str) or not notation.strip():
            raise DatasetError(f"{study}: experiment {name!r} has no perturbation ({notation!r}; {hint})")
        parse_condition(notation.strip())
    notations = [n.strip() for n in chosen.values()]
    if len(set(notations)) != len(notations):
        raise DatasetError(f"{study}: two experiments map to one condition: {chosen}")
    return {k: v.strip() for k, v in chosen.items()}


def experiments_note(chosen: Mapping[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in chosen.items())


def _read_tsv(p: Path, columns: tuple[str, ...], what: str) -> list[list[str]]:
    if not p.is_file():
        raise DatasetError(f"{p}: {what} not found (the package ships it as yeastcell/studies/maps/)")
    lines = [ln for ln in p.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.reader(lines, delimiter="\t"))
    if not rows or tuple(rows[0]) != columns:
        raise DatasetError(f"{p}: expected columns {columns}, got {rows[0] if rows else None}")
    for k, r in enumerate(rows[1:], start=2):
        if len(r) != len(columns) or not all(x.strip() for x in r):
            raise DatasetError(f"{p}: row {k} needs {len(columns)} non-empty tab-separated fields")
    return rows[1:]


# ------------------------------------------------------------------------------------------ metabolite map
def goncalves2017_metabolite_map(path: str | Path | None = None) -> dict[tuple[str, str], tuple[str, ...]]:
    """The authored metabolite map: {(vocabulary, name): model species summed}, vocabularies as in
    `VOCABULARIES` (``kegg_name``: nitrogen-folder ion annotation names; ``imm904``: NaCl-folder iMM904 ids;
    ``targeted``: NaCl-folder targeted metabolite names).

    Raises:
        DatasetError: missing file, wrong columns, empty fields, a bad vocabulary or expression, a repeated name.
    """
    p = Path(path) if path is not None else METABOLITE_MAP
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for k, r in enumerate(_read_tsv(p, _METABOLITE_COLUMNS, "metabolite map"), start=2):
        if r[0] not in VOCABULARIES:
            raise DatasetError(f"{p}: row {k}: vocabulary {r[0]!r} is not one of {VOCABULARIES}")
        if (r[0], r[1]) in out:
            raise DatasetError(f"{p}: row {k}: {r[1]!r} ({r[0]}) is mapped twice")
        try:
            out[(r[0], r[1])] = parse_model_expression(r[2])
        except DatasetError as err:
            raise DatasetError(f"{p}: row {k}: {err}") from None
    return out


@dataclass(frozen=True)
class MetaboliteCoverage:
    """Which metabolite observables of a dataset a model can predict.

    Attributes:
        mapped: observable -> model species (summed), every species in the model.
        ambiguous: observables whose ion annotation names several metabolites (not resolved, not mapped).
        no_entry: observables with one metabolite that the map does not list (the models lack it).
        missing_species: observable -> mapped species the model lacks.
    """

    mapped: Mapping[str, tuple[str, ...]]
    ambiguous: tuple[str, ...]
    no_entry: tuple[str, ...]
    missing_species: Mapping[str, tuple[str, ...]]

    @property
    def n_total(self) -> int:
        return len(self.mapped) + len(self.ambiguous) + len(self.no_entry) + len(self.missing_species)

    def summary(self) -> str:
        return (
            f"{len(self.mapped)} of {self.n_total} observables map ({len(self.ambiguous)} ambiguous annotations, "
            f"{len(self.no_entry)} metabolites not in the models, {len(self.missing_species)} with species missing)"
        )


def goncalves2017_metabolite_coverage(dataset: Dataset, model: Any) -> MetaboliteCoverage:
    """Coverage of a Gonçalves 2017 metabolome dataset's ``model_species`` annotation in `model` (a compiled
    cell, a `ModelSpec`, a model name such as ``"yeast_central"``, or species ids).

    Raises:
        DatasetError: a dataset without the ``model_species`` / ``n_candidates`` annotations.
    """
    ann = dataset.annotations
    if "model_species" not in ann or "n_candidates" not in ann:
        raise DatasetError("not a Gonçalves 2017 metabolome dataset (no model_species / n_candidates annotation)")
    species = set(_species_ids(model))
    mapped: dict[str, tuple[str, ...]] = {}
    ambiguous, no_entry, missing = [], [], {}
    for obs, expr, n in zip(dataset.observables, ann["model_species"], ann["n_candidates"]):
        if int(n) > 1:
            ambiguous.append(obs)
        elif not expr:
            no_entry.append(obs)
        else:
            terms = parse_model_expression(expr)
            lack = tuple(t for t in terms if t not in species)
            if lack:
                missing[obs] = lack
            else:
                mapped[obs] = terms
    return MetaboliteCoverage(mapped, tuple(ambiguous), tuple(no_entry), missing)


# ------------------------------------------------------------------------------------------ site map
@dataclass(frozen=True)
class SiteMapping:
    """One phosphosite and the model species (summed as amounts) that are its phosphorylated protein."""

    orf: str
    gene: str
    site: str
    model_phospho: tuple[str, ...]
    rationale: str


def goncalves2017_site_map(path: str | Path | None = None) -> dict[tuple[str, str], SiteMapping]:
    """The authored site map, by (ORF, site) (e.g. ``("YHR205W", "S726")``), in file order.

    Raises:
        DatasetError: missing file, wrong columns, empty fields, a malformed site, a repeated site.
    """
    p = Path(path) if path is not None else SITE_MAP
    out: dict[tuple[str, str], SiteMapping] = {}
    for k, r in enumerate(_read_tsv(p, _SITE_COLUMNS, "site map"), start=2):
        if not re.fullmatch(r"[STY]\d+", r[2]):
            raise DatasetError(f"{p}: row {k}: site {r[2]!r} is not S/T/Y + position")
        if (r[0], r[2]) in out:
            raise DatasetError(f"{p}: row {k}: {r[0]} {r[2]} is mapped twice")
        out[(r[0], r[2])] = SiteMapping(r[0], r[1], r[2], parse_model_expression(r[3].replace("+", " + ")), r[4])
    return out


@dataclass(frozen=True)
class SiteCoverage:
    """Phosphosite observables of a dataset and the model.

    Attributes:
        mapped: observable -> model phospho-species (summed); every candidate site isoform of the observable
            carries a mapped site of that species, and every species is in the model.
        unmapped: observable -> gene, for observables on proteins the model has (a species named as the gene,
            e.g. ``Gln3``) that carry no mapped site.
        missing_species: observable -> mapped species the model lacks.
    """

    mapped: Mapping[str, tuple[str, ...]]
    unmapped: Mapping[str, str]
    missing_species: Mapping[str, tuple[str, ...]]

    def summary(self) -> str:
        genes = sorted(set(self.unmapped.values()))
        return (
            f"{len(self.mapped)} phosphosite observables map to model phospho-species; {len(self.unmapped)} on "
            f"model proteins are unmapped ({', '.join(genes)})"
            + (f"; {len(self.missing_species)} need species the model lacks" if self.missing_species else "")
        )


def _isoform_sites(text: str) -> list[list[str]]:
    """``"S39 | S40"`` -> [["S39"], ["S40"]]; ``"S278,T282"`` -> [["S278", "T282"]]; "" -> []."""
    return [[s.strip() for s in iso.split(",") if s.strip()] for iso in text.split(SEP.strip()) if iso.strip()]


def goncalves2017_site_coverage(
    dataset: Dataset, model: Any, site_map: Mapping[tuple[str, str], SiteMapping] | None = None
) -> SiteCoverage:
    """Which phosphosite observables of a Gonçalves 2017 phosphoproteome dataset (annotations ``orf``,
    ``gene``, ``sites``) map to phospho-species of `model` through the site map.

    An observable maps when every candidate isoform of its site localisation (``sites`` annotation, isoforms
    joined by `` | ``) holds a mapped site of one ORF, all to the same species. A shared peptide (ORFs joined
    by ``/``) never maps.

    Raises:
        DatasetError: a dataset without the ``orf`` / ``gene`` / ``sites`` annotations.
    """
    ann = dataset.annotations
    for k in ("orf", "gene", "sites"):
        if k not in ann:
            raise DatasetError(f"not a Gonçalves 2017 phosphoproteome dataset (no {k!r} annotation)")
    rows = goncalves2017_site_map() if site_map is None else site_map
    species = set(_species_ids(model))
    mapped: dict[str, tuple[str, ...]] = {}
    unmapped: dict[str, str] = {}
    missing: dict[str, tuple[str, ...]] = {}
    for obs, orf, gene, sites in zip(dataset.observables, ann["orf"], ann["gene"], ann["sites"]):
        targets = set()
        isoforms = _isoform_sites(sites)
        ok = bool(isoforms) and "/" not in orf
        for iso in isoforms:
            hits = {rows[(orf, s)].model_phospho for s in iso if (orf, s) in rows}
            if len(hits) != 1:
                ok = False
            targets |= hits
        if ok and len(targets) == 1:
            terms = next(iter(targets))
            lack = tuple(t for t in terms if t not in species)
            if lack:
                missing[obs] = lack
            else:
                mapped[obs] = terms
        elif gene and gene[:1].upper() + gene[1:].lower() in species:
            unmapped[obs] = gene
    return SiteCoverage(mapped, unmapped, missing)


def log2_or_nan(x: np.ndarray) -> np.ndarray:
    """log2 of positive entries, NaN elsewhere."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, np.log2(np.where(x > 0, x, 1.0)), np.nan)
