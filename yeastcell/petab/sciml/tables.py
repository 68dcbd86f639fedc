"""Reading a PEtab v2 problem with the ``sciml`` extension: the problem YAML and its tables.

Only what hybrid problems need is read, and every table is checked for its required columns
(errors name the file and column). Paths in the YAML are relative to the YAML's folder. This is a
self-contained reader of the PEtab v2 tables (measurement, observable, experiment, condition,
parameter, mapping) plus the SciML hybridization table, array files and network files.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import SciMLFormatError


def _read_tsv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise SciMLFormatError(f"table {path} does not exist")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
        header = rows[0].keys() if rows else []
    if rows:
        missing = [c for c in required if c not in header]
        if missing:
            raise SciMLFormatError(f"table {path}: missing column(s) {missing}")
    return [{k: (v or "").strip() for k, v in r.items() if k is not None} for r in rows]


def _files(spec: dict, key: str, base: Path) -> list[Path]:
    value = spec.get(key) or []
    if isinstance(value, str):
        value = [value]
    return [base / v for v in value]


@dataclass(frozen=True)
class ParameterRow:
    """A parameter-table row: `nominal` is a float or the string ``"array"`` (values from array files)."""

    id: str
    scale: str
    nominal: float | str
    estimate: bool
    prior: str = ""
    prior_parameters: tuple[float, ...] = ()


@dataclass(frozen=True)
class NetRef:
    """A mapping-table ``modelEntityId`` of a network: ``net.inputs[i][j...]``, ``net.outputs[i][j]``,
    ``net.parameters`` or ``net.parameters[layer]`` / ``net.parameters[layer].array``."""

    net: str
    kind: str  # inputs | outputs | parameters
    index: tuple[int, ...] = ()
    layer: str | None = None
    array: str | None = None


_REF = re.compile(r"^(?P<net>[A-Za-z_]\w*)\.(?P<kind>inputs|outputs|parameters)(?P<rest>.*)$")


def parse_net_ref(text: str, source: str) -> NetRef:
    """Parse a mapping-table ``modelEntityId`` that refers to a network.

    Raises:
        SciMLFormatError: the text is not of the forms listed in `NetRef`.
    """
    m = _REF.match(text.strip())
    if not m:
        raise SciMLFormatError(
            f"{source}: {text!r} is not a network entity (net.inputs[i]..., net.outputs[i]..., net.parameters...)"
        )
    rest = m["rest"]
    if m["kind"] == "parameters":
        pm = re.fullmatch(r"(?:\[(?P<layer>\w+)\](?:\.(?P<array>\w+))?)?", rest)
        if not pm:
            raise SciMLFormatError(f"{source}: bad parameter reference {text!r}")
        return NetRef(m["net"], "parameters", (), pm["layer"], pm["array"])
    idx = re.findall(r"\[(\d+)\]", rest)
    if "".join(f"[{i}]" for i in idx) != rest or not idx:
        raise SciMLFormatError(f"{source}: bad index in {text!r} (expected e.g. {m['net']}.{m['kind']}[0][1])")
    return NetRef(m["net"], m["kind"], tuple(int(i) for i in idx))


@dataclass
class SciMLProblemFiles:
    """The parsed problem: tables as lists of row dicts, plus the SciML extension's parts.

    Attributes:
        base: the problem YAML's folder.
        model: the SBML model file.
        measurements, observables, experiments, conditions: PEtab v2 tables (rows).
        parameters: parameter-table rows by id.
        mapping: petabEntityId -> NetRef for network entities (other mappings are aliases:
            `aliases`).
        hybridization: targetId -> targetValue (a formula, or ``"array"``).
        networks: net id -> network YAML path.
        array_files: the array files of the extension (parameters and inputs).
    """

    base: Path
    model: Path
    measurements: list[dict[str, str]]
    observables: dict[str, dict[str, str]]
    experiments: dict[str, list[tuple[float, str]]]
    conditions: dict[str, list[tuple[str, str]]]
    parameters: dict[str, ParameterRow]
    mapping: dict[str, NetRef]
    aliases: dict[str, str]
    hybridization: dict[str, str]
    networks: dict[str, Path]
    array_files: list[Path] = field(default_factory=list)


def _float(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SciMLFormatError(f"{where}: {text!r} is not a number") from None


def read_problem(path: str | Path) -> SciMLProblemFiles:
    """Read a PEtab v2 problem YAML with ``extensions: sciml:`` and its tables.

    Raises:
        SciMLFormatError: missing file or column, a model that is not one SBML file, a bad number,
            a mapping entry naming an unknown network (messages name the file).
    """
    path = Path(path)
    if not path.is_file():
        raise SciMLFormatError(f"problem file {path} does not exist")
    spec: dict[str, Any] = yaml.safe_load(path.read_text()) or {}
    base = path.parent
    version = str(spec.get("format_version", ""))
    if not version.startswith("2"):
        raise SciMLFormatError(f"{path}: format_version {version!r}; PEtab-SciML problems are PEtab v2 (2.x)")
    models = spec.get("model_files") or {}
    if len(models) != 1:
        raise SciMLFormatError(f"{path}: expected exactly one model in model_files, got {len(models)}")
    (model,) = models.values()
    if str(model.get("language", "sbml")).lower() != "sbml":
        raise SciMLFormatError(f"{path}: model language {model.get('language')!r} (only SBML is supported)")
    sciml = (spec.get("extensions") or {}).get("sciml")
    if sciml is None:
        raise SciMLFormatError(f"{path}: no 'extensions: sciml:' section")

    measurements = []
    for f in _files(spec, "measurement_files", base):
        measurements += _read_tsv(f, ("observableId", "experimentId", "measurement", "time"))
    observables = {}
    for f in _files(spec, "observable_files", base):
        for r in _read_tsv(f, ("observableId", "observableFormula", "noiseFormula")):
            observables[r["observableId"]] = r
    experiments: dict[str, list[tuple[float, str]]] = {}
    for f in _files(spec, "experiment_files", base):
        for r in _read_tsv(f, ("experimentId", "time", "conditionId")):
            experiments.setdefault(r["experimentId"], []).append((_float(r["time"], str(f)), r["conditionId"]))
    conditions: dict[str, list[tuple[str, str]]] = {}
    for f in _files(spec, "condition_files", base):
        for r in _read_tsv(f, ("conditionId", "targetId", "targetValue")):
            conditions.setdefault(r["conditionId"], []).append((r["targetId"], r["targetValue"]))
    parameters = {}
    for f in _files(spec, "parameter_files", base):
        for r in _read_tsv(f, ("parameterId", "nominalValue", "estimate")):
            nominal = r["nominalValue"]
            est = r["estimate"].lower()
            if est not in ("true", "false", "1", "0"):
                raise SciMLFormatError(f"{f}: parameter {r['parameterId']}: estimate {r['estimate']!r} (true/false)")
            prior_pars = tuple(_float(x, str(f)) for x in r.get("priorParameters", "").split(";") if x.strip())
            parameters[r["parameterId"]] = ParameterRow(
                id=r["parameterId"],
                scale=r.get("parameterScale", "") or "lin",
                nominal=nominal if nominal == "array" else _float(nominal, f"{f}: {r['parameterId']}"),
                estimate=est in ("true", "1"),
                prior=r.get("priorDistribution", ""),
                prior_parameters=prior_pars,
            )
    networks = {}
    for net_id, entry in (sciml.get("neural_networks") or {}).items():
        fmt = str(entry.get("format", "YAML")).upper()
        if fmt != "YAML":
            raise SciMLFormatError(f"{path}: network {net_id} has format {fmt!r} (only YAML is supported)")
        networks[str(net_id)] = base / entry["location"]
    mapping, aliases = {}, {}
    for f in _files(spec, "mapping_files", base):
        for r in _read_tsv(f, ("petabEntityId", "modelEntityId")):
            target = r["modelEntityId"]
            head = target.split(".", 1)[0]
            if head in networks:
                mapping[r["petabEntityId"]] = parse_net_ref(target, str(f))
            elif "." in target and re.match(r"^\w+\.(inputs|outputs|parameters)", target):
                raise SciMLFormatError(
                    f"{f}: {target!r} refers to network {head!r}, which neural_networks does not list"
                )
            else:
                aliases[r["petabEntityId"]] = target
    hybridization: dict[str, str] = {}
    for f in _files(sciml, "hybridization_files", base):
        for r in _read_tsv(f, ("targetId", "targetValue")):
            hybridization[r["targetId"]] = r["targetValue"]
    return SciMLProblemFiles(
        base=base,
        model=base / model["location"],
        measurements=measurements,
        observables=observables,
        experiments=experiments,
        conditions=conditions,
        parameters=parameters,
        mapping=mapping,
        aliases=aliases,
        hybridization=hybridization,
        networks=networks,
        array_files=_files(sciml, "array_files", base),
    )
