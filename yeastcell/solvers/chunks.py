"""A vmapped batch run as sequential chunks of lanes (each chunk stops at its own slowest lane)."""

from __future__ import annotations

import jax
import jax.numpy as jnp


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
