"""`Network`: a PEtab-SciML neural network (layers + torch.fx-like forward graph) as an
`equinox.Module`.

The trainable arrays live in ``params`` (layer id -> array name -> array, PyTorch shapes, float64
unless asked otherwise), so ``jax.grad`` of any function of a `Network` gives gradients in the same
nested layout as the PEtab-SciML array files. Layers and the forward graph are static.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .errors import SciMLFormatError
from .functions import FUNCTIONS, call, function_name
from .layers import Bilinear, Layer

Array = jax.Array
_OPS = ("placeholder", "call_module", "call_function", "call_method", "output")


@dataclass(frozen=True)
class Node:
    """One forward-graph node: `op` (placeholder, call_module, call_function, call_method,
    output), `target` (input name, layer id or function name), `args`/`kwargs` (node names or
    literals; lists are tuples here)."""

    name: str
    op: str
    target: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def make_node(entry: Mapping[str, Any], layers: Mapping[str, Layer], seen: set[str], source: str) -> Node:
    """Validate one `forward` entry against the layers and the earlier nodes.

    Raises:
        SciMLFormatError: unknown op, unknown layer, unsupported function, or an argument naming
            a node that is not defined earlier (the message names `source`).
    """
    try:
        name, op, target = str(entry["name"]), str(entry["op"]), str(entry["target"])
    except KeyError as err:
        raise SciMLFormatError(f"{source}: forward entry {dict(entry)!r} lacks {err.args[0]!r}") from None
    if op not in _OPS:
        raise SciMLFormatError(f"{source}: forward node {name!r} has unknown op {op!r} (expected one of {_OPS})")
    if op == "call_module" and target not in layers:
        raise SciMLFormatError(
            f"{source}: forward node {name!r} calls layer {target!r}, which `layers` does not define"
        )
    if op in ("call_function", "call_method") and function_name(target) not in FUNCTIONS:
        raise SciMLFormatError(
            f"{source}: forward node {name!r} uses unsupported function {target!r} "
            f"(supported: {', '.join(sorted(FUNCTIONS))})"
        )
    args = _freeze(list(entry.get("args") or []))
    kwargs = tuple((str(k), _freeze(v)) for k, v in (entry.get("kwargs") or {}).items())
    if op in ("call_module", "output") and not args:
        raise SciMLFormatError(f"{source}: forward node {name!r} ({op}) has no arguments")
    if op == "call_module":
        for a in args:
            if not (isinstance(a, str) and a in seen):
                raise SciMLFormatError(f"{source}: forward node {name!r}: argument {a!r} is not an earlier node")
    seen.add(name)
    return Node(name=name, op=op, target=target, args=args, kwargs=kwargs)


class Network(eqx.Module):
    """A PEtab-SciML network. Call it with one array per input (``net(x)`` or ``net(x1, x2)``).

    Attributes:
        params: layer id -> array name (``weight``, ``bias``, ...) -> array (PyTorch shape).
        net_id: the network id (``nn_model_id``).
        layers: the layers, in file order (static).
        nodes: the forward graph (static).
        input_ids: ids of the inputs (the `inputs` section), in placeholder order.
        source: the file it was read from ("" when built in memory).
    """

    params: dict[str, dict[str, Array]]
    net_id: str = eqx.field(static=True)
    layers: tuple[Layer, ...] = eqx.field(static=True)
    nodes: tuple[Node, ...] = eqx.field(static=True)
    input_ids: tuple[str, ...] = eqx.field(static=True)
    source: str = eqx.field(static=True, default="")

    def layer(self, layer_id: str) -> Layer:
        for lyr in self.layers:
            if lyr.layer_id == layer_id:
                return lyr
        raise KeyError(layer_id)

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes if n.op == "placeholder")

    def __call__(self, *inputs: Any, key: Array | None = None, training: bool = False) -> Any:
        """The forward pass.

        Args:
            inputs: one array per placeholder, PyTorch layout (e.g. ``(C, H, W)`` or ``(N, C, H, W)``).
            key: PRNG key for dropout layers (used only when `training`).
            training: dropout active (with `key`) and BatchNorm on batch statistics; default off
                (inference: dropout is the identity).

        Returns:
            The output node's value: one array, or a tuple when the output node lists several.

        Raises:
            SciMLFormatError: wrong number of inputs.
        """
        names = self.placeholders
        if len(inputs) != len(names):
            raise SciMLFormatError(f"network {self.net_id!r} takes {len(names)} input(s) {names}, got {len(inputs)}")
        env: dict[str, Any] = {}
        n_random = sum(1 for n in self.nodes if n.op == "call_module")
        keys = list(jax.random.split(key, max(n_random, 1))) if key is not None else [None] * max(n_random, 1)
        k_index = 0
        it = iter(inputs)

        def resolve(v: Any) -> Any:
            if isinstance(v, tuple):
                return [resolve(u) for u in v]
            if isinstance(v, str) and v in env:
                return env[v]
            return v

        for node in self.nodes:
            if node.op == "placeholder":
                x = next(it)
                env[node.name] = x if isinstance(x, jax.Array) else jnp.asarray(np.asarray(x, dtype=float))
            elif node.op == "call_module":
                layer = self.layer(node.target)
                args = [resolve(a) for a in node.args]
                p = self.params.get(layer.layer_id, {})
                if isinstance(layer, Bilinear) and len(args) == 2:
                    env[node.name] = layer.apply2(p, args[0], args[1])
                else:
                    env[node.name] = layer.apply(p, args[0], keys[k_index], training)
                k_index += 1
            elif node.op in ("call_function", "call_method"):
                env[node.name] = call(
                    node.target, [resolve(a) for a in node.args], {k: resolve(v) for k, v in node.kwargs}
                )
            else:  # output
                out = [resolve(a) for a in node.args]
                return out[0] if len(out) == 1 else tuple(out)
        raise SciMLFormatError(f"network {self.net_id!r} ({self.source}): the forward graph has no output node")
