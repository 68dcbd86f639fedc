"""HOG osmotic-stress module of the whole-cell model (models/signaling_hog.yaml), against published
dynamics, and the Kanshin 2015 phosphoproteomics comparison.

Published facts checked here:
* Hog1 dual phosphorylation / nuclear accumulation peaks within ~5 min of 0.4-0.5 M NaCl and returns
  towards its pre-stress level as cells adapt, within ~30-60 min (Klipp et al. 2005 Nat Biotechnol
  23:975, Fig. 2-3; Muzzey et al. 2009 Cell 138:160; Hohmann 2002 Microbiol Mol Biol Rev 66:300).
* Osmotic shock shrinks the cell within a minute, and glycerol accumulation restores the volume
  (Klipp 2005; Muzzey 2009); intracellular glycerol rises several-fold (Klipp 2005 Fig. 4;
  Petelenz-Kurdziel et al. 2013 PLoS Comput Biol 9:e1003084).
* hog1 and pbs2 mutants do not activate Hog1, do not induce GPD1 and accumulate less glycerol
  (Brewster et al. 1993 Science 259:1760; Albertyn et al. 1994 Mol Cell Biol 14:4135).
* Either branch alone activates Hog1 at 0.4 M NaCl: ssk1 and ste11 single mutants still respond
  (Maeda et al. 1995 Science 269:554; Posas & Saito 1997 Science 276:1702).
"""

from __future__ import annotations

import numpy as np
import pytest

import yeastcell as yc
from yeastcell.exceptions import PerturbationError, UnknownNameError
from yeastcell.perturb.notation import parse_perturbation

T = np.array([0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60.0])
BASE = "aerobic_clamped"
RUNS = {
    "wt": yc.osmotic_shock(0.4),
    "hog1": yc.osmotic_shock(0.4) + yc.knockout("HOG1"),
    "pbs2": yc.osmotic_shock(0.4) + yc.knockout("PBS2"),
    "ssk1": yc.osmotic_shock(0.4) + yc.knockout("SSK1"),
    "ste11": yc.osmotic_shock(0.4) + yc.knockout("STE11"),
    "hot1": yc.osmotic_shock(0.4) + yc.knockout("HOT1"),
    "msn24": yc.osmotic_shock(0.4) + yc.knockout("MSN2", "MSN4"),
    "gpd1": yc.osmotic_shock(0.4) + yc.knockout("GPD1"),
    "rest": yc.wild_type(),
}


@pytest.fixture(scope="module")
def cell():
    return yc.load_cell("yeast_cell")


@pytest.fixture(scope="module")
def runs(cell):
    perts = [yc.condition(BASE) + p for p in RUNS.values()]
    batch = yc.simulate_batch(cell, perts, T).raise_if_failed()
    return {k: batch[i] for i, k in enumerate(RUNS)}


def _pp(tr):
    return np.asarray(tr.observable("hog1_pp_fraction"))


def _pp_amount(tr):
    """Dually phosphorylated Hog1, cytosol + nucleus, as mM of cytosol (defined also in hog1Δ)."""
    return np.asarray(tr.species("Hog1_PP")) + 0.1 * np.asarray(tr.species("Hog1_PP_n"))


def test_hog1_phosphorylation_peaks_early_and_adapts(runs):
    pp = _pp(runs["wt"])
    base, peak = pp[0], pp.max()
    t_peak = T[int(np.argmax(pp))]
    assert peak > 4 * base and peak > 0.3, (base, peak)
    assert t_peak <= 8.0, t_peak  # peak within ~5 min
    excess_late = pp[T >= 45] - base
    assert np.all(excess_late < 0.25 * (peak - base)), pp  # near baseline by 45-60 min
    nuc = np.asarray(runs["wt"].observable("hog1_nuclear_fraction"))
    assert nuc[T == 5][0] > 2 * nuc[0]  # nuclear accumulation


def test_shock_shrinks_the_cell_and_glycerol_restores_it(runs):
    vol = np.asarray(runs["wt"].observable("cell_volume_rel"))
    assert vol[0] == pytest.approx(1.0, abs=0.01)
    assert vol[T == 1][0] < 0.8  # shrinks within a minute
    assert vol[-1] > vol.min() + 0.5 * (1.0 - vol.min())  # recovers more than half
    gly, gly_rest = runs["wt"].species("GLY_c")[-1], runs["rest"].species("GLY_c")[-1]
    assert gly > 3 * gly_rest  # several-fold glycerol


def test_unstressed_cell_stays_at_rest(runs):
    tr = runs["rest"]
    np.testing.assert_allclose(_pp(tr), _pp(tr)[0], rtol=0.02)
    np.testing.assert_allclose(tr.observable("cell_volume_rel"), 1.0, atol=0.01)
    np.testing.assert_allclose(tr.species("Gpd1"), tr.species("Gpd1")[0], rtol=0.01)


@pytest.mark.parametrize("mutant", ["hog1", "pbs2"])
def test_hog1_and_pbs2_deletions_block_activation_and_gpd1_induction(runs, mutant):
    wt, mt = runs["wt"], runs[mutant]
    assert np.all(_pp_amount(mt) <= _pp_amount(wt)[0] * 1.001)  # no Hog1 activation
    gpd1_wt, gpd1_mt = np.asarray(wt.species("Gpd1")), np.asarray(mt.species("Gpd1"))
    assert gpd1_wt.max() > 1.4 * gpd1_wt[0]  # induced in the wild type
    assert gpd1_mt.max() <= 1.01 * gpd1_mt[0]  # not in the mutant
    assert mt.species("GLY_c")[-1] < wt.species("GLY_c")[-1]  # less glycerol
    vol_wt, vol_mt = (np.asarray(x.observable("cell_volume_rel"))[-1] for x in (wt, mt))
    assert vol_mt < vol_wt  # poorer volume recovery


@pytest.mark.parametrize("mutant", ["ssk1", "ste11"])
def test_single_branch_mutants_still_activate_hog1(runs, mutant):
    pp, pp_wt = _pp(runs[mutant]), _pp(runs["wt"])
    assert pp.max() > 0.5 * pp_wt.max()


def test_transcription_factor_mutants_reduce_gpd1_induction(runs):
    rise = {k: runs[k].species("Gpd1").max() / runs[k].species("Gpd1")[0] for k in ("wt", "hot1", "msn24")}
    assert rise["hot1"] < rise["wt"] and rise["msn24"] < rise["wt"]
    # gpd1Δ: no protein at all (solver round-off of ~1e-20 mM aside; one molecule per cell is ~6e-8 mM)
    assert np.max(np.abs(runs["gpd1"].species("Gpd1"))) < 1e-15
    assert runs["gpd1"].species("GLY_c")[-1] < runs["wt"].species("GLY_c")[-1]


# ------------------------------------------------------------------ bad input
def test_bad_osmotic_input():
    with pytest.raises(PerturbationError, match="negative dose"):
        yc.osmotic_shock(-0.1)
    with pytest.raises(PerturbationError, match="solubility"):
        yc.osmotic_shock(400)  # mM given where M is expected
    with pytest.raises(PerturbationError, match="duration"):
        yc.osmotic_shock(0.4, duration=0)
    with pytest.raises(UnknownNameError, match="unknown stress 'osmotc'; did you mean 'osmotic'"):
        yc.stress("osmotc", 0.4)
    with pytest.raises(PerturbationError, match="negative dose"):
        yc.dose("NaCl_e", -1.0)
    with pytest.raises(PerturbationError):
        parse_perturbation("nacl:abc")


def test_shock_outside_validity_range(cell):
    with pytest.raises(PerturbationError, match=r"outside the validity range .*0-1 M"):
        yc.resolve(cell, yc.osmotic_shock(1.5))
    with pytest.warns(yc.ValidityWarning, match="extrapolating"):
        cond = yc.resolve(cell, yc.osmotic_shock(1.5, allow_extrapolation=True))
    assert float(cond.c0[cell.species_index("NaCl_e")]) == pytest.approx(1500.0)


def test_shock_needs_the_hog_module():
    core = yc.load_cell("yeast_core")
    with pytest.raises(PerturbationError, match="no osmotic-stress input.*yeast_cell"):
        yc.resolve(core, yc.osmotic_shock(0.4))


def test_notation_and_pulse_resolution(cell):
    cond = yc.resolve(cell, parse_perturbation("nacl:0.4@5/20 + ko:HOG1"))
    i = cell.species_index("NaCl_e")
    assert list(np.asarray(cond.event_t)) == [5.0, 25.0]
    assert list(np.asarray(cond.event_value)) == [400.0, 0.0]
    assert set(np.asarray(cond.event_species)) == {i}
    assert float(cond.c0[cell.species_index("Hog1_PP_n")]) == 0.0  # every Hog1 form starts at 0
    assert float(cond.rate_scale[cell.reaction_index("syn_Hog1")]) == 0.0
    with pytest.raises(UnknownNameError, match="drug or signal species"):
        yc.resolve(cell, parse_perturbation("dose:rapamycn_e=1"))


# ------------------------------------------------------------------ Kanshin 2015
def test_kanshin2015_direction_of_change(cell, runs, refdata):
    """Uncalibrated model vs Kanshin et al. 2015 (Cell Rep 10:1202) phosphosites mapped in
    yeastcell/studies/maps/kanshin2015_site_map.tsv: the direction of change must match at most
    significant points."""
    from yeastcell.studies.kanshin2015 import compare_kanshin2015

    res = compare_kanshin2015(cell, root=refdata, traj=runs["wt"])
    assert len(res.peptides) >= 8
    assert res.n_significant >= 40
    assert res.fraction_matched > 0.5, res.per_site()


@pytest.mark.slow
def test_osmotic_shock_example_smoke(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    out = tmp_path / "osmotic_shock.png"
    script = Path(__file__).resolve().parents[1] / "examples" / "osmotic_shock.py"
    res = subprocess.run(
        [sys.executable, str(script), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert out.stat().st_size > 10_000 and "hog1Δ" in res.stdout
