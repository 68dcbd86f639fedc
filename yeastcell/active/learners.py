"""Learners for the closed loop: ``fit(data, seed) -> model`` and ``predict(model, conditions) -> array``.

The loop needs only the :class:`Learner` protocol. :class:`LinearResidualLearner` is a small real
learner: a mechanistic prediction (the kinetic model simulated for each condition, see
:class:`CellPrior`) plus a Bayesian linear correction: a per-output offset and weights on
perturbation features (default :class:`GeneFeatures`: one activity-loss feature per gene and one
per gene pair). Each ensemble
member is an exact posterior sample of the correction ("randomize-then-optimize": the member fits
targets perturbed with observation noise towards a random anchor drawn from the prior), so the
ensemble spread is the posterior predictive spread — also for perturbation directions no
experiment has touched yet, where a plain bootstrap would report zero spread.

Outputs are the observables at the loop's sampling times, standardised per observable by the
scale of the prior predictions (``scale``), so one noise level and one prior width apply to all.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .. import perturb as P
from ..batch import simulate_batch
from ..exceptions import SolverError, UnknownNameError
from ..io import atomic_path
from ..perturb.notation import parse_perturbation


@runtime_checkable
class Learner(Protocol):
    """What the closed loop trains and queries.

    ``predict`` returns (n_conditions, n_times, n_observables) float64 in the Dataset's units;
    ``save``/``load`` checkpoint a fitted model.
    """

    def fit(self, data, seed: int, weights: np.ndarray | None = None) -> Any: ...

    def predict(
        self, model: Any, conditions: Sequence[str], times_min: np.ndarray, observables: Sequence[str]
    ) -> np.ndarray: ...

    def save(self, model: Any, path: Path) -> None: ...

    def load(self, path: Path) -> Any: ...


# --------------------------------------------------------------------------- mechanistic prior


class CellPrior:
    """Mechanistic predictions: `cell` simulated under ``base + condition`` (cached per condition).

    Args:
        cell: compiled model.
        base: notation applied before every condition (e.g. ``"cond:aerobic_batch"``), or None.
        chunk: conditions per simulated batch (batches are padded to it: one compilation).

    Observables may be species (mM), reactions (mM/min) or model observables.

    Raises:
        SolverError: a condition's solve failed (named); no NaN prior is ever used.
    """

    def __init__(self, cell, base: str | None = None, chunk: int = 16):
        self.cell = cell
        self.base = base
        self.chunk = int(chunk)
        self._cache: dict[tuple, np.ndarray] = {}
        self._failed: dict[tuple, dict[str, str]] = {}

    def __call__(self, conditions: Sequence[str], times_min: np.ndarray, observables: Sequence[str]) -> np.ndarray:
        """(n_cond, n_t, n_obs) predictions.

        Raises:
            SolverError: naming the first condition whose solve failed.
        """
        key_t, failed = self._fill(conditions, times_min, observables)
        bad = [c for c in conditions if c in failed]
        if bad:
            raise SolverError(
                f"the mechanistic prediction failed for {len(bad)} condition(s), first {bad[0]!r}: {failed[bad[0]]}"
            )
        return np.stack([self._cache[(c, key_t)] for c in conditions])

    def failures(self, conditions: Sequence[str], times_min: np.ndarray, observables: Sequence[str]) -> dict[str, str]:
        """The conditions whose solve fails, with the solver's message (others are cached)."""
        _, failed = self._fill(conditions, times_min, observables)
        return {c: failed[c] for c in conditions if c in failed}

    def _fill(self, conditions, times_min, observables):
        t = np.asarray(times_min, dtype=np.float64)
        key_t = (tuple(t.tolist()), tuple(observables))
        failed = self._failed.setdefault(key_t, {})
        todo = [c for c in dict.fromkeys(conditions) if (c, key_t) not in self._cache and c not in failed]
        if todo:
            grid = t if t[0] == 0.0 else np.concatenate([[0.0], t])
            for start in range(0, len(todo), self.chunk):
                part = todo[start : start + self.chunk]
                out, msgs = self._solve(part, grid, observables)
                for c, row, msg in zip(part, out[:, grid.size - t.size :, :], msgs):
                    if msg:
                        failed[c] = msg
                    else:
                        self._cache[(c, key_t)] = row
        return key_t, failed

    def _solve(self, conds: list[str], grid: np.ndarray, observables):
        """(len(conds), n_grid, n_obs) values and per-condition failure messages ("" = ok).

        The batch is padded to `chunk` so that it compiles once.
        """

        padded = conds + [conds[-1]] * (self.chunk - len(conds))
        perts = [parse_perturbation(f"{self.base}+{c}" if self.base else c) for c in padded]
        traj = simulate_batch(self.cell, perts, grid)
        ok = np.asarray(traj.ok)[: len(conds)]
        msgs = ["" if good else m for good, m in zip(ok, traj.status_messages()[: len(conds)])]
        cols = [self._column(traj, o) for o in observables]  # each (batch, n_grid), NaN where failed
        return np.stack(cols, axis=-1)[: len(conds)], msgs

    def _column(self, traj, name: str) -> np.ndarray:
        if name in traj.species_ids:
            return np.asarray(traj.species(name, allow_failed=True))
        if name in traj.reaction_ids:
            return np.asarray(traj.reaction_flux(name, allow_failed=True))
        known = list(traj.species_ids) + list(traj.reaction_ids)
        try:
            return np.asarray(traj.observable(name, allow_failed=True))
        except (KeyError, UnknownNameError):
            raise UnknownNameError("observable", name, known) from None


# --------------------------------------------------------------------------- features


def _gene_activity(condition: str) -> dict[str, float]:
    """Gene -> activity loss (1 - remaining fraction) of the genetic parts of a condition."""
    p = parse_perturbation(condition)
    out: dict[str, float] = {}
    for part in getattr(p, "parts", (p,)):
        if isinstance(part, P.GeneActivity):
            g = part.gene.upper()
            out[g] = 1.0 - (1.0 - out.get(g, 0.0)) * float(part.factor)
    return out


@dataclasses.dataclass(frozen=True)
class GeneFeatures:
    """Perturbation features: activity loss per gene, plus products for every gene pair.

    Args:
        genes: the gene vocabulary (names as written in the conditions; case-insensitive).
        pairs: include pairwise interaction features.
    """

    genes: tuple[str, ...]
    pairs: bool = True

    def __post_init__(self):
        object.__setattr__(self, "genes", tuple(g.upper() for g in self.genes))

    @classmethod
    def from_conditions(cls, conditions: Sequence[str], pairs: bool = True) -> GeneFeatures:
        genes = sorted({g for c in conditions for g in _gene_activity(c)})
        return cls(tuple(genes), pairs)

    @property
    def n_features(self) -> int:
        n = len(self.genes)
        return n + (n * (n - 1) // 2 if self.pairs else 0)

    def __call__(self, conditions: Sequence[str]) -> np.ndarray:
        """(n_conditions, n_features) float64."""
        idx = {g: i for i, g in enumerate(self.genes)}
        n = len(self.genes)
        X = np.zeros((len(conditions), n))
        for r, c in enumerate(conditions):
            for g, loss in _gene_activity(c).items():
                if g not in idx:
                    raise UnknownNameError("gene (not in the learner's feature vocabulary)", g, self.genes)
                X[r, idx[g]] = loss
        if self.pairs and n > 1:
            iu = np.triu_indices(n, 1)
            X = np.concatenate([X, X[:, iu[0]] * X[:, iu[1]]], axis=1)
        return X


# --------------------------------------------------------------------------- learner


def condition_means(data, times_min: np.ndarray, observables: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Replicate means (n_cond, n_t, n_obs) and a measured mask, at the requested times/observables."""
    sub = data.subset(observables=list(observables), times=list(np.asarray(times_min, dtype=float)))
    m = sub.mean_over_replicates()
    return np.where(m.mask[:, 0], m.values[:, 0], 0.0), m.mask[:, 0]


@dataclasses.dataclass(frozen=True)
class LinearModel:
    """A fitted member: correction weights (n_features, n_outputs) in standardised units."""

    W: np.ndarray


class LinearResidualLearner:
    """Mechanistic prior + Bayesian linear correction on perturbation features (see module doc).

    Args:
        prior: ``prior(conditions, times_min, observables) -> (n_cond, n_t, n_obs)``, e.g. CellPrior.
        features: ``features(conditions) -> (n_cond, n_features)``, e.g. GeneFeatures.
        times_min, observables: the outputs the loop measures.
        scale: per-observable scale (units of the observable) used to standardise outputs.
        noise_sd: observation noise sd in standardised units.
        prior_sd: prior sd of each correction weight in standardised units.
        intercept_sd: prior sd of a per-output offset shared by all conditions (what the
            mechanistic model gets wrong even for the unperturbed cell); 0 for none.
        log: model the correction as a log ratio (``y = prior · exp(scale · X W)``, for positive
            observables whose errors are multiplicative); `scale` is then in natural-log units.
    """

    def __init__(
        self,
        prior,
        features,
        times_min,
        observables: Sequence[str],
        scale: np.ndarray,
        noise_sd: float = 0.05,
        prior_sd: float = 0.5,
        intercept_sd: float = 5.0,
        log: bool = False,
    ):
        self.prior = prior
        self.features = features
        self.times_min = np.asarray(times_min, dtype=np.float64)
        self.observables = tuple(observables)
        self.scale = np.asarray(scale, dtype=np.float64)
        if self.scale.shape != (len(self.observables),) or not np.all(self.scale > 0):
            raise ValueError(f"scale must hold one positive number per observable ({len(self.observables)})")
        if noise_sd <= 0 or prior_sd <= 0 or intercept_sd < 0:
            raise ValueError("noise_sd and prior_sd must be > 0, intercept_sd >= 0")
        self.noise_sd = float(noise_sd)
        self.prior_sd = float(prior_sd)
        self.intercept_sd = float(intercept_sd)
        self.log = bool(log)

    def _design(self, conditions) -> tuple[np.ndarray, np.ndarray]:
        """Design matrix (with a leading constant column if intercept_sd > 0) and prior sds."""
        X = self.features(list(conditions))
        sd = np.full(X.shape[1], self.prior_sd)
        if self.intercept_sd > 0:
            X = np.concatenate([np.ones((X.shape[0], 1)), X], axis=1)
            sd = np.concatenate([[self.intercept_sd], sd])
        return X, sd

    def _targets(self, data):
        y, m = condition_means(data, self.times_min, self.observables)
        base = self.prior(data.conditions, self.times_min, self.observables)
        if self.log:
            pos = (y > 0) & (base > 0)
            m = m & pos
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(pos, np.log(np.where(pos, y, 1.0)) - np.log(np.where(pos, base, 1.0)), 0.0) / self.scale
        else:
            r = (y - base) / self.scale
        n = len(data.conditions)
        return r.reshape(n, -1), m.reshape(n, -1)

    def fit(self, data, seed: int, weights: np.ndarray | None = None) -> LinearModel:
        """One posterior sample of the correction weights given `data` (randomize-then-optimize)."""
        X, sd = self._design(data.conditions)
        R, M = self._targets(data)
        w = np.ones(len(data.conditions)) if weights is None else np.asarray(weights, dtype=np.float64)
        rng = np.random.default_rng(seed)
        F, D = X.shape[1], R.shape[1]
        anchor = rng.normal(0.0, 1.0, size=(F, D)) * sd[:, None]
        noisy = R + rng.normal(0.0, self.noise_sd, size=R.shape)
        W = np.empty((F, D))
        lam = 1.0 / sd**2
        for d in range(D):  # outputs can have different measured conditions
            sw = w * M[:, d] / self.noise_sd**2
            A = (X * sw[:, None]).T @ X + np.diag(lam)
            b = (X * sw[:, None]).T @ noisy[:, d] + lam * anchor[:, d]
            W[:, d] = np.linalg.solve(A, b)
        return LinearModel(W)

    def predict(self, model: LinearModel, conditions, times_min=None, observables=None) -> np.ndarray:
        t = self.times_min if times_min is None else np.asarray(times_min, dtype=np.float64)
        obs = self.observables if observables is None else tuple(observables)
        if not (np.array_equal(t, self.times_min) and obs == self.observables):
            raise ValueError("this learner predicts only the times and observables it was built for")
        X, _ = self._design(conditions)
        base = self.prior(list(conditions), t, obs)
        corr = (X @ model.W).reshape(len(conditions), t.size, len(obs))
        if self.log:
            return base * np.exp(corr * self.scale)
        return base + corr * self.scale

    def save(self, model: LinearModel, path: Path) -> None:
        buf = io.BytesIO()
        np.savez(buf, W=model.W)
        with atomic_path(path) as tmp:
            tmp.write_bytes(buf.getvalue())

    def load(self, path: Path) -> LinearModel:
        with np.load(path) as f:
            return LinearModel(np.array(f["W"]))
