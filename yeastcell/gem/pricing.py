"""Enzyme cost of every reaction of a GEM: kcat and mass of each isoenzyme, by GECKO 3's rules.

The rules (Chen et al. 2024 Nat Protoc 19:629, GECKO 3; the MATLAB functions named are GECKO's):

* **isoenzymes** are the terms of the gene rule's disjunctive normal form (``or`` of ``and``s),
  each a complex (one gene: a monomer) with its own kcat and mass (GECKO's full model expands them
  into ``<rxn>_EXP_<k>`` reactions; its light model keeps the cheapest, ``applyKcatConstraints``);
* **mass** of a complex: Σ copies · MW over its subunits (``applyKcatConstraints``: "multicopy
  subunits"); the copies come from the curated table's ``stoicho`` column where it gives them
  (ATP synthase, complex III, PDH, …), else 1 (GECKO takes them from ComplexPortal,
  ``getComplexData``, which is not in the reference data); masses from UniProt, a subunit without
  one gets the median UniProt mass;
* **kcat** of a complex (one per reaction, isoenzyme and direction):

  1. a curated value (``customKcats.tsv``) whose genes the complex contains (GECKO's
     ``applyCustomKcats`` applies an entry only to a complex with exactly its proteins and flags
     complexes with ≥ 50 % overlap for manual curation; Yeast-GEM's rules for complexes III and IV
     add cytochrome c to the curated complexes, so containment is used here, which applies them);
  2. else the largest DLKcat prediction over the complex's subunits and the reaction's substrates
     (``selectKcatValue``, default criterion ``'max'``: one kcat per reaction and isoenzyme, the
     maximum over every prediction for it);
  3. else the other direction's prediction for the same complex (a reaction whose reverse has no
     prediction: the same enzyme's turnover rather than a model-wide default; not in GECKO);
  4. else, by **EC number**, the median of the kcats assigned in 1-3 to the model's other
     reactions whose complexes carry the same single, complete EC number (UniProt; GECKO's
     ``fuzzyKcatMatching`` matches EC numbers against BRENDA, which is not in the reference data:
     here the same-EC values come from the model's own curated and predicted kcats, e.g. an
     acyltransferase's lumped lipid reactions, for which DLKcat had no SMILES, get the kcats it
     predicted for the same enzyme class on defined substrates); complexes whose subunits carry
     several EC numbers, or none, are not matched;
  5. else the **standard kcat**, the median of the kcats assigned in 1-3 over every reaction,
     isoenzyme and direction (``getStandardKcat``, ``fillZeroKcat``);
* **reactions without a gene rule**: exchanges, transport (a metabolite name on both sides),
  pseudoreactions, SLIME reactions, spontaneous reactions and the objective cost nothing; any
  other (an enzymatic conversion whose gene is unknown) gets GECKO's "standard" pseudo-enzyme:
  the median UniProt mass of the organism's proteins over the standard kcat
  (``getStandardKcat``; GECKO uses a subsystem's mean kcat where the subsystem has ≥ 10 kcats, the
  model here carries no subsystems, so the median everywhere);
* **water transport** costs nothing even with a gene rule: water crosses lipid bilayers by
  diffusion, and the aquaporins Yeast-GEM names for it (AQY1, AQY2) are non-functional in S288C
  laboratory strains (Bonhivers et al. 1998 J Biol Chem 273:27565); GECKO prices it like any
  transporter (here it would take the standard kcat and ~5 % of the pool near the Crabtree
  transition);
* a direction that the bounds block gets no cost.

Cost of an isoenzyme: ``MW/kcat`` in g h mmol⁻¹ (g gDW⁻¹ of enzyme per mmol gDW⁻¹ h⁻¹ of flux).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from yeastcell import gpr as _rules
from yeastcell.gem.enzyme_data import EnzymeData, EnzymeDataError
from yeastcell.gem.load import GEM

__all__ = [
    "STANDARD_ENZYME",
    "Isoenzyme",
    "EnzymeCosts",
    "isoenzymes",
    "enzyme_costs",
    "needs_standard_enzyme",
    "passive_transport",
]

#: Name of GECKO's pseudo-enzyme for enzymatic reactions without a gene rule.
STANDARD_ENZYME = "standard"
_SECONDS_PER_HOUR = 3600.0
_NO_COST_WORDS = ("pseudoreaction", "slime rxn", "spontaneous")
DIRECTIONS = "+-"


@dataclasses.dataclass(frozen=True)
class Isoenzyme:
    """One isoenzyme (complex) of one reaction.

    Attributes:
        genes: its subunits (empty: GECKO's standard pseudo-enzyme).
        mass: Σ copies · MW, g mol⁻¹.
        shares: mass share of each subunit (gene → fraction of ``mass``), for per-gene usage.
        kcat: forward and reverse turnover numbers, 1/s (NaN: the direction is blocked, or it has
            no kcat and ``missing_kcat="free"``).
        source: per direction, where the kcat came from (``"custom"``, ``"DLKcat"``, ``"DLKcat
            reverse"``, ``"EC number"``, ``"median"``, ``"standard"``, ``"free"``; ``""``: none).
    """

    genes: frozenset[str]
    mass: float
    shares: Mapping[str, float]
    kcat: tuple[float, float]
    source: tuple[str, str]

    def cost(self, direction: int) -> float:
        """``MW/kcat`` of direction 0 (forward) or 1 (reverse), g h mmol⁻¹ (NaN: none; 0: free)."""
        k = self.kcat[direction]
        if self.source[direction] == "free":
            return 0.0
        return self.mass / 1000.0 / (k * _SECONDS_PER_HOUR) if math.isfinite(k) else math.nan


@dataclasses.dataclass(frozen=True, eq=False)
class EnzymeCosts:
    """Enzyme cost of every reaction and direction of a GEM (the cheapest isoenzyme).

    Attributes:
        forward, reverse: ``(n_reactions,)`` cost ``MW/kcat`` of the cheapest isoenzyme,
            g h mmol⁻¹ (g gDW⁻¹ of enzyme per mmol gDW⁻¹ h⁻¹ of flux); NaN where the direction
            has no enzyme (no rule, or the direction is blocked by the bounds).
        forward_enzyme, reverse_enzyme: the cheapest isoenzyme's genes per reaction (empty: none,
            or the standard pseudo-enzyme).
        forward_kcat, reverse_kcat: its kcat, 1/s (NaN: none).
        source: per reaction, where the forward kcat came from: ``"custom"``, ``"DLKcat"``,
            ``"DLKcat reverse"`` (the other direction's prediction), ``"EC number"``, ``"median"``,
            ``"standard"``
            (no gene rule: GECKO's standard pseudo-enzyme) or ``""``.
        median_kcat: the standard kcat, 1/s.
        isoenzymes: per reaction, every isoenzyme (see :func:`isoenzymes`).
    """

    forward: np.ndarray
    reverse: np.ndarray
    forward_enzyme: tuple[frozenset[str], ...]
    reverse_enzyme: tuple[frozenset[str], ...]
    forward_kcat: np.ndarray
    reverse_kcat: np.ndarray
    source: tuple[str, ...]
    median_kcat: float
    isoenzymes: tuple[tuple[Isoenzyme, ...], ...]

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


_PASSIVE = frozenset({"H2O"})


def passive_transport(gem: GEM) -> np.ndarray:
    """Bool ``(n_reactions,)``: transport reactions that move only water (metabolite name
    ``H2O`` on both sides and nothing else), priced at no enzyme cost (see the module)."""
    S = gem.S.tocsc()
    names = gem.metabolite_names
    out = np.zeros(gem.n_reactions, dtype=bool)
    for j in range(gem.n_reactions):
        a, b = S.indptr[j], S.indptr[j + 1]
        rows, vals = S.indices[a:b], S.data[a:b]
        pos = {names[i] for i, v in zip(rows, vals) if v > 0}
        neg = {names[i] for i, v in zip(rows, vals) if v < 0}
        out[j] = pos == neg and pos <= _PASSIVE and bool(pos)
    return out


def needs_standard_enzyme(gem: GEM) -> np.ndarray:
    """Bool ``(n_reactions,)``: reactions without a gene rule that GECKO prices with its standard
    pseudo-enzyme: not an exchange (≤ 1 metabolite), not a transport (a metabolite name on both
    sides), not a pseudoreaction, SLIME or spontaneous reaction (by name), not in the objective."""
    S = gem.S.tocsc()
    names = gem.metabolite_names
    out = np.zeros(gem.n_reactions, dtype=bool)
    for j, rule in enumerate(gem.gene_rules):
        a, b = S.indptr[j], S.indptr[j + 1]
        if rule.strip() or b - a <= 1 or gem.c[j] != 0:
            continue
        if any(w in gem.reaction_names[j].lower() for w in _NO_COST_WORDS):
            continue
        rows, vals = S.indices[a:b], S.data[a:b]
        if {names[i] for i, v in zip(rows, vals) if v > 0} & {names[i] for i, v in zip(rows, vals) if v < 0}:
            continue  # transport
        out[j] = True
    return out


def isoenzymes(
    gem: GEM, data: EnzymeData, *, missing_kcat: str = "median", no_gene_rule: str = "standard"
) -> tuple[tuple[tuple[Isoenzyme, ...], ...], float]:
    """Every isoenzyme of every reaction, priced (see the module docstring), and the standard kcat.

    Args:
        gem: the model (its gene rules and bounds).
        data: kcats and masses (:func:`~yeastcell.gem.enzyme_data.load_enzyme_data`).
        missing_kcat: ``"median"`` (an isoenzyme without any kcat gets the same-EC median, else
            the standard kcat) or ``"free"`` (it costs nothing).
        no_gene_rule: ``"standard"`` (GECKO's standard pseudo-enzyme for enzymatic reactions
            without a gene rule, see :func:`needs_standard_enzyme`) or ``"free"``.

    Returns:
        Per reaction a tuple of isoenzymes (empty: no cost), and the standard kcat (1/s).

    Raises:
        UnknownGeneError, UnknownReactionError: the kcat tables name genes or reactions that are
            not in ``gem``.
        EnzymeDataError: an unknown ``missing_kcat`` or ``no_gene_rule``.
    """
    if missing_kcat not in ("median", "free"):
        raise EnzymeDataError(f"missing_kcat must be 'median' or 'free', got {missing_kcat!r}")
    if no_gene_rule not in ("standard", "free"):
        raise EnzymeDataError(f"no_gene_rule must be 'standard' or 'free', got {no_gene_rule!r}")
    data.validate_for(gem)
    masses = np.array(list(data.mw.values()))
    median_mw = float(np.median(masses)) if masses.size else math.nan
    by_rxn: dict[tuple[str, str], dict[str, float]] = {}
    for (r, d, g), k in data.kcat.items():
        by_rxn.setdefault((r, d), {})[g] = k
    raw: list[list[tuple[frozenset[str], float, dict[str, float], list]]] = []
    known: list[float] = []
    passive = passive_transport(gem)
    for j, (rid, rule) in enumerate(zip(gem.reaction_ids, gem.gene_rules)):
        entries: list[tuple[frozenset[str], float, dict[str, float], list]] = []
        if rule.strip() and not passive[j]:
            open_dir = (gem.ub[j] > 0, gem.lb[j] < 0)
            for term in _rules.dnf(_rules.parse(rule)):
                copies = data.copies(term)
                w = {g: copies.get(g, 1.0) * data.mw.get(g, median_mw) for g in term}
                mass = sum(w.values())
                ks: list = [
                    _term_kcat(data, by_rxn, rid, d, term) if ok else False for d, ok in zip(DIRECTIONS, open_dir)
                ]
                known += [k[0] for k in ks if k]
                entries.append((term, mass, {g: x / mass for g, x in w.items()}, ks))
        raw.append(entries)
    median_kcat = float(np.median(known)) if known else math.nan
    by_ec = _kcats_by_ec(raw, data.ec_numbers)
    standard = needs_standard_enzyme(gem) if no_gene_rule == "standard" else np.zeros(gem.n_reactions, bool)
    fill = (median_kcat, "median") if missing_kcat == "median" else (math.nan, "free")
    out = []
    for j, entries in enumerate(raw):
        isos = []
        for term, mass, shares, ks in entries:
            ec = _single_ec(term, data.ec_numbers)
            miss = (by_ec[ec], "EC number") if missing_kcat == "median" and ec in by_ec else fill
            kd = [(math.nan, "") if k is False else (k if k is not None else miss) for k in ks]
            isos.append(Isoenzyme(term, mass, shares, (kd[0][0], kd[1][0]), (kd[0][1], kd[1][1])))
        if standard[j]:
            kd = [(median_kcat, STANDARD_ENZYME) if ok else (math.nan, "") for ok in (gem.ub[j] > 0, gem.lb[j] < 0)]
            isos.append(Isoenzyme(frozenset(), median_mw, {}, (kd[0][0], kd[1][0]), (kd[0][1], kd[1][1])))
        out.append(tuple(isos))
    return tuple(out), median_kcat


def _single_ec(term: frozenset[str], ec_numbers: Mapping[str, frozenset[str]]) -> str | None:
    """The complex's EC number when its subunits carry exactly one (complete) EC number between them."""
    ecs: set[str] = set()
    for g in term:
        ecs |= ec_numbers.get(g, frozenset())
    return next(iter(ecs)) if len(ecs) == 1 else None


def _kcats_by_ec(raw, ec_numbers: Mapping[str, frozenset[str]]) -> dict[str, float]:
    """EC number → median kcat (1/s) over the assigned (curated or predicted) kcats of complexes
    with that single EC number, every reaction and direction."""
    pool: dict[str, list[float]] = {}
    for entries in raw:
        for term, _, _, ks in entries:
            ec = _single_ec(term, ec_numbers)
            if ec is not None:
                pool.setdefault(ec, []).extend(k[0] for k in ks if k)
    return {ec: float(np.median(v)) for ec, v in pool.items() if v}


def enzyme_costs(
    gem: GEM, data: EnzymeData, *, missing_kcat: str = "median", no_gene_rule: str = "standard"
) -> EnzymeCosts:
    """Per-reaction enzyme cost ``MW/kcat`` of the cheapest isoenzyme, both directions.

    Arguments and errors as :func:`isoenzymes`.
    """
    isos, median_kcat = isoenzymes(gem, data, missing_kcat=missing_kcat, no_gene_rule=no_gene_rule)
    n = gem.n_reactions
    cost = {d: np.full(n, np.nan) for d in (0, 1)}
    kc = {d: np.full(n, np.nan) for d in (0, 1)}
    enz: dict[int, list[frozenset[str]]] = {0: [frozenset()] * n, 1: [frozenset()] * n}
    src = [""] * n
    for j, group in enumerate(isos):
        for d in (0, 1):
            priced = [i for i in group if i.source[d]]
            if not priced:
                continue
            best = min(priced, key=lambda i: i.cost(d))
            cost[d][j], kc[d][j], enz[d][j] = best.cost(d), best.kcat[d], best.genes
            if d == 0 or not src[j]:
                src[j] = best.source[d]
    return EnzymeCosts(
        forward=cost[0],
        reverse=cost[1],
        forward_enzyme=tuple(enz[0]),
        reverse_enzyme=tuple(enz[1]),
        forward_kcat=kc[0],
        reverse_kcat=kc[1],
        source=tuple(src),
        median_kcat=median_kcat,
        isoenzymes=isos,
    )
