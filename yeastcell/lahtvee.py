"""Score the whole-cell model's protein changes under NaCl against Lahtvee et al. 2017 proteomics.

Lahtvee et al. 2017 measured the absolute proteome of glucose-limited chemostats (D = 0.1 h⁻¹) at
steady state under NaCl (0.2–1.4 M), heat (33–38 °C) and ethanol (20–60 g/L) stress
(`yeastcell.data.read_lahtvee2017`). Here the modelled proteins are compared with it:

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

import numpy as np

from .exceptions import DatasetError

REFERENCE = "wt"
_NACL = re.compile(r"cond:nacl_(\d+(?:\.\d+)?)M")


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
        raise DatasetError("the dataset has no 'orf' annotation per observable (read_lahtvee2017 adds it "
                           "when gecko/uniprot.tsv.gz is in the reference data)")
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


def measured_change(ds, conditions, observables, threshold: float = float(np.log2(1.5)),
                    reference: str = REFERENCE) -> MeasuredChange:
    """Measured changes of `observables` in `conditions` relative to `reference` (module docstring).

    Raises:
        DatasetError: an unknown condition or observable, a bad threshold.
    """
    if not (np.isfinite(threshold) and threshold >= 0):
        raise DatasetError(f"threshold must be a finite number >= 0 (log2 units), got {threshold}")
    oi = [ds.observable_index(o) for o in observables]
    v = np.where(ds.mask, ds.values, np.nan)[:, :, 0][:, :, oi]          # (nc, n_rep, n_obs)
    ref = v[ds.condition_index(reference)]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # all-NaN slices: unmeasured proteins
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


def model_log2fc(cell, traj, mapping: dict[str, tuple[str, ...]], reference_lane: int = 0,
                 time_index: int = -1) -> np.ndarray:
    """(n_lanes, n_obs) log2 of each group's protein at save time `time_index` vs the reference lane.

    A protein's amount is the sum of all its forms (``total:PROTEIN`` of `yeastcell.observe`:
    phosphorylated, nuclear, in complexes), so relocation or phosphorylation is not a change of
    the protein; a group's amount is the sum of its proteins'.
    """
    from .observe import ObservationModel

    proteins = list(dict.fromkeys(p for sp in mapping.values() for p in sp))
    om = ObservationModel.build(cell, [f"total:{p}" for p in proteins])
    y = np.asarray(om.from_trajectory(traj))[:, time_index]             # (n_lanes, n_proteins)
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
        return [(c, int(m.sum()), int(ch.sum())) for c, m, ch in zip(self.conditions, self.matched, self.measured.changed)]


def direction_score(model: np.ndarray, measured: MeasuredChange, min_model_log2fc: float = 0.1) -> DirectionScore:
    """Score `model` (n_cond, n_obs) log2 changes against `measured` (module docstring)."""
    model = np.asarray(model, dtype=float)
    if model.shape != measured.log2fc.shape:
        raise DatasetError(f"model changes must have shape {measured.log2fc.shape}, got {model.shape}")
    direction = np.where(np.abs(model) >= min_model_log2fc, np.sign(model), 0.0)
    matched = measured.changed & (direction == np.sign(measured.log2fc))
    return DirectionScore(model, measured, matched)
