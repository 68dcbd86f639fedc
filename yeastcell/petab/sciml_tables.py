"""The PEtab-SciML extension's part of a PEtab v2 problem, read by `yeastcell.petab.load`.

A problem YAML with ``extensions: sciml:`` names neural networks (``neural_networks``: net id ->
YAML file), array files (network parameters and array-valued inputs) and hybridization tables
(``targetId`` -> ``targetValue``: a PEtab math formula, or ``array``). Its mapping table maps PEtab
ids onto network entities (``net.inputs[i][j]``, ``net.outputs[i][j]``, ``net.parameters``,
``net.parameters[layer]``, ``net.parameters[layer].array``), and its parameter table lists the
network parameters (``nominalValue`` a number or ``array``: the values of the array files).

`split_problem` takes these parts out before libpetab reads the problem: libpetab v2 sees the
parameter table without the network-parameter rows and the mapping table without the network
entities (it checks everything else as for any v2 problem), and `SciMLTables` holds the rest.
Network inputs and outputs become model parameters of the `PetabModel` (`model_parameters`), so
conditions, the parameter table, observables and hybridization formulas address them like any
other model parameter.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import PetabError, UnsupportedPetabError
from .tables import PRIORS, Prior


@dataclass(frozen=True)
class NetRef:
    """A mapping-table ``modelEntityId`` of a network: ``net.inputs[i][j...]``, ``net.outputs[i][j]``,
    ``net.parameters`` or ``net.parameters[layer]`` / ``net.parameters[layer].array``."""

    net: str
    kind: str  # inputs | outputs | parameters
    index: tuple[int, ...] = ()
    layer: str | None = None
    array: str | None = None


@dataclass(frozen=True)
class NetParameterRow:
    """A parameter-table row of network parameters: `nominal` is a number or ``"array"``."""

    id: str
    nominal: float | str
    estimate: bool
    prior: Prior | None = None


@dataclass
class SciMLTables:
    """The SciML extension of a problem (see module docstring).

    Attributes:
        networks: net id -> network YAML file.
        array_files: the array files (network parameters and inputs).
        mapping: PEtab id -> `NetRef` for the mapping rows that name network entities.
        hybridization: targetId -> targetValue (PEtab math text, or ``"array"``).
        net_parameters: parameter-table rows of network parameters (by id).
        condition_ids: experiment id -> condition ids of its first period (array inputs are
            per condition).
    """

    networks: dict[str, Path]
    array_files: list[Path]
    mapping: dict[str, NetRef]
    hybridization: dict[str, str]
    net_parameters: dict[str, NetParameterRow]
    condition_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def model_parameters(self) -> tuple[str, ...]:
        """PEtab ids of network inputs and outputs: model parameters of the `PetabModel`."""
        ids = [pid for pid, ref in self.mapping.items() if ref.kind in ("inputs", "outputs")]
        return tuple(ids + [array_selector(pid) for pid in ids if self.hybridization.get(pid) == "array"])


_REF = re.compile(r"^(?P<net>[A-Za-z_]\w*)\.(?P<kind>inputs|outputs|parameters)(?P<rest>.*)$")


def parse_net_ref(text: str, source: str) -> NetRef:
    """Parse a mapping-table ``modelEntityId`` that refers to a network.

    Raises:
        PetabError: the text is not of the forms listed in `NetRef`.
    """
    m = _REF.match(text.strip())
    if not m:
        raise PetabError(
            f"{source}: {text!r} is not a network entity (net.inputs[i]..., net.outputs[i]..., net.parameters...)"
        )
    rest = m["rest"]
    if m["kind"] == "parameters":
        pm = re.fullmatch(r"(?:\[(?P<layer>\w+)\](?:\.(?P<array>\w+))?)?", rest)
        if not pm:
            raise PetabError(f"{source}: bad parameter reference {text!r}")
        return NetRef(m["net"], "parameters", (), pm["layer"], pm["array"])
    idx = re.findall(r"\[(\d+)\]", rest)
    if "".join(f"[{i}]" for i in idx) != rest or not idx:
        raise PetabError(f"{source}: bad index in {text!r} (expected e.g. {m['net']}.{m['kind']}[0][1])")
    return NetRef(m["net"], m["kind"], tuple(int(i) for i in idx))


def _list(value) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _read(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise PetabError(f"table {path} does not exist")
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise PetabError(f"table {path}: missing column(s) {missing}")
    return df


def _net_prior(row, where: str) -> Prior | None:
    kind = str(row.get("priorDistribution", "") or "").strip()
    if not kind:
        return None
    if kind not in PRIORS:
        raise UnsupportedPetabError(where, f"priorDistribution {kind!r}", f"parameter {row['parameterId']!r}")
    try:
        pars = tuple(float(x) for x in str(row.get("priorParameters", "")).split(";") if x.strip())
    except ValueError:
        raise PetabError(f"{where}: parameter {row['parameterId']!r}: bad priorParameters") from None
    return Prior(kind, pars, False, False)


def split_problem(path: Path, raw: dict[str, Any], workdir: tempfile.TemporaryDirectory) -> tuple[dict, SciMLTables]:
    """(the problem YAML for libpetab, the SciML extension) of a v2 problem with ``extensions: sciml``.

    Tables libpetab should not see (network-parameter rows, network mapping rows) are left out of
    copies written to `workdir`; every other file keeps its path.

    Raises:
        PetabError: a missing file or column, a bad network reference, a network mapped in the
            mapping table but not listed in ``neural_networks``.
        UnsupportedPetabError: a network file format other than YAML.
    """
    base = path.parent
    sciml = (raw.get("extensions") or {}).get("sciml") or {}
    networks: dict[str, Path] = {}
    for net_id, entry in (sciml.get("neural_networks") or {}).items():
        fmt = str(entry.get("format", "YAML")).upper()
        if fmt != "YAML":
            raise UnsupportedPetabError(path, f"network format {fmt!r}", f"network {net_id}: only YAML is read")
        networks[str(net_id)] = base / entry["location"]
    mapping: dict[str, NetRef] = {}
    map_files = []
    out = Path(workdir.name)
    for k, f in enumerate(_list(raw.get("mapping_files"))):
        df = _read(base / f, ("petabEntityId", "modelEntityId"))
        keep = []
        for _, r in df.iterrows():
            target = str(r["modelEntityId"]).strip()
            head = target.split(".", 1)[0]
            if head in networks:
                mapping[str(r["petabEntityId"]).strip()] = parse_net_ref(target, str(base / f))
                keep.append(False)
            elif re.match(r"^\w+\.(inputs|outputs|parameters)", target):
                raise PetabError(
                    f"{base / f}: {target!r} refers to network {head!r}, which neural_networks does not list"
                )
            else:
                keep.append(True)
        name = out / f"mapping_{k}.tsv"
        df[keep].to_csv(name, sep="\t", index=False)
        map_files.append(str(name))
    for pid, ref in mapping.items():
        if ref.net not in networks:
            raise PetabError(f"{path}: mapping entity {pid} refers to unknown network {ref.net!r}")
    net_params: dict[str, NetParameterRow] = {}
    par_files = []
    for k, f in enumerate(_list(raw.get("parameter_files"))):
        df = _read(base / f, ("parameterId", "nominalValue", "estimate"))
        keep = []
        for _, r in df.iterrows():
            pid = str(r["parameterId"]).strip()
            mref = mapping.get(pid)
            nominal = str(r["nominalValue"]).strip()
            if nominal == "array" or (mref is not None and mref.kind == "parameters"):
                est = str(r["estimate"]).strip().lower()
                if est not in ("true", "false", "1", "0"):
                    raise PetabError(f"{base / f}: parameter {pid}: estimate {r['estimate']!r} (true/false)")
                try:
                    value: float | str = nominal if nominal == "array" else float(nominal)
                except ValueError:
                    raise PetabError(f"{base / f}: parameter {pid}: nominalValue {nominal!r}") from None
                net_params[pid] = NetParameterRow(pid, value, est in ("true", "1"), _net_prior(r, str(base / f)))
                keep.append(False)
            else:
                keep.append(True)
        name = out / f"parameters_{k}.tsv"
        df[keep].to_csv(name, sep="\t", index=False)
        par_files.append(str(name))
    hybridization: dict[str, str] = {}
    for f in _list(sciml.get("hybridization_files")):
        for _, r in _read(base / f, ("targetId", "targetValue")).iterrows():
            hybridization[str(r["targetId"]).strip()] = str(r["targetValue"]).strip()
    array_files = [base / f for f in _list(sciml.get("array_files"))]
    cond_rows = []  # per-condition arrays: each condition sets the inputs' selectors
    if any(v == "array" for v in hybridization.values()):
        from .sciml.arrays import read_inputs

        for array_file in array_files:
            for pid, by_key in read_inputs(array_file).items():
                keys = array_keys(by_key)
                cond_rows += [(k, array_selector(pid), i) for i, k in enumerate(keys) if k != "0"]
    cfg = {k: v for k, v in raw.items() if k != "extensions"}
    cfg["parameter_files"] = par_files
    if map_files:
        cfg["mapping_files"] = map_files
    for key in ("measurement_files", "observable_files", "experiment_files", "condition_files"):
        if key in cfg:
            cfg[key] = [str(base / f) for f in _list(cfg[key])]
    if cond_rows:
        cond_file = out / "array_conditions.tsv"
        pd.DataFrame(cond_rows, columns=["conditionId", "targetId", "targetValue"]).to_csv(
            cond_file, sep="\t", index=False
        )
        cfg["condition_files"] = _list(cfg.get("condition_files")) + [str(cond_file)]
    cfg["model_files"] = {
        mid: {**m, "location": str(base / m["location"])} for mid, m in (raw.get("model_files") or {}).items()
    }
    condition_ids: dict[str, tuple[str, ...]] = {}
    for f in _list(raw.get("experiment_files")):
        df = _read(base / f, ("experimentId", "time", "conditionId"))
        first: dict[str, float] = {}
        for _, r in df.iterrows():
            eid, t = str(r["experimentId"]).strip(), float(r["time"])
            cid = str(r["conditionId"]).strip()
            if eid not in first or t < first[eid]:
                first[eid] = t
                condition_ids[eid] = (cid,) if cid else ()
            elif t == first[eid] and cid:
                condition_ids[eid] += (cid,)
    tables = SciMLTables(networks, array_files, mapping, hybridization, net_params, condition_ids)
    return cfg, tables


def array_selector(pid: str) -> str:
    """The model parameter that picks the array of array-valued network input `pid` per
    experiment (the index of its key in `array_keys`)."""
    return f"{pid}__array"


def array_keys(by_key: dict) -> list[str]:
    """The keys of an array input's arrays (condition ids, or ``"0"`` for all), in index order."""
    return sorted(by_key)
