"""One OpenBLAS thread for the LAPACK calls of the solvers, unless the user chose otherwise.

On a CPU, JAX factorises dense matrices (``jnp.linalg`` / ``lax.linalg.lu``: the dense LU of the
Rosenbrock and BDF solvers for SBML-semantics cells and for the whole cell) with the LAPACK that
scipy bundles (OpenBLAS). yeastcell's matrices are small (tens to a few hundred rows), where
OpenBLAS's worker threads cost more than they compute: they spin waiting on each other
(``exec_blas_async_wait`` / ``blas_thread_server`` took 80 % of a whole-cell solve in a ``perf``
profile on the 2-core AMD EPYC with other jobs running). Measured there, fresh processes, warm caches,
one `simulate` of the whole cell (60 min, 121 points): first run 9–16 s and later runs 2.4–2.9 s with
OpenBLAS's default threads, 0.5 s and 0.7–0.8 s with one thread; Hynne 2001 (BioModels 61) one
trajectory 372 → 133 ms.

OpenBLAS reads ``OPENBLAS_NUM_THREADS`` when it is loaded, which JAX does on the first dense
factorisation, so this takes effect when yeastcell is imported before scipy loads its OpenBLAS.
A value already set (``OPENBLAS_NUM_THREADS=4 python ...``) is kept.
"""

from __future__ import annotations

import os

VARIABLE = "OPENBLAS_NUM_THREADS"


def single_threaded_blas_unless_set() -> str:
    """Set ``OPENBLAS_NUM_THREADS=1`` unless it is set; return the value in effect."""
    return os.environ.setdefault(VARIABLE, "1")
