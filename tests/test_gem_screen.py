"""Knockout screens against cobrapy's single/double gene deletion (E. coli core)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from cobra.flux_analysis import double_gene_deletion, single_gene_deletion

from yeastcell.gem import (InfeasibleError, Medium, UnknownGeneError, knockout_screen, resolve_genes)




def _cobra_growth(df: pd.DataFrame) -> dict[frozenset, float]:
    return {frozenset(ids): g for ids, g in zip(df["ids"], df["growth"])}


def test_single_deletions_equal_cobrapy(gem, textbook):
    ours = knockout_screen(gem)
    ref = _cobra_growth(single_gene_deletion(textbook, processes=1))
    assert len(ours) == len(textbook.genes)
    for genes, growth in zip(ours["genes"], ours["growth"]):
        assert growth == pytest.approx(ref[frozenset(genes)], abs=1e-7, nan_ok=True)
    assert ours["resolved"].sum() < len(ours)  # the zero-flux shortcut did skip some
    infeasible = ours["status"] == "infeasible"
    assert infeasible.any() and (ours["status"][~infeasible] == "optimal").all()
    assert ours["growth"][infeasible].isna().all()  # a failed LP is NaN, never 0
    wt = ours.attrs["wild_type_growth"]
    np.testing.assert_allclose(ours["growth_ratio"], ours["growth"] / wt)


def test_double_deletions_equal_cobrapy(gem, textbook):
    genes = ["b0726", "b0727", "b2587", "b1849", "b3731", "b3732", "b0116", "b2276"]
    pairs = list(itertools.combinations(genes, 2))
    ours = knockout_screen(gem, pairs=pairs)
    ref = double_gene_deletion(textbook, gene_list1=genes, gene_list2=genes, processes=1)
    ref = _cobra_growth(ref)
    for g, growth in zip(ours["genes"], ours["growth"]):
        assert growth == pytest.approx(ref[frozenset(g)], abs=1e-7, nan_ok=True)
    assert list(ours.index) == [f"{a}+{b}" for a, b in pairs]


def test_processes_give_same_answer(gem):
    a = knockout_screen(gem, processes=1)
    b = knockout_screen(gem, processes=2)
    pd.testing.assert_frame_equal(a, b)


def test_standard_names_and_suggestions(gem):
    # textbook gene names: b1241 is adhE
    want = [gem.gene_ids.index("b1241")] * 3
    assert resolve_genes(gem, ["adhE", "ADHE", "b1241"]).tolist() == want
    with pytest.raises(UnknownGeneError) as e:
        knockout_screen(gem, genes=["b124l", "pgkk"])
    assert "b1241" in e.value.suggestions["b124l"]
    assert "did you mean" in str(e.value)
    with pytest.raises(ValueError, match="two genes"):
        knockout_screen(gem, pairs=[("b1241",)])


def test_medium_and_infeasible_wild_type(gem):
    closed = Medium({}, close_exchanges=True)  # nothing to take up
    with pytest.raises(InfeasibleError):
        # ATP maintenance (lb 8.39) cannot be met without uptake
        knockout_screen(gem, genes=["b1241"], medium=closed)


def test_knockout_never_grows_faster(gem):
    df = knockout_screen(gem)
    ok = df["status"] == "optimal"
    assert (df["growth"][ok] <= df.attrs["wild_type_growth"] + 1e-9).all()
