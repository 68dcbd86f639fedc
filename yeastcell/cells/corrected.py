"""`CorrectedCell`: a concentration cell whose reaction rates are multiplied by correction factors
and whose dynamic species may get additive terms — the one wrapper for learned residuals
(`yeastcell.hybrid.HybridCell`) and a virtual lab's hidden truth (`yeastcell.lab.TruthCell`).

The wrapper exposes the wrapped cell's names and arrays explicitly (no attribute forwarding by
``__getattr__``); a concrete correction implements `rate_factors` and `species_additions`. Units:
factors are dimensionless, additions mM/min.
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

from .base import AbstractCell, with_dynamic
from .concentration import ConcentrationCell


class CorrectedCell(AbstractCell):
    """A `ConcentrationCell` with multiplicative rate corrections and additive species terms.

    ``v = cell.fluxes(c) ⊙ rate_factors(c)``;
    ``dx/dt = N_dyn · v + species_additions(c)`` (clamped species stay at zero change).
    """

    cell: eqx.AbstractVar[ConcentrationCell]

    @abc.abstractmethod
    def rate_factors(self, c) -> jax.Array | None:
        """Per-reaction rate multipliers (n_reactions,) at full concentrations `c` (mM), or None."""

    @abc.abstractmethod
    def species_additions(self, c) -> jax.Array | None:
        """Additive terms (n_dynamic,) mM/min at full concentrations `c` (mM), or None."""

    # ------------------------------------------------------------------ dynamics (concrete)
    def fluxes(self, c, t=0.0, rate_scale=None):
        """Corrected reaction rates (mM/min)."""
        v = self.cell.fluxes(c, t, rate_scale)
        f = self.rate_factors(c)
        return v if f is None else v * f

    def rhs(self, t, x, c_full, clamp, rate_scale):
        """dx/dt (mM/min) of the dynamic species with corrected rates plus the additive terms."""
        dyn = jnp.asarray(self.cell.dynamic)
        c = with_dynamic(self.cell.dynamic, c_full, x)
        dx = self.cell.dynamic_change(self.fluxes(c, t, rate_scale))
        add = self.species_additions(c)
        if add is not None:
            dx = dx + add
        return jnp.where(clamp[dyn], 0.0, dx)

    def with_theta(self, theta):
        """The corrected cell around the wrapped cell with parameters `theta` (the correction's own
        parameters, e.g. network weights, are unchanged)."""
        return eqx.tree_at(lambda c: c.cell.theta, self, theta)

    def species_values(self, values):
        return values

    def saved_fluxes(self, values, t, rate_scale):
        return self.fluxes(values, t, rate_scale)

    # ------------------------------------------------------------------ the wrapped cell's data
    # The ignores below: equinox declares AbstractVar[T] as a dataclass field to type
    # checkers, so mypy rejects a property implementing it (equinox issue #882); valid at run time.
    @property  # type: ignore[misc]
    def c0(self):
        return self.cell.c0

    @property  # type: ignore[misc]
    def theta(self):
        return self.cell.theta

    @property  # type: ignore[misc]
    def volumes(self):
        return self.cell.volumes

    @property  # type: ignore[misc]
    def N(self):
        return self.cell.N

    @property  # type: ignore[misc]
    def model_id(self):
        return self.cell.model_id

    @property  # type: ignore[misc]
    def species_ids(self):
        return self.cell.species_ids

    @property  # type: ignore[misc]
    def species_compartment(self):
        return self.cell.species_compartment

    @property  # type: ignore[misc]
    def species_kind(self):
        return self.cell.species_kind

    @property  # type: ignore[misc]
    def reaction_ids(self):
        return self.cell.reaction_ids

    @property  # type: ignore[misc]
    def compartment_ids(self):
        return self.cell.compartment_ids

    @property  # type: ignore[misc]
    def theta_names(self):
        return self.cell.theta_names

    @property  # type: ignore[misc]
    def dynamic(self):
        return self.cell.dynamic

    @property  # type: ignore[misc]
    def genes(self):
        return self.cell.genes

    @property  # type: ignore[misc]
    def spec(self):
        return self.cell.spec

    @property
    def expressed(self):
        return self.cell.expressed

    @property
    def enzyme_clauses(self):
        return self.cell.enzyme_clauses

    @property
    def proteome(self):
        return self.cell.proteome
