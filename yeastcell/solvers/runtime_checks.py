"""Runtime checks inside yeastcell's solver programs answer with NaN, not with a host callback.

diffrax and equinox guard some runtime values with `equinox.error_if` (for example that the save
times of a `SaveAt` are increasing and lie between t0 and t1). In equinox's default mode such a check
is a host callback in the compiled program, and JAX's persistent compilation cache does not store
programs that contain host callbacks, so every new process compiled the solvers again
(`yeastcell.compilation_cache`). yeastcell validates those values itself before tracing
(`yeastcell.solvers.times`) and reports failures through each solve's status, where a NaN state is
a failed solve (`yeastcell.status`); so while a solver program is traced these checks are set to
equinox's "nan" mode (a `jnp.where`, no callback). A user who sets ``EQX_ON_ERROR`` (for example
``breakpoint`` to debug) keeps their mode.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from equinox import _errors as _eqx_errors  # the mode is a module global read at trace time


@contextlib.contextmanager
def checks_as_nan() -> Iterator[None]:
    """Within the block, `equinox.error_if` checks traced with the default mode return NaN."""
    if "EQX_ON_ERROR" in os.environ or not hasattr(_eqx_errors, "EQX_ON_ERROR"):
        yield
        return
    before = _eqx_errors.EQX_ON_ERROR
    _eqx_errors.EQX_ON_ERROR = "nan"
    try:
        yield
    finally:
        _eqx_errors.EQX_ON_ERROR = before
