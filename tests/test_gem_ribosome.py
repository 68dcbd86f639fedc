"""Ribosomes in the enzyme-constrained GEM (yeastcell.gem.ribosome): translation draws ribosomal
protein from the pool in proportion to the protein made, an idle reserve takes a constant share;
the Yeast-GEM constants, the Metzl-Raz line and the idle enzymes on the real data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from yeastcell.exceptions import InfeasibleError, UnknownReactionError
from yeastcell.gem import GEM, optimize
from yeastcell.gem.chemostat import pool_for_growth, ribosomal_fraction_for_growth
from yeastcell.gem.enzyme import POOL_METABOLITE, enzyme_constrained, with_pool
from yeastcell.gem.enzyme_data import (
    EnzymeData,
    EnzymeDataError,
    enzyme_composition,
    read_masses,
    read_standard_names,
)
from yeastcell.gem.proteome_allocation import GLYCOLYSIS, enzyme_fractions
from yeastcell.gem.ribosome import (
    YEAST_RIBOSOME,
    Ribosome,
    amino_acids_per_flux,
    ribosomal_fraction,
    ribosomal_genes,
    ribosome_cost,
)

# EX_A: A <-> (uptake negative);  R1: A -> B (g1);  PROT: 2 B -> P (protein synthesis);  BIO: P -> (growth)
RIB = Ribosome(protein_reaction="PROT", reserve_fraction=0.0)  # every ribosome translates


def _toy() -> GEM:
    S = np.array(
        [
            [-1.0, -1.0, 0.0, 0.0],  # A
            [0.0, 1.0, -2.0, 0.0],  # B (an amino acid)
            [0.0, 0.0, 1.0, -1.0],  # P (protein)
        ]
    )
    return GEM(
        S=sp.csc_array(S),
        lb=np.array([-1000.0, 0.0, 0.0, 0.0]),
        ub=np.array([0.0, 1000.0, 1000.0, 1000.0]),
        c=np.array([0.0, 0.0, 0.0, 1.0]),
        objective_sense="max",
        reaction_ids=("EX_A", "R1", "PROT", "BIO"),
        reaction_names=("A exchange", "r1", "protein pseudoreaction", "growth"),
        metabolite_ids=("A", "B", "P"),
        metabolite_names=("A", "B", "P"),
        gene_ids=("g1",),
        gene_names=("",),
        gene_rules=("", "g1", "", ""),
    )


def _data(f_r: float = 0.2) -> EnzymeData:
    return EnzymeData(
        kcat={("R1", "+", "g1"): 10.0},
        custom=(),
        mw={"g1": 40_000.0},
        total_protein=0.5,
        mass_fraction=0.4,
        ribosomal_mass_fraction=f_r,
    )


def test_ribosome_cost_from_elongation_and_mass():
    rho = ribosome_cost(_toy(), RIB)  # 2 mmol aa per unit flux
    assert amino_acids_per_flux(_toy(), "PROT") == 2.0
    assert rho == pytest.approx(2e-3 * 1.42e6 / (3600 * 10.0))
    assert ribosome_cost(_toy(), Ribosome(elongation_rate=5.0, protein_reaction="PROT")) == pytest.approx(2 * rho)
    # g protein per g ribosome per h: 10 aa/s * 3600 s/h * 110 g/mol / 3.3e6 g/mol
    assert YEAST_RIBOSOME.translation_capacity(110.0) == pytest.approx(1.2)


def test_ribosome_usage_proportional_to_growth_and_drawn_from_pool():
    ec = enzyme_constrained(_toy(), _data(), ribosome=RIB, pool_bound=0.01)
    assert ec.saturation == pytest.approx(0.01 / (0.5 * 0.6))  # the pool stands for f + f_r
    g = ec.gem
    k = g.reaction_ids.index("BIO")
    use = []
    for mu in (0.1, 0.2):
        lb, ub = g.lb.copy(), g.ub.copy()
        lb[k] = ub[k] = mu
        sol = optimize(g.replace(lb=lb, ub=ub))
        use.append(ec.ribosome_usage(sol.fluxes))
    assert use[1] == pytest.approx(2 * use[0]) and use[0] == pytest.approx(0.1 * ec.ribosome_cost)
    # at maximal growth the pool pays the enzyme and sigma * the ribosomes
    sol = optimize(g)
    c1 = ec.costs.forward[1]
    mu = 0.01 / (2 * c1 + ec.saturation * ec.ribosome_cost)
    assert sol.objective == pytest.approx(mu, rel=1e-6)
    assert ec.pool_usage(sol.fluxes) + ec.saturation * ec.ribosome_usage(sol.fluxes) == pytest.approx(0.01)
    # a free ribosome (GECKO's model) grows faster on the same pool
    free = enzyme_constrained(_toy(), _data(), pool_bound=0.01)
    mu_free = optimize(free.gem).objective
    assert mu_free == pytest.approx(0.01 / (2 * c1), rel=1e-6) and mu_free > sol.objective


def test_with_pool_and_calibration_keep_the_ribosome_coefficient_consistent():
    ec = enzyme_constrained(_toy(), _data(), ribosome=RIB)
    row = ec.gem.metabolite_ids.index(POOL_METABOLITE)
    col = ec.ribosome_column
    ec2 = with_pool(ec, 0.05)
    assert ec2.gem.S.tocsc()[row, col] == pytest.approx(-ec2.saturation * ec2.ribosome_cost)
    P = pool_for_growth(ec, 0.3, substrate="EX_A", growth="BIO", lo=1e-6)
    cal = with_pool(ec, P)
    assert optimize(cal.gem).objective == pytest.approx(0.3, rel=1e-6)
    # closed form: P = sigma*Ptot*(f+f_r) with P = 2 c mu + sigma rho mu
    c1 = ec.costs.forward[1]
    budget = 0.5 * 0.6
    assert P == pytest.approx(2 * c1 * 0.3 / (1 - ec.ribosome_cost * 0.3 / budget), rel=1e-6)


def test_idle_reserve_is_set_aside_from_the_pool():
    """An idle reserve φ takes a constant φ·Ptot of the budget: the pool stands for f + f_r − φ, and
    the ribosomal mass is the Metzl-Raz line φ·Ptot + ρ·v_protein."""
    rib = dataclasses.replace(RIB, reserve_fraction=0.05)
    ec = enzyme_constrained(_toy(), _data(), ribosome=rib, ribosomal_mass_fraction=0.15)
    assert ec.modelled_fraction == pytest.approx(0.4 + 0.15 - 0.05) and ec.ribosome_reserve == 0.05
    P = pool_for_growth(ec, 0.3, substrate="EX_A", growth="BIO", lo=1e-6)
    cal = with_pool(ec, P)
    assert cal.saturation == pytest.approx(P / (0.5 * 0.5))
    sol = optimize(cal.gem)
    assert sol.objective == pytest.approx(0.3, rel=1e-6)
    c1 = ec.costs.forward[1]
    assert P == pytest.approx(2 * c1 * 0.3 / (1 - ec.ribosome_cost * 0.3 / (0.5 * 0.5)), rel=1e-6)
    # the mass budget in g/gDW: enzymes at saturation + translating + idle ribosomes = Ptot (f + f_r)
    mass = cal.pool_usage(sol.fluxes) / cal.saturation + cal.ribosomal_mass(sol.fluxes)
    assert mass == pytest.approx(0.5 * (0.4 + 0.15), rel=1e-6)
    assert cal.ribosomal_mass(sol.fluxes) == pytest.approx(0.05 * 0.5 + 0.3 * ec.ribosome_cost, rel=1e-6)
    # the fraction the ribosomes need at a growth rate: protein flux = mu in the toy
    f_r = ribosomal_fraction_for_growth(_toy(), rib, 0.3, 0.5, substrate="EX_A", growth="BIO")
    assert f_r == pytest.approx(0.05 + ec.ribosome_cost * 0.3 / 0.5, rel=1e-9)
    assert ribosomal_fraction(_toy(), rib, 0.3, 0.5) == pytest.approx(f_r)
    # a composition of idle enzyme: shares of the mass of the genes given
    assert enzyme_composition(["a", "b", "c"], {"a": 1.0, "b": 3.0}, {"a": 2.0, "b": 2.0, "c": 1.0}) == {
        "a": 0.25,
        "b": 0.75,
    }


def test_ribosome_bad_input():
    for bad in (0.0, -10.0, float("nan"), float("inf")):
        with pytest.raises(EnzymeDataError, match="elongation_rate"):
            Ribosome(elongation_rate=bad)
    with pytest.raises(EnzymeDataError, match="protein_mass"):
        Ribosome(protein_mass=4e6)
    for bad in (-0.1, 1.0, float("nan")):
        with pytest.raises(EnzymeDataError, match="reserve_fraction"):
            Ribosome(reserve_fraction=bad)
    with pytest.raises(EnzymeDataError, match="exceed the ribosome's reserve_fraction"):
        enzyme_constrained(
            _toy(), _data(), ribosome=dataclasses.replace(RIB, reserve_fraction=0.1), ribosomal_mass_fraction=0.1
        )
    with pytest.raises(EnzymeDataError, match="f \\+ f_r <= 1"):
        enzyme_constrained(_toy(), _data(), ribosome=RIB, ribosomal_mass_fraction=0.7)
    with pytest.raises(EnzymeDataError, match="protein_flux"):
        ribosomal_fraction(_toy(), RIB, -1.0, 0.5)
    with pytest.raises(ValueError, match="growth_rate"):
        ribosomal_fraction_for_growth(_toy(), RIB, float("nan"), 0.5, substrate="EX_A", growth="BIO")
    with pytest.raises(InfeasibleError, match="cannot grow"):
        ribosomal_fraction_for_growth(_toy(), RIB, 2000.0, 0.5, substrate="EX_A", growth="BIO")
    with pytest.raises(EnzymeDataError, match="none of the genes"):
        enzyme_composition(["g1"], {"g2": 1.0}, {"g1": 1.0})
    with pytest.raises(UnknownReactionError, match="r_4047"):
        enzyme_constrained(_toy(), _data(), ribosome=YEAST_RIBOSOME)  # the toy has no r_4047
    with pytest.raises(EnzymeDataError, match="Ribosome"):
        enzyme_constrained(_toy(), _data(), ribosome="yes")  # type: ignore[arg-type]
    with pytest.raises(EnzymeDataError, match="ribosomal_mass_fraction"):
        _data(f_r=0.7)  # f + f_r > 1
    with pytest.raises(EnzymeDataError, match="ribosomal_mass_fraction > 0"):
        enzyme_constrained(_toy(), _data(f_r=0.0), ribosome=RIB)
    with pytest.raises(EnzymeDataError, match="without an enzyme"):
        enzyme_constrained(_toy(), _data(), ribosome=Ribosome(protein_reaction="R1"))  # R1 has an enzyme


# ---------------------------------------------------------------- Yeast-GEM and the reference data
@pytest.fixture(scope="module")
def yeast(refdata):
    from yeastcell.gem import load_gem
    from yeastcell.gem.enzyme_data import load_enzyme_data

    gem = load_gem(refdata / "yeast-gem" / "yeast-GEM.yml")
    return gem, load_enzyme_data(gem, refdata)


@pytest.mark.reference_data
def test_yeast_ribosome_constants(refdata, yeast):
    gem, data = yeast
    j = gem.reaction_ids.index("r_4047")
    col = gem.S.tocsc()[:, [j]].toarray().ravel()
    assert all("tRNA(" in gem.metabolite_names[i] for i in np.flatnonzero(col < 0))  # only aminoacyl-tRNAs
    assert 3.5 < amino_acids_per_flux(gem, "r_4047") < 4.5  # ~0.45 g protein / gDW at ~110 g/mol per residue
    assert 0.05 < data.ribosomal_mass_fraction < 0.15  # PaxDb
    names = read_standard_names(refdata / "yeast-gem" / "SGDgeneNames.tsv")
    rp = ribosomal_genes(names)
    assert "YMR116C" in rp and not any(names[g].startswith("MRP") for g in rp) and "YHR062C" not in rp  # RPP1
    # M_rp: the UniProt masses of the r-protein families (one paralog each) sum to 1.42 MDa within 3 %
    mw = read_masses(refdata / "gecko" / "uniprot.tsv.gz")
    family: dict[str, list[float]] = {}
    for g in rp:
        n = names[g]
        family.setdefault(n[:-1] if n[-1] in "AB" and n != "ASC1" else n, []).append(mw[g])
    total = sum(float(np.mean(v)) for v in family.values())
    assert len(family) == 79
    assert total == pytest.approx(YEAST_RIBOSOME.protein_mass, rel=0.03)


@pytest.fixture(scope="module")
def bench_model(yeast):
    """The growth benchmark's default ecGEM: ribosome priced with its reserve, calibrated to 0.375 h⁻¹."""
    gem, data = yeast
    f_r = ribosomal_fraction_for_growth(gem, YEAST_RIBOSOME, 0.375, data.total_protein)
    ec0 = enzyme_constrained(gem, data, ribosome=YEAST_RIBOSOME, ribosomal_mass_fraction=f_r)
    return with_pool(ec0, pool_for_growth(ec0, 0.375))


@pytest.mark.reference_data
def test_yeast_ribosomal_fraction_rises_with_growth_and_idle_glycolysis_falls(refdata, yeast, bench_model):
    """The benchmark's model: the pool holds f and the ribosomes of the calibration growth rate (so
    σ is GECKO's); the ribosomal fraction is the Metzl-Raz line (8 % idle + ∝ μ); with the unused pool
    counted as idle enzyme of the PaxDb make-up the glycolytic fraction falls with μ under glucose
    limitation (Hackett 2016's sign), the enzymes in use alone rise."""
    from yeastcell.gem.enzyme_data import load_enzyme_composition

    gem, data = yeast
    ec = bench_model
    f_r = ec.ribosomal_mass_fraction
    assert 0.2 < f_r < 0.26 and f_r > data.ribosomal_mass_fraction  # PaxDb's 0.093 cannot hold them
    gecko0 = enzyme_constrained(gem, data)
    assert ec.saturation == pytest.approx(with_pool(gecko0, pool_for_growth(gecko0, 0.375)).saturation, rel=1e-4)
    w = load_enzyme_composition(gem, refdata)
    assert sum(w.values()) == pytest.approx(1.0) and 0.2 < sum(w.get(g, 0.0) for g in GLYCOLYSIS) < 0.3
    df = enzyme_fractions(ec, "C", [0.1, 0.2], {"glycolysis": list(GLYCOLYSIS)}, idle_composition=w)
    r = df["ribosomal proteins"] - YEAST_RIBOSOME.reserve_fraction
    assert r[0.2] == pytest.approx(2 * r[0.1], rel=1e-6) and 0.02 < r[0.1] < 0.1
    # the whole modelled proteome is expressed: in use + idle enzymes + translating ribosomes = f + f_r − φ
    assert (df["all enzymes"] + df["idle enzymes"] + r).to_numpy() == pytest.approx(ec.modelled_fraction, rel=1e-6)
    assert df["glycolysis"][0.2] < df["glycolysis"][0.1]
    in_use = enzyme_fractions(ec, "C", [0.1, 0.2], {"glycolysis": list(GLYCOLYSIS)})["glycolysis"]
    assert in_use[0.2] > in_use[0.1]
    with pytest.raises(ValueError, match="sum to"):
        enzyme_fractions(ec, "C", [0.1], {}, idle_composition={"YFR053C": 0.7, "YGL253W": 0.7})
    with pytest.raises(ValueError, match="YFR053C"):
        enzyme_fractions(ec, "C", [0.1], {}, idle_composition={"YFR053C": -0.1})


@pytest.mark.reference_data
def test_yeast_ribosome_model_keeps_the_crabtree_transition(bench_model):
    """Critical dilution rate within 10 % of van Hoek 1998's 0.265 h⁻¹ with the ribosome and its reserve
    priced (0.2907 h⁻¹ when written; 0.2929 without the reserve and with PaxDb's f_r)."""
    from yeastcell.gem.chemostat import ChemostatSetup, critical_dilution_rate

    dc = critical_dilution_rate(bench_model.gem, ChemostatSetup(report={"ethanol": "r_1761"}))
    assert abs(dc / 0.265 - 1) < 0.10
