"""Batches larger than the memory allows run in chunks that fit (yeastcell/batch.py,
yeastcell/solvers/memory.py): the chunk size comes from the memory budget, is reported, and the
chunked run gives the one-program answer lane for lane."""

import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import yeastcell as yc
from yeastcell import batch
from yeastcell.perturb import resolve_batch
from yeastcell.solvers import SolverOptions, batch_options, solve
from yeastcell.solvers.chunks import aligned_empty, as_cpu_arrays, host_empty, run_in_chunks
from yeastcell.solvers.memory import available_bytes, host_available_bytes, solve_bytes_per_lane

T = np.linspace(0.0, 10.0, 11)


def _perts(n):
    return [yc.knockdown("ENZ1", f) for f in np.linspace(0.1, 0.9, n)]


def _lane_bytes(cell, n, ts=T):
    conds = resolve_batch(cell, _perts(n))
    cond_bytes = sum(a[0].nbytes for a in jax.tree_util.tree_leaves(conds))
    opts = batch_options(SolverOptions(), n, cell)
    return solve_bytes_per_lane(cell, len(ts), opts, cond_bytes) + batch.result_bytes_per_lane(cell, len(ts))


def test_a_small_memory_budget_splits_the_batch_and_gives_the_same_answer(two_step):
    n = 10
    whole = yc.simulate_batch(two_step, _perts(n), T, progress=False)
    assert whole.lanes_per_chunk is None  # plenty of memory: one program
    budget = batch.RESERVE_BYTES + n * batch.result_bytes_per_lane(two_step, len(T)) + 6 * _lane_bytes(two_step, n)
    chunked = yc.simulate_batch(two_step, _perts(n), T, progress=False, memory_budget=budget)
    assert chunked.lanes_per_chunk == 3  # half of the room after the results: 3 lanes
    for name in ("t", "status", "t_failed", "warning"):
        np.testing.assert_array_equal(np.asarray(getattr(chunked, name)), np.asarray(getattr(whole, name)), name)
    # the same arithmetic per lane; XLA's vectorised code for 3 lanes may round a last bit differently
    for name in ("conc", "flux"):
        np.testing.assert_allclose(getattr(chunked, name), getattr(whole, name), rtol=4e-16 * 8, atol=0, err_msg=name)
    assert chunked.labels == whole.labels and isinstance(chunked.conc, jax.Array)


def test_the_measured_memory_is_used_when_no_budget_is_given(two_step, monkeypatch):
    n = 10  # the batch of the test above: its programs are compiled already
    room = batch.RESERVE_BYTES + n * batch.result_bytes_per_lane(two_step, len(T)) + 8 * _lane_bytes(two_step, n)
    monkeypatch.setattr(batch, "available_bytes", lambda device=None: room)
    monkeypatch.setattr(batch, "host_available_bytes", lambda: room)
    traj = yc.simulate_batch(two_step, _perts(n), T, progress=False)
    assert traj.lanes_per_chunk == 4 and np.all(traj.ok)
    # an explicit chunk size: memory chunks are whole multiples of it; None: one program, as asked
    assert yc.simulate_batch(two_step, _perts(n), T, progress=False, lanes_per_chunk=3).lanes_per_chunk == 3
    assert yc.simulate_batch(two_step, _perts(n), T, progress=False, lanes_per_chunk=None).lanes_per_chunk is None


def test_results_larger_than_the_memory_spill_to_disk_or_are_refused(two_step, monkeypatch, caplog):
    n = 10
    budget = batch.RESERVE_BYTES + n * batch.result_bytes_per_lane(two_step, len(T)) // 2  # half the results fit
    whole = yc.simulate_batch(two_step, _perts(n), T, progress=False)
    with caplog.at_level("WARNING", logger="yeastcell.batch"):
        spilled = yc.simulate_batch(two_step, _perts(n), T, progress=False, memory_budget=budget)
    assert "memory-mapped temporary files" in caplog.text and spilled.lanes_per_chunk < n
    np.testing.assert_allclose(spilled.conc, whole.conc, rtol=4e-16 * 8, atol=0)
    Usage = type(shutil.disk_usage("/"))
    monkeypatch.setattr(batch.shutil, "disk_usage", lambda path: Usage(10**6, 10**6, 1000))
    with pytest.raises(yc.SimulationInputError, match=r"results of 10 lanes need .* GiB"):
        yc.simulate_batch(two_step, _perts(n), T, memory_budget=budget)
    with pytest.raises(yc.SimulationInputError, match="memory_budget"):
        yc.simulate_batch(two_step, _perts(2), T, memory_budget=-5)


def _assert_estimate_bounds_compiled_solve(cell, n):
    conds = resolve_batch(cell, [yc.knockdown(cell.genes[0][0], f) for f in np.linspace(0.1, 0.9, n)])
    opts = batch_options(SolverOptions(), n, cell)
    ts = jnp.asarray(np.linspace(0.0, 1.0, 121))
    stats = jax.jit(lambda c: solve(cell, c, ts, opts, None, True)).lower(conds).compile().memory_analysis()
    per_lane = (stats.argument_size_in_bytes + stats.output_size_in_bytes + stats.temp_size_in_bytes) / n
    cond_bytes = sum(a[0].nbytes for a in jax.tree_util.tree_leaves(conds))
    assert solve_bytes_per_lane(cell, 121, opts, cond_bytes) >= per_lane, (type(opts.solver).__name__, per_lane)


def test_the_estimate_bounds_the_compiled_solve(two_step):
    """`solve_bytes_per_lane` is at least what XLA allocates per lane for the compiled solve
    (arguments, outputs, temporaries): Rosenbrock (8 lanes) and the batched BDF (64 lanes)."""
    _assert_estimate_bounds_compiled_solve(two_step, 8)
    _assert_estimate_bounds_compiled_solve(two_step, 64)


@pytest.mark.slow
def test_the_estimate_bounds_the_compiled_solve_of_the_core_model(core):
    _assert_estimate_bounds_compiled_solve(core, 64)


def test_chunk_results_go_to_aligned_host_memory_without_a_copy(tmp_path):
    a = aligned_empty((5, 3), np.float64)
    assert a.ctypes.data % 64 == 0 and a.shape == (5, 3)
    moved = as_cpu_arrays({"a": a})["a"]
    assert moved.unsafe_buffer_pointer() == a.ctypes.data  # the same memory
    xs = jnp.arange(10.0)
    out = run_in_chunks(lambda x: (x * 2, x[:, None] + jnp.zeros(2)), xs, 4, to_host=True)
    np.testing.assert_array_equal(out[0], np.arange(10.0) * 2)
    assert out[1].shape == (10, 2) and isinstance(out[0], jax.Array)
    assert available_bytes() > 0 and host_available_bytes() > 0
    mapped = host_empty((4, 3), np.float64, spill_dir=tmp_path)
    mapped[:] = 2.0
    assert isinstance(mapped, np.memmap) and not list(tmp_path.iterdir())  # no file left behind by name
    assert float(as_cpu_arrays(mapped).sum()) == 24.0
