"""Sharded vs plain vmap for a batch of core-model trajectories, same process run.

Forces N host devices (XLA_FLAGS=--xla_force_host_platform_device_count=N, set before JAX starts)
so that `simulate_batch(strategy="shard")` splits the batch across them, then times it against
`strategy="vmap"` on one device (diffrax #718 reports sharding far slower than vmap in some
set-ups). On a GPU machine run it without --devices to use the real devices.

    python benchmarks/bench_sharding.py [--devices 2] [--batch 64] [--record]
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=2, help="forced host devices (0: use the real devices)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--t-end", type=float, default=20.0)
    ap.add_argument("--record", action="store_true")
    args = ap.parse_args()
    if args.devices:
        os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={args.devices}"
    import jax
    import numpy as np

    sys.path.insert(0, os.path.dirname(__file__))
    from _common import record

    import yeastcell as yc

    cell = yc.load_cell()
    perts = [yc.condition("teusink2000") + yc.knockdown("PFK1", f) for f in np.linspace(0.5, 0.99, args.batch)]
    t = np.linspace(0.0, args.t_end, 21)
    times = {}
    for strategy in ("vmap", "shard"):
        yc.simulate_batch(cell, perts, t, strategy=strategy).conc.block_until_ready()  # compile
        t0 = time.perf_counter()
        traj = yc.simulate_batch(cell, perts, t, strategy=strategy)
        jax.block_until_ready(traj.conc)
        times[strategy] = time.perf_counter() - t0
        print(
            f"{strategy:5s}: {times[strategy]:.3f} s for {args.batch} trajectories on "
            f"{jax.local_device_count() if strategy == 'shard' else 1} device(s); ok {int(traj.ok.sum())}"
        )
    lines = [
        "| batch | devices | vmap (1 device) | sharded | sharded / vmap |",
        "|---:|---:|---:|---:|---:|",
        f"| {args.batch} | {jax.local_device_count()} ({jax.devices()[0].platform}) | {times['vmap']:.3f} s | "
        f"{times['shard']:.3f} s | {times['shard'] / times['vmap']:.2f} |",
    ]
    print("\n".join(lines))
    if args.record:
        record("bench_sharding", lines, title="Sharded vs vmap")


if __name__ == "__main__":
    main()
