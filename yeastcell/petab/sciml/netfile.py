"""Reading and writing PEtab-SciML network YAML files (``nn_model_id``, ``inputs``, ``layers``,
``forward``) and attaching parameter arrays to a `Network`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import yaml

from ...io import atomic_path
from .arrays import NetArrays, read_parameters, write_parameters
from .errors import SciMLFormatError
from .graph import Network, Node, make_node
from .layers import Bilinear, ConvTranspose, Layer, layer_args, make_layer


def network_from_dict(spec: Mapping[str, Any], source: str = "<dict>", dtype: Any = jnp.float64) -> Network:
    """Validate a parsed network YAML and build its `Network` (parameters: `default_parameters`,
    as `dtype`).

    Raises:
        SciMLFormatError: missing section, duplicate layer id, unsupported layer or function,
            dangling forward argument (each message names `source`).
    """
    if not isinstance(spec, Mapping):
        raise SciMLFormatError(f"{source}: a network file must be a mapping, got {type(spec).__name__}")
    for key in ("nn_model_id", "layers", "forward"):
        if key not in spec:
            raise SciMLFormatError(f"{source}: missing section {key!r}")
    layers: dict[str, Layer] = {}
    for entry in spec["layers"] or []:
        if not isinstance(entry, Mapping) or "layer_id" not in entry or "layer_type" not in entry:
            raise SciMLFormatError(f"{source}: layer entry {entry!r} needs layer_id and layer_type")
        lid = str(entry["layer_id"])
        if lid in layers:
            raise SciMLFormatError(f"{source}: duplicate layer id {lid!r}")
        layers[lid] = make_layer(lid, str(entry["layer_type"]), entry.get("args"), source)
    seen: set[str] = set()
    nodes = tuple(make_node(e, layers, seen, source) for e in spec["forward"] or [])
    if not any(n.op == "output" for n in nodes):
        raise SciMLFormatError(f"{source}: the forward graph has no output node")
    placeholders = [n.name for n in nodes if n.op == "placeholder"]
    declared = [str(i["input_id"]) for i in (spec.get("inputs") or []) if isinstance(i, Mapping) and "input_id" in i]
    input_ids = tuple(declared) if len(declared) == len(placeholders) else tuple(placeholders)
    net = Network(
        params={},
        net_id=str(spec["nn_model_id"]),
        layers=tuple(layers.values()),
        nodes=nodes,
        input_ids=input_ids,
        source=source,
    )
    return with_parameters(net, default_parameters(net, dtype=dtype), dtype=dtype)


def default_parameters(net: Network, key: jax.Array | None = None, dtype: Any = jnp.float64) -> NetArrays:
    """PyTorch's default initialisation: weights and biases of Linear/Bilinear/Conv layers uniform in
    ±1/sqrt(fan_in); normalisation weights 1 and biases 0. `key` defaults to PRNGKey(0)."""
    key = jax.random.PRNGKey(0) if key is None else key
    out: NetArrays = {}
    for layer in net.layers:
        shapes = layer.param_shapes()
        if not shapes:
            continue
        w = shapes.get("weight", ())
        if layer.layer_type.endswith("Norm") or "Norm" in layer.layer_type:
            out[layer.layer_id] = {k: np.ones(s) if k == "weight" else np.zeros(s) for k, s in shapes.items()}
            continue
        if isinstance(layer, Bilinear):
            fan_in = w[1]
        elif isinstance(layer, ConvTranspose):
            fan_in = w[1] * math.prod(w[2:])
        else:
            fan_in = math.prod(w[1:])
        bound = 1.0 / math.sqrt(max(fan_in, 1))
        arrays = {}
        for name, shape in shapes.items():
            key, sub = jax.random.split(key)
            arrays[name] = np.asarray(jax.random.uniform(sub, shape, dtype, -bound, bound))
        out[layer.layer_id] = arrays
    return out


def with_parameters(
    net: Network, arrays: Mapping[str, Mapping[str, Any]], source: str = "", dtype: Any = jnp.float64
) -> Network:
    """`net` with every layer's arrays taken from `arrays` (layer id -> name -> array), cast to `dtype`.

    Raises:
        SciMLFormatError: a layer with parameters missing from `arrays`, a missing or unexpected
            array, an unknown layer id, or a shape different from the layer's (names `source`).
    """
    where = source or net.source or "<arrays>"
    known = {lyr.layer_id for lyr in net.layers}
    for lid in arrays:
        if lid not in known:
            raise SciMLFormatError(f"{where}: parameters for layer {lid!r}, which network {net.net_id!r} does not have")
    params: dict[str, dict[str, jax.Array]] = {}
    for layer in net.layers:
        shapes = layer.param_shapes()
        if not shapes:
            continue
        if layer.layer_id not in arrays:
            raise SciMLFormatError(
                f"{where}: no parameters for layer {layer.layer_id!r} ({layer.layer_type}) of network {net.net_id!r}"
            )
        given = arrays[layer.layer_id]
        extra = set(given) - set(shapes) - {"running_mean", "running_var", "num_batches_tracked"}
        if extra:
            raise SciMLFormatError(f"{where}: layer {layer.layer_id!r} has unexpected arrays {sorted(extra)}")
        p = {}
        for name, shape in shapes.items():
            if name not in given:
                raise SciMLFormatError(f"{where}: layer {layer.layer_id!r} lacks array {name!r} (shape {shape})")
            a = np.asarray(given[name])
            if a.shape != shape:
                raise SciMLFormatError(f"{where}: {layer.layer_id}.{name} has shape {a.shape}, expected {shape}")
            p[name] = jnp.asarray(a, dtype=dtype)
        for name in ("running_mean", "running_var"):
            if name in given:
                p[name] = jnp.asarray(np.asarray(given[name]), dtype=dtype)
        params[layer.layer_id] = p
    return Network(
        params=params, net_id=net.net_id, layers=net.layers, nodes=net.nodes, input_ids=net.input_ids, source=net.source
    )


def load_network(path: str | Path, arrays: str | Path | None = None, dtype: Any = jnp.float64) -> Network:
    """Read a PEtab-SciML network YAML file into a `Network`.

    Args:
        path: the network YAML file.
        arrays: optional PEtab-SciML array file with this network's parameters
            (``/parameters/<nn_model_id>/...``); without it, PyTorch's default initialisation
            (`default_parameters`, PRNGKey(0)).
        dtype: parameter dtype (float64 by default).

    Raises:
        SciMLFormatError: unreadable YAML, unsupported layer/function, or an array file that lacks
            this network or one of its layers (messages name the file).
    """
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise SciMLFormatError(f"network file {path} does not exist") from None
    except yaml.YAMLError as err:
        raise SciMLFormatError(f"network file {path} is not valid YAML: {err}") from None
    net = network_from_dict(spec, str(path), dtype=dtype)
    if arrays is None:
        return net
    nets = read_parameters(arrays)
    if net.net_id not in nets:
        raise SciMLFormatError(f"array file {arrays} has no parameters for network {net.net_id!r} (has {sorted(nets)})")
    return with_parameters(net, nets[net.net_id], str(arrays), dtype=dtype)


def _thaw(v: Any) -> Any:
    return [_thaw(u) for u in v] if isinstance(v, tuple) else v


def network_to_dict(net: Network) -> dict[str, Any]:
    """The YAML mapping of `net` (the inverse of `network_from_dict`)."""

    def node(n: Node) -> dict[str, Any]:
        return {
            "name": n.name,
            "op": n.op,
            "target": n.target,
            "args": _thaw(n.args),
            "kwargs": {k: _thaw(v) for k, v in n.kwargs},
        }

    return {
        "nn_model_id": net.net_id,
        "inputs": [{"input_id": i} for i in net.input_ids],
        "layers": [
            {"layer_id": lyr.layer_id, "layer_type": lyr.layer_type, "args": layer_args(lyr)} for lyr in net.layers
        ],
        "forward": [node(n) for n in net.nodes],
    }


def network_arrays(net: Network) -> NetArrays:
    """The parameter arrays of `net` as NumPy (layer id -> name -> array)."""
    return {lid: {k: np.asarray(v) for k, v in arrs.items()} for lid, arrs in net.params.items()}


def write_network(net: Network, path: str | Path, arrays: str | Path | None = None) -> tuple[Path, Path | None]:
    """Write `net` as a PEtab-SciML network YAML file and, when `arrays` is given, its parameters
    as an array file (``/parameters/<net_id>/<layer>/<name>``). Both writes are atomic.

    Returns:
        (YAML path, array-file path or None).
    """
    path = Path(path)
    text = yaml.safe_dump(network_to_dict(net), sort_keys=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    arr_path = None
    if arrays is not None:
        arr_path = write_parameters(arrays, {net.net_id: network_arrays(net)})
    return path, arr_path
