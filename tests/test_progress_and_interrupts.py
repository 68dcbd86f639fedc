"""Progress bars (on for a terminal, off otherwise, overridable), batches run chunk by chunk with a
progress bar giving the same results, Ctrl-C during a whole-cell simulation from the command line
(exit within 5 s, one line, no output file), output paths checked before any work, `--pairs` with
three genes, and `compare` naming non-positive rows before simulating (`--detection-limit`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import jax.numpy as jnp
import numpy as np
import pytest
from conftest import REPO, TEST_MODELS

import yeastcell as yc
from yeastcell import progress
from yeastcell.cli import main
from yeastcell.data import Dataset
from yeastcell.perturb.notation import parse_perturbation
from yeastcell.solvers.chunks import chunk_size_for_progress, run_in_chunks

TWO_STEP = str(TEST_MODELS / "two_step.yaml")


# ------------------------------------------------------------------ the progress helper
def test_progress_on_for_a_terminal_off_otherwise_and_overridable(monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not progress.enabled() and progress.enabled(True) and not progress.enabled(False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress.enabled() and not progress.enabled(False)
    monkeypatch.setenv(progress.ENV, "0")
    assert not progress.enabled() and progress.enabled(True)
    monkeypatch.setenv(progress.ENV, "1")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert progress.enabled() and not progress.enabled(False)
    silent = progress.bar(total=3, progress=False)
    silent.update(2)
    silent.close()
    assert silent.n == 2


def test_run_in_chunks_equals_one_call_and_reports_each_chunk():
    xs = {"a": jnp.arange(10.0), "b": jnp.arange(20.0).reshape(10, 2)}
    seen = []
    out = run_in_chunks(lambda x: {"s": x["a"] + x["b"].sum(axis=1)}, xs, 4, seen.append)
    np.testing.assert_array_equal(out["s"], xs["a"] + xs["b"].sum(axis=1))
    assert seen == [4, 4, 2]  # the padded last chunk reports its real lanes
    assert chunk_size_for_progress(1000, 64, 20) == 67  # 15 chunks, 5 padded lanes
    assert chunk_size_for_progress(100, 64, 20) == 100  # fewer than 2 x 64 lanes: one chunk


def test_batch_with_progress_matches_the_plain_batch(two_step, capsys):
    perts = [yc.knockdown("ENZ1", f) for f in np.linspace(0.1, 0.9, 10)]
    t = np.linspace(0.0, 10.0, 6)
    plain = yc.simulate_batch(two_step, perts, t, progress=False)
    shown = yc.simulate_batch(two_step, perts, t, lanes_per_chunk=4, progress=True)
    err = capsys.readouterr().err
    assert "simulate 10 conditions" in err  # the bar (transient: cleared when done)
    np.testing.assert_allclose(np.asarray(shown.conc), np.asarray(plain.conc), rtol=1e-6, atol=1e-9)
    assert shown.labels == plain.labels and np.array_equal(shown.status, plain.status)


def test_screen_and_fit_show_bars_when_asked(textbook, two_step, capsys):
    from yeastcell.fit import fit
    from yeastcell.gem import knockout_screen
    from yeastcell.gem.load import gem_from_cobra

    gem = gem_from_cobra(textbook)
    df = knockout_screen(gem, genes=list(gem.gene_ids[:40]), progress=True)
    assert len(df) == 40 and "single-deletion LPs" in capsys.readouterr().err
    knockout_screen(gem, genes=list(gem.gene_ids[:40]), progress=False)
    assert capsys.readouterr().err == ""
    lab_data = _dataset_with_a_zero(two_step)
    lab_data = lab_data.replace(values=lab_data.values + 0.1)
    fit(two_step, lab_data, params=["conv.kf"], epochs=2, progress=True)
    assert "fit" in capsys.readouterr().err


# ------------------------------------------------------------------ Ctrl-C
def test_keyboard_interrupt_is_one_line_and_status_130(monkeypatch, capsys):
    import yeastcell.cli.simulate as cli_simulate

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_simulate, "run", interrupted)
    assert main(["simulate", "-m", TWO_STEP]) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["yeastcell: interrupted (Ctrl-C)"]


@pytest.mark.serial  # timing-sensitive: run alone, not beside another xdist worker
def test_ctrl_c_during_a_whole_cell_simulation_stops_within_5_s(tmp_path):
    """SIGINT while XLA compiles the whole-cell solve (2 s after JAX logs the MLIR module of
    jit(_solve); compiling and integrating take minutes): the process ends within 5 s with status 130,
    one line on stderr after the signal, and no output file (nor a temporary one)."""
    import threading

    out = tmp_path / "cell.csv"
    env = dict(os.environ, YEASTCELL_PROGRESS="0", JAX_LOG_COMPILES="1", PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "yeastcell.cli", "simulate", "-m", "yeast_cell", "--t-end", "600", "-o", str(out)]
    # as from a terminal: SIGINT raises KeyboardInterrupt in the command. A test run started in the
    # background of a non-interactive shell (`pytest ... &`) has SIGINT ignored, and a child inherits
    # that, so it would not see the signal at all (the command then ran to the end with status 0);
    # the command is therefore started through a line that installs Python's handler first (no
    # preexec_fn: forking a multithreaded JAX process to run Python in the child can deadlock).
    start = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv = ['yeastcell'] + sys.argv[1:]; runpy.run_module('yeastcell.cli', run_name='__main__')"
    )
    cmd = [sys.executable, "-c", start, *cmd[3:]]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    compiling = threading.Event()

    def read_stderr():
        for ln in proc.stderr:
            lines.append(ln.rstrip("\n"))
            if "module conversion jit(_solve)" in ln:
                compiling.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert compiling.wait(timeout=300), "\n".join(lines[-20:])
        time.sleep(2.0)
        assert proc.poll() is None, "\n".join(lines[-20:])
        seen = len(lines)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        took = time.monotonic() - t0
        reader.join(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"stopped {took:.2f} s after SIGINT")
    assert proc.returncode == 130, "\n".join(lines[-20:])
    assert took < 5.0, took
    assert lines[seen:] == ["yeastcell: interrupted (Ctrl-C)"], lines[seen:]
    assert not any("Traceback" in ln for ln in lines)
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


# ------------------------------------------------------------------ output paths, before any work
@pytest.fixture
def no_work(monkeypatch):
    """Make any simulation, dataset read or model load fail loudly: the checks must come first."""
    import yeastcell.cli.compare as cli_compare
    import yeastcell.cli.fit as cli_fit
    import yeastcell.cli.gem as cli_gem
    import yeastcell.cli.simulate as cli_simulate

    def work(*a, **k):
        raise AssertionError("work started before the output paths were checked")

    for mod, name in (
        (cli_simulate, "load_cell"),
        (cli_compare, "load_cell"),
        (cli_fit, "load_model"),
        (cli_gem, "load_gem"),
    ):
        monkeypatch.setattr(mod, name, work)


def _one_error_line(capsys, *needles):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("yeastcell: error: "), err
    for n in needles:
        assert n in err[0], err[0]
    return err[0]


def test_output_paths_are_checked_before_any_work(tmp_path, capsys, no_work):
    sim = ["simulate", "-m", TWO_STEP]
    assert main([*sim, "-o", str(tmp_path)]) == 2
    _one_error_line(capsys, "is a directory")
    assert main([*sim, "-o", str(tmp_path / "missing" / "run.csv")]) == 2
    _one_error_line(capsys, "does not exist")
    assert main([*sim, "--plot", str(tmp_path / "run.xyz")]) == 2
    _one_error_line(capsys, "unknown figure format .xyz")
    (tmp_path / "file").write_text("")
    assert main([*sim, "-o", str(tmp_path / "file" / "run.csv")]) == 2
    _one_error_line(capsys, "is not a directory")
    unwritable = tmp_path / "ro"
    unwritable.mkdir()
    unwritable.chmod(0o555)
    target = unwritable if os.geteuid() != 0 else "/proc"  # root writes anywhere but /proc
    try:
        assert main([*sim, "-o", f"{target}/run.csv"]) == 2
        _one_error_line(capsys, "cannot write in")
    finally:
        unwritable.chmod(0o755)
    d = tmp_path / "d.csv"
    d.write_text("condition,time_min,observable,value\nwt,0,S_c,1\n")
    assert main(["compare", "-m", TWO_STEP, "-d", str(d), "--plot", str(tmp_path)]) == 2
    _one_error_line(capsys, "--plot", "is a directory")
    assert main(["fit", str(d), "-m", TWO_STEP, "-o", str(tmp_path / "nowhere" / "fit.json")]) == 2
    _one_error_line(capsys, "-o", "does not exist")
    assert main(["screen", "--gem", "gem.yml", "-o", str(tmp_path)]) == 2
    _one_error_line(capsys, "is a directory")


def test_screen_pairs_of_three_genes_is_a_clear_error(capsys, no_work):
    assert main(["screen", "--gem", "gem.yml", "--pairs", "PDC1+PDC5", "PDC1+PDC5+PDC6"]) == 2
    _one_error_line(capsys, "'PDC1+PDC5+PDC6'", "GENE1+GENE2", "triple deletions are not supported")
    assert main(["screen", "--gem", "gem.yml", "--pairs", "PDC1+"]) == 2
    _one_error_line(capsys, "'PDC1+'")


# ------------------------------------------------------------------ compare: values a log scale cannot take
def _dataset_with_a_zero(two_step):
    t = np.array([0.0, 2.5, 5.0])
    conds = ("wt", "kd:ENZ1=0.5")
    traj = yc.simulate_batch(two_step, [parse_perturbation(c) for c in conds], t)
    y = np.asarray(traj.species("P_c"))[:, None, :, None] + 0.1  # (cond, rep, t, obs)
    y[1, 0, 2, 0] = 0.0  # an entry below detection written as 0
    return Dataset(conds, t, ("P_c",), y, np.ones_like(y, dtype=bool))


def test_compare_names_nonpositive_rows_before_simulating(two_step, tmp_path, capsys, monkeypatch):
    import yeastcell.cli.compare as cli_compare

    ds = _dataset_with_a_zero(two_step)
    ds.to_hdf5(tmp_path / "d.h5")
    real_predict = cli_compare.predict_dataset
    calls = []

    def counting_predict(*a, **k):
        calls.append(1)
        return real_predict(*a, **k)

    monkeypatch.setattr(cli_compare, "predict_dataset", counting_predict)
    args = ["compare", "-m", TWO_STEP, "-d", str(tmp_path / "d.h5"), "--points", "5"]
    assert main(args) == 2
    _one_error_line(capsys, "1 measured value(s) <= 0", "'kd:ENZ1=0.5'", "t=5 min", "'P_c'", "--detection-limit")
    assert not calls  # named before any simulation
    assert main([*args, "--detection-limit", "0", "-o", str(tmp_path / "m.csv")]) == 0
    out = capsys.readouterr().out
    assert "1 measured value(s) <= 0 (detection limit) left out of the metrics" in out and calls
    import pandas as pd

    table = pd.read_csv(tmp_path / "m.csv").set_index("condition")
    assert table.loc["kd:ENZ1=0.5", "n"] == 2 and table.loc["wt", "n"] == 3  # the censored entry left out
