"""ModelSpec -> Cell: stoichiometry, index arrays and parameter vectors, rate laws grouped by kind.

A `Cell` is an immutable `eqx.Module`. Its floating-point leaves (`theta`, `c0`, `volumes`) are what a
fit may change; names and index structure are static. Names never enter traced code: they map to
indices here, and `Trajectory` maps indices back to names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from . import gpr as _gpr
from ._expr import compile_formula, names_in
from ._proteome import PROTEOME_KINDS, ProteomeTerms, build_proteome
from .exceptions import UnknownNameError
from .kinetics import EXPRESSION_KIND, KINDS
from .spec import ModelSpec


class KindGroup(eqx.Module):
    """Reactions of one rate-law kind with the same numbers of substrates and products."""

    kind: str = eqx.field(static=True)
    rxn: tuple[int, ...] = eqx.field(static=True)
    sub: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    prod: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    role: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    theta_idx: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    exponents: tuple[tuple[float, ...], ...] = eqx.field(static=True)
    sign: tuple[float, ...] = eqx.field(static=True)

    def species_reads(self) -> tuple[np.ndarray, ...]:
        """The species indices `rates` reads: substrates, products, roles, each (n_reactions, k)."""
        n = len(self.rxn)
        return tuple(np.asarray(a, dtype=int).reshape(n, -1) for a in (self.sub, self.prod, self.role))

    def theta_reads(self) -> np.ndarray:
        """The parameter indices `rates` reads, (n_reactions, k)."""
        return np.asarray(self.theta_idx, dtype=int).reshape(len(self.rxn), -1)

    def rates(self, c, theta):
        """Rates (mM/min) of this group's reactions, in stoichiometric direction."""
        return self.rates_of(*(c[i] for i in self.species_reads()), theta[self.theta_reads()])

    def rates_of(self, S, P, R, p):
        """`rates` from the already gathered substrate, product and role concentrations (mM) and
        rate-law parameters `p` (rows of `theta_reads`)."""
        n = len(self.rxn)
        x = np.asarray(self.exponents, dtype=float).reshape(n, -1)  # concrete: exact integer powers (kinetics._prod_powers)
        return jnp.asarray(self.sign, dtype=S.dtype) * KINDS[self.kind].rate(S, P, R, p, x)


class ExpressionLaw(eqx.Module):
    """One reaction whose rate is a general formula (also used by SBML import).

    `species` and `thetas` list only the names the formula uses (see `compile_model`): every name
    bound here is one gather in the traced program, and the solver traces the rate law once per
    stage, so binding all species and parameters of a large model (205 + ~1000 names for each of
    the whole cell's 27 formulas) made the right-hand side ~13x larger and its compile ~3x slower.
    """

    rxn: int = eqx.field(static=True)
    fn: Callable = eqx.field(static=True)
    species: tuple[tuple[str, int], ...] = eqx.field(static=True)
    thetas: tuple[tuple[str, int], ...] = eqx.field(static=True)

    def species_reads(self) -> np.ndarray:
        """The species indices the formula reads, in `species` order."""
        return np.asarray([i for _, i in self.species], dtype=int)

    def theta_reads(self) -> np.ndarray:
        """The parameter indices the formula reads, in `thetas` order."""
        return np.asarray([i for _, i in self.thetas], dtype=int)

    def rate(self, c, theta, t):
        return self.rate_of(c[self.species_reads()], theta[self.theta_reads()], t)

    def rate_of(self, conc, values, t):
        """`rate` from the already gathered concentrations of `species` (mM) and values of `thetas`."""
        env = {name: conc[k] for k, (name, _) in enumerate(self.species)}
        env.update({name: values[k] for k, (name, _) in enumerate(self.thetas)})
        env["time"] = t
        return jnp.asarray(self.fn(env), dtype=values.dtype if self.thetas else conc.dtype)


class Cell(eqx.Module):
    """A compiled model: everything `simulate` needs, as arrays (mM, min, L).

    Attributes:
        c0: initial concentrations of all species (mM), shape (n_species,).
        theta: rate-law parameters in core units, shape (n_theta,); names in `theta_names`.
        volumes: compartment volumes (L), shape (n_compartments,).
        N: concentration stoichiometry, dc_i/dt = Σ_j N_ij v_j, shape (n_species, n_reactions);
           rows of constant species are zero.
    """

    c0: jnp.ndarray
    theta: jnp.ndarray
    volumes: jnp.ndarray
    N: jnp.ndarray
    groups: tuple[KindGroup, ...]
    expressions: tuple[ExpressionLaw, ...]
    # names (static)
    model_id: str = eqx.field(static=True)
    species_ids: tuple[str, ...] = eqx.field(static=True)
    species_compartment: tuple[int, ...] = eqx.field(static=True)
    species_kind: tuple[str, ...] = eqx.field(static=True)
    reaction_ids: tuple[str, ...] = eqx.field(static=True)
    compartment_ids: tuple[str, ...] = eqx.field(static=True)
    theta_names: tuple[str, ...] = eqx.field(static=True)
    dynamic: tuple[int, ...] = eqx.field(static=True)  # indices of species integrated by the ODE
    # modifiers: (reaction, species, theta index, is_activator)
    modifiers: tuple[tuple[int, int, int, bool], ...] = eqx.field(static=True)
    # enzymes: per reaction with a GPR, its complexes as tuples of protein species indices
    enzyme_clauses: tuple[tuple[int, tuple[tuple[int, ...], ...]], ...] = eqx.field(static=True)
    enzyme_ref: tuple[float, ...] = eqx.field(static=True)  # activity at the authored protein levels
    # genes: (orf, standard name or None, protein species index or -1)
    genes: tuple[tuple[str, str | None, int], ...] = eqx.field(static=True)
    spec: ModelSpec = eqx.field(static=True)
    # SBML-style dynamics (amount-based species, rules, state events); None for concentration models.
    # With a system, c0 holds species values as formulas see them (concentration, or amount for
    # amount-based species), theta the model parameters then the reactions' local parameters, and
    # fluxes are amounts per time.
    system: object = None
    events: object = None
    # proteome layer (None without an `expression:` section): synthesis and turnover reactions
    proteome: ProteomeTerms | None = None
    # per expressed gene: (protein species index, indices of its other forms, synthesis reaction index)
    expressed: tuple[tuple[int, tuple[int, ...], int], ...] = eqx.field(static=True, default=())

    # -------------------------------------------------------------- names -> indices
    @property
    def n_species(self) -> int:
        return len(self.species_ids)

    @property
    def n_reactions(self) -> int:
        return len(self.reaction_ids)

    def species_index(self, name: str) -> int:
        """Index of a species id (exact, then case-insensitive). Raises UnknownNameError."""
        return _lookup(self.species_ids, name, "species")

    def reaction_index(self, name: str) -> int:
        """Index of a reaction id (exact, then case-insensitive). Raises UnknownNameError."""
        return _lookup(self.reaction_ids, name, "reaction")

    def gene_index(self, name: str) -> int:
        """Index of a gene given by ORF or standard name, case-insensitively.

        Raises:
            UnknownNameError: with close matches among ORFs and standard names.
        """
        key = name.strip().upper()
        for i, (orf, std, _) in enumerate(self.genes):
            if orf.upper() == key or (std is not None and std.upper() == key):
                return i
        known = [g[0] for g in self.genes] + [g[1] for g in self.genes if g[1]]
        raise UnknownNameError("gene", name, known)

    def gene_label(self, i: int) -> str:
        orf, std, _ = self.genes[i]
        return std or orf

    # -------------------------------------------------------------- rates
    @property
    def constant_enzymes(self) -> bool:
        """True when the cell has enzyme rules and none of their members is integrated (protein
        levels held by the condition): the GPR factor of every reaction is then fixed for a whole
        solve and is computed once per solve (`fluxes(enzyme_factor=...)`)."""
        dyn = set(self.dynamic)
        return bool(self.enzyme_clauses) and self.system is None and not any(
            i in dyn for _, clauses in self.enzyme_clauses for cl in clauses for i in cl)

    def fluxes(self, c, t=0.0, rate_scale=None, enzyme_factor=None):
        """Reaction rates (mM/min, per reaction compartment volume) at full concentrations `c` (mM).

        For an SBML-style cell: amounts per time, with parameters and compartment sizes at their
        compiled values (trajectories report the exact fluxes, including event changes).
        `enzyme_factor`: the GPR factor per reaction (`enzyme_factor(c)`) if the caller already has
        it; the solvers compute it once per solve where the enzyme levels are fixed
        (`constant_enzymes`) instead of at every rate evaluation, where reading the padded complex
        members was most of the work.
        """
        if self.system is not None:
            sysm = self.system
            y = sysm.y_from(c, self.volumes, self.theta[:sysm.n_param])
            y, env = sysm.apply_rules(y, t, self.theta)
            return sysm.rates(env, self.theta, rate_scale)
        # Every concentration the rate laws read comes from ONE gather, then static slices: under vmap
        # on a CPU each gather is a separate kernel (52 gathers cost 5x one gather of the same
        # entries on the core model). Scatter-free assembly (concatenate, then one static
        # permutation gather): scatters under vmap + jacfwd are slow on CPU.
        reads, theta_reads = self._species_reads(with_enzymes=enzyme_factor is None), self._theta_reads()
        picked, params = _gather(c, reads), _gather(self.theta, theta_reads)
        parts = []
        for g in self.groups:
            S, P, R = (next(picked) for _ in range(3))
            parts.append(g.rates_of(S, P, R, next(params)))
        for e in self.expressions:
            parts.append(jnp.reshape(e.rate_of(next(picked), next(params), t), (1,)))
        order = [j for g in self.groups for j in g.rxn] + [e.rxn for e in self.expressions]
        if self.proteome is not None:
            parts.append(self.proteome.rates(c, self.theta))
            order += self.proteome.order
        pos = np.full(self.n_reactions, len(order), dtype=int)  # reactions without a law: rate 0
        pos[np.asarray(order, dtype=int)] = np.arange(len(order))
        v = jnp.concatenate(parts + [jnp.zeros(1, dtype=c.dtype)])[pos]
        if self.modifiers:
            rx, _, _, act = (np.asarray(a) for a in zip(*self.modifiers))
            conc, K = next(picked), next(params)
            f = jnp.where(act, conc / (K + conc), 1.0 / (1.0 + conc / K))
            # per reaction, the product of its modifier factors (padded with a factor 1)
            width = int(np.max(np.bincount(rx, minlength=self.n_reactions)))
            slots = np.full((self.n_reactions, width), len(rx), dtype=int)
            fill = np.zeros(self.n_reactions, dtype=int)
            for k, j in enumerate(rx):
                slots[j, fill[j]] = k
                fill[j] += 1
            v = v * jnp.prod(jnp.concatenate([f, jnp.ones(1, dtype=f.dtype)])[slots], axis=1)
        if enzyme_factor is not None:
            v = v * enzyme_factor
        elif self.enzyme_clauses:
            v = v * self._enzyme_factor_of(next(picked))
        if rate_scale is not None:
            v = v * rate_scale
        return v

    def enzyme_factor(self, c):
        """Per-reaction Vmax multiplier: GPR activity (or = sum, and = min) over its reference value.

        Vectorised over all complexes: members are padded with -1 (ignored by the minimum).
        """
        return self._enzyme_factor_of(c[np.maximum(self._clause_arrays()[1], 0)])

    def _enzyme_factor_of(self, member_conc):
        """`enzyme_factor` from the gathered concentrations of the padded complex members (mM)."""
        rxn, members = self._clause_arrays()
        conc = jnp.where(members >= 0, member_conc, jnp.inf)
        sum_rows = np.zeros((self.n_reactions, len(rxn)))  # or = sum over complexes, as a matmul
        sum_rows[rxn, np.arange(len(rxn))] = 1.0
        activity = jnp.asarray(sum_rows, dtype=member_conc.dtype) @ jnp.min(conc, axis=1)
        ref = np.ones(self.n_reactions)
        has = np.zeros(self.n_reactions, dtype=bool)
        for (j, _), r in zip(self.enzyme_clauses, self.enzyme_ref):
            ref[j], has[j] = r, True
        return jnp.where(has, jnp.where(ref > 0, activity / ref, 0.0), 1.0)

    def _species_reads(self, with_enzymes: bool = True) -> list[np.ndarray]:
        """Index arrays of every species read by the rate laws, in the order `fluxes` consumes them:
        per group (substrates, products, roles), per expression law with species, the modifiers,
        the enzyme-complex members (padding -1 read as species 0 and masked; not with
        ``with_enzymes=False``)."""
        reads = [r for g in self.groups for r in g.species_reads()]
        reads += [e.species_reads() for e in self.expressions]
        if self.modifiers:
            reads.append(np.asarray([m[1] for m in self.modifiers], dtype=int))
        if self.enzyme_clauses and with_enzymes:
            reads.append(np.maximum(self._clause_arrays()[1], 0))
        return reads

    def _theta_reads(self) -> list[np.ndarray]:
        """Parameter indices read by the rate laws, in the order `fluxes` consumes them."""
        reads = [g.theta_reads() for g in self.groups] + [e.theta_reads() for e in self.expressions]
        if self.modifiers:
            reads.append(np.asarray([m[2] for m in self.modifiers], dtype=int))
        return reads

    def _clause_arrays(self):
        rows = [(j, cl) for j, clauses in self.enzyme_clauses for cl in clauses]
        width = max(len(cl) for _, cl in rows)
        members = np.full((len(rows), width), -1, dtype=int)
        for k, (_, cl) in enumerate(rows):
            members[k, : len(cl)] = cl
        return np.array([j for j, _ in rows], dtype=int), members

    def rhs(self, t, x, c_full, clamp, rate_scale, enzyme_factor=None):
        """dx/dt (mM/min) of the dynamic species `x`, given the other species in `c_full`
        (`enzyme_factor` as in `fluxes`)."""
        dyn = jnp.asarray(self.dynamic)
        is_dyn = np.zeros(self.n_species, dtype=bool)
        is_dyn[list(self.dynamic)] = True
        slot = np.zeros(self.n_species, dtype=int)
        slot[list(self.dynamic)] = np.arange(len(self.dynamic))
        c = jnp.where(is_dyn, x[slot], c_full) if self.dynamic else c_full  # = c_full.at[dyn].set(x)
        # wrappers (hybrid, virtual-lab truth) call this with their own `fluxes(c, t, rate_scale)`
        v = self.fluxes(c, t, rate_scale) if enzyme_factor is None else self.fluxes(c, t, rate_scale, enzyme_factor)
        return jnp.where(clamp[dyn], 0.0, self.dynamic_change(v))

    def dynamic_change(self, v):
        """N_dyn · v (mM/min) for the dynamic species, summed over N's structural nonzeros only (a
        static plan per model spec; a dense product is ~10x the work on the core model and, under
        vmap on a CPU, was the costliest single operation of a right-hand-side evaluation)."""
        dyn = np.asarray(self.dynamic, dtype=int)
        if self.system is not None or self.spec is None:
            return self.N[dyn] @ v
        species, reactions = _stoichiometry_plan(self.spec)
        coeff = jnp.concatenate([self.N[dyn].ravel(), jnp.zeros(1, self.N.dtype)])[species]
        return jnp.sum(coeff * jnp.concatenate([v, jnp.zeros(1, v.dtype)])[reactions], axis=1)


@functools.lru_cache(maxsize=32)
def _stoichiometry_plan(spec):
    """(n_index, r_index), both (n_dynamic, width): for each dynamic species the flat positions in
    N_dyn of its nonzero stoichiometric coefficients and their reactions, padded (with a trailing 0
    coefficient and a trailing 0 rate). The pattern comes from a concrete compile of `spec`."""
    with jax.ensure_compile_time_eval():
        cell = compile_model(spec)
        n_dyn = np.asarray(cell.N)[np.asarray(cell.dynamic, dtype=int)]
    rows = [np.nonzero(row)[0] for row in n_dyn]
    width = max((len(r) for r in rows), default=1) or 1
    n_index = np.full((len(rows), width), n_dyn.size, dtype=int)
    r_index = np.full((len(rows), width), n_dyn.shape[1], dtype=int)
    for i, r in enumerate(rows):
        n_index[i, :len(r)] = i * n_dyn.shape[1] + r
        r_index[i, :len(r)] = r
    return n_index, r_index


def _gather(values, index_arrays):
    """Iterator over `values` read at each of `index_arrays` (shapes kept), from ONE gather."""
    flat = values[np.concatenate([a.ravel() for a in index_arrays])] if index_arrays else values[:0]
    start = 0
    for a in index_arrays:
        yield flat[start:start + a.size].reshape(a.shape)
        start += a.size


def _lookup(names: tuple[str, ...], name: str, what: str) -> int:
    try:
        return names.index(name)
    except ValueError:
        low = [n.lower() for n in names]
        if name.lower() in low and low.count(name.lower()) == 1:
            return low.index(name.lower())
        raise UnknownNameError(what, name, names) from None


def compile_model(spec: ModelSpec) -> Cell:
    """Compile a validated `ModelSpec` into a `Cell` (float64 arrays)."""
    from ._x64 import require_x64

    require_x64()
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
            fn = compile_formula(law.formula, set(sp_ids) | set(thetas) | {"time"})
            used = names_in(law.formula)  # bind only these (a formula's local parameter shadows a global one)
            expressions.append(ExpressionLaw(j, fn, tuple((s, s_index[s]) for s in sp_ids if s in used and s not in thetas),
                                             tuple((n, i) for n, i in thetas.items() if n in used)))
            continue
        kind = KINDS[law.kind]
        names = kind.param_names(law.substrates, law.products)
        idx = tuple(add_theta(f"{r.id}.{n}", law.parameters.get(n, 0.0)) for n in names)
        sign = 1.0 if all(r.stoichiometry[s] < 0 for s in law.substrates) and all(
            r.stoichiometry[p] > 0 for p in law.products) else -1.0
        exps = tuple(abs(r.stoichiometry[s]) for s in law.substrates + law.products)
        key = (law.kind, len(law.substrates), len(law.products))
        grouped.setdefault(key, []).append((j, tuple(s_index[s] for s in law.substrates),
                                            tuple(s_index[p] for p in law.products),
                                            tuple(s_index[law.roles[k]] for k in kind.roles), idx, exps, sign))
    groups = []
    for (kind, _, _), members in grouped.items():
        cols = list(zip(*members))
        groups.append(KindGroup(kind, tuple(cols[0]), tuple(cols[1]), tuple(cols[2]), tuple(cols[3]),
                                tuple(cols[4]), tuple(cols[5]), tuple(cols[6])))

    proteome = build_proteome(spec, s_index, add_theta, theta_names)
    r_index = {r: j for j, r in enumerate(rx_ids)}
    expressed = tuple((s_index[e.protein], tuple(s_index[f] for f in e.forms), r_index[e.synthesis])
                      for e in spec.expression)
    genes = []
    for g in spec.genes:
        genes.append((g.orf, g.name, s_index[g.protein] if g.protein else -1))
    protein_of = {orf: p for orf, _, p in genes}
    c0 = np.array([s.initial_mM for s in spec.species])
    enzyme_clauses, enzyme_ref = [], []
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
    return Cell(
        c0=jnp.asarray(c0), theta=jnp.asarray(np.array(theta, dtype=float)), volumes=jnp.asarray(volumes),
        N=jnp.asarray(N), groups=tuple(groups), expressions=tuple(expressions), model_id=spec.id,
        species_ids=sp_ids, species_compartment=tuple(c_index[s.compartment] for s in spec.species),
        species_kind=tuple(s.kind for s in spec.species), reaction_ids=rx_ids, compartment_ids=comp_ids,
        theta_names=tuple(theta_names), dynamic=dynamic, modifiers=tuple(modifiers),
        enzyme_clauses=tuple(enzyme_clauses), enzyme_ref=tuple(enzyme_ref), genes=tuple(genes), spec=spec,
        proteome=proteome, expressed=expressed,
    )


def _compile_system(spec: ModelSpec) -> Cell:
    """Compile a spec with SBML semantics (amount-based rates, rules, state events)."""
    from ._events import build_events
    from ._rules import build_system

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
    return Cell(
        c0=jnp.asarray(values, dtype=float), theta=jnp.asarray(theta), volumes=jnp.asarray(vols, dtype=float),
        N=jnp.asarray(N), groups=(), expressions=(), model_id=spec.id, species_ids=sp_ids,
        species_compartment=tuple(c_index[s.compartment] for s in spec.species),
        species_kind=tuple(s.kind for s in spec.species), reaction_ids=tuple(r.id for r in spec.reactions),
        compartment_ids=comp_ids, theta_names=theta_names,
        dynamic=tuple(k - sysm.n_comp for k in sysm.state if sysm.n_comp <= k < sysm.n_comp + sysm.n_species),
        modifiers=(), enzyme_clauses=(), enzyme_ref=(), genes=genes, spec=spec, system=sysm, events=events,
    )
