"""NumPy arrays onto the default device without compiling anything.

In JAX 0.10, ``jnp.asarray(numpy_array)`` lifts the array through the `lax.stage` primitive, which
outside a trace runs as a compiled program: one per shape and dtype, ~5-20 ms each (a compile, or a
read of JAX's persistent cache). A first result built nine of them (the cell's four arrays, the
save times and the condition's arrays), ~0.1-0.2 s of a ~2 s first result in a fresh process
(benchmarks/bench_first_result.py). `jax.device_put` copies the same array (same dtype, not weakly
typed, uncommitted) without a program.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def to_device(x) -> jax.Array:
    """`x` as a JAX array: a NumPy array by `jax.device_put` (no compile), anything else by `jnp.asarray`."""
    if isinstance(x, np.ndarray) and not isinstance(x, np.ma.MaskedArray) and x.dtype != object:
        return jax.device_put(x)
    return jnp.asarray(x)
