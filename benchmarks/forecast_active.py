"""Linear-Gaussian forecast of the active-learning benchmark (bench_active.py), before running it.

The parametric learner's posterior after a design is, to first order, Gaussian with covariance
S = (prior precision + Σ_c J_cᵀ J_c / σ²)⁻¹, where J_c is the Jacobian of candidate c's log
observables (ethanol, glycerol at 20 and 60 min) in the log Vmax multipliers at the prior, and σ the
log noise sd of a replicate mean (0.1/√3). This script takes the model's own Jacobians (no hidden
truth, no data), plays the strategies of the benchmark in that linear world — random,
uncertainty-only (the top-k candidates by their own information gain), target-aware (greedy
reduction of the held-out conditions' predictive variance) — and reports

* the held-out predictive sd (natural log) after each round, mean over random initial designs;
* the fraction of random's budget each active strategy needs to reach random's final sd;
* the realized held-out log RMSE of the estimate (δ ~ N(0, S) per loop, independent between the
  loops) and the paired difference target − uncertainty: its mean ± sd over designs and
  realizations, how often target-aware is lower, and how many seeds a paired comparison needs
  for 80 % power at the two-sided 5 % level.

What a 5-seed run of bench_active can and cannot resolve follows from the last line. The world is
the benchmark's: candidates, held-out conditions and hypothesis space come from bench_active.

    python benchmarks/forecast_active.py [--hypothesis focused|all] [--batch 6] [--rounds 5]
        [--designs 30] [--realizations 200] [--cache jac.npz]

Linear-Gaussian only: it ignores the nonlinearity near the collapse of glycolysis (where the
Jacobian at the prior understates the sensitivity), the batch offsets and missing values.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

SIGMA = 0.1 / np.sqrt(3)  # log noise sd of a mean of 3 replicates at 10 % (offsets modelled apart)
PRIOR_SD = 0.5  # the benchmark's prior sd of the log multipliers


def jacobians(hypothesis: str, cache: Path | None = None):
    """(J_candidates (n_cand, n_out, P), J_heldout (n_held·n_out, P), parameter names) at the prior."""
    if cache is not None and cache.is_file():
        z = np.load(cache)
        return z["Jc"], z["Jh"], tuple(str(p) for p in z["params"])
    from bench_active import (
        BASE,
        GENES,
        OBSERVABLES,
        TIMES,
        candidates,
        heldout_conditions,
        solvable,
    )

    import yeastcell as yc
    from yeastcell.active import CellPrior, ParameterLearner, vmax_parameters

    cell = yc.load_cell()
    times = np.array(TIMES)
    prior = CellPrior(cell, BASE)
    all_genes = [name for _, name, _ in cell.genes]
    cands = candidates(GENES[:8], "genome", all_genes, (0.2, 0.6))
    cands, _ = solvable(prior, cands, times)
    held, _ = solvable(prior, heldout_conditions(GENES[:8]), times)
    params = vmax_parameters(cell, GENES[:8] if hypothesis == "focused" else all_genes)
    learner = ParameterLearner(cell, params, times, OBSERVABLES, base=BASE, prior_sd=PRIOR_SD, noise_sd=SIGMA)
    u0 = np.zeros(len(params))
    _, Jc = learner.sensitivities(u0, cands)
    _, Jh = learner.sensitivities(u0, held)
    Jc = Jc.reshape(len(cands), -1, len(params))
    Jh = Jh.reshape(-1, len(params))
    if cache is not None:
        tmp = cache.with_name(cache.name + ".part.npz")
        np.savez(tmp, Jc=Jc, Jh=Jh, params=np.array(params))
        tmp.replace(cache)
    return Jc, Jh, tuple(params)


def _update(S, J):
    """Posterior covariance after one experiment with output Jacobian J (Kalman update)."""
    K = S @ J.T @ np.linalg.inv(J @ S @ J.T + SIGMA**2 * np.eye(len(J)))
    return S - K @ J @ S


def _heldout_var(S, Jh):
    return float(np.trace(Jh @ S @ Jh.T) / len(Jh))


def _pick(strategy, S, Jc, Jh, batch, rng):
    if strategy == "random":
        return list(rng.choice(len(Jc), batch, replace=False))
    if strategy == "uncertainty":
        gain = [np.linalg.slogdet(np.eye(len(J)) + J @ S @ J.T / SIGMA**2)[1] for J in Jc]
        return list(np.argsort(gain)[::-1][:batch])
    pick, St = [], S.copy()
    for _ in range(batch):
        best = min((c for c in range(len(Jc)) if c not in pick), key=lambda c: _heldout_var(_update(St, Jc[c]), Jh))
        pick.append(best)
        St = _update(St, Jc[best])
    return pick


def forecast(Jc, Jh, batch: int, rounds: int, designs: int, realizations: int, seed: int = 0) -> dict:
    """Predictive sd curves per strategy, budget fractions and the paired realized-error statistics."""
    P = Jh.shape[1]
    strategies = ("random", "uncertainty", "target")
    sd = {s: [] for s in strategies}
    paired_mean, paired_final = [], []
    for d in range(designs):
        rng = np.random.default_rng([seed, d])
        S0 = PRIOR_SD**2 * np.eye(P)
        for c in rng.choice(len(Jc), batch, replace=False):
            S0 = _update(S0, Jc[c])
        covs = {}
        for s in strategies:
            S, path = S0.copy(), [S0]
            for _ in range(rounds):
                for c in _pick(s, S, Jc, Jh, batch, rng):
                    S = _update(S, Jc[c])
                path.append(S.copy())
            covs[s] = path
            sd[s].append(np.sqrt([_heldout_var(x, Jh) for x in path]))
        for _ in range(realizations):
            real = {
                s: np.array(
                    [np.sqrt(np.mean((Jh @ rng.multivariate_normal(np.zeros(P), x)) ** 2)) for x in covs[s][1:]]
                )
                for s in ("uncertainty", "target")
            }
            paired_mean.append(real["target"].mean() - real["uncertainty"].mean())
            paired_final.append(real["target"][-1] - real["uncertainty"][-1])
    sd = {s: np.array(v) for s, v in sd.items()}
    budget = batch * (rounds + 1)
    fractions = {}
    for s in ("uncertainty", "target"):
        f = [
            next((batch * (k + 1) for k in range(rounds + 1) if np.all(c[k:] <= r[-1])), np.inf) / budget
            for c, r in zip(sd[s], sd["random"])
        ]
        fractions[s] = np.array(f)
    return {
        "sd": sd,
        "fractions": fractions,
        "paired_mean": np.array(paired_mean),
        "paired_final": np.array(paired_final),
    }


def seeds_for_power(diff: np.ndarray) -> float:
    """Seeds a paired comparison needs to detect mean(diff) at 80 % power, two-sided 5 %."""
    return float(((1.96 + 0.84) * diff.std() / max(abs(diff.mean()), 1e-300)) ** 2)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hypothesis", choices=("focused", "all"), default="focused")
    ap.add_argument("--batch", type=int, default=6, help="experiments per round (and in the initial design)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--designs", type=int, default=30, help="random initial designs")
    ap.add_argument("--realizations", type=int, default=200, help="estimation errors drawn per design")
    ap.add_argument("--cache", type=Path, help="npz file for the Jacobians (read if present, else written)")
    args = ap.parse_args(argv)
    for name in ("batch", "rounds", "designs", "realizations"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be >= 1")
    t0 = time.perf_counter()
    Jc, Jh, params = jacobians(args.hypothesis, args.cache)
    if len(Jc) < args.batch:
        ap.error(f"--batch {args.batch} exceeds the {len(Jc)} candidates")
    res = forecast(Jc, Jh, args.batch, args.rounds, args.designs, args.realizations)
    n = [args.batch * (k + 1) for k in range(args.rounds + 1)]
    print(
        f"hypothesis {args.hypothesis} ({len(params)} Vmax), {len(Jc)} candidates, {len(Jh)} held-out outputs; "
        f"batches of {args.batch}, {args.rounds} rounds; {args.designs} initial designs "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    print("held-out predictive sd (log) after " + ", ".join(map(str, n)) + " experiments:")
    for s, c in res["sd"].items():
        print(f"  {s:12s} " + " ".join(f"{x:.4f}" for x in c.mean(0)))
    for s, f in res["fractions"].items():
        ok = np.isfinite(f)
        print(
            f"  {s}: fraction of random's budget to reach random's final sd "
            f"{f[ok].mean() if ok.any() else float('nan'):.2f} (reached in {ok.sum()}/{len(f)})"
        )
    for name in ("paired_mean", "paired_final"):
        d = res[name]
        print(
            f"  realized held-out log RMSE, target − uncertainty ({name.split('_')[1]}): {d.mean():+.4f} ± "
            f"{d.std():.4f}, target lower in {np.mean(d < 0):.0%}; seeds for 80 % power: {seeds_for_power(d):.0f}"
        )


if __name__ == "__main__":
    main()
