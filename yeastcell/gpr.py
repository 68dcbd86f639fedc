"""Gene–protein–reaction rules: parsing, knockout evaluation and disjunctive normal form.

A rule is a boolean expression over gene ids (systematic ORFs), with ``and``, ``or`` and
parentheses (``&``/``|`` are accepted too). ``or`` joins isoenzymes, ``and`` joins subunits (in a
reaction marked ``lumped``, the top-level ``and`` joins the pathway's sequential steps instead:
`step_terms`).
This is the one parser of rules: model files (`yeastcell.load`) and genome-scale models
(`yeastcell.gem.gpr`) both use it; a rule that does not parse raises `GPRSyntaxError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .exceptions import GPRSyntaxError

__all__ = ["And", "GPRSyntaxError", "Gene", "Or", "dnf", "genes_of", "is_active", "parse", "step_terms"]

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_AND = {"and", "&", "&&"}
_OR = {"or", "|", "||"}


@dataclass(frozen=True)
class Gene:
    id: str


@dataclass(frozen=True)
class And:
    terms: tuple


@dataclass(frozen=True)
class Or:
    terms: tuple


def _tokens(rule: str) -> list[str]:
    out, pos = [], 0
    rule = rule.strip()
    while pos < len(rule):
        m = _TOKEN.match(rule, pos)
        if not m:
            break  # only whitespace left
        tok = m.group(1)
        low = tok.lower()
        out.append("and" if low in _AND else "or" if low in _OR else tok)
        pos = m.end()
    return out


def parse(rule: str):
    """Parse a rule into a tree of `Gene`, `And`, `Or`; an empty rule gives None."""
    if rule is None or not str(rule).strip():
        return None
    toks = _tokens(str(rule))
    pos = 0

    def expr():
        nonlocal pos
        terms = [term()]
        while pos < len(toks) and toks[pos] == "or":
            pos += 1
            terms.append(term())
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def term():
        nonlocal pos
        terms = [atom()]
        while pos < len(toks) and toks[pos] == "and":
            pos += 1
            terms.append(atom())
        return terms[0] if len(terms) == 1 else And(tuple(terms))

    def atom():
        nonlocal pos
        if pos >= len(toks):
            raise GPRSyntaxError(f"gene rule {rule!r} ends unexpectedly")
        tok = toks[pos]
        pos += 1
        if tok == "(":
            node = expr()
            if pos >= len(toks) or toks[pos] != ")":
                raise GPRSyntaxError(f"unbalanced parenthesis in gene rule {rule!r}")
            pos += 1
            return node
        if tok in ("and", "or", ")"):
            raise GPRSyntaxError(f"unexpected {tok!r} in gene rule {rule!r}")
        return Gene(tok)

    tree = expr()
    if pos != len(toks):
        raise GPRSyntaxError(f"unexpected {toks[pos]!r} in gene rule {rule!r}")
    return tree


def genes_of(tree) -> set[str]:
    """All gene ids in a parsed rule."""
    if tree is None:
        return set()
    if isinstance(tree, Gene):
        return {tree.id}
    return set().union(*(genes_of(t) for t in tree.terms))


def is_active(tree, deleted: set[str]) -> bool:
    """Whether the reaction keeps an enzyme when the genes in `deleted` are knocked out."""
    if tree is None:
        return True
    if isinstance(tree, Gene):
        return tree.id not in deleted
    if isinstance(tree, And):
        return all(is_active(t, deleted) for t in tree.terms)
    return any(is_active(t, deleted) for t in tree.terms)


def step_terms(tree) -> list:
    """The steps of a lumped pathway's rule: the terms of its top-level ``and`` (each step a rule
    of its own: ``or`` of isoenzymes, ``and`` of a complex's subunits in parentheses), or the
    whole rule as one step."""
    if tree is None:
        return []
    return list(tree.terms) if isinstance(tree, And) else [tree]


def dnf(tree) -> list[frozenset[str]]:
    """Disjunctive normal form: a list of complexes (gene sets); any complete complex is an enzyme."""
    if tree is None:
        return []
    if isinstance(tree, Gene):
        return [frozenset([tree.id])]
    if isinstance(tree, Or):
        out: list[frozenset[str]] = []
        for t in tree.terms:
            for c in dnf(t):
                if c not in out:
                    out.append(c)
        return out
    clauses: list[frozenset[str]] = [frozenset()]
    for t in tree.terms:
        clauses = [a | b for a in clauses for b in dnf(t)]
    # drop clauses that are supersets of others (absorption)
    unique = list(dict.fromkeys(clauses))
    return [c for c in unique if not any(o < c for o in unique)]
