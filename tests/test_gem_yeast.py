"""Yeast-GEM 9.0.2 against its own published tests and against cobrapy (real reference data).

Needs the shared reference data (``YEASTCELL_REFERENCE_DATA`` or
``<checkout>/../shared/data``): skipped with a message when absent, a failure
when ``CI=true``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from yeastcell.gem import (chemostat_growth_test, essentiality_test, knockout_screen, load_gem,
                           read_medium)

pytestmark = pytest.mark.reference_data


@pytest.fixture(scope="module")
def yeast_dir(refdata):
    return refdata / "yeast-gem"


@pytest.fixture(scope="module")
def yeast_gem(yeast_dir):
    return load_gem(yeast_dir / "yeast-GEM.yml")


def _published_classes(md_path) -> dict[str, set[str]]:
    sections: dict[str, set[str]] = {}
    current = None
    for line in md_path.read_text().splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = set()
        elif line.strip() and current is not None:
            sections[current].add(line.strip())
    return sections


def test_essentiality_reproduces_published_lists(yeast_dir, yeast_gem, capsys):
    res = essentiality_test(yeast_gem, processes=1, verbose=True)
    assert res.counts == {"TP": 950, "TN": 65, "FP": 95, "FN": 14}
    assert round(res.accuracy, 3) == 0.903
    assert round(res.mcc, 3) == 0.535
    # gene by gene, the lists in Yeast-GEM's data/testResults/essentialGenes.md
    pub = _published_classes(yeast_dir / "essentialGenes.md")
    assert res.tp == pub["True non-essential genes"]
    assert res.tn == pub["True essential genes"]
    assert res.fp == pub["False non-essential genes"]
    assert res.fn == pub["False essential genes"]
    assert "MCC 0.535" in capsys.readouterr().out


def test_chemostat_r2_matches_published(yeast_dir, yeast_gem):
    published = float(re.search(r"([0-9.]+)", (yeast_dir / "growth.md").read_text()
                                .split("prediction", 1)[1]).group(1))
    res = chemostat_growth_test(yeast_gem, verbose=True)
    assert abs(res.r2 - published) < 0.01
    assert (res.table["status"] == "optimal").all()
    # C-limited aerobic chemostats are predicted within 10 % each
    c_lim = res.table[res.table["condition"] == "C-limited aerobic"]
    np.testing.assert_allclose(c_lim["predicted_growth"], c_lim["measured_growth"], rtol=0.1)


@pytest.mark.slow
def test_screen_equals_cobrapy_on_yeast_gem(yeast_dir, yeast_gem):
    import cobra
    from cobra.flux_analysis import single_gene_deletion

    from yeastcell.gem import apply_medium, exchange_reactions

    medium = read_medium(yeast_dir / "medium_synthetic_complete.tsv")
    ours = knockout_screen(yeast_gem, medium=medium, processes=2)
    # every knockout that needed an LP, plus every 20th of the skipped ones
    skipped = ours.index[~ours["resolved"]]
    genes = list(ours.index[ours["resolved"]]) + list(skipped[::20])
    model = cobra.io.load_yaml_model(str(yeast_dir / "yeast-GEM.yml"))
    g = apply_medium(yeast_gem, medium)
    for i in exchange_reactions(yeast_gem):
        model.reactions[i].bounds = (g.lb[i], g.ub[i])
    ref = single_gene_deletion(model, gene_list=genes, processes=1)  # cobrapy forks; JAX may be running here
    ref_growth = {next(iter(ids)): v for ids, v in zip(ref["ids"], ref["growth"])}
    diff = np.array([ours.loc[k, "growth"] - ref_growth[k] for k in genes])
    assert np.nanmax(np.abs(diff)) < 1e-6
