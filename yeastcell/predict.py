"""Predicting strains: the steady state of each gene deletion, optionally with the strain's
measured proteome as input, as log2 ratios to the wild type.

``predict(model, strains, proteome=None, condition=...)`` solves, for every strain, the steady state
of its perturbation (knockout of its deleted gene(s), plus its measured protein levels when a
`ProteomeTable` is given: `yeastcell.perturb.proteome`) and of the wild type under the same
condition, and returns a `Prediction` whose `dataset` holds log2(strain / wild type) of every
metabolite species, every observable the model declares and, where protein levels are dynamic
(a model with a proteome layer), every protein species. The command line's ``yeastcell predict``
writes it as a long table (CSV/TSV) or HDF5.

Strains: a gene deletion named by ORF or standard name (``PFK1``, ``YGR240C``), several genes
joined by ``,`` (``PDC1,PDC5``), or ``wt``. A strain whose gene the model lacks is accepted when
the proteome table has a row for it (the deletion then acts only through the measured proteome,
and `Prediction.notes` says so); otherwise it is an error with close matches, before anything is
solved. With a proteome table every strain (except ``wt``) must be one of its rows, looked up by
the given id and, for a model gene, by its ORF and standard name.

Every strain is one lane of a batch: the perturbations resolve to per-lane arrays (no recompile per
strain), solved in chunks of `lanes_per_chunk` lanes (the wild type is lane 0 of the first chunk;
every chunk has the same shape, so one compiled program serves them all) with a progress bar
(`yeastcell.progress`). A failed solve is reported per strain (`Prediction.failed`) and the strain
is left out of the dataset; it never appears as NaN values. An observable whose wild-type value is
not above `ZERO_FLOOR` (1e-12 in its unit: a species clamped at 0 ends a solve at ±1e-20, solver
noise) has no log2 ratio and is left out (`Prediction.dropped`); an entry whose strain value is not
above it is masked (`Prediction.undefined`).

The dataset: conditions are the strains in the perturbation notation (``cond:aerobic_clamped+ko:PFK1``;
the measured proteome is part of the strain, recorded in the provenance), one replicate, one time
(0 min, steady state), transform ``log2fc`` against the wild type under the same condition; the
annotation ``kind`` says per observable whether it is a metabolite, an observable of the model or
a protein. Units inside: mM, min.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import equinox as eqx
import jax
import numpy as np

from .cells import AbstractCell
from .compile import compile_model
from .data import Dataset
from .exceptions import DatasetError, PerturbationError, SimulationInputError, SolverError, UnknownNameError
from .load import load_model
from .models import DEFAULT_MODEL
from .observe import ObservationModel
from .perturb import Condition, Perturbation, flatten, knockout, resolve_batch, wild_type
from .perturb.notation import parse_perturbation
from .perturb.proteome import ProteomeCoverage, ProteomeLevels, ProteomeTable, as_proteome_table
from .perturb.types import NamedCondition
from .progress import bar
from .response import linear_response, strain_levels
from .solvers import SolverOptions
from .status import Status, describe
from .steady import _steady

WILD_TYPE = ("wt", "wild_type", "wildtype", "wild-type")
HDF5_SUFFIXES = (".h5", ".hdf5")
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".txt")
ZERO_FLOOR = 1e-12  # values at or below this (in the quantity's unit: mM, mM/min, ...) count as 0: solver noise
LANES_PER_CHUNK_CPU = 16  # a failing lane (no steady state) runs to t_max and holds up its chunk
LANES_PER_CHUNK_ACCELERATOR = 256
_NOT_IN_LABEL = set("+:#@=/;") | {" ", "\t"}  # characters a strain id cannot carry into the notation


@dataclass(frozen=True)
class Strain:
    """One strain to predict: its id, the model genes it deletes, the deleted genes the model
    lacks, its row of the proteome table, its condition label (notation) and perturbation."""

    id: str
    genes: tuple[str, ...]
    unmodelled: tuple[str, ...]
    proteome_row: str | None
    label: str
    perturbation: Perturbation


@dataclass(frozen=True)
class Prediction:
    """The result of `predict`.

    Attributes:
        dataset: log2 ratios to the wild type of the strains that were solved (a `Dataset`,
            transform ``log2fc``), or None when none was.
        strains: every strain asked for, in order.
        conditions: each strain's condition (perturbation notation), in the same order.
        status: `Status` code per strain (0 = solved).
        reference: the wild type's condition (notation), the reference of the ratios.
        notes: strain -> remark (e.g. a deletion the model lacks, which acts only through the
            measured proteome).
        coverage: which model proteins the proteome table measures, or None without a table.
        dropped: observables left out because their wild-type value is not above `ZERO_FLOOR`.
        undefined: strain -> observables masked because the strain's value is not above `ZERO_FLOOR`
            (e.g. the product of a deleted enzyme).
    """

    dataset: Dataset | None
    strains: tuple[str, ...]
    conditions: tuple[str, ...]
    status: np.ndarray
    reference: str
    notes: Mapping[str, str] = field(default_factory=dict)
    coverage: ProteomeCoverage | None = None
    dropped: tuple[str, ...] = ()
    undefined: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> np.ndarray:
        """True per strain whose steady state was found."""
        return np.asarray(self.status) == Status.SUCCESS

    @property
    def failed(self) -> dict[str, str]:
        """strain -> why its solve failed."""
        return {s: describe(int(c)) for s, c in zip(self.strains, self.status) if c != Status.SUCCESS}

    def write(self, path: str | Path) -> Path:
        """Write `dataset` atomically: HDF5 (.h5, .hdf5) or a long table (.csv, .tsv[.gz]).

        Raises:
            SolverError: no strain was solved (nothing is written).
            DatasetError: an unknown file suffix.
        """
        check_output_suffix(path)
        if self.dataset is None:
            raise SolverError("no strain was solved; nothing to write")
        p = Path(path)
        if p.suffix.lower() in HDF5_SUFFIXES:
            return self.dataset.to_hdf5(p)
        return self.dataset.to_table(p)

    def summary(self, top: int = 3) -> str:
        """One line per strain: solved (with its `top` largest changes) or failed (with the reason)."""
        lines = []
        ds = self.dataset
        for s, cond, c in zip(self.strains, self.conditions, self.status):
            if c != Status.SUCCESS:
                lines.append(f"{s:20s} FAILED {describe(int(c))}")
                continue
            text = "ok"
            if ds is not None:
                v = ds.values[ds.condition_index(cond), 0, 0]
                order = [k for k in np.argsort(-np.abs(np.nan_to_num(v))) if np.isfinite(v[k])][:top]
                if order:
                    text += "  largest log2 changes: " + ", ".join(f"{ds.observables[k]} {v[k]:+.2f}" for k in order)
            lines.append(f"{s:20s} {text}")
            if s in self.notes:
                lines.append(f"{'':20s} note: {self.notes[s]}")
        return "\n".join(lines)


def check_output_suffix(path: str | Path) -> None:
    """Raise `DatasetError` unless `path` ends in a suffix `Prediction.write` can write."""
    name = Path(path).name.lower().removesuffix(".gz")
    if not name.endswith(HDF5_SUFFIXES + TABLE_SUFFIXES) or (
        name.endswith(HDF5_SUFFIXES) and Path(path).name.lower().endswith(".gz")
    ):
        raise DatasetError(
            f"{path}: predictions are written as .csv, .tsv, .tab or .txt (optionally .gz) or HDF5 (.h5, .hdf5)"
        )


def load_predictor(model, base_model: str | Path = DEFAULT_MODEL, parameters=None) -> AbstractCell:
    """The cell to predict with.

    Args:
        model: a compiled cell (also a `HybridCell`), an embedded model name, a YAML or SBML model
            file, or a residual network file written by `yeastcell.hybrid.save_residual` (.h5, as
            ``yeastcell fit --residual ... -o FIT.json`` writes ``FIT.json.residual.h5``).
        base_model: the mechanistic model a residual file was trained on.
        parameters: parameter values to set (name -> value, core units), or a fit result file
            (``yeastcell fit -o FIT.json``, `yeastcell.fit.read_parameter_file`).

    Raises:
        ModelFileError: an unreadable model. SimulationInputError: a residual file that is not one,
        or a base model with amount (SBML) semantics. UnknownNameError: names the model lacks.
    """
    if isinstance(model, AbstractCell):
        cell = model
    elif Path(str(model)).suffix.lower() in HDF5_SUFFIXES:
        from .cells import ConcentrationCell
        from .hybrid import hybridize, load_residual

        if not Path(str(model)).is_file():
            raise SimulationInputError(f"{model}: no such residual file")
        base = compile_model(load_model(base_model))
        if not isinstance(base, ConcentrationCell):
            raise SimulationInputError(
                f"a residual network needs a concentration model; {base_model} has amount (SBML) semantics"
            )
        cell = hybridize(base, load_residual(model, base))
    else:
        cell = compile_model(load_model(model))
    if parameters is not None:
        from .fit.params import read_parameter_file, with_parameters

        values = parameters if isinstance(parameters, Mapping) else read_parameter_file(parameters)
        cell = with_parameters(cell, values)
    return cell


def _base(cell, condition) -> tuple[Perturbation, str]:
    """(perturbation, notation) of the condition every strain and the wild type share."""
    if condition is None:
        return wild_type(), "wt"
    if not isinstance(condition, str) or not condition.strip():
        raise PerturbationError(f"condition must be a named condition or a perturbation string, got {condition!r}")
    text = condition.strip()
    if ":" not in text and text.lower() not in WILD_TYPE:
        text = f"cond:{text}"
    pert = parse_perturbation(text)
    for part in flatten(pert):
        if isinstance(part, NamedCondition):
            names = [c.id for c in cell.spec.conditions] if cell.spec is not None else []
            if part.name not in names:
                raise UnknownNameError(f"condition of model {cell.model_id!r}", part.name, names)
    return pert, text


def resolve_strains(
    cell, strains: Sequence[str], table: ProteomeTable | None, base: Perturbation, base_label: str
) -> list[Strain]:
    """Each strain id as a `Strain` (see the module docstring); every problem is found before any
    solve.

    Raises:
        UnknownNameError: genes known neither to the model nor (as strains) to the proteome table,
            all of them in one message with close matches; a strain missing from the table.
        PerturbationError: an empty or duplicate strain id, or one the notation cannot carry.
    """
    if isinstance(strains, str) or not isinstance(strains, Sequence) or not strains:
        raise PerturbationError("give a non-empty list of strains (gene deletions, e.g. ['PFK1', 'YGL253W'] or 'wt')")
    seen: dict[str, str] = {}
    out: list[Strain] = []
    unknown: list[UnknownNameError] = []
    genes = cell.genes  # read once: attribute access on a compiled cell (an equinox Module) is slow
    known_genes = [g[0] for g in genes] + [g[1] for g in genes if g[1]]
    gene_pos: dict[str, int] = {}
    for i, (orf, std, _) in enumerate(genes):  # as cell.gene_index: ORF or name, case-insensitive
        gene_pos.setdefault(orf.upper(), i)
        if std:
            gene_pos.setdefault(std.upper(), i)
    for raw in strains:
        if not isinstance(raw, str) or not raw.strip():
            raise PerturbationError(f"strain ids must be non-empty strings, got {raw!r}")
        sid = raw.strip()
        if sid.lower().startswith(("ko:", "knockout:")):
            sid = sid.split(":", 1)[1].strip()
        if sid.upper() in seen:
            raise PerturbationError(f"strain {sid!r} is listed twice (as {seen[sid.upper()]!r} and {raw!r})")
        seen[sid.upper()] = raw
        bad = sorted(ch for ch in set(sid) - {","} if ch in _NOT_IN_LABEL)
        if bad:
            raise PerturbationError(
                f"strain id {sid!r} contains {''.join(bad)!r}, which the condition notation reserves"
            )
        if sid.lower() in WILD_TYPE:
            row = table.find_strain(sid) if table is not None else None
            levels = _levels(table, row)
            pert = base + levels if levels is not None else base
            out.append(Strain(sid, (), (), levels.strain if levels is not None else None, base_label, pert))
            continue
        names = [g.strip() for g in sid.split(",") if g.strip()]
        idx = [gene_pos.get(g.upper()) for g in names]
        row = _table_row(genes, table, sid, idx) if table is not None else None
        missing = [g for g, i in zip(names, idx) if i is None]
        if missing and row is None:
            known = known_genes + (list(table.strains) if table is not None else [])
            unknown += [UnknownNameError(f"gene of model {cell.model_id!r}", g, known) for g in missing]
            continue
        if table is not None and row is None:
            unknown.append(UnknownNameError(f"strain of the proteome table {table.source}", sid, table.strains))
            continue
        modelled = tuple(genes[i][0] for i in idx if i is not None)
        pert = base
        if modelled:
            pert = pert + knockout(*modelled)
        levels = _levels(table, row)
        if levels is not None:
            pert = pert + levels
        label = "+".join(x for x in (base_label if base_label != "wt" else "", f"ko:{sid}") if x)
        out.append(Strain(sid, modelled, tuple(missing), levels.strain if levels is not None else None, label, pert))
    if unknown:
        first = unknown[0]
        if len(unknown) > 1:
            more = "; ".join(str(e) for e in unknown[1:6]) + (
                f"; ... ({len(unknown) - 6} more)" if len(unknown) > 6 else ""
            )
            first.args = (f"{first.args[0]}; also {more}",)
        raise first
    return out


def _table_row(genes, table: ProteomeTable, sid: str, idx: list[int | None]) -> int | None:
    """Row of a strain in the table: by its id, else (a single model gene) by the gene's ORF or name."""
    row = table.find_strain(sid)
    if row is None and len(idx) == 1 and idx[0] is not None:
        orf, std, _ = genes[idx[0]]
        for alias in (orf, std):
            if alias and (row := table.find_strain(alias)) is not None:
                break
    return row


def _levels(table: ProteomeTable | None, row: int | None) -> ProteomeLevels | None:
    return table.levels(table.strains[row]) if table is not None and row is not None else None


def output_names(cell) -> tuple[list[str], list[str]]:
    """(observable names, their kinds) that `predict` reports for `cell`: metabolite species, the
    model's declared observables, and protein species when protein levels are dynamic."""
    dyn = set(cell.dynamic)
    proteins_dynamic = any(k in ("protein", "complex") and i in dyn for i, k in enumerate(cell.species_kind))
    names: list[str] = []
    kinds: list[str] = []
    for s, k in zip(cell.species_ids, cell.species_kind):
        if k == "metabolite":
            names.append(s)
            kinds.append("metabolite")
    declared = [o.id for o in cell.spec.observables] if cell.spec is not None else []
    for o in declared:
        if o not in names:
            names.append(o)
            kinds.append("observable")
    if proteins_dynamic:
        for s, k in zip(cell.species_ids, cell.species_kind):
            if k in ("protein", "complex"):
                names.append(s)
                kinds.append("protein")
    return names, kinds


@eqx.filter_jit
def _steady_lanes(cell, conds: Condition, t_max: float, tol: float, options: SolverOptions):
    """Steady states of a batch of conditions (one compiled program per cell and chunk shape)."""
    return jax.vmap(lambda c: _steady(cell, c, t_max, tol, options))(conds)


def _chunk(conds: Condition, start: int, size: int) -> Condition:
    """Lanes start..start+size of a stacked condition, padded with its last lane to `size`."""
    n = int(conds.c0.shape[0])
    idx = np.minimum(np.arange(start, start + size), n - 1)
    return jax.tree_util.tree_map(lambda x: x[idx], conds)


def predict(
    model,
    strains: Sequence[str],
    proteome=None,
    *,
    condition: str | None = None,
    base_model: str | Path = DEFAULT_MODEL,
    parameters=None,
    allow_missing: bool = False,
    t_max: float = 1e5,
    tol: float = 1e-9,
    options: SolverOptions | None = None,
    lanes_per_chunk: int | None = None,
    progress: bool | None = None,
    observables: Mapping[str, str] | None = None,
    method: str = "steady_state",
) -> Prediction:
    """Predict the steady state of each strain as log2 ratios to the wild type (module docstring).

    Args:
        model: a cell (also a `HybridCell`), a model name or file, or a residual file
            (`load_predictor`).
        strains: gene deletions (ORF or name; ``"PDC1,PDC5"`` for a double deletion; ``"wt"``).
        proteome: measured protein levels, log2 ratios to the wild type: a `ProteomeTable`, a
            DataFrame (index = strain, columns = proteins) or a CSV/TSV file (wide or long).
        condition: a named condition of the model (``"aerobic_clamped"``) or a perturbation string
            (``"cond:aerobic_clamped+clamp:GLC_e=50"``) applied to every strain and the wild type;
            it must have a steady state (the core model's ``aerobic_clamped`` does; its default
            batch start consumes its glucose and has none).
        base_model, parameters: see `load_predictor`.
        allow_missing: empty cells of the proteome file mean "not measured in that strain".
        t_max, tol: steady-state search horizon (min) and convergence threshold (1/min), as in
            `yeastcell.steady_state`.
        lanes_per_chunk: strains solved together (default 16 on a CPU, 256 on an accelerator).
        progress: show a progress bar (default: when stderr is a terminal; `yeastcell.progress`).
        observables: extra outputs, name -> model quantity in the grammar of
            `yeastcell.observe` (e.g. ``{"cit": "CIT_c + CIT_m"}``: a whole-cell total, as a
            metabolite extract measures it); reported with kind ``observable`` after the model's own.
        method: ``"steady_state"`` solves each strain's steady state (nonlinear); ``"linear"``
            predicts from the wild type's linear response (`yeastcell.response`: control
            coefficients × the strain's protein log2 ratios, a deleted gene at -`LEVEL_CLIP`),
            one linearisation for all strains, exact for small changes and never failing per strain.

    Returns:
        A `Prediction`; failed strains are in `Prediction.failed`, not in its dataset.

    Raises:
        UnknownNameError, PerturbationError, DatasetError, ModelFileError: bad input, found before
            any solve. SolverError: the wild type has no steady state under `condition`.
    """
    if not (np.isfinite(t_max) and t_max > 0) or not tol > 0:
        raise SimulationInputError(f"t_max and tol must be positive, got {t_max}, {tol}")
    if lanes_per_chunk is not None and (isinstance(lanes_per_chunk, bool) or int(lanes_per_chunk) < 1):
        raise SimulationInputError(f"lanes_per_chunk must be a positive int, got {lanes_per_chunk!r}")
    table = as_proteome_table(proteome, allow_missing=allow_missing) if proteome is not None else None
    cell = load_predictor(model, base_model, parameters)
    base, base_label = _base(cell, condition)
    todo = resolve_strains(cell, strains, table, base, base_label)
    coverage = table.coverage(cell) if table is not None else None
    conds = resolve_batch(cell, [base] + [s.perturbation for s in todo])  # names checked here, before solving
    if conds.n_events:
        raise SimulationInputError("predict finds steady states; the condition may not hold timed events")
    names, kinds = output_names(cell)
    extra = dict(observables or {})
    clash = sorted(set(extra) & set(names))
    if clash:
        raise SimulationInputError(f"extra observables {clash} have the names of model outputs; rename them")
    om = ObservationModel.build(cell, names + list(extra), mapping=extra)  # checked before solving
    names, kinds = names + list(extra), kinds + ["observable"] * len(extra)
    options = options or SolverOptions()
    if method not in ("steady_state", "linear"):
        raise SimulationInputError(f"method must be 'steady_state' or 'linear', got {method!r}")
    if method == "linear":
        values, status = _linear(cell, base, todo, names, extra, table, t_max, tol, options)
        return _prediction(cell, todo, values, status, names, kinds, base_label, table, coverage, condition, model)
    n = len(todo) + 1
    if lanes_per_chunk is None:
        per = LANES_PER_CHUNK_CPU if jax.default_backend() == "cpu" else LANES_PER_CHUNK_ACCELERATOR
    else:
        per = int(lanes_per_chunk)
    size = min(per, n)
    values = np.full((n, len(names)), np.nan)
    status = np.zeros(n, dtype=int)
    with bar(total=len(todo), desc=f"predict {len(todo)} strains", unit="strain", progress=progress) as pb:
        for start in range(0, n, size):
            ss = _steady_lanes(cell, _chunk(conds, start, size), float(t_max), float(tol), options)
            y = np.asarray(om(ss.conc[:, None, :], ss.flux[:, None, :]))[:, 0, :]
            k = min(size, n - start)
            values[start : start + k] = y[:k]
            status[start : start + k] = np.asarray(ss.status)[:k]
            if start == 0 and status[0] != Status.SUCCESS:
                raise SolverError(
                    f"the wild type ({base_label}) has no steady state in model {cell.model_id!r} "
                    f"({describe(int(status[0]))}); predictions need one: choose a condition where it has one"
                    + (" (e.g. condition 'aerobic_clamped' of yeast_core)" if condition is None else "")
                )
            pb.update(k - (1 if start == 0 else 0))
    return _prediction(cell, todo, values, status, names, kinds, base_label, table, coverage, condition, model)


def _linear(cell, base, todo, names, extra, table, t_max, tol, options) -> tuple[np.ndarray, np.ndarray]:
    """(values (1 + n_strains, n_names), status) of `predict(method="linear")`: the wild type's
    values, then each strain's as wild type × 2^(linear response · its protein log2 ratios)."""
    lr = linear_response(cell, base, observables=names, mapping=extra, t_max=t_max, tol=tol, options=options)
    rows = [lr.reference]
    for s in todo:
        measured = {}
        if table is not None and s.proteome_row is not None:
            measured = {g: float(np.log2(f)) for g, f in table.levels(s.proteome_row).factors(cell).items()}
        e = strain_levels(lr.genes, measured, deleted=s.genes)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflowing ratio is reported as undefined
            rows.append(lr.reference * np.exp2(lr.by_protein @ e))
    return np.asarray(rows), np.zeros(len(todo) + 1, dtype=int)


def _prediction(cell, todo, values, status, names, kinds, base_label, table, coverage, condition, model) -> Prediction:
    ref = values[0]
    usable = np.isfinite(ref) & (ref > ZERO_FLOOR)
    dropped = tuple(n for n, u in zip(names, usable) if not u)
    keep = np.nonzero(usable)[0]
    st = status[1:]
    good = [i for i in range(len(todo)) if st[i] == Status.SUCCESS]
    undefined: dict[str, tuple[str, ...]] = {}
    ds = None
    if good:
        y = values[1:][good][:, keep]
        positive = np.isfinite(y) & (y > ZERO_FLOOR)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(positive, np.log2(y / ref[keep]), np.nan)
        for row, i in enumerate(good):
            bad = [names[keep[j]] for j in np.nonzero(~positive[row])[0]]
            if bad:
                undefined[todo[i].id] = tuple(bad)
        failed = {todo[i].id: describe(int(st[i])) for i in range(len(todo)) if st[i] != Status.SUCCESS}
        provenance = {
            "generated_by": "yeastcell.predict",
            "model": str(model if isinstance(model, str | Path) else cell.model_id),
            "model_id": cell.model_id,
            "condition": base_label,
            "proteome": table.source if table is not None else "none",
            "strains": json.dumps({s.label: s.id for s in todo}),
        }
        if failed:
            provenance["failed"] = json.dumps(failed)
        if dropped:
            provenance["dropped_observables"] = json.dumps(list(dropped))
        if undefined:
            provenance["undefined_log2"] = json.dumps({k: list(v) for k, v in undefined.items()})
        if table is not None:
            provenance["proteome_rows"] = json.dumps({s.label: s.proteome_row for s in todo})
        ds = Dataset(
            conditions=tuple(todo[i].label for i in good),
            times_min=np.array([0.0]),
            observables=tuple(names[j] for j in keep),
            values=ratio[:, None, None, :],
            mask=positive[:, None, None, :],
            transform="log2fc",
            reference=base_label,
            provenance=provenance,
            annotations={"kind": tuple(kinds[j] for j in keep)},
        )
    notes = {
        s.id: (
            f"deleted gene(s) {', '.join(s.unmodelled)} not in model {cell.model_id!r}: "
            "the deletion acts only through the measured proteome"
        )
        for s in todo
        if s.unmodelled
    }
    return Prediction(
        dataset=ds,
        strains=tuple(s.id for s in todo),
        conditions=tuple(s.label for s in todo),
        status=st.copy(),
        reference=base_label,
        notes=notes,
        coverage=coverage,
        dropped=dropped,
        undefined=undefined,
    )


__all__ = ["Prediction", "Strain", "load_predictor", "output_names", "predict", "resolve_strains"]
