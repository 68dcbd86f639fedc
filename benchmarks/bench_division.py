"""A population of dividing cells: the Tyson 2001 cell cycle, 1000 cells in one `simulate_batch`.

Each cell gets its own growth rate μ (uniform in 0.3–0.6 h⁻¹, fixed seed; `yeastcell.division.
cell_growth`) and is simulated for 800 min (saved every minute by default; the model's division event halves
its mass). Reported: wall time of the batch (the first call, compilation included, and a second
call), how many lanes solved, and the division law: period × μ / ln 2 over the population (1 in
balanced growth with exponential mass growth; the model's logistic term makes it ~1.07), and the
period at μ = 0.45 h⁻¹ (issue 26: 90 ± 20 min).

    python benchmarks/bench_division.py [--n 1000] [--t-end 800] [--repeat 2] [--record]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from _common import machine, record

import yeastcell as yc
from yeastcell.division import cell_growth, division_periods, load_cell_cycle


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="cells (lanes)")
    ap.add_argument("--t-end", type=float, default=800.0, help="simulated time, min")
    ap.add_argument("--repeat", type=int, default=2, help="timed calls (the first compiles)")
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    args = ap.parse_args()
    cell = load_cell_cycle()
    mus = np.random.default_rng(0).uniform(0.3, 0.6, args.n)
    mus[0] = 0.45
    perts = [cell_growth(float(m)) for m in mus]
    t = np.arange(0.0, args.t_end + 1.0, 1.0)
    opts = yc.SolverOptions(negative_tol=None)
    walls = []
    for _ in range(max(args.repeat, 1)):
        t0 = time.perf_counter()
        traj = yc.simulate_batch(cell, perts, t, options=opts)
        walls.append(time.perf_counter() - t0)
    ok = np.asarray(traj.status) == 0
    periods = division_periods(traj, allow_failed=True)  # failed lanes: NaN
    ratio = periods * mus / 60.0 / math.log(2.0)
    lines = [
        f"machine: {machine()}",
        f"command: `python benchmarks/bench_division.py --n {args.n} --t-end {args.t_end:g} --repeat {args.repeat}`",
        f"- {args.n} cells, Tyson 2001 cell cycle, 0–{args.t_end:g} min saved every min, μ uniform 0.3–0.6 h⁻¹"
        " (seed 0)",
        "- simulate_batch wall time per call (the first compiles): " + ", ".join(f"{w:.1f} s" for w in walls),
        f"- lanes solved: {int(ok.sum())}/{args.n}",
        f"- period × μ / ln 2: mean {np.nanmean(ratio):.4f}, min {np.nanmin(ratio):.4f}, max {np.nanmax(ratio):.4f}"
        f" ({int(np.isnan(periods).sum())} lanes failed or with < 2 divisions after the first)",
        f"- period at μ = 0.45 h⁻¹: {periods[0]:.1f} min (ln 2/μ = {math.log(2) / 0.45 * 60:.1f} min)",
    ]
    print("\n".join(lines))
    if args.record:
        record("bench_division", lines, title="Dividing cells: 1000-cell batch of the Tyson 2001 cell cycle")


if __name__ == "__main__":
    main()
