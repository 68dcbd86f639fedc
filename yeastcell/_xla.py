"""XLA compiler options for programs whose compile time outweighs their run time.

`FAST_COMPILE` compiles with LLVM at its lowest optimisation level and without its expensive
passes (XLA's `xla_backend_optimization_level=0`, `xla_llvm_disable_expensive_passes`): the same
HLO graph and IEEE arithmetic (no fast-math), compiled in less time, running slower where LLVM's
loop optimisations matter. yeastcell uses it for programs that run once per call on small arrays:
the post-processing of a solve (species, fluxes, bounds; `yeastcell.simulate`). (The Jacobian
sparsity pattern of a new model used to be sampled by such a program; it is now read from the
traced rate laws without compiling, `yeastcell.solvers.structural_sparsity`.) The solvers themselves
keep XLA's defaults: they run thousands of steps.

Measured on the whole cell (2-core AMD EPYC, JAX 0.10.2, other jobs running): the sparsity sample
then compiled in 4.2 s instead of 6.7 s; the post-processing of one lane in 1.8 s instead of 3.4 s, and
ran in 3.7 ms instead of 5.0 ms.
"""

from __future__ import annotations

from typing import Any

FAST_COMPILE: dict[str, Any] = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}
