"""Network curations (yeastcell.gem.curation): replace and add reactions on a toy GEM, bad tables;
the default Yeast-GEM curations (mannose transport, turanose uptake) and the C×N source map on the
real reference data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from yeastcell.exceptions import UnknownGeneError
from yeastcell.gem import GEM, knockout_screen, load_gem, optimize
from yeastcell.gem.cn_grid import cn_growth, read_cn_sources
from yeastcell.gem.curation import Curation, CurationError, curate, parse_equation, read_curations

# EX_A: -> A;  T: A + H_e -> B + H_c (g1);  R: B -> C;  EX_C: C ->;  EX_H: -> H_e;  SINK_H: H_c ->


def _toy() -> GEM:
    S = np.array(
        [
            [1.0, -1.0, 0.0, 0.0, 0.0, 0.0],  # A
            [0.0, 1.0, -1.0, 0.0, 0.0, 0.0],  # B
            [0.0, 0.0, 1.0, -1.0, 0.0, 0.0],  # C
            [0.0, -1.0, 0.0, 0.0, 1.0, 0.0],  # H_e
            [0.0, 1.0, 0.0, 0.0, 0.0, -1.0],  # H_c
        ]
    )
    return GEM(
        S=sp.csc_array(S),
        lb=np.zeros(6),
        ub=np.array([10.0, 1000.0, 1000.0, 1000.0, 2.0, 1000.0]),
        c=np.array([0.0, 0.0, 0.0, 1.0, 0.0, 0.0]),
        objective_sense="max",
        reaction_ids=("EX_A", "T", "R", "EX_C", "EX_H", "SINK_H"),
        reaction_names=("A exchange", "A transport", "r", "C exchange", "H exchange", "H sink"),
        metabolite_ids=("A", "B", "C", "H_e", "H_c"),
        metabolite_names=("A", "A", "C", "H+", "H+"),
        gene_ids=("g1", "g2"),
        gene_names=("", ""),
        gene_rules=("", "g1", "", "", "", ""),
    )


def test_parse_equation():
    assert parse_equation("a + 2 b -> c") == (("a", -1.0), ("b", -2.0), ("c", 1.0))
    for bad in ("a -> b -> c", "a + a -> c", "x a -> b", "-1 a -> b"):
        with pytest.raises(CurationError):
            parse_equation(bad)


def test_replace_reaction_drops_the_cotransported_proton():
    gem = _toy()
    assert optimize(gem).objective == pytest.approx(2.0)  # the proton supply limits the symport
    cur = curate(gem, [Curation("reaction", "T", "A transport (facilitated)", parse_equation("A -> B"))])
    assert cur.n_reactions == gem.n_reactions and cur.gene_rules[1] == "g1"  # '=' kept the rule
    assert cur.reaction_names[1] == "A transport (facilitated)"
    assert optimize(cur).objective == pytest.approx(10.0)
    assert gem.S[3, 1] == -1.0  # the input model is not changed


def test_add_metabolite_and_reaction(tmp_path):
    table = tmp_path / "cur.tsv"
    table.write_text(
        "# test\n"
        "kind\tid\tname\tequation\tlb\tub\tgene_rule\treference\n"
        "metabolite\tD\td\tcytosol\n"
        "reaction\tR2\tr2\tB -> D\t0\t5\tg2\tnone\n"
        "reaction\tEX_D\td exchange\tD ->\t0\t1000\t\tnone\n"
    )
    cur = curate(_toy(), read_curations(table))
    assert cur.metabolite_ids[-1] == "D" and cur.reaction_ids[-2:] == ("R2", "EX_D")
    assert cur.gene_rules[-2] == "g2" and cur.ub[-2] == 5.0
    assert cur.S[cur.metabolite_ids.index("B"), cur.reaction_ids.index("R2")] == -1.0
    # deleting g2 removes the new branch only
    ko = knockout_screen(cur.replace(c=np.eye(cur.n_reactions)[-1]), ["g2"])
    assert float(ko["growth"].iloc[0]) == pytest.approx(0.0)


def test_bad_curations(tmp_path):
    gem = _toy()
    with pytest.raises(CurationError, match="unknown metabolite"):
        curate(gem, [Curation("reaction", "T", "t", parse_equation("A -> Z"))])
    with pytest.raises(CurationError, match="must give its bounds"):
        curate(gem, [Curation("reaction", "NEW", "n", parse_equation("A -> B"))])
    with pytest.raises(UnknownGeneError, match="g3"):
        curate(gem, [Curation("reaction", "NEW", "n", parse_equation("A -> B"), 0.0, 1.0, "g1 and g3")])
    with pytest.raises(CurationError, match="already in the model"):
        curate(gem, [Curation("metabolite", "A", "a")])
    with pytest.raises(CurationError, match="lb 5.0 > ub"):
        curate(gem, [Curation("reaction", "T", "t", parse_equation("A -> B"), 5.0, 1.0, None)])
    bad = tmp_path / "bad.tsv"
    bad.write_text("enzyme\tX\tx\n")
    with pytest.raises(CurationError, match="expected a 'metabolite' row"):
        read_curations(bad)


# ---------------------------------------------------------------- Yeast-GEM (reference data)
@pytest.fixture(scope="module")
def yeast_gem(refdata):
    gem = load_gem(refdata / "yeast-gem" / "yeast-GEM.yml")
    return gem, curate(gem)


def _growth_on(gem: GEM, exchange: str, uptake: float = 10.0) -> float:
    lb = gem.lb.copy()
    lb[gem.reaction_ids.index("r_1714")] = 0.0  # glucose closed
    lb[gem.reaction_ids.index(exchange)] = -uptake
    return optimize(gem.replace(lb=lb)).objective


@pytest.mark.reference_data
def test_yeast_curations(yeast_gem):
    gem, cur = yeast_gem
    j = cur.reaction_ids.index("r_1139")
    names = {cur.metabolite_names[i] for i in cur.S[:, [j]].tocoo().row}
    assert names == {"D-mannose"}  # no proton: facilitated diffusion as for glucose
    # with the same uptake, mannose now yields as much biomass as glucose (it did not: ATP for H+)
    glc, man = _growth_on(cur, "r_1714"), _growth_on(cur, "r_1715")
    assert _growth_on(gem, "r_1715") < 0.97 * glc
    assert man == pytest.approx(glc, rel=0.02)
    # turanose must now cross the membrane through Agt1 (MAL11): deleting it stops growth on turanose
    assert _growth_on(gem, "r_4501") > 0 and _growth_on(cur, "r_4501") > 0
    lb = cur.lb.copy()
    lb[cur.reaction_ids.index("r_1714")] = 0.0
    lb[cur.reaction_ids.index("r_4501")] = -10.0
    ko = knockout_screen(cur.replace(lb=lb), ["YGR289C", "YBR299W"])
    assert ko["status"].iloc[0] == "infeasible"  # no carbon enters: not even maintenance is met
    assert float(ko["growth"].iloc[1]) > 0.1  # MAL12 remains for the hydrolysis


@pytest.mark.reference_data
def test_cn_lactate_opens_both_isomers(yeast_gem):
    _, cur = yeast_gem
    role, rxns = read_cn_sources()["(R)-lactate"]
    assert role == "carbon" and rxns == ("r_1546", "r_1551")
    both = cn_growth(cur, ["(R)-lactate"], ["ammonium"], uptake=5.0).iloc[0, 0]
    one = {"(R)-lactate": ("carbon", ("r_1546",)), "ammonium": ("nitrogen", ("r_1654",))}
    only_r = cn_growth(cur, ["(R)-lactate"], ["ammonium"], uptake=5.0, sources=one).iloc[0, 0]
    assert both > only_r > 0
