"""Denoising measured protein log ratios by empirical-Bayes shrinkage towards the wild type.

A measured log2 ratio r (strain / wild type) of a protein is its true change plus measurement
noise of standard error s (from the replicate spread of the strain's and the wild type's samples).
Across the strains of one experiment the true changes of a protein are modelled as drawn from a
normal prior with mean 0 (most perturbations leave most proteins unchanged) and variance tau^2,
estimated per protein by the method of moments from the same table:

    tau^2 = max(mean_strains(r^2) - mean_strains(s^2), floor),

and each ratio is replaced by its posterior mean

    r_shrunk = tau^2 / (tau^2 + s^2) * r,

the normal-normal empirical-Bayes estimator (James & Stein 1961; Efron & Morris 1973, JASA
68:117; as used for log fold changes of omics data, e.g. Smyth 2004 limma, Stat Appl Genet Mol
Biol 3:3, and Love et al. 2014 DESeq2, Genome Biol 15:550). It uses only the input table (the
ratios and their standard errors), never the quantity a model predicts from them. Proteins whose
changes are small next to their noise are pulled towards 0 strongly; well-measured changes are
kept. Units: log2 ratios throughout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import DatasetError

if TYPE_CHECKING:
    import pandas as pd

TAU2_FLOOR = 1e-6  # (log2)^2: the smallest prior variance of a protein's true changes


def shrinkage_factors(ratios: np.ndarray, standard_errors: np.ndarray, floor: float = TAU2_FLOOR) -> np.ndarray:
    """(n_strains, n_proteins) factors tau^2 / (tau^2 + s^2) in [0, 1] (module docstring).

    Args:
        ratios: (n_strains, n_proteins) measured log2 ratios (finite).
        standard_errors: the same shape, standard error of each ratio (finite, >= 0), log2.
        floor: smallest prior variance tau^2 per protein, (log2)^2.

    Raises:
        DatasetError: shapes differ, fewer than 2 strains, non-finite or negative entries.
    """
    r = np.asarray(ratios, dtype=np.float64)
    s = np.asarray(standard_errors, dtype=np.float64)
    if r.shape != s.shape or r.ndim != 2:
        raise DatasetError(f"ratios {r.shape} and standard errors {s.shape} must be (strains, proteins) of one shape")
    if r.shape[0] < 2:
        raise DatasetError("shrinkage needs at least 2 strains to estimate the spread of true changes")
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(s))):
        raise DatasetError("ratios and standard errors must be finite")
    if np.any(s < 0):
        raise DatasetError("standard errors must be >= 0")
    s2 = s * s
    tau2 = np.maximum(np.mean(r * r, axis=0) - np.mean(s2, axis=0), floor)
    return tau2 / (tau2 + s2)


def shrink_log_ratios(ratios: pd.DataFrame, standard_errors: pd.DataFrame) -> pd.DataFrame:
    """Posterior-mean log2 ratios (strains × proteins, the layout of `ratios`) shrunk towards the
    wild type by `shrinkage_factors`; `standard_errors` is indexed like `ratios` (its rows and
    columns are aligned by label).

    Raises:
        DatasetError: a strain or protein of `ratios` without a standard error, or the errors of
            `shrinkage_factors`.
    """
    missing_rows = [s for s in ratios.index if s not in standard_errors.index]
    missing_cols = [p for p in ratios.columns if p not in standard_errors.columns]
    if missing_rows or missing_cols:
        what = f"strains {missing_rows[:3]}" if missing_rows else f"proteins {missing_cols[:3]}"
        raise DatasetError(f"no standard error for {what}")
    se = standard_errors.loc[ratios.index, ratios.columns].to_numpy(dtype=np.float64)
    r = ratios.to_numpy(dtype=np.float64)
    out = ratios.copy()
    out.loc[:, :] = r * shrinkage_factors(r, se)
    out.attrs = dict(ratios.attrs, shrinkage="empirical Bayes towards 0 (yeastcell.perturb.shrinkage)")
    return out


__all__ = ["TAU2_FLOOR", "shrink_log_ratios", "shrinkage_factors"]
