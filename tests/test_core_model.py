"""The embedded yeast core model against published and computed references.

Sources: Teusink B et al. (2000) Eur J Biochem 267:5313 (BIOMD0000000064, steady state via libroadrunner);
Flikweert MT et al. (1996) Yeast 12:247 (pdc1 pdc5 pdc6 null: no pyruvate decarboxylase, no ethanol);
Ansell R et al. (1997) EMBO J 16:2179 (gpd1 gpd2 null: no glycerol production);
Compagno C et al. (1996) Mol Microbiol 20:1333 / Biotechnol Prog 12:591 (tpi1 null: DHAP accumulates, glycerol made);
Lobo Z & Maitra PK (1977) Arch Biochem Biophys 182:639 and Diderich JA et al. (2001) Appl Environ Microbiol
67:1587 (hxk2 null grows on glucose through Hxk1/Glk1, with reduced glucose flux).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

import yeastcell as yc

# reaction id in the core model -> (roadrunner reaction id, libroadrunner steady-state flux, mM/min)
TEUSINK = {
    "GLT": ("vGLT", 88.15),
    "ADH": ("vADH", 129.2),
    "PYK": ("vPYK", 136.5),
    "GPD": ("vG3PDH", 18.20),
    "GLYCOGEN": ("vGLYCO", 6.0),
    "TREHALOSE": ("vTreha", 2.4),
    "SUCC": ("vSUC", 3.64),
}


def _roadrunner_reference(refdata):
    """Teusink fluxes from libroadrunner (steadyState() fails on this file: NLEQ singular Jacobian,
    so the model is integrated to t = 2000 min, where it is stationary)."""
    roadrunner = pytest.importorskip("roadrunner")
    r = roadrunner.RoadRunner(str(refdata / "sbml" / "biomodels" / "BIOMD0000000064_teusink2000.xml"))
    r.simulate(0, 2000, 201)
    rates = dict(zip(r.model.getReactionIds(), r.model.getReactionRates()))
    return {k: rates[rid] for k, (rid, _) in TEUSINK.items()}


@pytest.fixture(scope="module")
def teusink_ss(core):
    return yc.steady_state(core, yc.condition("teusink2000")).raise_if_failed()


def test_teusink_steady_state_published_numbers(teusink_ss):
    flux = teusink_ss.fluxes()
    for rx, (_, ref) in TEUSINK.items():
        assert flux[rx] == pytest.approx(ref, rel=0.02), rx


def test_teusink_steady_state_against_libroadrunner(teusink_ss, refdata):
    ref = _roadrunner_reference(refdata)
    flux = teusink_ss.fluxes()
    for rx, v in ref.items():
        assert flux[rx] == pytest.approx(v, rel=0.02), (rx, flux[rx], v)
    # and the published figures are what libroadrunner computes from the file
    for rx, (_, pub) in TEUSINK.items():
        assert ref[rx] == pytest.approx(pub, rel=2e-3)


def _amount(traj, members, spec):
    vol = {c.id: c.volume_L for c in spec.compartments}
    comp = {s.id: s.compartment for s in spec.species}
    return sum(w * traj.species(s) * vol[comp[s]] for s, w in members.items())


@pytest.fixture(scope="module")
def batch_run(core):
    t = np.linspace(0.0, 60.0, 31)
    perts = [
        yc.wild_type(),
        yc.knockout("PDC1", "PDC5", "PDC6"),
        yc.knockout("GPD1", "GPD2"),
        yc.knockout("TPI1"),
        yc.knockout("HXK2"),
    ]
    traj = yc.simulate_batch(core, [yc.condition("aerobic_batch") + p for p in perts], t, strategy="vmap")
    return dict(zip(["wt", "pdc", "gpd", "tpi", "hxk2"], (traj[i] for i in range(len(perts)))))


def test_conserved_moieties_stay_constant(core_spec, batch_run):
    assert {m.id for m in core_spec.conserved_moieties} >= {"adenylate_cytosol", "nad_cytosol", "nad_mitochondrion"}
    for name in ("wt", "gpd"):
        traj = batch_run[name]
        for m in core_spec.conserved_moieties:
            total = _amount(traj, m.species, core_spec)
            np.testing.assert_allclose(total, total[0], rtol=1e-8, err_msg=f"{name}: {m.id}")


_ELEMENT = re.compile(r"([A-Z][a-z]?)(\d*)")


def _atoms(formula: str) -> Counter:
    out = Counter()
    for el, n in _ELEMENT.findall(formula):
        out[el] += int(n) if n else 1
    return out


def test_reactions_with_known_formulas_are_element_balanced(core_spec):
    formula = {s.id: s.formula for s in core_spec.species}
    checked = 0
    for r in core_spec.reactions:
        if not r.balanced or any(formula[s] is None for s in r.stoichiometry):
            continue
        net = Counter()
        for s, coef in r.stoichiometry.items():
            for el, n in _atoms(formula[s]).items():
                net[el] += coef * n
        assert all(abs(v) < 1e-9 for v in net.values()), (r.id, dict(net))
        checked += 1
    assert checked >= 25  # the check must actually cover the network


def test_pdc_triple_deletion_abolishes_ethanol(batch_run):
    wt, ko = batch_run["wt"], batch_run["pdc"]
    assert wt.species("ETOH_e")[-1] > 1.0  # mM accumulated in 60 min
    # only the initial acetaldehyde/ethanol pools reach the medium: < 1 % of the wild type
    assert ko.species("ETOH_e")[-1] < 1e-2 * wt.species("ETOH_e")[-1]
    assert np.max(np.abs(ko.reaction_flux("PDC"))) == 0.0
    assert ko.reaction_flux("ADH")[-1] < 1e-2 * wt.reaction_flux("ADH")[-1]  # no net ethanol formation


def test_gpd1_gpd2_deletion_abolishes_glycerol(batch_run):
    wt, ko = batch_run["wt"], batch_run["gpd"]
    assert wt.species("GLY_e")[-1] > 0.05
    # only the initial glycerol-3-phosphate pool is dephosphorylated: < 1 % of the wild type
    assert ko.species("GLY_e")[-1] < 1e-2 * wt.species("GLY_e")[-1]
    assert np.max(np.abs(ko.reaction_flux("GPD"))) == 0.0
    assert ko.reaction_flux("GLT")[-1] > 0.5 * wt.reaction_flux("GLT")[-1]  # glycolysis itself keeps going


def test_tpi1_deletion_accumulates_dhap(batch_run):
    wt, ko = batch_run["wt"], batch_run["tpi"]
    assert ko.species("DHAP_c")[-1] > 10 * wt.species("DHAP_c")[-1]


def test_hxk2_deletion_still_ferments_with_reduced_flux(batch_run):
    """hxk2 null on glucose ferments through Hxk1/Glk1 (here at their glucose-grown levels, 26 % of the
    hexokinase capacity) with a reduced glucose flux (Diderich et al. 2001, module docstring)."""
    wt, ko = batch_run["wt"], batch_run["hxk2"]
    ratio = ko.reaction_flux("GLT")[-1] / wt.reaction_flux("GLT")[-1]
    assert 0.05 < ratio < 0.95
    assert ko.species("ETOH_e")[-1] > 0.05 * wt.species("ETOH_e")[-1]
    assert ko.species("ATP_c")[-1] > 0.1 * wt.species("ATP_c")[-1]  # fermenting, not ATP-depleted


def test_genes_use_real_orfs_and_names(core_spec, refdata):
    table = dict(
        line.split("\t")[:2]
        for line in (refdata / "yeast-gem" / "SGDgeneNames.tsv").read_text().splitlines()[1:]
        if "\t" in line
    )
    for g in core_spec.genes:
        assert g.orf in table, g.orf
        assert table[g.orf].strip().upper() == (g.name or "").upper(), (g.orf, g.name, table[g.orf])
