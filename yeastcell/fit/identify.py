"""Practical identifiability from the Fisher information of a fit.

With weighted residuals r(z) (z = log θ for log-scale parameters) and J = ∂r/∂z (central
differences or forward sensitivities through the solver), the Fisher information is F = JᵀJ
(+ the prior's curvature).
Its inverse approximates the covariance of the estimates: sd_k = sqrt((F⁻¹)_kk) is the standard
deviation of log θ_k, i.e. roughly the relative uncertainty of θ_k. A parameter is flagged
non-identifiable when sd_k exceeds `max_rel_sd` (default 0.1, i.e. about ±10 %), or when it loads on
an eigen-direction of F whose eigenvalue is below `rcond` × the largest (a flat valley of the fit).
"""

from __future__ import annotations

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..exceptions import SimulationInputError
from ..solvers import SolverOptions
from .params import Fittable
from .problem import build_problem, weighted_residuals
from .sensitivity import residual_jacobian


@dataclass(frozen=True)
class Identifiability:
    """Fisher-information summary: names, sd of log θ, identifiable flags, F and its eigenvalues."""

    names: tuple[str, ...]
    sd_log: np.ndarray
    identifiable: np.ndarray
    fisher: np.ndarray
    eigenvalues: np.ndarray

    def table(self):
        import pandas as pd

        return pd.DataFrame({"sd_log": self.sd_log, "identifiable": self.identifiable}, index=list(self.names))


def fisher_information(
    f: Fittable,
    data,
    sigma_log2: float = 0.2,
    options=None,
    max_rel_sd: float = 0.1,
    rcond: float = 1e-8,
    mapping=None,
    gradient: str = "fd",
) -> Identifiability:
    """Fisher information of the mechanistic parameters of `f` (e.g. ``FitResult.fittable``) for `data`.

    `gradient`: "fd" (central differences, one vmapped batch) or "forward" (`jax.jacfwd` through the
    solver); see `yeastcell.fit.sensitivity`.

    Raises:
        SimulationInputError: `f` fits no mechanistic parameters, or the simulation fails.
    """
    import dataclasses

    import diffrax

    if not f.params:
        raise SimulationInputError("fisher_information needs a Fittable with mechanistic parameters")
    opts = options or SolverOptions(rtol=1e-6, atol=1e-9, max_steps=20_000)
    if gradient not in ("fd", "forward"):
        raise SimulationInputError(f"gradient must be 'fd' or 'forward', got {gradient!r}")
    if gradient == "forward":
        opts = dataclasses.replace(opts, adjoint=diffrax.ForwardMode())
    problem = build_problem(f.model, data, sigma_log2, mapping)
    idx = jnp.arange(len(problem.conditions))

    # sensitivities with respect to log θ (not z) so sd is a relative uncertainty, whatever the bounds:
    # J_logθ[:, k] = J_z[:, k] / (dlogθ_k/dz_k). Perturbing z (unconstrained) keeps every
    # finite-difference lane inside the bounds, also for a parameter that ended at one (a
    # non-identifiable one often does); a parameter saturated at its bound (dlogθ/dz ~ 0) gets a zero
    # column, i.e. no information, and is flagged.
    @eqx.filter_jit
    def jac(z):
        def res(z):
            g = eqx.tree_at(lambda m: m.z, f, z)
            r, ok = weighted_residuals(g, problem, idx, opts)
            return jnp.concatenate([r, g.prior_residuals()]), ok

        _, Jz, ok = residual_jacobian(res, z, gradient)
        dlog = jnp.diag(jax.jacfwd(lambda x: jnp.log(eqx.tree_at(lambda m: m.z, f, x).theta_values()))(z))
        live = jnp.abs(dlog) > 1e-12
        return jnp.where(live, Jz / jnp.where(live, dlog, 1.0), 0.0), ok

    J, ok = jac(f.z)
    J = np.asarray(J)
    if not (np.all(np.asarray(ok)) and np.isfinite(J).all()):
        raise SimulationInputError("the simulation failed (or gave non-finite sensitivities) at these parameters")
    F = J.T @ J
    w, V = np.linalg.eigh(F)
    cov = np.linalg.pinv(F, rcond=rcond, hermitian=True)
    sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
    flat = w < rcond * max(w.max(), 1e-300)
    loads = (np.abs(V[:, flat]) > 0.1).any(axis=1) if flat.any() else np.zeros(len(sd), bool)
    ident = (sd <= max_rel_sd) & ~loads
    return Identifiability(tuple(p.name for p in f.params), sd, ident, F, w)
