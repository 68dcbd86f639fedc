"""What a progress bar costs: `simulate_batch` of N core-model lanes with and without ``progress``.

With ``progress=True`` the batch runs chunk by chunk from Python (`yeastcell.solvers.chunks.run_in_chunks`,
`yeastcell.batch.progress_lanes_per_chunk`: 15 chunks of 67 lanes for 1000), so the bar moves per
chunk and Ctrl-C acts between chunks; without it, one compiled vmap (BatchBDF from 64 lanes).
Work: the README's dose-response, PFK1 knockdowns (fraction 0.05..0.95) under aerobic_batch, 60 min,
61 save points. Each setting is run `--repeats` times after its compiling run, alternating; the
bar writes to a discarded stream so terminal speed does not count.

    python benchmarks/bench_progress.py [--lanes 1000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time

import numpy as np

import yeastcell as yc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lanes", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    cell = yc.load_cell("yeast_core")
    perts = [yc.condition("aerobic_batch") + yc.knockdown("PFK1", f) for f in np.linspace(0.05, 0.95, args.lanes)]
    t = np.linspace(0.0, 60.0, 61)

    def run(progress: bool) -> tuple[float, np.ndarray]:
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            tr = yc.simulate_batch(cell, perts, t, progress=progress)
            conc = np.asarray(tr.conc)
        return time.perf_counter() - t0, conc

    times: dict[bool, list[float]] = {False: [], True: []}
    first: dict[bool, float] = {}
    out = {}
    for progress in (False, True):
        first[progress], out[progress] = run(progress)  # includes compilation
    for _ in range(args.repeats):
        for progress in (False, True):
            times[progress].append(run(progress)[0])
    ok = np.isfinite(out[False]).all(axis=(1, 2)) & np.isfinite(out[True]).all(axis=(1, 2))
    diff = np.max(np.abs(out[True][ok] - out[False][ok]) / (np.abs(out[False][ok]) + 1e-9))
    for progress in (False, True):
        print(
            f"progress={progress!s:5s}: first run (with compile) {first[progress]:.1f} s; "
            f"then {', '.join(f'{x:.1f}' for x in times[progress])} s"
        )
    base, bar = min(times[False]), min(times[True])
    print(f"{args.lanes} lanes: progress costs {100 * (bar / base - 1):+.1f} % (best of {args.repeats})")
    print(f"largest relative difference of the states (both solved: {int(ok.sum())} lanes): {diff:.2e}")


if __name__ == "__main__":
    main()
