"""Measured signaling time courses in forecast form: one `ForecastSeries` per dataset of `signaling_forecast`.

Each series holds, per condition (a perturbation in yeastcell's notation), time (min from the perturbation) and
measured observable, the log2 ratio to the pre-perturbation state (replicates averaged on the log scale), and the
model quantity each observable is compared with (`yeastcell.observe` grammar). Observables that map to no
quantity of the series' model are listed (`unmapped`, with the reason), never dropped silently.

Datasets (docs/signaling_forecast.md):

* ``kanshin``: Kanshin 2015 phosphopeptides after 0.4 M NaCl (13 times, 0-60 min), the package's site map;
* ``nitrogen``: Gonçalves 2017 nitrogen upshift / downshift / rapamycin: phosphopeptides (0-79 min), FIA-MS ions
  with one candidate metabolite (-10 ... 120 min) and transcripts (-10 ... 120 min; a transcript is compared with
  its protein's synthesis flux, the model's transcription x translation);
* ``nacl``: Gonçalves 2017 NaCl, mock and NaCl + alpha-factor (simulated as NaCl: no pheromone pathway):
  targeted metabolites (0-45 min) and phosphosites (1-45 min).

Units: times in min, values in log2 units.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..compile import compile_model
from ..exceptions import DatasetError, UnknownNameError
from ..load import load_model
from ..studies.goncalves2017 import goncalves2017_site_coverage
from ..studies.goncalves2017_nacl import read_goncalves2017_nacl_phospho, read_goncalves2017_nacl_targeted
from ..studies.goncalves2017_nitrogen import (
    DEFAULT_CONDITIONS,
    EXPERIMENTS,
    read_goncalves2017_nitrogen_metabolome,
    read_goncalves2017_nitrogen_phospho,
    read_goncalves2017_nitrogen_transcriptome,
)
from ..studies.kanshin2015 import mapped_dataset, read_kanshin2015

#: which model each dataset is compared with: the module of the whole-cell model that holds its pathway, alone
#: (models/torc1_module.yaml, models/hog_module.yaml), so that fits take seconds (docs/signaling_forecast.md)
DATASET_MODELS = {"kanshin": "hog_module", "nitrogen": "torc1_module", "nacl": "hog_module"}


@functools.lru_cache(maxsize=4)
def model_cell(name: str):
    """The compiled model `name`, compiled once per process."""

    return compile_model(load_model(name))


@dataclass(frozen=True)
class ForecastSeries:
    """One dataset as log2 ratios to the pre-perturbation state.

    Attributes:
        name: dataset id (``kanshin``, ``nitrogen``, ``nacl``).
        model: the model it is compared with (a name of `yeastcell.load_cell`).
        experiments: the experiment name of each condition.
        conditions: the perturbation of each condition (notation, no lead-in).
        times_min: (n_t,) min from the perturbation, increasing (may start below 0).
        observables: measured observables that map to the model.
        quantities: the model quantity of each observable (`yeastcell.observe` grammar).
        kinds: ``phospho``, ``metabolite`` or ``transcript`` per observable.
        values: (n_cond, n_t, n_obs) log2 ratio to the pre-perturbation state, NaN = not measured.
        unmapped: measured observable -> why it is not scored.
        not_scored_conditions: experiment -> why it is not scored (e.g. no perturbation).
        source: citation line.
        simulated_as: experiment -> the experiment whose simulation stands for it (a condition the model
            cannot tell apart, e.g. NaCl + alpha-factor without a pheromone pathway); such a condition is
            never learnt from and is scored only when left out.
    """

    name: str
    model: str
    experiments: tuple[str, ...]
    conditions: tuple[str, ...]
    times_min: np.ndarray
    observables: tuple[str, ...]
    quantities: tuple[str, ...]
    kinds: tuple[str, ...]
    values: np.ndarray
    unmapped: dict[str, str] = field(default_factory=dict)
    not_scored_conditions: dict[str, str] = field(default_factory=dict)
    source: str = ""
    simulated_as: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        n_c, n_t, n_o = len(self.conditions), len(self.times_min), len(self.observables)
        if np.shape(self.values) != (n_c, n_t, n_o):
            raise DatasetError(f"{self.name}: values shape {np.shape(self.values)} != {(n_c, n_t, n_o)}")
        if not (len(self.quantities) == len(self.kinds) == n_o == len(set(self.observables))):
            raise DatasetError(f"{self.name}: observables, quantities and kinds differ in length or repeat")
        if n_o == 0:
            raise DatasetError(f"{self.name}: no measured observable maps to model {self.model!r}")
        for e, by in self.simulated_as.items():
            if e not in self.experiments or by not in self.experiments or by in self.simulated_as:
                raise DatasetError(f"{self.name}: simulated_as {e!r} -> {by!r}: not two simulated experiments")

    def proxies(self) -> np.ndarray:
        """(n_cond,) bool: the conditions simulated as another one (`simulated_as`)."""
        return np.array([e in self.simulated_as for e in self.experiments])

    def simulated(self) -> list[int]:
        """Per condition, the index of the condition whose simulation it takes."""
        return [self.experiments.index(self.simulated_as.get(e, e)) for e in self.experiments]


def _on_grid(times: np.ndarray, block: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(n_cond, n_t_block, n_obs) values placed on `grid` (NaN elsewhere)."""
    out = np.full((block.shape[0], len(grid), block.shape[2]), np.nan)
    idx = [int(np.argmin(np.abs(grid - t))) for t in times]
    out[:, idx, :] = block
    return out


def _log_mean(ds) -> np.ndarray:
    """Replicate mean (n_cond, n_t, n_obs) of a log2fc Dataset, NaN where no replicate was measured."""
    v = np.where(ds.mask, ds.values, np.nan)
    with np.errstate(all="ignore"):
        n = np.sum(np.isfinite(v), axis=1)
        s = np.nansum(v, axis=1)
    return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def _species(model) -> set[str]:
    return {s.id for s in model.species}


def _block(ds, obs, qs, kind):
    """(times, values, observables, quantities, kinds) of the observables `obs` of `ds` (none: an empty block)."""
    if not obs:
        return (ds.times_min, np.zeros((len(ds.conditions), len(ds.times_min), 0)), [], [], ())
    return (ds.times_min, _log_mean(ds.subset(observables=obs)), obs, qs, (kind,) * len(obs))


def _combine(
    name, model_name, experiments, conditions, blocks, unmapped, not_scored, source, simulated_as=None
) -> ForecastSeries:
    """Blocks: (times, values (n_cond, n_t, n_obs), observables, quantities, kinds) on their own grids."""
    grid = np.array(sorted({round(float(t), 9) for b in blocks for t in b[0]}))
    vals = np.concatenate([_on_grid(np.asarray(b[0]), b[1], grid) for b in blocks], axis=2)
    obs = tuple(o for b in blocks for o in b[2])
    qs = tuple(q for b in blocks for q in b[3])
    kinds = tuple(k for b in blocks for k in b[4])
    keep = np.any(np.isfinite(vals), axis=(0, 1))
    for o, k in zip(obs, keep):
        if not k:
            unmapped[o] = "never measured in the scored conditions"
    sel = np.nonzero(keep)[0]
    return ForecastSeries(
        name,
        model_name,
        tuple(experiments),
        tuple(conditions),
        grid,
        tuple(obs[i] for i in sel),
        tuple(qs[i] for i in sel),
        tuple(kinds[i] for i in sel),
        vals[:, :, sel],
        unmapped,
        not_scored,
        source,
        dict(simulated_as or {}),
    )


def kanshin_series(root: str | Path | None = None) -> ForecastSeries:
    """Kanshin 2015 (0.4 M NaCl, one condition): the peptides of the package's site map."""

    model_name = DATASET_MODELS["kanshin"]
    model = load_model(model_name)
    ds, mapping, _, labels = mapped_dataset(root, condition="nacl:0.4")
    obs = list(ds.observables)
    qs = [mapping[o] for o in obs]
    vals = _log_mean(ds)
    whole = read_kanshin2015(root)
    unmapped = {f"({len(whole.observables) - len(obs)} other phosphopeptides)": "no row in the site map"}
    species = _species(model)
    for o, q in zip(list(obs), list(qs)):
        if q.split(":")[-1] not in {t for s in species for t in s.split("_")}:
            unmapped[o] = f"{q} not in {model_name}"
    names = {o: f"{lab} ({o})" for o, lab in zip(obs, labels)}
    block = (ds.times_min, vals, tuple(names[o] for o in obs), tuple(qs), ("phospho",) * len(obs))
    return _combine(
        "kanshin",
        model_name,
        ["NaCl 0.4 M"],
        ["nacl:0.4"],
        [block],
        unmapped,
        {},
        "Kanshin E et al. (2015) Cell Rep 10:1202 (Köksal 2018 processing)",
    )


def _sites(ds, model, unmapped) -> tuple[list[str], list[str]]:

    cov = goncalves2017_site_coverage(ds, model)
    obs, qs = [], []
    for o in ds.observables:
        if o in cov.mapped:
            obs.append(o)
            qs.append(" + ".join(cov.mapped[o]) if len(cov.mapped[o]) > 1 else cov.mapped[o][0])
        elif o in cov.missing_species:
            unmapped[o] = f"maps to phospho-species that {model.id} lacks ({'+'.join(cov.missing_species[o])})"
    n_other = len(ds.observables) - len(obs) - sum(o in cov.missing_species for o in ds.observables)
    unmapped[f"({n_other} other phosphosites)"] = "no row of the site map (other proteins or sites)"
    return obs, qs


def _metabolites(ds, model, unmapped) -> tuple[list[str], list[str]]:
    species = _species(model)
    ann = ds.annotations
    n_cand = ann.get("n_candidates", ("1",) * len(ds.observables))
    obs, qs, n_none = [], [], 0
    for o, expr, n in zip(ds.observables, ann["model_species"], n_cand):
        if int(n) > 1:
            unmapped[o] = "ambiguous annotation (several candidate metabolites)"
        elif not expr:
            n_none += 1
        else:
            terms = [t.strip() for t in expr.split("+")]
            lack = [t for t in terms if t not in species]
            if lack:
                unmapped[o] = f"maps to species that {model.id} lacks (the whole-cell model has them)"
            else:
                obs.append(o)
                qs.append(" + ".join(terms))
    if n_none:
        unmapped[f"({n_none} other metabolites)"] = "not in the metabolite map (the models lack them)"
    return obs, qs


def _transcripts(ds, cell, unmapped) -> tuple[list[str], list[str], list[int]]:
    """Transcripts of genes with a protein and a synthesis reaction in `cell` -> ``syn_<Protein>``."""
    by_orf = {}
    for orf, _name, prot in cell.genes:
        if prot >= 0 and f"syn_{cell.species_ids[prot]}" in cell.reaction_ids:
            by_orf[orf.upper()] = f"syn_{cell.species_ids[prot]}"
    obs, qs, cols = [], [], []
    for j, o in enumerate(ds.observables):
        orf = o.split("#")[0].upper()
        if orf in by_orf and "#" not in o:
            obs.append(f"{ds.annotations['gene'][j] or orf} mRNA")
            qs.append(by_orf[orf])
            cols.append(j)
    unmapped[f"({len(ds.observables) - len(obs)} other transcripts)"] = "genes without a protein in the model"
    return obs, qs, cols


def nitrogen_series(root: str | Path | None = None) -> ForecastSeries:
    """Gonçalves 2017 nitrogen upshift / downshift / rapamycin (phosphopeptides, ions, transcripts)."""

    model_name = DATASET_MODELS["nitrogen"]
    model = load_model(model_name)
    cell = model_cell(model_name)
    conds = [DEFAULT_CONDITIONS[e] for e in EXPERIMENTS]
    unmapped: dict[str, str] = {}
    blocks = []
    ph = read_goncalves2017_nitrogen_phospho(root)
    obs, qs = _sites(ph, model, unmapped)
    _check_conditions(ph, conds)
    blocks.append(_block(ph, obs, qs, "phospho"))
    me = read_goncalves2017_nitrogen_metabolome(root)
    _check_conditions(me, conds)
    obs, qs = _metabolites(me, model, unmapped)
    blocks.append(_block(me, obs, qs, "metabolite"))
    tx = read_goncalves2017_nitrogen_transcriptome(root)
    _check_conditions(tx, conds)
    obs, qs, cols = _transcripts(tx, cell, unmapped)
    blocks.append((tx.times_min, _log_mean(tx)[:, :, cols], obs, qs, ("transcript",) * len(obs)))
    return _combine(
        "nitrogen",
        model_name,
        EXPERIMENTS,
        conds,
        blocks,
        unmapped,
        {},
        "Gonçalves E et al. (2017) PLoS Comput Biol 13:e1005297 (saezlab/yeast_phospho @ 09453e47)",
    )


def nacl_series(root: str | Path | None = None) -> ForecastSeries:
    """Gonçalves 2017 NaCl, mock and NaCl + alpha-factor (targeted metabolites, phosphosites).

    The model has no pheromone pathway, so NaCl + alpha-factor is simulated as NaCl alone (``simulated_as``):
    it is never learnt from and is scored only as the left-out condition (what NaCl alone predicts for it).
    alpha-factor alone is not scored (no perturbation)."""

    model_name = DATASET_MODELS["nacl"]
    model = load_model(model_name)
    unmapped: dict[str, str] = {}
    exps = {"NaCl": "nacl:0.4", "control": "wt"}
    both = {"NaCl+alpha": "nacl:0.4"}  # read on its own: one notation per reader call
    tg = read_goncalves2017_nacl_targeted(root, conditions=exps)
    _check_conditions(tg, list(exps.values()))
    tg_both = read_goncalves2017_nacl_targeted(root, conditions=both)
    _same_axes(tg, tg_both)
    obs, qs = _metabolites(tg, model, unmapped)
    t, v, o, q, k = _block(tg, obs, qs, "metabolite")
    v_both = _block(tg_both, obs, qs, "metabolite")[1]
    blocks = [(t, np.concatenate([v, v_both], axis=0), o, q, k)]
    ph = read_goncalves2017_nacl_phospho(root, conditions={"NaCl": "nacl:0.4"})
    ph_both = read_goncalves2017_nacl_phospho(root, conditions=both)
    _same_axes(ph, ph_both)
    pobs, pqs = _sites(ph, model, unmapped)
    t, v, o, q, k = _block(ph, pobs, pqs, "phospho")
    v_both = _block(ph_both, pobs, pqs, "phospho")[1]
    v = np.concatenate([v, np.full_like(v, np.nan), v_both], axis=0)  # the table has no mock column
    blocks.append((t, v, o, q, k))
    return _combine(
        "nacl",
        model_name,
        [*exps, *both],
        [*exps.values(), *both.values()],
        blocks,
        unmapped,
        {"alpha": "no perturbation: the model has no pheromone pathway (alpha-factor)"},
        "Gonçalves E et al. (2017) PLoS Comput Biol 13:e1005297 (saezlab/yeast_phospho @ 09453e47)",
        {"NaCl+alpha": "NaCl"},
    )


def _same_axes(a, b) -> None:
    if tuple(a.observables) != tuple(b.observables) or not np.array_equal(a.times_min, b.times_min):
        raise DatasetError(f"{b.conditions}: observables or times differ from {a.conditions} in one table")


def _check_conditions(ds, conds) -> None:
    if tuple(ds.conditions) != tuple(conds):
        raise DatasetError(f"expected conditions {conds}, the reader gave {ds.conditions}")


SERIES = {"kanshin": kanshin_series, "nitrogen": nitrogen_series, "nacl": nacl_series}


def forecast_series(name: str, root: str | Path | None = None) -> ForecastSeries:
    """The dataset `name` (``kanshin``, ``nitrogen``, ``nacl``) in forecast form.

    Raises:
        UnknownNameError: an unknown dataset (close matches listed). DatasetError: missing or bad data.
    """
    if name not in SERIES:
        raise UnknownNameError("signaling_forecast dataset", name, SERIES)
    return SERIES[name](root)
