"""A Rosenbrock (linearly implicit) stiff solver for diffrax, and the default solver settings.

Why: the core model is small (33 states) and very stiff (Jacobian eigenvalues down to about -1e6/min
from the fast adenylate-kinase and TPI mass-action constants). diffrax's ESDIRK solvers (Kvaerno*)
solve one nonlinear system per stage with a chord iteration (nested while loops, several RHS
evaluations per stage, step rejections when the iteration stalls). A Rosenbrock method needs no
iteration: per step one Jacobian (`jax.jacfwd`), one LU factorisation and one triangular solve and
one RHS evaluation per stage. On small stiff systems at moderate tolerances this is what
CVODE-class codes and Julia's `Rodas*` are fast at.

`Rodas4P` is the stiffly accurate, L-stable order-4 method of Steinebach (1995) with an embedded
order-3 error estimate and a continuous (order 3) extension used for `SaveAt(ts=...)`. Coefficients
are the published ones (Hairer & Wanner, Solving ODEs II, Sect. IV.7 form: stage values from
``a``, Jacobian couplings ``C``, time-derivative weights ``d``, dense-output weights ``h``).

It plugs into `diffrax.diffeqsolve` as any adaptive solver: step-size control, events, saving and
`RecursiveCheckpointAdjoint` gradients work unchanged.

Compile time: by default the five stages after the first run as one `lax.scan` over the rows of the
tableau, so the right-hand side appears once in the compiled step instead of five times (on the
205-species whole cell this is what keeps the first compile under a minute; benchmarks/RESULTS.md).
``Rodas4P(stage_loop=False)`` unrolls the stages in Python (the same arithmetic, summed in another
order: results agree to round-off).
"""

from __future__ import annotations

from typing import ClassVar

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
import optimistix as optx
from diffrax._local_interpolation import AbstractLocalInterpolation

from . import sparse_lu
from .cell_term import CellTerm
from .jacobian import column_colors
from .sparse_lu import SPARSE_LU_MAX_STATES as SPARSE_LU_MAX_STATES
from .sparse_lu import SPARSE_LU_MIN_BATCH as SPARSE_LU_MIN_BATCH

# ---- Rodas4P tableau (gamma = 1/4) --------------------------------------------------------------
_GAMMA = 0.25
_A = (
    (3.0,),
    (1.831036793486759, 0.4955183967433795),
    (2.304376582692669, -0.05249275245743001, -1.176798761832782),
    (-7.170454962423024, -4.741636671481785, -16.31002631330971, -1.062004044111401),
)
_C = (
    (-12.0,),
    (-8.791795173947035, -2.207865586973518),
    (10.81793056857153, 6.780270611428266, 19.53485944642410),
    (34.19095006749676, 15.49671153725963, 54.74760875964130, 14.16005392148534),
    (34.62605830930532, 15.30084976114473, 56.99955578662667, 18.40807009793095, -5.714285714285717),
)
_CT = (0.0, 0.75, 0.21, 0.63, 1.0, 1.0)  # stage abscissae
_D = (0.25, -0.5, -0.023504, -0.0362, 0.0, 0.0)  # time-derivative weights
_H = (
    (25.09876703708589, 11.62013104361867, 28.49148307714626, -5.664021568594133, 0.0),
    (1.638054557396973, -0.7373619806678748, 8.477918219238990, 15.99253148779520, -1.882352941176471),
)


def _stage_tables():
    """The tableau of stages 2..6 as padded (5, 6) arrays for the stage loop: row i-1 gives stage i's
    state y_i = y0 + Σ_j a[i-1, j] k_j and its coupling Σ_j c[i-1, j] k_j / dt (k_j = 0 for j >= i).
    Stage 6 starts from stage 5's state plus k_5 (stiffly accurate), so its row is A[3] + e_4."""
    a = np.zeros((5, 6))
    c = np.zeros((5, 6))
    for i in range(1, 6):
        a[i - 1, : len(_A[min(i, 4) - 1])] = _A[min(i, 4) - 1]
        c[i - 1, :i] = _C[i - 1]
    a[4, 4] = 1.0
    return a, c


_A_PAD, _C_PAD = _stage_tables()

LINEAR_SOLVERS = ("auto", "dense", "sparse", "batched")


class _RodasInterpolation(AbstractLocalInterpolation):
    """y(θ) = (1-θ) y0 + θ (y1 + (1-θ)(k1 + θ k2)), θ = (t - t0)/(t1 - t0)."""

    t0: jax.Array  # type: ignore[misc]  # diffrax declares t0/t1 as AbstractVar; a field implements them at run time
    t1: jax.Array  # type: ignore[misc]  # diffrax declares t0/t1 as AbstractVar; a field implements them at run time
    y0: jax.Array
    y1: jax.Array
    k: jax.Array  # (2, n)

    def evaluate(self, t0, t1=None, left=True):
        del left
        if t1 is not None:
            return self.evaluate(t1) - self.evaluate(t0)
        dt = self.t1 - self.t0
        th = jnp.where(dt == 0, 0.0, (t0 - self.t0) / jnp.where(dt == 0, 1.0, dt))
        th1 = 1.0 - th
        return th1 * self.y0 + th * (self.y1 + th1 * (self.k[0] + th * self.k[1]))


class Rodas4P(diffrax.AbstractAdaptiveSolver):
    """Rodas4P Rosenbrock solver (order 4, embedded order 3, L-stable, stiffly accurate).

    For a single `diffrax.ODETerm` whose state is a 1-D array. The Jacobian is dense (`jax.jacfwd`)
    and factorised once per step (LU).
    """

    term_structure: ClassVar = diffrax.AbstractTerm
    interpolation_cls: ClassVar = _RodasInterpolation
    # optional Jacobian sparsity pattern (n x n bools, see `jacobian_sparsity`): the Jacobian is
    # then built from one JVP per column colour (14 instead of 33 for the core model)
    sparsity: tuple[tuple[bool, ...], ...] | None = eqx.field(static=True, default=None)
    # stages 2..6 as one lax.scan (the right-hand side compiled once per step, not five times)
    stage_loop: bool = eqx.field(static=True, default=True)
    # "dense": LAPACK LU with partial pivoting (fastest for one trajectory); "sparse": LU with a
    # planned pivot order on W's nonzero pattern (yeastcell/solvers/sparse_lu.py; fastest for large vmapped
    # batches; a step whose factorisation is untrustworthy is rejected and retried smaller). Without a
    # known pattern (no `sparsity`, a term without `w_pattern`) "sparse" falls back to "dense".
    # "auto" is "dense" here; `solvers.batch_options` turns it into "batched" for large batches: "sparse"
    # for systems of at most SPARSE_LU_MAX_STATES states, else "dense".
    linear_solver: str = eqx.field(static=True, default="auto")
    # False: reverse- and forward-mode derivatives treat the step's Jacobian (and ∂f/∂t) as constants
    # (`lax.stop_gradient`), so differentiating a step needs no second derivatives of the right-hand
    # side. The forward solution is unchanged; the derivative is then that of a Rosenbrock step with a
    # frozen matrix (a W-method view), accurate to the discretisation error rather than to round-off.
    # See docs/hybrid.md for the measured cost and accuracy.
    differentiate_jacobian: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        if self.linear_solver not in LINEAR_SOLVERS:
            raise ValueError(f"linear_solver must be one of {LINEAR_SOLVERS}, got {self.linear_solver!r}")

    def _jacobian(self, fn, y):
        if self.sparsity is None:
            return jax.jacfwd(fn)(y)
        pattern = np.asarray(self.sparsity, dtype=bool)
        colors = column_colors(pattern)
        seeds = np.zeros((colors.max() + 1, pattern.shape[1]))
        seeds[colors, np.arange(pattern.shape[1])] = 1.0
        compressed = jax.vmap(lambda s: jax.jvp(fn, (y,), (s,))[1])(jnp.asarray(seeds, dtype=y.dtype))
        return jnp.where(pattern, compressed[colors].T, 0.0)

    def order(self, terms):
        return 4

    def init(self, terms, t0, t1, y0, args):
        return None

    def func(self, terms, t0, y0, args):
        return terms.vf(t0, y0, args)

    def step(self, terms, t0, t1, y0, args, solver_state, made_jump):
        del solver_state, made_jump
        # A zero-length step (a finished lane of a vmapped solve, an empty segment) would divide by
        # zero; its result is discarded, but inf/NaN there poisons reverse-mode gradients (0 · inf).
        zero = (t1 - t0) == 0
        dt = jnp.where(zero, 1.0, t1 - t0)

        def f(t, y):
            return terms.vf(t, y, args)

        inner = getattr(terms, "term", terms)  # diffeqsolve wraps terms (forward direction here)
        structured = isinstance(inner, CellTerm)  # a cell's term with its structured Jacobian
        if structured:  # f, ∂f/∂t and the Jacobian from one vmapped JVP (the rates compiled once for them)
            f0, dT, J = inner.linearise(t0, y0, args)
        else:
            f0, dT = jax.jvp(lambda t: f(t, y0), (t0,), (jnp.ones_like(t0),))
            J = self._jacobian(lambda y: f(t0, y), y0)
        if not self.differentiate_jacobian:
            J, dT = jax.lax.stop_gradient(J), jax.lax.stop_gradient(dT)
        n = y0.shape[0]
        W = jnp.eye(n, dtype=y0.dtype) / (_GAMMA * dt) - J
        solve, lu_ok = self._factor(W, inner.w_pattern if structured else None)
        inv_dt = 1.0 / dt

        k1 = solve(f0 + (_D[0] * dt) * dT)
        if self.stage_loop:
            y1, ks = self._stages_scan(f, solve, t0, dt, inv_dt, y0, dT, k1)
        else:
            y1, ks = self._stages_unrolled(f, solve, t0, dt, inv_dt, y0, dT, k1)
        y1 = jnp.where(zero, y0, y1)
        # an untrustworthy sparse factorisation rejects the step (the controller retries smaller)
        y_error = jnp.where(zero, 0.0, jnp.where(lu_ok, ks[5], jnp.inf))
        kd = jnp.where(zero, 0.0, jnp.stack([sum(h * k for h, k in zip(row, ks[:5])) for row in _H]))
        dense_info = {"y0": y0, "y1": y1, "k": kd}
        return y1, y_error, dense_info, None, diffrax.RESULTS.successful

    def _factor(self, W, term_pattern):
        """(solve, ok): a function x = W⁻¹ rhs and whether the factorisation can be trusted."""
        pattern = self.sparsity if self.sparsity is not None else term_pattern
        sparse = self.linear_solver == "sparse" or (
            self.linear_solver == "batched" and W.shape[0] <= SPARSE_LU_MAX_STATES
        )
        if sparse and pattern is not None:
            slu = sparse_lu.analyse(tuple(tuple(bool(b) for b in row) for row in pattern))
            values, ok = slu.factor(W)
            return (lambda rhs: slu.solve(values, rhs)), ok
        lu = jsl.lu_factor(W)
        return (lambda rhs: jsl.lu_solve(lu, rhs)), jnp.asarray(True)

    @staticmethod
    def _stages_scan(f, solve, t0, dt, inv_dt, y0, dT, k1):
        """Stages 2..6 as a scan over tableau rows; returns (y1, (k1, ..., k6))."""
        n = y0.shape[0]
        ks0 = jnp.zeros((6, n), dtype=y0.dtype).at[0].set(k1)
        xs = (
            jnp.arange(1, 6),
            jnp.asarray(_A_PAD, dtype=y0.dtype),
            jnp.asarray(_C_PAD, dtype=y0.dtype),
            jnp.asarray(_CT[1:], dtype=y0.dtype),
            jnp.asarray(_D[1:], dtype=y0.dtype),
        )

        def stage(ks, row):
            i, a, c, ct, d = row
            y = y0 + a @ ks
            rhs = f(t0 + ct * dt, y) + (c * inv_dt) @ ks + jnp.where(d == 0, 0.0, (d * dt) * dT)
            return ks.at[i].set(solve(rhs)), y

        ks, ys = jax.lax.scan(stage, ks0, xs)
        return ys[4] + ks[5], [ks[i] for i in range(6)]

    @staticmethod
    def _stages_unrolled(f, solve, t0, dt, inv_dt, y0, dT, k1):
        """Stages 2..6 unrolled in Python (the right-hand side traced five times)."""
        ks = [k1]
        for i in range(1, 6):
            if i < 5:
                y = y0 + sum(a * k for a, k in zip(_A[i - 1], ks))
            else:
                y = y + ks[4]  # stiffly accurate: stage 6 starts from stage 5's solution
            fi = f(t0 + _CT[i] * dt, y)
            rhs = fi + sum((c * inv_dt) * k for c, k in zip(_C[i - 1], ks))
            if _D[i]:
                rhs = rhs + (_D[i] * dt) * dT
            ks.append(solve(rhs))
        return y + ks[5], ks


def esdirk(solver_cls=diffrax.Kvaerno5, newton_rtol: float = 1e-5, newton_atol: float = 1e-8):
    """An ESDIRK solver (Kvaerno*/KenCarp*) whose chord iteration has its own tolerances.

    diffrax's default ties the chord-iteration tolerances to the step controller's rtol/atol; at
    rtol 1e-7 the iteration then often fails to converge within its 10 steps, each failure is a
    rejected step, and the step size collapses (core model, teusink2000, 100 min: 2101 accepted +
    779 rejected steps; with these defaults 539 + 69, same accuracy).
    """
    return solver_cls(root_finder=diffrax.VeryChord(rtol=newton_rtol, atol=newton_atol, norm=optx.rms_norm))
