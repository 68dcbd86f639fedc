"""Enzyme-constrained GEM (yeastcell.gem.enzyme): costs, pool, split reactions, bad input; the
Yeast-GEM build, its Crabtree transition and the C×N source map on the real reference data."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import scipy.sparse as sp

from yeastcell.exceptions import InfeasibleError, UnknownGeneError, UnknownNameError
from yeastcell.gem import GEM, apply_medium, knockout_screen, load_gem, optimize
from yeastcell.gem.chemostat import ChemostatSetup, chemostat_fluxes, critical_dilution_rate, pool_for_growth
from yeastcell.gem.cn_grid import cn_growth, read_cn_sources
from yeastcell.gem.enzyme import POOL_REACTION, enzyme_constrained, with_pool
from yeastcell.gem.enzyme_data import (
    CustomKcat,
    EnzymeData,
    EnzymeDataError,
    load_enzyme_data,
    read_custom_kcats,
)
from yeastcell.gem.medium import Medium, exchange_reactions
from yeastcell.gem.proteome_allocation import GLYCOLYSIS, enzyme_fractions
from yeastcell.gem.relative_growth import relative_growth_table

# ---------------------------------------------------------------- a three-reaction toy GEM
# EX_A: -> A (uptake, lb -10);  R1: A -> B  (g1 or g2);  R2: B <-> C  (g3 and g4);  EX_C: C ->
# objective: EX_C


def _toy() -> GEM:
    S = np.array(
        [
            [1.0, -1.0, 0.0, 0.0],  # A
            [0.0, 1.0, -1.0, 0.0],  # B
            [0.0, 0.0, 1.0, -1.0],  # C
        ]
    )
    return GEM(
        S=sp.csc_array(S),
        lb=np.array([-0.0, 0.0, -1000.0, 0.0]),
        ub=np.array([10.0, 1000.0, 1000.0, 1000.0]),
        c=np.array([0.0, 0.0, 0.0, 1.0]),
        objective_sense="max",
        reaction_ids=("EX_A", "R1", "R2", "EX_C"),
        reaction_names=("A exchange", "r1", "r2", "C exchange"),
        metabolite_ids=("A", "B", "C"),
        metabolite_names=("A", "B", "C"),
        gene_ids=("g1", "g2", "g3", "g4"),
        gene_names=("", "", "", ""),
        gene_rules=("", "g1 or g2", "g3 and g4", ""),
    )


MW = {"g1": 50_000.0, "g2": 20_000.0, "g3": 30_000.0, "g4": 10_000.0}  # g/mol
KCAT = {("R1", "+", "g1"): 100.0, ("R1", "+", "g2"): 10.0, ("R2", "+", "g3"): 40.0, ("R2", "-", "g4"): 5.0}


def _data(**kw) -> EnzymeData:
    args = dict(kcat=KCAT, custom=(), mw=MW, total_protein=0.5, mass_fraction=0.5)
    args.update(kw)
    return EnzymeData(**args)


def test_costs_cheapest_isoenzyme_and_complex():
    ec = enzyme_constrained(_toy(), _data())
    c = ec.costs
    # R1: g1 costs 50/(100*3600), g2 costs 20/(10*3600): the cheaper g1 (sMOMENT)
    assert c.forward[1] == pytest.approx(50.0 / (100 * 3600))
    assert c.forward_enzyme[1] == frozenset({"g1"})
    # R2 forward: complex g3+g4 (40 kg/mol), kcat = max over its genes' predictions (40 1/s)
    assert c.forward[2] == pytest.approx(40.0 / (40 * 3600))
    assert c.reverse[2] == pytest.approx(40.0 / (5 * 3600))
    assert math.isnan(c.forward[0]) and c.source[0] == ""


def test_custom_kcat_wins_and_reversible_split():
    data = _data(custom=(CustomKcat(frozenset({"g2"}), 1000.0, ("R1",)),))
    ec = enzyme_constrained(_toy(), data)
    assert ec.costs.forward_enzyme[1] == frozenset({"g2"}) and ec.costs.source[1] == "custom"
    ids = ec.gem.reaction_ids
    assert "R2_REV" in ids and POOL_REACTION in ids
    assert ec.gem.lb[ids.index("R2")] == 0.0 and ec.gem.ub[ids.index("R2_REV")] == 1000.0


def test_pool_limits_flux():
    data = _data()
    P = 1e-3  # g/gDW
    ec = enzyme_constrained(_toy(), data, pool_bound=P)
    cost = ec.costs.forward[1] + ec.costs.forward[2]
    sol = optimize(ec.gem)
    assert sol.objective == pytest.approx(min(10.0, P / cost), rel=1e-6)
    assert ec.pool_usage(sol.fluxes) == pytest.approx(P, rel=1e-6)
    assert ec.base_fluxes(sol.fluxes)[3] == pytest.approx(sol.objective)
    # default pool: Ptot * f * sigma
    assert enzyme_constrained(_toy(), data, saturation=0.4).pool_bound == pytest.approx(0.5 * 0.5 * 0.4)


def test_pool_is_not_an_exchange():
    ec = enzyme_constrained(_toy(), _data(), pool_bound=1e-3)
    ex = [ec.gem.reaction_ids[i] for i in exchange_reactions(ec.gem)]
    assert POOL_REACTION not in ex and "EX_A" in ex
    closed = apply_medium(ec.gem, Medium({"EX_A": (0.0, 5.0)}))
    assert closed.ub[closed.reaction_ids.index(POOL_REACTION)] == pytest.approx(1e-3)


def test_abundance_bounds_one_enzyme():
    # one column per reaction (sMOMENT): g1's abundance alone limits R1
    ec = enzyme_constrained(_toy(), _data(), pool_bound=1.0, abundances={"g1": 1e-5}, isoenzymes="cheapest")
    v = optimize(ec.gem).objective
    assert v == pytest.approx(1e-5 / ec.costs.forward[1], rel=1e-6)
    # isoenzymes split: the dearer g2 takes over what g1 cannot carry (uptake limit 10)
    split = enzyme_constrained(_toy(), _data(), pool_bound=1.0, abundances={"g1": 1e-5})
    sol = optimize(split.gem)
    assert sol.objective == pytest.approx(10.0, rel=1e-6)
    assert split.enzyme_usage(sol.fluxes)["g1"] == pytest.approx(1e-5, rel=1e-6)


def test_isoenzyme_split_reprices_a_deletion():
    P = 1e-3
    ec = enzyme_constrained(_toy(), _data(), pool_bound=P)
    ids = ec.gem.reaction_ids
    assert "R1_EXP_2" in ids  # g1 (cheaper) keeps R1, g2 gets its own column
    assert ec.gem.gene_rules[ids.index("R1")] == "g1" and ec.gem.gene_rules[ids.index("R1_EXP_2")] == "g2"
    c_g2 = 20.0 / (10 * 3600)
    c_r2 = ec.costs.forward[2]
    df = knockout_screen(ec.gem, genes=["g1", "g2"], progress=False)
    assert df.attrs["wild_type_growth"] == pytest.approx(P / (ec.costs.forward[1] + c_r2), rel=1e-6)
    assert df.loc["g1", "growth"] == pytest.approx(P / (c_g2 + c_r2), rel=1e-6)  # re-priced with g2
    assert df.loc["g2", "growth_ratio"] == pytest.approx(1.0)  # the dearer isoenzyme is not missed
    cheap = enzyme_constrained(_toy(), _data(), pool_bound=P, isoenzymes="cheapest")
    assert "R1_EXP_2" not in cheap.gem.reaction_ids
    assert optimize(cheap.gem).objective == pytest.approx(df.attrs["wild_type_growth"], rel=1e-9)


def test_relative_growth_table_marks_what_the_model_cannot_say():
    P = 1e-3
    ec = enzyme_constrained(_toy(), _data(), pool_bound=P)
    t = relative_growth_table(ec, other_genes=[("YFG1", "FOO1"), ("g1", "dup")], progress=False)
    assert list(t.index) == ["g1", "g2", "g3", "g4", "YFG1"]
    c_r2 = ec.costs.forward[2]
    assert t.loc["g1", "relative_growth"] == pytest.approx((ec.costs.forward[1] + c_r2) / (20.0 / 36000 + c_r2))
    assert t.loc["g1", "effect"] == "reduced"
    assert t.loc["g2", "effect"] == "no reaction or enzyme cost changed"  # only its dearer isoenzyme
    assert t.loc["g3", "effect"] == "lethal" and t.loc["g4", "effect"] == "lethal"
    assert t.loc["YFG1", "effect"] == "not in the genome-scale model" and math.isnan(t.loc["YFG1", "relative_growth"])
    assert not t.loc["YFG1", "in_gem"] and t.loc["YFG1", "name"] == "FOO1"
    with pytest.raises(ValueError, match="split"):
        relative_growth_table(enzyme_constrained(_toy(), _data(), isoenzymes="cheapest"))
    with pytest.raises(UnknownGeneError, match="g1"):
        relative_growth_table(ec, genes=["g11"])


def test_water_transport_costs_no_enzyme():
    gem = _toy().replace(metabolite_names=("H2O", "H2O", "C"))  # R1 moves water between compartments
    c = enzyme_constrained(gem, _data()).costs
    assert math.isnan(c.forward[1]) and c.source[1] == "" and c.source[2] == "DLKcat"


def test_missing_kcat_by_ec_number_then_median():
    kcat = {k: v for k, v in KCAT.items() if k[0] == "R1"}  # R2 has no prediction
    ecs = {"g1": frozenset({"1.1.1.1"}), "g3": frozenset({"1.1.1.1"})}
    c = enzyme_constrained(_toy(), _data(kcat=kcat, ec_numbers=ecs)).costs
    assert c.source[2] == "EC number" and c.forward_kcat[2] == pytest.approx(100.0)  # g1's, same EC
    ecs["g4"] = frozenset({"2.7.1.1"})  # the complex now has two EC numbers: no match
    c = enzyme_constrained(_toy(), _data(kcat=kcat, ec_numbers=ecs)).costs
    assert c.source[2] == "median" and c.forward_kcat[2] == pytest.approx(np.median([100.0, 10.0]))


def test_subunit_copies_and_standard_enzyme():
    # R2's complex g3:g4 with 2 copies of g3 (curated stoichiometry): mass 2*30 + 10 kg/mol
    custom = (CustomKcat(frozenset({"g3", "g4"}), 40.0, ("R2",), "", {"g3": 2.0, "g4": 1.0}),)
    ec = enzyme_constrained(_toy(), _data(custom=custom))
    assert ec.costs.forward[2] == pytest.approx(70.0 / (40 * 3600))
    assert ec.column_shares[ec.gem.reaction_ids.index("R2")]["g3"] == pytest.approx(60 / 70)
    # a conversion without a gene rule gets GECKO's standard pseudo-enzyme; exchanges do not
    gem = _toy()
    gem = gem.replace(gene_rules=("", "g1 or g2", "", ""))
    costs = enzyme_constrained(gem, _data()).costs
    assert costs.source[2] == "standard" and costs.source[0] == ""
    assert costs.forward[2] == pytest.approx(np.median(list(MW.values())) / 1000 / (costs.median_kcat * 3600))
    free = enzyme_constrained(gem, _data(), no_gene_rule="free").costs
    assert free.source[2] == "" and math.isnan(free.forward[2])


def test_bad_input():
    with pytest.raises(UnknownGeneError, match="gX"):
        enzyme_constrained(_toy(), _data(kcat={("R1", "+", "gX"): 1.0}))
    with pytest.raises(EnzymeDataError, match="positive"):
        _data(kcat={("R1", "+", "g1"): 0.0})
    with pytest.raises(EnzymeDataError, match="saturation"):
        enzyme_constrained(_toy(), _data(), saturation=0.0)
    with pytest.raises(EnzymeDataError, match="pool_bound"):
        with_pool(enzyme_constrained(_toy(), _data()), -1.0)


def test_custom_kcat_file_errors(tmp_path):
    f = tmp_path / "k.tsv"
    f.write_text("proteins\tgenes\tgene_name\tkcat\trxns\tnotes\tstoicho\nP1\tYAL001C\tX\t-3\t\tn\t1\n")
    with pytest.raises(EnzymeDataError, match="row 2"):
        read_custom_kcats(f)
    f.write_text("proteins\tgenes\tgene_name\tkcat\trxns\tnotes\tstoicho\nP1\tA and B\tX\t3\t\tn\t2 + 1 + 1\n")
    with pytest.raises(EnzymeDataError, match="3 entries for 2 genes"):
        read_custom_kcats(f)
    f.write_text("proteins\tgenes\tgene_name\tkcat\trxns\tnotes\tstoicho\nP1\tA and B\tX\t3\t\tn\t2 + 1\n")
    assert read_custom_kcats(f)[0].copies == {"A": 2.0, "B": 1.0}


# ---------------------------------------------------------------- Yeast-GEM and the GECKO tables
@pytest.fixture(scope="module")
def yeast(refdata):
    gem = load_gem(refdata / "yeast-gem" / "yeast-GEM.yml")
    data = load_enzyme_data(gem, refdata)
    return gem, data, enzyme_constrained(gem, data)


@pytest.mark.reference_data
def test_yeast_build(yeast):
    gem, data, ec = yeast
    assert 0.3 < data.mass_fraction < 0.6
    assert data.total_protein == pytest.approx(0.4228)
    assert ec.pool_bound == pytest.approx(0.4228 * data.mass_fraction * 0.5)
    n = ec.costs.counts()
    assert n["DLKcat"] > 1000 and n["custom"] > 50
    # the pool limits aerobic glucose growth (uptake unlimited); plain FBA would be unbounded
    g = ec.gem
    lb = g.lb.copy()
    lb[g.reaction_ids.index("r_1714")] = -1000.0
    sol = optimize(g.replace(lb=lb))
    assert 0.05 < sol.objective < 1.0
    assert sol.flux(POOL_REACTION) == pytest.approx(ec.pool_bound, rel=1e-6)


@pytest.mark.reference_data
def test_yeast_crabtree_qualitative(yeast):
    _, data, ec = yeast
    ec = with_pool(ec, pool_for_growth(ec, 0.375))  # calibrated on batch growth as the `growth` benchmark
    df = chemostat_fluxes(ec.gem, [0.1, 0.36])
    assert df.loc[0.1, "ethanol"] == pytest.approx(0.0, abs=1e-6)  # respiratory
    assert df.loc[0.36, "ethanol"] > 1.0  # fermenting above the critical D
    plain = chemostat_fluxes(yeast[0], [0.1, 0.36], ChemostatSetup(pool=None))
    assert (plain["ethanol"].abs() < 1e-6).all()


@pytest.mark.reference_data
def test_yeast_overflow_is_ethanol_with_gecko_by_product_limits(yeast):
    """Without GECKO's by-product limits the pool-limited model overflows as acetaldehyde (export costs no enzyme);
    with them it secretes ethanol from a critical D within 10 % of van Hoek 1998's 0.25-0.28 h⁻¹ (0.265)."""
    _, _, ec = yeast
    ec = with_pool(ec, pool_for_growth(ec, 0.375))
    report = {"ethanol": "r_1761", "acetaldehyde": "r_1631"}
    free = chemostat_fluxes(ec.gem, [0.3], ChemostatSetup(report=report, secretion_limits={}))
    assert free.loc[0.3, "acetaldehyde"] > 1.0 and free.loc[0.3, "ethanol"] < 1e-6
    limited = chemostat_fluxes(ec.gem, [0.3], ChemostatSetup(report=report))
    assert limited.loc[0.3, "acetaldehyde"] <= 1e-5 + 1e-9 and limited.loc[0.3, "ethanol"] > 1.0
    assert abs(critical_dilution_rate(ec.gem, ChemostatSetup(report=report)) / 0.265 - 1) < 0.10
    with pytest.raises(ValueError, match="r_1631"):
        chemostat_fluxes(ec.gem, [0.1], ChemostatSetup(secretion_limits={"r_1631": -1.0}))


@pytest.mark.reference_data
def test_yeast_infeasible_pool_is_reported(yeast):
    ec = with_pool(yeast[2], 1e-6)
    with pytest.raises(InfeasibleError, match="cannot grow"):
        critical_dilution_rate(ec.gem)
    with pytest.raises(InfeasibleError, match="not reached"):
        pool_for_growth(yeast[2], 5.0)
    assert not chemostat_fluxes(ec.gem, [0.2])["feasible"].iloc[0]


@pytest.mark.reference_data
def test_yeast_screen_on_ecgem(yeast):
    gem, _, ec = yeast
    g = ec.gem
    lb = g.lb.copy()
    lb[g.reaction_ids.index("r_1714")] = -1000.0  # glucose unlimited: the pool limits growth
    g = g.replace(lb=lb)
    df = knockout_screen(g, genes=["PGI1", "ZWF1"], progress=False)
    assert df.attrs["wild_type_growth"] == pytest.approx(optimize(g).objective, rel=1e-6)
    # PGI1 is not lethal (pentose-phosphate bypass) but costs enzyme: a quantitative growth defect
    assert 0.05 < df.loc["YBR196C", "growth_ratio"] < 0.95
    plain = knockout_screen(gem, genes=["PGI1"], progress=False)
    assert plain.loc["YBR196C", "growth_ratio"] == pytest.approx(1.0, abs=1e-6)


@pytest.mark.reference_data
def test_enzyme_fractions_vs_growth(yeast):
    ec = yeast[2]
    df = enzyme_fractions(ec, "C", [0.1, 0.2], {"glycolysis": list(GLYCOLYSIS)})
    g = df["glycolysis"]
    assert 0 < g[0.1] < g[0.2]  # respiratory: glycolytic flux, and its enzyme, scale with mu
    assert (df["all enzymes"] <= ec.mass_fraction * (1 + 1e-6)).all()  # the pool bounds the total
    with pytest.raises(ValueError, match="limitation"):
        enzyme_fractions(ec, "X", [0.1], {})


@pytest.mark.reference_data
def test_relative_growth_command(tmp_path, refdata, capsys):
    from yeastcell.cli import main

    out = tmp_path / "rel.csv"
    d = refdata / "yeast-gem"
    args = ["screen", "--gem", str(d / "yeast-GEM.yml"), "--medium", str(d / "medium_synthetic_complete.tsv")]
    assert main([*args, "--relative-growth", "--genes", "PGI1", "ERG10", "-o", str(out)]) == 0
    t = {r["orf"]: r for r in csv.DictReader(out.open())}
    assert 0.05 < float(t["YBR196C"]["relative_growth"]) < 0.95 and t["YBR196C"]["effect"] == "reduced"
    assert t["YPL028W"]["effect"] == "lethal"
    assert t["YIL147C"]["effect"] == "not in the genome-scale model"  # SLN1: signaling, kinetic model only
    assert main([*args, "--relative-growth", "--pairs", "PDC1+PDC5"]) == 2
    assert "single deletions" in capsys.readouterr().err


@pytest.mark.reference_data
def test_cn_source_map_matches_yeast_gem(yeast):
    gem = yeast[0]
    for name, (_, rids) in read_cn_sources().items():
        assert gem.reaction_names[gem.reaction_ids.index(rids[0])] == f"{name} exchange"
    df = cn_growth(yeast[2].gem, ["D-glucose", "ethanol"], ["ammonium"])
    assert df.loc["ammonium", "D-glucose"] > df.loc["ammonium", "ethanol"] > 0
    with pytest.raises(UnknownNameError, match="glucos"):
        cn_growth(gem, ["glucos"], ["ammonium"])
