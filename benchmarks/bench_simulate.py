"""Simulation throughput: yeastcell (vmapped diffrax) vs libroadrunner vs scipy BDF, same run.

Work: 100-min time courses with 101 save points. yeastcell simulates the embedded core model under
the Teusink 2000 condition for batches of 1, 100 and 1000 perturbations of the initial state (every
dynamic metabolite outside the conserved adenylate/NAD pools has its initial concentration scaled by an independent log-normal factor, sd 0.3 in ln
units, seeded). libroadrunner simulates the Teusink 2000 SBML (BIOMD0000000064) with its floating
species' initial concentrations scaled the same way, looping over the perturbations;
scipy's `solve_ivp(method="BDF")` integrates the core model's jitted RHS
(with a jitted Jacobian) for a few perturbations. All three run at the same tolerances (--rtol/--atol,
default 1e-6 (libroadrunner's CVODE default) and 1e-10 mM). Prints per-trajectory times and ratios. The
measurement is `yeastcell.bench.throughput` (also behind ``yeastcell bench run throughput``);
this script is its command line; ``--record`` replaces its section of benchmarks/RESULTS.md.

    python benchmarks/bench_simulate.py [--sizes 1 100 1000] [--record] [--quick]
    python benchmarks/bench_simulate.py --sbml-batch 1000 [--record]   (imported Teusink SBML, see bench_sbml_batch.py)
"""

from __future__ import annotations

import argparse

from _common import record

from yeastcell.bench.throughput import throughput_table


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000])
    ap.add_argument("--strategy", default="vmap", choices=["vmap", "shard", "auto"])
    ap.add_argument("--rr", type=int, default=1000, help="libroadrunner trajectories")
    ap.add_argument("--bdf", type=int, default=10, help="scipy BDF trajectories")
    ap.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance for every solver")
    ap.add_argument("--atol", type=float, default=1e-10, help="absolute tolerance (mM) for every solver")
    ap.add_argument(
        "--linear-solver",
        default="auto",
        choices=["auto", "dense", "sparse"],
        help="Rodas4P's LU: auto = dense (LAPACK) below SPARSE_LU_MIN_BATCH lanes, sparse from it",
    )
    ap.add_argument(
        "--solver",
        default="auto",
        choices=["auto", "rodas", "bdf"],
        help="auto: simulate_batch's choice (BatchBDF from BDF_MIN_BATCH lanes on a CPU, else Rodas4P); "
        "rodas / bdf: that solver at every size",
    )
    ap.add_argument("--quick", action="store_true", help="smoke test: sizes 1 and 8, 8 roadrunner, 2 BDF")
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    ap.add_argument("--note", default=None, help="with --sbml-batch: note line for RESULTS.md (default: load average)")
    ap.add_argument(
        "--sbml-batch",
        type=int,
        default=0,
        metavar="N",
        help="instead: the imported Teusink SBML in a batch of N perturbations vs libroadrunner "
        "looping over them (benchmarks/bench_sbml_batch.py)",
    )
    args = ap.parse_args()
    if args.sbml_batch:
        import bench_sbml_batch

        bench_sbml_batch.main(
            ["--n", str(args.sbml_batch)]
            + (["--record"] if args.record else [])
            + (["--note", args.note] if args.note else [])
        )
        return
    if args.quick:
        args.sizes, args.rr, args.bdf = [1, 8], 8, 2
    lines = throughput_table(
        args.sizes,
        args.rr,
        args.bdf,
        strategy=args.strategy,
        rtol=args.rtol,
        atol=args.atol,
        linear_solver=args.linear_solver,
        solver=args.solver,
    )
    print("\n".join(lines))
    if args.record:
        key = "bench_simulate" + ("" if args.solver == "auto" else f" --solver {args.solver}")
        record(key, lines, title="Simulation throughput: yeastcell batches vs libroadrunner and scipy BDF")


if __name__ == "__main__":
    main()
