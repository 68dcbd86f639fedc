"""Batches across processes with JAX's multi-controller runtime (`jax.distributed`): two local
processes on this CPU, each given half the batch by `simulate_batch`, both receive every lane's
result, identical to one process running the whole batch."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

import yeastcell as yc

HERE = Path(__file__).resolve().parent
MODEL = HERE / "models" / "two_step.yaml"
T = np.linspace(0.0, 30.0, 7)  # min
TIMEOUT_S = 300


def perturbations():
    """Seven lanes (an odd count: the last process's slice is padded)."""
    return [yc.wild_type()] + [yc.knockdown("ENZ1", f) for f in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_split_a_batch_and_both_get_the_one_process_result(tmp_path):
    address = f"127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    env.pop("XLA_FLAGS", None)  # one CPU device per process
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "_distributed_worker.py"), address, str(k), str(tmp_path / f"p{k}.npz")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for k in range(2)
    ]
    logs = []
    try:
        for p in procs:
            out, _ = p.communicate(timeout=TIMEOUT_S)
            logs.append(out)
    finally:
        for p in procs:
            p.kill()
    for k, p in enumerate(procs):
        assert p.returncode == 0, f"process {k} failed:\n{logs[k][-3000:]}"
    expected = yc.simulate_batch(yc.load_cell(MODEL), perturbations(), T, strategy="vmap")
    for k in range(2):
        got = np.load(tmp_path / f"p{k}.npz")
        assert int(got["processes"]) == 2 and int(got["devices"]) == 2  # one runtime, a device per process
        assert got["lanes"].tolist() == [7, 4]  # each process solved its slice of 4 (the last one padded)
        np.testing.assert_array_equal(got["status"], np.asarray(expected.status))
        np.testing.assert_allclose(got["conc"], np.asarray(expected.conc), rtol=1e-12, atol=0)
