"""Memory of `simulate_batch` per lane: peak RSS and the compiled program's buffers, per batch size.

Work: the embedded core model (`yc.load_cell()`) under ``condition("aerobic_batch")`` plus a
knockdown of PFK1 to a fraction in [0.05, 0.95] that differs per lane, 121 save points over 60 min,
the default solver options (`simulate_batch` picks the solver). Each batch size runs in a fresh
subprocess, so the peak resident set size (``ru_maxrss``) is that size's own. Printed per size:

- rss_before: resident set after import, model load and perturbation resolution (MB);
- peak: peak resident set of the process (MB), and (peak - rss_before) / lanes (KB per lane);
- solve temp / out: the compiled solve's temporary and output buffers per lane (KB), from
  ``jax.jit(...).lower(...).compile().memory_analysis()`` of one chunk (or the whole batch when it
  runs as one program); fluxes temp / out: the same for the post-processing program (species,
  fluxes at every save point, bounds check: `yeastcell.simulate._trajectory_arrays`);
- chunk: the lanes per chunk `simulate_batch` chose (``Trajectory.lanes_per_chunk``), and the
  wall time of the run (compilation included).

    python benchmarks/bench_batch_memory.py [--sizes 1000 4000] [--lanes-per-chunk N] [--record]
        [--baseline FILE --baseline-label "before (commit abc123)"]

``--baseline FILE``: the printed table of an earlier run of this script (e.g. on the parent commit),
whose rows are recorded above this run's, tagged with ``--baseline-label``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import time

from _common import record

T_END_MIN = 60.0
N_SAVE = 121


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(n: int, lanes_per_chunk: str) -> dict:
    """Run one batch of `n` lanes in this process and return its measurements."""
    import jax
    import numpy as np

    import yeastcell as yc
    from yeastcell.bounds import species_bounds
    from yeastcell.perturb import resolve_batch
    from yeastcell.simulate import _trajectory_arrays
    from yeastcell.solvers import SolverOptions, batch_options, solve

    cell = yc.load_cell()
    base = yc.condition("aerobic_batch")
    perts = [base + yc.knockdown("PFK1", float(f)) for f in np.linspace(0.05, 0.95, n)]
    t = np.linspace(0.0, T_END_MIN, N_SAVE)
    spilled: list[str] = []  # the warning simulate_batch logs when the results go to memory-mapped files
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: spilled.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("yeastcell.batch").addHandler(handler)
    rss_before = _rss_mb()
    chunk: int | str | None = lanes_per_chunk if lanes_per_chunk == "auto" else int(lanes_per_chunk)
    t0 = time.perf_counter()
    traj = yc.simulate_batch(cell, perts, t, lanes_per_chunk=chunk, progress=False)
    jax.block_until_ready(traj.conc)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    used = getattr(traj, "lanes_per_chunk", None)
    k = int(used) if used else n
    conds = resolve_batch(cell, perts[:k])
    options = batch_options(SolverOptions(), k, cell)
    ts = jax.numpy.asarray(t)
    solve_jit = jax.jit(lambda c: solve(cell, c, ts, options, None, True))
    mem = solve_jit.lower(conds).compile().memory_analysis()
    values, status, t_failed = solve_jit(conds)
    lo, hi = species_bounds(cell)
    post = jax.jit(lambda *a: _trajectory_arrays(cell, *a))
    mem_post = post.lower(ts, values, status, conds, t_failed, lo, hi).compile().memory_analysis()
    return {
        "n": n,
        "ok": int(np.sum(traj.ok)),
        "rss_before_mb": rss_before,
        "peak_mb": peak,
        "wall_s": wall,
        "chunk": used,
        "spilled": any("memory-mapped" in m for m in spilled),
        "xla_lanes": k,
        "temp_bytes": int(getattr(mem, "temp_size_in_bytes", 0)),
        "out_bytes": int(getattr(mem, "output_size_in_bytes", 0)),
        "post_temp_bytes": int(getattr(mem_post, "temp_size_in_bytes", 0)),
        "post_out_bytes": int(getattr(mem_post, "output_size_in_bytes", 0)),
    }


def table(results: list[dict], label: str = "this commit") -> list[str]:
    lines = [
        "| code | lanes | ok | RSS before (MB) | peak RSS (MB) | per lane (KB) | solve temp / out per lane (KB) "
        "| fluxes temp / out per lane (KB) | lanes per chunk | wall (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        per = (r["peak_mb"] - r["rss_before_mb"]) * 1024 / r["n"]
        k = r["xla_lanes"]
        lines.append(
            f"| {label} | {r['n']} | {r['ok']} | {r['rss_before_mb']:.0f} | {r['peak_mb']:.0f} | {per:.1f} "
            f"| {r['temp_bytes'] / 1024 / k:.1f} / {r['out_bytes'] / 1024 / k:.1f} "
            f"| {r['post_temp_bytes'] / 1024 / k:.1f} / {r['post_out_bytes'] / 1024 / k:.1f} "
            f"| {r['chunk'] or 'one program'}{' (results memory-mapped)' if r.get('spilled') else ''} "
            f"| {r['wall_s']:.1f} |"
        )
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    ap.add_argument("--lanes-per-chunk", default="auto", help="'auto' (simulate_batch's choice) or an int")
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    ap.add_argument("--note", default=None, help="note line for RESULTS.md")
    ap.add_argument("--baseline", default=None, help="printed table of an earlier run, recorded above this one")
    ap.add_argument("--baseline-label", default="before", help="code column of the baseline rows")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.lanes_per_chunk)), flush=True)
        return
    results = []
    for n in args.sizes:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", str(n), "--lanes-per-chunk", args.lanes_per_chunk]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        found = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if proc.returncode or not found:
            sys.stderr.write(proc.stderr[-4000:])
            raise SystemExit(f"batch of {n} failed (exit code {proc.returncode})")
        results.append(json.loads(found[-1][len("RESULT ") :]))
        print("\n".join(table(results)[-1:]), flush=True)
    lines = table(results)
    if args.baseline:
        with open(args.baseline) as fh:
            rows = [ln.strip() for ln in fh if ln.startswith("| ") and ln[2:3].isdigit()]
        lines[2:2] = sorted({f"| {args.baseline_label} {row}" for row in rows}, key=lambda r: int(r.split("|")[2]))
    print("\n".join(lines))
    if args.record:
        cmd = "python benchmarks/bench_batch_memory.py " + " ".join(argv if argv is not None else sys.argv[1:])
        record(
            "bench_batch_memory",
            lines,
            title="simulate_batch memory per lane (core model, PFK1 knockdowns, 121 save points)",
            note=args.note,
            command=cmd,
        )


if __name__ == "__main__":
    main()
