"""Condition strings are parsed once on the way from a table to a fit (Dataset carries the result)."""

from __future__ import annotations

import pandas as pd
import pytest

import yeastcell.data.dataset as dataset_module
from yeastcell.data import Dataset
from yeastcell.exceptions import DatasetError
from yeastcell.fit.problem import build_problem
from yeastcell.perturb import knockdown, overexpress, pulse, wild_type
from yeastcell.perturb.notation import parse_perturbation


def _table() -> pd.DataFrame:
    rows = []
    for c, f in (("wt", 1.0), ("kd:ENZ1=0.5", 0.7), ("oe:ENZ1=2#2", 1.3)):
        for t in (0.0, 5.0, 10.0):
            rows.append({"condition": c, "time_min": t, "observable": "P_c", "value": f * (0.1 + t), "unit": "mM"})
    return pd.DataFrame(rows)


def test_dataset_carries_the_parsed_conditions_and_reference():
    ds = Dataset.from_table(_table())
    assert ds.perturbations == (wild_type(), wild_type() + knockdown("ENZ1", 0.5), wild_type() + overexpress("ENZ1", 2))
    assert ds.reference_perturbation is None
    fc = ds.replace(transform="log2fc", reference="pulse:S_e=1@2")
    assert fc.reference_perturbation == wild_type() + pulse("S_e", 1.0, 2.0)
    sub = ds.subset(conditions=["oe:ENZ1=2#2"])
    assert sub.perturbations == (parse_perturbation("oe:ENZ1=2"),)


def test_a_table_read_then_fitted_parses_each_condition_string_once(two_step, monkeypatch):
    calls: list[str] = []

    def counting(text):
        calls.append(text)
        return parse_perturbation(text)

    dataset_module.parse_condition.cache_clear()
    monkeypatch.setattr(dataset_module, "parse_perturbation", counting)
    ds = Dataset.from_table(_table())
    train, valid = ds.split("conditions", holdout=["wt"])
    problem = build_problem(two_step, train)
    build_problem(two_step, valid)
    assert sorted(calls) == sorted(ds.conditions)
    assert problem.conditions == ("kd:ENZ1=0.5", "oe:ENZ1=2#2")
    assert problem.conds.rate_scale.shape[0] == 2


def test_a_bad_condition_string_is_a_dataset_error():
    bad = _table().replace({"condition": {"wt": "ko"}})
    with pytest.raises(DatasetError, match="perturbation notation"):
        Dataset.from_table(bad)
