"""Private: double-deletion planning from single-deletion optima.

Deleting genes ``a`` and ``b`` zeroes the bounds of a reaction set ``D_ab``
that contains ``D_a`` and ``D_b``, so the pair's LP is a restriction of each
single's LP. Exact consequences used here (no LP solved):

* ``v0`` (wild-type optimum) carries no flux through ``D_ab`` → growth is the
  wild type's (as for single deletions);
* single ``a`` is infeasible → the pair is infeasible;
* single ``a``'s optimum ``x_a`` carries no flux through ``D_ab`` → ``x_a`` is
  feasible for the pair and optimal (the pair cannot do better than ``a``),
  so the pair's growth and status are single ``a``'s. Same with ``b``;
* more generally, any known optimum ``x_j`` of another knockout (a *witness*)
  that carries no flux through ``D_ab`` is feasible for the pair, so the pair's
  growth is at least ``g_j``; it is at most ``min(g_a, g_b)``. When the two
  bounds meet (within ``1e-9`` of the wild-type growth), that is the optimum.

If ``a`` and ``b`` appear in no common gene–reaction rule, each reaction's
rule mentions at most one of them, so ``D_ab = D_a ∪ D_b`` and all checks are
vectorised over all pairs at once (one sparse product gives, for every solved
single ``a`` and every gene ``b``, whether ``x_a`` is zero on ``b``'s
columns). Pairs that share a rule (subunits of one complex, isoenzymes of one
reaction) have ``D_ab`` evaluated from the rules, in batches.
"""

from __future__ import annotations

import dataclasses
from typing import cast

import numpy as np
import scipy.sparse as sp

from yeastcell.gem.gpr import CompiledGPR, reaction_activity


@dataclasses.dataclass(frozen=True, eq=False)
class PairPlan:
    """Per pair: growth/status where derived without an LP, else an LP job.

    Attributes:
        growth: growth where known (NaN otherwise or when infeasible).
        status: status string where known, ``""`` where an LP is needed.
        job: index into ``jobs`` for pairs needing an LP, else -1.
        jobs: distinct compressed column sets to zero, one LP each.
        n_deleted: size of ``D_ab`` per pair.
    """

    growth: np.ndarray
    status: np.ndarray
    job: np.ndarray
    jobs: list[np.ndarray]
    n_deleted: np.ndarray


def _shared_rule_mask(gpr: CompiledGPR, pairs: np.ndarray) -> np.ndarray:
    n_r = gpr.n_reactions
    rows = np.concatenate(
        [np.full(len(r), g) for g, r in enumerate(gpr.gene_reactions)] + [np.empty(0, dtype=np.int64)]
    )
    cols = np.concatenate(list(gpr.gene_reactions) + [np.empty(0, dtype=np.int64)])
    M = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(gpr.n_genes, n_r))
    share = (M @ M.T).tocsr()
    return np.asarray(share[pairs[:, 0], pairs[:, 1]]).ravel() > 0


def _pair_deletions(gpr: CompiledGPR, pairs: np.ndarray, batch: int = 2048) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for s in range(0, len(pairs), batch):
        p = pairs[s : s + batch]
        active = np.ones((gpr.n_genes, len(p)), dtype=bool)
        active[p[:, 0], np.arange(len(p))] = False
        active[p[:, 1], np.arange(len(p))] = False
        dead = ~reaction_activity(gpr, active)
        out.extend(np.flatnonzero(dead[:, k]) for k in range(len(p)))
    return out


def plan_pairs(
    gpr: CompiledGPR,
    deleted: np.ndarray,
    pairs: np.ndarray,
    *,
    column: np.ndarray,
    n_cols: int,
    v0: np.ndarray,
    growth: np.ndarray,
    status: np.ndarray,
    x_nonzero: np.ndarray,
    wild_growth: float,
    zero_flux_tol: float,
    witness_nonzero: np.ndarray | None = None,
    witness_growth: np.ndarray | None = None,
) -> PairPlan:
    """Plan a double-deletion screen.

    Args:
        gpr: compiled rules.
        deleted: bool ``(n_reactions, n_genes)``, single-gene deletions.
        pairs: int ``(n_pairs, 2)`` gene indices.
        column: compressed column of each reaction (-1: blocked).
        n_cols: number of compressed columns.
        v0: wild-type optimal fluxes per reaction.
        growth, status: single-deletion results per gene (all genes in ``pairs``).
        x_nonzero: bool ``(n_genes, n_cols)``: column carries flux in the gene's
            single-deletion optimum (the wild type's where no LP was needed;
            anything for infeasible singles).
        wild_growth: wild-type optimum.
        zero_flux_tol: flux threshold (mmol gDW⁻¹ h⁻¹).
        witness_nonzero, witness_growth: known optima of other knockouts, as
            bool ``(n_witnesses, n_cols)`` nonzero patterns and their growth.
    """
    n = len(pairs)
    a, b = pairs[:, 0], pairs[:, 1]
    out_growth = np.full(n, np.nan)
    out_status = np.full(n, "", dtype=object)
    job = np.full(n, -1, dtype=np.int64)
    n_del = np.zeros(n, dtype=np.int64)

    # gene -> compressed columns it zeroes, as a sparse incidence matrix
    r_idx, g_idx = np.nonzero(deleted)
    keep = column[r_idx] >= 0
    G = sp.csr_array((np.ones(int(keep.sum())), (g_idx[keep], column[r_idx[keep]])), shape=(deleted.shape[1], n_cols))
    G.sum_duplicates()
    G.data[:] = 1.0
    flux = deleted.T.astype(np.float64) @ (np.abs(v0) > zero_flux_tol).astype(np.float64) > 0
    n_single = deleted.sum(axis=0)

    shared = _shared_rule_mask(gpr, pairs) if n else np.zeros(0, dtype=bool)
    plain = ~shared
    # --- pairs whose genes share no rule: D_ab = D_a ∪ D_b
    n_del[plain] = n_single[a[plain]] + n_single[b[plain]]
    genes = np.unique(pairs[plain].ravel())
    if genes.size:
        Z = (sp.csr_array(x_nonzero[genes].astype(np.float64)) @ G.T).toarray() == 0
        pos = np.full(deleted.shape[1], -1)
        pos[genes] = np.arange(genes.size)
        za = Z[pos[a[plain]], b[plain]]  # x_a zero on b's columns
        zb = Z[pos[b[plain]], a[plain]]
        idx = np.flatnonzero(plain)
        wt_ok = ~flux[a[plain]] & ~flux[b[plain]]
        inf_a = status[a[plain]] == "infeasible"
        inf_b = status[b[plain]] == "infeasible"
        opt_a = status[a[plain]] == "optimal"
        opt_b = status[b[plain]] == "optimal"
        use_a = ~wt_ok & ~inf_a & ~inf_b & opt_a & za
        use_b = ~wt_ok & ~inf_a & ~inf_b & ~use_a & opt_b & zb
        out_growth[idx[wt_ok]] = wild_growth
        out_status[idx[wt_ok]] = "optimal"
        infeas = ~wt_ok & (inf_a | inf_b)
        out_status[idx[infeas]] = "infeasible"
        out_growth[idx[use_a]] = growth[a[plain][use_a]]
        out_status[idx[use_a]] = "optimal"
        out_growth[idx[use_b]] = growth[b[plain][use_b]]
        out_status[idx[use_b]] = "optimal"

    # --- witnesses: another knockout's optimum, feasible for the pair, meeting the upper bound
    tol = 1e-9 * max(1.0, abs(wild_growth))
    have_w = witness_nonzero is not None and len(witness_nonzero) > 0
    if have_w:
        assert witness_nonzero is not None and witness_growth is not None  # have_w
        Zw = (sp.csr_array(witness_nonzero.astype(np.float64)) @ G.T).toarray() == 0
        open_ = np.flatnonzero(plain & (out_status == "") & (status[a] == "optimal") & (status[b] == "optimal"))
        for s in range(0, open_.size, 4096):
            ks = open_[s : s + 4096]
            ok = Zw[:, a[ks]] & Zw[:, b[ks]]
            lower = np.where(ok, witness_growth[:, None], -np.inf).max(axis=0)
            hit = lower >= np.minimum(growth[a[ks]], growth[b[ks]]) - tol
            out_growth[ks[hit]] = lower[hit]
            out_status[ks[hit]] = "optimal"

    # --- pairs sharing a rule: evaluate D_ab from the rules
    need: dict[bytes, int] = {}
    jobs: list[np.ndarray] = []
    sh = np.flatnonzero(shared)
    for k, d in zip(sh, _pair_deletions(gpr, pairs[sh])):
        n_del[k] = d.size
        if not np.any(np.abs(v0[d]) > zero_flux_tol):
            out_growth[k], out_status[k] = wild_growth, "optimal"
            continue
        cols = np.unique(column[d][column[d] >= 0])
        ga, gb = a[k], b[k]
        if status[ga] == "infeasible" or status[gb] == "infeasible":
            out_status[k] = "infeasible"
        elif status[ga] == "optimal" and not x_nonzero[ga, cols].any():
            out_growth[k], out_status[k] = growth[ga], "optimal"
        elif status[gb] == "optimal" and not x_nonzero[gb, cols].any():
            out_growth[k], out_status[k] = growth[gb], "optimal"
        elif (
            have_w
            and status[ga] == status[gb] == "optimal"
            and (w := _best_witness(cast(np.ndarray, witness_nonzero), cast(np.ndarray, witness_growth), cols))
            >= min(growth[ga], growth[gb]) - tol
        ):
            out_growth[k], out_status[k] = w, "optimal"
        else:
            key = cols.tobytes()
            if key not in need:
                need[key] = len(jobs)
                jobs.append(cols)
            job[k] = need[key]

    # --- the rest needs an LP on the union of both genes' columns
    for k in np.flatnonzero(plain & (out_status == "")):
        cols = np.union1d(
            G.indices[G.indptr[a[k]] : G.indptr[a[k] + 1]], G.indices[G.indptr[b[k]] : G.indptr[b[k] + 1]]
        )
        key = cols.tobytes()
        if key not in need:
            need[key] = len(jobs)
            jobs.append(cols)
        job[k] = need[key]
    return PairPlan(growth=out_growth, status=out_status, job=job, jobs=jobs, n_deleted=n_del)


def _best_witness(nonzero: np.ndarray, growth: np.ndarray, cols: np.ndarray) -> float:
    ok = ~nonzero[:, cols].any(axis=1)
    return float(growth[ok].max()) if ok.any() else -np.inf
