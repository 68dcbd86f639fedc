"""Log-densities of parameter priors (PEtab v2 ``priorDistribution``, v1 ``objectivePrior*``),
traceable in JAX; a v2 prior is truncated to the parameter's bounds (normalised by the prior's
mass within them, computed once with scipy), and an estimated v2 parameter without a prior has the
uniform prior on its bounds. Values are on the linear scale, or on the parameter's scale for v1
``parameterScale*`` priors."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
from scipy import stats

from .tables import Parameter, Prior

_LOG_2PI = math.log(2 * math.pi)


def _scipy_dist(kind: str, a: tuple[float, ...]):
    """The scipy distribution of a prior (for its mass within the bounds)."""
    if kind == "uniform":
        return stats.uniform(a[0], a[1] - a[0])
    if kind == "normal":
        return stats.norm(a[0], a[1])
    if kind == "laplace":
        return stats.laplace(a[0], a[1])
    if kind == "log-normal":
        return stats.lognorm(s=a[1], scale=math.exp(a[0]))
    if kind == "log-laplace":
        return stats.loglaplace(c=1 / a[1], scale=math.exp(a[0]))
    if kind == "log-uniform":
        return stats.loguniform(a[0], a[1])
    if kind == "cauchy":
        return stats.cauchy(a[0], a[1])
    if kind == "chisquare":
        return stats.chi2(a[0])
    if kind == "exponential":
        return stats.expon(scale=a[0])
    if kind == "gamma":
        return stats.gamma(a[0], scale=a[1])
    if kind == "rayleigh":
        return stats.rayleigh(scale=a[0])
    raise ValueError(kind)


def logpdf(kind: str, a: tuple[float, ...], x):
    """Log-density of prior `kind` with parameters `a` at `x` (traceable)."""
    if kind == "uniform":
        inside = (x >= a[0]) & (x <= a[1])
        return jnp.where(inside, -math.log(a[1] - a[0]), -jnp.inf)
    if kind == "normal":
        return -0.5 * _LOG_2PI - math.log(a[1]) - 0.5 * ((x - a[0]) / a[1]) ** 2
    if kind == "laplace":
        return -math.log(2 * a[1]) - jnp.abs(x - a[0]) / a[1]
    if kind == "log-normal":
        lx = jnp.log(x)
        return -0.5 * _LOG_2PI - math.log(a[1]) - lx - 0.5 * ((lx - a[0]) / a[1]) ** 2
    if kind == "log-laplace":
        lx = jnp.log(x)
        return -math.log(2 * a[1]) - lx - jnp.abs(lx - a[0]) / a[1]
    if kind == "log-uniform":
        inside = (x >= a[0]) & (x <= a[1])
        return jnp.where(inside, -jnp.log(x) - math.log(math.log(a[1] / a[0])), -jnp.inf)
    if kind == "cauchy":
        return -math.log(math.pi * a[1]) - jnp.log1p(((x - a[0]) / a[1]) ** 2)
    if kind == "chisquare":
        k = a[0]
        return (k / 2 - 1) * jnp.log(x) - x / 2 - (k / 2) * math.log(2) - math.lgamma(k / 2)
    if kind == "exponential":
        return -math.log(a[0]) - x / a[0]
    if kind == "gamma":
        k, th = a
        return (k - 1) * jnp.log(x) - x / th - math.lgamma(k) - k * math.log(th)
    if kind == "rayleigh":
        s = a[0]
        return jnp.log(x) - 2 * math.log(s) - x**2 / (2 * s**2)
    raise ValueError(kind)


def log_normaliser(prior: Prior, lb: float, ub: float) -> float:
    """log of the prior's mass within [lb, ub] (0 for an untruncated prior)."""
    if not prior.truncated:
        return 0.0
    d = _scipy_dist(prior.kind, prior.params)
    mass = float(d.cdf(ub) - d.cdf(lb)) if math.isfinite(ub) or math.isfinite(lb) else 1.0
    return math.log(mass) if mass > 0 else -math.inf


def parameter_log_prior(par: Parameter, x_lin, x_scaled, implicit_uniform: bool):
    """Log-prior of one estimated parameter at its linear value `x_lin` (and scaled value);
    None when it has no prior (and no implicit uniform one)."""
    prior = par.prior
    if prior is None:
        if implicit_uniform and math.isfinite(par.lb) and math.isfinite(par.ub):
            return jnp.where((x_lin >= par.lb) & (x_lin <= par.ub), -math.log(par.ub - par.lb), -jnp.inf)
        return None
    x = x_scaled if prior.on_scale else x_lin
    value = logpdf(prior.kind, prior.params, x)
    if prior.truncated:
        value = jnp.where(
            (x_lin >= par.lb) & (x_lin <= par.ub), value - log_normaliser(prior, par.lb, par.ub), -jnp.inf
        )
    return value


def check_prior(par: Parameter) -> str | None:
    """Why a prior cannot be used (wrong number of parameters, bad values), or None."""
    p = par.prior
    if p is None:
        return None
    need = 1 if p.kind in ("chisquare", "exponential", "rayleigh") else 2
    if len(p.params) != need:
        return f"prior {p.kind} of parameter {par.id!r} needs {need} parameter(s), got {len(p.params)}"
    if not all(np.isfinite(p.params)):
        return f"prior {p.kind} of parameter {par.id!r} has non-finite parameters {p.params}"
    return None
