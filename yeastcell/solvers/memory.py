"""Memory of a batched solve: the bytes one lane needs while it is solved, and the memory a device
has free, so a batch larger than the memory allows can be run in chunks that fit.

`solve_bytes_per_lane` is an upper estimate from the array shapes (float64, 8 bytes a number) of
what `solve` keeps per lane: its input condition, the saved values (the output, and the same again
for the segment loop's carry and its per-segment copy), the solver's saved dynamic states, state,
Jacobian, LU factors and step workspace. It does not count what does not grow with the batch (the
compiled program, constants). Measured against XLA's own count of the compiled program's buffers
(`jax.jit(...).lower(...).compile().memory_analysis()`, argument + output + temporaries) in
tests/test_batch_memory.py and benchmarks/bench_batch_memory.py (RESULTS.md).

`available_bytes` is what the device can still give: on a CPU the host's available memory
(``MemAvailable`` of /proc/meminfo, bounded by a cgroup memory limit when the process runs under
one); on an accelerator its ``memory_stats()`` (``bytes_limit - bytes_in_use``).
"""

from __future__ import annotations

import os

import jax

from .bdf import _ROWS
from .options import SolverOptions
from .solve import Method, method, n_states

F64 = 8  # bytes per float64 number
SOLVER_WORK_ROWS = 48  # (n_dynamic,) vectors of a step: Rodas4P's 6 stages, BDF's Newton iterates, error estimates


def solve_bytes_per_lane(cell, n_t: int, options: SolverOptions, condition_bytes: int = 0) -> int:
    """Upper estimate of the bytes one lane of a batched `solve` needs (see module docstring).

    Args:
        cell: the compiled cell.
        n_t: number of save times.
        options: the `SolverOptions` of the solve (which solver; see `yeastcell.solvers.method`).
        condition_bytes: bytes of one lane's resolved `Condition` (its arrays' sizes over the batch size).
    """
    n = max(n_states(cell), 1)
    n_values = len(cell.value_ids) if cell.value_ids is not None else cell.n_species
    saved = 3 * n_t * n_values  # output, the segment loop's carry and its copy of a segment's values
    # the solver's own save buffer (and diffrax's second SubSaveAt / BDF's out); the event-located
    # solve of an SBML cell saves every value
    solver_saves = 2 * n_t * (n_values if method(cell, options) is Method.EVENTS else n)
    matrices = 3 * n * n  # Jacobian, LU factors (or I/c - J), one more for the sparse LU's work
    vectors = SOLVER_WORK_ROWS * n + _ROWS * n  # step workspace, BDF's backward differences
    return F64 * (saved + solver_saves + matrices + vectors) + int(condition_bytes)


def available_bytes(device=None) -> int:
    """Bytes `device` (default: JAX's first device) can still allocate (see module docstring)."""
    device = device if device is not None else jax.devices()[0]
    if device.platform != "cpu":
        stats = device.memory_stats() or {}
        if "bytes_limit" in stats:
            return max(0, int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0)))
    return host_available_bytes()


def host_available_bytes() -> int:
    """The host memory available to this process (bytes): ``MemAvailable`` of /proc/meminfo (else
    the free physical pages), and no more than a cgroup (v2 or v1) memory limit leaves."""
    avail = _meminfo_available()
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = 0
    left = _cgroup_left()
    return int(avail if left is None else min(avail, left))


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_left() -> int | None:
    """Bytes left under this process's cgroup memory limit (None: no limit found). Page cache
    counts as used there, so this is a lower bound of what can be allocated."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            with open(limit_file) as fh:
                raw = fh.read().strip()
            with open(usage_file) as fh:
                used = int(fh.read().strip())
        except (OSError, ValueError):
            continue
        if raw == "max" or int(raw) >= 1 << 60:  # no limit (v1 writes a huge number)
            return None
        return max(0, int(raw) - used)
    return None
