"""Equal specs compile to the same cell, so JAX's traced programs are reused across loads."""

from __future__ import annotations

import dataclasses

import yeastcell as yc
from yeastcell.load import load_model


def test_loading_a_model_twice_gives_the_same_cell():
    assert yc.load_cell("yeast_core") is yc.load_cell("yeast_core")


def test_a_changed_spec_compiles_to_a_different_cell():
    spec = load_model("yeast_core")
    p = spec.parameters[0]
    changed = dataclasses.replace(spec, parameters=(dataclasses.replace(p, value=p.value * 2.0),) + spec.parameters[1:])
    a, b = yc.compile_model(spec), yc.compile_model(changed)
    assert a is not b
    assert a is yc.compile_model(load_model("yeast_core"))
