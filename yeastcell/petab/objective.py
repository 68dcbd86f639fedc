"""The negative log-likelihood and chi² of a PEtab problem as functions of the estimated
parameters on their scales, jitted, with gradients by `jax.grad` through the solver.

Noise models (per observable): ``normal`` or ``laplace`` of the transformed value h(y), h = lin,
log or log10 (v1 ``observableTransformation``; v2 ``log-normal`` = normal on log):

* normal:  log L_i = -½ log(2π) - log σ_i - ½ r_i² - J_i
* laplace: log L_i = -log(2 σ_i) - |r_i| - J_i

with r_i = (h(m_i) - h(y_i)) / σ_i and J_i the log-Jacobian of h at the measurement (0 for lin,
log m_i for log, log(m_i ln 10) for log10); chi² = Σ r_i². Priors (`yeastcell.petab.priors`)
enter `neg_log_posterior` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..solvers import SolverOptions
from ..status import Status
from .errors import PetabError
from .math import TIME_NAMES, Formula, compile_formula
from .model import default_options
from .priors import parameter_log_prior
from .simulate import Simulator

_LOG_2PI = math.log(2 * math.pi)
_LN10 = math.log(10.0)


def to_scale(x, scale: str):
    """Linear value -> parameter scale (``lin``, ``log``, ``log10``)."""
    return {"lin": lambda v: v, "log": jnp.log, "log10": jnp.log10}[scale](x)


def from_scale(x, scale: str):
    """Parameter scale -> linear value."""
    return {"lin": lambda v: v, "log": jnp.exp, "log10": lambda v: 10.0**v}[scale](x)


@dataclass(frozen=True)
class Evaluation:
    """The objective's parts at one parameter vector (numpy, measurement-table order).

    Attributes:
        llh: log-likelihood (NaN when a simulation failed: see `status`).
        chi2: sum of squared weighted residuals (NaN when a simulation failed).
        log_prior: log-prior of each estimated parameter that has one (v2: implicit uniform too).
        simulations: simulated observable value of each measurement row (model units).
        sigma: noise standard deviation (scale parameter for laplace) of each row, on the
            transformed scale.
        status: `yeastcell.status.Status` code of each row's simulation (0 = success).
    """

    llh: float
    chi2: float
    log_prior: dict[str, float]
    simulations: np.ndarray
    sigma: np.ndarray
    status: np.ndarray

    @property
    def ok(self) -> bool:
        return bool(np.all(self.status == Status.SUCCESS))

    @property
    def unnorm_log_posterior(self) -> float:
        return self.llh + sum(self.log_prior.values())


class _Overrides:
    """Placeholder values of one observable's rows: numbers, parameter ids or formulas."""

    def __init__(self, rows, values, placeholders, pindex, where):
        n, k = len(rows), len(placeholders)
        self.const = np.zeros((n, k))
        self.idx = np.full((n, k), -1, dtype=int)
        self.formulas: list[tuple[int, int, Formula]] = []
        for a, (row, vals) in enumerate(zip(rows, values)):
            if len(vals) != k:
                raise PetabError(
                    f"{where}: measurement row {row + 1} gives {len(vals)} value(s) for {k} placeholder(s) "
                    f"{list(placeholders)}"
                )
            for b, expr in enumerate(vals):
                if expr.is_number:
                    self.const[a, b] = float(expr)
                elif expr.is_Symbol and str(expr) in pindex:
                    self.idx[a, b] = pindex[str(expr)]
                else:
                    f = compile_formula(expr)
                    for nm in f.args:
                        if nm not in pindex:
                            raise PetabError(f"{where}: measurement row {row + 1}: override uses unknown {nm!r}")
                    self.formulas.append((a, b, f))

    def values(self, pv, pv_env):
        out = jnp.where(self.idx >= 0, pv[np.maximum(self.idx, 0)], self.const)
        for a, b, f in self.formulas:
            out = out.at[a, b].set(f(pv_env))
        return out


class Objective:
    """The objective of a `PetabProblem` (see module docstring).

    Call `nllh(x)`, `chi2(x)`, `neg_log_posterior(x)` or `value_and_grad(x)` with x the
    estimated parameters on their scales, in the order of `x_ids`; `evaluate(x)` returns every
    part. All are jitted (compiled on the first call). A failed simulation makes `nllh` +inf.
    """

    def __init__(self, problem, options: SolverOptions | None = None):
        self.problem = problem
        tables = problem.tables
        self.options = options or default_options()
        self.sim = Simulator(problem.model, tables, self.options, problem.path)
        self.parameters = tables.parameters
        self.pindex = {p.id: i for i, p in enumerate(self.parameters)}
        self.x_ids = tuple(p.id for p in self.parameters if p.estimate)
        self._est = np.array([i for i, p in enumerate(self.parameters) if p.estimate], dtype=int)
        self._nominal = np.array([p.nominal for p in self.parameters], dtype=float)
        bad = [p.id for p in self.parameters if not p.estimate and not math.isfinite(p.nominal)]
        if bad:
            raise PetabError(f"{problem.path}: fixed parameter(s) {bad} have no nominal value")
        ms = tables.measurements
        self.values = np.array([m.value for m in ms], dtype=float)
        self.times = np.array([m.time for m in ms], dtype=float)
        obs = {o.id: o for o in tables.observables}
        unknown = sorted({m.observable for m in ms} - set(obs))
        if unknown:
            raise PetabError(f"{problem.path}: measurements of unknown observable(s) {unknown}")
        self._obs = []
        for o in tables.observables:
            rows = np.array([m.row for m in ms if m.observable == o.id], dtype=int)
            if not len(rows):
                continue
            f, s = compile_formula(o.formula), compile_formula(o.noise)
            where = f"{problem.path}: observable {o.id!r}"
            placeholders = set(o.observable_placeholders) | set(o.noise_placeholders)
            self.sim._check_names(f, where, placeholders)
            self.sim._check_names(s, where, placeholders | {o.id})  # v2: sigma may use the observable's value
            ov = _Overrides(
                rows, [ms[r].observable_parameters for r in rows], o.observable_placeholders, self.pindex, where
            )
            nv = _Overrides(rows, [ms[r].noise_parameters for r in rows], o.noise_placeholders, self.pindex, where)
            self._obs.append((o, rows, f, s, ov, nv))
        if o_bad := [m.row + 1 for m in ms if o_bad_value(m.value, obs[m.observable].transformation)]:
            raise PetabError(
                f"{problem.path}: measurement row(s) {o_bad[:10]}: values must be positive for a log-transformed observable"
            )
        self.scales = tuple(self.parameters[i].scale for i in self._est)
        self.lb = np.array([_scaled(self.parameters[i].lb, self.parameters[i].scale) for i in self._est])
        self.ub = np.array([_scaled(self.parameters[i].ub, self.parameters[i].scale) for i in self._est])
        self.x_nominal = np.array([_scaled(self.parameters[i].nominal, self.parameters[i].scale) for i in self._est])
        self._jit_parts = eqx.filter_jit(self._parts)
        self._jit_nllh = jax.jit(self._nllh)
        self._jit_vg = jax.jit(jax.value_and_grad(self._nllh))
        self._jit_post = jax.jit(self._neg_log_posterior)
        self._jit_post_vg = jax.jit(jax.value_and_grad(self._neg_log_posterior))

    # ------------------------------------------------------------------------------ traced
    def parameter_values(self, x):
        """All problem parameters on the linear scale (parameter-table order) from x."""
        x = jnp.asarray(x, dtype=float)
        lin = jnp.stack([from_scale(x[k], s) for k, s in enumerate(self.scales)]) if len(self.scales) else x
        return jnp.asarray(self._nominal).at[self._est].set(lin)

    def _parts(self, x, model=None):
        pv = self.parameter_values(x)
        pv_env = {p.id: pv[i] for i, p in enumerate(self.parameters)}
        seen, status = self.sim(pv, model)
        n = len(self.values)
        ysim = jnp.zeros(n)
        sigma = jnp.ones(n)
        llh = jnp.zeros(n)
        chi2 = jnp.zeros(n)
        mindex = self.sim.model.index
        aliases = self.problem.tables.aliases
        for o, rows, f, s, ov, nv in self._obs:
            env = dict(pv_env)
            needed = set(f.args) | set(s.args)
            for nm in needed:
                k = mindex.get(aliases.get(nm, nm))
                if k is not None:
                    env[nm] = seen[rows, k]
            env["time"] = jnp.asarray(self.times[rows])
            if o.observable_placeholders:
                ovals = ov.values(pv, pv_env)
                env.update({name: ovals[:, b] for b, name in enumerate(o.observable_placeholders)})
            if o.noise_placeholders:
                nvals = nv.values(pv, pv_env)
                env.update({name: nvals[:, b] for b, name in enumerate(o.noise_placeholders)})
            y = jnp.broadcast_to(f(env), rows.shape)
            env[o.id] = y
            sd = jnp.broadcast_to(s(env), rows.shape)
            m = jnp.asarray(self.values[rows])
            h = {"lin": lambda v: v, "log": jnp.log, "log10": jnp.log10}[o.transformation]
            jac = {"lin": 0.0, "log": jnp.log(m), "log10": jnp.log(m) + math.log(_LN10)}[o.transformation]
            r = (h(m) - h(y)) / sd
            if o.distribution == "normal":
                li = -0.5 * _LOG_2PI - jnp.log(sd) - 0.5 * r**2 - jac
            else:
                li = -jnp.log(2 * sd) - jnp.abs(r) - jac
            ysim = ysim.at[rows].set(y)
            sigma = sigma.at[rows].set(sd)
            llh = llh.at[rows].set(li)
            chi2 = chi2.at[rows].set(r**2)
        return ysim, sigma, llh, chi2, status

    def _log_prior(self, x):
        implicit = self.problem.version.startswith("2")
        out = {}
        pv = self.parameter_values(x)
        for k, i in enumerate(self._est):
            par = self.parameters[i]
            v = parameter_log_prior(par, pv[i], jnp.asarray(x, dtype=float)[k], implicit)
            if v is not None:
                out[par.id] = v
        return out

    def _nllh(self, x, model=None):
        _, _, llh, _, status = self._parts(x, model)
        return jnp.where(jnp.all(status == Status.SUCCESS), -jnp.sum(llh), jnp.inf)

    def _neg_log_posterior(self, x):
        lp = self._log_prior(x)
        return self._nllh(x) - sum(lp.values(), jnp.asarray(0.0))

    # ------------------------------------------------------------------------------ public
    def _x(self, x) -> jnp.ndarray:
        x = np.asarray(x, dtype=float).reshape(-1)
        if x.shape != (len(self.x_ids),):
            raise PetabError(
                f"expected {len(self.x_ids)} estimated parameter values {list(self.x_ids)}, got {x.shape[0]}"
            )
        if not np.all(np.isfinite(x)):
            raise PetabError(f"parameter vector has non-finite values: {dict(zip(self.x_ids, x))}")
        return jnp.asarray(x)

    def nllh(self, x) -> float:
        """Negative log-likelihood at x (+inf when a simulation failed)."""
        return float(self._jit_nllh(self._x(x)))

    def neg_log_posterior(self, x) -> float:
        """Negative log-likelihood minus the log-priors at x."""
        return float(self._jit_post(self._x(x)))

    def value_and_grad(self, x, posterior: bool = False) -> tuple[float, np.ndarray]:
        """(nllh, d nllh / dx) at x by `jax.grad` through the solver (or of the neg. log-posterior)."""
        fn = self._jit_post_vg if posterior else self._jit_vg
        v, g = fn(self._x(x))
        return float(v), np.asarray(g)

    def evaluate(self, x=None) -> Evaluation:
        """Every part of the objective at x (default: the nominal values)."""
        x = self.x_nominal if x is None else x
        ysim, sigma, llh, chi2, status = self._jit_parts(self._x(x))
        status = np.asarray(status)
        ok = bool(np.all(status == Status.SUCCESS))
        lp = {k: float(v) for k, v in self._log_prior(self._x(x)).items()}
        return Evaluation(
            float(jnp.sum(llh)) if ok else math.nan,
            float(jnp.sum(chi2)) if ok else math.nan,
            lp,
            np.asarray(ysim),
            np.asarray(sigma),
            status,
        )


def o_bad_value(value: float, transformation: str) -> bool:
    return transformation != "lin" and not value > 0


def _scaled(v: float, scale: str) -> float:
    if scale == "lin" or not math.isfinite(v):
        return v
    if v <= 0:
        return -math.inf
    return math.log(v) if scale == "log" else math.log10(v)


__all__ = ["Evaluation", "Objective", "TIME_NAMES", "from_scale", "to_scale"]
