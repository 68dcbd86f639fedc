"""GPR compilation: knockouts evaluated exactly as cobrapy's ``GPR.eval``."""

from __future__ import annotations

import numpy as np
import pytest
from cobra.core.gene import GPR
from hypothesis import given, settings
from hypothesis import strategies as st

from yeastcell.exceptions import GPRSyntaxError, UnknownGeneError
from yeastcell.gem.gpr import compile_gpr, deleted_reactions, parse_rule, reaction_activity

GENES = [f"G{i}" for i in range(6)]


def _rules(depth: int):
    leaf = st.sampled_from(GENES)
    return st.recursive(
        leaf,
        lambda inner: st.tuples(st.sampled_from(["and", "or"]), st.lists(inner, min_size=2, max_size=3)).map(
            lambda t: "(" + f" {t[0]} ".join(t[1]) + ")"
        ),
        max_leaves=depth,
    )


@settings(max_examples=200, deadline=None)
@given(
    rules=st.lists(st.one_of(st.just(""), _rules(8)), min_size=1, max_size=6), knocked=st.sets(st.sampled_from(GENES))
)
def test_matches_cobra_eval(rules, knocked):
    gpr = compile_gpr(rules, GENES)
    active = np.array([g not in knocked for g in GENES])
    got = reaction_activity(gpr, active)
    want = [True if not r else GPR.from_string(r).eval(knocked) for r in rules]
    assert got.tolist() == want
    idx = [GENES.index(g) for g in knocked]
    assert deleted_reactions(gpr, idx).tolist() == [i for i, w in enumerate(want) if not w]


def test_batch_equals_columns():
    rules = ["(G0 and G1) or G2", "G3 and (G4 or (G5 and G0))", "", "G1 or G1"]
    gpr = compile_gpr(rules, GENES)
    rng = np.random.default_rng(0)
    batch = rng.random((len(GENES), 50)) > 0.4
    out = reaction_activity(gpr, batch)
    for k in range(50):
        assert (out[:, k] == reaction_activity(gpr, batch[:, k])).all()
    assert out[2].all()  # no rule: never deleted


def test_precedence_and_binds_tighter():
    # cobra/python: a or b and c == a or (b and c)
    gpr = compile_gpr(["G0 or G1 and G2"], GENES)
    assert reaction_activity(gpr, np.array([1, 0, 1, 1, 1, 1], bool))[0]
    assert not reaction_activity(gpr, np.array([0, 1, 0, 1, 1, 1], bool))[0]


@pytest.mark.parametrize("bad", ["(G0 and G1", "G0 and", "or G1", "G0 G1", "()", "G0 and or G1"])
def test_syntax_errors(bad):
    with pytest.raises(GPRSyntaxError, match="gene rule"):
        parse_rule(bad)


def test_unknown_gene_in_rule():
    with pytest.raises(UnknownGeneError, match="G7"):
        compile_gpr(["G0 and G7"], GENES)
