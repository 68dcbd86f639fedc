"""Virtual lab: reproducible, measurement noise and missingness as specified, hidden changes invisible
to the learner's model but visible in the data."""

from __future__ import annotations

import numpy as np
import pytest

import yeastcell as yc
from yeastcell.exceptions import SimulationInputError, UnknownNameError
from yeastcell.lab import HiddenRegulation, Lab, MeasurementModel, VirtualLab, hidden_truth

T = np.linspace(0.0, 10.0, 11)


def test_reproducible_and_seed_dependent(two_step):
    m = MeasurementModel(sigma_log=0.1, n_replicates=3)
    a = VirtualLab(two_step, ["S_c", "P_c"], seed=4, measurement=m).run(["wt", "kd:ENZ1=0.3"], T)
    b = VirtualLab(two_step, ["S_c", "P_c"], seed=4, measurement=m).run(["wt", "kd:ENZ1=0.3"], T)
    c = VirtualLab(two_step, ["S_c", "P_c"], seed=5, measurement=m).run(["wt", "kd:ENZ1=0.3"], T)
    assert a.equals(b)
    assert not np.allclose(np.nan_to_num(a.values), np.nan_to_num(c.values))
    assert a.conditions == ("wt", "kd:ENZ1=0.3") and a.shape == (2, 3, 11, 2)
    assert isinstance(VirtualLab(two_step, ["S_c"]), Lab) or hasattr(VirtualLab, "run")


def test_noise_batches_and_missing_values_follow_the_measurement_model(two_step):
    lab = VirtualLab(
        two_step,
        ["S_c", "P_c", "S_e"],
        seed=1,
        measurement=MeasurementModel(
            sigma_log=0.2,
            n_replicates=40,
            n_batches=1,
            batch_sd_log=0.0,
            lod_mM=1e-3,
            width_dex=0.1,
            p_random_missing=0.0,
        ),
    )
    ds = lab.run(["wt"], T)
    _, _, y, status = lab.true_observables(["wt"], T)
    assert status[0] == 0
    logres = np.log(ds.values[0]) - np.log(y[0])[None]
    sd = np.nanstd(logres)
    assert sd == pytest.approx(0.2, rel=0.1)  # log-normal noise with the stated sigma
    assert abs(np.nanmean(logres)) < 0.02
    # intensity-dependent missingness: at t = 0, P_c = 0 (below any detection limit): all missing;
    # S_e (~2 mM, far above the 1e-3 mM limit): all measured
    assert not ds.mask[0, :, 0, 1].any()
    assert ds.mask[0, :, :, 2].all()
    # values near the detection limit go missing about half the time
    p = lab.measurement.p_missing(np.array([1e-3, 1e-1, 1e-5]))
    np.testing.assert_allclose(p, [0.5, 0.0, 1.0], atol=1e-6)


def test_batch_offsets_shift_replicates_consistently(two_step):
    m = MeasurementModel(sigma_log=0.0, n_replicates=2, n_batches=2, batch_sd_log=0.3, p_random_missing=0.0)
    lab = VirtualLab(two_step, ["S_e"], seed=2, measurement=m)
    ds = lab.run(["wt", "kd:ENZ1=0.5"], T)
    ratio = np.log(ds.values[:, 1]) - np.log(ds.values[:, 0])  # batch 1 minus batch 0, per observable
    assert np.allclose(ratio, ratio[0, 0]) and abs(ratio[0, 0]) > 1e-3


@pytest.mark.slow  # unverified: an inhibition variant drove the truth to MAX_STEPS (see report)
def test_hidden_changes_are_seen_in_data_not_in_the_model(core):
    reg = HiddenRegulation("GPD", "F16BP_c", K_mM=5.0, n=1.0, kind="activate", fold=3.0)
    truth = hidden_truth(core, [reg], parameter_changes={"GLT.Vmax": 0.9})
    assert truth.theta_names == core.theta_names  # the learner-facing interface is unchanged
    # normalised: at the reference state the hidden factor is exactly 1
    f_ref = np.asarray(truth.factors(core.c0))
    assert f_ref[core.reaction_index("GPD")] == pytest.approx(1.0)
    assert np.all(np.delete(f_ref, core.reaction_index("GPD")) == 1.0)
    lab = VirtualLab(truth, ["GLY_e", "GLC_e"], base="cond:teusink2000", seed=0)
    _, _, y_true, st = lab.true_observables(["wt"], [0.0, 2.0, 5.0])
    model = yc.simulate(core, yc.condition("teusink2000"), [0.0, 2.0, 5.0]).raise_if_failed()
    assert st[0] == 0
    assert not np.allclose(y_true[0, -1, 1], model.species("GLC_e")[-1], rtol=1e-3)
    ds = lab.run(["wt"], [0.0, 2.0, 5.0])
    assert ds.conditions == ("cond:teusink2000",) and ds.provenance["failed_conditions"] == ""


def test_bad_lab_input_is_named(two_step, core):
    with pytest.raises(UnknownNameError, match="S_cc"):
        VirtualLab(two_step, ["S_cc"])
    with pytest.raises(UnknownNameError, match="GPDD"):
        hidden_truth(core, [HiddenRegulation("GPDD", "F16BP_c", 1.0)])
    with pytest.raises(SimulationInputError, match="K_mM"):
        HiddenRegulation("GPD", "F16BP_c", -1.0)
    with pytest.raises(SimulationInputError):
        MeasurementModel(sigma_log=-0.1)
    with pytest.raises(SimulationInputError, match="notation"):
        VirtualLab(two_step, ["S_c"]).run([3], T)


def test_a_labelled_repeat_is_the_same_perturbation_measured_again(two_step):
    from yeastcell.perturb.notation import parse_perturbation, perturbation_key

    assert perturbation_key("kd:ENZ1=0.3#2") == "kd:ENZ1=0.3"
    assert perturbation_key("kd:ENZ1=0.3#b+set:S_e=4") == "kd:ENZ1=0.3+set:S_e=4"
    assert parse_perturbation("kd:ENZ1=0.3#2") == parse_perturbation("kd:ENZ1=0.3")
    lab = VirtualLab(two_step, ["S_c", "P_c"], seed=3, measurement=MeasurementModel(sigma_log=0.1, n_replicates=2))
    _, _, y, _ = lab.true_observables(["kd:ENZ1=0.3", "kd:ENZ1=0.3#2"], T)
    np.testing.assert_array_equal(y[0], y[1])  # same truth ...
    d = lab.run(["kd:ENZ1=0.3", "kd:ENZ1=0.3#2"], T)
    assert d.conditions == ("kd:ENZ1=0.3", "kd:ENZ1=0.3#2")
    assert not np.allclose(d.values[0], d.values[1])  # ... independent measurements


def test_a_lab_whose_truth_fails_raises_instead_of_returning_missing_data(two_step):
    """The truth failing on every condition (here: a step limit it cannot meet) is a SolverError naming
    the conditions and the failure, not an all-NaN dataset that fails later as 'no measured values'."""
    lab = VirtualLab(two_step, ["S_c"], options=yc.SolverOptions(max_steps=2))
    with pytest.raises(yc.SolverError, match=r"failed to solve every condition(.|\n)*kd:ENZ1=0\.5: MAX_STEPS"):
        lab.run(["wt", "kd:ENZ1=0.5"], T)


def test_hidden_regulation_is_normalised_at_the_reference_steady_state(two_step):
    """reference=<base>: the factor is 1 at the base's steady state (all substrate converted to P_c),
    not at the initial state, which is far from it."""
    reg = HiddenRegulation("uptake", "P_c", K_mM=1.0, n=2.0, kind="inhibit")
    truth = hidden_truth(two_step, [reg], reference="wt")
    ss = yc.steady_state(two_step).raise_if_failed()
    j = two_step.reaction_index("uptake")
    assert np.asarray(truth.factors(ss.conc))[j] == pytest.approx(1.0)
    assert np.asarray(truth.factors(two_step.c0))[j] > 10.0  # P_c = 0 there: no inhibition left to remove
    plain = hidden_truth(two_step, [reg])
    assert np.asarray(plain.factors(two_step.c0))[j] == pytest.approx(1.0)
