"""`ConcentrationCell`: a compiled native model (concentrations in mM, time in min, volumes in L).

Rate laws are grouped by kind so one vectorised call evaluates each group; every concentration the
rate laws read comes from one gather; the enzyme (GPR) factor and the proteome layer multiply or add
rates. Built by `yeastcell.compile.compile_model`.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from .._proteome import ProteomeTerms
from ..spec import ModelSpec
from .base import AbstractCell, with_dynamic
from .rate_laws import ExpressionLaw, KindGroup


class ConcentrationCell(AbstractCell):
    """A compiled native model: everything `simulate` needs, as arrays (mM, min, L).

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
    # N_dyn · v over N's structural nonzeros: per dynamic species the flat positions in N_dyn of its
    # nonzero coefficients and their reactions, padded (built by `compile_model`, see `dynamic_change`)
    stoich_plan: tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]] = eqx.field(static=True)
    # proteome layer (None without an `expression:` section): synthesis and turnover reactions
    proteome: ProteomeTerms | None = None
    # per expressed gene: (protein species index, indices of its other forms, synthesis reaction index)
    expressed: tuple[tuple[int, tuple[int, ...], int], ...] = eqx.field(static=True, default=())
    # lumped pathways (reactions marked ``lumped``): per reaction, its sequential steps, each as
    # complexes (tuples of protein species indices), and each step's activity at the authored levels
    enzyme_steps: tuple[tuple[int, tuple[tuple[tuple[int, ...], ...], ...]], ...] = eqx.field(static=True, default=())
    enzyme_step_ref: tuple[tuple[float, ...], ...] = eqx.field(static=True, default=())

    # -------------------------------------------------------------- rates
    @property
    def constant_enzymes(self) -> bool:
        """True when the cell has enzyme rules and none of their members is integrated (protein
        levels held by the condition): the GPR factor of every reaction is then fixed for a whole
        solve and is computed once per solve (`fluxes(enzyme_factor=...)`)."""
        dyn = set(self.dynamic)
        return bool(self.enzyme_clauses) and not any(
            i in dyn for _, clauses in self.enzyme_clauses for cl in clauses for i in cl
        )

    def fluxes(self, c, t=0.0, rate_scale=None, enzyme_factor=None):
        """Reaction rates (mM/min, per reaction compartment volume) at full concentrations `c` (mM).

        `enzyme_factor`: the GPR factor per reaction (`enzyme_factor(c)`) if the caller already has
        it; the solvers compute it once per solve where the enzyme levels are fixed
        (`constant_enzymes`) instead of at every rate evaluation, where reading the padded complex
        members was most of the work.

        Traced once per cell structure and argument shapes (`_FLUXES`): tracing a solve evaluates
        the rates ~10 times (the step, its Jacobian, diffrax's shape checks), and inside a trace a
        jitted function is traced once and reused. Whole cell, one lane under Rodas4P: the solve
        traced and lowered in 2.8 s instead of 5.0 s, the same compiled code (bit-identical
        result); outside a trace the rates run as one compiled program.
        """
        return _FLUXES(self, c, t, rate_scale, enzyme_factor)

    def _flux_values(self, c, t, rate_scale, enzyme_factor):
        """`fluxes`, traced."""
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

        A lumped pathway (`enzyme_steps`) has the harmonic mean of its steps' activity ratios
        instead: n / Σ_k (ref_k / a_k) over its n steps, each step's activity a_k from its own rule
        (or = sum, and = min). This is the capacity of n steps in series that share the pathway's
        resistance equally at the authored levels (a linear chain of unsaturated enzymes: flux =
        driving force / Σ_k 1/(k_k e_k); Kacser & Burns 1973, Symp Soc Exp Biol 27:65), so each step
        has flux control 1/n and a deleted step (a_k = 0) stops the pathway.

        Vectorised over all complexes: members are padded with -1 (ignored by the minimum).
        """
        return self._enzyme_factor_of(c[np.maximum(self._clause_arrays()[1], 0)])

    def _enzyme_factor_of(self, member_conc):
        """`enzyme_factor` from the gathered concentrations of the padded complex members (mM)."""
        rxn, members = self._clause_arrays()
        conc = jnp.where(members >= 0, member_conc, jnp.inf)
        mins = jnp.min(conc, axis=1)
        n_plain = sum(len(clauses) for _, clauses in self.enzyme_clauses)
        sum_rows = np.zeros((self.n_reactions, n_plain))  # or = sum over complexes, as a matmul
        sum_rows[rxn[:n_plain], np.arange(n_plain)] = 1.0
        activity = jnp.asarray(sum_rows, dtype=member_conc.dtype) @ mins[:n_plain]
        ref = np.ones(self.n_reactions)
        has = np.zeros(self.n_reactions, dtype=bool)
        for (j, _), r in zip(self.enzyme_clauses, self.enzyme_ref):
            ref[j], has[j] = r, True
        factor = jnp.where(has, jnp.where(ref > 0, activity / ref, 0.0), 1.0)
        if not self.enzyme_steps:
            return factor
        # lumped pathways: rows after n_plain are the steps' complexes (`_clause_arrays`)
        step_of = np.concatenate(
            [np.full(len(cl), k) for k, cl in enumerate(cl for _, steps in self.enzyme_steps for cl in steps)]
        ).astype(int)
        n_steps = int(step_of.max()) + 1
        to_step = np.zeros((n_steps, len(step_of)))
        to_step[step_of, np.arange(len(step_of))] = 1.0
        step_ref = np.array([r for refs in self.enzyme_step_ref for r in refs])
        ratio = (jnp.asarray(to_step, dtype=mins.dtype) @ mins[n_plain:]) / step_ref  # each step's a_k / ref_k
        pos = ratio > 0
        inv = jnp.where(pos, 1.0 / jnp.where(pos, ratio, 1.0), 0.0)
        owner = np.concatenate([np.full(len(steps), k) for k, (_, steps) in enumerate(self.enzyme_steps)])
        to_rxn = np.zeros((len(self.enzyme_steps), n_steps))
        to_rxn[owner, np.arange(n_steps)] = 1.0
        sum_inv = jnp.asarray(to_rxn, dtype=mins.dtype) @ inv
        any_zero = jnp.asarray(to_rxn, dtype=mins.dtype) @ jnp.where(pos, 0.0, 1.0) > 0
        n = to_rxn.sum(axis=1)
        lumped = jnp.where(any_zero, 0.0, n / jnp.where(any_zero, 1.0, sum_inv))
        idx = np.array([j for j, _ in self.enzyme_steps], dtype=int)
        return factor.at[idx].set(lumped)

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
        """(reaction of each row, padded members): the complexes of every reaction's rule, then the
        complexes of every step of the lumped pathways (`enzyme_steps`)."""
        rows = [(j, cl) for j, clauses in self.enzyme_clauses for cl in clauses]
        rows += [(j, cl) for j, steps in self.enzyme_steps for step in steps for cl in step]
        width = max(len(cl) for _, cl in rows)
        members = np.full((len(rows), width), -1, dtype=int)
        for k, (_, cl) in enumerate(rows):
            members[k, : len(cl)] = cl
        return np.array([j for j, _ in rows], dtype=int), members

    def rhs(self, t, x, c_full, clamp, rate_scale, enzyme_factor=None):
        """dx/dt (mM/min) of the dynamic species `x`, given the other species in `c_full`
        (`enzyme_factor` as in `fluxes`)."""
        dyn = jnp.asarray(self.dynamic)
        c = with_dynamic(self.dynamic, c_full, x)
        return jnp.where(clamp[dyn], 0.0, self.dynamic_change(self.fluxes(c, t, rate_scale, enzyme_factor)))

    def dynamic_change(self, v):
        """N_dyn · v (mM/min) for the dynamic species, summed over N's structural nonzeros only (a
        static plan per model spec; a dense product is ~10x the work on the core model and, under
        vmap on a CPU, was the costliest single operation of a right-hand-side evaluation)."""
        dyn = np.asarray(self.dynamic, dtype=int)
        if not dyn.size:
            return self.N[dyn] @ v
        species, reactions = (np.asarray(a, dtype=int).reshape(dyn.size, -1) for a in self.stoich_plan)
        coeff = jnp.concatenate([self.N[dyn].ravel(), jnp.zeros(1, self.N.dtype)])[species]
        return jnp.sum(coeff * jnp.concatenate([v, jnp.zeros(1, v.dtype)])[reactions], axis=1)

    def with_theta(self, theta):
        return eqx.tree_at(lambda c: c.theta, self, theta)

    def species_values(self, values):
        """The solver saves the concentrations themselves (mM)."""
        return values

    def saved_fluxes(self, values, t, rate_scale):
        return self.fluxes(values, t, rate_scale)


def stoichiometry_plan(N: np.ndarray, dynamic: tuple[int, ...]):
    """The `ConcentrationCell.stoich_plan` of a concrete stoichiometry `N` (mM/min per unit rate):
    (n_index, r_index) as nested tuples, both (n_dynamic, width): for each dynamic species the flat
    positions in N_dyn of its nonzero coefficients and their reactions, padded (with a trailing 0
    coefficient and a trailing 0 rate)."""
    n_dyn = np.asarray(N)[np.asarray(dynamic, dtype=int)]
    rows = [np.nonzero(row)[0] for row in n_dyn]
    width = max((len(r) for r in rows), default=1) or 1
    n_index = np.full((len(rows), width), n_dyn.size, dtype=int)
    r_index = np.full((len(rows), width), n_dyn.shape[1], dtype=int)
    for i, r in enumerate(rows):
        n_index[i, : len(r)] = i * n_dyn.shape[1] + r
        r_index[i, : len(r)] = r
    return tuple(map(tuple, n_index.tolist())), tuple(map(tuple, r_index.tolist()))


def _gather(values, index_arrays):
    """Iterator over `values` read at each of `index_arrays` (shapes kept), from ONE gather."""
    flat = values[np.concatenate([a.ravel() for a in index_arrays])] if index_arrays else values[:0]
    start = 0
    for a in index_arrays:
        yield flat[start : start + a.size].reshape(a.shape)
        start += a.size


def _flux_values(cell: ConcentrationCell, c, t, rate_scale, enzyme_factor):
    return cell._flux_values(c, t, rate_scale, enzyme_factor)


# `ConcentrationCell.fluxes`: one jitted function for every cell (equinox keys its trace cache by the
# cell's static structure and the arrays' shapes)
_FLUXES = eqx.filter_jit(_flux_values)
