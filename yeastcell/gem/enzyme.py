"""Enzyme-constrained GEM: one total-enzyme pool row on top of a :class:`~yeastcell.gem.load.GEM`.

Formulation (sMOMENT, Bekiaris & Klamt 2020 BMC Bioinformatics 21:19; the "light" ecModel of
GECKO 3, Chen et al. 2024 Nat Protoc 19:629): a flux ``v_j`` (mmol gDW⁻¹ h⁻¹) needs
``e_j = c_j · |v_j|`` g gDW⁻¹ of enzyme, with the enzyme cost

    c_j = min over isoenzymes k of  MW_k / kcat_k          (g h mmol⁻¹),

* **isoenzymes** (``or`` in the gene rule; the rule's disjunctive normal form): the cheapest one,
  as sMOMENT does: an optimum never pays for a dearer isoenzyme while the cheapest is there;
* **complexes** (``and``): ``MW_k`` is the summed mass of the subunits (one copy each: subunit
  stoichiometries are not in the tables), ``kcat_k`` the complex's;
* ``kcat_k``: a curated value (:class:`~yeastcell.gem.enzyme_data.CustomKcat`) when one names a
  subset of the complex's genes (or the reaction), else the largest DLKcat prediction among the
  complex's genes for that reaction and direction (GECKO's ``selectKcatValue(…, 'max')``), else
  that of the other direction, else (``missing_kcat="median"``) the median of all kcats the model
  got; reactions without a gene rule (exchanges, pseudoreactions, spontaneous) cost nothing;
* **reversible** reactions with an enzyme are split into a forward column (``lb = 0``) and a
  reverse column ``<id>_REV`` (``-S_j``, ``0 ≤ v ≤ -lb_j``, same gene rule), so that each
  direction pays ``c · v`` with ``v ≥ 0``; reactions that only run backwards pay ``c · (-v)``.

The pool is one extra metabolite ``prot_pool``: every enzymatic column consumes ``c_j`` of it per
unit flux and the column ``prot_pool_exchange`` supplies it, ``0 ≤ supply ≤ P``, with

    P = Ptot · f · σ                                            (g gDW⁻¹)

``Ptot`` the measured total protein (0.4228 g gDW⁻¹ in GECKO's ``fluxData.tsv``), ``f`` the mass
fraction of the proteome made of the model's enzymes (PaxDb, ~0.4 for Yeast-GEM) and ``σ`` the
average saturation of those enzymes (GECKO's default 0.5; a parameter). Measured abundances
(g gDW⁻¹ per gene) optionally add a row per enzyme bounding what the columns using it draw.

The result is again a :class:`GEM` (``ECModel.gem``), so :func:`~yeastcell.gem.fba.optimize`,
:func:`~yeastcell.gem.screen.knockout_screen` and the JAX engine apply unchanged; the pool and
usage columns are not exchanges with the medium (:func:`~yeastcell.gem.medium.exchange_reactions`
skips them). Limits of sMOMENT: a knockout of the cheapest isoenzyme does not raise the cost of
its reactions (the next isoenzyme is not priced); the biomass composition does not change with
the growth rate.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from yeastcell import gpr as _rules
from yeastcell.exceptions import GemError, InfeasibleError
from yeastcell.gem.enzyme_data import EnzymeData, EnzymeDataError
from yeastcell.gem.genes import resolve_genes
from yeastcell.gem.load import GEM
from yeastcell.gem.medium import ENZYME_METABOLITE_PREFIX

__all__ = [
    "DEFAULT_SATURATION",
    "POOL_METABOLITE",
    "POOL_REACTION",
    "EnzymeCosts",
    "ECModel",
    "enzyme_costs",
    "enzyme_constrained",
    "with_pool",
]

#: GECKO's default average saturation σ of the modelled enzymes (Sánchez et al. 2017 Mol Syst Biol).
DEFAULT_SATURATION = 0.5
POOL_METABOLITE = f"{ENZYME_METABOLITE_PREFIX}pool"
POOL_REACTION = f"{ENZYME_METABOLITE_PREFIX}pool_exchange"
_SECONDS_PER_HOUR = 3600.0


@dataclasses.dataclass(frozen=True, eq=False)
class EnzymeCosts:
    """Enzyme cost of every reaction and direction of a GEM.

    Attributes:
        forward, reverse: ``(n_reactions,)`` cost ``MW/kcat`` of the cheapest isoenzyme,
            g h mmol⁻¹ (g gDW⁻¹ of enzyme per mmol gDW⁻¹ h⁻¹ of flux); NaN where the direction
            has no enzyme (no rule, or the direction is blocked by the bounds).
        forward_enzyme, reverse_enzyme: the cheapest isoenzyme's genes per reaction (empty: none).
        forward_kcat, reverse_kcat: its kcat, 1/s (NaN: none).
        source: per reaction, where the forward kcat came from: ``"custom"``, ``"DLKcat"``,
            ``"DLKcat reverse"`` (the other direction's prediction), ``"median"`` or ``""``.
        median_kcat: the fallback kcat, 1/s.
    """

    forward: np.ndarray
    reverse: np.ndarray
    forward_enzyme: tuple[frozenset[str], ...]
    reverse_enzyme: tuple[frozenset[str], ...]
    forward_kcat: np.ndarray
    reverse_kcat: np.ndarray
    source: tuple[str, ...]
    median_kcat: float

    def counts(self) -> dict[str, int]:
        """Number of reactions per kcat source (``""``: no enzyme)."""
        out: dict[str, int] = {}
        for s in self.source:
            out[s] = out.get(s, 0) + 1
        return out


def _custom_kcat(data: EnzymeData, rxn: str, term: frozenset[str]) -> float | None:
    """The largest curated kcat that applies to complex ``term`` of reaction ``rxn`` (1/s), or None.

    An entry applies when it lists ``rxn`` (or no reactions) and its genes are all in ``term`` (an
    entry without genes applies to every complex of the reactions it lists).
    """
    hits = [c.kcat for c in data.custom if (rxn in c.reactions if c.reactions else bool(c.genes)) and c.genes <= term]
    return max(hits) if hits else None


def _term_kcat(
    data: EnzymeData, by_rxn: Mapping[tuple[str, str], Mapping[str, float]], rid: str, d: str, term: frozenset[str]
) -> tuple[float, str] | None:
    """kcat (1/s) of one complex for one direction and where it came from, or None."""
    k = _custom_kcat(data, rid, term)
    if k is not None:
        return k, "custom"
    for direction, source in ((d, "DLKcat"), ("-" if d == "+" else "+", "DLKcat reverse")):
        ks = [x for x in (by_rxn.get((rid, direction), {}).get(g) for g in term) if x is not None]
        if ks:
            return max(ks), source
    return None


def enzyme_costs(gem: GEM, data: EnzymeData, *, missing_kcat: str = "median") -> EnzymeCosts:
    """Per-reaction enzyme cost ``MW/kcat`` of the cheapest isoenzyme, both directions.

    Args:
        gem: the model (its gene rules and bounds: a direction the bounds block gets no cost).
        data: kcats and masses (:func:`~yeastcell.gem.enzyme_data.load_enzyme_data`).
        missing_kcat: ``"median"`` (an enzyme without any kcat gets the median kcat) or
            ``"free"`` (it costs nothing).

    Raises:
        UnknownGeneError, UnknownReactionError: the kcat tables name genes or reactions that are
            not in ``gem``.
        EnzymeDataError: an unknown ``missing_kcat``.
    """
    if missing_kcat not in ("median", "free"):
        raise EnzymeDataError(f"missing_kcat must be 'median' or 'free', got {missing_kcat!r}")
    data.validate_for(gem)
    n = gem.n_reactions
    masses = np.array(list(data.mw.values()))
    median_mw = float(np.median(masses)) if masses.size else math.nan
    by_rxn: dict[tuple[str, str], dict[str, float]] = {}
    for (r, d, g), k in data.kcat.items():
        by_rxn.setdefault((r, d), {})[g] = k
    kc = {d: np.full(n, np.nan) for d in "+-"}
    enz: dict[str, list[frozenset[str]]] = {d: [frozenset()] * n for d in "+-"}
    mass = {d: np.full(n, np.nan) for d in "+-"}
    src = [""] * n
    pending = []  # (j, d, term mass) without any kcat
    for j, (rid, rule) in enumerate(zip(gem.reaction_ids, gem.gene_rules)):
        if not rule.strip():
            continue
        terms = _rules.dnf(_rules.parse(rule))
        for d in "+-":
            if (d == "+" and gem.ub[j] <= 0) or (d == "-" and gem.lb[j] >= 0):
                continue
            best: tuple[float, float, frozenset[str], float, str] = (math.inf, math.nan, frozenset(), math.nan, "")
            for term in terms:  # (cost, kcat, complex, mass, source) of the cheapest isoenzyme
                m = sum(data.mw.get(g, median_mw) for g in term)
                found = _term_kcat(data, by_rxn, rid, d, term)
                if found is not None and m / found[0] < best[0]:
                    best = (m / found[0], found[0], term, m, found[1])
            if best[4]:
                kc[d][j], enz[d][j], mass[d][j] = best[1], best[2], best[3]
                if d == "+" or not src[j]:
                    src[j] = best[4]
            else:
                # no kcat for any isoenzyme: the lightest complex, priced later at the median kcat
                light = min(terms, key=lambda t: sum(data.mw.get(g, median_mw) for g in t))
                pending.append((j, d, light, sum(data.mw.get(g, median_mw) for g in light)))
    known = np.concatenate([kc["+"][np.isfinite(kc["+"])], kc["-"][np.isfinite(kc["-"])]])
    median_kcat = float(np.median(known)) if known.size else math.nan
    if missing_kcat == "median":
        for j, d, term, m in pending:
            kc[d][j], enz[d][j], mass[d][j] = median_kcat, term, m
            if d == "+" or not src[j]:
                src[j] = "median"
    per_flux = {d: mass[d] / 1000.0 / (kc[d] * _SECONDS_PER_HOUR) for d in "+-"}
    return EnzymeCosts(
        forward=per_flux["+"],
        reverse=per_flux["-"],
        forward_enzyme=tuple(enz["+"]),
        reverse_enzyme=tuple(enz["-"]),
        forward_kcat=kc["+"],
        reverse_kcat=kc["-"],
        source=tuple(src),
        median_kcat=median_kcat,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class ECModel:
    """An enzyme-constrained model.

    Attributes:
        gem: the LP as a :class:`GEM` (reversible enzymatic reactions split, pool row and column
            added); use it wherever a GEM goes.
        base: the GEM it was built from.
        costs: the enzyme costs (aligned with ``base``'s reactions).
        pool_bound: ``P``, g gDW⁻¹ (upper bound of ``prot_pool_exchange``).
        total_protein, mass_fraction, saturation: ``Ptot`` (g gDW⁻¹), ``f`` and ``σ``.
        column_cost: ``(gem.n_reactions,)`` enzyme drawn per unit flux of each column of ``gem``,
            g h mmol⁻¹ (0 for columns without enzyme), counted on ``|v|``.
        column_enzyme: the genes each column's enzyme is made of.
        base_column: for each column of ``gem``, the reaction of ``base`` it comes from (-1: the
            pool and usage columns); ``reverse``: whether the column is a split reverse direction.
    """

    gem: GEM
    base: GEM
    costs: EnzymeCosts
    pool_bound: float
    total_protein: float
    mass_fraction: float
    saturation: float
    column_cost: np.ndarray
    column_enzyme: tuple[frozenset[str], ...]
    base_column: np.ndarray
    reverse: np.ndarray

    def pool_usage(self, fluxes: np.ndarray) -> float:
        """Enzyme mass the fluxes of ``gem`` draw from the pool, g gDW⁻¹."""
        return float(np.sum(self.column_cost * np.abs(np.asarray(fluxes)[: len(self.column_cost)])))

    def base_fluxes(self, fluxes: np.ndarray) -> np.ndarray:
        """Net flux of every reaction of ``base`` (forward minus split reverse), mmol gDW⁻¹ h⁻¹."""
        v = np.asarray(fluxes, dtype=np.float64)
        out = np.zeros(self.base.n_reactions)
        keep = self.base_column >= 0
        sign = np.where(self.reverse, -1.0, 1.0)
        np.add.at(out, self.base_column[keep], sign[keep] * v[keep])
        return out

    def enzyme_usage(self, fluxes: np.ndarray) -> dict[str, float]:
        """Enzyme mass per gene, g gDW⁻¹: each column's draw split over its enzyme's subunits in
        proportion to their masses (the :class:`EnzymeData` masses used at build time)."""
        return dict(self._usage(np.asarray(fluxes)))

    def _usage(self, v: np.ndarray):
        out: dict[str, float] = {}
        for j in np.flatnonzero(self.column_cost > 0):
            e = self.column_cost[j] * abs(v[j])
            if e <= 0:
                continue
            genes = sorted(self.column_enzyme[j])
            w = np.array([self._masses.get(g, 1.0) for g in genes])
            for g, x in zip(genes, w / w.sum()):
                out[g] = out.get(g, 0.0) + e * float(x)
        return out.items()

    _masses: Mapping[str, float] = dataclasses.field(default_factory=dict, repr=False)


def with_pool(ec: ECModel, pool_bound: float) -> ECModel:
    """The same model with another pool bound ``P`` (g gDW⁻¹).

    Raises:
        EnzymeDataError: ``pool_bound`` is not positive and finite.
    """
    if not (math.isfinite(pool_bound) and pool_bound > 0):
        raise EnzymeDataError(f"pool_bound must be positive and finite (g/gDW), got {pool_bound!r}")
    j = ec.gem.reaction_ids.index(POOL_REACTION)
    ub = ec.gem.ub.copy()
    ub[j] = pool_bound
    sat = pool_bound / (ec.total_protein * ec.mass_fraction)
    return dataclasses.replace(ec, gem=ec.gem.replace(ub=ub), pool_bound=float(pool_bound), saturation=sat)


def enzyme_constrained(
    gem: GEM,
    data: EnzymeData,
    *,
    saturation: float = DEFAULT_SATURATION,
    pool_bound: float | None = None,
    abundances: Mapping[str, float] | None = None,
    missing_kcat: str = "median",
) -> ECModel:
    """Build the enzyme-constrained model of ``gem`` (see the module docstring).

    Args:
        gem: the model, with the bounds that define which directions exist (apply a medium before
            or after: exchange bounds do not change the enzyme costs).
        data: kcats, masses, ``Ptot`` and ``f``.
        saturation: ``σ``, average enzyme saturation in (0, 1].
        pool_bound: ``P`` in g gDW⁻¹; default ``Ptot · f · σ``.
        abundances: measured enzyme levels, gene (id or standard name) → g gDW⁻¹: each bounds
            the enzyme that the columns using that gene draw (its share of the complex's mass).
        missing_kcat: see :func:`enzyme_costs`.

    Raises:
        EnzymeDataError: a saturation, pool bound or abundance out of range.
        UnknownGeneError: an abundance or kcat names a gene that is not in ``gem``.
    """
    if not (0 < saturation <= 1):
        raise EnzymeDataError(f"saturation must be in (0, 1], got {saturation!r}")
    P = data.total_protein * data.mass_fraction * saturation if pool_bound is None else float(pool_bound)
    if not (math.isfinite(P) and P > 0):
        raise EnzymeDataError(f"pool_bound must be positive and finite (g/gDW), got {pool_bound!r}")
    costs = enzyme_costs(gem, data, missing_kcat=missing_kcat)
    n = gem.n_reactions
    fwd = np.nan_to_num(costs.forward, nan=0.0)
    rev = np.nan_to_num(costs.reverse, nan=0.0)
    split = (gem.lb < 0) & (gem.ub > 0) & (rev > 0)
    back_only = (gem.ub <= 0) & (rev > 0)
    S = gem.S.tocsc()
    rev_idx = np.flatnonzero(split)
    n_new = len(rev_idx)
    # columns: originals, split reverses, pool supply (+ usage columns)
    lb = np.concatenate([np.where(split, 0.0, gem.lb), np.zeros(n_new)])
    ub = np.concatenate([gem.ub, -gem.lb[rev_idx]])
    c = np.concatenate([gem.c, -gem.c[rev_idx]])
    base_col = np.concatenate([np.arange(n), rev_idx])
    is_rev = np.concatenate([back_only, np.ones(n_new, dtype=bool)])
    col_cost = np.concatenate([np.where(back_only, rev, fwd), rev[rev_idx]])
    col_enz = tuple(costs.reverse_enzyme[j] if back_only[j] else costs.forward_enzyme[j] for j in range(n)) + tuple(
        costs.reverse_enzyme[j] for j in rev_idx
    )
    # the pool row: consumption c·|v| (sign +c for backward-only columns, whose v ≤ 0)
    signed = np.where(is_rev & (np.arange(len(col_cost)) < n), col_cost, -col_cost)
    pool_row = sp.csr_array(signed.reshape(1, -1))
    big = sp.hstack([S, -S[:, rev_idx]], format="csc")
    rows = [big, pool_row]
    met_ids = list(gem.metabolite_ids) + [POOL_METABOLITE]
    met_names = list(gem.metabolite_names) + ["enzyme pool"]
    extra_cols = [(POOL_REACTION, "enzyme pool supply", 0.0, P, "")]
    abundance_rows = []
    masses = dict(data.mw)
    if abundances:
        idx = resolve_genes(gem, list(abundances))
        for (name, a), gi in zip(abundances.items(), idx):
            if not (math.isfinite(a) and a >= 0):
                raise EnzymeDataError(f"abundance of {name!r} must be >= 0 and finite (g/gDW), got {a!r}")
            g = gem.gene_ids[gi]
            row = np.zeros(len(col_cost))
            for j, enzyme in enumerate(col_enz):
                if g in enzyme and col_cost[j] > 0:
                    share = masses.get(g, 1.0) / sum(masses.get(x, 1.0) for x in enzyme)
                    row[j] = share * (col_cost[j] if (is_rev[j] and j < n) else -col_cost[j])
            abundance_rows.append(row)
            met_ids.append(f"{ENZYME_METABOLITE_PREFIX}{g}")
            met_names.append(f"enzyme {g}")
            extra_cols.append((f"usage_{ENZYME_METABOLITE_PREFIX}{g}", f"usage of enzyme {g}", 0.0, float(a), ""))
    for r in abundance_rows:
        rows.append(sp.csr_array(r.reshape(1, -1)))
    A = sp.vstack(rows, format="csc")
    n_rows = A.shape[0]
    k = len(extra_cols)
    supply = sp.csc_array(
        (np.ones(k), (np.array([gem.n_metabolites + i for i in range(k)]), np.arange(k))), shape=(n_rows, k)
    )
    A = sp.hstack([A, supply], format="csc")
    rids = list(gem.reaction_ids) + [f"{gem.reaction_ids[j]}_REV" for j in rev_idx] + [e[0] for e in extra_cols]
    rnames = list(gem.reaction_names) + [f"{gem.reaction_names[j]} (reverse)" for j in rev_idx]
    rnames += [e[1] for e in extra_cols]
    ec_gem = GEM(
        S=A,
        lb=np.concatenate([lb, [e[2] for e in extra_cols]]),
        ub=np.concatenate([ub, [e[3] for e in extra_cols]]),
        c=np.concatenate([c, np.zeros(k)]),
        objective_sense=gem.objective_sense,
        reaction_ids=tuple(rids),
        reaction_names=tuple(rnames),
        metabolite_ids=tuple(met_ids),
        metabolite_names=tuple(met_names),
        gene_ids=gem.gene_ids,
        gene_names=gem.gene_names,
        gene_rules=tuple(gem.gene_rules) + tuple(gem.gene_rules[j] for j in rev_idx) + ("",) * k,
        source_sha256=gem.source_sha256,
    )
    return ECModel(
        gem=ec_gem,
        base=gem,
        costs=costs,
        pool_bound=float(P),
        total_protein=data.total_protein,
        mass_fraction=data.mass_fraction,
        saturation=float(P / (data.total_protein * data.mass_fraction)),
        column_cost=np.concatenate([col_cost, np.zeros(k)]),
        column_enzyme=col_enz + (frozenset(),) * k,
        base_column=np.concatenate([base_col, -np.ones(k, dtype=np.int64)]),
        reverse=np.concatenate([is_rev, np.zeros(k, dtype=bool)]),
        _masses=masses,
    )


def require_feasible(status: str, what: str) -> None:
    """Raise a clear error for an LP that failed under the enzyme pool."""
    if status == "infeasible":
        raise InfeasibleError(
            f"{what} is infeasible under the enzyme pool (the pool bound may be too small for the "
            "fixed fluxes: raise the saturation or the pool bound)"
        )
    if status != "optimal":
        raise GemError(f"{what}: HiGHS stopped with status {status!r}")
