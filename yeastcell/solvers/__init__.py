"""The solver wing: stiff integrators, their linear algebra and Jacobians, event location, and
`solve(cell, conditions, times, options)`, the one entry point that simulate, batches, steady
states' callers, fits and the active loop go through.

Modules: `rosenbrock` (Rodas4P), `bdf` (BatchBDF, a batched variable-order BDF), `sparse_lu` (LU on
a planned pivot order), `jacobian` (structured Jacobians of a cell), `events` (the event-located
solve of SBML-semantics cells), `segments` (timed perturbation events), `chunks` (vmapped batches in
chunks), `options` (`SolverOptions`), `times` (save-time validation), `solve` (the dispatch point).
"""

from .bdf import BatchBDF as BatchBDF
from .options import SolverOptions as SolverOptions
from .rosenbrock import Rodas4P as Rodas4P, esdirk as esdirk
from .solve import BDF_MIN_BATCH as BDF_MIN_BATCH, Method as Method, batch_options as batch_options
from .solve import differentiable as differentiable, for_batch as for_batch, method as method
from .solve import solver_name as solver_name
from .solve import solve as solve
from .times import check_times as check_times, save_times as save_times
