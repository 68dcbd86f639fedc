"""One process of tests/test_distributed.py: joins a 2-process JAX runtime (jax.distributed), runs
`simulate_batch` (the default strategy splits the batch across the processes) and saves what this
process received. Arguments: coordinator address, process id, output .npz path."""

import sys

import jax

address, pid, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
jax.distributed.initialize(coordinator_address=address, num_processes=2, process_id=pid)

import numpy as np  # noqa: E402
from test_distributed import MODEL, T, perturbations  # noqa: E402

import yeastcell as yc  # noqa: E402
import yeastcell.batch as batch  # noqa: E402

lanes: list[int] = []  # (whole batch, this process's slice), seen by the split
split = batch._across_processes


def spy(run, conds, n):
    lanes.append(n)
    return split(lambda c: lanes.append(int(c.c0.shape[0])) or run(c), conds, n)


batch._across_processes = spy
cell = yc.load_cell(MODEL)
traj = yc.simulate_batch(cell, perturbations(), T)
np.savez(
    out,
    conc=np.asarray(traj.conc),
    status=np.asarray(traj.status),
    processes=jax.process_count(),
    devices=len(jax.devices()),
    lanes=np.asarray(lanes),
)
