"""Gonçalves et al. 2017 readers (nitrogen / rapamycin and NaCl / alpha-factor folders) and their maps."""

from __future__ import annotations

import csv
import os
import shutil

import numpy as np
import pandas as pd
import pytest

import yeastcell as yc
from yeastcell.exceptions import DatasetError, UnknownNameError
from yeastcell.studies import (
    goncalves2017_metabolite_coverage,
    goncalves2017_metabolite_map,
    goncalves2017_site_coverage,
    goncalves2017_site_map,
    read_goncalves2017_nacl_metabolome,
    read_goncalves2017_nacl_phospho,
    read_goncalves2017_nacl_targeted,
    read_goncalves2017_nitrogen_growth,
    read_goncalves2017_nitrogen_metabolome,
    read_goncalves2017_nitrogen_phospho,
    read_goncalves2017_nitrogen_transcriptome,
)
from yeastcell.studies.goncalves2017 import to_minutes
from yeastcell.studies.goncalves2017_nacl import NACL_DIR
from yeastcell.studies.goncalves2017_nitrogen import NITROGEN_DIR

pytestmark = pytest.mark.reference_data

# notation strings standing in for perturbations the model language lacks (labelled wild type: the tests
# only need distinct, parseable conditions)
NITRO = {"N_upshift": "wt#N_upshift", "N_downshift": "wt#N_downshift", "Rapamycin": "wt#Rapamycin"}
NACL = {"NaCl": "nacl:0.4", "alpha": "wt#alpha", "NaCl+alpha": "nacl:0.4#alpha", "control": "wt"}
PHOSPHO_SPECIES = ["Sch9_P", "Hog1_PP", "Hog1_PP_n", "Rck2_P", "Sko1_P", "Hot1_P", "Mig1_P", "Gln3", "Gln3_n"]


@pytest.fixture(scope="module")
def root(refdata):
    for d in (NITROGEN_DIR, NACL_DIR):
        if not (refdata / d).is_dir():
            msg = f"reference data folder {refdata / d} missing"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(msg)
            pytest.skip(msg)
    return refdata


@pytest.fixture(scope="module")
def nmet(root):
    return read_goncalves2017_nitrogen_metabolome(root, conditions=NITRO)


@pytest.fixture(scope="module")
def nphos(root):
    return read_goncalves2017_nitrogen_phospho(root, conditions=NITRO)


@pytest.fixture(scope="module")
def ntx(root):
    return read_goncalves2017_nitrogen_transcriptome(root, conditions=NITRO)


@pytest.fixture(scope="module")
def sphos(root):
    return read_goncalves2017_nacl_phospho(root, conditions={k: v for k, v in NACL.items() if k != "control"})


@pytest.fixture(scope="module")
def smet(root):
    return read_goncalves2017_nacl_metabolome(root, conditions=NACL)


def _v(ds, cond, rep, t, obs):
    return ds.values[ds.condition_index(cond), rep - 1, ds.time_index(t), ds.observable_index(obs)]


# ------------------------------------------------------------------------------ nitrogen / rapamycin
def test_nitrogen_metabolome_shape_and_raw_value(root, nmet):
    assert nmet.shape == (3, 3, 31, 186)
    assert nmet.conditions == tuple(NITRO.values())
    assert nmet.transform == "log2fc" and nmet.reference_time_min == -10.0 and nmet.reference is None
    assert nmet.provenance["series"].startswith("N_upshift: BY003, BY008, BY012")
    assert "N_upshift=wt#N_upshift" in nmet.provenance["experiments"]
    # hand check: pyruvate ion (m/z 87.01), series BY008 (replicate 2 of N_upshift), 5 min
    raw = pd.read_csv(root / NITROGEN_DIR / "metabol_intensities.tab", sep="\t")
    ss = pd.read_csv(root / NITROGEN_DIR / "metabol_samplesheet.tab", sep="\t")
    row = raw[raw["metabolite"] == "Pyruvate"].iloc[0]
    ref = [s for s, t in zip(ss["sample"], ss["time"]) if s.startswith("BY008_") and t == "-10min"]
    (s5,) = [s for s, t in zip(ss["sample"], ss["time"]) if s.startswith("BY008_") and t == "5min"]
    expected = np.log2(row[s5]) - np.mean(np.log2(row[ref].astype(float)))
    assert len(ref) == 4
    assert _v(nmet, "wt#N_upshift", 2, 5.0, "mz_87.01") == pytest.approx(expected, rel=1e-12)


def test_nitrogen_metabolome_replicates_and_times(nmet):
    c = nmet.condition_index("wt#N_downshift")
    # the -10 min point is the reference: 0 in every series
    assert np.allclose(nmet.values[:, :, nmet.time_index(-10.0)], 0.0)
    # -4.5 min was sampled in series BY010 and BY013 (replicates 2, 3), not in BY009 (replicate 1)
    k = nmet.time_index(-4.5)
    assert list(nmet.mask[c, :, k, 0]) == [False, True, True]
    assert not nmet.mask[nmet.condition_index("wt#N_upshift"), :, k].any()
    assert nmet.times_min[0] == -10.0 and nmet.times_min[-1] == 120.0


def test_nitrogen_metabolome_ambiguous_annotations_kept(nmet):
    ann = {k: dict(zip(nmet.observables, v)) for k, v in nmet.annotations.items()}
    assert ann["candidates"]["mz_59.01"] == "Acetate | Glycolaldehyde"
    assert ann["n_candidates"]["mz_59.01"] == "2" and ann["model_species"]["mz_59.01"] == ""
    assert ann["candidates"]["mz_168.99"] == "Dihydroxyacetone phosphate | Glyceraldehyde 3-phosphate"
    assert ann["model_species"]["mz_168.99"] == ""
    assert ann["model_species"]["mz_87.01"] == "PYR_c + PYR_m"
    assert ann["kegg_id"]["mz_87.01"] == "C00022"
    assert sum(n != "1" for n in ann["n_candidates"].values()) == 39


def test_nitrogen_metabolome_coverage(nmet):
    cov = goncalves2017_metabolite_coverage(nmet, yc.load_model("yeast_central"))
    assert len(cov.mapped) == 32 and len(cov.ambiguous) == 39 and cov.n_total == 186
    assert cov.mapped["mz_145.06"] == ("GLN_c",)
    assert "32 of 186" in cov.summary()


def test_nitrogen_annotation_mismatch_fails(root, tmp_path):
    src = root / NITROGEN_DIR / "dynamic_metabolite_annotation.txt"
    lines = src.read_text().splitlines()
    lines[1], lines[2] = lines[2], lines[1]  # swap two candidates: no longer the intensity table's rows
    bad = tmp_path / "annotation.txt"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match="does not match"):
        read_goncalves2017_nitrogen_metabolome(root, conditions=NITRO, annotation=bad)


def test_nitrogen_phospho(root, nphos):
    assert nphos.shape == (3, 1, 7, 3014)
    assert list(nphos.times_min) == [0, 5, 9, 15, 25, 44, 79]
    assert _v(nphos, "wt#N_upshift", 1, 5, "AAADALSDLEIKDSK_1") == pytest.approx(-0.07)
    assert _v(nphos, "wt#Rapamycin", 1, 79, "AAADALSDLEIKDSK_1") == pytest.approx(0.39)
    assert np.all(nphos.values[:, :, 0][nphos.mask[:, :, 0]] == 0.0)
    ann = {k: dict(zip(nphos.observables, v)) for k, v in nphos.annotations.items()}
    assert ann["sites"]["QSSPANPIGTYEYSR_1"] == "S39 | S40"  # localisation ambiguity kept
    assert ann["sites"]["HQPMMTATPLSPAMQAK_2"] == "T723,S726"
    assert not any("/" in o for o in ann["orf"].values())  # the table holds no peptide shared by proteins
    assert ann["gene"]["AAADALSDLEIKDSK_1"] == "RNR2"
    # a peptide measured in N_downshift only is masked elsewhere
    only = "AAADALSDLEIK_1"
    assert not nphos.mask[nphos.condition_index("wt#N_upshift"), 0, :, nphos.observable_index(only)].any()


def test_nitrogen_site_coverage(nphos):
    cov = goncalves2017_site_coverage(nphos, PHOSPHO_SPECIES)
    assert cov.mapped == {
        "IQDPQMTGYVSTR_1": ("Hog1_PP", "Hog1_PP_n"),
        "HQPMMTATPLSPAMQAK_1": ("Sch9_P",),
        "HQPMMTATPLSPAMQAK_2": ("Sch9_P",),
    }
    assert set(cov.unmapped.values()) == {"GLN3"}  # Gln3 forms are localisation states, not phospho-species


def test_nitrogen_transcriptome(root, ntx):
    assert ntx.shape == (3, 1, 9, 5716)
    assert list(ntx.times_min) == [-10, -5, 3, 7, 10, 14, 24, 56, 120]
    raw = pd.read_csv(root / NITROGEN_DIR / "dynamic_transcriptomics.tab", sep="\t", index_col=0)
    expected = np.log2(raw.loc["YKR009C", "BY008_T2"] / raw.loc["YKR009C", "BY008_T1"])
    assert _v(ntx, "wt#N_upshift", 1, 3, "YKR009C") == pytest.approx(expected, rel=1e-12)
    k = ntx.time_index(-5)
    assert ntx.mask[ntx.condition_index("wt#N_downshift"), 0, k].all()
    assert not ntx.mask[ntx.condition_index("wt#Rapamycin"), 0, k].any()
    assert "YAR033W#2" in ntx.observables  # a second probe of one ORF


def test_nitrogen_growth(root):
    g = read_goncalves2017_nitrogen_growth(root, conditions={"N_upshift": "wt#N_upshift"})
    assert g.shape[:2] == (1, 3) and g.observables == ("OD600",) and g.transform == "raw"
    assert _v(g, "wt#N_upshift", 1, 15.0, "OD600") == pytest.approx(1.08)  # BY003, +0.25 h
    with pytest.raises(DatasetError, match="unknown time unit"):
        read_goncalves2017_nitrogen_growth(root, conditions=NITRO, time_unit="fortnight")


def test_nitrogen_conditions_default_to_perturbations(root):
    ds = read_goncalves2017_nitrogen_phospho(root)
    assert ds.conditions == ("nitrogen:0.1>75.7", "nitrogen:75.7>0.1", "rapamycin:218.8")
    assert read_goncalves2017_nitrogen_phospho(root, conditions=["Rapamycin"]).conditions == ("rapamycin:218.8",)


def test_nitrogen_conditions_errors(root):
    with pytest.raises(UnknownNameError, match="N_upshift"):
        read_goncalves2017_nitrogen_phospho(root, conditions={"N_upshif": "wt"})
    with pytest.raises(DatasetError, match="no perturbation"):
        read_goncalves2017_nitrogen_phospho(root, conditions={"N_upshift": ""})
    with pytest.raises(DatasetError, match="notation"):
        read_goncalves2017_nitrogen_phospho(root, conditions={"N_upshift": "rapamycin!"})
    with pytest.raises(DatasetError, match="one condition"):
        read_goncalves2017_nitrogen_phospho(root, conditions={"N_upshift": "wt", "Rapamycin": "wt"})


def test_time_units():
    assert to_minutes("-10min") == -10.0 and to_minutes(90, "s") == 1.5 and to_minutes("2h") == 120.0
    with pytest.raises(DatasetError, match="unknown time unit"):
        to_minutes("5weeks")
    with pytest.raises(DatasetError, match="no unit"):
        to_minutes("5")


# ------------------------------------------------------------------------------ NaCl / alpha-factor
def test_nacl_targeted(root):
    t = read_goncalves2017_nacl_targeted(root, conditions=NACL)
    assert t.shape == (4, 1, 12, 26) and t.conditions == tuple(NACL.values())
    assert t.times_min[1] == pytest.approx(25 / 60) and t.times_min[-1] == 45.0  # seconds -> minutes
    assert _v(t, "wt#alpha", 1, 25 / 60, "Adenine") == pytest.approx(0.294071483702)
    assert np.all(t.values[:, 0, 0] == 0.0)
    ann = dict(zip(t.observables, t.annotations["model_species"]))
    assert ann["G6P"] == "G6P_c" and ann["Hexoses"] == "" and sum(bool(v) for v in ann.values()) == 18
    default = read_goncalves2017_nacl_targeted(root)  # NaCl and mock have perturbations of the notation
    assert default.conditions == ("nacl:0.4", "wt")
    with pytest.raises(DatasetError, match="unknown time unit"):
        read_goncalves2017_nacl_targeted(root, time_unit="ms")
    with pytest.raises(DatasetError, match="'alpha' has no perturbation"):
        read_goncalves2017_nacl_targeted(root, conditions=["NaCl", "alpha"])


def test_nacl_metabolome_replicates(root, smet):
    assert smet.shape == (4, 6, 11, 196)
    assert smet.reference_time_min == pytest.approx(25 / 60)
    median = read_goncalves2017_nacl_metabolome(root, conditions=NACL, replicates=False)
    assert median.shape == (4, 1, 11, 196)
    # the summary table is the median of the 6 replicate columns
    assert np.allclose(np.median(smet.values, axis=1), median.values[:, 0], atol=1e-9)
    with open(root / NACL_DIR / "metabolomics_dynamic_combination_std.csv", newline="") as fh:
        header, first = next(csv.reader(fh)), next(csv.reader(fh))
    cols = [j for j, h in enumerate(header) if h == "NaCl_600"]
    assert _v(smet, "nacl:0.4", 3, 10.0, "mz_58.0057") == pytest.approx(float(first[cols[2]]))


def test_nacl_metabolome_annotation(root, smet, tmp_path):
    ann = {k: dict(zip(smet.observables, v)) for k, v in smet.annotations.items()}
    assert ann["imm904_ids"]["mz_89.0241"] == "dha | glyald | lac_D | lac_L"
    assert ann["n_candidates"]["mz_89.0241"] == "4" and ann["model_species"]["mz_89.0241"] == ""
    assert ann["model_species"]["mz_87.0087"] == "PYR_c + PYR_m"
    cov = goncalves2017_metabolite_coverage(smet, yc.load_model("yeast_central"))
    assert len(cov.mapped) == 23 and len(cov.ambiguous) == 51
    src = root / NACL_DIR / "2015_12_10_fia_experiments_imm904_annotation.txt"
    bad = tmp_path / "annotation.txt"
    bad.write_text("\n".join(src.read_text().splitlines()[:-20]) + "\n")
    with pytest.raises(DatasetError, match="have no annotation"):
        read_goncalves2017_nacl_metabolome(root, conditions=NACL, annotation=bad)


def test_nacl_phospho(sphos):
    assert sphos.shape == (3, 1, 5, 2168) and list(sphos.times_min) == [1, 5, 10, 20, 45]
    assert _v(sphos, "nacl:0.4", 1, 45, "D6VTK4_S331") == pytest.approx(-0.0770548444148)
    ann = {k: dict(zip(sphos.observables, v)) for k, v in sphos.annotations.items()}
    assert ann["orf"]["P11792_S726"] == "YHR205W" and ann["sites"]["P11792_S726"] == "S726"
    assert ann["residue_check"]["P11792_S726"] == "ok"
    assert sum(v == "mismatch" for v in ann["residue_check"].values()) == 24
    cov = goncalves2017_site_coverage(sphos, PHOSPHO_SPECIES)
    assert set(cov.mapped) == {
        "P11792_S726",
        "P27705_S278",
        "P27705_S311",
        "P32485_T174",
        "P32485_Y176",
        "P38623_S46",
        "Q02100_T215",
        "Q03213_S153",
    }


def test_nacl_phospho_control_fails(root):
    with pytest.raises(DatasetError, match="mock"):
        read_goncalves2017_nacl_phospho(root)  # the defaults include control, which the table lacks


# ------------------------------------------------------------------------------ maps
def test_maps_consistent_with_models_and_sequences(root):
    spec = yc.load_model("yeast_cell")
    species = {s.id for s in spec.species}
    sites = goncalves2017_site_map()
    assert len(sites) == 17
    for m in sites.values():
        assert set(m.model_phospho) <= species, m
    u = pd.read_csv(root / "gecko" / "uniprot.tsv.gz", sep="\t", dtype=str)
    seq = dict(zip(u["Gene Names (ordered locus)"], u["Sequence"]))
    for (orf, site), _ in sites.items():
        assert seq[orf][int(site[1:]) - 1] == site[0], (orf, site)
    central = {s.id for s in yc.load_model("yeast_central").species}
    mmap = goncalves2017_metabolite_map()
    missing = {k: t for k, terms in mmap.items() for t in terms if t not in central}
    assert missing == {}


def test_maps_bad_file(tmp_path):
    bad = tmp_path / "map.tsv"
    shutil.copy(goncalves2017_metabolite_map.__globals__["METABOLITE_MAP"], bad)
    bad.write_text(bad.read_text() + "nonsense\tG6P\tG6P_c\tdup vocabulary\n")
    with pytest.raises(DatasetError, match="vocabulary"):
        goncalves2017_metabolite_map(bad)
