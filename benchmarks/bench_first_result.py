"""Time to the first result in a fresh Python process: cold (empty caches) and warm (caches filled).

Each measurement is a new process that imports yeastcell, loads a model and simulates one condition
(60 min, 121 save points) until its result is on the host (`Trajectory.raise_if_failed`), timing
import, load, first simulate and their total (wall clock, s). The caches are JAX's persistent
compilation cache and yeastcell's program store (`yeastcell.compilation_cache`,
`yeastcell.program_store`), both in a temporary folder named by ``YEASTCELL_COMPILATION_CACHE``:
"cold" is the first process on an empty folder, "warm" the best of the next `--warm` processes.
The last row is without any cache (what a process pays when the cache is off, the default).
yeastcell's modules are byte-compiled first, as ``pip install`` does: an editable checkout run with
``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every module from source in every process
(0.07-0.15 s of CPU on a 2-core machine), which an installed package does not.
Models: the embedded core model and the whole cell (``yeast_cell``); the machine's load is printed
(other jobs inflate every figure).

    python benchmarks/bench_first_result.py [--warm 3] [--models core yeast_cell] [--record]
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import subprocess
import sys
import tempfile

from _common import machine, record

PROBE = r"""
import sys, time
t0 = time.perf_counter()
import numpy as np
import yeastcell as yc
t1 = time.perf_counter()
name = sys.argv[1]
cell = yc.load_cell() if name == "core" else yc.load_cell(name)
t2 = time.perf_counter()
tr = yc.simulate(cell, yc.condition("aerobic_batch"), np.linspace(0, 60, 121))
tr.raise_if_failed()
t3 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {t3 - t2:.3f} {t3 - t0:.3f}")
"""


def _run(model: str, cache: str | None) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YEASTCELL_COMPILATION_CACHE", "JAX_COMP"))}
    if cache is not None:
        env["YEASTCELL_COMPILATION_CACHE"] = cache
    out = subprocess.run([sys.executable, "-c", PROBE, model], env=env, capture_output=True, text=True, timeout=1200)
    if out.returncode != 0:
        raise RuntimeError(f"{model}: the probe failed:\n{out.stderr[-3000:]}")
    return [float(x) for x in out.stdout.split()[-4:]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--warm", type=int, default=3, help="warm processes per model (best taken)")
    ap.add_argument("--models", nargs="*", default=["core", "yeast_cell"])
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    args = ap.parse_args()
    spec = importlib.util.find_spec("yeastcell")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(folder, quiet=1)  # what `pip install` does; idempotent
    rows = []
    for model in args.models:
        with tempfile.TemporaryDirectory(prefix="yc-first-result-") as folder:
            load = os.getloadavg()[0]
            cold = _run(model, folder)
            warm = min((_run(model, folder) for _ in range(max(args.warm, 1))), key=lambda r: r[3])
        none = _run(model, None)
        for kind, r in (("cold", cold), (f"warm (best of {args.warm})", warm), ("no cache", none)):
            rows.append(f"| {model} | {kind} | {r[0]:.2f} | {r[1]:.2f} | {r[2]:.2f} | {r[3]:.2f} | {load:.1f} |")
            print(rows[-1], flush=True)
    lines = [
        f"machine: {machine()}",
        f"command: `python benchmarks/bench_first_result.py --warm {args.warm} --models {' '.join(args.models)}`",
        "",
        "| model | caches | import s | load s | first simulate s | total s | load avg (1 min) |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ]
    print("\n".join(lines))
    if args.record:
        record("bench_first_result", lines, title="Time to the first result in a fresh process (cold, warm, no cache)")


if __name__ == "__main__":
    main()
