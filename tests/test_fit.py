"""Fitting: gradients through the solver vs finite differences, parameter recovery from virtual-lab
data with identifiability flags, checkpoint/resume after a real kill, early stopping."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import yeastcell as yc
from yeastcell.exceptions import SimulationInputError, UnknownNameError
from yeastcell.fit import FitParameter, fisher_information, fit, fittable
from yeastcell.fit.problem import build_problem, loss_terms
from yeastcell.lab import MeasurementModel, VirtualLab, hidden_truth

TWO_STEP_TRUE = {"uptake.kf": 0.8, "conv.kf": 0.12}  # multipliers of the authored values


def _two_step_data(two_step, seed=0, sigma=0.05):
    truth = hidden_truth(two_step, parameter_changes=TWO_STEP_TRUE)
    lab = VirtualLab(
        truth,
        ["S_c", "P_c", "S_e"],
        seed=seed,
        measurement=MeasurementModel(sigma_log=sigma, n_replicates=2, batch_sd_log=0.0),
    )
    return lab.run(["wt", "kd:ENZ1=0.5", "oe:ENZ1=2"], np.linspace(0.0, 10.0, 6))


def test_loss_gradient_forward_reverse_and_finite_differences(two_step):
    import dataclasses

    import diffrax
    import equinox as eqx

    ds = _two_step_data(two_step)
    f = fittable(two_step, ["uptake.kf", "uptake.kr", "conv.kf"])
    prob = build_problem(two_step, ds)
    idx = jnp.arange(3)
    base = yc.SolverOptions(rtol=1e-10, atol=1e-12)

    def loss(z, adj):
        return loss_terms(eqx.tree_at(lambda m: m.z, f, z), prob, idx, dataclasses.replace(base, adjoint=adj))[0]

    z0 = f.z + 0.1
    g_rev = np.asarray(jax.jit(jax.grad(lambda z: loss(z, diffrax.RecursiveCheckpointAdjoint())))(z0))
    g_fwd = np.asarray(jax.jit(jax.jacfwd(lambda z: loss(z, diffrax.ForwardMode())))(z0))
    lf = jax.jit(lambda z: loss(z, diffrax.RecursiveCheckpointAdjoint()))
    eps = 1e-6
    fd = np.array([(float(lf(z0.at[i].add(eps))) - float(lf(z0.at[i].add(-eps)))) / (2 * eps) for i in range(3)])
    np.testing.assert_allclose(g_rev, fd, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(g_fwd, g_rev, rtol=1e-8, atol=1e-10)
    assert np.abs(fd).max() > 1e-2


@pytest.mark.slow  # about 35 s: several Levenberg-Marquardt starts (CI time; run with: python3 -m pytest -m slow tests/test_fit.py)
def test_parameter_recovery_two_step_multistart_lm(two_step):
    ds = _two_step_data(two_step, sigma=0.03)
    bounds = {"uptake.kf": (0.05, 5.0), "conv.kf": (0.01, 2.0)}
    res = fit(two_step, ds, params=bounds, optimizer="lm", epochs=60, starts=3, seed=3)
    for name, mult in TWO_STEP_TRUE.items():
        true = mult * float(two_step.theta[two_step.theta_names.index(name)])
        assert res.parameters[name] == pytest.approx(true, rel=0.05), name
    assert len(res.starts) == 3 and all(np.isfinite(s["loss"]) for s in res.starts)
    ident = fisher_information(res.fittable, ds)
    assert ident.identifiable.all(), ident.table()


def test_confidence_intervals_cover_the_truth_and_the_cli_reports_them(two_step, tmp_path, capsys):
    """95 % intervals from the Fisher information (Gauss–Newton) at the optimum: around the fitted
    value, symmetric on the log scale, covering the true values of data with the stated noise; the
    `yeastcell fit` command prints them and writes them (with the method) into the result JSON."""
    from yeastcell.cli import main
    from yeastcell.fit import confidence_intervals

    ds = _two_step_data(two_step, sigma=0.03)  # natural-log sd 0.03 = 0.043 log2 units
    bounds = {"uptake.kf": (0.05, 5.0), "conv.kf": (0.01, 2.0)}
    res = fit(two_step, ds, params=bounds, optimizer="lm", epochs=60, seed=3, sigma_log2=0.043)
    ci = confidence_intervals(res.fittable, ds, level=0.95, sigma_log2=0.043)
    assert ci["method"] == "95 % CI from the Fisher information (Gauss–Newton), log-parameter scale"
    for name, mult in TWO_STEP_TRUE.items():
        c = ci["parameters"][name]
        true = mult * float(two_step.theta[two_step.theta_names.index(name)])
        assert c["value"] == pytest.approx(res.parameters[name], rel=1e-12)
        assert c["lower"] < true < c["upper"], (name, true, c)
        assert np.log(c["upper"] / c["value"]) == pytest.approx(np.log(c["value"] / c["lower"]), rel=1e-9)
        assert np.log(c["upper"] / c["lower"]) == pytest.approx(2 * 1.959964 * c["sd_log"], rel=1e-5)
        assert c["identifiable"] and 0 < c["sd_log"] < 0.1

    ds.to_hdf5(tmp_path / "d.h5")
    out = tmp_path / "fit.json"
    model = str(two_step.spec.path)
    args = ["fit", str(tmp_path / "d.h5"), "-m", model, "--optimizer", "lm", "--epochs", "60", "--sigma", "0.043"]
    rc = main([*args, "-p", "uptake.kf=0.05:5", "-p", "conv.kf=0.01:2", "-o", str(out), "-q"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "95 % CI from the Fisher information (Gauss–Newton), log-parameter scale" in printed
    assert any(ln.startswith("conv.kf\t") and "[" in ln for ln in printed.splitlines()), printed
    written = json.loads(out.read_text())["confidence_intervals"]
    assert written["method"] == ci["method"] and written["level"] == 0.95
    assert set(written["parameters"]) == {"uptake.kf", "conv.kf"}
    for name, c in written["parameters"].items():
        assert c["lower"] < json.loads(out.read_text())["parameters"][name] < c["upper"]


@pytest.mark.slow  # ~4 min on a 2-core CPU
def test_parameter_recovery_core_model_flags_nonidentifiable(core):
    """Virtual-lab data of the yeast core model with known (changed) parameters, no hidden structure.

    GLT.Vmax and GPD.Vmax control the glucose uptake and glycerol fluxes the lab measures and are
    recovered within 5 %; ACS1.Vmax (acetyl-CoA synthetase 1) carries no flux that the measured
    species see in this glucose pulse, so its Fisher information is ~0 and it is flagged."""
    true = {"GLT.Vmax": 0.8, "GPD.Vmax": 1.25}
    truth = hidden_truth(core, parameter_changes=true)
    obs = ["GLC_e", "ETOH_e", "GLY_e", "G6P_c", "F16BP_c", "PYR_c"]
    lab = VirtualLab(
        truth,
        obs,
        base="cond:teusink2000",
        seed=11,
        measurement=MeasurementModel(sigma_log=0.02, n_replicates=2, batch_sd_log=0.0),
    )
    ds = lab.run(["wt", "kd:HXK2=0.5"], [0.0, 1.0, 2.0, 5.0, 10.0])
    params = [
        FitParameter("GLT.Vmax", 20.0, 500.0),
        FitParameter("GPD.Vmax", 5.0, 500.0),
        FitParameter("ACS1.Vmax", 1e-3, 1e3),
    ]
    res = fit(core, ds, params=params, optimizer="lm", epochs=25, starts=2, seed=1, sigma_log2=0.03)
    for name, mult in true.items():
        nominal = float(core.theta[core.theta_names.index(name)])
        assert res.parameters[name] == pytest.approx(mult * nominal, rel=0.05), (name, res.parameters)
    ident = fisher_information(res.fittable, ds, sigma_log2=0.03)
    flags = dict(zip(ident.names, ident.identifiable))
    assert flags["GLT.Vmax"] and flags["GPD.Vmax"], ident.table()
    assert not flags["ACS1.Vmax"], ident.table()


def test_optax_training_early_stopping_and_history(two_step, tmp_path):
    ds = _two_step_data(two_step)
    res = fit(
        two_step,
        ds,
        params={"uptake.kf": (0.05, 5.0), "conv.kf": (0.01, 2.0)},
        epochs=400,
        validation_fraction=0.34,
        patience=5,
        tol=1e-3,
        seed=0,
        checkpoint_dir=tmp_path / "ck",
    )
    assert len(res.history) < 400  # stopped early
    assert res.val_loss is not None and res.history[0]["val_loss"] is not None
    assert res.history[-1]["loss"] < res.history[0]["loss"]
    saved = json.loads((tmp_path / "ck" / "history.json").read_text())
    assert len(saved["history"]) == len(res.history)


def test_bad_fit_input_is_named(two_step):
    ds = _two_step_data(two_step)
    with pytest.raises(UnknownNameError, match="uptake.kff"):
        fit(two_step, ds, params=["uptake.kff"])
    with pytest.raises(SimulationInputError, match="HybridCell"):
        fit(two_step, ds, train="residual")
    with pytest.raises(SimulationInputError, match="bounds"):
        fit(two_step, ds, params={"uptake.kf": (5.0, 10.0)})
    with pytest.raises(SimulationInputError, match="'fd'"):  # finite differences are for LM only
        fit(two_step, ds, params=["uptake.kf"], gradient="fd")
    with pytest.raises(SimulationInputError, match="'reverse'"):
        fit(two_step, ds, params=["uptake.kf"], optimizer="lm", gradient="reverse")


SCRIPT = textwrap.dedent("""
    import sys, numpy as np, jax
    jax.config.update("jax_enable_x64", True)
    import yeastcell as yc
    from yeastcell.fit import fit
    from yeastcell.lab import MeasurementModel, VirtualLab, hidden_truth
    cell = yc.load_cell(sys.argv[1])
    truth = hidden_truth(cell, parameter_changes={"uptake.kf": 0.8, "conv.kf": 0.12})
    lab = VirtualLab(truth, ["S_c", "P_c", "S_e"], seed=0,
                     measurement=MeasurementModel(sigma_log=0.05, n_replicates=2, batch_sd_log=0.0))
    ds = lab.run(["wt", "kd:ENZ1=0.5", "oe:ENZ1=2"], np.linspace(0.0, 10.0, 6))
    res = fit(cell, ds, params={"uptake.kf": (0.05, 5.0), "conv.kf": (0.01, 2.0)}, epochs=int(sys.argv[3]),
              patience=1000, checkpoint_dir=sys.argv[2], progress=True)
    print("RESULT", repr(res.parameters["uptake.kf"]), repr(res.parameters["conv.kf"]), len(res.history))
""")


@pytest.mark.slow  # 40-50 s in CI (2-core run of 2026-12-07); pytest -m slow runs it
def test_checkpoint_resume_after_kill(tmp_path):
    """A fit killed (SIGKILL) mid-run resumes from its last epoch and ends where an uninterrupted run ends."""
    from conftest import TEST_MODELS

    script = tmp_path / "run_fit.py"
    script.write_text(SCRIPT)
    model = str(TEST_MODELS / "two_step.yaml")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    epochs = 60
    ck = tmp_path / "ck"
    proc = subprocess.Popen(
        [sys.executable, str(script), model, str(ck), str(epochs)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    meta = ck / "state.json"
    deadline = time.time() + 600
    killed_at = None
    while time.time() < deadline and proc.poll() is None:
        if meta.is_file():
            try:
                e = json.loads(meta.read_text())["epoch"]
            except (ValueError, KeyError):
                e = -1
            if e >= 5:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                killed_at = e
                break
        time.sleep(0.05)
    assert killed_at is not None, "the fit finished or stalled before it could be killed"
    saved = json.loads(meta.read_text())["epoch"]
    assert saved >= killed_at
    out = subprocess.run(
        [sys.executable, str(script), model, str(ck), str(epochs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    resumed = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")).split()
    hist = json.loads((ck / "history.json").read_text())["history"]
    assert [h["epoch"] for h in hist] == list(range(epochs))  # every epoch once: nothing lost or repeated
    ref = subprocess.run(
        [sys.executable, str(script), model, str(tmp_path / "ck_ref"), str(epochs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    expected = next(ln for ln in ref.stdout.splitlines() if ln.startswith("RESULT")).split()
    np.testing.assert_allclose(float(resumed[1]), float(expected[1]), rtol=1e-9)
    np.testing.assert_allclose(float(resumed[2]), float(expected[2]), rtol=1e-9)


def test_residual_optimizer_decays_its_step_and_rejects_bad_settings():
    from yeastcell.fit import residual_optimizer

    opt = residual_optimizer(0.01, steps=50)
    w = jnp.asarray(0.0)
    state = opt.init(w)
    sizes = []
    for _ in range(50):  # a constant gradient: Adam's step is the scheduled step size
        upd, state = opt.update(jnp.asarray(5.0), state, w)
        sizes.append(float(-upd))
    assert sizes[0] == pytest.approx(0.01, rel=1e-3)
    assert sizes[-1] < 0.05 * sizes[0] and sizes[-1] > 0
    assert all(a >= b for a, b in zip(sizes, sizes[1:]))
    with pytest.raises(ValueError, match="steps"):
        residual_optimizer(0.01, steps=0)
    with pytest.raises(ValueError, match="final_fraction"):
        residual_optimizer(0.01, steps=10, final_fraction=0.0)
