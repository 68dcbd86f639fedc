"""Stoichiometric curations of a GEM from an authored table: reactions replaced or added by equation.

The default table, ``maps/yeastgem_curations.tsv``, corrects Yeast-GEM 9.0.2 where its network
contradicts the literature it is checked against (each row cites its source): D-mannose enters by
facilitated diffusion, not with a proton (as GECKO's C×N study, Lu et al. 2019, simulates it);
turanose enters through the Agt1 α-glucoside/H⁺ symporter and is split in the cytosol, not outside
the cell. The curations change the network, never a rate or a bound fitted to data.

Table rows (tab-separated, ``#`` comments): ``kind``, ``id``, ``name``, ``equation``, ``lb``,
``ub``, ``gene_rule``, ``reference``. ``kind = metabolite`` adds a metabolite (``id``, ``name``).
``kind = reaction`` replaces the reaction ``id`` (or adds it when the model lacks it) with
``equation`` in metabolite ids, ``"a + 2 b -> c"`` (bounds in mmol gDW⁻¹ h⁻¹; ``=`` in ``lb``,
``ub`` or ``gene_rule`` keeps the model's value, which a new reaction must give).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from yeastcell import gpr as _rules
from yeastcell.exceptions import GemError, UnknownGeneError
from yeastcell.gem.load import GEM

__all__ = ["CURATIONS", "Curation", "CurationError", "parse_equation", "read_curations", "curate"]

CURATIONS = Path(__file__).resolve().parent / "maps" / "yeastgem_curations.tsv"
_KEEP = "="
_COLUMNS = ("kind", "id", "name", "equation", "lb", "ub", "gene_rule", "reference")


class CurationError(GemError, ValueError):
    """A curation table row is malformed or names metabolites or genes the model lacks."""


@dataclasses.dataclass(frozen=True)
class Curation:
    """One row of a curation table.

    Attributes:
        kind: ``"metabolite"`` or ``"reaction"``.
        id, name: the metabolite's or reaction's id and name.
        stoichiometry: reactions only: metabolite id → coefficient (negative: consumed).
        lb, ub: reactions only: bounds, mmol gDW⁻¹ h⁻¹ (None: keep the model's).
        gene_rule: reactions only (None: keep the model's).
        reference: the source that justifies the row.
    """

    kind: str
    id: str
    name: str
    stoichiometry: tuple[tuple[str, float], ...] = ()
    lb: float | None = None
    ub: float | None = None
    gene_rule: str | None = None
    reference: str = ""


def _side(text: str, sign: float, where: str) -> list[tuple[str, float]]:
    out = []
    for term in (t.strip() for t in text.split(" + ")):
        if not term:
            continue
        parts = term.split()
        if len(parts) == 1:
            out.append((parts[0], sign))
        elif len(parts) == 2:
            try:
                coef = float(parts[0])
            except ValueError:
                raise CurationError(f"{where}: bad coefficient in {term!r}") from None
            if not coef > 0:
                raise CurationError(f"{where}: coefficient must be > 0 in {term!r}")
            out.append((parts[1], sign * coef))
        else:
            raise CurationError(f"{where}: cannot read the term {term!r} (expected 'id' or 'coefficient id')")
    return out


def parse_equation(text: str, where: str = "equation") -> tuple[tuple[str, float], ...]:
    """``"a + 2 b -> c"`` → ``(("a", -1), ("b", -2), ("c", 1))``.

    Raises:
        CurationError: no single ``->``, a bad term, or a metabolite on both sides.
    """
    if text.count("->") != 1:
        raise CurationError(f"{where}: the equation {text!r} needs exactly one '->'")
    left, right = text.split("->")
    terms = _side(left, -1.0, where) + _side(right, 1.0, where)
    ids = [m for m, _ in terms]
    if not terms or len(set(ids)) != len(ids):
        raise CurationError(f"{where}: the equation {text!r} is empty or names a metabolite twice")
    return tuple(terms)


def _bound(text: str, where: str) -> float | None:
    if text.strip() == _KEEP:
        return None
    try:
        return float(text)
    except ValueError:
        raise CurationError(f"{where}: bound {text!r} is neither a number nor '='") from None


def read_curations(path: str | os.PathLike = CURATIONS) -> tuple[Curation, ...]:
    """Read a curation table (see the module docstring).

    Raises:
        CurationError: a row with an unknown kind, too few columns, or a bad equation or bound.
    """
    out = []
    for n, ln in enumerate(Path(path).read_text().splitlines(), 1):
        if not ln.strip() or ln.startswith("#") or ln.startswith("kind\t"):
            continue
        f = ln.split("\t")
        where = f"{path}:{n}"
        if f[0] == "metabolite" and len(f) >= 3:
            out.append(Curation("metabolite", f[1], f[2], reference=f[3] if len(f) > 3 else ""))
        elif f[0] == "reaction" and len(f) >= len(_COLUMNS) - 1:
            rule = None if f[6].strip() == _KEEP else f[6].strip()
            if rule:
                _rules.parse(rule)
            out.append(
                Curation(
                    "reaction",
                    f[1],
                    f[2],
                    parse_equation(f[3], where),
                    _bound(f[4], where),
                    _bound(f[5], where),
                    rule,
                    f[7] if len(f) > 7 else "",
                )
            )
        else:
            raise CurationError(f"{where}: expected a 'metabolite' row (3 columns) or a 'reaction' row ({_COLUMNS})")
    return tuple(out)


def curate(gem: GEM, curations: Sequence[Curation] | None = None) -> GEM:
    """The model with the curations applied (default: :func:`read_curations` of ``CURATIONS``).

    Metabolites are added first; then each reaction row replaces the column of its id (its
    stoichiometry, and its name, bounds and gene rule unless kept) or appends a new column (zero
    objective coefficient).

    Raises:
        CurationError: a reaction names a metabolite that is neither in ``gem`` nor added, a new
            reaction keeps (``=``) a bound or rule it does not have, bounds with ``lb > ub``, or a
            metabolite id added twice.
        UnknownGeneError: a gene rule names genes that are not in ``gem`` (close matches).
    """
    curations = read_curations() if curations is None else tuple(curations)
    met_ids = list(gem.metabolite_ids)
    met_names = list(gem.metabolite_names)
    for c in curations:
        if c.kind == "metabolite":
            if c.id in met_ids:
                raise CurationError(f"metabolite {c.id!r} is already in the model")
            met_ids.append(c.id)
            met_names.append(c.name)
    row = {m: i for i, m in enumerate(met_ids)}
    rids, rnames, rules = list(gem.reaction_ids), list(gem.reaction_names), list(gem.gene_rules)
    lb, ub, c_obj = list(gem.lb), list(gem.ub), list(gem.c)
    genes = set(gem.gene_ids)
    columns: dict[int, tuple[tuple[str, float], ...]] = {}  # replaced or added column -> stoichiometry
    for c in curations:
        if c.kind != "reaction":
            continue
        missing = [m for m, _ in c.stoichiometry if m not in row]
        if missing:
            raise CurationError(f"reaction {c.id!r}: unknown metabolite(s) {missing} (not in the model, not added)")
        if c.gene_rule:
            unknown = sorted(_rules.genes_of(_rules.parse(c.gene_rule)) - genes)
            if unknown:
                raise UnknownGeneError(unknown, gem.gene_ids)
        if c.id in rids:
            j = rids.index(c.id)
        else:
            if c.lb is None or c.ub is None or c.gene_rule is None:
                raise CurationError(f"new reaction {c.id!r} must give its bounds and gene rule ('=' keeps nothing)")
            j = len(rids)
            rids.append(c.id)
            rules.append("")
            rnames.append("")
            lb.append(0.0)
            ub.append(0.0)
            c_obj.append(0.0)
        columns[j] = c.stoichiometry
        rnames[j] = c.name
        lb[j] = lb[j] if c.lb is None else c.lb
        ub[j] = ub[j] if c.ub is None else c.ub
        rules[j] = rules[j] if c.gene_rule is None else c.gene_rule
        if lb[j] > ub[j]:
            raise CurationError(f"reaction {c.id!r}: lb {lb[j]} > ub {ub[j]}")
    coo = gem.S.tocoo()
    keep = ~np.isin(coo.col, np.fromiter(columns, dtype=np.int64, count=len(columns)))
    r_new = [row[m] for col in columns.values() for m, _ in col]
    c_new = [j for j, col in columns.items() for _ in col]
    v_new = [v for col in columns.values() for _, v in col]
    A = sp.csc_array(
        (
            np.concatenate([coo.data[keep], v_new]),
            (
                np.concatenate([coo.row[keep], r_new]).astype(np.int64),
                np.concatenate([coo.col[keep], c_new]).astype(np.int64),
            ),
        ),
        shape=(len(met_ids), len(rids)),
    )
    return gem.replace(
        S=A,
        lb=np.array(lb),
        ub=np.array(ub),
        c=np.array(c_obj),
        reaction_ids=tuple(rids),
        reaction_names=tuple(rnames),
        metabolite_ids=tuple(met_ids),
        metabolite_names=tuple(met_names),
        gene_rules=tuple(rules),
    )
