"""Zelezniak et al. 2018 kinase knockouts: readers, the metabolite map and the kinase_metabolome benchmark."""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import yeastcell as yc
from yeastcell.bench import kinase_metabolome as km
from yeastcell.exceptions import DatasetError, UnknownNameError
from yeastcell.perturb import flatten
from yeastcell.studies.zelezniak2018 import (
    METABOLITE_MAP,
    knockout_condition,
    metabolome_log2_ratios,
    model_metabolite_amounts,
    parse_model_expression,
    read_zelezniak2018_metabolome,
    read_zelezniak2018_proteome,
    zelezniak2018_map_coverage,
    zelezniak2018_metabolite_map,
    zelezniak2018_metabolite_matrix,
    zelezniak2018_proteome_replicates,
)

pytestmark = pytest.mark.reference_data

FOLDER = "omics/zelezniak2018_kinase_ko"
# metabolites measured in both assay 1 and assay 2
TWO_ASSAYS = {"3pg;2pg", "6pgc", "dhap", "f6p", "fdp", "g3p", "pep", "pyr", "r5p", "s7p"}
# species ids agreed for models/yeast_central.yaml (the PPP, TCA and amino-acid pools)
CENTRAL = (
    "GL6P_c PGC6_c RU5P_c R5P_c XU5P_c S7P_c E4P_c OAA_m CIT_m ACON_m ICIT_m AKG_m SUCCOA_m SUCC_m FUM_m MAL_m "
    "OAA_c MAL_c AKG_c CIT_c ALA_c ARG_c ASN_c ASP_c GLN_c GLU_c GLYCINE_c HIS_c HOM_c HCYS_c LEU_c LYS_c MET_c "
    "ORN_c CITR_c PHE_c PRO_c SER_c THR_c TRP_c TYR_c VAL_c ILE_c CYS_c HACON_c"
).split()


@pytest.fixture(scope="module")
def metabolome(refdata):
    return read_zelezniak2018_metabolome(refdata)


@pytest.fixture(scope="module")
def matrix(refdata):
    return zelezniak2018_metabolite_matrix(refdata)


@pytest.fixture(scope="module")
def proteome(refdata):
    return read_zelezniak2018_proteome(refdata)


@pytest.fixture(scope="module")
def raw(refdata):
    return pd.read_csv(refdata / FOLDER / "metabolome_srm.tsv", sep="\t")


def test_metabolome_reader_shapes_strains_and_annotations(metabolome, raw):
    ds = metabolome
    kos = sorted(set(raw["KO_ORF"]) - {"WT"})
    assert len(kos) == 75
    assert ds.conditions == ("wt", *(f"ko:{o}" for o in kos))
    assert ds.shape == (76, 3, 1, 50 + len(TWO_ASSAYS))  # a metabolite of two assays is two observables
    assert int(ds.mask.sum()) == len(raw)  # every measured value, nothing else
    assert ds.transform == "log2fc" and ds.reference == "wt" and set(ds.units.values()) == {"log2"}
    assert {f"{m}#{a}" for m in TWO_ASSAYS for a in (1, 2)} <= set(ds.observables)
    assert "cit" in ds.observables and "cit#2" not in ds.observables
    j = ds.observable_index("f6p#2")
    assert ds.annotations["metabolite_id"][j] == "f6p" and ds.annotations["assay"][j] == "2"
    assert ds.annotations["kegg_id"][j] == "C00085"
    assert "YDR477W=SNF1" in ds.provenance["strains"] and "sha256" in ds.provenance
    # conditions are perturbations a model resolves by ORF (the Dataset needs no model)
    assert knockout_condition("WT") == "wt" and knockout_condition("YDR477W") == "ko:YDR477W"
    (snf1,) = flatten(ds.perturbations[ds.condition_index("ko:YDR477W")])
    assert (snf1.gene, snf1.factor) == ("YDR477W", 0.0)


def test_wild_type_ratio_is_zero_or_close(metabolome):
    wt = metabolome.values[metabolome.condition_index("wt")]  # (n_rep, 1, n_obs)
    measured = metabolome.mask[0].any(axis=(0, 1))
    means = np.nanmean(wt[:, 0, measured], axis=0)
    assert np.all(np.abs(means) < 0.15)
    single = [j for j, a in enumerate(metabolome.annotations["assay"]) if a in ("1", "2") and measured[j]]
    np.testing.assert_allclose(wt[0, 0, single], 0.0, atol=1e-12)  # one wild-type replicate: exactly 0


def test_ratios_match_values_computed_by_hand(refdata, metabolome, matrix):
    ds = metabolome
    ko = ds.condition_index("ko:YDR477W")  # SNF1
    # citrate (assay 2), replicate 2: 34.5065... over the single wild-type value 22.2567...
    cit = ds.values[ko, 1, 0, ds.observable_index("cit")]
    assert cit == pytest.approx(math.log2(34.50652267675301 / 22.25675023048211), abs=1e-12)
    pep = ds.values[ko, 0, 0, ds.observable_index("pep#1")]
    assert pep == pytest.approx(math.log2(159.6139549415022 / 152.0955921755483), abs=1e-12)
    # glutamine (assay 3): the reference is the mean of three wild-type replicates
    wt = (598.6093391184487 + 601.6002386931755 + 538.0761467021291) / 3
    snf1 = [407.03886650646257, 390.1186953958688, 413.13004892252434]
    expect = [math.log2(v / wt) for v in snf1]
    np.testing.assert_allclose(ds.values[ko, :, 0, ds.observable_index("gln-L")], expect, atol=1e-12)
    assert matrix.loc["YDR477W", "gln-L"] == pytest.approx(np.mean(expect), abs=1e-12)
    # assays="mean": a metabolite of two assays is the mean of its per-assay strain means
    sep = zelezniak2018_metabolite_matrix(refdata, assays="separate")
    both = sep.loc["YDR477W", ["pep#1", "pep#2"]].to_numpy()
    assert matrix.loc["YDR477W", "pep"] == pytest.approx(np.nanmean(both), abs=1e-12)


def test_strain_matrix_layout(matrix, raw):
    assert matrix.shape == (75, 50) and "WT" not in matrix.index
    assert set(matrix.columns) == set(raw["metabolite_id"])
    assert matrix.index.name == "strain" and matrix.attrs["genes"]["YDR477W"] == "SNF1"
    counts = matrix.notna().sum()
    assert counts["pep"] == 75 and counts["cit"] == 16 and counts["gln-L"] == 14
    assert matrix.attrs["assay"]["pep"] == "1+2" and matrix.attrs["assay"]["cit"] == "2"


def test_metabolites_without_a_wild_type_use_the_knockout_median_or_are_dropped(refdata, metabolome):
    no_wt = {"atp", "adp", "amp", "e4p", "fum"}  # the wild type was not measured for these
    ref = dict(zip(metabolome.observables, metabolome.annotations["reference"]))
    assert {o for o, r in ref.items() if r != "wt"} == no_wt
    long = metabolome_log2_ratios(refdata)
    atp = long[long["metabolite_id"] == "atp"]
    reference = atp["value"] / 2.0 ** atp["log2_ratio"]  # one reference: the median of the strains' means
    np.testing.assert_allclose(reference, atp.groupby("KO_ORF")["value"].mean().median(), rtol=1e-12)
    assert set(atp["reference"]) == {"median of knockouts"} and "WT" not in set(atp["KO_ORF"])
    dropped = read_zelezniak2018_metabolome(refdata, no_wild_type="drop")
    assert not (no_wt & set(dropped.observables)) and len(dropped.observables) == len(metabolome.observables) - 5
    with pytest.raises(DatasetError, match="no_wild_type"):
        read_zelezniak2018_metabolome(refdata, no_wild_type="zero")
    with pytest.raises(DatasetError, match="assays"):
        zelezniak2018_metabolite_matrix(refdata, assays="sum")


def test_rename_to_model_ids_and_bad_renames(refdata, metabolome):
    ds = read_zelezniak2018_metabolome(refdata, rename={"cit": "CIT_total", "f6p": "F6P_c"}, only_renamed=True)
    assert ds.observables == ("CIT_total", "F6P_c#1", "F6P_c#2")
    np.testing.assert_array_equal(ds.values[..., 0], metabolome.values[..., metabolome.observable_index("cit")])
    with pytest.raises(UnknownNameError, match="'cit'"):  # close matches named
        read_zelezniak2018_metabolome(refdata, rename={"citt": "CIT_c"})
    with pytest.raises(DatasetError, match="several metabolites"):
        read_zelezniak2018_metabolome(refdata, rename={"cit": "X", "oaa": "X"})
    with pytest.raises(DatasetError, match="non-empty"):
        read_zelezniak2018_metabolome(refdata, rename={"cit": " X"})
    mean = read_zelezniak2018_metabolome(refdata, assays="mean", rename={"f6p": "F6P_c"})
    assert mean.shape == (76, 1, 1, 50) and "F6P_c" in mean.observables


def test_missing_files_fail_clearly(tmp_path):
    with pytest.raises(DatasetError, match="metabolome_srm.tsv: missing"):
        read_zelezniak2018_metabolome(tmp_path)
    with pytest.raises(DatasetError, match="proteome_sva_ln.tsv: missing"):
        read_zelezniak2018_proteome(tmp_path)
    with pytest.raises(DatasetError, match="does not exist"):
        read_zelezniak2018_proteome(tmp_path / "nowhere")


def test_malformed_metabolome_table_is_refused(refdata, tmp_path):
    folder = tmp_path / FOLDER
    folder.mkdir(parents=True)
    text = (refdata / FOLDER / "metabolome_srm.tsv").read_text().splitlines()
    (folder / "metabolome_srm.tsv").write_text("\n".join(text[:3] + [text[3].rsplit("\t", 1)[0] + "\t-1"]) + "\n")
    with pytest.raises(DatasetError, match="row 4 is not a positive number"):
        read_zelezniak2018_metabolome(tmp_path)


def test_proteome_reader_layout_and_a_ratio_by_hand(refdata, proteome):
    p = proteome
    assert p.shape == (77, 726) and p.index.name == "strain" and p.columns.name == "protein"
    assert "WT" not in p.index and "none" not in p.index and np.isfinite(p.to_numpy()).all()
    assert p.attrs["n_wild_type_samples"] == 12 and p.attrs["genes"]["YDR477W"] == "SNF1"
    n_wt, reps = zelezniak2018_proteome_replicates(refdata)
    assert n_wt == 12 and reps == p.attrs["replicates"] and reps["YDR477W"] == 3
    assert n_wt + sum(reps.values()) == 284  # every non-QC sample column
    raw = pd.read_csv(refdata / FOLDER / "proteome_sva_ln.tsv", sep="\t", index_col=0)
    meta = pd.read_csv(refdata / FOLDER / "sample_metadata.tsv", sep="\t")
    wt_cols = [c for c in meta.loc[meta["ORF"] == "WT", "sample_name"] if c in raw.columns]
    snf1 = ["KL_Try_005_a", "KL_Try_005_b", "KL_Try_005_c"]
    row = raw.loc["YAL003W"]
    expect = (row[snf1].mean() - row[wt_cols].mean()) / math.log(2)
    assert p.loc["YDR477W", "YAL003W"] == pytest.approx(expect, abs=1e-12)
    assert row["KL_Try_001_a"] == pytest.approx(8.778818713026098)  # the file's natural-log signal
    # every metabolome strain has a proteome (the benchmark's 75 strains)
    assert len(set(zelezniak2018_metabolite_matrix(refdata).index) & set(p.index)) == 75


def test_metabolite_map_matches_the_table_and_the_agreed_species(raw):
    rows = zelezniak2018_metabolite_map()
    table = raw.drop_duplicates("metabolite_id").set_index("metabolite_id")["kegg_id"]
    assert set(rows) == set(table.index) and len(rows) == 50
    for mid, m in rows.items():
        assert m.kegg_id == table[mid], mid
        assert m.model_expression and m.note
    import yeastcell as yc

    core = {s.id for s in yc.load_model("yeast_core").species}
    terms = {t for m in rows.values() for t in m.terms}
    assert terms <= core | set(CENTRAL), sorted(terms - core - set(CENTRAL))
    assert rows["cit"].terms == ("CIT_c", "CIT_m") and rows["g3p"].terms == ("GAP_c",)
    assert rows["gly"].terms == ("GLYCINE_c",) and rows["g6p;f6p;g6p-B"].terms == ("G6P_c", "F6P_c")


def test_map_coverage_and_model_amounts(core_spec):
    cov = zelezniak2018_map_coverage(core_spec)
    assert {"pep", "fdp", "atp", "accoa", "3pg;2pg", "g6p;f6p;g6p-B"} <= set(cov.mapped)
    assert cov.unmapped["cit"] == ("CIT_c", "CIT_m") and cov.n_total == 50
    assert cov.summary().startswith(f"{len(cov.mapped)} of 50 metabolites map")
    same = zelezniak2018_map_coverage([s.id for s in core_spec.species])
    assert same == cov and zelezniak2018_map_coverage("yeast_core").mapped == cov.mapped
    full = zelezniak2018_map_coverage([s.id for s in core_spec.species] + CENTRAL)
    assert len(full.mapped) == 50 and not full.unmapped
    with pytest.raises(DatasetError, match="iterable of species ids"):
        zelezniak2018_map_coverage([1, 2])
    # amounts: concentration x compartment volume, summed over the terms
    cell = SimpleNamespace(
        species_ids=("CIT_c", "CIT_m", "PEP_c"), volumes=np.array([1.0, 0.1]), species_compartment=(0, 1, 0)
    )
    conc = np.array([[2.0, 10.0, 3.0], [1.0, 0.0, 1.0]])
    np.testing.assert_allclose(model_metabolite_amounts(cell, conc, ["cit", "pep"]), [[3.0, 3.0], [1.0, 1.0]])
    assert zelezniak2018_map_coverage(cell).mapped == ("cit", "pep")
    with pytest.raises(UnknownNameError, match="'cit'"):
        model_metabolite_amounts(cell, conc, ["citt"])
    with pytest.raises(UnknownNameError, match="OAA_c"):
        model_metabolite_amounts(cell, conc, ["oaa"])


def test_bad_map_files_are_refused(tmp_path):
    head = METABOLITE_MAP.read_text().splitlines()
    cols = next(ln for ln in head if ln.startswith("metabolite_id"))
    p = tmp_path / "map.tsv"
    p.write_text("# comment\n" + cols + "\ncit\tC00158\tCitrate\tCIT_c + 2*CIT_m\tnote\n")
    with pytest.raises(DatasetError, match="row 2.*not a species id"):
        zelezniak2018_metabolite_map(p)
    p.write_text("metabolite\tkegg\n")
    with pytest.raises(DatasetError, match="expected columns"):
        zelezniak2018_metabolite_map(p)
    with pytest.raises(DatasetError, match="not found"):
        zelezniak2018_metabolite_map(tmp_path / "absent.tsv")
    assert parse_model_expression(" A_c +B_m ") == ("A_c", "B_m")
    with pytest.raises(DatasetError, match="twice"):
        parse_model_expression("A_c + A_c")


def test_metrics_are_nan_safe():
    y = np.array([[1.0, 0.6, np.nan], [2.0, -0.7, 1.0], [3.0, 0.1, np.nan], [4.0, -1.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from constant or all-NaN columns
        perfect = km.metabolite_metrics(y, np.nan_to_num(y))
        flat = km.metabolite_metrics(y, np.zeros_like(y))
    np.testing.assert_allclose(perfect["pearson"][:2], 1.0)
    assert math.isnan(perfect["pearson"][2])  # two measured strains: no correlation
    assert np.isnan(flat["pearson"]).all() and np.isnan(flat["spearman"]).all()
    np.testing.assert_allclose(flat["rmse"][0], np.sqrt(np.mean(y[:, 0] ** 2)))
    assert flat["sign_n"].tolist() == [4, 3, 2] and flat["sign_right"].sum() == 0  # 0 is never a sign
    assert perfect["sign_right"].tolist() == [4, 3, 2] and perfect["n"].tolist() == [4, 4, 2]


def test_folds_are_seeded_balanced_and_stratified(matrix):
    strains = list(matrix.index)
    a = km.strain_folds(strains, matrix, 5, seed=1)
    assert np.array_equal(a, km.strain_folds(strains, matrix, 5, seed=1))
    assert not np.array_equal(a, km.strain_folds(strains, matrix, 5, seed=2))
    sizes = np.bincount(a, minlength=5)
    assert sizes.max() - sizes.min() <= 1
    tca = matrix["cit"].notna().to_numpy()  # 16 strains of the TCA assay spread over every fold
    assert np.bincount(a[tca], minlength=5).min() >= 3
    with pytest.raises(ValueError, match="folds"):
        km.strain_folds(strains, matrix, 1, seed=0)


def test_quick_cross_validation_slice(proteome, matrix, tmp_path):
    pytest.importorskip("sklearn")
    preds = km.make_predictors("NoChange,MeanEffect,Ridge")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = km.cross_validate(preds, proteome, matrix, folds=2, repeats=1, seed=0)
    assert res.predicted.shape == (3, 1, 75, 50) and np.isfinite(res.predicted).all()
    nochange, mean, ridge = range(3)
    assert np.isnan(res.pearson[nochange]).all() and np.isfinite(res.rmse[nochange]).all()
    assert res.sign_accuracy()[nochange, 0] == 0.0
    for k in (mean, ridge):
        assert np.isfinite(res.pearson[k]).all() and np.isfinite(res.spearman[k]).all()
        assert np.isfinite(res.rmse[k]).all() and 0.0 <= res.sign_accuracy()[k, 0] <= 1.0
    med = res.median_over_metabolites("pearson")
    assert math.isnan(med[nochange, 0]) and -1 <= med[ridge, 0] <= 1
    # NoChange's RMSE is the root mean square of the measured ratios
    y = res.measured
    rms = np.sqrt(np.nanmean(y**2, axis=0))
    np.testing.assert_allclose(res.rmse[nochange, 0], rms)
    assert list(res.per_metabolite().columns[:2]) == ["n_strains", "pearson_NoChange"]
    out = km.plot_pearson(res, tmp_path / "r.png", "MeanEffect", "Ridge")
    assert out.stat().st_size > 1000
    with pytest.raises(UnknownNameError, match="'Ridge'"):
        km.make_predictors("Ridg")

    class Broken(km.NoChange):
        name = "Broken"

        def predict(self, strains, proteome):
            return super().predict(strains, proteome).iloc[:, :3]

    with pytest.raises(ValueError, match="Broken"):
        km.cross_validate([Broken()], proteome, matrix, folds=2, repeats=1)


def test_task_runs_from_the_registry(tmp_path):
    pytest.importorskip("sklearn")
    from yeastcell.bench import get_task, run_task

    assert get_task("kinase_metabolome").status() == "available"
    fig = tmp_path / "fig.png"
    res = run_task(
        "kinase_metabolome",
        {"max_strains": 40, "max_metabolites": 12, "predictors": "NoChange,MeanEffect", "model": "yeast_core"},
        quick=True,
    )
    assert [r[0] for r in res.rows] == ["NoChange", "MeanEffect"] and res.rows[0][1] == "n/a"
    assert not any("|" in c for c in res.columns)  # the header stays one markdown table row
    assert "40 knockout strains" in res.notes and "of 12 measured metabolites map" in res.notes
    assert "model yeast_core" in res.notes and "measured proteins are its genes" in res.notes
    assert "under condition aerobic_clamped" in res.notes  # yeast_core has no glucose_batch
    assert math.isnan(res.metrics["median_pearson_NoChange"])
    opts = {"max_metabolites": 6, "predictors": "NoChange,MeanEffect", "figure": str(fig)}
    res = run_task("kinase_metabolome", {**opts, "figure_predictors": "NoChange,MeanEffect"}, quick=True)
    assert fig.stat().st_size > 1000 and f"figure: {fig}" in res.notes
    from yeastcell.bench import TaskOptionError

    with pytest.raises(TaskOptionError, match="Ridge"):  # the default figure pair is not in the run
        run_task("kinase_metabolome", opts, quick=True)
    with pytest.raises(TaskOptionError, match="glucose_bacth.*glucose_batch"):  # close matches
        run_task("kinase_metabolome", {**opts, "condition": "glucose_bacth"}, quick=True)


def test_reference_condition_is_the_glucose_repressed_batch_where_defined():
    assert km.default_condition("yeast_central") == "glucose_batch"
    assert km.default_condition("yeast_central_cell") == "glucose_batch"
    assert km.default_condition("yeast_core") == "aerobic_clamped"


def test_hybrid_residual_fit_recovers_rate_corrections_from_masked_data():
    """The Hybrid predictor's least-squares step (`Hybrid._solve_d`): ratios generated by known rate
    corrections D through a response matrix are fitted back (predictions exact; D in the row space of
    the response matrix), with missing values ignored."""
    from yeastcell.bench.kinase_metabolome import Hybrid

    rng = np.random.default_rng(1)
    a = rng.normal(size=(6, 10))  # d log2 metabolite / d log2 rate: 6 metabolites, 10 reactions
    d_true = rng.normal(size=(10, 4)) * 0.3  # rate corrections per log2 enzyme level: 4 enzymes
    e = rng.normal(size=(40, 4))  # 40 strains' enzyme levels
    y = e @ d_true.T @ a.T
    mask = rng.random(y.shape) > 0.3
    d = Hybrid._solve_d(a, e, np.where(mask, y, np.nan), mask, lam=1e-8)
    np.testing.assert_allclose(e @ d.T @ a.T, y, atol=1e-4)
    proj = np.linalg.pinv(a) @ a  # the row space of a
    np.testing.assert_allclose(d, proj @ d, atol=1e-8)
    shrunk = Hybrid._solve_d(a, e, np.where(mask, y, np.nan), mask, lam=1e3)
    assert np.linalg.norm(shrunk) < 0.5 * np.linalg.norm(d)  # the L2 penalty shrinks D


@pytest.mark.slow  # 51 s: one CV fold of the hybrid again through yc.predict (CI time; pytest -m slow)
def test_predict_on_held_out_strains_equals_the_cross_validation_fold(refdata, proteome, matrix, tmp_path):
    """Train the Hybrid on all strains but three, save its residual network, and apply it with
    `yeastcell.predict` (method "linear") to the three held-out strains, which are in no training
    file: the predictions equal the benchmark's predictions for them. As in the benchmark, the
    model's input is the denoised proteome (`shrink_log_ratios`), which a user passes to predict."""
    from yeastcell.bench.kinase_metabolome import Hybrid, metabolite_totals
    from yeastcell.hybrid import save_residual
    from yeastcell.perturb import shrink_log_ratios
    from yeastcell.studies.zelezniak2018 import zelezniak2018_proteome_standard_errors

    strains = [s for s in matrix.index if s in proteome.index]
    held = strains[:3]
    train = strains[3:]
    se = zelezniak2018_proteome_standard_errors(refdata)
    hyb = Hybrid("yeast_core", standard_errors=se).fit(train, proteome, matrix.loc[train])
    want = hyb.predict(held, proteome)
    proteome = shrink_log_ratios(proteome, se)
    path = save_residual(hyb.residual(), tmp_path / "kinase_hybrid.h5")
    totals = metabolite_totals(yc.load_cell("yeast_core"), list(matrix.columns))
    mapped = list(totals)
    extra = {f"zel:{m}": q for m, q in totals.items()}
    got = yc.predict(
        str(path),
        held,
        proteome.loc[held],
        condition="aerobic_clamped",
        base_model="yeast_core",
        method="linear",
        observables=extra,
        progress=False,
    )
    ds = got.dataset
    assert list(got.ok) == [True] * 3 and all("only through the measured proteome" in got.notes[s] for s in held)
    for s, label in zip(got.strains, got.conditions):
        for m in mapped:
            v = ds.values[ds.condition_index(label), 0, 0, ds.observable_index(f"zel:{m}")]
            assert v == pytest.approx(want.loc[s, m], abs=1e-6), (s, m)


def test_proteome_standard_errors_pool_replicates_and_shrink_noisy_ratios(refdata, proteome):
    from yeastcell.perturb import shrink_log_ratios
    from yeastcell.studies.zelezniak2018 import zelezniak2018_proteome_standard_errors

    se = zelezniak2018_proteome_standard_errors(refdata)
    assert se.shape == proteome.shape and list(se.index) == list(proteome.index)
    assert (se.to_numpy() > 0).all()
    reps = proteome.attrs["replicates"]
    # same protein: the error scales with sqrt(1/n + 1/12)
    three = next(s for s, n in reps.items() if n == 3)
    six = next(s for s, n in reps.items() if n == 6)
    ratio = se.loc[six, "YAL003W"] / se.loc[three, "YAL003W"]
    assert ratio == pytest.approx(np.sqrt((1 / 6 + 1 / 12) / (1 / 3 + 1 / 12)), rel=1e-12)
    shrunk = shrink_log_ratios(proteome, se)
    f = shrunk.to_numpy() / np.where(proteome.to_numpy() == 0, np.nan, proteome.to_numpy())
    assert np.nanmin(f) >= 0 and np.nanmax(f) <= 1
    assert 0.8 < np.nanmedian(f) < 0.95  # the strains' spread is ~3x the noise of a strain mean
