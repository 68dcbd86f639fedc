"""JAX LP engine (yeastcell.gem.lp) vs HiGHS on Yeast-GEM knockouts, and mpax PDHG on the wild type.

Prints and records (benchmarks/RESULTS.md): engine set-up, compile, per-LP times of the JAX dual
simplex and of HiGHS (cold, and warm-started from the wild-type basis as the CPU screen does) on
the same knockouts (those deleting a reaction that carries wild-type flux: the ones that need an
LP), ratios measured in this run, and the largest growth difference. ``--mpax`` adds mpax's
r2HPDHG and raPDHG on the wild type (minutes).

    python benchmarks/bench_lp_jax.py [--n 20] [--mpax] [--no-record]
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np
from _common import record, reference_data_dir

jax.config.update("jax_enable_x64", True)

from yeastcell.gem import _highs, compile_gpr, deleted_reactions, load_gem, optimize
from yeastcell.gem.lp import knockout_growth_batch, make_engine


def _mpax(gem, ref, iters):
    import jax.numpy as jnp
    from jax.experimental import sparse as jsparse
    from mpax import create_lp, r2HPDHG, raPDHG

    S = gem.S.tocoo()
    A = jsparse.BCOO((jnp.array(S.data), jnp.array(np.stack([S.row, S.col], 1).astype(np.int32))), shape=S.shape)
    G = jsparse.BCOO((jnp.zeros(0), jnp.zeros((0, 2), jnp.int32)), shape=(0, S.shape[1]))
    lp = create_lp(jnp.array(-gem.c), A, jnp.zeros(S.shape[0]), G, jnp.zeros(0), jnp.array(gem.lb), jnp.array(gem.ub))
    rows = []
    for name, cls in (("r2HPDHG", r2HPDHG), ("raPDHG", raPDHG)):
        t = time.perf_counter()
        out = cls(eps_abs=1e-8, eps_rel=1e-8, iteration_limit=iters).optimize(lp)
        x = np.asarray(out.primal_solution)
        dt = time.perf_counter() - t
        rows.append(
            f"| mpax {name} (eps 1e-8) | wild type | {dt:.1f} s | "
            f"{int(out.iteration_count)} it | rel. error {abs(gem.c @ x - ref) / ref:.2e} |"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20, help="knockouts to time")
    ap.add_argument("--mpax", action="store_true")
    ap.add_argument("--mpax-iters", type=int, default=200_000)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()

    gem = load_gem(reference_data_dir() / "yeast-gem" / "yeast-GEM.yml")
    t = time.perf_counter()
    eng = make_engine(gem)
    t_setup = time.perf_counter() - t
    gpr = compile_gpr(gem.gene_rules, gem.gene_ids)
    wt = optimize(gem)
    hard = [g for i, g in enumerate(gem.gene_ids) if np.any(np.abs(wt.fluxes[deleted_reactions(gpr, [i])]) > 1e-9)]
    genes = list(np.random.default_rng(0).choice(hard, min(args.n, len(hard)), replace=False))

    t = time.perf_counter()
    knockout_growth_batch(gem, np.zeros((1, gem.n_genes), bool), engine=eng, gpr=gpr)
    t_compile = time.perf_counter() - t
    t = time.perf_counter()
    res = knockout_growth_batch(gem, genes, engine=eng, gpr=gpr)
    t_jax = time.perf_counter() - t

    h = _highs.make_highs(gem)
    _highs.solve(h)
    basis = h.getBasis()
    lb, ub = np.array(gem.lb), np.array(gem.ub)
    cold, warm = [], []
    t_cold = t_warm = 0.0
    for g in genes:
        d = deleted_reactions(gpr, [gem.gene_ids.index(g)])
        lo, hi = lb.copy(), ub.copy()
        lo[d] = hi[d] = 0.0
        t = time.perf_counter()
        try:
            cold.append(optimize(gem.replace(lb=lo, ub=hi)).objective)
        except Exception:  # noqa: BLE001 - infeasible knockouts have no growth
            cold.append(np.nan)
        t_cold += time.perf_counter() - t
        t = time.perf_counter()
        z = np.zeros(d.size)
        st, obj = _highs.solve_with_bounds(h, d, z, z, lb, ub, basis)[:2]
        warm.append(obj if st == "optimal" else np.nan)
        t_warm += time.perf_counter() - t
    cold, warm = np.array(cold), np.array(warm)
    diff = np.nanmax(np.abs(res.growth - cold)) / wt.objective
    n = len(genes)
    lines = [
        "| engine | LPs | time | per LP | pivots (median/max) |",
        "|---|---|---|---|---|",
        (
            f"| JAX dual simplex (CPU, chunk 1) | {n} | {t_jax:.1f} s | {t_jax / n * 1e3:.0f} ms | "
            f"{int(np.median(res.iterations))}/{int(res.iterations.max())} |"
        ),
        f"| HiGHS cold | {n} | {t_cold:.2f} s | {t_cold / n * 1e3:.0f} ms | |",
        f"| HiGHS warm (wild-type basis) | {n} | {t_warm:.2f} s | {t_warm / n * 1e3:.0f} ms | |",
        "",
        (
            f"- JAX engine set-up (HiGHS reference basis + dense inverse, m = {gem.n_metabolites}): "
            f"{t_setup:.1f} s; first call (compile): {t_compile:.1f} s"
        ),
        f"- ratio JAX / HiGHS cold: {t_jax / t_cold:.1f}; JAX / HiGHS warm: {t_jax / t_warm:.1f}",
        (
            f"- max |growth JAX − HiGHS| / wild-type growth: {diff:.1e}; statuses: "
            f"{dict(zip(*np.unique(res.status, return_counts=True)))}"
        ),
    ]
    if args.mpax:
        lines += ["", "| solver | LP | time | iterations | accuracy |", "|---|---|---|---|---|"]
        lines += _mpax(gem, wt.objective, args.mpax_iters)
    print("\n".join(lines))
    if not args.no_record:
        record(
            "bench_lp_jax",
            lines,
            title="JAX LP engine vs HiGHS, Yeast-GEM knockouts (flux-carrying)",
            note="shared 2-core machine (load ~15 from other engineers' jobs); times are inflated",
        )


if __name__ == "__main__":
    main()
