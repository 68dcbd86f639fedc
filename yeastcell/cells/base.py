"""`AbstractCell`: what every compiled cell offers a simulation (names, arrays, rates, right-hand side).

Concrete cells (equinox's abstract/final pattern: abstract classes declare, final classes
implement, nothing concrete is overridden):

- `ConcentrationCell` (`cells/concentration.py`): the native models, concentrations in mM;
- `SbmlCell` (`cells/sbml.py`): models with SBML semantics (amount-based species, rules, events);
- `CorrectedCell` (`cells/corrected.py`): a concentration cell whose rates are corrected by a
  learned residual (`yeastcell.hybrid.HybridCell`) or hidden regulation (`yeastcell.lab.TruthCell`).

Units: concentrations mM, time min, volumes L, fluxes mM/min per reaction compartment volume
(amounts per time for an SBML cell).
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..exceptions import UnknownNameError
from ..spec import ModelSpec


class AbstractCell(eqx.Module):
    """The interface of a compiled cell (see module docstring).

    Attributes (all cells): c0 initial values (n_species,) (mM, or amounts for amount-based SBML
    species), theta parameters (n_theta,), volumes compartment sizes (L), N stoichiometry
    (n_species, n_reactions), and the static names `species_ids`, `reaction_ids`,
    `compartment_ids`, `theta_names`, `genes` (orf, standard name, protein species index or -1),
    `dynamic` (indices of the integrated species), `model_id`, `spec` (the model it was compiled
    from, for exporters and reports; nothing at run time reads it).
    """

    c0: eqx.AbstractVar[jax.Array]
    theta: eqx.AbstractVar[jax.Array]
    volumes: eqx.AbstractVar[jax.Array]
    N: eqx.AbstractVar[jax.Array]
    model_id: eqx.AbstractVar[str]
    species_ids: eqx.AbstractVar[tuple[str, ...]]
    species_compartment: eqx.AbstractVar[tuple[int, ...]]
    species_kind: eqx.AbstractVar[tuple[str, ...]]
    reaction_ids: eqx.AbstractVar[tuple[str, ...]]
    compartment_ids: eqx.AbstractVar[tuple[str, ...]]
    theta_names: eqx.AbstractVar[tuple[str, ...]]
    dynamic: eqx.AbstractVar[tuple[int, ...]]
    genes: eqx.AbstractVar[tuple[tuple[str, str | None, int], ...]]
    spec: eqx.AbstractVar[ModelSpec]

    @abc.abstractmethod
    def fluxes(self, c, t=0.0, rate_scale=None):
        """Reaction rates at full values `c` (n_species,), time `t` (min), per-reaction scales."""

    @abc.abstractmethod
    def rhs(self, t, x, c_full, clamp, rate_scale):
        """d(dynamic species)/dt given the others in `c_full` (mM/min)."""

    @abc.abstractmethod
    def with_theta(self, theta) -> "AbstractCell":
        """The same cell with parameter vector `theta` (n_theta,) in core units (traceable)."""

    @abc.abstractmethod
    def species_values(self, values):
        """Species values (..., n_species) from the solver's saved values (..., n_values)."""

    @abc.abstractmethod
    def saved_fluxes(self, values, t, rate_scale):
        """Fluxes (n_reactions,) at one saved value vector of the solver (n_values,), time `t` (min)."""

    # ---------------------------------------------------------------- names -> indices (concrete)
    @property
    def n_species(self) -> int:
        return len(self.species_ids)

    @property
    def n_reactions(self) -> int:
        return len(self.reaction_ids)

    @property
    def value_ids(self) -> tuple[str, ...] | None:
        """Names of the solver's saved values when they are not the species (SBML cells), else None."""
        return None

    def species_index(self, name: str) -> int:
        """Index of a species id (exact, then case-insensitive). Raises UnknownNameError."""
        return _lookup(self.species_ids, name, "species")

    def reaction_index(self, name: str) -> int:
        """Index of a reaction id (exact, then case-insensitive). Raises UnknownNameError."""
        return _lookup(self.reaction_ids, name, "reaction")

    def gene_index(self, name: str) -> int:
        """Index of a gene given by ORF or standard name, case-insensitively.

        Raises:
            UnknownNameError: with close matches among ORFs and standard names.
        """
        key = name.strip().upper()
        for i, (orf, std, _) in enumerate(self.genes):
            if orf.upper() == key or (std is not None and std.upper() == key):
                return i
        known = [g[0] for g in self.genes] + [g[1] for g in self.genes if g[1]]
        raise UnknownNameError("gene", name, known)

    def gene_label(self, i: int) -> str:
        orf, std, _ = self.genes[i]
        return std or orf

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.model_id!r}: {self.n_species} species, {len(self.dynamic)} dynamic, "
            f"{self.n_reactions} reactions, {len(self.theta_names)} parameters, {len(self.genes)} genes)"
        )


def with_dynamic(dynamic: tuple[int, ...], c_full, x):
    """`c_full` with the dynamic species set to `x` (= ``c_full.at[dyn].set(x)``), as a gather and a
    select: differentiated with constant seeds, the scatter form is constant-folded by XLA at compile
    time (seconds per seed matrix on the whole cell). The one place the dynamic state is written
    back into the full state vector."""
    n = c_full.shape[-1]
    if not dynamic:
        return c_full
    is_dyn = np.zeros(n, dtype=bool)
    is_dyn[list(dynamic)] = True
    slot = np.zeros(n, dtype=int)
    slot[list(dynamic)] = np.arange(len(dynamic))
    return jnp.where(is_dyn, x[..., slot], c_full)


def _lookup(names: tuple[str, ...], name: str, what: str) -> int:
    try:
        return names.index(name)
    except ValueError:
        low = [n.lower() for n in names]
        if name.lower() in low and low.count(name.lower()) == 1:
            return low.index(name.lower())
        raise UnknownNameError(what, name, names) from None
