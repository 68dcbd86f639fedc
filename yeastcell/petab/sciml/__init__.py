"""PEtab-SciML: neural networks in the PEtab-SciML YAML + HDF5 format, as pure-JAX `Network`s.

* `load_network(yaml, arrays=None)` reads a network file (layers with PyTorch names and
  arguments, a torch.fx-like ``forward`` graph) into an `equinox.Module` (float64 parameters);
* `write_network(net, yaml, arrays=None)` writes it back (YAML + PEtab-SciML array file);
* `read_parameters` / `write_parameters` read and write array files
  (``/parameters/<netId>/<layerId>/<weight|bias>``, PyTorch shapes, row-major);
* `load_problem(problem.yaml)` reads a PEtab v2 problem with the ``sciml`` extension (SBML model,
  networks in the ODE right-hand side, before the simulation or in observables) into a
  `HybridProblem` with ``simulate``, ``log_likelihood``, ``log_posterior`` and ``theta0`` for
  ``jax.grad``;
* `network_from_residual` / `write_residual_network` export a `yeastcell.hybrid.ResidualNet`.

See docs/petab_sciml.md.
"""

from .arrays import read_inputs as read_inputs
from .arrays import read_outputs as read_outputs
from .arrays import read_parameters as read_parameters
from .arrays import write_parameters as write_parameters
from .errors import SciMLFormatError as SciMLFormatError
from .functions import FUNCTIONS as FUNCTIONS
from .graph import Network as Network
from .hybrid_problem import HybridProblem as HybridProblem
from .hybrid_problem import load_problem as load_problem
from .layers import LAYER_TYPES as LAYER_TYPES
from .netfile import default_parameters as default_parameters
from .netfile import load_network as load_network
from .netfile import network_arrays as network_arrays
from .netfile import network_from_dict as network_from_dict
from .netfile import network_to_dict as network_to_dict
from .netfile import with_parameters as with_parameters
from .netfile import write_network as write_network
from .residual import network_from_residual as network_from_residual
from .residual import write_residual_network as write_residual_network
