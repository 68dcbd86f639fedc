"""The LP ``max c·v  s.t.  S v = 0,  lb <= v <= ub`` as JAX arrays for the dual simplex.

Rows get logical variables so that every basis is square and a full-rank basis
always exists even when ``S`` has dependent rows (a GEM always has some):
the engine works on ``A = [S, -I]`` with columns ``(v, s)``, ``s = S v`` and
logical bounds ``0 <= s <= 0``. Costs are in minimisation form (``d = -c`` for
a maximisation), so the engine always minimises ``d·(v, s)``.

``A`` is stored twice, both sparse: as COO triplets for ``A x`` and ``Aᵀ y``
(segment sums), and as columns padded to the longest column (``col_rows``,
``col_vals``) for gathering the entering column of a pivot. Only bounds differ
between the LPs of a batch; the matrix and costs are shared.

Units: fluxes mmol gDW⁻¹ h⁻¹ (h⁻¹ for growth), as in the GEM.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

__all__ = ["LPArrays", "lp_arrays"]


class LPArrays(eqx.Module):
    """Shared data of a batch of LPs (everything except the bounds).

    Attributes:
        rows, cols, vals: COO triplets of ``A = [S, -I]``, shape ``(nnz,)``.
        col_rows, col_vals: column ``j`` of ``A`` as row indices / values padded
            with zeros, shape ``(n_total, max_col_nnz)``.
        d: minimisation costs of all ``n_total = n + m`` columns.
        c: the model's objective over the ``n`` structural columns (model sense).
        sense: ``+1`` for maximisation, ``-1`` for minimisation (``d = -sense·c``).
        m, n: numbers of rows (metabolites) and structural columns (reactions).
    """

    rows: jax.Array
    cols: jax.Array
    vals: jax.Array
    col_rows: jax.Array
    col_vals: jax.Array
    d: jax.Array
    c: jax.Array
    sense: float = eqx.field(static=True)
    m: int = eqx.field(static=True)
    n: int = eqx.field(static=True)

    @property
    def n_total(self) -> int:
        """Structural plus logical columns."""
        return self.n + self.m

    def matvec(self, x: jax.Array) -> jax.Array:
        """``A x`` for ``x`` of length ``n_total``."""
        return jax.ops.segment_sum(self.vals * x[self.cols], self.rows, num_segments=self.m)

    def rmatvec(self, y: jax.Array) -> jax.Array:
        """``Aᵀ y`` for ``y`` of length ``m``."""
        return jax.ops.segment_sum(self.vals * y[self.rows], self.cols, num_segments=self.n_total)

    def column_times(self, Binv: jax.Array, j: jax.Array) -> jax.Array:
        """``Binv @ A[:, j]`` using the sparse column ``j``."""
        return Binv[:, self.col_rows[j]] @ self.col_vals[j]


def extended_matrix(S: sp.sparray) -> sp.csc_array:
    """``[S, -I]`` as CSC (float64)."""
    m = S.shape[0]
    return sp.csc_array(sp.hstack([sp.csc_array(S, dtype=np.float64), -sp.identity(m, format="csc", dtype=np.float64)]))


def lp_arrays(S: sp.sparray, c: np.ndarray, sense: str = "max") -> LPArrays:
    """Build :class:`LPArrays` from a stoichiometric matrix and objective.

    Args:
        S: ``(m, n)`` stoichiometric matrix.
        c: ``(n,)`` objective coefficients.
        sense: ``"max"`` or ``"min"``.
    """
    if sense not in ("max", "min"):
        raise ValueError(f"sense must be 'max' or 'min', got {sense!r}")
    c = np.asarray(c, dtype=np.float64)
    m, n = S.shape
    if c.shape != (n,):
        raise ValueError(f"objective has shape {c.shape}, expected ({n},)")
    A = extended_matrix(S)
    coo = A.tocoo()
    counts = np.diff(A.indptr)
    width = max(1, int(counts.max()))
    col_rows = np.zeros((n + m, width), dtype=np.int32)
    col_vals = np.zeros((n + m, width), dtype=np.float64)
    for j in range(n + m):
        a, b = A.indptr[j], A.indptr[j + 1]
        col_rows[j, : b - a] = A.indices[a:b]
        col_vals[j, : b - a] = A.data[a:b]
    sgn = 1.0 if sense == "max" else -1.0
    d = np.concatenate([-sgn * c, np.zeros(m)])
    return LPArrays(
        rows=jnp.asarray(coo.row, dtype=jnp.int32),
        cols=jnp.asarray(coo.col, dtype=jnp.int32),
        vals=jnp.asarray(coo.data, dtype=jnp.float64),
        col_rows=jnp.asarray(col_rows),
        col_vals=jnp.asarray(col_vals),
        d=jnp.asarray(d),
        c=jnp.asarray(c),
        sense=sgn,
        m=m,
        n=n,
    )
