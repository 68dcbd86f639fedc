"""Phases of a simulated batch culture (diauxie): growth rates, glucose exhaustion, lag, ethanol.

Read off one trajectory of a :class:`~yeastcell.dfba.DFBAResult` the figures a lab reports for an
aerobic batch culture on glucose:

* **μ on glucose**: slope of ``ln X`` (biomass, gDW L⁻¹) against time (h) by least squares over
  the exponential glucose phase, the saved points with glucose at or above ``fit_fraction`` of its
  initial value (the end of the phase, where uptake is limited by what is left, is excluded);
* **glucose exhausted**: first saved time with glucose below ``exhausted_fraction`` of its
  initial value (NaN: never);
* **lag** (tangent method, as for growth curves, Zwietering et al. 1990 Appl Environ Microbiol
  56:1875): the ethanol-phase exponential line (``ln X`` fitted over the steps after exhaustion
  whose growth rate is at least ``0.9`` × that phase's maximum, with ethanol still above
  ``fit_fraction`` of its peak) extrapolated back to the biomass at glucose exhaustion; the lag is
  the time from exhaustion to that intersection;
* **ethanol**: peak (mM) and its time, the amount left at the end and the amount consumed
  after the peak.

Units: h, h⁻¹, mM, gDW L⁻¹. Steps whose LP had no optimum carry no growth (they are excluded from
the ethanol-phase maximum).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from yeastcell.dfba import DFBAResult
from yeastcell.exceptions import SimulationInputError

__all__ = ["BatchPhases", "batch_phases"]


@dataclasses.dataclass(frozen=True)
class BatchPhases:
    """Figures of one batch trajectory (NaN where a phase is not reached).

    Attributes:
        mu_glucose_per_h: exponential growth rate on glucose, h⁻¹ (fit of ``ln X``).
        glucose_exhausted_h: time glucose falls below the threshold, h.
        lag_h: diauxic lag (tangent method), h.
        mu_ethanol_per_h: exponential growth rate on ethanol (fit of ``ln X``), h⁻¹.
        ethanol_peak_mM, ethanol_peak_h: highest ethanol and when, mM and h.
        ethanol_final_mM: ethanol at the end, mM.
        ethanol_consumed_mM: peak minus the lowest value after it, mM.
        biomass_final: gDW L⁻¹.
    """

    mu_glucose_per_h: float
    glucose_exhausted_h: float
    lag_h: float
    mu_ethanol_per_h: float
    ethanol_peak_mM: float
    ethanol_peak_h: float
    ethanol_final_mM: float
    ethanol_consumed_mM: float
    biomass_final: float


def _slope(t: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares line ``y = a + b t``: ``(b, a)``; NaN with fewer than 2 points."""
    if t.size < 2:
        return math.nan, math.nan
    b, a = np.polyfit(t, y, 1)
    return float(b), float(a)


def batch_phases(
    result: DFBAResult, k: int = 0, *, fit_fraction: float = 0.1, exhausted_fraction: float = 0.01
) -> BatchPhases:
    """The phases of trajectory ``k`` of a batch culture (module docstring).

    Raises:
        SimulationInputError: ``k`` is not a trajectory of ``result``, or a fraction is not in (0, 1).
    """
    n = result.biomass.shape[0]
    if not (isinstance(k, (int, np.integer)) and 0 <= k < n):
        raise SimulationInputError(f"trajectory {k!r} is not in the result (it has {n})")
    for name, f in (("fit_fraction", fit_fraction), ("exhausted_fraction", exhausted_fraction)):
        if not (0 < f < 1):
            raise SimulationInputError(f"{name} must be in (0, 1), got {f!r}")
    t = np.asarray(result.t)
    X = np.asarray(result.biomass[k])
    G = np.asarray(result.medium["glucose"][k])
    E = np.asarray(result.medium["ethanol"][k])
    lnX = np.log(np.maximum(X, 1e-300))

    on_glc = G >= fit_fraction * G[0]
    mu_g, _ = _slope(t[on_glc], lnX[on_glc])
    gone = np.flatnonzero(G < exhausted_fraction * G[0])
    t_exh = float(t[gone[0]]) if gone.size else math.nan

    i_pk = int(np.argmax(E))
    peak = float(E[i_pk])
    consumed = peak - float(E[i_pk:].min())

    lag = mu_e = math.nan
    if gone.size and peak > 0:
        i0 = int(gone[0])
        mu = np.where(result.step_status[k] == "optimal", result.growth[k], np.nan)
        after = np.arange(i0, mu.size)
        after = after[np.isfinite(mu[after])]
        if after.size:
            top = np.nanmax(mu[after])
            fast = after[(mu[after] >= 0.9 * top) & (E[after] >= fit_fraction * peak)]
            pts = np.union1d(fast, fast + 1)  # saved points bracketing those steps
            mu_e, a = _slope(t[pts], lnX[pts])
            if math.isfinite(mu_e) and mu_e > 0:
                lag = (lnX[i0] - a) / mu_e - t_exh
    return BatchPhases(
        mu_glucose_per_h=mu_g,
        glucose_exhausted_h=t_exh,
        lag_h=float(lag),
        mu_ethanol_per_h=float(mu_e),
        ethanol_peak_mM=peak,
        ethanol_peak_h=float(t[i_pk]),
        ethanol_final_mM=float(E[-1]),
        ethanol_consumed_mM=float(consumed),
        biomass_final=float(X[-1]),
    )
