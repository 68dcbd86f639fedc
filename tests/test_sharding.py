"""A batch split across 4 (forced host) devices gives the same trajectories as plain vmap."""

import json
import os
import subprocess
import sys
import textwrap

from conftest import TEST_MODELS

SCRIPT = textwrap.dedent(f"""
    import json, jax, numpy as np
    import yeastcell as yc
    assert jax.local_device_count() == 4, jax.local_devices()
    cell = yc.load_cell({str(TEST_MODELS / "two_step.yaml")!r})
    perts = [yc.knockdown("ENZ1", f) for f in np.linspace(0.1, 0.9, 9)] + [yc.pulse("S_e", 1.0, 3.0)]
    t = np.linspace(0, 10, 6)
    a = yc.simulate_batch(cell, perts, t, strategy="shard")
    b = yc.simulate_batch(cell, perts, t, strategy="vmap")
    sh = a.conc.sharding
    print(json.dumps({{"maxdiff": float(np.max(np.abs(np.asarray(a.conc) - np.asarray(b.conc)))),
                       "ok": a.ok.tolist(), "n": len(a), "devices": len(sh.device_set)}}))
""")


def test_sharded_batch_equals_vmap():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["n"] == 10 and all(res["ok"])
    assert res["maxdiff"] < 1e-10
