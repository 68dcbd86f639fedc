"""A measured proteome as input (yeastcell/perturb/proteome.py): `ProteomeTable` from frames and
files (wide and long), its validation, and the `proteome` perturbation (reference × 2^ratio per
gene, isoenzymes adding up through the gene rules, knockouts dominating, coverage reports), in
`resolve`, batches, `simulate` and `steady_state`."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

import yeastcell as yc
from yeastcell.exceptions import DatasetError, PerturbationError, UnknownNameError
from yeastcell.perturb import ProteomeLevels, ProteomeTable


def frame(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    """The exchange layout: index = strain, columns = proteins, log2 ratios."""
    return pd.DataFrame.from_dict(rows, orient="index")


def c0_of(cell, cond, protein: str) -> float:
    return float(cond.c0[cell.species_index(protein)])


# ---------------------------------------------------------------- the table
def test_wide_frame_wide_file_long_file_and_gzip_give_the_same_table(tmp_path):
    df = frame({"pfk1": {"YGR240C": -1.0, "HXK2": 0.5}, "YAL017W": {"YGR240C": 0.25, "HXK2": -2.0}})
    t = ProteomeTable.from_frame(df)
    assert t.strains == ("pfk1", "YAL017W") and t.genes == ("YGR240C", "HXK2")
    wide = tmp_path / "wide.csv"
    df.rename_axis("strain").to_csv(wide)
    long = tmp_path / "long.tsv"
    pd.DataFrame(
        [(s, g, v) for s, row in df.iterrows() for g, v in row.items()], columns=["strain", "gene", "log2_ratio"]
    ).to_csv(long, sep="\t", index=False)
    gz = tmp_path / "long.tsv.gz"
    gz.write_bytes(gzip.compress(long.read_bytes()))
    for other in (ProteomeTable.read(wide), ProteomeTable.read(long), ProteomeTable.read(gz)):
        assert other.strains == t.strains and other.genes == t.genes
        assert np.array_equal(other.values, t.values)
    assert ProteomeTable.from_frame(t.to_frame()).values.tolist() == t.values.tolist()
    assert "PFK1" in t and t.strain_index("PFK1") == 0  # strain ids are case-insensitive


@pytest.mark.parametrize(
    "text, name, message",
    [
        ("strain,gene,value\nA,HXK2,1\n", "p.csv", "missing column(s) ['log2_ratio']"),
        ("strain,HXK2,PFK1\nA,0.5,abc\n", "p.csv", "strain 'A', protein 'PFK1' (line 2): 'abc' is not a number"),
        ("strain,HXK2\nA,inf\n", "p.csv", "strain 'A', protein 'HXK2' (line 2): 'inf' is not finite"),
        ("strain,HXK2\nA,1\nB,2\na,3\n", "p.csv", "duplicate strain 'a' (line 4) and line 2"),
        ("strain,HXK2,hxk2\nA,1,2\n", "p.csv", "duplicate protein 'hxk2'"),
        ("strain\tgene\tlog2_ratio\nA\tHXK2\t1\nA\tHXK2\t2\n", "p.tsv", "measured twice (line 2 and line 3)"),
        (
            "strain\tgene\tlog2_ratio\nA\tHXK2\tx1\n",
            "p.tsv",
            "strain 'A', protein 'HXK2' (line 2): 'x1' is not a number",
        ),
        ("strain,HXK2,PFK1\nA,0.5,\n", "p.csv", "strain 'A', protein 'PFK1' (line 2): missing value"),
        ("strain,HXK2\n", "p.csv", "no rows"),
        ("strain,HXK2\nA,1\n", "p.xlsx", "must be a .csv, .tsv"),
    ],
)
def test_bad_tables_name_the_item_file_and_line(tmp_path, text, name, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DatasetError) as err:
        ProteomeTable.read(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_bad_frames_and_missing_values():
    with pytest.raises(DatasetError, match="strain 'A', protein 'PFK1' \\(row 1\\): 'high' is not a number"):
        ProteomeTable.from_frame(pd.DataFrame({"PFK1": ["high"]}, index=["A"]))
    with pytest.raises(DatasetError, match="True is not a number"):
        ProteomeTable.from_frame(pd.DataFrame({"PFK1": [True, 1.0]}, index=["A", "B"], dtype=object))
    with pytest.raises(DatasetError, match="is not finite"):
        ProteomeTable.from_frame(frame({"A": {"PFK1": np.inf}}))
    with pytest.raises(DatasetError, match="duplicate strain 'A'"):
        ProteomeTable.from_frame(pd.DataFrame({"PFK1": [1.0, 2.0]}, index=["A", "A"]))
    gappy = frame({"A": {"PFK1": 1.0, "HXK2": np.nan}, "B": {"PFK1": 0.0, "HXK2": 1.0}})
    with pytest.raises(DatasetError, match="strain 'A', protein 'HXK2' \\(row 1\\): missing value; pass allow_missing"):
        ProteomeTable.from_frame(gappy)
    t = ProteomeTable.from_frame(gappy, allow_missing=True)
    assert dict(t.levels("A").levels) == {"PFK1": 1.0}  # not measured in A: no level, reference kept
    with pytest.raises(UnknownNameError, match="did you mean 'A'"):
        yc.proteome(t, "a1")


# ---------------------------------------------------------------- the perturbation
def test_ratio_zero_everywhere_is_the_wild_type(core):
    orfs = [g[0] for g in core.genes]
    levels = yc.proteome(frame({"wt": dict.fromkeys(orfs, 0.0)}), "wt")
    wt, cond = yc.resolve(core), yc.resolve(core, levels)
    assert np.array_equal(np.asarray(cond.c0), np.asarray(wt.c0))
    assert np.array_equal(np.asarray(cond.rate_scale), np.asarray(wt.rate_scale))
    assert levels.coverage(core).modelled_unmeasured == ()


def test_minus_one_halves_the_protein_and_a_single_isoenzyme_reaction(core):
    cond = yc.resolve(core, yc.proteome(frame({"s": {"PGI1": -1.0}}), "s"))
    wt = yc.resolve(core)
    assert c0_of(core, cond, "Pgi1") == pytest.approx(0.5 * c0_of(core, wt, "Pgi1"), rel=1e-15)
    factor = np.asarray(core.enzyme_factor(cond.c0))
    assert factor[core.reaction_index("PGI")] == pytest.approx(0.5, rel=1e-12)
    others = np.ones(core.n_reactions, dtype=bool)
    others[core.reaction_index("PGI")] = False
    assert np.allclose(factor[others], np.asarray(core.enzyme_factor(wt.c0))[others], rtol=1e-14)


def test_isoenzymes_add_their_measured_amounts(core):
    ratios = {"YFR053C": -1.0, "HXK2": 1.0}  # Hxk1 by ORF, Hxk2 by name; Glk1 not measured
    cond = yc.resolve(core, yc.proteome(frame({"s": ratios}), "s"))
    e = {p: c0_of(core, yc.resolve(core), p) for p in ("Hxk1", "Hxk2", "Glk1")}
    expect = (0.5 * e["Hxk1"] + 2.0 * e["Hxk2"] + e["Glk1"]) / sum(e.values())
    assert np.asarray(core.enzyme_factor(cond.c0))[core.reaction_index("HXK")] == pytest.approx(expect, rel=1e-12)


def test_unmeasured_and_unmodelled_proteins_are_reported(core):
    t = ProteomeTable.from_frame(frame({"s": {"YGR240C": 0.3, "NOTAGENE": 1.0, "HXK2": -0.2}}))
    cov = yc.proteome(t, "s").coverage(core)
    assert cov.measured_modelled == ("HXK2", "PFK1") and cov.measured_unmodelled == ("NOTAGENE",)
    assert len(cov.modelled_unmeasured) == len(core.genes) - 2 and "GLK1" in cov.modelled_unmeasured
    assert t.coverage(core) == cov
    assert "2 of 83 model proteins measured; 1 measured proteins not in the model" in cov.summary()
    with pytest.raises(PerturbationError, match="'PFK1' and 'YGR240C' .* are the same gene"):
        yc.resolve(core, yc.proteome(frame({"s": {"PFK1": 1.0, "YGR240C": 1.0}}), "s"))


def test_knockout_dominates_the_measured_level(core):
    levels = yc.proteome(frame({"pfk1": {"PFK1": 3.0, "PFK2": 1.0}}), "pfk1")
    for p in (yc.knockout("PFK1") + levels, levels + yc.knockout("PFK1")):
        cond = yc.resolve(core, p)
        assert c0_of(core, cond, "Pfk1") == 0.0
        assert c0_of(core, cond, "Pfk2") == pytest.approx(2.0 * c0_of(core, yc.resolve(core), "Pfk2"))


def test_a_proteome_layer_scales_synthesis_and_forms_so_the_level_is_the_steady_state():
    cell = yc.load_cell("yeast_cell")
    wt = yc.resolve(cell)
    cond = yc.resolve(cell, yc.proteome(frame({"s": {"HOG1": -1.0}}), "s"))
    prot, forms, syn = next(e for e in cell.expressed if cell.species_ids[e[0]] == "Hog1")
    assert forms  # Hog1_PP, nuclear forms
    for i in (prot, *forms):
        assert float(cond.c0[i]) == pytest.approx(0.5 * float(wt.c0[i]))
    assert float(cond.rate_scale[syn]) == 0.5 and float(wt.rate_scale[syn]) == 1.0
    ko = yc.resolve(cell, yc.knockout("HOG1") + yc.proteome(frame({"s": {"HOG1": 2.0}}), "s"))
    assert float(ko.rate_scale[syn]) == 0.0 and float(ko.c0[prot]) == 0.0


def test_simulate_batch_steady_state_and_lanes_on_any_model_with_genes(two_step):
    rows = {"a": {"ENZ1": -1.0}, "b": {"YAL001W": 1.0}, "c": {"OTHER": 1.0}}
    t = ProteomeTable.from_frame(frame(rows), allow_missing=True)  # each strain measures one protein
    perts = [t.levels(s) for s in t.strains] + [yc.knockout("ENZ1") + t.levels("b")]
    conds = yc.resolve_batch(two_step, perts)  # per-lane arrays of one shape
    assert conds.c0.shape == (4, two_step.n_species)
    enz = two_step.species_index("Enz")
    assert np.allclose(np.asarray(conds.c0[:, enz]) / 0.001, [0.5, 2.0, 1.0, 0.0])
    times = np.linspace(0.0, 5.0, 6)
    batch = yc.simulate_batch(two_step, perts, times)
    for k, p in enumerate(perts):
        one = yc.simulate(two_step, p, times)
        assert np.allclose(np.asarray(batch.conc[k]), np.asarray(one.conc), rtol=1e-8, atol=1e-12)
    ss = yc.steady_state(two_step, t.levels("a"))
    assert bool(ss.ok) and isinstance(t.levels("a"), ProteomeLevels)
    assert batch.labels[0] == "measured proteome of a"


def test_resolve_batch_equals_stacked_resolves_with_events_and_parameters(two_step):
    t = ProteomeTable.from_frame(frame({"a": {"ENZ1": -1.0}}))
    perts = [
        t.levels("a") + yc.pulse("S_e", 1.0, at=2.0),
        yc.parameter("conv.kf", factor=2.0) + yc.knockout("ENZ1"),
        yc.clamp("S_e", 3.0) + t.levels("a"),
    ]
    batch = yc.resolve_batch(two_step, perts)
    ref = yc.perturb.stack([yc.resolve(two_step, p, n_events=1, n_params=1) for p in perts])
    for name in ("c0", "clamp", "rate_scale", "event_t", "event_species", "event_mode", "event_value"):
        a, b = np.asarray(getattr(batch, name)), np.asarray(getattr(ref, name))
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    for name in ("param_index", "param_mode", "param_value"):
        assert np.array_equal(np.asarray(getattr(batch, name)), np.asarray(getattr(ref, name))), name


def test_thousands_of_strains_resolve_to_one_batch_quickly(core):
    import time

    rng = np.random.default_rng(0)
    genes = [g[0] for g in core.genes] + [f"YXX{i:03d}W" for i in range(200)]  # 200 unmodelled proteins
    strains = [f"S{i}" for i in range(2000)]
    t = ProteomeTable.from_frame(pd.DataFrame(rng.normal(0, 0.5, (2000, len(genes))), index=strains, columns=genes))
    start = time.perf_counter()
    conds = yc.resolve_batch(core, [yc.condition("aerobic_clamped") + t.levels(s) for s in strains])
    assert time.perf_counter() - start < 60  # about 1 s on a 2-core CPU
    assert conds.c0.shape == (2000, core.n_species)
    k = 1234
    one = yc.resolve(core, yc.condition("aerobic_clamped") + t.levels(strains[k]))
    assert np.array_equal(np.asarray(conds.c0[k]), np.asarray(one.c0))
