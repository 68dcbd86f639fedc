"""Gene knockout screens (single and double deletions) on the CPU with HiGHS.

The answers equal cobrapy's ``single_gene_deletion``/``double_gene_deletion``
(same GPR semantics, same LP); exact shortcuts make it much faster:

1. **Compressed LP.** Blocked reactions are dropped and fully coupled ones
   merged (:mod:`yeastcell.gem._compress`); the compressed LP has the same
   optimum as the original for the wild type and every knockout, and about a
   third of its rows (Yeast-GEM: 2742 × 4131 → ~950 × ~2150).
2. **Zero-flux skip.** A knockout only sets bounds of compressed columns to 0.
   If every zeroed column is zero in the wild-type optimum ``x0`` (no reaction
   merged into it carries flux), then ``x0`` is feasible for the knockout LP,
   whose feasible set is a subset of the wild type's; so its optimum equals
   the wild-type optimum. No LP is solved for such knockouts (typically most
   genes of a GEM). (:mod:`yeastcell.gem._shortcut`, shared with the JAX engine.)
3. **Shared LPs.** Perturbations whose deletions zero the same compressed
   columns have the same LP; it is solved once.
4. **Forced-zero objective.** A knockout whose zeroed columns force the
   objective's columns to zero through steady state (a blocking cascade, all
   knockouts at once) has optimum 0 if it is feasible; a zero-objective
   optimum of another knockout that is zero on its columns proves that, and no
   LP is solved (lethal knockouts are the slowest LPs of a screen).
5. **Warm starts.** Remaining LPs are solved by one HiGHS instance per process,
   changing bounds in place: the dual simplex restarts from the wild-type
   optimal basis, which stays dual feasible when bounds tighten.
6. **Double deletions reuse single ones** (:mod:`yeastcell.gem._pairs`): the
   pair's LP is a restriction of each single's, so if single ``a``'s optimum
   carries no flux through the pair's deleted columns, the pair's optimum is
   single ``a``'s (same argument as 2); if single ``a`` is infeasible, so is
   the pair.

Work is split over ``processes`` worker processes. They start with ``fork``
(fast) unless JAX has initialised its backends in the parent, whose threads
make ``fork`` unsafe; then with ``spawn`` (several seconds of start-up).
"""

from __future__ import annotations

import concurrent.futures
import itertools
import multiprocessing
import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from yeastcell._device import jax_backends_started
from yeastcell.gem import _highs
from yeastcell.gem._pairs import plan_pairs
from yeastcell.gem._shortcut import forced_zero_objective, knockout_columns, plan_lps
from yeastcell.gem.genes import resolve_genes
from yeastcell.gem.gpr import CompiledGPR, compile_gpr, reaction_activity
from yeastcell.gem.load import GEM
from yeastcell.gem.lp.knockout import knockout_growth_batch
from yeastcell.gem.medium import Medium, apply_medium
from yeastcell.gem.wildtype import WildType, wild_type
from yeastcell.progress import bar, enabled

__all__ = ["knockout_screen", "resolve_genes"]

COLUMNS = ["genes", "orf", "name", "growth", "growth_ratio", "status", "n_deleted_reactions", "resolved"]


# ---------------------------------------------------------------- worker side
_WORKER: dict = {}


def _init_worker(wt: WildType, tolerance: float) -> None:
    c = wt.comp
    h = _highs.make_highs_arrays(c.S, c.lb, c.ub, c.c, wt.sense, tolerance=tolerance)
    _WORKER.update(h=h, basis=_highs.basis_from_arrays(*wt.basis), lb=c.lb, ub=c.ub)


def _solve_chunk(chunk: list[np.ndarray], want_x: bool | str = False) -> list[tuple[str, float, np.ndarray | None]]:
    h, lb, ub, basis = _WORKER["h"], _WORKER["lb"], _WORKER["ub"], _WORKER["basis"]
    out = []
    for cols in chunk:
        zeros = np.zeros(len(cols))
        out.append(_highs.solve_with_bounds(h, cols, zeros, zeros, lb, ub, basis, want_x))
    return out


def _start_method() -> str:
    if "fork" in multiprocessing.get_all_start_methods() and not jax_backends_started():
        return "fork"
    return "spawn"


def solve_knockout_lps(
    wt: WildType,
    jobs: list[np.ndarray],
    processes: int,
    tolerance: float,
    want_x: bool = False,
    zero_flux_tol: float = 1e-9,
    progress: bool | None = False,
    desc: str = "knockout LPs",
) -> tuple[list[tuple[str, float, np.ndarray | None]], np.ndarray]:
    """Solve the compressed LP with each job's columns bounded to zero.

    Knockouts that force the objective to zero (:func:`~yeastcell.gem._shortcut.forced_zero_objective`)
    are answered without an LP when another knockout's zero-objective optimum
    is zero on their columns (within ``zero_flux_tol``): that flux is feasible
    for them, so their optimum is exactly 0. Lethal knockouts are the slowest
    LPs of a screen (hundreds of pivots away from the wild-type basis).

    Args:
        wt: from :func:`wild_type`.
        jobs: compressed column indices to zero, one array per LP.
        processes: worker processes (1: in this process).
        tolerance: simplex feasibility tolerance.
        want_x: also return each optimum's column values.
        zero_flux_tol: see above (mmol gDW⁻¹ h⁻¹, scaled as the zero-flux shortcut).
        progress, desc: a progress bar over the LPs (`yeastcell.progress.bar`).

    Returns:
        ``(status, objective, x or None)`` per job, and per job whether an LP was solved for it.
    """
    if not jobs:
        return [], np.zeros(0, dtype=bool)
    c = wt.comp
    zeroed = np.zeros((len(jobs), c.n_cols), dtype=bool)
    for j, cols in enumerate(jobs):
        zeroed[j, cols] = True
    forced = forced_zero_objective(c.S, c.lb, c.ub, c.c, zeroed)
    rest = np.flatnonzero(~forced)
    out: list = [None] * len(jobs)
    with bar(total=len(rest), desc=desc, unit="LP", progress=progress, leave=False) as pb:
        solved = _solve_jobs(
            wt,
            [jobs[k] for k in rest],
            processes,
            tolerance,
            True if want_x else ("zero" if forced.any() else False),
            pb.update,
        )
    witnesses = []  # zero-objective optima
    for k, (st, obj, x) in zip(rest, solved):
        if x is not None and st == "optimal" and abs(obj) <= _highs.ZERO_OBJECTIVE:
            witnesses.append(x)
        out[k] = (st, obj, x if want_x else None)
    zero_at = (np.abs(np.array(witnesses).reshape(-1, c.n_cols)) * wt.col_scale) <= zero_flux_tol
    unresolved = []
    for k in np.flatnonzero(forced):
        w = np.flatnonzero(zero_at[:, jobs[k]].all(axis=1))
        if w.size:  # a feasible flux of this knockout with objective 0: its optimum
            out[k] = ("optimal", 0.0, witnesses[w[0]] if want_x else None)
        else:
            unresolved.append(k)
    for k, r in zip(unresolved, _solve_jobs(wt, [jobs[k] for k in unresolved], 1, tolerance, want_x)):
        out[k] = r
    lp = ~forced
    lp[unresolved] = True
    return out, lp


SERIAL_CHUNK = 32  # LPs between progress updates (and Ctrl-C checks) when solving in this process


def _solve_jobs(
    wt: WildType, jobs: list[np.ndarray], processes: int, tolerance: float, want_x: bool | str, done=None
) -> list[tuple[str, float, np.ndarray | None]]:
    """Every job's LP, warm-started, in ``processes`` worker processes; ``done(n)`` after every
    chunk of `n` LPs (progress)."""
    if not jobs:
        return []
    if processes <= 1 or len(jobs) < 16:
        _init_worker(wt, tolerance)
        try:
            out = []
            for a in range(0, len(jobs), SERIAL_CHUNK):
                out += _solve_chunk(jobs[a : a + SERIAL_CHUNK], want_x)
                if done is not None:
                    done(len(jobs[a : a + SERIAL_CHUNK]))
            return out
        finally:
            _WORKER.clear()
    n_chunks = min(len(jobs), 8 * processes)  # small chunks balance the load
    bounds = np.linspace(0, len(jobs), n_chunks + 1).astype(int)
    chunks = [jobs[a:b] for a, b in itertools.pairwise(bounds)]
    ctx = multiprocessing.get_context(_start_method())
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=processes, mp_context=ctx, initializer=_init_worker, initargs=(wt, tolerance)
    ) as pool:
        results = []
        for res in pool.map(_solve_chunk, chunks, [want_x] * len(chunks)):
            results.append(res)
            if done is not None:
                done(len(res))
    return [r for chunk in results for r in chunk]


def single_deletion_matrix(gpr: CompiledGPR) -> np.ndarray:
    """Bool ``(n_reactions, n_genes)``: reaction ``r`` is deleted by deleting gene ``g`` alone."""
    active = ~np.eye(gpr.n_genes, dtype=bool)
    return ~reaction_activity(gpr, active)


# ---------------------------------------------------------------- public API
ENGINES = ("highs", "jax")


def _gene_list(gem: GEM, genes, pairs) -> tuple[np.ndarray, np.ndarray]:
    single = np.empty(0, dtype=np.int64)
    if genes is None and pairs is None:
        single = np.arange(gem.n_genes)
    elif genes is not None:
        single = resolve_genes(gem, [genes] if isinstance(genes, str) else list(genes))
    pair_idx = np.empty((0, 2), dtype=np.int64)
    if pairs is not None:
        pairs = list(pairs)
        for p in pairs:
            if isinstance(p, str) or len(p) != 2:
                raise ValueError(f"each pair needs exactly two genes, got {p!r}")
        if pairs:
            pair_idx = resolve_genes(gem, [g for p in pairs for g in p]).reshape(-1, 2)
    return single, pair_idx


def knockout_screen(
    gem: GEM,
    genes: Sequence[str] | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    medium: Medium | None = None,
    *,
    processes: int = 1,
    zero_flux_tol: float = 1e-9,
    tolerance: float = 1e-9,
    gpr: CompiledGPR | None = None,
    engine: str = "highs",
    progress: bool | None = None,
) -> pd.DataFrame:
    """Growth after gene deletions, one row per perturbation.

    Args:
        gem: the model (its bounds and objective define the wild type).
        genes: genes to delete one at a time (ids or standard names). When both
            ``genes`` and ``pairs`` are ``None``, every gene of the model.
        pairs: gene pairs to delete together (double deletions); rows follow
            the single-deletion rows.
        medium: applied to ``gem`` first (see :func:`~yeastcell.gem.medium.apply_medium`).
        processes: worker processes for the LPs that must be re-solved;
            ``0`` or ``None`` means ``os.cpu_count()``.
        zero_flux_tol: a deleted reaction with ``|v| <= zero_flux_tol`` in an
            optimum counts as carrying no flux (mmol gDW⁻¹ h⁻¹).
        tolerance: simplex primal/dual feasibility tolerance.
        gpr: precompiled rules of ``gem`` (compiled here when ``None``).
        engine: ``"highs"`` (CPU, this module) or ``"jax"`` (batched dual
            simplex of :mod:`yeastcell.gem.lp`, with the same exact shortcut).
        progress: progress bars over the LPs of the single and the double deletions
            (`yeastcell.progress.enabled`: default on when stderr is a terminal; the "highs" engine).

    Returns:
        DataFrame indexed by perturbation label (gene ids joined by ``+``), with
        columns ``genes`` (tuple of gene ids), ``orf`` (the gene ids joined by
        ``+``), ``name`` (standard names joined by ``+``, ``HXK2`` or
        ``PDC1+PDC5``; the id where the model gives no name), ``growth``
        (objective value, h⁻¹; NaN when the LP has no optimum),
        ``growth_ratio`` (relative growth: growth / wild type), ``status`` (``"optimal"``, ``"infeasible"``, …),
        ``n_deleted_reactions`` and ``resolved`` (True when an LP was solved
        for this perturbation; False when an exact shortcut gave the answer).
        ``df.attrs["wild_type_growth"]`` holds the wild-type objective and
        ``df.attrs["n_lps"]`` the number of knockout LPs solved.

    Raises:
        UnknownGeneError: a gene name matches no gene (with suggestions).
        InfeasibleError: the wild type itself is infeasible.
        LPSolverError: the wild-type LP fails for another reason.
        ValueError: a pair does not have exactly two genes, or an unknown engine.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {ENGINES}")
    if medium is not None:
        gem = apply_medium(gem, medium)
    single, pair_idx = _gene_list(gem, genes, pairs)
    if gpr is None:
        gpr = compile_gpr(gem.gene_rules, gem.gene_ids)
    if not processes:
        processes = os.cpu_count() or 1
    if engine == "jax":
        return _jax_screen(gem, single, pair_idx, gpr)
    wt = wild_type(gem, tolerance)
    comp = wt.comp
    deleted = single_deletion_matrix(gpr)  # (n_reactions, n_genes)

    # single deletions of every gene the screen needs
    need = np.unique(np.concatenate([single, pair_idx.ravel()]))
    carrying = np.abs(wt.x) * wt.col_scale > zero_flux_tol
    job_of = np.full(gem.n_genes, -1)
    job_of[need], job_masks = plan_lps(knockout_columns(deleted[:, need].T, comp.column, comp.n_cols), carrying)
    flux = job_of >= 0  # genes whose knockout needs an LP
    jobs = [np.flatnonzero(m) for m in job_masks]
    want_x = len(pair_idx) > 0
    solved, lp = solve_knockout_lps(
        wt, jobs, processes, tolerance, want_x, zero_flux_tol, progress=enabled(progress), desc="single-deletion LPs"
    )
    g_growth = np.full(gem.n_genes, wt.growth)
    g_status = np.full(gem.n_genes, "optimal", dtype=object)
    for g in np.flatnonzero(flux):
        g_status[g], g_growth[g], _ = solved[job_of[g]]
    n_single = deleted.sum(axis=0)

    growth = [g_growth[single]]
    status = [g_status[single]]
    n_del = [n_single[single]]
    lp_of_gene = np.zeros(gem.n_genes, dtype=bool)
    lp_of_gene[flux] = lp[job_of[flux]]
    resolved = [lp_of_gene[single]]
    n_lps = int(lp.sum())
    if len(pair_idx):
        x_nonzero = np.broadcast_to(carrying, (gem.n_genes, comp.n_cols)).copy()
        for g in np.flatnonzero(flux):
            x = solved[job_of[g]][2]
            if x is not None:
                x_nonzero[g] = np.abs(x) * wt.col_scale > zero_flux_tol
        wit = [
            (np.abs(x) * wt.col_scale > zero_flux_tol, g) for st, g, x in solved if st == "optimal" and x is not None
        ]
        plan = plan_pairs(
            gpr,
            deleted,
            pair_idx,
            column=comp.column,
            n_cols=comp.n_cols,
            v0=wt.v,
            growth=g_growth,
            status=g_status,
            x_nonzero=x_nonzero,
            wild_growth=wt.growth,
            zero_flux_tol=zero_flux_tol,
            witness_nonzero=np.array([w for w, _ in wit]).reshape(-1, comp.n_cols),
            witness_growth=np.array([g for _, g in wit]),
        )
        pair_solved, pair_lp = solve_knockout_lps(
            wt,
            plan.jobs,
            processes,
            tolerance,
            zero_flux_tol=zero_flux_tol,
            progress=enabled(progress),
            desc="double-deletion LPs",
        )
        p_growth, p_status = plan.growth.copy(), plan.status.copy()
        for k in np.flatnonzero(plan.job >= 0):
            p_status[k], p_growth[k], _ = pair_solved[plan.job[k]]
        growth.append(p_growth)
        status.append(p_status)
        n_del.append(plan.n_deleted)
        resolved.append((plan.job >= 0) & np.append(pair_lp, False)[plan.job])  # job -1: no LP
        n_lps += int(pair_lp.sum())
    return _frame(
        gem,
        single,
        pair_idx,
        np.concatenate(growth),
        np.concatenate(status),
        np.concatenate(n_del),
        np.concatenate(resolved),
        wt.growth,
        n_lps,
    )


def _frame(
    gem: GEM,
    single: np.ndarray,
    pair_idx: np.ndarray,
    growth: np.ndarray,
    status: np.ndarray,
    n_del: np.ndarray,
    resolved: np.ndarray,
    wt: float,
    n_lps: int,
) -> pd.DataFrame:
    ids = gem.gene_ids
    std = [n or i for i, n in zip(ids, gem.gene_names)]  # the ORF where the model gives no standard name
    genes = [(ids[g],) for g in single] + [(ids[a], ids[b]) for a, b in pair_idx]
    names = [std[g] for g in single] + [f"{std[a]}+{std[b]}" for a, b in pair_idx]
    growth = np.where(status == "optimal", growth, np.nan)
    df = pd.DataFrame(
        {
            "genes": genes,
            "orf": ["+".join(g) for g in genes],
            "name": names,
            "growth": growth,
            "growth_ratio": growth / wt if wt != 0 else np.full(len(genes), np.nan),
            "status": status.astype(str),
            "n_deleted_reactions": n_del.astype(np.int64),
            "resolved": resolved.astype(bool),
        },
        index=pd.Index(["+".join(g) for g in genes], name="perturbation"),
        columns=COLUMNS,
    )
    df.attrs["wild_type_growth"] = wt
    df.attrs["n_lps"] = n_lps
    return df


def _jax_screen(gem: GEM, single: np.ndarray, pair_idx: np.ndarray, gpr: CompiledGPR) -> pd.DataFrame:
    masks = np.zeros((len(single) + len(pair_idx), gem.n_genes), dtype=bool)
    masks[np.arange(len(single)), single] = True
    rows = len(single) + np.arange(len(pair_idx))
    if len(pair_idx):
        masks[rows, pair_idx[:, 0]] = True
        masks[rows, pair_idx[:, 1]] = True
    res = knockout_growth_batch(gem, masks, gpr=gpr)
    return _frame(
        gem,
        single,
        pair_idx,
        np.asarray(res.growth, dtype=np.float64),
        np.asarray(res.status).astype(object),
        np.asarray(res.n_deleted_reactions),
        np.asarray(res.resolved),
        float(res.wild_type_growth),
        res.n_lps,
    )
