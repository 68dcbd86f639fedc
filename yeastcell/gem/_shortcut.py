"""Private: which knockout LPs a screen must solve (shared by the CPU and JAX engines).

Both engines solve a compressed LP (:mod:`yeastcell.gem._compress`) in which a
knockout zeroes the bounds of some columns. Two exact rules cut the work:

* **Zero-flux shortcut.** If every zeroed column is zero in a wild-type optimum
  ``x0``, then ``x0`` stays feasible, and a knockout only shrinks the feasible
  set, so the knockout's optimum is the wild type's. No LP is needed.
* **Shared LPs.** Knockouts that zero the same set of columns have the same LP;
  it is solved once.

A column "carries flux" when some reaction merged into it does:
``|x0_col| * col_scale > zero_flux_tol`` with ``col_scale`` the largest
``|v_reaction / x_col|`` of its reactions (mmol gDW⁻¹ h⁻¹).
"""

from __future__ import annotations

import numpy as np


def knockout_columns(deleted: np.ndarray, column: np.ndarray, n_cols: int) -> np.ndarray:
    """Bool ``(batch, n_cols)``: compressed columns zeroed by each knockout.

    Args:
        deleted: bool ``(batch, n_reactions)``, reactions each knockout deletes.
        column: per reaction, its compressed column (``-1``: blocked, ignored).
        n_cols: number of compressed columns.
    """
    out = np.zeros((deleted.shape[0], n_cols), dtype=bool)
    rows, reactions = np.nonzero(deleted)
    cols = column[reactions]
    keep = cols >= 0
    out[rows[keep], cols[keep]] = True
    return out


def plan_lps(zeroed: np.ndarray, carrying: np.ndarray, *, shortcut: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The LPs to solve for a batch of knockouts.

    Args:
        zeroed: bool ``(batch, n_cols)`` from :func:`knockout_columns`.
        carrying: bool ``(n_cols,)``, columns carrying flux in the wild-type optimum.
        shortcut: apply the zero-flux shortcut and share LPs; ``False`` gives
            every knockout its own LP.

    Returns:
        ``(job_of, jobs)``: per knockout the row of ``jobs`` whose LP answers
        it (``-1``: the wild-type optimum does), and ``jobs``, bool
        ``(n_lps, n_cols)``, the distinct column sets to zero.
    """
    k = zeroed.shape[0]
    if not shortcut:
        return np.arange(k), zeroed
    solve = (zeroed & carrying[None, :]).any(axis=1)
    job_of = np.full(k, -1, dtype=np.int64)
    if not solve.any():
        return job_of, zeroed[:0]
    rows = zeroed[solve]
    packed = np.ascontiguousarray(np.packbits(rows, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()  # one bytes key per row
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    job_of[solve] = inverse.ravel()
    return job_of, rows[first]


def forced_zero_objective(S, lb: np.ndarray, ub: np.ndarray, c: np.ndarray, zeroed: np.ndarray) -> np.ndarray:
    """Knockouts whose every objective column is forced to zero (no LP needed to bound it).

    Steady state ``S x = 0`` forces columns to zero in a cascade: a row left with
    one column (``S_ij x_j = 0``), or a row none of whose columns can produce (or
    none can consume) the metabolite, given the signs of their bounds, zeroes all
    its columns. Started from each knockout's zeroed columns and run to a fixed
    point, for all knockouts at once (sparse products over a ``(n_cols, batch)``
    indicator). Where the objective's columns end up forced to zero, every
    feasible point has objective 0: the knockout's optimum is 0 if it is
    feasible at all, and infeasible otherwise.

    Args:
        S: ``(n_rows, n_cols)`` compressed stoichiometric matrix.
        lb, ub, c: wild-type bounds and objective per column.
        zeroed: bool ``(batch, n_cols)`` from :func:`knockout_columns`.

    Returns:
        bool ``(batch,)``.
    """
    import scipy.sparse as sp

    S = sp.csr_array(S)
    nz = sp.csr_array((S != 0).astype(np.float64))
    pos, neg = (S > 0).astype(np.float64), (S < 0).astype(np.float64)
    up, down = (ub > 0).astype(np.float64), (lb < 0).astype(np.float64)
    produce = sp.csr_array(pos * up[None, :] + neg * down[None, :])  # column can make the metabolite
    consume = sp.csr_array(pos * down[None, :] + neg * up[None, :])
    nz_t = sp.csr_array(nz.T)
    alive = (~zeroed).T.astype(np.float64)  # (n_cols, batch)
    while True:
        count, makers, users = nz @ alive, produce @ alive, consume @ alive
        dead_row = (count == 1) | ((count > 0) & ((makers == 0) | (users == 0)))
        new = alive * ((nz_t @ dead_row.astype(np.float64)) == 0)
        if np.array_equal(new, alive):
            break
        alive = new
    objective = np.flatnonzero(np.asarray(c) != 0)
    return (alive[objective] == 0).all(axis=0) & (objective.size > 0)
