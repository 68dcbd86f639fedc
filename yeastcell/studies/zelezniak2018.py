"""Zelezniak et al. 2018: proteomes and metabolomes of kinase-knockout strains.

Zelezniak A, Vowinckel J, Capuano F, Messner CB, Demichev V, Polowsky N, Mülleder M, Kamrad S,
Klaus B, Keller MA, Ralser M (2018) Machine learning predicts the yeast metabolome from the
quantitative proteome of kinase knockouts. Cell Syst 7:269-283 (doi 10.1016/j.cels.2018.08.001).
Prototrophic BY4741 (+ pHLUM) deletion strains of (mostly) kinase genes, batch culture in minimal
medium; the reference-data copy withholds 20 of the 97 knockouts (SOURCES.md).

* `read_zelezniak2018_metabolome`: targeted LC-SRM metabolome (50 metabolites from three assays:
  1 = glycolysis/PPP/energy on all strains, 2 = TCA cycle, 3 = amino acids on subsets) as a
  `Dataset` of **log2 ratios to the wild type**: ``log2(value / mean of the wild-type replicates of
  the same metabolite and assay)``, computed per assay because the assays' arbitrary units differ.
  The measured values are batch-corrected SRM signals in arbitrary units, not concentrations, so
  only ratios within a metabolite and assay are meaningful. Conditions are ``wt`` and ``ko:ORF``
  (the deleted gene's systematic name: a perturbation a model resolves by ORF or, if it lacks the
  gene, reports as unknown when asked to resolve; the Dataset itself needs no model).
* `zelezniak2018_metabolite_matrix`: the strain-level mean log2 ratios, strains × metabolites (the
  input of the ``kinase_metabolome`` benchmark).
* `read_zelezniak2018_proteome`: SWATH-MS proteome (726 proteins) as a pandas DataFrame, index =
  the deleted gene's ORF, columns = protein ORFs, values = log2 ratio of the strain's mean to the
  wild-type mean (both averaged on the log scale, i.e. ratios of geometric means).
* `zelezniak2018_metabolite_map`: the authored map ``maps/zelezniak2018_metabolites.tsv`` (shipped
  with the package) from measured metabolites to sums of model species, and
  `zelezniak2018_map_coverage`, which of them a model can predict.

Wild type missing for an assay: the wild type was measured once in assays 1 and 2 and three times
in assay 3, but not for ATP, ADP, AMP, erythrose 4-phosphate (assay 1) and fumarate (assay 2). For
those the reference
is, by default (``no_wild_type="median"``), the median over the knockout strains of that metabolite
and assay (most kinase knockouts barely change the metabolome, so the median strain stands in for
the wild type); the observable's ``reference`` annotation says which reference each uses. With
``no_wild_type="drop"`` they are left out. Correlations across strains do not depend on the
reference; errors and signs do.

Two assays measuring one metabolite (10 metabolites in assays 1 and 2): with ``assays="separate"``
(default) each is its own observable, named ``<id>#<assay>`` (e.g. ``f6p#1``, ``f6p#2``; the
``#`` marks a repeated measurement, as in the perturbation notation's run labels), with replicates
kept; with ``assays="mean"`` one observable per metabolite id holds the strain's mean log2 ratio
averaged over the assays that measured it (each assay relative to its own wild type), one replicate.
Co-eluting compounds keep the table's joint id (``g6p;f6p;g6p-B`` in assay 1, ``g6p;g6p-B`` in
assay 2) and are different observables.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.dataset import Dataset
from ..data.reference import data_root, provenance, reference_file
from ..exceptions import DatasetError, UnknownNameError

if TYPE_CHECKING:
    import pandas as pd

ZELEZNIAK_DIR = "omics/zelezniak2018_kinase_ko"
METABOLITE_MAP = Path(__file__).resolve().parent / "maps" / "zelezniak2018_metabolites.tsv"
WILD_TYPE = "WT"  # the KO_ORF / ORF of the parent strain in the tables
NO_WILD_TYPE = ("median", "drop")
ASSAYS = ("separate", "mean")
SOURCE = (
    "Zelezniak A, Vowinckel J, Capuano F, Messner CB, Demichev V, Polowsky N, Mülleder M, Kamrad S, Klaus B, "
    "Keller MA, Ralser M (2018) Machine learning predicts the yeast metabolome from the quantitative proteome "
    "of kinase knockouts. Cell Syst 7:269-283; data of github alzel/kinase_metabolism @ 79ea3244 "
    "(Zenodo 10.5281/zenodo.1320288)"
)
DOI = "10.1016/j.cels.2018.08.001"
_METABOLOME_COLUMNS = (
    "metabolite_id",
    "kegg_id",
    "official_name",
    "dataset",
    "KO_ORF",
    "KO_gene",
    "replicate",
    "value",
)
_MAP_COLUMNS = ("metabolite_id", "kegg_id", "name", "model_expression", "note")
_SPECIES_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QC_PREFIX = "KL_St"  # standard-mix QC injections of the proteome (KL_St_Mix_*, KL_StMix_*)


def knockout_condition(orf: str) -> str:
    """Notation string of a strain: ``"wt"`` for the parent (``WT``), else ``"ko:<ORF>"``."""
    return "wt" if orf == WILD_TYPE else f"ko:{orf}"


# ------------------------------------------------------------------------------------------ metabolome
def _metabolome_table(root: Path) -> tuple[pd.DataFrame, Path]:
    """The long SRM table, checked: columns, positive finite values, one row per key."""
    import pandas as pd

    f = reference_file(root, f"{ZELEZNIAK_DIR}/metabolome_srm.tsv")
    df = pd.read_csv(f, sep="\t", dtype={"dataset": "Int64", "replicate": "Int64"}, float_precision="round_trip")
    if tuple(df.columns) != _METABOLOME_COLUMNS:
        raise DatasetError(f"{f}: expected columns {_METABOLOME_COLUMNS}, got {tuple(df.columns)}")
    for c in ("metabolite_id", "KO_ORF", "dataset", "replicate", "value"):
        if df[c].isna().any():
            raise DatasetError(f"{f}: empty {c!r} in row {int(np.flatnonzero(df[c].isna())[0]) + 2}")
    v = df["value"].to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(v) & (v > 0))
    if bad.any():
        raise DatasetError(
            f"{f}: value {v[bad][0]!r} in row {int(np.flatnonzero(bad)[0]) + 2} is not a positive number"
        )
    dup = df.duplicated(["metabolite_id", "dataset", "KO_ORF", "replicate"])
    if dup.any():
        raise DatasetError(
            f"{f}: duplicate (metabolite, assay, strain, replicate) in row {int(np.flatnonzero(dup)[0]) + 2}"
        )
    df["dataset"] = df["dataset"].astype(int)
    df["replicate"] = df["replicate"].astype(int)
    if (df["replicate"] < 1).any():
        raise DatasetError(f"{f}: replicate numbers start at 1")
    return df, f


def metabolome_log2_ratios(refdata: str | Path | None = None, no_wild_type: str = "median") -> pd.DataFrame:
    """The SRM table (one row per measured value) with ``log2_ratio`` and ``reference`` columns.

    ``log2_ratio = log2(value / reference)``, where the reference of a (metabolite, assay) is the
    mean of its wild-type replicates (``reference == "wt"``), or, when the wild type was not
    measured, the median over knockout strains of their mean value (``"median of knockouts"``;
    `no_wild_type` ``"median"``) or nothing (rows dropped; ``"drop"``).

    Raises:
        DatasetError: missing or malformed file, bad `no_wild_type`.
    """
    if no_wild_type not in NO_WILD_TYPE:
        raise DatasetError(f"no_wild_type must be one of {NO_WILD_TYPE}, got {no_wild_type!r}")
    df, _ = _metabolome_table(data_root(refdata))
    return _log2_ratios(df, no_wild_type)


def _log2_ratios(df: pd.DataFrame, no_wild_type: str) -> pd.DataFrame:
    key = ["metabolite_id", "dataset"]
    is_wt = df["KO_ORF"] == WILD_TYPE
    wt_ref = df[is_wt].groupby(key)["value"].mean()
    strain_means = df[~is_wt].groupby(key + ["KO_ORF"])["value"].mean()
    median_ref = strain_means.groupby(level=[0, 1]).median()
    idx = list(zip(df["metabolite_id"], df["dataset"]))
    has_wt = np.array([k in wt_ref.index for k in idx])
    ref = np.array([wt_ref[k] if w else median_ref.get(k, np.nan) for k, w in zip(idx, has_wt)], dtype=np.float64)
    out = df.copy()
    out["reference"] = np.where(has_wt, "wt", "median of knockouts")
    out["log2_ratio"] = np.log2(out["value"].to_numpy(dtype=np.float64) / ref)
    if no_wild_type == "drop":
        out = out[has_wt]
    return out.reset_index(drop=True)


def _observable_names(long: pd.DataFrame) -> dict[tuple[str, int], str]:
    """(metabolite_id, assay) -> observable: the id, suffixed ``#<assay>`` when measured in two assays."""
    pairs = sorted(set(zip(long["metabolite_id"], long["dataset"])), key=lambda p: (p[0], p[1]))
    n_assays: dict[str, int] = {}
    for m, _ in pairs:
        n_assays[m] = n_assays.get(m, 0) + 1
    return {(m, d): (m if n_assays[m] == 1 else f"{m}#{d}") for m, d in pairs}


def _check_rename(rename: Mapping[str, str] | None, ids: Iterable[str]) -> dict[str, str]:
    known = sorted(set(ids))
    out = dict(rename or {})
    for k, v in out.items():
        if k not in known:
            raise UnknownNameError("Zelezniak 2018 metabolite (in rename)", str(k), known)
        if not isinstance(v, str) or not v.strip() or v != v.strip():
            raise DatasetError(f"rename[{k!r}] must be a non-empty name without surrounding blanks, got {v!r}")
    targets: dict[str, list[str]] = {}
    for k, v in out.items():
        targets.setdefault(v, []).append(k)
    clash = {v: ks for v, ks in targets.items() if len(ks) > 1}
    if clash:
        v, ks = next(iter(clash.items()))
        raise DatasetError(f"rename maps several metabolites to {v!r}: {sorted(ks)} (observables must be unique)")
    return out


def zelezniak2018_metabolite_matrix(
    refdata: str | Path | None = None,
    assays: str = "mean",
    no_wild_type: str = "median",
    wild_type: bool = False,
) -> pd.DataFrame:
    """Strain-level mean log2 ratios to the wild type: rows = strains (the deleted gene's ORF,
    ``WT`` for the parent when `wild_type`), columns = metabolites; NaN where not measured.

    Each value is the mean over the strain's replicates of ``log2(value / reference)`` (module
    docstring). Columns: with ``assays="mean"`` (default) the 50 metabolite ids, averaged over the
    assays that measured the strain; with ``"separate"`` one column per (metabolite, assay), named
    as the observables of `read_zelezniak2018_metabolome`. ``df.attrs`` holds ``assay`` and
    ``reference`` per column and ``genes`` (strain ORF -> gene name).

    Raises:
        DatasetError: missing or malformed file, bad `assays` / `no_wild_type`.
    """
    if assays not in ASSAYS:
        raise DatasetError(f"assays must be one of {ASSAYS}, got {assays!r}")
    long = metabolome_log2_ratios(refdata, no_wild_type)
    return _strain_matrix(long, assays, wild_type)


def _strain_matrix(long: pd.DataFrame, assays: str, wild_type: bool) -> pd.DataFrame:
    if not wild_type:
        long = long[long["KO_ORF"] != WILD_TYPE]
    names = _observable_names(long)
    per_assay = long.groupby(["KO_ORF", "metabolite_id", "dataset"])["log2_ratio"].mean().reset_index()
    ref = long.groupby(["metabolite_id", "dataset"])["reference"].first()
    if assays == "separate":
        per_assay["column"] = [names[(m, d)] for m, d in zip(per_assay["metabolite_id"], per_assay["dataset"])]
        wide = per_assay.pivot(index="KO_ORF", columns="column", values="log2_ratio")
        assay_of = {names[k]: str(k[1]) for k in names}
        ref_of = {names[k]: str(ref[k]) for k in names}
    else:
        wide = per_assay.groupby(["KO_ORF", "metabolite_id"])["log2_ratio"].mean().unstack("metabolite_id")
        assay_of, ref_of = {}, {}
        for (m, d), r in ref.items():
            assay_of[m] = "+".join(filter(None, [assay_of.get(m, ""), str(d)]))
            ref_of[m] = r if ref_of.get(m, r) == r else "mixed"
    order = sorted(wide.index, key=lambda s: (s != WILD_TYPE, s))
    wide = wide.loc[order, sorted(wide.columns)]
    wide.index.name = "strain"
    wide.columns.name = "metabolite"
    genes = dict(zip(long["KO_ORF"], long["KO_gene"].fillna("").astype(str)))
    wide.attrs = {
        "assay": {c: assay_of[c] for c in wide.columns},
        "reference": {c: ref_of[c] for c in wide.columns},
        "genes": {s: genes.get(s, "") for s in wide.index},
        "unit": "log2 ratio to the wild type",
    }
    return wide


def read_zelezniak2018_metabolome(
    refdata: str | Path | None = None,
    rename: Mapping[str, str] | None = None,
    only_renamed: bool = False,
    assays: str = "separate",
    no_wild_type: str = "median",
) -> Dataset:
    """Zelezniak et al. 2018 kinase-knockout metabolome as log2 ratios to the wild type.

    Conditions: ``wt`` first, then ``ko:<ORF>`` of each knockout strain (75 in this copy of the
    data) in ORF order; one time point (0 min: exponential-phase batch culture, a steady state);
    replicates as in the table (``assays="separate"``: up to 3; ``"mean"``: one, the strain mean).
    Observables: the table's metabolite ids (iMM904/BiGG; ``#<assay>`` appended when a metabolite
    was measured in two assays with ``assays="separate"``), or their `rename` targets (a metabolite
    id -> a name, e.g. a model species id; the ``#<assay>`` suffix is kept). Values: log2 ratio to
    the wild type per metabolite and assay (module docstring), unit ``log2``; ``transform`` is
    ``"log2fc"`` with reference ``wt``. Unmeasured entries (a strain not in an assay) are masked.
    Annotations per observable: ``metabolite_id``, ``kegg_id``, ``name``, ``assay`` (``1``, ``2``,
    ``3`` or ``1+2`` for a mean over assays), ``reference`` (``wt`` or ``median of knockouts``).
    ``provenance["strains"]`` lists ORF=gene of every strain.

    Args:
        rename: metabolite id -> observable name (only ids of the table; unknown ids raise).
        only_renamed: keep only the metabolites named in `rename`.
        assays: ``"separate"`` or ``"mean"`` (module docstring).
        no_wild_type: ``"median"`` or ``"drop"``: the reference of metabolites without a wild-type
            measurement in their assay (ATP, ADP, AMP, E4P, fumarate).

    Raises:
        DatasetError: missing files, malformed table, bad options, a rename that merges metabolites.
        UnknownNameError: a metabolite id in `rename` that the table lacks (with close matches).
    """
    if assays not in ASSAYS:
        raise DatasetError(f"assays must be one of {ASSAYS}, got {assays!r}")
    if no_wild_type not in NO_WILD_TYPE:
        raise DatasetError(f"no_wild_type must be one of {NO_WILD_TYPE}, got {no_wild_type!r}")
    root = data_root(refdata)
    raw, f = _metabolome_table(root)
    names = _check_rename(rename, raw["metabolite_id"])
    long = _log2_ratios(raw, no_wild_type)
    if only_renamed:
        if not names:
            raise DatasetError("only_renamed=True needs a non-empty rename")
        long = long[long["metabolite_id"].isin(list(names))]
    info = long.drop_duplicates("metabolite_id").set_index("metabolite_id")
    strains = sorted(set(long["KO_ORF"]), key=lambda s: (s != WILD_TYPE, s))
    if assays == "separate":
        obs_of = _observable_names(long)
        cols = sorted(obs_of, key=lambda k: obs_of[k])
        obs_ids = [obs_of[k] for k in cols]
        assay_col = [str(d) for _, d in cols]
        mets = [m for m, _ in cols]
        ref = long.groupby(["metabolite_id", "dataset"])["reference"].first()
        ref_col = [str(ref[k]) for k in cols]
        n_rep = int(long["replicate"].max())
        values = np.full((len(strains), n_rep, 1, len(cols)), np.nan)
        ci = {s: i for i, s in enumerate(strains)}
        oi = {k: j for j, k in enumerate(cols)}
        for s, m, d, r, v in zip(
            long["KO_ORF"], long["metabolite_id"], long["dataset"], long["replicate"], long["log2_ratio"]
        ):
            values[ci[s], r - 1, 0, oi[(m, d)]] = v
    else:
        wide = _strain_matrix(long, "mean", wild_type=True)
        mets = list(wide.columns)
        obs_ids = mets
        assay_col = [wide.attrs["assay"][m] for m in mets]
        ref_col = [wide.attrs["reference"][m] for m in mets]
        values = wide.loc[strains, mets].to_numpy(dtype=np.float64)[:, None, None, :]
    observables = [names.get(m, m) + ob[len(m) :] for m, ob in zip(mets, obs_ids)]
    mask = np.isfinite(values)
    genes = dict(zip(raw["KO_ORF"], raw["KO_gene"].fillna("").astype(str)))
    no_wt = sorted({m for m, r in zip(mets, ref_col) if r != "wt"})
    return Dataset(
        conditions=tuple(knockout_condition(s) for s in strains),
        times_min=np.array([0.0]),
        observables=tuple(observables),
        values=np.where(mask, values, np.nan),
        mask=mask,
        transform="log2fc",
        reference="wt",
        units=dict.fromkeys(observables, "log2"),
        provenance=provenance(
            root,
            [f],
            source=SOURCE,
            doi=DOI,
            notes=(
                "targeted LC-SRM, batch-corrected signal in arbitrary units (not concentrations); values are "
                "log2(value / mean of the wild-type replicates of the same metabolite and assay); assays: 1 = "
                "glycolysis/PPP/energy (all strains), 2 = TCA cycle, 3 = amino acids (subsets of strains); "
                f"assays={assays!r}; "
                + (
                    f"no wild-type measurement for {', '.join(no_wt)}: reference = median over knockout strains"
                    if no_wt
                    else f"metabolites without a wild-type measurement: {no_wild_type}"
                )
                + "; 20 of the 97 published knockouts are withheld from this copy of the data"
            ),
            strains="; ".join(f"{s}={genes.get(s, '')}" for s in strains),
        ),
        annotations={
            "metabolite_id": tuple(mets),
            "kegg_id": tuple(str(info.loc[m, "kegg_id"]) for m in mets),
            "name": tuple(str(info.loc[m, "official_name"]) for m in mets),
            "assay": tuple(assay_col),
            "reference": tuple(ref_col),
        },
    )


# ------------------------------------------------------------------------------------------ proteome
def _proteome_samples(root: Path) -> tuple[pd.DataFrame, list[str], Path, Path]:
    """(sample metadata indexed by sample name, the proteome's strain sample columns, files)."""
    import pandas as pd

    f_prot = reference_file(root, f"{ZELEZNIAK_DIR}/proteome_sva_ln.tsv")
    f_meta = reference_file(root, f"{ZELEZNIAK_DIR}/sample_metadata.tsv")
    meta = pd.read_csv(f_meta, sep="\t", dtype=str, keep_default_na=False)
    for c in ("sample_name", "ORF", "gene"):
        if c not in meta.columns:
            raise DatasetError(f"{f_meta}: no column {c!r} (has {list(meta.columns)})")
    if meta["sample_name"].duplicated().any():
        raise DatasetError(
            f"{f_meta}: duplicate sample {meta['sample_name'][meta['sample_name'].duplicated()].iloc[0]!r}"
        )
    meta = meta.set_index("sample_name")
    header = pd.read_csv(f_prot, sep="\t", nrows=0).columns
    if header[0] != "ORF":
        raise DatasetError(f"{f_prot}: the first column must be 'ORF', got {header[0]!r}")
    samples = [c for c in header[1:] if not c.startswith(_QC_PREFIX)]
    unknown = [c for c in samples if c not in meta.index]
    if unknown:
        raise DatasetError(f"{f_prot}: samples {unknown[:3]} are not in {f_meta.name}")
    samples = [c for c in samples if meta.loc[c, "ORF"] not in ("none", "")]
    return meta, samples, f_prot, f_meta


def zelezniak2018_proteome_replicates(refdata: str | Path | None = None) -> tuple[int, dict[str, int]]:
    """(number of wild-type proteome samples, {strain ORF: number of its samples}) of the proteome
    table (standard-mix QC samples excluded).

    Raises:
        DatasetError: missing or malformed files.
    """
    meta, samples, _, _ = _proteome_samples(data_root(refdata))
    orfs = [str(meta.loc[s, "ORF"]) for s in samples]
    counts: dict[str, int] = {}
    for o in orfs:
        counts[o] = counts.get(o, 0) + 1
    n_wt = counts.pop(WILD_TYPE, 0)
    return n_wt, dict(sorted(counts.items()))


def zelezniak2018_proteome_standard_errors(refdata: str | Path | None = None) -> pd.DataFrame:
    """Standard errors of the log2 ratios of `read_zelezniak2018_proteome` (same index and columns).

    Per protein, the replicate variance s_p^2 is pooled over every strain and the wild type
    (within-group sums of squares of the log2 signal over their degrees of freedom: the table is
    batch-corrected, and the 12 wild-type samples spread over four batches vary as much as a
    strain's replicates, median sd 0.20 vs 0.19 log2); the ratio of a strain with n samples to the
    mean of the n_wt wild-type samples then has standard error s_p * sqrt(1/n + 1/n_wt). Inputs of
    `yeastcell.perturb.shrinkage.shrink_log_ratios`.

    Raises:
        DatasetError: missing or malformed files, or no protein with replicates.
    """
    import pandas as pd

    root = data_root(refdata)
    meta, samples, f_prot, _ = _proteome_samples(root)
    prot = pd.read_csv(f_prot, sep="\t", index_col=0, float_precision="round_trip")
    x = prot[samples].to_numpy(dtype=np.float64).T / np.log(2.0)
    orfs = np.array([str(meta.loc[s, "ORF"]) for s in samples])
    ss = np.zeros(x.shape[1])
    dof = 0
    for o in sorted(set(orfs)):
        v = x[orfs == o]
        if len(v) > 1:
            ss += ((v - v.mean(axis=0)) ** 2).sum(axis=0)
            dof += len(v) - 1
    if dof == 0:
        raise DatasetError(f"{f_prot}: no strain with replicate samples; standard errors need replicates")
    sd = np.sqrt(ss / dof)
    n_wt = int((orfs == WILD_TYPE).sum())
    strains = sorted(set(orfs[orfs != WILD_TYPE]))
    n = np.array([(orfs == s).sum() for s in strains], dtype=np.float64)
    se = sd[None, :] * np.sqrt(1.0 / n[:, None] + 1.0 / max(n_wt, 1))
    return pd.DataFrame(se, index=pd.Index(strains, name="strain"), columns=pd.Index(prot.index, name="protein"))


def read_zelezniak2018_proteome(refdata: str | Path | None = None) -> pd.DataFrame:
    """Zelezniak et al. 2018 SWATH-MS proteome as log2 ratios to the wild type, strains × proteins.

    Index: the deleted gene's ORF of each knockout strain (77 in this copy of the data; the wild
    type is not a row), named ``strain``. Columns: the 726 measured proteins' ORFs, named
    ``protein``. Values: mean over the strain's samples of the log2 signal minus the mean over the
    wild-type samples (the table's natural-log signal divided by ln 2), i.e. log2 ratios of
    geometric means. This wide layout is the exchange format of the knockout proteome with the
    rest of yeastcell. ``df.attrs``: ``n_wild_type_samples`` (12), ``replicates`` (strain ORF ->
    number of samples), ``genes`` (strain ORF -> gene name), ``unit``, ``source``, ``doi``.
    Standard-mix QC samples (``KL_St*`` columns, ORF ``none``) are left out.

    Raises:
        DatasetError: missing or malformed files, no wild-type sample, non-finite signal.
    """
    import pandas as pd

    root = data_root(refdata)
    meta, samples, f_prot, f_meta = _proteome_samples(root)
    prot = pd.read_csv(f_prot, sep="\t", index_col=0, float_precision="round_trip")
    if prot.index.duplicated().any():
        raise DatasetError(f"{f_prot}: duplicate protein {prot.index[prot.index.duplicated()][0]!r}")
    x = prot[samples].to_numpy(dtype=np.float64).T / np.log(2.0)  # (n_samples, n_proteins), log2
    if not np.all(np.isfinite(x)):
        raise DatasetError(f"{f_prot}: non-finite signal (the table has no missing values)")
    orfs = np.array([str(meta.loc[s, "ORF"]) for s in samples])
    is_wt = orfs == WILD_TYPE
    if not is_wt.any():
        raise DatasetError(f"{f_prot}: no wild-type sample (ORF {WILD_TYPE!r} in {f_meta.name})")
    wt = x[is_wt].mean(axis=0)
    strains = sorted(set(orfs[~is_wt]))
    values = np.stack([x[orfs == s].mean(axis=0) - wt for s in strains])
    out = pd.DataFrame(values, index=pd.Index(strains, name="strain"), columns=pd.Index(prot.index, name="protein"))
    genes = {str(meta.loc[s, "ORF"]): str(meta.loc[s, "gene"]) for s in samples}
    out.attrs = {
        "n_wild_type_samples": int(is_wt.sum()),
        "replicates": {s: int((orfs == s).sum()) for s in strains},
        "genes": {s: genes[s] for s in strains},
        "unit": "log2 ratio to the wild-type mean",
        "source": SOURCE,
        "doi": DOI,
    }
    return out


# ------------------------------------------------------------------------------------------ metabolite map
@dataclass(frozen=True)
class MetaboliteMapping:
    """One measured metabolite and the model species whose summed amounts it is compared with.

    Attributes:
        metabolite_id, kegg_id, name: as in the data table (``;``-joined for co-eluting compounds).
        model_expression: the authored sum, e.g. ``"CIT_c + CIT_m"``.
        terms: its species ids, e.g. ``("CIT_c", "CIT_m")``.
        note: rationale and caveats.
    """

    metabolite_id: str
    kegg_id: str
    name: str
    model_expression: str
    terms: tuple[str, ...]
    note: str


def parse_model_expression(text: str) -> tuple[str, ...]:
    """Species ids of a ``'A_c + B_m'`` sum (each an identifier, each once).

    Raises:
        DatasetError: an empty term, a term that is not a species id, a repeated term.
    """
    terms = tuple(t.strip() for t in str(text).split("+"))
    for t in terms:
        if not _SPECIES_ID.fullmatch(t):
            raise DatasetError(f"model expression {text!r}: {t!r} is not a species id (expected 'A_c + B_m')")
    if len(set(terms)) != len(terms):
        raise DatasetError(f"model expression {text!r} names a species twice")
    return terms


def zelezniak2018_metabolite_map(path: str | Path | None = None) -> dict[str, MetaboliteMapping]:
    """The authored metabolite map (``maps/zelezniak2018_metabolites.tsv``, TSV with ``#`` comment
    lines), by metabolite id, in file order.

    Raises:
        DatasetError: missing file, wrong columns, empty fields, a bad model expression, a repeated id.
    """
    p = Path(path) if path is not None else METABOLITE_MAP
    if not p.is_file():
        raise DatasetError(f"{p}: metabolite map not found (the package ships it as yeastcell/studies/maps/)")
    lines = [ln for ln in p.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.reader(lines, delimiter="\t"))
    if not rows or tuple(rows[0]) != _MAP_COLUMNS:
        raise DatasetError(f"{p}: expected columns {_MAP_COLUMNS}, got {rows[0] if rows else None}")
    out: dict[str, MetaboliteMapping] = {}
    for k, r in enumerate(rows[1:], start=2):
        if len(r) != len(_MAP_COLUMNS) or not all(x.strip() for x in r):
            raise DatasetError(f"{p}: row {k} needs {len(_MAP_COLUMNS)} non-empty tab-separated fields")
        if r[0] in out:
            raise DatasetError(f"{p}: row {k}: metabolite {r[0]!r} is mapped twice")
        try:
            terms = parse_model_expression(r[3])
        except DatasetError as err:
            raise DatasetError(f"{p}: row {k}: {err}") from None
        out[r[0]] = MetaboliteMapping(r[0], r[1], r[2], r[3], terms, r[4])
    return out


def _species_ids(model: Any) -> tuple[str, ...]:
    """Species ids of a compiled cell, a `ModelSpec`, a model name/path, or an iterable of ids."""
    if isinstance(model, str | Path):
        from ..load import load_model

        model = load_model(model)
    if hasattr(model, "species_ids"):
        return tuple(model.species_ids)
    if hasattr(model, "species"):
        return tuple(s.id for s in model.species)
    ids = tuple(model)
    if not all(isinstance(s, str) for s in ids):
        raise DatasetError("model must be a cell, a model spec, a model name or path, or an iterable of species ids")
    return ids


@dataclass(frozen=True)
class MapCoverage:
    """Which mapped metabolites a model can predict (every term of the expression a species).

    Attributes:
        mapped: metabolite ids whose every term is a species of the model, in map order.
        unmapped: metabolite id -> the terms the model lacks.
    """

    mapped: tuple[str, ...]
    unmapped: Mapping[str, tuple[str, ...]]

    @property
    def n_total(self) -> int:
        return len(self.mapped) + len(self.unmapped)

    @property
    def fraction(self) -> float:
        return len(self.mapped) / self.n_total if self.n_total else float("nan")

    def summary(self) -> str:
        """One line: ``"37 of 50 metabolites map (missing: ...)"``."""
        missing = sorted({t for ts in self.unmapped.values() for t in ts})
        return f"{len(self.mapped)} of {self.n_total} metabolites map" + (
            f" (species missing: {', '.join(missing)})" if missing else ""
        )


def zelezniak2018_map_coverage(model: Any, mapping: Mapping[str, MetaboliteMapping] | None = None) -> MapCoverage:
    """Which metabolites of the map (default: `zelezniak2018_metabolite_map`) `model` can predict.

    Args:
        model: a compiled cell, a `ModelSpec`, an embedded model name (``"yeast_core"``) or a model
            file path, or an iterable of species ids.

    Raises:
        DatasetError: a bad map or model argument. ModelFileError: a model name that cannot be loaded.
    """
    species = set(_species_ids(model))
    rows = zelezniak2018_metabolite_map() if mapping is None else mapping
    mapped, unmapped = [], {}
    for mid, m in rows.items():
        missing = tuple(t for t in m.terms if t not in species)
        if missing:
            unmapped[mid] = missing
        else:
            mapped.append(mid)
    return MapCoverage(tuple(mapped), unmapped)


def model_metabolite_amounts(
    cell, conc, metabolites: Iterable[str] | None = None, mapping: Mapping[str, MetaboliteMapping] | None = None
) -> np.ndarray:
    """Model values of mapped metabolites: the summed amounts (concentration × compartment volume)
    of each metabolite's terms, from concentrations `conc` of shape (..., n_species).

    Returns (..., n_metabolites) in mM·(compartment volume) units; only ratios of these (knockout
    to wild type) are comparable with the data. Default metabolites: every one `cell` maps.

    Raises:
        UnknownNameError: a metabolite the map lacks, or a term that is not a species of `cell`.
    """
    rows = zelezniak2018_metabolite_map() if mapping is None else mapping
    if metabolites is None:
        metabolites = zelezniak2018_map_coverage(cell, rows).mapped
    mets = list(metabolites)
    species = list(cell.species_ids)
    index = {s: i for i, s in enumerate(species)}
    vol = np.asarray(cell.volumes, dtype=np.float64)
    comp = np.asarray(cell.species_compartment)
    c = np.asarray(conc, dtype=np.float64)
    cols = []
    for m in mets:
        if m not in rows:
            raise UnknownNameError("Zelezniak 2018 metabolite (in the map)", m, rows)
        idx = []
        for t in rows[m].terms:
            if t not in index:
                raise UnknownNameError(f"species (term of {m!r})", t, species)
            idx.append(index[t])
        cols.append((c[..., idx] * vol[comp[idx]]).sum(axis=-1))
    return np.stack(cols, axis=-1) if cols else np.zeros(c.shape[:-1] + (0,))
