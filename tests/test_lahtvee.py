"""Scoring protein directions against steady-state stress proteomics (yeastcell.studies.lahtvee2017)."""

import numpy as np
import pytest

from yeastcell.data import Dataset
from yeastcell.exceptions import DatasetError
from yeastcell.studies.lahtvee2017 import (
    direction_score,
    measured_change,
    nacl_levels,
    protein_map,
    stress_residual,
)


def _dataset(annotations=True):
    # wt, NaCl 0.4 M, heat 36 °C, ethanol 40 g/L; 3 replicates; proteins A (up, replicates agree),
    # B (2-fold on average but replicates overlap), C (1.2-fold: below threshold), D (down)
    conds = ("wt", "cond:nacl_0.4M", "cond:heat_36C", "cond:ethanol_40gL", "cond:nacl_1.4M")
    wt = [[1.0, 1.0, 1.0, 1.0], [1.1, 1.1, 1.1, 1.1], [0.9, 0.9, 0.9, 0.9]]
    nacl = [[2.0, 0.5, 1.2, 0.5], [2.2, 3.5, 1.3, 0.45], [1.8, 2.0, 1.1, 0.55]]
    heat = [[1.5, 1.0, 1.0, 0.5], [1.6, 1.0, 1.0, 0.5], [1.4, 1.0, 1.0, np.nan]]
    etoh = [[3.0, 1.0, 1.0, 1.0], [3.0, 1.0, 1.0, 1.0], [3.0, 1.0, 1.0, 1.0]]
    v = np.array([wt, nacl, heat, etoh, nacl])[:, :, None, :]
    ann = {"orf": ("YA", "YB", "YC", "YD;YE")} if annotations else {}
    return Dataset(conds, np.array([0.0]), ("A", "B", "C", "D"), v, np.isfinite(v), annotations=ann)


def test_measured_change_needs_threshold_and_agreeing_replicates():
    ds = _dataset()
    m = measured_change(ds, ["cond:nacl_0.4M"], ds.observables)
    assert m.log2fc.shape == (1, 4)
    np.testing.assert_allclose(m.log2fc[0, 0], np.log2(2.0))
    np.testing.assert_allclose(m.log2fc[0, 1], np.log2(2.0))
    assert m.changed[0].tolist() == [True, False, False, True]  # B: replicates overlap; C: 1.2-fold
    with pytest.raises(DatasetError, match="threshold"):
        measured_change(ds, ["cond:nacl_0.4M"], ds.observables, threshold=-1.0)


def test_direction_score_counts_small_model_changes_as_no_change():
    ds = _dataset()
    m = measured_change(ds, ["cond:nacl_0.4M"], ds.observables)
    s = direction_score(np.array([[0.5, 0.5, 0.5, -0.05]]), m)
    assert (s.n_changed, s.n_matched) == (2, 1) and s.fraction == 0.5  # D's -0.05 is "no change"
    assert s.per_condition() == [("cond:nacl_0.4M", 1, 2)]
    s = direction_score(np.array([[-0.5, 0.0, 0.0, -0.3]]), m)
    assert s.n_matched == 1  # A goes the wrong way
    with pytest.raises(DatasetError, match="shape"):
        direction_score(np.zeros((2, 4)), m)


def test_stress_residual_is_the_shrunk_mean_change_of_the_training_stresses():
    ds = _dataset()
    train = measured_change(ds, ["cond:heat_36C", "cond:ethanol_40gL"], ds.observables)
    r = stress_residual(train, ridge=1.0)
    y = train.log2fc
    np.testing.assert_allclose(r[0], (y[0, 0] + y[1, 0]) / 3.0)
    np.testing.assert_allclose(stress_residual(train, ridge=0.0)[0], y[:, 0].mean())
    np.testing.assert_allclose(r[1:3], 0.0, atol=1e-12)
    with pytest.raises(DatasetError, match="ridge"):
        stress_residual(train, ridge=-1.0)


def test_nacl_levels_and_protein_map_validation(core):
    ds = _dataset()
    assert nacl_levels(ds) == {"cond:nacl_0.4M": 0.4, "cond:nacl_1.4M": 1.4}
    with pytest.raises(DatasetError, match="orf"):
        protein_map(core, _dataset(annotations=False))
    with pytest.raises(DatasetError, match="no measured protein group"):
        protein_map(core, ds)
    orf = core.genes[0][0]
    ds2 = Dataset(
        ds.conditions,
        ds.times_min,
        ds.observables,
        ds.values,
        ds.mask,
        annotations={"orf": (orf, "YB", f"{orf};{core.genes[1][0]}", "")},
    )
    got = protein_map(core, ds2)
    sp = core.species_ids
    assert got == {"A": (sp[core.genes[0][2]],), "C": (sp[core.genes[0][2]], sp[core.genes[1][2]])}


def test_model_log2fc_sums_every_form_of_a_protein(core):
    from yeastcell.studies.lahtvee2017 import model_log2fc
    from yeastcell.trajectory import Trajectory

    n_sp, n_rx = len(core.species_ids), len(core.reaction_ids)
    conc = np.ones((2, 1, n_sp))
    sp0, sp1 = (core.species_ids[core.genes[k][2]] for k in (0, 1))
    conc[1, 0, core.species_ids.index(sp0)] = 4.0  # lane 1: protein 0 four-fold
    traj = Trajectory(
        np.zeros((2, 1)), conc, np.zeros((2, 1, n_rx)), np.zeros(2, int), core.species_ids, core.reaction_ids
    )
    fc = model_log2fc(core, traj, {"a": (sp0,), "ab": (sp0, sp1)})
    np.testing.assert_allclose(fc[0], 0.0)
    np.testing.assert_allclose(fc[1], [2.0, np.log2(5.0 / 2.0)])
    conc2 = np.concatenate([np.ones((2, 1, n_sp)), conc], axis=1)  # two save times: unchanged, then as above
    traj2 = Trajectory(
        np.zeros((2, 2)), conc2, np.zeros((2, 2, n_rx)), np.zeros(2, int), core.species_ids, core.reaction_ids
    )
    np.testing.assert_allclose(model_log2fc(core, traj2, {"a": (sp0,)}, time_index=0), 0.0)
    np.testing.assert_allclose(model_log2fc(core, traj2, {"a": (sp0,)})[1], 2.0)


@pytest.mark.reference_data
def test_lahtvee2017_groups_map_to_whole_cell_proteins_and_heat_ethanol_train_a_residual(refdata):
    import yeastcell as yc
    from yeastcell.studies import read_lahtvee2017

    ds = read_lahtvee2017(refdata)
    cell = yc.load_cell("yeast_cell")
    mapping = protein_map(cell, ds)
    assert len(mapping) >= 50
    assert mapping["P32485"] == ("Hog1",)  # HOG1's UniProt accession
    assert any(len(sp) == 2 for sp in mapping.values())  # e.g. COX5A;COX5B
    levels = nacl_levels(ds)
    assert list(levels.values()) == sorted(levels.values()) and levels["cond:nacl_0.4M"] == 0.4
    train = measured_change(
        ds, [c for c in ds.conditions if c.startswith(("cond:heat_", "cond:ethanol_"))], tuple(mapping)
    )
    assert train.changed.sum() > 20
    r = stress_residual(train)
    assert np.isfinite(r).all() and np.abs(r).max() > 0.5
