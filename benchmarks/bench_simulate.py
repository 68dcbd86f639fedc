"""Simulation throughput: yeastcell (vmapped diffrax) vs libroadrunner vs scipy BDF, same run.

Work: 100-min time courses with 101 save points. yeastcell simulates the embedded core model under
the Teusink 2000 condition for batches of 1, 100 and 1000 perturbations of the initial state (every
dynamic metabolite outside the conserved adenylate/NAD pools has its initial concentration scaled by an independent log-normal factor, sd 0.3 in ln
units, seeded). libroadrunner simulates the Teusink 2000 SBML (BIOMD0000000064) with its floating
species' initial concentrations scaled the same way, looping over the perturbations; scipy's `solve_ivp(method="BDF")` integrates the core model's jitted RHS
(with a jitted Jacobian) for a few perturbations. All three run at the same tolerances (--rtol/--atol,
default 1e-6 (libroadrunner's CVODE default) and 1e-10 mM). Prints per-trajectory times and ratios.

    python benchmarks/bench_simulate.py [--sizes 1 100 1000] [--record] [--quick]
    python benchmarks/bench_simulate.py --sbml-batch 1000 [--record]   (imported Teusink SBML, see bench_sbml_batch.py)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import record, reference_data_dir

T_END, N_SAVE = 100.0, 101
SD = 0.3  # ln-scale sd of the initial-concentration perturbations


def _perturbable(cell, base):
    """Dynamic metabolites outside conserved moieties (as for roadrunner: no moiety pools)."""
    pooled = {s for m in cell.spec.conserved_moieties for s in m.species}
    return ~np.asarray(base.clamp) & np.array(
        [k == "metabolite" and s not in pooled for k, s in zip(cell.species_kind, cell.species_ids)])


def _timed_run(cell, conds, t, opts, strategy):
    """Wall time (s) of one batched solve, and its status array."""
    import jax

    import yeastcell as yc
    from yeastcell.solvers import batch_options, solve as _vmapped

    t0 = time.perf_counter()
    if strategy == "vmap":  # as simulate_batch does: the solver chosen for the batch size
        conc, status = _vmapped(cell, conds, t, batch_options(opts, int(conds.c0.shape[0]), cell))
    else:
        traj = yc.simulate_batch(cell, conds, t, strategy=strategy)
        conc, status = traj.conc, traj.status
    jax.block_until_ready(conc)
    return time.perf_counter() - t0, status


def _solver_name(solver):
    from yeastcell.solvers import BatchBDF

    if isinstance(solver, BatchBDF):
        return "BatchBDF"
    return f"Rodas4P, {solver.linear_solver} LU"


def yeastcell_batches(sizes, strategy, rtol, atol, linear_solver="auto", solver="auto"):
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    import yeastcell as yc
    from yeastcell.solvers import BatchBDF
    from yeastcell.solvers import Rodas4P
    from yeastcell.solvers.rosenbrock import SPARSE_LU_MIN_BATCH
    from yeastcell.solvers import batch_options
    from yeastcell.solvers import SolverOptions

    cell = yc.load_cell()
    base = yc.resolve(cell, yc.condition("teusink2000"))
    pert = np.zeros(cell.n_species, dtype=bool)
    pert[list(cell.dynamic)] = True
    pert &= _perturbable(cell, base)
    t = jnp.linspace(0.0, T_END, N_SAVE)
    rng = np.random.default_rng(0)
    out = {}
    for n in sizes:
        if solver == "bdf":
            opts = SolverOptions(rtol=rtol, atol=atol, solver=BatchBDF())
        elif solver == "rodas" and linear_solver == "auto":  # Rodas4P with the LU simulate_batch would give it
            lu = "batched" if n >= SPARSE_LU_MIN_BATCH else "dense"
            opts = SolverOptions(rtol=rtol, atol=atol, solver=Rodas4P(linear_solver=lu))
        else:  # "auto": simulate_batch's own choice of solver for the batch size
            opts = SolverOptions(rtol=rtol, atol=atol, solver=Rodas4P(linear_solver=linear_solver))
        factors = np.exp(rng.normal(0.0, SD, size=(n, cell.n_species)))
        c0 = np.where(pert[None, :], np.asarray(base.c0)[None, :] * factors, np.asarray(base.c0)[None, :])
        conds = jax.tree_util.tree_map(lambda x: jnp.broadcast_to(x, (n,) + x.shape), base)
        conds = eqx.tree_at(lambda c: c.c0, conds, jnp.asarray(c0))
        first, _ = _timed_run(cell, conds, t, opts, strategy)  # includes compilation
        run, status = _timed_run(cell, conds, t, opts, strategy)
        out[n] = dict(compile=first - run, total=run, per_traj=run / n, failed=int(np.sum(np.asarray(status) != 0)))
        out[n]["solver"] = _solver_name(batch_options(opts, n, cell).solver)
        print(f"yeastcell[{strategy}, {out[n]['solver']}] batch {n:5d}: compile {first - run:7.2f} s, run {run:8.3f} s, "
              f"{1e3 * run / n:8.3f} ms/trajectory, failed {out[n]['failed']}")
    return cell, base, out


def roadrunner_loop(n, rtol, atol):
    import libsbml
    import roadrunner

    path = reference_data_dir() / "sbml" / "biomodels" / "BIOMD0000000064_teusink2000.xml"
    doc = libsbml.readSBMLFromFile(str(path))
    props = libsbml.ConversionProperties()
    props.addOption("promoteLocalParameters", True)
    if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError("libsbml could not promote the local parameters of the Teusink model")
    r = roadrunner.RoadRunner(libsbml.writeSBMLToString(doc))
    r.integrator.relative_tolerance = rtol  # CVODE, the same tolerances as yeastcell's solve
    r.integrator.absolute_tolerance = atol
    # glycolytic intermediates; the moiety pools (SUM_P, P, NAD, NADH) and the constant F26BP stay put
    all_ids = list(r.model.getFloatingSpeciesIds())
    idx = np.array([all_ids.index(s) for s in all_ids if s not in ("SUM_P", "P", "NAD", "NADH", "F26BP")], dtype=np.int32)
    r.simulate(0, T_END, N_SAVE)  # warm-up (the model was JIT-compiled at load)
    r.resetAll()
    base = r.model.getFloatingSpeciesConcentrations(idx)
    rng = np.random.default_rng(1)
    failed = 0
    t0 = time.perf_counter()
    for _ in range(n):
        r.resetAll()
        # set the state directly: setting init(...) values makes roadrunner regenerate (~0.2 s each)
        r.model.setFloatingSpeciesConcentrations(idx, base * np.exp(rng.normal(0.0, SD, idx.size)))
        try:
            r.simulate(0, T_END, N_SAVE)
        except RuntimeError:
            failed += 1
    run = time.perf_counter() - t0
    print(f"libroadrunner loop {n:5d}: run {run:8.3f} s, {1e3 * run / n:8.3f} ms/trajectory, failed {failed}")
    return run / n


def scipy_bdf(cell, base, n, rtol, atol):
    import jax
    import jax.numpy as jnp
    import scipy.integrate

    dyn = jnp.asarray(cell.dynamic)
    f = jax.jit(lambda t, x, c: cell.rhs(t, x, c, base.clamp, base.rate_scale))
    jac = jax.jit(jax.jacfwd(lambda t, x, c: cell.rhs(t, x, c, base.clamp, base.rate_scale), argnums=1))
    rng = np.random.default_rng(2)
    pert = np.zeros(cell.n_species, dtype=bool)
    pert[list(cell.dynamic)] = True
    pert &= _perturbable(cell, base)
    c_all = []
    for _ in range(n):
        c0 = np.asarray(base.c0) * np.where(pert, np.exp(rng.normal(0, SD, cell.n_species)), 1.0)
        c_all.append(jnp.asarray(c0))
    x0 = np.asarray(c_all[0][dyn])
    f(0.0, jnp.asarray(x0), c_all[0]).block_until_ready()
    jac(0.0, jnp.asarray(x0), c_all[0]).block_until_ready()
    t_eval = np.linspace(0.0, T_END, N_SAVE)
    t0 = time.perf_counter()
    ok = 0
    for c in c_all:
        sol = scipy.integrate.solve_ivp(lambda t, x: np.asarray(f(t, x, c)), (0.0, T_END), np.asarray(c[dyn]),
                                        method="BDF", t_eval=t_eval, rtol=rtol, atol=atol,
                                        jac=lambda t, x: np.asarray(jac(t, x, c)))
        ok += sol.success
    run = time.perf_counter() - t0
    print(f"scipy BDF loop     {n:5d}: run {run:8.3f} s, {1e3 * run / n:8.3f} ms/trajectory ({ok}/{n} ok)")
    return run / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000])
    ap.add_argument("--strategy", default="vmap", choices=["vmap", "shard", "auto"])
    ap.add_argument("--rr", type=int, default=1000, help="libroadrunner trajectories")
    ap.add_argument("--bdf", type=int, default=10, help="scipy BDF trajectories")
    ap.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance for every solver")
    ap.add_argument("--atol", type=float, default=1e-10, help="absolute tolerance (mM) for every solver")
    ap.add_argument("--linear-solver", default="auto", choices=["auto", "dense", "sparse"],
                    help="Rodas4P's LU: auto = dense (LAPACK) below SPARSE_LU_MIN_BATCH lanes, sparse from it")
    ap.add_argument("--solver", default="auto", choices=["auto", "rodas", "bdf"],
                    help="auto: simulate_batch's choice (BatchBDF from BDF_MIN_BATCH lanes on a CPU, else Rodas4P); "
                         "rodas / bdf: that solver at every size")
    ap.add_argument("--quick", action="store_true", help="smoke test: sizes 1 and 8, 8 roadrunner, 2 BDF")
    ap.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS.md")
    ap.add_argument("--note", default=None, help="with --sbml-batch: note line for RESULTS.md (default: load average)")
    ap.add_argument("--sbml-batch", type=int, default=0, metavar="N",
                    help="instead: the imported Teusink SBML in a batch of N perturbations vs libroadrunner "
                         "looping over them (benchmarks/bench_sbml_batch.py)")
    args = ap.parse_args()
    if args.sbml_batch:
        import bench_sbml_batch

        bench_sbml_batch.main(["--n", str(args.sbml_batch)] + (["--record"] if args.record else [])
                              + (["--note", args.note] if args.note else []))
        return
    if args.quick:
        args.sizes, args.rr, args.bdf = [1, 8], 8, 2
    cell, base, yc_times = yeastcell_batches(args.sizes, args.strategy, args.rtol, args.atol, args.linear_solver,
                                             args.solver)
    rr = roadrunner_loop(args.rr, args.rtol, args.atol)
    bdf = scipy_bdf(cell, base, args.bdf, args.rtol, args.atol)

    lines = ["| work | per trajectory (ms) | vs libroadrunner | vs scipy BDF |", "|---|---:|---:|---:|"]
    for n, r in yc_times.items():
        lines.append(f"| yeastcell core model, batch {n} ({args.strategy}, {r['solver']}; compile {r['compile']:.1f} s) | "
                     f"{1e3 * r['per_traj']:.3f} | {r['per_traj'] / rr:.2f}× | {r['per_traj'] / bdf:.3f}× |")
    lines.append(f"| libroadrunner Teusink SBML, loop of {args.rr} | {1e3 * rr:.3f} | 1 | |")
    lines.append(f"| scipy solve_ivp BDF on the core model RHS (jitted RHS + Jacobian), {args.bdf} runs | {1e3 * bdf:.3f} | | 1 |")
    lines.append(f"\nAll solvers at rtol {args.rtol:g}, atol {args.atol:g}; yeastcell with the structured Jacobian, "
                 f"solver choice --solver {args.solver} (auto = simulate_batch's choice for the batch size).")
    print("\n".join(lines))
    if args.record:
        record("Simulation throughput (bench_simulate.py)", lines)


if __name__ == "__main__":
    main()
