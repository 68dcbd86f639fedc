"""Kinase-knockout metabolomes predicted from proteomes (Zelezniak et al. 2018): the ``kinase_metabolome`` task.

Data (`yeastcell.studies.zelezniak2018`): for each knockout strain that has both a proteome and a
metabolome (75 in this copy of the data), the proteome as log2 ratios to the wild type (726
proteins) and the strain-level mean log2 ratio to the wild type of 50 metabolites (assays averaged;
NaN where the strain was not in an assay: the TCA and amino-acid assays cover 14-17 strains).

Protocol: strain-grouped cross-validation. The strains are split into `folds` folds (stratified by
which assays measured them, so every fold holds some TCA/amino-acid strains), `repeats` times with
seeds ``seed, seed + 1, ...``. A predictor is fitted on the training strains' proteomes and
metabolomes and predicts the held-out strains' metabolomes from their proteomes; the held-out
predictions of all folds of a repeat are pooled, and per metabolite (over the strains where it was
measured) scored by

* Pearson r and Spearman rho between predicted and measured log2 ratios (NaN when fewer than 3
  strains, or when predictions or measurements are constant: e.g. the ``NoChange`` predictor);
* RMSE of the log2 ratios;
* sign accuracy: the fraction of strains with ``|measured log2 ratio| >= 0.5`` whose predicted
  ratio has the measured sign (a prediction of exactly 0 is never right).

Summary per predictor: the median over metabolites of each metric (NaN metrics left out), mean ±
sd over the repeats; sign accuracy pooled over metabolites.

Pooled held-out correlations are biased downwards for predictors that lean on the training mean:
a held-out strain with a high value lowers the training mean of its own fold, so `MeanEffect`, which
knows nothing of the held-out strains, scores about ``-1/sqrt(held-out strains per fold)`` instead
of 0 (about -0.26 for a metabolite measured in all 75 strains, -0.5 to -0.6 for the TCA and
amino-acid metabolites measured in 14-16 strains), and the regressions inherit part of it. A
predictor not trained on the metabolome (a mechanistic model) has no such bias; compare trained
predictors with `MeanEffect`, not with 0. The table therefore also gives the median r over the
well-sampled metabolites (measured in at least ``well_sampled`` strains, default 40: the
glycolysis/PPP/energy assay).

Predictors implement `Predictor` (``fit(train_strains, proteome, metabolome)`` then
``predict(strains, proteome)``, pandas DataFrames as in `yeastcell.studies.zelezniak2018`), so a
mechanistic or hybrid model plugs in beside the baselines here: `NoChange` (the wild type: log2
ratio 0), `MeanEffect` (each metabolite's mean over the training knockouts), and per-metabolite
regressions on all proteins (standardised; scikit-learn, imported when fitted): `Ridge` (RidgeCV,
generalised cross-validation over alpha), `ElasticNet` (ElasticNetCV, l1_ratio 0.5, inner 3-fold
CV), `RandomForest` and `GradientBoosting` (tree ensembles, the kind of model Zelezniak et al.
found best). A regression predicts the training mean for a metabolite with fewer than 5 measured
training strains.

The mechanistic predictors (`Mechanistic`, `LinearMechanistic`, `Hybrid`) simulate the measured
proteome denoised per protein by empirical-Bayes shrinkage of its log ratios towards the wild type
(`yeastcell.perturb.shrinkage`, with the replicate standard errors of
`zelezniak2018_proteome_standard_errors`; task option ``denoise``, default on): it uses only the
input table, never the metabolome. The regressions get the proteome as measured (Zelezniak's
approach).

Coverage printed with the table: how many of the measured metabolites map to species of a model
(`yeastcell.studies.zelezniak2018.zelezniak2018_map_coverage`; default model ``yeast_central`` when
the package has it, else ``yeast_core``) and how many of the measured proteins are genes of it.
"""

from __future__ import annotations

import copy
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ..compile import compile_model
from ..exceptions import UnknownNameError
from ..hybrid import residual_net
from ..load import load_model
from ..models import available_models
from ..perturb.shrinkage import shrink_log_ratios
from ..predict import predict
from ..refdata import reference_data_dir
from ..response import linear_response, strain_levels
from ..studies.zelezniak2018 import (
    read_zelezniak2018_proteome,
    zelezniak2018_map_coverage,
    zelezniak2018_metabolite_map,
    zelezniak2018_metabolite_matrix,
    zelezniak2018_proteome_standard_errors,
)
from .task import TaskOptionError, TaskResult

if TYPE_CHECKING:
    import pandas as pd


def _load_cell(model: str):
    """The compiled model (`compile_model` returns the same cell for the same file in a process)."""
    return compile_model(load_model(model))


SIGN_THRESHOLD = 0.5  # |measured log2 ratio| from which a sign counts
MIN_POINTS = 3  # fewest held-out strains for a correlation
DEFAULT_PREDICTORS = (
    "NoChange",
    "MeanEffect",
    "Ridge",
    "ElasticNet",
    "RandomForest",
    "Mechanistic",
    "LinearMechanistic",
    "Hybrid",
)


# ------------------------------------------------------------------------------------------ predictors
class Predictor(ABC):
    """A knockout-metabolome predictor: fitted on training strains, predicts held-out strains.

    `proteome` is strains × proteins (log2 ratios to the wild type, index = strain ORF) and holds
    at least the strains asked for; `metabolome` is strains × metabolites (log2 ratios, NaN =
    not measured). `predict` returns strains × metabolites (the columns seen in `fit`), no NaN.
    The benchmark fits a deep copy of the predictor in every fold.
    """

    name: str = "predictor"

    def report(self) -> str:
        """A note for the benchmark's table (e.g. failed solves, chosen hyperparameters); '' for none."""
        return ""

    @abstractmethod
    def fit(self, train_strains: Sequence[str], proteome: pd.DataFrame, metabolome: pd.DataFrame) -> Predictor:
        """Learn from `train_strains` (rows of both frames); returns self."""

    @abstractmethod
    def predict(self, strains: Sequence[str], proteome: pd.DataFrame) -> pd.DataFrame:
        """Predicted log2 ratios of `strains` (rows) × the fitted metabolites (columns)."""


class NoChange(Predictor):
    """The wild type: every metabolite at log2 ratio 0."""

    name = "NoChange"

    def fit(self, train_strains, proteome, metabolome):
        self.columns_ = list(metabolome.columns)
        return self

    def predict(self, strains, proteome):
        import pandas as pd

        return pd.DataFrame(0.0, index=list(strains), columns=self.columns_)


class MeanEffect(Predictor):
    """Each metabolite's mean log2 ratio over the training knockouts that measured it (0 if none)."""

    name = "MeanEffect"

    def fit(self, train_strains, proteome, metabolome):
        y = metabolome.loc[list(train_strains)]
        self.columns_ = list(metabolome.columns)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a metabolite no training strain measured
            self.mean_ = np.nan_to_num(np.nanmean(y.to_numpy(dtype=np.float64), axis=0), nan=0.0)
        return self

    def predict(self, strains, proteome):
        import pandas as pd

        return pd.DataFrame(np.tile(self.mean_, (len(strains), 1)), index=list(strains), columns=self.columns_)


class PerMetaboliteRegression(Predictor):
    """One scikit-learn regression per metabolite on all proteins, fitted on the training strains
    that measured the metabolite (the training mean where fewer than `min_train` did)."""

    name = "regression"
    min_train = 5

    def __init__(self, seed: int = 0):
        self.seed = seed

    @abstractmethod
    def estimator(self, n_train: int):
        """A fresh unfitted scikit-learn regressor for `n_train` training strains."""

    def fit(
        self, train_strains: Sequence[str], proteome: pd.DataFrame, metabolome: pd.DataFrame
    ) -> PerMetaboliteRegression:
        strains = list(train_strains)
        x = proteome.loc[strains].to_numpy(dtype=np.float64)
        y = metabolome.loc[strains].to_numpy(dtype=np.float64)
        self.columns_ = list(metabolome.columns)
        self.proteins_ = list(proteome.columns)
        self.models_: list[Any] = []
        for j in range(y.shape[1]):
            ok = np.isfinite(y[:, j])
            if ok.sum() < self.min_train:
                self.models_.append(float(y[ok, j].mean()) if ok.any() else 0.0)
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ElasticNetCV convergence warnings on tiny folds
                self.models_.append(self.estimator(int(ok.sum())).fit(x[ok], y[ok, j]))
        return self

    def predict(self, strains, proteome):
        import pandas as pd

        x = proteome.loc[list(strains), self.proteins_].to_numpy(dtype=np.float64)
        cols = [np.full(len(x), m) if isinstance(m, float) else m.predict(x) for m in self.models_]
        return pd.DataFrame(np.stack(cols, axis=1), index=list(strains), columns=self.columns_)


class Ridge(PerMetaboliteRegression):
    """Standardised proteins, RidgeCV (generalised cross-validation over 31 alphas, 0.1 to 1e5)."""

    name = "Ridge"

    def estimator(self, n_train):
        from sklearn.linear_model import RidgeCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-1, 5, 31)))


class ElasticNet(PerMetaboliteRegression):
    """Standardised proteins, ElasticNetCV (l1_ratio 0.5, 30 alphas, inner 3-fold CV)."""

    name = "ElasticNet"

    def estimator(self, n_train):
        from sklearn.linear_model import ElasticNetCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(
            StandardScaler(), ElasticNetCV(l1_ratio=0.5, alphas=30, cv=3, max_iter=5000, tol=1e-3, n_jobs=1)
        )


class RandomForest(PerMetaboliteRegression):
    """Random forest on all proteins (200 trees, a third of the proteins per split, leaves >= 2 strains)."""

    name = "RandomForest"

    def estimator(self, n_train):
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(
            n_estimators=200, max_features=1 / 3, min_samples_leaf=2, random_state=self.seed, n_jobs=1
        )


class GradientBoosting(PerMetaboliteRegression):
    """Gradient-boosted trees on all proteins (200 stumps-to-depth-3 trees, learning rate 0.05, subsample 0.8)."""

    name = "GradientBoosting"

    def estimator(self, n_train):
        from sklearn.ensemble import GradientBoostingRegressor

        return GradientBoostingRegressor(
            n_estimators=200, learning_rate=0.05, max_depth=3, subsample=0.8, max_features=0.1, random_state=self.seed
        )


class ProteomeInput:
    """The measured proteome a mechanistic predictor simulates: as given, or denoised by
    empirical-Bayes shrinkage of each protein's log ratios towards the wild type
    (`yeastcell.perturb.shrinkage`) when standard errors are given. The shrinkage uses only the
    input table (all its strains' ratios and their replicate standard errors), never a metabolome."""

    standard_errors: pd.DataFrame | None = None

    def model_input(self, proteome: pd.DataFrame) -> pd.DataFrame:
        """`proteome` (strains × proteins log2 ratios), shrunk when `standard_errors` is set (cached
        per table: the benchmark passes the same full table in every fold)."""
        if self.standard_errors is None:
            return proteome
        cache = self.__dict__.setdefault("_shrunk", {})
        key = id(proteome)
        if key not in cache:
            cache[key] = (proteome, shrink_log_ratios(proteome, self.standard_errors))
        return cache[key][1]


class Mechanistic(ProteomeInput, Predictor):
    """The kinetic model with each strain's measured proteome as input (`yeastcell.predict`): the
    steady state of the knockout with every model enzyme set from the strain's proteome, as log2
    ratios to the wild type of the map's whole-cell totals (`zelezniak2018_metabolite_map`).

    Nothing is learned from the metabolome (`fit` only records the columns), so its predictions
    carry none of the held-out bias of trained predictors (module docstring); every strain is solved
    once and reused across folds. Metabolites the model does not map, and strains whose steady
    state was not found (`failed_`), are predicted as no change (0); the report says how many.
    """

    name = "Mechanistic"
    #: steady-state horizon (min), `yeastcell.predict`'s default. 1e7 was tried (2026-12-08): 15 of 75
    #: strains without a steady state instead of 11 (docs/kinase_knockouts.md)
    t_max = 1e5

    def __init__(
        self, model: str | None = None, condition: str = "aerobic_clamped", parameters=None, standard_errors=None
    ):
        self.model = model or default_model()
        self.condition = condition
        self.parameters = parameters
        self.standard_errors = standard_errors
        self._cache: dict[str, np.ndarray] = {}
        self.failed_: set[str] = set()

    def __deepcopy__(self, memo):
        """The benchmark deep-copies a predictor per fold; the copies share the solved strains."""
        return copy.copy(self)

    def report(self) -> str:
        n = len(self._cache)
        return f"{len(self.failed_)} of {n} strains without a steady state (predicted as no change)" if n else ""

    def fit(self, train_strains, proteome, metabolome):
        self.columns_ = list(metabolome.columns)
        return self

    def _solve(self, strains: Sequence[str], proteome: pd.DataFrame) -> None:

        todo = [s for s in strains if s not in self._cache]
        if not todo:
            return
        cell = _load_cell(self.model)
        extra = {f"zel:{m}": q for m, q in metabolite_totals(cell, self.columns_).items()}
        out = predict(
            cell,
            todo,
            proteome.loc[todo],
            condition=self.condition,
            parameters=self.parameters,
            observables=extra,
            progress=False,
            t_max=self.t_max,
        )
        ds = out.dataset
        for s, label, ok in zip(out.strains, out.conditions, out.ok):
            row = np.zeros(len(self.columns_))
            if ok and ds is not None:
                i = ds.condition_index(label)
                for j, m in enumerate(self.columns_):
                    name = f"zel:{m}"
                    if name in ds.observables:
                        k = ds.observable_index(name)
                        if ds.mask[i, 0, 0, k]:
                            row[j] = ds.values[i, 0, 0, k]
            else:
                self.failed_.add(s)
            self._cache[s] = row

    def predict(self, strains, proteome):
        import pandas as pd

        self._solve(list(strains), self.model_input(proteome))
        return pd.DataFrame([self._cache[s] for s in strains], index=list(strains), columns=self.columns_)


_RESPONSES: dict[tuple, Any] = {}


def metabolite_totals(cell, metabolites: Sequence[str]) -> dict[str, str]:
    """{metabolite: its whole-cell total as a model quantity ("A + B")} for the `metabolites` whose
    every mapped species `cell` has (`zelezniak2018_metabolite_map`), in the order given."""
    rows = {m: r for m, r in zelezniak2018_metabolite_map().items() if m in set(metabolites)}
    covered = set(zelezniak2018_map_coverage(cell, rows).mapped)
    return {m: " + ".join(rows[m].terms) for m in metabolites if m in covered}


def mapped_response(model: str, condition: str, metabolites: Sequence[str]):
    """(LinearResponse of `model` under `condition` for the map's whole-cell totals of `metabolites`,
    the metabolites it covers), computed once per process (`yeastcell.response`)."""

    key = (model, condition, tuple(metabolites))
    if key not in _RESPONSES:
        cell = _load_cell(model)
        mapping = metabolite_totals(cell, metabolites)
        mapped = list(mapping)
        lr = linear_response(cell, condition, observables=mapped, mapping=mapping)
        ok = np.all(np.isfinite(lr.by_protein), axis=1) & np.all(np.isfinite(lr.by_rate), axis=1)
        _RESPONSES[key] = (lr, [m for m, k in zip(mapped, ok) if k], np.flatnonzero(ok))
    return _RESPONSES[key]


def protein_levels(genes: Sequence[str], strains: Sequence[str], proteome: pd.DataFrame) -> np.ndarray:
    """(n_strains, n_genes) inputs of the linear response (`yeastcell.response.strain_levels`): the
    measured log2 ratios of the model's genes, each strain's deleted gene (its id, an ORF) at
    -LEVEL_CLIP, clipped; the same inputs `yeastcell.predict(method="linear")` builds."""

    cols = {c.upper(): c for c in proteome.columns}
    want = [cols[g.upper()] for g in genes if g.upper() in cols]
    sub = proteome.loc[list(strains), want]
    rows = []
    for s in strains:
        vals = sub.loc[s].to_numpy(dtype=np.float64)
        rows.append(strain_levels(genes, dict(zip(want, vals)), deleted=[s]))
    return np.asarray(rows).reshape(len(strains), len(genes))


class LinearMechanistic(ProteomeInput, Predictor):
    """The kinetic model's linear response to the measured proteome (`yeastcell.response`): each
    strain's log2 metabolite ratios = control coefficients (d log2 total / d log2 enzyme, at the wild
    type's steady state under `condition`) × its measured enzyme log2 ratios. Literature parameters,
    nothing learned from the metabolome; unmapped metabolites are predicted as no change (0)."""

    name = "LinearMechanistic"

    def __init__(self, model: str | None = None, condition: str = "cond:aerobic_clamped", standard_errors=None):
        self.model = model or default_model()
        self.condition = condition
        self.standard_errors = standard_errors

    def fit(self, train_strains, proteome, metabolome):
        self.columns_ = list(metabolome.columns)
        return self

    def mapped_predictions(self, strains, proteome) -> tuple[np.ndarray, list[int]]:
        """(predictions (n_strains, n_mapped), column index of each mapped metabolite)."""
        lr, mapped, rows = mapped_response(self.model, self.condition, self.columns_)
        e = protein_levels(lr.genes, strains, self.model_input(proteome))
        return e @ lr.by_protein[rows].T, [self.columns_.index(m) for m in mapped]

    def predict(self, strains, proteome):
        import pandas as pd

        out = np.zeros((len(strains), len(self.columns_)))
        pred, cols = self.mapped_predictions(strains, proteome)
        out[:, cols] = pred
        return pd.DataFrame(out, index=list(strains), columns=self.columns_)


class Hybrid(LinearMechanistic):
    """Mechanism + rate-level residuals learned from the training strains (`yeastcell.hybrid`).

    A `HybridCell` whose residual network is linear in the gene activities, r = W·u, multiplies
    reaction rates by exp(r); at the wild type r = 0, so the reference steady state is the
    mechanistic one, and to first order a strain's log2 metabolite ratios are

        y = (by_protein + by_rate · D) · e,      D = W / 1.1 (per log2 enzyme level),

    with `by_protein`, `by_rate` the model's control coefficients (`yeastcell.response`) and e the
    measured enzyme log2 ratios. D is fitted on the training strains' measured ratios by least
    squares with an L2 penalty (λ) on D, the residual's weights; λ and whether the mechanistic term
    is kept (γ ∈ {0, 1}: y = γ·by_protein·e + by_rate·D·e) are chosen by an inner 3-fold
    cross-validation on the training strains only. `D_` (reactions × genes) says which enzymes
    drive which rate corrections.
    """

    name = "Hybrid"
    LAMBDAS = (0.1, 1.0, 10.0, 100.0, 1000.0, 1e4, 1e5)
    GAMMAS = (0.0, 1.0)

    def __init__(
        self, model: str | None = None, condition: str = "cond:aerobic_clamped", seed: int = 0, standard_errors=None
    ):
        super().__init__(model, condition, standard_errors)
        self.seed = seed
        self._choices: list[tuple[float, float]] = []
        self._drivers: list[str] = []

    def __deepcopy__(self, memo):
        """The benchmark deep-copies a predictor per fold; the copies record their choices in one list."""
        return copy.copy(self)

    def report(self) -> str:
        if not self._choices:
            return ""
        from collections import Counter

        counts = Counter(self._choices)
        text = "inner-CV choices (lambda, gamma) over folds: " + ", ".join(
            f"({lam:g}, {g:g}) x{n}" for (lam, g), n in sorted(counts.items())
        )
        if self._drivers:
            text += (
                "; largest rate corrections of the last fold (reaction <- enzyme gene: d log2 rate / d log2 level): "
            )
            text += ", ".join(self._drivers)
        return text

    def drivers(self, top: int = 5) -> list[str]:
        """The `top` largest entries of the fitted D: which measured enzyme drives which rate correction."""
        lr, _, _ = mapped_response(self.model, self.condition, self.columns_)
        flat = np.argsort(-np.abs(self.D_), axis=None)[:top]
        out = []
        for f in flat:
            r, g = np.unravel_index(f, self.D_.shape)
            out.append(f"{lr.reactions[r]} <- {lr.genes[g]}: {self.D_[r, g]:+.3g}")
        return out

    @staticmethod
    def _solve_d(a: np.ndarray, e: np.ndarray, t: np.ndarray, mask: np.ndarray, lam: float) -> np.ndarray:
        """argmin_D Σ_masked ((a D eᵀ)ᵀ - t)² + λ|D|² for a (n_obs, n_rxn), e (n_s, n_g), t (n_s, n_obs).

        The minimiser lies in the row space of `a` (any other part of D costs penalty and changes no
        prediction), so D = V B with a = U S Vᵀ (thin SVD, rank k ≤ n_obs) and |D| = |B|: the
        L-BFGS runs over B (k × n_g) instead of D (n_rxn × n_g)."""
        from scipy.optimize import minimize

        u, sv, vt = np.linalg.svd(a, full_matrices=False)
        k = int(np.sum(sv > 1e-12 * (sv[0] if sv.size else 1.0)))
        us, v = u[:, :k] * sv[:k], vt[:k].T  # a = us @ v.T
        n_g = e.shape[1]
        m = mask.astype(np.float64)
        t0 = np.where(mask, t, 0.0)

        def loss(flat):
            b = flat.reshape(k, n_g)
            res = (e @ b.T @ us.T - t0) * m  # (n_s, n_obs)
            grad = 2.0 * us.T @ res.T @ e + 2.0 * lam * b
            return float(np.sum(res**2) + lam * np.sum(b**2)), grad.ravel()

        out = minimize(loss, np.zeros(k * n_g), jac=True, method="L-BFGS-B", options={"maxiter": 1000})
        return v @ out.x.reshape(k, n_g)

    def fit(self, train_strains, proteome, metabolome):
        super().fit(train_strains, proteome, metabolome)
        lr, mapped, rows = mapped_response(self.model, self.condition, self.columns_)
        cols = [self.columns_.index(m) for m in mapped]
        train = list(train_strains)
        y_all = metabolome.loc[train].to_numpy(dtype=np.float64)[:, cols]
        mask_all = np.isfinite(y_all)
        e_all = protein_levels(lr.genes, train, self.model_input(proteome))
        mech_all = e_all @ lr.by_protein[rows].T
        a = lr.by_rate[rows]
        rng = np.random.default_rng(self.seed)
        inner = rng.permutation(len(train)) % 3
        best, best_err = (self.LAMBDAS[0], self.GAMMAS[-1]), np.inf
        for gamma in self.GAMMAS:
            for lam in self.LAMBDAS:
                err = 0.0
                for k in range(3):
                    tr, te = inner != k, inner == k
                    d = self._solve_d(a, e_all[tr], y_all[tr] - gamma * mech_all[tr], mask_all[tr], lam)
                    pred = gamma * mech_all[te] + e_all[te] @ d.T @ a.T
                    err += float(np.sum(np.where(mask_all[te], pred - np.nan_to_num(y_all[te]), 0.0) ** 2))
                if err < best_err:
                    best, best_err = (lam, gamma), err
        self.lambda_, self.gamma_ = best
        self._choices.append(best)
        self.D_ = self._solve_d(a, e_all, y_all - self.gamma_ * mech_all, mask_all, self.lambda_)
        self._drivers[:] = self.drivers()
        return self

    def residual(self, cell=None):
        """The fitted correction as a `ResidualNet` for `cell` (default: the model loaded by name):
        one linear layer from the gene activities of `LinearResponse.genes` to log rate factors of
        every reaction, weight 1.1 · (D - (1 - γ) · rate_by_protein) (the activity input
        log((a + 0.1)/1.1) has slope 1/1.1 at the wild type; γ = 0 removes the mechanistic enzyme
        effect), bias 0 (the wild type is unchanged). Its `HybridCell`'s linear response reproduces
        this predictor (`yeastcell.predict(..., method="linear")`); save it with
        `yeastcell.hybrid.save_residual`."""

        lr, _, _ = mapped_response(self.model, self.condition, self.columns_)
        cell = cell if cell is not None else _load_cell(self.model)
        net = residual_net(cell, rate_targets=lr.reactions, input_species=[], input_genes=lr.genes, depth=0)
        w = 1.1 * (self.D_ - (1.0 - self.gamma_) * lr.rate_by_protein)
        return eqx.tree_at(lambda n: n.layers[0].weight, net, jnp.asarray(w, dtype=net.layers[0].weight.dtype))

    def mapped_predictions(self, strains, proteome):
        """γ · the mechanistic response + the fitted rate corrections, for the mapped metabolites."""
        lr, mapped, rows = mapped_response(self.model, self.condition, self.columns_)
        e = protein_levels(lr.genes, strains, self.model_input(proteome))
        pred = self.gamma_ * e @ lr.by_protein[rows].T + e @ self.D_.T @ lr.by_rate[rows].T
        return pred, [self.columns_.index(m) for m in mapped]


PREDICTORS: dict[str, type[Predictor]] = {
    c.name: c
    for c in (
        NoChange,
        MeanEffect,
        Ridge,
        ElasticNet,
        RandomForest,
        GradientBoosting,
        Mechanistic,
        LinearMechanistic,
        Hybrid,
    )
}


def make_predictors(
    names: str | Sequence[str],
    seed: int = 0,
    model: str | None = None,
    condition: str = "cond:aerobic_clamped",
    standard_errors: pd.DataFrame | None = None,
) -> list[Predictor]:
    """Predictors by name (``"NoChange,Ridge"`` or a list); the mechanistic ones (Mechanistic,
    LinearMechanistic, Hybrid) use `model` (default `default_model()`) under `condition`, and
    simulate the proteome denoised with `standard_errors` when given (`ProteomeInput`).

    Raises:
        UnknownNameError: an unknown name (with close matches).
    """

    items = [n.strip() for n in names.split(",")] if isinstance(names, str) else [str(n).strip() for n in names]
    out: list[Predictor] = []
    for n in (x for x in items if x):
        if n not in PREDICTORS:
            raise UnknownNameError("kinase_metabolome predictor", n, PREDICTORS)
        cls = PREDICTORS[n]
        if issubclass(cls, Hybrid):
            out.append(Hybrid(model, condition, seed=seed, standard_errors=standard_errors))
        elif issubclass(cls, LinearMechanistic):
            out.append(cls(model, condition, standard_errors=standard_errors))
        elif issubclass(cls, Mechanistic):
            out.append(cls(model, condition.removeprefix("cond:"), standard_errors=standard_errors))
        elif issubclass(cls, PerMetaboliteRegression):
            out.append(cls(seed=seed))
        else:
            out.append(cls())
    return out


# ------------------------------------------------------------------------------------------ metrics
def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r of paired finite values; NaN for < MIN_POINTS pairs or a constant side."""
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < MIN_POINTS:
        return float("nan")
    a, b = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()), 1e-300)
    if den <= 1e-12 * scale * scale:
        return float("nan")
    return float(np.clip((a * b).sum() / den, -1.0, 1.0))


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import rankdata

    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < MIN_POINTS:
        return float("nan")
    return _pearson(rankdata(a[ok]), rankdata(b[ok]))


def metabolite_metrics(measured: np.ndarray, predicted: np.ndarray, threshold: float = SIGN_THRESHOLD) -> dict:
    """Per-metabolite metrics of (n_strains, n_metabolites) arrays (NaN in `measured` = not measured).

    Returns {``pearson``, ``spearman``, ``rmse``, ``n``, ``sign_right``, ``sign_n``}, each (n_metabolites,):
    correlations (NaN-safe, module docstring), RMSE, number of measured strains, and the numbers of
    strains with ``|measured| >= threshold`` whose sign is right / in all.
    """
    measured = np.asarray(measured, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if measured.shape != predicted.shape:
        raise ValueError(f"measured {measured.shape} and predicted {predicted.shape} differ in shape")
    m = measured.shape[1]
    out = {k: np.full(m, np.nan) for k in ("pearson", "spearman", "rmse")}
    out["n"] = np.zeros(m, dtype=int)
    out["sign_right"] = np.zeros(m, dtype=int)
    out["sign_n"] = np.zeros(m, dtype=int)
    for j in range(m):
        y, p = measured[:, j], predicted[:, j]
        ok = np.isfinite(y) & np.isfinite(p)
        out["n"][j] = int(ok.sum())
        if not ok.any():
            continue
        out["pearson"][j] = _pearson(y, p)
        out["spearman"][j] = _spearman(y, p)
        out["rmse"][j] = float(np.sqrt(np.mean((y[ok] - p[ok]) ** 2)))
        big = ok & (np.abs(np.where(ok, y, 0.0)) >= threshold)
        out["sign_n"][j] = int(big.sum())
        out["sign_right"][j] = int((np.sign(p[big]) == np.sign(y[big])).sum())
    return out


def _nanmedian(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


# ------------------------------------------------------------------------------------------ cross-validation
def strain_folds(strains: Sequence[str], metabolome: pd.DataFrame, folds: int, seed: int) -> np.ndarray:
    """Fold number (0..folds-1) of each strain, stratified by which metabolites measured it.

    Strains are grouped by their pattern of measured metabolites (which assays), shuffled within
    each group with `seed`, and dealt to the folds in turn across the groups, so every fold gets
    its share of each group and the fold sizes differ by at most one.

    Raises:
        ValueError: fewer than 2 folds, or more folds than strains.
    """
    strains = list(strains)
    if folds < 2 or folds > len(strains):
        raise ValueError(f"folds must be between 2 and the number of strains ({len(strains)}), got {folds}")
    rng = np.random.default_rng(seed)
    pattern = metabolome.loc[strains].notna().to_numpy()
    groups: dict[bytes, list[int]] = {}
    for i, row in enumerate(pattern):
        groups.setdefault(row.tobytes(), []).append(i)
    order: list[int] = []
    for key in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        idx = np.array(groups[key])
        order += list(idx[rng.permutation(len(idx))])
    fold = np.empty(len(strains), dtype=int)
    start = int(rng.integers(folds))
    for k, i in enumerate(order):
        fold[i] = (start + k) % folds
    return fold


@dataclass(frozen=True)
class CVResult:
    """Cross-validated predictions and per-metabolite metrics.

    Attributes:
        predictors, strains, metabolites: the axes.
        measured: (n_strains, n_metabolites) measured log2 ratios (NaN = not measured).
        predicted: (n_predictors, n_repeats, n_strains, n_metabolites) held-out predictions.
        pearson, spearman, rmse: (n_predictors, n_repeats, n_metabolites).
        sign_right, sign_n: (n_predictors, n_repeats, n_metabolites) counts (|measured| >= 0.5).
        seconds: (n_predictors,) wall time of fitting and predicting, all folds and repeats.
        folds, repeats, seed: the protocol.
    """

    predictors: tuple[str, ...]
    strains: tuple[str, ...]
    metabolites: tuple[str, ...]
    measured: np.ndarray
    predicted: np.ndarray
    pearson: np.ndarray
    spearman: np.ndarray
    rmse: np.ndarray
    sign_right: np.ndarray
    sign_n: np.ndarray
    seconds: np.ndarray
    folds: int
    repeats: int
    seed: int

    def median_over_metabolites(self, metric: str, min_strains: int = 0) -> np.ndarray:
        """(n_predictors, n_repeats) median over metabolites of ``pearson``, ``spearman`` or ``rmse``
        (only metabolites measured in at least `min_strains` strains)."""
        a = getattr(self, metric)[:, :, np.isfinite(self.measured).sum(axis=0) >= min_strains]
        return np.array([[_nanmedian(a[p, r]) for r in range(a.shape[1])] for p in range(a.shape[0])])

    def sign_accuracy(self) -> np.ndarray:
        """(n_predictors, n_repeats) fraction of right signs over all metabolites' strains with |measured| >= 0.5."""
        n = self.sign_n.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, self.sign_right.sum(axis=2) / np.maximum(n, 1), np.nan)

    def per_metabolite(self) -> pd.DataFrame:
        """pandas DataFrame, one row per metabolite: measured strains, and per predictor the mean over
        repeats of Pearson r, Spearman rho and RMSE."""
        import pandas as pd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN metrics (NoChange's r)
            data: dict[str, Any] = {"n_strains": np.isfinite(self.measured).sum(axis=0)}
            for k, p in enumerate(self.predictors):
                data[f"pearson_{p}"] = np.nanmean(self.pearson[k], axis=0)
                data[f"spearman_{p}"] = np.nanmean(self.spearman[k], axis=0)
                data[f"rmse_{p}"] = np.nanmean(self.rmse[k], axis=0)
        return pd.DataFrame(data, index=pd.Index(self.metabolites, name="metabolite"))


def cross_validate(
    predictors: Sequence[Predictor],
    proteome: pd.DataFrame,
    metabolome: pd.DataFrame,
    folds: int = 5,
    repeats: int = 3,
    seed: int = 0,
    strains: Sequence[str] | None = None,
) -> CVResult:
    """Strain-grouped cross-validation of `predictors` (module docstring).

    Args:
        predictors: `Predictor` instances (each fold fits a deep copy).
        proteome: strains × proteins log2 ratios (`read_zelezniak2018_proteome`).
        metabolome: strains × metabolites log2 ratios (`zelezniak2018_metabolite_matrix`).
        strains: the strains to use (default: those in both frames with a measured metabolite).

    Raises:
        ValueError: no predictor, fewer strains than folds, repeats < 1, duplicate predictor names,
            a predictor whose predictions have the wrong rows/columns or non-finite values.
    """
    if not predictors:
        raise ValueError("no predictor to cross-validate")
    names = [p.name for p in predictors]
    if len(set(names)) != len(names):
        raise ValueError(f"predictor names must be unique, got {names}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if strains is None:
        has = metabolome.index[metabolome.notna().any(axis=1)]
        strains = [s for s in has if s in proteome.index]
    strains = list(strains)
    mets = list(metabolome.columns)
    measured = metabolome.loc[strains, mets].to_numpy(dtype=np.float64)
    pred = np.full((len(predictors), repeats, len(strains), len(mets)), np.nan)
    seconds = np.zeros(len(predictors))
    for r in range(repeats):
        fold = strain_folds(strains, metabolome, folds, seed + r)
        for f in range(folds):
            test = [s for s, k in zip(strains, fold) if k == f]
            train = [s for s, k in zip(strains, fold) if k != f]
            rows = np.flatnonzero(fold == f)
            for k, proto in enumerate(predictors):
                t0 = time.perf_counter()
                model = copy.deepcopy(proto).fit(train, proteome, metabolome.loc[train, mets])
                out = model.predict(test, proteome)
                seconds[k] += time.perf_counter() - t0
                if list(out.index) != test or list(out.columns) != mets:
                    raise ValueError(f"predictor {proto.name}: predictions must be the test strains × the metabolites")
                p = out.to_numpy(dtype=np.float64)
                if not np.all(np.isfinite(p)):
                    raise ValueError(f"predictor {proto.name}: non-finite predictions")
                pred[k, r, rows] = p
    shape = (len(predictors), repeats, len(mets))
    res = {k: np.full(shape, np.nan) for k in ("pearson", "spearman", "rmse")}
    res_int = {k: np.zeros(shape, dtype=int) for k in ("sign_right", "sign_n")}
    for k in range(len(predictors)):
        for r in range(repeats):
            m = metabolite_metrics(measured, pred[k, r])
            for key in res:
                res[key][k, r] = m[key]
            for key in res_int:
                res_int[key][k, r] = m[key]
    return CVResult(
        tuple(names),
        tuple(strains),
        tuple(mets),
        measured,
        pred,
        res["pearson"],
        res["spearman"],
        res["rmse"],
        res_int["sign_right"],
        res_int["sign_n"],
        seconds,
        folds,
        repeats,
        seed,
    )


# ------------------------------------------------------------------------------------------ coverage
def default_model() -> str:
    """``yeast_central`` when the package has it, else ``yeast_core``."""

    return "yeast_central" if "yeast_central" in available_models() else "yeast_core"


REFERENCE_CONDITIONS = ("glucose_batch", "aerobic_clamped")


def default_condition(model: str) -> str:
    """The reference condition of the mechanistic predictors for `model`: the first of
    `REFERENCE_CONDITIONS` the model defines (``glucose_batch``, glucose-repressed batch growth,
    docs/kinase_knockouts.md; else ``aerobic_clamped``).

    Raises:
        ModelFileError: the model cannot be loaded. TaskOptionError: it defines neither condition.
    """
    names = {c.id for c in load_model(model).conditions}
    for c in REFERENCE_CONDITIONS:
        if c in names:
            return c
    raise TaskOptionError(f"model {model!r} defines none of the conditions {', '.join(REFERENCE_CONDITIONS)}")


@dataclass(frozen=True)
class Coverage:
    """How much of the measured data a model covers.

    Attributes:
        model: the model's name.
        metabolites_mapped, metabolites: measured metabolites whose every mapped species is in the
            model / measured metabolites.
        proteins_mapped, proteins: measured proteins that are genes of the model / measured proteins.
        missing_species: species of the map that the model lacks.
    """

    model: str
    metabolites_mapped: int
    metabolites: int
    proteins_mapped: int
    proteins: int
    missing_species: tuple[str, ...]
    mapped: tuple[str, ...] = ()

    def line(self) -> str:
        return (
            f"model {self.model}: {self.metabolites_mapped} of {self.metabolites} measured metabolites map to its "
            f"species (all terms of the map's expression present), {self.proteins_mapped} of {self.proteins} "
            "measured proteins are its genes"
        )


def coverage(model: str, metabolites: Sequence[str], proteins: Sequence[str]) -> Coverage:
    """Coverage of measured `metabolites` (ids of the metabolite map) and `proteins` (ORFs) by `model`.

    Raises:
        ModelFileError: the model cannot be loaded.
    """

    spec = load_model(model)
    rows = {m: r for m, r in zelezniak2018_metabolite_map().items() if m in set(metabolites)}
    cov = zelezniak2018_map_coverage(spec, rows)
    genes = {g.orf.upper() for g in spec.genes}
    n_prot = sum(p.upper() in genes for p in proteins)
    missing = tuple(sorted({t for ts in cov.unmapped.values() for t in ts}))
    return Coverage(
        str(spec.id or model), len(cov.mapped), len(metabolites), n_prot, len(proteins), missing, tuple(cov.mapped)
    )


# ------------------------------------------------------------------------------------------ figure
def plot_pearson(result: CVResult, path: str | Path, first: str, second: str) -> Path:
    """Scatter of per-metabolite Pearson r (mean over repeats) of predictor `first` (x) vs `second`
    (y), with the diagonal; written headless (Agg) to `path` (png, pdf, svg by suffix).

    Raises:
        ValueError: a predictor not in the result.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    for p in (first, second):
        if p not in result.predictors:
            raise ValueError(f"predictor {p!r} is not in the result ({', '.join(result.predictors)})")
    i, j = result.predictors.index(first), result.predictors.index(second)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x = np.nanmean(result.pearson[i], axis=0)
        y = np.nanmean(result.pearson[j], axis=0)
    fig = Figure(figsize=(6.0, 6.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([-1, 1], [-1, 1], color="0.6", lw=1, zorder=0)
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.axvline(0, color="0.85", lw=0.8, zorder=0)
    ok = np.isfinite(x) & np.isfinite(y)
    ax.scatter(x[ok], y[ok], s=18)
    for k in np.flatnonzero(ok):
        ax.annotate(result.metabolites[k], (x[k], y[k]), fontsize=6, xytext=(2, 2), textcoords="offset points")
    ax.set_xlim(-1, 1)
    ax.set_ylim(-1, 1)
    ax.set_xlabel(f"Pearson r, {first}")
    ax.set_ylabel(f"Pearson r, {second}")
    ax.set_title(
        f"Held-out strains, per metabolite ({result.folds}-fold x {result.repeats}; "
        f"median {_nanmedian(x):.2f} vs {_nanmedian(y):.2f})",
        fontsize=9,
    )
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150)
    return out


# ------------------------------------------------------------------------------------------ the task
def _fmt(values: np.ndarray) -> str:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return "n/a"
    if v.size == 1:
        return f"{v[0]:.3f}"
    return f"{v.mean():.3f} ± {v.std(ddof=1):.3f}"


def _mean(values: np.ndarray) -> float:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else float("nan")


def kinase_metabolome_result(options: Mapping[str, Any]) -> TaskResult:
    """Run the task with resolved `options` (see the task's options) and return its table."""

    t0 = time.perf_counter()
    root = reference_data_dir()
    proteome = read_zelezniak2018_proteome(root)
    metabolome = zelezniak2018_metabolite_matrix(root, assays="mean")
    strains = [s for s in metabolome.index[metabolome.notna().any(axis=1)] if s in proteome.index]
    if options["max_strains"] > 0:
        pick = np.random.default_rng(options["seed"]).permutation(len(strains))[: options["max_strains"]]
        strains = [strains[i] for i in sorted(pick)]
    mets = list(metabolome.columns)
    if options["max_metabolites"] > 0:
        mets = mets[: options["max_metabolites"]]
    metabolome = metabolome.loc[strains, mets]
    model = options["model"] or default_model()
    condition = options["condition"] or default_condition(model)
    known = [c.id for c in load_model(model).conditions]
    if condition not in known:
        raise TaskOptionError(str(UnknownNameError(f"condition of model {model!r}", condition, known)))
    asked = [n.strip() for n in str(options["predictors"]).split(",")]
    mech = any(issubclass(PREDICTORS[n], ProteomeInput) for n in asked if n in PREDICTORS)
    se = zelezniak2018_proteome_standard_errors(root) if options["denoise"] and mech else None
    try:
        predictors = make_predictors(
            options["predictors"], seed=options["seed"], model=model, condition=f"cond:{condition}", standard_errors=se
        )
        res = cross_validate(predictors, proteome, metabolome, options["folds"], options["repeats"], options["seed"])
    except ValueError as err:
        raise TaskOptionError(str(err)) from None
    cov = coverage(model, list(metabolome.columns), list(proteome.columns))
    r = res.median_over_metabolites("pearson")
    mapped_cols = [res.metabolites.index(m) for m in cov.mapped if m in res.metabolites]
    r_mapped = np.nanmedian(res.pearson[:, :, mapped_cols], axis=2) if mapped_cols else np.full(r.shape, np.nan)
    well = options["well_sampled"]
    r_well = res.median_over_metabolites("pearson", min_strains=well)
    n_well = int((np.isfinite(res.measured).sum(axis=0) >= well).sum())
    rho = res.median_over_metabolites("spearman")
    rmse = res.median_over_metabolites("rmse")
    sign = res.sign_accuracy()
    n_r = np.isfinite(res.pearson).all(axis=1).sum(axis=1)
    rows = []
    metrics: dict[str, float] = {}
    for k, p in enumerate(res.predictors):
        rows.append(
            (
                p,
                _fmt(r_mapped[k]),
                _fmt(r[k]),
                _fmt(r_well[k]),
                _fmt(rho[k]),
                _fmt(rmse[k]),
                _fmt(sign[k]),
                int(n_r[k]),
                round(float(res.seconds[k]), 1),
            )
        )
        metrics[f"median_pearson_{p}"] = _mean(r[k])
        metrics[f"median_pearson_mapped_{p}"] = _mean(r_mapped[k])
        metrics[f"median_pearson_well_sampled_{p}"] = _mean(r_well[k])
        metrics[f"median_rmse_{p}"] = _mean(rmse[k])
    wall = time.perf_counter() - t0
    metrics["wall_s"] = wall
    extra = []
    if options["per_metabolite"]:
        out = Path(options["per_metabolite"])
        out.parent.mkdir(parents=True, exist_ok=True)
        res.per_metabolite().to_csv(out, sep="\t", float_format="%.4f")
        extra.append(f"per-metabolite metrics: {out}")
    if options["figure"]:
        pair = [x.strip() for x in options["figure_predictors"].split(",") if x.strip()]
        if len(pair) != 2:
            raise TaskOptionError(f"figure_predictors must name two predictors, got {options['figure_predictors']!r}")
        try:
            extra.append(f"figure: {plot_pearson(res, options['figure'], pair[0], pair[1])}")
        except ValueError as err:
            raise TaskOptionError(str(err)) from None
    n_measured = np.isfinite(res.measured).sum(axis=0)
    notes = (
        f"{len(res.strains)} knockout strains with proteome and metabolome, {len(mets)} metabolites "
        f"(measured in {int(n_measured.min())}-{int(n_measured.max())} strains), {proteome.shape[1]} proteins; "
        f"strain-grouped {res.folds}-fold CV x {res.repeats} repeats (seed {res.seed}), held-out predictions pooled "
        f"per repeat; table: median over metabolites, mean ± sd over repeats; sign accuracy over strains with "
        f"|measured log2 ratio| >= {SIGN_THRESHOLD}; 'metabolites with r': r defined in every repeat; "
        f"s: fit + predict wall time; mechanistic predictors under condition {condition}; "
        f"pooled held-out r is biased downwards for trained predictors (MeanEffect "
        f"scores about -1/sqrt(held-out strains per fold), not 0: compare with it). Coverage: {cov.line()}"
        + (f" (species missing: {', '.join(cov.missing_species)})" if cov.missing_species else "")
        + "".join(f"; {p.name}: {p.report()}" for p in predictors if p.report())
        + f". {wall:.0f} s in all"
        + ("; " + "; ".join(extra) if extra else "")
    )
    return TaskResult(
        "kinase_metabolome",
        (
            "predictor",
            f"median Pearson r, {len(mapped_cols)} mapped metabolites",
            "median Pearson r, all",
            f"median r, {n_well} metabolites in >= {well} strains",
            "median Spearman rho",
            "median RMSE (log2)",
            f"sign accuracy, abs(log2) >= {SIGN_THRESHOLD}",
            "metabolites with r",
            "s",
        ),
        tuple(rows),
        metrics,
        notes,
    )
