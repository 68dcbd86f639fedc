"""Status codes of the JAX LP engine (one ``int8`` per LP in a batch).

``OPTIMAL``: the returned point passed the KKT check (primal residual, bound
violation and reduced-cost signs within tolerance, see
:func:`yeastcell.gem.lp.simplex.dual_simplex`). ``INFEASIBLE``: the dual
simplex found a row whose bound cannot be met by any nonbasic move (a Farkas
certificate: the bounds admit no flux distribution). ``NOT_CONVERGED``: the
pivot limit was reached, or the final point failed the KKT check; the numbers
are then not an optimum and are reported as NaN.

There is no "unbounded" status: the engine requires finite bounds (checked on
input), and an LP with finite bounds is never unbounded.
"""

from __future__ import annotations

import numpy as np

OPTIMAL = 0
INFEASIBLE = 1
NOT_CONVERGED = 2

NAMES = {OPTIMAL: "optimal", INFEASIBLE: "infeasible", NOT_CONVERGED: "not_converged"}


def status_names(codes) -> np.ndarray:
    """Status strings (``"optimal"``, ``"infeasible"``, ``"not_converged"``) for codes."""
    codes = np.asarray(codes)
    out = np.empty(codes.shape, dtype=object)
    for k, name in NAMES.items():
        out[codes == k] = name
    return out.astype(str)
