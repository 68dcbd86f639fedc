"""The file-based lab: plan -> exported files -> filled-in table -> ingested Dataset -> next round."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from yeastcell.data import Dataset
from yeastcell.exceptions import DatasetError, UnknownNameError
from yeastcell.lab import Experiment, FileLab, Lab, MeasurementsPending, Plan, PlanError

OBS = ("ETOH_e", "GLY_e")


def _plan(round_=0):
    exps = (
        Experiment("e1", "wt", "cond:aerobic_batch", (0.0, 10.0, 30.0), replicates=2, cost=1.0),
        Experiment(
            "e2",
            "ko:PDC1,PDC5,PDC6",
            "cond:aerobic_batch",
            (0.0, 30.0),
            replicates=3,
            cost=2.5,
            rationale="largest ensemble disagreement",
        ),
        Experiment.from_condition("e3", "kd:PFK1=0.3+pulse:GLC_e=10@5", (10.0,), replicates=1, cost=1.0),
    )
    return Plan(exps, OBS, round=round_, units={"ETOH_e": "mM", "GLY_e": "mM"})


def _value(cond_idx, t, obs_idx, rep):
    # a value nobody could get by accident at the wrong position
    return 100.0 * cond_idx + t + 0.1 * obs_idx + 0.001 * rep


def _fill(template, out, skip=()):
    """What a person does: copy the template, write a number into every value cell."""
    with open(template) as fh:
        rows = list(csv.DictReader(fh))
    conds = list(dict.fromkeys(r["condition"] for r in rows))
    for r in rows:
        key = (r["condition"], float(r["time_min"]), r["observable"], int(r["replicate"]))
        if key not in skip:
            r["value"] = repr(_value(conds.index(r["condition"]), key[1], OBS.index(key[2]), key[3]))
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return rows


def test_plan_validates_and_round_trips_json(tmp_path):
    plan = _plan()
    assert plan.conditions == (
        "cond:aerobic_batch",
        "ko:PDC1,PDC5,PDC6+cond:aerobic_batch",
        "kd:PFK1=0.3+pulse:GLC_e=10@5",
    )
    assert plan.experiments[2].strain == "kd:PFK1=0.3" and plan.experiments[2].treatment == "pulse:GLC_e=10@5"
    assert plan.total_cost == 4.5 and plan.n_samples == 3 * 2 + 2 * 3 + 1
    assert Plan.from_json(plan.to_json(tmp_path / "p.json")) == plan
    with pytest.raises(PlanError, match="strictly increasing"):
        Experiment("x", "wt", "", (5.0, 1.0))
    with pytest.raises(PlanError, match="belongs in the treatment"):
        Experiment("x", "pulse:GLC_e=1@0", "", (1.0,))
    with pytest.raises(PlanError, match="'e9'.*KIND:ARGS"):
        Experiment("e9", "wt", "GLC_e=1", (1.0,))
    with pytest.raises(PlanError, match="replicates"):
        Experiment("x", "wt", "", (1.0,), replicates=0)
    with pytest.raises(PlanError, match="share the condition"):
        Plan((Experiment("a", "ko:HXK2", "", (1.0,)), Experiment("b", "ko:HXK2", "", (2.0,))), OBS)


def test_plan_check_against_the_core_model(core):
    _plan().check_against(core)
    bad = Plan((Experiment("a", "ko:HXK9", "", (1.0,)),), OBS)
    with pytest.raises(UnknownNameError, match="HXK"):
        bad.check_against(core)
    with pytest.raises(UnknownNameError, match="ETOH_e"):
        Plan((Experiment("a", "wt", "", (1.0,)),), ("ETOH_x",)).check_against(core)


def test_file_lab_round_trip_and_next_round(tmp_path):
    lab = FileLab(tmp_path / "lab", provenance={"lab": "test bench"})
    assert isinstance(lab, Lab)
    plan = _plan()
    with pytest.raises(MeasurementsPending) as pend:
        lab.run(plan)
    d = tmp_path / "lab" / "round_000"
    assert pend.value.path == d / "measurements.csv"
    assert Plan.from_json(d / "plan.json") == plan
    with open(d / "worklist.csv") as fh:
        work = list(csv.DictReader(fh))
    assert len(work) == plan.n_samples
    assert {w["sample_id"] for w in work} == {s for e in plan.experiments for s, _, _ in e.sample_ids()}
    pulse = next(w for w in work if w["experiment_id"] == "e3")
    assert pulse["strain"] == "kd:PFK1=0.3" and pulse["dose"] == "GLC_e +10 mM at 5 min"

    # the lab measures everything except one sample's glycerol
    skipped = ("ko:PDC1,PDC5,PDC6+cond:aerobic_batch", 30.0, "GLY_e", 2)
    rows = _fill(d / "measurements_template.csv", d / "measurements.csv", skip={skipped})
    assert len(rows) == plan.n_samples * len(OBS)
    ds = lab.run(plan)
    assert isinstance(ds, Dataset)
    assert ds.conditions == plan.conditions and ds.observables == OBS
    np.testing.assert_array_equal(ds.times_min, [0.0, 10.0, 30.0])
    assert ds.shape == (3, 3, 3, 2)
    # every planned value is where it belongs; nothing else is measured
    expected = 0
    for ci, e in enumerate(plan.experiments):
        for _, t, r in e.sample_ids():
            for oi, o in enumerate(OBS):
                k = ds.time_index(t)
                if (e.condition, t, o, r) == skipped:
                    assert not ds.mask[ci, r - 1, k, oi]
                    continue
                expected += 1
                assert ds.mask[ci, r - 1, k, oi]
                assert ds.values[ci, r - 1, k, oi] == _value(ci, t, oi, r)
    assert int(ds.mask.sum()) == expected == plan.n_samples * 2 - 1
    assert ds.units == {"ETOH_e": "mM", "GLY_e": "mM"}
    assert ds.provenance["lab"] == "test bench" and len(ds.provenance["sha256"]) == 64

    # the ingested data survive the Dataset's own formats
    assert Dataset.from_hdf5(ds.to_hdf5(tmp_path / "r0.h5")).equals(ds)

    # next round: a new plan built from what was measured goes out as round 1
    top = plan.conditions[int(np.nanargmax(np.nanmean(ds.values[..., 0], axis=(1, 2))))]
    nxt = Plan(
        (Experiment.from_condition("r1-e1", top.replace("kd:PFK1=0.3", "kd:PFK1=0.1"), (10.0, 20.0)),), OBS, round=1
    )
    with pytest.raises(MeasurementsPending):
        lab.run(nxt)
    assert json.loads((tmp_path / "lab" / "round_001" / "plan.json").read_text())["round"] == 1
    # re-exporting round 0 is a no-op; a different plan for round 0 is refused
    lab.export(plan)
    with pytest.raises(PlanError, match="different plan"):
        lab.export(Plan(plan.experiments[:2], OBS, round=0))


def test_ingest_rejects_tables_that_do_not_match_the_plan(tmp_path):
    lab = FileLab(tmp_path)
    plan = _plan()
    paths = lab.export(plan)
    good = tmp_path / "good.csv"
    rows = _fill(paths["template"], good)

    def write(name, rows):
        p = tmp_path / name
        with open(p, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        return p

    typo = [dict(r) for r in rows]
    typo[0]["condition"] = "cond:aerobic_bach"
    with pytest.raises(UnknownNameError, match="did you mean 'cond:aerobic_batch'"):
        lab.ingest(plan, write("typo.csv", typo))
    late = [dict(r) for r in rows]
    late[0]["time_min"] = "11"
    with pytest.raises(DatasetError, match="not a planned time"):
        lab.ingest(plan, write("late.csv", late))
    extra = [dict(r) for r in rows] + [dict(rows[0], replicate="3", sample_id="x")]
    with pytest.raises(DatasetError, match="replicate 3"):
        lab.ingest(plan, write("rep.csv", extra))
    unit = [dict(r, unit="g/L") if r["observable"] == "ETOH_e" else r for r in rows]
    with pytest.raises(DatasetError, match="g/L"):
        lab.ingest(plan, write("unit.csv", unit))
    none = [dict(r, value="") if r["experiment_id"] == "e3" else r for r in rows]
    with pytest.raises(DatasetError, match="'e3'.*no measured value"):
        lab.ingest(plan, write("none.csv", none))
    with pytest.raises(DatasetError, match="empty/NaN"):
        FileLab(tmp_path, missing="error").ingest(plan, write("gap.csv", none))
    assert lab.ingest(plan, good).mask.sum() == plan.n_samples * 2
