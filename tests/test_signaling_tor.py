"""TORC1 signaling in the whole-cell model (models/signaling_tor.yaml): rapamycin, nitrogen, Sch9, Sfp1, Gln3.

Sources of the asserted behaviour (directions and orders of magnitude):
Powers T & Walter P (1999) Mol Biol Cell 10:987 (rapamycin represses ribosomal-protein and ribosome-biogenesis
synthesis within tens of minutes); Urban J et al. (2007) Mol Cell 26:663 (TORC1 phosphorylates Sch9; rapamycin
dephosphorylates it within minutes; sch9 deletion lowers ribosome-biogenesis expression);
Jorgensen P et al. (2004) Genes Dev 18:2491 (Sfp1 leaves the nucleus after rapamycin);
Heitman J et al. (1991) Science 253:905 (fpr1 mutants are rapamycin resistant);
Beck T & Hall MN (1999) Nature 402:689 (rapamycin moves Gln3 into the nucleus, inducing NCR genes);
Cox KH et al. (2004) J Biol Chem 279:10270 (nitrogen starvation makes Gln3 nuclear);
Stanbrough M et al. (1995) PNAS 92:9450 (GAP1 expression needs Gln3);
Klein C & Struhl K (1994) Mol Cell Biol 14:1920 (PKA drives ribosomal-protein gene expression;
the tpk1 tpk2 tpk3 triple deletion is lethal, Toda T et al. 1987 Cell 50:277).
"""

from __future__ import annotations

import numpy as np
import pytest
from _signaling_runs import RAPAMYCIN_200NG_ML, T_PULSE, T, cell

import yeastcell as yc


def _series(traj, name):
    if name in cell().species_ids:
        return np.asarray(traj.species(name))
    if name in cell().reaction_ids:
        return np.asarray(traj.reaction_flux(name))
    return np.asarray(traj.observable(name))


def _at(traj, name, t):
    return float(_series(traj, name)[int(np.argmin(np.abs(T - t)))])


PRE = T_PULSE - 1e-9


@pytest.mark.slow
def test_reference_state_is_steady(runs):
    wt = runs["wt"]
    for name in ("GLN_c", "Sch9_P", "Tap42_P", "Gln3_n", "Gat1_n", "Sfp1_n", "Gap1", "Nop1", "Rpl3"):
        x = wt.species(name)
        assert x[-1] == pytest.approx(x[0], rel=0.03), name


@pytest.mark.slow
def test_rapamycin_lowers_ribosome_biogenesis_synthesis(runs):
    rap = runs["rap"]
    assert _at(rap, "sch9_phospho_fraction", T_PULSE + 10) < 0.3 * _at(rap, "sch9_phospho_fraction", PRE)
    assert _at(rap, "sfp1_nuclear_fraction", T_PULSE + 30) < 0.5 * _at(rap, "sfp1_nuclear_fraction", PRE)
    for flux in ("syn_Nop1", "syn_Rpl3"):
        assert _at(rap, flux, T_PULSE + 60) < 0.5 * _at(rap, flux, PRE), flux
        assert _at(rap, flux, T[-1]) < 0.5 * _at(runs["wt"], flux, T[-1]), flux


@pytest.mark.slow
def test_rapamycin_effect_grows_with_dose(runs):
    drop = {k: 1 - _at(runs[k], "syn_Nop1", T_PULSE + 60) / _at(runs[k], "syn_Nop1", PRE) for k in ("rap_low", "rap")}
    assert 0.0 < drop["rap_low"] < drop["rap"]


@pytest.mark.slow
def test_fpr1_deletion_confers_rapamycin_resistance(runs):
    ko, wt = runs["rap_fpr1"], runs["wt"]
    for name in ("syn_Nop1", "syn_Rpl3", "gln3_nuclear_fraction", "sch9_phospho_fraction"):
        assert _at(ko, name, T_PULSE + 60) == pytest.approx(_at(wt, name, T_PULSE + 60), rel=0.05), name


NSTARVE_SLOW = pytest.mark.xfail(
    strict=True,
    reason=(
        "calibration open: with glutamine use 0.1 /min and K_gln 2 mM, TORC1 is still 65 % active and Gln3 only "
        "14 % nuclear 30 min after ammonium removal (measured in this model, 2026-11-25); the published response "
        "is faster (cox2004)"
    ),
)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["rap", pytest.param("nstarve", marks=NSTARVE_SLOW)])
def test_rapamycin_and_nitrogen_starvation_move_gln3_to_the_nucleus(runs, case):
    tr = runs[case]
    assert _at(tr, "gln3_nuclear_fraction", PRE) < 0.2
    assert _at(tr, "gln3_nuclear_fraction", T_PULSE + 30) > 0.5
    assert _at(tr, "Gap1", T[-1]) > 3 * _at(tr, "Gap1", PRE)  # NCR gene induced


@pytest.mark.slow
@NSTARVE_SLOW
def test_nitrogen_starvation_lowers_glutamine_and_torc1(runs):
    tr = runs["nstarve"]
    assert _at(tr, "GLN_c", T_PULSE + 30) < 0.2 * _at(tr, "GLN_c", PRE)
    assert _at(tr, "torc1_activity", T_PULSE + 30) < 0.5


@pytest.mark.slow
def test_gln3_deletion_prevents_ncr_induction(runs):
    assert _at(runs["nstarve_gln3"], "Gap1", T[-1]) < 0.3 * _at(runs["nstarve"], "Gap1", T[-1])


@pytest.mark.slow
def test_sch9_deletion_lowers_ribosome_biogenesis(runs):
    assert _at(runs["sch9"], "syn_Nop1", T[-1]) < 0.7 * _at(runs["wt"], "syn_Nop1", T[-1])


@pytest.mark.slow
def test_loss_of_pka_lowers_ribosomal_protein_expression(runs):
    assert _at(runs["tpk123"], "syn_Rpl3", T[-1]) < 0.8 * _at(runs["wt"], "syn_Rpl3", T[-1])
    assert _at(runs["tpk123"], "sfp1_nuclear_fraction", T[-1]) < _at(runs["wt"], "sfp1_nuclear_fraction", T[-1])


def test_bad_rapamycin_input_is_rejected():
    with pytest.raises(yc.PerturbationError, match="negative"):
        yc.step("RAP_e", -RAPAMYCIN_200NG_ML, T_PULSE)
    with pytest.raises(yc.UnknownNameError, match="RAP_e"):
        yc.simulate(cell(), yc.step("RAP_ee", RAPAMYCIN_200NG_ML, T_PULSE), np.linspace(0, 1, 3))


@pytest.mark.slow
def test_rapamycin_example_smoke(tmp_path):
    """examples/rapamycin.py --smoke runs end to end and writes its figure (compiles the whole cell: slow)."""
    import subprocess
    import sys
    from pathlib import Path

    png = tmp_path / "rapamycin.png"
    script = Path(__file__).resolve().parents[1] / "examples" / "rapamycin.py"
    res = subprocess.run(
        [sys.executable, str(script), "--smoke", "--out", str(png)],
        check=False,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "fpr1Δ" in res.stdout and png.stat().st_size > 10_000
