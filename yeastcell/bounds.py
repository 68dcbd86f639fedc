"""Physiological bounds per species class: the one table a solved trajectory is checked against.

A trajectory that solved (status SUCCESS) but left these bounds is not a failure: it keeps
``.ok`` True and carries the warning `Status.IMPLAUSIBLE_STATE` in `Trajectory.warning`, with the
offending species in `Trajectory.warnings`. The bounds are deliberately wide (an order of
magnitude above measured pools where possible): they flag states no living cell reaches (a
metabolite at molar concentration, an enzyme above the whole proteome), not unusual ones.

Classes (`CLASS_BOUNDS`; lower / upper in mM):

- intracellular metabolite: -1e-6 / 200. The largest free metabolite pools of growing yeast are
  glutamate (~100 mM) and, under stress, the osmolytes; glycolytic intermediates are 0.01-20 mM
  (Canelas AB et al. 2010 Nat Commun 1:145; Park JO et al. 2016 Nat Chem Biol 12:482).
- extracellular metabolite: -1e-6 / 3000. Media: 2 M glucose (360 g/L) and ~2.5 M ethanol
  (15 % v/v) are the highest a culture reaches.
- protein (and complex): -1e-6 / 5. A haploid cell holds ~4.2e7 protein molecules in ~42 fL
  (Ho et al. 2018 Cell Syst 6:192), ~1.7 mM of all proteins together.
- signal (normalised activity): -1e-6 / no upper bound (dimensionless model variables).

Species overrides (`SPECIES_BOUNDS`) widen the class bound for the intracellular pools known to
exceed 200 mM: glycerol, the osmolyte (intracellular glycerol of ~1 M after hyperosmotic shock,
Blomberg & Adler 1989 J Bacteriol 171:1087; Hohmann 2002 Microbiol Mol Biol Rev 66:300), and
the storage carbohydrates counted in glucose units (glycogen and trehalose together up to ~25 %
of dry weight in stationary phase, Lillie & Pringle 1980 J Bacteriol 143:1384; ~1 M glucose units
at ~300 g dry weight per L of cell volume; in yeast_core both are constant sinks, not checked).

Not checked: water (55.5 M), species the model holds constant, and species outside these classes.
The lower bound is the default `SolverOptions.negative_tol` (a state below it already fails the
solve unless the check is switched off). SBML-imported cells (any units, any meaning) are not
checked.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class Bound:
    """A physiological range of a concentration (mM) and the reason for it."""

    lower: float
    upper: float
    note: str


NEGATIVE = -1e-6  # mM: SolverOptions.negative_tol's default

CLASS_BOUNDS: dict[str, Bound] = {
    "intracellular metabolite": Bound(NEGATIVE, 200.0, "largest free pools of growing yeast ~100 mM (glutamate)"),
    "extracellular metabolite": Bound(NEGATIVE, 3000.0, "2 M glucose, ~2.5 M ethanol at most in a culture"),
    "protein": Bound(NEGATIVE, 5.0, "all proteins together ~1.7 mM (4.2e7 molecules in 42 fL)"),
    "signal": Bound(NEGATIVE, math.inf, "normalised activity: no upper bound"),
}

SPECIES_BOUNDS: dict[str, Bound] = {
    "GLY_c": Bound(NEGATIVE, 2000.0, "osmolyte: ~1 M intracellular glycerol after hyperosmotic shock"),
    "GLYCOGEN_c": Bound(NEGATIVE, 2000.0, "storage carbohydrate in glucose units: up to ~1 M"),
    "TRE_c": Bound(NEGATIVE, 2000.0, "storage carbohydrate: up to ~1 M glucose units"),
}

_KIND_CLASS = {"protein": "protein", "complex": "protein", "signal": "signal"}


def species_class(spec, species) -> str | None:
    """The `CLASS_BOUNDS` key of a species of `spec` (None: no class, not checked: water, which is
    55.5 M, and constant or boundary species, which the model does not change)."""
    if (species.formula or "").replace(" ", "") == "H2O" or species.constant or species.boundary:
        return None
    if species.kind in _KIND_CLASS:
        return _KIND_CLASS[species.kind]
    if species.kind != "metabolite":
        return None
    return "extracellular metabolite" if _is_extracellular(spec, species.compartment) else "intracellular metabolite"


def _is_extracellular(spec, compartment: str) -> bool:
    comps = {c.id: c for c in spec.compartments}
    c = comps.get(compartment)
    if c is None:
        return False
    text = f"{c.id} {c.name or ''}".lower()
    if "extracellular" in text or "medium" in text:
        return True
    # the outermost compartment that holds others
    return c.outside is None and any(o.outside == c.id for o in comps.values())


def bound_of(spec, species_id: str) -> tuple[str, Bound] | None:
    """(class, bound) of one species of `spec`, or None where it is not checked."""
    sp = {s.id: s for s in spec.species}.get(species_id)
    if sp is None:
        return None
    cls = species_class(spec, sp)
    if cls is None:
        return None
    return cls, SPECIES_BOUNDS.get(species_id, CLASS_BOUNDS[cls])


def bounds_for(spec, species_ids, sbml: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) arrays (mM) over `species_ids`; ±inf where a species is not checked (and for
    every species of an SBML-imported model, `sbml=True`)."""
    lo = np.full(len(species_ids), -np.inf)
    hi = np.full(len(species_ids), np.inf)
    if spec is None or sbml:
        return lo, hi
    for i, s in enumerate(species_ids):
        b = bound_of(spec, s)
        if b is not None:
            lo[i], hi[i] = b[1].lower, b[1].upper
    return lo, hi


def species_bounds(cell) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) bounds (mM) of every species of `cell` (SBML-style cells: unchecked)."""
    lo, hi = _cached_bounds(
        getattr(cell, "spec", None), tuple(cell.species_ids), getattr(cell, "value_ids", None) is not None
    )
    return lo.copy(), hi.copy()


@functools.lru_cache(maxsize=64)
def _cached_bounds(spec, species_ids: tuple[str, ...], sbml: bool) -> tuple[np.ndarray, np.ndarray]:
    """`bounds_for`, once per (spec, species): every `simulate` asks (0.6 ms on the core model;
    specs hash by identity)."""
    return bounds_for(spec, species_ids, sbml)


def outside(spec, species_ids, t, conc, sbml: bool = False) -> list[str]:
    """One line per species of one trajectory (t (n_t,), conc (n_t, n) mM) that leaves its bound:
    the extreme value, when, and the bound with its class."""
    lo, hi = bounds_for(spec, species_ids, sbml)
    t, conc = np.asarray(t), np.asarray(conc)
    lines = []
    with np.errstate(invalid="ignore"):
        for i, s in enumerate(species_ids):
            x = conc[:, i]
            cls = (bound_of(spec, s) or ("?",))[0] if spec is not None else "?"
            if np.any(x > hi[i]):
                k = int(np.nanargmax(x))
                lines.append(f"{s} reaches {x[k]:.4g} mM at t={t[k]:g} min (upper bound {hi[i]:g} mM, {cls})")
            if np.any(x < lo[i]):
                k = int(np.nanargmin(x))
                lines.append(f"{s} falls to {x[k]:.4g} mM at t={t[k]:g} min (lower bound {lo[i]:g} mM, {cls})")
    return lines
