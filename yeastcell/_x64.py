"""Float64 policy: the mechanistic core runs in float64.

`import yeastcell` turns on ``jax_enable_x64`` unless the environment variable
``YEASTCELL_ALLOW_FLOAT32=1`` is set (then nothing is changed, and compiling a model fails with a
message saying how to enable x64). Float32 is allowed only for neural-network weights.
"""

from __future__ import annotations

import os

import jax

from .exceptions import YeastcellError


def enable_x64_unless_opted_out() -> None:
    if os.environ.get("YEASTCELL_ALLOW_FLOAT32", "") not in ("1", "true", "yes"):
        jax.config.update("jax_enable_x64", True)


def require_x64() -> None:
    """Raise if JAX is in 32-bit mode: stiff kinetics must not run silently in float32."""
    if not jax.config.jax_enable_x64:  # type: ignore[attr-defined]  # jax's Config stub omits the flag attributes
        raise YeastcellError(
            "yeastcell's kinetic core needs float64: call jax.config.update('jax_enable_x64', True) "
            "before creating arrays (or unset YEASTCELL_ALLOW_FLOAT32)."
        )
