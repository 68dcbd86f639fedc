"""yeastcell.active: ensemble spread, acquisition (gain, cost, diversity), the checkpointed loop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from yeastcell.active import (
    AcquisitionError,
    GeneFeatures,
    LinearResidualLearner,
    LoopConfig,
    LoopError,
    closed_loop,
    select_batch,
    train_ensemble,
)
from yeastcell.active.acquisition import _factors, _logdet_gain
from yeastcell.data import Dataset
from yeastcell.exceptions import SimulationInputError, SolverError

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------- acquisition


def test_single_gain_is_the_gaussian_information_of_the_ensemble_variance():
    rng = np.random.default_rng(0)
    members = rng.normal(size=(6, 5, 1, 1)) * np.array([0.1, 0.5, 1, 2, 4])[None, :, None, None]
    sel = select_batch(members, 1, noise_sd=0.3)
    var = members[:, :, 0, 0].var(axis=0, ddof=1)
    np.testing.assert_allclose(sel.single_gain, 0.5 * np.log1p(var / 0.3**2), rtol=1e-12)
    assert sel.chosen == (4,)


def test_batch_gain_is_log_det_of_the_joint_ensemble_covariance():
    rng = np.random.default_rng(1)
    members = rng.normal(size=(7, 4, 2, 3))
    sel = select_batch(members, 3, noise_sd=0.5)
    # the sum of greedy marginal gains equals 1/2 log det(I + C_S / s^2), C_S the ensemble covariance
    # of all outputs of the chosen candidates (ddof 1)
    flat = members[:, list(sel.chosen)].reshape(7, -1)
    C = np.cov(flat, rowvar=False, ddof=1)
    exact = 0.5 * np.linalg.slogdet(np.eye(C.shape[0]) + C / 0.25)[1]
    assert sum(sel.gain) == pytest.approx(exact, rel=1e-9)
    assert all(a >= b - 1e-12 for a, b in zip(sel.gain, sel.gain[1:]))  # submodular: gains shrink


def test_eig_spreads_the_batch_and_uncertainty_only_does_not():
    rng = np.random.default_rng(2)
    w = rng.normal(size=(12, 2))
    w -= w.mean(axis=0)
    w /= np.linalg.norm(w, axis=0)
    # candidates 0-2 are near-copies of one predicted effect; 3 an independent, slightly smaller one
    members = np.zeros((12, 4, 1, 2))
    for i, amp in enumerate((1.0, 0.99, 0.98)):
        members[:, i, 0, :] = amp * w[:, [0]] @ np.ones((1, 2))
    members[:, 3, 0, :] = 0.9 * w[:, [1]] @ np.ones((1, 2))
    assert select_batch(members, 2, strategy="uncertainty").chosen == (0, 1)
    assert select_batch(members, 2, strategy="eig").chosen == (0, 3)
    # cost: the copy at a quarter of the price wins the first pick
    cost = [4.0, 1.0, 4.0, 4.0]
    assert select_batch(members, 1, cost=cost).chosen == (1,)
    # exclusions and budget
    assert 0 not in select_batch(members, 3, exclude=[0]).chosen
    assert select_batch(members, 4, cost=cost, budget=5.0).chosen == (1, 3)
    r1 = select_batch(members, 2, strategy="random", seed=5).chosen
    assert r1 == select_batch(members, 2, strategy="random", seed=5).chosen


def test_acquisition_rejects_bad_input():
    m = np.zeros((3, 2, 1, 1))
    with pytest.raises(AcquisitionError, match="did you mean 'eig'"):
        select_batch(m, 1, strategy="eigg")
    with pytest.raises(AcquisitionError, match="cost"):
        select_batch(m, 1, cost=[1.0, 0.0])
    with pytest.raises(AcquisitionError, match="batch size"):
        select_batch(m, 0)
    with pytest.raises(AcquisitionError, match="n_members >= 2"):
        select_batch(np.zeros((1, 2, 1, 1)), 1)
    A = _factors(np.ones((3, 2, 1, 1)), np.ones(1), 1.0)
    np.testing.assert_array_equal(_logdet_gain(np.eye(3), A), 0.0)  # agreeing members: no gain


# --------------------------------------------------------------------------- a cheap world for the loop
GENES = ("G1", "G2", "G3", "G4", "G5", "G6")
OBS = ("A", "B")
TIMES = (5.0, 20.0)
CANDIDATES = tuple(
    [f"kd:{g}=0.2" for g in GENES]
    + [f"ko:{g}" for g in GENES]
    + [f"kd:{a}=0.5+kd:{b}=0.5" for i, a in enumerate(GENES) for b in GENES[i + 1 :]]
)
HELDOUT = tuple(f"kd:{g}=0.6" for g in GENES)


def _prior(conds, times, obs):
    """A known 'mechanistic' response: saturating in total activity loss, rising with time."""
    X = GeneFeatures(GENES, pairs=False)(list(conds))
    load = X @ np.linspace(0.5, 1.5, len(GENES))
    t = np.asarray(times)
    return np.stack(
        [10 * (1 - np.exp(-t[None, :] / 10)) / (1 + load[:, None]), 2 + load[:, None] * t[None, :] / 20], axis=-1
    )


def _truth(conds, times, obs):
    """The prior plus effects the prior misses (one gene strongly, one pair synergistically)."""
    F = GeneFeatures(GENES)(list(conds))
    extra = 3.0 * F[:, 2] - 2.0 * F[:, len(GENES) + 4] + 1.5 * F[:, 5]
    out = _prior(conds, times, obs)
    out[..., 0] += extra[:, None]
    out[..., 1] -= 0.5 * extra[:, None]
    return out


class NumpyLab:
    """Deterministic per plan: the noise is seeded by the plan's round and conditions."""

    def __init__(self, sd=0.05, delay=None, marker_dir=None):
        self.sd, self.delay, self.marker_dir = sd, delay, marker_dir

    def run(self, plan):
        if self.marker_dir is not None:
            Path(self.marker_dir, f"lab_round_{plan.round}").touch()
        if self.delay and plan.round >= self.delay[0]:
            time.sleep(self.delay[1])
        seed = [plan.round] + [ord(ch) for ch in "".join(plan.conditions)]
        rng = np.random.default_rng(seed)
        v = _truth(plan.conditions, TIMES, OBS)[:, None] + rng.normal(0, self.sd, (len(plan.conditions), 1, 2, 2))
        return Dataset(
            conditions=plan.conditions,
            times_min=np.array(TIMES),
            observables=OBS,
            values=v,
            mask=np.ones(v.shape, bool),
            units={"A": "mM", "B": "mM"},
        )


def _config(**kw):
    base = dict(
        candidates=CANDIDATES,
        times_min=TIMES,
        observables=OBS,
        scale=(1.0, 1.0),
        rounds=4,
        batch_size=3,
        n_members=8,
        n_initial=3,
        seed=11,
        units={"A": "mM", "B": "mM"},
    )
    base.update(kw)
    return LoopConfig(**base)


def _learner():
    return LinearResidualLearner(_prior, GeneFeatures(GENES), TIMES, OBS, scale=np.ones(2), noise_sd=0.05, prior_sd=1.0)


def _heldout():
    return NumpyLab(sd=0.0).run(type("P", (), {"round": 99, "conditions": HELDOUT})())


def run_loop(folder, delay=None):
    """Entry point of the kill test's subprocess (and of the uninterrupted reference run)."""
    return closed_loop(
        _config(), _learner(), NumpyLab(delay=delay, marker_dir=folder), folder, heldout=_heldout(), log=None
    )


# --------------------------------------------------------------------------- ensemble


def test_ensemble_spread_is_the_posterior_spread():
    learner = _learner()
    lab = NumpyLab(sd=0.0)
    data = lab.run(type("P", (), {"round": 0, "conditions": CANDIDATES[:6]})())  # single knockdowns
    ens = train_ensemble(learner, data, n_members=64, seed=0)
    pred = ens.predict(["kd:G3=0.2", "kd:G1=0.5+kd:G2=0.5"], np.array(TIMES), OBS)
    # measured direction: the truth is recovered and the spread is about the noise level
    truth = _truth(["kd:G3=0.2"], TIMES, OBS)[0]
    np.testing.assert_allclose(pred.mean[0], truth, atol=0.1)
    assert pred.sd[0].max() < 0.1
    # a pair never measured: its interaction weight is still at the prior (sd 1 * 0.5 * 0.5 = 0.25)
    assert 0.15 < pred.sd[1].mean() < 0.4
    with pytest.raises(ValueError, match="at least 2"):
        train_ensemble(learner, data, n_members=1)


# --------------------------------------------------------------------------- the loop


def test_loop_learns_checkpoints_and_resumes_after_a_crash(tmp_path):
    ref = run_loop(tmp_path / "ref")
    curve = ref.curve
    assert [c["round"] for c in curve] == [1, 2, 3, 4]
    assert [c["n_experiments"] for c in curve] == [3, 6, 9, 12]
    assert curve[-1]["heldout_rmse"] < 0.5 * curve[0]["heldout_rmse"]
    d = json.loads((tmp_path / "ref" / "round_001" / "decisions.json").read_text())
    assert len(d["chosen"]) == 3 and len(d["candidates"]) == len(CANDIDATES)
    assert all("information gain" in why for why in d["rationale"])
    assert len(set(ref.data.conditions)) == 12
    # the report names every chosen experiment with its reason; the CLI prints it and plots the curve
    from yeastcell.active.report import loop_report
    from yeastcell.cli import main

    text = loop_report(tmp_path / "ref")
    assert all(c in text for c in d["chosen"]) and "## Round 3" in text and "held-out RMSE" in text
    assert main(["loop", "report", str(tmp_path / "ref"), "--plot", str(tmp_path / "curve.png")]) == 0
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"

    # a lab that fails during round 2: the loop stops, the next call resumes and ends identical
    class Crashing(NumpyLab):
        def run(self, plan):
            if plan.round == 2:
                raise RuntimeError("robot jammed")
            return super().run(plan)

    with pytest.raises(RuntimeError, match="jammed"):
        closed_loop(_config(), _learner(), Crashing(), tmp_path / "crash", heldout=_heldout(), log=None)
    assert json.loads((tmp_path / "crash" / "state.json").read_text()) == {"completed_rounds": 2}
    again = closed_loop(_config(), _learner(), NumpyLab(), tmp_path / "crash", heldout=_heldout(), log=None)
    assert again.data.equals(ref.data)
    # a finished loop reruns to the same result; another configuration is refused
    assert run_loop(tmp_path / "ref").data.equals(ref.data)
    with pytest.raises(LoopError, match="another configuration"):
        closed_loop(_config(batch_size=2), _learner(), NumpyLab(), tmp_path / "ref", log=None)


def _kill_loop_during_round_2(runner: str, folder, timeout_s: float) -> None:
    """Run ``test_active.<runner>(folder)`` in a child process and SIGKILL it while the lab runs round 2."""
    folder.mkdir()
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import test_active as t; "
        f"t.{runner}({str(folder)!r}, delay=(2, 600))"
    )
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout_s
        while not (folder / "lab_round_2").exists():  # the lab is running round 2's experiments
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the loop never reached round 2"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL


def test_loop_killed_during_a_round_resumes_to_the_same_dataset(tmp_path):
    ref = run_loop(tmp_path / "ref")
    folder = tmp_path / "killed"
    _kill_loop_during_round_2("run_loop", folder, timeout_s=240)
    assert json.loads((folder / "state.json").read_text()) == {"completed_rounds": 2}
    assert (folder / "round_002" / "plan.json").exists() and not (folder / "round_002" / "data.h5").exists()
    resumed = run_loop(folder)
    assert resumed.data.equals(ref.data)
    assert Dataset.from_hdf5(folder / "final" / "data.h5").equals(ref.data)
    assert resumed.curve == ref.curve


def test_loop_with_a_file_lab_waits_for_measurements_and_continues(tmp_path):
    import csv

    from yeastcell.lab import FileLab, MeasurementsPending

    lab = FileLab(tmp_path / "lab")
    cfg = _config(rounds=3, batch_size=2, n_initial=2)

    def fill(round_):
        d = tmp_path / "lab" / f"round_{round_:03d}"
        with open(d / "measurements_template.csv") as fh:
            rows = list(csv.DictReader(fh))
        for r in rows:  # the "lab" measures the truth
            y = _truth([r["condition"]], [float(r["time_min"])], OBS)[0, 0, OBS.index(r["observable"])]
            r["value"] = repr(float(y))
        with open(d / "measurements.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        return {r["condition"] for r in rows}

    measured = set()
    for r in range(3):
        with pytest.raises(MeasurementsPending, match=f"round_{r:03d}"):
            closed_loop(cfg, _learner(), lab, tmp_path / "loop", log=None)
        new = fill(r)
        assert not new & measured  # every round asks for new experiments
        measured |= new
    res = closed_loop(cfg, _learner(), lab, tmp_path / "loop", log=None)
    assert set(res.data.conditions) == measured and len(measured) == 6
    # what the loop decided is what the lab was asked to do
    d1 = json.loads((tmp_path / "loop" / "round_001" / "decisions.json").read_text())
    exported = json.loads((tmp_path / "lab" / "round_001" / "plan.json").read_text())
    assert d1["chosen"] == [e["condition"] for e in exported["experiments"]]


def test_labs_taking_perturbations_and_times_are_adapted_to_plans():
    from yeastcell.active.loop import PerturbationLab, as_plan_lab
    from yeastcell.lab import Experiment, Plan

    calls = []

    class PerturbationStyleLab:  # like VirtualLab: the first time is the start; conditions get a base
        def run(self, perturbations, times_min):
            calls.append((list(perturbations), list(times_min)))
            v = np.arange(len(perturbations) * len(times_min), dtype=float).reshape(len(perturbations), 1, -1, 1) + 1
            return Dataset(
                tuple(f"cond:aerobic_batch+{p}" for p in perturbations),
                np.array(times_min),
                ("A",),
                v,
                np.ones(v.shape, bool),
            )

    lab = as_plan_lab(PerturbationStyleLab())
    assert isinstance(lab, PerturbationLab) and as_plan_lab(NumpyLab()).__class__ is NumpyLab
    plan = Plan((Experiment("a", "ko:G1", "", (5.0, 20.0)), Experiment("b", "kd:G2=0.5", "", (5.0, 20.0))), ("A",))
    ds = lab.run(plan)
    assert calls == [(["ko:G1", "kd:G2=0.5"], [0.0, 5.0, 20.0])]
    assert ds.conditions == plan.conditions and list(ds.times_min) == [5.0, 20.0]
    assert ds.values[1, 0, :, 0].tolist() == [5.0, 6.0]  # the t = 0 sample was dropped, not shifted
    with pytest.raises(LoopError, match="one sampling schedule"):
        lab.run(Plan((Experiment("a", "ko:G1", "", (5.0,)), Experiment("b", "ko:G2", "", (6.0,))), ("A",)))


def test_acquisition_on_log_outputs_and_checkpoints_from_before_the_option(tmp_path):
    from yeastcell.exceptions import UnknownNameError

    with pytest.raises(UnknownNameError, match="acquisition space"):
        _config(acquisition_space="sqrt")
    cfg = _config(acquisition_space="log", noise_sd=0.1, rounds=2)
    res = closed_loop(cfg, _learner(), NumpyLab(), tmp_path / "log", heldout=_heldout(), log=None)
    assert len(res.data.conditions) == 6
    assert json.loads((tmp_path / "log" / "config.json").read_text())["acquisition_space"] == "log"
    # the log space changes what is scored: a candidate's gain is that of its log predictions
    d = json.loads((tmp_path / "log" / "round_001" / "decisions.json").read_text())
    assert all(c["gain_nats"] >= 0 for c in d["candidates"])
    # a loop checkpointed before the option existed (no key in config.json) still resumes
    raw = _config(rounds=2)
    first = closed_loop(raw, _learner(), NumpyLab(), tmp_path / "raw", log=None)
    saved = json.loads((tmp_path / "raw" / "config.json").read_text())
    del saved["acquisition_space"], saved["acquisition_uncertainty"], saved["targets"]
    (tmp_path / "raw" / "config.json").write_text(json.dumps(saved))
    assert closed_loop(raw, _learner(), NumpyLab(), tmp_path / "raw", log=None).data.equals(first.data)
    with pytest.raises(LoopError, match="another configuration"):
        closed_loop(_config(rounds=2, acquisition_space="log"), _learner(), NumpyLab(), tmp_path / "raw", log=None)


def test_loop_from_initial_data_resumes_without_it(tmp_path):
    initial = NumpyLab(sd=0.0).run(type("P", (), {"round": 50, "conditions": ("kd:G1=0.2", "ko:G4")})())
    cfg = _config(n_initial=0, rounds=2)
    a = closed_loop(cfg, _learner(), NumpyLab(), tmp_path / "a", initial=initial, log=None)
    assert a.data.conditions[:2] == initial.conditions and len(a.data.conditions) == 2 + 2 * 3
    again = closed_loop(cfg, _learner(), NumpyLab(), tmp_path / "a", log=None)  # initial read back
    assert again.data.equals(a.data)
    other = initial.subset(conditions=["ko:G4"])
    with pytest.raises(LoopError, match="other initial data"):
        closed_loop(cfg, _learner(), NumpyLab(), tmp_path / "a", initial=other, log=None)
    with pytest.raises(LoopError, match="n_initial"):
        closed_loop(cfg, _learner(), NumpyLab(), tmp_path / "b", log=None)


def test_log_ratio_correction_recovers_multiplicative_errors():
    def truth(conds, times, obs):  # the prior is wrong by a factor that depends on the perturbation
        F = GeneFeatures(GENES)(list(conds))
        return _prior(conds, times, obs) * np.exp(0.3 + 0.8 * F[:, 1] - 0.5 * F[:, 3])[:, None, None]

    conds = CANDIDATES[:12]
    y = truth(conds, TIMES, OBS)[:, None]
    data = Dataset(conds, np.array(TIMES), OBS, y, np.ones(y.shape, bool))
    learner = LinearResidualLearner(
        _prior, GeneFeatures(GENES), TIMES, OBS, scale=np.ones(2), noise_sd=0.01, prior_sd=1.0, log=True
    )
    ens = train_ensemble(learner, data, n_members=16, seed=3)
    new = ["kd:G2=0.4+kd:G4=0.9"]  # unmeasured levels of measured genes; its pair term stays uncertain
    pred = ens.predict(new, np.array(TIMES), OBS)
    np.testing.assert_allclose(pred.mean, truth(new, TIMES, OBS), rtol=0.1)
    assert np.all(pred.members > 0)  # a log-ratio correction never predicts negative concentrations


def test_target_strategy_reduces_the_variance_of_what_is_to_be_predicted():
    rng = np.random.default_rng(4)
    w = rng.normal(size=(10, 3))
    w -= w.mean(axis=0)
    w /= np.linalg.norm(w, axis=0)
    members = np.zeros((10, 3, 1, 1))
    members[:, 0, 0, 0] = 2.0 * w[:, 0]  # most uncertain, but unrelated to the target
    members[:, 1, 0, 0] = 1.0 * w[:, 1]  # informs the target
    members[:, 2, 0, 0] = 1.0 * w[:, 2]
    target = np.zeros((10, 1, 1, 1))
    target[:, 0, 0, 0] = 3.0 * w[:, 1]
    assert select_batch(members, 1, strategy="eig").chosen == (0,)
    sel = select_batch(members, 1, strategy="target", target_members=target)
    assert sel.chosen == (1,)
    # with the pool itself as target, redundancy still lowers the value of a second copy
    dup = np.concatenate([members[:, :1], members[:, :1] * 0.999, members[:, 1:2]], axis=1)
    assert select_batch(dup, 2, strategy="target").chosen == (0, 2)


# --------------------------------------------------------------------------- the mechanistic-parameter learner
# a small kinetic model (tests/models/two_step.yaml: reversible uptake S_e <-> S_c, S_c -> P_c by ENZ1)
TS_TRUE = {"uptake.kf": 1.4, "conv.kf": 0.6}  # hidden multipliers of the virtual lab's truth
TS_PARAMS = ("uptake.kf", "uptake.kr", "conv.kf")
TS_OBS = ("S_e", "S_c")
TS_TIMES = (2.0, 5.0, 10.0)
TS_CANDIDATES = tuple(
    [f"kd:ENZ1={f}" for f in (0.1, 0.3, 0.5, 0.7)]
    + [f"set:S_e={s}" for s in (1.0, 4.0)]
    + [f"kd:ENZ1={f}+set:S_e=4" for f in (0.2, 0.6)]
    + ["ko:ENZ1", "wt"]
)


def _two_step_learner(cell, noise_sd=0.01, **kw):
    from yeastcell.active import ParameterLearner

    return ParameterLearner(cell, TS_PARAMS, TS_TIMES, TS_OBS, prior_sd=0.5, noise_sd=noise_sd, **kw)


def _two_step_truth_data(cell, conditions):
    """Noise-free observables of the hidden truth (replicate means), as a Dataset."""
    from yeastcell.lab import VirtualLab, hidden_truth

    lab = VirtualLab(hidden_truth(cell, parameter_changes=TS_TRUE), list(TS_OBS))
    _, _, y, status = lab.true_observables(list(conditions), [0.0, *TS_TIMES])
    assert np.all(status == 0)
    y = y[:, None, 1:]
    return Dataset(tuple(conditions), np.array(TS_TIMES), TS_OBS, y, np.ones(y.shape, bool))


def test_parameter_learner_recovers_hidden_multipliers(two_step, tmp_path):
    learner = _two_step_learner(two_step)
    data = _two_step_truth_data(two_step, ["wt", "kd:ENZ1=0.3", "set:S_e=4"])
    u, _ = learner.map_fit(data)
    got = dict(zip(TS_PARAMS, np.exp(u)))
    for name in TS_PARAMS:  # uptake.kr was not changed: its multiplier is 1
        assert got[name] == pytest.approx(TS_TRUE.get(name, 1.0), rel=0.02), got
    # members are posterior samples around it; predictions of an unmeasured condition match the truth
    ens = train_ensemble(learner, data, n_members=8, seed=0)
    new = ["kd:ENZ1=0.6+set:S_e=4"]
    pred = ens.predict(new, np.array(TS_TIMES), TS_OBS)
    np.testing.assert_allclose(pred.mean, _two_step_truth_data(two_step, new).values[:, 0], rtol=0.02)
    # the fitted member as a cell: simulating it gives the member's predictions
    import yeastcell as yc
    from yeastcell.perturb.notation import parse_perturbation

    traj = yc.simulate(learner.as_cell(ens.members[0]), parse_perturbation(new[0]), [0.0, *TS_TIMES])
    np.testing.assert_allclose(traj.species("S_c")[1:], pred.members[0, 0, :, 1], rtol=1e-6)
    # save / load round trip
    learner.save(ens.members[0], tmp_path / "m")
    back = learner.load(tmp_path / "m")
    assert back.names == ens.members[0].names
    np.testing.assert_array_equal(back.log_mult, ens.members[0].log_mult)


def test_parameter_learner_solves_a_labelled_repeat_once(two_step):
    learner = _two_step_learner(two_step)
    calls = []
    run = learner._run_lanes
    learner._run_lanes = lambda U, conds: (calls.append(list(conds)), run(U, conds))[1]
    y = learner.log_predict(np.zeros(len(TS_PARAMS)), ["kd:ENZ1=0.3", "wt", "kd:ENZ1=0.3#2"])
    assert calls == [["kd:ENZ1=0.3", "wt"]]
    np.testing.assert_array_equal(y[0], y[2])
    assert not np.allclose(y[0], y[1])


def test_parameter_learner_spread_shrinks_with_data_and_stays_wide_where_unobserved(two_step):
    learner = _two_step_learner(two_step, noise_sd=0.05)
    # a knockout of ENZ1 says nothing about conv.kf: its posterior stays the prior (sd 0.5)
    ko = _two_step_truth_data(two_step, ["ko:ENZ1"])
    _, H_ko = learner.map_fit(ko)
    sd_ko = np.sqrt(np.diag(np.linalg.inv(H_ko)))
    assert sd_ko[2] == pytest.approx(0.5, rel=1e-6)
    assert sd_ko[0] < 0.25
    more = _two_step_truth_data(two_step, ["ko:ENZ1", "wt", "kd:ENZ1=0.3", "set:S_e=4"])
    _, H_more = learner.map_fit(more)
    sd_more = np.sqrt(np.diag(np.linalg.inv(H_more)))
    assert np.all(sd_more < sd_ko) and sd_more[2] < 0.1
    # the ensemble's predictive spread: wide for the wild type (depends on conv.kf) after the knockout
    # data, narrow for the knockout itself, and narrow for both after more data
    q = ["wt", "ko:ENZ1"]
    p_ko = train_ensemble(learner, ko, n_members=32, seed=1).predict(q, np.array(TS_TIMES), TS_OBS)
    p_more = train_ensemble(learner, more, n_members=32, seed=1).predict(q, np.array(TS_TIMES), TS_OBS)

    def rel(p):
        return (p.sd / p.mean)[:, :, 1].mean(axis=1)  # relative sd of S_c

    assert rel(p_ko)[0] > 2 * rel(p_ko)[1]
    assert rel(p_more)[0] < 0.5 * rel(p_ko)[0]


def test_parameter_learner_rto_members_and_bad_input(two_step):
    from yeastcell.active import ParameterLearner
    from yeastcell.exceptions import UnknownNameError

    data = _two_step_truth_data(two_step, ["wt", "kd:ENZ1=0.3", "set:S_e=4"])
    learner = _two_step_learner(two_step, noise_sd=0.05, posterior="rto", rto_steps=2)
    _, H = learner.map_fit(data)
    members = np.array([learner.fit(data, s).log_mult for s in range(12)])
    # RTO members scatter around the MAP by about the Laplace sd (same order; exact for linear models)
    sd = np.sqrt(np.diag(np.linalg.inv(H)))
    ratio = members.std(axis=0, ddof=1) / sd
    assert np.all((ratio > 0.3) & (ratio < 3.0)), ratio
    with pytest.raises(UnknownNameError, match="conv.kf"):
        ParameterLearner(two_step, ["conv.kff"], TS_TIMES, TS_OBS)
    with pytest.raises(UnknownNameError, match="laplace"):
        ParameterLearner(two_step, ["conv.kf"], TS_TIMES, TS_OBS, posterior="laplac")
    with pytest.raises(ValueError, match="only the times"):
        learner.predict(learner.fit(data, 0), ["wt"], np.array([1.0]), TS_OBS)


def test_parameter_learner_with_offsets_stays_calibrated_under_a_systematic_bias(two_step):
    # every experiment's S_e reads 6 % high and S_c 5 % low (one lab calibration): a learner that
    # ignores such offsets pins the multipliers confidently in the wrong place; with one nuisance
    # offset per observable (prior sd 0.05) the truth lies within 2 posterior sd
    conds = ["wt", "kd:ENZ1=0.3", "set:S_e=4", "kd:ENZ1=0.6+set:S_e=4", "set:S_e=1"]
    data = _two_step_truth_data(two_step, conds)
    biased = data.replace(values=data.values * np.exp([0.06, -0.05]))
    true = np.log([TS_TRUE.get(p, 1.0) for p in TS_PARAMS])

    def worst_z(learner):
        u, H = learner.map_fit(biased)
        return np.max(np.abs(u - true) / np.sqrt(np.diag(np.linalg.inv(H))))

    assert worst_z(_two_step_learner(two_step, noise_sd=0.02)) > 3
    with_offsets = _two_step_learner(two_step, noise_sd=0.02, offset_sd=0.05)
    assert worst_z(with_offsets) < 2
    assert set(with_offsets.map_offsets(biased)) == set(TS_OBS)
    assert with_offsets.map_offsets(biased)["S_e"] == pytest.approx(0.06, abs=0.03)
    assert _two_step_learner(two_step).map_offsets(biased) == {}
    with pytest.raises(SimulationInputError, match="offset_sd"):
        _two_step_learner(two_step, offset_sd=-0.1)


def test_linearised_members_carry_the_laplace_predictive_covariance(two_step, tmp_path):
    learner = _two_step_learner(two_step, noise_sd=0.05)
    data = _two_step_truth_data(two_step, ["ko:ENZ1", "wt"])
    conds = ["kd:ENZ1=0.3", "set:S_e=4", "ko:ENZ1"]
    sig = learner.linearised_log_members(data, conds)
    assert sig.shape == (2 * len(TS_PARAMS), len(conds), len(TS_TIMES), len(TS_OBS))
    u, H = learner.map_fit(data)
    f, J = learner.sensitivities(u, conds)
    np.testing.assert_allclose(sig.mean(axis=0), f, atol=1e-12)
    # the sample covariance that select_batch forms (divisor M - 1) is J Σ Jᵀ over all candidates jointly
    dev = (sig - sig.mean(axis=0)).reshape(sig.shape[0], -1)
    Jf = J.reshape(-1, len(TS_PARAMS))
    exact = Jf @ np.linalg.inv(H) @ Jf.T
    np.testing.assert_allclose(dev.T @ dev / (sig.shape[0] - 1), exact, atol=1e-10 * np.abs(exact).max())
    # and it is the Laplace ensemble's predictive covariance up to linearisation and sampling error
    ens = train_ensemble(learner, data, n_members=400, seed=0)
    logs = np.log(ens.predict(conds, np.array(TS_TIMES), TS_OBS).members).reshape(400, -1)
    np.testing.assert_allclose(logs.std(axis=0, ddof=1), np.sqrt(np.diag(exact)), rtol=0.15)
    # in the loop: the acquisition uses it (recorded in the decisions); it needs log outputs and such a learner
    cfg = _two_step_loop_config(rounds=2, acquisition_space="log", acquisition_uncertainty="linearised")
    res = closed_loop(
        cfg, _two_step_learner(two_step, noise_sd=0.05), _SlowPlanLab(two_step), tmp_path / "lin", log=None
    )
    d = json.loads((tmp_path / "lin" / "round_001" / "decisions.json").read_text())
    assert d["acquisition_uncertainty"] == "linearised" and len(res.data.conditions) == 4
    assert max(c["gain_nats"] for c in d["candidates"]) > 0
    # strategy "target" with targets outside the library: the pick is the candidate that most reduces
    # the linearised predictive variance of the targets (not of the candidates themselves): to predict
    # a low-substrate condition, measure the low-substrate candidate
    cands = ("set:S_e=1", "set:S_e=4", "kd:ENZ1=0.3", "kd:ENZ1=0.5", "ko:ENZ1")
    cfg = _two_step_loop_config(
        rounds=1,
        acquisition_space="log",
        acquisition_uncertainty="linearised",
        strategy="target",
        targets=("set:S_e=0.5",),
        candidates=cands,
        batch_size=1,
        n_initial=0,
    )
    lrn = _two_step_learner(two_step, noise_sd=0.05)
    first = _two_step_truth_data(two_step, ["set:S_e=4"]).replace(units={"S_e": "mM", "S_c": "mM"})
    closed_loop(cfg, lrn, _SlowPlanLab(two_step), tmp_path / "tgt", initial=first, log=None)
    d = json.loads((tmp_path / "tgt" / "round_000" / "decisions.json").read_text())
    expect = select_batch(
        lrn.linearised_log_members(first, cands),
        1,
        noise_sd=cfg.noise_sd,
        strategy="target",
        exclude=[cands.index(c) for c in first.conditions],
        target_members=lrn.linearised_log_members(first, cfg.targets),
    )
    own = select_batch(
        lrn.linearised_log_members(first, cands),
        1,
        noise_sd=cfg.noise_sd,
        strategy="target",
        exclude=[cands.index(c) for c in first.conditions],
    )
    assert d["chosen"] == [cands[expect.chosen[0]]] == ["set:S_e=1"] != [cands[own.chosen[0]]], (first.conditions, own)
    with pytest.raises(LoopError, match='strategy "target" only'):
        _two_step_loop_config(targets=("wt",))
    with pytest.raises(LoopError, match="needs acquisition_space"):
        _two_step_loop_config(acquisition_uncertainty="linearised")
    with pytest.raises(LoopError, match="linearised_log_members"):
        closed_loop(
            _config(acquisition_space="log", acquisition_uncertainty="linearised"),
            _learner(),
            NumpyLab(),
            tmp_path / "bad",
            log=None,
        )


def _two_step_loop_config(**kw):
    base = {
        "candidates": TS_CANDIDATES,
        "times_min": TS_TIMES,
        "observables": TS_OBS,
        "scale": (0.5, 0.5),
        "rounds": 4,
        "batch_size": 2,
        "n_members": 4,
        "n_initial": 2,
        "seed": 5,
        "noise_sd": 0.1,
    }
    base.update(kw)
    return LoopConfig(**base)


class _SlowPlanLab:
    """A VirtualLab on the two-step truth behind the plan interface, with a marker file and a delay.

    No batch offsets: the learner's noise model has no per-observable offset (a shared bias of a few
    % on S_c moves conv.kf by several posterior sd)."""

    def __init__(self, cell, delay=None, marker_dir=None):
        from yeastcell.active.loop import PerturbationLab
        from yeastcell.lab import MeasurementModel, VirtualLab, hidden_truth

        self.lab = PerturbationLab(
            VirtualLab(
                hidden_truth(cell, parameter_changes=TS_TRUE),
                list(TS_OBS),
                seed=3,
                measurement=MeasurementModel(sigma_log=0.05, n_replicates=2, batch_sd_log=0.0),
            )
        )
        self.delay, self.marker_dir = delay, marker_dir

    def run(self, plan):
        if self.marker_dir is not None:
            Path(self.marker_dir, f"lab_round_{plan.round}").touch()
        if self.delay and plan.round >= self.delay[0]:
            time.sleep(self.delay[1])
        return self.lab.run(plan)


def run_parameter_loop(folder, delay=None):
    """Entry point of the parameter-learner kill test's subprocess (and of the reference run)."""
    from conftest import TEST_MODELS

    import yeastcell as yc

    cell = yc.load_cell(TEST_MODELS / "two_step.yaml")
    return closed_loop(
        _two_step_loop_config(),
        _two_step_learner(cell, noise_sd=0.05),
        _SlowPlanLab(cell, delay, folder),
        folder,
        log=None,
    )


@pytest.mark.slow  # CI budget: the loop's kill/resume is covered in CI by the linear learner's kill test
def test_loop_with_the_parameter_learner_killed_during_a_round_resumes_to_the_same_dataset(tmp_path):
    ref = run_parameter_loop(tmp_path / "ref")
    assert len(ref.data.conditions) == 2 + 3 * 2
    # the loop's data pin the multipliers: the MAP lies within 3 posterior sd of the hidden truth
    from conftest import TEST_MODELS

    import yeastcell as yc

    u, H = _two_step_learner(yc.load_cell(TEST_MODELS / "two_step.yaml"), noise_sd=0.05).map_fit(ref.data)
    true = np.log([TS_TRUE.get(p, 1.0) for p in TS_PARAMS])
    assert np.all(np.abs(u - true) < 3 * np.sqrt(np.diag(np.linalg.inv(H)))), (np.exp(u), H)
    folder = tmp_path / "killed"
    _kill_loop_during_round_2("run_parameter_loop", folder, timeout_s=600)
    assert json.loads((folder / "state.json").read_text()) == {"completed_rounds": 2}
    resumed = run_parameter_loop(folder)
    assert resumed.data.equals(ref.data)
    np.testing.assert_array_equal(resumed.ensemble.members[0].log_mult, ref.ensemble.members[0].log_mult)


def test_loop_command_runs_the_parameter_learner_from_a_config_file(tmp_path):
    from conftest import TEST_MODELS

    from yeastcell.cli import main
    from yeastcell.cli.loop_config import build, load_config
    from yeastcell.exceptions import UnknownNameError

    cfg = {
        "model": str(TEST_MODELS / "two_step.yaml"),
        "candidates": list(TS_CANDIDATES),
        "times_min": list(TS_TIMES),
        "observables": list(TS_OBS),
        "scale": [0.5, 0.5],
        "rounds": 2,
        "batch_size": 1,
        "n_members": 4,
        "n_initial": 1,
        "seed": 3,
        "noise_sd": 0.05,
        "acquisition_space": "log",
        "acquisition_uncertainty": "linearised",
        "learner": {"kind": "parametric", "parameters": list(TS_PARAMS), "offset_sd": 0.02},
        "lab": {"kind": "virtual", "seed": 2, "parameter_changes": TS_TRUE},
    }
    path = tmp_path / "loop.json"
    path.write_text(json.dumps(cfg))
    assert main(["loop", "run", str(path), str(tmp_path / "run")]) == 0
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["acquisition_uncertainty"] == "linearised" and saved["acquisition_space"] == "log"
    d = json.loads((tmp_path / "run" / "round_001" / "decisions.json").read_text())
    assert d["acquisition_uncertainty"] == "linearised" and len(d["chosen"]) == 1
    assert Dataset.from_hdf5(tmp_path / "run" / "final" / "data.h5").conditions[1] == d["chosen"][0]
    config, learner, *_ = build(load_config(path))
    assert learner.parameters == TS_PARAMS and learner.offset_sd == 0.02
    for bad, match in (
        ({"kind": "parametric", "parameters": ["conv.kf"], "offset": 1}, "offset_sd"),
        ({"kind": "parametrc"}, "parametric"),
        ({"kind": "parametric"}, "genes"),
    ):
        path.write_text(json.dumps({**cfg, "learner": bad}))
        with pytest.raises((UnknownNameError, LoopError), match=match):
            build(load_config(path))


def test_parameter_learner_pulls_a_member_toward_the_map_when_no_draw_solves_the_checks(two_step, monkeypatch):
    # the model "fails" for a check condition wherever the multipliers lie farther than 0.05 from the
    # MAP (a collapse near the MAP, as under a strong knockdown): rejection sampling gives up after
    # max_draws, the member is the last draw pulled toward the MAP until it solves, with a warning;
    # if even the MAP fails, the error names the condition
    data = _two_step_truth_data(two_step, ["wt", "kd:ENZ1=0.3"])
    learner = _two_step_learner(two_step, noise_sd=0.05, check_conditions=("ko:ENZ1",), max_draws=3)
    u_map, _ = learner.map_fit(data)
    real = learner._run_lanes
    radius = {"r": 0.05}

    def collapsing(U, conditions):
        y, ok = real(U, conditions)
        return y, ok & (np.linalg.norm(U - u_map, axis=1) < radius["r"])

    monkeypatch.setattr(learner, "_run_lanes", collapsing)
    with pytest.warns(RuntimeWarning, match="pulled toward the MAP"):
        member = learner.fit(data, seed=0)
    assert 0 < np.linalg.norm(member.log_mult - u_map) < 0.05
    radius["r"] = 0.0  # nothing solves, not even the MAP
    with pytest.raises(SolverError, match="the MAP itself fails 'ko:ENZ1'"):
        learner.fit(data, seed=0)


# --------------------------------------------------------------------------- the hybrid-cell learner
@pytest.mark.slow  # 2-3 min each; the CI slice keeps the parametric learner: pytest -m slow tests/test_active.py
def test_hybrid_learner_ensemble_learns_a_hidden_rate_change_and_round_trips(two_step, tmp_path):
    # the truth's conversion is 40 % slower; a residual on that rate (input: S_c) can represent it.
    # A 2-member deep ensemble trained on 3 conditions predicts 2 unmeasured ones far better than
    # the mechanistic model, its members disagree (random output layers, own noise draws), and a
    # saved member loads back to the same predictions
    from yeastcell.active import CellPrior, HybridLearner
    from yeastcell.exceptions import UnknownNameError
    from yeastcell.hybrid import hybridize
    from yeastcell.lab import VirtualLab, hidden_truth

    lab = VirtualLab(hidden_truth(two_step, parameter_changes={"conv.kf": 0.6}), list(TS_OBS))

    def truth(conds):
        _, _, y, status = lab.true_observables(list(conds), [0.0, *TS_TIMES])
        assert np.all(status == 0)
        return Dataset(tuple(conds), np.array(TS_TIMES), TS_OBS, y[:, None, 1:], np.ones(y[:, None, 1:].shape, bool))

    hyb = hybridize(two_step, rate_targets=["conv"], input_species=["S_c"], input_genes=[], width=8, depth=1)
    learner = HybridLearner(hyb, TS_TIMES, TS_OBS, epochs=40, batch_size=4, learning_rate=5e-2, sigma_log2=0.05)
    ens = train_ensemble(learner, truth(["wt", "kd:ENZ1=0.3", "set:S_e=4"]), n_members=2, seed=0)
    new = ["kd:ENZ1=0.6+set:S_e=4", "set:S_e=1"]
    y = truth(new).values[:, 0]
    pred = ens.predict(new, np.array(TS_TIMES), TS_OBS)
    err = np.sqrt(np.mean(np.log(pred.mean / y) ** 2))
    prior_err = np.sqrt(np.mean(np.log(CellPrior(two_step)(new, np.array(TS_TIMES), TS_OBS) / y) ** 2))
    assert prior_err > 0.05 and err < 0.3 * prior_err, (err, prior_err)
    assert np.all(pred.sd[..., 1] > 0)
    learner.save(ens.members[1], tmp_path / "member")
    back = learner.load(tmp_path / "member")
    np.testing.assert_allclose(learner.predict(back, new), pred.members[1], rtol=1e-10)
    with pytest.raises(SimulationInputError, match="HybridCell"):
        HybridLearner(two_step, TS_TIMES, TS_OBS)
    with pytest.raises(SimulationInputError, match="times_min"):
        HybridLearner(hyb, (0.0, 5.0), TS_OBS)
    with pytest.raises(UnknownNameError, match="S_cc"):
        HybridLearner(hyb, TS_TIMES, ["S_cc"])


@pytest.mark.slow  # 2-3 min each; the CI slice keeps the parametric learner: pytest -m slow tests/test_active.py
def test_loop_command_runs_the_hybrid_learner_from_a_config_file(tmp_path):
    # the closed loop with a deep ensemble of hybrid cells: trains, acquires by the members'
    # disagreement, runs the virtual lab, checkpoints members as residual files and finishes
    from conftest import TEST_MODELS

    from yeastcell.active import HybridLearner
    from yeastcell.cli import main
    from yeastcell.cli.loop_config import build, load_config
    from yeastcell.exceptions import UnknownNameError

    net = {
        "kind": "hybrid",
        "rate_targets": ["conv"],
        "input_species": ["S_c"],
        "input_genes": [],
        "width": 4,
        "depth": 1,
        "epochs": 5,
        "batch_size": 4,
        "learning_rate": 0.05,
        "sigma_log2": 0.05,
    }
    cfg = {
        "model": str(TEST_MODELS / "two_step.yaml"),
        "candidates": list(TS_CANDIDATES),
        "times_min": list(TS_TIMES),
        "observables": list(TS_OBS),
        "scale": [0.5, 0.5],
        "rounds": 2,
        "batch_size": 1,
        "n_members": 2,
        "n_initial": 2,
        "seed": 3,
        "noise_sd": 0.05,
        "learner": net,
        "lab": {"kind": "virtual", "seed": 2, "parameter_changes": {"conv.kf": 0.6}},
    }
    path = tmp_path / "loop.json"
    path.write_text(json.dumps(cfg))
    assert main(["loop", "run", str(path), str(tmp_path / "run")]) == 0
    final = Dataset.from_hdf5(tmp_path / "run" / "final" / "data.h5")
    d = json.loads((tmp_path / "run" / "round_001" / "decisions.json").read_text())
    assert len(final.conditions) == 3 and final.conditions[2] == d["chosen"][0]
    _, learner, *_ = build(load_config(path))
    assert isinstance(learner, HybridLearner) and learner.epochs == 5
    path.write_text(json.dumps({**cfg, "learner": {**net, "genes": ["ENZ1"]}}))
    with pytest.raises(UnknownNameError, match="genes"):
        build(load_config(path))
