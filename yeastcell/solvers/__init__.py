"""The solver wing: stiff integrators, their linear algebra and Jacobians, event location, and
`solve(cell, conditions, times, options)`, the one entry point of time courses that simulate,
batches, fits and the active loop go through (steady states: `steady_solve`).

Modules: `rosenbrock` (Rodas4P), `bdf` (BatchBDF, a batched variable-order BDF), `sparse_lu` (LU on
a planned pivot order), `jacobian` (structured Jacobians of a cell), `events` (the event-located
solve of SBML-semantics cells), `sbml_bdf` (BatchBDF for SBML cells), `sbml_bdf_events` (their
state events located per lane in the batched BDF), `cell_term` (the diffrax term of a cell, with
its structured Jacobian), `segments` (timed perturbation events), `chunks` (vmapped batches in
chunks), `options`
(`SolverOptions`), `times` (save-time validation), `runtime_checks` (diffrax/equinox runtime checks
traced as NaN selects, so the programs can be cached), `solve` (the dispatch point), `steady` (the
steady-state solve).
"""

from typing import TYPE_CHECKING

from .bdf import BatchBDF as BatchBDF
from .options import SolverOptions as SolverOptions
from .solve import BDF_MIN_BATCH as BDF_MIN_BATCH
from .solve import Method as Method
from .solve import batch_options as batch_options
from .solve import differentiable as differentiable
from .solve import for_batch as for_batch
from .solve import method as method
from .solve import solve as solve
from .solve import solver_name as solver_name
from .solve import traced as traced
from .solve import with_parameters as with_parameters
from .steady import steady_solve as steady_solve
from .times import check_times as check_times
from .times import save_times as save_times

if TYPE_CHECKING:
    from .rosenbrock import Rodas4P as Rodas4P
    from .rosenbrock import esdirk as esdirk


# diffrax-based names are imported on first use (`from yeastcell.solvers import Rodas4P` works as
# always): importing the package, and a first result from a stored program, then skip diffrax
def __getattr__(name: str):
    if name in ("Rodas4P", "esdirk"):
        from . import rosenbrock

        return getattr(rosenbrock, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
