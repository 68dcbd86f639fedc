"""yeastcell: a hybrid mechanistic–neural virtual yeast cell in JAX.

Importing yeastcell enables float64 in JAX (``jax_enable_x64``), which the stiff kinetic core needs;
set ``YEASTCELL_ALLOW_FLOAT32=1`` before import to opt out (compiling a model then fails with a
message). Units inside the core: mM, min, L.
"""

from ._x64 import enable_x64_unless_opted_out as _enable_x64

_enable_x64()

from .cells import Cell as Cell, ConcentrationCell as ConcentrationCell, SbmlCell as SbmlCell  # noqa: E402
from .compile import compile_model as compile_model  # noqa: E402
from .exceptions import (  # noqa: E402
    ModelFileError as ModelFileError, PerturbationError as PerturbationError,
    SimulationInputError as SimulationInputError, SolverError as SolverError,
    UnitError as UnitError, UnknownNameError as UnknownNameError, YeastcellError as YeastcellError,
)
from .load import load_model as load_model  # noqa: E402
from .models import available_models as available_models, DEFAULT_MODEL as DEFAULT_MODEL  # noqa: E402
from .perturb import (  # noqa: E402
    Condition as Condition, Perturbation as Perturbation, clamp as clamp, condition as condition,
    initial as initial, inhibit as inhibit, knockdown as knockdown, knockout as knockout, medium as medium,
    overexpress as overexpress, pulse as pulse, resolve as resolve, resolve_batch as resolve_batch,
    step as step, wild_type as wild_type, osmotic_shock as osmotic_shock, dose as dose, stress as stress,
    ValidityWarning as ValidityWarning,
)
from .solvers import BatchBDF as BatchBDF, Rodas4P as Rodas4P, SolverOptions as SolverOptions  # noqa: E402
from .simulate import simulate as simulate  # noqa: E402
from .batch import simulate_batch as simulate_batch  # noqa: E402
from .steady import SteadyState as SteadyState, steady_state as steady_state, steady_state_batch as steady_state_batch  # noqa: E402
from .status import Status as Status  # noqa: E402
from .trajectory import Trajectory as Trajectory  # noqa: E402
from .spec import ModelSpec as ModelSpec  # noqa: E402
from .data import Dataset as Dataset  # noqa: E402

__version__ = "0.1.0"


def load_cell(name_or_path: str = DEFAULT_MODEL) -> Cell:
    """Load and compile a model file (default: the embedded yeast core model)."""
    return compile_model(load_model(name_or_path))
