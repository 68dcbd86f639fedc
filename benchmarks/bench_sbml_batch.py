"""Imported SBML model in a batch: yeastcell (one vmapped program) vs libroadrunner (a loop).

BIOMD0000000064 (Teusink 2000) is imported with `yeastcell.sbml.load`; 1000 perturbations
(log-normal multipliers, σ = 0.2, on its 15 global parameters and σ = 0.1 on the initial
concentrations of its floating species, fixed seed) are simulated over 0–100 min (101 points):
by yeastcell as one jitted `vmap` over (parameters, initial state), and by libroadrunner looping
over the same 1000 settings. Compile time is reported separately; the timed yeastcell run is the
second call. The maximum relative difference between the two on all species is printed too.

    python benchmarks/bench_sbml_batch.py [--n 1000] [--record]
    python benchmarks/bench_simulate.py --sbml-batch   (the same, from the throughput benchmark)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--record", action="store_true")
    ap.add_argument(
        "--max-steps",
        type=int,
        default=50_000,
        help="solver steps per lane; under vmap the batch runs until its slowest lane stops, so "
        "one lane that needs many steps costs the whole batch that many steps",
    )
    ap.add_argument(
        "--lanes-per-chunk",
        default="auto",
        help="lanes per sequential vmapped chunk: 'auto' (simulate_batch's default), 'none' (one vmap) or a number",
    )
    ap.add_argument("--note", default=None, help="extra line for the RESULTS.md section (e.g. machine shared)")
    args = ap.parse_args(argv)

    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import roadrunner

    import yeastcell as yc
    from yeastcell import sbml
    from yeastcell.batch import default_lanes_per_chunk
    from yeastcell.perturb import resolve
    from yeastcell.solvers import solve as _solve
    from yeastcell.solvers.chunks import vmap_in_chunks

    load_start = os.getloadavg()[0]
    data = Path(os.environ.get("YEASTCELL_REFERENCE_DATA", REPO.parent / "shared" / "data"))
    path = data / "sbml" / "biomodels" / "BIOMD0000000064_teusink2000.xml"
    cell = yc.compile_model(sbml.load(path))
    sysm = cell.system
    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = 1e-8
    rr.integrator.absolute_tolerance = 1e-10
    params = list(rr.model.getGlobalParameterIds())
    floating = list(rr.model.getFloatingSpeciesIds())
    rng = np.random.default_rng(0)
    n = args.n
    p_mult = np.exp(0.2 * rng.standard_normal((n, len(params))))
    c_mult = np.exp(0.1 * rng.standard_normal((n, len(floating))))
    theta0 = np.asarray(cell.theta)
    c00 = np.asarray(cell.c0)
    p_idx = [cell.theta_names.index(p) for p in params]
    s_idx = [cell.species_ids.index(s) for s in floating]
    thetas = np.repeat(theta0[None], n, 0)
    thetas[:, p_idx] *= p_mult
    c0s = np.repeat(c00[None], n, 0)
    c0s[:, s_idx] *= c_mult
    ts = jnp.linspace(0.0, 100.0, 101)
    opts = yc.SolverOptions(rtol=1e-8, atol=1e-10, negative_tol=None, max_steps=args.max_steps)
    cond = resolve(cell)

    chunk = (
        default_lanes_per_chunk(cell)
        if args.lanes_per_chunk == "auto"
        else (None if args.lanes_per_chunk == "none" else int(args.lanes_per_chunk))
    )

    @eqx.filter_jit
    def batch(thetas, c0s):
        def one(lane):
            th, c0 = lane
            c = eqx.tree_at(lambda x: x.theta, cell, th)
            return _solve(c, eqx.tree_at(lambda x: x.c0, cond, c0), ts, opts)

        return vmap_in_chunks(one, (thetas, c0s), chunk)  # as simulate_batch runs a batch

    t = time.perf_counter()
    vals, status = batch(jnp.asarray(thetas), jnp.asarray(c0s))
    vals.block_until_ready()
    t_first = time.perf_counter() - t
    t = time.perf_counter()
    vals, status = batch(jnp.asarray(thetas), jnp.asarray(c0s))
    vals.block_until_ready()
    t_yc = time.perf_counter() - t
    conc = np.asarray(sysm.species_values(vals))

    i0 = np.asarray(rr.model.getFloatingSpeciesInitConcentrations())  # in `floating` order
    if not np.allclose(i0, c00[s_idx], rtol=1e-12, atol=0):
        raise RuntimeError("initial concentrations of the floating species differ between yeastcell and libroadrunner")
    ref = np.zeros((n, 101, len(floating)))
    p0 = [rr[p] for p in params]
    rr_ok = np.ones(n, dtype=bool)
    t = time.perf_counter()
    for i in range(n):
        for k, p in enumerate(params):
            rr[p] = p0[k] * p_mult[i, k]
        # the model-level setter: `rr["init([S])"] = v` regenerates the model (about 1 s each) and
        # so restores the file's parameter values, undoing the perturbation set above
        rr.model.setFloatingSpeciesInitConcentrations(i0 * c_mult[i])
        rr.reset()
        try:
            ref[i] = rr.simulate(0, 100, 101, selections=[f"[{s}]" for s in floating])
        except RuntimeError:  # CVODE gave up on this perturbation (reported below, like yeastcell's)
            rr_ok[i] = False
    t_rr = time.perf_counter() - t
    ok = np.asarray(status) == 0
    both = ok & rr_ok
    err = np.max(np.abs(conc[both][:, :, s_idx] - ref[both]) / np.maximum(np.abs(ref[both]), 1e-9))
    lines = [
        f"Teusink 2000 (SBML import), {n} perturbations, 0-100 min, {jax.devices()[0].platform}, {os.cpu_count()} cores",
        f"yeastcell vmap ({'one vmap' if chunk is None else f'chunks of {chunk} lanes'}): {t_yc:.2f} s "
        f"(first call incl. compile {t_first:.1f} s); failed lanes: {int((~ok).sum())} "
        f"(max steps per lane {args.max_steps}; status codes {sorted(set(np.asarray(status)[~ok].tolist()))})",
        f"libroadrunner loop: {t_rr:.2f} s; failed runs (CVODE error): {int((~rr_ok).sum())}",
        f"ratio yeastcell / roadrunner: {t_yc / t_rr:.2f}",
        f"max relative difference (lanes both solved, floating species): {err:.2e}; "
        f"lanes failed by both: {int((~ok & ~rr_ok).sum())}",
        f"1-min load average at start / end: {load_start:.1f} / {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)",
    ]
    print("\n".join(lines))
    if args.record:
        sys.path.insert(0, str(REPO / "benchmarks"))
        from _common import record

        record(
            "bench_sbml_batch",
            lines,
            title="SBML batch: Teusink 2000 imported, yeastcell vmap vs libroadrunner loop",
            note=args.note
            or (
                f"machine shared with other jobs (load average {load_start:.1f} at start "
                f"on {os.cpu_count()} cores); both timings from the same run"
            ),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
