"""A named condition's ``scale:`` entries (docs/model_format.md, "Conditions"): dimensionless factors
on parameters for that condition, resolved like ``yc.parameter(name, factor=...)``."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TEST_MODELS

import yeastcell as yc
from yeastcell.exceptions import ModelFileError
from yeastcell.perturb import count_parameters, resolve, resolve_batch


def _model(tmp_path, conditions: str):
    path = tmp_path / "m.yaml"
    path.write_text((TEST_MODELS / "two_step.yaml").read_text() + "conditions:\n" + conditions)
    return path


def test_scale_is_loaded_and_resolved_as_a_parameter_factor(tmp_path):
    path = _model(tmp_path, "  - {id: fast, initial: {S_e: 4.0}, scale: {conv.kf: 3.0}}\n  - {id: plain}\n")
    spec = yc.load_model(path)
    assert dict({c.id: c for c in spec.conditions}["fast"].scale) == {"conv.kf": 3.0}
    cell = yc.compile_model(spec)
    named = resolve(cell, yc.condition("fast"))
    explicit = resolve(cell, yc.initial("S_e", 4.0) + yc.parameter("conv.kf", factor=3.0))
    for field in ("c0", "param_index", "param_mode", "param_value"):
        np.testing.assert_array_equal(np.asarray(getattr(named, field)), np.asarray(getattr(explicit, field)))
    # the batch pads every lane to the slots the named condition needs (plus an explicit change)
    assert count_parameters(yc.condition("fast"), cell) == 1 and count_parameters(yc.condition("fast")) == 0
    lanes = [yc.condition("plain"), yc.condition("fast") + yc.parameter("uptake.kf", factor=2.0)]
    batch = resolve_batch(cell, lanes)
    assert np.asarray(batch.param_index).shape == (2, 2)
    a = yc.simulate(cell, yc.condition("fast"), t=[0.0, 2.0])
    b = yc.simulate(cell, yc.condition("plain") + yc.initial("S_e", 4.0), t=[0.0, 2.0])
    assert float(a.species("P_c")[-1]) > float(b.species("P_c")[-1])  # the faster conversion acts


@pytest.mark.parametrize(
    "scale, message",
    [
        ("{conv.kcat: 2.0}", "unknown parameter 'conv.kcat'"),
        ("{nosuch: 2.0}", "unknown parameter 'nosuch'"),
        ("{conv.kf: 0.0}", "must be a positive number"),
        ("{conv.kf: fast}", "must be a positive number"),
    ],
)
def test_bad_scale_names_the_item(tmp_path, scale, message):
    path = _model(tmp_path, f"  - {{id: bad, scale: {scale}}}\n")
    with pytest.raises(ModelFileError, match=message) as err:
        yc.load_model(path)
    assert "condition 'bad'" in str(err.value)
