"""Simulation throughput: yeastcell batches vs libroadrunner vs scipy BDF, on the same work.

Work: 100-min time courses with 101 save points (:data:`T_END_MIN`, :data:`N_SAVE`). yeastcell
simulates the embedded core model under the Teusink 2000 condition for batches of perturbations of
the initial state (every dynamic metabolite outside the conserved adenylate/NAD pools has its
initial concentration scaled by an independent log-normal factor, sd :data:`SD` in ln units,
seeded). libroadrunner simulates the Teusink 2000 SBML (BIOMD0000000064) with its floating species'
initial concentrations scaled the same way, looping over the perturbations; scipy's
``solve_ivp(method="BDF")`` integrates the core model's jitted RHS (with a jitted Jacobian) for a
few perturbations. All three run at the same tolerances (rtol; atol in mM). Times are wall-clock
seconds; compilation is excluded (the second call is timed) and reported separately.

libroadrunner and python-libsbml are peers, not dependencies: ``pip install -e .[bench]``.
The command line with ``--record`` is ``benchmarks/bench_simulate.py``.
"""

from __future__ import annotations

import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import scipy.integrate

import yeastcell as yc

from ..refdata import reference_data_dir
from ..solvers import BatchBDF, Rodas4P, batch_options, solve, solver_name
from ..solvers.rosenbrock import SPARSE_LU_MIN_BATCH

T_END_MIN, N_SAVE = 100.0, 101
SD = 0.3  # ln-scale sd of the initial-concentration perturbations
TEUSINK_SBML = ("sbml", "biomodels", "BIOMD0000000064_teusink2000.xml")
# Teusink SBML species roadrunner leaves alone: the moiety pools (SUM_P, P, NAD, NADH), constant F26BP
_RR_FIXED = ("SUM_P", "P", "NAD", "NADH", "F26BP")


def perturbable(cell, base) -> np.ndarray:
    """Mask (n_species,): dynamic metabolites outside conserved moieties (as for roadrunner)."""
    pooled = {s for m in cell.spec.conserved_moieties for s in m.species}
    mask = np.zeros(cell.n_species, dtype=bool)
    mask[list(cell.dynamic)] = True
    return (
        mask
        & ~np.asarray(base.clamp)
        & np.array([k == "metabolite" and s not in pooled for k, s in zip(cell.species_kind, cell.species_ids)])
    )


def _timed_run(cell, conds, t, opts, strategy):
    """Wall time (s) of one batched solve, and its status array."""
    t0 = time.perf_counter()
    if strategy == "vmap":  # as simulate_batch does: the solver chosen for the batch size
        conc, status = solve(cell, conds, t, batch_options(opts, int(conds.c0.shape[0]), cell))
    else:
        traj = yc.simulate_batch(cell, conds, t, strategy=strategy, progress=False)  # timed: no Python chunks
        conc, status = traj.conc, traj.status
    jax.block_until_ready(conc)
    return time.perf_counter() - t0, status


def _options(n: int, rtol: float, atol: float, linear_solver: str, solver: str) -> yc.SolverOptions:
    if solver == "bdf":
        return yc.SolverOptions(rtol=rtol, atol=atol, solver=BatchBDF())
    if solver == "rodas" and linear_solver == "auto":  # Rodas4P with the LU simulate_batch would give it
        lu = "batched" if n >= SPARSE_LU_MIN_BATCH else "dense"
        return yc.SolverOptions(rtol=rtol, atol=atol, solver=Rodas4P(linear_solver=lu))
    # "auto": simulate_batch's own choice of solver for the batch size
    return yc.SolverOptions(rtol=rtol, atol=atol, solver=Rodas4P(linear_solver=linear_solver))


def yeastcell_batches(sizes, strategy="vmap", rtol=1e-6, atol=1e-10, linear_solver="auto", solver="auto"):
    """Time core-model batches of each size; returns (cell, base condition, {size: timings}).

    Timings per size: ``compile`` and ``total`` (s), ``per_traj`` (s per trajectory), ``failed``
    (lanes with a non-zero status), ``solver`` (its name).
    """
    cell = yc.load_cell()
    base = yc.resolve(cell, yc.condition("teusink2000"))
    pert = perturbable(cell, base)
    t = jnp.linspace(0.0, T_END_MIN, N_SAVE)
    rng = np.random.default_rng(0)
    out = {}
    for n in sizes:
        opts = _options(n, rtol, atol, linear_solver, solver)
        factors = np.exp(rng.normal(0.0, SD, size=(n, cell.n_species)))
        c0 = np.where(pert[None, :], np.asarray(base.c0)[None, :] * factors, np.asarray(base.c0)[None, :])
        conds = jax.tree_util.tree_map(lambda x, n=n: jnp.broadcast_to(x, (n,) + x.shape), base)
        conds = eqx.tree_at(lambda c: c.c0, conds, jnp.asarray(c0))
        first, _ = _timed_run(cell, conds, t, opts, strategy)  # includes compilation
        run, status = _timed_run(cell, conds, t, opts, strategy)
        out[n] = {
            "compile": first - run,
            "total": run,
            "per_traj": run / n,
            "failed": int(np.sum(np.asarray(status) != 0)),
            "solver": solver_name(batch_options(opts, n, cell).solver),
        }
        print(
            f"yeastcell[{strategy}, {out[n]['solver']}] batch {n:5d}: compile {first - run:7.2f} s, run {run:8.3f} s, "
            f"{1e3 * run / n:8.3f} ms/trajectory, failed {out[n]['failed']}"
        )
    return cell, base, out


def roadrunner_loop(n: int, rtol: float = 1e-6, atol: float = 1e-10) -> float:
    """Seconds per trajectory of libroadrunner (CVODE) looping over ``n`` perturbations."""
    import libsbml  # optional peers: pip install -e .[bench]
    import roadrunner

    path = reference_data_dir().joinpath(*TEUSINK_SBML)
    doc = libsbml.readSBMLFromFile(str(path))
    props = libsbml.ConversionProperties()
    props.addOption("promoteLocalParameters", True)
    if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError("libsbml could not promote the local parameters of the Teusink model")
    r = roadrunner.RoadRunner(libsbml.writeSBMLToString(doc))
    r.integrator.relative_tolerance = rtol  # CVODE, the same tolerances as yeastcell's solve
    r.integrator.absolute_tolerance = atol
    all_ids = list(r.model.getFloatingSpeciesIds())
    idx = np.array([all_ids.index(s) for s in all_ids if s not in _RR_FIXED], dtype=np.int32)
    r.simulate(0, T_END_MIN, N_SAVE)  # warm-up (the model was JIT-compiled at load)
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
            r.simulate(0, T_END_MIN, N_SAVE)
        except RuntimeError:
            failed += 1
    run = time.perf_counter() - t0
    print(f"libroadrunner loop {n:5d}: run {run:8.3f} s, {1e3 * run / n:8.3f} ms/trajectory, failed {failed}")
    return run / n


def scipy_bdf(cell, base, n: int, rtol: float = 1e-6, atol: float = 1e-10) -> float:
    """Seconds per trajectory of ``solve_ivp(method="BDF")`` on the jitted core-model RHS."""
    dyn = jnp.asarray(cell.dynamic)
    f = jax.jit(lambda t, x, c: cell.rhs(t, x, c, base.clamp, base.rate_scale))
    jac = jax.jit(jax.jacfwd(lambda t, x, c: cell.rhs(t, x, c, base.clamp, base.rate_scale), argnums=1))
    rng = np.random.default_rng(2)
    pert = perturbable(cell, base)
    c_all = [
        jnp.asarray(np.asarray(base.c0) * np.where(pert, np.exp(rng.normal(0, SD, cell.n_species)), 1.0))
        for _ in range(n)
    ]
    x0 = np.asarray(c_all[0][dyn])
    f(0.0, jnp.asarray(x0), c_all[0]).block_until_ready()
    jac(0.0, jnp.asarray(x0), c_all[0]).block_until_ready()
    t_eval = np.linspace(0.0, T_END_MIN, N_SAVE)
    t0 = time.perf_counter()
    ok = 0
    for c in c_all:
        sol = scipy.integrate.solve_ivp(
            lambda t, x, c=c: np.asarray(f(t, x, c)),
            (0.0, T_END_MIN),
            np.asarray(c[dyn]),
            method="BDF",
            t_eval=t_eval,
            rtol=rtol,
            atol=atol,
            jac=lambda t, x, c=c: np.asarray(jac(t, x, c)),
        )
        ok += sol.success
    run = time.perf_counter() - t0
    print(f"scipy BDF loop     {n:5d}: run {run:8.3f} s, {1e3 * run / n:8.3f} ms/trajectory ({ok}/{n} ok)")
    return run / n


def throughput_table(
    sizes=(1, 100, 1000),
    rr: int = 1000,
    bdf: int = 10,
    *,
    strategy: str = "vmap",
    rtol: float = 1e-6,
    atol: float = 1e-10,
    linear_solver: str = "auto",
    solver: str = "auto",
) -> list[str]:
    """Run all three engines; the markdown table (ms per trajectory, ratios yeastcell / peer)."""
    cell, base, yc_times = yeastcell_batches(sizes, strategy, rtol, atol, linear_solver, solver)
    t_rr = roadrunner_loop(rr, rtol, atol)
    t_bdf = scipy_bdf(cell, base, bdf, rtol, atol)
    lines = ["| work | per trajectory (ms) | vs libroadrunner | vs scipy BDF |", "|---|---:|---:|---:|"]
    for n, r in yc_times.items():
        lines.append(
            f"| yeastcell core model, batch {n} ({strategy}, {r['solver']}; compile {r['compile']:.1f} s) | "
            f"{1e3 * r['per_traj']:.3f} | {r['per_traj'] / t_rr:.2f}× | {r['per_traj'] / t_bdf:.3f}× |"
        )
    lines.append(f"| libroadrunner Teusink SBML, loop of {rr} | {1e3 * t_rr:.3f} | 1 | |")
    lines.append(
        f"| scipy solve_ivp BDF on the core model RHS (jitted RHS + Jacobian), {bdf} runs | {1e3 * t_bdf:.3f} | | 1 |"
    )
    lines.append(
        f"\nAll solvers at rtol {rtol:g}, atol {atol:g}; yeastcell with the structured Jacobian, "
        f"solver choice --solver {solver} (auto = simulate_batch's choice for the batch size)."
    )
    return lines
