"""NumPy arrays onto the default device without compiling anything.

In JAX 0.10, ``jnp.asarray(numpy_array)`` lifts the array through the `lax.stage` primitive, which
outside a trace runs as a compiled program: one per shape and dtype, ~5-20 ms each (a compile, or a
read of JAX's persistent cache). A first result built nine of them (the cell's four arrays, the
save times and the condition's arrays), ~0.1-0.2 s of a ~2 s first result in a fresh process
(benchmarks/bench_first_result.py). `jax.device_put` copies the same array (same dtype, not weakly
typed, uncommitted) without a program.
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np


def jax_backends_started() -> bool:
    """Whether JAX has started its backends in this process (XLA has read its flags, and its threads
    run: a forked child would inherit them mid-use). Importing jax does not start them; the first
    computation or `jax.devices()` does. An unknown JAX layout counts as started (the safe answer
    for both callers: `yeastcell._xla_cpu_loops` then leaves the flags alone, the knockout screen
    spawns instead of forking)."""
    xb = sys.modules.get("jax._src.xla_bridge")
    if xb is None:
        return False
    return bool(getattr(xb, "_backends", True))


def to_device(x) -> jax.Array:
    """`x` as a JAX array: a NumPy array by `jax.device_put` (no compile), anything else by `jnp.asarray`."""
    if isinstance(x, np.ndarray) and not isinstance(x, np.ma.MaskedArray) and x.dtype != object:
        return jax.device_put(x)
    return jnp.asarray(x)
