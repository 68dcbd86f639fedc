"""The nonzero pattern of a function's Jacobian, read from its traced program (no compiling, no sampling).

`jacobian_pattern(fn, x, *args)` traces ``fn(x, *args)`` to a jaxpr (`jax.make_jaxpr`: Python
tracing only, ~0.3 s on the whole cell) and propagates, through every operation, which entries of
`x` each array element depends on (a bool array of the element's shape + (n,)). The result is the
(n_out, n) pattern: entry (i, j) is False only if output i provably does not depend on x_j.

The propagation is conservative, never exact by luck of the values:

- elementwise operations take the union of their operands' dependencies; shape operations
  (broadcast, reshape, slice, concatenate, pad, transpose, ...) move them exactly;
- reductions take the union over the reduced axes; `dot_general` the union over the contracted
  entries, skipping those multiplied by a structural zero of a constant operand (a matrix the
  function builds from NumPy, not one of the arguments: `args` count as unknown values);
- gathers, scatters and dynamic slices with indices known at trace time (built from NumPy inside
  the function) move dependencies exactly; with indices that depend on the arguments, every output
  element takes the union over the whole operand;
- `cond` takes the union over its branches, `while` and `scan` iterate their body's propagation to
  a fixed point, calls (`jit`, `checkpoint`, `custom_vjp`) are entered; a `custom_jvp` function
  takes the union of its own program and of its JVP rule's (which `jax.jacfwd` runs instead);
- `stop_gradient` keeps its dependencies: a Jacobian of differences sees through it;
- any other operation makes each of its outputs depend on everything any of its inputs depends on.

Values that are not floating point (indices, booleans, comparisons) carry no dependencies: their
derivatives are zero, as in JAX's own differentiation (a piecewise formula depends on the variables
of both branches, not on those of its condition; a difference quotient across its switch is no
derivative either). Floating point includes bfloat16 and the float8 types. Known values are
propagated with NumPy (only operations on trace-time constants: index arithmetic, masks, constant
matrices), so nothing is compiled or run by XLA; where NumPy and XLA may disagree the value is taken
as unknown (a wrong known index would move a dependency): float-to-integer casts out of range or of
NaN (XLA saturates), integer division or remainder by zero, index values beyond int32, a set that
writes one element twice, a scatter window partly out of bounds, `.at[].apply`, exp and log.

Used for the flux Jacobian of a concentration cell (`yeastcell.solvers.jacobian.flux_sparsity`) and
the state Jacobian of an SBML cell (`yeastcell.solvers.sbml_bdf.state_pattern`), replacing samples
of `jax.jacfwd` at random states (whose compile was ~4 s of a whole-cell first result, and which
could miss a derivative that vanished at every sample, e.g. on one branch of a piecewise formula).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax import lax
from jax.extend import core as jcore

log = logging.getLogger(__name__)

Dep = np.ndarray | None  # bool, shape = the value's shape + (n,); None: depends on nothing
Val = np.ndarray | None  # the value when known at trace time


class _Info:
    """What is known of one array of the program: its dependencies and, when known, its value."""

    __slots__ = ("dep", "val", "shape", "dtype")

    def __init__(self, dep: Dep, val: Val, shape: tuple[int, ...], dtype):
        self.dep: Any = dep
        self.val: Any = val
        self.shape, self.dtype = shape, dtype


def jacobian_pattern(fn: Callable, x, *args) -> np.ndarray:
    """(m, n) bools: entry (i, j) True where output i of ``fn(x, *args)`` may depend on x_j.

    `x` is a 1-D array of n entries; the output a 1-D array of m entries. `args` (pytrees of
    arrays) are treated as unknown values: the pattern holds for any values of them.
    """
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"jacobian_pattern needs a 1-D x, got shape {x.shape}")
    closed = jax.make_jaxpr(fn)(x, *args)
    n = x.shape[0]
    invars = closed.jaxpr.invars
    ins = [_Info(np.eye(n, dtype=bool), None, x.shape, x.dtype)]
    ins += [_Info(None, None, tuple(v.aval.shape), v.aval.dtype) for v in invars[1:]]
    outs = _eval_closed(closed, ins, n)
    if len(outs) != 1 or len(outs[0].shape) != 1:
        raise ValueError("jacobian_pattern needs fn to return one 1-D array")
    out = outs[0]
    return np.zeros((out.shape[0], n), dtype=bool) if out.dep is None else out.dep.copy()


# ------------------------------------------------------------------ helpers


def _is_float(dtype) -> bool:
    """Floating or complex, JAX's own float types included (`np.issubdtype` says False for
    bfloat16 and the float8 types, whose values would then lose their dependencies)."""
    return bool(jax.dtypes.issubdtype(dtype, np.inexact))


def _full(info: _Info, n: int) -> np.ndarray:
    """`info.dep` as an array (zeros where None)."""
    if info.dep is None:
        return np.zeros((*info.shape, n), dtype=bool)
    return info.dep


def _union_all(infos: Sequence[_Info], n: int) -> np.ndarray | None:
    """(n,) union of every element's dependencies over `infos` (None if empty)."""
    acc: Any = None
    for i in infos:
        if i.dep is not None and i.dep.size:
            u = i.dep.reshape(-1, n).any(axis=0)
            acc = u if acc is None else acc | u
    return acc


def _spread(union: np.ndarray | None, shape, dtype, n: int) -> Dep:
    """Every element of an output of `shape` depending on `union` (floats only)."""
    if union is None or not union.any() or not _is_float(dtype):
        return None
    return np.broadcast_to(union, (*shape, n)).copy()


def _read(env: dict, v) -> _Info:
    if isinstance(v, jcore.Literal):
        aval: Any = v.aval
        return _Info(None, np.asarray(v.val), tuple(aval.shape), aval.dtype)
    return env[v]


def _eval_closed(closed, ins: list[_Info], n: int) -> list[_Info]:
    consts = [_Info(None, np.asarray(c), tuple(np.shape(c)), np.asarray(c).dtype) for c in closed.consts]
    return _eval_jaxpr(closed.jaxpr, consts, ins, n)


def _eval_jaxpr(jaxpr, consts: list[_Info], ins: list[_Info], n: int) -> list[_Info]:
    env: dict = {}
    for v, i in zip(jaxpr.constvars, consts, strict=True):
        env[v] = i
    for v, i in zip(jaxpr.invars, ins, strict=True):
        env[v] = i
    for eqn in jaxpr.eqns:
        operands = [_read(env, v) for v in eqn.invars]
        outs = _apply(eqn, operands, n)
        for v, o in zip(eqn.outvars, outs, strict=True):
            if not isinstance(v, jcore.DropVar):
                env[v] = o
    return [_read(env, v) for v in jaxpr.outvars]


def _out(eqn, k: int = 0) -> tuple[tuple[int, ...], Any]:
    aval = eqn.outvars[k].aval
    return tuple(aval.shape), aval.dtype


def _make(eqn, dep: Dep, val: Val, k: int = 0) -> _Info:
    shape, dtype = _out(eqn, k)
    if dep is not None and (not _is_float(dtype) or not dep.any()):
        dep = None
    if val is not None:
        try:
            val = np.broadcast_to(np.asarray(val).astype(dtype, copy=False), shape)
        except (TypeError, ValueError):  # e.g. an extended dtype (PRNG keys): value unknown
            val = None
    return _Info(dep, val, shape, dtype)


def _fallback(eqn, operands: list[_Info], n: int) -> list[_Info]:
    """Every output depends on everything any input depends on; values unknown."""
    union = _union_all(operands, n)
    outs = []
    for k in range(len(eqn.outvars)):
        shape, dtype = _out(eqn, k)
        outs.append(_Info(_spread(union, shape, dtype, n), None, shape, dtype))
    return outs


# ------------------------------------------------------------------ elementwise

_NUMPY_ELEMENTWISE: dict[str, Callable] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "max": np.maximum,
    "min": np.minimum,
    "neg": np.negative,
    "abs": np.abs,
    "sign": np.sign,
    "floor": np.floor,
    "ceil": np.ceil,
    "sqrt": np.sqrt,
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
    "and": lambda a, b: np.logical_and(a, b) if a.dtype == bool else np.bitwise_and(a, b),
    "or": lambda a, b: np.logical_or(a, b) if a.dtype == bool else np.bitwise_or(a, b),
    "xor": lambda a, b: np.logical_xor(a, b) if a.dtype == bool else np.bitwise_xor(a, b),
    "not": lambda a: np.logical_not(a) if a.dtype == bool else np.invert(a),
    "is_finite": np.isfinite,
    "copy": np.array,
    "copy_p": np.array,
}

_ELEMENTWISE = set(_NUMPY_ELEMENTWISE) | {  # (values of the others unknown; XLA's CPU exp and log
    # round differently from NumPy's: floor(exp(log 5)) is 5 there and 4 in NumPy)
    "exp",
    "log",
    "div",
    "rem",
    "pow",
    "integer_pow",
    "square",
    "rsqrt",
    "cbrt",
    "log1p",
    "expm1",
    "exp2",
    "tanh",
    "logistic",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "asinh",
    "acosh",
    "atanh",
    "atan2",
    "erf",
    "erfc",
    "erf_inv",
    "lgamma",
    "digamma",
    "round",
    "nextafter",
    "clamp",
    "select_n",
    "convert_element_type",
    "reduce_precision",
    "real",
    "imag",
    "conj",
    "stop_gradient",
    "optimization_barrier",
    "polygamma",
    "igamma",
    "igammac",
    "igamma_grad_a",
    "random_gamma_grad",
    "bessel_i0e",
    "bessel_i1e",
    "regularized_incomplete_beta",
    "zeta",
}


def _elementwise(eqn, operands: list[_Info], n: int) -> list[_Info]:
    shape, dtype = _out(eqn)
    dep = None
    if _is_float(dtype):
        for o in operands:
            if o.dep is not None and _is_float(o.dtype):
                d = np.broadcast_to(o.dep, (*shape, n))
                dep = d.copy() if dep is None else dep | d
    val = None
    if all(o.val is not None for o in operands):
        val = _elementwise_value(eqn, [np.asarray(o.val) for o in operands])
    return [_make(eqn, dep, val)]


def _elementwise_value(eqn, vals: list[np.ndarray]) -> Val:
    """The value of an elementwise operation on known operands, None where NumPy could differ
    from XLA (a wrong known value, used later as an index, would move a dependency)."""
    try:
        with np.errstate(all="ignore"):
            return _numpy_value(eqn, vals)
    except (ArithmeticError, ValueError, TypeError):  # e.g. an integer to a negative power
        return None


def _numpy_value(eqn, vals: list[np.ndarray]) -> Val:
    name = eqn.primitive.name
    if name in _NUMPY_ELEMENTWISE:
        return _NUMPY_ELEMENTWISE[name](*vals)
    if name in ("div", "rem"):
        a, b = vals
        if not np.issubdtype(np.result_type(a, b), np.integer):
            return np.divide(a, b) if name == "div" else np.fmod(a, b)
        # integers: quotient rounded toward zero, remainder with the dividend's sign, computed
        # exactly (no float round trip); x / 0 and MIN / -1 are implementation-defined in XLA
        out = np.dtype(_out(eqn)[1])
        if (b == 0).any() or (np.issubdtype(out, np.signedinteger) and ((a == np.iinfo(out).min) & (b == -1)).any()):
            return None
        r = np.fmod(a, b)
        return r if name == "rem" else (a - r) // b
    if name == "select_n":
        which, cases = vals[0], np.broadcast_arrays(*vals[1:])
        return np.choose(which.astype(int), cases)
    if name == "convert_element_type":
        new, v = np.dtype(eqn.params["new_dtype"]), vals[0]
        if _is_float(v.dtype) and np.issubdtype(new, np.integer):
            # XLA saturates (NaN to 0) where NumPy's cast is undefined: unknown outside the range
            info = np.iinfo(new)
            if not (np.isfinite(v) & (v >= info.min) & (v < info.max)).all():
                return None
        return v.astype(new)
    if name == "clamp":
        return np.clip(vals[1], vals[0], vals[2])
    if name == "integer_pow":
        return vals[0] ** eqn.params["y"]
    return None


# ------------------------------------------------------------------ shape operations (value and dependency alike)


def _both(fn: Callable, info: _Info, n: int) -> tuple[Dep, Val]:
    """`fn(array, extra)` applied to the dependencies (one trailing axis) and to the value (none)."""
    dep = None if info.dep is None else fn(info.dep, 1)
    val = None if info.val is None else fn(info.val, 0)
    return dep, val


def _broadcast_in_dim(eqn, operands, n):
    shape, dims = eqn.params["shape"], eqn.params["broadcast_dimensions"]

    def f(a, extra):
        src = a.shape[: a.ndim - extra]
        inter = [1] * len(shape)
        for d, s in zip(dims, src):
            inter[d] = s
        return np.broadcast_to(a.reshape(*inter, *a.shape[a.ndim - extra :]), (*shape, *a.shape[a.ndim - extra :]))

    return [_make(eqn, *_both(f, operands[0], n))]


def _reshape(eqn, operands, n):
    if eqn.params.get("dimensions") is not None:
        return _fallback(eqn, operands, n)
    shape, _ = _out(eqn)
    return [_make(eqn, *_both(lambda a, e: a.reshape(*shape, *a.shape[a.ndim - e :]), operands[0], n))]


def _squeeze(eqn, operands, n):
    dims = tuple(eqn.params["dimensions"])
    return [_make(eqn, *_both(lambda a, e: np.squeeze(a, axis=dims), operands[0], n))]


def _expand_dims(eqn, operands, n):
    shape, _ = _out(eqn)
    return [_make(eqn, *_both(lambda a, e: a.reshape(*shape, *a.shape[a.ndim - e :]), operands[0], n))]


def _transpose(eqn, operands, n):
    perm = tuple(eqn.params["permutation"])
    return [_make(eqn, *_both(lambda a, e: a.transpose(*perm, *range(len(perm), a.ndim)), operands[0], n))]


def _slice(eqn, operands, n):
    start, limit, strides = eqn.params["start_indices"], eqn.params["limit_indices"], eqn.params["strides"]
    strides = strides or (1,) * len(start)
    idx = tuple(slice(s, lim, st) for s, lim, st in zip(start, limit, strides))
    return [_make(eqn, *_both(lambda a, e: a[idx], operands[0], n))]


def _rev(eqn, operands, n):
    dims = tuple(eqn.params["dimensions"])
    return [_make(eqn, *_both(lambda a, e: np.flip(a, axis=dims), operands[0], n))]


def _joined(join, axis, eqn, operands, n):
    """Concatenate or stack (`join`) the operands' dependencies and, when all known, values."""
    dep = None
    if any(o.dep is not None for o in operands):
        dep = join([_full(o, n) for o in operands], axis=axis)
    val = None
    if all(o.val is not None for o in operands):
        val = join([o.val for o in operands], axis=axis)
    return [_make(eqn, dep, val)]


def _concatenate(eqn, operands, n):
    return _joined(np.concatenate, eqn.params["dimension"], eqn, operands, n)


def _stack(eqn, operands, n):
    return _joined(np.stack, eqn.params["axis"], eqn, operands, n)


def _split(eqn, operands, n):
    axis, sizes = eqn.params["axis"], eqn.params["sizes"]
    cuts = np.cumsum(sizes)[:-1]
    x = operands[0]
    deps = [None] * len(sizes) if x.dep is None else np.split(x.dep, cuts, axis=axis)
    vals = [None] * len(sizes) if x.val is None else np.split(x.val, cuts, axis=axis)
    return [_make(eqn, d, v, k) for k, (d, v) in enumerate(zip(deps, vals))]


def _pad(eqn, operands, n):
    x, pad_value = operands
    config = eqn.params["padding_config"]
    shape, _ = _out(eqn)

    def positions(size, lo, interior):
        return lo + np.arange(size) * (interior + 1)

    def place(a, fill, extra):
        out = np.empty((*shape, *a.shape[a.ndim - extra :]), dtype=a.dtype)
        out[...] = fill
        index = []
        keep = []
        for (lo, _, interior), size, out_size in zip(config, a.shape[: a.ndim - extra], shape):
            p = positions(size, lo, interior)
            ok = (p >= 0) & (p < out_size)
            index.append(p[ok])
            keep.append(np.nonzero(ok)[0])
        src = a[np.ix_(*keep)] if keep else a
        out[np.ix_(*index)] = src
        return out

    dep = None
    if x.dep is not None or pad_value.dep is not None:
        fill = False if pad_value.dep is None else pad_value.dep
        dep = place(_full(x, n), fill, 1)
    val = None
    if x.val is not None and pad_value.val is not None:
        val = place(x.val, pad_value.val, 0)
    return [_make(eqn, dep, val)]


def _device_put(eqn, operands, n):
    """`jax.device_put` inside the function: each output is its operand."""
    return [_make(eqn, o.dep, o.val, k) for k, o in enumerate(operands)]


def _iota(eqn, operands, n):
    shape, dtype = _out(eqn)
    dim = eqn.params["dimension"]
    r = np.arange(shape[dim], dtype=dtype).reshape([-1 if k == dim else 1 for k in range(len(shape))])
    return [_make(eqn, None, np.broadcast_to(r, shape))]


# ------------------------------------------------------------------ reductions and products

_REDUCE_VALUE = {
    "reduce_sum": np.sum,
    "reduce_max": np.max,
    "reduce_min": np.min,
    "reduce_prod": np.prod,
    "reduce_and": np.all,
    "reduce_or": np.any,
    "argmax": np.argmax,
    "argmin": np.argmin,
}


def _reduce(eqn, operands, n):
    x = operands[0]
    axes = tuple(eqn.params["axes"])
    dep = None if x.dep is None else x.dep.any(axis=axes)
    val = None
    if x.val is not None and x.val.size:  # (NumPy refuses an empty max, XLA gives -inf)
        name = eqn.primitive.name
        if name in ("argmax", "argmin"):
            val = _REDUCE_VALUE[name](x.val, axis=axes[0])
        else:
            val = _REDUCE_VALUE[name](x.val, axis=axes)
    return [_make(eqn, dep, val)]


def _cumulative(eqn, operands, n):
    x = operands[0]
    axis, reverse = eqn.params["axis"], eqn.params.get("reverse", False)
    dep = None
    if x.dep is not None:
        d = np.flip(x.dep, axis) if reverse else x.dep
        d = np.logical_or.accumulate(d, axis=axis)
        dep = np.flip(d, axis) if reverse else d
    return [_make(eqn, dep, None)]


def _dot_general(eqn, operands, n):
    lhs, rhs = operands
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lf = [d for d in range(len(lhs.shape)) if d not in lc and d not in lb]
    rf = [d for d in range(len(rhs.shape)) if d not in rc and d not in rb]

    def canon(a, batch, free, contract, extra, free_first):
        """(B, F, K, *extra) or (B, K, F, *extra)."""
        B = int(np.prod([a.shape[d] for d in batch]))
        F = int(np.prod([a.shape[d] for d in free]))
        K = int(np.prod([a.shape[d] for d in contract]))
        rest = a.shape[a.ndim - extra :]
        order = [*batch, *free, *contract] if free_first else [*batch, *contract, *free]
        t = a.transpose(*order, *range(a.ndim - extra, a.ndim))
        return t.reshape(B, F, K, *rest) if free_first else t.reshape(B, K, F, *rest)

    def nonzero(o):
        if o.val is None:
            return np.ones(o.shape, dtype=bool)
        return o.val != 0

    shape, dtype = _out(eqn)
    dep = None
    if _is_float(dtype):
        if lhs.dep is not None:
            d = canon(lhs.dep.astype(np.float32), lb, lf, lc, 1, True)  # (B, M, K, n)
            z = canon(nonzero(rhs).astype(np.float32), rb, rf, rc, 0, False)  # (B, K, N)
            dep = np.einsum("bmkn,bkN->bmNn", d, z) > 0
        if rhs.dep is not None:
            d = canon(rhs.dep.astype(np.float32), rb, rf, rc, 1, False)  # (B, K, N, n)
            z = canon(nonzero(lhs).astype(np.float32), lb, lf, lc, 0, True)  # (B, M, K)
            r = np.einsum("bmk,bkNn->bmNn", z, d) > 0
            dep = r if dep is None else dep | r
        if dep is not None:
            dep = dep.reshape(*shape, n)
    val = None
    if lhs.val is not None and rhs.val is not None:
        a = canon(lhs.val, lb, lf, lc, 0, True)
        b = canon(rhs.val, rb, rf, rc, 0, False)
        val = np.einsum("bmk,bkN->bmN", a, b).reshape(shape)
    return [_make(eqn, dep, val)]


# ------------------------------------------------------------------ indexing


def _plain_indices(indices: np.ndarray) -> bool:
    """Index values that every lowering reads alike: within int32. (A FILL_OR_DROP gather first
    converts them to int32 for a small operand, wrapping 2**32 + 1 to 1, and XLA clamps an
    unsigned 2**63 + 5 as unsigned; larger values are taken as unknown.)"""
    return not indices.size or bool((indices >= -(2**31)).all() and (indices < 2**31).all())


def _window_starts(indices: np.ndarray, shape: tuple, window_dims: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Index grid of a gather's output or a scatter's update of `shape`, and per element the start
    index vector it uses (`indices` at its position along the dimensions outside `window_dims`)."""
    grid = np.indices(shape) if shape else np.zeros((0,), dtype=int)
    batch_dims = [d for d in range(len(shape)) if d not in window_dims]
    starts = (
        indices[tuple(grid[d] for d in batch_dims)]
        if batch_dims
        else np.broadcast_to(indices, (*shape, indices.shape[-1]))
    )
    return grid, starts


def _gather_positions(eqn, operand_shape, indices: np.ndarray):
    """For each output element: the operand position it reads (tuple of index arrays) and whether it
    is in bounds (False: the fill value), following XLA's gather semantics."""
    dn = eqn.params["dimension_numbers"]
    if dn.operand_batching_dims or dn.start_indices_batching_dims:
        return None
    slice_sizes = eqn.params["slice_sizes"]
    shape, _ = _out(eqn)
    offset_dims = tuple(dn.offset_dims)
    grid, starts = _window_starts(indices, shape, offset_dims)
    window = [d for d in range(len(operand_shape)) if d not in dn.collapsed_slice_dims]
    pos = [np.zeros(shape, dtype=np.int64) for _ in operand_shape]
    ok = np.ones(shape, dtype=bool)
    clip = eqn.params["mode"] != lax.GatherScatterMode.FILL_OR_DROP
    for k, d in enumerate(dn.start_index_map):
        s = starts[..., k].astype(np.int64)
        hi = operand_shape[d] - slice_sizes[d]
        if clip:
            s = np.clip(s, 0, hi)
        else:
            ok &= (s >= 0) & (s <= hi)
            s = np.clip(s, 0, hi)
        pos[d] = pos[d] + s
    for od, d in zip(offset_dims, window, strict=True):
        pos[d] = pos[d] + grid[od]
    return tuple(pos), ok


def _gather(eqn, operands, n):
    x, idx = operands
    shape, dtype = _out(eqn)
    if idx.val is None or x.shape == () or not shape or not _plain_indices(np.asarray(idx.val)):
        return _fallback(eqn, operands[:1], n)
    found = _gather_positions(eqn, x.shape, np.asarray(idx.val))
    if found is None:
        return _fallback(eqn, operands[:1], n)
    pos, ok = found
    dep = None
    if x.dep is not None:
        dep = x.dep[pos] & ok[..., None]
    val = None
    fill = eqn.params.get("fill_value")
    if x.val is not None and (fill is not None or ok.all()):  # (`lax.gather` always sets a fill)
        val = np.where(ok, x.val[pos], fill)
    return [_make(eqn, dep, val)]


def _scatter(eqn, operands, n):
    x, idx, upd = operands[:3]
    dn = eqn.params["dimension_numbers"]
    if idx.val is None or not _plain_indices(np.asarray(idx.val)):
        return _fallback(eqn, operands, n)
    if dn.operand_batching_dims or dn.scatter_indices_batching_dims:
        return _fallback(eqn, operands, n)
    indices = np.asarray(idx.val)
    ushape = upd.shape
    window_dims = tuple(dn.update_window_dims)
    grid, starts = _window_starts(indices, ushape, window_dims)
    window = [d for d in range(len(x.shape)) if d not in dn.inserted_window_dims]
    pos = [np.zeros(ushape, dtype=np.int64) for _ in x.shape]
    for k, d in enumerate(dn.scatter_dims_to_operand_dims):
        pos[d] = pos[d] + starts[..., k].astype(np.int64)
    for wd, d in zip(window_dims, window, strict=True):
        pos[d] = pos[d] + grid[wd]
    ok = np.ones(ushape, dtype=bool)
    for d, p in enumerate(pos):
        ok &= (p >= 0) & (p < x.shape[d])
    # (any mode: out-of-bounds updates are dropped or clamped; clamping keeps them in the operand)
    if eqn.params["mode"] == lax.GatherScatterMode.CLIP:
        return _fallback(eqn, operands, n)
    target = tuple(p[ok] for p in pos)
    dep = None
    if x.dep is not None or upd.dep is not None:
        dep = _full(x, n).copy()
        if upd.dep is not None:
            np.logical_or.at(dep, target, upd.dep[ok])
    return [_make(eqn, dep, _scatter_value(eqn, x, upd, pos, ok, window_dims))]


def _scatter_value(eqn, x: _Info, upd: _Info, pos, ok: np.ndarray, window_dims: tuple) -> Val:
    """The value of a plain set or add on known operands; None where XLA's result is not pinned
    down: `x.at[i].apply(f)` is a "scatter" whose `update_jaxpr` applies f (not a set), a set
    writing one element twice keeps either update, and a window partly out of bounds is dropped
    whole (FILL_OR_DROP) where per-element writes would keep its in-bounds part."""
    name = eqn.primitive.name
    plain_set = name == "scatter" and eqn.params.get("update_jaxpr") is None
    if x.val is None or upd.val is None or not (plain_set or name in ("scatter-add", "scatter_add")):
        return None
    if window_dims and not ok.all():
        whole = ok.all(axis=window_dims, keepdims=True)
        if not np.array_equal(np.broadcast_to(whole, ok.shape), ok):
            return None
    target = tuple(p[ok] for p in pos)
    val = np.array(x.val, copy=True)
    if plain_set:
        flat = np.ravel_multi_index(target, x.shape) if target else np.zeros(int(ok.sum()), dtype=int)
        if np.unique(flat).size != flat.size:
            return None
        val[target] = upd.val[ok]
    else:
        np.add.at(val, target, upd.val[ok])
    return val


def _dynamic_slice(eqn, operands, n):
    x, starts = operands[0], operands[1:]
    sizes = eqn.params["slice_sizes"]
    if any(s.val is None for s in starts):
        return _fallback(eqn, operands[:1], n)
    lo = [int(np.clip(int(s.val), 0, dim - size)) for s, dim, size in zip(starts, x.shape, sizes)]
    idx = tuple(slice(a, a + size) for a, size in zip(lo, sizes))
    return [_make(eqn, *_both(lambda a, e: a[idx], x, n))]


def _dynamic_update_slice(eqn, operands, n):
    x, upd, starts = operands[0], operands[1], operands[2:]
    if any(s.val is None for s in starts):
        return _fallback(eqn, operands[:2], n)
    lo = [int(np.clip(int(s.val), 0, dim - size)) for s, dim, size in zip(starts, x.shape, upd.shape)]
    idx = tuple(slice(a, a + size) for a, size in zip(lo, upd.shape))
    dep = None
    if x.dep is not None or upd.dep is not None:
        dep = _full(x, n).copy()
        dep[idx] = _full(upd, n)
    val = None
    if x.val is not None and upd.val is not None:
        val = np.array(x.val, copy=True)
        val[idx] = upd.val
    return [_make(eqn, dep, val)]


# ------------------------------------------------------------------ calls and control flow


def _sub_jaxpr(eqn):
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        sub = eqn.params.get(key)
        if isinstance(sub, jcore.ClosedJaxpr):
            return sub
        if isinstance(sub, jcore.Jaxpr):
            return jcore.ClosedJaxpr(sub, ())
    return None


def _call(eqn, operands, n):
    sub = _sub_jaxpr(eqn)
    if sub is None or len(sub.jaxpr.invars) != len(operands):
        return _fallback(eqn, operands, n)
    outs = _eval_closed(sub, operands, n)
    return [_make(eqn, o.dep, o.val, k) for k, o in enumerate(outs)]


_RULE_STATE = threading.local()  # .inside: evaluating a custom JVP rule's own program


def _custom_jvp(eqn, operands, n):
    """A `jax.custom_jvp` function: its own program (what a Jacobian of differences evaluates)
    joined with the program of ``jax.jvp`` through it, i.e. its JVP rule (what `jax.jvp`,
    `jax.jacfwd` and the compressed JVPs of `yeastcell.solvers.jacobian` evaluate). A rule may
    read more than the function does: a surrogate derivative of a step function, say. Traced once
    per evaluation (Python only); where that fails, conservatively dense."""
    primal = _call(eqn, operands, n)
    if getattr(_RULE_STATE, "inside", False) or not any(o.dep is not None for o in operands):
        return primal  # inside a rule, a custom function runs as itself (no tangents through it)
    floats = [k for k, o in enumerate(operands) if _is_float(o.dtype)]
    others = [k for k in range(len(operands)) if k not in floats]
    try:
        ins = [jcore.Var(v.aval) for v in eqn.invars]
        outs = [jcore.Var(v.aval) for v in eqn.outvars]
        info = jcore.DebugInfo(
            "structural_sparsity", str(eqn.params.get("name")), tuple(f"a{k}" for k in range(len(ins))), None
        )
        mini = jcore.Jaxpr([], ins, outs, [eqn.replace(invars=ins, outvars=outs)], eqn.effects, info)
        fn = jcore.jaxpr_as_fun(jcore.ClosedJaxpr(mini, []))

        def jvp(fl, tangents, rest):
            def g(*fl):
                args: list = [None] * len(operands)
                for k, a in [*zip(floats, fl), *zip(others, rest)]:
                    args[k] = a
                return fn(*args)

            return jax.jvp(g, tuple(fl), tuple(tangents))

        spec = [jax.ShapeDtypeStruct(operands[k].shape, operands[k].dtype) for k in floats]
        rest = [jax.ShapeDtypeStruct(operands[k].shape, operands[k].dtype) for k in others]
        closed = jax.make_jaxpr(jvp)(spec, spec, rest)
    except Exception:  # noqa: BLE001 (any failure to trace the rule: assume the worst)
        log.debug("structural sparsity: JVP rule of %s not traced, taken as dense", eqn.params.get("name"))
        return _fallback(eqn, operands, n)
    tangent_ins = [_Info(operands[k].dep, None, operands[k].shape, operands[k].dtype) for k in floats]
    _RULE_STATE.inside = True
    try:
        result = _eval_closed(closed, [*(operands[k] for k in floats), *tangent_ins, *(operands[k] for k in others)], n)
    finally:
        _RULE_STATE.inside = False
    tangents = result[len(eqn.outvars) :]
    joined = []
    for k, (p, t) in enumerate(zip(primal, tangents, strict=True)):
        dep = p.dep if not _is_float(p.dtype) else _join(p, t, n).dep
        joined.append(_make(eqn, dep, p.val, k))
    return joined


def _join(a: _Info, b: _Info, n: int) -> _Info:
    """The union of two possible values of one array (values known only where equal)."""
    if a.dep is None and b.dep is None:
        dep = None
    else:
        dep = _full(a, n) | _full(b, n)
    val = a.val if a.val is not None and b.val is not None and np.array_equal(a.val, b.val) else None
    return _Info(dep, val, a.shape, a.dtype)


def _same(a: _Info, b: _Info) -> bool:
    if (a.dep is None) != (b.dep is None):
        return False
    if a.dep is not None and not np.array_equal(a.dep, b.dep):
        return False
    if (a.val is None) != (b.val is None):
        return False
    return a.val is None or np.array_equal(a.val, b.val)


def _cond(eqn, operands, n):
    index, rest = operands[0], operands[1:]
    branches = eqn.params["branches"]
    if index.val is not None:  # XLA runs the last branch for an index out of range, negative too
        k = int(index.val)
        chosen = [branches[k if 0 <= k < len(branches) else -1]]
    else:
        chosen = list(branches)
    result = None
    for br in chosen:
        outs = _eval_closed(br, rest, n)
        result = outs if result is None else [_join(a, b, n) for a, b in zip(result, outs)]
    assert result is not None
    return [_make(eqn, o.dep, o.val, k) for k, o in enumerate(result)]


_MAX_ITERATIONS = 1000


def _fixed_point(step: Callable[[list[_Info]], list[_Info]], carry: list[_Info], n: int) -> list[_Info] | None:
    """The least carry that contains `carry` and is closed under `step` (values forgotten)."""
    carry = [_Info(c.dep, None, c.shape, c.dtype) for c in carry]
    for _ in range(_MAX_ITERATIONS):
        new = [_join(c, s, n) for c, s in zip(carry, step(carry), strict=True)]
        new = [_Info(c.dep, None, c.shape, c.dtype) for c in new]
        if all(_same(a, b) for a, b in zip(carry, new)):
            return new
        carry = new
    return None


def _while(eqn, operands, n):
    p = eqn.params
    cn, bn = p["cond_nconsts"], p["body_nconsts"]
    body_consts, init = operands[cn : cn + bn], operands[cn + bn :]
    final = _fixed_point(lambda c: _eval_closed(p["body_jaxpr"], [*body_consts, *c], n), init, n)
    if final is None:
        return _fallback(eqn, operands, n)
    return [_make(eqn, o.dep, None, k) for k, o in enumerate(final)]


def _scan(eqn, operands, n):
    p = eqn.params
    nc, ncarry = p["num_consts"], p["num_carry"]
    consts, init, xs = operands[:nc], operands[nc : nc + ncarry], operands[nc + ncarry :]
    # each iteration sees one slice of xs: conservatively, the union over the scanned axis
    x_slices = [
        _Info(
            None if x.dep is None else np.broadcast_to(x.dep.any(axis=0), (*x.shape[1:], n)), None, x.shape[1:], x.dtype
        )
        for x in xs
    ]
    body = p["jaxpr"]
    final = _fixed_point(lambda c: _eval_closed(body, [*consts, *c, *x_slices], n)[:ncarry], init, n)
    if final is None:
        return _fallback(eqn, operands, n)
    ys = _eval_closed(body, [*consts, *final, *x_slices], n)[ncarry:]
    outs = [_make(eqn, o.dep, None, k) for k, o in enumerate(final)]
    for k, y in enumerate(ys, start=ncarry):
        shape, dtype = _out(eqn, k)
        dep = None if y.dep is None else np.broadcast_to(y.dep, (*shape, n)).copy()
        outs.append(_make(eqn, dep, None, k))
    return outs


_CALLS = (
    "jit",
    "pjit",
    "closed_call",
    "core_call",
    "remat",
    "checkpoint",
    "remat2",
    "custom_vjp_call",
    "custom_vjp_call_jaxpr",
)
_RULES: dict[str, Callable] = {
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": _reshape,
    "squeeze": _squeeze,
    "expand_dims": _expand_dims,
    "transpose": _transpose,
    "slice": _slice,
    "rev": _rev,
    "concatenate": _concatenate,
    "stack": _stack,
    "split": _split,
    "pad": _pad,
    "iota": _iota,
    "device_put": _device_put,
    "dot_general": _dot_general,
    "gather": _gather,
    "scatter": _scatter,
    "scatter-add": _scatter,
    "scatter_add": _scatter,
    "scatter-sub": _scatter,
    "scatter_sub": _scatter,
    "scatter-mul": _scatter,
    "scatter_mul": _scatter,
    "scatter-min": _scatter,
    "scatter_min": _scatter,
    "scatter-max": _scatter,
    "scatter_max": _scatter,
    "dynamic_slice": _dynamic_slice,
    "dynamic_update_slice": _dynamic_update_slice,
    "cumsum": _cumulative,
    "cumprod": _cumulative,
    "cummax": _cumulative,
    "cummin": _cumulative,
    "cumlogsumexp": _cumulative,
    "custom_jvp_call": _custom_jvp,
    "cond": _cond,
    "while": _while,
    "scan": _scan,
    **{name: _reduce for name in _REDUCE_VALUE},
    **{name: _call for name in _CALLS},
}


def _apply(eqn, operands: list[_Info], n: int) -> list[_Info]:
    name = eqn.primitive.name
    rule = _RULES.get(name)
    if rule is not None:
        return rule(eqn, operands, n)
    if name in _ELEMENTWISE and len(eqn.outvars) == 1:
        return _elementwise(eqn, operands, n)
    if not any(o.dep is not None for o in operands):
        # nothing to propagate: outputs depend on nothing; values unknown
        return [_Info(None, None, *_out(eqn, k)) for k in range(len(eqn.outvars))]
    log.debug("structural sparsity: %s taken as dense", name)
    return _fallback(eqn, operands, n)
