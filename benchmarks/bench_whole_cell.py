"""Whole-cell model (metabolism + proteome + signaling) vs the core model: load, compile and batch time.

Batch: --batch perturbations of 60 min each (osmotic shocks 0-1 M NaCl crossed with gene knockouts
of the HOG pathway for the whole cell; PFK1 knockdowns for the core model), one vmapped program.
Compile time = first call (trace + XLA compile + run) minus a second identical call. Ratios whole
cell / core model are measured in the same run.

    python benchmarks/bench_whole_cell.py [--batch 100] [--record] [--note TEXT]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import record

import yeastcell as yc

KOS = [None, "HOG1", "PBS2", "SSK1", "STE11", "HOT1", "MSN2", "GPD1", "FPS1", "PTP2"]


def perturbations(model: str, n: int):
    if model == "yeast_cell":
        doses = np.linspace(0.0, 1.0, max(1, n // len(KOS) + 1))
        out = [yc.condition("aerobic_clamped") + yc.osmotic_shock(float(d)) + (yc.knockout(k) if k else yc.wild_type())
               for d in doses for k in KOS]
    else:
        out = [yc.condition("aerobic_clamped") + yc.knockdown("PFK1", float(f)) for f in np.linspace(0.05, 0.99, n)]
    return out[:n]


def run(model: str, n: int, t) -> dict:
    t0 = time.perf_counter()
    cell = yc.load_cell(model)
    load = time.perf_counter() - t0
    perts = perturbations(model, n)
    t0 = time.perf_counter()
    b1 = yc.simulate_batch(cell, perts, t)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    b2 = yc.simulate_batch(cell, perts, t)
    second = time.perf_counter() - t0
    assert np.array_equal(np.asarray(b1.status), np.asarray(b2.status))
    return {"model": model, "species": cell.n_species, "reactions": cell.n_reactions, "load": load,
            "compile": first - second, "per_traj_ms": 1e3 * second / n, "ok": int(np.sum(b2.ok)), "n": n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--note", default=None)
    args = ap.parse_args()
    t = np.linspace(0.0, 60.0, 61)
    rows = []
    for model in ("yeast_cell", "yeast_core"):
        rows.append(run(model, args.batch, t))
        print(rows[-1], flush=True)  # progress (the table follows)
    cell, core = rows
    lines = [(f"| model | species | reactions | load (s) | compile (s) | per trajectory (ms), batch {args.batch} "
              "| solved |"), "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['species']} | {r['reactions']} | {r['load']:.2f} | {r['compile']:.1f} | "
                     f"{r['per_traj_ms']:.1f} | {r['ok']}/{r['n']} |")
    lines += ["", (f"whole cell / core: compile ×{cell['compile'] / core['compile']:.2f}, per trajectory "
                   f"×{cell['per_traj_ms'] / core['per_traj_ms']:.2f}; 60 min horizon, 61 save points, vmap on CPU")]
    print("\n".join(lines))
    if args.record:
        record(f"Whole-cell model compile and batch time (bench_whole_cell.py --batch {args.batch})", lines,
               note=args.note)


if __name__ == "__main__":
    main()
