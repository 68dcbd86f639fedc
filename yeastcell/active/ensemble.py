"""Ensembles: several fitted models of one learner, giving a predictive mean and spread.

Members differ by seed (each learner decides what a seed changes: initialisation, posterior
sample, noise) and optionally by a bootstrap of the conditions (passed as per-condition weights,
so a Dataset never needs duplicated conditions). Prediction is batched: one learner call per
member for all candidates, or one call for all members when the learner has ``predict_members``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .learners import Learner


@dataclasses.dataclass(frozen=True)
class Prediction:
    """Ensemble predictions for a list of conditions.

    Attributes:
        conditions: the conditions, in order.
        members: (n_members, n_cond, n_t, n_obs) float64, units of the observables.
    """

    conditions: tuple[str, ...]
    members: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """(n_cond, n_t, n_obs) predictive mean."""
        return self.members.mean(axis=0)

    @property
    def sd(self) -> np.ndarray:
        """(n_cond, n_t, n_obs) ensemble standard deviation (ddof 1)."""
        return self.members.std(axis=0, ddof=1)


@dataclasses.dataclass(frozen=True)
class Ensemble:
    """Fitted members of one learner (see :func:`train_ensemble`)."""

    learner: Learner
    members: tuple[Any, ...]
    seeds: tuple[int, ...]

    def predict(self, conditions: Sequence[str], times_min: np.ndarray, observables: Sequence[str]) -> Prediction:
        conds = tuple(conditions)
        if hasattr(self.learner, "predict_members"):  # one batched call for all members
            preds = np.asarray(
                self.learner.predict_members(self.members, conds, times_min, observables), dtype=np.float64
            )
        else:
            preds = np.stack(
                [
                    np.asarray(self.learner.predict(m, conds, times_min, observables), dtype=np.float64)
                    for m in self.members
                ]
            )
        if not np.all(np.isfinite(preds)):
            raise FloatingPointError("an ensemble member predicted NaN/inf; refusing to use it")
        return Prediction(conds, preds)

    def save(self, folder: Path) -> None:
        """Write every member (learner.save) into `folder` as member_KK."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for k, m in enumerate(self.members):
            self.learner.save(m, folder / f"member_{k:02d}")

    @classmethod
    def load(cls, learner: Learner, folder: Path, seeds: Sequence[int]) -> Ensemble:
        folder = Path(folder)
        return cls(learner, tuple(learner.load(folder / f"member_{k:02d}") for k in range(len(seeds))), tuple(seeds))


def member_seeds(seed: int, n_members: int) -> tuple[int, ...]:
    """Independent member seeds derived from one seed."""
    ss = np.random.SeedSequence(seed)
    return tuple(int(s.generate_state(1)[0]) for s in ss.spawn(n_members))


def train_ensemble(learner: Learner, data, n_members: int = 8, seed: int = 0, bootstrap: bool = False) -> Ensemble:
    """Fit `n_members` members of `learner` on `data`.

    Args:
        bootstrap: also resample the conditions with replacement for each member.

    Raises:
        ValueError: fewer than two members.
    """
    if n_members < 2:
        raise ValueError(f"an ensemble needs at least 2 members, got {n_members}")
    seeds = member_seeds(seed, n_members)
    members = []
    n = len(data.conditions)
    for s in seeds:
        w = None
        if bootstrap:
            w = np.bincount(np.random.default_rng(s).integers(0, n, n), minlength=n).astype(np.float64)
        members.append(learner.fit(data, s, w))
    return Ensemble(learner, tuple(members), seeds)
