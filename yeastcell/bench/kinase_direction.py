"""Direction of change of kinase knockouts predicted from the perturbation alone: the ``kinase_direction`` task.

Zelezniak et al. 2018 deleted 97 (mostly kinase) genes; the shared copy of the data has 77 strains
with a proteome, 75 of them with a metabolome (`yeastcell.studies.zelezniak2018`). Some of the
deleted genes are genes of a whole-cell model with signaling modules (Snf1, the PKA catalytic
subunits Tpk1/2/3, the HOG pathway kinases Ssk2, Pbs2, Hog1 and Hog1's target Rck2 in
``yeast_central_cell``). For those strains this task asks the model, **without the strain's
measured proteome**, for the knockout's steady state (`yeastcell.predict` with no proteome: the
deleted gene's protein set to 0, everything else follows from the mechanism) under one condition
(default: ``glucose_batch`` where the model defines it, glucose-repressed exponential batch growth
on 2 % glucose held constant, the paper's exponential-phase batch cultures in synthetic minimal
medium with 2 % glucose; else ``aerobic_clamped``; docs/kinase_knockouts.md) and compares the sign of the predicted log2 ratio to the wild type with
the measured one, for

* every measured metabolite the model maps (whole-cell totals of the metabolite map,
  `yeastcell.bench.kinase_metabolome.metabolite_totals`), and
* every measured protein that is a model gene with a protein species (its whole-cell total: the
  protein species plus the other forms of its ``expression:`` entry, e.g. Hog1 + Hog1_PP + nuclear
  forms), except the deleted gene itself (its protein is gone by construction).

Scores, pooled over (strain, observable) pairs, per observable kind (metabolites, proteins):

* sign accuracy over the pairs with ``|measured log2 ratio| >= threshold`` (default 0.5, the
  ``kinase_metabolome`` SIGN_THRESHOLD): a prediction counts when it has the measured sign; a
  prediction with ``|log2 ratio| < min_predicted`` (default 1e-3: below it a steady-state solve at
  tol 1e-9 cannot tell a change from none) is a *no-change call* and never right;
* the same accuracy over the model's calls only (pairs where the model predicts a change), and
  the baseline's accuracy on exactly those pairs;
* Pearson r and RMSE of predicted vs measured log2 ratios over all pooled pairs (NaN where the
  predictions are constant, e.g. ``NoChange``).

Baselines: ``NoChange`` (log2 ratio 0 everywhere: sign accuracy 0 by construction, RMSE the root
mean square of the measurements) and ``MeanEffect``: each observable's mean log2 ratio over the
*other* strains of the data (leave the strain out: the strain's own measurement never enters its
baseline), i.e. the effect a typical knockout has, which includes changes shared by most strains of
the screen.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..compile import compile_model
from ..exceptions import ModelFileError, SimulationInputError, SolverError
from ..load import load_model
from ..models import available_models
from ..predict import predict
from ..refdata import reference_data_dir
from ..studies.zelezniak2018 import read_zelezniak2018_proteome, zelezniak2018_metabolite_matrix
from .kinase_metabolome import REFERENCE_CONDITIONS, SIGN_THRESHOLD, _pearson, metabolite_totals
from .task import TaskOptionError, TaskResult

if TYPE_CHECKING:
    import pandas as pd

MIN_PREDICTED = 1e-3  # |predicted log2 ratio| below which the model calls "no change"
KINDS = ("metabolites", "proteins")
PREDICTORS = ("Model", "MeanEffect", "NoChange")
_MET, _PROT = "met:", "prot:"


def default_direction_model() -> str:
    """``yeast_central_cell`` (central metabolism + proteome + HOG and glucose signaling) when the
    package has it, else ``yeast_cell``."""
    return "yeast_central_cell" if "yeast_central_cell" in available_models() else "yeast_cell"


def _spec(model):
    """The `ModelSpec` of a compiled cell, a spec, or a model name/path."""
    if hasattr(model, "genes") and hasattr(model, "species"):
        return model
    spec = getattr(model, "spec", None)
    if spec is not None:
        return spec
    return load_model(model)


def model_knockout_strains(model, strains: Sequence[str]) -> list[str]:
    """The `strains` (deleted genes' ORFs) whose deleted gene is a gene of `model` (by ORF,
    case-insensitive), in the order given."""
    genes = {g.orf.upper() for g in _spec(model).genes}
    return [s for s in strains if str(s).upper() in genes]


def protein_totals(model, proteins: Sequence[str]) -> dict[str, str]:
    """{protein ORF: its whole-cell total as a model quantity ("Hog1 + Hog1_PP + ...")} for the
    measured `proteins` (ORFs) that are genes of `model` with a protein species, in the order given.
    The forms are those of the gene's ``expression:`` entry (none: the protein species alone)."""
    spec = _spec(model)
    by_orf = {g.orf.upper(): g for g in spec.genes if g.protein}
    forms = {e.gene.upper(): e.forms for e in spec.expression}
    out = {}
    for p in proteins:
        g = by_orf.get(str(p).upper())
        if g is not None:
            out[p] = " + ".join([g.protein, *forms.get(g.orf.upper(), ())])
    return out


@dataclass(frozen=True)
class DirectionPrediction:
    """Perturbation-only predictions of a model for knockout strains.

    Attributes:
        model: the model's id; condition: the condition solved.
        metabolites: strains × measured metabolites the model maps, predicted log2 ratios.
        proteins: strains × measured proteins that are model genes, predicted log2 ratios of their
            whole-cell totals; NaN only for a strain's own deleted gene (not scored).
        failed: strain -> why its steady state was not found (those strains are not rows).
        unmapped_metabolites, unmapped_proteins: measured ids the model cannot predict.
    """

    model: str
    condition: str
    metabolites: pd.DataFrame
    proteins: pd.DataFrame
    failed: Mapping[str, str]
    unmapped_metabolites: tuple[str, ...]
    unmapped_proteins: tuple[str, ...]


def predict_directions(
    model,
    strains: Sequence[str],
    metabolites: Sequence[str],
    proteins: Sequence[str],
    condition: str = "aerobic_clamped",
    progress: bool | None = None,
) -> DirectionPrediction:
    """Steady-state log2 ratios to the wild type of knockout `strains` (ORFs of model genes) under
    `condition`, from the perturbation alone (no measured proteome), for the measured `metabolites`
    (ids of the metabolite map) and `proteins` (ORFs) that `model` covers.

    Raises:
        SimulationInputError: no strain given, or a strain whose gene the model lacks (a deletion
            the model cannot represent; `model_knockout_strains` picks the ones it can).
        UnknownNameError, SolverError: as `yeastcell.predict` (unknown condition; no wild-type steady state).
    """
    import pandas as pd

    cell = model if hasattr(model, "rhs") else compile_model(_spec(model))
    strains = [str(s) for s in strains]
    if not strains:
        raise SimulationInputError("no knockout strain to predict")
    outside = [s for s in strains if s not in model_knockout_strains(cell, strains)]
    if outside:
        raise SimulationInputError(
            f"strains {outside} delete genes that model {cell.model_id!r} lacks: without a proteome the "
            "model cannot represent them (model_knockout_strains lists the ones it can)"
        )
    mets = metabolite_totals(cell, list(metabolites))
    prots = protein_totals(cell, list(proteins))
    extra = {f"{_MET}{m}": q for m, q in mets.items()} | {f"{_PROT}{p}": q for p, q in prots.items()}
    out = predict(cell, strains, condition=condition, observables=extra, progress=progress)
    ds = out.dataset
    good = [s for s, ok in zip(out.strains, out.ok) if ok]
    met_rows, prot_rows = [], []
    for s, label in zip(out.strains, out.conditions):
        if s not in good or ds is None:
            continue
        i = ds.condition_index(label)

        def value(name: str, strain: str = s, row: int = i) -> float:
            if name not in ds.observables:  # the wild type's value is 0: no ratio (Prediction.dropped)
                return float("nan")
            k = ds.observable_index(name)
            return float(ds.values[row, 0, 0, k]) if ds.mask[row, 0, 0, k] else float("nan")

        met_rows.append([value(f"{_MET}{m}") for m in mets])
        prot_rows.append([value(f"{_PROT}{p}") if p.upper() != s.upper() else float("nan") for p in prots])
    met_df = pd.DataFrame(met_rows, index=pd.Index(good, name="strain"), columns=list(mets), dtype=np.float64)
    prot_df = pd.DataFrame(prot_rows, index=pd.Index(good, name="strain"), columns=list(prots), dtype=np.float64)
    return DirectionPrediction(
        str(cell.model_id),
        condition,
        met_df,
        prot_df,
        dict(out.failed),
        tuple(m for m in metabolites if m not in mets),
        tuple(p for p in proteins if p not in prots),
    )


def leave_one_out_mean(frame: pd.DataFrame, strains: Sequence[str]) -> pd.DataFrame:
    """For each of `strains` (rows of `frame`), every column's mean over the *other* rows of `frame`
    that measured it (NaN-aware; NaN where no other row did). `strains` × `frame.columns`."""
    import pandas as pd

    x = frame.to_numpy(dtype=np.float64)
    ok = np.isfinite(x)
    total, count = np.where(ok, x, 0.0).sum(axis=0), ok.sum(axis=0)
    rows = []
    for s in strains:
        i = frame.index.get_loc(s)
        own_ok = ok[i]
        n = count - own_ok
        with np.errstate(invalid="ignore", divide="ignore"):
            rows.append(np.where(n > 0, (total - np.where(own_ok, x[i], 0.0)) / np.maximum(n, 1), np.nan))
    return pd.DataFrame(rows, index=pd.Index(list(strains), name=frame.index.name), columns=frame.columns)


def direction_metrics(
    measured: np.ndarray,
    predicted: np.ndarray,
    threshold: float = SIGN_THRESHOLD,
    min_predicted: float = MIN_PREDICTED,
    calls: np.ndarray | None = None,
) -> dict[str, float]:
    """Scores of pooled (strain, observable) pairs: arrays of one shape; pairs where either is NaN
    are left out.

    Returns {``n``: pairs, ``n_big``: pairs with |measured| >= threshold, ``right``: of those, pairs
    whose prediction has the measured sign and |prediction| >= min_predicted, ``accuracy``:
    right / n_big, ``n_calls``: big pairs where the prediction (or the boolean `calls` mask, e.g.
    another predictor's calls) says "change", ``right_on_calls``, ``accuracy_on_calls``,
    ``pearson``, ``rmse``}; NaN where undefined (no pair; constant predictions for Pearson).
    """
    y = np.asarray(measured, dtype=np.float64).ravel()
    p = np.asarray(predicted, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"measured {np.shape(measured)} and predicted {np.shape(predicted)} differ in shape")
    ok = np.isfinite(y) & np.isfinite(p)
    y, p = y[ok], p[ok]
    call = np.abs(p) >= min_predicted
    if calls is not None:
        c = np.asarray(calls, dtype=bool).ravel()
        if c.shape != ok.shape:
            raise ValueError("calls must have the shape of measured")
        on = c[ok]
    else:
        on = call
    big = np.abs(y) >= threshold
    right = big & call & (np.sign(p) == np.sign(y))
    n_big, n_calls = int(big.sum()), int((big & on).sum())
    nan = float("nan")
    return {
        "n": int(ok.sum()),
        "n_big": n_big,
        "right": int(right.sum()),
        "accuracy": right.sum() / n_big if n_big else nan,
        "n_calls": n_calls,
        "right_on_calls": int((right & on).sum()),
        "accuracy_on_calls": (right & on).sum() / n_calls if n_calls else nan,
        "pearson": _pearson(y, p) if y.size else nan,
        "rmse": float(np.sqrt(np.mean((y - p) ** 2))) if y.size else nan,
    }


# ------------------------------------------------------------------------------------------ the task
def _f(x: float, digits: int = 3) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.{digits}f}"


def kinase_direction_result(options: Mapping[str, Any]) -> TaskResult:
    """Run the task with resolved `options` (see the task's options) and return its table."""

    t0 = time.perf_counter()
    threshold, min_pred = float(options["threshold"]), float(options["min_predicted"])
    if not threshold > 0 or not min_pred > 0:
        raise TaskOptionError(f"threshold and min_predicted must be positive, got {threshold}, {min_pred}")
    model = options["model"] or default_direction_model()
    try:
        spec = load_model(model)
    except ModelFileError as err:  # a missing file or an unknown model name (with close matches)
        raise TaskOptionError(str(err)) from None
    root = reference_data_dir()
    proteome = read_zelezniak2018_proteome(root)
    metabolome = zelezniak2018_metabolite_matrix(root, assays="mean")
    all_strains = sorted(set(proteome.index) | set(metabolome.index))
    strains = model_knockout_strains(spec, all_strains)
    known = [c.id for c in spec.conditions]
    condition = options["condition"] or next((c for c in REFERENCE_CONDITIONS if c in known), "aerobic_clamped")
    if not strains:
        raise TaskOptionError(f"model {model!r} has none of the {len(all_strains)} deleted genes of the data")
    try:
        pred = predict_directions(
            compile_model(spec),
            strains,
            list(metabolome.columns),
            list(proteome.columns),
            condition=condition,
        )
    except (SimulationInputError, SolverError, ValueError) as err:  # e.g. no wild-type steady state
        raise TaskOptionError(str(err)) from None
    genes = proteome.attrs.get("genes", {}) | metabolome.attrs.get("genes", {})
    scored = list(pred.metabolites.index)
    frames = {
        "metabolites": (metabolome, pred.metabolites, [s for s in scored if s in metabolome.index]),
        "proteins": (proteome, pred.proteins, [s for s in scored if s in proteome.index]),
    }
    rows, metrics, per_strain = [], {}, []
    for kind, (data, model_pred, rows_of) in frames.items():
        cols = list(model_pred.columns)
        meas = data.loc[rows_of, cols].to_numpy(dtype=np.float64)
        mp = model_pred.loc[rows_of, cols].to_numpy(dtype=np.float64)
        mean = leave_one_out_mean(data[cols], rows_of).to_numpy(dtype=np.float64)
        mean = np.where(np.isfinite(mp), mean, np.nan)  # same pairs for every predictor (own gene out)
        calls = np.abs(np.nan_to_num(mp)) >= min_pred
        preds = {"Model": mp, "MeanEffect": mean, "NoChange": np.where(np.isfinite(mp), 0.0, np.nan)}
        n_strains_measured = int(np.isfinite(meas).any(axis=1).sum())
        for name, p in preds.items():
            m = direction_metrics(meas, p, threshold, min_pred, calls=calls)
            rows.append(
                (
                    kind,
                    name,
                    n_strains_measured,
                    len(cols),
                    m["n"],
                    m["n_big"],
                    _f(m["accuracy"]),
                    f"{m['right_on_calls']}/{m['n_calls']}",
                    _f(m["accuracy_on_calls"]),
                    _f(m["pearson"]),
                    _f(m["rmse"]),
                )
            )
            for key in ("accuracy", "accuracy_on_calls", "pearson", "rmse"):
                metrics[f"{kind}_{key}_{name}"] = float(m[key])
            metrics[f"{kind}_n_big"] = float(m["n_big"])
            metrics[f"{kind}_n_calls"] = float(m["n_calls"])
        for i, s in enumerate(rows_of):
            mm = direction_metrics(meas[i], mp[i], threshold, min_pred)
            mb = direction_metrics(meas[i], mean[i], threshold, min_pred, calls=calls[i])
            if mm["n"]:
                per_strain.append(
                    f"{genes.get(s, s)} {kind[:4]}. {mm['right']}/{mm['n_big']} "
                    f"(calls {mm['right_on_calls']}/{mm['n_calls']}; MeanEffect {mb['right']}/{mb['n_big']})"
                )
    wall = time.perf_counter() - t0
    metrics["wall_s"] = wall
    n_met_total, n_prot_total = metabolome.shape[1], proteome.shape[1]
    named = ", ".join(f"{genes.get(s, s)} ({s})" for s in strains)
    notes = (
        f"model {pred.model} under condition {pred.condition!r}, perturbation only (no measured proteome): "
        f"{len(strains)} of {len(all_strains)} deleted genes of the data are model genes: {named}; "
        f"{len(scored)} strains solved"
        + (
            f", {len(pred.failed)} without a steady state ({', '.join(f'{k}: {v}' for k, v in pred.failed.items())})"
            if pred.failed
            else ""
        )
        + f". Observables: {pred.metabolites.shape[1]} of {n_met_total} measured metabolites map "
        f"({len(pred.unmapped_metabolites)} unmapped), {pred.proteins.shape[1]} of {n_prot_total} measured proteins "
        f"are model genes with a protein species ({len(pred.unmapped_proteins)} unmapped; a strain's own deleted "
        f"protein is not scored). Sign accuracy over pairs with |measured log2 ratio| >= {threshold:g}; the model's "
        f"|predicted log2| < {min_pred:g} is a no-change call (never right); 'right/calls': pairs where the model "
        f"predicts a change, each predictor scored on those same pairs; MeanEffect = mean over the other strains "
        f"(leave-the-strain-out); Pearson r and RMSE over all pooled (strain, observable) pairs. Per strain "
        f"(model right / |measured| >= {threshold:g}): " + "; ".join(per_strain) + f". {wall:.0f} s in all"
    )
    return TaskResult(
        "kinase_direction",
        (
            "observables",
            "predictor",
            "strains",
            "observables mapped",
            "pairs",
            f"pairs abs(log2) >= {threshold:g}",
            "sign accuracy",
            "right/calls (model's calls)",
            "accuracy on the model's calls",
            "Pearson r",
            "RMSE (log2)",
        ),
        tuple(rows),
        metrics,
        notes,
    )


__all__ = [
    "DirectionPrediction",
    "direction_metrics",
    "kinase_direction_result",
    "leave_one_out_mean",
    "model_knockout_strains",
    "predict_directions",
    "protein_totals",
]
