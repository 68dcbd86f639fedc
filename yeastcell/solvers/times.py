"""Save times of a solve (min): validation at the boundary, before anything is traced."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._device import to_device
from ..exceptions import SimulationInputError


def check_times(t) -> np.ndarray:
    """Validate save times (min): 1-D, finite, >= 0 at the start, strictly increasing, >= 2 points."""
    try:
        arr = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise SimulationInputError(f"time points must be numbers, got {t!r}") from None
    if arr.ndim != 1 or arr.size < 2:
        raise SimulationInputError(f"time points must be a 1-D sequence of at least 2 values, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise SimulationInputError("time points must be finite")
    bad = np.nonzero(np.diff(arr) <= 0)[0]
    if bad.size:
        i = int(bad[0])
        raise SimulationInputError(
            f"time points must be strictly increasing: t[{i}]={arr[i]:g} is followed by t[{i + 1}]={arr[i + 1]:g}"
        )
    return arr


def _is_traced(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def save_times(t, saveat=None):
    """The save times of `simulate(t=..., saveat=...)` as an array (min), validated unless traced."""
    if saveat is None:
        return t if _is_traced(t) else to_device(np.asarray(check_times(t)))
    if _is_traced(saveat):
        return saveat
    span = np.asarray(t, dtype=float)
    if span.shape != (2,):
        raise SimulationInputError("with saveat, t must be a (t0, t1) span")
    if isinstance(saveat, int | np.integer):
        return jnp.asarray(check_times(np.linspace(span[0], span[1], int(saveat))))
    ts = check_times(saveat)
    if ts[0] < span[0] or ts[-1] > span[1]:
        raise SimulationInputError(f"saveat times must lie within t = ({span[0]:g}, {span[1]:g})")
    if ts[0] > span[0]:
        raise SimulationInputError("the first saveat time must equal t0 (the initial state is reported)")
    return jnp.asarray(ts)
