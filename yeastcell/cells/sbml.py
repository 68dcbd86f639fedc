"""`SbmlCell`: a compiled model with SBML semantics (amount-based species, rules, state events).

Its species values in `c0` are what formulas see (a concentration, or an amount for an amount-based
species); `theta` holds the model parameters, then the reactions' local parameters; fluxes are
amounts per time. The solver integrates the symbols of its `System` and saves the values of all
symbols (compartment sizes, species, parameters: `value_ids`). Built by
`yeastcell.compile.compile_model` for a spec with amount semantics.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._events import EventSystem
from .._rules import System
from ..spec import ModelSpec
from .base import AbstractCell


class SbmlCell(AbstractCell):
    """A compiled SBML-semantics model (see module docstring)."""

    c0: jax.Array
    theta: jax.Array
    volumes: jax.Array
    N: jax.Array
    system: System
    events: EventSystem | None
    model_id: str = eqx.field(static=True)
    species_ids: tuple[str, ...] = eqx.field(static=True)
    species_compartment: tuple[int, ...] = eqx.field(static=True)
    species_kind: tuple[str, ...] = eqx.field(static=True)
    reaction_ids: tuple[str, ...] = eqx.field(static=True)
    compartment_ids: tuple[str, ...] = eqx.field(static=True)
    theta_names: tuple[str, ...] = eqx.field(static=True)
    dynamic: tuple[int, ...] = eqx.field(static=True)
    genes: tuple[tuple[str, str | None, int], ...] = eqx.field(static=True)
    spec: ModelSpec = eqx.field(static=True)

    @property
    def value_ids(self) -> tuple[str, ...]:
        return self.system.names

    def fluxes(self, c, t=0.0, rate_scale=None):
        """Reaction rates (amounts per time) at species values `c`, with parameters and compartment
        sizes at their compiled values (trajectories report the exact fluxes, including event
        changes, through `saved_fluxes`)."""
        sysm = self.system
        y = sysm.y_from(c, self.volumes, self.theta[: sysm.n_param])
        y, env = sysm.apply_rules(y, t, self.theta)
        return sysm.rates(env, self.theta, rate_scale)

    def rhs(self, t, x, c_full, clamp, rate_scale):
        """N_dyn · v of the dynamic species at `c_full` with `x` set (zero for clamped species), as
        for a concentration cell; the solver itself integrates the `System`'s symbols."""
        dyn = jnp.asarray(self.dynamic, dtype=int)
        c = c_full.at[dyn].set(x)
        return jnp.where(clamp[dyn], 0.0, self.N[dyn] @ self.fluxes(c, t, rate_scale))

    def with_theta(self, theta):
        return eqx.tree_at(lambda c: c.theta, self, theta)

    def species_values(self, values):
        return self.system.species_values(values)

    def saved_fluxes(self, values, t, rate_scale):
        sysm = self.system
        return sysm.rates(sysm.env(values, t, self.theta), self.theta, rate_scale)
