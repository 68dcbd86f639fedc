"""Private: exact, knockout-aware compression of an FBA LP.

Knockout screens solve the same LP many times with a few column bounds set to
zero. HiGHS's cost per warm-started solve grows with the LP's size (fixed
work per run plus work per pivot), so the screen solves a smaller LP that is
*equivalent for every knockout*:

* **Blocked columns** are dropped: a column with ``lb = ub = 0``; the only
  column left in a row (``S_ij v_j = 0`` forces ``v_j = 0``); every column of
  a row that no column can produce, or none can consume (steady state forces
  each term ``S_ij v_j`` of one sign to be 0). A knockout only tightens
  bounds, so a column blocked in the wild type stays blocked.
* **Coupled columns** are merged: a row with exactly two columns,
  ``s_a v_a + s_b v_b = 0``, fixes ``v_b = r v_a`` with ``r = -s_a / s_b``;
  column ``b`` is folded into ``a`` (``S[:, a] += r S[:, b]``, ``c_a += r c_b``,
  bounds intersected) and the row disappears. Zeroing either reaction zeroes
  both, so a knockout of any member maps to a zero bound on the merged column.

These rules are applied until none fires. Each original reaction ``j`` ends up
as ``v_j = scale_j · x_{column_j}`` (``column_j = -1``: blocked, always 0), so
an optimum of the compressed LP is an optimum of the original one with the same
objective value, for the wild type and for every knockout.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import deque

import numpy as np
import scipy.sparse as sp

_ZERO = 1e-12  # |coefficient| below this (relative) is cancellation noise


@dataclasses.dataclass(frozen=True, eq=False)
class Compressed:
    """A compressed LP ``max/min c·x  s.t.  S x = 0,  lb <= x <= ub``.

    Attributes:
        S: ``(n_rows, n_cols)`` CSC matrix of the kept rows and columns.
        lb, ub, c: per compressed column.
        column: per original reaction, its compressed column (``-1`` = blocked).
        scale: per original reaction, ``v_reaction = scale * x_column`` (0 if blocked).
        rows: original row index of each kept row.
    """

    S: sp.csc_array
    lb: np.ndarray
    ub: np.ndarray
    c: np.ndarray
    column: np.ndarray
    scale: np.ndarray
    rows: np.ndarray

    @property
    def n_cols(self) -> int:
        return self.S.shape[1]

    def expand(self, x: np.ndarray) -> np.ndarray:
        """Original-reaction fluxes from compressed column values."""
        v = np.zeros(len(self.column))
        ok = self.column >= 0
        v[ok] = self.scale[ok] * np.asarray(x)[self.column[ok]]
        return v

    def columns_of(self, reactions: np.ndarray) -> np.ndarray:
        """Sorted unique compressed columns of some original reactions (blocked ones dropped)."""
        cols = self.column[np.asarray(reactions, dtype=np.int64)]
        return np.unique(cols[cols >= 0])


def compress(S: sp.spmatrix, lb: np.ndarray, ub: np.ndarray, c: np.ndarray) -> Compressed | None:
    """Compress the LP (see the module docstring).

    Returns:
        The compressed LP, or ``None`` when merging meets contradictory bounds
        (the LP is infeasible; callers then solve the original LP to report it).
    """
    S = sp.csc_array(S, dtype=np.float64)
    n_rows, n_cols = S.shape
    # plain Python lists: the loop below reads and writes single entries
    lb = np.asarray(lb, dtype=np.float64).tolist()
    ub = np.asarray(ub, dtype=np.float64).tolist()
    c = np.asarray(c, dtype=np.float64).tolist()
    ptr, idx, val = S.indptr.tolist(), S.indices.tolist(), S.data.tolist()
    col: list[dict[int, float]] = [dict(zip(idx[ptr[j] : ptr[j + 1]], val[ptr[j] : ptr[j + 1]])) for j in range(n_cols)]
    R = S.tocsr()
    rptr, ridx = R.indptr.tolist(), R.indices.tolist()
    row: list[set[int]] = [set(ridx[rptr[i] : rptr[i + 1]]) for i in range(n_rows)]
    members: dict[int, list[tuple[int, float]]] = {j: [(j, 1.0)] for j in range(n_cols)}
    alive = [True] * n_cols
    queue = deque(range(n_rows))
    queued = [True] * n_rows

    def push(i: int) -> None:
        if not queued[i]:
            queued[i] = True
            queue.append(i)

    contradiction = []

    def block(j: int) -> None:
        if lb[j] > 0 or ub[j] < 0:
            contradiction.append(j)  # forced to 0 but its bounds exclude 0
        alive[j] = False
        for i in col[j]:
            row[i].discard(j)
            push(i)
        col[j] = {}

    for j in range(n_cols):
        if lb[j] == 0 and ub[j] == 0:
            block(j)

    while queue:
        i = queue.popleft()
        queued[i] = False
        cs = row[i]
        if not cs:
            continue
        if len(cs) == 1:
            block(next(iter(cs)))
            continue
        pos = neg = False
        for j in cs:
            s = col[j][i]
            up, down = ub[j] > 0, lb[j] < 0
            pos |= (s > 0 and up) or (s < 0 and down)
            neg |= (s > 0 and down) or (s < 0 and up)
        if not (pos and neg):
            for j in list(cs):
                block(j)
            continue
        if len(cs) != 2:
            continue
        a, b = sorted(cs, key=lambda j: (len(col[j]), j), reverse=True)  # keep the denser one
        r = -col[a][i] / col[b][i]  # v_b = r v_a
        lo, hi = (lb[b] / r, ub[b] / r) if r > 0 else (ub[b] / r, lb[b] / r)
        lb[a], ub[a] = max(lb[a], lo), min(ub[a], hi)
        if lb[a] > ub[a] + 1e-9 * max(1.0, abs(ub[a])):
            return None
        lb[a] = min(lb[a], ub[a])
        c[a] += r * c[b]
        ca = col[a]
        for k, val in col[b].items():
            row[k].discard(b)
            new = ca.get(k, 0.0) + r * val
            if abs(new) <= _ZERO * max(abs(ca.get(k, 0.0)), abs(r * val)):
                ca.pop(k, None)
                row[k].discard(a)
            else:
                ca[k] = new
                row[k].add(a)
            push(k)
        col[b] = {}
        alive[b] = False
        members[a].extend((m, s * r) for m, s in members.pop(b))
        if lb[a] == 0 and ub[a] == 0:
            block(a)

    if contradiction:
        return None
    lb, ub, c = np.array(lb), np.array(ub), np.array(c)
    kept = np.flatnonzero(alive)
    new_of = np.full(n_cols, -1, dtype=np.int64)
    new_of[kept] = np.arange(kept.size)
    rows_of = [list(col[j]) for j in kept.tolist()]
    counts = np.fromiter(map(len, rows_of), dtype=np.int64, count=kept.size)
    old_row = np.fromiter(itertools.chain.from_iterable(rows_of), dtype=np.int64, count=int(counts.sum()))
    data = np.fromiter(
        itertools.chain.from_iterable(col[j].values() for j in kept.tolist()), dtype=np.float64, count=old_row.size
    )
    used_rows, new_row = np.unique(old_row, return_inverse=True)
    Sc = sp.csc_array((data, (new_row, np.repeat(np.arange(kept.size), counts))), shape=(used_rows.size, kept.size))
    Sc.sort_indices()
    column = np.full(n_cols, -1, dtype=np.int64)
    scale = np.zeros(n_cols)
    for j in kept.tolist():
        new = int(new_of[j])
        for m, s in members[j]:
            column[m], scale[m] = new, s
    return Compressed(
        S=Sc, lb=lb[kept], ub=ub[kept], c=c[kept], column=column, scale=scale, rows=used_rows.astype(np.int64)
    )
