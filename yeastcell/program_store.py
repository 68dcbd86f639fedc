"""Traced solver programs kept on disk (`jax.export`), so a new process skips tracing as well as compiling.

JAX's persistent compilation cache (`yeastcell.compilation_cache`) stores XLA's compiled code, but a
new process still traces the model in Python before it can look the code up: for the core model
that is ~9 s of the ~10 s to a first result with a warm cache. With the cache on, the programs
wrapped by `stored_program` (the solve and the trajectory arrays) are also *exported*
(`jax.export`: the traced, lowered StableHLO, serialised) to ``<cache folder>/yeastcell_programs``
the first time they run for a given model, solver options and array shapes. A later process that
asks for the same program deserialises it (milliseconds), and JAX finds its compiled code in the
persistent cache: no tracing, no compiling.

A stored program is keyed by everything that decides what is traced, and is used only when that
key can be written down:

- the cell: a cell compiled by `yeastcell.compile.compile_model` (what `load_cell` and
  `load_sbml` return, or one derived from it that changes only array values, e.g. fitted
  parameters) is its spec's content hash; any other cell (a hybrid with a neural residual, a cell
  whose structure or static fields differ from what `compile_model` gives) runs through the ordinary
  `equinox.filter_jit`;
- the other arguments (solver options, the condition, chunk sizes) by `_canonical`: shapes and
  dtypes of the input arrays, values of plain data and of arrays held as static data, types and
  fields of dataclasses, and functions and classes by qualified name only when their code is in the
  key (yeastcell, the JAX stack, numpy); a lambda, a local or user-defined function or class in
  them, or a partial, leaves the call unkeyed (traced as usual);
- the source code of yeastcell (a hash of every module), the versions of jax, jaxlib, equinox,
  diffrax, lineax and optimistix, the backend and the first device's kind, JAX settings that change
  traces (`_TRACE_SETTINGS`: x64, debug NaNs/Infs, matmul precision, dtype promotion) and
  ``EQX_ON_ERROR``.

Not stored, traced as usual: calls inside a trace (your own `jit`, `vmap`, `grad`), under
`jax.disable_jit`, or with inputs sharded over several devices or placed off the default device.
Outputs must be a flat tuple of arrays. An export that fails (e.g. a program with host callbacks)
is remembered for the process and the program runs through `filter_jit`, as does a stored program
that fails to run; an unreadable stored file is exported again. Files are written atomically
(`yeastcell.io.atomic_path`), so processes sharing the folder never read a half-written program;
the folder is capped at `MAX_STORE_BYTES` (least recently used files removed). Serialisation needs
the ``flatbuffers`` package (a yeastcell dependency).

Measured (core model, `simulate` of one condition, 121 save points, fresh processes on the 2-core
AMD EPYC with two other jobs running): the solve traces and lowers in ~9 s and compiles in ~10 s
on first use; deserialising the stored program takes 2 ms and the first call 0.6 s with the
compiled code in the persistent cache.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import importlib.metadata
import inspect
import logging
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import numpy as np

from .cells import ConcentrationCell, SbmlCell
from .compile import compiled_for, spec_key
from .io import atomic_path

log = logging.getLogger(__name__)

FOLDER_NAME = "yeastcell_programs"
MAX_LOADED = 64  # programs kept deserialised per process (least recently used dropped)
MAX_STORE_BYTES = 512 * 1024**2  # the folder's cap: least recently used files go first
#: What this process did per program name: ``"<name>:exported"``, ``":loaded"`` (from the store),
#: ``":traced"`` (through `filter_jit`, not keyed or not storable). For tests and diagnostics.
stats: Counter[str] = Counter()
_PACKAGES = ("jax", "jaxlib", "equinox", "diffrax", "lineax", "optimistix")


def store_dir() -> Path | None:
    """Where stored programs go: ``yeastcell_programs`` in JAX's persistent compilation cache
    folder, or None when that cache is off (the store follows the cache: a stored trace without
    its compiled code would still pay the compile)."""
    folder = jax.config.values.get("jax_compilation_cache_dir")
    return Path(folder) / FOLDER_NAME if folder else None


@functools.cache
def code_fingerprint() -> str:
    """Hash of yeastcell's source (every module) and of the versions of the JAX stack."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    for name in _PACKAGES:
        try:
            h.update(f"{name}={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{name}=absent".encode())
    return h.hexdigest()


# JAX settings that change what a trace produces; a stored program is keyed by their values
_TRACE_SETTINGS = (
    "jax_enable_x64",
    "jax_debug_nans",
    "jax_debug_infs",
    "jax_default_matmul_precision",
    "jax_numpy_dtype_promotion",
    "jax_numpy_rank_promotion",
    "jax_default_prng_impl",
)
# modules whose functions and classes may appear in a stored program's static arguments: their code
# is in the key (yeastcell's source hash, the versions of the JAX stack)
_KEYABLE_MODULES = ("yeastcell", "jax", "jaxlib", "equinox", "diffrax", "lineax", "optimistix", "numpy", "builtins")


class _NotKeyable(Exception):
    """A static argument that cannot be written as text that fixes the trace."""


def _environment() -> str:
    device = jax.devices()[0]
    settings = "|".join(f"{n}={jax.config.values.get(n)!r}" for n in _TRACE_SETTINGS)
    # equinox's runtime checks (EQX_ON_ERROR) decide what diffrax's checks trace to
    return f"{jax.default_backend()}|{device.device_kind}|{settings}|EQX_ON_ERROR={os.environ.get('EQX_ON_ERROR')}"


def _keyable_code(obj) -> str:
    module = getattr(obj, "__module__", None) or ""
    qualname = getattr(obj, "__qualname__", "")
    if module.split(".")[0] not in _KEYABLE_MODULES or "<" in qualname:
        raise _NotKeyable(f"{module}.{qualname}")
    return f"{module}.{qualname}"


def _canonical(obj, inputs: frozenset[int]) -> str:
    """Text that fixes how `obj` (arguments of a program) is traced: the shapes and dtypes of the
    arrays that are the program's inputs (`inputs`: their ids; their values vary), the values of
    everything else (plain Python data, arrays held as static data), the types and fields of
    dataclasses (equinox modules), and functions and classes by their qualified name when their code
    is in the key (`_KEYABLE_MODULES`). Raises `_NotKeyable` for anything else (a lambda, a local
    function, a partial, an object of the user's own class)."""
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        return f"{type(obj).__name__}:{obj!r}"
    if isinstance(obj, Deferred):
        return f"deferred:{obj.key!r}"
    if isinstance(obj, jax.core.Tracer):
        raise _NotKeyable("a traced value")
    if isinstance(obj, (jax.Array, np.ndarray, np.generic)):
        aval = f"{np.shape(obj)}:{np.dtype(obj.dtype)}:{getattr(obj, 'weak_type', False)}"
        if id(obj) in inputs:
            return f"input:{aval}"
        return f"constant:{aval}:{hashlib.sha256(np.ascontiguousarray(np.asarray(obj)).tobytes()).hexdigest()}"
    if isinstance(obj, enum.Enum):
        return f"{_keyable_code(type(obj))}.{obj.name}"
    if isinstance(obj, (tuple, list)):
        return f"{type(obj).__name__}({','.join(_canonical(x, inputs) for x in obj)})"
    if isinstance(obj, dict):
        items = sorted(obj.items(), key=lambda kv: repr(kv[0]))
        return "dict(" + ",".join(f"{_canonical(k, inputs)}:{_canonical(v, inputs)}" for k, v in items) + ")"
    if isinstance(obj, (frozenset, set)):
        return f"{type(obj).__name__}(" + ",".join(sorted(_canonical(x, inputs) for x in obj)) + ")"
    if isinstance(obj, functools.partial):
        raise _NotKeyable("a functools.partial")
    if inspect.ismethod(obj):
        return f"method({_canonical(obj.__self__, inputs)}.{obj.__name__})"
    if isinstance(obj, type) or (callable(obj) and not dataclasses.is_dataclass(obj)):
        return _keyable_code(obj)
    if dataclasses.is_dataclass(obj):
        fields = ",".join(f"{f.name}={_canonical(getattr(obj, f.name, None), inputs)}" for f in dataclasses.fields(obj))
        return f"{_keyable_code(type(obj))}({fields})"
    raise _NotKeyable(type(obj).__qualname__)


def _single_device(leaves) -> bool:
    """Every array on the default device alone (a sharded or committed-elsewhere input keys a program
    for other devices)."""
    default = jax.devices()[0]
    for x in leaves:
        sharding = getattr(x, "sharding", None)
        if sharding is not None and sharding.device_set != {default}:
            return False
    return True


def _cell_token(cell) -> str | None:
    """The compiled spec's hash if `cell` has exactly the structure and static content
    `compile_model` gives its spec (array values may differ), else None."""
    if type(cell) not in (ConcentrationCell, SbmlCell):
        return None
    key = spec_key(cell.spec)
    reference = compiled_for(key)
    if reference is None:
        return None
    if reference is not cell:
        structure: Any = jax.tree_util.tree_structure(cell)
        if structure != jax.tree_util.tree_structure(reference):  # where the arrays are, and the static fields
            return None
        leaves = jax.tree_util.tree_leaves(eqx.partition(cell, eqx.is_array)[1])
        ref_leaves = jax.tree_util.tree_leaves(eqx.partition(reference, eqx.is_array)[1])
        if len(leaves) != len(ref_leaves) or not all(
            a is b or (type(a) is type(b) and a == b) for a, b in zip(leaves, ref_leaves, strict=True)
        ):
            return None
    return f"{type(cell).__name__}:{key}"


def program_key(name: str, args: tuple) -> tuple[str, list, Any, Any] | None:
    """(key, dynamic leaves, dynamic treedef, static part) of a call of program `name` on `args`
    (the first argument a cell), or None when the call cannot be keyed exactly (module docstring)."""
    if jax.config.values.get("jax_disable_jit"):
        return None
    cell_token = _cell_token(args[0])
    if cell_token is None:
        return None
    dynamic, static = eqx.partition(args, eqx.is_array)
    leaves, treedef = jax.tree_util.tree_flatten(dynamic)
    if any(isinstance(x, jax.core.Tracer) for x in leaves):  # called inside a trace: inline it there
        return None
    if not _single_device(leaves):
        return None
    inputs = frozenset(id(x) for x in leaves)
    try:
        rest = _canonical(tuple(args[1:]), inputs)
        cell_arrays = _canonical(jax.tree_util.tree_leaves(eqx.filter(args[0], eqx.is_array)), inputs)
    except _NotKeyable as exc:
        log.debug("program %s not keyed: %s", name, exc)
        return None
    h = hashlib.sha256()
    for part in (name, code_fingerprint(), _environment(), cell_token, cell_arrays, rest):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest(), leaves, treedef, static


class Deferred:
    """An argument of a stored program that is built only if the program has to be traced.

    `key` is text that fixes what `build()` returns, given the rest of the program's key (the
    cell's spec, yeastcell's source); a call whose program is in the store never builds it.
    `yeastcell.simulate` passes its default solver options this way, so a first result from the
    store does not import diffrax (~0.3 s of a ~2 s first result; benchmarks/bench_first_result.py).
    Only a top-level argument may be deferred.
    """

    __slots__ = ("key", "_build")

    def __init__(self, key: str, build: Callable[[], Any]):
        self.key = key
        self._build = build

    def build(self) -> Any:
        """The argument itself."""
        return self._build()

    def __repr__(self) -> str:
        return f"Deferred({self.key!r})"


def built(args: tuple) -> tuple:
    """`args` with every `Deferred` argument built."""
    return tuple(a.build() if isinstance(a, Deferred) else a for a in args)


class StoredProgram:
    """A function of (cell, ...) compiled with `equinox.filter_jit` and, when the persistent cache
    is on, exported to and loaded from the program store (module docstring). Call it as the function."""

    def __init__(self, fn: Callable, name: str, compiler_options: dict[str, Any] | None = None):
        self._fn = fn
        self._options = dict(compiler_options or {})
        jit_options: dict[str, Any] = {"compiler_options": self._options} if self._options else {}
        self._jit = eqx.filter_jit(fn, **jit_options)  # passed on to jax.jit
        self._nested_jit = eqx.filter_jit(fn)  # inside the caller's trace (compiler options are top-level only)
        self.name = name
        self._loaded: OrderedDict[str, Callable | None] = OrderedDict()
        self._lock = threading.Lock()
        functools.update_wrapper(self, fn)

    def __call__(self, *args):
        folder = store_dir()
        keyed = program_key(self.name, args) if folder is not None else None
        if keyed is None:
            return self._traced(args)
        key, leaves, treedef, static = keyed
        with self._lock:
            program = self._program(key, folder, treedef, static, leaves)
        if program is None:
            return self._traced(args)
        try:
            return tuple(program(*leaves))
        except Exception as exc:  # noqa: BLE001 (e.g. a program exported for other devices: trace it instead)
            log.info("stored program %s did not run (%s); tracing it", self.name, exc)
            with self._lock:
                self._loaded[key] = None
            return self._traced(args)

    def _program(self, key, folder, treedef, static, leaves) -> Callable | None:
        if key not in self._loaded:
            path = folder / f"{self.name}-{key[:40]}.jaxexport"
            program = self._load(path)
            if program is not None:
                stats[f"{self.name}:loaded"] += 1
            else:
                program = self._export(path, treedef, static, leaves)
                stats[f"{self.name}:exported"] += program is not None
            self._loaded[key] = program
            if len(self._loaded) > MAX_LOADED:
                self._loaded.popitem(last=False)
        self._loaded.move_to_end(key)
        return self._loaded[key]

    def _traced(self, args):
        stats[f"{self.name}:traced"] += 1
        args = built(args)
        nested = any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(args))
        return (self._nested_jit if nested else self._jit)(*args)

    def _load(self, path: Path) -> Callable | None:
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        try:
            os.utime(path)  # recently used: the cap evicts by modification time
        except OSError:
            pass  # a read-only store is still read
        try:
            exported = jax.export.deserialize(bytearray(blob))
        except Exception as exc:  # noqa: BLE001 (a stale or damaged file is exported again)
            log.info("stored program %s unreadable (%s); exporting it again", path.name, exc)
            return None
        return self._compiled(exported)

    def _export(self, path: Path, treedef, static, leaves) -> Callable | None:
        fn = self._fn

        def flat(*dyn_leaves):
            out = fn(*built(eqx.combine(jax.tree_util.tree_unflatten(treedef, dyn_leaves), static)))
            if not isinstance(out, tuple) or not all(isinstance(x, jax.Array) for x in out):
                raise TypeError(
                    f"a stored program must return a flat tuple of arrays, {self.name} returned {type(out)}"
                )
            return out

        try:
            exported = jax.export.export(jax.jit(flat))(*leaves)
            blob = exported.serialize()
        except Exception as exc:  # noqa: BLE001 (the ordinary jit path then runs, and raises a real input error itself)
            log.info(
                "program %s not stored (%s: %s); it is traced in every process", self.name, type(exc).__name__, exc
            )
            return None
        try:
            with atomic_path(path) as tmp:
                tmp.write_bytes(blob)
            evict(path.parent, MAX_STORE_BYTES)
        except OSError as exc:
            log.info("program %s not written to %s (%s)", self.name, path.parent, exc)
        return self._compiled(exported)

    def _compiled(self, exported) -> Callable:
        """`exported` as a jitted function named ``stored_<name>`` (the name JAX's logs and its
        compilation cache entries carry)."""

        def run(*leaves):
            return exported.call(*leaves)

        run.__name__ = run.__qualname__ = f"stored_{self.name}"
        return jax.jit(run, compiler_options=self._options or None)


def evict(folder: Path, max_bytes: int) -> int:
    """Delete the least recently used stored programs until `folder` holds at most `max_bytes`;
    returns the number deleted. Files another process removes meanwhile are skipped."""
    entries = []
    for p in folder.glob("*.jaxexport"):
        try:
            st = p.stat()
        except OSError:
            continue
        entries.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in entries)
    removed = 0
    for _, size, p in sorted(entries):
        if total <= max_bytes:
            break
        try:
            p.unlink()
            removed += 1
        except OSError:
            pass
        total -= size
    return removed


def stored_program(name: str, compiler_options: dict[str, Any] | None = None) -> Callable[[Callable], StoredProgram]:
    """Decorator: ``@stored_program("solve")`` over a function whose first argument is a cell and
    which returns a flat tuple of arrays; `compiler_options` are XLA's, for every compile of it
    (e.g. `yeastcell._xla.FAST_COMPILE`; they are part of JAX's compilation-cache key)."""
    return lambda fn: StoredProgram(fn, name, compiler_options)
