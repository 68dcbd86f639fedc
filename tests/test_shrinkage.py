"""Empirical-Bayes shrinkage of measured protein log ratios (yeastcell.perturb.shrinkage)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yeastcell.exceptions import DatasetError
from yeastcell.perturb import shrink_log_ratios, shrinkage_factors


def test_noisy_protein_is_pulled_to_zero_and_a_clear_change_is_kept():
    rng = np.random.default_rng(0)
    n = 200
    true = np.column_stack([np.zeros(n), rng.normal(0.0, 1.0, n)])  # protein 0 never changes
    se = np.full((n, 2), 0.3)
    r = true + rng.normal(0.0, 0.3, (n, 2))
    f = shrinkage_factors(r, se)
    assert f[:, 0].max() < 0.2  # noise only: tau^2 near the floor, strong shrinkage
    assert 0.85 < f[0, 1] < 0.97  # tau^2 ~ 1, s^2 = 0.09: factor ~ 0.92
    shrunk = r * f
    # the posterior mean is closer to the truth than the measurement (mean squared error)
    assert np.mean((shrunk - true) ** 2) < np.mean((r - true) ** 2)


def test_factor_follows_each_ratio_standard_error():
    r = np.array([[1.0, 0.5], [-1.0, 0.5], [0.5, -0.5]])
    se = np.array([[0.1, 0.1], [0.5, 0.1], [0.1, 0.1]])
    f = shrinkage_factors(r, se)
    tau2 = np.mean(r[:, 0] ** 2) - np.mean(se[:, 0] ** 2)
    assert f[0, 0] == pytest.approx(tau2 / (tau2 + 0.01))
    assert f[1, 0] == pytest.approx(tau2 / (tau2 + 0.25)) and f[1, 0] < f[0, 0]


def test_frame_version_aligns_labels_and_reports_missing_errors():
    r = pd.DataFrame([[1.0, -2.0], [0.2, 1.5], [-0.4, 0.1]], index=["a", "b", "c"], columns=["P1", "P2"])
    se = pd.DataFrame(0.2, index=["c", "b", "a", "z"], columns=["P2", "P1"])
    out = shrink_log_ratios(r, se)
    assert list(out.index) == ["a", "b", "c"] and list(out.columns) == ["P1", "P2"]
    f = shrinkage_factors(r.to_numpy(), np.full((3, 2), 0.2))
    assert np.allclose(out.to_numpy(), r.to_numpy() * f)
    with pytest.raises(DatasetError, match="no standard error for proteins"):
        shrink_log_ratios(r.assign(P3=0.0), se)
    with pytest.raises(DatasetError, match="finite"):
        shrinkage_factors(np.array([[np.nan], [1.0]]), np.ones((2, 1)))
    with pytest.raises(DatasetError, match="at least 2 strains"):
        shrinkage_factors(np.ones((1, 2)), np.ones((1, 2)))
