"""Export of yeastcell's residual networks (`yeastcell.hybrid.ResidualNet`) as PEtab-SciML networks.

The exported network is the residual's multilayer perceptron `ResidualNet.head`: features
``(n_inputs,)`` -> raw outputs ``(n_outputs,)``, layers ``layer1..layerK`` (Linear, weight
``(out, in)``) with the residual's activation between them. The feature map (log-scaled
concentrations, gene activities) and the bounding of the outputs (`ResidualNet.split`) are the
residual's wiring, not network layers; `yeastcell.hybrid.save_residual` keeps that wiring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from .errors import SciMLFormatError
from .graph import Network
from .netfile import network_from_dict, with_parameters, write_network

# ResidualNet activation -> (forward target, kwargs) with the same function
_ACTIVATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "tanh": ("tanh", {}),
    "softplus": ("softplus", {}),
    "gelu": ("gelu", {"approximate": "tanh"}),  # jax.nn.gelu's default is the tanh approximation
}


def network_from_residual(resnet: Any) -> Network:
    """The PEtab-SciML `Network` computing ``resnet.head`` (float64 copies of its weights).

    Raises:
        SciMLFormatError: an activation without a PEtab-SciML equivalent.
    """
    act = resnet.activation
    if act not in _ACTIVATIONS:
        raise SciMLFormatError(f"residual activation {act!r} has no PEtab-SciML equivalent ({sorted(_ACTIVATIONS)})")
    target, kwargs = _ACTIVATIONS[act]
    layers = []
    arrays: dict[str, dict[str, np.ndarray]] = {}
    forward: list[dict[str, Any]] = [
        {"name": "net_input", "op": "placeholder", "target": "net_input", "args": [], "kwargs": {}}
    ]
    prev = "net_input"
    for k, lin in enumerate(resnet.layers, start=1):
        lid = f"layer{k}"
        w = np.asarray(lin.weight, dtype=np.float64)
        layers.append(
            {
                "layer_id": lid,
                "layer_type": "Linear",
                "args": {"in_features": int(w.shape[1]), "out_features": int(w.shape[0]), "bias": lin.bias is not None},
            }
        )
        arrays[lid] = {"weight": w}
        if lin.bias is not None:
            arrays[lid]["bias"] = np.asarray(lin.bias, dtype=np.float64)
        forward.append({"name": lid, "op": "call_module", "target": lid, "args": [prev], "kwargs": {}})
        prev = lid
        if k < len(resnet.layers):
            name = f"{target}_{k}"
            forward.append(
                {"name": name, "op": "call_function", "target": target, "args": [prev], "kwargs": dict(kwargs)}
            )
            prev = name
    forward.append({"name": "output", "op": "output", "target": "output", "args": [prev], "kwargs": {}})
    spec = {"nn_model_id": resnet.net_id, "inputs": [{"input_id": "input0"}], "layers": layers, "forward": forward}
    net = network_from_dict(spec, f"<residual {resnet.net_id}>")
    return with_parameters(net, arrays, dtype=jnp.float64)


def write_residual_network(resnet: Any, path: str | Path, arrays: str | Path) -> tuple[Path, Path | None]:
    """Write ``resnet.head`` as a PEtab-SciML network YAML file plus its array file (atomic writes)."""
    return write_network(network_from_residual(resnet), path, arrays)
