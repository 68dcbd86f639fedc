"""ModelSpec: the validated, readable form of a model, in core units (mM, min, L).

Built from a model file by `yeastcell.load_model` (YAML) or `yeastcell.sbml.load` (SBML), and
turned into a simulator by `yeastcell.compile_model`. Plain frozen dataclasses: no arrays, no JAX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

SPECIES_KINDS = ("metabolite", "protein", "complex", "signal")


def _frozen(d: Mapping | None) -> Mapping:
    return MappingProxyType(dict(d or {}))


@dataclass(frozen=True)
class Compartment:
    """A compartment. `volume_L` is the volume of one cell's compartment in litres."""

    id: str
    name: str
    volume_L: float
    outside: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Species:
    """A chemical species. `initial_mM` is the initial concentration in mM.

    `constant` species are clamped (boundary) species: reactions never change them.
    """

    id: str
    name: str
    compartment: str
    initial_mM: float
    kind: str = "metabolite"
    formula: str | None = None
    constant: bool = False
    source: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A model-level parameter in core units (`unit` is the authored unit, for display)."""

    id: str
    value: float
    unit: str = "dimensionless"
    source: str | None = None


@dataclass(frozen=True)
class RateLaw:
    """A rate law: `kind` (see `yeastcell.kinetics.KINDS` or 'expression') and its data.

    `parameters` are in core units, keyed by the kind's parameter names (Haldane-completed).
    `roles` binds named roles (PFK's ATP, AMP, ...) to species ids.
    `formula` is used by the 'expression' kind only (names: species, model and local parameters).
    """

    kind: str
    substrates: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    roles: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    parameters: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    formula: str | None = None
    reversible: bool = True


@dataclass(frozen=True)
class Reaction:
    """A reaction. `stoichiometry` maps species id -> coefficient (negative = consumed).

    Its rate (mM/min) refers to the volume of `compartment`.
    """

    id: str
    name: str
    compartment: str
    stoichiometry: Mapping[str, float]
    rate_law: RateLaw
    gpr: str | None = None
    activators: tuple[str, ...] = ()
    inhibitors: tuple[str, ...] = ()
    balanced: bool = True
    note: str | None = None


@dataclass(frozen=True)
class Gene:
    """A gene: systematic ORF, standard name, and the protein species it encodes (if modelled)."""

    orf: str
    name: str | None = None
    protein: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Observable:
    """A named quantity computed from species (mM), fluxes (mM/min) and parameters."""

    id: str
    expression: str
    name: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Moiety:
    """A conserved moiety claim: the amount-weighted sum of `species` is constant."""

    id: str
    species: Mapping[str, float]


@dataclass(frozen=True)
class ConditionSpec:
    """A named experimental condition shipped with a model: clamps and initial overrides (mM)."""

    id: str
    name: str | None = None
    clamp: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    initial: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    source: str | None = None


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """A whole model, validated, in core units. Names only; `compile_model` makes arrays.

    Compared and hashed by identity, so a compiled `Cell` can carry it as static data.
    """

    id: str
    name: str
    compartments: tuple[Compartment, ...]
    species: tuple[Species, ...]
    reactions: tuple[Reaction, ...]
    parameters: tuple[Parameter, ...] = ()
    genes: tuple[Gene, ...] = ()
    observables: tuple[Observable, ...] = ()
    conserved_moieties: tuple[Moiety, ...] = ()
    conditions: tuple[ConditionSpec, ...] = ()
    references: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    version: str = ""
    description: str = ""
    path: str | None = None

    def species_by_id(self) -> dict[str, Species]:
        return {s.id: s for s in self.species}

    def compartment_by_id(self) -> dict[str, Compartment]:
        return {c.id: c for c in self.compartments}

    def reaction_by_id(self) -> dict[str, Reaction]:
        return {r.id: r for r in self.reactions}
