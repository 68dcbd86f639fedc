"""Batches of perturbations as one array program: vmap on one device, or sharded across devices.

`simulate_batch(cell, perturbations, t)` resolves and stacks the perturbations, then runs the
vmapped solver. With ``strategy="shard"`` the batch axis is split across all local devices with
`jax.sharding` (padding the batch to a multiple of the device count); ``"vmap"`` runs on the default
device. ``"auto"`` (the default) currently means ``"vmap"``: measured with benchmarks/bench_sharding.py
(RESULTS.md), 64 core-model trajectories took 2.0 s with vmap on one device while the sharded run
across 2 forced host devices did not finish within 600 s (diffrax #718 reports the same kind of
slowdown). Re-measure on multi-GPU machines before changing the default.

Under vmap a batch runs until its slowest lane finishes: every lane pays for the step count of the
slowest. On a CPU, where lanes are not truly parallel, `simulate_batch` therefore runs the batch
in sequential chunks of `lanes_per_chunk` vmapped lanes (each chunk stops at its own slowest
lane). Measured on a 2-core CPU, 1000 perturbed Teusink trajectories: the imported SBML model
(benchmarks/bench_sbml_batch.py, RESULTS.md) took 67.9 s as one vmap and 39.0 s in chunks of 16
(its lanes need 949 steps on average, the slowest 1507; chunks of 8, 32 and 64 measured 45, 54
and 55 s); the core model's concentration cell showed no gain beyond the run-to-run noise (17.7 s
as one vmap, 14.8 s in chunks of 128, 21 s in chunks of 64), so it stays one vmap. On an
accelerator the default is one vmap for every cell (lanes are parallel there).

Memory: a batch larger than the memory allows runs from Python in chunks that fit (`plan_chunks`,
from the memory available on the device; docs/batch_memory.md): each chunk is solved, its fluxes
computed and its results copied into host arrays for the whole batch before the next; the chunk size
is reported (`Trajectory.lanes_per_chunk`, the progress bar, the log).

Across processes and hosts (JAX's multi-controller runtime: ``jax.distributed.initialize()`` in
every process, e.g. one per host or GPU, launched with plain ``python -m`` or SLURM's ``srun``), the
default ``"auto"`` splits the batch into one contiguous slice per process (`jax.process_index`);
each process runs its slice as above on its own devices, then every process receives every lane's
result (`jax.experimental.multihost_utils.process_allgather`). Lanes are independent and the
solver is chosen for the whole batch, so the result equals a one-process run. ``"vmap"`` runs the
whole batch in every process; ``"shard"`` splits it across the local devices of each process.

Solver: `yeastcell.solvers.batch_options` picks the solver for the batch size when the options leave it
at the default `Rodas4P()` (`BatchBDF` for large batches of concentration cells and of SBML cells
without state events; see
yeastcell/solvers/solve.py for the measurements), and `yeastcell.solvers.solve` integrates.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import shutil
import tempfile
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .bounds import species_bounds
from .cells import Cell, SbmlCell
from .exceptions import SimulationInputError
from .perturb import Condition, Perturbation, resolve_batch
from .progress import bar, enabled
from .simulate import _trajectory, _trajectory_arrays
from .solvers import BDF_MIN_BATCH, Method, SolverOptions, batch_options, method, save_times, solve
from .solvers.chunks import chunk_size_for_progress, run_in_chunks
from .solvers.memory import available_bytes, host_available_bytes, solve_bytes_per_lane
from .trajectory import Trajectory

STRATEGIES = ("auto", "vmap", "shard")

SBML_LANES_PER_CHUNK_CPU = 16  # measured best of 8/16/32/64/1000 on the imported Teusink batch
PROGRESS_CHUNKS = 20  # most chunks of a batch run with a progress bar (see `progress_lanes_per_chunk`)
MEMORY_FRACTION = 0.5  # of the available memory (after the results) one chunk may use (`plan_chunks`)
RESULT_FRACTION = 0.5  # of the available memory the results of a batch may hold; beyond it they are memory-mapped
RESERVE_BYTES = 1 << 30  # kept free for compilation, the Python process and other allocations

log = logging.getLogger(__name__)


def simulate_batch(
    cell: Cell,
    perturbations: Sequence[Perturbation] | Condition,
    t,
    saveat=None,
    options: SolverOptions | None = None,
    strategy: str = "auto",
    lanes_per_chunk: int | None | str = "auto",
    progress: bool | None = None,
    memory_budget: int | None = None,
) -> Trajectory:
    """Simulate many perturbations at once; one failed lane never aborts the others.

    Args:
        perturbations: a list of symbolic perturbations, or an already stacked `Condition`.
        t, saveat: as in `simulate` (shared by all conditions).
        strategy: "auto", "vmap" or "shard" (see module docstring; under ``jax.distributed``, "auto"
            splits the batch across the processes).
        lanes_per_chunk: run the vmapped batch in sequential chunks of this many lanes (None: one
            vmap of the whole batch, whatever the memory). "auto": `default_lanes_per_chunk` (see
            module docstring). An int: chunks of that many lanes. With "auto" or an int, a batch
            larger than the memory allows runs from Python in chunks that fit
            (`plan_chunks`, whole multiples of an int `lanes_per_chunk`; docs/batch_memory.md).
        progress: show a progress bar (`yeastcell.progress.enabled`: default on when stderr is a
            terminal, or ``YEASTCELL_PROGRESS=1``). With progress on, a batch of more than one lane runs
            chunk by chunk from Python (`run_in_chunks`; chunks of `lanes_per_chunk`, else of
            `progress_lanes_per_chunk` lanes), so the bar moves per chunk and Ctrl-C acts between chunks.
        memory_budget: bytes the batch may use on its device (results and one chunk's solve);
            None: measured now (`yeastcell.solvers.memory.available_bytes`).

    Returns:
        A batched `Trajectory` (leading axis = condition) with a status per condition; its
        `lanes_per_chunk` is the number of lanes per chunk run from Python (None: one program).

    Raises:
        SimulationInputError: a bad argument, or results that fit neither in memory nor on disk.
    """
    if strategy not in STRATEGIES:
        raise SimulationInputError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    ts = save_times(t, saveat)
    labels: tuple[str, ...]
    if isinstance(perturbations, Condition):
        conds, labels = perturbations, ()
    else:
        perturbations = list(perturbations)
        conds = resolve_batch(cell, perturbations)
        labels = tuple(p.label if p is not None else "wild type" for p in perturbations)
    if memory_budget is not None and (
        isinstance(memory_budget, bool) or not isinstance(memory_budget, (int, np.integer)) or memory_budget < 1
    ):
        raise SimulationInputError(f"memory_budget must be a positive number of bytes or None, got {memory_budget!r}")
    n = int(conds.c0.shape[0])
    chunk = default_lanes_per_chunk(cell, options) if lanes_per_chunk == "auto" else lanes_per_chunk
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1):
        raise SimulationInputError(f"lanes_per_chunk must be a positive int, None or 'auto', got {lanes_per_chunk!r}")
    chunk = None if chunk is None or chunk >= n else int(chunk)
    options = batch_options(options or SolverOptions(), chunk or n, cell)  # chosen for the whole batch
    if strategy == "auto" and jax.process_count() > 1:
        show = enabled(progress) and n > 1
        conc, status, t_failed = _across_processes(
            lambda c: _run_local(cell, c, ts, options, False, chunk, show), conds, n
        )
        return _trajectory(cell, ts, conc, status, labels, conds, t_failed)
    use_shard = strategy == "shard" and jax.local_device_count() > 1
    show = enabled(progress) and n > 1 and not use_shard  # "auto" = vmap: faster where measured
    block, spill = None, False  # lanes per chunk run from Python (memory, progress); None: one program
    if lanes_per_chunk is not None and not use_shard:  # None: one vmap, as asked
        plan = plan_chunks(cell, conds, ts, options, memory_budget)
        block, spill = plan.lanes_per_chunk, plan.spill
    if block is not None and chunk is not None:  # made of whole chunks of `lanes_per_chunk`
        block = max(chunk, block // chunk * chunk)
    if show:  # chunks run from Python: the bar moves per chunk, Ctrl-C acts between chunks
        block = min(block or n, chunk or progress_lanes_per_chunk(n))
    if not show and (block is None or block >= n):
        conc, status, t_failed = _run_local(cell, conds, ts, options, use_shard, chunk)
        return _trajectory(cell, ts, conc, status, labels, conds, t_failed)
    return dataclasses.replace(_in_chunks(cell, conds, ts, options, chunk, block, show, spill), labels=labels)


def _run_local(cell, conds, ts, options, use_shard, chunk, show=False):
    """(conc, status, t_failed) of a stacked batch as one program on this process's devices
    (module docstring); with `show`, chunk by chunk from Python under a progress bar."""
    n = int(conds.c0.shape[0])
    chunk = None if chunk is None or chunk >= n else chunk
    if show:
        k = chunk or progress_lanes_per_chunk(n)
        with bar(total=n, desc=f"simulate {n} conditions", unit="lane", progress=True, leave=False) as pb:
            pb.set_postfix_str("compiling")
            return run_in_chunks(lambda c: solve(cell, c, ts, options, stop_time=True), conds, k, _updater(pb))
    if use_shard:
        return _sharded(cell, conds, ts, options, jax.local_device_count())
    return solve(cell, conds, ts, options, chunk, stop_time=True)


def _in_chunks(cell, conds, ts, options, chunk, block, show, spill=False) -> Trajectory:
    """The `Trajectory` arrays of a batch run from Python in chunks of `block` lanes (each solved,
    its fluxes and checks computed, and its results copied to host memory before the next chunk;
    `run_in_chunks`; memory-mapped temporary files with `spill`), with a progress bar when `show`."""
    n = int(conds.c0.shape[0])
    lo, hi = species_bounds(cell)
    log.info("simulate_batch: %d lanes in chunks of %d", n, block)

    def run(c):
        values, status, t_failed = solve(cell, c, ts, options, chunk, stop_time=True)
        return _trajectory_arrays(cell, ts, values, status, c, t_failed, lo, hi)

    desc = f"simulate {n} conditions ({block} lanes per chunk)"
    with bar(total=n, desc=desc, unit="lane", progress=show, leave=False) as pb:
        pb.set_postfix_str("compiling")
        spill_dir = tempfile.gettempdir() if spill else None
        traj = run_in_chunks(run, conds, block, _updater(pb), to_host=True, spill_dir=spill_dir)
    return dataclasses.replace(traj, lanes_per_chunk=block)


@dataclasses.dataclass(frozen=True)
class ChunkPlan:
    """How `simulate_batch` runs a batch in memory (`plan_chunks`).

    Attributes:
        lanes_per_chunk: lanes per chunk run from Python; None: the batch fits as one program.
        spill: the results of the whole batch do not fit in the available memory: they go to
            memory-mapped temporary files (`yeastcell.solvers.chunks.host_empty`) in `tempfile.gettempdir()`.
        solve_bytes, result_bytes: the estimated bytes per lane of the solve and of its results.
        available: the bytes the plan was made for (device memory, or the `memory_budget`).
    """

    lanes_per_chunk: int | None
    spill: bool
    solve_bytes: int
    result_bytes: int
    available: int


def plan_chunks(cell, conds: Condition, ts, options: SolverOptions, budget: int | None = None) -> ChunkPlan:
    """Lanes per chunk for a batch that does not fit in memory as one program (docs/batch_memory.md).

    A batch whose solve and results (`solve_bytes_per_lane` + `result_bytes_per_lane` per lane)
    take at most `MEMORY_FRACTION` of the available memory (less `RESERVE_BYTES`) runs as one
    program. Otherwise the results of the whole batch are counted first (in host memory) and of
    what is left `MEMORY_FRACTION` goes to one chunk's solve and results. On a CPU both share the
    host memory; on an accelerator the device's memory bounds the chunk and the host's the results.
    Results larger than `RESULT_FRACTION` of the available host memory go to memory-mapped
    temporary files (``spill``): the available memory is measured once, and other processes may
    take it during a long batch, when file-backed pages can still be written out and dropped but
    anonymous memory cannot. Chunks then get `MEMORY_FRACTION` of the memory.

    Args:
        budget: bytes the batch may use (device and host alike); None: `available_bytes` now.

    Raises:
        SimulationInputError: the results fit neither in memory nor on the temporary folder's disk.
    """
    n, n_t = int(conds.c0.shape[0]), int(ts.shape[0])
    cond_bytes = sum(int(np.prod(a.shape[1:])) * a.dtype.itemsize for a in jax.tree_util.tree_leaves(conds))
    work = solve_bytes_per_lane(cell, n_t, options, cond_bytes)
    result = result_bytes_per_lane(cell, n_t)
    device = jax.devices()[0]
    on_cpu = device.platform == "cpu"
    dev_free = available_bytes(device) if budget is None else budget
    host_free = dev_free if on_cpu else (host_available_bytes() if budget is None else budget)
    plan = functools.partial(ChunkPlan, solve_bytes=work, result_bytes=result, available=dev_free)
    # results in anonymous memory may take only part of what is available now: on a shared machine
    # other processes grow during a long batch, and memory-mapped results can be written out and
    # dropped by the kernel under pressure where anonymous memory cannot
    fits_host = n * result <= RESULT_FRACTION * (host_free - RESERVE_BYTES)
    if fits_host and n * (work + result) <= MEMORY_FRACTION * (dev_free - RESERVE_BYTES):
        return plan(None, False)
    room = (host_free - RESERVE_BYTES - n * result) if fits_host else (host_free - RESERVE_BYTES)
    room = room if on_cpu else dev_free - RESERVE_BYTES
    if not fits_host:
        disk = shutil.disk_usage(tempfile.gettempdir()).free
        if n * result > disk - RESERVE_BYTES:
            raise SimulationInputError(
                f"the results of {n} lanes need {n * result / 2**30:.1f} GiB ({result / 1024:.0f} KiB per lane: "
                f"{n_t} save points of every species and flux, float64); {host_free / 2**30:.1f} GiB of memory "
                f"and {disk / 2**30:.1f} GiB of disk in {tempfile.gettempdir()} are free; run fewer lanes per "
                "call or save fewer time points"
            )
        log.warning(
            "simulate_batch: the results of %d lanes (%.1f GiB) exceed the available memory (%.1f GiB); "
            "they are kept in memory-mapped temporary files in %s",
            n,
            n * result / 2**30,
            host_free / 2**30,
            tempfile.gettempdir(),
        )
    if room <= 0:
        raise SimulationInputError(f"no memory left for a chunk of the batch ({dev_free / 2**30:.1f} GiB available)")
    return plan(max(1, min(n, int(MEMORY_FRACTION * room) // (work + result))), not fits_host)


def result_bytes_per_lane(cell, n_t: int) -> int:
    """Bytes of one lane's `Trajectory` arrays: save times, concentrations and fluxes (float64) at
    `n_t` save points, the solver's values of an SBML cell, status, stop time and warning."""
    n_values = len(cell.value_ids) if cell.value_ids is not None else 0
    return 8 * n_t * (1 + cell.n_species + cell.n_reactions + n_values) + 16


def _padded(conds: Condition, multiple: int) -> Condition:
    """`conds` with its last condition repeated until the lane count is a multiple of `multiple`."""
    pad = (-int(conds.c0.shape[0])) % multiple
    if not pad:
        return conds
    return jax.tree_util.tree_map(lambda x: jnp.concatenate([x, jnp.repeat(x[-1:], pad, axis=0)]), conds)


def _across_processes(run, conds: Condition, n: int):
    """Run process `jax.process_index()`'s contiguous slice of the `n` lanes with `run` and gather
    every process's results in every process (arrays with the lane axis first, length `n`)."""
    from jax.experimental import multihost_utils

    k, p = jax.process_index(), jax.process_count()
    per = -(-n // p)
    conds = _padded(conds, p)  # its extra lanes' results are dropped below
    mine = jax.tree_util.tree_map(lambda x: x[k * per : (k + 1) * per], conds)
    out = run(mine)
    every = multihost_utils.process_allgather(tuple(np.asarray(a) for a in out), tiled=True)
    return tuple(jnp.asarray(a[:n]) for a in every)


def default_lanes_per_chunk(cell: Cell, options: SolverOptions | None = None) -> int | None:
    """Lanes per sequential chunk of a vmapped batch: `SBML_LANES_PER_CHUNK_CPU` for SBML-style
    cells on a CPU that a large batch integrates lane by lane (state events, or a solver other than
    `BatchBDF` and the default), otherwise None (one vmap, or one `BatchBDF` loop over the batch;
    see module docstring for the measurements)."""
    if isinstance(cell, SbmlCell) and jax.default_backend() == "cpu":
        big = batch_options(options or SolverOptions(), BDF_MIN_BATCH, cell)
        if method(cell, big) is not Method.SBML_BDF:
            return SBML_LANES_PER_CHUNK_CPU
    return None


def progress_lanes_per_chunk(n: int) -> int:
    """Lanes per chunk of a batch of `n` run with a progress bar (and no `lanes_per_chunk` of its
    own): at most `PROGRESS_CHUNKS` chunks of at least `BDF_MIN_BATCH` lanes, so a batch that gets
    `BatchBDF` as one vmap still gets it per chunk (fewer than 2 x BDF_MIN_BATCH lanes: one chunk)."""
    return chunk_size_for_progress(n, BDF_MIN_BATCH, PROGRESS_CHUNKS)


def _updater(pb):
    def update(lanes: int) -> None:
        pb.set_postfix_str("")
        pb.update(lanes)

    return update


def _sharded(cell, conds, ts, options, n_dev):
    n = conds.c0.shape[0]
    conds = _padded(conds, n_dev)  # its extra lanes' results are dropped below
    mesh = Mesh(np.array(jax.local_devices()), ("batch",))
    sharding = NamedSharding(mesh, PartitionSpec("batch"))
    conds = jax.device_put(conds, sharding)
    conc, status, t_failed = solve(cell, conds, ts, options, stop_time=True)
    return conc[:n], status[:n], t_failed[:n]
