"""Batches of perturbations as one array program: vmap on one device, or sharded across devices.

`simulate_batch(cell, perturbations, t)` resolves and stacks the perturbations, then runs the
vmapped solver. With ``strategy="shard"`` the batch axis is split across all local devices with
`jax.sharding` (padding the batch to a multiple of the device count); ``"vmap"`` runs on the default
device. ``"auto"`` (the default) currently means ``"vmap"``: measured with benchmarks/bench_sharding.py
(RESULTS.md), 64 core-model trajectories took 2.0 s with vmap on one device while the sharded run
across 2 forced host devices did not finish within 600 s (diffrax #718 reports the same kind of
slowdown). Re-measure on multi-GPU machines before changing the default. Under vmap a batch runs
until its slowest lane finishes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._solver import for_batch
from .compile import Cell
from .exceptions import SimulationInputError
from .perturb import Condition, Perturbation, resolve_batch
from .simulate import SolverOptions, _save_times, _solve, _trajectory
from .trajectory import Trajectory

STRATEGIES = ("auto", "vmap", "shard")


def simulate_batch(cell: Cell, perturbations: Sequence[Perturbation] | Condition, t, saveat=None,
                   options: SolverOptions | None = None, strategy: str = "auto") -> Trajectory:
    """Simulate many perturbations at once; one failed lane never aborts the others.

    Args:
        perturbations: a list of symbolic perturbations, or an already stacked `Condition`.
        t, saveat: as in `simulate` (shared by all conditions).
        strategy: "auto", "vmap" or "shard" (see module docstring).

    Returns:
        A batched `Trajectory` (leading axis = condition) with a status per condition.
    """
    if strategy not in STRATEGIES:
        raise SimulationInputError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    ts = _save_times(t, saveat)
    if isinstance(perturbations, Condition):
        conds, labels = perturbations, ()
    else:
        perturbations = list(perturbations)
        conds = resolve_batch(cell, perturbations)
        labels = tuple(p.label if p is not None else "wild type" for p in perturbations)
    options = batch_options(options or SolverOptions(), int(conds.c0.shape[0]))
    n_dev = jax.local_device_count()
    use_shard = strategy == "shard"  # "auto" = vmap, the faster one where measured (see module docstring)
    if use_shard and n_dev > 1:
        conc, status = _sharded(cell, conds, ts, options, n_dev)
    else:
        conc, status = _vmapped(cell, conds, ts, options)
    return _trajectory(cell, ts, conc, status, labels, conds)


def batch_options(options: SolverOptions, batch_size: int) -> SolverOptions:
    """`options` for a vmapped batch: an "auto" Rodas4P gets the sparse LU from
    `SPARSE_LU_MIN_BATCH` lanes on (yeastcell/_sparse_lu.py; faster per lane in large batches)."""
    solver = for_batch(options.solver, batch_size)
    return options if solver is options.solver else dataclasses.replace(options, solver=solver)


@eqx.filter_jit
def _vmapped(cell, conds, ts, options):
    return jax.vmap(lambda c: _solve(cell, c, ts, options))(conds)


def _sharded(cell, conds, ts, options, n_dev):
    n = conds.c0.shape[0]
    pad = (-n) % n_dev
    if pad:  # repeat the last condition; its results are dropped below
        conds = jax.tree_util.tree_map(lambda x: jnp.concatenate([x, jnp.repeat(x[-1:], pad, axis=0)]), conds)
    mesh = Mesh(np.array(jax.local_devices()), ("batch",))
    sharding = NamedSharding(mesh, PartitionSpec("batch"))
    conds = jax.device_put(conds, sharding)
    conc, status = _vmapped(cell, conds, ts, options)
    return conc[:n], status[:n]
