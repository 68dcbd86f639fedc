"""Comparison metrics against scipy.stats and hand-computed values; plots; predict_dataset and the
`yeastcell compare` command on a model compared with its own simulation."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import scipy.stats

import yeastcell as yc
from yeastcell.cli import main
from yeastcell.compare import (
    condition_correlations,
    metrics,
    pearson,
    plot_comparison,
    predict_dataset,
    rankdata,
    spearman,
    summarize,
)
from yeastcell.data import Dataset
from yeastcell.exceptions import DatasetError
from yeastcell.perturb.notation import parse_perturbation


@pytest.mark.parametrize("seed", range(5))
def test_statistics_match_scipy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 40))
    a = rng.integers(0, 6, n).astype(float)  # many ties
    b = a + rng.normal(size=n)
    assert np.array_equal(rankdata(a), scipy.stats.rankdata(a))
    assert pearson(a, b) == pytest.approx(scipy.stats.pearsonr(a, b).statistic, rel=1e-12)
    assert spearman(a, b) == pytest.approx(scipy.stats.spearmanr(a, b).statistic, rel=1e-12)
    assert np.isnan(pearson(np.ones(5), b[:5])) and np.isnan(spearman(a[:2], b[:2]))


def lfc_dataset():
    rng = np.random.default_rng(7)
    v = rng.normal(scale=1.5, size=(2, 3, 6, 4))
    m = rng.random(v.shape) > 0.25
    return Dataset(
        ("wt", "ko:HOG1"),
        np.arange(6.0) * 5,
        ("a", "b", "c", "d"),
        np.where(m, v, np.nan),
        m,
        transform="log2fc",
        reference="wt",
        reference_time_min=0.0,
    )


def test_metrics_on_known_arrays():
    ds = lfc_dataset()
    rng = np.random.default_rng(8)
    pred = np.nanmean(ds.values, axis=1) + rng.normal(scale=0.5, size=(2, 6, 4))
    pred[np.isnan(pred)] = 0.3
    lo, hi = pred - 1.0, pred + 1.0
    tab = metrics(ds, pred, lower=lo, upper=hi, threshold=1.0)
    assert len(tab) == 8
    for _, row in tab.iterrows():
        c, o = ds.condition_index(row["condition"]), ds.observable_index(row["observable"])
        m = ds.mask[c, :, :, o]
        d = ds.values[c, :, :, o]
        p = np.broadcast_to(pred[c, :, o], d.shape)
        assert row["n"] == m.sum()
        assert row["rmse_log2"] == pytest.approx(np.sqrt(np.mean((d[m] - p[m]) ** 2)), rel=1e-12)
        mean = np.array([d[:, k][m[:, k]].mean() if m[:, k].any() else np.nan for k in range(6)])
        ok = np.isfinite(mean)
        assert row["pearson"] == pytest.approx(scipy.stats.pearsonr(mean[ok], pred[c, ok, o]).statistic, rel=1e-10)
        assert row["spearman"] == pytest.approx(scipy.stats.spearmanr(mean[ok], pred[c, ok, o]).statistic, rel=1e-10)
        sig = m & (np.abs(np.nan_to_num(d)) > 1.0)
        assert row["n_direction"] == sig.sum()
        if sig.any():
            assert row["direction_accuracy"] == pytest.approx(np.mean(np.sign(d[sig]) == np.sign(p[sig])))
        assert row["coverage"] == pytest.approx(np.mean(np.abs(d[m] - p[m]) <= 1.0))
    # pooled summary = RMSE over all entries of an observable
    s = summarize(tab, "observable").set_index("observable")
    o = ds.observable_index("c")
    d, m = ds.values[..., o], ds.mask[..., o]
    p = np.broadcast_to(pred[:, None, :, o], d.shape)
    assert s.loc["c", "rmse_log2"] == pytest.approx(np.sqrt(np.mean((d[m] - p[m]) ** 2)), rel=1e-12)
    # correlation across all (time, observable) points of a condition
    cc = condition_correlations(ds, pred).set_index("condition")
    mean = np.nanmean(np.where(ds.mask, ds.values, np.nan), axis=1)
    for c in ds.conditions:
        i = ds.condition_index(c)
        ok = np.isfinite(mean[i])
        assert cc.loc[c, "n_points"] == ok.sum()
        assert cc.loc[c, "pearson"] == pytest.approx(
            scipy.stats.pearsonr(mean[i][ok], pred[i][ok]).statistic, rel=1e-10
        )
        assert cc.loc[c, "spearman"] == pytest.approx(
            scipy.stats.spearmanr(mean[i][ok], pred[i][ok]).statistic, rel=1e-10
        )
    # a perfect prediction of fold changes
    one = ds.subset(replicates=[2])
    exact = metrics(one, one.values[:, 0])
    assert (exact["direction_accuracy"].dropna() == 1.0).all() and (exact["rmse_log2"] == 0).all()
    with pytest.raises(DatasetError, match="shape"):
        metrics(ds, pred[:, :3])
    with pytest.raises(DatasetError, match="both"):
        metrics(ds, pred, lower=lo)


def test_raw_metrics_direction_against_reference_condition():
    t = np.array([0.0, 10.0])
    vals = np.array([[[[1.0, 4.0], [1.0, 4.0]]], [[[2.0, 1.0], [4.0, 1.0]]], [[[1.0, 4.0], [0.5, 8.0]]]])
    ds = Dataset(("wt", "ko:A", "ko:B"), t, ("x", "y"), vals, np.ones(vals.shape, bool))
    pred = np.array([[[1.0, 4.0], [1.0, 4.0]], [[3.0, 2.0], [3.0, 2.0]], [[1.0, 4.0], [2.0, 2.0]]])
    tab = metrics(ds, pred, reference="wt", threshold=0.5).set_index(["condition", "observable"])
    # ko:A: x measured up (1 and 2 log2) and predicted up -> 2/2; y measured down (-2), predicted down (-1) -> 2/2
    assert tab.loc[("ko:A", "x"), "n_direction"] == 2 and tab.loc[("ko:A", "x"), "direction_accuracy"] == 1.0
    assert tab.loc[("ko:A", "y"), "direction_accuracy"] == 1.0
    # ko:B at 10 min: x down (-1) predicted up (+1) -> wrong; y up (+1) predicted down (-1) -> wrong; 0 min no change
    assert tab.loc[("ko:B", "x"), "n_direction"] == 1 and tab.loc[("ko:B", "x"), "direction_accuracy"] == 0.0
    assert tab.loc[("ko:B", "y"), "direction_accuracy"] == 0.0
    assert tab.loc[("wt", "x"), "n_direction"] == 0  # the reference is not scored
    assert tab.loc[("ko:A", "x"), "rmse_log2"] == pytest.approx(np.sqrt(np.mean(np.log2([2 / 3, 4 / 3]) ** 2)))
    neg = vals.copy()
    neg[1, 0, 0, 0] = -1.0
    with pytest.raises(DatasetError, match="> 0"):
        metrics(ds.replace(values=neg), pred)


def test_plots_are_written_atomically(tmp_path, monkeypatch):
    ds = lfc_dataset()
    pred = np.nan_to_num(np.nanmean(ds.values, axis=1))
    png = plot_comparison(ds, tmp_path / "c.png", pred=pred, lower=pred - 1, upper=pred + 1)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = plot_comparison(
        ds,
        tmp_path / "c.pdf",
        sim_times_min=np.linspace(0, 25, 51),
        sim_values=np.zeros((2, 51, 4)),
        observables=["a", "d"],
    )
    assert pdf.read_bytes()[:5] == b"%PDF-"
    before = png.read_bytes()

    def broken(self, *a, **kw):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    with pytest.raises(OSError, match="injected"):
        plot_comparison(ds, png, pred=pred)
    monkeypatch.undo()
    assert png.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["c.pdf", "c.png"]
    with pytest.raises(DatasetError, match="panels"):
        plot_comparison(_many(), tmp_path / "x.png")
    with pytest.raises(DatasetError, match=".png or .pdf"):
        plot_comparison(ds, tmp_path / "x.jpg", pred=pred)


def _many() -> Dataset:
    v = np.ones((9, 1, 2, 8))
    return Dataset(tuple(f"ko:G{i}" for i in range(9)), [0.0, 1.0], tuple(f"o{i}" for i in range(8)), v, v > 0)


def test_model_against_its_own_simulation_and_cli(two_step, tmp_path, capsys):
    t = np.linspace(0.0, 20.0, 9)
    conds = ("wt", "ko:YAL001W", "kd:ENZ1=0.5")
    tr = yc.simulate_batch(two_step, [parse_perturbation(c) for c in conds], t)  # starts at 0 min
    y = np.stack([tr.species("S_c"), tr.species("P_c"), tr.observable("total_cell")], -1)[:, None, 1:]
    m = y > 0
    ds = Dataset(conds, t[1:], ("S_c", "P_c", "total_cell"), np.where(m, y, np.nan), m)
    pred = predict_dataset(two_step, ds, points=9)  # same grid: one compiled program
    assert pred.status == ("ok", "ok", "ok")
    assert np.array_equal(pred.sim_times_min, t)
    assert np.allclose(pred.values[m[:, 0]], y[:, 0][m[:, 0]], rtol=1e-12)
    tab = metrics(ds, pred.values, reference="wt")
    assert tab["rmse_log2"].max() < 1e-5 and tab["pearson"].dropna().min() > 0.999
    assert (tab["direction_accuracy"].dropna() == 1.0).all() and tab["n_direction"].sum() > 0
    # log2 fold change vs the same condition at 2.5 min, the model's own reference time
    k = 0
    with np.errstate(divide="ignore", invalid="ignore"):  # P_c = 0 in the knockout: masked below
        lfc = np.log2(y / y[:, :, k : k + 1])
    ds_fc = Dataset(
        conds,
        t[1:],
        ("S_c", "P_c", "total_cell"),
        np.where(m, lfc, np.nan),
        m & m[:, :, k : k + 1],
        transform="log2fc",
        reference_time_min=float(t[1]),
    )
    fc = predict_dataset(two_step, ds_fc, points=9)
    ok = ds_fc.mask[:, 0]
    assert np.allclose(fc.values[ok], lfc[:, 0][ok], atol=1e-6)
    # the command line: dataset file in, metrics table and plot out
    ds.to_hdf5(tmp_path / "d.h5")
    rc = main(
        [
            "compare",
            "-m",
            str(two_step.spec.path),
            "-d",
            str(tmp_path / "d.h5"),
            "-o",
            str(tmp_path / "m.csv"),
            "--plot",
            str(tmp_path / "p.png"),
            "--reference",
            "wt",
            "--points",
            "9",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "rmse_log2" in out and (tmp_path / "p.png").stat().st_size > 1000
    import pandas as pd

    written = pd.read_csv(tmp_path / "m.csv")
    assert len(written) == 9 and written["rmse_log2"].max() < 1e-5
    # a dataset condition simulated as another perturbation: the knockdown data against overexpression
    rc = main(
        [
            "compare",
            "-m",
            str(two_step.spec.path),
            "-d",
            str(tmp_path / "d.h5"),
            "-o",
            str(tmp_path / "m2.csv"),
            "--as",
            "kd:ENZ1=0.5",
            "oe:ENZ1=2",
            "--points",
            "9",
        ]
    )
    renamed = pd.read_csv(tmp_path / "m2.csv").set_index(["condition", "observable"])
    assert rc == 0 and renamed.loc[("wt", "P_c"), "rmse_log2"] < 1e-5
    assert renamed.loc[("oe:ENZ1=2", "P_c"), "rmse_log2"] > 0.3  # data of 1/2 the enzyme vs a 2-fold model
    rc = main(["compare", "-m", str(two_step.spec.path), "-d", str(tmp_path / "d.h5"), "--observables", "S_cc"])
    assert rc == 2 and "did you mean 'S_c'" in capsys.readouterr().err
