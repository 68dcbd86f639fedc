"""Resolving perturbations: a symbolic perturbation and a cell in, a `Condition` of arrays out.

`resolve(cell, perturbation)` checks every name against the cell (in plain Python, before any
tracing) and returns a `Condition`: arrays of fixed shape, so that many conditions stack into one
batch for `jax.vmap` (`resolve_batch`, `stack`).

Units: concentrations in mM, event times in min.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._device import to_device
from ..exceptions import PerturbationError, UnknownNameError
from .proteome import ProteomeLevels
from .types import (
    EVENT_ADD,
    PARAM_SCALE,
    PARAM_SET,
    Dose,
    Event,
    GeneActivity,
    Inhibit,
    NamedCondition,
    NitrogenShift,
    OsmoticShock,
    Perturbation,
    Rapamycin,
    SetConcentration,
    SetParameter,
    flatten,
)


class Condition(eqx.Module):
    """A perturbation resolved against a cell: arrays of fixed shape, batchable.

    Attributes:
        c0: initial concentration of every species (mM), shape (n_species,).
        clamp: True where a species is held constant, shape (n_species,).
        rate_scale: multiplier of each reaction rate, shape (n_reactions,).
        event_t: event times (min; +inf = unused slot), shape (n_events,).
        event_species, event_mode, event_value: species index, EVENT_ADD/EVENT_SET, value (mM).
        param_index, param_mode, param_value: parameter changes for the whole solve, shape
            (n_params,) each: index into `cell.theta`, PARAM_SET/PARAM_SCALE, value (core units) or
            factor; unused slots scale parameter 0 by 1. None (a hand-built condition): no change.
    """

    c0: jnp.ndarray
    clamp: jnp.ndarray
    rate_scale: jnp.ndarray
    event_t: jnp.ndarray
    event_species: jnp.ndarray
    event_mode: jnp.ndarray
    event_value: jnp.ndarray
    param_index: jnp.ndarray | None = None
    param_mode: jnp.ndarray | None = None
    param_value: jnp.ndarray | None = None

    @property
    def n_events(self) -> int:
        return int(self.event_t.shape[-1])

    @property
    def n_params(self) -> int:
        """Number of parameter-change slots (0 when the condition changes no parameter)."""
        return 0 if self.param_index is None else int(self.param_index.shape[-1])

    def theta(self, theta):
        """The parameter vector `theta` (the cell's, core units) with this condition's changes
        (one condition, traceable; gradients flow to `theta` through scaled entries)."""
        if not self.n_params:
            return theta
        for k in range(self.n_params):
            i = self.param_index[k]
            theta = theta.at[i].set(
                jnp.where(self.param_mode[k] == PARAM_SET, self.param_value[k], theta[i] * self.param_value[k])
            )
        return theta


def resolve(
    cell, perturbation: Perturbation | None = None, n_events: int | None = None, n_params: int | None = None
) -> Condition:
    """Turn a symbolic perturbation into a `Condition` for `cell` (validation happens here).

    Args:
        n_events: pad the event arrays to this many slots (for stacking); default: as many as needed.
        n_params: pad the parameter-change arrays to this many slots; default: as many as needed.

    Raises:
        UnknownNameError: an unknown gene, species, reaction or condition (with close matches).
        PerturbationError: a value that cannot apply (negative concentration, gene without protein...).
    """
    return Condition(**{k: to_device(v) for k, v in _resolve_arrays(cell, perturbation, n_events, n_params).items()})


def _resolve_arrays(
    cell, perturbation: Perturbation | None, n_events: int | None, n_params: int | None, c0_ref=None
) -> dict[str, np.ndarray]:
    """The fields of `resolve`'s `Condition` as numpy arrays (`c0_ref`: `cell.c0` on the host, if
    the caller already has it)."""
    parts = list(flatten(perturbation)) if perturbation is not None else []
    c0 = np.array(cell.c0 if c0_ref is None else c0_ref, dtype=float)
    clamp = np.zeros(cell.n_species, dtype=bool)
    rate_scale = np.ones(cell.n_reactions)
    protein_scale = np.ones(cell.n_species)
    events: list[tuple[float, int, int, float]] = []
    params: dict[int, tuple[int, float]] = {}
    set_by: dict[int, str] = {}
    expressed = {prot: (forms, syn) for prot, forms, syn in getattr(cell, "expressed", ())}
    # names -> indices through dicts built once per call: every attribute or method access on a
    # compiled cell (an equinox Module) costs microseconds to a millisecond, and a measured proteome
    # resolves to one gene part per measured gene (thousands of strains x ~100 genes in a batch)
    genes = cell.genes
    species_pos = {s: i for i, s in enumerate(cell.species_ids)}
    gene_pos: dict[str, int] = {}
    for i, (orf, std, _) in enumerate(genes):  # the first gene with that ORF or name, as cell.gene_index
        gene_pos.setdefault(orf.upper(), i)
        if std:
            gene_pos.setdefault(std.upper(), i)

    def gene_index(name: str) -> int:
        i = gene_pos.get(name.strip().upper())
        return i if i is not None else cell.gene_index(name)  # raises, with close matches

    def species_index(name: str) -> int:
        i = species_pos.get(name)
        return i if i is not None else cell.species_index(name)  # case-insensitive, or raises

    def scale_protein(prot: int, factor: float) -> None:
        """Scale a gene product's initial amount; with a proteome layer also its other forms and its
        synthesis rate, so the new level is also the new steady state (knockout: synthesis 0)."""
        protein_scale[prot] *= factor
        if prot in expressed:
            forms, syn = expressed[prot]
            protein_scale[list(forms)] *= factor
            rate_scale[syn] *= factor

    def expand(p):
        if isinstance(p, OsmoticShock | Dose | NitrogenShift | Rapamycin | ProteomeLevels):
            return p.expand(cell)
        if isinstance(p, NamedCondition):
            spec = {c.id: c for c in cell.spec.conditions}
            if p.name not in spec:
                raise UnknownNameError("condition", p.name, spec)
            c = spec[p.name]
            return (
                [SetConcentration(s, v, False) for s, v in c.initial.items()]
                + [SetConcentration(s, v, True) for s, v in c.clamp.items()]
                + [SetParameter(name, f, PARAM_SCALE) for name, f in c.scale.items()]
            )
        return [p]

    for p in [q for part in parts for q in expand(part)]:
        if isinstance(p, GeneActivity):
            prot = genes[gene_index(p.gene)][2]
            if prot < 0:
                raise PerturbationError(f"gene {p.gene!r} encodes no protein species in model {cell.model_id!r}")
            scale_protein(prot, p.factor)
        elif isinstance(p, Inhibit):
            factor = 1.0 / (1.0 + p.dose / p.Ki)
            try:
                g = gene_index(p.target)
            except UnknownNameError as gene_err:
                try:
                    rate_scale[cell.reaction_index(p.target)] *= factor
                except UnknownNameError:
                    raise UnknownNameError(
                        "gene or reaction", p.target, list(gene_err.suggestions) + list(cell.reaction_ids)
                    ) from None
                continue
            prot = genes[g][2]
            if prot < 0:
                raise PerturbationError(f"inhibitor target gene {p.target!r} encodes no protein species")
            scale_protein(prot, factor)
        elif isinstance(p, SetConcentration):
            i = species_index(p.species)
            if i in set_by and set_by[i] != p.label:
                raise PerturbationError(f"species {cell.species_ids[i]!r} is set twice ({set_by[i]} and {p.label})")
            set_by[i] = p.label
            c0[i] = p.conc_mM
            clamp[i] = clamp[i] or p.clamped
        elif isinstance(p, Event):
            events.append((p.t_min, species_index(p.species), p.mode, p.value))
        elif isinstance(p, SetParameter):
            i = parameter_index(cell, p.parameter)
            if i in params:
                raise PerturbationError(f"parameter {cell.theta_names[i]!r} is changed twice in one condition")
            params[i] = (p.mode, p.value)
        else:
            raise PerturbationError(f"not a perturbation: {p!r}")
    c0 = c0 * protein_scale
    events.sort(key=lambda e: e[0])
    k = len(events) if n_events is None else n_events
    if len(events) > k:
        raise PerturbationError(f"{len(events)} events do not fit in {k} slots")
    pad = [(math.inf, 0, EVENT_ADD, 0.0)] * (k - len(events))
    cols = list(zip(*(events + pad))) if k else [(), (), (), ()]
    m = len(params) if n_params is None else n_params
    if len(params) > m:
        raise PerturbationError(f"{len(params)} parameter changes do not fit in {m} slots")
    changes = [(i, mode, v) for i, (mode, v) in sorted(params.items())] + [(0, PARAM_SCALE, 1.0)] * (m - len(params))
    pcols = list(zip(*changes)) if m else [(), (), ()]
    return {
        "c0": c0,
        "clamp": clamp,
        "rate_scale": rate_scale,
        "event_t": np.array(cols[0], dtype=float),
        "event_species": np.array(cols[1], dtype=int),
        "event_mode": np.array(cols[2], dtype=int),
        "event_value": np.array(cols[3], dtype=float),
        "param_index": np.array(pcols[0], dtype=int),
        "param_mode": np.array(pcols[1], dtype=int),
        "param_value": np.array(pcols[2], dtype=float),
    }


def parameter_index(cell, name: str) -> int:
    """Index of a parameter in `cell.theta` by its name in `cell.theta_names` (exact, then
    case-insensitive). Raises UnknownNameError with close matches."""
    names = tuple(cell.theta_names)
    if name in names:
        return names.index(name)
    low = [n.lower() for n in names]
    if low.count(name.lower()) == 1:
        return low.index(name.lower())
    raise UnknownNameError("parameter", name, names)


def count_events(perturbation: Perturbation | None) -> int:
    """Number of event slots a perturbation needs (pulses, steps, timed shocks and doses)."""

    def n(p) -> int:
        if isinstance(p, Event):
            return 1
        if isinstance(p, OsmoticShock):
            return int(p.t_min > 0) + int(p.duration_min is not None)
        if isinstance(p, Dose | NitrogenShift | Rapamycin):
            return int(p.t_min > 0)
        return 0

    return sum(n(p) for p in (flatten(perturbation) if perturbation is not None else ()))


def count_parameters(perturbation: Perturbation | None, cell=None) -> int:
    """Number of parameter-change slots a perturbation needs; with `cell`, a named condition's
    ``scale:`` entries count too (without it they are not known and count 0)."""
    conditions = {c.id: c for c in cell.spec.conditions} if cell is not None and cell.spec is not None else {}

    def n(p) -> int:
        if isinstance(p, SetParameter):
            return 1
        if isinstance(p, NamedCondition) and p.name in conditions:
            return len(conditions[p.name].scale)
        return 0

    return sum(n(p) for p in (flatten(perturbation) if perturbation is not None else ()))


def resolve_batch(cell, perturbations: Sequence[Perturbation]) -> Condition:
    """Resolve several perturbations and stack them into one batched `Condition` (leading axis).

    Equal to ``stack([resolve(cell, p, n_events=k, n_params=m) for p in perturbations])`` with k, m
    the most event and parameter slots any perturbation needs; the lanes are stacked on the host
    and moved to the device once per field (thousands of strains resolve in seconds)."""
    if len(perturbations) == 0:
        raise PerturbationError("empty batch of perturbations")
    k = max(count_events(p) for p in perturbations)
    m = max(count_parameters(p, cell) for p in perturbations)
    c0_ref = np.asarray(cell.c0)
    lanes = [_resolve_arrays(cell, p, k, m, c0_ref) for p in perturbations]
    return Condition(**{f: jnp.asarray(np.stack([lane[f] for lane in lanes])) for f in lanes[0]})


def stack(conditions: Sequence[Condition]) -> Condition:
    """Stack conditions (same cell, same number of event slots) along a new leading axis."""
    ks = {c.n_events for c in conditions}
    if len(ks) != 1:
        raise PerturbationError(
            f"conditions have different numbers of event slots {sorted(ks)}; resolve them with the same n_events"
        )
    ps = {c.n_params for c in conditions}
    if len(ps) != 1:
        raise PerturbationError(
            f"conditions have different numbers of parameter-change slots {sorted(ps)}; resolve them with the same n_params"
        )
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *conditions)
