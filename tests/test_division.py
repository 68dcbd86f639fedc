"""Cell division (yeastcell.division): the Tyson 2001 cell cycle divides with a period set by growth.

Checks: in balanced growth the division period is ln 2 / μ_eff, so period × μ / ln 2 is the same
at every growth rate (1.06-1.08 measured: the model's logistic mass growth, see the module
docstring), and 90 ± 20 min at μ = 0.45 /h (issue 26); the mass halves at each division; bad input.
The 1000-cell `simulate_batch` is `benchmarks/bench_division.py` (minutes), not a CI test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import yeastcell as yc
from yeastcell.division import cell_growth, division_periods, division_times, load_cell_cycle
from yeastcell.exceptions import SimulationInputError

pytestmark = pytest.mark.reference_data

MUS = (0.3, 0.45, 0.6)  # h^-1


@pytest.fixture(scope="module")
def cells(refdata):
    cell = load_cell_cycle(refdata / "sbml" / "biomodels" / "BIOMD0000000195_tyson2001.xml")
    t = np.arange(0.0, 801.0, 1.0)  # min
    traj = yc.simulate_batch(cell, [cell_growth(m) for m in MUS], t, options=yc.SolverOptions(negative_tol=None))
    return cell, traj


@pytest.mark.slow  # ~25 s (event-located solve compiled for 3 lanes), 2-core machine 2026-12-07
def test_period_tracks_growth(cells):
    _, traj = cells
    periods = division_periods(traj)
    ratio = periods * np.array(MUS) / 60.0 / math.log(2.0)
    assert np.all(np.isfinite(periods))
    assert np.all((ratio > 1.0) & (ratio < 1.15)), ratio  # balanced growth: period ~ ln2/μ
    assert np.ptp(ratio) < 0.03, ratio  # the same law at every μ
    assert abs(periods[1] - 90.0) <= 20.0, periods  # issue 26: 90 ± 20 min at 0.45 /h
    m = traj.species("m")
    t = np.broadcast_to(np.asarray(traj.t), m.shape)
    for k, td in enumerate(division_times(traj)):
        assert td.size >= 4
        i = np.searchsorted(t[k], td)
        assert np.allclose(m[k, i] / m[k, i - 1], 0.5, atol=0.03)  # mass halves (grid: 1 min)


def test_bad_input(refdata, tmp_path):
    with pytest.raises(SimulationInputError, match="growth rate"):
        cell_growth(-0.1)
    with pytest.raises(SimulationInputError, match="growth rate"):
        cell_growth(float("nan"))
    with pytest.raises(FileNotFoundError, match="cell-cycle model not found"):
        load_cell_cycle(tmp_path / "missing.xml")
    teusink = refdata / "sbml" / "biomodels" / "BIOMD0000000064_teusink2000.xml"
    with pytest.raises(SimulationInputError, match="mass species"):
        load_cell_cycle(teusink)
