"""PEtab v2 export (`yeastcell.petab.write_problem`): libpetab validates the written problem, and
libroadrunner, simulating the written SBML with the written conditions and experiment periods, gives
the same log-likelihood as yeastcell's own simulation of the original conditions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import yeastcell as yc
from yeastcell.data import Dataset
from yeastcell.perturb.notation import parse_perturbation
from yeastcell.petab import ExportError, write_problem

T = np.array([0.0, 2.0, 5.0, 10.0, 20.0])
OBS = ("G6P_c", "F16BP_c", "PEP_c", "ETOH_e")
CONDS = (
    "cond:aerobic_batch",
    "cond:aerobic_batch+ko:PDC1,PDC5,PDC6",
    "cond:aerobic_batch+kd:PFK1=0.5",
    "cond:aerobic_batch+pulse:GLC_e=20@4",
)
OPTS = yc.SolverOptions(rtol=1e-10, atol=1e-12)
SIGMA = 0.25


@pytest.fixture(scope="module")
def cell():
    return yc.load_cell("yeast_core")


@pytest.fixture(scope="module")
def sim(cell):
    """yeastcell's simulation of the four conditions, (n_cond, n_t, n_obs) mM."""
    tr = yc.simulate_batch(cell, [parse_perturbation(c) for c in CONDS], T, options=OPTS).raise_if_failed()
    return np.stack([np.asarray(tr.species(o)) for o in OBS], -1)


def _lognormal_llh(m, y, sigma):
    return float(
        np.sum(-0.5 * np.log(2 * np.pi * sigma**2) - np.log(m) - (np.log(m) - np.log(y)) ** 2 / (2 * sigma**2))
    )


def _roadrunner_llh(folder):
    """Log-likelihood of a written problem, simulated by libroadrunner from the written files only."""
    roadrunner = pytest.importorskip("roadrunner")
    meas = pd.read_csv(folder / "measurements.tsv", sep="\t")
    exps = pd.read_csv(folder / "experiments.tsv", sep="\t", keep_default_na=False)
    conds = pd.read_csv(folder / "conditions.tsv", sep="\t")
    obs = pd.read_csv(folder / "observables.tsv", sep="\t").set_index("observableId")
    total = 0.0
    for exp_id, periods in exps.groupby("experimentId"):
        rr = roadrunner.RoadRunner(str(folder / "model.xml"))
        rr.integrator.relative_tolerance = 1e-10
        rr.integrator.absolute_tolerance = 1e-12
        species = set(rr.model.getFloatingSpeciesIds()) | set(rr.model.getBoundarySpeciesIds())
        rows = meas[meas.experimentId == exp_id]
        starts = sorted(periods.time)
        ends = starts[1:] + [float(rows.time.max())]
        state: dict[float, dict[str, float]] = {}
        for start, end, (_, period) in zip(starts, ends, periods.sort_values("time").iterrows()):
            for _, ch in conds[conds.conditionId == period.conditionId].iterrows():
                key = f"[{ch.targetId}]" if ch.targetId in species else ch.targetId
                rr[key] = float(eval(str(ch.targetValue), {}, {ch.targetId: rr[key]}))  # "S + amount" or a value
            grid = sorted({start, end} | {t for t in rows.time if start <= t <= end})
            res = rr.simulate(times=grid)
            for i, t in enumerate(grid):
                state.setdefault(t, {c.strip("[]"): res[c][i] for c in res.colnames if c != "time"})
        for _, row in rows.iterrows():
            name = obs.loc[row.observableId, "observableFormula"]
            sigma = float(obs.loc[row.observableId, "noiseFormula"])
            total += _lognormal_llh(row.measurement, state[row.time][name], sigma)
    return total


def test_written_problem_validates_and_reproduces_the_likelihood(cell, sim, tmp_path):
    import petab.v2

    rng = np.random.default_rng(3)
    data = sim * np.exp(rng.normal(0.0, 0.1, sim.shape))
    measured = sim > 0  # no ethanol in the medium at 0 min
    ds = Dataset(
        CONDS, T, OBS, np.where(measured, data, np.nan)[:, None], measured[:, None], units=dict.fromkeys(OBS, "mM")
    )
    path = write_problem(cell, ds, tmp_path / "problem", parameters=["PFK.Vmax", "HXK.Vmax"], sigma_log2=SIGMA)
    problem = petab.v2.Problem.from_yaml(path)
    assert [str(e) for e in problem.validate() if e.level >= 30] == []
    table = pd.read_csv(path.parent / "conditions.tsv", sep="\t").set_index(["conditionId", "targetId"]).targetValue
    assert float(table["condition_2", "Pdc1"]) == 0.0  # the knockout: its enzyme (a species here) starts at 0
    pfk1 = float(cell.c0[cell.species_ids.index("Pfk1")])
    assert float(table["condition_3", "Pfk1"]) == pytest.approx(0.5 * pfk1)  # the knockdown
    exps = pd.read_csv(path.parent / "experiments.tsv", sep="\t")
    assert (exps.time == 4.0).sum() == 1  # the timed pulse is a second experiment period
    params = pd.read_csv(path.parent / "parameters.tsv", sep="\t")
    assert list(params.parameterId) == ["PFK_Vmax", "HXK_Vmax"]

    expected = _lognormal_llh(data[measured], sim[measured], SIGMA * math.log(2))
    assert _roadrunner_llh(path.parent) == pytest.approx(expected, rel=1e-6)


def test_export_refuses_what_petab_cannot_express(cell, sim, tmp_path):
    sim = sim[:2, :, :3]
    bad = sim.copy()
    bad[0, 1, 0] = -1.0
    ds = Dataset(CONDS[:2], T, OBS[:3], bad[:, None], np.ones(bad[:, None].shape, bool))
    with pytest.raises(ExportError, match="not positive"):
        write_problem(cell, ds, tmp_path / "p1")
    assert not (tmp_path / "p1").exists()
    ok = Dataset(CONDS[:2], T, OBS[:3], sim[:, None], np.ones(sim[:, None].shape, bool))
    (tmp_path / "taken").mkdir()
    with pytest.raises(ExportError, match="exists"):
        write_problem(cell, ok, tmp_path / "taken")
    with pytest.raises(yc.UnknownNameError, match="PFK.Vmx"):
        write_problem(cell, ok, tmp_path / "p2", parameters=["PFK.Vmx"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # nothing half-written
