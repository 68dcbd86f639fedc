"""Read a YAML model file into a validated `ModelSpec` (see docs/model_format.md).

Every error names the file, the item and the problem, e.g.
``models/x.yaml: reaction 'HXK': unknown species 'GLCX' in stoichiometry``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from . import gpr as _gpr
from ._compose import MODULE_FORMAT, compose, read_yaml
from ._expr import ExpressionError, names_in, safe_identifier
from ._expression_spec import build_expression
from .exceptions import ModelFileError, UnitError
from .kinetics import EXPRESSION_KIND, KINDS
from .models import resolve_model_path
from .spec import (
    SPECIES_KINDS,
    Compartment,
    ConditionSpec,
    Gene,
    ModelSpec,
    Moiety,
    Observable,
    Parameter,
    RateLaw,
    Reaction,
    Species,
    _frozen,
)
from .units import CONCENTRATION, VOLUME, describe_dims, parse_unit

FORMAT = "yeastcell-model/1"
SBML_SUFFIXES = (".xml", ".sbml")
_TOP_KEYS = {
    "format",
    "model",
    "references",
    "compartments",
    "species",
    "parameters",
    "reactions",
    "genes",
    "observables",
    "conserved_moieties",
    "conditions",
    "include",
    "expression",
    "regulation",
    "remove",
}
_FORMULA = re.compile(r"^(?:[A-Z][a-z]?\d*(?:\.\d+)?)+$")


def load_model(path: str | Path) -> ModelSpec:
    """Load and validate a YAML model file.

    A model file may ``include`` module files (``format: yeastcell-module/1``) and other model
    files; they are merged into one model (see docs/model_format.md, "Composition").

    A path ending in ``.xml`` or ``.sbml`` is read as SBML (`yeastcell.sbml.load`, which needs
    python-libsbml), so every entry point that takes a model (``load_cell``, the command line's
    ``-m``) takes SBML files too.

    Args:
        path: a model file path (YAML, or SBML by suffix), or the name of an embedded model (e.g.
            ``"yeast_core"``, ``"yeast_cell"``).

    Raises:
        ModelFileError: the file is missing, not YAML (or not SBML), or inconsistent (message names
            the file and the item; for composed models the file the item comes from).
    """

    if is_sbml_path(path):
        return load_sbml(path)
    p = resolve_model_path(path)
    doc = read_yaml(p)
    if doc.get("format") == MODULE_FORMAT:
        raise ModelFileError(
            p,
            "format",
            "this is a module file (yeastcell-module/1); it cannot be loaded on "
            "its own: include it from a model file (e.g. models/yeast_cell.yaml)",
        )
    merged, origin = compose(p, doc)
    return _Builder(p, merged, origin).build()


def is_sbml_path(path: str | Path) -> bool:
    """True when `path` names an SBML file by its suffix (``.xml``, ``.sbml``)."""
    return Path(path).suffix.lower() in SBML_SUFFIXES


def load_sbml(path: str | Path) -> ModelSpec:
    """Read an SBML file into a `ModelSpec` (`yeastcell.sbml.load`).

    Raises:
        ModelFileError: the file is missing, python-libsbml is not installed, or the SBML cannot be read.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(p, "file", "no such file")
    try:
        # python-libsbml is optional (pip install python-libsbml): imported only when SBML is read
        from .sbml import load as _load_sbml
    except ImportError as err:
        raise ModelFileError(
            p, "file", f"reading SBML needs python-libsbml ({err}); pip install python-libsbml"
        ) from None
    return _load_sbml(p)


class _Builder:
    def __init__(self, path: Path, doc: Mapping, origin: Mapping[int, Path] | None = None):
        self.path, self.doc = path, doc
        self.root = path
        self.origin = dict(origin or {})
        self.ids: dict[str, tuple[str, Path]] = {}  # global id namespace -> (what, file)

    def fail(self, item: str, problem: str) -> NoReturn:
        raise ModelFileError(self.path, item, problem)

    def _at(self, entry) -> None:
        """Errors from here on name the file `entry` comes from (composed models)."""
        self.path = self.origin.get(id(entry), self.root)

    def _where(self, path: Path) -> str:
        return "" if path == self.path else f" in {path}"

    # ---------------------------------------------------------------- helpers
    def _list(self, key: str) -> list:
        val = self.doc.get(key) or []
        if not isinstance(val, list):
            self.fail(key, "must be a list")
        for i, entry in enumerate(val):
            if not isinstance(entry, Mapping):
                self.fail(f"{key}[{i}]", "each entry must be a mapping")
        return val

    def _str(self, entry: Mapping, key: str, item: str, default=None, required: bool = False):
        """A string field (or `default` when absent); anything else is an error naming the field."""
        if key not in entry or entry[key] is None:
            if required:
                self.fail(item, f"missing '{key}'")
            return default
        val = entry[key]
        if not isinstance(val, str) or not val.strip():
            self.fail(item, f"'{key}' must be a non-empty string, got {val!r}")
        return val

    def _id(self, entry: Mapping, item: str, what: str) -> str:
        self._at(entry)
        ident = entry.get("id")
        if not isinstance(ident, str) or not safe_identifier(ident):
            self.fail(item, f"missing or invalid id {ident!r} (must be a Python identifier)")
        if ident in self.ids:
            other, where = self.ids[ident]
            self.fail(f"{what} {ident!r}", f"duplicate id (already used by a {other} in {where})")
        self.ids[ident] = (what, self.path)
        return ident

    def _source(self, value, item: str, required: bool):
        if value is None:
            if required:
                self.fail(item, "missing 'source' (every authored number must cite a reference)")
            return None
        first = re.split(r"[,;:\s]", str(value).strip(), maxsplit=1)[0]
        if self.references and first not in self.references:
            self.fail(
                item,
                f"source {value!r} does not start with a key of 'references' "
                f"({', '.join(sorted(self.references)[:8])}...)",
            )
        return str(value)

    def _quantity(self, q, item: str, dims, required_source: bool) -> float:
        if not isinstance(q, Mapping) or "value" not in q or "unit" not in q:
            self.fail(item, "must be a mapping with 'value' and 'unit'")
        try:
            value = float(q["value"])
        except (TypeError, ValueError):
            self.fail(item, f"value {q['value']!r} is not a number")
        try:
            unit = parse_unit(q["unit"])
        except UnitError as err:
            self.fail(item, str(err))
        if dims is not None and unit.dims != tuple(dims):
            self.fail(
                item, f"unit mismatch: {q['unit']!r} is {describe_dims(unit.dims)}, expected {describe_dims(dims)}"
            )
        if value != value:
            self.fail(item, "value is NaN")
        self._source(q.get("source"), item, required_source)
        return value * unit.factor

    # ---------------------------------------------------------------- sections
    def build(self) -> ModelSpec:
        doc = self.doc
        unknown = set(doc) - _TOP_KEYS
        if unknown:
            self.fail("file", f"unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
        if doc.get("format", FORMAT) != FORMAT:
            self.fail("format", f"unsupported format {doc.get('format')!r}; expected {FORMAT!r}")
        meta = doc.get("model") or {}
        if not isinstance(meta, Mapping) or not isinstance(meta.get("id"), str):
            self.fail("model", "needs a mapping with at least an 'id'")
        self.references = dict(doc.get("references") or {})
        compartments = self._compartments()
        species = self._species(compartments)
        parameters = self._parameters()
        genes = self._genes(species)
        reactions = self._reactions(compartments, species, parameters, genes)
        generated, expression = build_expression(self, species, parameters, genes, compartments)
        reactions += generated
        self.path = self.root
        observables = self._observables(species, parameters, reactions)
        moieties = self._moieties(species, reactions, compartments)
        conditions = self._conditions(species, parameters, reactions)
        return ModelSpec(
            id=meta["id"],
            name=str(meta.get("name", meta["id"])),
            version=str(meta.get("version", "")),
            description=str(meta.get("description", "")),
            compartments=tuple(compartments.values()),
            species=tuple(species.values()),
            parameters=tuple(parameters.values()),
            reactions=tuple(reactions),
            genes=tuple(genes.values()),
            observables=tuple(observables),
            conserved_moieties=tuple(moieties),
            conditions=tuple(conditions),
            references=_frozen(self.references),
            path=str(self.root),
            expression=tuple(expression),
        )

    def _compartments(self) -> dict[str, Compartment]:
        out = {}
        for i, e in enumerate(self._list("compartments")):
            cid = self._id(e, f"compartments[{i}]", "compartment")
            item = f"compartment {cid!r}"
            vol = self._quantity(e.get("volume"), f"{item} volume", VOLUME, required_source=True)
            if vol <= 0:
                self.fail(f"{item} volume", "must be positive")
            out[cid] = Compartment(
                cid, str(e.get("name", cid)), vol, self._str(e, "outside", item), e["volume"].get("source")
            )
        for c in out.values():
            if c.outside is not None and c.outside not in out:
                self.fail(f"compartment {c.id!r}", f"'outside' names unknown compartment {c.outside!r}")
        if not out:
            self.fail("compartments", "a model needs at least one compartment")
        return out

    def _species(self, compartments) -> dict[str, Species]:
        out = {}
        for i, e in enumerate(self._list("species")):
            sid = self._id(e, f"species[{i}]", "species")
            item = f"species {sid!r}"
            comp = self._str(e, "compartment", item, required=True)
            if comp not in compartments:
                self.fail(item, f"unknown compartment {comp!r}")
            kind = self._str(e, "kind", item, "metabolite")
            if kind not in SPECIES_KINDS:
                self.fail(item, f"kind {kind!r} must be one of {SPECIES_KINDS}")
            # signals (e.g. a relative cell volume) may be dimensionless; everything else is mM
            dims = None if kind == "signal" else CONCENTRATION
            init = self._quantity(e.get("initial"), f"{item} initial", dims, required_source=False)
            if kind == "signal" and parse_unit(e["initial"]["unit"]).dims not in (CONCENTRATION, (0, 0, 0)):
                self.fail(f"{item} initial", "a signal is a concentration or dimensionless")
            if init < 0:
                self.fail(f"{item} initial", f"negative concentration {init}")
            formula = e.get("formula")
            if formula is not None and not _FORMULA.match(str(formula)):
                self.fail(item, f"formula {formula!r} is not an element formula like C6H12O6")
            if not isinstance(e.get("constant", False), bool):
                self.fail(item, f"'constant' must be true or false, got {e.get('constant')!r}")
            out[sid] = Species(
                sid,
                str(e.get("name", sid)),
                comp,
                init,
                kind,
                None if formula is None else str(formula),
                bool(e.get("constant", False)),
                (e.get("initial") or {}).get("source"),
            )
        return out

    def _parameters(self) -> dict[str, Parameter]:
        out = {}
        for i, e in enumerate(self._list("parameters")):
            pid = self._id(e, f"parameters[{i}]", "parameter")
            value = self._quantity(e, f"parameter {pid!r}", None, required_source=True)
            out[pid] = Parameter(pid, value, str(e.get("unit")), e.get("source"))
        return out

    def _genes(self, species) -> dict[str, Gene]:
        out: dict[str, Gene] = {}
        names: dict[str, str] = {}
        gene_file: dict[str, Path] = {}
        for i, e in enumerate(self._list("genes")):
            self._at(e)
            orf = self._str(e, "orf", f"genes[{i}]", required=True)
            item = f"gene {orf!r}"
            if orf in out:
                self.fail(item, f"duplicate gene (already in {gene_file[orf]})")
            gene_file[orf] = self.path
            name = e.get("name")
            if name is not None:
                if str(name).upper() in names:
                    self.fail(item, f"standard name {name!r} already used by {names[str(name).upper()]!r}")
                names[str(name).upper()] = orf
            prot = self._str(e, "protein", item)
            if prot is not None:
                if prot not in species:
                    self.fail(item, f"protein {prot!r} is not a species")
                if species[prot].kind not in ("protein", "complex"):
                    self.fail(item, f"protein {prot!r} has kind {species[prot].kind!r}, expected 'protein'")
            out[orf] = Gene(orf, None if name is None else str(name), prot, e.get("source"))
        return out

    def _reactions(self, compartments, species, parameters, genes) -> list[Reaction]:
        out = []
        for i, e in enumerate(self._list("reactions")):
            rid = self._id(e, f"reactions[{i}]", "reaction")
            item = f"reaction {rid!r}"
            stoich = e.get("stoichiometry")
            if not isinstance(stoich, Mapping) or not stoich:
                self.fail(item, "needs a non-empty 'stoichiometry' mapping species -> coefficient")
            for sid, coef in stoich.items():
                if not isinstance(sid, str) or sid not in species:
                    self.fail(item, f"unknown species {sid!r} in stoichiometry")
                if isinstance(coef, bool) or not isinstance(coef, (int, float)) or coef == 0 or coef != coef:
                    self.fail(item, f"coefficient of {sid!r} must be a non-zero number, got {coef!r}")
            comps = {species[s].compartment for s in stoich}
            if len(comps) > 2:
                self.fail(item, f"spans {len(comps)} compartments {sorted(comps)}; at most two (a membrane)")
            if len(comps) == 2:
                a, b = sorted(comps)
                if compartments[a].outside != b and compartments[b].outside != a:
                    self.fail(
                        item,
                        f"transports between {a!r} and {b!r}, which share no membrane "
                        "(neither names the other as 'outside')",
                    )
            comp = self._str(e, "compartment", item) or species[next(iter(stoich))].compartment
            if comp not in compartments:
                self.fail(item, f"unknown compartment {comp!r}")
            mods = e.get("modifiers") or {}
            if not isinstance(mods, Mapping):
                self.fail(item, "'modifiers' must be a mapping with 'activators' and/or 'inhibitors'")
            activators = tuple(mods.get("activators") or ())
            inhibitors = tuple(mods.get("inhibitors") or ())
            for m in activators + inhibitors:
                if m not in species:
                    self.fail(item, f"unknown modifier species {m!r}")
            rule = self._str(e, "gpr", item)
            if rule is not None:
                try:
                    tree = _gpr.parse(str(rule))
                except _gpr.GPRSyntaxError as err:
                    self.fail(item, str(err))
                for g in sorted(_gpr.genes_of(tree)):
                    if g not in genes:
                        self.fail(item, f"gene {g!r} in gpr is not in the 'genes' table")
            lumped = e.get("lumped", False)
            if not isinstance(lumped, bool):
                self.fail(item, f"'lumped' must be true or false, got {lumped!r}")
            if lumped and rule is None:
                self.fail(item, "'lumped: true' needs a gpr (its top-level 'and' terms are the pathway's steps)")
            law = self._rate_law(e.get("rate_law"), item, stoich, species, parameters, activators, inhibitors)
            out.append(
                Reaction(
                    rid,
                    str(e.get("name", rid)),
                    comp,
                    _frozen({k: float(v) for k, v in stoich.items()}),
                    law,
                    None if rule is None else str(rule),
                    activators,
                    inhibitors,
                    bool(e.get("balanced", True)),
                    e.get("note"),
                    lumped=lumped,
                )
            )
        return out

    def _rate_law(self, law, item, stoich, species, parameters, activators, inhibitors) -> RateLaw:
        if not isinstance(law, Mapping) or "kind" not in law:
            self.fail(item, "needs a 'rate_law' mapping with a 'kind'")
        item = f"{item} rate_law"
        kind = self._str(law, "kind", item, required=True)
        if kind == EXPRESSION_KIND:
            formula = law.get("formula")
            if not isinstance(formula, str):
                self.fail(item, "kind 'expression' needs a 'formula' string")
            local = {
                k: self._quantity(v, f"{item} parameter {k!r}", None, True)
                for k, v in (law.get("parameters") or {}).items()
            }
            try:
                used = names_in(formula)
            except ExpressionError as err:
                self.fail(item, str(err))
            unknown = used - set(species) - set(parameters) - set(local) - {"time"}
            if unknown:
                self.fail(item, f"formula uses unknown name(s) {sorted(unknown)}")
            unused = [m for m in activators + inhibitors if m not in used]
            if unused:  # an expression writes its modifiers' effect itself; listing them only annotates
                self.fail(item, f"modifier(s) {unused} are not used in the formula {formula!r}")
            return RateLaw(kind, parameters=_frozen(local), formula=formula)
        if kind not in KINDS:
            self.fail(item, f"unknown kind {kind!r}; known: {sorted(KINDS) + [EXPRESSION_KIND]}")
        k = KINDS[kind]
        for key in ("substrates", "products"):
            val = law.get(key)
            if val is not None and (not isinstance(val, list) or not all(isinstance(x, str) for x in val)):
                self.fail(item, f"'{key}' must be a list of species ids, got {val!r}")
        if law.get("roles") is not None and not isinstance(law.get("roles"), Mapping):
            self.fail(item, "'roles' must be a mapping role -> species id")
        subs = tuple(law.get("substrates") or [s for s, c in stoich.items() if c < 0])
        prods = tuple(law.get("products") or [s for s, c in stoich.items() if c > 0])
        if kind in ("mass_action",) and (law.get("substrates") or law.get("products")):
            self.fail(item, "mass_action takes its substrates and products from the stoichiometry")
        for s in subs + prods:
            if s not in stoich:
                self.fail(item, f"kinetic role species {s!r} is not in the stoichiometry")
        signs = {("s", stoich[s] < 0) for s in subs} | {("p", stoich[s] > 0) for s in prods}
        if not (signs <= {("s", True), ("p", True)} or signs <= {("s", False), ("p", False)}):
            self.fail(
                item,
                "substrates/products do not match the stoichiometry's direction "
                "(all substrates must be consumed and products made, or all the reverse)",
            )
        if k.n_substrates is not None and len(subs) != k.n_substrates:
            self.fail(item, f"kind {kind!r} needs {k.n_substrates} substrate(s), got {list(subs)}")
        if k.n_products is not None and len(prods) != k.n_products:
            self.fail(item, f"kind {kind!r} needs {k.n_products} product(s), got {list(prods)}")
        roles = dict(law.get("roles") or {})
        for r in k.roles:
            if r not in roles:
                self.fail(item, f"kind {kind!r} needs role {r!r} bound to a species")
        for r, s in roles.items():
            if r not in k.roles:
                self.fail(item, f"kind {kind!r} has no role {r!r} (roles: {list(k.roles)})")
            if s not in species:
                self.fail(item, f"role {r!r} names unknown species {s!r}")
        raw = law.get("parameters") or {}
        if not isinstance(raw, Mapping):
            self.fail(item, "'parameters' must be a mapping")
        s_orders = [abs(stoich[s]) for s in subs]
        p_orders = [abs(stoich[s]) for s in prods]
        values = {}
        for name, q in raw.items():
            dims = (
                CONCENTRATION
                if name.startswith(("Ki_", "Ka_")) and name[3:] in activators + inhibitors
                else k.param_dims(name, s_orders, p_orders)
            )
            values[name] = self._quantity(q, f"{item} parameter {name!r}", dims, required_source=True)
        if kind in ("reversible_mm", "ordered_uni_bi", "ordered_bi_bi"):
            have = {"Vmax", "Vmax_r", "Keq"} & set(values)
            if len(have) != 2:
                self.fail(item, f"give exactly two of Vmax, Vmax_r, Keq (Haldane relation); got {sorted(have)}")
        expected = k.param_names(subs, prods)
        needed = set(expected) - {"Vmax", "Keq"} - set(k.optional)
        missing = sorted(n for n in needed if n not in values)
        if missing:
            self.fail(item, f"missing parameter(s) {missing} for kind {kind!r}")
        for m in inhibitors:
            if f"Ki_{m}" not in values:
                self.fail(item, f"inhibitor {m!r} needs parameter 'Ki_{m}'")
        for m in activators:
            if f"Ka_{m}" not in values:
                self.fail(item, f"activator {m!r} needs parameter 'Ka_{m}'")
        allowed = set(expected) | {"Vmax_r"} | {f"Ki_{m}" for m in inhibitors} | {f"Ka_{m}" for m in activators}
        extra = sorted(set(values) - allowed)
        if extra:
            self.fail(item, f"unknown parameter(s) {extra} for kind {kind!r}; expected {expected}")
        reversible = bool(law.get("reversible", kind != "mass_action" or "kr" in values))
        canon = k.canonical(values, subs, prods)
        for name, v in canon.items():
            if v < 0 or v != v:
                self.fail(f"{item} parameter {name!r}", f"must be a non-negative number, got {v}")
        return RateLaw(kind, subs, prods, _frozen(roles), _frozen(canon), None, reversible)

    def _observables(self, species, parameters, reactions) -> list[Observable]:
        known = set(species) | set(parameters) | {r.id for r in reactions}
        out = []
        for i, e in enumerate(self._list("observables")):
            oid = self._id(e, f"observables[{i}]", "observable")
            expr = e.get("expression")
            if not isinstance(expr, str):
                self.fail(f"observable {oid!r}", "needs an 'expression' string")
            try:
                unknown = names_in(expr) - known
            except ExpressionError as err:
                self.fail(f"observable {oid!r}", str(err))
            if unknown:
                self.fail(f"observable {oid!r}", f"expression uses unknown name(s) {sorted(unknown)}")
            out.append(Observable(oid, expr, e.get("name"), e.get("unit")))
        return out

    def _moieties(self, species, reactions, compartments) -> list[Moiety]:
        out = []
        for i, e in enumerate(self._list("conserved_moieties")):
            self._at(e)
            mid = e.get("id", f"conserved_moieties[{i}]")
            members = e.get("species") or {}
            item = f"conserved moiety {mid!r}"
            for s in members:
                if s not in species:
                    self.fail(item, f"unknown species {s!r}")
                if species[s].constant:
                    self.fail(item, f"species {s!r} is constant (clamped) and cannot be part of a moiety")
            for r in reactions:
                total = sum(w * r.stoichiometry.get(s, 0.0) for s, w in members.items())
                if abs(total) > 1e-12:
                    self.fail(item, f"not conserved by reaction {r.id!r} (net change {total:+g} per turnover)")
            out.append(Moiety(str(mid), _frozen({k: float(v) for k, v in members.items()})))
        return out

    def _condition_scale(self, item: str, m, parameters, reactions) -> Mapping[str, float]:
        """A condition's ``scale:`` mapping {parameter: positive factor}; a parameter is a global
        parameter id or ``REACTION.NAME`` of a rate-law parameter of that reaction."""
        if not isinstance(m, Mapping):
            self.fail(item, f"scale: must be a mapping of parameter -> factor, got {type(m).__name__}")
        laws = {r.id: r.rate_law.parameters for r in reactions}
        out = {}
        for name, v in m.items():
            rid, _, pname = str(name).partition(".")
            known = name in parameters if not pname else (rid in laws and pname in laws[rid])
            if not known:
                self.fail(item, f"scale: unknown parameter {name!r} (a global parameter id or REACTION.NAME)")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                self.fail(item, f"scale: factor of {name!r} must be a positive number, got {v!r}")
            out[str(name)] = float(v)
        return _frozen(out)

    def _conditions(self, species, parameters, reactions) -> list[ConditionSpec]:
        out = []
        seen: dict[str, Path] = {}
        for i, e in enumerate(self._list("conditions")):
            self._at(e)
            cid = e.get("id")
            if not isinstance(cid, str) or cid in seen:
                where = f" (already defined in {seen[cid]})" if isinstance(cid, str) and cid in seen else ""
                self.fail(f"conditions[{i}]", f"missing or duplicate id {cid!r}{where}")
            seen[cid] = self.path
            item = f"condition {cid!r}"
            maps = {}
            for key in ("clamp", "initial"):
                m = e.get(key) or {}
                for s, v in m.items():
                    if s not in species:
                        self.fail(item, f"{key}: unknown species {s!r}")
                    if not isinstance(v, (int, float)) or v < 0:
                        self.fail(item, f"{key}: {s!r} must be a non-negative concentration in mM, got {v!r}")
                maps[key] = _frozen({s: float(v) for s, v in m.items()})
            scale = self._condition_scale(item, e.get("scale") or {}, parameters, reactions)
            self._source(e.get("source"), item, required=False)
            out.append(ConditionSpec(cid, e.get("name"), maps["clamp"], maps["initial"], e.get("source"), scale))
        return out
