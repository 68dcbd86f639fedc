"""The closed loop: rounds of train -> acquire -> run -> ingest, checkpointed so a kill loses nothing.

Checkpoint folder layout (every file written atomically)::

    config.json                 the loop's configuration (a resume must match it)
    initial.h5                  the initial Dataset, if one was given
    round_NNN/ensemble/         the ensemble trained at the start of round NNN (learner.save)
    round_NNN/metrics.json      held-out error of that ensemble, number of experiments so far
    round_NNN/decisions.json    every candidate's information gain and cost, the picks and why
    round_NNN/plan.json         the plan sent to the lab
    round_NNN/new_data.h5       what the lab returned
    round_NNN/data.h5           all data after the round
    state.json                  {"completed_rounds": k}: written last, after data.h5
    final/                      ensemble and metrics after the last round

A restart reads ``state.json`` and continues with the first incomplete round; a round whose plan
was already written reuses that plan (so a file-based lab never sees two different plans for one
round). Everything a round does is seeded by (seed, round), so an interrupted and resumed loop ends
with the same data as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from ..data import Dataset, merge
from ..exceptions import UnknownNameError, YeastcellError
from ..io import atomic_path
from ..lab.plan import Experiment, Lab, Plan
from ..progress import bar, enabled
from .acquisition import STRATEGIES, select_batch
from .ensemble import Ensemble, member_seeds, train_ensemble
from .learners import Learner, condition_means


class _LinearisedLearner(Protocol):
    """A learner that offers linearised posterior sigma points (e.g. `ParameterLearner`)."""

    def linearised_log_members(self, data, conditions: Sequence[str]) -> np.ndarray: ...


ACQUISITION_SPACES = ("raw", "log")
ACQUISITION_UNCERTAINTIES = ("ensemble", "linearised")
#: predictions below this (observable units) are clipped before taking logs for the acquisition
LOG_FLOOR = 1e-12


class LoopError(YeastcellError, ValueError):
    """Bad loop configuration, or a checkpoint that belongs to another configuration."""


@dataclasses.dataclass(frozen=True)
class LoopConfig:
    """What the loop may choose from and how.

    Attributes:
        candidates: candidate conditions (notation strings: single/double knockouts, doses, ...).
        times_min: sampling times (min) of every experiment.
        observables: what the lab measures.
        scale: per-observable scale (observable units) for standardising outputs.
        rounds: number of acquisition rounds.
        batch_size: experiments per round.
        n_members: ensemble size.
        strategy: "eig" (information gain with batch diversity), "target" (predictive-variance
            reduction on `targets`, with diversity), "uncertainty" or "random".
        targets: for strategy "target", the conditions whose prediction the study is about (they
            need not be candidates: e.g. the perturbations of one pathway, while the library offers
            the whole genome); empty: the candidates themselves.
        cost: per-candidate cost (default 1 each); rounds stop adding once `budget` is spent.
        budget: total cost over all rounds (None: no limit beyond rounds × batch_size).
        replicates: replicates per experiment.
        noise_sd: measurement noise sd used by the acquisition: in standardised units
            (``acquisition_space="raw"``) or natural-log units (``"log"``).
        acquisition_space: ``"raw"`` compares the members' predictions divided by ``scale``
            (additive noise); ``"log"`` compares their natural logs (``scale`` unused), which
            matches multiplicative, log-normal measurement noise such as mass spectrometry's.
        acquisition_uncertainty: where the acquisition's Gaussian over the candidates' outputs
            comes from. ``"ensemble"``: the trained members' predictions. ``"linearised"``: the
            learner's Laplace posterior pushed through its output Jacobian at the MAP
            (``learner.linearised_log_members``, e.g. `ParameterLearner`): the exact joint
            covariance of the linearised model, without the sampling error of a small ensemble;
            needs ``acquisition_space="log"``. The ensemble still gives the learning curve; the
            candidates are not simulated per member, and ``predicted_sd_mean`` in the decisions is
            then the sd of the log predictions (a relative sd) instead of sd / scale.
        n_initial: random experiments run first when no initial Dataset is given.
        bootstrap: resample conditions per ensemble member as well.
        seed: everything random derives from it and the round number.
    """

    candidates: tuple[str, ...]
    times_min: tuple[float, ...]
    observables: tuple[str, ...]
    scale: tuple[float, ...]
    rounds: int = 5
    batch_size: int = 4
    n_members: int = 8
    strategy: str = "eig"
    cost: Mapping[str, float] = dataclasses.field(default_factory=dict)
    budget: float | None = None
    replicates: int = 1
    noise_sd: float = 0.05
    n_initial: int = 0
    bootstrap: bool = False
    seed: int = 0
    units: Mapping[str, str] = dataclasses.field(default_factory=dict)
    acquisition_space: str = "raw"
    acquisition_uncertainty: str = "ensemble"
    targets: tuple[str, ...] = ()

    def __post_init__(self):
        if self.acquisition_space not in ACQUISITION_SPACES:
            raise UnknownNameError("acquisition space", self.acquisition_space, ACQUISITION_SPACES)
        if self.acquisition_uncertainty not in ACQUISITION_UNCERTAINTIES:
            raise UnknownNameError("acquisition uncertainty", self.acquisition_uncertainty, ACQUISITION_UNCERTAINTIES)
        if self.acquisition_uncertainty == "linearised" and self.acquisition_space != "log":
            raise LoopError('acquisition_uncertainty="linearised" needs acquisition_space="log"')
        for name in ("candidates", "observables"):
            v = getattr(self, name)
            if isinstance(v, str) or not tuple(v) or len(set(v)) != len(tuple(v)):
                raise LoopError(f"{name} must be a non-empty sequence of unique strings")
            object.__setattr__(self, name, tuple(v))
        if isinstance(self.targets, str) or len(set(self.targets)) != len(tuple(self.targets)):
            raise LoopError("targets must be a sequence of unique condition strings")
        object.__setattr__(self, "targets", tuple(self.targets))
        if self.targets and self.strategy != "target":
            raise LoopError(f'targets are used by strategy "target" only, not {self.strategy!r}')
        object.__setattr__(self, "times_min", tuple(float(t) for t in self.times_min))
        object.__setattr__(self, "scale", tuple(float(s) for s in self.scale))
        if len(self.scale) != len(self.observables) or min(self.scale) <= 0:
            raise LoopError("scale must hold one positive number per observable")
        if self.strategy not in STRATEGIES:
            raise UnknownNameError("acquisition strategy", self.strategy, STRATEGIES)
        for k in self.cost:
            if k not in self.candidates:
                raise UnknownNameError("candidate (in cost)", k, self.candidates)
        for name in ("rounds", "batch_size", "n_members", "replicates", "n_initial"):
            v = getattr(self, name)
            low = 2 if name == "n_members" else (0 if name == "n_initial" else 1)
            if isinstance(v, bool) or int(v) != v or v < low:
                raise LoopError(f"{name} must be an integer >= {low}, got {v!r}")
        object.__setattr__(self, "cost", {c: float(self.cost.get(c, 1.0)) for c in self.candidates})
        object.__setattr__(self, "units", {o: str(self.units.get(o, "")) for o in self.observables})

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


@dataclasses.dataclass(frozen=True)
class LoopResult:
    """Outcome of :func:`closed_loop`: final data and ensemble, learning curve, the folder."""

    data: object
    ensemble: Ensemble
    curve: list[dict]
    folder: Path


def _write_json(path: Path, obj) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=True) + "\n")


def _round_seed(seed: int, r: int) -> int:
    return member_seeds(seed, r + 2)[r + 1]


def heldout_errors(ensemble: Ensemble, heldout, config: LoopConfig) -> dict[str, float]:
    """Errors of the ensemble mean on a held-out Dataset's replicate means: ``heldout_rmse`` (RMSE in
    standardised units, value / scale) and ``heldout_log_rmse`` (RMSE of natural logs, over entries
    where both are > 0: the scale of multiplicative, log-normal measurement noise)."""
    y, m = condition_means(heldout, np.array(config.times_min), config.observables)
    pred = ensemble.predict(heldout.conditions, np.array(config.times_min), config.observables).mean
    z = (pred - y) / np.array(config.scale)
    pos = m & (pred > 0) & (y > 0)
    logz = np.log(np.where(pos, pred, 1.0)) - np.log(np.where(pos, y, 1.0))
    return {
        "heldout_rmse": float(np.sqrt(np.mean(z[m] ** 2))),
        "heldout_log_rmse": float(np.sqrt(np.mean(logz[pos] ** 2))) if pos.any() else float("nan"),
    }


def heldout_error(ensemble: Ensemble, heldout, config: LoopConfig) -> float:
    """RMSE (standardised units) of the ensemble mean on a held-out Dataset's replicate means."""
    return heldout_errors(ensemble, heldout, config)["heldout_rmse"]


def _evaluate(ens, heldout, config, data, r) -> dict:
    out = {
        "round": r,
        "n_experiments": len(data.conditions),
        "cost_spent": float(sum(config.cost.get(c, 1.0) for c in data.conditions if c in config.cost)),
    }
    if heldout is not None:
        out.update(heldout_errors(ens, heldout, config))
    return out


def _plan_for(config: LoopConfig, picks: Sequence[int], r: int, rationale: Sequence[str]) -> Plan:
    exps = tuple(
        Experiment.from_condition(
            f"r{r:03d}-e{k:02d}",
            config.candidates[i],
            config.times_min,
            config.replicates,
            config.cost[config.candidates[i]],
            why,
        )
        for k, (i, why) in enumerate(zip(picks, rationale))
    )
    return Plan(
        exps,
        config.observables,
        round=r,
        units=config.units,
        notes=f"closed loop round {r}, strategy {config.strategy}, seed {config.seed}",
    )


class PerturbationLab:
    """Adapts a lab with ``run(perturbations, times_min)`` (e.g. `VirtualLab`) to ``run(plan)``.

    The returned Dataset's conditions are renamed back to the plan's conditions (a VirtualLab
    prefixes its base condition); every experiment of the plan must share one sampling schedule.
    Plan times are minutes since the experiment starts at 0; such labs take the first time as the
    start, so 0 is prepended to the call when missing and its samples are dropped.
    """

    def __init__(self, lab):
        self.lab = lab

    def run(self, plan: Plan):
        times = {e.times_min for e in plan.experiments}
        if len(times) != 1:
            raise LoopError("this lab runs one sampling schedule per call; the plan has several")
        t = list(next(iter(times)))
        # experiments start at 0 min (as in CellPrior); such labs treat the first time as the start
        pad = t[0] != 0.0
        ds = self.lab.run(list(plan.conditions), [0.0] + t if pad else t)
        if pad:
            ds = ds.subset(times=t)
        if len(ds.conditions) != len(plan.conditions):
            raise LoopError(f"the lab returned {len(ds.conditions)} conditions for {len(plan.conditions)} experiments")
        return ds.replace(conditions=plan.conditions)


def as_plan_lab(lab):
    """`lab` itself if its ``run`` takes a plan, else a :class:`PerturbationLab` around it."""
    import inspect

    try:
        params = [
            p
            for p in inspect.signature(lab.run).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
    except (TypeError, ValueError):
        return lab
    return PerturbationLab(lab) if len(params) >= 2 else lab


def _check_lab_data(new, plan: Plan) -> None:
    missing = [c for c in plan.conditions if c not in new.conditions]
    if missing:
        raise LoopError(f"the lab returned no data for {missing[:3]} of round {plan.round}")


def closed_loop(
    config: LoopConfig,
    learner: Learner,
    lab: Lab,
    folder: str | Path,
    *,
    initial=None,
    heldout=None,
    log: Callable[[str], None] | None = print,
    progress: bool | None = None,
) -> LoopResult:
    """Run (or resume) the closed loop; see the module docstring for what is checkpointed.

    Args:
        config: the loop's configuration.
        learner: fits and predicts (Learner protocol).
        lab: runs plans (Lab protocol); it must be deterministic per plan for exact resumption.
        folder: checkpoint folder (created; a resume needs the same config and initial data).
        initial: Dataset measured before the loop (else `config.n_initial` random experiments).
        heldout: Dataset of conditions never offered to the loop, for the learning curve.
        log: progress messages (None: silent).
        progress: a progress bar over the rounds (`yeastcell.progress.enabled`: default on when
            stderr is a terminal); `log` messages are then written above the bar.

    Raises:
        LoopError: bad configuration or a checkpoint of another configuration.
        MeasurementsPending: from a FileLab whose table is not in yet (rerun to resume).
    """
    say = log or (lambda s: None)
    lab = as_plan_lab(lab)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if heldout is not None and set(heldout.conditions) & set(config.candidates):
        raise LoopError(
            f"held-out conditions may not be candidates: {sorted(set(heldout.conditions) & set(config.candidates))[:3]}"
        )
    if config.acquisition_uncertainty == "linearised" and not hasattr(learner, "linearised_log_members"):
        raise LoopError(
            f'acquisition_uncertainty="linearised" needs a learner with linearised_log_members '
            f"(e.g. ParameterLearner), not {type(learner).__name__}"
        )
    if initial is None and config.n_initial == 0 and not (folder / "initial.h5").exists():
        raise LoopError("give an initial Dataset or n_initial > 0 random first experiments")
    cfg_path = folder / "config.json"
    if cfg_path.exists():
        saved = json.loads(cfg_path.read_text())
        saved.setdefault("acquisition_space", "raw")  # loops checkpointed before the options existed
        saved.setdefault("acquisition_uncertainty", "ensemble")
        saved.setdefault("targets", [])
        if saved != json.loads(json.dumps(config.to_dict(), sort_keys=True)):
            raise LoopError(f"{folder} holds a loop with another configuration; use a new folder")
    else:
        if initial is not None:
            initial.to_hdf5(folder / "initial.h5")
        _write_json(cfg_path, config.to_dict())
    if (
        initial is not None
        and (folder / "initial.h5").exists()
        and not Dataset.from_hdf5(folder / "initial.h5").equals(initial)
    ):
        raise LoopError(f"{folder} was started from other initial data; use a new folder")
    state_path = folder / "state.json"
    done = json.loads(state_path.read_text())["completed_rounds"] if state_path.exists() else 0
    data: Dataset | None
    if done:
        data = Dataset.from_hdf5(folder / f"round_{done - 1:03d}" / "data.h5")
        say(f"resuming after round {done - 1} ({len(data.conditions)} experiments so far)")
    else:
        data = Dataset.from_hdf5(folder / "initial.h5") if (folder / "initial.h5").exists() else None

    pb = bar(total=config.rounds, initial=done, desc="loop rounds", unit="round", progress=progress)
    if log is print and enabled(progress):
        say = pb.write  # above the bar, not through it
    for r in range(done, config.rounds):
        rd = folder / f"round_{r:03d}"
        seed = _round_seed(config.seed, r)
        plan_path = rd / "plan.json"
        if plan_path.exists():
            plan = Plan.from_json(plan_path)
            say(f"round {r}: reusing the checkpointed plan")
        else:
            measured = set(data.conditions) if data is not None else set()
            exclude = [i for i, c in enumerate(config.candidates) if c in measured]
            spent = sum(config.cost[c] for c in measured if c in config.cost)
            budget = None if config.budget is None else config.budget - spent
            if data is not None:
                ens = train_ensemble(learner, data, config.n_members, seed, config.bootstrap)
                ens.save(rd / "ensemble")
                _write_json(rd / "metrics.json", _evaluate(ens, heldout, config, data, r))
            if data is None or config.strategy == "random":  # the picks need no predictions
                initial = data is None
                sel = select_batch(
                    np.zeros((2, len(config.candidates), 1, 1)),
                    config.n_initial if initial else config.batch_size,
                    cost=[config.cost[c] for c in config.candidates],
                    strategy="random",
                    exclude=exclude,
                    seed=seed,
                    budget=budget,
                )
                why = ["random initial design" if initial else "random pick"] * len(sel.chosen)
                decisions: dict[str, Any] = {
                    "strategy": "random (initial design)" if initial else "random",
                    "chosen": [config.candidates[i] for i in sel.chosen],
                }
            else:
                scale, targets = np.array(config.scale), None
                if config.acquisition_uncertainty == "linearised":  # the ensemble is not simulated here
                    lin = cast(_LinearisedLearner, learner)  # checked by hasattr before the first round
                    members, scale = lin.linearised_log_members(data, config.candidates), np.ones_like(scale)
                    if config.targets:  # sigma points aligned with the candidates'
                        targets = lin.linearised_log_members(data, config.targets)
                    spread = members.std(axis=0, ddof=1)  # sd of the log predictions (relative sd)
                else:
                    pred = ens.predict(config.candidates, np.array(config.times_min), config.observables)
                    members, spread = pred.members, pred.sd / scale
                    if config.targets:  # members aligned with the candidates' (same draws)
                        targets = ens.predict(config.targets, np.array(config.times_min), config.observables).members
                    if config.acquisition_space == "log":
                        members, scale = np.log(np.maximum(members, LOG_FLOOR)), np.ones_like(scale)
                        if targets is not None:
                            targets = np.log(np.maximum(targets, LOG_FLOOR))
                sel = select_batch(
                    members,
                    config.batch_size,
                    cost=[config.cost[c] for c in config.candidates],
                    scale=scale,
                    noise_sd=config.noise_sd,
                    strategy=config.strategy,
                    exclude=exclude,
                    seed=seed,
                    budget=budget,
                    target_members=targets,
                )
                why = [
                    f"{sel.strategy}: marginal information gain {g:.3g} nats (alone {sel.single_gain[i]:.3g}), "
                    f"cost {sel.cost[i]:g}"
                    for i, g in zip(sel.chosen, sel.gain)
                ]
                order = np.argsort(-sel.single_gain)
                decisions = {
                    "strategy": config.strategy,
                    "chosen": [config.candidates[i] for i in sel.chosen],
                    "acquisition_uncertainty": config.acquisition_uncertainty,
                    "marginal_gain_nats": list(sel.gain),
                    "candidates": [
                        {
                            "condition": config.candidates[i],
                            "gain_nats": float(sel.single_gain[i]),
                            "cost": float(sel.cost[i]),
                            "measured": bool(i in exclude),
                            "predicted_sd_mean": float(np.mean(spread[i])),
                        }
                        for i in order
                    ],
                }
            if not sel.chosen:
                say(f"round {r}: nothing left to choose (candidates or budget exhausted); stopping")
                break
            decisions["rationale"] = why
            _write_json(rd / "decisions.json", decisions)
            plan = _plan_for(config, sel.chosen, r, why)
            plan.to_json(plan_path)
            say(f"round {r}: chose {', '.join(decisions['chosen'])}")
        new = lab.run(plan)
        _check_lab_data(new, plan)
        new = new.subset(conditions=list(plan.conditions), observables=list(config.observables))
        new.to_hdf5(rd / "new_data.h5")
        data = new if data is None else merge(data, new, replicates="append")
        data.to_hdf5(rd / "data.h5")
        _write_json(state_path, {"completed_rounds": r + 1})
        pb.update(1)
    pb.close()

    if data is None:  # no initial data, and the first round could choose nothing (e.g. the budget)
        raise LoopError("no initial data and no experiment chosen: nothing to train the final ensemble on")
    final = folder / "final"
    ens = train_ensemble(learner, data, config.n_members, _round_seed(config.seed, config.rounds), config.bootstrap)
    ens.save(final / "ensemble")
    _write_json(final / "metrics.json", _evaluate(ens, heldout, config, data, config.rounds))
    data.to_hdf5(final / "data.h5")
    return LoopResult(data, ens, learning_curve(folder), folder)


def learning_curve(folder: str | Path) -> list[dict]:
    """The metrics of every round (and the final model) of a loop folder, in order."""
    folder = Path(folder)
    rows = [json.loads(p.read_text()) for p in sorted(folder.glob("round_*/metrics.json"))]
    if (folder / "final" / "metrics.json").exists():
        rows.append(json.loads((folder / "final" / "metrics.json").read_text()))
    return rows
