"""Whole-cell model (metabolism + proteome + signaling) vs the core model: compile and batch time.

Batches of 60-min perturbations (whole cell: osmotic shocks 0-1 M NaCl crossed with gene knockouts
of the HOG pathway; core model: PFK1 knockdowns to 30-99 %), each one vmapped program, at batch 1 and at
--batch. Compile time = first call (trace + lower + XLA compile + run) minus a second identical call,
as wall time and as process CPU time (`time.process_time`): XLA compilation is mostly
single-threaded, so on a shared machine CPU time is the fairer measure. Ratios whole cell / core
model are measured in the same run.

    python benchmarks/bench_whole_cell.py [--batch 100] [--minutes 60] [--unrolled] [--split] [--record] [--note TEXT]

--unrolled uses Rodas4P(stage_loop=False) (stages traced five times per step, the solver before the
stage loop), for a same-run comparison. --split only measures, for batch 1 of each model, trace+lower
and XLA compile separately (`.lower(...).compile()`) and the StableHLO size, then exits.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import record

import yeastcell as yc
from yeastcell.solvers import Rodas4P

KOS = [None, "HOG1", "PBS2", "SSK1", "STE11", "HOT1", "MSN2", "GPD1", "FPS1", "PTP2"]
MODELS = ("yeast_cell", "yeast_core")


def perturbations(model: str, n: int):
    if model == "yeast_cell":
        doses = np.linspace(0.0, 1.0, max(1, n // len(KOS) + 1))
        out = [
            yc.condition("aerobic_clamped") + yc.osmotic_shock(float(d)) + (yc.knockout(k) if k else yc.wild_type())
            for d in doses
            for k in KOS
        ]
        if n == 1:  # batch 1: the informative case, a 0.4 M shock of the wild type
            out = [yc.condition("aerobic_clamped") + yc.osmotic_shock(0.4)]
    else:
        # PFK1 at 30-99 %: below ~25 % glycolysis collapses (a failed lane runs to max_steps and would
        # set the batch's time, since a vmapped batch runs until its slowest lane finishes)
        out = [yc.condition("aerobic_clamped") + yc.knockdown("PFK1", float(f)) for f in np.linspace(0.3, 0.99, n)]
        if n == 1:
            out = [yc.condition("aerobic_clamped") + yc.knockdown("PFK1", 0.5)]
    return out[:n]


def _clock():
    return time.perf_counter(), time.process_time()


def run(cell, n: int, t, options) -> dict:
    """First and second call of one batch; compile = first - second (wall and CPU s)."""
    perts = perturbations(cell.model_id, n)
    w0, c0 = _clock()
    b1 = yc.simulate_batch(cell, perts, t, options=options)
    w1, c1 = _clock()
    b2 = yc.simulate_batch(cell, perts, t, options=options)
    w2, c2 = _clock()
    assert np.array_equal(np.asarray(b1.status), np.asarray(b2.status))
    return {
        "model": cell.model_id,
        "n": n,
        "compile_wall": (w1 - w0) - (w2 - w1),
        "compile_cpu": (c1 - c0) - (c2 - c1),
        "traj_ms_wall": 1e3 * (w2 - w1) / n,
        "traj_ms_cpu": 1e3 * (c2 - c1) / n,
        "ok": int(np.sum(b2.ok)),
    }


def split(cell, t, options) -> str:
    """Trace+lower and XLA compile of the batch-1 program, measured separately."""
    from yeastcell.perturb import resolve_batch
    from yeastcell.solvers import save_times as _save_times
    from yeastcell.solvers import solve as _vmapped
    from yeastcell.solvers.jacobian import _pattern_of_spec
    from yeastcell.solvers.jacobian import column_colors as _column_colors

    conds = resolve_batch(cell, perturbations(cell.model_id, 1))
    ts = _save_times(t, None)
    w0, c0 = _clock()
    pattern = np.asarray(_pattern_of_spec(cell.spec))  # what the first trace computes (lru-cached per spec)
    w1, c1 = _clock()
    lowered = _vmapped.lower(cell, conds, ts, options)
    w2, c2 = _clock()
    lowered.compile()
    w3, c3 = _clock()
    return (
        f"{cell.model_id}: Jacobian pattern {pattern.shape} ({pattern.sum()} nonzeros, "
        f"{_column_colors(pattern).max() + 1} colours) {w1 - w0:.1f} s wall / {c1 - c0:.1f} s CPU; "
        f"trace+lower {w2 - w1:.1f} / {c2 - c1:.1f} s; XLA compile {w3 - w2:.1f} / {c3 - c2:.1f} s; "
        f"StableHLO {len(lowered.as_text()) / 1e6:.1f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--unrolled", action="store_true", help="Rodas4P(stage_loop=False)")
    ap.add_argument("--split", action="store_true", help="trace/lower vs XLA compile split, batch 1 only")
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--minutes", type=float, default=60.0, help="horizon (min), 1 save point per minute")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--note", default=None)
    args = ap.parse_args()
    t = np.linspace(0.0, args.minutes, round(args.minutes) + 1)
    options = yc.SolverOptions(solver=Rodas4P(stage_loop=not args.unrolled))
    solver = "Rodas4P(stage_loop=False)" if args.unrolled else "Rodas4P (stage loop)"
    cells = {}
    for model in args.models:
        w0 = time.perf_counter()
        cells[model] = (yc.load_cell(model), time.perf_counter() - w0)
    if args.split:
        for cell, _ in cells.values():
            print(split(cell, t, options), flush=True)
        return
    rows = []
    for cell, _ in cells.values():
        for n in (1, args.batch):
            rows.append(run(cell, n, t, options))
            print(rows[-1], flush=True)  # progress (the table follows)
    lines = [
        (
            "| model | species | reactions | load (s) | batch | compile wall (s) | compile CPU (s) | "
            "per trajectory wall (ms) | per trajectory CPU (ms) | solved |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cell, load = cells[r["model"]]
        lines.append(
            f"| {r['model']} | {cell.n_species} | {cell.n_reactions} | {load:.2f} | {r['n']} | "
            f"{r['compile_wall']:.1f} | {r['compile_cpu']:.1f} | {r['traj_ms_wall']:.1f} | "
            f"{r['traj_ms_cpu']:.1f} | {r['ok']}/{r['n']} |"
        )
    lines += [
        "",
        (
            f"solver {solver}, structured Jacobian, rtol 1e-7, atol 1e-10; {args.minutes:g} min horizon, "
            f"{t.size} save points, vmap on CPU; compile = first call - second call."
        ),
    ]
    if len(cells) == 2:
        by = {(r["model"], r["n"]): r for r in rows}
        for n in (1, args.batch):
            a, b = by[("yeast_cell", n)], by[("yeast_core", n)]
            lines.append(
                f"batch {n}, whole cell / core: compile ×{a['compile_cpu'] / b['compile_cpu']:.2f} (CPU), "
                f"×{a['compile_wall'] / b['compile_wall']:.2f} (wall); per trajectory "
                f"×{a['traj_ms_cpu'] / b['traj_ms_cpu']:.2f} (CPU), ×{a['traj_ms_wall'] / b['traj_ms_wall']:.2f} (wall)"
            )
    print("\n".join(lines))
    if args.record:
        record(
            "bench_whole_cell",
            lines,
            note=args.note,
            title=f"Whole-cell model compile and batch time (--batch {args.batch}{' --unrolled' if args.unrolled else ''})",
        )


if __name__ == "__main__":
    main()
