"""ModelSpec: the validated, readable form of a model, in core units (mM, min, L).

Built from a model file by `yeastcell.load_model` (YAML) or `yeastcell.sbml.load` (SBML), and
turned into a simulator by `yeastcell.compile_model`. Plain frozen dataclasses: no arrays, no JAX.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

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
    constant: bool = True  # False: the size may change (rules, events)
    dimensions: float = 3.0


@dataclass(frozen=True)
class Species:
    """A chemical species. `initial_mM` is the initial concentration in mM.

    `constant` species are clamped (boundary) species: reactions never change them.

    SBML semantics (all optional): `amount_based` (SBML hasOnlySubstanceUnits: the species' value in
    formulas and outputs is its amount, not its concentration); `boundary` (SBML boundaryCondition:
    reactions do not change it, rules and events may); `initial_amount` (when given, the initial
    value is this amount and `initial_mM` is ignored); `conversion_factor` (a parameter id that
    multiplies every reaction's contribution to the species).
    """

    id: str
    name: str
    compartment: str
    initial_mM: float
    kind: str = "metabolite"
    formula: str | None = None
    constant: bool = False
    source: str | None = None
    amount_based: bool = False
    boundary: bool = False
    initial_amount: float | None = None
    conversion_factor: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A model-level parameter in core units (`unit` is the authored unit, for display)."""

    id: str
    value: float
    unit: str = "dimensionless"
    source: str | None = None
    constant: bool = True  # False: rules or events may change it


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
    dilution: str | None = None  # 'turnover' kind: id of the growth-rate parameter (1/min), or None


@dataclass(frozen=True)
class Reaction:
    """A reaction. `stoichiometry` maps species id -> coefficient (negative = consumed).

    Its rate (mM/min) refers to the volume of `compartment`; with ``rate_basis="amount"`` (SBML
    kinetic laws) the rate is an amount per time and `compartment` is informative only.
    `stoichiometry_ids` maps a species to a symbol (a `Parameter` id, e.g. an SBML speciesReference
    id) whose current value is the (unsigned) coefficient: variable stoichiometry.
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
    rate_basis: str = "concentration"
    stoichiometry_ids: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    # a lumped pathway: the top-level ``and`` terms of `gpr` are its sequential steps, whose
    # capacities combine in series (`yeastcell.gpr.step_terms`), not the subunits of one complex
    lumped: bool = False


@dataclass(frozen=True)
class Gene:
    """A gene: systematic ORF, standard name, and the protein species it encodes (if modelled)."""

    orf: str
    name: str | None = None
    protein: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Expression:
    """Proteome-layer entry of one gene (the `expression:` section, docs/model_format.md).

    `synthesis` is the id of the reaction that makes `protein` (kind 'synthesis': basal rate times
    transcription-factor Hill factors); `turnover` the ids of the reactions that degrade and dilute
    the protein and each of its other `forms` (phosphorylated, nuclear, ...; kind 'turnover').
    """

    gene: str
    protein: str
    forms: tuple[str, ...] = ()
    synthesis: str = ""
    turnover: tuple[str, ...] = ()


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
    """A named experimental condition shipped with a model: clamps and initial overrides (mM), and
    `scale`: dimensionless factors on parameters for this condition (``{"RESP.Vmax": 2.0}``: a
    global parameter id or ``REACTION.NAME`` of a rate-law parameter), e.g. a capacity that differs
    between growth conditions."""

    id: str
    name: str | None = None
    clamp: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    initial: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    source: str | None = None
    scale: Mapping[str, float] = field(default_factory=lambda: _frozen({}))


@dataclass(frozen=True)
class Rule:
    """An SBML-style rule: ``kind="assignment"`` (variable = formula at all times), ``"rate"``
    (d variable / dt = formula) or ``"algebraic"`` (0 = formula; the compiler infers the symbol it
    determines, preferring the ids listed in `variable`, space-separated, usually ""). `variable` is a species, compartment or parameter id."""

    variable: str
    formula: str
    kind: str = "assignment"


@dataclass(frozen=True)
class InitialAssignment:
    """variable = formula at the start time (evaluated once, at compile time)."""

    variable: str
    formula: str


@dataclass(frozen=True)
class StateEvent:
    """A state-triggered event (SBML event, optionally delayed).

    Fires when `trigger` (a boolean formula) goes from false to true. `assignments` are
    (variable, formula) pairs. `initial_value` is the trigger's value assumed just before the start
    time; a non-`persistent` event whose trigger turns false before it executes is dropped;
    `use_trigger_time_values` evaluates the assignments when the event triggers (else when it
    executes); among simultaneous events the higher `priority` (a formula) executes first.
    """

    id: str
    trigger: str
    assignments: tuple[tuple[str, str], ...]
    initial_value: bool = True
    persistent: bool = True
    use_trigger_time_values: bool = True
    priority: str | None = None
    delay: str | None = None  # formula: time from trigger to execution (evaluated at trigger time)


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
    rules: tuple[Rule, ...] = ()
    initial_assignments: tuple[InitialAssignment, ...] = ()
    events: tuple[StateEvent, ...] = ()
    units: Mapping[str, str] = field(default_factory=lambda: _frozen({}))  # e.g. SBML model units
    annotations: Mapping[str, object] = field(default_factory=lambda: _frozen({}))
    semantics: str = "yeastcell"  # "sbml": species amounts, amount rates, rules (see _rules.py)
    expression: tuple[Expression, ...] = ()  # proteome layer (synthesis/turnover reactions per gene)

    @property
    def uses_amount_semantics(self) -> bool:
        """True when the spec needs the general (SBML-style) simulator: amount-based reaction
        rates, rules, initial assignments, state events or varying compartments."""
        return bool(
            self.semantics == "sbml"
            or self.rules
            or self.initial_assignments
            or self.events
            or any(r.rate_basis == "amount" for r in self.reactions)
            or any(not c.constant for c in self.compartments)
        )

    def species_by_id(self) -> dict[str, Species]:
        return {s.id: s for s in self.species}

    def compartment_by_id(self) -> dict[str, Compartment]:
        return {c.id: c for c in self.compartments}

    def reaction_by_id(self) -> dict[str, Reaction]:
        return {r.id: r for r in self.reactions}
