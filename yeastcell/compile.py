"""ModelSpec -> cell: stoichiometry, index arrays and parameter vectors, rate laws grouped by kind.

A cell is an immutable `eqx.Module` (yeastcell/cells/). Its floating-point leaves (`theta`, `c0`,
`volumes`) are what a fit may change; names and index structure are static, and every plan a
simulation needs is built here. Names never enter traced code: they map to indices here, and
`Trajectory` maps indices back to names. Compiling imports nothing from the solvers.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict

import jax.numpy as jnp
import numpy as np

from . import gpr as _gpr
from ._device import to_device
from ._events import build_events
from ._expr import compile_formula, names_in
from ._proteome import PROTEOME_KINDS, build_proteome
from ._rules import build_system
from ._x64 import require_x64
from .cells import ConcentrationCell, ExpressionLaw, KindGroup, SbmlCell
from .cells.concentration import stoichiometry_plan
from .kinetics import EXPRESSION_KIND, KINDS
from .spec import ModelSpec

_COMPILED: OrderedDict[str, ConcentrationCell | SbmlCell] = OrderedDict()
_COMPILED_MAX = 32


def compile_model(spec: ModelSpec) -> ConcentrationCell | SbmlCell:
    """Compile a validated `ModelSpec` into a cell (float64 arrays): a `ConcentrationCell`, or an
    `SbmlCell` for a spec with amount semantics (SBML rules, events, amount-based species).

    Specs with the same content (the same file loaded twice, or an equal spec built in code)
    compile to the *same* cell object. A cell carries its spec and plans as static data, which
    JAX compares by identity, so without this every `load_cell` of a model already simulated in
    this process would trace and compile every solver program again. Cells are immutable, so
    sharing one is safe; the last 32 distinct specs are kept.
    """
    require_x64()
    key = spec_key(spec)
    cell = _COMPILED.get(key)
    if cell is None:
        cell = _compile(spec)
        _COMPILED[key] = cell
        if len(_COMPILED) > _COMPILED_MAX:
            _COMPILED.popitem(last=False)
    else:
        _COMPILED.move_to_end(key)
    return cell


@functools.lru_cache(maxsize=_COMPILED_MAX)
def spec_key(spec: ModelSpec) -> str:
    """Content hash of a spec (sha256 of its text): equal specs, equal keys, across processes.
    Remembered for the last 32 spec objects (a spec is immutable and hashes by identity)."""
    return hashlib.sha256(repr(spec).encode()).hexdigest()


def compiled_for(key: str) -> ConcentrationCell | SbmlCell | None:
    """The cell `compile_model` compiled for the spec with content hash `key`, if it still holds it."""
    return _COMPILED.get(key)


def _compile(spec: ModelSpec) -> ConcentrationCell | SbmlCell:
    if spec.uses_amount_semantics:
        return _compile_system(spec)
    sp_ids = tuple(s.id for s in spec.species)
    s_index = {s: i for i, s in enumerate(sp_ids)}
    comp_ids = tuple(c.id for c in spec.compartments)
    c_index = {c: i for i, c in enumerate(comp_ids)}
    volumes = np.array([c.volume_L for c in spec.compartments])
    rx_ids = tuple(r.id for r in spec.reactions)
    params = {p.id: p.value for p in spec.parameters}

    # stoichiometry in concentration units: N_ij = S_ij * V(reaction j) / V(species i)
    N = np.zeros((len(sp_ids), len(rx_ids)))
    in_reaction = set()
    for j, r in enumerate(spec.reactions):
        vr = volumes[c_index[r.compartment]]
        for s, coef in r.stoichiometry.items():
            i = s_index[s]
            in_reaction.add(i)
            if not spec.species[i].constant:
                N[i, j] = coef * vr / volumes[c_index[spec.species[i].compartment]]
    dynamic = tuple(i for i, s in enumerate(spec.species) if not s.constant and i in in_reaction)

    theta_names: list[str] = [f"{p.id}" for p in spec.parameters]
    theta: list[float] = [p.value for p in spec.parameters]

    def add_theta(name: str, value: float) -> int:
        theta_names.append(name)
        theta.append(float(value))
        return len(theta) - 1

    grouped: dict[tuple, list] = {}
    expressions = []
    modifiers = []
    for j, r in enumerate(spec.reactions):
        law = r.rate_law
        if law.kind in PROTEOME_KINDS:
            continue  # compiled below, as one vectorised proteome layer
        if law.kind != EXPRESSION_KIND:  # an expression writes its modifiers' effect in its formula
            for m in r.inhibitors:
                modifiers.append((j, s_index[m], add_theta(f"{r.id}.Ki_{m}", law.parameters[f"Ki_{m}"]), False))
            for m in r.activators:
                modifiers.append((j, s_index[m], add_theta(f"{r.id}.Ka_{m}", law.parameters[f"Ka_{m}"]), True))
        if law.kind == EXPRESSION_KIND:
            local = {k: add_theta(f"{r.id}.{k}", v) for k, v in law.parameters.items()}
            thetas = {p: theta_names.index(p) for p in params}
            thetas.update(local)
            assert law.formula is not None  # the loaders require a formula for the expression kind
            fn = compile_formula(law.formula, set(sp_ids) | set(thetas) | {"time"})
            used = names_in(law.formula)  # bind only these (a formula's local parameter shadows a global one)
            expressions.append(
                ExpressionLaw(
                    j,
                    fn,
                    tuple((s, s_index[s]) for s in sp_ids if s in used and s not in thetas),
                    tuple((n, i) for n, i in thetas.items() if n in used),
                )
            )
            continue
        kind = KINDS[law.kind]
        names = kind.param_names(law.substrates, law.products)
        idx = tuple(add_theta(f"{r.id}.{n}", law.parameters.get(n, 0.0)) for n in names)
        sign = (
            1.0
            if all(r.stoichiometry[s] < 0 for s in law.substrates) and all(r.stoichiometry[p] > 0 for p in law.products)
            else -1.0
        )
        exps = tuple(abs(r.stoichiometry[s]) for s in law.substrates + law.products)
        key = (law.kind, len(law.substrates), len(law.products))
        grouped.setdefault(key, []).append(
            (
                j,
                tuple(s_index[s] for s in law.substrates),
                tuple(s_index[p] for p in law.products),
                tuple(s_index[law.roles[k]] for k in kind.roles),
                idx,
                exps,
                sign,
            )
        )
    groups = []
    for (kind, _, _), members in grouped.items():
        cols = list(zip(*members))
        groups.append(
            KindGroup(
                kind,
                tuple(cols[0]),
                tuple(cols[1]),
                tuple(cols[2]),
                tuple(cols[3]),
                tuple(cols[4]),
                tuple(cols[5]),
                tuple(cols[6]),
            )
        )

    proteome = build_proteome(spec, s_index, add_theta, theta_names)
    r_index = {r: j for j, r in enumerate(rx_ids)}
    expressed = tuple(
        (s_index[e.protein], tuple(s_index[f] for f in e.forms), r_index[e.synthesis]) for e in spec.expression
    )
    genes = []
    for g in spec.genes:
        genes.append((g.orf, g.name, s_index[g.protein] if g.protein else -1))
    protein_of = {orf: p for orf, _, p in genes}
    c0 = np.array([s.initial_mM for s in spec.species])
    enzyme_clauses, enzyme_ref = [], []
    enzyme_steps: list = []
    enzyme_step_ref: list = []
    for j, r in enumerate(spec.reactions):
        if not r.gpr:
            continue
        clauses = []
        for clause in _gpr.dnf(_gpr.parse(r.gpr)):
            prots = tuple(sorted({protein_of[g] for g in clause if protein_of.get(g, -1) >= 0}))
            if prots:
                clauses.append(prots)
        if clauses:
            enzyme_clauses.append((j, tuple(clauses)))
            enzyme_ref.append(float(sum(min(c0[i] for i in cl) for cl in clauses)))
        if r.lumped:
            steps = []
            for term in _gpr.step_terms(_gpr.parse(r.gpr)):
                step = []
                for clause in _gpr.dnf(term):
                    prots = tuple(sorted({protein_of[g] for g in clause if protein_of.get(g, -1) >= 0}))
                    if prots:
                        step.append(prots)
                if step:  # a step without modelled proteins does not limit the pathway
                    steps.append(tuple(step))
            refs = tuple(float(sum(min(c0[i] for i in cl) for cl in st)) for st in steps)
            if len(steps) > 1 and all(x > 0 for x in refs):
                enzyme_steps.append((j, tuple(steps)))
                enzyme_step_ref.append(refs)
    return ConcentrationCell(
        c0=to_device(np.asarray(c0)),
        theta=to_device(np.array(theta, dtype=float)),
        volumes=to_device(np.asarray(volumes)),
        N=to_device(np.asarray(N)),
        groups=tuple(groups),
        expressions=tuple(expressions),
        model_id=spec.id,
        species_ids=sp_ids,
        species_compartment=tuple(c_index[s.compartment] for s in spec.species),
        species_kind=tuple(s.kind for s in spec.species),
        reaction_ids=rx_ids,
        compartment_ids=comp_ids,
        theta_names=tuple(theta_names),
        dynamic=dynamic,
        modifiers=tuple(modifiers),
        enzyme_clauses=tuple(enzyme_clauses),
        enzyme_ref=tuple(enzyme_ref),
        genes=tuple(genes),
        spec=spec,
        stoich_plan=stoichiometry_plan(N, dynamic),
        proteome=proteome,
        expressed=expressed,
        enzyme_steps=tuple(enzyme_steps),
        enzyme_step_ref=tuple(enzyme_step_ref),
    )


def _compile_system(spec: ModelSpec) -> SbmlCell:
    """Compile a spec with SBML semantics (amount-based rates, rules, state events)."""
    sysm, vols, values, pvals, theta_local = build_system(spec)
    events = build_events(spec, sysm)
    sp_ids = tuple(s.id for s in spec.species)
    comp_ids = tuple(c.id for c in spec.compartments)
    c_index = {c: i for i, c in enumerate(comp_ids)}
    N = np.zeros((len(sp_ids), len(spec.reactions)))
    for i, j, coef, _ in sysm.stoich:
        N[i, j] += coef
    theta = np.concatenate([pvals, np.array([v for _, v in theta_local], dtype=float)])
    theta_names = tuple(p.id for p in spec.parameters) + tuple(n for n, _ in theta_local)
    s_index = {s: i for i, s in enumerate(sp_ids)}
    genes = tuple((g.orf, g.name, s_index.get(g.protein, -1) if g.protein else -1) for g in spec.genes)
    return SbmlCell(
        c0=jnp.asarray(values, dtype=float),
        theta=jnp.asarray(theta),
        volumes=jnp.asarray(vols, dtype=float),
        N=jnp.asarray(N),
        system=sysm,
        events=events,
        model_id=spec.id,
        species_ids=sp_ids,
        species_compartment=tuple(c_index[s.compartment] for s in spec.species),
        species_kind=tuple(s.kind for s in spec.species),
        reaction_ids=tuple(r.id for r in spec.reactions),
        compartment_ids=comp_ids,
        theta_names=theta_names,
        dynamic=tuple(k - sysm.n_comp for k in sysm.state if sysm.n_comp <= k < sysm.n_comp + sysm.n_species),
        genes=genes,
        spec=spec,
    )
