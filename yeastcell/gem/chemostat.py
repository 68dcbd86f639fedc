"""Chemostat and maximal-growth simulations of a (possibly enzyme-constrained) GEM.

Chemostat protocol (GECKO's, Sánchez et al. 2017 Mol Syst Biol 13:935; Chen et al. 2024 Nat
Protoc): at each dilution rate ``D`` (h⁻¹) the growth reaction is fixed to ``μ = D``, the
limiting substrate's uptake is opened and **minimised**; then, with the uptake held at that
minimum (relaxed by ``rel_tol``), the enzyme drawn from the pool is minimised (a second LP that
picks the most protein-economical of the equally substrate-economical flux distributions; skipped
for a plain GEM, which has no pool). The exchange fluxes of that solution are the prediction.
Secretion of by-products that the cells do not make in quantity is limited as GECKO limits it for
its simulations (`GECKO_UNMEASURED_SECRETION`): without the limits the enzyme-constrained model
overflows as acetaldehyde or pyruvate, whose export costs no enzyme, where the cells secrete ethanol.
Below the critical dilution rate the minimum-uptake solution is fully respiratory; above it the
enzyme pool cannot pay for respiration's enzymes and the cell ferments (the Crabtree effect).

Fluxes in mmol gDW⁻¹ h⁻¹ (uptake negative, cobrapy's convention), growth in h⁻¹.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from yeastcell.exceptions import GemError, InfeasibleError
from yeastcell.gem import _highs
from yeastcell.gem.load import GEM, reaction_index
from yeastcell.gem.ribosome import Ribosome, ribosomal_fraction

__all__ = [
    "YEAST_GEM_EXCHANGES",
    "ChemostatSetup",
    "chemostat_fluxes",
    "chemostat_solutions",
    "critical_dilution_rate",
    "max_growth",
    "pool_for_growth",
    "ribosomal_fraction_for_growth",
]

#: Yeast-GEM exchange reactions of the chemostat data (GECKO's ``vanHoek1998.tsv`` header).
YEAST_GEM_EXCHANGES: Mapping[str, str] = {
    "glucose": "r_1714",
    "ethanol": "r_1761",
    "O2": "r_1992",
    "CO2": "r_1672",
    "acetate": "r_1634",
    "glycerol": "r_1808",
    "pyruvate": "r_2033",
}

#: Upper bounds (mmol gDW⁻¹ h⁻¹) on the secretion of by-products, GECKO's: acetaldehyde (r_1631) and
#: (R,R)-2,3-butanediol (r_1549) at 1e-5, GECKO 1's "unmeasured excretions" of its chemostat simulations
#: (Sánchez et al. 2017 Mol Syst Biol 13:935, ``limit_proteins/fixedModifications.m``); pyruvate
#: (r_2033) at 5e-2 and formate (r_1793) at 1e-2, the same file's closed exchanges.
GECKO_UNMEASURED_SECRETION: Mapping[str, float] = {"r_1631": 1e-5, "r_1549": 1e-5, "r_2033": 5e-2, "r_1793": 1e-2}


@dataclasses.dataclass(frozen=True)
class ChemostatSetup:
    """Which reactions a chemostat simulation fixes, minimises and reports.

    Attributes:
        growth: the growth (biomass) reaction, fixed to ``D``.
        substrate: the limiting substrate's exchange, uptake minimised.
        report: name → exchange reaction reported per ``D``.
        pool: the enzyme-pool supply reaction minimised in the second LP (``None``: skip).
        rel_tol: relative slack on the minimal uptake in the second LP.
        secretion_limits: exchange reaction → upper bound on its secretion (mmol gDW⁻¹ h⁻¹) during
            the chemostat simulation (default `GECKO_UNMEASURED_SECRETION`; ``{}``: none).
    """

    growth: str = "r_2111"
    substrate: str = "r_1714"
    report: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(YEAST_GEM_EXCHANGES))
    pool: str | None = "prot_pool_exchange"
    rel_tol: float = 1e-6
    secretion_limits: Mapping[str, float] = dataclasses.field(default_factory=lambda: dict(GECKO_UNMEASURED_SECRETION))


class _Chemostat:
    """Two HiGHS instances kept between dilution rates (bounds changed in place: warm starts)."""

    def __init__(self, gem: GEM, setup: ChemostatSetup, idx: dict):
        self.idx, self.setup = idx, setup
        lb, ub = gem.lb.copy(), gem.ub.copy()
        lb[idx["substrate"]] = min(lb[idx["substrate"]], -1000.0)
        _limit_secretion(ub, idx)
        self.lb, self.ub = lb, ub
        c = np.zeros(gem.n_reactions)
        c[idx["substrate"]] = 1.0  # maximise the (negative) exchange flux = minimise uptake
        self.h1 = _highs.make_highs_arrays(gem.S, lb, ub, c, "max")
        self.h2 = None
        if idx.get("pool") is not None:
            c2 = np.zeros(gem.n_reactions)
            c2[idx["pool"]] = 1.0
            self.h2 = _highs.make_highs_arrays(gem.S, lb, ub, c2, "min")

    def __call__(self, D: float) -> np.ndarray | None:
        g, s = self.idx["growth"], self.idx["substrate"]
        self.h1.changeColBounds(g, D, D)
        st, obj = _highs.solve(self.h1)
        if st != "optimal":  # a warm start that stalls: once more from scratch
            self.h1.clearSolver()
            st, obj = _highs.solve(self.h1)
        if st == "infeasible":
            return None
        if st != "optimal":
            raise GemError(f"chemostat at D = {D} h⁻¹: HiGHS stopped with status {st!r}")
        if self.h2 is None:
            return _highs.col_values(self.h1)
        slack = self.setup.rel_tol * max(abs(obj), 1e-9)
        self.h2.changeColBounds(g, D, D)
        self.h2.changeColBounds(s, obj - slack, self.ub[s])
        st, _ = _highs.solve(self.h2)
        if st != "optimal":
            self.h2.clearSolver()
            st, _ = _highs.solve(self.h2)
        if st != "optimal":
            raise GemError(f"chemostat protein minimisation at D = {D} h⁻¹: HiGHS stopped with status {st!r}")
        return _highs.col_values(self.h2)


def _limit_secretion(ub: np.ndarray, idx: dict) -> None:
    """Apply the setup's secretion limits (`_indices` ``"limits"``: (column, bound) pairs) to ``ub`` in place."""
    for j, bound in idx["limits"]:
        ub[j] = min(ub[j], bound)


def _indices(gem: GEM, setup: ChemostatSetup) -> dict:
    idx: dict = {
        "growth": reaction_index(gem, setup.growth),
        "substrate": reaction_index(gem, setup.substrate),
    }
    idx["pool"] = (
        gem.reaction_ids.index(setup.pool) if setup.pool is not None and setup.pool in gem.reaction_ids else None
    )
    for name, rid in setup.report.items():
        idx[f"report:{name}"] = reaction_index(gem, rid)
    for rid, bound in setup.secretion_limits.items():
        if not (math.isfinite(bound) and bound >= 0):
            raise ValueError(f"secretion limit of {rid!r} must be finite and >= 0 (mmol gDW⁻¹ h⁻¹), got {bound!r}")
    idx["limits"] = tuple((reaction_index(gem, rid), float(b)) for rid, b in setup.secretion_limits.items())
    return idx


def chemostat_solutions(
    gem: GEM, dilution_rates: Sequence[float], setup: ChemostatSetup | None = None
) -> list[np.ndarray | None]:
    """The full flux vector of ``gem`` (mmol gDW⁻¹ h⁻¹) of the chemostat protocol at each dilution
    rate (``None`` where the model cannot grow at ``D``); see :func:`chemostat_fluxes`.

    Raises:
        UnknownReactionError: a reaction of ``setup`` is not in ``gem``.
        ValueError: a negative or non-finite dilution rate.
    """
    setup = setup or ChemostatSetup()
    run = _Chemostat(gem, setup, _indices(gem, setup))
    out = []
    for D in dilution_rates:
        if not (math.isfinite(D) and D >= 0):
            raise ValueError(f"dilution rates must be finite and >= 0 (h⁻¹), got {D!r}")
        out.append(run(float(D)))
    return out


def chemostat_fluxes(gem: GEM, dilution_rates: Sequence[float], setup: ChemostatSetup | None = None) -> pd.DataFrame:
    """Predicted exchange fluxes of a substrate-limited chemostat at each dilution rate.

    Args:
        gem: the model (an enzyme-constrained ``ECModel.gem`` or a plain GEM) with its medium.
        dilution_rates: ``D`` values, h⁻¹.
        setup: reactions to fix, minimise and report (Yeast-GEM's glucose chemostat by default).

    Returns:
        One row per ``D`` (index ``D``), a column per reported exchange (mmol gDW⁻¹ h⁻¹) and
        ``feasible`` (False where the model cannot grow at ``D``: its fluxes are NaN).

    Raises:
        UnknownReactionError: a reaction of ``setup`` is not in ``gem``.
        ValueError: a negative or non-finite dilution rate.
    """
    setup = setup or ChemostatSetup()
    idx = _indices(gem, setup)
    rows = []
    for x in chemostat_solutions(gem, dilution_rates, setup):
        row = {name: (float(x[idx[f"report:{name}"]]) if x is not None else math.nan) for name in setup.report}
        row["feasible"] = x is not None
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index([float(d) for d in dilution_rates], name="D"))


def critical_dilution_rate(
    gem: GEM,
    setup: ChemostatSetup | None = None,
    *,
    product: str | Sequence[str] = "ethanol",
    threshold: float = 0.05,
    d_max: float = 0.5,
    tol: float = 1e-4,
) -> float:
    """The dilution rate (h⁻¹) above which ``product`` is secreted (> ``threshold``), by bisection.

    ``product`` names a reported exchange of ``setup``, or several (their summed secretion).

    Returns ``nan`` when nothing is secreted at any ``D`` up to the largest feasible one below
    ``d_max`` (as for a plain GEM with unlimited oxygen).

    Raises:
        InfeasibleError: the model cannot grow even at ``D = tol``.
    """
    setup = setup or ChemostatSetup()
    idx = _indices(gem, setup)
    products = [product] if isinstance(product, str) else list(product)
    col = np.array([idx[f"report:{p}"] for p in products])
    run = _Chemostat(gem, setup, idx)

    def secretes(D: float) -> bool | None:
        x = run(D)
        return None if x is None else bool(np.sum(x[col]) > threshold)

    lb, ub = gem.lb.copy(), gem.ub.copy()
    lb[idx["substrate"]] = min(lb[idx["substrate"]], -1000.0)
    _limit_secretion(ub, idx)
    st, mu_max, _ = max_growth(gem.replace(lb=lb, ub=ub))
    if st != "optimal" or mu_max <= tol:
        raise InfeasibleError(f"the model cannot grow (status {st!r}; check the medium and the enzyme pool)")
    lo, hi = tol, min(d_max, mu_max * (1 - 1e-6))
    if secretes(lo):
        return 0.0
    if not secretes(hi):
        return math.nan
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if secretes(mid) is not False:  # secretes, or (numerically) infeasible at the edge
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def max_growth(gem: GEM) -> tuple[str, float, np.ndarray | None]:
    """Maximal objective (growth, h⁻¹) of ``gem`` with its bounds: ``(status, growth, fluxes)``.

    The status is ``"optimal"``, ``"infeasible"`` (no growth possible: growth reported 0.0) or
    another HiGHS status (growth NaN: a failed solve, never a silent number).
    """
    h = _highs.make_highs(gem)
    st, obj = _highs.solve(h)
    if st == "optimal":
        return st, obj, _highs.col_values(h)
    if st == "infeasible":
        return st, 0.0, None
    return st, math.nan, None


def pool_for_growth(
    ec,
    target_growth: float,
    *,
    substrate: str = "r_1714",
    growth: str = "r_2111",
    lo: float = 1e-3,
    hi: float = 1.0,
    tol: float = 1e-9,
    max_iter: int = 50,
) -> float:
    """The pool bound ``P`` (g gDW⁻¹) at which ``ec`` (an :class:`~yeastcell.gem.enzyme.ECModel`)
    grows at most at ``target_growth`` (h⁻¹) with ``substrate`` uptake unlimited.

    Maximal growth rises monotonically with ``P`` (a larger pool only relaxes the LP), so the
    answer is the smallest pool that allows ``target_growth``: one LP, growth fixed to the target,
    pool supply minimised. With ribosomes priced (``ec.ribosome``) their coefficient in the pool row
    is ``σ·ρ`` with ``σ = P / (Ptot·(f + f_r − φ_idle))``, so the pool and its own coefficient are solved
    together: the fixed point ``P = minpool(P)`` by secant steps on ``minpool(P) − P`` (exact in
    two steps when the protein flux is fixed by ``μ``, as with Yeast-GEM's fixed biomass), to a
    relative ``tol``.

    Raises:
        InfeasibleError: the target needs a pool outside ``(lo, hi]`` g gDW⁻¹, or the fixed point
            does not converge in ``max_iter`` steps (the ribosomes alone would need the whole pool).
    """
    from yeastcell.gem.enzyme import POOL_REACTION, with_pool

    def min_pool(model) -> float:
        g = model.gem
        i, k, p = reaction_index(g, substrate), reaction_index(g, growth), reaction_index(g, POOL_REACTION)
        lb, ub = g.lb.copy(), g.ub.copy()
        lb[i] = min(lb[i], -1000.0)
        lb[k] = ub[k] = target_growth
        lb[p], ub[p] = 0.0, hi
        c = np.zeros(g.n_reactions)
        c[p] = 1.0
        st, P = _highs.solve(_highs.make_highs_arrays(g.S, lb, ub, c, "min"))
        if st != "optimal" or not (lo < P <= hi):
            raise InfeasibleError(
                f"growth {target_growth} h⁻¹ is not reached for a pool bound in ({lo}, {hi}] g/gDW "
                f"(minimal pool: {'none, the LP is ' + st if st != 'optimal' else f'{P:.4g} g/gDW'})"
            )
        return float(P)

    if getattr(ec, "ribosome_column", -1) < 0:
        return min_pool(ec)
    # h(P) = minpool(P) - P; minpool grows with P (the ribosome's coefficient σ·ρ does) at a slope < 1
    x0 = ec.pool_bound
    h0 = min_pool(ec) - x0
    x1 = x0 + h0
    for _ in range(max_iter):
        if not (lo < x1 <= hi):
            break
        h1 = min_pool(with_pool(ec, x1)) - x1
        if abs(h1) <= tol * x1:
            return float(x1 + h1) if lo < x1 + h1 <= hi else float(x1)
        slope = (h1 - h0) / (x1 - x0) if x1 != x0 else -1.0
        x0, h0 = x1, h1
        x1 = x1 - h1 / slope if slope < 0 else x1 + h1  # secant; a plain fixed-point step otherwise
    raise InfeasibleError(
        f"growth {target_growth} h⁻¹: no self-consistent pool bound in ({lo}, {hi}] g/gDW with the ribosomes "
        f"priced (last tried {x1:.4g} g/gDW)"
    )


def ribosomal_fraction_for_growth(
    gem: GEM,
    ribosome: Ribosome,
    growth_rate: float,
    total_protein: float,
    *,
    substrate: str = "r_1714",
    growth: str = "r_2111",
) -> float:
    """The ribosomal mass fraction of the proteome (translating and idle) that ``ribosome`` (a
    :class:`~yeastcell.gem.ribosome.Ribosome`) needs at ``growth_rate`` (h⁻¹) in ``gem`` (a plain
    GEM): :func:`~yeastcell.gem.ribosome.ribosomal_fraction` at the smallest protein-reaction flux
    that allows the growth rate (one LP, ``substrate`` uptake unlimited; with a fixed biomass
    composition the flux is ``μ`` times the biomass protein).

    Passed as ``enzyme_constrained(..., ribosomal_mass_fraction=...)`` with the growth rate the pool is
    calibrated to, the pool holds at that growth rate exactly the enzymes' measured share ``f`` and the
    ribosomes the model needs there.

    Raises:
        UnknownReactionError: a reaction is not in ``gem`` (close matches named).
        InfeasibleError: ``gem`` cannot grow at ``growth_rate``.
        ValueError: a negative or non-finite growth rate.
    """
    if not (math.isfinite(growth_rate) and growth_rate >= 0):
        raise ValueError(f"growth_rate must be finite and >= 0 (h⁻¹), got {growth_rate!r}")
    i, k = reaction_index(gem, substrate), reaction_index(gem, growth)
    p = reaction_index(gem, ribosome.protein_reaction)
    lb, ub = gem.lb.copy(), gem.ub.copy()
    lb[i] = min(lb[i], -1000.0)
    lb[k] = ub[k] = growth_rate
    c = np.zeros(gem.n_reactions)
    c[p] = 1.0
    st, v = _highs.solve(_highs.make_highs_arrays(gem.S, lb, ub, c, "min"))
    if st != "optimal":
        raise InfeasibleError(f"the model cannot grow at {growth_rate} h⁻¹ (HiGHS status {st!r})")
    return ribosomal_fraction(gem, ribosome, max(float(v), 0.0), total_protein)
