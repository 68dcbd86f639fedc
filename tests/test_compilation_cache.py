"""JAX's persistent compilation cache is off by default, goes to the folder the user names, and a
JAX setting wins (yeastcell/compilation_cache.py). Each case runs in a fresh process: the cache is set
at import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.serial

PROBE = (
    "import jax, numpy as np, yeastcell as yc\n"
    "print(jax.config.jax_compilation_cache_dir)\n"
    "if jax.config.jax_compilation_cache_dir:\n"
    "    yc.simulate(yc.load_cell(), None, np.linspace(0, 1, 3)).raise_if_failed()\n"
)


def _probe(**env) -> str:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("YEASTCELL_COMPILATION_CACHE", "JAX_COMP"))}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[0]


def test_the_cache_goes_where_the_user_says_and_fills(tmp_path):
    where = tmp_path / "cache"
    assert _probe(YEASTCELL_COMPILATION_CACHE=str(where)) == str(where)
    names = [p.name for p in where.iterdir()]
    # the solver program itself is stored: it has no host callbacks (yeastcell.solvers.runtime_checks)
    assert any(n.startswith("jit__solve-") for n in names), sorted({n.split("-")[0] for n in names})


def test_the_cache_can_be_turned_off_and_a_jax_setting_wins(tmp_path):
    assert _probe(YEASTCELL_COMPILATION_CACHE="off") == "None"
    assert _probe() == "None"  # opt-in
    mine = tmp_path / "mine"
    assert _probe(JAX_COMPILATION_CACHE_DIR=str(mine), YEASTCELL_COMPILATION_CACHE=str(tmp_path / "no")) == str(mine)
