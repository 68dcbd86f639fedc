"""The `call_function` / `call_method` targets of a PEtab-SciML forward graph, in JAX.

Names and keyword arguments are PyTorch's (``torch.nn.functional.<name>``, ``torch.<name>`` or the
tensor method ``x.<name>(...)``); `inplace` and `_stacklevel` are accepted and ignored. Dims count
from 0 as in PyTorch; negative dims count from the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .layers import flatten

_IGNORED = frozenset({"inplace", "_stacklevel", "dtype"})


def _gelu(x, approximate: str = "none"):
    return jax.nn.gelu(x, approximate=approximate == "tanh")


def _softplus(x, beta: float = 1.0, threshold: float = 20.0):
    bx = beta * x
    return jnp.where(bx > threshold, x, jnp.logaddexp(bx, 0.0) / beta)


def _hardtanh(x, min_val: float = -1.0, max_val: float = 1.0):
    return jnp.clip(x, min_val, max_val)


def _elu(x, alpha: float = 1.0):
    return jnp.where(x > 0, x, alpha * jnp.expm1(jnp.minimum(x, 0.0)))


def _celu(x, alpha: float = 1.0):
    return jnp.maximum(x, 0.0) + jnp.minimum(0.0, alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha))


def _leaky_relu(x, negative_slope: float = 0.01):
    return jnp.where(x >= 0, x, negative_slope * x)


def _softmax(x, dim: int | None = None):
    return jax.nn.softmax(x, axis=-1 if dim is None else dim)


def _log_softmax(x, dim: int | None = None):
    return jax.nn.log_softmax(x, axis=-1 if dim is None else dim)


def _cat(tensors, dim: int = 0):
    return jnp.concatenate(list(tensors), axis=dim)


def _stack(tensors, dim: int = 0):
    return jnp.stack(list(tensors), axis=dim)


def _shape_args(args: tuple) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return tuple(int(a) for a in args[0])
    return tuple(int(a) for a in args)


def _reshape(x, *shape, **kw):
    return jnp.reshape(x, _shape_args(shape) if shape else tuple(kw["shape"]))


def _permute(x, *dims, **kw):
    return jnp.transpose(x, _shape_args(dims) if dims else tuple(kw["dims"]))


def _transpose(x, dim0: int, dim1: int):
    return jnp.swapaxes(x, dim0, dim1)


def _squeeze(x, dim: int | None = None):
    return jnp.squeeze(x) if dim is None else (jnp.squeeze(x, axis=dim) if x.shape[dim] == 1 else x)


def _unsqueeze(x, dim: int):
    return jnp.expand_dims(x, dim)


def _flatten(x, start_dim: int = 0, end_dim: int = -1):
    return flatten(x, start_dim, end_dim)


def _sum(x, dim=None, keepdim: bool = False):
    return jnp.sum(x, axis=dim, keepdims=keepdim)


def _mean(x, dim=None, keepdim: bool = False):
    return jnp.mean(x, axis=dim, keepdims=keepdim)


def _pow(x, exponent):
    return jnp.power(x, exponent)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    # activations (torch.nn.functional / torch / tensor methods)
    "relu": jax.nn.relu,
    "relu6": jax.nn.relu6,
    "hardtanh": _hardtanh,
    "hardswish": lambda x: x * jnp.clip(x + 3.0, 0.0, 6.0) / 6.0,
    "hardsigmoid": lambda x: jnp.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "selu": jax.nn.selu,
    "silu": jax.nn.silu,
    "leaky_relu": _leaky_relu,
    "gelu": _gelu,
    "logsigmoid": jax.nn.log_sigmoid,
    "log_sigmoid": jax.nn.log_sigmoid,
    "tanhshrink": lambda x: x - jnp.tanh(x),
    "softsign": lambda x: x / (1.0 + jnp.abs(x)),
    "softplus": _softplus,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "mish": lambda x: x * jnp.tanh(_softplus(x)),
    "elu": _elu,
    "celu": _celu,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    # elementwise arithmetic
    "add": jnp.add,
    "sub": jnp.subtract,
    "mul": jnp.multiply,
    "div": jnp.divide,
    "truediv": jnp.divide,
    "neg": jnp.negative,
    "exp": jnp.exp,
    "log": jnp.log,
    "abs": jnp.abs,
    "sqrt": jnp.sqrt,
    "square": jnp.square,
    "pow": _pow,
    "sin": jnp.sin,
    "cos": jnp.cos,
    # shape
    "cat": _cat,
    "concat": _cat,
    "stack": _stack,
    "flatten": _flatten,
    "reshape": _reshape,
    "view": _reshape,
    "permute": _permute,
    "transpose": _transpose,
    "squeeze": _squeeze,
    "unsqueeze": _unsqueeze,
    "sum": _sum,
    "mean": _mean,
}


def call(target: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Apply the function `target` (caller checked it is in `FUNCTIONS`)."""
    kw = {k: v for k, v in kwargs.items() if k not in _IGNORED}
    return FUNCTIONS[function_name(target)](*args, **kw)


def function_name(target: str) -> str:
    """``torch.nn.functional.relu`` / ``torch.add`` / ``relu`` -> the bare name (``relu``, ``add``)."""
    return str(target).rsplit(".", 1)[-1]


__all__ = ["FUNCTIONS", "call"]
