"""SBML fast reactions as equilibrium constraints (algebraic rules) plus conserved moieties.

SBML (L2, L3V1) defines a fast reaction as one that reaches equilibrium instantly compared with
the others. With F the non-boundary, non-constant species the fast reactions change and ``N_f``
their (constant) stoichiometry on F (|F| x n_fast, full column rank), the dynamics are

* ``0 = v_j`` for every fast reaction j (its rate law at equilibrium), and
* ``w = L a_F`` for the rows of a basis ``L`` of the left null space of ``N_f`` (``L N_f = 0``):
  the combinations the fast reactions do not change. They evolve by the slow reactions only,
  ``dw/dt = L S_slow v_slow``, with ``w(0) = L a_F(0)``.

Here each ``w_k`` becomes a parameter with a rate rule and an initial assignment, the species in F
are removed from every reaction's stoichiometry, and the n_fast + rank(L) = |F| equations become
algebraic rules (preferring the species of F as the symbols they determine), which the compiler
solves (Newton, `yeastcell._rules`).
Amounts are used throughout (a species' amount is ``S`` if it has only substance units, else
``S * compartment``). A species' conversion factor c (a constant parameter) scales its rows of
the stoichiometry (SBML: ``da/dt = c * sum(stoichiometry * rate)``). Variable stoichiometry,
non-constant conversion factors, rules for species in F and linearly dependent fast reactions
are refused (`UnsupportedSBMLError`, construct FastReaction).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..spec import InitialAssignment, Parameter, Reaction, Rule, Species


def fast_to_algebraic(
    reactions: list[Reaction],
    fast: set[str],
    species: list[Species],
    rules: list[Rule],
    unsupported,
    prefix: str = "fast__moiety",
    constants: dict[str, float] | None = None,
):
    """Rewrite fast reactions (ids in `fast`). Returns (reactions, new parameters, new rules,
    new initial assignments); `unsupported(construct, element, detail)` raises. `constants`: the
    values of constant parameters without initial assignment (for conversion factors)."""
    constants = constants or {}
    by_id = {s.id: s for s in species}
    ruled = {r.variable for r in rules if r.kind in ("assignment", "rate")}
    F: list[str] = []
    for r in reactions:
        if r.id not in fast:
            continue
        if r.stoichiometry_ids:
            unsupported("FastReaction", f"reaction {r.id!r}", "variable stoichiometry in a fast reaction")
        for s, coef in r.stoichiometry.items():
            sp = by_id[s]
            if sp.boundary or sp.constant or coef == 0 or s in F:
                continue
            if s in ruled:
                unsupported("FastReaction", f"reaction {r.id!r}", f"species {s!r} also has a rule")
            if sp.conversion_factor and not np.isfinite(constants.get(sp.conversion_factor, np.nan)):
                unsupported(
                    "FastReaction",
                    f"reaction {r.id!r}",
                    f"species {s!r} has a conversion factor that is not a constant parameter",
                )
            F.append(s)

    def cf(s):
        c = by_id[s].conversion_factor
        return float(constants[c]) if c else 1.0

    fast_rx = [r for r in reactions if r.id in fast]
    Nf = np.array([[cf(s) * float(r.stoichiometry.get(s, 0.0)) for r in fast_rx] for s in F]).reshape(
        len(F), len(fast_rx)
    )
    if np.linalg.matrix_rank(Nf) < len(fast_rx):
        unsupported("FastReaction", f"reaction {fast_rx[0].id!r}", "linearly dependent fast reactions")
    # left null space: L Nf = 0 (rows), from the SVD of Nf^T
    if len(F):
        _, sv, vt = np.linalg.svd(Nf.T) if Nf.size else (None, np.zeros(0), np.eye(len(F)))
        rank = int(np.sum(sv > 1e-10 * max(1.0, sv.max(initial=0.0))))
        L = vt[rank:]
    else:
        L = np.zeros((0, 0))
    L = np.where(np.abs(L) < 1e-14, 0.0, L)

    def amount(s):
        sp = by_id[s]
        return f"({s})" if sp.amount_based else f"({s} * {sp.compartment})"

    slow_terms: list[list[str]] = [[] for _ in range(L.shape[0])]
    for r in reactions:
        if r.id in fast:
            continue
        for s, coef in r.stoichiometry.items():
            if s not in F:
                continue
            if s in r.stoichiometry_ids:
                unsupported(
                    "FastReaction",
                    f"reaction {r.id!r}",
                    f"variable stoichiometry of {s!r}, which a fast reaction changes",
                )
            for k in range(L.shape[0]):
                c = L[k, F.index(s)] * cf(s) * float(coef)
                if c != 0.0:
                    slow_terms[k].append(f"({float(c)!r}) * {r.id}")
    new_params, new_rules, new_inits = [], [], []
    for k in range(L.shape[0]):
        w = f"{prefix}{k}"
        total = " + ".join(f"({float(L[k, i])!r}) * {amount(s)}" for i, s in enumerate(F) if L[k, i] != 0.0) or "0.0"
        new_params.append(Parameter(w, float("nan"), constant=False))
        new_rules.append(Rule(w, " + ".join(slow_terms[k]) or "0.0", "rate"))
        new_inits.append(InitialAssignment(w, total))
        new_rules.append(Rule(" ".join(F), f"({total}) - {w}", "algebraic"))
    for r in fast_rx:
        new_rules.append(Rule(" ".join(F), r.id, "algebraic"))
    out = []
    for r in reactions:
        stoich = {s: c for s, c in r.stoichiometry.items() if s not in F}
        if r.id in fast:
            stoich = {}
        out.append(dataclasses.replace(r, stoichiometry=stoich))
    return out, new_params, new_rules, new_inits
