"""Gene–protein–reaction (GPR) rules compiled into an array program.

A rule such as ``(YA and YB) or YC`` says which gene sets can carry out a
reaction. Deleting a set of genes deletes a reaction when its rule evaluates to
false with the deleted genes false and all others true; a reaction without a
rule is never deleted. This is cobrapy's semantics (``GPR.eval``), including
arbitrary nesting of ``and``/``or`` (``and`` binds tighter than ``or``).

:func:`compile_gpr` parses all rules once into a DAG of gene / AND / OR nodes,
stored level by level so that :func:`reaction_activity` evaluates the rules of
every reaction for a whole batch of knockouts with one ``reduceat`` per level.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence

import numpy as np

from yeastcell import gpr as _rules
from yeastcell.exceptions import UnknownGeneError

__all__ = ["CompiledGPR", "compile_gpr", "reaction_activity", "deleted_reactions", "parse_rule"]

# node kinds
_GENE, _AND_NODE, _OR_NODE = 0, 1, 2


def parse_rule(rule: str):
    """Parse one rule into a nested tuple tree (the parser is `yeastcell.gpr.parse`).

    Args:
        rule: e.g. ``"(YA and YB) or YC"``; ``""`` means no rule.

    Returns:
        ``None`` for an empty rule, else a tree of ``("gene", id)``,
        ``("and", [children])``, ``("or", [children])``.

    Raises:
        GPRSyntaxError: unbalanced brackets, a dangling or doubled operator.
    """
    return _as_tuples(_rules.parse(rule))


def _as_tuples(node):
    if node is None:
        return None
    if isinstance(node, _rules.Gene):
        return ("gene", node.id)
    kind = "and" if isinstance(node, _rules.And) else "or"
    return (kind, [_as_tuples(t) for t in node.terms])


@dataclasses.dataclass(frozen=True, eq=False)
class CompiledGPR:
    """All GPR rules of a model as a levelled DAG (arrays only).

    Node values for one knockout: gene nodes take the gene's activity; an AND
    (OR) node is the min (max) of its children. Level ``k`` nodes only read
    nodes of lower levels, so levels are evaluated in order.

    Attributes:
        n_genes: number of genes (columns of the gene-activity input).
        gene_of_leaf: gene index of each leaf node (leaves are nodes ``0..n_leaves-1``).
        levels: per level ``(kind, first_node, child_ptr, child_idx)``: ``kind``
            is 1 (AND) or 2 (OR) per node, nodes ``first_node + i``; children of
            node ``i`` are ``child_idx[child_ptr[i]:child_ptr[i+1]]``.
        reaction_root: root node per reaction, ``-1`` for reactions without a rule.
        gene_reactions: per gene, indices of reactions whose rule mentions it.
    """

    n_genes: int
    gene_of_leaf: np.ndarray
    levels: tuple[tuple[np.ndarray, int, np.ndarray, np.ndarray], ...]
    reaction_root: np.ndarray
    gene_reactions: tuple[np.ndarray, ...]

    @property
    def n_reactions(self) -> int:
        """Number of reactions."""
        return len(self.reaction_root)


def compile_gpr(rules: Sequence[str], gene_ids: Sequence[str]) -> CompiledGPR:
    """Compile the rules of all reactions.

    Compiling is cached (the last few rule sets): parsing Yeast-GEM's 4131
    rules takes ~0.1 s, about what a whole knockout screen costs otherwise,
    and a screen over several media or gene lists compiles the same rules
    each time. (cobrapy likewise parses rules once, when a model is loaded.)
    The returned arrays are read-only, as the object is shared.

    Args:
        rules: one rule string per reaction (``""`` for none).
        gene_ids: the model's gene ids, defining gene indices.

    Returns:
        The compiled rules.

    Raises:
        GPRSyntaxError: a rule cannot be parsed.
        UnknownGeneError: a rule mentions a gene not in ``gene_ids``.
    """
    return _compile_cached(tuple(rules), tuple(gene_ids))


@functools.lru_cache(maxsize=8)
def _compile_cached(rules: tuple[str, ...], gene_ids: tuple[str, ...]) -> CompiledGPR:
    gpr = _compile(rules, gene_ids)
    arrays = [
        gpr.gene_of_leaf,
        gpr.reaction_root,
        *gpr.gene_reactions,
        *(a for lv in gpr.levels for a in (lv[0], lv[2], lv[3])),
    ]
    for a in arrays:
        a.flags.writeable = False
    return gpr


def _compile(rules: Sequence[str], gene_ids: Sequence[str]) -> CompiledGPR:
    gidx = {g: i for i, g in enumerate(gene_ids)}
    leaf_of_gene: dict[int, int] = {}
    internal: dict[tuple, int] = {}  # (kind, children) -> temporary id (shared subtrees)
    internal_nodes: list[tuple[int, tuple[int, ...], int]] = []  # kind, children, height
    height: dict[int, int] = {}
    gene_rxns: list[set[int]] = [set() for _ in gene_ids]

    # leaves get ids 0..; internal nodes get provisional ids offset by a large number
    OFFSET = 1 << 40

    def build(node, rxn: int) -> int:
        if node[0] == "gene":
            g = gidx.get(node[1])
            if g is None:
                raise UnknownGeneError(node[1], gene_ids)
            gene_rxns[g].add(rxn)
            if g not in leaf_of_gene:
                leaf_of_gene[g] = len(leaf_of_gene)
                height[leaf_of_gene[g]] = 0
            return leaf_of_gene[g]
        kind = _AND_NODE if node[0] == "and" else _OR_NODE
        kids = tuple(sorted({build(k, rxn) for k in node[1]}))
        if len(kids) == 1:
            return kids[0]
        key = (kind, kids)
        if key not in internal:
            h = 1 + max(height[k] for k in kids)
            nid = OFFSET + len(internal_nodes)
            internal[key] = nid
            internal_nodes.append((kind, kids, h))
            height[nid] = h
        return internal[key]

    roots = []
    for r, rule in enumerate(rules):
        tree = parse_rule(rule or "")
        roots.append(-1 if tree is None else build(tree, r))

    n_leaves = len(leaf_of_gene)
    gene_of_leaf = np.empty(n_leaves, dtype=np.int64)
    for g, leaf in leaf_of_gene.items():
        gene_of_leaf[leaf] = g
    # final numbering: leaves, then internal nodes sorted by height
    order = sorted(range(len(internal_nodes)), key=lambda i: internal_nodes[i][2])
    final = {OFFSET + i: n_leaves + k for k, i in enumerate(order)}

    def fid(x: int) -> int:
        return final.get(x, x)

    levels = []
    k = 0
    while k < len(order):
        h = internal_nodes[order[k]][2]
        first = n_leaves + k
        kinds, ptr = [], [0]
        idx: list[int] = []
        while k < len(order) and internal_nodes[order[k]][2] == h:
            kind, kids, _ = internal_nodes[order[k]]
            kinds.append(kind)
            idx.extend(fid(c) for c in kids)
            ptr.append(len(idx))
            k += 1
        levels.append((np.array(kinds, np.int8), first, np.array(ptr, np.int64), np.array(idx, np.int64)))
    return CompiledGPR(
        n_genes=len(gene_ids),
        gene_of_leaf=gene_of_leaf,
        levels=tuple(levels),
        reaction_root=np.array([fid(x) if x >= 0 else -1 for x in roots], dtype=np.int64),
        gene_reactions=tuple(np.array(sorted(s), dtype=np.int64) for s in gene_rxns),
    )


def reaction_activity(gpr: CompiledGPR, gene_active: np.ndarray) -> np.ndarray:
    """Evaluate all rules for one or a batch of gene-activity patterns.

    Args:
        gpr: compiled rules.
        gene_active: bool, ``(n_genes,)`` or ``(n_genes, batch)``; False = deleted.

    Returns:
        bool, ``(n_reactions,)`` or ``(n_reactions, batch)``: True where the
        reaction can still carry flux (always True for reactions without a rule).
    """
    ga = np.asarray(gene_active, dtype=bool)
    if ga.shape[0] != gpr.n_genes:
        raise ValueError(f"gene_active has {ga.shape[0]} rows, model has {gpr.n_genes} genes")
    squeeze = ga.ndim == 1
    ga = ga.reshape(gpr.n_genes, -1)
    n_nodes = len(gpr.gene_of_leaf) + sum(len(lv[0]) for lv in gpr.levels)
    val = np.empty((n_nodes, ga.shape[1]), dtype=bool)
    val[: len(gpr.gene_of_leaf)] = ga[gpr.gene_of_leaf]
    for kind, first, ptr, idx in gpr.levels:
        child = val[idx]
        lo = np.minimum.reduceat(child, ptr[:-1], axis=0)
        hi = np.maximum.reduceat(child, ptr[:-1], axis=0)
        val[first : first + len(kind)] = np.where((kind == _AND_NODE)[:, None], lo, hi)
    out = np.ones((gpr.n_reactions, ga.shape[1]), dtype=bool)
    has = gpr.reaction_root >= 0
    out[has] = val[gpr.reaction_root[has]]
    return out[:, 0] if squeeze else out


def deleted_reactions(gpr: CompiledGPR, genes: Iterable[int]) -> np.ndarray:
    """Reactions that a deletion of ``genes`` removes.

    Args:
        gpr: compiled rules.
        genes: gene indices to delete.

    Returns:
        Sorted reaction indices whose rule is false with these genes deleted.
    """
    genes = np.fromiter(genes, dtype=np.int64)
    if genes.size == 0:
        return np.empty(0, dtype=np.int64)
    cand = np.unique(np.concatenate([gpr.gene_reactions[g] for g in genes]))
    if cand.size == 0:
        return cand
    active = np.ones(gpr.n_genes, dtype=bool)
    active[genes] = False
    return cand[~reaction_activity(gpr, active)[cand]]
