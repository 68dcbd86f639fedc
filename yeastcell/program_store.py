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
key can be stated exactly:

- the cell: a cell compiled by `yeastcell.compile.compile_model` (what `load_cell` and
  `load_sbml` return, or one derived from it that changes only array leaves, e.g. fitted
  parameters) is its spec's content hash; any other cell (a hybrid with a neural residual, a cell
  whose static fields were edited) runs through the ordinary `equinox.filter_jit`;
- the other arguments' static parts (solver options, the condition's structure, chunk sizes) by
  their text; a static part whose text holds an object address (a function or object defined at
  run time) is not keyed and runs through `filter_jit`;
- the arrays' shapes and dtypes (their values are the program's inputs);
- the source code of yeastcell (a hash of every module), the versions of jax, jaxlib, equinox,
  diffrax, lineax and optimistix, the backend and device kind, and float64 mode.

Outputs must be a flat tuple of arrays (the wrapped functions return arrays, never pytrees with
static data). An export that fails (e.g. a program with host callbacks) is remembered for the
process and the program runs through `filter_jit`; an unreadable stored file is exported again. Files
are written atomically (`yeastcell.io.atomic_path`), so processes sharing the folder never read a
half-written program. Serialisation needs the ``flatbuffers`` package (a yeastcell dependency).

Measured (core model, `simulate` of one condition, 121 save points, fresh processes on the 2-core
AMD EPYC with two other jobs running): the solve traces and lowers in ~9 s and compiles in ~10 s
on first use; deserialising the stored program takes 2 ms and the first call 0.6 s with the
compiled code in the persistent cache.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import os
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


def _environment() -> str:
    device = jax.devices()[0]
    return f"{jax.default_backend()}|{device.device_kind}|x64={jax.config.values.get('jax_enable_x64')}"


def _cell_token(cell) -> str | None:
    """The compiled spec's hash if `cell` has exactly the static content `compile_model` gives
    its spec (array leaves may differ), else None."""
    if type(cell) not in (ConcentrationCell, SbmlCell):
        return None
    key = spec_key(cell.spec)
    reference = compiled_for(key)
    if reference is None:
        return None
    if reference is not cell:
        static = eqx.partition(cell, eqx.is_array)[1]
        ref_static = eqx.partition(reference, eqx.is_array)[1]
        structure: Any
        leaves, structure = jax.tree_util.tree_flatten(static)
        ref_leaves, ref_structure = jax.tree_util.tree_flatten(ref_static)
        if structure != ref_structure or not all(a is b or a == b for a, b in zip(leaves, ref_leaves, strict=True)):
            return None
    return f"{type(cell).__name__}:{key}"


def program_key(name: str, args: tuple) -> tuple[str, list, Any, Any] | None:
    """(key, dynamic leaves, dynamic treedef, static part) of a call of program `name` on `args`
    (the first argument a cell), or None when the call cannot be keyed exactly (module docstring)."""
    cell_token = _cell_token(args[0])
    if cell_token is None:
        return None
    dynamic, static = eqx.partition(args, eqx.is_array)
    leaves, treedef = jax.tree_util.tree_flatten(dynamic)
    if any(isinstance(x, jax.core.Tracer) for x in leaves):  # called inside a trace: inline it there
        return None
    rest_static = static[1:]
    text = f"{jax.tree_util.tree_structure(rest_static)}|{jax.tree_util.tree_leaves(rest_static)!r}"
    if " at 0x" in text:
        return None
    avals = ";".join(f"{np.shape(x)}:{np.dtype(x.dtype)}:{getattr(x, 'weak_type', False)}" for x in leaves)
    h = hashlib.sha256()
    rest_structure = str(jax.tree_util.tree_structure(dynamic[1:]))  # the cell's is fixed by its token
    for part in (name, code_fingerprint(), _environment(), cell_token, text, rest_structure, avals):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest(), leaves, treedef, static


class StoredProgram:
    """A function of (cell, ...) compiled with `equinox.filter_jit` and, when the persistent cache
    is on, exported to and loaded from the program store (module docstring). Call it as the function."""

    def __init__(self, fn: Callable, name: str):
        self._fn = fn
        self._jit = eqx.filter_jit(fn)
        self.name = name
        self._loaded: OrderedDict[str, Callable | None] = OrderedDict()
        functools.update_wrapper(self, fn)

    def __call__(self, *args):
        folder = store_dir()
        keyed = program_key(self.name, args) if folder is not None else None
        if keyed is None:
            return self._traced(args)
        key, leaves, treedef, static = keyed
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
        program = self._loaded[key]
        if program is None:
            return self._traced(args)
        return tuple(program(*leaves))

    def _traced(self, args):
        stats[f"{self.name}:traced"] += 1
        return self._jit(*args)

    def _load(self, path: Path) -> Callable | None:
        try:
            blob = path.read_bytes()
            os.utime(path)  # recently used: the cap evicts by modification time
        except OSError:
            return None
        try:
            exported = jax.export.deserialize(bytearray(blob))
        except Exception as exc:  # noqa: BLE001 (a stale or damaged file is exported again)
            log.info("stored program %s unreadable (%s); exporting it again", path.name, exc)
            return None
        return self._compiled(exported)

    def _export(self, path: Path, treedef, static, leaves) -> Callable | None:
        fn = self._fn

        def flat(*dyn_leaves):
            out = fn(*eqx.combine(jax.tree_util.tree_unflatten(treedef, dyn_leaves), static))
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
        return jax.jit(run)


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


def stored_program(name: str) -> Callable[[Callable], StoredProgram]:
    """Decorator: ``@stored_program("solve")`` over a function whose first argument is a cell and
    which returns a flat tuple of arrays."""
    return lambda fn: StoredProgram(fn, name)
