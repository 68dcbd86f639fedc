"""yeastcell.data.Dataset: validation, HDF5 and table round trips, atomic writes, malformed input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yeastcell.data import FORMAT_VERSION, Dataset
from yeastcell.exceptions import DatasetError, UnknownNameError, YeastcellError

REPO = Path(__file__).resolve().parents[1]

TABLE = """\
# yeastcell-dataset-table: 1
# transform: "raw"
# provenance: {"source": "written for this test", "notes": "commas, \\"quotes\\" and ünïcode"}
condition,time_min,observable,value,replicate,unit
wt,0.0,S_c,0.1,1,mM
wt,0.5,S_c,0.30000000000000004,1,mM
wt,0.0,P_c,1e-300,1,mM
ko:YAL001W,0.0,S_c,2.5,1,mM
ko:YAL001W,0.5,P_c,-0.0,1,mM
kd:ENZ1=0.2,0.5,total_cell,123456789.123,1,mM
kd:ENZ1=0.2,0.5,total_cell,1.7976931348623157e+308,3,mM
kd:ENZ1=0.2,12.25,S_c,5e-324,2,mM
"""


def small(**kw) -> Dataset:
    rng = np.random.default_rng(0)
    v = rng.lognormal(size=(2, 3, 4, 3))
    m = rng.random(v.shape) > 0.2
    args = {
        "conditions": ("wt", "ko:YAL001W"),
        "times_min": [0.0, 1.0, 2.5, 10.0],
        "observables": ("S_c", "P_c", "total_cell"),
        "values": v,
        "mask": m,
        "units": {"S_c": "mM", "P_c": "mM", "total_cell": "mM"},
        "provenance": {"source": "test", "doi": "none"},
        "annotations": {"orf": ("a", "b", "c")},
    }
    args.update(kw)
    return Dataset(**args)


# ---------------------------------------------------------------------- round trips
def test_csv_hdf5_csv_round_trip_is_lossless(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(TABLE, encoding="utf-8")
    ds = Dataset.from_table(src)
    assert ds.shape == (3, 3, 3, 3)
    assert ds.times_min.tolist() == [0.0, 0.5, 12.25]
    assert int(ds.mask.sum()) == 8
    ds.to_hdf5(tmp_path / "d.h5")
    back = Dataset.from_hdf5(tmp_path / "d.h5")
    assert back.equals(ds)
    back.to_table(tmp_path / "out.csv")
    # same rows, bit for bit (order canonicalised: condition, replicate, time, observable)
    rows_in = pd.read_csv(src, comment="#", dtype=str, keep_default_na=False)
    rows_out = pd.read_csv(tmp_path / "out.csv", comment="#", dtype=str, keep_default_na=False)
    key = ["condition", "time_min", "observable", "replicate"]
    a = rows_in.sort_values(key).reset_index(drop=True)
    b = rows_out.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[key + ["unit"]], b[key + ["unit"]])
    assert [float(x) for x in a["value"]] == [float(x) for x in b["value"]]
    assert np.array_equal(
        np.array([float(x) for x in a["value"]]).view(np.int64), np.array([float(x) for x in b["value"]]).view(np.int64)
    )  # -0.0 kept
    # and a second pass reproduces the written file byte for byte
    Dataset.from_table(tmp_path / "out.csv").to_hdf5(tmp_path / "d2.h5")
    Dataset.from_hdf5(tmp_path / "d2.h5").to_table(tmp_path / "out2.csv")
    assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "out2.csv").read_bytes()
    assert back.provenance["notes"] == 'commas, "quotes" and ünïcode'


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**31),
    n_rep=st.integers(1, 3),
    tsv=st.booleans(),
    scale=st.sampled_from([1e-300, 1e-8, 1.0, 1e12, 1e300]),
)
def test_hypothesis_round_trip_any_dataset(tmp_path, seed, n_rep, tsv, scale):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(3, n_rep, 5, 4)) * scale
    m = rng.random(v.shape) > 0.3
    ds = Dataset(
        ("wt", "ko:HXK2", "kd:PFK1=0.3+pulse:GLC_e=10@20"),
        np.sort(rng.random(5) * 100) + np.arange(5),
        ("ATP_c", "a,b", 'q"x', "x y"),
        v,
        m,
        transform="log2fc",
        reference="wt",
        reference_time_min=0.0,
        provenance={"doi": "10.0/x"},
    )
    name = tmp_path / ("t.tsv.gz" if tsv else "t.csv")
    ds.to_table(name)
    back = Dataset.from_table(name)
    assert back.equals(ds)  # the '# axes' line keeps unmeasured axis entries too
    ds.to_hdf5(tmp_path / "x.h5")
    assert Dataset.from_hdf5(tmp_path / "x.h5").equals(ds)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    obs=st.lists(st.text(min_size=1, max_size=6), min_size=2, max_size=2, unique=True),
    unit=st.text(max_size=4),
    prov=st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=12), max_size=4),
    ann=st.dictionaries(
        st.text(min_size=1, max_size=6), st.lists(st.text(max_size=5), min_size=2, max_size=2), max_size=3
    ),
)
def test_hypothesis_metadata_round_trip(tmp_path, obs, unit, prov, ann):
    v = np.arange(4.0).reshape(1, 1, 2, 2)
    try:
        ds = Dataset(("wt",), [0.0, 1.0], tuple(obs), v, v >= 0, provenance=prov, annotations=ann, units={obs[0]: unit})
    except DatasetError:
        return  # names with '/', NUL, lone surrogates... are refused
    ds.to_hdf5(tmp_path / "m.h5")
    assert Dataset.from_hdf5(tmp_path / "m.h5").equals(ds)
    ds.to_table(tmp_path / "m.csv")
    assert Dataset.from_table(tmp_path / "m.csv").equals(ds)


def test_time_units_are_converted_to_minutes(tmp_path):
    df = pd.DataFrame(
        {
            "condition": ["wt"] * 3,
            "time": [0, 90, 2],
            "time_unit": ["s", "s", "h"],
            "observable": ["ATP_c"] * 3,
            "value": [1.0, 2.0, 3.0],
        }
    )
    ds = Dataset.from_table(df)
    assert ds.times_min.tolist() == [0.0, 1.5, 120.0]
    ds = Dataset.from_table(df.drop(columns="time_unit"), time_unit="min")
    assert ds.times_min.tolist() == [0.0, 2.0, 90.0]
    ds = Dataset.from_table(df.drop(columns="time_unit").rename(columns={"time": "time_s"}))
    assert ds.times_min.tolist() == [0.0, 2 / 60, 1.5]
    with pytest.raises(DatasetError, match="has no unit"):
        Dataset.from_table(df.drop(columns="time_unit"))
    with pytest.raises(DatasetError, match="unknown time unit 'days'"):
        Dataset.from_table(df.assign(time_unit=["s", "days", "s"]))
    with pytest.raises(DatasetError, match="contradicts"):
        Dataset.from_table(df.drop(columns="time_unit").rename(columns={"time": "time_h"}), time_unit="s")


# ---------------------------------------------------------------------- validation
def test_validation_errors_name_the_item(two_step, tmp_path):
    ds = small()
    assert ds.check_against(two_step) is ds
    with pytest.raises(UnknownNameError, match=r"'S_cc'.*did you mean 'S_c'"):
        small(observables=("S_cc", "P_c", "total_cell"), units={}).check_against(two_step)
    small(observables=("S_c", "total:Enz", "x"), units={}).check_against(two_step, mapping={"x": "P_c"})
    with pytest.raises(UnknownNameError, match=r"protein 'Enzz'.*did you mean 'Enz'"):
        small(observables=("S_c", "total:Enzz", "P_c"), units={}).check_against(two_step)
    with pytest.raises(UnknownNameError, match="'P_cc'"):
        small().check_against(two_step, mapping={"P_c": "P_cc"})
    with pytest.raises(UnknownNameError, match="HXK9"):
        small(conditions=("wt", "ko:HXK9")).check_against(two_step, resolve_conditions=True)
    v = small().values.copy()
    m = small().mask.copy()
    m[1, 2, 3, 0] = True
    v[1, 2, 3, 0] = np.nan
    with pytest.raises(
        DatasetError, match=r"marked measured but are NaN.*'ko:YAL001W', replicate 3, t = 10.0 min, observable 'S_c'"
    ):
        small(values=v, mask=m)
    with pytest.raises(DatasetError, match="strictly increasing"):
        small(times_min=[0.0, 2.0, 1.0, 3.0])
    with pytest.raises(DatasetError, match="duplicate"):
        small(observables=("S_c", "S_c", "P_c"), units={})
    with pytest.raises(DatasetError, match="perturbation notation"):
        small(conditions=("wt", "ko"))
    with pytest.raises(DatasetError, match="transform"):
        small(transform="log10")
    with pytest.raises(DatasetError, match="reference"):
        small(transform="log2fc")
    with pytest.raises(DatasetError, match="shape"):
        small(values=np.zeros((2, 3, 4)), mask=np.zeros((2, 3, 4), bool))
    with pytest.raises(DatasetError, match="annotation 'orf'"):
        small(annotations={"orf": ("a",)})
    with pytest.raises(DatasetError, match="without '/'"):
        small(annotations={"a/b": ("a", "b", "c")})
    # arrays are read-only and masked entries are NaN
    ds = small()
    with pytest.raises(ValueError):
        ds.values[0, 0, 0, 0] = 1.0
    assert np.isnan(ds.values[~ds.mask]).all() and np.isfinite(ds.values[ds.mask]).all()


def test_table_errors_name_rows(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("condition,time_min,observable,value\nwt,0,A,1\nwt,1,A,2\nwt,0,A,3\n")
    with pytest.raises(DatasetError, match=r"rows 2 and 4 are duplicates.*'wt', t = 0 min, observable 'A'"):
        Dataset.from_table(p)
    p.write_text("condition,time_min,observable,value\nwt,0,A,1\nwt,1,A,\n")
    with pytest.raises(DatasetError, match="row 3: value is empty/NaN"):
        Dataset.from_table(p)
    assert Dataset.from_table(p, missing="drop").mask.sum() == 1
    p.write_text("condition,time_min,observable,value\nwt,0,A,1\nwt,x,A,2\n")
    with pytest.raises(DatasetError, match="row 3: time_min 'x' is not a number"):
        Dataset.from_table(p)
    p.write_text("condition,time_min,value\nwt,0,1\n")
    with pytest.raises(DatasetError, match=r"missing column\(s\) \['observable'\]"):
        Dataset.from_table(p)
    p.write_text("# yeastcell-dataset-table: 2\ncondition,time_min,observable,value\nwt,0,A,1\n")
    with pytest.raises(DatasetError, match="newer"):
        Dataset.from_table(p)
    p.write_text("condition,time_min,observable,value,unit\nwt,0,A,1,mM\nwt,1,A,1,uM\n")
    with pytest.raises(DatasetError, match="unit 'uM' here and 'mM' elsewhere"):
        Dataset.from_table(p)


def test_hdf5_format_checks(tmp_path):
    p = small().to_hdf5(tmp_path / "d.h5")
    with h5py.File(p, "a") as f:
        f.attrs["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(DatasetError, match="newer than this yeastcell reads"):
        Dataset.from_hdf5(p)
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.create_dataset("x", data=[1])
    with pytest.raises(DatasetError, match="not a yeastcell dataset"):
        Dataset.from_hdf5(tmp_path / "other.h5")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(DatasetError, match="not an HDF5 file"):
        Dataset.from_hdf5(tmp_path / "junk.h5")
    p = small().to_hdf5(tmp_path / "e.h5")
    with h5py.File(p, "a") as f:
        del f["mask"]
    with pytest.raises(DatasetError, match="'mask' is missing"):
        Dataset.from_hdf5(p)


# ---------------------------------------------------------------------- selection
def test_subset_and_split():
    ds = small()
    sub = ds.subset(conditions=["ko:YAL001W"], observables=["total_cell", "S_c"], time_range=(1.0, 2.5))
    assert sub.shape == (1, 3, 2, 2)
    assert np.array_equal(sub.values, ds.values[1:2, :, 1:3][..., [2, 0]], equal_nan=True)
    assert sub.annotations["orf"] == ("c", "a")
    train, val = ds.split("times", holdout=[10.0])
    assert train.times_min.tolist() == [0.0, 1.0, 2.5] and val.times_min.tolist() == [10.0]
    a, b = ds.split("observables", fraction=0.34, seed=1)
    assert sorted(a.observables + b.observables) == sorted(ds.observables) and len(b.observables) == 1
    with pytest.raises(UnknownNameError, match="did you mean 'wt'"):
        ds.subset(conditions=["WT1"])
    with pytest.raises(DatasetError, match="not a time point"):
        ds.subset(times=[3.0])
    with pytest.raises(DatasetError, match="exactly one"):
        ds.split("times")
    mean = ds.mean_over_replicates()
    manual = np.nanmean(np.where(ds.mask, ds.values, np.nan), axis=1)
    ok = ds.mask.any(axis=1)
    assert np.allclose(mean.values[:, 0][ok], manual[ok], rtol=1e-14)


# ---------------------------------------------------------------------- atomic writes
def test_exception_mid_write_leaves_previous_file(tmp_path, monkeypatch):
    p = small().to_hdf5(tmp_path / "d.h5")
    before = p.read_bytes()
    real = h5py.Group.create_dataset
    calls = []

    def failing(self, name, *a, **kw):
        calls.append(name)
        if name == "values":
            raise OSError("disk full (injected)")
        return real(self, name, *a, **kw)

    monkeypatch.setattr(h5py.Group, "create_dataset", failing)
    with pytest.raises(OSError, match="injected"):
        small(provenance={"source": "new"}).to_hdf5(p)
    monkeypatch.undo()
    assert "values" in calls and p.read_bytes() == before
    assert Dataset.from_hdf5(p).equals(small())
    assert sorted(x.name for x in tmp_path.iterdir()) == ["d.h5"]  # temporary file removed


def test_written_files_get_the_usual_permissions(tmp_path):
    """The temporary file is private (mkstemp, 0600) until renamed; the result gets 0666 & ~umask."""
    old = os.umask(0o022)
    try:
        p = small().to_hdf5(tmp_path / "d.h5")
        csv_path = Path(small().to_table(tmp_path / "d.csv"))
    finally:
        os.umask(old)
    assert p.stat().st_mode & 0o777 == 0o644
    assert csv_path.stat().st_mode & 0o777 == 0o644


def test_sigkill_mid_write_leaves_previous_file(tmp_path):
    p = small().to_hdf5(tmp_path / "d.h5")
    before = p.read_bytes()
    script = textwrap.dedent(f"""
        import sys, time, h5py, numpy as np
        from yeastcell.data import Dataset
        real = h5py.Group.create_dataset
        def slow(self, name, *a, **kw):
            out = real(self, name, *a, **kw)
            if name == "values":
                self.file.flush()
                print("midway", flush=True)
                time.sleep(600)
            return out
        h5py.Group.create_dataset = slow
        v = np.ones((4, 1, 200, 300))
        Dataset(tuple(f"ko:G{{i}}" for i in range(4)), np.arange(200.0), tuple(f"o{{i}}" for i in range(300)),
                v, np.ones(v.shape, bool)).to_hdf5({str(p)!r})
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env={**os.environ, "JAX_PLATFORMS": "cpu"}
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "midway"
        partial = [x for x in tmp_path.iterdir() if x.name != "d.h5"]
        assert len(partial) == 1 and partial[0].stat().st_size > 0  # the write is really under way
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert p.read_bytes() == before
    assert Dataset.from_hdf5(p).equals(small())


# ---------------------------------------------------------------------- malformed input (hypothesis)
CELLS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(
        ["wt", "ko:HXK2", "0", "1.5", "-1", "nan", "inf", "", "s", "min", "h", "days", "ATP_c", "1e400", "2"]
    ),
)
COLS = st.lists(
    st.sampled_from(
        ["condition", "time_min", "time_s", "time", "time_unit", "observable", "value", "replicate", "unit", "extra"]
    ),
    min_size=1,
    max_size=7,
    unique=True,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cols=COLS,
    data=st.data(),
    tsv=st.booleans(),
    header=st.sampled_from(
        [
            "",
            '# transform: "log2fc"\n',
            "# reference: 3\n",
            "# yeastcell-dataset-table: x\n",
            "# provenance: [1]\n",
            "#junk\n",
        ]
    ),
)
def test_hypothesis_malformed_tables_fail_with_library_errors(tmp_path, cols, data, tsv, header):
    n = data.draw(st.integers(0, 5))
    rows = [[data.draw(CELLS) for _ in cols] for _ in range(n)]
    sep = "\t" if tsv else ","
    p = tmp_path / ("t.tsv" if tsv else "t.csv")
    text = header + sep.join(cols) + "\n" + "".join(sep.join(r) + "\n" for r in rows)
    p.write_text(text, encoding="utf-8")
    try:
        ds = Dataset.from_table(p)
    except YeastcellError:
        return
    assert np.isfinite(ds.values[ds.mask]).all() and np.all(np.diff(ds.times_min) > 0)


@settings(max_examples=100, deadline=None)
@given(
    conds=st.lists(st.text(max_size=8), min_size=0, max_size=3),
    obs=st.lists(st.text(max_size=5), min_size=0, max_size=3),
    times=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=3),
    n_rep=st.integers(0, 2),
    fill=st.sampled_from([0.0, np.nan, np.inf]),
    transform=st.text(max_size=7),
    mask_kind=st.sampled_from(["bool", "int", "short"]),
)
def test_hypothesis_malformed_datasets_fail_with_library_errors(conds, obs, times, n_rep, fill, transform, mask_kind):
    shape = (len(conds), n_rep, len(times), len(obs))
    v = np.full(shape, fill)
    m = {"bool": np.ones(shape, bool), "int": np.ones(shape, int), "short": np.ones(shape[:-1], bool)}[mask_kind]
    try:
        ds = Dataset(conds, times, obs, v, m, transform=transform)
    except YeastcellError:
        return
    assert np.isfinite(ds.values[ds.mask]).all()


def test_merge_is_the_union_of_measured_entries():
    ds = small()
    a = ds.subset(conditions=["wt"], time_range=(0.0, 2.5))
    b = ds.subset(conditions=["ko:YAL001W"])
    c = ds.subset(conditions=["wt"], times=[10.0])
    merged = a.merge(b, c)
    assert merged.equals(ds)  # pieces put back together exactly
    with pytest.raises(DatasetError, match=r"measured twice.*'wt', replicate 1"):
        a.merge(ds)
    twice = a.merge(a, replicates="append")
    assert twice.n_replicates == 2 * a.n_replicates
    assert np.array_equal(twice.values[:, a.n_replicates :], a.values, equal_nan=True)
    other_unit = small(units={"S_c": "uM"})
    with pytest.raises(DatasetError, match="unit 'mM' in one dataset and 'uM'"):
        ds.merge(other_unit, replicates="append")
    with pytest.raises(DatasetError, match="transform"):
        ds.merge(small(transform="log2fc", reference="wt"), replicates="append")
    extra = Dataset(
        ("kd:ENZ1=0.3",),
        [5.0],
        ("P_c", "new"),
        np.ones((1, 1, 1, 2)),
        np.ones((1, 1, 1, 2), bool),
        units={"P_c": "mM", "new": "mM"},
        provenance={"source": "round 2"},
    )
    m = ds.merge(extra)
    assert m.shape == (3, 3, 5, 4) and m.times_min.tolist() == [0.0, 1.0, 2.5, 5.0, 10.0]
    assert int(m.mask.sum()) == int(ds.mask.sum()) + 2
    assert m.provenance["source"] == "test | round 2" and m.annotations["orf"] == ("a", "b", "c", "")
