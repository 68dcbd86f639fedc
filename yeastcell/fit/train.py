"""`fit`: one entry point for mechanistic parameters, residual weights, or both.

    res = fit(cell, dataset, params={"HXK.Vmax": (10, 1e4)}, starts=4)          # parameters
    res = fit(hybrid, dataset, train="residual", optimizer=optax.adam(3e-3))      # network weights
    res = fit(hybrid, dataset, params=["PDC.Vmax"], train="both")                 # both

What is trained is chosen with `eqx.partition` over a `Fittable` (yeastcell.fit.params): "parameters"
(the transformed mechanistic values), "residual" (the inexact arrays of the hybrid's network), "both",
or a callable returning a filter-spec pytree of bools for the `Fittable` (any leaves you like).

Gradients through diffrax (see docs/hybrid.md for the measurements behind the choice):

* ``gradient="forward"``: forward sensitivities (`diffrax.ForwardMode`, `jax.jacfwd`), cost ∝ number
  of trained values; exact, no checkpointing, the natural choice for a handful of kinetic parameters;
* ``gradient="reverse"``: reverse mode through the solver steps with `diffrax.RecursiveCheckpointAdjoint`
  (exact gradients of the discretised solve; up to 2000 stored steps, see `gradient_solver_options`),
  cost independent of the number of trained values: networks. `BacksolveAdjoint` is not used (it
  re-solves the stiff system backwards and is approximate and fragile for stiff kinetics).
* ``"auto"``: forward for ≤ 32 trained values, reverse otherwise.

Both work with the default Rodas4P solver (yeastcell/solvers/rosenbrock.py).

Optimisers: any optax `GradientTransformation` (default Adam, learning rate 0.05 for parameters,
3e-3 for networks), or ``"lm"``: Levenberg–Marquardt on the weighted residuals (mechanistic
parameters only; the Jacobian from central differences run as one vmapped batch, or from forward
sensitivities with ``gradient="forward"``, see yeastcell/fit/sensitivity.py), which converges in tens
of iterations on small least-squares problems. An update with a non-finite gradient is skipped and counted.

Epochs, early stopping and checkpoints: an epoch is one pass over the training conditions (in
minibatches of `batch_size`, default all); after every epoch the validation loss is computed (a
`validation` Dataset, or `validation_fraction` of the conditions split off with `seed`) and the best
state kept; training stops after `patience` epochs without improvement. With `checkpoint_dir`, the
state (trained values, optimiser state, best values, history) is written atomically after every
epoch; rerunning the same call resumes from the last completed epoch (a kill loses at most one
epoch). History (one row per epoch) is returned and saved as ``history.json``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import equinox as eqx
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

from ..cells import AbstractCell
from ..exceptions import SimulationInputError
from ..hybrid import HybridCell
from ..io import atomic_path
from ..progress import bar
from ..solvers import SolverOptions, differentiable
from .params import Fittable, fittable, random_start
from .problem import Regularisation, build_problem, loss_terms, weighted_residuals
from .sensitivity import first_with_aux, residual_jacobian

TRAIN_KINDS = ("auto", "parameters", "residual", "both")


@dataclass
class FitResult:
    """Outcome of `fit`.

    Attributes:
        fittable: the best `Fittable` (lowest validation loss, else training loss) over all starts.
        model: ``fittable.build()``: the fitted Cell/HybridCell.
        parameters: fitted mechanistic values by name (core units).
        loss, val_loss: losses of the best state (val_loss None without validation data).
        history: one dict per epoch and start (start, epoch, loss, val_loss, n_failed, skipped, time_s).
        starts: per start: its best loss, val_loss, parameters, epochs run.
    """

    fittable: Fittable
    model: AbstractCell
    parameters: dict[str, float]
    loss: float
    val_loss: float | None
    history: list[dict] = field(default_factory=list)
    starts: list[dict] = field(default_factory=list)

    def save_history(self, path: str | Path) -> Path:
        """Write history and per-start summaries as JSON (atomically)."""
        with atomic_path(path) as tmp:
            Path(tmp).write_text(
                json.dumps({"history": self.history, "starts": self.starts, "parameters": self.parameters}, indent=1)
            )
        return Path(path)


def _filter_spec(f: Fittable, train):

    spec = jax.tree_util.tree_map(lambda _: False, f)
    if callable(train):
        return train(f)
    if train not in ("parameters", "residual", "both"):
        raise SimulationInputError(f"train must be one of {TRAIN_KINDS} or a filter function, got {train!r}")
    if train in ("parameters", "both"):
        if not f.params:
            raise SimulationInputError("train includes 'parameters' but no params were given")
        spec = eqx.tree_at(lambda m: m.z, spec, True)
    if train in ("residual", "both"):
        if not isinstance(f.model, HybridCell):
            raise SimulationInputError("train includes 'residual' but the model is not a HybridCell")
        spec = eqx.tree_at(
            lambda m: m.model.net, spec, replace=jax.tree_util.tree_map(eqx.is_inexact_array, f.model.net)
        )
    return spec


REVERSE_CHECKPOINTS = 2000


def gradient_solver_options(options, gradient: str):
    """`SolverOptions` for differentiating the solve with ``gradient`` ("forward", "reverse", "fd").

    Reverse mode stores up to ``min(max_steps, REVERSE_CHECKPOINTS)`` solver states
    (`diffrax.RecursiveCheckpointAdjoint(checkpoints=...)`). Diffrax's default, log(max_steps) ≈ 10
    checkpoints, recomputes most steps several times in the backward pass: on the core model with the
    proteome layer (8 conditions, 240 min) one loss+gradient took 13.9x the forward solve with it and
    4.4x with 2000 checkpoints in one (loaded) run, 5.3x in the recorded quiet run (docs/hybrid.md,
    RESULTS.md). Memory: one state of the solver loop (the state, its saved outputs and step-size
    data, a few kB) per checkpoint and trajectory.
    """
    import diffrax

    options = options or SolverOptions(rtol=1e-6, atol=1e-9, max_steps=20_000)
    if not differentiable(options):
        raise SimulationInputError(
            "fitting differentiates the solve: options.solver=BatchBDF() is forward-only; use the default Rodas4P"
        )
    adj: diffrax.AbstractAdjoint
    if gradient == "forward":
        adj = diffrax.ForwardMode()
    else:
        adj = diffrax.RecursiveCheckpointAdjoint(checkpoints=min(options.max_steps, REVERSE_CHECKPOINTS))
    return dataclasses.replace(options, adjoint=adj)


def fit(
    model,
    data,
    params=None,
    train="auto",
    optimizer=None,
    epochs: int = 100,
    batch_size: int | None = None,
    starts: int = 1,
    seed: int = 0,
    validation=None,
    validation_fraction: float | None = None,
    patience: int = 10,
    tol: float = 1e-6,
    sigma_log2: float = 0.2,
    regularisation: Regularisation | None = None,
    gradient: str = "auto",
    options=None,
    checkpoint_dir: str | Path | None = None,
    progress: bool | None = None,
    mapping=None,
    start_spread: float = 3.0,
) -> FitResult:
    """Fit mechanistic parameters and/or residual weights of `model` to the Dataset `data`.

    Args:
        model: a `Cell` or `HybridCell`.
        data: a `yeastcell.data.Dataset` (conditions in notation, first time 0 min).
        params: mechanistic parameters (names, `FitParameter`s, or {name: (lower, upper)}).
        train: "auto" (what `params`/the model imply), "parameters", "residual", "both", or a filter function.
        optimizer: an optax transformation, or "lm" (Levenberg–Marquardt; parameters only).
        epochs, batch_size, starts, seed, patience, tol: see the module docstring (starts > 1: the
            first start is the model's current values, the others are drawn with `seed`).
        validation / validation_fraction: a validation Dataset, or the fraction of conditions to hold out.
        sigma_log2: measurement noise (log2 units) in the likelihood.
        regularisation: residual regularisation (`Regularisation`; default l2 1e-4, output 1e-3).
        gradient: "auto", "forward" or "reverse"; with optimizer="lm" "forward" or "fd" (central
            differences, one vmapped batch; the "auto" choice for LM, see `yeastcell.fit.sensitivity`).
        options: `SolverOptions` (default rtol 1e-6, atol 1e-9).
        checkpoint_dir: where to checkpoint after every epoch (and resume from).
        progress: a progress bar per start (epochs, with the loss) on stderr; None: when stderr is
            a terminal or ``YEASTCELL_PROGRESS=1`` (`yeastcell.progress.enabled`).

    Raises:
        UnknownNameError: an unknown parameter, observable or gene. SimulationInputError: bad settings.
    """
    import optax

    f0 = fittable(model, params)
    if train == "auto":
        train = "both" if (f0.params and isinstance(model, HybridCell)) else ("parameters" if f0.params else "residual")
    spec = _filter_spec(f0, train)
    n_train = sum(int(np.size(x)) for x in jax.tree_util.tree_leaves(eqx.filter(f0, spec)))
    if n_train == 0:
        raise SimulationInputError("nothing to train (the filter selects no array)")
    lm = isinstance(optimizer, str)
    if gradient == "auto":
        gradient = "fd" if lm else ("forward" if n_train <= 32 else "reverse")
    allowed = ("forward", "fd") if lm else ("forward", "reverse")
    if gradient not in allowed:
        raise SimulationInputError(
            f"gradient must be 'auto' or one of {allowed} "
            f"{'with' if lm else 'without'} optimizer='lm', got {gradient!r}"
        )
    for name, v, ok in (
        ("epochs", epochs, epochs >= 1),
        ("starts", starts, starts >= 1),
        ("patience", patience, patience >= 1),
    ):
        if not ok:
            raise SimulationInputError(f"{name} must be >= 1, got {v!r}")
    if validation is not None and validation_fraction is not None:
        raise SimulationInputError("give validation= or validation_fraction=, not both")
    if validation_fraction is not None:
        data, validation = data.split("conditions", fraction=validation_fraction, seed=seed)
    if lm and optimizer != "lm":
        raise SimulationInputError(f"optimizer must be an optax transformation or 'lm', got {optimizer!r}")
    if lm and train != "parameters":
        raise SimulationInputError("Levenberg–Marquardt fits mechanistic parameters only (train='parameters')")
    opts = gradient_solver_options(options, gradient)
    reg = regularisation or Regularisation()
    problem = build_problem(model, data, sigma_log2, mapping)
    vproblem = build_problem(model, validation, sigma_log2, mapping) if validation is not None else None
    if optimizer is None:
        optimizer = optax.adam(0.05 if train == "parameters" else 3e-3)
    n_cond = len(problem.conditions)
    bs = n_cond if batch_size is None else min(int(batch_size), n_cond)  # capped at the training conditions
    if bs < 1:
        raise SimulationInputError(f"batch_size must be >= 1, got {batch_size!r}")

    ckpt = _Checkpoint(Path(checkpoint_dir)) if checkpoint_dir is not None else None
    history: list[dict] = []
    summaries: list[dict] = []
    best_overall = None
    state = ckpt.load_meta() if ckpt else None
    if state is not None:
        history, summaries = state["history"], state["starts"]

    def eval_loss(f, p, idx):
        return _eval_loss(f, p, idx, opts, reg)

    all_val = jnp.arange(len(vproblem.conditions)) if vproblem is not None else None

    def overall_tr(current):
        """Trained values of the best finished start so far (or `current` before any finished)."""
        if best_overall is not None:
            return eqx.partition(best_overall[1], spec)[0]
        if state_overall is not None:
            return state_overall
        return current

    state_overall = None
    if state is not None and summaries:  # restarted after some starts finished: recover their best
        assert ckpt is not None  # state was read from it
        tr0 = eqx.partition(f0, spec)[0]
        like = (tr0, optimizer.init(tr0) if not lm else jnp.asarray(0.0), tr0, tr0)
        state_overall = ckpt.load_state(like, state)[3]
        b_sum = min(summaries, key=_score)
        best_overall = (b_sum, eqx.combine(state_overall, eqx.partition(f0, spec)[1]))

    for s in range(starts):
        if any(d["start"] == s for d in summaries):
            continue  # finished before a restart
        f_start = f0 if s == 0 else random_start(f0, np.random.default_rng([seed, s]), start_spread)
        trainable, static = eqx.partition(f_start, spec)
        runner: _LMRunner | _GradRunner
        if lm:
            runner = _LMRunner(static, problem, opts, gradient)
            opt_state = jnp.asarray(1e-2)
        else:
            runner = _GradRunner(static, problem, opts, reg, optimizer, gradient)
            opt_state = optimizer.init(trainable)
        best = (math.inf, trainable)
        bad, epoch0 = 0, 0
        if state is not None and state.get("start") == s:
            assert ckpt is not None  # state was read from it
            trainable, opt_state, best_tr, _ = ckpt.load_state((trainable, opt_state, trainable, trainable), state)
            best, bad, epoch0 = (state["best"], best_tr), state["bad"], state["epoch"] + 1
        state = None
        pb = bar(
            total=epochs,
            initial=epoch0,
            desc=f"fit start {s + 1}/{starts}" if starts > 1 else "fit",
            unit="epoch",
            progress=progress,
            leave=False,
        )
        for epoch in range(epoch0, epochs):
            t0 = time.perf_counter()
            rng = np.random.default_rng([seed, s, epoch])
            trainable, opt_state, loss, n_failed, skipped = runner.epoch(trainable, opt_state, rng, bs)
            f_now = eqx.combine(trainable, static)
            val = None
            if vproblem is not None:
                vl, _ = eval_loss(f_now, vproblem, all_val)
                val = float(vl)
            score = val if val is not None else loss
            if math.isfinite(score) and (not math.isfinite(best[0]) or score < best[0] - tol * max(1.0, abs(best[0]))):
                best, bad = (score, trainable), 0
            else:
                bad += 1
            row = {
                "start": s,
                "epoch": epoch,
                "loss": loss,
                "val_loss": val,
                "n_failed": n_failed,
                "skipped": skipped,
                "time_s": round(time.perf_counter() - t0, 4),
            }
            history.append(row)
            pb.set_postfix_str(
                f"loss {loss:.4g}"
                + (f" val {val:.4g}" if val is not None else "")
                + (f" failed {n_failed}" if n_failed else ""),
                refresh=False,
            )
            pb.update(1)
            stop = bad >= patience or runner.converged
            if ckpt:
                ckpt.save(
                    (trainable, opt_state, best[1], overall_tr(trainable)),
                    {"start": s, "epoch": epoch, "best": best[0], "bad": bad, "history": history, "starts": summaries},
                )
            if stop:
                break
        pb.close()
        fb = eqx.combine(best[1], static)
        train_loss = float(eval_loss(fb, problem, jnp.arange(n_cond))[0])
        summaries.append(
            {
                "start": s,
                "loss": train_loss,
                "val_loss": best[0] if vproblem is not None else None,
                "epochs": sum(1 for h in history if h["start"] == s),
                "parameters": _param_dict(fb),
            }
        )
        if best_overall is None or _score(summaries[-1]) < _score(best_overall[0]):
            best_overall = (summaries[-1], fb)
        if ckpt:
            ckpt.save(
                (trainable, opt_state, best[1], eqx.partition(best_overall[1], spec)[0]),
                {"start": s, "epoch": epochs, "best": best[0], "bad": bad, "history": history, "starts": summaries},
            )
    if best_overall is None:  # every start had finished before this call: the checkpoint holds the best
        assert ckpt is not None
        tr0, st0 = eqx.partition(f0, spec)
        like = (tr0, optimizer.init(tr0) if not lm else jnp.asarray(0.0), tr0, tr0)
        best_tr = ckpt.load_state(like, ckpt.load_meta())[3]
        best_overall = (min(summaries, key=_score), eqx.combine(best_tr, st0))
    summ, fb = best_overall
    result = FitResult(fb, fb.build(), _param_dict(fb), summ["loss"], summ["val_loss"], history, summaries)
    if ckpt:
        result.save_history(ckpt.dir / "history.json")
    return result


def _score(summary) -> float:
    v = summary["val_loss"] if summary["val_loss"] is not None else summary["loss"]
    return v if v is not None and math.isfinite(v) else math.inf


def _param_dict(f: Fittable) -> dict[str, float]:
    vals: np.ndarray | list[float] = np.asarray(f.theta_values()) if f.params else []
    return {p.name: float(v) for p, v in zip(f.params, vals)}


# The compiled programs of a fit are module-level functions of (trainable part, static part, problem, settings):
# `eqx.filter_jit` caches them by the static parts and array shapes, so a second `fit` of the same structure in
# one process (another start, seed, training split, or the next step of a benchmark) reuses them instead of
# tracing and compiling the solver again (tens of seconds per program on a 2-core CPU).
@eqx.filter_jit
def _eval_loss(f, p, idx, opts, reg):
    return loss_terms(f, p, idx, opts, reg)


def _value_and_grad(tr, p, idx, static, opts, reg, gradient):
    def value(t):
        return loss_terms(eqx.combine(t, static), p, idx, opts, reg)

    if gradient == "reverse":
        return eqx.filter_value_and_grad(value, has_aux=True)(tr)
    flat, unravel = jax.flatten_util.ravel_pytree(tr)
    g, (loss, aux) = jax.jacfwd(first_with_aux(lambda z: value(unravel(z))), has_aux=True)(flat)
    return (loss, aux), unravel(g)


@eqx.filter_jit
def _grad_step(tr, opt_state, p, idx, static, opts, reg, optimizer, gradient):
    (loss, aux), g = _value_and_grad(tr, p, idx, static, opts, reg, gradient)
    finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(g)])) & jnp.isfinite(loss)
    g = jax.tree_util.tree_map(lambda x: jnp.where(finite, x, 0.0), g)
    updates, new_state = optimizer.update(g, opt_state, tr)
    new_tr = eqx.apply_updates(tr, updates)

    def keep(a, b):
        return jax.tree_util.tree_map(lambda x, y: jnp.where(finite, x, y), a, b)

    return keep(new_tr, tr), keep(new_state, opt_state), loss, aux["n_failed"], ~finite


def _lm_residuals(tr, z, static, problem, opts):
    f = eqx.combine(eqx.tree_at(lambda m: m.z, tr, z), static)
    r, ok = weighted_residuals(f, problem, jnp.arange(len(problem.conditions)), opts)
    return jnp.concatenate([r, f.prior_residuals()]), ok


_lm_residuals_jit = eqx.filter_jit(_lm_residuals)


@eqx.filter_jit
def _lm_jacobian(tr, static, problem, opts, method):
    return residual_jacobian(lambda z: _lm_residuals(tr, z, static, problem, opts), tr.z, method)


class _GradRunner:
    """Minibatch epochs of a first-order optax optimiser (reverse or forward gradients)."""

    converged = False

    def __init__(self, static, problem, opts, reg, optimizer, gradient):
        import optax

        self.problem, self.n = problem, len(problem.conditions)

        def step(tr, opt_state, p, idx):
            return _grad_step(tr, opt_state, p, idx, static, opts, reg, optimizer, gradient)

        self.step = step
        self._optax = optax

    def epoch(self, tr, opt_state, rng, bs):
        perm = rng.permutation(self.n)
        n_b = math.ceil(self.n / bs)
        perm = np.concatenate([perm, rng.choice(self.n, n_b * bs - self.n)]) if n_b * bs > self.n else perm
        losses, failed, skipped = [], 0, 0
        for b in range(n_b):
            idx = jnp.asarray(perm[b * bs : (b + 1) * bs])
            tr, opt_state, loss, nf, sk = self.step(tr, opt_state, self.problem, idx)
            losses.append(float(loss))
            failed += int(nf)
            skipped += int(sk)
        return tr, opt_state, float(np.mean(losses)), failed, skipped


class _LMRunner:
    """One Levenberg–Marquardt iteration per epoch on the weighted residuals (+ prior residuals)."""

    def __init__(self, static, problem, opts, method):
        self.problem, self.converged = problem, False

        def jac(tr):
            return _lm_jacobian(tr, static, problem, opts, method)

        def val(tr):
            return _lm_residuals_jit(tr, tr.z, static, problem, opts)

        self.jac, self.val = jac, val

    def epoch(self, tr, lam, rng, bs):
        n_meas = self.problem.n_measured
        r, J, ok = self.jac(tr)
        r, J = np.asarray(r), np.asarray(J)
        if not (np.all(np.asarray(ok)) and np.isfinite(J).all() and np.isfinite(r).all()):
            return tr, lam, math.inf, int(np.sum(~np.asarray(ok))), 1
        cost = 0.5 * float(r @ r)
        g = J.T @ r
        A = J.T @ J
        lam = float(lam)
        for _ in range(12):
            D = np.diag(np.maximum(np.diag(A), 1e-12))
            try:
                step = -np.linalg.solve(A + lam * D, g)
            except np.linalg.LinAlgError:
                lam *= 10
                continue
            cand = eqx.tree_at(lambda m: m.z, tr, tr.z + jnp.asarray(step))
            r2, ok2 = self.val(cand)
            r2 = np.asarray(r2)
            if np.all(np.asarray(ok2)) and np.isfinite(r2).all() and 0.5 * float(r2 @ r2) < cost:
                new_cost = 0.5 * float(r2 @ r2)
                self.converged = (cost - new_cost) < 1e-10 * max(cost, 1e-300) or np.max(np.abs(step)) < 1e-8
                return cand, jnp.asarray(max(lam / 3, 1e-9)), new_cost / n_meas, 0, 0
            lam *= 4
        self.converged = True
        return tr, jnp.asarray(lam), cost / n_meas, 0, 1


class _Checkpoint:
    """Atomic per-epoch checkpoints: ``state-<start>-<epoch>.eqx`` (pytrees) then ``state.json`` (meta)."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)

    def load_meta(self):
        p = self.dir / "state.json"
        if not p.is_file():
            return None
        return json.loads(p.read_text())

    def load_state(self, like, meta):
        return eqx.tree_deserialise_leaves(self.dir / meta["file"], like)

    def save(self, trees, meta):
        name = f"state-{meta['start']}-{meta['epoch']}.eqx"
        with atomic_path(self.dir / name) as tmp:
            eqx.tree_serialise_leaves(tmp, trees)
        meta = dict(meta, file=name)
        with atomic_path(self.dir / "state.json") as tmp:
            Path(tmp).write_text(json.dumps(meta))
        for old in self.dir.glob("state-*.eqx"):
            if old.name != name:
                try:
                    os.remove(old)
                except FileNotFoundError:
                    pass
