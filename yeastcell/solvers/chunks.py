"""A vmapped batch run as sequential chunks of lanes (each chunk stops at its own slowest lane): inside one
compiled program (`vmap_in_chunks`) or chunk by chunk from Python for progress and Ctrl-C (`run_in_chunks`)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def vmap_in_chunks(fn, xs, lanes_per_chunk: int | None, batched: bool = False):
    """``jax.vmap(fn)(xs)`` computed as sequential vmapped chunks of `lanes_per_chunk` lanes.

    The batch is padded to a multiple of the chunk with copies of its last lane (dropped again),
    so the solver is traced once. None, or a chunk at least the batch size: one plain vmap.
    ``batched=True``: `fn` already maps a batch (leading axis) and is applied per chunk as is.
    Traceable; used inside jit.
    """
    n = jax.tree_util.tree_leaves(xs)[0].shape[0]
    fn_b = fn if batched else jax.vmap(fn)
    if lanes_per_chunk is None or lanes_per_chunk >= n:
        return fn_b(xs)
    k = lanes_per_chunk
    m = -(-n // k) * k

    def chunks(x):
        x = jnp.concatenate([x, jnp.repeat(x[-1:], m - n, axis=0)])
        return x.reshape((m // k, k) + x.shape[1:])

    out = jax.lax.map(fn_b, jax.tree_util.tree_map(chunks, xs))
    return jax.tree_util.tree_map(lambda y: y.reshape((m,) + y.shape[2:])[:n], out)


def chunk_size_for_progress(n: int, min_lanes: int, max_chunks: int = 20) -> int:
    """Lanes per chunk when a batch of `n` lanes is run chunk by chunk from Python for progress: at
    most `max_chunks` chunks of at least `min_lanes` lanes (fewer lanes: one chunk), sized so the
    padding of the last chunk stays below one lane per chunk."""
    n_chunks = max(1, min(max_chunks, n // max(1, min_lanes)))
    return -(-n // n_chunks)


def run_in_chunks(fn, xs, lanes_per_chunk: int, on_chunk=None, to_host: bool = False, spill_dir=None):
    """``fn(xs)`` computed chunk by chunk from Python: one compiled call of `fn` per chunk of
    `lanes_per_chunk` lanes (the last chunk padded with copies of the last lane, so `fn` is traced
    once), waiting for each before the next.

    Unlike `vmap_in_chunks` (one program; a running XLA computation does not see Ctrl-C), Python
    runs between the chunks: `on_chunk(lanes_done_in_this_chunk)` reports progress and a
    KeyboardInterrupt is raised within one chunk's time. `fn` maps a batch (leading axis) to a pytree
    of arrays with the same leading axis. Not traceable (call it outside jit).

    ``to_host=True``: each chunk's results are copied into host arrays for the whole batch as soon
    as the chunk finishes and the device buffers are released, so the device holds one chunk at a
    time and the host the results once (no concatenation copy); returned as JAX arrays on the CPU
    device that use that host memory without a copy (`as_cpu_arrays`). With `spill_dir` (a folder)
    those host arrays are memory-mapped temporary files there (`host_empty`), for results larger
    than the memory. Default: the chunks' results are concatenated on the device.
    """
    n = jax.tree_util.tree_leaves(xs)[0].shape[0]
    k = max(1, min(int(lanes_per_chunk), n))
    m = -(-n // k) * k

    def pad(x):
        x = jnp.asarray(x)
        return jnp.concatenate([x, jnp.repeat(x[-1:], m - n, axis=0)]) if m > n else x

    xs = jax.tree_util.tree_map(pad, xs)
    outs = []
    host = None
    for start in range(0, m, k):
        part = jax.tree_util.tree_map(lambda x, a=start: x[a : a + k], xs)
        out = jax.block_until_ready(fn(part))
        if to_host:
            if host is None:
                host = jax.tree_util.tree_map(lambda y: host_empty((n,) + y.shape[1:], y.dtype, spill_dir), out)
            stop = min(start + k, n)
            jax.tree_util.tree_map(
                lambda h, y, a=start, b=stop: h.__setitem__(slice(a, b), np.asarray(y)[: b - a]), host, out
            )
            del out
        else:
            outs.append(out)
        if on_chunk is not None:
            on_chunk(min(k, n - start))
    if to_host:
        return as_cpu_arrays(host)
    return jax.tree_util.tree_map(lambda *ys: jnp.concatenate(ys)[:n], *outs)


def as_cpu_arrays(tree):
    """The NumPy leaves of `tree` as JAX arrays on the CPU device, sharing their memory where JAX
    allows it (64-byte aligned, as `aligned_empty` makes them); the NumPy arrays themselves where
    this JAX has no CPU backend (e.g. ``JAX_PLATFORMS=cuda``)."""
    try:
        cpu = jax.devices("cpu")[0]
    except RuntimeError:
        return tree
    return jax.tree_util.tree_map(lambda a: jax.device_put(a, cpu), tree)


def aligned_empty(shape, dtype, align: int = 64) -> np.ndarray:
    """An uninitialised NumPy array whose data starts on an `align`-byte boundary, so that
    ``jax.device_put`` on a CPU can use its memory without a copy."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + align, dtype=np.uint8)
    start = (-raw.ctypes.data) % align
    return raw[start : start + nbytes].view(dtype).reshape(shape)


def host_empty(shape, dtype, spill_dir=None) -> np.ndarray:
    """An uninitialised host array for results: `aligned_empty` in memory, or with `spill_dir` a
    memory map of a temporary file there (removed from the folder at once; the mapping keeps it
    until the array is released), whose pages the kernel can write out and drop under memory
    pressure, so results larger than the memory fit (at disk speed when they are read back)."""
    if spill_dir is None:
        return aligned_empty(shape, dtype)
    import tempfile

    with tempfile.TemporaryFile(dir=spill_dir, prefix="yeastcell-batch-") as fh:
        nbytes = max(1, int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize)
        fh.truncate(nbytes)
        return np.memmap(fh, dtype=dtype, mode="r+", shape=tuple(shape))
