"""`load(path)`: a PEtab problem (v1 or v2 YAML file) read and validated by libpetab, mapped onto
yeastcell's objects: the SBML model compiled to an `SbmlCell` (`PetabModel`), the tables in
yeastcell's form (`yeastcell.petab.tables.Tables`).

Everything that can be checked is checked here, before anything is simulated: libpetab's
validation (its messages, with the file, raise `PetabValidationError`), the model language and
the features yeastcell implements (anything else raises `UnsupportedPetabError` naming it).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sympy
import yaml

from ..sbml import UnsupportedSBMLError
from ..solvers import SolverOptions
from .errors import PetabError, PetabValidationError, UnsupportedPetabError
from .model import PetabModel
from .priors import check_prior
from .sciml_tables import SciMLTables, array_keys, array_selector, split_problem
from .tables import Change, Experiment, Period, Tables, read_v1, read_v2

MODEL_LANGUAGES = ("sbml", "pysb")


@dataclass
class PetabProblem:
    """A loaded PEtab problem.

    Attributes:
        path: the problem's YAML file.
        version: ``"1"`` or ``"2"`` (major PEtab format version).
        model: the compiled model (`PetabModel`: ``.cell``, ``.spec``, ``.ids``).
        tables: parameters, observables, experiments and measurements (`Tables`).
        measurement_df: the measurement table as its files hold it (row order = `tables.measurements`).
        libpetab: libpetab's problem object (`petab.v1.Problem` or `petab.v2.Problem`).
        sciml: the PEtab-SciML extension (networks, hybridization, network parameters), or None
            (`yeastcell.petab.sciml_tables`; `yeastcell.petab.sciml.HybridProblem` simulates it).
    """

    path: Path
    version: str
    model: PetabModel
    tables: Tables
    measurement_df: pd.DataFrame
    libpetab: object
    sciml: SciMLTables | None = None

    @property
    def x_ids(self) -> tuple[str, ...]:
        """Ids of the estimated parameters (the order of parameter vectors)."""
        return tuple(p.id for p in self.tables.parameters if p.estimate)

    @property
    def parameters(self):
        return self.tables.parameters

    def objective(self, options: SolverOptions | None = None):
        """The `Objective` of this problem (negative log-likelihood, chi², gradient)."""
        from .objective import Objective

        return Objective(self, options)


def _format_version(path: Path) -> str:
    try:
        with open(path) as fh:
            cfg = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as err:
        raise PetabError(f"{path}: cannot read the PEtab problem file: {err}") from None
    if not isinstance(cfg, dict) or "format_version" not in cfg:
        raise PetabError(f"{path}: not a PEtab problem file (no format_version)")
    v = str(cfg["format_version"]).strip()
    major = v.split(".")[0]
    if major not in ("1", "2"):
        raise UnsupportedPetabError(path, f"PEtab format_version {v}", "yeastcell reads versions 1 and 2")
    return major


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _v1_files(path: Path) -> dict:
    with open(path) as fh:
        cfg = yaml.safe_load(fh)
    problems = cfg.get("problems") or []
    if len(problems) != 1:
        raise UnsupportedPetabError(path, f"{len(problems)} problems in one file", "one is supported")
    return {"parameter": cfg.get("parameter_file"), **problems[0]}


def _validate_v1(problem, path: Path, files: dict):
    from petab.v1 import lint

    handler = _Collect()
    logger = logging.getLogger("petab")
    logger.addHandler(handler)
    try:
        failed = lint.lint_problem(problem)
    finally:
        logger.removeHandler(handler)
    if failed:
        names = {k: v for k, v in files.items() if v}
        where = ", ".join(f"{k}: {v}" for k, v in names.items())
        frames = [
            (files.get("measurement_files"), problem.measurement_df),
            (files.get("condition_files"), problem.condition_df),
            (files.get("observable_files"), problem.observable_df),
            ([files.get("parameter")], problem.parameter_df),
        ]
        msgs = [m for m in handler.messages if m.strip() != "Not OK"]
        raise PetabValidationError(path, _locate(msgs, frames) or [f"libpetab lint failed ({where})"])


def _locate(messages: list[str], frames) -> list[str]:
    """Each message with the table file(s) and line(s) holding the ids it quotes (line 1 is the
    header), e.g. ``_measurements.tsv line 3: Observables {'obs_x'} ... not defined``."""
    out = []
    for msg in messages:
        ids = set(re.findall(r"'([^']+)'", msg))
        places = []
        for files, df in frames:
            if df is None or not ids or not files:
                continue
            name = ", ".join(str(f) for f in files if f)
            flat = df.reset_index()
            hit = flat.astype(str).isin(ids).any(axis=1).to_numpy()
            lines = [int(k) + 2 for k in np.nonzero(hit)[0]]
            if lines:
                places.append(f"{name} line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines[:10]))}")
        out.append(f"{'; '.join(places)}: {msg}" if places else msg)
    return out


def _validate_v2(problem, path: Path, cfg, sciml: SciMLTables | None = None):
    results = problem.validate()
    errors = [r for r in results if getattr(r, "level", 0) >= 2]  # ValidationIssueSeverity.ERROR
    if sciml is not None:  # network ids are not in the model libpetab sees
        net_ids = set(sciml.mapping) | set(sciml.model_parameters)
        errors = [r for r in errors if not set(re.findall(r"'([^']+)'", r.message)) & net_ids]
    if errors:
        frames = [
            (cfg.measurement_files, problem.measurement_df),
            (cfg.condition_files, problem.condition_df),
            (cfg.experiment_files, problem.experiment_df),
            (cfg.observable_files, problem.observable_df),
            (cfg.parameter_files, problem.parameter_df),
        ]
        located = _locate([r.message for r in errors], frames)
        msgs = []
        for r, text in zip(errors, located):
            task = getattr(r, "task", None) or ""
            prefix = "" if text != r.message else _table_of(task, cfg)
            msgs.append(f"{prefix}{text}" + (f" [{task}]" if task else ""))
        raise PetabValidationError(path, msgs)


_TASK_TABLE = {
    "Measurement": "measurement_files",
    "Condition": "condition_files",
    "Experiment": "experiment_files",
    "Observable": "observable_files",
    "Parameter": "parameter_files",
    "Mapping": "mapping_files",
}


def _table_of(task: str, cfg) -> str:
    for key, field in _TASK_TABLE.items():
        if key in task:
            files = getattr(cfg, field, None) or []
            if files:
                return f"{', '.join(str(f) for f in files)}: "
    return ""


def load(path: str | Path) -> PetabProblem:
    """Read, validate and import a PEtab problem (v1 or v2 YAML file).

    Raises:
        PetabError: unreadable file or inconsistent tables; `PetabValidationError` (libpetab's
            messages) when validation fails; `UnsupportedPetabError` for a feature yeastcell
            does not implement (named).
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise PetabError(f"{path}: no such PEtab problem file")
    major = _format_version(path)
    base = path.parent
    sciml: SciMLTables | None = None
    if major == "1":
        import petab.v1 as petab1

        files = _v1_files(path)
        models = files.get("sbml_files") or []
        if files.get("model_files"):
            langs = {m.get("language") for m in files["model_files"].values()}
            if langs - {"sbml"}:
                raise UnsupportedPetabError(path, f"model language(s) {sorted(langs - {'sbml'})}", "v1: SBML only")
            models = [m["location"] for m in files["model_files"].values()]
        if len(models) != 1:
            raise UnsupportedPetabError(path, f"{len(models)} model files", "one SBML model is supported")
        try:
            lib = petab1.Problem.from_yaml(str(path))
        except Exception as err:  # noqa: BLE001 - libpetab's reading errors, reported with the file
            raise PetabError(f"{path}: libpetab cannot read the problem: {err}") from None
        try:  # unsupported features are named first (libpetab may also call them invalid)
            tables = read_v1(lib, path)
        except UnsupportedPetabError:
            raise
        except Exception:
            _validate_v1(lib, path, files)  # libpetab's messages explain what could not be read
            raise
        _validate_v1(lib, path, files)
        model_path = base / models[0]
        mdf = _measurement_table(base, files.get("measurement_files") or [])
        spec = None
    else:
        import petab.v2 as petab2

        with open(path) as fh:
            raw = yaml.safe_load(fh)
        mfiles = raw.get("model_files") or {}
        if len(mfiles) != 1:
            raise UnsupportedPetabError(path, f"{len(mfiles)} models", "one model per problem is supported")
        (model_info,) = mfiles.values()
        lang = str(model_info.get("language", "")).lower()
        if lang not in MODEL_LANGUAGES:
            raise UnsupportedPetabError(path, f"model language {lang!r}", f"supported: {', '.join(MODEL_LANGUAGES)}")
        model_path = base / model_info["location"]
        spec = None
        pysb_aliases: dict[str, str] = {}
        if lang == "pysb":
            from .pysb import pysb_to_sbml

            model_path, pysb_aliases = pysb_to_sbml(model_path)
        yaml_for_lib: dict | str = str(path)
        workdir = tempfile.TemporaryDirectory(prefix="yeastcell_petab_")
        if (raw.get("extensions") or {}).get("sciml") is not None:
            yaml_for_lib, sciml = split_problem(path, raw, workdir)
        try:
            lib = petab2.Problem.from_yaml(yaml_for_lib, base_path=base)
        except Exception as err:  # noqa: BLE001 - libpetab's reading errors, reported with the file
            raise PetabError(f"{path}: libpetab cannot read the problem: {err}") from None
        finally:
            workdir.cleanup()
        _validate_v2(lib, path, lib.config, sciml)
        tables = read_v2(lib, path)
        if sciml is not None:
            tables = _with_array_selectors(tables, sciml)
        if pysb_aliases:  # PEtab ids of a PySB model -> ids of its SBML export
            merged = {k: pysb_aliases.get(v, v) for k, v in tables.aliases.items()}
            for k, v in pysb_aliases.items():
                merged.setdefault(k, v)
            tables = dataclasses.replace(tables, aliases=merged)
        mdf = _measurement_table(base, lib.config.measurement_files)
    for p in tables.parameters:
        why = check_prior(p)
        if why:
            raise PetabError(f"{path}: {why}")
    try:
        extra = _extra_targets(model_path, tables)
        if sciml is not None:  # network inputs and outputs: model parameters
            in_model = _model_ids(model_path)
            extra += tuple(p for p in sciml.model_parameters if p not in extra and p not in in_model)
        model = PetabModel(model_path, spec, extra)
    except UnsupportedSBMLError as err:
        raise UnsupportedPetabError(path, f"SBML construct {err.construct}", str(err)) from None
    if len(mdf) != len(tables.measurements):
        raise PetabError(
            f"{path}: the measurement files hold {len(mdf)} rows, libpetab read {len(tables.measurements)}"
        )
    problem = PetabProblem(path, major, model, tables, mdf, lib, sciml)
    _check_ids(problem)
    return problem


def _measurement_table(base: Path, files) -> pd.DataFrame:
    """The measurement table as its files hold it (columns and row order), for the simulation table."""
    frames = [pd.read_csv(base / f, sep="\t") for f in files]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _extra_targets(model_path: Path, tables: Tables) -> tuple[str, ...]:
    """Condition targets that are neither SBML ids of the model file nor problem parameters."""
    import libsbml

    doc = libsbml.readSBMLFromFile(str(model_path))
    m = doc.getModel()
    if m is None:
        return ()
    params = {p.id for p in tables.parameters}
    out = []
    for e in tables.experiments:
        for per in e.periods:
            for ch in per.changes:
                t = tables.aliases.get(ch.target, ch.target)
                if m.getElementBySId(t) is None and t not in params and t not in out:
                    if not t.isidentifier():
                        raise PetabError(f"condition target {ch.target!r} is not a model entity nor an identifier")
                    out.append(t)
    return tuple(out)


def _model_ids(model_path: Path) -> set[str]:
    """SBML ids of the model file's elements."""
    import libsbml

    m = libsbml.readSBMLFromFile(str(model_path)).getModel()
    if m is None:
        return set()
    return {e.getId() for e in m.getListOfAllElements() if e.isSetId()}


def _with_array_selectors(tables: Tables, sciml: SciMLTables) -> Tables:
    """`tables` where every experiment sets the selector (`array_selector`) of each array-valued
    network input at its start: the conditions of an array's key set it (`split_problem`); an
    experiment without one gets the index of key ``"0"`` (the array for every condition)."""
    from .sciml.arrays import read_inputs

    arrays: dict[str, dict] = {}
    for f in sciml.array_files:
        arrays.update(read_inputs(f))
    inputs = [pid for pid, v in sciml.hybridization.items() if v == "array" and pid in sciml.mapping]
    if not inputs:
        return tables
    experiments = []
    for e in tables.experiments:
        periods = e.periods or (Period(0.0, ()),)
        set_here = {c.target for c in periods[0].changes}
        changes = []
        for pid in inputs:
            if pid not in arrays:
                raise PetabError(f"no array file of {[str(f) for f in sciml.array_files]} holds inputs/{pid}")
            if array_selector(pid) in set_here:
                continue
            keys = array_keys(arrays[pid])
            if "0" not in keys:
                raise PetabError(f"inputs/{pid} has no array for experiment {e.id!r} (its conditions nor '0')")
            changes.append(Change(array_selector(pid), sympy.Float(keys.index("0"))))
        first = dataclasses.replace(periods[0], changes=tuple(periods[0].changes) + tuple(changes))
        experiments.append(Experiment(e.id, (first,) + tuple(periods[1:])))
    return dataclasses.replace(tables, experiments=tuple(experiments))


def _check_ids(problem: PetabProblem) -> None:
    """Estimated parameters that are neither in the model nor used anywhere are fine (libpetab
    checks the tables); here: the model ids the tables rely on exist."""
    known = set(problem.model.ids)
    aliases = problem.tables.aliases
    for model_id in aliases.values():
        if model_id not in known:
            raise PetabError(f"{problem.path}: mapping table names {model_id!r}, which is not in the model")
    if not np.isfinite([m.value for m in problem.tables.measurements]).all():
        bad = [m.row + 1 for m in problem.tables.measurements if not np.isfinite(m.value)]
        raise PetabError(f"{problem.path}: measurement row(s) {bad[:10]} have no finite measurement value")
