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


CI_METHOD = "Fisher information (Gauss–Newton), log-parameter scale"


def confidence_intervals(
    f: Fittable,
    data,
    level: float = 0.95,
    sigma_log2: float = 0.2,
    options=None,
    mapping=None,
    gradient: str = "fd",
    max_rel_sd: float = 0.1,
) -> dict:
    """Approximate confidence intervals of the fitted mechanistic parameters of `f` (Laplace /
    Wald intervals from the Fisher information at the optimum, `fisher_information`).

    With sd_k the standard deviation of log θ_k from F⁻¹ (F = JᵀJ of the weighted residuals, the
    Gauss–Newton approximation of the Hessian of the negative log-likelihood, noise `sigma_log2` as
    in the fit), the interval is θ_k · exp(± z sd_k), z the normal quantile of `level`: symmetric on
    the log scale, asymmetric in θ. It assumes the model is right, the noise level is `sigma_log2`
    and the likelihood is close to quadratic in log θ around the optimum. A parameter that loads on
    a flat direction of F (eigenvalue below 1e-8 of the largest) gets no interval (bounds None): the
    pseudo-inverse would report a small sd there. A wide interval (sd above `max_rel_sd`) is
    reported, with ``identifiable`` False.

    Returns:
        ``{"method": ..., "level": level, "sigma_log2": ..., "parameters": {name: {"value",
        "lower", "upper", "sd_log", "identifiable"}}}`` (core units), JSON-serialisable.
    """
    from scipy.stats import norm

    if not 0.0 < level < 1.0:
        raise SimulationInputError(f"level must be in (0, 1), got {level!r}")
    ident = fisher_information(
        f, data, sigma_log2=sigma_log2, options=options, max_rel_sd=max_rel_sd, mapping=mapping, gradient=gradient
    )
    z = float(norm.ppf(0.5 + level / 2.0))
    values = np.asarray(f.theta_values(), dtype=float)
    w, V = np.linalg.eigh(ident.fisher)
    flat = w < 1e-8 * max(float(w.max()), 1e-300)
    loads_flat = (np.abs(V[:, flat]) > 0.1).any(axis=1) if flat.any() else np.zeros(len(values), bool)
    out = {}
    for k, name in enumerate(ident.names):
        sd = float(ident.sd_log[k])
        ok = bool(np.isfinite(sd) and not loads_flat[k])
        out[name] = {
            "value": float(values[k]),
            "lower": float(values[k] * np.exp(-z * sd)) if ok else None,
            "upper": float(values[k] * np.exp(z * sd)) if ok else None,
            "sd_log": sd if ok else None,
            "identifiable": bool(ident.identifiable[k]),
        }
    return {
        "method": f"{round(100 * level, 6):g} % CI from the {CI_METHOD}",
        "level": level,
        "sigma_log2": sigma_log2,
        "parameters": out,
    }
