"""Enzyme-constrained GEM: one total-enzyme pool row on top of a :class:`~yeastcell.gem.load.GEM`.

Formulation (GECKO 3, Chen et al. 2024 Nat Protoc 19:629, with a pool row as in sMOMENT, Bekiaris
& Klamt 2020 BMC Bioinformatics 21:19): a flux ``v`` (mmol gDW⁻¹ h⁻¹) catalysed by isoenzyme
``k`` needs ``c_k · |v|`` g gDW⁻¹ of enzyme, with the cost ``c_k = MW_k / kcat_k`` (g h mmol⁻¹)
priced by :mod:`yeastcell.gem.pricing` (GECKO's rules for complexes, subunit copies, missing kcats
and reactions without gene rules).

* **isoenzymes** (``isoenzymes="split"``, the default, as GECKO's full model): a reaction whose
  isoenzymes differ in cost gets one column per cost class (isoenzymes of equal cost share one);
  the cheapest keeps the reaction's id, the others are ``<id>_EXP_2``, ``<id>_EXP_3``, … with the
  gene rule of their isoenzymes only. A gene deletion then removes exactly the isoenzymes it
  breaks, and the reaction is re-priced with the cheapest one left (the LP picks it). With
  ``isoenzymes="cheapest"`` (GECKO's light model, sMOMENT) a reaction has one column priced at its
  cheapest isoenzyme: smaller, same wild-type optimum, but deleting that isoenzyme does not make
  the reaction dearer;
* **reversible** reactions with an enzyme are split into a forward column (``lb = 0``) and a
  reverse column ``<id>_REV`` (``-S_j``, ``0 ≤ v ≤ -lb_j``, same gene rule), so that each
  direction pays ``c · v`` with ``v ≥ 0``; reactions that only run backwards pay ``c · (-v)``.

The pool is one extra metabolite ``prot_pool``: every enzymatic column consumes ``c`` of it per
unit flux and the column ``prot_pool_exchange`` supplies it, ``0 ≤ supply ≤ P``, with

    P = Ptot · f · σ                                            (g gDW⁻¹)

``Ptot`` the measured total protein (0.4228 g gDW⁻¹ in GECKO's ``fluxData.tsv``), ``f`` the mass
fraction of the proteome made of the model's enzymes (PaxDb, ~0.45 for Yeast-GEM) and ``σ`` the
average saturation of those enzymes (GECKO's default 0.5; a parameter). Measured abundances
(g gDW⁻¹ per gene) optionally add a row per enzyme bounding what the columns using it draw.

**Ribosomes** (``ribosome=YEAST_RIBOSOME``, off by default; :mod:`yeastcell.gem.ribosome`): the protein
pseudoreaction draws the ribosomal protein that translation needs, ``R = ρ · v_protein`` g gDW⁻¹
(``ρ`` from the elongation rate and the ribosome's protein mass), from the same pool, as
proteome-constrained models do (pcYeast, Elsemman et al. 2022 Nat Commun 13:801). Besides the
translating ribosomes the cell keeps an idle reserve, a constant ``φ_idle · Ptot`` of r-protein
(Metzl-Raz et al. 2017 eLife 6:e28034: ≈ 8 % of the proteome; ``Ribosome.reserve_fraction``).
The pool is a budget of protein mass, ``Σ c·v/σ + R + φ_idle·Ptot ≤ Ptot · (f + f_r)`` (enzymes at
saturation ``σ``; ribosomes at their measured in-vivo elongation rate, so without ``σ``), written in
the pool's units with the constant reserve moved to the right:

    Σ c·v + σ·ρ·v_protein ≤ P = Ptot · (f + f_r − φ_idle) · σ

with ``f_r`` the ribosomal mass fraction of the proteome the pool stands for: the measured (PaxDb)
one by default, or what the model's ribosomes take at the growth rate the pool is calibrated to
(``ribosomal_mass_fraction=``, :func:`~yeastcell.gem.chemostat.ribosomal_fraction_for_growth`). The
ribosome's coefficient ``σ·ρ`` follows the pool bound (:func:`with_pool` keeps them consistent), and
:func:`~yeastcell.gem.chemostat.pool_for_growth` calibrates ``P`` self-consistently. With a fixed
biomass composition ``R`` is proportional to ``μ``: the ribosome takes pool from the enzymes in
proportion to growth, the reserve a constant share.

The result is again a :class:`GEM` (``ECModel.gem``), so :func:`~yeastcell.gem.fba.optimize`,
:func:`~yeastcell.gem.screen.knockout_screen` and the JAX engine apply unchanged; the pool and
usage columns are not exchanges with the medium (:func:`~yeastcell.gem.medium.exchange_reactions`
skips them). The biomass composition does not change with the growth rate.

Units: fluxes mmol gDW⁻¹ h⁻¹, costs g h mmol⁻¹, pool and masses g gDW⁻¹.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from yeastcell.exceptions import GemError, InfeasibleError
from yeastcell.gem.enzyme_data import EnzymeData, EnzymeDataError
from yeastcell.gem.genes import resolve_genes
from yeastcell.gem.load import GEM, reaction_index
from yeastcell.gem.medium import ENZYME_METABOLITE_PREFIX
from yeastcell.gem.pricing import STANDARD_ENZYME, EnzymeCosts, Isoenzyme, enzyme_costs
from yeastcell.gem.ribosome import YEAST_RIBOSOME, Ribosome, ribosome_cost

__all__ = [
    "DEFAULT_SATURATION",
    "POOL_METABOLITE",
    "POOL_REACTION",
    "ISOENZYME_MODES",
    "EnzymeCosts",
    "ECModel",
    "enzyme_costs",
    "enzyme_constrained",
    "with_pool",
    "Ribosome",
    "YEAST_RIBOSOME",
]

#: GECKO's default average saturation σ of the modelled enzymes (Sánchez et al. 2017 Mol Syst Biol).
DEFAULT_SATURATION = 0.5
POOL_METABOLITE = f"{ENZYME_METABOLITE_PREFIX}pool"
POOL_REACTION = f"{ENZYME_METABOLITE_PREFIX}pool_exchange"
ISOENZYME_MODES = ("split", "cheapest")


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
        column_enzyme: the genes each column's enzyme is made of (its cheapest isoenzyme; empty:
            none, or GECKO's standard pseudo-enzyme).
        column_shares: per column, each subunit's share of the enzyme's mass (gene → fraction;
            ``{"standard": 1.0}`` for the standard pseudo-enzyme, ``{}``: no enzyme).
        isoenzymes: ``"split"`` or ``"cheapest"``, as built.
        base_column: for each column of ``gem``, the reaction of ``base`` it comes from (-1: the
            pool and usage columns); ``reverse``: whether the column is a split reverse direction.
        ribosome: the translation parameters when ribosomes are priced (``None``: not priced).
        ribosome_column: the column of ``gem`` of the protein pseudoreaction (-1: none).
        ribosome_cost: ``ρ``, g r-protein gDW⁻¹ per unit protein-reaction flux (g h mmol⁻¹); its
            coefficient in the pool row is ``σ·ρ``.
        ribosomal_mass_fraction: ``f_r`` in the pool bound (0 without ribosomes).
        ribosome_reserve: ``φ_idle``, the idle ribosomes' mass fraction of the proteome, outside the
            LP (0 without ribosomes).
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
    column_shares: tuple[Mapping[str, float], ...] = ()
    isoenzymes: str = "split"
    ribosome: Ribosome | None = None
    ribosome_column: int = -1
    ribosome_cost: float = 0.0
    ribosomal_mass_fraction: float = 0.0
    ribosome_reserve: float = 0.0

    @property
    def modelled_fraction(self) -> float:
        """``f + f_r − φ_idle``: mass fraction of the proteome the pool stands for, the enzymes and the
        translating ribosomes (dimensionless)."""
        return self.mass_fraction + self.ribosomal_mass_fraction - self.ribosome_reserve

    def pool_usage(self, fluxes: np.ndarray) -> float:
        """Metabolic-enzyme mass the fluxes of ``gem`` draw from the pool, g gDW⁻¹ (at saturation
        ``σ``; the ribosomes' draw is ``σ ·`` :meth:`ribosome_usage`)."""
        return float(np.sum(self.column_cost * np.abs(np.asarray(fluxes)[: len(self.column_cost)])))

    def ribosome_usage(self, fluxes: np.ndarray) -> float:
        """Ribosomal-protein mass the fluxes of ``gem`` need for translation, g gDW⁻¹ (0 without
        ribosomes)."""
        if self.ribosome_column < 0:
            return 0.0
        return self.ribosome_cost * abs(float(np.asarray(fluxes)[self.ribosome_column]))

    def ribosomal_mass(self, fluxes: np.ndarray) -> float:
        """Ribosomal-protein mass, translating (:meth:`ribosome_usage`) and idle (``φ_idle · Ptot``),
        g gDW⁻¹ (0 without ribosomes)."""
        if self.ribosome_column < 0:
            return 0.0
        return self.ribosome_reserve * self.total_protein + self.ribosome_usage(fluxes)

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
        proportion to their mass in the complex (copies · MW; key ``"standard"``: GECKO's standard
        pseudo-enzyme of enzymatic reactions without a gene rule)."""
        v = np.asarray(fluxes)
        out: dict[str, float] = {}
        for j in np.flatnonzero(self.column_cost > 0):
            e = self.column_cost[j] * abs(v[j])
            if e <= 0:
                continue
            for g, x in self.column_shares[j].items():
                out[g] = out.get(g, 0.0) + e * float(x)
        return out


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
    sat = pool_bound / (ec.total_protein * ec.modelled_fraction)
    gem = ec.gem.replace(ub=ub)
    if ec.ribosome_column >= 0:
        gem = gem.replace(
            S=_set_pool_coefficient(gem.S, ec.base.n_metabolites, ec.ribosome_column, -sat * ec.ribosome_cost)
        )
    return dataclasses.replace(ec, gem=gem, pool_bound=float(pool_bound), saturation=sat)


def _set_pool_coefficient(S, row: int, col: int, value: float):
    """A copy of ``S`` (CSC) with the existing entry ``(row, col)`` set to ``value``."""
    S = sp.csc_array(S, copy=True)
    lo, hi = S.indptr[col], S.indptr[col + 1]
    k = np.flatnonzero(S.indices[lo:hi] == row)
    if len(k) != 1:
        raise GemError(f"pool row has no entry for column {col}")
    S.data[lo + k[0]] = value
    return S


def enzyme_constrained(
    gem: GEM,
    data: EnzymeData,
    *,
    saturation: float = DEFAULT_SATURATION,
    pool_bound: float | None = None,
    abundances: Mapping[str, float] | None = None,
    missing_kcat: str = "median",
    no_gene_rule: str = "standard",
    isoenzymes: str = "split",
    ribosome: Ribosome | None = None,
    ribosomal_mass_fraction: float | None = None,
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
        missing_kcat, no_gene_rule: see :func:`~yeastcell.gem.pricing.isoenzymes`.
        isoenzymes: ``"split"`` (one column per isoenzyme cost class: deletions re-price) or
            ``"cheapest"`` (one column per reaction at its cheapest isoenzyme); see the module
            docstring.
        ribosome: translation parameters (:class:`~yeastcell.gem.ribosome.Ribosome`): its protein
            reaction draws ribosomal protein from the pool, and the pool stands for ``f + f_r`` of
            the proteome (``data.ribosomal_mass_fraction``); ``None`` (default): protein synthesis
            is free and the pool stands for ``f`` (GECKO's model). Its idle reserve
            (``ribosome.reserve_fraction``) is set aside from the pool.
        ribosomal_mass_fraction: ``f_r``, the ribosomes' share of the proteome in the pool (with
            ``ribosome``); default ``data.ribosomal_mass_fraction`` (PaxDb: 0.093 for Yeast-GEM, less
            than ``YEAST_RIBOSOME`` needs at the batch growth rate, so a pool calibrated to it comes out
            at σ > 1). The growth benchmark uses
            :func:`~yeastcell.gem.chemostat.ribosomal_fraction_for_growth` at the calibration growth
            rate (see docs/enzyme_constrained.md for why).

    Raises:
        EnzymeDataError: a saturation, pool bound or abundance out of range, an unknown mode, a
            ``ribosome`` that is not a :class:`~yeastcell.gem.ribosome.Ribosome`, a ribosomal mass
            fraction not above the ribosome's reserve or with ``f + f_r > 1``.
        UnknownGeneError: an abundance or kcat names a gene that is not in ``gem``.
        UnknownReactionError: the ribosome's protein reaction is not in ``gem`` (pass
            ``ribosome=None`` for a model without one).
    """
    if not (0 < saturation <= 1):
        raise EnzymeDataError(f"saturation must be in (0, 1], got {saturation!r}")
    if ribosome is not None and not isinstance(ribosome, Ribosome):
        raise EnzymeDataError(f"ribosome must be a Ribosome or None, got {type(ribosome).__name__}")
    if ribosome is not None and ribosomal_mass_fraction is None and not data.ribosomal_mass_fraction > 0:
        raise EnzymeDataError(
            "pricing the ribosome needs the r-proteins' mass fraction of the proteome "
            "(EnzymeData.ribosomal_mass_fraction > 0; load_enzyme_data reads it with yeast-gem/SGDgeneNames.tsv)"
        )
    rho = ribosome_cost(gem, ribosome) if ribosome is not None else 0.0
    f_r = 0.0
    reserve = 0.0
    if ribosome is not None:
        f_r = data.ribosomal_mass_fraction if ribosomal_mass_fraction is None else float(ribosomal_mass_fraction)
        reserve = float(ribosome.reserve_fraction)
        if not (math.isfinite(f_r) and reserve < f_r and data.mass_fraction + f_r <= 1):
            raise EnzymeDataError(
                f"ribosomal_mass_fraction must exceed the ribosome's reserve_fraction ({reserve:g}) and keep "
                f"f + f_r <= 1 (f = {data.mass_fraction:.4g}), got {f_r!r}"
            )
    modelled = data.mass_fraction + f_r - reserve
    P = data.total_protein * modelled * saturation if pool_bound is None else float(pool_bound)
    if not (math.isfinite(P) and P > 0):
        raise EnzymeDataError(f"pool_bound must be positive and finite (g/gDW), got {pool_bound!r}")
    if isoenzymes not in ISOENZYME_MODES:
        raise EnzymeDataError(f"isoenzymes must be one of {ISOENZYME_MODES}, got {isoenzymes!r}")
    costs = enzyme_costs(gem, data, missing_kcat=missing_kcat, no_gene_rule=no_gene_rule)
    vc = _columns(gem, costs, split=isoenzymes == "split")
    n = len(vc.origin)
    v_lb, v_ub = gem.lb[vc.origin], gem.ub[vc.origin]
    fwd = np.nan_to_num(vc.cost[0], nan=0.0)
    rev = np.nan_to_num(vc.cost[1], nan=0.0)
    split = (v_lb < 0) & (v_ub > 0) & (rev > 0)
    back_only = (v_ub <= 0) & (rev > 0)
    S = gem.S.tocsc()[:, vc.origin]
    rev_idx = np.flatnonzero(split)
    n_new = len(rev_idx)
    # columns: (isoenzyme-expanded) originals, split reverses, pool supply (+ usage columns)
    lb = np.concatenate([np.where(split, 0.0, v_lb), np.zeros(n_new)])
    ub = np.concatenate([v_ub, -v_lb[rev_idx]])
    c = np.concatenate([gem.c[vc.origin], -gem.c[vc.origin][rev_idx]])
    base_col = np.concatenate([vc.origin, vc.origin[rev_idx]])
    is_rev = np.concatenate([back_only, np.ones(n_new, dtype=bool)])
    col_cost = np.concatenate([np.where(back_only, rev, fwd), rev[rev_idx]])
    col_iso = [vc.iso[1][j] if back_only[j] else vc.iso[0][j] for j in range(n)] + [vc.iso[1][j] for j in rev_idx]
    col_enz = tuple(i.genes if i is not None else frozenset() for i in col_iso)
    col_shares = tuple(_shares(i) for i in col_iso)
    # the pool row: consumption c·|v| (sign +c for backward-only columns, whose v ≤ 0)
    signed = np.where(is_rev & (np.arange(len(col_cost)) < n), col_cost, -col_cost)
    rib_col = -1
    if ribosome is not None:
        cols = np.flatnonzero(vc.origin[:n] == reaction_index(gem, ribosome.protein_reaction))
        if len(cols) != 1 or col_cost[cols[0]] != 0 or v_lb[cols[0]] < 0:
            raise EnzymeDataError(
                f"protein reaction {ribosome.protein_reaction!r} must be one irreversible column without an enzyme"
            )
        rib_col = int(cols[0])
        signed = signed.copy()
        signed[rib_col] = -(P / (data.total_protein * modelled)) * rho
    pool_row = sp.csr_array(signed.reshape(1, -1))
    big = sp.hstack([S, -S[:, rev_idx]], format="csc")
    rows = [big, pool_row]
    met_ids = list(gem.metabolite_ids) + [POOL_METABOLITE]
    met_names = list(gem.metabolite_names) + ["enzyme pool"]
    extra_cols = [(POOL_REACTION, "enzyme pool supply", 0.0, P, "")]
    abundance_rows = []
    if abundances:
        idx = resolve_genes(gem, list(abundances))
        for (name, a), gi in zip(abundances.items(), idx):
            if not (math.isfinite(a) and a >= 0):
                raise EnzymeDataError(f"abundance of {name!r} must be >= 0 and finite (g/gDW), got {a!r}")
            g = gem.gene_ids[gi]
            row = np.zeros(len(col_cost))
            for j, shares in enumerate(col_shares):
                if g in shares and col_cost[j] > 0:
                    row[j] = shares[g] * (col_cost[j] if (is_rev[j] and j < n) else -col_cost[j])
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
    rids = list(vc.ids) + [f"{vc.ids[j]}_REV" for j in rev_idx] + [e[0] for e in extra_cols]
    rnames = list(vc.names) + [f"{vc.names[j]} (reverse)" for j in rev_idx]
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
        gene_rules=tuple(vc.rules) + tuple(vc.rules[j] for j in rev_idx) + ("",) * k,
        source_sha256=gem.source_sha256,
    )
    return ECModel(
        gem=ec_gem,
        base=gem,
        costs=costs,
        pool_bound=float(P),
        total_protein=data.total_protein,
        mass_fraction=data.mass_fraction,
        saturation=float(P / (data.total_protein * modelled)),
        column_cost=np.concatenate([col_cost, np.zeros(k)]),
        column_enzyme=col_enz + (frozenset(),) * k,
        base_column=np.concatenate([base_col, -np.ones(k, dtype=np.int64)]),
        reverse=np.concatenate([is_rev, np.zeros(k, dtype=bool)]),
        column_shares=col_shares + ({},) * k,
        isoenzymes=isoenzymes,
        ribosome=ribosome,
        ribosome_column=rib_col,
        ribosome_cost=float(rho),
        ribosomal_mass_fraction=float(f_r),
        ribosome_reserve=reserve,
    )


def _shares(iso: Isoenzyme | None) -> Mapping[str, float]:
    if iso is None:
        return {}
    return dict(iso.shares) if iso.genes else {STANDARD_ENZYME: 1.0}


@dataclasses.dataclass(frozen=True)
class _Columns:
    """The reactions of a GEM expanded into one column per isoenzyme cost class."""

    origin: np.ndarray  # (n_cols,) base reaction of each column
    ids: tuple[str, ...]
    names: tuple[str, ...]
    rules: tuple[str, ...]
    cost: tuple[np.ndarray, np.ndarray]  # forward, reverse cost of each column (NaN: none)
    iso: tuple[list[Isoenzyme | None], list[Isoenzyme | None]]  # the isoenzyme paying, per direction


def _rule_of(terms: list[frozenset[str]]) -> str:
    return " or ".join("(" + " and ".join(sorted(t)) + ")" if len(t) > 1 else next(iter(t)) for t in terms)


def _cheapest(isos, d: int) -> Isoenzyme | None:
    priced = [i for i in isos if i.source[d]]
    return min(priced, key=lambda i: i.cost(d)) if priced else None


def _columns(gem: GEM, costs: EnzymeCosts, split: bool) -> _Columns:
    """One column per reaction (``split=False``), or per isoenzyme cost class (``split=True``: the
    cheapest class keeps the id, the others ``<id>_EXP_<k>``, k = 2, 3, … in order of cost)."""
    origin: list[int] = []
    ids, names, rules = [], [], []
    cost: tuple[list[float], list[float]] = ([], [])
    iso: tuple[list[Isoenzyme | None], list[Isoenzyme | None]] = ([], [])
    for j, isos in enumerate(costs.isoenzymes):
        groups: list[list[Isoenzyme]] = [list(isos)]
        if split and len(isos) > 1 and all(i.genes for i in isos):
            by_cost: dict[tuple[str, str], list[Isoenzyme]] = {}
            for i in isos:
                by_cost.setdefault((f"{i.cost(0):.12g}", f"{i.cost(1):.12g}"), []).append(i)
            if len(by_cost) > 1:
                groups = sorted(by_cost.values(), key=lambda g: (_key(g[0].cost(0)), _key(g[0].cost(1))))
        for k, group in enumerate(groups):
            origin.append(j)
            ids.append(gem.reaction_ids[j] if k == 0 else f"{gem.reaction_ids[j]}_EXP_{k + 1}")
            names.append(gem.reaction_names[j] if k == 0 else f"{gem.reaction_names[j]} (isoenzyme {k + 1})")
            rules.append(gem.gene_rules[j] if len(groups) == 1 else _rule_of([i.genes for i in group]))
            for d in (0, 1):
                best = _cheapest(group, d)
                iso[d].append(best)
                cost[d].append(best.cost(d) if best is not None else math.nan)
    return _Columns(
        np.array(origin, dtype=np.int64),
        tuple(ids),
        tuple(names),
        tuple(rules),
        (np.array(cost[0]), np.array(cost[1])),
        iso,
    )


def _key(x: float) -> float:
    return x if math.isfinite(x) else math.inf


def require_feasible(status: str, what: str) -> None:
    """Raise a clear error for an LP that failed under the enzyme pool."""
    if status == "infeasible":
        raise InfeasibleError(
            f"{what} is infeasible under the enzyme pool (the pool bound may be too small for the "
            "fixed fluxes: raise the saturation or the pool bound)"
        )
    if status != "optimal":
        raise GemError(f"{what}: HiGHS stopped with status {status!r}")
