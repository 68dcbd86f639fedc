"""Local sensitivities through the public API (`yc.sensitivities`): central differences over a batch
of `param:` perturbations agree with forward-mode differentiation of the solve, and with the
analytic sensitivity of a linear pathway."""

from __future__ import annotations

import numpy as np
import pytest

import yeastcell as yc
from yeastcell.exceptions import SimulationInputError, UnknownNameError

T = np.linspace(0.0, 10.0, 11)


def test_finite_differences_match_forward_mode_and_the_analytic_derivative(two_step):
    fd = yc.sensitivities(two_step, None, T, ["conv.kf", "uptake.kf"])
    fwd = yc.sensitivities(two_step, None, T, ["conv.kf", "uptake.kf"], method="forward")
    assert fd.d_conc.shape == (len(T), two_step.n_species, 2)
    np.testing.assert_allclose(fd.d_conc, fwd.d_conc, rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(fd.d_flux, fwd.d_flux, rtol=1e-4, atol=1e-9)
    # conv: S_c -> P_c at rate k S_c; at fixed S_c(t) the flux scales with k, so d v/d ln k = v + k dS_c/d ln k
    k = float(two_step.theta[two_step.theta_names.index("conv.kf")])
    s_c = fd.conc[:, two_step.species_index("S_c")]
    expected = fd.flux[:, two_step.reaction_index("conv")] + k * fd.of_species("S_c")[:, 0]
    np.testing.assert_allclose(fd.of_flux("conv")[:, 0], expected, rtol=1e-5, atol=1e-10)
    assert np.all(fd.of_species("P_c")[1:, 0] > 0) and np.all(s_c[1:] > 0)  # faster conversion, more product
    scaled_c, _ = fd.scaled()
    assert np.isnan(scaled_c[0, two_step.species_index("P_c"), 0])  # P_c = 0 at t = 0: no log scale


def test_bad_sensitivity_requests_fail_clearly(two_step):
    with pytest.raises(UnknownNameError, match="conv.kf"):
        yc.sensitivities(two_step, None, T, ["conv.k"])
    with pytest.raises(SimulationInputError, match="method"):
        yc.sensitivities(two_step, None, T, method="adjoint")
    with pytest.raises(SimulationInputError, match="time points"):
        yc.sensitivities(two_step, None, None)
