"""PEtab-SciML: neural networks in the PEtab-SciML YAML + HDF5 format, as pure-JAX `Network`s.

* `load_network(yaml, arrays=None)` reads a network file (layers with PyTorch names and
  arguments, a torch.fx-like ``forward`` graph) into an `equinox.Module` (float64 parameters);
* `write_network(net, yaml, arrays=None)` writes it back (YAML + PEtab-SciML array file);
* `read_parameters` / `write_parameters` read and write array files
  (``/parameters/<netId>/<layerId>/<weight|bias>``, PyTorch shapes, row-major).

See docs/petab_sciml.md.
"""

from .arrays import read_inputs as read_inputs
from .arrays import read_outputs as read_outputs
from .arrays import read_parameters as read_parameters
from .arrays import write_parameters as write_parameters
from .errors import SciMLFormatError as SciMLFormatError
from .functions import FUNCTIONS as FUNCTIONS
from .graph import Network as Network
from .layers import LAYER_TYPES as LAYER_TYPES
from .netfile import default_parameters as default_parameters
from .netfile import load_network as load_network
from .netfile import network_arrays as network_arrays
from .netfile import network_from_dict as network_from_dict
from .netfile import network_to_dict as network_to_dict
from .netfile import with_parameters as with_parameters
from .netfile import write_network as write_network
