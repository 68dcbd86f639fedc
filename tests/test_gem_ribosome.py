"""Ribosomes in the enzyme-constrained GEM (yeastcell.gem.ribosome): translation draws ribosomal
protein from the pool in proportion to the protein made; the Yeast-GEM constants on the real data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from yeastcell.exceptions import UnknownReactionError
from yeastcell.gem import GEM, optimize
from yeastcell.gem.chemostat import pool_for_growth
from yeastcell.gem.enzyme import POOL_METABOLITE, enzyme_constrained, with_pool
from yeastcell.gem.enzyme_data import EnzymeData, EnzymeDataError, read_masses, read_standard_names
from yeastcell.gem.proteome_allocation import enzyme_fractions
from yeastcell.gem.ribosome import (
    YEAST_RIBOSOME,
    Ribosome,
    amino_acids_per_flux,
    ribosomal_genes,
    ribosome_cost,
)

# EX_A: A <-> (uptake negative);  R1: A -> B (g1);  PROT: 2 B -> P (protein synthesis);  BIO: P -> (growth)
RIB = Ribosome(protein_reaction="PROT")


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


def test_ribosome_bad_input():
    for bad in (0.0, -10.0, float("nan"), float("inf")):
        with pytest.raises(EnzymeDataError, match="elongation_rate"):
            Ribosome(elongation_rate=bad)
    with pytest.raises(EnzymeDataError, match="protein_mass"):
        Ribosome(protein_mass=4e6)
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


@pytest.mark.reference_data
def test_yeast_ribosomal_fraction_rises_with_growth(yeast):
    gem, data = yeast
    ec0 = enzyme_constrained(gem, data, ribosome=YEAST_RIBOSOME)
    ec = with_pool(ec0, pool_for_growth(ec0, 0.375))
    assert 0 < ec.saturation <= 1
    df = enzyme_fractions(ec, "N", [0.1, 0.2], {})
    r = df["ribosomal proteins"]
    assert r[0.2] == pytest.approx(2 * r[0.1], rel=1e-6) and 0.02 < r[0.1] < 0.1
    # the whole modelled proteome fits the measured f + f_r
    assert (df["all enzymes"] + df["ribosomal proteins"] <= ec.modelled_fraction * (1 + 1e-6)).all()
