"""yeastcell: a hybrid mechanistic–neural virtual yeast cell in JAX.

Importing yeastcell enables float64 in JAX (``jax_enable_x64``), which the stiff kinetic core needs;
set ``YEASTCELL_ALLOW_FLOAT32=1`` before import to opt out (compiling a model then fails with a
message). ``YEASTCELL_COMPILATION_CACHE=DIR`` (or ``=default``) turns on JAX's persistent compilation cache
(opt-in; see `yeastcell.compilation_cache`). Importing yeastcell before scipy sets
``OPENBLAS_NUM_THREADS=1`` unless it is set (see `yeastcell._blas_threads`). Importing it before JAX
starts its backends lets XLA:CPU compile small while loops (a single trajectory's solver loop) into
one kernel (``XLA_FLAGS``; ``YEASTCELL_XLA_SMALL_LOOP_BYTES=off`` opts out; see
`yeastcell._xla_cpu_loops`). Units inside the core: mM, min, L.
"""

from typing import TYPE_CHECKING

from ._blas_threads import single_threaded_blas_unless_set as _single_threaded_blas

_single_threaded_blas()

from ._xla_cpu_loops import hoist_small_loops_unless_set as _hoist_small_loops  # noqa: E402

_hoist_small_loops()

from ._x64 import enable_x64_unless_opted_out as _enable_x64
from .compilation_cache import enable_persistent_cache as _enable_persistent_cache

_enable_x64()  # noqa: E402
_enable_persistent_cache()

from .batch import simulate_batch as simulate_batch  # noqa: E402
from .cells import Cell as Cell  # noqa: E402
from .cells import ConcentrationCell as ConcentrationCell
from .cells import SbmlCell as SbmlCell
from .compile import compile_model as compile_model  # noqa: E402
from .data import Dataset as Dataset  # noqa: E402
from .exceptions import (  # noqa: E402
    ModelFileError as ModelFileError,
)
from .exceptions import (
    PerturbationError as PerturbationError,
)
from .exceptions import (
    SimulationInputError as SimulationInputError,
)
from .exceptions import (
    SolverError as SolverError,
)
from .exceptions import (
    UndefinedValueWarning as UndefinedValueWarning,
)
from .exceptions import (
    UnitError as UnitError,
)
from .exceptions import (
    UnknownNameError as UnknownNameError,
)
from .exceptions import (
    YeastcellError as YeastcellError,
)
from .load import load_model as load_model  # noqa: E402
from .models import DEFAULT_MODEL as DEFAULT_MODEL
from .models import available_models as available_models  # noqa: E402
from .perturb import (  # noqa: E402
    Condition as Condition,
)
from .perturb import (
    Perturbation as Perturbation,
)
from .perturb import (
    ProteomeTable as ProteomeTable,
)
from .perturb import (
    ValidityWarning as ValidityWarning,
)
from .perturb import (
    clamp as clamp,
)
from .perturb import (
    condition as condition,
)
from .perturb import (
    dose as dose,
)
from .perturb import (
    inhibit as inhibit,
)
from .perturb import (
    initial as initial,
)
from .perturb import (
    knockdown as knockdown,
)
from .perturb import (
    knockout as knockout,
)
from .perturb import (
    medium as medium,
)
from .perturb import (
    nitrogen_shift as nitrogen_shift,
)
from .perturb import (
    osmotic_shock as osmotic_shock,
)
from .perturb import (
    overexpress as overexpress,
)
from .perturb import (
    parameter as parameter,
)
from .perturb import (
    proteome as proteome,
)
from .perturb import (
    pulse as pulse,
)
from .perturb import (
    rapamycin as rapamycin,
)
from .perturb import (
    resolve as resolve,
)
from .perturb import (
    resolve_batch as resolve_batch,
)
from .perturb import (
    step as step,
)
from .perturb import (
    stress as stress,
)
from .perturb import (
    wild_type as wild_type,
)
from .predict import Prediction as Prediction  # noqa: E402
from .predict import predict as predict
from .scan import ParameterScan as ParameterScan  # noqa: E402
from .scan import parameter_scan as parameter_scan  # noqa: E402
from .sensitivity import Sensitivities as Sensitivities  # noqa: E402
from .sensitivity import sensitivities as sensitivities  # noqa: E402
from .simulate import simulate as simulate  # noqa: E402
from .solvers import BatchBDF as BatchBDF  # noqa: E402
from .solvers import SolverOptions as SolverOptions
from .spec import ModelSpec as ModelSpec  # noqa: E402
from .status import Status as Status  # noqa: E402
from .steady import SteadyState as SteadyState  # noqa: E402
from .steady import steady_state as steady_state
from .steady import steady_state_batch as steady_state_batch
from .trajectory import Trajectory as Trajectory  # noqa: E402

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .solvers.rosenbrock import Rodas4P as Rodas4P


def __getattr__(name: str):
    """`yeastcell.Rodas4P` is imported on first use, with diffrax (see `yeastcell.solvers`)."""
    if name == "Rodas4P":
        from . import solvers

        return solvers.Rodas4P  # the one lazy import, `yeastcell.solvers.__getattr__`
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_cell(name_or_path: str = DEFAULT_MODEL) -> Cell:
    """Load and compile a model file (default: the embedded yeast core model)."""
    return compile_model(load_model(name_or_path))
