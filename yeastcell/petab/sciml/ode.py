"""An SBML reaction network (read by `yeastcell.sbml.load`) as JAX functions of the state and of a
parameter dictionary, so that networks can replace parameters inside the right-hand side.

State: the amount of every species (SBML semantics: a species' symbol in formulas is its amount
when ``hasOnlySubstanceUnits`` is true, else its concentration amount/volume); reaction rates are
amounts per time. Supported: reactions with kinetic-law formulas (local parameters included),
constant compartments, boundary and constant species. Rules, initial assignments and events are
refused with a clear error (the hybrid path does not handle them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp

from ..._expr import compile_formula
from .errors import SciMLFormatError


@dataclass(frozen=True)
class MechanisticModel:
    """Species, parameters, compartments and compiled reaction rates of an SBML model.

    Attributes:
        species: species ids, in state order.
        initial: initial amount of each species.
        amount_based: species whose symbol is the amount (else the concentration).
        compartment_of: species id -> compartment id.
        compartments: compartment id -> size.
        parameters: model parameter id -> value (SBML defaults).
        reactions: (stoichiometry vector over `species`, rate function of a symbol mapping).
        frozen: species whose amounts no reaction changes (boundary or constant).
    """

    species: tuple[str, ...]
    initial: Mapping[str, float]
    amount_based: frozenset[str]
    compartment_of: Mapping[str, str]
    compartments: Mapping[str, float]
    parameters: Mapping[str, float]
    reactions: tuple[tuple[tuple[float, ...], Callable[[Mapping[str, Any]], Any]], ...]
    frozen: frozenset[str]

    def symbols(self, y: jax.Array) -> dict[str, jax.Array]:
        """Species symbols (amounts or concentrations) of state `y` (amounts)."""
        out = {}
        for i, s in enumerate(self.species):
            v = y[i]
            out[s] = v if s in self.amount_based else v / self.compartments[self.compartment_of[s]]
        return out

    def rhs(self, y: jax.Array, env: Mapping[str, Any]) -> jax.Array:
        """d amount / dt given the state `y` and `env` (species symbols, parameters, compartments, time)."""
        dy = jnp.zeros_like(y)
        for stoich, rate in self.reactions:
            dy = dy + jnp.asarray(stoich) * rate(env)
        return dy

    def initial_state(self, overrides: Mapping[str, Any]) -> jax.Array:
        """Initial amounts; `overrides` sets species values (amounts or concentrations, per symbol)."""
        vals = []
        for s in self.species:
            if s in overrides:
                v = overrides[s]
                vals.append(v if s in self.amount_based else v * self.compartments[self.compartment_of[s]])
            else:
                vals.append(self.initial[s])
        return jnp.stack([jnp.asarray(v, dtype=jnp.float64) for v in vals])


def load_mechanistic(path: str | Path) -> MechanisticModel:
    """Read an SBML file into a `MechanisticModel`.

    Raises:
        SciMLFormatError: the model uses rules, initial assignments, events or variable
            compartments (not supported in hybrid problems), or a rate law is not a formula.
    """
    from ...sbml import load as sbml_load

    spec = sbml_load(str(path))
    for what, items in (
        ("rules", spec.rules),
        ("initial assignments", spec.initial_assignments),
        ("events", spec.events),
    ):
        if items:
            raise SciMLFormatError(f"{path}: SBML {what} are not supported in PEtab-SciML hybrid problems yet")
    comps = {c.id: float(c.volume_L) for c in spec.compartments}
    if any(not c.constant for c in spec.compartments):
        raise SciMLFormatError(f"{path}: variable compartment sizes are not supported in hybrid problems")
    species = tuple(s.id for s in spec.species)
    initial = {}
    for s in spec.species:
        if s.initial_amount is not None:
            initial[s.id] = float(s.initial_amount)
        else:
            initial[s.id] = float(s.initial_mM) * comps[s.compartment]
    params = {p.id: float(p.value) for p in spec.parameters}
    frozen = frozenset(s.id for s in spec.species if s.constant or s.boundary)
    allowed_base = set(species) | set(params) | set(comps) | {"t", "time"}
    reactions = []
    for r in spec.reactions:
        law = r.rate_law
        if law.kind != "expression" or not law.formula:
            raise SciMLFormatError(
                f"{path}: reaction {r.id} has rate law kind {law.kind!r}; expected a kinetic-law formula"
            )
        local = {k: float(v) for k, v in law.parameters.items()}
        fn = compile_formula(law.formula, allowed_base | set(local))
        stoich = tuple(0.0 if s in frozen else float(r.stoichiometry.get(s, 0.0)) for s in species)
        if r.stoichiometry_ids:
            raise SciMLFormatError(f"{path}: reaction {r.id} has variable stoichiometry (not supported here)")

        def rate(env, fn=fn, local=local):
            return fn({**env, **local}) if local else fn(env)

        reactions.append((stoich, rate))
    return MechanisticModel(
        species=species,
        initial=initial,
        amount_based=frozenset(s.id for s in spec.species if s.amount_based),
        compartment_of={s.id: s.compartment for s in spec.species},
        compartments=comps,
        parameters=params,
        reactions=tuple(reactions),
        frozen=frozen,
    )
