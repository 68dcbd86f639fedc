"""JAX's persistent compilation cache is off by default, goes to the folder the user names, and a
JAX setting wins (yeastcell/compilation_cache.py). Each case runs in a fresh process: the cache is set
at import."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.serial

PROBE = (
    "import sys, jax, numpy as np, yeastcell as yc\n"
    "from yeastcell.program_store import stats\n"
    "print(jax.config.jax_compilation_cache_dir)\n"
    "if jax.config.jax_compilation_cache_dir:\n"
    "    tr = yc.simulate(yc.load_cell(), yc.knockdown('PFK1', 0.5), np.linspace(0, 1, 3))\n"
    "    tr.raise_if_failed()\n"
    "    print(repr(float(np.asarray(tr.conc).sum())), repr(float(np.asarray(tr.flux).sum())))\n"
    "    print(dict(stats))\n"
    "    print('diffrax' in sys.modules)\n"
)


def _probe(**env) -> list[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("YEASTCELL_COMPILATION_CACHE", "JAX_COMP"))}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()


def test_the_cache_goes_where_the_user_says_fills_and_a_new_process_skips_tracing(tmp_path):
    where = tmp_path / "cache"
    first = _probe(YEASTCELL_COMPILATION_CACHE=str(where))
    assert first[0] == str(where)
    names = [p.name for p in where.iterdir()]
    # the solver program itself is stored: it has no host callbacks (yeastcell.solvers.runtime_checks)
    assert any(n.startswith("jit_stored_solve-") for n in names), sorted({n.split("-")[0] for n in names})
    stored = sorted(p.name.split("-")[0] for p in (where / "yeastcell_programs").iterdir())
    assert stored == ["solve", "trajectory_one"]  # traced programs (yeastcell.program_store)
    assert ast.literal_eval(first[2]) == {"solve:exported": 1, "trajectory_one:exported": 1}
    second = _probe(YEASTCELL_COMPILATION_CACHE=str(where))
    assert ast.literal_eval(second[2]) == {"solve:loaded": 1, "trajectory_one:loaded": 1}  # nothing traced again
    # the default options are built only to trace (yeastcell.program_store.Deferred): no diffrax import
    assert (first[3], second[3]) == ("True", "False")
    assert second[1] == first[1]  # the same numbers, to the last bit
    solve_file = next((where / "yeastcell_programs").glob("solve-*"))
    solve_file.write_bytes(solve_file.read_bytes()[:100])  # damaged: exported again, not trusted
    third = _probe(YEASTCELL_COMPILATION_CACHE=str(where))
    assert ast.literal_eval(third[2]) == {"solve:exported": 1, "trajectory_one:loaded": 1}
    assert third[1] == first[1]


def test_the_cache_can_be_turned_off_and_a_jax_setting_wins(tmp_path):
    assert _probe(YEASTCELL_COMPILATION_CACHE="off")[0] == "None"
    assert _probe()[0] == "None"  # opt-in
    mine = tmp_path / "mine"
    got = _probe(JAX_COMPILATION_CACHE_DIR=str(mine), YEASTCELL_COMPILATION_CACHE=str(tmp_path / "no"))
    assert got[0] == str(mine)
