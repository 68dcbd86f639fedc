"""The configuration file of ``yeastcell loop run CONFIG.json FOLDER``: reading, checking, building.

`load_config` reads and checks the JSON file; `build` turns it into the loop's configuration,
learner, lab and datasets (`yeastcell.active`, `yeastcell.lab`).

CONFIG.json::

    {"model": "yeast_core",                     model file or embedded model name
     "base": "cond:aerobic_batch",              applied before every candidate (mechanistic prior)
     "candidates": ["ko:HXK2", "kd:PFK1=0.3"],  or "candidates_file": "cands.txt" (one per line)
     "times_min": [10, 30], "observables": ["ETOH_e", "GLY_e"],
     "scale": [10.0, 1.0],                       optional; default: spread of the prior over candidates
     "rounds": 5, "batch_size": 4, "n_members": 8, "strategy": "eig", "n_initial": 4, "seed": 0,
     "cost": {"ko:HXK2": 2.0}, "budget": null, "noise_sd": 0.05, "prior_sd": 0.5,
     "initial": "round0.csv",                    optional Dataset table or .h5
     "heldout": "heldout.csv",                   optional, for the learning curve
     "lab": {"kind": "file", "folder": "lab"},   or {"kind": "virtual", "seed": 1,
                                                     "parameter_changes": {"HXK.Vmax": 0.5}}
     "learner": {"kind": "linear"},              default; or {"kind": "parametric",
                                                   "genes": ["HXK2", "PDC1"] (their Vmax) or "parameters": [...],
                                                   "noise_sd": 0.058, "offset_sd": 0.029, "posterior": "laplace"}
                                                 or {"kind": "hybrid", "rate_targets": ["GPD"],
                                                   "input_species": ["F16BP_c", "NADH_c"], "input_genes": [],
                                                   "width": 16, "depth": 1, "epochs": 30, "batch_size": 8,
                                                   "learning_rate": 0.02, "sigma_log2": 0.15, "init_sd": 0.1}
     "acquisition_space": "log", "acquisition_uncertainty": "linearised", "targets": ["kd:PFK1=0.4"]}

The linear learner corrects the mechanistic prior with a Bayesian linear model on gene features
(outputs standardised by "scale", noise "noise_sd" in those units); the parametric learner learns
multipliers of kinetic parameters (natural-log noise sd; "prior_sd" is the multipliers' prior sd);
the hybrid learner trains a deep ensemble of neural-residual hybrid cells (`HybridLearner`; the
network's wiring as `yeastcell.hybrid.residual_net` takes it, training as `HybridLearner`).

Relative paths are relative to the config file. With a file lab the command stops when a round's
measurements are not in yet (exit status 4) and resumes where it stopped when run again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .. import load_cell
from ..active.hybrid_learner import HybridLearner
from ..active.learners import CellPrior, GeneFeatures, LinearResidualLearner
from ..active.loop import LoopConfig, LoopError
from ..active.parametric import ParameterLearner, vmax_parameters
from ..data import Dataset
from ..exceptions import UnknownNameError
from ..hybrid import hybridize
from ..lab import VirtualLab, hidden_truth
from ..lab.file_lab import FileLab

KEYS = {
    "model",
    "base",
    "candidates",
    "candidates_file",
    "times_min",
    "observables",
    "scale",
    "rounds",
    "batch_size",
    "n_members",
    "strategy",
    "n_initial",
    "seed",
    "cost",
    "budget",
    "noise_sd",
    "prior_sd",
    "initial",
    "heldout",
    "lab",
    "replicates",
    "bootstrap",
    "units",
    "learner",
    "acquisition_space",
    "acquisition_uncertainty",
    "targets",
}
LEARNER_KEYS = {"kind", "genes", "parameters", "noise_sd", "offset_sd", "posterior"}
HYBRID_NET_KEYS = {"rate_targets", "species_targets", "input_species", "input_genes", "width", "depth"}
HYBRID_TRAIN_KEYS = {"epochs", "batch_size", "learning_rate", "sigma_log2", "init_sd"}


def _read_data(path: Path) -> Dataset:
    """A Dataset from HDF5 (.h5, .hdf5) or a long table (any other suffix)."""
    return Dataset.from_hdf5(path) if path.suffix in (".h5", ".hdf5") else Dataset.from_table(path)


def load_config(path: str | Path) -> dict:
    """Read and check a loop config file (unknown keys raise with close matches)."""
    path = Path(path)
    try:
        cfg = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise LoopError(f"{path}: cannot read the loop configuration ({err})") from None
    for k in cfg:
        if k not in KEYS:
            raise UnknownNameError("loop configuration key", k, KEYS)
    root = path.parent
    if "candidates_file" in cfg:
        lines = (root / cfg.pop("candidates_file")).read_text().splitlines()
        cfg["candidates"] = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    for k in ("candidates", "times_min", "observables"):
        if k not in cfg:
            raise LoopError(f"{path}: the configuration needs {k!r}")
    for k in ("initial", "heldout"):
        if k in cfg:
            cfg[k] = root / cfg[k]
    lab = dict(cfg.get("lab") or {"kind": "file", "folder": "lab"})
    if lab.get("kind") == "file":
        lab["folder"] = root / lab.get("folder", "lab")
    cfg["lab"] = lab
    return cfg


def build(cfg: dict):
    """(LoopConfig, learner, lab, initial, heldout) from a checked config."""
    cell = load_cell(cfg.get("model", "yeast_core"))
    base = cfg.get("base")
    cands = list(cfg["candidates"])
    times = np.asarray(cfg["times_min"], dtype=float)
    obs = tuple(cfg["observables"])
    prior = CellPrior(cell, base)
    if "scale" in cfg:
        scale = np.asarray(cfg["scale"], dtype=float)
    else:
        spread = prior(cands, times, obs).std(axis=(0, 1))
        scale = np.where(spread > 0, spread, 1.0)
    lab = _lab(cfg["lab"], cell, obs, base)
    loop_keys = {
        "rounds",
        "batch_size",
        "n_members",
        "strategy",
        "n_initial",
        "seed",
        "cost",
        "budget",
        "noise_sd",
        "replicates",
        "bootstrap",
        "units",
        "acquisition_space",
        "acquisition_uncertainty",
        "targets",
    }
    settings: dict[str, Any] = {k: (tuple(cfg[k]) if k == "targets" else cfg[k]) for k in loop_keys if k in cfg}
    config = LoopConfig(
        candidates=tuple(cands), times_min=tuple(times), observables=obs, scale=tuple(scale), **settings
    )
    learner = _learner(cfg, cell, prior, config, scale)
    initial = _read_data(cfg["initial"]) if "initial" in cfg else None
    heldout = _read_data(cfg["heldout"]) if "heldout" in cfg else None
    return config, learner, lab, initial, heldout


def _lab(spec: dict, cell, obs: tuple[str, ...], base: str | None):
    """The lab of the ``"lab"`` entry: a `FileLab` on a folder or a `VirtualLab` with a hidden truth."""
    kind = spec.get("kind")
    if kind == "file":
        return FileLab(spec["folder"])
    if kind == "virtual":
        truth = hidden_truth(cell, parameter_changes=spec.get("parameter_changes") or {})
        return VirtualLab(truth, list(obs), base=base, seed=int(spec.get("seed", 0)))
    raise UnknownNameError("lab kind", str(kind), ("file", "virtual"))


def _learner(cfg: dict, cell, prior: CellPrior, config: LoopConfig, scale: np.ndarray):
    """The learner of the ``"learner"`` entry (default linear); its keys are checked here."""
    base = cfg.get("base")
    cands = list(config.candidates)
    times = np.asarray(cfg["times_min"], dtype=float)
    obs = config.observables
    spec = dict(cfg.get("learner") or {"kind": "linear"})
    kind = spec.get("kind", "linear")
    allowed = {"kind"} | HYBRID_NET_KEYS | HYBRID_TRAIN_KEYS if kind == "hybrid" else LEARNER_KEYS
    for k in spec:
        if k not in allowed:
            raise UnknownNameError("learner configuration key", k, allowed)
    if kind == "linear":
        features = GeneFeatures.from_conditions(cands)
        return LinearResidualLearner(
            prior, features, times, obs, scale, noise_sd=config.noise_sd, prior_sd=float(cfg.get("prior_sd", 0.5))
        )
    if kind == "parametric":
        if ("genes" in spec) == ("parameters" in spec):
            raise LoopError('a parametric learner needs either "genes" (their Vmax are learned) or "parameters"')
        params = vmax_parameters(cell, spec["genes"]) if "genes" in spec else tuple(spec["parameters"])
        if not params:
            raise LoopError(f"no Vmax parameter belongs to the genes {spec['genes']}")
        return ParameterLearner(
            cell,
            params,
            times,
            obs,
            base=base,
            prior_sd=float(cfg.get("prior_sd", 0.5)),
            noise_sd=float(spec.get("noise_sd", config.noise_sd)),
            offset_sd=float(spec.get("offset_sd", 0.0)),
            posterior=spec.get("posterior", "laplace"),
            check_conditions=tuple(cands),
        )
    if kind == "hybrid":
        net = {k: spec[k] for k in HYBRID_NET_KEYS if k in spec}
        return HybridLearner(
            hybridize(cell, **net), times, obs, base=base, **{k: spec[k] for k in HYBRID_TRAIN_KEYS if k in spec}
        )
    raise UnknownNameError("learner kind", str(kind), ("linear", "parametric", "hybrid"))
