"""Dynamic FBA (yeastcell.dfba): Yeast-GEM + kinetic core in a batch culture.

Checks: the culture's carbon balance (glucose carbon taken up = carbon of ethanol, glycerol,
acetate, CO2 formed + biomass carbon, within 1 %; biomass carbon per gDW from Yeast-GEM's own
metabolite formulas via an independent HiGHS FBA), the lexicographic secondary objective keeps
the HiGHS growth optimum, an infeasible medium is reported per trajectory (status, no numbers),
bad input errors before any tracing, and (slow) the diauxic shift.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

import yeastcell as yc
from yeastcell.dfba import YEAST_GEM_EXCHANGES, YEAST_GEM_SECRETION, DFBAParameters, run_dfba
from yeastcell.exceptions import SimulationInputError
from yeastcell.gem import Medium, UnknownReactionError, exchange_reactions, optimize

# long checks run only on request (CI runs `pytest -n 2 tests` with every marker)
OPT_IN = pytest.mark.skipif(
    os.environ.get("YEASTCELL_SLOW_TESTS") != "1", reason="long check: set YEASTCELL_SLOW_TESTS=1 to run it"
)


pytestmark = pytest.mark.reference_data


@pytest.fixture(scope="module")
def yeast(refdata):
    from yeastcell.gem import load_gem

    return load_gem(refdata / "yeast-gem" / "yeast-GEM.yml")


@pytest.fixture(scope="module")
def cell():
    return yc.load_cell()


@pytest.fixture(scope="module")
def batch(yeast, cell):
    """A short aerobic batch that goes through the diauxic shift (10 mM glucose, dense inoculum),
    and the model's medium with glucose (the only carbon source) closed."""
    perts = [yc.condition("aerobic_batch"), yc.condition("aerobic_batch")]
    media = [None, Medium(bounds={"r_1714": (0.0, 1000.0)}, close_exchanges=False, name="no carbon")]
    return run_dfba(
        yeast, cell, perts, media=media, initial={"biomass": 0.5, "glucose": 10.0}, t_end_h=SHIFT_T_END_H, dt_h=0.25
    )


SHIFT_T_END_H = 6.0


def _carbon(formula: str) -> int:
    m = re.search(r"C(\d*)(?![a-z])", formula or "")
    return 0 if m is None else int(m.group(1) or 1)


def _biomass_carbon(refdata, yeast):
    """mmol C per gDW of Yeast-GEM biomass: exchange carbon of an FBA optimum / growth."""
    import cobra

    model = cobra.io.load_yaml_model(str(refdata / "yeast-gem" / "yeast-GEM.yml"))
    sol = optimize(yeast)
    c_in = 0.0
    for j, r in enumerate(model.reactions):
        if len(r.metabolites) == 1 and abs(sol.fluxes[j]) > 1e-9:
            ((met, coef),) = r.metabolites.items()
            c_in += coef * sol.fluxes[j] * _carbon(met.formula)  # uptake (v < 0, coef -1) > 0
    return c_in / sol.objective


@pytest.mark.slow  # 40-50 s in CI (2-core run of 2026-12-07); pytest -m slow runs it
def test_carbon_balance_of_the_culture(batch, refdata, yeast):
    k = 0
    assert batch.status[k] == "optimal"
    g, e = batch.medium["glucose"][k], batch.medium["ethanol"][k]
    assert g[-1] < g[0]  # glucose consumed (and ethanol made, then consumed: see the diauxie test)
    c_x = _biomass_carbon(refdata, yeast)
    assert 30 < c_x < 50  # mmol C / gDW: biomass is ~40-48 % carbon by mass
    carbon_in = 6 * (g[0] - g[-1])
    out = (
        2 * (e[-1] - e[0])
        + 3 * batch.medium["glycerol"][k][-1]
        + 2 * batch.medium["acetate"][k][-1]
        + batch.medium["co2"][k][-1]
    )
    biomass = c_x * (batch.biomass[k, -1] - batch.biomass[k, 0])
    assert abs(carbon_in - out - biomass) <= 0.01 * carbon_in, (carbon_in, out, biomass)


def test_growth_equals_highs_at_the_same_bounds(batch, yeast):
    ex = {k: yeast.reaction_ids.index(v) for k, v in YEAST_GEM_EXCHANGES.items()}
    lb, ub = yeast.lb.copy(), yeast.ub.copy()
    for key in ("glucose", "oxygen", "ethanol"):
        lb[ex[key]] = -batch.uptake_bounds[key][0, 0]
    allowed = {yeast.reaction_ids.index(r) for r in YEAST_GEM_SECRETION.values()} | set(ex.values())
    for j in exchange_reactions(yeast):
        if j not in allowed and lb[j] >= 0:
            ub[j] = 0.0
    ref = optimize(yeast.replace(lb=lb, ub=ub)).objective  # plain FBA, no secondary objective
    assert abs(batch.growth[0, 0] - ref) <= 1e-6 * ref


def test_infeasible_medium_reported_per_trajectory(batch):
    assert batch.status[1] == "infeasible" and batch.first_failure_h[1] == 0.0
    assert np.all(batch.step_status[1] == "infeasible")
    assert np.all(batch.growth[1] == 0.0)  # no growth invented
    assert np.all(batch.biomass[1] == batch.biomass[1, 0])
    assert np.isnan(batch.first_failure_h[0])


def test_bad_input(yeast, cell):
    ok = {"initial": {"biomass": 0.1, "glucose": 10.0}, "t_end_h": 1.0}
    wt = [yc.condition("aerobic_batch")]
    with pytest.raises(SimulationInputError, match="glucos"):
        run_dfba(yeast, cell, wt, initial={"biomass": 0.1, "glucos": 10.0}, t_end_h=1.0)
    with pytest.raises(SimulationInputError, match="biomass"):
        run_dfba(yeast, cell, wt, initial={"glucose": 10.0}, t_end_h=1.0)
    with pytest.raises(SimulationInputError, match="dt_h"):
        run_dfba(yeast, cell, wt, dt_h=0.0, **ok)
    with pytest.raises(SimulationInputError, match="media"):
        run_dfba(yeast, cell, wt, media=[None, None], **ok)
    with pytest.raises(SimulationInputError, match="perturbations"):
        run_dfba(yeast, cell, [], **ok)
    with pytest.raises(UnknownReactionError, match="r_9999"):
        run_dfba(yeast, cell, wt, exchanges={**YEAST_GEM_EXCHANGES, "glucose": "r_9999"}, **ok)
    with pytest.raises(SimulationInputError, match="derepression_fold"):
        DFBAParameters(derepression_fold=-1.0)


def _check_diauxie(res, k=0):
    """Phase 1: glucose fermented to ethanol at 0.2-0.4 /h; phase 2 (after glucose exhaustion):
    ethanol taken up, biomass still rising, respiratory growth 0.05-0.2 /h, slower than on glucose.

    Glucose counts as exhausted below 1 % of its start (the kinetic core's facilitated transport
    stops at the intracellular glucose level, ~0.02 mM, not at 0).
    """
    g, e, x = res.medium["glucose"][k], res.medium["ethanol"][k], res.biomass[k]
    gone = g < 0.01 * g[0]
    assert gone.any(), "glucose was not exhausted"
    i_out = int(np.argmax(gone))  # first time point without glucose; steps 0..i_out-1 had it
    assert np.all(np.diff(e[: i_out + 1]) > 0)  # ethanol accumulates while glucose lasts
    assert np.all(res.exchange["ethanol"][k, :i_out] > 0)  # (secreted)
    assert np.all(np.diff(x[: i_out + 1]) > 0)
    mu_glc = res.growth[k, :i_out][g[:i_out] > 2.0]  # glucose-saturated steps
    assert mu_glc.size and np.all((mu_glc > 0.2) & (mu_glc < 0.4)), mu_glc
    assert int(e.argmax()) == i_out  # ethanol peaks when glucose runs out ...
    n_post = int(np.sum(np.cumprod(e[i_out:-1] > 1.0)))  # steps after, while ethanol > 1 mM
    post = slice(i_out, i_out + n_post)
    assert n_post >= 4
    assert e[post.stop] < 0.5 * e[i_out]  # ... and is consumed afterwards,
    assert np.all(res.exchange["ethanol"][k, post] < 0)  # (taken up)
    assert np.all(np.diff(x[post.start : post.stop + 1]) > 0)  # while biomass keeps increasing
    mu_eth = res.growth[k, post]
    assert 0.05 < mu_eth.max() < 0.2, mu_eth  # respiratory growth on ethanol, ~0.1 /h
    assert mu_eth.max() < 0.7 * mu_glc.max()  # slower than on glucose
    assert np.all(res.step_status[k, : post.stop] == "optimal")


def test_diauxic_shift_short_culture(batch):
    _check_diauxie(batch)


@pytest.mark.slow
@OPT_IN
def test_diauxic_shift_example_culture(yeast, cell):
    """The example's culture (1 % glucose, 0.05 gDW/L): the shift, and the carbon balance."""
    res = run_dfba(
        yeast, cell, [yc.condition("aerobic_batch")], initial={"biomass": 0.05, "glucose": 55.5}, t_end_h=30.0, dt_h=0.5
    )
    _check_diauxie(res)
