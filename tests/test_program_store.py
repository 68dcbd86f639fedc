"""What the program store keys (yeastcell/program_store.py): a compiled cell by its spec, whatever
its array leaves; nothing it cannot key exactly (a cell whose static parts differ from what
`compile_model` gives, a call inside a trace). Across processes: tests/test_compilation_cache.py."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

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


@pytest.mark.filterwarnings("ignore:A JAX array is being set as static")  # the case under test
def test_static_arguments_are_keyed_by_value_and_code_or_not_at_all(monkeypatch):
    import diffrax
    import optimistix as optx

    cell = yc.load_cell("torc1_module")
    base = _args(cell)

    def with_options(options):
        return (*base[:3], options, None, True)

    def chord(rtol):
        return SolverOptions(solver=diffrax.Kvaerno5(root_finder=optx.Chord(rtol=np.asarray(rtol), atol=1e-9)))

    # arrays held as static data are constants of the program: their values are in the key
    assert program_key("solve", with_options(chord(1e-5)))[0] == program_key("solve", with_options(chord(1e-5)))[0]
    assert program_key("solve", with_options(chord(1e-5)))[0] != program_key("solve", with_options(chord(1e-3)))[0]

    # a function whose code is not in the key (a lambda, a local or user function): not keyed
    def my_norm(x):
        return jnp.max(jnp.abs(x))

    for norm in (lambda x: jnp.max(jnp.abs(x)), my_norm):
        opts = SolverOptions(solver=diffrax.Kvaerno5(root_finder=optx.Chord(rtol=1e-5, atol=1e-9, norm=norm)))
        assert program_key("solve", with_options(opts)) is None
    named = SolverOptions(solver=diffrax.Kvaerno5(root_finder=optx.Chord(rtol=1e-5, atol=1e-9, norm=optx.max_norm)))
    assert program_key("solve", with_options(named)) is not None  # a library function: keyed by its name

    # settings that change what is traced
    key = program_key("solve", base)[0]
    monkeypatch.setenv("EQX_ON_ERROR", "breakpoint")
    assert program_key("solve", base)[0] != key
    monkeypatch.delenv("EQX_ON_ERROR")
    with jax.disable_jit():
        assert program_key("solve", base) is None
    assert program_key("solve", base)[0] == key


def test_a_deferred_argument_is_keyed_by_its_text_and_built_only_to_trace():
    from yeastcell.program_store import Deferred, built

    cell = yc.load_cell("torc1_module")
    base = _args(cell)
    calls = []

    def make():
        calls.append(1)
        return SolverOptions()

    def with_options(options):
        return (*base[:3], options, None, True)

    a = program_key("solve", with_options(Deferred("default", make)))[0]
    assert a == program_key("solve", with_options(Deferred("default", make)))[0]
    assert a != program_key("solve", with_options(Deferred("other", make)))[0]
    assert a != program_key("solve", base)[0]  # not the key of the options it would build
    assert calls == []  # keying builds nothing
    assert isinstance(built(with_options(Deferred("default", make)))[3], SolverOptions) and calls == [1]
