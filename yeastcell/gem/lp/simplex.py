"""Bounded dual simplex in JAX (float64, one LP; ``jax.vmap`` it for a batch).

Solves ``min d·x  s.t.  A x = 0,  lb <= x <= ub`` with ``A = [S, -I]`` (see
:mod:`yeastcell.gem.lp.problem`) from a dual-feasible starting basis (see
:mod:`yeastcell.gem.lp.basis`). The basis inverse is kept explicitly and
updated by a rank-one (product-form) step per pivot, so one pivot costs
``O(m²)``: fine for GEMs (``m`` ≈ 2 800 for Yeast-GEM) on a GPU, and a few ms
per pivot on a CPU.

One iteration: primal values of the basic variables from the nonbasic ones at
their bounds; leaving row = largest bound violation; Harris two-pass ratio
test on the pivot row (eligible nonbasic columns whose move reduces the
violation, largest pivot among those within the relaxed step); rank-one
update of ``B⁻¹``, the basic values and the reduced costs. Stops when no basic
variable violates its bounds by more than ``tol`` (optimal), when a violated
row admits no improving column *and* the best move of all nonbasic variables
over their boxes cannot reach the bound (a checked Farkas certificate:
infeasible), or at ``max_iter`` pivots.

The pivots run in rounds of at most ``refresh_every``: each round starts from
basic values recomputed from ``B⁻¹`` with one step of iterative refinement and
from recomputed reduced costs, and a verdict only counts when a round reaches
it without pivoting. The incremental updates drift (Yeast-GEM bases have
condition numbers near 1e10), and on drifted values the loop chased bound
violations of ~1e-9 that are not there: lethal knockouts then took 2–4× more
pivots, stalled with no eligible column, or cycled to ``max_iter``.

Two safeguards follow HiGHS's practice in spirit: a pivot whose value from the
column (``(B⁻¹ a_q)_r``) and from the row (``(e_rᵀ B⁻¹) a_q``) disagree means
``B⁻¹`` has lost accuracy, and a solve still without a verdict after
``restart_after`` pivots is likely cycling on dual degeneracy. Either restarts
the solve, once, from the exact starting basis with slightly perturbed costs
(distinct reduced costs break the ratio-test ties). On Yeast-GEM this rescued
GSH1/GSH2 (cycling) and ERG10 (an inaccurate pivot) on the synthetic complete
medium.

Polishing and verification: the final primal point gets one step of iterative
refinement (``x_B -= B⁻¹ A x``), then the KKT conditions are checked with the
sparse ``A`` in float64: ``‖A x‖∞``, bound violations and wrong-signed reduced
costs all ``<= check_tol``. A point that passes is ``OPTIMAL`` (also when the
loop stalled on a violation between ``tol`` and ``check_tol`` with no eligible
column); one that fails is ``NOT_CONVERGED`` (its numbers
become NaN), never reported as an optimum.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from yeastcell.gem.lp import status as st
from yeastcell.gem.lp.basis import Basis
from yeastcell.gem.lp.problem import LPArrays

__all__ = ["LPResult", "dual_simplex"]

_RUNNING, _DONE_OPT, _DONE_INF, _STUCK, _TROUBLE = -1, 0, 1, 2, 3


class LPResult(eqx.Module):
    """Result of one LP (leading batch axis under ``vmap``).

    Attributes:
        x: ``(n,)`` fluxes, mmol gDW⁻¹ h⁻¹; NaN unless ``status == OPTIMAL``.
        objective: ``c·x`` in the model's sense (growth, h⁻¹); NaN unless optimal.
        status: :mod:`yeastcell.gem.lp.status` code.
        iterations: dual simplex pivots taken.
        basis: the final basis (warm start for the next, nearby LP).
        primal_residual: ``‖S x‖∞`` after polishing.
    """

    x: jax.Array
    objective: jax.Array
    status: jax.Array
    iterations: jax.Array
    basis: Basis
    primal_residual: jax.Array


def _primal(P: LPArrays, Binv, basic, is_basic, at_upper, lbx, ubx):
    xN = jnp.where(is_basic, 0.0, jnp.where(at_upper, ubx, lbx))
    xB = -Binv @ P.matvec(xN)
    return xN, xB


def _refined_primal(P: LPArrays, Binv, basic, is_basic, at_upper, lbx, ubx):
    """Basic values with one step of iterative refinement (``B⁻¹`` is inexact)."""
    xN, xB = _primal(P, Binv, basic, is_basic, at_upper, lbx, ubx)
    return xB - Binv @ P.matvec(xN.at[basic].set(xB))


def dual_simplex(
    P: LPArrays,
    lb: jax.Array,
    ub: jax.Array,
    start: Basis,
    *,
    max_iter: int = 20_000,
    tol: float = 1e-9,
    pivot_tol: float = 1e-9,
    check_tol: float = 1e-7,
    refresh_every: int = 100,
    restart_after: int = 2_000,
    perturbation: float = 1e-8,
) -> LPResult:
    """Solve one LP with bounds ``lb``, ``ub`` (``(n,)``, finite) from ``start``.

    Args:
        P: shared LP data.
        lb, ub: structural bounds, mmol gDW⁻¹ h⁻¹.
        start: a basis that is dual feasible for ``P.d`` (e.g. an optimal basis
            of the same LP with other bounds).
        max_iter: pivot limit (``NOT_CONVERGED`` beyond it).
        tol: primal feasibility tolerance of the pivoting rule.
        pivot_tol: smallest pivot-row entry accepted in the ratio test.
        check_tol: tolerance of the final KKT check.
        refresh_every: pivots between recomputations of the primal values and
            reduced costs from the basis inverse (they are updated incrementally
            in between); every verdict is also confirmed on fresh values.
        restart_after: pivots without a verdict after which the solve restarts
            from ``start`` with perturbed costs: a dual-degenerate LP can make
            the dual simplex cycle, and distinct reduced costs break the ties.
        perturbation: relative size of that cost perturbation (each cost moves
            by ``(0.5..1.5) × perturbation × (1 + |d_j|)`` in the direction that
            keeps ``start`` dual feasible). The final KKT check uses the true
            costs, so a perturbed optimum is only reported when it is optimal
            within ``check_tol``.
    """
    m = P.m
    zeros_m = jnp.zeros(m, dtype=lb.dtype)
    lbx = jnp.concatenate([lb, zeros_m])
    ubx = jnp.concatenate([ub, zeros_m])
    fixed = ubx <= lbx
    is_basic0 = jnp.zeros(P.n_total, dtype=bool).at[start.basic].set(True)
    eye_rows = jnp.arange(m)
    columns = jnp.arange(P.n_total)

    def body(state):
        Binv, basic, is_basic, at_upper, xB, z, it, _ = state
        xN = jnp.where(is_basic, 0.0, jnp.where(at_upper, ubx, lbx))
        lo, hi = lbx[basic] - xB, xB - ubx[basic]
        infeas = jnp.maximum(jnp.maximum(lo, hi), 0.0)
        r = jnp.argmax(infeas)
        optimal = infeas[r] <= tol
        below = lo[r] > 0
        rho = Binv[r]
        alpha = P.rmatvec(rho)
        a = jnp.where(below, -alpha, alpha)  # > 0: raising a variable at its lower bound helps
        g = jnp.where(at_upper, -a, a)
        cand = ~is_basic & ~fixed & (g > pivot_tol)
        z_eff = jnp.maximum(jnp.where(at_upper, -z, z), 0.0)
        gs = jnp.where(cand, g, 1.0)
        tmax = jnp.min(jnp.where(cand, (z_eff + tol) / gs, jnp.inf))
        ok = cand & (z_eff / gs <= tmax)
        q = jnp.argmax(jnp.where(ok, g, -1.0)).astype(basic.dtype)
        has = jnp.any(cand)
        # Farkas check: best reachable value of the violated row over the nonbasic boxes
        gain = jnp.where(is_basic, 0.0, jnp.maximum(a * (ubx - xN), a * (lbx - xN)))
        certified = jnp.sum(gain) < infeas[r] - tol * (1.0 + jnp.max(jnp.abs(alpha)))
        code = jnp.where(optimal, _DONE_OPT, jnp.where(has, _RUNNING, jnp.where(certified, _DONE_INF, _STUCK)))
        u = P.column_times(Binv, q)
        # the pivot from the column (u[r]) and from the row (alpha[q]) must agree;
        # otherwise B^-1 has lost accuracy and the update would wreck it
        bad_pivot = ~(jnp.abs(u[r] - alpha[q]) <= 1e-6 * (1.0 + jnp.abs(alpha[q])))
        code = jnp.where((code == _RUNNING) & bad_pivot, _TROUBLE, code)
        go = code == _RUNNING
        piv = jnp.where(go, u[r], 1.0)
        # primal step: the leaving variable lands on its violated bound
        target = jnp.where(below, lbx[basic[r]], ubx[basic[r]])
        theta_p = (xB[r] - target) / piv
        xB_new = (xB - theta_p * u).at[r].set(xN[q] + theta_p)
        # dual step: the entering reduced cost becomes zero
        theta_d = z[q] / jnp.where(go, alpha[q], 1.0)
        z_new = (z - theta_d * alpha).at[q].set(0.0)
        e_r = (eye_rows == r).astype(u.dtype)
        p = basic[r]
        Binv = Binv - jnp.outer(jnp.where(go, (u - e_r) / piv, 0.0), rho)
        xB = jnp.where(go, xB_new, xB)
        z = jnp.where(go, z_new.at[p].set(-theta_d), z)
        basic = jnp.where(go, basic.at[r].set(q), basic)
        is_basic = jnp.where(go, is_basic.at[p].set(False).at[q].set(True), is_basic)
        at_upper = jnp.where(go, at_upper.at[p].set(~below).at[q].set(False), at_upper)
        return (Binv, basic, is_basic, at_upper, xB, z, it + go.astype(it.dtype), code.astype(jnp.int32))

    at_upper0 = start.at_upper & ~is_basic0
    # costs perturbed away from dual degeneracy at the start basis (sign kept, so
    # the start stays dual feasible), used after a restart (see restart_after)
    jitter = 0.5 + jnp.modf(columns * 0.6180339887498949)[0]
    push = jnp.where(is_basic0, 0.0, jnp.where(at_upper0, -1.0, 1.0))
    d_perturbed = P.d + push * perturbation * (1.0 + jnp.abs(P.d)) * jitter

    def round_(outer):
        # fresh primal values and reduced costs from the current inverse (the loop
        # updates them incrementally and they drift), then at most refresh_every pivots
        (Binv, basic, is_basic, at_upper, _, _, it, _), _, restarted = outer
        restart = ((it >= restart_after) | (outer[0][7] == _TROUBLE)) & ~restarted
        Binv = jnp.where(restart, start.Binv, Binv)
        basic = jnp.where(restart, start.basic, basic)
        is_basic = jnp.where(restart, is_basic0, is_basic)
        at_upper = jnp.where(restart, at_upper0, at_upper)
        restarted = restarted | restart
        d = jnp.where(restarted, d_perturbed, P.d)
        xB = _refined_primal(P, Binv, basic, is_basic, at_upper, lbx, ubx)
        z = d - P.rmatvec(Binv.T @ d[basic])
        stop = jnp.minimum(it + refresh_every, max_iter)
        state = (Binv, basic, is_basic, at_upper, xB, z, it, jnp.asarray(_RUNNING, jnp.int32))
        state = jax.lax.while_loop(lambda s: (s[7] == _RUNNING) & (s[6] < stop), body, state)
        return state, state[6] - it, restarted

    def unfinished(outer):
        # a verdict counts only when reached from fresh values without pivoting
        state, pivots, restarted = outer
        return (state[6] < max_iter) & ((state[7] == _RUNNING) | (pivots > 0) | ((state[7] == _TROUBLE) & ~restarted))

    zeros_n = jnp.zeros(P.n_total, dtype=lb.dtype)
    init = (
        start.Binv,
        start.basic,
        is_basic0,
        at_upper0,
        zeros_m,
        zeros_n,
        jnp.asarray(0, jnp.int32),
        jnp.asarray(_RUNNING, jnp.int32),
    )
    (Binv, basic, is_basic, at_upper, _, _, it, code), _, _ = jax.lax.while_loop(
        unfinished, round_, (init, jnp.asarray(1, jnp.int32), jnp.asarray(False))
    )

    # polish: one step of iterative refinement, then the KKT check
    xB = _refined_primal(P, Binv, basic, is_basic, at_upper, lbx, ubx)
    x = jnp.where(is_basic, 0.0, jnp.where(at_upper, ubx, lbx)).at[basic].set(xB)
    res = jnp.max(jnp.abs(P.matvec(x)))
    viol = jnp.max(jnp.maximum(jnp.maximum(lbx - x, x - ubx), 0.0))
    y = Binv.T @ P.d[basic]
    z = P.d - P.rmatvec(y)
    wrong = jnp.where(is_basic | fixed, 0.0, jnp.maximum(jnp.where(at_upper, z, -z), 0.0))
    scale = 1.0 + jnp.max(jnp.abs(P.d))
    kkt_ok = (res <= check_tol) & (viol <= check_tol) & (jnp.max(wrong) <= check_tol * scale)
    status = jnp.where(
        code == _DONE_INF, st.INFEASIBLE, jnp.where((code != _RUNNING) & kkt_ok, st.OPTIMAL, st.NOT_CONVERGED)
    )
    good = status == st.OPTIMAL
    xs = jnp.where(good, x[: P.n], jnp.nan)
    obj = jnp.where(good, P.c @ x[: P.n], jnp.nan)
    return LPResult(
        x=xs,
        objective=obj,
        status=status.astype(jnp.int8),
        iterations=it,
        basis=Basis(basic=basic, at_upper=at_upper, Binv=Binv),
        primal_residual=res,
    )
