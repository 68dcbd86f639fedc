"""Lahtvee et al. 2017 stress proteomics: the reader, and the whole-cell model's protein changes under
NaCl scored against it.

Lahtvee et al. 2017 measured the absolute proteome of glucose-limited chemostats (D = 0.1 h⁻¹) at
steady state under NaCl (0.2–1.4 M), heat (33–38 °C) and ethanol (20–60 g/L) stress
(`read_lahtvee2017`). Here the modelled proteins are compared with it:

* **Mapping**: a measured protein group is compared with the model when every ORF of the group is a
  gene of the model (`Cell.genes`); the model value of a group is the sum of its proteins'
  amounts (e.g. ``COX5A;COX5B``).
* **Measured change** of a group under a stress: log2 of the mean over replicates relative to the
  reference chemostat (``wt``). It counts as a *change* when ``|log2FC| >= threshold`` (default
  log2 1.5) and the replicates agree (every stressed replicate above every reference replicate, or
  every one below); otherwise the protein is *unchanged* and is not scored.
* **Model change**: log2 of the protein's steady-state amount (all its forms) under the stress
  relative to the unstressed model (`model_log2fc`); bench_lahtvee.py simulates 24 h from the
  named condition ``aerobic_clamped`` (the proteome layer's slowest turnover, 10 h half-life plus
  dilution, is then within a few per cent of its steady state). A model change smaller than
  `min_model_log2fc` counts as "no change", i.e. a mismatch.
* **Score**: the fraction of measured changes whose direction the model predicts (per NaCl level
  and pooled over levels).

Training on the other stresses (`stress_residual`): the mechanistic model has no heat or ethanol
input, so for those conditions it predicts no change and the measured change is unexplained. The
residual is a multiplicative correction of each mapped protein's synthesis rate, ``exp(r_p · s)``,
with ``s`` = 1 under any stress and 0 without (one weight per protein: the shared part of the
stress responses, the environmental stress response of Gasch et al. 2000). At steady state with
first-order turnover the correction scales the protein by the same factor, so the ridge estimate
from the training stresses is ``r_p = Σ_c y_pc / (n + λ)`` (``y_pc``: measured log2 changes).
It is applied as synthesis multipliers (`yeastcell.overexpress`, which in a model with a proteome
layer scales synthesis) on top of the NaCl shock, and the hybrid is simulated, not added on paper.

The NaCl levels scored are those within the model's validated range (parameter ``NaCl_max_M`` of
the HOG module, 1.0 M); higher levels of the data are not simulated (no extrapolation).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.dataset import Dataset
from ..data.reference import data_root, provenance, reference_file
from ..data.reference import gene_names as standard_names
from ..exceptions import DatasetError
from ..observe import ObservationModel

LAHTVEE_DIR = "omics/lahtvee2017_stress_proteomics"
REFERENCE = "wt"
_NACL = re.compile(r"cond:nacl_(\d+(?:\.\d+)?)M")
_LAHTVEE_STRESS = {"REF": "wt", "Temp": "cond:heat_{x}C", "Osmo": "cond:nacl_{x}M", "EtOH": "cond:ethanol_{x}gL"}
LAHTVEE2017_FLUXES = ("glucose", "O2", "CO2", "ethanol", "acetate", "glycerol")


def lahtvee2017_condition(label: str) -> str:
    """Notation string of a Lahtvee 2017 sample group (``REF`` -> ``wt``, ``Osmo0.4`` ->
    ``cond:nacl_0.4M``, ``Temp36`` -> ``cond:heat_36C``, ``EtOH20`` -> ``cond:ethanol_20gL``)."""
    if label == "REF":
        return "wt"
    m = re.fullmatch(r"(Temp|Osmo|EtOH)(\d+(?:\.\d+)?)", label)
    if not m:
        raise DatasetError(f"Lahtvee 2017: unrecognised condition label {label!r}")
    return _LAHTVEE_STRESS[m.group(1)].format(x=m.group(2))


def _uniprot_to_orf(root: Path) -> tuple[dict[str, str], Path | None]:
    p = root / "gecko" / "uniprot.tsv.gz"
    if not p.is_file():
        return {}, None
    import pandas as pd

    df = pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False)
    return dict(zip(df["Entry"], df["Gene Names (ordered locus)"])), p


def read_lahtvee2017(root: str | Path | None = None, fluxes: bool = True, zero_is_missing: bool = True) -> Dataset:
    """Lahtvee et al. 2017 absolute proteomics (and exchange fluxes) of stressed chemostats.

    Glucose-limited chemostats at D = 0.1 h⁻¹: reference (``wt``), heat 33/36/38 °C, NaCl
    0.2–1.4 M, ethanol 20/40/60 g/L. Steady states: the time axis has one point (0 min).
    Observables: UniProt protein groups as in the source (``"P00424;P00425"``), values are mass
    fractions (g protein / g detected protein); sample columns of a condition are its replicates in
    source order (listed in ``provenance["replicates"]``); empty cells are masked. With `fluxes`,
    the measured exchange fluxes are added as observables ``exchange:glucose`` ... (mmol/gDW/h,
    one value per condition in replicate 1; negative = uptake). With `zero_is_missing` (default)
    protein values of exactly 0 (100–230 per sample: the MS intensity of a protein not quantified
    in that sample) are masked, so log-scale comparisons see only detected proteins. Annotations: ``orf``, ``gene``
    (``;``-joined for protein groups; from the UniProt table in ``gecko/uniprot.tsv.gz`` when present).

    Raises:
        DatasetError: missing files or unexpected columns.
    """
    import pandas as pd

    root = data_root(root)
    f_prot = reference_file(root, f"{LAHTVEE_DIR}/merged_proteomic_data.csv.gz")
    df = pd.read_csv(f_prot, float_precision="round_trip")
    fixed = ["Protein.IDs", "theo.peptides", "Mol..weight..kDa."]
    if not set(fixed) <= set(df.columns):
        raise DatasetError(f"{f_prot}: expected columns {fixed}")
    samples = [c for c in df.columns if c not in fixed and not c.startswith("Unnamed")]
    groups: dict[str, list[str]] = {}
    for s in samples:
        groups.setdefault(s.split("_", 1)[0], []).append(s)
    labels = list(groups)
    proteins = [str(x) for x in df["Protein.IDs"]]
    files = [f_prot]
    flux = None
    if fluxes:
        f_flux = reference_file(root, f"{LAHTVEE_DIR}/flux_data.tsv")
        files.append(f_flux)
        flux = pd.read_csv(f_flux, sep="\t", index_col=0, float_precision="round_trip")
        for lab in flux.index:
            if lab not in groups:
                labels.append(lab)
                groups[lab] = []
    n_rep = max(1, *(len(v) for v in groups.values()))
    obs = list(proteins) + ([f"exchange:{f}" for f in LAHTVEE2017_FLUXES] if fluxes else [])
    values = np.full((len(labels), n_rep, 1, len(obs)), np.nan)
    for i, lab in enumerate(labels):
        for r, col in enumerate(groups[lab]):
            values[i, r, 0, : len(proteins)] = df[col].to_numpy(dtype=np.float64)
    n_zero = int((values[..., : len(proteins)] == 0).sum())
    if zero_is_missing:
        values[..., : len(proteins)][values[..., : len(proteins)] == 0] = np.nan
    if fluxes:
        assert flux is not None  # read above when fluxes are asked for
        cols = [f"{f}_mmol/gDW" for f in LAHTVEE2017_FLUXES]
        if not set(cols) <= set(flux.columns):
            raise DatasetError(f"{files[-1]}: expected columns {cols}")
        for lab in flux.index:
            values[labels.index(lab), 0, 0, len(proteins) :] = flux.loc[lab, cols].to_numpy(dtype=np.float64)
    u2o, f_uni = _uniprot_to_orf(root)
    if f_uni is not None:
        files.append(f_uni)
    names = standard_names(root)
    orf_col, gene_col = [], []
    for p in proteins:
        accs = [a.split("-")[0] for a in p.split(";")]
        orfs = list(dict.fromkeys(o for a in accs for o in u2o.get(a, "").split() if o))
        orf_col.append(";".join(orfs))
        gene_col.append(";".join(names.get(o, "") for o in orfs) if orfs else "")
    units = {
        **dict.fromkeys(proteins, "g/g detected protein"),
        **{f"exchange:{f}": "mmol/gDW/h" for f in LAHTVEE2017_FLUXES},
    }
    return Dataset(
        conditions=tuple(lahtvee2017_condition(x) for x in labels),
        times_min=np.array([0.0]),
        observables=tuple(obs),
        values=values,
        mask=np.isfinite(values),
        units={o: units[o] for o in obs},
        provenance=provenance(
            root,
            files,
            source="Lahtvee P-J, Sánchez BJ, Smialowska A, Kasvandik S, Elsemman IE, Gatto F, Nielsen J "
            "(2017) Absolute quantification of protein and mRNA abundances demonstrate variability "
            "in gene-specific translation efficiency in yeast. Cell Syst 4:495-504; file from "
            "github SysBioChalmers/ecModels @ 1489337b (stressStudy/exp_data), extra osmotic "
            "samples from B. J. Sánchez's PhD thesis (Chalmers 2019)",
            doi="10.1016/j.cels.2017.03.003",
            notes="steady-state chemostats (D = 0.1 1/h); time axis is a single point (0 min); "
            "proteins are mass fractions of detected protein; replicate columns per condition "
            "in source order; ORFs from the UniProt table gecko/uniprot.tsv.gz; "
            + (
                f"{n_zero} protein values of exactly 0 (not quantified) masked"
                if zero_is_missing
                else f"{n_zero} protein values of exactly 0 kept"
            ),
            replicates="; ".join(f"{lab}: {', '.join(groups[lab]) or '(fluxes only)'}" for lab in labels),
        ),
        annotations={
            "orf": tuple(orf_col + [""] * (len(obs) - len(proteins))),
            "gene": tuple(gene_col + [""] * (len(obs) - len(proteins))),
        },
    )


# ---------------------------------------------------------------------- scoring
def nacl_levels(ds) -> dict[str, float]:
    """Condition -> NaCl level (M) of the dataset's NaCl conditions, in increasing order."""
    out = {c: float(m.group(1)) for c in ds.conditions if (m := _NACL.fullmatch(c))}
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


def protein_map(cell, ds) -> dict[str, tuple[str, ...]]:
    """Measured protein group -> the model's protein species (every ORF of the group a model gene).

    Raises:
        DatasetError: the dataset has no ``orf`` annotation, or no group maps.
    """
    orfs = ds.annotations.get("orf") if ds.annotations else None
    if orfs is None:
        raise DatasetError(
            "the dataset has no 'orf' annotation per observable (read_lahtvee2017 adds it "
            "when gecko/uniprot.tsv.gz is in the reference data)"
        )
    species = list(cell.species_ids)
    by_orf = {orf: species[i] for orf, _, i in cell.genes}
    out = {}
    for obs, o in zip(ds.observables, orfs):
        group = [x for x in str(o).split(";") if x]
        if group and all(x in by_orf for x in group):
            out[obs] = tuple(dict.fromkeys(by_orf[x] for x in group))
    if not out:
        raise DatasetError("no measured protein group maps to a protein of the model")
    return out


def gene_names(cell, ds, observables) -> dict[str, tuple[str, ...]]:
    """Measured protein group -> the model's gene names of its ORFs."""
    names = {orf: name for orf, name, _ in cell.genes}
    orfs = dict(zip(ds.observables, ds.annotations["orf"]))
    return {o: tuple(names[x] for x in orfs[o].split(";") if x) for o in observables}


@dataclass(frozen=True)
class MeasuredChange:
    """log2 fold change vs the reference per (condition, protein group), and which count as changes.

    Attributes:
        conditions, observables: the axes.
        log2fc: (n_cond, n_obs) log2(mean over replicates / reference mean); NaN where unmeasured.
        changed: (n_cond, n_obs) True where the change passes the threshold and the replicates agree.
    """

    conditions: tuple[str, ...]
    observables: tuple[str, ...]
    log2fc: np.ndarray
    changed: np.ndarray


def measured_change(
    ds, conditions, observables, threshold: float = float(np.log2(1.5)), reference: str = REFERENCE
) -> MeasuredChange:
    """Measured changes of `observables` in `conditions` relative to `reference` (module docstring).

    Raises:
        DatasetError: an unknown condition or observable, a bad threshold.
    """
    if not (np.isfinite(threshold) and threshold >= 0):
        raise DatasetError(f"threshold must be a finite number >= 0 (log2 units), got {threshold}")
    oi = [ds.observable_index(o) for o in observables]
    v = np.where(ds.mask, ds.values, np.nan)[:, :, 0][:, :, oi]  # (nc, n_rep, n_obs)
    ref = v[ds.condition_index(reference)]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: unmeasured proteins
        ref_mean = np.nanmean(ref, axis=0)
        fc, ch = [], []
        for c in conditions:
            x = v[ds.condition_index(c)]
            lfc = np.log2(np.nanmean(x, axis=0) / ref_mean)
            above = np.nanmin(x, axis=0) > np.nanmax(ref, axis=0)
            below = np.nanmax(x, axis=0) < np.nanmin(ref, axis=0)
            fc.append(lfc)
            ch.append(np.isfinite(lfc) & (np.abs(lfc) >= threshold) & np.where(lfc > 0, above, below))
    return MeasuredChange(tuple(conditions), tuple(observables), np.array(fc), np.array(ch))


def stress_residual(train: MeasuredChange, ridge: float = 1.0) -> np.ndarray:
    """Per protein group, the log2 synthesis correction learned from the training stresses.

    ``r_p = Σ_c y_pc / (n_c + ridge)`` over the conditions where the group was measured (ridge
    shrinks towards no correction). Returns (n_obs,) log2 values (0 where never measured).
    """
    if ridge < 0 or not np.isfinite(ridge):
        raise DatasetError(f"ridge must be a finite number >= 0, got {ridge}")
    y = train.log2fc
    n = np.isfinite(y).sum(axis=0)
    return np.where(n > 0, np.nansum(np.where(np.isfinite(y), y, 0.0), axis=0) / (n + ridge), 0.0)


def model_log2fc(
    cell, traj, mapping: dict[str, tuple[str, ...]], reference_lane: int = 0, time_index: int = -1
) -> np.ndarray:
    """(n_lanes, n_obs) log2 of each group's protein at save time `time_index` vs the reference lane.

    A protein's amount is the sum of all its forms (``total:PROTEIN`` of `yeastcell.observe`:
    phosphorylated, nuclear, in complexes), so relocation or phosphorylation is not a change of
    the protein; a group's amount is the sum of its proteins'.
    """
    proteins = list(dict.fromkeys(p for sp in mapping.values() for p in sp))
    om = ObservationModel.build(cell, [f"total:{p}" for p in proteins])
    y = np.asarray(om.from_trajectory(traj))[:, time_index]  # (n_lanes, n_proteins)
    amount = np.stack([y[:, [proteins.index(p) for p in sp]].sum(axis=1) for sp in mapping.values()], axis=1)
    return np.log2(amount / amount[reference_lane])


@dataclass(frozen=True)
class DirectionScore:
    """Direction-of-change agreement of a model with the measured changes.

    Attributes:
        model: (n_cond, n_obs) model log2 changes, on the axes of `measured`.
        measured: the `MeasuredChange`.
        matched: (n_cond, n_obs) measured changes whose direction the model predicts.
    """

    model: np.ndarray
    measured: MeasuredChange
    matched: np.ndarray

    @property
    def conditions(self) -> tuple[str, ...]:
        return self.measured.conditions

    @property
    def n_changed(self) -> int:
        return int(self.measured.changed.sum())

    @property
    def n_matched(self) -> int:
        return int(self.matched.sum())

    @property
    def fraction(self) -> float:
        return self.n_matched / self.n_changed if self.n_changed else float("nan")

    def per_condition(self) -> list[tuple[str, int, int]]:
        """(condition, matched, changed) per condition."""
        return [
            (c, int(m.sum()), int(ch.sum())) for c, m, ch in zip(self.conditions, self.matched, self.measured.changed)
        ]


def direction_score(model: np.ndarray, measured: MeasuredChange, min_model_log2fc: float = 0.1) -> DirectionScore:
    """Score `model` (n_cond, n_obs) log2 changes against `measured` (module docstring)."""
    model = np.asarray(model, dtype=float)
    if model.shape != measured.log2fc.shape:
        raise DatasetError(f"model changes must have shape {measured.log2fc.shape}, got {model.shape}")
    direction = np.where(np.abs(model) >= min_model_log2fc, np.sign(model), 0.0)
    matched = measured.changed & (direction == np.sign(measured.log2fc))
    return DirectionScore(model, measured, matched)
