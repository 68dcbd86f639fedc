"""PyTorch layers (the PEtab-SciML `layer_type` names) as pure JAX functions.

A layer here is a frozen, hashable configuration (the YAML `args`, with PyTorch's names and
defaults) plus two methods: `param_shapes()` (the arrays the layer owns, keyed ``weight``, ``bias``,
with PyTorch's shapes: Linear weight ``(out, in)``, Conv weight ``(out, in/groups, *kernel)``,
ConvTranspose weight ``(in, out/groups, *kernel)``) and ``apply(params, x, key, training)``. Tensors
follow PyTorch's layout: ``(N, C, *spatial)`` or, unbatched, ``(C, *spatial)``; features last for
Linear/Bilinear/LayerNorm. Convolutions and pools use `jax.lax.conv_general_dilated` and
`jax.lax.reduce_window` with PyTorch's padding, stride, dilation, groups and ``ceil_mode`` rules.

Dropout layers are the identity unless ``training`` is true and a PRNG key is given. BatchNorm
normalises with the batch statistics (biased variance), as a freshly built PyTorch module does and
as the PEtab-SciML test suite's references are computed: PEtab-SciML array files hold no running
statistics. When the arrays include ``running_mean`` and ``running_var`` (written by another tool),
those are used instead unless ``training`` is true.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from .errors import SciMLFormatError

Array = jax.Array
Params = Mapping[str, Array]


def _tuple(value: Any, n: int, what: str) -> tuple[int, ...]:
    """PyTorch's int-or-sequence argument as an n-tuple of ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (list, tuple)) and len(value) == n and all(isinstance(v, (int, np.integer)) for v in value):
        return tuple(int(v) for v in value)
    if isinstance(value, (list, tuple)) and len(value) == 1 and n > 1:
        return (int(value[0]),) * n
    raise SciMLFormatError(f"{what}: expected an int or {n} ints, got {value!r}")


def _add_batch(x: Array, n_spatial: int, name: str) -> tuple[Array, bool]:
    """(N, C, *spatial) view of `x` and whether a batch axis was added (unbatched input)."""
    if x.ndim == n_spatial + 1:
        return x[None], True
    if x.ndim == n_spatial + 2:
        return x, False
    raise SciMLFormatError(
        f"layer {name}: expected a {n_spatial + 1}-d or {n_spatial + 2}-d input, got shape {x.shape}"
    )


@dataclass(frozen=True)
class Layer:
    """Base: `layer_id`, `layer_type` and the PyTorch keyword arguments (`args`)."""

    layer_id: str
    layer_type: str
    args: tuple[tuple[str, Any], ...] = field(default=())

    known_args: ClassVar[frozenset[str]] = frozenset()

    def arg(self, name: str, default: Any = None) -> Any:
        return dict(self.args).get(name, default)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """The arrays this layer owns: name -> PyTorch shape."""
        return {}

    def apply(self, params: Params, x: Array, key: Array | None, training: bool) -> Array:
        raise NotImplementedError


def _need(layer: Layer, name: str) -> Any:
    value = layer.arg(name)
    if value is None:
        raise SciMLFormatError(f"layer {layer.layer_id} ({layer.layer_type}): missing argument {name!r}")
    return value


# ------------------------------------------------------------------ dense
@dataclass(frozen=True)
class Linear(Layer):
    """y = x W^T + b; x (..., in_features) -> (..., out_features)."""

    def param_shapes(self):
        out = {"weight": (int(_need(self, "out_features")), int(_need(self, "in_features")))}
        if self.arg("bias", True):
            out["bias"] = (int(_need(self, "out_features")),)
        return out

    def apply(self, params, x, key, training):
        y = x @ params["weight"].T
        return y + params["bias"] if "bias" in params else y


@dataclass(frozen=True)
class Bilinear(Layer):
    """y_k = x1^T W_k x2 + b_k; inputs (..., in1), (..., in2) -> (..., out). Two inputs: see `Network`."""

    def param_shapes(self):
        o, i1, i2 = (int(_need(self, k)) for k in ("out_features", "in1_features", "in2_features"))
        out = {"weight": (o, i1, i2)}
        if self.arg("bias", True):
            out["bias"] = (o,)
        return out

    def apply2(self, params: Params, x1: Array, x2: Array) -> Array:
        y = jnp.einsum("...i,kij,...j->...k", x1, params["weight"], x2)
        return y + params["bias"] if "bias" in params else y

    def apply(self, params, x, key, training):
        return self.apply2(params, x, x)


@dataclass(frozen=True)
class Flatten(Layer):
    """torch.flatten(x, start_dim, end_dim) (defaults 1, -1)."""

    def apply(self, params, x, key, training):
        return flatten(x, int(self.arg("start_dim", 1)), int(self.arg("end_dim", -1)))


def flatten(x: Array, start_dim: int = 0, end_dim: int = -1) -> Array:
    """PyTorch's row-major flatten of dims start_dim..end_dim (a 0-d tensor becomes 1-d)."""
    if x.ndim == 0:
        return x.reshape(1)
    s = start_dim % x.ndim
    e = end_dim % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1 :])


# ------------------------------------------------------------------ convolutions
def _conv_padding(layer: Layer, n: int, kernel: tuple[int, ...], dilation: tuple[int, ...]) -> list[tuple[int, int]]:
    pad = layer.arg("padding", 0)
    if isinstance(pad, str):
        if pad == "valid":
            return [(0, 0)] * n
        if pad == "same":
            tot = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return [(t // 2, t - t // 2) for t in tot]
        raise SciMLFormatError(f"layer {layer.layer_id}: padding {pad!r} (expected int, ints, 'same' or 'valid')")
    p = _tuple(pad, n, f"layer {layer.layer_id} padding")
    return [(q, q) for q in p]


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


@dataclass(frozen=True)
class Conv(Layer):
    """Conv1d/2d/3d: (N, C_in, *L) -> (N, C_out, *L'); weight (C_out, C_in/groups, *kernel)."""

    n: int = 1

    def _geometry(self):
        n = self.n
        k = _tuple(_need(self, "kernel_size"), n, f"layer {self.layer_id} kernel_size")
        s = _tuple(self.arg("stride", 1), n, f"layer {self.layer_id} stride")
        d = _tuple(self.arg("dilation", 1), n, f"layer {self.layer_id} dilation")
        return k, s, d

    def param_shapes(self):
        k, _, _ = self._geometry()
        cin, cout, g = int(_need(self, "in_channels")), int(_need(self, "out_channels")), int(self.arg("groups", 1))
        if cin % g or cout % g:
            raise SciMLFormatError(f"layer {self.layer_id}: channels {cin}, {cout} not divisible by groups {g}")
        out = {"weight": (cout, cin // g, *k)}
        if self.arg("bias", True):
            out["bias"] = (cout,)
        return out

    def apply(self, params, x, key, training):
        k, s, d = self._geometry()
        xb, added = _add_batch(x, self.n, self.layer_id)
        pad = _conv_padding(self, self.n, k, d)
        mode = self.arg("padding_mode", "zeros")
        if mode != "zeros":
            if mode not in _PAD_MODES:
                raise SciMLFormatError(f"layer {self.layer_id}: padding_mode {mode!r} is not supported")
            xb = jnp.pad(xb, [(0, 0), (0, 0), *pad], mode=_PAD_MODES[mode])
            pad = [(0, 0)] * self.n
        y = jax.lax.conv_general_dilated(
            xb,
            params["weight"].astype(xb.dtype),
            window_strides=s,
            padding=pad,
            rhs_dilation=d,
            feature_group_count=int(self.arg("groups", 1)),
            precision=jax.lax.Precision.HIGHEST,
        )
        if "bias" in params:
            y = y + params["bias"].reshape((1, -1) + (1,) * self.n)
        return y[0] if added else y


@dataclass(frozen=True)
class ConvTranspose(Conv):
    """ConvTranspose1d/2d/3d: weight (C_in, C_out/groups, *kernel); output length
    (L - 1) s - 2 p + d (k - 1) + output_padding + 1 per spatial dim."""

    def param_shapes(self):
        k, _, _ = self._geometry()
        cin, cout, g = int(_need(self, "in_channels")), int(_need(self, "out_channels")), int(self.arg("groups", 1))
        if cin % g or cout % g:
            raise SciMLFormatError(f"layer {self.layer_id}: channels {cin}, {cout} not divisible by groups {g}")
        out = {"weight": (cin, cout // g, *k)}
        if self.arg("bias", True):
            out["bias"] = (cout,)
        return out

    def apply(self, params, x, key, training):
        k, s, d = self._geometry()
        n = self.n
        p = _tuple(self.arg("padding", 0), n, f"layer {self.layer_id} padding")
        op = _tuple(self.arg("output_padding", 0), n, f"layer {self.layer_id} output_padding")
        if self.arg("padding_mode", "zeros") != "zeros":
            raise SciMLFormatError(f"layer {self.layer_id}: ConvTranspose supports padding_mode 'zeros' only")
        g = int(self.arg("groups", 1))
        w = params["weight"]
        cin, cout_g = w.shape[0], w.shape[1]
        # (C_in, C_out/g, *k) -> (C_out, C_in/g, *k), spatially flipped: a direct convolution.
        w = w.reshape((g, cin // g, cout_g) + w.shape[2:])
        w = jnp.swapaxes(w, 1, 2).reshape((g * cout_g, cin // g) + w.shape[3:])
        w = jnp.flip(w, axis=tuple(range(2, 2 + n)))
        xb, added = _add_batch(x, n, self.layer_id)
        pad = [(di * (ki - 1) - pi, di * (ki - 1) - pi + oi) for ki, di, pi, oi in zip(k, d, p, op)]
        y = jax.lax.conv_general_dilated(
            xb,
            w.astype(xb.dtype),
            window_strides=(1,) * n,
            padding=pad,
            lhs_dilation=s,
            rhs_dilation=d,
            feature_group_count=g,
            precision=jax.lax.Precision.HIGHEST,
        )
        if "bias" in params:
            y = y + params["bias"].reshape((1, -1) + (1,) * n)
        return y[0] if added else y


# ------------------------------------------------------------------ pooling
def _pool_out(L: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    num = L + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= L + p:
        out -= 1
    return out


@dataclass(frozen=True)
class Pool(Layer):
    """MaxPool/AvgPool/LPPool 1-3d over the last `n` dims; stride defaults to the kernel size."""

    n: int = 1
    kind: str = "max"

    def _geometry(self, shape: tuple[int, ...]):
        n = self.n
        k = _tuple(_need(self, "kernel_size"), n, f"layer {self.layer_id} kernel_size")
        stride = self.arg("stride")
        s = k if stride is None or stride == [] else _tuple(stride, n, f"layer {self.layer_id} stride")
        p = _tuple(self.arg("padding", 0), n, f"layer {self.layer_id} padding")
        d = _tuple(self.arg("dilation", 1), n, f"layer {self.layer_id} dilation") if self.kind == "max" else (1,) * n
        ceil = bool(self.arg("ceil_mode", False))
        spatial = shape[-n:]
        outs = [_pool_out(L, ki, si, pi, di, ceil) for L, ki, si, pi, di in zip(spatial, k, s, p, d)]
        hi = [
            max(0, (o - 1) * si + di * (ki - 1) + 1 - (L + pi))
            for o, si, di, ki, L, pi in zip(outs, s, d, k, spatial, p)
        ]
        return k, s, p, d, hi, outs

    def _window(self, x: Array, init: float, op, k, s, p, d, hi) -> Array:
        lead = x.ndim - self.n
        return jax.lax.reduce_window(
            x,
            jnp.asarray(init, x.dtype),
            op,
            window_dimensions=(1,) * lead + tuple(k),
            window_strides=(1,) * lead + tuple(s),
            padding=[(0, 0)] * lead + [(pi, hj) for pi, hj in zip(p, hi)],
            window_dilation=(1,) * lead + tuple(d),
        )

    def _avg(self, x: Array, k, s, p, hi) -> Array:
        n = self.n
        ones = (1,) * n
        total = self._window(x, 0.0, jax.lax.add, k, s, p, ones, hi)
        override = self.arg("divisor_override")
        if override:
            return total / float(override)
        spatial = x.shape[-n:]
        if self.arg("count_include_pad", True):
            # windows count the symmetric padding but not the extra ceil_mode tail
            base = np.ones(tuple(L + 2 * pi for L, pi in zip(spatial, p)))
            base = np.pad(base, [(0, hj) for hj in hi])
        else:
            base = np.pad(np.ones(spatial), [(pi, pi + hj) for pi, hj in zip(p, hi)])
        counts = np.lib.stride_tricks.sliding_window_view(base, tuple(k))[tuple(slice(None, None, si) for si in s)]
        counts = counts.reshape(counts.shape[:n] + (-1,)).sum(-1)
        return total / jnp.asarray(counts, x.dtype)

    def apply(self, params, x, key, training):
        k, s, p, d, hi, _ = self._geometry(x.shape)
        if self.kind == "max":
            return self._window(x, -jnp.inf, jax.lax.max, k, s, p, d, hi)
        if self.kind == "avg":
            return self._avg(x, k, s, p, hi)
        norm = float(_need(self, "norm_type"))
        out = self._avg(x**norm, k, s, (0,) * self.n, hi)
        out = jnp.sign(out) * jax.nn.relu(jnp.abs(out)) * float(math.prod(k))
        return out ** (1.0 / norm)


@dataclass(frozen=True)
class AdaptivePool(Layer):
    """AdaptiveMaxPool/AdaptiveAvgPool 1-3d: window i of an axis spans
    [floor(i L / o), ceil((i + 1) L / o)); `output_size` entries may be None (keep the size)."""

    n: int = 1
    kind: str = "max"

    def apply(self, params, x, key, training):
        size = _need(self, "output_size")
        sizes = [size] * self.n if not isinstance(size, (list, tuple)) else list(size)
        if len(sizes) != self.n:
            raise SciMLFormatError(f"layer {self.layer_id}: output_size {size!r} needs {self.n} entries")
        reduce = jnp.max if self.kind == "max" else jnp.mean
        for j, o in enumerate(sizes):
            axis = x.ndim - self.n + j
            L = x.shape[axis]
            o = L if o is None else int(o)
            parts = []
            for i in range(o):
                a, b = (i * L) // o, -(-((i + 1) * L) // o)
                parts.append(reduce(jax.lax.slice_in_dim(x, a, b, axis=axis), axis=axis, keepdims=True))
            x = jnp.concatenate(parts, axis=axis)
        return x


# ------------------------------------------------------------------ normalisation
@dataclass(frozen=True)
class BatchNorm(Layer):
    """BatchNorm1d/2d/3d over channel axis 1 of (N, C, *spatial) (1d also takes (N, C)); statistics
    over every axis but 1 (see the module docstring for batch vs running statistics)."""

    n: int = 1

    def param_shapes(self):
        c = int(_need(self, "num_features"))
        return {"weight": (c,), "bias": (c,)} if self.arg("affine", True) else {}

    def apply(self, params, x, key, training):
        eps = float(self.arg("eps", 1e-5))
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        if training or "running_mean" not in params or "running_var" not in params:
            mean = jnp.mean(x, axis=axes, keepdims=True)
            var = jnp.var(x, axis=axes, keepdims=True)
        else:
            mean = params["running_mean"].reshape(shape)
            var = params["running_var"].reshape(shape)
        y = (x - mean) / jnp.sqrt(var + eps)
        if "weight" in params:
            y = y * params["weight"].reshape(shape) + params["bias"].reshape(shape)
        return y


@dataclass(frozen=True)
class InstanceNorm(Layer):
    """InstanceNorm1d/2d/3d: each (sample, channel) normalised over its spatial dims."""

    n: int = 1

    def param_shapes(self):
        c = int(_need(self, "num_features"))
        return {"weight": (c,), "bias": (c,)} if self.arg("affine", False) else {}

    def apply(self, params, x, key, training):
        xb, added = _add_batch(x, self.n, self.layer_id)
        eps = float(self.arg("eps", 1e-5))
        axes = tuple(range(2, xb.ndim))
        y = (xb - jnp.mean(xb, axis=axes, keepdims=True)) / jnp.sqrt(jnp.var(xb, axis=axes, keepdims=True) + eps)
        if "weight" in params:
            shape = (1, -1) + (1,) * self.n
            y = y * params["weight"].reshape(shape) + params["bias"].reshape(shape)
        return y[0] if added else y


@dataclass(frozen=True)
class LayerNorm(Layer):
    """LayerNorm over the trailing `normalized_shape` dims; weight/bias of that shape."""

    def _shape(self) -> tuple[int, ...]:
        s = _need(self, "normalized_shape")
        return (int(s),) if isinstance(s, (int, np.integer)) else tuple(int(v) for v in s)

    def param_shapes(self):
        if not self.arg("elementwise_affine", True):
            return {}
        out = {"weight": self._shape()}
        if self.arg("bias", True):
            out["bias"] = self._shape()
        return out

    def apply(self, params, x, key, training):
        shape = self._shape()
        if tuple(x.shape[-len(shape) :]) != shape:
            raise SciMLFormatError(f"layer {self.layer_id}: input shape {x.shape} does not end in {shape}")
        axes = tuple(range(x.ndim - len(shape), x.ndim))
        eps = float(self.arg("eps", 1e-5))
        y = (x - jnp.mean(x, axis=axes, keepdims=True)) / jnp.sqrt(jnp.var(x, axis=axes, keepdims=True) + eps)
        if "weight" in params:
            y = y * params["weight"]
        if "bias" in params:
            y = y + params["bias"]
        return y


# ------------------------------------------------------------------ dropout
_SELU_ALPHA_PRIME = -1.7580993408473766  # -scale * alpha of SELU


@dataclass(frozen=True)
class Dropout(Layer):
    """Dropout (elementwise) and Dropout1d/2d/3d (`n` > 0: whole channels of (N, C, *spatial) or
    (C, *spatial)); kept values are scaled by 1/(1-p). Identity unless training with a key."""

    n: int = 0

    def apply(self, params, x, key, training):
        p = float(self.arg("p", 0.5))
        if not training or key is None or p == 0.0:
            return x
        if self.n == 0:
            shape = x.shape
        else:
            keep_dims = 2 if x.ndim == self.n + 2 else 1
            shape = x.shape[:keep_dims] + (1,) * (x.ndim - keep_dims)
        mask = jax.random.bernoulli(key, 1.0 - p, shape)
        return jnp.where(mask, x / (1.0 - p), 0.0)


@dataclass(frozen=True)
class AlphaDropout(Layer):
    """AlphaDropout (for SELU networks): dropped values are set to SELU's negative saturation and
    the result is affinely rescaled to keep mean and variance. Identity unless training with a key."""

    def apply(self, params, x, key, training):
        p = float(self.arg("p", 0.5))
        if not training or key is None or p == 0.0:
            return x
        a = ((1.0 - p) * (1.0 + p * _SELU_ALPHA_PRIME**2)) ** -0.5
        b = -a * _SELU_ALPHA_PRIME * p
        mask = jax.random.bernoulli(key, 1.0 - p, x.shape)
        return a * jnp.where(mask, x, _SELU_ALPHA_PRIME) + b


def _registry() -> dict[str, tuple[type[Layer], dict[str, Any]]]:
    reg: dict[str, tuple[type[Layer], dict[str, Any]]] = {
        "Linear": (Linear, {}),
        "Bilinear": (Bilinear, {}),
        "Flatten": (Flatten, {}),
        "LayerNorm": (LayerNorm, {}),
        "Dropout": (Dropout, {"n": 0}),
        "AlphaDropout": (AlphaDropout, {}),
    }
    for n in (1, 2, 3):
        reg[f"Conv{n}d"] = (Conv, {"n": n})
        reg[f"ConvTranspose{n}d"] = (ConvTranspose, {"n": n})
        reg[f"MaxPool{n}d"] = (Pool, {"n": n, "kind": "max"})
        reg[f"AvgPool{n}d"] = (Pool, {"n": n, "kind": "avg"})
        reg[f"LPPool{n}d"] = (Pool, {"n": n, "kind": "lp"})
        reg[f"AdaptiveMaxPool{n}d"] = (AdaptivePool, {"n": n, "kind": "max"})
        reg[f"AdaptiveAvgPool{n}d"] = (AdaptivePool, {"n": n, "kind": "avg"})
        reg[f"BatchNorm{n}d"] = (BatchNorm, {"n": n})
        reg[f"InstanceNorm{n}d"] = (InstanceNorm, {"n": n})
        reg[f"Dropout{n}d"] = (Dropout, {"n": n})
    return reg


LAYER_TYPES = _registry()


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


def make_layer(layer_id: str, layer_type: str, args: Mapping[str, Any] | None, source: str = "") -> Layer:
    """The layer `layer_type` (a PyTorch class name) with keyword `args`.

    Raises:
        SciMLFormatError: unknown layer type (the message lists the supported ones and names `source`),
            or arguments that do not give valid shapes.
    """
    if layer_type not in LAYER_TYPES:
        where = f" in {source}" if source else ""
        raise SciMLFormatError(
            f"layer {layer_id!r}{where}: unsupported layer type {layer_type!r} "
            f"(supported: {', '.join(sorted(LAYER_TYPES))})"
        )
    cls, extra = LAYER_TYPES[layer_type]
    frozen = tuple(sorted((str(k), _freeze(v)) for k, v in (args or {}).items()))
    layer = cls(layer_id=layer_id, layer_type=layer_type, args=frozen, **extra)
    layer.param_shapes()  # validates the arguments that fix array shapes
    return layer


def layer_args(layer: Layer) -> dict[str, Any]:
    """The layer's arguments as plain YAML-able values (tuples become lists)."""

    def thaw(v: Any) -> Any:
        return [thaw(u) for u in v] if isinstance(v, tuple) else v

    return {k: thaw(v) for k, v in layer.args}
