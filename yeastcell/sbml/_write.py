"""ModelSpec / Cell -> SBML Level 3 Version 2 (+ fbc v2 gene associations), written atomically.

An SBML-imported spec is written back with its own semantics. A yeastcell (YAML) model is
translated: species are concentrations (mM) in compartments of their volume (L), each rate law
kind becomes the explicit formula of `yeastcell.kinetics` times the reaction compartment's volume
(SBML kinetic laws are amounts per time), general modifiers and GPR enzyme factors are written
into the formula, clamped species become boundary species, and the kind's parameters become local
parameters named as in the model file. Numbers come from the `Cell` when one is given (fitted
parameters, perturbed initial values), else from the spec.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import libsbml

from .. import gpr as _gpr
from .._expr import names_in, parse
from .._proteome import PROTEOME_KINDS, SYNTHESIS_KIND, TURNOVER_KIND
from ..cells import AbstractCell
from ..exceptions import ModelFileError, UnknownNameError
from ..io import atomic_path
from ..kinetics import PFK_PARAMS
from ..spec import ModelSpec

_FN = {"ceil": "ceiling", "ln": "ln", "log10": "log10"}


def to_l3(formula: str) -> str:
    """A yeastcell formula (Python syntax) as an SBML L3 infix string (for `parseL3Formula`)."""
    return _l3(parse(formula).body)


def _l3(n) -> str:
    if isinstance(n, ast.Constant):
        if isinstance(n.value, bool):
            return "true" if n.value else "false"
        v = float(cast(float, n.value))  # formulas hold numeric constants only
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "INF" if v > 0 else "(-INF)"
        return repr(v)
    if isinstance(n, ast.Name):
        return {"True": "true", "False": "false", "pi": "pi", "inf": "INF", "nan": "NaN"}.get(n.id, n.id)
    if isinstance(n, ast.BinOp):
        op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}[type(n.op)]
        return f"({_l3(n.left)} {op} {_l3(n.right)})"
    if isinstance(n, ast.UnaryOp):
        if isinstance(n.op, ast.Not):
            return f"!({_l3(n.operand)})"
        return f"(-{_l3(n.operand)})" if isinstance(n.op, ast.USub) else _l3(n.operand)
    if isinstance(n, ast.BoolOp):
        op = " && " if isinstance(n.op, ast.And) else " || "
        return "(" + op.join(_l3(v) for v in n.values) + ")"
    if isinstance(n, ast.Compare):
        vals = [n.left] + list(n.comparators)
        ops = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
        parts = [f"({_l3(a)} {ops[type(o)]} {_l3(b)})" for a, o, b in zip(vals[:-1], n.ops, vals[1:])]
        return parts[0] if len(parts) == 1 else "(" + " && ".join(parts) + ")"
    if isinstance(n, ast.IfExp):
        return f"piecewise({_l3(n.body)}, {_l3(n.test)}, {_l3(n.orelse)})"
    if isinstance(n, ast.Call):
        name = cast(ast.Name, n.func).id  # formulas call functions by name only
        args = [_l3(a) for a in n.args]
        if name == "log":
            return f"ln({args[0]})" if len(args) == 1 else f"log({args[0]}, {args[1]})"
        if name in ("pow", "power"):
            return f"({args[0]} ^ {args[1]})"
        return f"{_FN.get(name, name)}({', '.join(args)})"
    raise ModelFileError("<formula>", ast.unparse(n), "cannot be written as SBML")


def _math(formula: str, item: str):
    node = libsbml.parseL3Formula(to_l3(formula))
    if node is None:
        raise ModelFileError(
            "<sbml export>", item, f"cannot translate formula {formula!r}: {libsbml.getLastParseL3Error()}"
        )
    return node


def _check(code, what):
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ModelFileError("<sbml export>", what, f"libsbml error: {libsbml.OperationReturnValue_toString(code)}")


# ---------------------------------------------------------------------------- rate-law kinds
def _prod(xs):
    return " * ".join(xs) if xs else "1.0"


def kind_formula(r) -> str:
    """The concentration rate (mM/min) of a non-expression rate law, in stoichiometric direction."""
    law = r.rate_law
    S, P = list(law.substrates), list(law.products)
    k = law.kind
    if k == "mass_action":
        fs = [f"pow({s}, {abs(r.stoichiometry[s])!r})" for s in S]
        fp = [f"pow({p}, {abs(r.stoichiometry[p])!r})" for p in P]
        f = f"(kf * {_prod(fs)} - kr * {_prod(fp)})"
    elif k == "irreversible_mm":
        f = f"(Vmax * {_prod([f'({s} / (Km_{s} + {s}))' for s in S])})"
    elif k == "reversible_mm":
        den = _prod([f"(1.0 + {s} / Km_{s} + {p} / Km_{p})" for s, p in zip(S, P)])
        f = f"(Vmax / ({_prod([f'Km_{s}' for s in S])}) * ({_prod(S)} - {_prod(P)} / Keq) / ({den}))"
    elif k == "hill":
        f = f"(Vmax * pow({S[0]} / K, n) / (1.0 + pow({S[0]} / K, n)))"
    elif k == "facilitated_transport":
        So, Si = S[0], P[0]
        f = (
            f"(Vmax / Km_out * ({So} - {Si} / Keq) / (1.0 + {So} / Km_out + {Si} / Km_in"
            f" + alpha * {So} * {Si} / (Km_out * Km_in)))"
        )
    elif k == "ordered_uni_bi":
        A, Pp, Q = S[0], P[0], P[1]
        f = (
            f"(Vmax / Km_A * ({A} - {Pp} * {Q} / Keq) / (1.0 + {A} / Km_A + {Pp} / Km_P + {Q} / Km_Q"
            f" + {Pp} * {Q} / (Km_P * Km_Q) + {A} * {Pp} / (Ki_P * Km_A)))"
        )
    elif k == "ordered_bi_bi":
        A, B, Pp, Q = S[0], S[1], P[0], P[1]
        den = (
            f"(1.0 + {A} / Ki_A + Km_A * {B} / (Ki_A * Km_B) + Km_Q * {Pp} / (Ki_Q * Km_P) + {Q} / Ki_Q"
            f" + {A} * {B} / (Ki_A * Km_B) + Km_Q * {A} * {Pp} / (Ki_A * Ki_Q * Km_P)"
            f" + Km_A * {B} * {Q} / (Ki_A * Km_B * Ki_Q) + {Pp} * {Q} / (Ki_Q * Km_P)"
            f" + {A} * {B} * {Pp} / (Ki_A * Km_B * Ki_P) + {B} * {Pp} * {Q} / (Ki_B * Ki_Q * Km_P))"
        )
        f = f"(Vmax / (Ki_A * Km_B) * ({A} * {B} - {Pp} * {Q} / Keq) / {den})"
    elif k == "pfk_allosteric":
        R = law.roles
        F6, AT, AM, F26, F16 = (R[x] for x in ("F6P", "ATP", "AMP", "F26BP", "F16BP"))
        f_, a_ = f"({F6} / Km_F6P)", f"({AT} / Km_ATP)"
        Rr = f"(1.0 + {f_} + {a_} + gR * {f_} * {a_})"
        T = f"(1.0 + C_ATP * {a_})"
        L = (
            f"(L0 * pow((1.0 + Ci_ATP * {AT} / Ki_ATP) / (1.0 + {AT} / Ki_ATP), 2)"
            f" * pow((1.0 + C_AMP * {AM} / K_AMP) / (1.0 + {AM} / K_AMP), 2)"
            f" * pow((1.0 + C_F26BP * {F26} / K_F26BP + C_F16BP * {F16} / K_F16BP)"
            f" / (1.0 + {F26} / K_F26BP + {F16} / K_F16BP), 2))"
        )
        f = f"(Vmax * gR * {f_} * {a_} * {Rr} / (pow({Rr}, 2) + {L} * pow({T}, 2)))"
        assert PFK_PARAMS
    elif k == SYNTHESIS_KIND:  # yeastcell._proteome: basal rate times activator and repressor factors
        factors = ["k_basal"]
        for slot, tf in law.roles.items():
            x = f"pow({tf} / K_{slot}, n_{slot})"
            factors.append(
                f"((1.0 + fold_{slot} * {x}) / (1.0 + {x}))" if slot.startswith("act") else f"(1.0 / (1.0 + {x}))"
            )
        f = f"({_prod(factors)})"
    elif k == TURNOVER_KIND:  # degradation plus dilution at the growth rate (a global parameter)
        f = f"((kdeg + {law.dilution or '0.0'}) * {S[0]})"
    else:
        raise ModelFileError("<sbml export>", f"reaction {r.id!r}", f"rate-law kind {k!r} has no SBML formula")
    sign = 1.0 if all(r.stoichiometry[s] < 0 for s in S) and all(r.stoichiometry[p] > 0 for p in P) else -1.0
    return f if sign > 0 else f"(-{f})"


# ---------------------------------------------------------------------------- writer
def write(
    cell_or_spec,
    path: str | Path,
    global_parameters: Mapping[str, str] | None = None,
    rate_scales: Mapping[str, str] | None = None,
    boundary: tuple[str, ...] = (),
    genes: bool = True,
) -> Path:
    """Write a `Cell` or `ModelSpec` as SBML L3V2 (atomically).

    Args:
        global_parameters: reaction-local parameters (``"REACTION.param"``, as in `Cell.theta_names`)
            to write as global SBML parameters, with their SBML ids, so that other tools (PEtab
            condition and parameter tables) can address them.
        rate_scales: reaction id -> id of a new global parameter (value 1) that multiplies the
            reaction's kinetic law (how a knockout or knockdown condition is written for other tools).
        boundary: species to write as boundary species (held at their initial value, as a clamp).
        genes: write the genes and gene associations (SBML fbc); some tools (AMICI) refuse them.

    Raises:
        ModelFileError: a formula or rate-law kind that has no SBML form, an unknown reaction or
            local parameter, or a new id that is not a valid SBML id or is already taken.
    """

    cell = cell_or_spec if isinstance(cell_or_spec, AbstractCell) else None
    spec: ModelSpec = cell.spec if cell is not None else cell_or_spec
    promote = _check_new_ids(spec, dict(global_parameters or {}), dict(rate_scales or {}))
    unknown = [b for b in boundary if b not in {s.id for s in spec.species}]
    if unknown:
        raise UnknownNameError("species", unknown[0], [s.id for s in spec.species])
    doc = _document(spec, cell, promote, dict(rate_scales or {}), frozenset(boundary), genes)
    text = libsbml.writeSBMLToString(doc)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)
    return Path(path)


def _values(spec, cell):
    """Numbers to write: (compartment sizes, species values, theta by name)."""
    comps = {c.id: c.volume_L for c in spec.compartments}
    species = {s.id: s.initial_mM for s in spec.species}
    theta = {}
    if cell is not None:
        comps = dict(zip(cell.compartment_ids, (float(v) for v in cell.volumes)))
        species = dict(zip(cell.species_ids, (float(v) for v in cell.c0)))
        theta = dict(zip(cell.theta_names, (float(v) for v in cell.theta)))
    return comps, species, theta


def _check_new_ids(spec: ModelSpec, global_parameters: dict, rate_scales: dict) -> dict:
    """Validate the promoted local parameters and rate-scale ids; returns {reaction: {local: id}}."""
    taken = {c.id for c in spec.compartments} | {s.id for s in spec.species} | {p.id for p in spec.parameters}
    taken |= {r.id for r in spec.reactions}
    reactions = {r.id: r for r in spec.reactions}
    promote: dict[str, dict[str, str]] = {}
    new = list(global_parameters.values()) + list(rate_scales.values())
    for sid in new:
        if not libsbml.SyntaxChecker.isValidSBMLSId(sid) or sid in taken or new.count(sid) > 1:
            raise ModelFileError("SBML export", f"new global parameter {sid!r}", "not a valid, unused SBML id")
    for name, sid in global_parameters.items():
        rid, _, local = name.partition(".")
        if rid not in reactions or local not in reactions[rid].rate_law.parameters:
            known = [f"{r.id}.{k}" for r in spec.reactions for k in r.rate_law.parameters]
            raise UnknownNameError("reaction-local parameter", name, known)
        promote.setdefault(rid, {})[local] = sid
    for rid in rate_scales:
        if rid not in reactions:
            raise UnknownNameError("reaction", rid, list(reactions))
    return promote


def _rename(formula: str, names: Mapping[str, str]) -> str:
    """`formula` with the variable names in `names` replaced (Python syntax in, Python syntax out)."""

    class _Sub(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.Name:
            return ast.copy_location(ast.Name(id=names.get(node.id, node.id), ctx=node.ctx), node)

    return ast.unparse(_Sub().visit(parse(formula)))


def _document(spec: ModelSpec, cell, promote=None, rate_scales=None, boundary=frozenset(), genes=True):
    sbml_sem = spec.semantics == "sbml"
    genes_present = genes and (bool(spec.genes) or any(r.gpr for r in spec.reactions))
    ns = libsbml.SBMLNamespaces(3, 2, "fbc", 2) if genes_present else libsbml.SBMLNamespaces(3, 2)
    doc = libsbml.SBMLDocument(ns)
    if genes_present:
        doc.setPackageRequired("fbc", False)
    m = doc.createModel()
    m.setId(spec.id if libsbml.SyntaxChecker.isValidSBMLSId(spec.id) else "model")
    m.setName(spec.name)
    if genes_present:
        m.getPlugin("fbc").setStrict(False)
    comps, species_vals, theta = _values(spec, cell)
    renamed = dict(cast(Mapping[str, str], spec.annotations.get("renamed", {}))) if sbml_sem else {}
    if not sbml_sem:
        _units(m)
    for c in spec.compartments:
        comp = m.createCompartment()
        comp.setId(c.id)
        comp.setName(c.name)
        comp.setConstant(bool(c.constant))
        comp.setSpatialDimensions(float(c.dimensions))
        if not math.isnan(comps[c.id]):
            comp.setSize(comps[c.id])
    has_cell = cell is not None
    for s in spec.species:
        sp = m.createSpecies()
        sp.setId(s.id)
        sp.setName(s.name)
        sp.setCompartment(s.compartment)
        sp.setHasOnlySubstanceUnits(bool(s.amount_based))
        if s.id in boundary:
            sp.setBoundaryCondition(True)
            sp.setConstant(False)
        elif sbml_sem:
            sp.setBoundaryCondition(bool(s.boundary))
            sp.setConstant(bool(s.constant))
            if s.conversion_factor:
                sp.setConversionFactor(s.conversion_factor)
        else:
            sp.setBoundaryCondition(bool(s.constant))
            sp.setConstant(False)
        v = species_vals[s.id]
        if not has_cell and s.initial_amount is not None and not math.isnan(s.initial_amount):
            sp.setInitialAmount(s.initial_amount)
        elif not math.isnan(v):
            if s.amount_based:
                sp.setInitialAmount(v)
            else:
                sp.setInitialConcentration(v)
    for p in spec.parameters:
        par = m.createParameter()
        par.setId(p.id)
        par.setConstant(bool(p.constant))
        v = theta.get(p.id, p.value)
        if not math.isnan(v):
            par.setValue(v)
    stoich_syms = {sym for r in spec.reactions for sym in r.stoichiometry_ids.values()}
    for a in spec.initial_assignments:
        if cell is not None and a.variable not in stoich_syms:
            continue  # the cell's numbers already hold the initial assignments' results
        ia = m.createInitialAssignment()
        ia.setSymbol(a.variable)
        ia.setMath(_math(a.formula, f"initial assignment {a.variable!r}"))
    for rl in spec.rules:
        if rl.kind == "algebraic":  # (the symbol it determines is inferred again on reading)
            m.createAlgebraicRule().setMath(_math(rl.formula, f"algebraic rule 0 = {rl.formula}"))
            continue
        rule = m.createAssignmentRule() if rl.kind == "assignment" else m.createRateRule()
        rule.setVariable(rl.variable)
        rule.setMath(_math(rl.formula, f"{rl.kind} rule {rl.variable!r}"))
    for r in spec.reactions:
        _reaction(m, spec, r, theta, sbml_sem, (promote or {}).get(r.id, {}), (rate_scales or {}).get(r.id))
    for e in spec.events:
        ev = m.createEvent()
        ev.setId(e.id)
        ev.setUseValuesFromTriggerTime(bool(e.use_trigger_time_values))
        tr = ev.createTrigger()
        tr.setInitialValue(bool(e.initial_value))
        tr.setPersistent(bool(e.persistent))
        tr.setMath(_math(e.trigger, f"trigger of event {e.id!r}"))
        if e.priority:
            ev.createPriority().setMath(_math(e.priority, f"priority of event {e.id!r}"))
        if e.delay:
            ev.createDelay().setMath(_math(e.delay, f"delay of event {e.id!r}"))
        for var, f in e.assignments:
            ea = ev.createEventAssignment()
            ea.setVariable(var)
            ea.setMath(_math(f, f"event {e.id!r} assignment to {var!r}"))
    if genes_present:
        _genes(m, spec)
    if renamed:
        pass  # ids stay in their safe form (valid SIds), see spec.annotations['renamed']
    return doc


def _units(m):
    for uid, kind, scale, mult in (
        ("mmol", libsbml.UNIT_KIND_MOLE, -3, 1.0),
        ("min", libsbml.UNIT_KIND_SECOND, 0, 60.0),
    ):
        ud = m.createUnitDefinition()
        ud.setId(uid)
        u = ud.createUnit()
        u.setKind(kind)
        u.setExponent(1)
        u.setScale(scale)
        u.setMultiplier(mult)
    m.setSubstanceUnits("mmol")
    m.setExtentUnits("mmol")
    m.setTimeUnits("min")
    m.setVolumeUnits("litre")


def _reaction(m, spec, r, theta, sbml_sem, promote: Mapping[str, str], scale_id: str | None):
    rx = m.createReaction()
    rx.setId(r.id)
    rx.setName(r.name)
    rx.setReversible(bool(r.rate_law.reversible))
    if r.compartment:
        rx.setCompartment(r.compartment)
    for s, coef in r.stoichiometry.items():
        sr = rx.createReactant() if coef < 0 else rx.createProduct()
        sr.setSpecies(s)
        sym = r.stoichiometry_ids.get(s)
        if sym is not None and sbml_sem and "__" not in sym and m.getParameter(sym) is not None:
            # an SBML speciesReference id: it was a parameter in the spec; write it back as the id
            par = m.getParameter(sym)
            sr.setId(sym)
            sr.setConstant(bool(par.getConstant()))
            if par.isSetValue():
                sr.setStoichiometry(par.getValue())
            m.removeParameter(sym)
        elif sym is not None:
            # variable stoichiometry through a synthetic symbol: the reference follows it by a rule
            sr.setId(f"{r.id}__sr_{s}")
            sr.setConstant(False)
            sr.setStoichiometry(1.0)
            rule = m.createAssignmentRule()
            rule.setVariable(f"{r.id}__sr_{s}")
            rule.setMath(
                _math(f"{'-' if coef < 0 else ''}{sym}" if coef < 0 else sym, f"stoichiometry of {s!r} in {r.id!r}")
            )
        else:
            sr.setStoichiometry(abs(float(coef)))
            sr.setConstant(True)
    kl = rx.createKineticLaw()
    law = r.rate_law
    if law.kind == "expression":
        formula = law.formula or "0.0"
        local = dict(law.parameters)
    else:
        formula = kind_formula(r)
        local = dict(law.parameters)
    for name in list(local):
        local[name] = theta.get(f"{r.id}.{name}", local[name])
    if not sbml_sem and law.kind in PROTEOME_KINDS:  # no modifiers or enzyme factor (as compiled)
        formula = f"{r.compartment} * ({formula})"
    elif not sbml_sem:
        for i in r.inhibitors:
            formula = f"({formula}) * (1.0 / (1.0 + {i} / Ki_{i}))"
        for a in r.activators:
            formula = f"({formula}) * ({a} / (Ka_{a} + {a}))"
        formula = f"({formula}) * {_enzyme_factor(spec, r)}"
        formula = f"{r.compartment} * ({formula})"
    if promote:
        formula = _rename(formula, promote)
        for name, sid in promote.items():
            par = m.createParameter()
            par.setId(sid)
            par.setConstant(True)
            if not math.isnan(local[name]):
                par.setValue(float(local[name]))
            del local[name]
    if scale_id is not None:
        par = m.createParameter()
        par.setId(scale_id)
        par.setConstant(True)
        par.setValue(1.0)
        formula = f"{scale_id} * ({formula})"
    species_ids = {sp.id for sp in spec.species}
    for mod in sorted((names_in(formula) - set(local)) & species_ids - set(r.stoichiometry)):
        rx.createModifier().setSpecies(mod)
    for name, value in local.items():
        lp = kl.createLocalParameter()
        lp.setId(name)
        if not math.isnan(value):
            lp.setValue(float(value))
    kl.setMath(_math(formula, f"kinetic law of {r.id!r}"))


def _enzyme_factor(spec, r) -> str:
    """GPR enzyme activity over its value at the authored protein levels (as the compiler does)."""
    if not r.gpr:
        return "1.0"

    protein = {g.orf: g.protein for g in spec.genes if g.protein}
    c0 = {s.id: s.initial_mM for s in spec.species}
    clauses = []
    for clause in _gpr.dnf(_gpr.parse(r.gpr)):
        prots = sorted({protein[g] for g in clause if g in protein})
        if prots:
            clauses.append(prots)
    if not clauses:
        return "1.0"
    ref = sum(min(c0[p] for p in cl) for cl in clauses)
    if ref <= 0:
        return "0.0"
    if r.lumped:  # harmonic mean of the steps' activity ratios (ConcentrationCell.enzyme_factor)
        steps = []
        for term in _gpr.step_terms(_gpr.parse(r.gpr)):
            st = [sorted({protein[g] for g in c if g in protein}) for c in _gpr.dnf(term)]
            st = [c for c in st if c]
            if st:
                steps.append(st)
        refs = [sum(min(c0[p] for p in cl) for cl in st) for st in steps]
        if len(steps) > 1 and all(x > 0 for x in refs):
            acts = [" + ".join(cl[0] if len(cl) == 1 else f"min({', '.join(cl)})" for cl in st) for st in steps]
            inv = " + ".join(f"{x!r} / ({a})" for a, x in zip(acts, refs))
            zero = " or ".join(f"({a}) <= 0" for a in acts)
            return f"piecewise(0, {zero}, {len(steps)} / ({inv}))"
    act = " + ".join(cl[0] if len(cl) == 1 else f"min({', '.join(cl)})" for cl in clauses)
    return f"(({act}) / {ref!r})"


def _genes(m, spec):
    fbc = m.getPlugin("fbc")
    ids = {}
    for g in spec.genes:
        gp = fbc.createGeneProduct()
        gid = "G_" + "".join(ch if ch.isalnum() else "_" for ch in g.orf)
        gp.setId(gid)
        gp.setLabel(g.orf)
        if g.name:
            gp.setName(g.name)
        ids[g.orf] = gid
    for r in spec.reactions:
        if not r.gpr:
            continue
        rx = m.getReaction(r.id)
        gpa = rx.getPlugin("fbc").createGeneProductAssociation()
        _check(gpa.setAssociation(r.gpr, False, True), f"gene association of {r.id!r}")
