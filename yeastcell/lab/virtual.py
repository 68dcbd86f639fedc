"""A virtual lab: perturbation time courses from a hidden ground-truth cell, measured like mass spectrometry.

    lab = VirtualLab(truth, observables=["Adh2", "Pdc5", "ETOH_e"], base="cond:aerobic_batch", seed=1)
    ds = lab.run(["wt", "ko:PDC1", "ko:ADH1,PDC1"], times_min=[0, 30, 60, 120])   # a Dataset

Measurement model (`MeasurementModel`), applied to the true observable y > 0 of each condition,
replicate r and time point:

* log-normal noise: ``y · exp(ε)``, ε ~ N(0, sigma_log²);
* batch offsets: replicate r is measured in batch ``r mod n_batches``, and each (batch, observable)
  has a fixed log-scale offset ~ N(0, batch_sd_log²) (drawn once per lab from its seed);
* intensity-dependent missing values: P(missing) = p_random + (1 - p_random) / (1 + exp((log10 y -
  log10 lod_mM) / width_dex)), i.e. values near and below the detection limit `lod_mM` go missing
  (missing-not-at-random, as in data-dependent acquisition), plus a small random rate.

Reproducible: the random numbers of a run depend only on the lab's seed and the run's conditions and
times (not on earlier runs). A condition whose true trajectory fails to solve is returned fully
missing, and listed in the dataset's provenance (``failed_conditions``); when the truth fails on every
condition of a run, or on the wild type (the lab's base alone), `run` raises `SolverError` instead
(the truth itself is broken, and an all-missing dataset would only fail later, obscurely).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..batch import simulate_batch
from ..data import Dataset
from ..exceptions import SimulationInputError, SolverError
from ..observe import ObservationModel
from ..perturb.notation import parse_perturbation
from ..solvers import check_times
from ..status import describe


@dataclass(frozen=True)
class MeasurementModel:
    """Mass-spectrometry-like noise (see module docstring). Log-scale parameters are natural-log units."""

    sigma_log: float = 0.1
    n_replicates: int = 3
    n_batches: int = 3
    batch_sd_log: float = 0.05
    lod_mM: float = 1e-5
    width_dex: float = 0.15
    p_random_missing: float = 0.02

    def __post_init__(self):
        for name in ("sigma_log", "batch_sd_log", "p_random_missing"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v >= 0):
                raise SimulationInputError(f"MeasurementModel.{name} must be >= 0, got {v!r}")
        if not self.p_random_missing < 1:
            raise SimulationInputError("MeasurementModel.p_random_missing must be < 1")
        for name in ("lod_mM", "width_dex"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise SimulationInputError(f"MeasurementModel.{name} must be > 0, got {v!r}")
        if int(self.n_replicates) < 1 or int(self.n_batches) < 1:
            raise SimulationInputError("MeasurementModel needs n_replicates >= 1 and n_batches >= 1")

    def p_missing(self, y):
        """Probability that a true value y (model units) is not measured."""
        with np.errstate(divide="ignore"):
            ly = np.log10(np.maximum(y, 1e-300))
        z = np.clip((ly - np.log10(self.lod_mM)) / self.width_dex, -50, 50)
        return self.p_random_missing + (1 - self.p_random_missing) / (1 + np.exp(z))


class VirtualLab:
    """Runs perturbation experiments on a hidden truth cell and measures them (a `Lab`).

    Args:
        truth: a cell-like object (`Cell`, `HybridCell`, `yeastcell.lab.TruthCell`) — hidden from learners.
        observables: what is measured: species, reactions or declared observables of `truth`
            (any quantity `yeastcell.observe.ObservationModel` understands, via `mapping`).
        base: perturbation (notation) every experiment starts from, e.g. ``"cond:aerobic_batch"``;
            it is written into each condition of the returned Dataset, so the data are self-describing.
        measurement: a `MeasurementModel`.
        seed: integer seed.
        options: `SolverOptions` for the true solves.

    Raises:
        UnknownNameError: an unknown observable (with close matches). PerturbationError: a bad base.
    """

    def __init__(
        self,
        truth,
        observables: Sequence[str],
        base: str | None = None,
        measurement: MeasurementModel | None = None,
        seed: int = 0,
        options=None,
        mapping: dict[str, str] | None = None,
    ):
        if isinstance(observables, str) or not observables:
            raise SimulationInputError("observables must be a non-empty list of names")
        self._truth = truth
        self._om = ObservationModel.build(truth, list(observables), mapping=mapping)
        self.observables = tuple(observables)
        self.base = base.strip() if isinstance(base, str) and base.strip() and base.strip().lower() != "wt" else None
        if self.base is not None:
            parse_perturbation(self.base)
        self.measurement = measurement or MeasurementModel()
        if not isinstance(self.measurement, MeasurementModel):
            raise SimulationInputError("measurement must be a MeasurementModel")
        self.seed = int(seed)
        self.options = options
        rng = np.random.default_rng([self.seed, 0xB47C4])
        m = self.measurement
        self._batch_offsets = rng.normal(0.0, m.batch_sd_log, (m.n_batches, len(self.observables)))

    def condition(self, perturbation: str) -> str:
        """The full condition (notation) of an experiment: the lab's base plus `perturbation`."""
        if not isinstance(perturbation, str) or not perturbation.strip():
            raise SimulationInputError(f"perturbations must be notation strings, got {perturbation!r}")
        p = perturbation.strip()
        if self.base is None:
            return p
        return self.base if p.lower() in ("wt", "wild_type", "wildtype", "wild-type") else f"{self.base}+{p}"

    def true_observables(self, perturbations: Sequence[str], times_min):
        """Noise-free observables (n_cond, n_t, n_obs) and status codes (n_cond,) of the truth.

        For benchmarks that need the truth (never for learners)."""

        conds = [self.condition(p) for p in perturbations]
        parsed = [parse_perturbation(c) for c in conds]
        t = check_times(times_min)
        traj = simulate_batch(self._truth, parsed, t, options=self.options)
        y = np.asarray(self._om(traj.conc, traj.flux))
        return conds, t, y, np.asarray(traj.status)

    def run(self, perturbations: Sequence[str], times_min) -> Dataset:
        """Run and measure the experiments; returns a raw-scale `yeastcell.data.Dataset`.

        Args:
            perturbations: notation strings (e.g. ``"ko:PDC1"``, ``"ko:ADH1,PDC1"``, ``"wt"``), one per condition.
            times_min: sampling times (min), strictly increasing; the first is the start of the experiment.

        Raises:
            SimulationInputError: bad times or perturbations. PerturbationError/UnknownNameError: bad notation.
            SolverError: the truth fails to solve every condition of the run, or the wild type.
        """
        if isinstance(perturbations, str) or len(perturbations) == 0:
            raise SimulationInputError("perturbations must be a non-empty list of notation strings")
        conds, t, y, status = self.true_observables(perturbations, times_min)
        if len(set(conds)) != len(conds):
            raise SimulationInputError("duplicate perturbations in one run")
        self._check_truth_solved(conds, status)
        m = self.measurement
        key = zlib.crc32(repr((conds, [float(x) for x in t])).encode())
        rng = np.random.default_rng([self.seed, key])
        n_c, n_t, n_o = y.shape
        R = int(m.n_replicates)
        eps = rng.normal(0.0, m.sigma_log, (n_c, R, n_t, n_o))
        batch = np.arange(R) % m.n_batches
        offsets = self._batch_offsets[batch][None, :, None, :]
        ok = (status == 0)[:, None, None, None] & np.isfinite(y)[:, None, :, :] & (y[:, None] > 0)
        y_safe = np.where(ok, y[:, None], 1.0)
        values = y_safe * np.exp(eps + offsets)
        missing = rng.uniform(size=values.shape) < m.p_missing(values)
        mask = ok & ~missing
        values = np.where(mask, values, np.nan)
        failed = [c for c, s in zip(conds, status) if s != 0]
        prov = {
            "source": "yeastcell.lab.VirtualLab (simulated; hidden ground truth)",
            "seed": str(self.seed),
            "measurement": repr(m),
            "failed_conditions": "; ".join(failed),
        }
        units = dict(zip(self.observables, self._om.units))
        return Dataset(tuple(conds), t, self.observables, values, mask, transform="raw", units=units, provenance=prov)

    def _check_truth_solved(self, conds: Sequence[str], status) -> None:
        """Raise `SolverError` when the truth failed on every condition or on the wild type."""
        status = np.asarray(status)
        wild_type = self.condition("wt")
        failed = [(c, int(s)) for c, s in zip(conds, status) if s != 0]
        if not failed or (len(failed) < len(conds) and wild_type not in dict(failed)):
            return
        what = "every condition" if len(failed) == len(conds) else "the wild type"
        lines = "\n".join(f"  {c}: {describe(s)}" for c, s in failed[:10])
        raise SolverError(
            f"the virtual lab's truth ({type(self._truth).__name__}) failed to solve {what} of this run, so "
            f"nothing could be measured:\n{lines}\nCheck the truth's hidden regulation and parameter changes "
            "(hidden_truth(..., reference=<the lab's base>) normalises regulation at the base's steady state) "
            "and the lab's solver options."
        )
