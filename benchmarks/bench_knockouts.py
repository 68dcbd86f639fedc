"""All single-gene deletions of Yeast-GEM 9.0.2: cobrapy vs yeastcell's CPU engine.

Both run in this process on the same model and medium (Yeast-GEM's synthetic
complete medium: exchanges closed to (0, 1000), then the table's uptake
bounds). Model loading is not timed for either. Prints both wall times, their
ratio and the largest absolute growth difference; with ``--record`` appends
one markdown row to ``benchmarks/RESULTS.md``.

    python benchmarks/bench_knockout.py [--processes N] [--repeats R] [--record]

Row columns: date | benchmark | machine | peer time | yeastcell time | speed-up | accuracy | notes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from _common import record



def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=1, help="worker processes for both engines")
    ap.add_argument("--repeats", type=int, default=1, help="time the best of R runs of each")
    ap.add_argument("--record", action="store_true", help="append the row to benchmarks/RESULTS.md")
    args = ap.parse_args(argv)

    import cobra
    from cobra.flux_analysis import single_gene_deletion

    from yeastcell.gem import (apply_medium, exchange_reactions, knockout_screen, load_gem,
                               read_medium)
    from yeastcell.gem._refdata import yeast_gem_file

    model_path = yeast_gem_file("yeast-GEM.yml")
    medium = read_medium(yeast_gem_file("medium_synthetic_complete.tsv"))
    gem = load_gem(model_path)
    model = cobra.io.load_yaml_model(str(model_path))
    g = apply_medium(gem, medium)
    for i in exchange_reactions(gem):
        model.reactions[i].bounds = (g.lb[i], g.ub[i])
    solver = model.solver.interface.__name__.split(".")[-1].replace("_interface", "")

    t_cobra, t_ours = np.inf, np.inf
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        ref = single_gene_deletion(model, processes=args.processes)
        t_cobra = min(t_cobra, time.perf_counter() - t0)
        t0 = time.perf_counter()
        ours = knockout_screen(gem, medium=medium, processes=args.processes)
        t_ours = min(t_ours, time.perf_counter() - t0)

    ref_growth = {next(iter(ids)): v for ids, v in zip(ref["ids"], ref["growth"])}
    diff = np.array([ours.loc[k, "growth"] - ref_growth[k] for k in ours.index])
    if np.isnan(diff).any():  # NaN only where both are infeasible is fine
        both = np.array([np.isnan(ours.loc[k, "growth"]) and np.isnan(ref_growth[k])
                         for k in ours.index])
        assert not np.isnan(diff[~both]).any(), "one engine infeasible where the other is not"
    max_diff = float(np.nanmax(np.abs(diff)))
    n_lp = int(ours["resolved"].sum())
    print(f"Yeast-GEM {gem.n_genes} single-gene deletions, processes={args.processes}")
    print(f"  cobrapy single_gene_deletion ({solver}): {t_cobra:8.2f} s")
    print(f"  yeastcell knockout_screen (HiGHS):     {t_ours:8.2f} s  "
          f"({n_lp} knockouts needed an LP)")
    print(f"  speed-up: {t_cobra / t_ours:.1f}x   max |growth difference|: {max_diff:.2e} h^-1")
    lines = ["| work | cobrapy single_gene_deletion | yeastcell knockout_screen | speed-up | max abs growth diff |",
             "|---|---:|---:|---:|---:|",
             f"| Yeast-GEM 9.0.2, all {gem.n_genes} single deletions, synthetic complete medium, "
             f"processes={args.processes} ({n_lp} LPs re-solved) | {t_cobra:.2f} s ({solver}) | {t_ours:.2f} s (HiGHS) | "
             f"{t_cobra / t_ours:.1f}× | {max_diff:.1e} h⁻¹ |"]
    print("\n".join(lines))
    if args.record:
        record("Knockout screen (bench_knockout.py)", lines)
    return lines[-1]


if __name__ == "__main__":
    main()
