"""Flux balance analysis of a :class:`~yeastcell.gem.load.GEM` with HiGHS.

``optimize`` is the single-LP entry point: it returns the optimum or raises a
typed error. Batches of perturbations go through
:func:`yeastcell.gem.screen.knockout_screen`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from yeastcell.exceptions import InfeasibleError, LPSolverError
from yeastcell.gem import _highs
from yeastcell.gem.load import GEM

__all__ = ["FBASolution", "optimize"]


@dataclasses.dataclass(frozen=True, eq=False)
class FBASolution:
    """An optimal flux distribution.

    Attributes:
        objective: optimal objective value (h⁻¹ when the objective is growth).
        fluxes: ``(n_reactions,)`` flux vector, mmol gDW⁻¹ h⁻¹.
        reaction_ids: ids aligned with ``fluxes``.
    """

    objective: float
    fluxes: np.ndarray
    reaction_ids: tuple[str, ...]

    def flux(self, reaction_id: str) -> float:
        """Flux of one reaction, mmol gDW⁻¹ h⁻¹."""
        return float(self.fluxes[self.reaction_ids.index(reaction_id)])


def optimize(gem: GEM, *, tolerance: float = 1e-9) -> FBASolution:
    """Solve the FBA LP of ``gem`` (its bounds and objective) with HiGHS.

    Args:
        gem: the model, with medium and perturbations already in its bounds.
        tolerance: primal/dual feasibility tolerance of the simplex.

    Returns:
        The optimum.

    Raises:
        InfeasibleError: no flux distribution satisfies the bounds.
        LPSolverError: HiGHS stopped for another reason (unbounded, limits).
    """
    h = _highs.make_highs(gem, tolerance=tolerance)
    status, obj = _highs.solve(h)
    if status == "infeasible":
        raise InfeasibleError("the FBA problem is infeasible (check the medium and bounds)")
    if status != "optimal":
        raise LPSolverError(f"HiGHS stopped with status {status!r}")
    return FBASolution(objective=obj, fluxes=_highs.col_values(h), reaction_ids=gem.reaction_ids)
