"""Model composition: a model file that `include`s other model or module files.

A whole-cell model file (``format: yeastcell-model/1``) may list ``include: [a.yaml, b.yaml]``.
Each included file is either another model file (its ``model:`` header is ignored) or a module file
(``format: yeastcell-module/1`` with a ``module:`` header). Their sections are concatenated in
include order, then the including file's own sections; ids may refer to entities of any file.
A module's ``regulation:`` section adds activators, inhibitors and gene rules to reactions defined
in another file; a ``remove:`` section deletes an entry (reaction, species, parameter, observable,
conserved moiety) of another included file, so that a module can replace it by its own entry of the
same id. See docs/model_format.md ("Composition").

The result is one merged document plus, for every entry, the file it came from, so that the
validating builder (`yeastcell.load`) names the right file in its errors.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path

import yaml

from .exceptions import ModelFileError, UnknownNameError

MODEL_FORMAT = "yeastcell-model/1"
MODULE_FORMAT = "yeastcell-module/1"
LIST_SECTIONS = (
    "compartments",
    "species",
    "parameters",
    "reactions",
    "genes",
    "observables",
    "conserved_moieties",
    "conditions",
    "expression",
    "regulation",
    "remove",
)
MODULE_KEYS = {"format", "module", "references", *LIST_SECTIONS}
_MODULE_HEADER = ("id", "name", "description")


# libyaml's safe loader where PyYAML was built with it (same documents, ~7x faster on the model
# files: 0.12 s against 0.90 s for all of models/), else the pure-Python one
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Mapping:
    """Parse a YAML file into a mapping (ModelFileError naming the file otherwise)."""
    try:
        doc = yaml.load(path.read_text(), Loader=_SAFE_LOADER)
    except yaml.YAMLError as err:
        raise ModelFileError(path, "file", f"not valid YAML: {err}") from None
    if not isinstance(doc, Mapping):
        raise ModelFileError(path, "file", "top level must be a mapping")
    return doc


def check_module_header(path: Path, doc: Mapping) -> None:
    """A module file needs ``module: {id, name, description}`` and only module keys."""
    meta = doc.get("module")
    if not isinstance(meta, Mapping):
        raise ModelFileError(path, "module", "a module file needs a 'module:' mapping with id, name, description")
    for key in _MODULE_HEADER:
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise ModelFileError(path, "module", f"missing or empty '{key}' in the module header")
    unknown = set(doc) - MODULE_KEYS
    if unknown:
        raise ModelFileError(
            path, "file", f"unknown top-level key(s) {sorted(unknown)} in a module; allowed: {sorted(MODULE_KEYS)}"
        )


def compose(path: Path, doc: Mapping) -> tuple[dict, dict[int, Path]]:
    """Merge `doc` (the model file at `path`) with its includes.

    Returns:
        (merged document without ``include``, origin map ``id(entry) -> file``). Sections of the
        included files come first, in include order, then the including file's own entries.

    Raises:
        ModelFileError: a missing or cyclic include, a file of the wrong format, a reference key
            defined differently in two files, or a `regulation` entry that cannot apply.
    """
    origin: dict[int, Path] = {}
    merged: dict = {k: v for k, v in doc.items() if k not in ("include", *LIST_SECTIONS, "references")}
    merged["references"] = {}
    ref_origin: dict[str, Path] = {}
    for k in LIST_SECTIONS:
        merged[k] = []
    _collect(path, doc, merged, origin, ref_origin, stack=(path.resolve(),))
    _apply_removals(merged, merged.pop("remove"), origin)
    regulation = merged.pop("regulation")
    _apply_regulation(merged["reactions"], regulation, origin)
    return merged, origin


def _includes(path: Path, doc: Mapping) -> list[Path]:
    raw = doc.get("include")
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise ModelFileError(path, "include", "must be a list of file names (relative to this file)")
    out = []
    for name in raw:
        p = Path(name)
        if not p.is_absolute():
            p = path.parent / p
        if p.suffix == "":
            p = p.with_suffix(".yaml")
        if not p.is_file():
            raise ModelFileError(path, "include", f"included file {name!r} not found (looked for {p})")
        out.append(p)
    return out


def _collect(path, doc, merged, origin, ref_origin, stack):
    for inc in _includes(path, doc):
        if inc.resolve() in stack:
            chain = " -> ".join(p.name for p in stack + (inc.resolve(),))
            raise ModelFileError(path, "include", f"include cycle: {chain}")
        sub = read_yaml(inc)
        fmt = sub.get("format")
        if fmt == MODULE_FORMAT:
            check_module_header(inc, sub)
            if "include" in sub:
                raise ModelFileError(inc, "include", "module files cannot include other files")
        elif fmt != MODEL_FORMAT:
            raise ModelFileError(
                inc, "format", f"included file has format {fmt!r}; expected {MODULE_FORMAT!r} or {MODEL_FORMAT!r}"
            )
        _collect(inc, sub, merged, origin, ref_origin, stack + (inc.resolve(),))
    refs = doc.get("references") or {}
    if not isinstance(refs, Mapping):
        raise ModelFileError(path, "references", "must be a mapping key -> citation")
    for key, text in refs.items():
        if key in merged["references"] and str(merged["references"][key]).split()[:6] != str(text).split()[:6]:
            raise ModelFileError(path, f"reference {key!r}", f"defined differently in {ref_origin[key]}")
        merged["references"].setdefault(key, text)
        ref_origin.setdefault(key, path)
    for key in LIST_SECTIONS:
        val = doc.get(key)
        if val is None:
            continue
        if not isinstance(val, list):
            raise ModelFileError(path, key, "must be a list")
        for i, entry in enumerate(val):
            if not isinstance(entry, Mapping):
                raise ModelFileError(path, f"{key}[{i}]", "each entry must be a mapping")
            entry = dict(entry)
            if key == "compartments" and _same_compartment(merged[key], entry, origin, path):
                continue
            origin[id(entry)] = path
            merged[key].append(entry)


def _same_compartment(existing: list[dict], entry: dict, origin: dict[int, Path], path: Path) -> bool:
    """True if `entry` repeats a compartment already declared identically (id, volume, outside):
    shared compartments such as the nucleus may be declared by every module that needs them.
    A declaration with the same id but another volume or outside is an error naming both files."""
    for other in existing:
        if other.get("id") != entry.get("id"):
            continue
        va, vb = other.get("volume") or {}, entry.get("volume") or {}
        same = (
            isinstance(va, Mapping)
            and isinstance(vb, Mapping)
            and va.get("value") == vb.get("value")
            and va.get("unit") == vb.get("unit")
            and other.get("outside") == entry.get("outside")
        )
        if not same:
            raise ModelFileError(
                path,
                f"compartment {entry.get('id')!r}",
                f"declared differently in {origin[id(other)]} (a shared compartment needs the same volume and outside)",
            )
        return True
    return False


# `remove:` entry key -> the section its id lives in
REMOVABLE = {
    "reaction": "reactions",
    "species": "species",
    "parameter": "parameters",
    "observable": "observables",
    "conserved_moiety": "conserved_moieties",
}


def _apply_removals(merged: dict, removals: list[dict], origin: dict[int, Path]) -> None:
    """Delete the entries named by `remove:` entries (``{reaction: TCA, note: why}``) that another
    file defines. The removing file may define an entry of the same id itself, which then replaces
    the removed one (its own entries are never removed). Applied before `regulation`."""
    for i, rm in enumerate(removals):
        path = origin[id(rm)]
        item = f"remove[{i}]"
        kinds = [k for k in REMOVABLE if k in rm]
        unknown = set(rm) - set(REMOVABLE) - {"note", "source"}
        if unknown or len(kinds) != 1:
            raise ModelFileError(
                path,
                item,
                f"needs exactly one of {sorted(REMOVABLE)} (the id to remove) and a 'note'"
                + (f"; unknown key(s) {sorted(unknown)}" if unknown else ""),
            )
        kind = kinds[0]
        ident = rm[kind]
        item = f"remove {kind} {ident!r}"
        if not isinstance(rm.get("note"), str) or not rm["note"].strip():
            raise ModelFileError(path, item, "needs a 'note' saying why the entry is removed (and what replaces it)")
        section = merged[REMOVABLE[kind]]
        hits = [k for k, e in enumerate(section) if e.get("id") == ident and origin.get(id(e)) != path]
        if not hits:
            others = sorted({str(e.get("id")) for e in section if origin.get(id(e)) != path})
            err = UnknownNameError(kind, str(ident), others)
            raise ModelFileError(path, item, f"no entry of another included file to remove: {err}")
        for k in reversed(hits):
            del section[k]


def _apply_regulation(reactions: list[dict], regulation: list[dict], origin: dict[int, Path]) -> None:
    """Add a module's activators/inhibitors (with Ka_/Ki_ constants) and gene rules to reactions
    defined in another file. The reaction entries are replaced by modified copies."""
    by_id = {r.get("id"): k for k, r in enumerate(reactions)}
    for i, reg in enumerate(regulation):
        path = origin[id(reg)]
        rid = reg.get("reaction")
        item = f"regulation[{i}]"
        if rid not in by_id:
            err = UnknownNameError("reaction", str(rid), [str(x) for x in by_id])
            raise ModelFileError(path, item, str(err))
        item = f"regulation of reaction {rid!r}"
        unknown = set(reg) - {"reaction", "activators", "inhibitors", "gpr", "gpr_and", "note", "source"}
        if unknown:
            raise ModelFileError(
                path,
                item,
                f"unknown key(s) {sorted(unknown)}; allowed: reaction, activators, "
                "inhibitors, gpr, gpr_and, note, source",
            )
        k = by_id[rid]
        rxn = copy.deepcopy(reactions[k])
        origin[id(rxn)] = origin[id(reactions[k])]
        law = rxn.setdefault("rate_law", {})
        if not isinstance(law, dict):
            raise ModelFileError(path, item, "the target reaction has no rate_law mapping")
        params = law.setdefault("parameters", {})
        mods = rxn.setdefault("modifiers", {})
        for role, prefix in (("activators", "Ka_"), ("inhibitors", "Ki_")):
            add = reg.get(role) or {}
            if not isinstance(add, Mapping):
                raise ModelFileError(path, item, f"'{role}' must map species id -> constant {{value, unit, source}}")
            have = list(mods.get(role) or [])
            for sid, q in add.items():
                if sid in have:
                    raise ModelFileError(path, item, f"{sid!r} is already one of the reaction's {role}")
                have.append(sid)
                params[f"{prefix}{sid}"] = q
            if have:
                mods[role] = have
        if reg.get("gpr") is not None:
            if rxn.get("gpr"):
                raise ModelFileError(
                    path,
                    item,
                    f"reaction already has gpr {rxn['gpr']!r}; use 'gpr_and' to require an extra gene product",
                )
            rxn["gpr"] = reg["gpr"]
        if reg.get("gpr_and") is not None:
            rxn["gpr"] = f"({rxn['gpr']}) and ({reg['gpr_and']})" if rxn.get("gpr") else reg["gpr_and"]
        reactions[k] = rxn
