"""What the program store keys (yeastcell/program_store.py): a compiled cell by its spec, whatever
its array leaves; nothing it cannot key exactly (a cell whose static parts differ from what
`compile_model` gives, a call inside a trace). Across processes: tests/test_compilation_cache.py."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import yeastcell as yc
from yeastcell.compile import _compile
from yeastcell.perturb import resolve
from yeastcell.program_store import program_key
from yeastcell.solvers import SolverOptions, save_times


def _args(cell):
    ts = save_times(np.linspace(0, 1, 3), None)
    return (cell, resolve(cell, None), ts, SolverOptions(), None, True)


def test_a_compiled_cell_is_keyed_by_its_spec_and_array_changes_keep_the_key():
    cell = yc.load_cell("torc1_module")
    key = program_key("solve", _args(cell))[0]
    assert program_key("solve", _args(yc.load_cell("torc1_module")))[0] == key
    refit = cell.with_theta(cell.theta * 1.1)  # fitted parameters: same program, other inputs
    assert refit is not cell and program_key("solve", _args(refit))[0] == key
    assert program_key("trajectory", _args(cell))[0] != key  # programs are told apart by name
    other = (*_args(cell)[:3], SolverOptions(rtol=1e-9), None, True)
    assert program_key("solve", other)[0] != key  # so are solver options
    longer = (cell, resolve(cell, None), save_times(np.linspace(0, 1, 4), None), SolverOptions(), None, True)
    assert program_key("solve", longer)[0] != key  # and shapes


def test_what_cannot_be_keyed_exactly_is_traced():
    cell = yc.load_cell("yeast_cell")  # has formula rate laws, compiled to Python functions
    rebuilt = _compile(cell.spec)  # same spec, other function objects: not provably the same program
    assert program_key("solve", _args(cell)) is not None
    assert program_key("solve", _args(rebuilt)) is None

    seen = []

    @jax.jit
    def inside(theta):
        seen.append(program_key("solve", _args(cell.with_theta(theta))))
        return jnp.sum(theta)

    inside(cell.theta)
    assert seen == [None]  # called inside a trace: inlined there


def test_the_store_is_capped_least_recently_used_first(tmp_path):
    import os

    from yeastcell.program_store import evict

    for i, age in enumerate((300, 100, 200)):
        p = tmp_path / f"p{i}.jaxexport"
        p.write_bytes(b"x" * 1000)
        os.utime(p, (1e9 - age, 1e9 - age))
    assert evict(tmp_path, 2500) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p1.jaxexport", "p2.jaxexport"]  # the oldest went
    assert evict(tmp_path, 2500) == 0
