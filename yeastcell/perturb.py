"""Perturbations as data.

Symbolic perturbations (`knockout`, `knockdown`, `overexpress`, `inhibit`, `medium`, `clamp`,
`initial`, `pulse`, `step`, `condition`) name genes and species; combine them with ``+``.
`resolve(cell, perturbation)` turns them, in plain Python, into a `Condition`: a pytree of arrays of
fixed shape, so that many conditions stack into one batch for `jax.vmap`.

Units: concentrations and pulse amounts in mM, times in min, doses and Ki in the same unit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from .exceptions import PerturbationError, UnknownNameError

EVENT_ADD, EVENT_SET = 0, 1
NACL_SPECIES = "NaCl_e"  # medium NaCl (mM), the input of the HOG module (models/signaling_hog.yaml)
NACL_VALIDITY_PARAMETER = "NaCl_max_M"  # model parameter: upper end of the validated NaCl range (M)
NACL_SOLUBILITY_M = 6.1  # NaCl saturation in water at 25-30 C (about 36 g / 100 g water)


class ValidityWarning(UserWarning):
    """A perturbation lies outside the range a model is validated for (allowed on request)."""


class Perturbation:
    """Base class of symbolic perturbations; ``a + b`` combines them."""

    def __add__(self, other: "Perturbation") -> "Combined":
        return Combined(tuple(_flatten(self)) + tuple(_flatten(other)))

    @property
    def label(self) -> str:
        raise NotImplementedError


def _flatten(p) -> Iterable["Perturbation"]:
    if isinstance(p, Combined):
        return p.parts
    if not isinstance(p, Perturbation):
        raise PerturbationError(f"cannot combine a perturbation with {type(p).__name__} {p!r}")
    return (p,)


@dataclass(frozen=True)
class Combined(Perturbation):
    """Several perturbations applied together (e.g. a double knockout, knockout + drug)."""

    parts: tuple[Perturbation, ...]

    @property
    def label(self) -> str:
        return " + ".join(p.label for p in self.parts) if self.parts else "wild type"


@dataclass(frozen=True)
class GeneActivity(Perturbation):
    """Multiply the amount of the protein a gene encodes by `factor` (0 = deletion).

    In a model with a proteome layer (`expression:` section) the protein's synthesis rate and the
    initial amounts of its other forms (phosphorylated, nuclear) are scaled too: a knockout
    abolishes synthesis and starts every form at 0.
    """

    gene: str
    factor: float
    what: str = "activity"

    @property
    def label(self) -> str:
        if self.what == "knockout":
            return f"{self.gene.lower()}Δ"
        return f"{self.gene} {self.what} ×{self.factor:g}"


@dataclass(frozen=True)
class Inhibit(Perturbation):
    """Non-competitive inhibitor at `dose` with constant `Ki` (same units) on a gene's protein or a reaction.

    The target's activity is multiplied by 1/(1 + dose/Ki).
    """

    target: str
    dose: float
    Ki: float

    @property
    def label(self) -> str:
        return f"{self.target} inhibitor {self.dose:g} (Ki {self.Ki:g})"


@dataclass(frozen=True)
class SetConcentration(Perturbation):
    """Set the initial concentration (mM) of a species; `clamped` holds it constant throughout."""

    species: str
    conc_mM: float
    clamped: bool = False

    @property
    def label(self) -> str:
        return f"{self.species}{'≡' if self.clamped else '='}{self.conc_mM:g} mM"


@dataclass(frozen=True)
class Event(Perturbation):
    """At time `t_min`, add `value` mM to a species (pulse) or set it to `value` mM (step)."""

    species: str
    value: float
    t_min: float
    mode: int = EVENT_ADD

    @property
    def label(self) -> str:
        verb = "+" if self.mode == EVENT_ADD else "→"
        return f"{self.species} {verb}{self.value:g} mM at {self.t_min:g} min"


@dataclass(frozen=True)
class NamedCondition(Perturbation):
    """A condition shipped with the model file (`conditions:` section), e.g. 'teusink2000'."""

    name: str

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class OsmoticShock(Perturbation):
    """Medium NaCl stepped to `nacl_M` (mol/L) at `t_min`; after `duration_min` back to 0 (a pulse).

    Resolved against a model with the HOG module (species ``NaCl_e``); steps above the model's
    validated range (parameter ``NaCl_max_M``) are refused unless `allow_extrapolation`.
    """

    nacl_M: float
    t_min: float = 0.0
    duration_min: float | None = None
    allow_extrapolation: bool = False

    @property
    def label(self) -> str:
        end = f" for {self.duration_min:g} min" if self.duration_min is not None else ""
        at = f" at {self.t_min:g} min" if self.t_min else ""
        return f"{self.nacl_M:g} M NaCl{at}{end}"

    def expand(self, cell) -> list[Perturbation]:
        if NACL_SPECIES not in cell.species_ids:
            raise PerturbationError(f"model {cell.model_id!r} has no osmotic-stress input (species {NACL_SPECIES!r}); "
                                    "load the whole-cell model 'yeast_cell', which includes the HOG module")
        limit = {q.id: q.value for q in cell.spec.parameters}.get(NACL_VALIDITY_PARAMETER)
        if limit is not None and self.nacl_M > limit:
            msg = (f"osmotic shock of {self.nacl_M:g} M NaCl is outside the validity range of model "
                   f"{cell.model_id!r} (0-{limit:g} M, parameter {NACL_VALIDITY_PARAMETER!r})")
            if not self.allow_extrapolation:
                raise PerturbationError(msg + "; pass allow_extrapolation=True to simulate it anyway")
            warnings.warn(msg + "; extrapolating", ValidityWarning, stacklevel=4)
        mM = self.nacl_M * 1000.0
        parts: list[Perturbation] = (
            [SetConcentration(NACL_SPECIES, mM)] if self.t_min == 0 else [Event(NACL_SPECIES, mM, self.t_min, EVENT_SET)])
        if self.duration_min is not None:
            parts.append(Event(NACL_SPECIES, 0.0, self.t_min + self.duration_min, EVENT_SET))
        return parts


@dataclass(frozen=True)
class Dose(Perturbation):
    """A drug or signal species of the model (kind 'signal') set to `conc_mM` at `t_min`."""

    species: str
    conc_mM: float
    t_min: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.species} {self.conc_mM:g} mM" + (f" at {self.t_min:g} min" if self.t_min else "")

    def expand(self, cell) -> list[Perturbation]:
        signals = [s for s, k in zip(cell.species_ids, cell.species_kind) if k == "signal"]
        if self.species not in signals:
            raise UnknownNameError("drug or signal species", self.species, signals)
        if self.t_min == 0:
            return [SetConcentration(self.species, self.conc_mM)]
        return [Event(self.species, self.conc_mM, self.t_min, EVENT_SET)]


def wild_type() -> Combined:
    """No perturbation."""
    return Combined(())


def _finite(x, what) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise PerturbationError(f"{what} must be a number, got {x!r}") from None
    if not math.isfinite(v):
        raise PerturbationError(f"{what} must be finite, got {x!r}")
    return v


def _gene_name(gene) -> str:
    if not isinstance(gene, str) or not gene.strip():
        raise PerturbationError(f"gene must be a non-empty string, got {gene!r}")
    return gene.strip()


def knockout(*genes: str) -> Perturbation:
    """Delete one or more genes (their proteins are set to zero): ``knockout("PDC1", "PDC5")``."""
    if not genes:
        raise PerturbationError("knockout needs at least one gene")
    parts = [GeneActivity(_gene_name(g), 0.0, "knockout") for g in genes]
    return parts[0] if len(parts) == 1 else Combined(tuple(parts))


def knockdown(gene: str, fraction: float) -> GeneActivity:
    """Reduce a gene's protein to `fraction` (0 < fraction < 1) of its wild-type level."""
    f = _finite(fraction, "knockdown fraction")
    if not 0.0 < f < 1.0:
        raise PerturbationError(f"knockdown fraction is the remaining level and must be in (0, 1), got {fraction!r}")
    return GeneActivity(_gene_name(gene), f, "knockdown")


def overexpress(gene: str, fold: float) -> GeneActivity:
    """Multiply a gene's protein level by `fold` (> 0)."""
    f = _finite(fold, "overexpression fold")
    if f <= 0:
        raise PerturbationError(f"overexpression fold must be positive, got {fold!r}")
    return GeneActivity(_gene_name(gene), f, "overexpression")


def inhibit(target: str, dose: float, Ki: float) -> Inhibit:
    """A drug at `dose` inhibiting a gene's protein or a reaction with inhibition constant `Ki`."""
    d, k = _finite(dose, "dose"), _finite(Ki, "Ki")
    if d < 0:
        raise PerturbationError(f"dose must be non-negative, got {dose!r}")
    if k <= 0:
        raise PerturbationError(f"Ki must be positive, got {Ki!r}")
    return Inhibit(str(target), d, k)


def initial(species: str, conc_mM: float) -> SetConcentration:
    """Set a species' initial concentration (mM)."""
    return SetConcentration(str(species), _nonneg(conc_mM, species), False)


def clamp(species: str, conc_mM: float) -> SetConcentration:
    """Hold a species at a constant concentration (mM), e.g. a chemostat-like medium."""
    return SetConcentration(str(species), _nonneg(conc_mM, species), True)


def medium(composition: dict[str, float], clamped: bool = False) -> Perturbation:
    """Medium composition: extracellular concentrations (mM), optionally clamped."""
    if not isinstance(composition, dict) or not composition:
        raise PerturbationError("medium needs a non-empty dict species -> concentration (mM)")
    parts = [SetConcentration(str(s), _nonneg(v, s), clamped) for s, v in composition.items()]
    return Combined(tuple(parts))


def pulse(species: str, amount_mM: float, at: float) -> Event:
    """Add `amount_mM` to a species at time `at` (min), e.g. a glucose pulse."""
    a = _finite(amount_mM, "pulse amount")
    return Event(str(species), a, _nonneg_time(at), EVENT_ADD)


def step(species: str, conc_mM: float, at: float) -> Event:
    """Set a species to `conc_mM` at time `at` (min) (a medium shift for a clamped species)."""
    return Event(str(species), _nonneg(conc_mM, species), _nonneg_time(at), EVENT_SET)


def osmotic_shock(nacl_M: float, at: float = 0.0, duration: float | None = None,
                  allow_extrapolation: bool = False) -> OsmoticShock:
    """Hyperosmotic shock: medium NaCl stepped to `nacl_M` mol/L at time `at` (min), optionally back
    to 0 after `duration` min (a pulse). Needs a model with the HOG module (e.g. ``yeast_cell``).

    Raises:
        PerturbationError: a negative or non-finite concentration, one above NaCl's solubility
            (6.1 M), a negative time or duration; at resolve time, a model without the osmotic
            input or a step above the model's validated range (unless `allow_extrapolation`, which
            warns with `ValidityWarning` instead).
    """
    m = _finite(nacl_M, "NaCl concentration (M)")
    if m < 0:
        raise PerturbationError(f"NaCl concentration must be >= 0 M, got {nacl_M!r} (negative dose)")
    if m > NACL_SOLUBILITY_M:
        raise PerturbationError(f"{m:g} M NaCl exceeds the solubility of NaCl in water (~{NACL_SOLUBILITY_M} M); "
                                "the concentration is in mol/L, not mM")
    d = None
    if duration is not None:
        d = _finite(duration, "shock duration (min)")
        if d <= 0:
            raise PerturbationError(f"shock duration must be > 0 min, got {duration!r}")
    return OsmoticShock(m, _nonneg_time(at), d, bool(allow_extrapolation))


def dose(species: str, conc_mM: float, at: float = 0.0) -> Dose:
    """A drug (or other signal species of the model, e.g. ``rapamycin_e``) at `conc_mM` from time `at`.

    Raises:
        PerturbationError: negative or non-finite dose or time. UnknownNameError (at resolve time):
            the model has no signal species of that name (close matches listed).
    """
    c = _finite(conc_mM, f"dose of {species!r} (mM)")
    if c < 0:
        raise PerturbationError(f"dose of {species!r} must be >= 0 mM, got {conc_mM!r} (negative dose)")
    return Dose(str(species), c, _nonneg_time(at))


STRESSES = {"osmotic": osmotic_shock, "nacl": osmotic_shock}


def stress(kind: str, level: float, at: float = 0.0, duration: float | None = None) -> Perturbation:
    """A named environmental stress: ``stress("osmotic", 0.4)`` (level in M NaCl) = `osmotic_shock`.

    Raises:
        UnknownNameError: an unknown stress kind (known kinds listed). PerturbationError: bad level.
    """
    key = str(kind).strip().lower()
    if key not in STRESSES:
        raise UnknownNameError("stress", str(kind), sorted(STRESSES))
    return STRESSES[key](level, at=at, duration=duration)


def condition(name: str) -> NamedCondition:
    """A named condition from the model file's `conditions:` section."""
    return NamedCondition(str(name))


def _nonneg(v, species) -> float:
    x = _finite(v, f"concentration of {species!r}")
    if x < 0:
        raise PerturbationError(f"negative concentration {x} mM for species {species!r}")
    return x


def _nonneg_time(t) -> float:
    x = _finite(t, "event time")
    if x < 0:
        raise PerturbationError(f"event time must be >= 0 min, got {t!r}")
    return x


class Condition(eqx.Module):
    """A perturbation resolved against a cell: arrays of fixed shape, batchable.

    Attributes:
        c0: initial concentration of every species (mM), shape (n_species,).
        clamp: True where a species is held constant, shape (n_species,).
        rate_scale: multiplier of each reaction rate, shape (n_reactions,).
        event_t: event times (min; +inf = unused slot), shape (n_events,).
        event_species, event_mode, event_value: species index, EVENT_ADD/EVENT_SET, value (mM).
    """

    c0: jnp.ndarray
    clamp: jnp.ndarray
    rate_scale: jnp.ndarray
    event_t: jnp.ndarray
    event_species: jnp.ndarray
    event_mode: jnp.ndarray
    event_value: jnp.ndarray

    @property
    def n_events(self) -> int:
        return int(self.event_t.shape[-1])


def resolve(cell, perturbation: Perturbation | None = None, n_events: int | None = None) -> Condition:
    """Turn a symbolic perturbation into a `Condition` for `cell` (validation happens here).

    Args:
        n_events: pad the event arrays to this many slots (for stacking); default: as many as needed.

    Raises:
        UnknownNameError: an unknown gene, species, reaction or condition (with close matches).
        PerturbationError: a value that cannot apply (negative concentration, gene without protein...).
    """
    parts = list(_flatten(perturbation)) if perturbation is not None else []
    c0 = np.array(cell.c0, dtype=float)
    clamp = np.zeros(cell.n_species, dtype=bool)
    rate_scale = np.ones(cell.n_reactions)
    protein_scale = np.ones(cell.n_species)
    events: list[tuple[float, int, int, float]] = []
    set_by: dict[int, str] = {}
    expressed = {prot: (forms, syn) for prot, forms, syn in getattr(cell, "expressed", ())}

    def scale_protein(prot: int, factor: float) -> None:
        """Scale a gene product's initial amount; with a proteome layer also its other forms and its
        synthesis rate, so the new level is also the new steady state (knockout: synthesis 0)."""
        protein_scale[prot] *= factor
        if prot in expressed:
            forms, syn = expressed[prot]
            protein_scale[list(forms)] *= factor
            rate_scale[syn] *= factor

    def expand(p):
        if isinstance(p, OsmoticShock | Dose):
            return p.expand(cell)
        if isinstance(p, NamedCondition):
            spec = {c.id: c for c in cell.spec.conditions}
            if p.name not in spec:
                raise UnknownNameError("condition", p.name, spec)
            c = spec[p.name]
            return [SetConcentration(s, v, False) for s, v in c.initial.items()] + [
                SetConcentration(s, v, True) for s, v in c.clamp.items()]
        return [p]

    for p in [q for part in parts for q in expand(part)]:
        if isinstance(p, GeneActivity):
            g = cell.gene_index(p.gene)
            prot = cell.genes[g][2]
            if prot < 0:
                raise PerturbationError(f"gene {p.gene!r} encodes no protein species in model {cell.model_id!r}")
            scale_protein(prot, p.factor)
        elif isinstance(p, Inhibit):
            factor = 1.0 / (1.0 + p.dose / p.Ki)
            try:
                g = cell.gene_index(p.target)
            except UnknownNameError as gene_err:
                try:
                    rate_scale[cell.reaction_index(p.target)] *= factor
                except UnknownNameError:
                    raise UnknownNameError("gene or reaction", p.target,
                                           list(gene_err.suggestions) + list(cell.reaction_ids)) from None
                continue
            prot = cell.genes[g][2]
            if prot < 0:
                raise PerturbationError(f"inhibitor target gene {p.target!r} encodes no protein species")
            scale_protein(prot, factor)
        elif isinstance(p, SetConcentration):
            i = cell.species_index(p.species)
            if i in set_by and set_by[i] != p.label:
                raise PerturbationError(f"species {cell.species_ids[i]!r} is set twice ({set_by[i]} and {p.label})")
            set_by[i] = p.label
            c0[i] = p.conc_mM
            clamp[i] = clamp[i] or p.clamped
        elif isinstance(p, Event):
            events.append((p.t_min, cell.species_index(p.species), p.mode, p.value))
        else:
            raise PerturbationError(f"not a perturbation: {p!r}")
    c0 = c0 * protein_scale
    events.sort(key=lambda e: e[0])
    k = len(events) if n_events is None else n_events
    if len(events) > k:
        raise PerturbationError(f"{len(events)} events do not fit in {k} slots")
    pad = [(math.inf, 0, EVENT_ADD, 0.0)] * (k - len(events))
    cols = list(zip(*(events + pad))) if k else [(), (), (), ()]
    return Condition(
        c0=jnp.asarray(c0), clamp=jnp.asarray(clamp), rate_scale=jnp.asarray(rate_scale),
        event_t=jnp.asarray(np.array(cols[0], dtype=float)), event_species=jnp.asarray(np.array(cols[1], dtype=int)),
        event_mode=jnp.asarray(np.array(cols[2], dtype=int)), event_value=jnp.asarray(np.array(cols[3], dtype=float)),
    )


def count_events(perturbation: Perturbation | None) -> int:
    """Number of event slots a perturbation needs (pulses, steps, timed shocks and doses)."""

    def n(p) -> int:
        if isinstance(p, Event):
            return 1
        if isinstance(p, OsmoticShock):
            return int(p.t_min > 0) + int(p.duration_min is not None)
        if isinstance(p, Dose):
            return int(p.t_min > 0)
        return 0

    return sum(n(p) for p in (_flatten(perturbation) if perturbation is not None else ()))


def resolve_batch(cell, perturbations: Sequence[Perturbation]) -> Condition:
    """Resolve several perturbations and stack them into one batched `Condition` (leading axis)."""
    if len(perturbations) == 0:
        raise PerturbationError("empty batch of perturbations")
    k = max(count_events(p) for p in perturbations)
    conds = [resolve(cell, p, n_events=k) for p in perturbations]
    return stack(conds)


def stack(conditions: Sequence[Condition]) -> Condition:
    """Stack conditions (same cell, same number of event slots) along a new leading axis."""
    import jax

    ks = {c.n_events for c in conditions}
    if len(ks) != 1:
        raise PerturbationError(f"conditions have different numbers of event slots {sorted(ks)}; "
                                "resolve them with the same n_events")
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *conditions)
