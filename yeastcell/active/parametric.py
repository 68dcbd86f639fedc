"""A learner whose hypotheses are mechanistic: unknown multipliers of kinetic parameters (Laplace / RTO).

:class:`ParameterLearner` is the kinetic model itself with unknown log multipliers
``u_k = log(θ_k / θ_k,nominal)`` on chosen parameters (e.g. the Vmax of the enzymes of the genes
the loop may perturb: :func:`vmax_parameters`; the learner is not told which of them changed):

* prior ``u ~ N(0, prior_sd² I)`` (natural-log units: sd 0.5 is a factor ×/÷ 1.65);
* observation model on the log scale: ``log ȳ = log f(u; condition, t) + b_obs + ε``, ε ~ N(0,
  noise_sd²) for the replicate mean ȳ of each measured (condition, time, observable), and
  ``b_obs ~ N(0, offset_sd²)`` one systematic offset per observable shared by every experiment
  (a lab's batch or calibration offsets, which replicate means do not average out; ``offset_sd=0``:
  none). The offsets are nuisance parameters: fitted jointly with u, then marginalised, so members
  and predictions are the cell's own observables (no offset), and the posterior of u is widened
  along the directions an offset could also explain;
* maximum a posteriori (MAP) estimate of (u, b) by Levenberg–Marquardt on the log residuals, with
  sensitivities ``∂ log f / ∂u`` by forward differences: every (parameter step, condition) pair is
  one lane of a single vmapped solve. (`jax.jacfwd` through the solver with `diffrax.ForwardMode`
  took 530 s to compile for the core model on the shared 2-core machine, against 64 s for the
  plain vmapped solve; with ~6 % measurement noise a 1e-3 difference step is ample.);
* ensemble members are posterior samples: ``posterior="laplace"`` (default) draws
  ``u ~ N(u_MAP, H⁻¹)``, ``H = JᵀJ/σ² + I/prior_sd²`` at the MAP (the Gauss–Newton Hessian; with
  offsets, the Schur complement of their block: the precision of u's marginal), so the members
  disagree most along parameter directions the data have not pinned down;
  ``posterior="rto"`` (randomize-then-optimize) refits from the MAP, for a few LM steps, to data
  perturbed with noise and a prior anchor drawn from the prior (exact for a linear model, a
  better approximation than Laplace when the posterior is skewed, several solves more per member).

The MAP and H of a dataset are computed once and cached (keyed by the data's content), so the
members of one ensemble cost one fit. A fitted member is a :class:`ParameterModel` (parameter names
and log multipliers); ``as_cell`` turns it into a `Cell` with those parameters, i.e. a `HybridCell`
with trainable mechanistic parameters and no residual. Predictions simulate that cell for each
condition (``base + condition``), in fixed-size batches (one compilation).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..exceptions import SimulationInputError, SolverError, UnknownNameError
from ..io import atomic_path
from ..observe import ObservationModel
from ..perturb import resolve, stack
from ..perturb.notation import parse_perturbation, perturbation_key
from ..solvers import SolverOptions, check_times, solve
from .learners import condition_means

POSTERIORS = ("laplace", "rto")


def vmax_parameters(cell, genes: Sequence[str]) -> tuple[str, ...]:
    """The ``"<reaction>.Vmax"`` parameters of every reaction catalysed (per its gene rule) by `genes`.

    Raises:
        UnknownNameError: a gene the model does not know (close matches suggested).
    """
    by_name = {}
    for orf, name, sp in cell.genes:
        by_name[orf.upper()] = sp
        by_name[str(name).upper()] = sp
    wanted = set()
    for g in genes:
        if g.upper() not in by_name:
            raise UnknownNameError("gene", g, [n for _, n, _ in cell.genes])
        wanted.add(by_name[g.upper()])
    out = []
    for rxn, clauses in cell.enzyme_clauses:
        if any(sp in wanted for clause in clauses for sp in clause):
            name = f"{cell.reaction_ids[rxn]}.Vmax"
            if name in cell.theta_names:
                out.append(name)
    return tuple(sorted(set(out), key=cell.theta_names.index))


@dataclasses.dataclass(frozen=True)
class ParameterModel:
    """One fitted member: log multipliers (natural log) of the learner's parameters."""

    names: tuple[str, ...]
    log_mult: np.ndarray

    @property
    def multipliers(self) -> dict[str, float]:
        """Parameter -> multiplier of its nominal value."""
        return {n: float(np.exp(v)) for n, v in zip(self.names, self.log_mult)}


class _Forward(eqx.Module):
    """Log observables of one condition as a traceable function of the log multipliers."""

    cell: eqx.Module
    om: eqx.Module
    ts: jnp.ndarray
    idx: tuple[int, ...] = eqx.field(static=True)
    n_drop: int = eqx.field(static=True)
    floor: float = eqx.field(static=True)
    options: eqx.Module = eqx.field(static=True)

    def with_params(self, u):
        sel = np.zeros((self.cell.theta.shape[0], len(self.idx)))  # static one-hot: scatter-free
        sel[np.asarray(self.idx), np.arange(len(self.idx))] = 1.0
        theta = self.cell.theta * jnp.exp(jnp.asarray(sel) @ u)
        return eqx.tree_at(lambda m: m.theta, self.cell, theta)

    def __call__(self, u, cond):
        cell = self.with_params(u)
        conc, status = solve(cell, cond, self.ts, self.options)
        ok = (status == 0) & jnp.all(jnp.isfinite(conc))
        conc = jnp.where(ok, conc, 1.0)
        flux = jax.vmap(lambda c, t: cell.fluxes(c, t, cond.rate_scale))(conc, self.ts)
        y = self.om(conc, flux)[self.n_drop :]
        ok = ok & jnp.all(y > 0)
        return jnp.log(jnp.maximum(y, self.floor)), ok


@eqx.filter_jit
def _lanes(fwd: _Forward, U, conds):
    """Log observables and ok flags of many lanes, each with its own multipliers U[i] and condition."""
    return jax.vmap(fwd)(U, conds)


class ParameterLearner:
    """Mechanistic model with unknown parameter multipliers, Bayesian (see module docstring).

    Args:
        cell: the compiled model (the nominal parameters are the prior mean).
        parameters: `cell.theta_names` entries to learn (e.g. :func:`vmax_parameters`).
        times_min: sampling times (min) the loop measures (0 = start of the experiment).
        observables: what the lab measures (species, reactions or model observables; > 0).
        base: notation applied before every condition (e.g. ``"cond:aerobic_batch"``), or None.
        prior_sd: prior sd of each log multiplier (natural-log units).
        noise_sd: sd of the log replicate means (natural-log units: measurement noise over the
            replicates, plus batch effects unless `offset_sd` models them).
        offset_sd: prior sd (natural-log units) of one systematic offset per observable shared by
            all experiments (module docstring); 0: no offsets.
        posterior: "laplace" or "rto" (module docstring).
        max_iter: Levenberg–Marquardt iterations of the MAP fit.
        rto_steps: LM iterations per member for ``posterior="rto"``.
        chunk: lanes (condition × multiplier vector) per simulated batch (padded: one compilation).
        fd_step: forward-difference step in the log multipliers.
        options: `SolverOptions` (default rtol 1e-6, atol 1e-9: far below the ~6 % measurement noise).
        tol: the MAP fit stops when an accepted step lowers ½χ² (+ prior) by less than this.
        check_conditions: conditions every member must solve (e.g. the loop's candidates and
            held-out set). A posterior draw whose simulation fails for one of them (e.g. glycolysis
            collapsing under a strong knockdown at a low sampled Vmax) is rejected and redrawn, i.e.
            the posterior is restricted to parameters where the model solves these conditions.
        max_draws: draws per member before the last draw is pulled toward the MAP until it solves
            (with a warning); `SolverError` if even the MAP fails a check condition.

    Raises:
        UnknownNameError: an unknown parameter or observable (close matches suggested).
        SimulationInputError: bad times, widths, posterior or chunk.
    """

    def __init__(
        self,
        cell,
        parameters: Sequence[str],
        times_min,
        observables: Sequence[str],
        base: str | None = None,
        prior_sd: float = 0.5,
        noise_sd: float = 0.07,
        offset_sd: float = 0.0,
        posterior: str = "laplace",
        max_iter: int = 20,
        rto_steps: int = 3,
        chunk: int = 32,
        options=None,
        floor: float = 1e-9,
        fd_step: float = 1e-3,
        tol: float = 1e-3,
        check_conditions: Sequence[str] = (),
        max_draws: int = 50,
    ):

        if isinstance(parameters, str) or not parameters or len(set(parameters)) != len(tuple(parameters)):
            raise SimulationInputError("parameters must be a non-empty list of unique parameter names")
        for p in parameters:
            if p not in cell.theta_names:
                raise UnknownNameError("parameter", p, cell.theta_names)
        idx = tuple(cell.theta_names.index(p) for p in parameters)
        if not np.all(np.asarray(cell.theta)[list(idx)] > 0):
            raise SimulationInputError("multipliers need positive nominal parameter values")
        for name, v in (("prior_sd", prior_sd), ("noise_sd", noise_sd)):
            if not (np.isfinite(v) and v > 0):
                raise SimulationInputError(f"{name} must be positive, got {v!r}")
        if not (np.isfinite(offset_sd) and offset_sd >= 0):
            raise SimulationInputError(f"offset_sd must be >= 0, got {offset_sd!r}")
        if posterior not in POSTERIORS:
            raise UnknownNameError("posterior", posterior, POSTERIORS)
        for name, v in (("max_iter", max_iter), ("rto_steps", rto_steps), ("chunk", chunk)):
            if isinstance(v, bool) or int(v) != v or v < 1:
                raise SimulationInputError(f"{name} must be an integer >= 1, got {v!r}")
        t = check_times(times_min)
        self.times_min = t
        self.observables = tuple(observables)
        grid = t if t[0] == 0.0 else np.concatenate([[0.0], t])
        om = ObservationModel.build(cell, list(self.observables))
        self.base = base.strip() if isinstance(base, str) and base.strip() else None
        if self.base is not None:
            parse_perturbation(self.base)
        opts = options or SolverOptions(rtol=1e-6, atol=1e-9)
        self.cell = cell
        self.parameters = tuple(parameters)
        self._fwd = _Forward(cell, om, jnp.asarray(grid), idx, int(grid.size - t.size), float(floor), opts)
        self.prior_sd = float(prior_sd)
        self.noise_sd = float(noise_sd)
        self.offset_sd = float(offset_sd)
        self.posterior = posterior
        self.max_iter = int(max_iter)
        self.rto_steps = int(rto_steps)
        self.chunk = int(chunk)
        if not (np.isfinite(fd_step) and 0 < fd_step < 0.1):
            raise SimulationInputError(f"fd_step must lie in (0, 0.1), got {fd_step!r}")
        self.fd_step = float(fd_step)
        if not (np.isfinite(tol) and tol > 0):
            raise SimulationInputError(f"tol must be positive, got {tol!r}")
        self.tol = float(tol)
        self.check_conditions = tuple(check_conditions)
        if int(max_draws) < 1:
            raise SimulationInputError(f"max_draws must be >= 1, got {max_draws!r}")
        self.max_draws = int(max_draws)
        self._conds: dict[str, object] = {}
        self._fits: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # ------------------------------------------------------------------ simulation
    def _condition(self, c: str):
        if c not in self._conds:
            self._conds[c] = resolve(self.cell, parse_perturbation(f"{self.base}+{c}" if self.base else c))
        return self._conds[c]

    def _run_lanes(self, U: np.ndarray, conditions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Log observables (n_lanes, n_t, n_obs) and ok flags of lanes (U[i], conditions[i]).

        Lanes run in fixed-size batches of `chunk` (the last one padded): one compilation."""
        conds = [self._condition(c) for c in conditions]
        ys, oks = [], []
        for start in range(0, len(conds), self.chunk):
            part = conds[start : start + self.chunk]
            u = U[start : start + self.chunk]
            pad = self.chunk - len(part)
            batch = stack(part + [part[-1]] * pad)
            u = np.concatenate([u, np.repeat(u[-1:], pad, axis=0)])
            y, ok = _lanes(self._fwd, jnp.asarray(u, dtype=jnp.float64), batch)
            ys.append(np.asarray(y)[: len(part)])
            oks.append(np.asarray(ok)[: len(part)])
        return np.concatenate(ys), np.concatenate(oks)

    def _check(self, ok, conditions, U):
        bad = [i for i, good in enumerate(ok) if not good]
        if bad:
            mult = dict(zip(self.parameters, np.round(np.exp(U[bad[0]]), 3)))
            raise SolverError(
                f"the parameter learner's simulation failed for {len(bad)} lane(s), first "
                f"{conditions[bad[0]]!r} at multipliers {mult}"
            )

    def log_predict_many(self, U, conditions: Sequence[str]) -> np.ndarray:
        """(n_members, n_cond, n_t, n_obs) log observables for every row of U (n_members, n_params).

        Raises:
            SolverError: a solve failed (condition and multipliers named).
        """
        U = np.atleast_2d(np.asarray(U, dtype=np.float64))
        keys = [perturbation_key(c) for c in conditions]
        unique = list(dict.fromkeys(keys))  # repeated runs (``#`` labels) are solved once
        lanes_u = np.repeat(U, len(unique), axis=0)
        lanes_c = unique * U.shape[0]
        y, ok = self._run_lanes(lanes_u, lanes_c)
        self._check(ok, lanes_c, lanes_u)
        y = y.reshape((U.shape[0], len(unique)) + y.shape[1:])
        if len(unique) == len(keys):
            return y
        pos = {k: i for i, k in enumerate(unique)}
        return y[:, [pos[k] for k in keys]]

    def log_predict(self, u, conditions: Sequence[str]) -> np.ndarray:
        """(n_cond, n_t, n_obs) log observables at log multipliers `u` (n_params,).

        Raises:
            SolverError: a condition's solve failed (named).
        """
        return self.log_predict_many(np.asarray(u)[None], conditions)[0]

    def _log_predict_safe(self, u, conditions):
        try:
            return self.log_predict(u, conditions)
        except SolverError:
            return None

    def sensitivities(self, u, conditions: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Log observables (n_cond, n_t, n_obs) and their Jacobian (n_cond, n_t, n_obs, n_params) at `u`.

        Forward differences of step `fd_step` in every log multiplier, all (parameter, condition)
        lanes in one batched solve.

        Raises:
            SolverError: a condition's solve failed (named).
        """
        u = np.asarray(u, dtype=np.float64)
        U = np.concatenate([u[None], u[None] + self.fd_step * np.eye(u.size)])
        Y = self.log_predict_many(U, conditions)
        J = np.moveaxis((Y[1:] - Y[0]) / self.fd_step, 0, -1)
        return Y[0], J

    # ------------------------------------------------------------------ fitting
    def _targets(self, data, weights):
        y, m = condition_means(data, self.times_min, self.observables)
        m = m & (y > 0)
        logy = np.log(np.where(m, y, 1.0))
        w = np.ones(len(data.conditions)) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (len(data.conditions),) or np.any(w < 0):
            raise SimulationInputError("weights must hold one non-negative number per condition")
        sw = np.sqrt(w)[:, None, None] * m / self.noise_sd  # residual weights (0 where unmeasured)
        return logy, sw

    @property
    def _n_offsets(self) -> int:
        return len(self.observables) if self.offset_sd > 0 else 0

    def _prior_precision(self) -> np.ndarray:
        """Diagonal prior precision of the fitted vector v = (u, b)."""
        return np.concatenate(
            [
                np.full(len(self.parameters), self.prior_sd**-2),
                np.full(self._n_offsets, self.offset_sd**-2 if self.offset_sd > 0 else 0.0),
            ]
        )

    def _sensitivities_v(self, v, conditions):
        """`sensitivities` of log f(u) + b in v = (u, b); the offsets' columns are exact (ones)."""
        P = len(self.parameters)
        f, J = self.sensitivities(v[:P], conditions)
        if not self._n_offsets:
            return f, J
        Jb = np.broadcast_to(np.eye(self._n_offsets), f.shape + (self._n_offsets,))
        return f + v[P:], np.concatenate([J, Jb], axis=-1)

    def _log_predict_safe_v(self, v, conditions):
        f = self._log_predict_safe(v[: len(self.parameters)], conditions)
        return f if f is None or not self._n_offsets else f + v[len(self.parameters) :]

    def _lm(self, conditions, logy, sw, anchor, u, max_iter):
        """Levenberg–Marquardt on ½‖sw·(log f(u) + b - logy)‖² + ½‖(v - anchor)/prior sd‖² over v = (u, b)
        (b: the per-observable offsets, if modelled); returns (v, H), H the Gauss–Newton precision of v."""
        lam_p = self._prior_precision()

        def cost(f, v):
            return 0.5 * float(np.sum((sw * (f - logy)) ** 2) + np.sum(lam_p * (v - anchor) ** 2))

        f, J = self._sensitivities_v(u, conditions)
        c = cost(f, u)
        lam = 1e-3
        for _ in range(max_iter):
            Jw = (sw[..., None] * J).reshape(-1, u.size)
            r = (sw * (f - logy)).ravel()
            H = Jw.T @ Jw + np.diag(lam_p)
            g = Jw.T @ r + lam_p * (u - anchor)
            accepted = False
            while lam < 1e8:
                step = -np.linalg.solve(H + lam * np.diag(np.diag(H)), g)
                big = np.max(np.abs(step))
                if big > 1.0:  # at most a factor e per parameter per step
                    step = step / big
                f_new = self._log_predict_safe_v(u + step, conditions)
                c_new = np.inf if f_new is None else cost(f_new, u + step)
                if c_new < c:
                    accepted = True
                    break
                lam *= 10.0
            if not accepted:
                break
            u = u + step
            lam = max(lam / 10.0, 1e-7)
            # a decrease of the ½χ² below `tol` is statistically irrelevant (the posterior is ~1 wide)
            converged = c - c_new < self.tol or np.max(np.abs(step)) < 1e-4
            c = c_new
            f, J = self._sensitivities_v(u, conditions)
            if converged:
                break
        Jw = (sw[..., None] * J).reshape(-1, u.size)
        return u, Jw.T @ Jw + np.diag(lam_p)

    def _key(self, data, logy, sw) -> str:
        h = hashlib.sha256()
        h.update(json.dumps(list(data.conditions)).encode())
        h.update(np.ascontiguousarray(logy).tobytes())
        h.update(np.ascontiguousarray(sw).tobytes())
        return h.hexdigest()

    def _map_v(self, data, weights):
        logy, sw = self._targets(data, weights)
        key = self._key(data, logy, sw)
        if key not in self._fits:
            v0 = np.zeros(len(self.parameters) + self._n_offsets)
            self._fits[key] = self._lm(list(data.conditions), logy, sw, v0, v0, self.max_iter)
        return self._fits[key]

    def map_fit(self, data, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """MAP log multipliers (n_params,) and the Gauss–Newton posterior precision H of their
        marginal there (offsets, if modelled, marginalised: a Schur complement). Cached.

        Raises:
            SolverError: the nominal model's solve fails for a data condition.
        """
        v, H = self._map_v(data, weights)
        P = len(self.parameters)
        if self._n_offsets:
            H = H[:P, :P] - H[:P, P:] @ np.linalg.solve(H[P:, P:], H[P:, :P])
        return v[:P].copy(), H.copy()

    def map_offsets(self, data, weights: np.ndarray | None = None) -> dict[str, float]:
        """The MAP systematic offset of each observable (natural-log units); empty without offsets."""
        v, _ = self._map_v(data, weights)
        return {o: float(b) for o, b in zip(self.observables, v[len(self.parameters) :])}

    def fit(self, data, seed: int, weights: np.ndarray | None = None) -> ParameterModel:
        """One posterior sample of the log multipliers given `data` (see module docstring)."""
        u_map, H = self.map_fit(data, weights)
        rng = np.random.default_rng(seed)
        for _ in range(self.max_draws):
            if self.posterior == "laplace":
                L = np.linalg.cholesky(H)
                u = u_map + np.linalg.solve(L.T, rng.normal(size=u_map.size))
            else:
                logy, sw = self._targets(data, weights)
                noisy = logy + rng.normal(0.0, self.noise_sd, size=logy.shape)
                v_map, _ = self._map_v(data, weights)
                anchor = rng.normal(0.0, 1.0, size=v_map.size) / np.sqrt(self._prior_precision())
                v, _ = self._lm(list(data.conditions), noisy, sw, anchor, v_map, self.rto_steps)
                u = v[: u_map.size]
            if not self.check_conditions:
                break
            ok, first_bad = self._solves_checks(u)
            if ok:
                break
        else:
            u = self._shrunk_draw(u_map, u, first_bad)
        return ParameterModel(self.parameters, np.asarray(u, dtype=np.float64))

    def _solves_checks(self, u) -> tuple[bool, str]:
        """Whether multipliers `u` solve every check condition, and the first that fails ('' if none)."""
        _, ok = self._run_lanes(np.repeat(u[None], len(self.check_conditions), axis=0), self.check_conditions)
        return bool(ok.all()), ("" if ok.all() else self.check_conditions[int(np.argmin(ok))])

    def _shrunk_draw(self, u_map, u, first_bad: str, halvings: int = 6):
        """After `max_draws` rejected draws: the last draw `u` (which failed `first_bad`) pulled toward
        the MAP (distance halved up to `halvings` times) until it solves every check condition, with
        a warning. Such members lie closer to the MAP than the posterior says: reported, and rare
        (the solvable region then likely holds under 1/max_draws of the Laplace posterior's mass).

        Raises:
            SolverError: not even the MAP solves a check condition (named).
        """
        import warnings

        for j in range(1, halvings + 1):
            v = u_map + 0.5**j * (u - u_map)
            if self._solves_checks(v)[0]:
                warnings.warn(
                    f"no posterior draw in {self.max_draws} solved every check condition (first "
                    f"failure: {first_bad!r}); using a draw pulled toward the MAP by a factor "
                    f"{0.5**j:g}",
                    RuntimeWarning,
                    stacklevel=3,
                )
                return v
        ok, bad = self._solves_checks(u_map)
        raise SolverError(
            f"no posterior draw in {self.max_draws} solved all check conditions (last failure: "
            f"{first_bad!r})" + ("" if ok else f"; the MAP itself fails {bad!r}")
        )

    def linearised_log_members(self, data, conditions: Sequence[str], weights: np.ndarray | None = None) -> np.ndarray:
        """Sigma points of the Laplace posterior's predictions of `conditions`, on the log scale.

        With the MAP ``u*`` and posterior covariance ``Σ = H⁻¹ = L Lᵀ`` of `data`, the linearised
        predictive distribution of the log observables is ``N(f(u*), J Σ Jᵀ)`` (J: their Jacobian
        in u at u*). It is returned as ``2P`` members ``f(u*) ± c·J L e_k`` (P parameters,
        ``c = sqrt((2P - 1) / 2)``), whose mean is f(u*) and whose sample covariance (divisor
        2P - 1, as `select_batch` uses) is exactly ``J Σ Jᵀ``: the acquisition then sees the
        posterior's joint structure over all candidates without the Monte Carlo error of a small
        ensemble (16 draws in 8 dimensions). Costs one batched solve of (P + 1) lanes per condition.

        Returns:
            (2P, n_cond, n_t, n_obs) natural logs of the observables (model units).

        Raises:
            SolverError: a condition's solve failed at the MAP (named).
        """
        u_map, H = self.map_fit(data, weights)
        f, J = self.sensitivities(u_map, list(conditions))
        L = np.linalg.cholesky(np.linalg.inv(H))
        n = u_map.size
        dev = np.moveaxis(J @ L, -1, 0) * np.sqrt((2 * n - 1) / 2.0)  # (P, n_cond, n_t, n_obs)
        return np.concatenate([f[None] + dev, f[None] - dev])

    # ------------------------------------------------------------------ Learner protocol
    def predict(self, model: ParameterModel, conditions, times_min=None, observables=None) -> np.ndarray:
        """(n_cond, n_t, n_obs) observables (model units) of the member `model`.

        Raises:
            ValueError: other times/observables than the learner's. SolverError: a failed solve.
        """
        t = self.times_min if times_min is None else np.asarray(times_min, dtype=np.float64)
        obs = self.observables if observables is None else tuple(observables)
        if not (np.array_equal(t, self.times_min) and obs == self.observables):
            raise ValueError("this learner predicts only the times and observables it was built for")
        self._check_model(model)
        return np.exp(self.log_predict(model.log_mult, list(conditions)))

    def predict_members(
        self, models: Sequence[ParameterModel], conditions, times_min=None, observables=None
    ) -> np.ndarray:
        """(n_members, n_cond, n_t, n_obs): `predict` for several members in one batched solve."""
        t = self.times_min if times_min is None else np.asarray(times_min, dtype=np.float64)
        obs = self.observables if observables is None else tuple(observables)
        if not (np.array_equal(t, self.times_min) and obs == self.observables):
            raise ValueError("this learner predicts only the times and observables it was built for")
        for m in models:
            self._check_model(m)
        return np.exp(self.log_predict_many(np.stack([m.log_mult for m in models]), list(conditions)))

    def as_cell(self, model: ParameterModel):
        """The compiled `Cell` with the member's parameters (nominal × multipliers)."""
        self._check_model(model)
        return self._fwd.with_params(jnp.asarray(model.log_mult))

    def _check_model(self, model):
        if not isinstance(model, ParameterModel) or tuple(model.names) != self.parameters:
            raise ValueError(f"expected a ParameterModel over {self.parameters}")

    def save(self, model: ParameterModel, path: Path) -> None:
        buf = io.BytesIO()
        np.savez(buf, names=np.array(model.names), log_mult=model.log_mult)
        with atomic_path(path) as tmp:
            tmp.write_bytes(buf.getvalue())

    def load(self, path: Path) -> ParameterModel:
        with np.load(path) as f:
            names = tuple(str(n) for n in f["names"])
            model = ParameterModel(names, np.array(f["log_mult"], dtype=np.float64))
        self._check_model(model)
        return model
