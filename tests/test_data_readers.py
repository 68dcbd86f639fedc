"""Readers of the published data sets (shared reference data), checked against the source files
read independently with the csv module, and against known biology of each experiment."""

from __future__ import annotations

import csv
import gzip
import hashlib

import numpy as np
import pytest

from yeastcell.data import Dataset, map_to_model
from yeastcell.exceptions import DatasetError, UnknownNameError
from yeastcell.studies import (
    VANHEERDEN2014_TO_CORE,
    read_kanshin2015,
    read_lahtvee2017,
    read_vanheerden2014,
)

pytestmark = pytest.mark.reference_data


@pytest.fixture(scope="module")
def kanshin(refdata):
    return read_kanshin2015(refdata)


@pytest.fixture(scope="module")
def lahtvee(refdata):
    return read_lahtvee2017(refdata)


def _rows(path, delimiter):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="") as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def test_kanshin2015_matches_source(refdata, kanshin, tmp_path):
    folder = refdata / "omics" / "kanshin2015_osmotic_phospho"
    rows = _rows(folder / "timeSeries.tsv", "\t")
    pmap = dict(_rows(folder / "peptideMapHeader.tsv", "\t")[1:])
    assert kanshin.shape == (1, 1, 13, 4337)
    assert kanshin.times_min.tolist() == [5.0 * k for k in range(13)]
    assert kanshin.transform == "log2fc" and kanshin.reference == "wt" and kanshin.reference_time_min == 0.0
    n_missing = 0
    for j, row in enumerate(rows[1:]):
        assert kanshin.observables[j] == row[0]
        assert kanshin.annotations["orf"][j] == pmap[row[0]]
        for k, x in enumerate(row[1:]):
            if x in ("", "NaN", "nan", "NA"):
                n_missing += 1
                assert not kanshin.mask[0, 0, k, j]
            else:
                assert kanshin.values[0, 0, k, j] == float(x)
    assert int((~kanshin.mask).sum()) == n_missing > 0
    sha = hashlib.sha256((folder / "timeSeries.tsv").read_bytes()).hexdigest()
    assert f"timeSeries.tsv={sha}" in kanshin.provenance["sha256"]
    assert kanshin.provenance["doi"] == "10.1016/j.celrep.2015.01.052"
    # Hog1 (YLR113W) phosphopeptides are there, selectable by standard name
    hog1 = read_kanshin2015(refdata, orfs=["HOG1"])
    assert set(hog1.annotations["orf"]) == {"YLR113W"} and hog1.shape[-1] >= 1
    assert set(hog1.annotations["gene"]) == {"HOG1"}
    with pytest.raises(DatasetError, match="no phosphopeptide"):
        read_kanshin2015(refdata, orfs=["NOTAGENE"])
    # a real data set survives HDF5 and table round trips
    kanshin.to_hdf5(tmp_path / "k.h5")
    assert Dataset.from_hdf5(tmp_path / "k.h5").equals(kanshin)
    hog1.to_table(tmp_path / "hog1.tsv")
    assert Dataset.from_table(tmp_path / "hog1.tsv").equals(hog1)


def test_lahtvee2017_matches_source_and_biology(refdata, lahtvee, core, tmp_path):
    folder = refdata / "omics" / "lahtvee2017_stress_proteomics"
    rows = _rows(folder / "merged_proteomic_data.csv.gz", ",")
    header = rows[0]
    proteins = [r[1] for r in rows[1:]]
    assert len(proteins) == 1587
    assert lahtvee.observables[:1587] == tuple(proteins)
    assert len(lahtvee.conditions) == 15 and lahtvee.times_min.tolist() == [0.0]
    # every sample column is a replicate of its condition, value for value
    seen = {}
    for c, name in enumerate(header):
        if "_" not in name or name.startswith(("Protein", "theo", "Mol")):
            continue
        label = name.split("_", 1)[0]
        r = seen[label] = seen.get(label, -1) + 1
        cond = {"REF": "wt"}.get(label) or lahtvee.conditions[
            [x.split(":")[-1] for x in lahtvee.conditions].index(
                {"Temp": "heat_{}C", "Osmo": "nacl_{}M", "EtOH": "ethanol_{}gL"}[label[:4]].format(label[4:])
            )
        ]
        i = lahtvee.condition_index(cond)
        for j, row in enumerate(rows[1:]):
            x = row[c]
            if x in ("", "NA") or float(x) == 0.0:  # 0 = not quantified, masked by default
                assert not lahtvee.mask[i, r, 0, j]
            else:
                assert lahtvee.values[i, r, 0, j] == float(x)
    # exchange fluxes (mmol/gDW/h) as in flux_data.tsv
    flux = {r[0]: r[1:] for r in _rows(folder / "flux_data.tsv", "\t")[1:]}
    g = lahtvee.observable_index("exchange:glucose")
    assert lahtvee.values[lahtvee.condition_index("wt"), 0, 0, g] == float(flux["REF"][0])
    assert (
        lahtvee.values[lahtvee.condition_index("cond:nacl_1.4M"), 0, 0, lahtvee.observable_index("exchange:glycerol")]
        == 3.91
    )
    assert lahtvee.units["exchange:glucose"] == "mmol/gDW/h"
    # mass fractions of detected protein: positive, and each sample sums to at most 1
    prot = lahtvee.values[..., :1587]
    assert np.nanmin(prot) > 0 and np.all(np.nansum(prot, axis=-1) <= 1.0 + 1e-9)
    # biology: GRE2 (YOL151W), an osmostress-induced reductase, rises with NaCl
    j = lahtvee.annotations["gene"].index("GRE2")
    mean = {
        c: np.nanmean(lahtvee.values[lahtvee.condition_index(c), :, 0, j])
        for c in ("wt", "cond:nacl_0.4M", "cond:nacl_0.8M")
    }
    assert mean["wt"] < mean["cond:nacl_0.4M"] < mean["cond:nacl_0.8M"]
    # 13 proteins are never quantified: they survive a table round trip all the same
    assert (~lahtvee.mask.any(axis=(0, 1, 2))).sum() > 0
    lahtvee.to_table(tmp_path / "l.csv.gz")
    assert Dataset.from_table(tmp_path / "l.csv.gz").equals(lahtvee)
    # mapping onto the core model's protein species by ORF
    mapped = map_to_model(lahtvee, core)
    assert len(mapped.observables) >= 30
    mapped.check_against(core)
    assert "Pgk1" in mapped.observables
    src = lahtvee.annotations["orf"].index("YCR012W")  # PGK1
    assert np.array_equal(mapped.values[..., mapped.observable_index("Pgk1")], lahtvee.values[..., src], equal_nan=True)


def test_vanheerden2014_matches_source_and_biology(refdata, core):
    folder = refdata / "timecourses" / "vanheerden2014_glucose_pulse"
    raw = read_vanheerden2014(refdata)
    met = _rows(folder / "metabolites.csv", ",")
    assert raw.shape == (1, 1, 11, 28)
    assert np.allclose(raw.times_min * 60, [float(r[0]) for r in met[1:]], rtol=0, atol=1e-4)
    g6p = raw.observable_index("G6P")
    assert raw.values[0, 0, :, g6p].tolist() == [float(r[met[0].index("G6P")]) for r in met[1:]]
    assert raw.units["G6P"] == "umol/gDW" and "Glc_ext" not in raw.observables
    gmp = raw.observable_index("GMP")
    assert not raw.mask[0, 0, 0, gmp] and raw.mask[0, 0, 1, gmp]  # -1.7 sentinel masked
    # biology of a glucose pulse: hexose phosphates and FBP jump, ATP drops in the first ~30 s
    v = raw.values[0, 0]
    for name, direction in (("G6P", 1), ("FBP", 1), ("ATP", -1)):
        j = raw.observable_index(name)
        assert np.sign(v[1, j] - v[0, j]) == direction, name
    mm = read_vanheerden2014(refdata, ml_per_gdw=2.0, rename=VANHEERDEN2014_TO_CORE, only_renamed=True)
    assert set(mm.observables) == set(VANHEERDEN2014_TO_CORE.values())
    assert mm.values[0, 0, 0, mm.observable_index("G6P_c")] == raw.values[0, 0, 0, g6p] / 2.0
    mm.check_against(core, resolve_conditions=True)
    with pytest.raises(UnknownNameError, match="G6PP"):
        read_vanheerden2014(refdata, rename={"G6PP": "G6P_c"})
    with pytest.raises(DatasetError, match="ml_per_gdw"):
        read_vanheerden2014(refdata, ml_per_gdw=-1)


def test_reader_without_data_folder_fails_clearly(tmp_path, monkeypatch):
    import yeastcell.refdata as refdata_module

    monkeypatch.delenv("YEASTCELL_REFERENCE_DATA", raising=False)
    # The default ../shared/data beside a checkout exists on machines that hold the data; point the
    # checkout at an empty folder so the default names a folder that is missing.
    monkeypatch.setattr(refdata_module, "checkout_dir", lambda: tmp_path / "checkout")
    with pytest.raises(DatasetError, match="YEASTCELL_REFERENCE_DATA"):
        read_kanshin2015()
    with pytest.raises(DatasetError, match="missing"):
        read_lahtvee2017(tmp_path)


HOG_MINI = """\
format: yeastcell-model/1
model: {id: hog_mini, name: Hog1 and Rck2 phosphorylation}
references:
  test: "Test fixture: two phosphorylation cycles named after real HOG-pathway proteins (not calibrated)."
compartments:
  - {id: cell, name: cell, volume: {value: 1.0, unit: fL, source: test}}
species:
  - {id: Hog1, compartment: cell, kind: protein, initial: {value: 1.0, unit: mM}}
  - {id: Hog1_PP, compartment: cell, kind: protein, initial: {value: 0.0, unit: mM}}
  - {id: Rck2, compartment: cell, kind: protein, initial: {value: 1.0, unit: mM}}
  - {id: Rck2_P, compartment: cell, kind: protein, initial: {value: 0.0, unit: mM}}
  - {id: Pbs2, compartment: cell, kind: protein, initial: {value: 1.0, unit: mM}}
genes:
  - {orf: YLR113W, name: HOG1, protein: Hog1}
  - {orf: YLR248W, name: RCK2, protein: Rck2}
  - {orf: YJL128C, name: PBS2, protein: Pbs2}
reactions:
  - id: hog1_phos
    stoichiometry: {Hog1: -1, Hog1_PP: 1}
    compartment: cell
    rate_law: {kind: mass_action, reversible: true,
               parameters: {kf: {value: 1.0, unit: 1/min, source: test}, kr: {value: 1.0, unit: 1/min, source: test}}}
  - id: rck2_phos
    stoichiometry: {Rck2: -1, Rck2_P: 1}
    compartment: cell
    rate_law: {kind: mass_action, reversible: true,
               parameters: {kf: {value: 1.0, unit: 1/min, source: test}, kr: {value: 1.0, unit: 1/min, source: test}}}
"""


def test_phosphosite_mapping_to_a_model(refdata, kanshin, tmp_path, core):
    import yeastcell as yc
    from yeastcell.data import phosphosite_mapping
    from yeastcell.observe import ObservationModel

    p = tmp_path / "hog_mini.yaml"
    p.write_text(HOG_MINI)
    cell = yc.load_cell(p)
    mapping = phosphosite_mapping(kanshin, cell)
    orf = dict(zip(kanshin.observables, kanshin.annotations["orf"]))
    assert set(mapping.values()) <= {"phospho:Hog1", "phospho:Rck2"} and "phospho:Rck2" in mapping.values()
    assert all(orf[k] in ("YLR113W", "YLR248W") and "(ph)" in k for k in mapping)
    # every Kanshin peptide of these two ORFs is mapped; Pbs2 has no phospho form in this model
    assert len(mapping) == sum(o in ("YLR113W", "YLR248W") for o in kanshin.annotations["orf"])
    sub = kanshin.subset(observables=list(mapping))
    sub.check_against(cell, mapping=mapping)
    om = ObservationModel.build(cell, sub.observables, mapping=mapping)
    assert om.quantities == tuple(mapping[o] for o in sub.observables)
    with pytest.raises(DatasetError, match="no phosphopeptide"):
        phosphosite_mapping(kanshin, core)
