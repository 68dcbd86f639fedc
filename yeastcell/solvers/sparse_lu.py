"""LU factorisation with a fixed, symbolically planned pivot order, for batches of small sparse systems.

Why: the stiff solver factorises W = I/(γ h) − J once per step and solves with it six times. Under
`jax.vmap` on a CPU, `jax.scipy.linalg.lu_factor`/`lu_solve` run one LAPACK call per lane (dense, with
partial pivoting): on the 33-state core model that is about two thirds of a step at batch 1000.
W's nonzero pattern is known before tracing (the identity plus the Jacobian's pattern, see
yeastcell/solvers/jacobian.py), so the elimination can be planned once in NumPy: a minimum-degree order
(fill-in 225 → 280 nonzeros on the core model; 1,166 flops instead of 24,000 for a dense LU) and, for
every pivot, the static positions it reads and updates. The numeric phase is then a short, fixed
sequence of gathers, multiplies and scatter-adds over the nonzero values, which vectorise across the
batch (benchmarks/RESULTS.md: about 4x faster than LAPACK at batch 1000; far slower at batch 1,
where per-operation overhead dominates, which is why `simulate_batch` chooses it only for large
batches).

Stability: the pivots are taken on the diagonal in the planned order, without row exchanges. For
W = I/(γ h) − J this is safe when h is small (W is then diagonally dominant); for large h a pivot can
become small or the factors can grow. `factor` therefore reports `ok = False` when a pivot is not
finite, is tiny relative to its row of W, or the factors grow by more than `MAX_GROWTH`; the Rosenbrock
step then rejects the step, and the step-size controller retries with a smaller h (where W is better
conditioned) — never a silently wrong solve.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

MAX_GROWTH = 1e8  # largest |factor entry| / largest |W entry| accepted
MIN_PIVOT = 1e-12  # smallest |pivot| / largest |entry of its row of W| accepted
# batch size from which `simulate_batch` gives an "auto" Rodas4P the sparse LU (measured on the core
# model, benchmarks/bench_simulate.py --linear-solver: at batch 100 sparse is already faster)
SPARSE_LU_MIN_BATCH = 64
# largest system that "batched" factorises with the sparse LU: its elimination is unrolled into the
# compiled program, which on the 205-state whole cell added ~45 s of compile time (batch 100: 84 s
# instead of ~37 s; benchmarks/RESULTS.md), more than the 1-minute budget; larger systems use LAPACK
SPARSE_LU_MAX_STATES = 64


def _minimum_degree_order(pattern: np.ndarray) -> np.ndarray:
    """Greedy minimum-degree elimination order of the symmetrised pattern (ties: lowest index)."""
    g = pattern | pattern.T
    np.fill_diagonal(g, False)
    alive = np.ones(len(g), dtype=bool)
    order = []
    for _ in range(len(g)):
        degree = np.where(alive, g.sum(axis=1), np.iinfo(np.int64).max)
        k = int(np.argmin(degree))
        order.append(k)
        nb = np.nonzero(g[k] & alive)[0]
        g[np.ix_(nb, nb)] = True  # eliminating k connects its neighbours
        g[nb, nb] = False
        g[k, :] = False
        g[:, k] = False
        alive[k] = False
    return np.asarray(order, dtype=int)


class SparseLU:
    """The symbolic factorisation of one nonzero pattern (n x n bools, diagonal included).

    Values live in a flat vector over the filled pattern, in the permuted (pivot) order.
    """

    def __init__(self, pattern: np.ndarray):
        pattern = np.asarray(pattern, dtype=bool) | np.eye(len(pattern), dtype=bool)
        n = pattern.shape[0]
        order = _minimum_degree_order(pattern)
        filled = pattern[np.ix_(order, order)].copy()
        for k in range(n):  # symbolic elimination: fill-in
            rows = np.nonzero(filled[k + 1 :, k])[0] + k + 1
            cols = np.nonzero(filled[k, k + 1 :])[0] + k + 1
            filled[np.ix_(rows, cols)] = True
        ii, jj = np.nonzero(filled)
        slot = -np.ones((n, n), dtype=int)
        slot[ii, jj] = np.arange(ii.size)
        self.n = n
        self.nnz = int(ii.size)
        self.order = order
        self.src = (order[ii], order[jj])  # position in W of each filled entry
        self.in_pattern = pattern[order[ii], order[jj]]
        self.diag = slot[np.arange(n), np.arange(n)]
        self.steps = []  # per pivot k: (pivot slot, column-k slots below, row-k slots right, update slots)
        self.lower = []  # per column k: (rows below with L[i, k] != 0, their slots)
        self.upper = []  # per column k: (rows above with U[i, k] != 0, their slots)
        for k in range(n):
            rows = np.nonzero(filled[k + 1 :, k])[0] + k + 1
            cols = np.nonzero(filled[k, k + 1 :])[0] + k + 1
            self.steps.append((slot[k, k], slot[rows, k], slot[k, cols], slot[np.ix_(rows, cols)].ravel()))
            self.lower.append((rows, slot[rows, k]))
            above = np.nonzero(filled[:k, k])[0]
            self.upper.append((above, slot[above, k]))
        self.flops = int(sum(2 * len(s[1]) * len(s[2]) + len(s[1]) for s in self.steps))

    def factor(self, W):
        """Factorise W (n x n); returns (values, ok): the LU values and whether the factorisation is
        trustworthy (finite, no tiny pivot, bounded growth)."""
        a = jnp.where(jnp.asarray(self.in_pattern), W[self.src], 0.0)
        for kk, below, right, update in self.steps:
            if below.size == 0:
                continue
            col = a[below] / a[kk]
            a = a.at[below].set(col)
            if right.size:
                a = a.at[update].add(-(col[:, None] * a[right][None, :]).ravel())
        row_scale = jnp.max(jnp.abs(W), axis=1)[self.order]
        pivots = a[self.diag]
        w_max = jnp.max(jnp.abs(W))
        ok = (
            jnp.all(jnp.isfinite(a))
            & jnp.all(jnp.abs(pivots) >= MIN_PIVOT * row_scale)
            & (jnp.max(jnp.abs(a)) <= MAX_GROWTH * w_max)
        )
        return a, ok

    def solve_unrolled(self, a, b):
        """As `solve`, written as one scalar expression per nonzero of the factors (no scatters):
        under `jax.vmap` each operation is elementwise over the lanes and XLA fuses the whole
        substitution into a few loops (about 2x faster than `solve` at batch 1000 on a CPU; the
        program grows with the factors' nonzeros, so it is meant for small systems)."""
        y = [b[i] for i in self.order]
        for k, (rows, slots) in enumerate(self.lower):  # L y = P b (unit lower triangle)
            for r, s in zip(rows, slots):
                y[r] = y[r] - a[s] * y[k]
        for k in range(self.n - 1, -1, -1):  # U x = y
            y[k] = y[k] / a[self.diag[k]]
            for r, s in zip(*self.upper[k]):
                y[r] = y[r] - a[s] * y[k]
        position = np.empty(self.n, dtype=int)
        position[self.order] = np.arange(self.n)
        return jnp.stack([y[p] for p in position])

    def solve(self, a, b):
        """x with W x = b, from `factor`'s values."""
        y = b[self.order]
        for k, (rows, slots) in enumerate(self.lower):  # L y = P b (unit lower triangle)
            if rows.size:
                y = y.at[rows].add(-a[slots] * y[k])
        for k in range(self.n - 1, -1, -1):  # U x = y
            yk = y[k] / a[self.diag[k]]
            y = y.at[k].set(yk)
            rows, slots = self.upper[k]
            if rows.size:
                y = y.at[rows].add(-a[slots] * yk)
        return jnp.zeros_like(y).at[self.order].set(y)


@functools.lru_cache(maxsize=32)
def analyse(pattern: tuple[tuple[bool, ...], ...]) -> SparseLU:
    """The (cached) symbolic factorisation of a pattern given as nested tuples of bools."""
    return SparseLU(np.asarray(pattern, dtype=bool))
