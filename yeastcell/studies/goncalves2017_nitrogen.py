"""Gonçalves et al. 2017, nitrogen upshift / nitrogen downshift / rapamycin (TORC1) time courses.

Reference data ``omics/goncalves2017_nitrogen_rapamycin/`` (SOURCES.md; the repository does not name the original
study of these dynamic data). Experiments ``N_upshift``, ``N_downshift``, ``Rapamycin``, by default the perturbations
``nitrogen:0.1>75.7`` (poor nitrogen source -> ammonium), ``nitrogen:75.7>0.1`` and ``rapamycin:218.8``
(200 ng/mL), `DEFAULT_CONDITIONS`; ``conditions=`` picks or renames them (module
`yeastcell.studies.goncalves2017`). Times are minutes from the perturbation; a simulation that starts on the
pre-shift medium uses `yeastcell.perturb.delayed` (a lead-in).

* `read_goncalves2017_nitrogen_metabolome`: FIA-MS ions from the RAW intensities (``metabol_intensities.tab``,
  ``metabol_samplesheet.tab``): per experiment, the 3 biological series (culture ids BY003, ...) are the replicates;
  values are ``log2(intensity / reference)``, the reference of a series and ion being the geometric mean of the
  series' samples taken at -10 min (3-4 samples per series; the processed ``metabolomics_dynamic.tab`` of the
  source also divides by the -10 min samples). Samples at -4.5 ... -0.5 min (N_downshift) are kept as time points,
  not used as reference. The -10 min time point holds the mean of the reference samples' log2 ratios (0).
* `read_goncalves2017_nitrogen_phospho`: ``dynamic_phosphoproteomics.tab`` (peptide level, every peptide, fold
  changes vs 0 min as published) rather than the processed ``pproteomics_dynamic.tab`` (which drops peptides with
  ambiguous sites or shared proteins, averages peptides per site and leaves out 0 min).
* `read_goncalves2017_nitrogen_transcriptome`: microarray signal -> ``log2(signal / signal of the -10 min sample)``.
* `read_goncalves2017_nitrogen_growth`: OD600 per series (raw), time from the perturbation (the file's
  ``time_perturbation``, in hours: OD rises 0.03 -> 1.5 over ~15 units, a yeast growth curve).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..data.dataset import Dataset
from ..data.reference import data_root, gene_names, provenance, reference_file
from ..exceptions import DatasetError
from .goncalves2017 import (
    DOI,
    SEP,
    SOURCE,
    experiments_note,
    goncalves2017_metabolite_map,
    log2_or_nan,
    resolve_conditions,
    to_minutes,
)

if TYPE_CHECKING:
    import pandas as pd

NITROGEN_DIR = "omics/goncalves2017_nitrogen_rapamycin"
EXPERIMENTS = ("N_upshift", "N_downshift", "Rapamycin")
#: the fed medium (ammonium in YNB, models/signaling_tor.yaml) and a poor nitrogen source as an ammonium equivalent
#: (mM): the files do not name the sources; 0.1 mM gives glutamine 1.8 mM and TORC1 at 46 % of its fed activity in
#: the TORC1 module (a modelling choice, a fitted quantity in the forecast benchmark, docs/signaling_forecast.md)
RICH_NITROGEN_MM = 75.7
POOR_NITROGEN_MM = 0.1
#: rapamycin 200 ng/mL (914.2 g/mol) in nM, the dose of these experiments (Gonçalves 2017)
RAPAMYCIN_NM = 218.8
DEFAULT_CONDITIONS: dict[str, str] = {
    "N_upshift": f"nitrogen:{POOR_NITROGEN_MM:g}>{RICH_NITROGEN_MM:g}",
    "N_downshift": f"nitrogen:{RICH_NITROGEN_MM:g}>{POOR_NITROGEN_MM:g}",
    "Rapamycin": f"rapamycin:{RAPAMYCIN_NM:g}",
}
REFERENCE_TIME_MIN = -10.0
STUDY = "Gonçalves 2017 nitrogen/rapamycin"
Conditions = Mapping[str, str] | Iterable[str] | None


def _read(path: Path, **kw) -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(path, sep="\t", float_precision="round_trip", **kw)


def _time_grid(times_per_cond: list[list[float]]) -> np.ndarray:
    return np.array(sorted({round(t, 9) for ts in times_per_cond for t in ts}), dtype=np.float64)


def _mz(col, f: Path) -> list[str]:
    """m/z values as ``%.2f`` strings (the tables write 115 and 115.00 for one ion)."""
    try:
        return [f"{float(v):.2f}" for v in col]
    except ValueError:
        raise DatasetError(f"{f}: an m/z that is not a number") from None


def _ion_table(root: Path, annotation: str | Path | None):
    """(intensities by ion (n_ion, n_samples) DataFrame, ion m/z strings, candidates per ion, files)."""
    f_int = reference_file(root, f"{NITROGEN_DIR}/metabol_intensities.tab")
    f_ann = (
        Path(annotation)
        if annotation is not None
        else reference_file(root, f"{NITROGEN_DIR}/dynamic_metabolite_annotation.txt")
    )
    if not f_ann.is_file():
        raise DatasetError(f"{f_ann}: missing")
    raw = _read(f_int, dtype={"m/z": str})
    if list(raw.columns[:3]) != ["m/z", "metabolite", "metabolite_charge"]:
        raise DatasetError(f"{f_int}: expected columns m/z, metabolite, metabolite_charge, got {list(raw.columns[:3])}")
    ann = _read(f_ann, dtype=str)
    if list(ann.columns) != ["mz", "metabolite"]:
        raise DatasetError(f"{f_ann}: expected columns ['mz', 'metabolite'], got {list(ann.columns)}")
    pairs = list(zip(_mz(raw["m/z"], f_int), raw["metabolite"].astype(str)))
    ann_pairs = list(zip(_mz(ann["mz"], f_ann), ann["metabolite"].astype(str)))
    if pairs != ann_pairs:
        k = next((i for i, (a, b) in enumerate(zip(pairs, ann_pairs)) if a != b), min(len(pairs), len(ann_pairs)))
        raise DatasetError(
            f"{f_ann.name} does not match {f_int.name}: row {k + 2} is "
            f"{ann_pairs[k] if k < len(ann_pairs) else None} in the annotation, {pairs[k] if k < len(pairs) else None} "
            f"in the intensity table ({len(ann_pairs)} vs {len(pairs)} rows)"
        )
    samples = list(raw.columns[3:])
    x = raw[samples].to_numpy(dtype=np.float64)
    ions: list[str] = []
    rows: dict[str, int] = {}
    cands: dict[str, list[str]] = {}
    for i, (mz, name) in enumerate(pairs):
        if mz not in rows:
            rows[mz] = i
            ions.append(mz)
            cands[mz] = []
        elif not np.array_equal(x[i], x[rows[mz]], equal_nan=True):
            raise DatasetError(f"{f_int}: rows of ion m/z {mz} (one per candidate metabolite) differ in intensity")
        if name not in cands[mz]:
            cands[mz].append(name)
    import pandas as pd

    table = pd.DataFrame(x[[rows[m] for m in ions]], index=ions, columns=samples)
    return table, ions, cands, [f_int, f_ann]


def _kegg_ids(root: Path) -> dict[str, list[str]]:
    p = root / NITROGEN_DIR / "metabolite_mz_map_kegg.txt"
    if not p.is_file():
        return {}
    df = _read(p, dtype=str)
    out: dict[str, list[str]] = {}
    for k, n in zip(df["id"], df["name"]):
        out.setdefault(str(n), [])
        if k not in out[str(n)]:
            out[str(n)].append(str(k))
    return out


def read_goncalves2017_nitrogen_metabolome(
    root: str | Path | None = None, conditions: Conditions = None, annotation: str | Path | None = None
) -> Dataset:
    """FIA-MS metabolome (186 ions) after nitrogen upshift / downshift / rapamycin, log2 ratios to -10 min.

    Shape (n_experiments, 3 series, n_t, 186); times: the union of the experiments' sampling times (-10 ... 120
    min, 0.1 min early), masked where a series was not sampled. Observables ``mz_<m/z>`` (e.g. ``mz_87.01``).
    Annotations: ``mz``; ``candidates`` (every metabolite the annotation file gives the ion, joined by `` | ``:
    ambiguous annotations are kept, not resolved); ``n_candidates``; ``kegg_id`` (per candidate, from
    ``metabolite_mz_map_kegg.txt``, ``?`` when absent); ``model_species`` (``maps/goncalves2017_metabolites.tsv``,
    only for an ion with one candidate, else ""). ``provenance["series"]`` lists the series of each replicate.

    Args:
        conditions: experiment -> notation string (module `yeastcell.studies.goncalves2017`).
        annotation: another ion annotation file (default ``dynamic_metabolite_annotation.txt``); it must list the
            same (m/z, metabolite) rows as the intensity table.

    Raises:
        DatasetError: missing files, an annotation that does not match the intensity table, samples missing from
            the sample sheet, a time with an unknown unit, a series without a -10 min sample, bad conditions.
        UnknownNameError: an experiment name the folder does not have.
    """
    root = data_root(root)
    chosen = resolve_conditions(EXPERIMENTS, conditions, DEFAULT_CONDITIONS, STUDY)
    table, ions, cands, files = _ion_table(root, annotation)
    f_ss = reference_file(root, f"{NITROGEN_DIR}/metabol_samplesheet.tab")
    ss = _read(f_ss, dtype=str)
    if list(ss.columns) != ["sample", "time", "condition"]:
        raise DatasetError(f"{f_ss}: expected columns sample, time, condition, got {list(ss.columns)}")
    missing = sorted(set(table.columns) - set(ss["sample"]))
    if missing:
        raise DatasetError(f"{f_ss}: samples {missing[:3]} of the intensity table are not in the sample sheet")
    ss = ss[ss["sample"].isin(list(table.columns))]
    ss = ss.assign(
        t=[to_minutes(t, where=f"{f_ss.name} sample {s}") for s, t in zip(ss["sample"], ss["time"])],
        series=[s.split("_")[0] for s in ss["sample"]],
    )
    logx = log2_or_nan(table.to_numpy())  # (n_ion, n_samples)
    col = {s: i for i, s in enumerate(table.columns)}
    per_cond: dict[str, dict[str, dict[float, np.ndarray]]] = {}
    for exp in chosen:
        sub = ss[ss["condition"] == exp]
        per_cond[exp] = {}
        for series in sorted(set(sub["series"])):
            s_sub = sub[sub["series"] == series]
            ref_cols = [col[s] for s, t in zip(s_sub["sample"], s_sub["t"]) if t == REFERENCE_TIME_MIN]
            if not ref_cols:
                raise DatasetError(f"{f_ss}: series {series} ({exp}) has no sample at {REFERENCE_TIME_MIN:g} min")
            ref = np.nanmean(logx[:, ref_cols], axis=1)
            by_t: dict[float, list[int]] = {}
            for s, t in zip(s_sub["sample"], s_sub["t"]):
                by_t.setdefault(round(float(t), 9), []).append(col[s])
            per_cond[exp][series] = {t: np.nanmean(logx[:, c], axis=1) - ref for t, c in by_t.items()}
    times = _time_grid([[t for d in per_cond[e].values() for t in d] for e in chosen])
    n_rep = max(len(v) for v in per_cond.values())
    values = np.full((len(chosen), n_rep, times.size, len(ions)), np.nan)
    series_note = []
    for c, exp in enumerate(chosen):
        names = sorted(per_cond[exp])
        series_note.append(f"{exp}: {', '.join(names)}")
        for r, series in enumerate(names):
            for t, v in per_cond[exp][series].items():
                values[c, r, int(np.searchsorted(times, t)), :] = v
    mask = np.isfinite(values)
    kegg = _kegg_ids(root)
    mmap = goncalves2017_metabolite_map()
    observables = tuple(f"mz_{m}" for m in ions)
    model_species = []
    for m in ions:
        key = ("kegg_name", cands[m][0])
        model_species.append(" + ".join(mmap[key]) if len(cands[m]) == 1 and key in mmap else "")
    return Dataset(
        conditions=tuple(chosen.values()),
        times_min=times,
        observables=observables,
        values=np.where(mask, values, np.nan),
        mask=mask,
        transform="log2fc",
        reference=None,
        reference_time_min=REFERENCE_TIME_MIN,
        units=dict.fromkeys(observables, "log2"),
        provenance=provenance(
            root,
            [*files, f_ss],
            source=SOURCE,
            doi=DOI,
            experiments=experiments_note(chosen),
            series="; ".join(series_note),
            notes=(
                "FIA-MS (negative mode) ion intensities of whole-culture extracts; replicates = biological series "
                "(culture ids); value = log2(intensity / geometric mean of the same series' samples at -10 min), "
                "samples at one time of one series averaged on the log scale; the repository does not name the "
                "original study of these dynamic data (likely Oliveira AP et al. 2015; verify before citing)"
            ),
        ),
        annotations={
            "mz": tuple(ions),
            "candidates": tuple(SEP.join(cands[m]) for m in ions),
            "n_candidates": tuple(str(len(cands[m])) for m in ions),
            "kegg_id": tuple(SEP.join(",".join(kegg.get(n, ["?"])) for n in cands[m]) for m in ions),
            "model_species": tuple(model_species),
        },
    )


def _sites_of(peptide_map: pd.DataFrame) -> dict[str, str]:
    """peptide id -> candidate site isoforms: residues from the marked sequence ``QS[]SPANP...`` and positions
    from ``site_1..4``; isoforms joined by `` | ``, sites of one isoform by ``,``; "" when no position."""
    out: dict[str, list[str]] = {}
    for row in peptide_map.itertuples(index=False):
        seq = str(row.phosphopeptide)
        residues = [seq[i - 1] for i in range(len(seq)) if seq.startswith("[]", i)]
        pos = [int(float(p)) for p in (row.site_1, row.site_2, row.site_3, row.site_4) if p == p and str(p) != ""]
        if not pos or len(pos) != len(residues):
            continue
        iso = ",".join(f"{a}{p}" for a, p in zip(residues, pos))
        lst = out.setdefault(str(row.peptide), [])
        if iso not in lst:
            lst.append(iso)
    return {k: SEP.join(v) for k, v in out.items()}


def read_goncalves2017_nitrogen_phospho(root: str | Path | None = None, conditions: Conditions = None) -> Dataset:
    """Phosphopeptides after nitrogen upshift / downshift / rapamycin: log2 fold change vs 0 min.

    Shape (n_experiments, 1, 7 times 0 ... 79 min, n_peptides); observables are the table's peptide ids
    (sequence + number of phosphates, e.g. ``QSSPANPIGTYEYSR_1``), masked in experiments that did not measure
    them. Annotations: ``orf`` (``/``-joined for peptides shared by proteins), ``gene`` (the table's name),
    ``sites`` (candidate site isoforms from ``dynamic_peptides_map.tab``: ``S39 | S40`` = the phosphate is on
    S39 or S40; ``S278,T282`` = both), ``reliable_in`` (experiments whose ``reliably`` flag is 1).

    Raises:
        DatasetError: missing files, unexpected columns, a time column with an unknown unit, bad conditions.
        UnknownNameError: an experiment name the folder does not have.
    """
    root = data_root(root)
    chosen = resolve_conditions(EXPERIMENTS, conditions, DEFAULT_CONDITIONS, STUDY)
    f = reference_file(root, f"{NITROGEN_DIR}/dynamic_phosphoproteomics.tab")
    f_map = reference_file(root, f"{NITROGEN_DIR}/dynamic_peptides_map.tab")
    df = _read(f, dtype={"protein": str, "name": str, "peptide": str, "condition": str})
    for c in ("protein", "name", "peptide", "condition", "reliably"):
        if c not in df.columns:
            raise DatasetError(f"{f}: no column {c!r}")
    tcols = [c for c in df.columns if c[:1].isdigit()]
    times = np.array([to_minutes(c, where=f"{f.name} column") for c in tcols])
    df = df[df["condition"].isin(list(chosen))]
    if df.duplicated(["peptide", "condition"]).any():
        raise DatasetError(f"{f}: a peptide appears twice in one experiment")
    peptides = list(dict.fromkeys(df["peptide"]))
    idx = {p: i for i, p in enumerate(peptides)}
    values = np.full((len(chosen), 1, times.size, len(peptides)), np.nan)
    for ci, exp in enumerate(chosen):
        sub = df[df["condition"] == exp]
        values[ci, 0][:, [idx[p] for p in sub["peptide"]]] = sub[tcols].to_numpy(dtype=np.float64).T
    first = df.drop_duplicates("peptide").set_index("peptide")
    reliable = df[df["reliably"] == 1].groupby("peptide")["condition"].agg(lambda s: ",".join(s))
    sites = _sites_of(_read(f_map, dtype=str))
    mask = np.isfinite(values)
    return Dataset(
        conditions=tuple(chosen.values()),
        times_min=times,
        observables=tuple(peptides),
        values=values,
        mask=mask,
        transform="log2fc",
        reference=None,
        reference_time_min=0.0,
        units=dict.fromkeys(peptides, "log2"),
        provenance=provenance(
            root,
            [f, f_map],
            source=SOURCE,
            doi=DOI,
            experiments=experiments_note(chosen),
            notes=(
                "peptide-level fold changes vs 0 min as in the source table (log2 as in the source's processed "
                "tables); one replicate per experiment; missing = not measured"
            ),
        ),
        annotations={
            "orf": tuple(str(first.loc[p, "protein"]) for p in peptides),
            "gene": tuple(str(first.loc[p, "name"]) for p in peptides),
            "sites": tuple(sites.get(p, "") for p in peptides),
            "reliable_in": tuple(str(reliable.get(p, "")) for p in peptides),
        },
    )


def read_goncalves2017_nitrogen_transcriptome(root: str | Path | None = None, conditions: Conditions = None) -> Dataset:
    """Microarray transcriptome: log2(signal / signal of the series' -10 min sample), one series per experiment.

    Shape (n_experiments, 1, n_t, 5716); times -10, -5 (N_downshift only), 3, 7, 10, 14, 24, 56, 120 min.
    Observables: ORFs (``YORF``); an ORF with several probes gets ``#2``, ``#3`` on its later rows. Annotations:
    ``orf``, ``gene`` (SGD standard name from ``yeast-gem/SGDgeneNames.tsv``, "" if none).

    Raises:
        DatasetError: missing files, samples missing from the sample sheet, unknown time units, a non-positive
            signal, no -10 min sample, bad conditions.
        UnknownNameError: an experiment name the folder does not have.
    """
    root = data_root(root)
    chosen = resolve_conditions(EXPERIMENTS, conditions, DEFAULT_CONDITIONS, STUDY)
    f = reference_file(root, f"{NITROGEN_DIR}/dynamic_transcriptomics.tab")
    f_ss = reference_file(root, f"{NITROGEN_DIR}/dynamic_transcriptomics_samplesheet.tab")
    df = _read(f, dtype={"YORF": str})
    ss = _read(f_ss, dtype=str)
    if df.columns[0] != "YORF" or list(ss.columns) != ["sample", "time", "condition"]:
        raise DatasetError(f"{f.name}/{f_ss.name}: unexpected columns")
    missing = sorted(set(df.columns[1:]) - set(ss["sample"]))
    if missing:
        raise DatasetError(f"{f_ss}: samples {missing[:3]} are not in the sample sheet")
    x = log2_or_nan(df[list(df.columns[1:])].to_numpy())
    if np.isnan(x).any():
        raise DatasetError(f"{f}: non-positive or missing signal")
    col = {s: i for i, s in enumerate(df.columns[1:])}
    per: dict[str, dict[float, np.ndarray]] = {}
    for exp in chosen:
        sub = ss[ss["condition"] == exp]
        tt = {s: to_minutes(t, where=f"{f_ss.name} sample {s}") for s, t in zip(sub["sample"], sub["time"])}
        ref = [s for s, t in tt.items() if t == REFERENCE_TIME_MIN]
        if len(ref) != 1:
            raise DatasetError(f"{f_ss}: {exp} needs one sample at {REFERENCE_TIME_MIN:g} min, has {ref}")
        per[exp] = {round(t, 9): x[:, col[s]] - x[:, col[ref[0]]] for s, t in tt.items()}
    times = _time_grid([list(per[e]) for e in chosen])
    orfs = df["YORF"].astype(str).tolist()
    seen: dict[str, int] = {}
    obs = []
    for o in orfs:
        seen[o] = seen.get(o, 0) + 1
        obs.append(o if seen[o] == 1 else f"{o}#{seen[o]}")
    values = np.full((len(chosen), 1, times.size, len(obs)), np.nan)
    for c, exp in enumerate(chosen):
        for t, v in per[exp].items():
            values[c, 0, int(np.searchsorted(times, t))] = v
    names = gene_names(root)
    return Dataset(
        conditions=tuple(chosen.values()),
        times_min=times,
        observables=tuple(obs),
        values=values,
        mask=np.isfinite(values),
        transform="log2fc",
        reference=None,
        reference_time_min=REFERENCE_TIME_MIN,
        units=dict.fromkeys(obs, "log2"),
        provenance=provenance(
            root,
            [f, f_ss],
            source=SOURCE,
            doi=DOI,
            experiments=experiments_note(chosen),
            notes="microarray signal; value = log2(signal / signal of the same series at -10 min); one series each",
        ),
        annotations={"orf": tuple(orfs), "gene": tuple(names.get(o, "") for o in orfs)},
    )


def read_goncalves2017_nitrogen_growth(
    root: str | Path | None = None, conditions: Conditions = None, time_unit: str = "h"
) -> Dataset:
    """OD600 growth curves: shape (n_experiments, 3 series, n_t, 1), observable ``OD600`` (raw, unit ``OD600``),
    time = the file's ``time_perturbation`` (in `time_unit`, hours: not stated in the file) converted to minutes.

    Raises:
        DatasetError: missing file, unexpected columns, an unknown `time_unit`, bad conditions.
        UnknownNameError: an experiment name the folder does not have.
    """
    root = data_root(root)
    chosen = resolve_conditions(EXPERIMENTS, conditions, DEFAULT_CONDITIONS, STUDY)
    f = reference_file(root, f"{NITROGEN_DIR}/od600_growth_curves.tsv")
    df = _read(f, dtype={"condition": str, "sample": str})
    if list(df.columns) != ["condition", "time", "time_perturbation", "OD600", "sample"]:
        raise DatasetError(f"{f}: unexpected columns {list(df.columns)}")
    df = df[df["condition"].isin(list(chosen))]
    t_min = np.array([to_minutes(float(t), time_unit, where=f.name) for t in df["time_perturbation"]])
    times = _time_grid([list(t_min)])
    series = {e: sorted(set(df.loc[df["condition"] == e, "sample"])) for e in chosen}
    n_rep = max(len(s) for s in series.values())
    values = np.full((len(chosen), n_rep, times.size, 1), np.nan)
    cidx = {e: i for i, e in enumerate(chosen)}
    for (e, s, od), t in zip(df[["condition", "sample", "OD600"]].itertuples(index=False), t_min):
        values[cidx[e], series[e].index(s), int(np.searchsorted(times, round(t, 9))), 0] = od
    return Dataset(
        conditions=tuple(chosen.values()),
        times_min=times,
        observables=("OD600",),
        values=values,
        mask=np.isfinite(values),
        transform="raw",
        units={"OD600": "OD600"},
        provenance=provenance(
            root,
            [f],
            source=SOURCE,
            doi=DOI,
            experiments=experiments_note(chosen),
            series="; ".join(f"{e}: {', '.join(s)}" for e, s in series.items()),
            notes=f"OD600 per series; time from the perturbation, the file's time_perturbation read as {time_unit}",
        ),
    )
