"""Local sensitivities of a time course to the model's parameters, through the public API.

`sensitivities(cell, perturbation, t, parameters)` returns ∂x/∂ln θ_k for every species and flux
x at every save time and every chosen parameter θ_k (all of `cell.theta_names` by default), and
the scaled (log–log) coefficients ∂ln x/∂ln θ_k that metabolic control analysis reports.

Two methods:

* ``"fd"`` (default): central differences in ln θ, ``(x(θ_k e^h) − x(θ_k e^−h)) / 2h``; the 2p + 1
  simulations are one batch of `param:` perturbations (`simulate_batch`), so they run on the
  batched solvers and compile once. Truncation error O(h²); solver noise about rtol/h (rtol 1e-8,
  h = 1e-3: ~1e-5 of the sensitivity).
* ``"forward"``: forward-mode differentiation of the solve (`jax.jacfwd`, `diffrax.ForwardMode`):
  the exact derivative of the discretised solution, at the price of compiling the differentiated
  solver (minutes for the 33-species core model on a CPU).

Units: x in mM (species) or mM/min (fluxes), per unit of ln θ (dimensionless).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .batch import simulate_batch
from .exceptions import SimulationInputError, SolverError, UnknownNameError
from .perturb import Perturbation, parameter, resolve
from .perturb.resolver import parameter_index
from .simulate import simulate
from .solvers import SolverOptions, save_times, solve, with_parameters
from .status import describe

METHODS = ("fd", "forward")


@dataclass(frozen=True)
class Sensitivities:
    """∂x/∂ln θ along one time course (see module docstring).

    Attributes:
        parameters: names of the θ_k (entries of `cell.theta_names`).
        t: (n_t,) save times (min).
        species_ids, reaction_ids: names of the rows.
        conc, flux: the nominal time course, (n_t, n_species) mM and (n_t, n_reactions) mM/min.
        d_conc, d_flux: (n_t, n_species, p) and (n_t, n_reactions, p): ∂x/∂ln θ_k.
        method: "fd" or "forward".
    """

    parameters: tuple[str, ...]
    t: np.ndarray
    species_ids: tuple[str, ...]
    reaction_ids: tuple[str, ...]
    conc: np.ndarray
    flux: np.ndarray
    d_conc: np.ndarray
    d_flux: np.ndarray
    method: str

    def scaled(self, floor: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
        """(∂ln c/∂ln θ, ∂ln v/∂ln θ): divided by the nominal value; NaN where |x| < `floor`."""

        def div(d, x):
            return np.where(np.abs(x)[..., None] >= floor, d / np.where(x == 0, 1.0, x)[..., None], np.nan)

        return div(self.d_conc, self.conc), div(self.d_flux, self.flux)

    def of_species(self, name: str) -> np.ndarray:
        """(n_t, p) ∂c/∂ln θ of one species (mM)."""
        return self.d_conc[:, _index(self.species_ids, name, "species"), :]

    def of_flux(self, name: str) -> np.ndarray:
        """(n_t, p) ∂v/∂ln θ of one reaction (mM/min)."""
        return self.d_flux[:, _index(self.reaction_ids, name, "reaction"), :]


def sensitivities(
    cell,
    perturbation: Perturbation | None = None,
    t=None,
    parameters: Sequence[str] | None = None,
    *,
    method: str = "fd",
    step: float = 1e-3,
    options: SolverOptions | None = None,
) -> Sensitivities:
    """Local sensitivities of the time course of `perturbation` to `parameters` (see module docstring).

    Raises:
        SimulationInputError: bad method, step or times; a parameter that is zero (no log scale).
        UnknownNameError: an unknown parameter (close matches listed).
        SolverError: the nominal or a perturbed solve failed (named).
    """
    if method not in METHODS:
        raise SimulationInputError(f"method must be one of {METHODS}, got {method!r}")
    if not (np.isfinite(step) and 0 < step < 0.5):
        raise SimulationInputError(f"step must be in (0, 0.5) (ln units), got {step!r}")
    if t is None:
        raise SimulationInputError("sensitivities need time points t (min)")
    ts = save_times(t)
    names = tuple(cell.theta_names) if parameters is None else tuple(parameters)
    idx = [parameter_index(cell, n) for n in names]
    names = tuple(cell.theta_names[i] for i in idx)
    zero = [n for n, i in zip(names, idx) if float(cell.theta[i]) == 0.0]
    if zero:
        raise SimulationInputError(f"parameters at 0 have no log scale: {', '.join(zero)}")
    options = options or SolverOptions(rtol=1e-8, atol=1e-12)
    nominal = simulate(cell, perturbation, ts, options=options)
    nominal.raise_if_failed()
    conc, flux = np.asarray(nominal.conc), np.asarray(nominal.flux)
    if method == "fd":
        d_conc, d_flux = _central_differences(cell, perturbation, ts, names, step, options)
    else:
        d_conc, d_flux = _forward(cell, perturbation, ts, idx, options)
    return Sensitivities(
        names,
        np.asarray(ts),
        tuple(cell.species_ids),
        tuple(cell.reaction_ids),
        conc,
        flux,
        d_conc,
        d_flux,
        method,
    )


def _central_differences(cell, perturbation, ts, names, step, options):
    lanes = []
    for n in names:
        for sign in (1.0, -1.0):
            change = parameter(n, factor=float(np.exp(sign * step)))
            lanes.append(change if perturbation is None else perturbation + change)
    batch = simulate_batch(cell, lanes, ts, options=options)
    bad = np.nonzero(~np.asarray(batch.ok))[0]
    if bad.size:
        k = int(bad[0])
        raise SolverError(
            f"{bad.size} perturbed solves failed, e.g. {names[k // 2]} × e^{'+' if k % 2 == 0 else '-'}{step:g}: "
            f"{describe(int(np.asarray(batch.status)[k]))}"
        )
    conc = np.asarray(batch.conc).reshape(len(names), 2, *batch.conc.shape[1:])
    flux = np.asarray(batch.flux).reshape(len(names), 2, *batch.flux.shape[1:])
    d_conc = (conc[:, 0] - conc[:, 1]) / (2 * step)
    d_flux = (flux[:, 0] - flux[:, 1]) / (2 * step)
    return np.moveaxis(d_conc, 0, -1), np.moveaxis(d_flux, 0, -1)


def _forward(cell, perturbation, ts, idx, options):
    cond = resolve(cell, perturbation)
    fwd = _with_forward_adjoint(options)
    sel = np.zeros((cell.theta.shape[0], len(idx)))
    sel[np.asarray(idx), np.arange(len(idx))] = 1.0

    @jax.jit
    def outputs(u):
        lane = with_parameters(cell, cond)
        lane = lane.with_theta(lane.theta * jnp.exp(jnp.asarray(sel) @ u))
        values, _ = solve(lane, cond, ts, fwd)
        species = lane.species_values(values)
        fluxes = jax.vmap(lane.saved_fluxes, in_axes=(0, 0, None))(values, ts, cond.rate_scale)
        return species, fluxes

    d_conc, d_flux = jax.jacfwd(outputs)(jnp.zeros(len(idx)))
    return np.asarray(d_conc), np.asarray(d_flux)


def _with_forward_adjoint(options: SolverOptions) -> SolverOptions:
    import diffrax

    return dataclasses.replace(options, adjoint=diffrax.ForwardMode())


def _index(names: tuple[str, ...], name: str, what: str) -> int:
    if name not in names:
        raise UnknownNameError(what, name, names)
    return names.index(name)
