"""Choosing the next experiments: information gain from the ensemble, per cost, with batch diversity.

The ensemble's members define a Gaussian over all candidates' outputs jointly: with member
deviations ``Δ_m = f_m - mean`` (outputs standardised by ``scale``), ``f ≈ mean + A w``,
``w ~ N(0, I_M)``, ``A = [Δ_1 … Δ_M] / sqrt(M - 1)``. Measuring candidate i (its outputs with
noise sd ``noise_sd``) updates the precision of ``w`` by ``A_iᵀ A_i / σ²``. The expected
information gain of a batch S is ``½ log det(I + Σ_{i∈S} A_iᵀ A_i / σ²)`` (Gaussian, nats).

* ``"eig"`` (default): greedy batch selection maximising gain increase / cost. A candidate whose
  predicted effect lies along directions already covered by the batch adds little, so the batch
  spreads over distinct effects (the log-det greedy rule is the MAP rule of a determinantal
  point process with this kernel).
* ``"target"``: greedy batch selection maximising the expected reduction of the predictive
  variance of target outputs (default: every candidate's outputs; "what we want to predict"
  rather than "every parameter"), per cost: ``tr(P⁻¹ S) - tr((P + A_iᵀA_i)⁻¹ S)`` with
  ``S = Σ_targets T_jᵀ T_j``. Redundant picks reduce little, so batches spread as with "eig".
* ``"uncertainty"``: each candidate's own gain / cost, top k (no diversity: a batch may hold
  near-copies of one idea). The ablation of the issue.
* ``"random"``: k candidates drawn uniformly (seeded).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..exceptions import YeastcellError, close_matches

STRATEGIES = ("eig", "target", "uncertainty", "random")


class AcquisitionError(YeastcellError, ValueError):
    """Bad acquisition input (strategy, batch size, costs, shapes)."""


@dataclasses.dataclass(frozen=True)
class Selection:
    """The chosen candidates and why.

    Attributes:
        chosen: indices into the candidate list, in the order picked.
        gain: marginal expected information gain (nats) of each chosen candidate when picked.
        single_gain: (n_cand,) each candidate's own information gain (nats), before any pick.
        cost: (n_cand,) cost per candidate.
        strategy: which rule picked them.
    """

    chosen: tuple[int, ...]
    gain: tuple[float, ...]
    single_gain: np.ndarray
    cost: np.ndarray
    strategy: str


def _factors(members: np.ndarray, scale: np.ndarray, noise_sd: float) -> np.ndarray:
    """(n_cand, D, M) factors A_i / σ from (M, n_cand, n_t, n_obs) member predictions."""
    M, n = members.shape[:2]
    z = members / scale
    dev = (z - z.mean(axis=0)).reshape(M, n, -1)
    return np.transpose(dev, (1, 2, 0)) / (np.sqrt(M - 1) * noise_sd)


def _logdet_gain(P_chol: np.ndarray, A: np.ndarray) -> np.ndarray:
    """½ log det(I_D + A_i P⁻¹ A_iᵀ) for every candidate, with P = L Lᵀ."""
    # B_i = A_i L^-T  -> gain = ½ log det(I_M + B_iᵀ B_i)
    B = np.linalg.solve(P_chol[None], np.transpose(A, (0, 2, 1)))  # (n, M, D) = L^-1 A_iᵀ
    G = np.eye(A.shape[2])[None] + B @ np.transpose(B, (0, 2, 1))
    _, ld = np.linalg.slogdet(G)
    return 0.5 * ld


def select_batch(
    members: np.ndarray,
    k: int,
    *,
    cost: Sequence[float] | np.ndarray | None = None,
    scale: np.ndarray | None = None,
    noise_sd: float = 0.05,
    strategy: str = "eig",
    exclude: Sequence[int] = (),
    seed: int = 0,
    budget: float | None = None,
    target_members: np.ndarray | None = None,
) -> Selection:
    """Pick up to `k` candidates from ensemble predictions.

    Args:
        members: (n_members, n_cand, n_t, n_obs) predictions.
        k: batch size.
        cost: per-candidate cost (> 0), default 1.
        scale: (n_obs,) per-observable scale for standardising outputs, default 1.
        noise_sd: measurement noise sd in standardised units.
        strategy: "eig", "uncertainty" or "random" (module docstring).
        exclude: candidate indices that may not be picked (already measured).
        budget: stop adding candidates once their total cost would exceed this.
        target_members: (n_members, n_targets, n_t, n_obs) predictions of the conditions whose
            prediction matters, for strategy "target" (default: `members`).

    Raises:
        AcquisitionError: bad strategy, k, costs or shapes.
    """
    members = np.asarray(members, dtype=np.float64)
    if members.ndim != 4 or members.shape[0] < 2:
        raise AcquisitionError(f"members must be (n_members >= 2, n_cand, n_t, n_obs), got {members.shape}")
    if strategy not in STRATEGIES:
        hint = close_matches(strategy, STRATEGIES)
        raise AcquisitionError(
            f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}"
            + (f"; did you mean {hint[0]!r}?" if hint else "")
        )
    n = members.shape[1]
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise AcquisitionError(f"batch size must be an integer >= 1, got {k!r}")
    c = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)
    if c.shape != (n,) or not np.all(np.isfinite(c)) or np.any(c <= 0):
        raise AcquisitionError(f"cost must hold {n} finite positive numbers")
    s = np.ones(members.shape[3]) if scale is None else np.asarray(scale, dtype=np.float64)
    if s.shape != (members.shape[3],) or np.any(s <= 0):
        raise AcquisitionError(f"scale must hold {members.shape[3]} positive numbers")
    if noise_sd <= 0:
        raise AcquisitionError(f"noise_sd must be > 0, got {noise_sd}")
    allowed = np.ones(n, dtype=bool)
    allowed[list(exclude)] = False
    A = _factors(members, s, noise_sd)
    Mdim = A.shape[2]
    P = np.eye(Mdim)
    single = _logdet_gain(np.eye(Mdim), A)
    chosen: list[int] = []
    gains: list[float] = []
    spent = 0.0
    rng = np.random.default_rng(seed)
    order = rng.permutation(n) if strategy == "random" else np.argsort(-(single / c), kind="stable")
    if strategy == "target":
        tm = members if target_members is None else np.asarray(target_members, dtype=np.float64)
        if tm.ndim != 4 or tm.shape[0] != members.shape[0] or tm.shape[3] != members.shape[3]:
            raise AcquisitionError(
                f"target_members must be (n_members, n_targets, n_t, n_obs) like members, got {tm.shape}"
            )
        T = _factors(tm, s, 1.0)  # (n_targets, D, M), standardised outputs
        S = np.einsum("jdm,jdn->mn", T, T)
    for _ in range(int(k)):
        ok = allowed & ((spent + c) <= budget if budget is not None else True)
        if not ok.any():
            break
        if strategy == "target":
            g = _logdet_gain(np.linalg.cholesky(P), A)
            now = np.trace(np.linalg.solve(P, S))
            after = np.trace(np.linalg.solve(P[None] + np.transpose(A, (0, 2, 1)) @ A, S[None]), axis1=1, axis2=2)
            score = np.where(ok, (now - after) / c, -np.inf)
            i = int(np.argmax(score))
        elif strategy == "eig":
            g = _logdet_gain(np.linalg.cholesky(P), A)
            score = np.where(ok, g / c, -np.inf)
            i = int(np.argmax(score))
        else:
            i = int(next(j for j in order if ok[j]))
            g = _logdet_gain(np.linalg.cholesky(P), A)
        chosen.append(i)
        gains.append(float(g[i]))
        P = P + A[i].T @ A[i]
        allowed[i] = False
        spent += c[i]
    return Selection(tuple(chosen), tuple(gains), single, c, strategy)
