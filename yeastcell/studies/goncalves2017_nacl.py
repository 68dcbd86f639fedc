"""Gonçalves et al. 2017, NaCl / alpha-factor / both / mock time courses (metabolome and phosphoproteome).

Reference data ``omics/goncalves2017_nacl_pheromone/`` (SOURCES.md). Experiments ``NaCl``, ``alpha``,
``NaCl+alpha``, ``control`` (mock). Default conditions: ``NaCl`` -> ``nacl:0.4`` (the concentration is not in the
files; 0.4 M as SOURCES.md), ``control`` -> ``wt``; alpha-factor is not a perturbation of the notation (no pheromone pathway in the model), so
``alpha`` and ``NaCl+alpha`` need ``conditions={experiment: notation}`` (module `yeastcell.studies.goncalves2017`).
The tables' time labels are seconds (25 ... 2700; 60 ... 2700 for the phosphoproteome) and are converted to
minutes (``time_unit="s"``). The tables hold log changes; the base is not stated in the files and is taken as 2
(``transform="log2fc"``; provenance notes say so).

* `read_goncalves2017_nacl_targeted`: 26 named metabolites (LC-MS), one replicate, change vs 0 s.
* `read_goncalves2017_nacl_metabolome`: 196 FIA-MS ions, change vs 25 s. ``replicates=True`` (default) reads
  ``metabolomics_dynamic_combination_std.csv``: 6 columns per experiment and time, kept as 6 replicates in column
  order (the file does not say whether they are biological or technical, nor whether column k is one culture at
  every time); the plain ``metabolomics_dynamic_combination.csv`` is their median (checked in the tests), read
  with ``replicates=False``. Some replicate columns sit ~4 log units above the others (outlier injections); they
  are kept as measured.
* `read_goncalves2017_nacl_phospho`: 2168 phosphosites (UniProt accession_residue) of NaCl / alpha / both at 1, 5,
  10, 20, 45 min; ORFs from the reference data's UniProt table ``gecko/uniprot.tsv.gz`` (every accession maps);
  the residue letter is checked against its sequence. The reference of the fold changes is not stated in the
  file (taken as untreated cells at 0 min). The source of these data is not named by the repository (the design
  matches Vaga S et al. 2014 Mol Syst Biol 10:767; verify before citing).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from ..data.dataset import Dataset
from ..data.reference import data_root, gene_names, provenance, reference_file
from ..exceptions import DatasetError
from .goncalves2017 import (
    DOI,
    SEP,
    SOURCE,
    TIME_UNITS,
    experiments_note,
    goncalves2017_metabolite_map,
    resolve_conditions,
    to_minutes,
)

NACL_DIR = "omics/goncalves2017_nacl_pheromone"
EXPERIMENTS = ("NaCl", "alpha", "NaCl+alpha", "control")
DEFAULT_CONDITIONS = {"NaCl": "nacl:0.4", "control": "wt"}
STUDY = "Gonçalves 2017 NaCl/alpha-factor"
Conditions = Mapping[str, str] | Iterable[str] | None
_LOG_NOTE = "log changes as in the source table (base not stated; taken as log2)"


def _header(f: Path) -> list[str]:
    with f.open(newline="") as fh:
        return next(csv.reader(fh))


def _wide(
    f: Path, chosen: Mapping[str, str], time_unit: str
) -> tuple[list[str], np.ndarray, np.ndarray, dict[tuple[str, float], list[int]]]:
    """A CSV with row names and ``<experiment>_<time>`` columns (repeated columns = replicates):
    (row names, times (min), data (n_rows, n_cols), {(experiment, t): column indices})."""
    if time_unit not in TIME_UNITS:
        raise DatasetError(f"{f.name}: unknown time unit {time_unit!r} (known: {sorted(TIME_UNITS)})")
    header = _header(f)
    import pandas as pd

    df = pd.read_csv(f, header=None, skiprows=1, float_precision="round_trip")
    if df.shape[1] != len(header):
        raise DatasetError(f"{f}: {df.shape[1]} fields per row, {len(header)} in the header")
    cols: dict[tuple[str, float], list[int]] = {}
    for j, c in enumerate(header[1:]):
        m = re.fullmatch(r"(.+)_([-+]?\d+(?:\.\d+)?)", c)
        if not m:
            raise DatasetError(f"{f}: column {c!r} is not <experiment>_<time>")
        if m.group(1) not in EXPERIMENTS:
            raise DatasetError(f"{f}: column {c!r}: unknown experiment {m.group(1)!r} (known: {list(EXPERIMENTS)})")
        if m.group(1) in chosen:
            t = round(to_minutes(float(m.group(2)), time_unit, where=f.name), 9)
            cols.setdefault((m.group(1), t), []).append(j)
    if not cols:
        raise DatasetError(f"{f}: none of the experiments {list(chosen)} is in the table")
    names = [str(x) for x in df.iloc[:, 0]]
    data = df.iloc[:, 1:].to_numpy(dtype=np.float64)
    times = np.array(sorted({t for _, t in cols}))
    return names, times, data, cols


def _fill(chosen, times, data, cols, n_rep: int) -> np.ndarray:
    values = np.full((len(chosen), n_rep, times.size, data.shape[0]), np.nan)
    for c, exp in enumerate(chosen):
        for (e, t), js in cols.items():
            if e == exp:
                values[c, : len(js), int(np.searchsorted(times, t))] = data[:, js].T
    return values


def read_goncalves2017_nacl_targeted(
    root: str | Path | None = None, conditions: Conditions = None, time_unit: str = "s"
) -> Dataset:
    """Targeted LC-MS metabolome: 26 metabolites (observables: the table's names, e.g. ``G6P``), one
    replicate, times 0 ... 45 min (the 0 s column is the reference, all 0). Annotations ``imm904_id`` (from
    ``james_yeast.txt``, "" if none) and ``model_species`` (``maps/goncalves2017_metabolites.tsv``, "" if the
    models lack it or the name is a class such as ``Hexoses``).

    Raises:
        DatasetError: missing file, a malformed column, an unknown time unit, bad conditions.
        UnknownNameError: an experiment name the folder does not have.
    """
    root = data_root(root)
    chosen = resolve_conditions(EXPERIMENTS, conditions, DEFAULT_CONDITIONS, STUDY)
    f = reference_file(root, f"{NACL_DIR}/metabolomics_dynamic_combination_targeted.csv")
    names, times, data, cols = _wide(f, chosen, time_unit)
    if max(len(js) for js in cols.values()) != 1:
        raise DatasetError(f"{f}: repeated columns (replicates) are not expected in the targeted table")
    values = _fill(chosen, times, data, cols, 1)
    f_j = root / NACL_DIR / "james_yeast.txt"
    imm: dict[str, str] = {}
    if f_j.is_file():
        with f_j.open() as fh:
            imm = {r[0]: (r[1] if len(r) > 1 else "") for r in list(csv.reader(fh, delimiter="\t"))[1:] if r}
    mmap = goncalves2017_metabolite_map()
    return Dataset(
        conditions=tuple(chosen.values()),
        times_min=times,
        observables=tuple(names),
        values=values,
        mask=np.isfinite(values),
        transform="log2fc",
        reference_time_min=0.0,
        units=dict.fromkeys(names, "log2"),
        provenance=provenance(
            root,
            [f],
            source=SOURCE,
            doi=DOI,
            experiments=experiments_note(chosen),
            notes=f"targeted LC-MS; {_LOG_NOTE}; vs the 0 s sample; time labels read as {time_unit}",
        ),
        annotations={
            "imm904_id": tuple(imm.get(n, "") for n in names),
            "model_species": tuple(" + ".join(mmap.get(("targeted", n), ())) for n in names),
        },
    )


def read_goncalves2017_nacl_metabolome(
    root: str | Path | None = None,
    conditions: Conditions = None,
    replicates: bool = True,
    time_unit: str = "s",
    annotation: str | Path | None = None,
) -> Dataset:
    """Untargeted FIA-MS metabolome: 196 ions (``mz_<m/z>``, 4 decimals), change vs the 25 s sample.

    Shape (n_experiments, 6 replicates or 1 (the median, ``replicates=False``), 11 times 25 s ... 45 min, 196).
    Annotations: ``mz``; ``candidates`` (every iMM904 metabolite name the annotation gives the ion, `` | ``);
    ``imm904_ids``; ``ion_mods`` (the adduct of each candidate, e.g. ``-H(+)``); ``n_candidates`` (distinct ids);
    ``model_species`` (only for one candidate).

    Args:
        annotation: another ion annotation file (default ``2015_12_10_fia_experiments_imm904_annotation.txt``);
            every ion of the data must be in it.

    Raises:
        DatasetError: missing files, an ion the annotation lacks, an unknown time unit, bad conditions.
        UnknownNameError: an experiment name the folder does not have.
    """
    root = data_root(root)
    chosen = resolve_conditions(EXPERIMENTS, conditions, DEFAULT_CONDITIONS, STUDY)
    name = "metabolomics_dynamic_combination_std.csv" if replicates else "metabolomics_dynamic_combination.csv"
    f = reference_file(root, f"{NACL_DIR}/{name}")
    f_ann = (
        Path(annotation)
        if annotation is not None
        else reference_file(root, f"{NACL_DIR}/2015_12_10_fia_experiments_imm904_annotation.txt")
    )
    if not f_ann.is_file():
        raise DatasetError(f"{f_ann}: missing")
    rows, times, data, cols = _wide(f, chosen, time_unit)
    n_rep = max(len(js) for js in cols.values())
    values = _fill(chosen, times, data, cols, n_rep)
    import pandas as pd

    ann = pd.read_csv(f_ann, sep="\t", dtype={"id": str, "name": str, "mod": str})
    for c in ("mz", "id", "name", "mod"):
        if c not in ann.columns:
            raise DatasetError(f"{f_ann}: no column {c!r}")
    ions = [f"{float(r):.4f}" for r in rows]
    by_mz: dict[str, list[tuple[str, str, str]]] = {}
    for mz, i, n, mod in zip(ann["mz"], ann["id"], ann["name"], ann["mod"]):
        lst = by_mz.setdefault(f"{float(mz):.4f}", [])
        if (i, n, mod) not in lst:
            lst.append((i, n, mod))
    lacking = [m for m in ions if m not in by_mz]
    if lacking:
        raise DatasetError(
            f"{f_ann.name} does not match {f.name}: {len(lacking)} ions have no annotation (first m/z {lacking[0]})"
        )
    mmap = goncalves2017_metabolite_map()
    ids = [list(dict.fromkeys(i for i, _, _ in by_mz[m])) for m in ions]
    observables = tuple(f"mz_{m}" for m in ions)
    return Dataset(
        conditions=tuple(chosen.values()),
        times_min=times,
        observables=observables,
        values=values,
        mask=np.isfinite(values),
        transform="log2fc",
        reference_time_min=float(times[0]),
        units=dict.fromkeys(observables, "log2"),
        provenance=provenance(
            root,
            [f, f_ann],
            source=SOURCE,
            doi=DOI,
            experiments=experiments_note(chosen),
            notes=(
                f"FIA-MS ions; {_LOG_NOTE}; vs the first (25 s) sample; "
                + (
                    "6 replicate columns per experiment and time (column order; biological or technical not stated); "
                    if replicates
                    else "median of the 6 replicate columns (the source's summary table); "
                )
                + f"time labels read as {time_unit}"
            ),
        ),
        annotations={
            "mz": tuple(ions),
            "candidates": tuple(SEP.join(dict.fromkeys(n for _, n, _ in by_mz[m])) for m in ions),
            "imm904_ids": tuple(SEP.join(i) for i in ids),
            "ion_mods": tuple(SEP.join(dict.fromkeys(d for _, _, d in by_mz[m])) for m in ions),
            "n_candidates": tuple(str(len(i)) for i in ids),
            "model_species": tuple(" + ".join(mmap.get(("imm904", i[0]), ())) if len(i) == 1 else "" for i in ids),
        },
    )


def read_goncalves2017_nacl_phospho(
    root: str | Path | None = None, conditions: Conditions = None, time_unit: str = "s"
) -> Dataset:
    """Phosphoproteome after NaCl / alpha-factor / both: 2168 sites, one replicate, 1 ... 45 min.

    Observables: the table's ``<UniProt accession>_<residue>`` (e.g. ``P11792_S726``). Annotations:
    ``uniprot``, ``orf`` (from ``gecko/uniprot.tsv.gz`` of the reference data), ``gene`` (SGD name), ``sites``
    (the residue, e.g. ``S726``), ``residue_check`` (``ok`` when the sequence has that residue at that position,
    else ``mismatch``). There is no mock (``control``) column in this table.

    Raises:
        DatasetError: missing files, a malformed site, an accession the UniProt table lacks, an unknown time
            unit, bad conditions (e.g. only ``control``).
        UnknownNameError: an experiment name the folder does not have.
    """
    import pandas as pd

    root = data_root(root)
    chosen = resolve_conditions(EXPERIMENTS, conditions, DEFAULT_CONDITIONS, STUDY)
    f = reference_file(root, f"{NACL_DIR}/pproteomics_dynamic_combination.csv")
    f_u = reference_file(root, "gecko/uniprot.tsv.gz")
    absent = [e for e in chosen if e == "control"]
    if absent:
        raise DatasetError(f"{f.name} has no {absent[0]!r} (mock) columns; leave it out of conditions")
    sites, times, data, cols = _wide(f, chosen, time_unit)
    values = _fill(chosen, times, data, cols, 1)
    u = pd.read_csv(f_u, sep="\t", dtype=str)
    orf_of = dict(zip(u["Entry"], u["Gene Names (ordered locus)"]))
    seq_of = dict(zip(u["Entry"], u["Sequence"]))
    acc, res, check = [], [], []
    for s in sites:
        m = re.fullmatch(r"([A-Z0-9]+)_([STY])(\d+)", s)
        if not m:
            raise DatasetError(f"{f}: site {s!r} is not <UniProt accession>_<S|T|Y><position>")
        if m.group(1) not in orf_of:
            raise DatasetError(f"{f}: accession {m.group(1)!r} is not in {f_u.name}")
        acc.append(m.group(1))
        res.append(m.group(2) + m.group(3))
        seq, pos = str(seq_of[m.group(1)]), int(m.group(3))
        check.append("ok" if 0 < pos <= len(seq) and seq[pos - 1] == m.group(2) else "mismatch")
    orfs = [str(orf_of[a]) for a in acc]
    names = gene_names(root)
    return Dataset(
        conditions=tuple(chosen.values()),
        times_min=times,
        observables=tuple(sites),
        values=values,
        mask=np.isfinite(values),
        transform="log2fc",
        reference_time_min=0.0,
        units=dict.fromkeys(sites, "log2"),
        provenance=provenance(
            root,
            [f, f_u],
            source=SOURCE,
            doi=DOI,
            experiments=experiments_note(chosen),
            notes=(
                f"{_LOG_NOTE}; reference not stated in the file (taken as untreated cells, 0 min); time labels "
                f"read as {time_unit}; ORFs from the UniProt table gecko/uniprot.tsv.gz; data source not named "
                "by the repository (design matches Vaga S et al. 2014 Mol Syst Biol 10:767; verify before citing)"
            ),
        ),
        annotations={
            "uniprot": tuple(acc),
            "orf": tuple(orfs),
            "gene": tuple(names.get(o, "") for o in orfs),
            "sites": tuple(res),
            "residue_check": tuple(check),
        },
    )
