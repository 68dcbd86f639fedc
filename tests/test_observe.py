"""Observation model: observables against analytic solutions and the Trajectory's own accessors,
log2 fold changes, scale/offset, Gaussian log-scale likelihood against scipy, masking, jit/vmap/grad."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

import yeastcell as yc
from yeastcell.data import Dataset
from yeastcell.exceptions import DatasetError, UnknownNameError, YeastcellError
from yeastcell.observe import (
    ObservationModel,
    ObservationParams,
    data_log2,
    gaussian_nll,
    log2fc,
    predict_log2,
    protein_forms,
)

PHOSPHO_CYCLE = """\
format: yeastcell-model/1
model: {id: phospho_cycle, name: phosphorylation cycle}
references:
  test: "Test fixture: a reversible phosphorylation cycle with an analytic solution (not biology)."
compartments:
  - {id: cell, name: cell, volume: {value: 1.0, unit: fL, source: test}}
  - {id: nucleus, name: nucleus, volume: {value: 0.25, unit: fL, source: test}, outside: cell}
species:
  - {id: Hog1, compartment: cell, initial: {value: 1.0, unit: mM}}
  - {id: Hog1_PP, compartment: cell, initial: {value: 0.0, unit: mM}}
  - {id: Pbs2_Hog1, compartment: cell, initial: {value: 0.5, unit: mM}}
  - {id: Pbs2, compartment: cell, initial: {value: 0.2, unit: mM}}
  - {id: Hog1_PP_n, compartment: nucleus, initial: {value: 0.4, unit: mM}}
reactions:
  - id: phos
    stoichiometry: {Hog1: -1, Hog1_PP: 1}
    compartment: cell
    rate_law:
      kind: mass_action
      reversible: true
      parameters:
        kf: {value: 0.3, unit: 1/min, source: test}
        kr: {value: 0.1, unit: 1/min, source: test}
observables:
  - {id: pp_ratio, expression: Hog1_PP / Hog1, unit: dimensionless}
"""
KF, KR = 0.3, 0.1
T = np.linspace(0.0, 20.0, 11)


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    p = tmp_path_factory.mktemp("m") / "cycle.yaml"
    p.write_text(PHOSPHO_CYCLE)
    return yc.load_cell(p)


@pytest.fixture(scope="module")
def cycle_traj(cycle):
    return yc.simulate(cycle, None, T)


def analytic_pp(t):
    """Hog1_PP(t) (mM) of the cycle: Hog1 + Hog1_PP = 1 mM, Hog1_PP(0) = 0."""
    return KF / (KF + KR) * (1.0 - np.exp(-(KF + KR) * t))


def tr_amount(traj):
    """Total Hog1 in mM·fL from the trajectory's own species accessors (cell 1 fL, nucleus 0.25 fL)."""
    return traj.species("Hog1") + traj.species("Hog1_PP") + traj.species("Pbs2_Hog1") + 0.25 * traj.species("Hog1_PP_n")


def test_protein_forms_naming_rule():
    ids = ["Snf1", "Snf1_P", "Bcy1_Tpk1", "Tpk1", "Tpk10", "Mig1_n", "Mig1_P", "Hog1_PP", "Hog1p", "Hog1_PP_n"]
    assert protein_forms(ids, "Snf1") == (["Snf1", "Snf1_P"], ["Snf1_P"])
    assert protein_forms(ids, "Tpk1") == (["Bcy1_Tpk1", "Tpk1"], [])
    assert protein_forms(ids, "Mig1") == (["Mig1_n", "Mig1_P"], ["Mig1_P"])
    assert protein_forms(ids, "Hog1") == (["Hog1_PP", "Hog1_PP_n"], ["Hog1_PP", "Hog1_PP_n"])


def test_observables_match_analytic_solution_and_trajectory(cycle, cycle_traj):
    om = ObservationModel.build(cycle, ["pfrac:Hog1", "total:Hog1", "phospho:Hog1", "pp_ratio", "phos", "Pbs2"])
    y = np.asarray(om.from_trajectory(cycle_traj))
    pp = analytic_pp(T)
    # nuclear Hog1_PP_n (0.4 mM in a nucleus of 1/4 the cell volume) counts 0.1 mM per cell volume
    assert np.allclose(y[:, 2], pp + 0.1, rtol=1e-5, atol=1e-8)  # phospho forms
    assert np.allclose(y[:, 1], 1.6, rtol=1e-10)  # total incl. complex, conserved
    assert np.allclose(y[:, 0], (pp + 0.1) / 1.6, rtol=1e-5, atol=1e-8)  # phospho fraction
    assert np.allclose(y[:, 4], KF * (1 - pp) - KR * pp, rtol=1e-5, atol=1e-8)  # reaction rate
    assert np.allclose(y[1:, 3], cycle_traj.observable("pp_ratio")[1:], rtol=1e-12)
    assert np.allclose(y[:, 5], 0.2)
    assert om.units == ("", "mM", "mM", "dimensionless", "mM/min", "mM")
    # the model's own amount bookkeeping agrees: Hog1 molecules (mM·fL) are conserved
    amount = tr_amount(cycle_traj)
    assert np.allclose(amount, amount[0], rtol=1e-10) and np.allclose(amount, 1.6, rtol=1e-10)
    # jit and vmap give the same numbers
    jy = eqx.filter_jit(lambda m, c, f: m(c, f))(om, cycle_traj.conc, cycle_traj.flux)
    assert np.allclose(jy, y, rtol=1e-14)
    batch = jax.vmap(om)(jnp.stack([cycle_traj.conc] * 3), jnp.stack([cycle_traj.flux] * 3))
    assert batch.shape == (3, 11, 6) and np.allclose(batch[2], y, rtol=1e-14)


def test_two_step_species_and_declared_observable(two_step):
    tr = yc.simulate(two_step, None, T)
    om = ObservationModel.build(two_step, ["S_c", "total_cell", "conv"])
    y = np.asarray(om.from_trajectory(tr))
    assert np.array_equal(y[:, 0], tr.species("S_c"))
    assert np.allclose(y[:, 1], tr.observable("total_cell"), rtol=1e-14)
    assert np.array_equal(y[:, 2], tr.reaction_flux("conv"))


def test_mapping_and_bad_names(cycle):
    om = ObservationModel.build(cycle, ["SGT(ph)LPR-1", "Pbs2"], mapping={"SGT(ph)LPR-1": "phospho:Hog1"})
    assert om.quantities == ("phospho:Hog1", "Pbs2")
    with pytest.raises(UnknownNameError, match=r"'Hgo1'.*did you mean 'Hog1'"):
        ObservationModel.build(cycle, ["total:Hgo1"])
    with pytest.raises(UnknownNameError, match="Hog1_p"):
        ObservationModel.build(cycle, ["Hog1_p"])
    with pytest.raises(UnknownNameError, match="in mapping"):
        ObservationModel.build(cycle, ["A"], mapping={"B": "Hog1"})
    with pytest.raises(YeastcellError, match="no phosphorylated forms"):
        ObservationModel.build(cycle, ["phospho:Pbs2"])
    om = ObservationModel.build(cycle, ["phospho:Pbs2"], phospho_forms={"Pbs2": ["Pbs2_Hog1"]})
    assert np.asarray(om.num)[0, 2] == 1.0
    om = ObservationModel.build(cycle, ["total:Hog1"], forms={"Hog1": ["Hog1", "Hog1_PP_n"]})
    assert np.asarray(om.num)[0, :5].tolist() == [1.0, 0.0, 0.0, 0.0, 0.25]


def test_log2fc_scale_offset():
    y = jnp.array([[1.0, 4.0], [2.0, 1.0], [8.0, 0.5]])
    ref = y[:1]
    assert np.allclose(log2fc(y, ref), [[0, 0], [1, -2], [3, -3]])
    p = ObservationParams.init(2, sigma=0.5)
    assert np.allclose(predict_log2(p, y, "log2fc", y_ref=ref), log2fc(y, ref))
    assert np.allclose(predict_log2(p, y, "raw"), np.log2(np.asarray(y)))
    p2 = eqx.tree_at(lambda q: (q.log2_scale, q.offset), p, (jnp.array([1.0, 0.0]), jnp.array([0.5, 2.0])))
    assert np.allclose(predict_log2(p2, y, "raw"), np.log2(np.asarray(y) * [2.0, 1.0] + [0.5, 2.0]))
    assert np.allclose(predict_log2(p2, y, "log2fc", y_ref=ref), np.asarray(log2fc(y, ref)) * [2, 1] + [0.5, 2.0])
    # a zero prediction is floored, not -inf
    assert np.isfinite(predict_log2(p, jnp.zeros((1, 2)), "raw")).all()
    with pytest.raises(YeastcellError, match="y_ref"):
        predict_log2(p, y, "log2fc")
    with pytest.raises(YeastcellError, match="sigma"):
        ObservationParams.init(2, sigma=0.0)


def test_gaussian_nll_matches_scipy_with_mask_and_finite_gradients():
    rng = np.random.default_rng(3)
    pred = rng.normal(size=(2, 4, 3))
    data = pred[:, None] + rng.normal(scale=0.4, size=(2, 2, 4, 3))
    mask = rng.random(data.shape) > 0.3
    data = np.where(mask, data, np.nan)
    log_sigma = np.log(np.array([0.2, 0.5, 1.3]))
    nll = float(gaussian_nll(pred, data, mask, log_sigma))
    sig = np.broadcast_to(np.exp(log_sigma), data.shape)
    ref = -scipy.stats.norm.logpdf(data, loc=np.broadcast_to(pred[:, None], data.shape), scale=sig)[mask].sum()
    assert nll == pytest.approx(ref, rel=1e-12)
    g = jax.grad(lambda p, s: gaussian_nll(p, data, mask, s), argnums=(0, 1))(jnp.asarray(pred), jnp.asarray(log_sigma))
    assert all(np.isfinite(np.asarray(x)).all() for x in g)
    # gradient vs central finite differences
    eps = 1e-6
    d = np.zeros_like(pred)
    d[1, 2, 0] = eps
    fd = (
        float(gaussian_nll(pred + d, data, mask, log_sigma)) - float(gaussian_nll(pred - d, data, mask, log_sigma))
    ) / (2 * eps)
    assert float(g[0][1, 2, 0]) == pytest.approx(fd, rel=1e-6, abs=1e-8)
    # fully masked -> zero
    assert float(gaussian_nll(pred, data, np.zeros_like(mask), log_sigma)) == 0.0


def test_data_log2_and_end_to_end_likelihood(cycle, cycle_traj):
    om = ObservationModel.build(cycle, ["phospho:Hog1", "total:Hog1"])
    y = om.from_trajectory(cycle_traj)[1:]  # skip t = 0 (phospho form is 0 there)
    vals = np.asarray(y)[None, None] * 2.0**0.25  # data = model, shifted by 0.25 in log2
    ds = Dataset(("wt",), T[1:], ("phospho:Hog1", "total:Hog1"), vals, np.ones(vals.shape, bool))
    d, m = data_log2(ds)
    assert np.allclose(d, np.log2(vals))
    p = ObservationParams.init(2, sigma=1.0)
    nll0 = gaussian_nll(predict_log2(p, y, "raw")[None], d, m, p.log_sigma)
    best = eqx.tree_at(lambda q: q.log2_scale, p, jnp.full(2, 0.25))
    nll1 = gaussian_nll(predict_log2(best, y, "raw")[None], d, m, best.log_sigma)
    assert float(nll1) < float(nll0)
    assert float(nll1) == pytest.approx(m.sum() * 0.5 * np.log(2 * np.pi), rel=1e-9)  # residuals vanish
    bad = vals.copy()
    bad[0, 0, 3, 1] = -1.0
    with pytest.raises(DatasetError, match="<= 0.*'total:Hog1' = -1.0"):
        data_log2(ds.replace(values=bad))
