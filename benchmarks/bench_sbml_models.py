"""Every shared SBML model against libroadrunner, one at a time and in a batch, in one run.

For each model of ``$YEASTCELL_REFERENCE_DATA/sbml/{biomodels,y3m}`` (BioModels and Y3M):

- **import**: `yc.load_cell(path)` (SBML read by suffix, compiled) (s);
- **batch 1**: one `yc.simulate` of the model as written over its horizon (101 save points), the
  first call (trace + compile + run, s) and the best of repeated calls (ms per trajectory), vs
  libroadrunner's `simulate` of the same (best of repeated `resetAll` + `simulate`);
- **batch N** (default 1000): N parameter sets, log-normal multipliers (σ = 0.1, fixed seed) on every
  global parameter the model declares, through the public API (`yc.parameter(id, factor=...)` per
  lane, `yc.simulate_batch`), vs a libroadrunner loop over the same N settings; per-trajectory ms of
  the second call (the first, with compilation, is printed too);
- **accuracy**: both at rtol 1e-8 / atol 1e-10 vs a tight libroadrunner reference (rtol 1e-12,
  atol 1e-14) of the nominal model: max relative error over the floating species and save points
  (floor 1e-9 mM); the batch lanes are compared with libroadrunner lane by lane.

Time units: each model is simulated in its own time unit (yeastcell keeps an imported model's
units) over the horizon in `HORIZONS` (chosen from the model's publication: the time course its
figures show). The CPU model is printed and recorded with every row.

    python benchmarks/bench_sbml_models.py [--n 1000] [--models NAME ...] [--repeats 5] [--record]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

# model file stem -> (horizon in the model's time unit, unit, why)
HORIZONS = {
    "BIOMD0000000061_hynne2001_glycolysis": (20.0, "min", "Hynne 2001 Fig. 2: sustained oscillations, period ~0.6 min"),
    "BIOMD0000000064_teusink2000": (100.0, "min", "Teusink 2000: approach to the steady state"),
    "BIOMD0000000172_pritchard2002_glycolysis": (100.0, "s", "Pritchard & Kell 2002: relaxation to steady state"),
    "BIOMD0000000195_tyson2001": (300.0, "min", "Tyson 2001: three cell cycles (division event)"),
    "y3m1_gp": (340.0, "s", "van Heerden 2014 glucose pulse as in Y3M1 (event at the pulse)"),
    "y3m1_ss": (2000.0, "s", "Y3M1 steady-state set-up"),
    "y3m2_ff": (2001.0, "s", "SOURCES.md: feast/famine models are simulated for 2001 s"),
    "y3m3_ff_fructose": (2001.0, "s", "as y3m2_ff"),
    "y3m3_ff_maltose": (2001.0, "s", "as y3m2_ff"),
    "y3m3_ff_sucrose": (2001.0, "s", "as y3m2_ff"),
}
RTOL, ATOL = 1e-8, 1e-10
N_SAVE = 101


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _best(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _rr(path: Path, rtol: float, atol: float):
    import roadrunner

    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = atol
    rr.integrator.maximum_num_steps = 100_000
    return rr


def _rr_run(rr, t_end: float, species: list[str]) -> np.ndarray:
    rr.resetAll()
    return np.asarray(rr.simulate(0.0, t_end, N_SAVE, selections=[f"[{s}]" for s in species]))


def _rel_err(a: np.ndarray, ref: np.ndarray) -> float:
    both = np.isfinite(a) & np.isfinite(ref)
    if not both.all():
        return float("inf")
    return float(np.max(np.abs(a - ref) / np.maximum(np.abs(ref), 1e-9)))


def bench_model(path: Path, n: int, repeats: int, seed: int) -> dict:
    import yeastcell as yc

    t_end, unit, _ = HORIZONS[path.stem]
    ts = np.linspace(0.0, t_end, N_SAVE)
    row: dict = {"model": path.stem, "t_end": f"{t_end:g} {unit}"}

    t = time.perf_counter()
    cell = yc.load_cell(str(path))
    row["import_s"] = time.perf_counter() - t
    opts = yc.SolverOptions(rtol=RTOL, atol=ATOL, negative_tol=None, max_steps=100_000)

    rr = _rr(path, RTOL, ATOL)
    species = [s for s in rr.model.getFloatingSpeciesIds() if s in cell.species_ids]
    ruled = set(rr.getAssignmentRuleIds()) | set(rr.getRateRuleIds()) | set(rr.getInitialAssignmentIds())
    params = [p for p in rr.model.getGlobalParameterIds() if p in cell.theta_names and p not in ruled]
    row["species"], row["params"] = len(species), len(params)

    # batch 1
    t = time.perf_counter()
    one = yc.simulate(cell, None, ts, options=opts)
    row["first_s"] = time.perf_counter() - t
    row["ok1"] = bool(one.ok)
    row["yc1_ms"] = 1e3 * _best(lambda: yc.simulate(cell, None, ts, options=opts), repeats)
    row["rr1_ms"] = 1e3 * _best(lambda: _rr_run(rr, t_end, species), repeats)
    ref = _rr_run(_rr(path, 1e-12, 1e-14), t_end, species)
    # a failed batch-1 solve is an infinite error in its row; the batch run still follows
    row["err_yc"] = _rel_err(np.stack([one.species(s, allow_failed=True) for s in species], axis=1), ref)
    row["err_rr"] = _rel_err(_rr_run(rr, t_end, species), ref)

    # batch n: log-normal multipliers on every global parameter
    rng = np.random.default_rng(seed)
    mult = np.exp(0.1 * rng.standard_normal((n, len(params))))
    perts = [yc.wild_type() for _ in range(n)]
    if params:
        perts = [sum((yc.parameter(p, factor=float(m)) for p, m in zip(params, lane)), yc.wild_type()) for lane in mult]
    t = time.perf_counter()
    batch = yc.simulate_batch(cell, perts, ts, options=opts, progress=False)
    row["batch_first_s"] = time.perf_counter() - t
    t = time.perf_counter()
    batch = yc.simulate_batch(cell, perts, ts, options=opts, progress=False)
    row["ycN_ms"] = 1e3 * (time.perf_counter() - t) / n
    ok = np.asarray(batch.ok)
    p0 = {p: rr[p] for p in params}
    rr_out = np.full((n, N_SAVE, len(species)), np.nan)
    t = time.perf_counter()
    for i in range(n):
        rr.resetAll()
        for k, p in enumerate(params):
            rr[p] = p0[p] * mult[i, k]
        try:
            rr_out[i] = np.asarray(rr.simulate(0.0, t_end, N_SAVE, selections=[f"[{s}]" for s in species]))
        except RuntimeError:  # CVODE gave up on this setting
            pass
    row["rrN_ms"] = 1e3 * (time.perf_counter() - t) / n
    for p in params:
        rr[p] = p0[p]
    rr_ok = np.isfinite(rr_out).all(axis=(1, 2))
    both = ok & rr_ok
    yc_vals = np.stack([np.asarray(batch.species(s)) for s in species], axis=-1)
    row["errN"] = _rel_err(yc_vals[both], rr_out[both]) if both.any() else float("nan")
    row["failed_yc"], row["failed_rr"] = int((~ok).sum()), int((~rr_ok).sum())
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="lanes of the batch run")
    ap.add_argument("--repeats", type=int, default=5, help="repeats of the batch-1 timings (best taken)")
    ap.add_argument("--models", nargs="*", default=None, help="model file stems (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--note", default=None)
    args = ap.parse_args(argv)

    import jax

    import yeastcell  # noqa: F401  # before JAX starts its backend (XLA:CPU options, yeastcell._xla_cpu_loops)

    data = Path(os.environ.get("YEASTCELL_REFERENCE_DATA", REPO.parent / "shared" / "data"))
    paths = sorted((data / "sbml" / "biomodels").glob("*.xml")) + sorted((data / "sbml" / "y3m").glob("*.xml"))
    if not paths:
        print(f"no SBML models under {data / 'sbml'} (set YEASTCELL_REFERENCE_DATA)", file=sys.stderr)
        return 2
    if args.models:
        unknown = sorted(set(args.models) - {p.stem for p in paths})
        if unknown:
            print(f"unknown model(s) {unknown}; known: {[p.stem for p in paths]}", file=sys.stderr)
            return 2
        paths = [p for p in paths if p.stem in args.models]
    missing = [p.stem for p in paths if p.stem not in HORIZONS]
    if missing:
        print(f"no horizon for {missing}: add them to HORIZONS", file=sys.stderr)
        return 2

    load_start = os.getloadavg()[0]
    cpu = cpu_model()
    head = (
        f"{len(paths)} SBML models, batch 1 and batch {args.n}, rtol {RTOL:g} / atol {ATOL:g}, {N_SAVE} save points; "
        f"CPU {cpu} ({os.cpu_count()} cores), {jax.devices()[0].platform}"
    )
    print(head, flush=True)
    table = [
        "| model | horizon | species / params | import s | first result s | batch 1: yc ms | rr ms | ratio | "
        f"batch {args.n}: first s | yc ms/traj | rr ms/traj | ratio | rel. err yc / rr vs tight ref | "
        f"lanes yc-rr max rel. diff | failed yc / rr |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path in paths:
        try:
            r = bench_model(path, args.n, args.repeats, args.seed)
        except Exception as exc:  # one model's failure is a row, not the end of the run
            line = f"| {path.stem} | failed: {type(exc).__name__}: {str(exc).splitlines()[0][:160]} |"
            table.append(line)
            print(line, flush=True)
            continue
        line = (
            f"| {r['model']} | {r['t_end']} | {r['species']} / {r['params']} | {r['import_s']:.1f} | {r['first_s']:.1f} | "
            f"{r['yc1_ms']:.1f} | {r['rr1_ms']:.2f} | {r['yc1_ms'] / r['rr1_ms']:.1f}× | {r['batch_first_s']:.1f} | "
            f"{r['ycN_ms']:.2f} | {r['rrN_ms']:.2f} | {r['ycN_ms'] / r['rrN_ms']:.2f}× | "
            f"{r['err_yc']:.1e} / {r['err_rr']:.1e} | {r['errN']:.1e} | {r['failed_yc']} / {r['failed_rr']} |"
        )
        table.append(line)
        print(line, flush=True)
    load = f"1-min load average at start / end: {load_start:.1f} / {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)"
    print(load)
    if args.record:
        sys.path.insert(0, str(REPO / "benchmarks"))
        from _common import record

        record(
            "bench_sbml_models",
            [head, "", *table, "", load],
            title="Every shared SBML model vs libroadrunner, batch 1 and batch N (bench_sbml_models.py)",
            note=args.note
            or "ratio = yeastcell / libroadrunner per trajectory (< 1: yeastcell faster); both timed in the same run",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
