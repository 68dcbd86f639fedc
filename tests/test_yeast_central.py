"""The central-metabolism model `models/yeast_central.yaml` (docs/central_metabolism.md).

yeast_core composed with the pentose phosphate pathway, the TCA cycle with intermediates, amino-acid and
nucleotide synthesis. Phenotypes checked at the `aerobic_clamped` steady state (one vmapped batch):

* zwf1 (Nogae I, Johnston M (1990) Gene 96:161; Thomas D et al. (1991) EMBO J 10:547: ZWF1 = MET19, the
  mutant lives on glucose, with NADPH-limited sulfur assimilation): no oxidative PPP flux, 6-phosphogluconate
  gone, glycolysis and ATP kept;
* pdc1 pdc5 pdc6 (Flikweert MT et al. (1996) Yeast 12:247): no ethanol; pyruvate is excreted and stays below
  the physiological bound;
* tdh3 (McAlister L, Holland MJ (1985) J Biol Chem 260:15019: Tdh3 is most of the GAPDH): lower GAPDH
  capacity, the intermediates above it rise;
* his3, leu2 (auxotrophic markers): the product of the branch is gone.

`glucose_batch` (the kinase benchmark's reference, docs/kinase_knockouts.md) is checked against
measured fluxes: it ferments (ethanol per glucose as in respiro-fermentative cultures, van Hoek P et
al. (1998) Appl Environ Microbiol 64:4226, shared file gecko/vanHoek1998.tsv: 1.10-1.25 at D = 0.35-0.40
1/h; GECKO's aerobic batch rows 1.33-1.61), its O2 uptake per glucose is at most that of the most
repressed chemostat (0.33 at D = 0.40) and its respiratory chain is limited by its NADH supply, not
its capacity. The growth-coupled demands saturate in their precursor pools (K_demand_ratio), so a
supply shortfall slows the drain instead of emptying the pool.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

import yeastcell as yc
from yeastcell import bounds
from yeastcell.models import available_models

NEW_FILES = ("ppp.yaml", "tca_anaplerosis.yaml", "amino_acids.yaml", "nucleotides.yaml")
REQUIRED = (
    "GL6P_c PGC6_c RU5P_c R5P_c XU5P_c S7P_c E4P_c "
    "OAA_m CIT_m ACON_m ICIT_m AKG_m SUCCOA_m SUCC_m FUM_m MAL_m OAA_c MAL_c AKG_c CIT_c "
    "ALA_c ARG_c ASN_c ASP_c GLN_c GLU_c GLYCINE_c HIS_c HOM_c HCYS_c LEU_c LYS_c MET_c ORN_c CITR_c PHE_c PRO_c "
    "SER_c THR_c TRP_c TYR_c VAL_c ILE_c CYS_c HACON_c NH4_c NH4_e"
).split()
AMINO_ACIDS = "ALA ARG ASN ASP CYS GLN GLU GLYCINE HIS ILE LEU LYS MET PHE PRO SER THR TRP TYR VAL".split()
LANES = ("wt", "zwf1", "pdc", "tdh3", "his3", "leu2")


@pytest.fixture(scope="module")
def spec():
    return yc.load_model("yeast_central")


@pytest.fixture(scope="module")
def cell(spec):
    return yc.compile_model(spec)


@pytest.fixture(scope="module")
def ss(cell):
    """Steady states of the wild type and the mutants in aerobic_clamped (one vmapped solve)."""
    base = yc.condition("aerobic_clamped")
    perts = [
        base,
        base + yc.knockout("ZWF1"),
        base + yc.knockout("PDC1", "PDC5", "PDC6"),
        base + yc.knockout("TDH3"),
        base + yc.knockout("HIS3"),
        base + yc.knockout("LEU2"),
    ]
    # a longer horizon than the default 1e5 min: with demands that saturate in their pools the
    # zwf1 lane's integration needs it (its steady state exists; the default stops short of it)
    out = yc.steady_state_batch(cell, perts, t_max=1e7)
    status = np.asarray(out.status)
    assert (status == 0).all(), dict(zip(LANES, status))
    conc = np.asarray(out.conc)
    flux = np.asarray(out.flux)
    sid, rid = list(out.species_ids), list(out.reaction_ids)
    return {
        lane: {
            "c": {s: float(conc[k, i]) for i, s in enumerate(sid)},
            "v": {r: float(flux[k, j]) for j, r in enumerate(rid)},
            "raw": conc[k],
        }
        for k, lane in enumerate(LANES)
    }


def test_composition_keeps_core_ids_and_replaces_the_lumped_tca(spec):
    core = yc.load_model("yeast_core")
    ids = {s.id for s in spec.species}
    assert set(REQUIRED) <= ids
    assert {s.id for s in core.species} <= ids  # existing ids keep their meaning
    rxns = spec.reaction_by_id()
    assert "TCA" not in rxns and {"CS", "ACO1", "ACO2", "IDH", "KGD", "LSC", "SDH", "FUM", "MDH", "PYC"} <= set(rxns)
    nadph = {s.id: s for s in spec.species}["NADPH_c"]
    assert not nadph.constant  # dynamic here, a boundary species in yeast_core
    # yeast_core itself is unchanged by the composition
    assert "TCA" in core.reaction_by_id() and {s.id: s for s in core.species}["NADPH_c"].constant
    assert "yeast_central" in available_models()


_ELEMENT = re.compile(r"([A-Z][a-z]?)(\d*)")


def _atoms(formula: str) -> Counter:
    out: Counter = Counter()
    for el, n in _ELEMENT.findall(formula):
        out[el] += int(n) if n else 1
    return out


def test_new_reactions_are_element_balanced(spec):
    core_rxns = {r.id for r in yc.load_model("yeast_core").reactions} - {"PDH", "RESP"}
    formula = {s.id: s.formula for s in spec.species}
    checked = 0
    for r in spec.reactions:
        if r.id in core_rxns or not r.balanced:
            continue
        assert all(formula[s] for s in r.stoichiometry), r.id
        net: Counter = Counter()
        for s, coef in r.stoichiometry.items():
            for el, n in _atoms(formula[s]).items():
                net[el] += coef * n
        assert all(abs(v) < 1e-9 for v in net.values()), (r.id, dict(net))
        checked += 1
    assert checked >= 50
    unbalanced = {r.id for r in spec.reactions if not r.balanced} - core_rxns
    # only the growth-coupled drains (protein, nucleic acids, NADPH use, methyl groups) are not balanced
    assert all(re.match(r"(PROT_|RNA_|NADPH_DEMAND|METHYL_CYCLE)", r) for r in unbalanced), unbalanced


def test_genes_are_real_orfs_and_cover_the_measured_proteome(spec, refdata):
    table = dict(
        line.split("\t")[:2]
        for line in (refdata / "yeast-gem" / "SGDgeneNames.tsv").read_text().splitlines()[1:]
        if "\t" in line
    )
    for g in spec.genes:
        assert table.get(g.orf, "").strip().upper() == (g.name or "").upper(), (g.orf, g.name)
    rows = (refdata / "omics" / "zelezniak2018_kinase_ko" / "proteome_sva_ln.tsv").read_text().splitlines()[1:]
    measured = {line.split("\t")[0] for line in rows}
    covered = measured & {g.orf for g in spec.genes if g.protein}
    assert len(covered) >= 150, len(covered)


def test_wild_type_steady_state_is_physiological(spec, ss):
    wt = ss["wt"]
    c, v = wt["c"], wt["v"]
    assert bounds.outside(spec, list(c), [0.0], wt["raw"][None, :]) == []
    # oxidative PPP 5-10 % of glucose uptake; little full-cycle TCA flux under Crabtree conditions
    assert 0.05 <= v["ZWF"] / v["GLT"] <= 0.10
    assert v["KGD"] * 1.26 / 29.4 < 0.01 * v["GLT"]
    assert v["ADH"] > 0.8 * v["GLT"]  # fermenting
    # amino-acid synthesis keeps up with protein synthesis at mu_growth (drains >= 85 % of their maximum)
    p = {x.id: x.value for x in spec.parameters}
    mu = p["mu_growth"]
    for aa in AMINO_ACIDS:
        assert v[f"PROT_{aa}"] >= 0.85 * mu * p[f"protein_{aa}"], aa
    # calibrated pools sit at the measured values they were fitted to (hackett2016)
    for s, ref in {"GLU_c": 81.6, "ALA_c": 54.4, "ASP_c": 34.2, "GLN_c": 8.35, "VAL_c": 6.52}.items():
        assert c[s] == pytest.approx(ref, rel=0.25), s
    assert 0.1 < c["NADPH_c"] / c["NADP_c"] < 10 and c["ATP_c"] > 1.0


def test_zwf1_has_no_oxidative_ppp_and_survives(ss):
    wt, ko = ss["wt"], ss["zwf1"]
    assert ko["v"]["ZWF"] == 0.0 and ko["v"]["GND"] == pytest.approx(0.0, abs=1e-9)
    assert ko["c"]["PGC6_c"] < 1e-3 * wt["c"]["PGC6_c"]
    assert ko["c"]["NADPH_c"] < 0.1 * wt["c"]["NADPH_c"]
    assert ko["v"]["GLT"] > 0.8 * wt["v"]["GLT"] and ko["c"]["ATP_c"] > 1.0  # still fermenting, energy kept
    assert ko["c"]["MET_c"] < 0.1 * wt["c"]["MET_c"]  # met19: sulfate assimilation needs NADPH


def test_pdc_triple_deletion_makes_no_ethanol_and_exports_pyruvate(spec, ss):
    wt, ko = ss["wt"], ss["pdc"]
    assert ko["v"]["PDC"] == 0.0
    assert ko["v"]["ADH"] < 0.01 * wt["v"]["ADH"]
    assert ko["v"]["PYR_T"] > 5 * wt["v"]["PYR_T"]
    assert wt["c"]["PYR_c"] < ko["c"]["PYR_c"] < bounds.CLASS_BOUNDS["intracellular metabolite"].upper


def test_tdh3_lowers_gapdh_capacity_and_intermediates_above_rise(ss):
    wt, ko = ss["wt"], ss["tdh3"]
    assert ko["v"]["GAPDH"] < wt["v"]["GAPDH"]
    for s in ("F16BP_c", "DHAP_c", "GAP_c"):
        assert ko["c"][s] > 2 * wt["c"][s], s


@pytest.mark.parametrize("lane, product", [("his3", "HIS_c"), ("leu2", "LEU_c")])
def test_branch_knockout_drops_its_product(ss, lane, product):
    assert ss[lane]["c"][product] < 1e-3 * ss["wt"]["c"][product]
    assert ss[lane]["v"][f"PROT_{product[:-2]}"] < 1e-3 * ss["wt"]["v"][f"PROT_{product[:-2]}"]


MATRIX_PER_CYTOSOL = 1.26 / 29.4  # rates of matrix reactions are per matrix volume (yeast_core)
LYS2_LOW = 0.005  # Lys2 left: the lysine lump's capacity (six steps in series) falls below the demand


@pytest.fixture(scope="module")
def batch_ss(cell):
    """Steady states under glucose_batch: wild type, a lysine-supply shortfall (Lys2 at 0.5 %) with
    the saturating demand, and the same with the old near-zero half-saturation (10 uM of lysine)."""
    base = yc.condition("glucose_batch")
    low = base + yc.knockdown("LYS2", LYS2_LOW)
    perts = [base, low, low + yc.parameter("K_demand_ratio", value=0.075)]
    out = yc.steady_state_batch(cell, perts)
    assert (np.asarray(out.status) == 0).all(), np.asarray(out.status)
    sid, rid = list(out.species_ids), list(out.reaction_ids)
    return [
        {
            "c": dict(zip(sid, map(float, np.asarray(out.conc)[k]))),
            "v": dict(zip(rid, map(float, np.asarray(out.flux)[k]))),
        }
        for k in range(len(perts))
    ]


def _exchange(lane: dict) -> dict[str, float]:
    v, c = lane["v"], lane["c"]
    resp_atp = v["RESP"] * 1.38 * MATRIX_PER_CYTOSOL
    glycolysis_atp = v["GAPDH"] + v["PYK"] - v["PFK"] - v["GLT"]  # PGK = GAPDH; hexokinase = uptake
    return {
        "ethanol_per_glucose": v["ETOH_T"] / v["GLT"],
        "o2_per_glucose": 0.5 * v["RESP"] * MATRIX_PER_CYTOSOL / v["GLT"],
        "respiratory_atp_share": resp_atp / (resp_atp + glycolysis_atp),
        "ubiquinol_fraction": c["QH2_m"] / (c["QH2_m"] + c["Q_m"]),
    }


def test_glucose_batch_ferments_with_supply_limited_respiration(spec, batch_ss, ss):
    wt = _exchange(batch_ss[0])
    assert 1.1 <= wt["ethanol_per_glucose"] <= 1.8, wt
    assert 0.08 <= wt["o2_per_glucose"] <= 0.33, wt
    assert wt["respiratory_atp_share"] < 1 / 3, wt  # glycolysis makes most of the ATP (Crabtree)
    assert wt["ubiquinol_fraction"] < 0.6, wt  # the chain has spare capacity
    # aerobic_clamped: the chain runs at its capacity, the ubiquinone pool nearly fully reduced
    old = _exchange(ss["wt"])
    assert old["ubiquinol_fraction"] > 0.9 and old["o2_per_glucose"] < wt["o2_per_glucose"], old
    assert 0.8 * ss["wt"]["v"]["GLT"] < batch_ss[0]["v"]["GLT"] < 1.25 * ss["wt"]["v"]["GLT"]
    assert bounds.outside(spec, list(batch_ss[0]["c"]), [0.0], np.array([list(batch_ss[0]["c"].values())])) == []


def test_demand_slows_when_its_pool_falls_short(batch_ss):
    wt, low, old_k = batch_ss
    # the supply shortfall is real: lysine synthesis and its drain into protein fall together
    assert low["v"]["LYS"] == pytest.approx(low["v"]["PROT_LYS"], rel=1e-3)
    assert low["v"]["PROT_LYS"] < 0.8 * wt["v"]["PROT_LYS"]
    # the saturating demand answers it with a slower drain, the pool down by less than 2x ...
    assert low["c"]["LYS_c"] > 0.4 * wt["c"]["LYS_c"]
    # ... where a demand saturated at 10 uM keeps draining until the pool is nearly empty
    assert old_k["c"]["LYS_c"] < 0.2 * wt["c"]["LYS_c"]
