"""Starting bases for the dual simplex.

The engine re-solves LPs that differ from a reference LP only in their bounds
(gene knockouts, changing exchange bounds over a dFBA run). An optimal basis of
the reference stays *dual feasible* under any bound change (the reduced costs
do not depend on bounds), so the dual simplex can start from it. The reference
basis is computed once on the host with HiGHS (:func:`reference_basis`) and its
explicit inverse is the engine's factorisation.
"""

from __future__ import annotations

import equinox as eqx
import highspy
import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from yeastcell.exceptions import InfeasibleError, LPSolverError
from yeastcell.gem._highs import make_highs_arrays
from yeastcell.gem.lp.problem import extended_matrix

__all__ = ["Basis", "reference_basis"]


class Basis(eqx.Module):
    """A simplex basis with its explicit inverse.

    Attributes:
        basic: ``(m,)`` column indices (of ``[S, -I]``) of the basic variables.
        at_upper: ``(n_total,)`` nonbasic variables resting at their upper bound.
        Binv: ``(m, m)`` inverse of the basis matrix.
    """

    basic: jax.Array
    at_upper: jax.Array
    Binv: jax.Array


def reference_basis(
    S: sp.sparray, c: np.ndarray, lb: np.ndarray, ub: np.ndarray, sense: str = "max", *, tolerance: float = 1e-9
) -> tuple[Basis, float]:
    """Optimal basis of ``max/min c·v, S v = 0, lb <= v <= ub`` from HiGHS.

    Returns:
        The basis and the optimal objective.

    Raises:
        InfeasibleError: the reference LP is infeasible (no basis to start from).
        LPSolverError: HiGHS failed, or the basis matrix is singular.
    """
    S = sp.csc_array(S, dtype=np.float64)
    m, n = S.shape
    h = make_highs_arrays(S, lb, ub, c, sense, tolerance=tolerance)
    h.run()
    st = h.getModelStatus()
    if st == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError("the reference LP is infeasible: no starting basis")
    if st != highspy.HighsModelStatus.kOptimal:
        raise LPSolverError(f"HiGHS could not solve the reference LP ({h.modelStatusToString(st)})")
    hb = h.getBasis()
    B = highspy.HighsBasisStatus
    col_st = np.array([int(s) for s in hb.col_status])
    row_st = np.array([int(s) for s in hb.row_status])
    status = np.concatenate([col_st, row_st])
    basic = np.flatnonzero(status == int(B.kBasic))
    if basic.size != m:
        raise LPSolverError(f"HiGHS basis has {basic.size} basic variables, expected {m}")
    at_upper = status == int(B.kUpper)
    Bm = extended_matrix(S)[:, basic].toarray()
    try:
        Binv = sla.inv(Bm)
    except (sla.LinAlgError, ValueError) as e:
        raise LPSolverError(f"reference basis matrix is singular: {e}") from e
    obj = float(h.getInfo().objective_function_value)
    return Basis(basic=jnp.asarray(basic, jnp.int32), at_upper=jnp.asarray(at_upper), Binv=jnp.asarray(Binv)), obj
