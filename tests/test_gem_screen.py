"""Knockout screens against cobrapy's single/double gene deletion (E. coli core)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from cobra.flux_analysis import double_gene_deletion, single_gene_deletion

from yeastcell.gem import InfeasibleError, Medium, UnknownGeneError, knockout_screen, resolve_genes


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


def test_compressed_lp_is_exact_for_knockouts(gem):
    """The compressed LP has the original optimum for the wild type and random reaction knockouts."""
    from yeastcell.gem import _highs
    from yeastcell.gem._compress import compress

    comp = compress(gem.S, gem.lb, gem.ub, gem.c)
    assert comp.n_cols < gem.n_reactions and comp.S.shape[0] < gem.n_metabolites
    full = _highs.make_highs(gem)
    small = _highs.make_highs_arrays(comp.S, comp.lb, comp.ub, comp.c, gem.objective_sense)
    st_f, wt_f = _highs.solve(full)
    st_s, wt_s = _highs.solve(small)
    assert st_f == st_s == "optimal" and wt_s == pytest.approx(wt_f, rel=1e-9)
    v = comp.expand(_highs.col_values(small))  # a feasible optimum of the original LP
    assert np.abs(gem.S @ v).max() < 1e-9
    assert (v >= gem.lb - 1e-9).all() and (v <= gem.ub + 1e-9).all()
    assert gem.c @ v == pytest.approx(wt_f, rel=1e-9)

    rng = np.random.default_rng(1)
    lb, ub = np.array(gem.lb), np.array(gem.ub)
    n_changed = 0
    for _ in range(60):
        rxns = rng.choice(gem.n_reactions, size=rng.integers(1, 4), replace=False)
        z = np.zeros(rxns.size)
        st_f, g_f, _ = _highs.solve_with_bounds(full, rxns, z, z, lb, ub)
        cols = comp.columns_of(rxns)
        zc = np.zeros(cols.size)
        st_s, g_s, _ = _highs.solve_with_bounds(small, cols, zc, zc, comp.lb, comp.ub)
        assert st_f == st_s
        assert g_s == pytest.approx(g_f, abs=1e-8, nan_ok=True)
        n_changed += not np.isclose(g_f, wt_f)
    assert n_changed >= 10  # the sample does hit reactions that matter


def test_many_double_deletions_equal_cobrapy(gem, textbook):
    """190 pairs, including isoenzymes and complex subunits (shared rules), reuse of singles."""
    rng = np.random.default_rng(7)
    genes = sorted(
        rng.choice([g.id for g in textbook.genes], size=16, replace=False).tolist()
        + ["b0726", "b0727", "b3731", "b3732"]
    )  # sucA/sucB, atpC/atpD subunits
    pairs = list(itertools.combinations(genes, 2))
    ours = knockout_screen(gem, pairs=pairs)
    ref = _cobra_growth(double_gene_deletion(textbook, gene_list1=genes, gene_list2=genes, processes=1))
    for g, growth in zip(ours["genes"], ours["growth"]):
        assert growth == pytest.approx(ref[frozenset(g)], abs=1e-7, nan_ok=True), g
    wt = ours.attrs["wild_type_growth"]
    reused = ~ours["resolved"] & ~np.isclose(ours["growth"], wt)
    assert reused.sum() > 0  # answers taken from single-deletion optima
    assert ours.attrs["n_lps"] < len(pairs)


def test_bad_engine_and_pairs(gem):
    with pytest.raises(ValueError, match="unknown engine"):
        knockout_screen(gem, genes=["b1241"], engine="glpk")
    with pytest.raises(UnknownGeneError, match="b124l"):
        knockout_screen(gem, pairs=[("b1241", "b124l")])


def test_screen_command_all_pairs_and_bad_gene(gem, textbook, tmp_path, capsys):
    import csv

    import cobra

    from yeastcell.cli import main

    path = tmp_path / "textbook.json"
    cobra.io.save_json_model(textbook, str(path))
    out = tmp_path / "pairs.csv"
    genes = ["b0726", "b0727", "b1241", "b2587"]
    assert main(["screen", "--gem", str(path), "--genes", *genes, "--all-pairs", "-o", str(out)]) == 0
    rows = {r["perturbation"]: r for r in csv.DictReader(out.open())}
    ref = knockout_screen(gem, pairs=list(itertools.combinations(genes, 2)))
    assert sorted(rows) == sorted(ref.index)
    for k in ref.index:
        assert float(rows[k]["growth"]) == pytest.approx(ref.loc[k, "growth"], abs=1e-9)
    assert main(["screen", "--gem", str(path), "--genes", "b124l"]) == 2
    err = capsys.readouterr().err
    assert "unknown gene: 'b124l'" in err and "did you mean" in err and "'b1241'" in err


def test_jax_engine_through_knockout_screen(gem):
    """engine="jax" answers the same single and double deletions as the HiGHS engine."""
    pytest.importorskip("yeastcell.gem.lp")
    genes = ["b0726", "b0727", "b1241", "b2587", "b1849", "b3731", "b2276", "b0116"]
    pairs = [("b0726", "b0727"), ("b3731", "b2276"), ("b1241", "b2587")]
    cpu = knockout_screen(gem, genes=genes, pairs=pairs)
    jx = knockout_screen(gem, genes=genes, pairs=pairs, engine="jax")
    assert list(jx.index) == list(cpu.index)
    assert (jx["status"] == cpu["status"]).all()
    np.testing.assert_allclose(jx["growth"], cpu["growth"], rtol=1e-6, atol=1e-9)
    assert jx["resolved"].any() and jx.attrs["n_lps"] <= jx["resolved"].sum()
    assert jx.attrs["wild_type_growth"] == pytest.approx(cpu.attrs["wild_type_growth"], rel=1e-9)
