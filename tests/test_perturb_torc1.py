"""Nitrogen shifts and rapamycin as perturbations (yeastcell.perturb: `nitrogen_shift`, `rapamycin`, `delayed`).

The directions asserted are the textbook TORC1 responses: rapamycin and a nitrogen downshift lower TORC1
activity and Sch9 phosphorylation within minutes and move Gln3 into the nucleus, a nitrogen upshift does the
opposite (Urban J et al. 2007 Mol Cell 26:663; Beck T & Hall MN 1999 Nature 402:689; Cox KH et al. 2004
J Biol Chem 279:10270; Stracka D et al. 2014 J Biol Chem 289:25010).
"""

from __future__ import annotations

import numpy as np
import pytest

import yeastcell as yc
from yeastcell.exceptions import PerturbationError
from yeastcell.perturb import (
    NitrogenShift,
    Rapamycin,
    count_events,
    delayed,
    delayed_notation,
    nitrogen_shift,
    parse_perturbation,
    rapamycin,
    resolve,
)


def test_notation_and_labels():
    def one(text):
        (p,) = yc.perturb.flatten(parse_perturbation(text))
        return p

    assert one("nitrogen:0@30") == NitrogenShift(0.0, 30.0, None)
    assert one("nitrogen:0.1>75.7") == NitrogenShift(75.7, 0.0, 0.1)
    assert one("rapamycin:218.8@5") == Rapamycin(218.8, 5.0)
    assert nitrogen_shift(75.7, before_mM=0.1).label == "nitrogen 0.1 → 75.7 mM"
    assert rapamycin(218.8, at=5).label == "rapamycin 218.8 nM at 5 min"


@pytest.mark.parametrize(
    "text, match",
    [
        ("nitrogen:-1", "nitrogen level must be >= 0"),
        ("nitrogen:x>3", "not a number"),
        ("nitrogen:3@-2", "event time"),
        ("nitrogen:3@1/5", "no duration"),
        ("rapamycin:-5", "negative dose"),
        ("rapamycin:5e7", "nmol/L"),
    ],
)
def test_bad_values_fail_clearly(text, match):
    with pytest.raises(PerturbationError, match=match):
        parse_perturbation(text)


def test_delayed_moves_timed_parts_only():
    p = delayed(parse_perturbation("ko:FPR1+nitrogen:0.1>75.7+rapamycin:10@5+set:GLN_c=3"), 60)
    parts = yc.perturb.flatten(p)
    assert parts[1] == NitrogenShift(75.7, 60.0, 0.1) and parts[2] == Rapamycin(10.0, 65.0)
    assert parts[0] == yc.knockout("FPR1") and parts[3] == yc.initial("GLN_c", 3)
    assert count_events(p) == 2
    with pytest.raises(PerturbationError, match="lead-in"):
        delayed(p, -1)


@pytest.mark.parametrize(
    "text", ["nitrogen:0.1>75.7+ko:FPR1", "rapamycin:218.8@5#2", "nacl:0.4@3/30+pulse:GLC_e=5@1", "stress:osmotic=0.4"]
)
def test_delayed_notation_matches_delayed(text):
    moved = delayed_notation(text, 60)
    assert parse_perturbation(moved) == delayed(parse_perturbation(text), 60)
    assert delayed_notation("nitrogen:0.1>75.7+ko:FPR1", 60) == "nitrogen:0.1>75.7@60+ko:FPR1"


@pytest.fixture(scope="module")
def torc1():
    return yc.load_cell("torc1_module")


def test_resolve_needs_the_torc1_module(torc1):
    c = resolve(torc1, delayed(parse_perturbation("rapamycin:218.8"), 10))
    i = torc1.species_index("RAP_e")
    assert int(np.asarray(c.event_species)[0]) == i and float(np.asarray(c.event_value)[0]) == pytest.approx(2.188e-4)
    with pytest.raises(PerturbationError, match="TORC1 module"):
        resolve(yc.load_cell("yeast_core"), parse_perturbation("nitrogen:0"))


@pytest.mark.slow
def test_torc1_readouts_move_in_the_textbook_direction(torc1):
    lead, t = 60.0, np.array([0.0, 59.0, 60.0, 65.0, 75.0, 90.0, 120.0])
    conds = {
        "wt": "wt",
        "rap": "rapamycin:218.8",
        "down": "nitrogen:75.7>0.1",
        "up": "nitrogen:0.1>75.7",
    }
    tr = yc.simulate_batch(torc1, [delayed(parse_perturbation(v), lead) for v in conds.values()], t)
    assert bool(np.all(np.asarray(tr.ok)))
    k = {name: i for i, name in enumerate(conds)}

    def obs(name, what):
        return np.asarray(tr.observable(what))[k[name]]

    before, after = 1, -1  # 1 min before the perturbation, 60 min after
    for name in ("rap", "down"):
        for what in ("torc1_activity", "sch9_phospho_fraction"):
            assert obs(name, what)[after] < 0.85 * obs(name, what)[before], (name, what)
        assert obs(name, "gln3_nuclear_fraction")[after] > 1.5 * obs(name, "gln3_nuclear_fraction")[before], name
    assert obs("rap", "sch9_phospho_fraction")[3] < 0.3 * obs("rap", "sch9_phospho_fraction")[before]  # minutes
    for what in ("torc1_activity", "sch9_phospho_fraction"):
        assert obs("up", what)[after] > 1.15 * obs("up", what)[before], what
    assert obs("up", "gln3_nuclear_fraction")[after] < 0.7 * obs("up", "gln3_nuclear_fraction")[before]
    wt = obs("wt", "torc1_activity")
    assert np.allclose(wt, wt[0], rtol=0.01)
