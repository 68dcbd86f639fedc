"""JAX's persistent compilation cache, opt-in, so a new process need not recompile.

With ``YEASTCELL_COMPILATION_CACHE`` set, `import yeastcell` points JAX's persistent compilation
cache at a folder, unless the user already configured one for JAX (``jax_compilation_cache_dir`` or
``JAX_COMPILATION_CACHE_DIR``, which wins):

- ``YEASTCELL_COMPILATION_CACHE=DIR`` uses DIR; ``=default`` (or ``on``, ``1``) uses
  ``$XDG_CACHE_HOME/yeastcell/jax`` (default ``~/.cache/yeastcell/jax``);
- unset, or ``off`` (``0``, ``false``, ``no``): no cache (the default).

Why opt-in: with the cache on by default, a CI run of the test suite (two xdist workers sharing the
folder, JAX 0.10.2 on CPU) crashed one worker with a segmentation fault inside JAX's cache read
(`compilation_cache.get_executable_and_time`, loading the compiled `simulate_batch` trajectory
program). Until that is understood, reading compiled CPU programs back is the user's choice.

Every compiled program is cached (no minimum compile time), and the folder is capped at
`MAX_CACHE_BYTES` (JAX evicts the least recently used entries). JAX writes each entry atomically, so
processes running at the same time can share the folder. JAX does not store programs with host
callbacks; the solver programs are traced with diffrax's checks as NaN selects
(`yeastcell.solvers.runtime_checks`) so that they are stored. XLA's compiled code is what this cache
holds; the traced programs (tracing the core model takes ~9 s) are kept beside it by
`yeastcell.program_store`, in ``yeastcell_programs/`` of the same folder. docs/start_up.md has the
measured times (`benchmarks/bench_first_result.py`).
"""

from __future__ import annotations

import os
from pathlib import Path

import jax

MAX_CACHE_BYTES = 2 * 1024**3
_OFF = ("off", "0", "false", "no")
_DEFAULT = ("default", "on", "1", "true", "yes")


def cache_dir() -> Path | None:
    """The folder yeastcell would use, or None when the cache is off (the default)."""
    env = os.environ.get("YEASTCELL_COMPILATION_CACHE", "").strip()
    if not env or env.lower() in _OFF:
        return None
    if env.lower() not in _DEFAULT:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "yeastcell" / "jax"


def enable_persistent_cache() -> Path | None:
    """Turn the cache on (see module docstring); returns the folder in use, or None if off.

    A cache the user configured for JAX is left as it is (and returned). An unwritable folder
    leaves the cache off instead of failing the import.
    """
    configured = jax.config.values.get("jax_compilation_cache_dir") or os.environ.get("JAX_COMPILATION_CACHE_DIR")
    if configured:
        return Path(configured)
    path = cache_dir()
    if path is None:
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(path, os.W_OK):
        return None
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    jax.config.update("jax_compilation_cache_max_size", MAX_CACHE_BYTES)
    return path
