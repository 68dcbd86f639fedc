"""The one entry point of the solvers, `solve(cell, conditions, times, options)`, and the one place
that decides which code integrates what.

Three ways to integrate (`Method`), chosen by `method` from the cell and the solver value alone:

- ``EVENTS``: a cell with SBML semantics (amount-based species, rules, state events) is integrated
  per lane by the event-located solve of `yeastcell.solvers.events` with a diffrax solver;
- ``DIFFRAX``: a concentration cell (or a corrected cell wrapping one) under a diffrax solver
  (`Rodas4P` by default) is integrated per lane, segment by segment between timed events
  (`yeastcell.solvers.segments`); a batch is that lane solve vmapped, optionally in chunks;
- ``BATCH_BDF``: under `BatchBDF` the whole batch is one loop (`yeastcell.solvers.bdf`), again
  segment by segment; a single condition is a batch of one.
- ``SBML_BDF``: under `BatchBDF` an SBML-semantics cell (rules, function definitions, piecewise
  formulas, state events with delays and priorities) is integrated the same way over its
  `System`'s symbols (`yeastcell.solvers.sbml_bdf`), its state events located per lane inside the
  batch loop (`yeastcell.solvers.sbml_bdf_events`, the semantics of `yeastcell.solvers.events`).

`batch_options` is the automatic choice for large batches (the solver left at the default `Rodas4P()`):
a `ConcentrationCell` of at most `SPARSE_LU_MAX_STATES` dynamic species in a batch of at least
`BDF_MIN_BATCH` lanes gets `BatchBDF` (Jacobians reused across steps; measured faster on a CPU and
on a GPU: at batch 1000 on a 2-core CPU ~2.2 ms per core-model trajectory against ~3.5 ms for the
vmapped Rodas4P; on an NVIDIA H200 at batch 100 / 1000 / 10000, 3.1 / 0.44 / 0.084 ms against
5.4 / 0.84 / 0.16 ms; benchmarks/RESULTS.md); otherwise an "auto" Rodas4P gets the sparse LU from
`SPARSE_LU_MIN_BATCH` lanes on. Wrapped cells (hybrids) keep Rodas4P: BatchBDF has no structured
Jacobian for them (not measured). An SBML-semantics cell (at most `SPARSE_LU_MAX_STATES`
integrated symbols; with or without state events) gets `BatchBDF` from `BDF_MIN_BATCH` lanes too: batch
200, every global parameter scaled per lane, rtol 1e-8 (`benchmarks/bench_sbml_models.py --n 200`,
2-core AMD EPYC under load): Teusink 2000 5.9 ms per trajectory against 77.1 ms with the
event-located Rodas4P, Pritchard 2002 2.0 against 30.7 ms (docs/solvers.md has the
libroadrunner ratios; the cells with state events there too).

One trajectory (`batch_size` 1, what `simulate` asks for): an SBML-semantics cell without state
events gets `BatchBDF` as a batch of one unless the caller may differentiate the solve
(`gradients`; `simulate` passes ``traced(cell, condition, times)``, so a call under `jax.grad`,
`jax.jit` or `jax.vmap` keeps the differentiable Rodas4P, as do fits, which call `solve` directly).
At B = 1 the BDF loop runs only that lane, so CVODE's economy is real there: the Jacobian is reused
across steps and the Newton iteration carries its convergence rate (`bdf_batch`'s
``newton_test="auto"``), ~1.9 right-hand sides per step against 4-6 per Rodas4P step plus a
Jacobian. Measured at batch 1 (rtol 1e-8, `benchmarks/bench_sbml_models.py --n 1`, 2-core AMD
EPYC under load; docs/solvers.md has the table), ms per trajectory before -> after, libroadrunner in
the same run: Teusink 2000 58.3 -> 25.3 (4.75), Pritchard 2002 26.5 -> 13.6 (1.71), Hynne 2001
305.7 -> 82.1 (7.16), Y3M2 732.5 -> 295.6 (50.1): still 5-12x libroadrunner, bounded by XLA's
per-kernel cost on a CPU (~290 kernels per BDF step); with small while loops compiled as one kernel
(`yeastcell._xla_cpu_loops`, set at import) 3.4-6x on the event-free models (docs/solvers.md). A
concentration cell (the core model) keeps Rodas4P at batch 1: BatchBDF measured no faster there
(10.1 vs 10.7 ms per solve, rtol 1e-6) and compiles ~4 s longer.
"""

from __future__ import annotations

import dataclasses
import enum

import jax
import jax.numpy as jnp

from ..cells import ConcentrationCell, SbmlCell
from ..exceptions import SimulationInputError
from ..perturb import Condition
from ..program_store import Deferred, stored_program
from ..status import check_partial, from_diffrax
from .bdf import BatchBDF, bdf_batch
from .chunks import vmap_in_chunks
from .events import solve_system
from .options import SolverOptions
from .runtime_checks import checks_as_nan
from .sbml_bdf import solve_sbml_batch
from .segments import mask_after, scan_segments
from .sparse_lu import SPARSE_LU_MAX_STATES, SPARSE_LU_MIN_BATCH

BDF_MIN_BATCH = 64  # batch size from which `batch_options` picks BatchBDF (see module docstring)


class Method(enum.Enum):
    """How a solve is carried out (see module docstring)."""

    EVENTS = "events"
    DIFFRAX = "diffrax"
    BATCH_BDF = "batch_bdf"
    SBML_BDF = "sbml_bdf"


def method(cell, options: SolverOptions) -> Method:
    """The one dispatch point: which code integrates `cell` under `options.solver`."""
    if isinstance(options.solver, BatchBDF):
        return Method.SBML_BDF if isinstance(cell, SbmlCell) else Method.BATCH_BDF
    return Method.EVENTS if isinstance(cell, SbmlCell) else Method.DIFFRAX


def sbml_bdf_capable(cell) -> bool:
    """Whether `BatchBDF` integrates SBML-semantics `cell`: every SBML-semantics cell, state events
    (triggers, delays, priorities, persistence, trigger-time values) included
    (`yeastcell.solvers.sbml_bdf_events`)."""
    return isinstance(cell, SbmlCell)


def solver_name(solver) -> str:
    """A short description of a solver value for reports: ``"BatchBDF"``, ``"Rodas4P, <lu> LU"``
    or the class name of another diffrax solver."""
    from .rosenbrock import Rodas4P

    if isinstance(solver, BatchBDF):
        return "BatchBDF"
    if isinstance(solver, Rodas4P):
        return f"Rodas4P, {solver.linear_solver} LU"
    return type(solver).__name__


def differentiable(options: SolverOptions) -> bool:
    """Whether solves under `options` can be differentiated (`BatchBDF` is forward-only)."""
    return not isinstance(options.solver, BatchBDF)


def batch_options(options: SolverOptions, batch_size: int, cell=None, gradients: bool = False) -> SolverOptions:
    """`options` for a batch of `batch_size` lanes of `cell` when the solver is the default "auto"
    `Rodas4P` (see module docstring); any other solver is kept as it is.

    `gradients`: the caller differentiates the solve (or cannot rule it out: it is being traced,
    see `traced`); a single trajectory then keeps the differentiable Rodas4P.
    """
    solver = options.solver
    capable = (
        _auto(solver)
        and (isinstance(cell, ConcentrationCell) or sbml_bdf_capable(cell))
        and 0 < n_states(cell) <= SPARSE_LU_MAX_STATES
    )
    # a single trajectory: event-free SBML cells only (measured faster there; with events, not measured)
    single = batch_size == 1 and not gradients and sbml_bdf_capable(cell) and cell.events is None
    if capable and (batch_size >= BDF_MIN_BATCH or single):
        return dataclasses.replace(options, solver=BatchBDF())
    chosen = for_batch(solver, batch_size)
    return options if chosen is solver else dataclasses.replace(options, solver=chosen)


def traced(*trees) -> bool:
    """Whether any array in `trees` is a JAX tracer: the call runs under `jax.jit`, `jax.grad`,
    `jax.vmap` ..., so it may be differentiated (`batch_options`'s `gradients`)."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(trees))


def for_batch(solver, batch_size: int):
    """`solver` with its linear solver chosen for a vmapped batch of `batch_size` lanes: an "auto"
    Rodas4P becomes "batched" (sparse LU up to SPARSE_LU_MAX_STATES states, else dense) from
    `SPARSE_LU_MIN_BATCH` lanes on."""
    if _auto(solver) and batch_size >= SPARSE_LU_MIN_BATCH:
        return dataclasses.replace(solver, linear_solver="batched")
    return solver


def n_states(cell) -> int:
    """Number of integrated variables: dynamic species, or an SBML cell's integrated symbols."""
    return len(cell.system.state) if isinstance(cell, SbmlCell) else len(cell.dynamic)


def _auto(solver) -> bool:
    from .rosenbrock import Rodas4P

    return isinstance(solver, Rodas4P) and solver.linear_solver == "auto"


def solve(
    cell,
    conditions: Condition,
    ts,
    options: SolverOptions | Deferred,
    lanes_per_chunk: int | None = None,
    stop_time: bool = False,
):
    """Integrate `cell` under one condition or a stacked batch of them. Pure and traceable.

    Args:
        cell: a compiled cell (concentration or SBML semantics) or a corrected cell wrapping one.
        conditions: a resolved `Condition` (c0 of shape (n_species,)) or a stacked batch ((B, n_species)).
        ts: save times (min), validated (`yeastcell.solvers.times.save_times`).
        options: `SolverOptions`, or a `yeastcell.program_store.Deferred` that builds them only if
            the solve is not in the program store; `method` decides from them which code runs.
        lanes_per_chunk: run a batch as sequential vmapped chunks of this many lanes (None: one vmap).
        stop_time: also return the time each lane stopped at (see below).

    Returns:
        (values, status), or (values, status, t_failed) with `stop_time`: values (n_t, n_species) mM
        for a concentration cell, or the values of all symbols (n_t, n_symbols) for an
        SBML-semantics cell (compartment sizes, species amounts, parameters); status a `Status`
        code; t_failed the time (min) where a failed solve stopped (+inf where it did not fail);
        all with a leading batch axis for a batch. A failed lane keeps the values saved up to
        `t_failed`; those after it are NaN.
    """
    with checks_as_nan():  # a program without host callbacks can be cached across processes
        return _solve(cell, conditions, ts, options, lanes_per_chunk, stop_time)


@stored_program("solve")
def _solve(cell, conditions: Condition, ts, options: SolverOptions, lanes_per_chunk, stop_time):
    how = method(cell, options)
    if conditions.c0.ndim not in (1, 2):
        raise SimulationInputError(
            f"conditions must be one resolved Condition or a stacked batch, got c0 of shape {conditions.c0.shape}"
        )
    batched = conditions.c0.ndim == 2
    if how in (Method.BATCH_BDF, Method.SBML_BDF):
        conds = conditions if batched else _one_lane(conditions)
        batch = _bdf if how is Method.BATCH_BDF else _sbml_bdf
        out = vmap_in_chunks(lambda c: batch(cell, c, ts, options), conds, lanes_per_chunk, batched=True)
        out = out if batched else tuple(x[0] for x in out)
    else:
        lane = _events_lane if how is Method.EVENTS else _diffrax_lane
        if not batched:
            out = lane(cell, conditions, ts, options)
        else:
            out = vmap_in_chunks(lambda c: lane(cell, c, ts, options), conditions, lanes_per_chunk)
    return tuple(out) if stop_time else tuple(out[:2])


def _one_lane(cond: Condition) -> Condition:
    return jax.tree_util.tree_map(lambda a: a[None], cond)


def with_parameters(cell, cond: Condition):
    """`cell` with the parameter changes of one condition (`param:` perturbations) applied; the cell
    itself when the condition changes none (traceable; vmap it over a batch)."""
    return cell if not cond.n_params else cell.with_theta(cond.theta(cell.theta))


def _diffrax_lane(cell, cond: Condition, ts, options: SolverOptions):
    """(conc (n_t, n_species) mM, status, t_failed) of one condition with a diffrax solver."""
    import diffrax

    from .cell_term import cell_term, solver_args

    cell = with_parameters(cell, cond)
    dyn = jnp.asarray(cell.dynamic, dtype=int)
    term = cell_term(cell, options.jacobian)

    def solve_segment(c_full, t_start, t_stop):  # a batch of one lane
        c_full, a, b = c_full[0], t_start[0], t_stop[0]
        sol = diffrax.diffeqsolve(
            term,
            options.solver,
            a,
            b,
            None,
            c_full[dyn],
            args=solver_args(term, cell, c_full, cond.clamp, cond.rate_scale),
            saveat=diffrax.SaveAt(subs=[diffrax.SubSaveAt(ts=jnp.clip(ts, a, b)), diffrax.SubSaveAt(t1=True)]),
            stepsize_controller=options.controller(b - a),
            max_steps=options.max_steps,
            throw=False,
            adjoint=options.adjoint,
        )
        # on failure diffrax leaves the save times it did not reach at +inf; the separate t1 save
        # holds the state and time where it stopped (in one SaveAt with the ts, diffrax writes it
        # to the first unreached slot, not the last)
        ys, (t_end,), (y_end,) = sol.ys[0], sol.ts[1], sol.ys[1]
        return ys[None], y_end[None], from_diffrax(sol.result)[None], t_end[None]

    conc, status, t_failed = scan_segments(solve_segment, cell.dynamic, _one_lane(cond), ts)
    return _checked(conc[0], conc[0], ts, status[0], t_failed[0], options)


def _events_lane(cell, cond: Condition, ts, options: SolverOptions):
    """(symbol values (n_t, n_symbols), status, t_failed) of one condition of an SBML-semantics cell."""
    cell = with_parameters(cell, cond)
    values, status, t_failed = solve_system(cell, cond, ts, options, options.max_events)
    return _checked(values, cell.system.species_values(values), ts, status, t_failed, options)


def _sbml_bdf(cell, conds: Condition, ts, options: SolverOptions):
    """(symbol values (B, n_t, n_symbols), status (B,), t_failed (B,)) of a stacked batch of an
    SBML-semantics cell without state events (`yeastcell.solvers.sbml_bdf`)."""
    values, status, t_failed = solve_sbml_batch(cell, conds, ts, options)
    conc = cell.system.species_values(values)
    return jax.vmap(lambda v, c, st, tf: _checked(v, c, ts, st, tf, options))(values, conc, status, t_failed)


def _checked(values, conc, ts, status, t_failed, options):
    """(values NaN after the stop time, status, t_failed) after the state checks of one lane."""
    status, t_failed = check_partial(conc, ts, status, t_failed, options.negative_tol)
    return mask_after(values, ts, t_failed), status, t_failed


def _bdf(cell, conds: Condition, ts, options: SolverOptions):
    """(conc (B, n_t, n_species) mM, status (B,), t_failed (B,)) of a stacked batch with `bdf_batch`: each segment
    is one `bdf_batch` over all lanes (their own segment bounds). Lanes that change parameters carry
    their parameter vector in the solver's args (the loop is not vmapped over cells)."""
    from .cell_term import CellTerm, cell_term, solver_args

    dyn = jnp.asarray(cell.dynamic, dtype=int)
    term = cell_term(cell, options.jacobian)
    if isinstance(term, CellTerm):  # the one term with a structured Jacobian
        jac, w_pattern = term.jacobian, term.w_pattern
    else:
        jac, w_pattern = (lambda t, y, a: jax.jacfwd(lambda x: term.vf(t, x, a))(y)), None
    vf = term.vf
    if conds.n_params:  # args = (theta of the lane, the term's args)
        thetas = jax.vmap(lambda c: c.theta(cell.theta))(conds)

        def lane_term(theta):
            return cell_term(cell.with_theta(theta), options.jacobian)

        def vf(t, x, a):
            return lane_term(a[0]).vf(t, x, a[1])

        if isinstance(term, CellTerm):

            def jac(t, x, a):
                return lane_term(a[0]).jacobian(t, x, a[1])

        else:

            def jac(t, x, a):
                return jax.jacfwd(lambda y: vf(t, y, a))(x)

    def solve_segment(c_full, t_start, t_stop):
        args = jax.vmap(lambda c, cond: solver_args(term, cell, c, cond.clamp, cond.rate_scale))(c_full, conds)
        if conds.n_params:
            args = (thetas, args)
        ys, y_end, code, stats = bdf_batch(
            vf,
            jac,
            c_full[:, dyn],
            args,
            t_start,
            t_stop,
            ts,
            rtol=options.rtol,
            atol=options.atol,
            max_steps=options.max_steps,
            w_pattern=w_pattern,
            jac_lanes=options.solver.jac_lanes,
            min_step_fraction=options.min_step_fraction,
        )
        return ys, y_end, code, stats["t"]

    conc, status, t_failed = scan_segments(solve_segment, cell.dynamic, conds, ts)
    return jax.vmap(lambda c, st, tf: _checked(c, c, ts, st, tf, options))(conc, status, t_failed)
