"""Kanshin et al. 2015: phosphoproteomics after 0.4 M NaCl, and the whole-cell model compared with it.

`read_kanshin2015` reads the time series (as processed by Köksal et al. 2018) from the
reference-data folder into a `Dataset`. The authored site map ``maps/kanshin2015_site_map.tsv``
(shipped with the package) maps measured phosphopeptides to model species (rule and rationale per
row; docs/signaling.md). The per-time-point significance flags (``firstScores.tsv`` of Köksal et
al. 2018: 0 = significant change vs. 0 min) are read by `read_significance`. The model side is the
log2 fold change of the amount of the mapped phospho-species after `osmotic_shock(0.4)` relative
to its amount at 0 min. A time point counts as matched when the model changes in the direction the
data change (a model change smaller than `min_model_log2fc` counts as no change, i.e. a mismatch).
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.dataset import Dataset
from ..data.reference import data_root, gene_names, provenance, reference_file
from ..exceptions import DatasetError, UnknownNameError
from ..perturb import Perturbation, osmotic_shock
from ..perturb import condition as named_condition
from ..simulate import simulate

KANSHIN_DIR = "omics/kanshin2015_osmotic_phospho"
SITE_MAP = Path(__file__).resolve().parent / "maps" / "kanshin2015_site_map.tsv"
_COLUMNS = ("peptide", "orf", "gene", "site", "motif", "model_phospho", "rationale")
NACL_M = 0.4  # the shock of the experiment


def read_kanshin2015(
    root: str | Path | None = None,
    orfs: Iterable[str] | None = None,
    condition: str = "cond:nacl_0.4M",
    reference: str = "wt",
) -> Dataset:
    """Kanshin et al. 2015 phosphoproteomics after 0.4 M NaCl, as processed by Köksal et al. 2018.

    4337 phosphopeptides (observables: modified peptide ids, e.g. ``"NVVDENLINDMDS(ph)EDAHK-18075"``)
    × 13 time points 0–60 min, one condition, one replicate, log2 fold change vs untreated cells
    (`reference`, at 0 min). Missing values are masked. Annotations: ``orf`` (the phosphoprotein's
    ORF), ``gene`` (SGD standard name, "" if none).

    Args:
        orfs: keep only peptides of these ORFs (or standard gene names).
        condition: the notation string used for the shock condition.

    Raises:
        DatasetError: missing files, inconsistent peptide map, unknown ORF filter.
    """
    import pandas as pd

    root = data_root(root)
    f_ts = reference_file(root, f"{KANSHIN_DIR}/timeSeries.tsv")
    f_map = reference_file(root, f"{KANSHIN_DIR}/peptideMapHeader.tsv")
    ts = pd.read_csv(f_ts, sep="\t", float_precision="round_trip")
    pm = pd.read_csv(f_map, sep="\t", dtype=str)
    if list(pm.columns[:2]) != ["Peptide", "Protein"] or ts.columns[0] != "ModifiedPeptideSeq":
        raise DatasetError(f"{f_ts}/{f_map.name}: unexpected columns")
    orf_of = dict(zip(pm["Peptide"], pm["Protein"]))
    peptides = ts["ModifiedPeptideSeq"].astype(str).tolist()
    missing = [p for p in peptides if p not in orf_of]
    if missing:
        raise DatasetError(f"{f_map}: no ORF for peptides {missing[:3]}")
    tcols = list(ts.columns[1:])
    times = []
    for c in tcols:
        m = re.fullmatch(r"T(\d+)", c)
        if not m:
            raise DatasetError(f"{f_ts}: time column {c!r} is not T<minutes>")
        times.append(float(m.group(1)))
    values = ts[tcols].to_numpy(dtype=np.float64).T  # (n_t, n_pep)
    names = gene_names(root)
    orf_col = [orf_of[p] for p in peptides]
    keep = np.ones(len(peptides), dtype=bool)
    if orfs is not None:
        wanted = {o.upper() for o in orfs}
        by_name = {n.upper(): o for o, n in names.items()}
        wanted = {by_name.get(o, o) for o in wanted}
        keep = np.array([o.upper() in wanted for o in orf_col])
        if not keep.any():
            raise DatasetError(f"no phosphopeptide of {sorted(set(orfs))[:5]} in Kanshin 2015")
    peptides = [p for p, k in zip(peptides, keep) if k]
    orf_col = [o for o, k in zip(orf_col, keep) if k]
    values = values[:, keep][None, None]
    mask = np.isfinite(values)
    return Dataset(
        conditions=(condition,),
        times_min=np.array(times),
        observables=tuple(peptides),
        values=values,
        mask=mask,
        transform="log2fc",
        reference=reference,
        reference_time_min=0.0,
        units=dict.fromkeys(peptides, "log2"),
        provenance=provenance(
            root,
            [f_ts, f_map],
            source="Kanshin E, Bergeron-Sandoval LP, Isik SS, Thibault P, Michnick SW (2015) A cell-signaling "
            "network temporally resolves specific versus promiscuous phosphorylation. Cell Rep "
            "10:1202-1214; processed time series of Köksal AS et al. (2018) Cell Rep 24:3607 "
            "(github gitter-lab/osmotic-stress @ b59f4a3b, Notebooks/ApplyThresholds)",
            doi="10.1016/j.celrep.2015.01.052",
            notes="0.4 M NaCl added at 0 min; values are log2 fold changes vs untreated cells; "
            "observables are modified peptide ids with Köksal's numeric suffix; NaN in the "
            "source = not measured (masked). The shared-data SOURCES.md names the journal as "
            "Mol Syst Biol; the paper is in Cell Reports.",
        ),
        annotations={"orf": tuple(orf_col), "gene": tuple(names.get(o, "") for o in orf_col)},
    )


@dataclass(frozen=True)
class SiteMapping:
    """One measured phosphopeptide and the model species (summed as amounts) it is compared with."""

    peptide: str
    orf: str
    gene: str
    site: str
    motif: str
    model_phospho: tuple[str, ...]
    rationale: str


def read_site_map(path: str | Path | None = None) -> list[SiteMapping]:
    """Read the authored site map (TSV with '#' comment lines).

    Raises:
        DatasetError: missing file, wrong columns, empty rows.
    """
    p = Path(path) if path is not None else SITE_MAP
    if not p.is_file():
        raise DatasetError(f"{p}: site map not found (the package ships it as yeastcell/studies/maps/)")
    lines = [ln for ln in p.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    rows = list(csv.reader(lines, delimiter="\t"))
    if not rows or tuple(rows[0]) != _COLUMNS:
        raise DatasetError(f"{p}: expected columns {_COLUMNS}, got {rows[0] if rows else None}")
    out = []
    for k, r in enumerate(rows[1:], start=2):
        if len(r) != len(_COLUMNS) or not all(x.strip() for x in r):
            raise DatasetError(f"{p}: row {k} needs {len(_COLUMNS)} non-empty tab-separated fields")
        out.append(SiteMapping(r[0], r[1], r[2], r[3], r[4], tuple(r[5].split("+")), r[6]))
    return out


def read_significance(root: str | Path | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Significance flags per peptide: (times (min), {peptide: bool array, True = significant vs 0 min})."""
    f = data_root(root) / KANSHIN_DIR / "firstScores.tsv"
    if not f.is_file():
        raise DatasetError(f"{f}: missing")
    with f.open() as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    header = rows[0]
    if not header[0].lstrip("#").startswith("ModifiedPeptideSeq"):
        raise DatasetError(f"{f}: unexpected header {header[:2]}")
    times = np.array([float(c.lstrip("T")) for c in header[1:]])
    flags = {r[0]: np.array([x.strip() == "0" for x in r[1:]]) for r in rows[1:]}
    return times, flags


@dataclass(frozen=True)
class KanshinComparison:
    """Result of `compare_kanshin2015`.

    Attributes:
        times_min: time points (min) of the data.
        peptides: mapped peptides that were measured.
        data_log2fc, model_log2fc: (n_peptides, n_times) log2 fold changes vs 0 min (NaN = not measured).
        significant: (n_peptides, n_times) bool, data significant at that time (t > 0).
        matched: (n_peptides, n_times) bool, direction matches (only meaningful where significant).
    """

    times_min: np.ndarray
    peptides: tuple[str, ...]
    sites: tuple[str, ...]
    data_log2fc: np.ndarray
    model_log2fc: np.ndarray
    significant: np.ndarray
    matched: np.ndarray

    @property
    def n_significant(self) -> int:
        return int(self.significant.sum())

    @property
    def n_matched(self) -> int:
        return int((self.matched & self.significant).sum())

    @property
    def fraction_matched(self) -> float:
        return self.n_matched / self.n_significant if self.n_significant else float("nan")

    def per_site(self) -> list[tuple[str, int, int]]:
        """(site label, matched, significant) per mapped peptide."""
        return [(s, int((m & g).sum()), int(g.sum())) for s, m, g in zip(self.sites, self.matched, self.significant)]


def _select(traj, idx):
    """The trajectory at save-time indices `idx` (a view with the same names)."""
    return dataclasses.replace(
        traj, t=np.asarray(traj.t)[idx], conc=np.asarray(traj.conc)[idx], flux=np.asarray(traj.flux)[idx]
    )


def model_phospho_log2fc(cell, traj, species: tuple[str, ...]) -> np.ndarray:
    """log2 of the summed amount of `species` (conc x compartment volume) relative to its first time point."""
    vol = np.asarray(cell.volumes)
    amount = sum(np.asarray(traj.species(s)) * vol[cell.species_compartment[cell.species_index(s)]] for s in species)
    return np.log2(amount / amount[0])


def compare_kanshin2015(
    cell,
    root: str | Path | None = None,
    condition: str | None = "aerobic_clamped",
    site_map: str | Path | None = None,
    min_model_log2fc: float = 0.1,
    options=None,
    traj=None,
) -> KanshinComparison:
    """Simulate 0.4 M NaCl in `cell` and compare directions of change with Kanshin 2015.

    Args:
        cell: a compiled model with the HOG module (e.g. ``yeastcell.load_cell("yeast_cell")``).
        root: the reference-data root (default: ``$YEASTCELL_REFERENCE_DATA`` or ../shared/data).
        condition: named condition of the model for the pre-shock state (None: the model's initial state).
        min_model_log2fc: model changes smaller than this (log2) count as "no change".
        traj: an already simulated 0.4 M NaCl trajectory of `cell` whose save times include the
            data's time points (0, 5, ..., 60 min); default: simulate it here.

    Raises:
        DatasetError: missing data or site map. UnknownNameError: a mapped species the model lacks.
        SolverError: the simulation failed.
    """
    mapping = read_site_map(site_map)
    for m in mapping:
        for s in m.model_phospho:
            if s not in cell.species_ids:
                raise UnknownNameError(f"species (site map row {m.peptide})", s, cell.species_ids)
    ds = read_kanshin2015(root, orfs=sorted({m.orf for m in mapping}))
    s_times, flags = read_significance(root)
    times = np.asarray(ds.times_min, dtype=float)
    if not np.array_equal(s_times, times[1:]):
        raise DatasetError(f"significance times {s_times} do not match data times {times}")
    if traj is None:
        pert: Perturbation = osmotic_shock(NACL_M)
        if condition is not None:
            pert = named_condition(condition) + pert
        traj = simulate(cell, pert, times, options=options).raise_if_failed()
    else:
        traj.raise_if_failed()
        tt = np.asarray(traj.t)
        pick = [int(np.argmin(np.abs(tt - x))) for x in times]
        if not np.allclose(tt[pick], times):
            raise DatasetError(f"the trajectory's save times do not include the data times {times}")
        traj = _select(traj, pick)
    obs = list(ds.observables)
    rows = [m for m in mapping if m.peptide in obs]
    if not rows:
        raise DatasetError("no mapped peptide is in the Kanshin 2015 time series")
    data = np.stack([np.asarray(ds.values)[0, 0, :, obs.index(m.peptide)] for m in rows])
    model = np.stack([model_phospho_log2fc(cell, traj, m.model_phospho) for m in rows])
    sig = np.stack([np.concatenate([[False], flags.get(m.peptide, np.zeros(len(s_times), bool))]) for m in rows])
    sig &= np.isfinite(data)
    model_dir = np.where(np.abs(model) >= min_model_log2fc, np.sign(model), 0.0)
    matched = sig & (model_dir == np.sign(data))
    return KanshinComparison(
        times, tuple(m.peptide for m in rows), tuple(f"{m.gene} {m.site}" for m in rows), data, model, sig, matched
    )


#: rate constants of the HOG cascade a fit estimates: Hog1 phosphorylation by Pbs2, its
#: dephosphorylation by Ptp2, the dephosphorylation of Pbs2 and of Rck2 (`Cell.theta_names` of yeast_cell)
FIT_PARAMETERS = ("HOG1_PHOS.kf", "HOG1_DEPHOS_PTP2.kf", "PBS2_DEPHOS.kf", "RCK2_DEPHOS.kf")

#: the shock as the HOG fits and the PEtab export write it: clamped aerobic medium, 0.4 M NaCl at 0 min
FIT_CONDITION = "cond:aerobic_clamped+nacl:0.4"


def mapped_dataset(root: str | Path | None = None, condition: str = FIT_CONDITION):
    """The peptides of the package's site map as fold changes vs the shocked culture's own 0-min state.

    Returns:
        (dataset, mapping peptide -> ``phospho:PROTEIN`` observable of the whole-cell model,
        significance flags (n_t, n_obs) bool, site labels "GENE SITE").
    """
    rows = read_site_map()
    ds = read_kanshin2015(root, orfs=sorted({m.orf for m in rows}), condition=condition)
    rows = [m for m in rows if m.peptide in ds.observables]
    ds = ds.subset(observables=[m.peptide for m in rows]).replace(reference=None)
    mapping = {m.peptide: "phospho:" + m.model_phospho[0].split("_")[0] for m in rows}
    s_times, flags = read_significance(root)
    sig = np.stack([np.concatenate([[False], flags.get(m.peptide, np.zeros(len(s_times), bool))]) for m in rows])
    return ds, mapping, sig.T, [f"{m.gene} {m.site}" for m in rows]
