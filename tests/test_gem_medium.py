"""Media as data: reading tables, exchange detection, applying bounds."""

from __future__ import annotations

import pytest

from yeastcell.gem import (
    Medium,
    MediumError,
    UnknownReactionError,
    apply_medium,
    exchange_reactions,
    optimize,
    read_medium,
)
from yeastcell.gem.load import reaction_index


def test_exchanges_are_single_sided_columns(gem, textbook):
    got = {gem.reaction_ids[i] for i in exchange_reactions(gem)}
    assert got == {r.id for r in textbook.boundary}


def test_read_and_apply(tmp_path, gem, textbook):
    f = tmp_path / "m.tsv"
    f.write_text(
        "# comment\nreaction\tlower_bound\tnote\nEX_glc__D_e\t-5\tglucose\n"
        "EX_o2_e\t-1000\toxygen\nEX_nh4_e\t-1000\t\nEX_pi_e\t-1000\t\n"
        "EX_h2o_e\t-1000\t\nEX_h_e\t-1000\t\nEX_co2_e\t-1000\t\n"
    )
    medium = read_medium(f)
    assert medium.bounds["EX_glc__D_e"] == (-5.0, 1000.0)
    g = apply_medium(gem, medium)
    ex = exchange_reactions(gem)
    listed = {reaction_index(gem, r) for r in medium.bounds}
    for i in ex:
        if i not in listed:
            assert (g.lb[i], g.ub[i]) == (0.0, 1000.0)
    assert g.lb[reaction_index(gem, "EX_glc__D_e")] == -5.0
    # same answer as cobrapy with the same bounds
    with textbook as m:
        for r in m.boundary:
            r.bounds = (0.0, 1000.0)
        for rid, (lo, hi) in medium.bounds.items():
            m.reactions.get_by_id(rid).bounds = (lo, hi)
        want = m.slim_optimize()
    assert optimize(g).objective == pytest.approx(want, rel=1e-9)
    assert gem.lb[reaction_index(gem, "EX_glc__D_e")] == -10.0  # input untouched


def test_less_glucose_less_growth(gem):
    rates = [
        optimize(apply_medium(gem, Medium({"EX_glc__D_e": (-q, 1000.0)}, close_exchanges=False))).objective
        for q in (2.0, 5.0, 10.0)
    ]
    assert rates[0] < rates[1] < rates[2]


def test_medium_errors(gem, tmp_path):
    with pytest.raises(MediumError, match="above upper"):
        Medium({"EX_glc__D_e": (1.0, 0.0)})
    with pytest.raises(MediumError, match="NaN"):
        Medium({"EX_glc__D_e": (float("nan"), 0.0)})
    with pytest.raises(UnknownReactionError, match="EX_glc__D_e"):
        apply_medium(gem, Medium({"EX_glc_D_e": (-1.0, 0.0)}))
    with pytest.raises(MediumError, match="non-exchange"):
        apply_medium(gem, Medium({"PGK": (-1.0, 0.0)}))
    bad = tmp_path / "bad.tsv"
    bad.write_text("rxn\tlb\nEX_glc__D_e\t-1\n")
    with pytest.raises(MediumError, match="need columns"):
        read_medium(bad)
    bad.write_text("reaction\tlower_bound\nEX_glc__D_e\tlots\n")
    with pytest.raises(MediumError, match="bad row"):
        read_medium(bad)
