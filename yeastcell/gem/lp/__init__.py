"""Batched LP engine in JAX for genome-scale models (float64, jit/vmap, CPU or GPU).

Entry point for knockout screens::

    knockout_growth_batch(gem, knockouts, medium=None, *, engine=None, gpr=None,
                          chunk=1, max_iter=20_000) -> KnockoutGrowth

``knockouts``: bool array ``(n_perturbations, n_genes)`` (True = deleted) or a
sequence of gene lists (ids or standard names). Returns growth (NaN unless
optimal), a status per LP (``"optimal"``, ``"infeasible"``,
``"not_converged"``) and pivot counts.

Lower level: ``make_engine(gem)`` → :class:`LPEngine` (shared arrays and a
reference optimal basis), ``solve_bounds(engine, lb, ub)`` for any batch of
bounds, and :func:`~yeastcell.gem.lp.simplex.dual_simplex` (one LP, traceable:
use it inside ``jit``/``vmap``/``lax.scan``, e.g. in dynamic FBA).

Algorithm (see ``docs/dfba.md``, "LP engine"): bounded dual simplex with an
explicit basis inverse, warm-started from a HiGHS optimal basis of the
reference LP, Harris ratio test, iterative refinement and a KKT check. PDHG
(mpax r2HPDHG/raPDHG) was measured first and did not converge on Yeast-GEM.
"""

from yeastcell.gem.lp import status as status
from yeastcell.gem.lp.basis import Basis as Basis
from yeastcell.gem.lp.basis import reference_basis as reference_basis
from yeastcell.gem.lp.engine import LPEngine as LPEngine
from yeastcell.gem.lp.engine import make_engine as make_engine
from yeastcell.gem.lp.engine import solve_bounds as solve_bounds
from yeastcell.gem.lp.knockout import CompressedEngine as CompressedEngine
from yeastcell.gem.lp.knockout import KnockoutGrowth as KnockoutGrowth
from yeastcell.gem.lp.knockout import knockout_growth_batch as knockout_growth_batch
from yeastcell.gem.lp.knockout import knockout_masks as knockout_masks
from yeastcell.gem.lp.knockout import make_compressed_engine as make_compressed_engine
from yeastcell.gem.lp.problem import LPArrays as LPArrays
from yeastcell.gem.lp.problem import lp_arrays as lp_arrays
from yeastcell.gem.lp.simplex import LPResult as LPResult
from yeastcell.gem.lp.simplex import dual_simplex as dual_simplex
