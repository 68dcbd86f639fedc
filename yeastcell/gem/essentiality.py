"""Yeast-GEM's own validation tests as library functions.

* :func:`essentiality_test` — ``code/modelTests/essentialGenes.m``: single-gene
  deletions on synthetic complete (Kennedy) medium, growth ratio below
  ``1e-6`` = essential, scored against the Yeast Deletion Project's inviable
  ORFs over the genes of the model that are verified ORFs (SGD 2013).
  Yeast-GEM's convention is kept: *positive = viable*, so TP are genes viable
  in the experiment and the model, TN genes essential in both, FP genes the
  model calls viable but are essential, FN genes the model calls essential but
  are viable.
* :func:`chemostat_growth_test` — ``code/modelTests/growth.m``: growth rate
  predicted from measured glucose, O2 and NH3 uptake in 32 chemostats (Tobias
  2013 compilation: N- and C-limited, aerobic and anaerobic), R² of measured
  vs predicted growth.

Published figures for Yeast-GEM 9.0.2: TP 950, TN 65, FP 95, FN 14 (accuracy
0.903, MCC 0.535); chemostat R² 0.8798.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from yeastcell.gem import _highs
from yeastcell.gem._refdata import yeast_gem_file
from yeastcell.gem.load import GEM, load_gem, reaction_index
from yeastcell.gem.medium import Medium, read_medium
from yeastcell.gem.screen import knockout_screen
from yeastcell.gem.yeastgem import anaerobic_model, nitrogen_limited_model

__all__ = [
    "EssentialityResult",
    "GrowthTestResult",
    "essentiality_test",
    "chemostat_growth_test",
    "read_orf_list",
]


def read_orf_list(path: str | os.PathLike) -> frozenset[str]:
    """Read one ORF per line (``#`` comments and blank lines skipped)."""
    return frozenset(
        ln.strip() for ln in Path(path).read_text().splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    )


@dataclasses.dataclass(frozen=True)
class EssentialityResult:
    """Confusion sets of an essentiality test (positive = viable).

    Attributes:
        tp, tn, fp, fn: gene ids in each class.
        growth_ratio: per model gene, knockout growth / wild-type growth.
    """

    tp: frozenset[str]
    tn: frozenset[str]
    fp: frozenset[str]
    fn: frozenset[str]
    growth_ratio: pd.Series

    @property
    def counts(self) -> dict[str, int]:
        """``{"TP": …, "TN": …, "FP": …, "FN": …}``."""
        return {"TP": len(self.tp), "TN": len(self.tn), "FP": len(self.fp), "FN": len(self.fn)}

    @property
    def accuracy(self) -> float:
        """(TP + TN) / all scored genes."""
        c = self.counts
        return (c["TP"] + c["TN"]) / sum(c.values())

    @property
    def mcc(self) -> float:
        """Matthews correlation coefficient."""
        tp, tn, fp, fn = (len(self.tp), len(self.tn), len(self.fp), len(self.fn))
        den = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        return (tp * tn - fp * fn) / den if den else float("nan")

    def summary(self) -> str:
        """One line: counts, accuracy and MCC."""
        c = self.counts
        return (
            f"essentiality: TP {c['TP']}  TN {c['TN']}  FP {c['FP']}  FN {c['FN']}  "
            f"accuracy {self.accuracy:.3f}  MCC {self.mcc:.3f}"
        )


def essentiality_test(
    gem: GEM | str | os.PathLike | None = None,
    *,
    medium: Medium | None = None,
    essential: frozenset[str] | None = None,
    verified: frozenset[str] | None = None,
    threshold: float = 1e-6,
    processes: int = 1,
    data_dir: str | os.PathLike | None = None,
    verbose: bool = False,
) -> EssentialityResult:
    """Yeast-GEM's gene essentiality test.

    Args:
        gem: model or model file; default Yeast-GEM from the reference data.
        medium: default ``medium_synthetic_complete.tsv`` (all exchanges closed
            to ``(0, 1000)`` first, then its uptake bounds).
        essential: experimentally inviable ORFs; default
            ``essential_orfs_deletion_project.txt``.
        verified: ORFs that are scored; default ``verified_orfs_sgd_2013.txt``.
        threshold: a knockout with growth ratio below this is essential
            (infeasible knockouts count as essential).
        processes: worker processes for the knockout screen.
        data_dir: reference data folder (default: ``YEASTCELL_REFERENCE_DATA``
            or ``<checkout>/../shared/data``).
        verbose: print :meth:`EssentialityResult.summary`.

    Raises:
        FileNotFoundError: a default reference file is missing.
        InfeasibleError: the wild type cannot grow on the medium.
    """
    if gem is None:
        gem = yeast_gem_file("yeast-GEM.yml", data_dir)
    if not isinstance(gem, GEM):
        gem = load_gem(gem)
    if medium is None:
        medium = read_medium(yeast_gem_file("medium_synthetic_complete.tsv", data_dir))
    if essential is None:
        essential = read_orf_list(yeast_gem_file("essential_orfs_deletion_project.txt", data_dir))
    if verified is None:
        verified = read_orf_list(yeast_gem_file("verified_orfs_sgd_2013.txt", data_dir))

    df = knockout_screen(gem, medium=medium, processes=processes)
    ratio = pd.Series(df["growth_ratio"].to_numpy(), index=[g[0] for g in df["genes"]])
    # NaN (infeasible knockout) is not >= threshold, hence essential, as in RAVEN
    viable = ratio >= threshold
    genes = set(ratio.index)
    exp_inviable = genes & essential & verified
    exp_viable = (genes - essential) & verified
    mod_viable = set(ratio.index[viable]) & verified
    mod_inviable = set(ratio.index[~viable]) & verified
    res = EssentialityResult(
        tp=frozenset(exp_viable & mod_viable),
        tn=frozenset(exp_inviable & mod_inviable),
        fp=frozenset(exp_inviable & mod_viable),
        fn=frozenset(exp_viable & mod_inviable),
        growth_ratio=ratio,
    )
    if verbose:
        print(res.summary())
    return res


@dataclasses.dataclass(frozen=True)
class GrowthTestResult:
    """Chemostat growth predictions.

    Attributes:
        table: per chemostat: ``condition``, measured uptakes (mmol gDW⁻¹ h⁻¹),
            ``measured_growth`` and ``predicted_growth`` (h⁻¹), ``status``.
        r2: squared Pearson correlation of measured vs predicted growth.
    """

    table: pd.DataFrame
    r2: float

    def summary(self) -> str:
        """One line with R² and the number of chemostats."""
        bad = int((self.table["status"] != "optimal").sum())
        extra = f" ({bad} LPs without optimum, counted as growth 0)" if bad else ""
        return f"chemostat growth: R² {self.r2:.4f} over {len(self.table)} chemostats{extra}"


#: Row ranges of chemostatData_Tobias2013.tsv and their conditions (growth.m).
_CONDITIONS = (
    (slice(0, 9), "N-limited aerobic", False, True),
    (slice(9, 20), "C-limited aerobic", False, False),
    (slice(20, 26), "C-limited anaerobic", True, False),
    (slice(26, 32), "N-limited anaerobic", True, True),
)


def chemostat_growth_test(
    gem: GEM | str | os.PathLike | None = None,
    *,
    data: pd.DataFrame | None = None,
    data_dir: str | os.PathLike | None = None,
    verbose: bool = False,
) -> GrowthTestResult:
    """Yeast-GEM's chemostat growth test (``growth.m``).

    For each chemostat, the model (its own default bounds) gets the
    nitrogen-limited biomass composition and then the anaerobic constraints as
    the condition requires (that order, as Yeast-GEM 9.0.2's ``growth.m``;
    it reproduces the published R² 0.8798, the reverse order gives 0.909); glucose (r_1714), O2
    (r_1992) and NH3 (r_1654) exchanges are fixed to minus the measured
    uptake (a value of 1000 means unconstrained: only ``lb = -1000``), and
    growth (r_2111) is maximised. As in ``growth.m``, a chemostat whose LP has
    no optimum is scored with predicted growth 0; its ``status`` says so.

    Args:
        gem: model or model file; default Yeast-GEM from the reference data.
        data: table with columns ``GLCxtI``, ``O2xtI``, ``NH3xtI``,
            ``experimental growth`` in the 32-row order of
            ``chemostatData_Tobias2013.tsv`` (the default).
        data_dir: reference data folder.
        verbose: print :meth:`GrowthTestResult.summary`.

    Raises:
        FileNotFoundError: a default reference file is missing.
        ValueError: ``data`` does not have 32 rows.
    """
    if gem is None:
        gem = yeast_gem_file("yeast-GEM.yml", data_dir)
    if not isinstance(gem, GEM):
        gem = load_gem(gem)
    if data is None:
        data = pd.read_csv(yeast_gem_file("chemostatData_Tobias2013.tsv", data_dir), sep="\t")
    if len(data) != 32:
        raise ValueError(f"expected the 32 chemostats of Tobias 2013, got {len(data)} rows")
    cols = reaction_index(gem, ["r_1714", "r_1992", "r_1654"])
    growth_col = reaction_index(gem, "r_2111")
    uptake = data[["GLCxtI", "O2xtI", "NH3xtI"]].to_numpy(dtype=np.float64)
    pred = np.zeros(len(data))
    status = np.empty(len(data), dtype=object)
    condition = np.empty(len(data), dtype=object)
    for rows, name, anaerobic, n_limited in _CONDITIONS:
        g = nitrogen_limited_model(gem) if n_limited else gem
        g = anaerobic_model(g) if anaerobic else g
        c = np.zeros(g.n_reactions)
        c[growth_col] = 1.0
        g = g.replace(c=c, objective_sense="max")
        for i in range(rows.start, rows.stop):
            lb, ub = g.lb.copy(), g.ub.copy()
            for j, x in zip(cols, uptake[i]):
                if abs(x) == 1000:
                    lb[j] = -x
                else:
                    lb[j] = ub[j] = -x
            h = _highs.make_highs(g, lb, ub)
            st, _ = _highs.solve(h)
            status[i], condition[i] = st, name
            pred[i] = abs(_highs.col_values(h)[growth_col]) if st == "optimal" else 0.0
    measured = data["experimental growth"].to_numpy(dtype=np.float64)
    r2 = float(np.corrcoef(measured, pred)[0, 1] ** 2)
    table = pd.DataFrame(
        {
            "condition": condition,
            "glucose_uptake": uptake[:, 0],
            "o2_uptake": uptake[:, 1],
            "nh3_uptake": uptake[:, 2],
            "measured_growth": measured,
            "predicted_growth": pred,
            "status": status.astype(str),
        }
    )
    res = GrowthTestResult(table=table, r2=r2)
    if verbose:
        print(res.summary())
    return res
