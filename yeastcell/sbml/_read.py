"""SBML file -> `ModelSpec` (with python-libsbml).

Numbers are taken as they are in the file (no unit conversion: an SBML model's own time unit plays
the role of yeastcell's minute, its substance and volume units those of mmol and L); the declared
model units are kept in `ModelSpec.units`. Everything yeastcell cannot simulate exactly fails here,
with `ModelFileError` naming the construct and the element id.
"""

from __future__ import annotations

import keyword
import math
from pathlib import Path
from typing import NoReturn

import libsbml

from ..exceptions import ModelFileError
from ..spec import (
    Compartment,
    Gene,
    InitialAssignment,
    ModelSpec,
    Parameter,
    RateLaw,
    Reaction,
    Rule,
    Species,
    StateEvent,
)
from ._fast import fast_to_algebraic
from ._mathml import TIME, MathTranslator, UnsupportedMathError, function_table

_RESERVED = {TIME, "True", "False", "None"}


class UnsupportedSBMLError(ModelFileError):
    """An SBML construct yeastcell does not simulate (the message names it and the element)."""

    def __init__(self, path, construct: str, element: str, detail: str = ""):
        self.construct = construct
        self.element = element
        super().__init__(path, element, f"unsupported SBML construct {construct}" + (f" ({detail})" if detail else ""))


def _nan_if_unset(is_set: bool, value: float) -> float:
    return float(value) if is_set else math.nan


def read_document(path: str | Path):
    """Read and check an SBML document; flatten `comp` models. Raises ModelFileError."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(path, "file", "not found")
    doc = libsbml.readSBMLFromFile(str(path))
    errors = [doc.getError(i) for i in range(doc.getNumErrors())]
    fatal = [e for e in errors if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    if fatal:
        e = fatal[0]
        raise ModelFileError(path, f"line {e.getLine()}", f"invalid SBML: {e.getMessage().strip()}")
    if doc.getModel() is None:
        raise ModelFileError(path, "model", "the document holds no model")
    if doc.isPackageEnabled("comp"):
        props = libsbml.ConversionProperties()
        props.addOption("flatten comp", True)
        props.addOption("leave_ports", False)
        if doc.convert(props) != libsbml.LIBSBML_OPERATION_SUCCESS:
            raise UnsupportedSBMLError(path, "comp", "model", "hierarchical model could not be flattened")
    for i in range(doc.getNumPlugins()):
        name = doc.getPlugin(i).getPackageName()
        if name not in ("fbc", "comp", "layout", "render", "l3v2extendedmath") and doc.getPackageRequired(name):
            raise UnsupportedSBMLError(path, f"package {name}", "sbml", "required package")
    for i in range(doc.getNumUnknownPackages()):
        uri = doc.getUnknownPackageURI(i)
        if doc.getPackageRequired(uri):
            raise UnsupportedSBMLError(path, f"package {doc.getUnknownPackagePrefix(i)}", "sbml", "required package")
    return doc


def load(path: str | Path) -> ModelSpec:
    """Read an SBML file (Level 2 or 3) into a `ModelSpec`.

    Raises:
        ModelFileError: unreadable or invalid SBML; `UnsupportedSBMLError` (a subclass) for
            delay csymbols, hierarchical models that cannot be flattened and other
            constructs yeastcell does not simulate.
    """
    path = Path(path)
    doc = read_document(path)
    return _Reader(path, doc.getModel()).spec()


class _Reader:
    def __init__(self, path: Path, model):
        self.path = path
        self.m = model
        ids = {e.getId() for e in _all_sids(model)}
        self.names: dict[str, str] = {}
        taken = set(ids) | _RESERVED
        for sid in sorted(ids):
            safe = sid
            if keyword.iskeyword(sid) or sid in _RESERVED or not sid.isidentifier():
                safe = sid + "_"
                while safe in taken:
                    safe += "_"
                taken.add(safe)
            self.names[sid] = safe
        self.tr = MathTranslator(function_table(model), lambda s: self.names.get(s, s))

    def unsupported(self, construct, element, detail="") -> NoReturn:
        raise UnsupportedSBMLError(self.path, construct, element, detail)

    def math(self, node, element: str, local=None) -> str:
        try:
            return self.tr(node, local)
        except UnsupportedMathError as err:
            self.unsupported(err.construct, element, str(err))

    def n(self, sid: str) -> str:
        return self.names.get(sid, sid)

    def spec(self) -> ModelSpec:
        m = self.m
        compartments = []
        for c in m.getListOfCompartments():
            dims = c.getSpatialDimensionsAsDouble() if m.getLevel() >= 3 else float(c.getSpatialDimensions())
            size = _nan_if_unset(c.isSetSize(), c.getSize())
            if dims == 0 or (math.isnan(dims) and not c.isSetSize()):
                size = 1.0 if math.isnan(size) else size
            compartments.append(
                Compartment(
                    self.n(c.getId()), c.getName() or c.getId(), size, constant=bool(c.getConstant()), dimensions=dims
                )
            )
        model_cf = self.n(m.getConversionFactor()) if m.getLevel() >= 3 and m.isSetConversionFactor() else None
        species = []
        for s in m.getListOfSpecies():
            amount = s.getInitialAmount() if s.isSetInitialAmount() else None
            conc = s.getInitialConcentration() if s.isSetInitialConcentration() else math.nan
            cf = self.n(s.getConversionFactor()) if m.getLevel() >= 3 and s.isSetConversionFactor() else model_cf
            species.append(
                Species(
                    self.n(s.getId()),
                    s.getName() or s.getId(),
                    self.n(s.getCompartment()),
                    conc,
                    constant=bool(s.getConstant()),
                    amount_based=bool(s.getHasOnlySubstanceUnits()),
                    boundary=bool(s.getBoundaryCondition()),
                    initial_amount=amount,
                    conversion_factor=cf,
                )
            )
        parameters = []
        for p in m.getListOfParameters():
            parameters.append(
                Parameter(
                    self.n(p.getId()),
                    _nan_if_unset(p.isSetValue(), p.getValue()),
                    unit=p.getUnits() or "",
                    constant=bool(p.getConstant()),
                )
            )
        rules: list[Rule] = []
        for r in m.getListOfRules():
            if r.isAlgebraic():
                if r.isSetMath():
                    text = libsbml.formulaToL3String(r.getMath())
                    rules.append(Rule("", self.math(r.getMath(), f"algebraicRule {text!r}"), "algebraic"))
                continue
            var = r.getVariable()
            kind = "assignment" if r.isAssignment() else "rate"
            if not r.isSetMath():
                continue  # SBML L3V2: a rule without math has no effect
            rules.append(Rule(self.n(var), self.math(r.getMath(), f"{kind}Rule for {var!r}"), kind))
        reactions = []
        extra_params: list[Parameter] = []
        self.fast: set[str] = set()
        for rx in m.getListOfReactions():
            reactions.append(self.reaction(rx, extra_params, rules))
        parameters.extend(extra_params)
        inits = [
            InitialAssignment(
                self.n(ia.getSymbol()), self.math(ia.getMath(), f"initialAssignment for {ia.getSymbol()!r}")
            )
            for ia in m.getListOfInitialAssignments()
            if ia.isSetMath()
        ]
        if self.fast:  # equilibrium constraints + conserved moieties (algebraic rules)
            assigned = {ia.variable for ia in inits}
            constants = {p.id: p.value for p in parameters if p.constant and p.id not in assigned}
            reactions, new_p, new_r, new_i = fast_to_algebraic(
                reactions, self.fast, species, rules, self.unsupported, constants=constants
            )
            parameters.extend(new_p)
            rules.extend(new_r)
            inits.extend(new_i)
        events = [ev for ev in (self.event(e, i) for i, e in enumerate(m.getListOfEvents())) if ev is not None]
        # constraints (m.getListOfConstraints()) are checks, not dynamics: ignored
        units = {}
        if m.getLevel() >= 3:
            for key in ("TimeUnits", "SubstanceUnits", "VolumeUnits", "ExtentUnits"):
                if getattr(m, f"isSet{key}")():
                    units[key[:-5].lower()] = getattr(m, f"get{key}")()
        renamed = {v: k for k, v in self.names.items() if k != v}
        genes = _fbc_genes(m)
        return ModelSpec(
            id=m.getId() or self.path.stem,
            name=m.getName() or m.getId() or self.path.stem,
            compartments=tuple(compartments),
            species=tuple(species),
            reactions=tuple(reactions),
            parameters=tuple(parameters),
            genes=genes,
            path=str(self.path),
            rules=tuple(rules),
            initial_assignments=tuple(inits),
            events=tuple(events),
            units=units,
            semantics="sbml",
            annotations={"format": f"SBML L{m.getLevel()}V{m.getVersion()}", "renamed": renamed},
        )

    def reaction(self, rx, extra_params, rules) -> Reaction:
        rid = rx.getId()
        if rx.isSetFast() and rx.getFast():
            self.fast.add(self.n(rid))
        stoich: dict[str, float] = {}
        terms: dict[str, list[tuple[float, str | None, float]]] = {}  # (coefficient, symbol, sign)
        for sign, refs in ((-1.0, rx.getListOfReactants()), (1.0, rx.getListOfProducts())):
            for sr in refs:
                sp = self.n(sr.getSpecies())
                sym = None
                if sr.isSetStoichiometryMath():
                    sym = f"{self.n(rid)}__stoich_{sp}_{len(extra_params)}"
                    val = math.nan
                    rules.append(
                        Rule(
                            sym,
                            self.math(
                                sr.getStoichiometryMath().getMath(),
                                f"stoichiometryMath of {sr.getSpecies()!r} in {rid!r}",
                            ),
                        )
                    )
                    extra_params.append(Parameter(sym, val, constant=False))
                else:
                    if sr.isSetStoichiometry():
                        val = float(sr.getStoichiometry())
                    elif self.m.getLevel() < 3:
                        val = 1.0
                    else:
                        val = math.nan if sr.isSetId() else 1.0
                    if sr.isSetId() and sr.getId():
                        sym = self.n(sr.getId())
                        const = bool(sr.getConstant()) if self.m.getLevel() >= 3 else True
                        extra_params.append(Parameter(sym, val, constant=const))
                if math.isnan(val) and sym is None:
                    val = 1.0
                terms.setdefault(sp, []).append((sign * (0.0 if math.isnan(val) else val), sym, sign))
        stoich_ids: dict[str, str] = {}
        for sp, ts in terms.items():
            if all(sym is None for _, sym, _ in ts):
                stoich[sp] = sum(v for v, _, _ in ts)
            elif len(ts) == 1:
                _, sym, sign = ts[0]
                assert sym is not None  # not all symbols are None, and there is one
                stoich[sp] = sign
                stoich_ids[sp] = sym
            else:  # several references to one species, some variable: a net-coefficient symbol
                net = f"{self.n(rid)}__net_{sp}"
                parts = [f"({sign} * {sym})" if sym else repr(v) for v, sym, sign in ts]
                rules.append(Rule(net, " + ".join(parts)))
                extra_params.append(Parameter(net, math.nan, constant=False))
                stoich[sp] = 1.0
                stoich_ids[sp] = net
        kl = rx.getKineticLaw()
        local = {}
        formula = "0.0"
        if kl is not None:
            lps = list(kl.getListOfLocalParameters()) if self.m.getLevel() >= 3 else list(kl.getListOfParameters())
            for p in lps:
                pid = p.getId()
                safe = pid if pid.isidentifier() and not keyword.iskeyword(pid) and pid not in _RESERVED else pid + "_"
                local[pid] = (safe, float(p.getValue()) if p.isSetValue() else math.nan)
            if kl.isSetMath():
                formula = self.math(
                    kl.getMath(), f"kineticLaw of reaction {rid!r}", {k: v[0] for k, v in local.items()}
                )
        comp = rx.getCompartment() if self.m.getLevel() >= 3 and rx.isSetCompartment() else ""
        if not comp:
            first = list(rx.getListOfReactants()) + list(rx.getListOfProducts())
            sp0 = self.m.getSpecies(first[0].getSpecies()) if first else None
            comp = (
                sp0.getCompartment()
                if sp0 is not None
                else (self.m.getCompartment(0).getId() if self.m.getNumCompartments() else "")
            )
        law = RateLaw(
            "expression",
            parameters={v[0]: v[1] for v in local.values()},
            formula=formula,
            reversible=bool(rx.getReversible()),
        )
        gpr = None
        fbc = rx.getPlugin("fbc")
        if fbc is not None and fbc.isSetGeneProductAssociation():
            gpa = fbc.getGeneProductAssociation().getAssociation()
            if gpa is not None:
                gpr = _gpr_string(gpa, self.m)
        return Reaction(
            self.n(rid),
            rx.getName() or rid,
            self.n(comp),
            stoich,
            law,
            gpr=gpr,
            balanced=False,
            rate_basis="amount",
            stoichiometry_ids=stoich_ids,
        )

    def event(self, e, i) -> StateEvent | None:
        eid = e.getId() or f"event_{i}"
        delay = None
        if e.isSetDelay() and e.getDelay().isSetMath():
            delay = self.math(e.getDelay().getMath(), f"delay of event {eid!r}")
        if not e.isSetTrigger() or not e.getTrigger().isSetMath():
            return None  # SBML L3V2: an event without a trigger never fires
        trig = e.getTrigger()
        trigger = self.math(trig.getMath(), f"trigger of event {eid!r}")
        l3 = self.m.getLevel() >= 3
        assigns = tuple(
            (self.n(a.getVariable()), self.math(a.getMath(), f"eventAssignment {a.getVariable()!r} of {eid!r}"))
            for a in e.getListOfEventAssignments()
            if a.isSetMath()
        )
        prio = None
        if l3 and e.isSetPriority() and e.getPriority().isSetMath():
            prio = self.math(e.getPriority().getMath(), f"priority of event {eid!r}")
        return StateEvent(
            eid,
            trigger,
            assigns,
            initial_value=bool(trig.getInitialValue()) if l3 else True,
            persistent=bool(trig.getPersistent()) if l3 else True,
            use_trigger_time_values=bool(e.getUseValuesFromTriggerTime())
            if (l3 or e.isSetUseValuesFromTriggerTime())
            else True,
            priority=prio,
            delay=delay,
        )


def _all_sids(model):
    out = []
    for lst in (
        model.getListOfCompartments(),
        model.getListOfSpecies(),
        model.getListOfParameters(),
        model.getListOfReactions(),
        model.getListOfFunctionDefinitions(),
    ):
        out.extend(x for x in lst if x.isSetId())
    for rx in model.getListOfReactions():
        for sr in list(rx.getListOfReactants()) + list(rx.getListOfProducts()):
            if sr.isSetId() and sr.getId():
                out.append(sr)
    return out


def _gpr_string(node, model) -> str:
    """fbc association -> 'A and (B or C)' over gene-product labels (ORFs)."""
    name = node.getElementName()
    if name == "geneProductRef":
        plug = model.getPlugin("fbc")
        gp = plug.getGeneProduct(node.getGeneProduct()) if plug is not None else None
        return (gp.getLabel() or gp.getId()) if gp is not None else node.getGeneProduct()
    parts = [_gpr_string(node.getAssociation(i), model) for i in range(node.getNumAssociations())]
    op = " and " if name == "and" else " or "
    return "(" + op.join(parts) + ")" if len(parts) > 1 else parts[0]


def _fbc_genes(model):

    plug = model.getPlugin("fbc")
    if plug is None:
        return ()
    out = []
    for gp in plug.getListOfGeneProducts():
        out.append(Gene(gp.getLabel() or gp.getId(), gp.getName() or None, None))
    return tuple(out)
