"""Constructors of symbolic perturbations: `knockout`, `knockdown`, `overexpress`, `inhibit`,
`initial`, `clamp`, `medium`, `pulse`, `step`, `osmotic_shock`, `nitrogen_shift`, `rapamycin`, `dose`,
`stress`, `condition`; `delayed` moves the timed parts of a perturbation later (a lead-in).

They check their arguments (finite numbers, non-negative concentrations and times, NaCl below its
solubility) and return the types of `yeastcell.perturb.types`; names (genes, species, conditions)
are checked against a model only when resolved.

Units: concentrations and pulse amounts in mM, times in min, NaCl in mol/L (M), nitrogen in mM
ammonium equivalents, rapamycin in nM, doses and Ki in the same unit.
"""

from __future__ import annotations

import dataclasses
import math

from ..exceptions import PerturbationError, UnknownNameError
from .types import (
    EVENT_ADD,
    EVENT_SET,
    NACL_SOLUBILITY_M,
    PARAM_SCALE,
    PARAM_SET,
    RAPAMYCIN_G_PER_MOL,
    Combined,
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


def osmotic_shock(
    nacl_M: float, at: float = 0.0, duration: float | None = None, allow_extrapolation: bool = False
) -> OsmoticShock:
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
        raise PerturbationError(
            f"{m:g} M NaCl exceeds the solubility of NaCl in water (~{NACL_SOLUBILITY_M} M); "
            "the concentration is in mol/L, not mM"
        )
    d = None
    if duration is not None:
        d = _finite(duration, "shock duration (min)")
        if d <= 0:
            raise PerturbationError(f"shock duration must be > 0 min, got {duration!r}")
    return OsmoticShock(m, _nonneg_time(at), d, bool(allow_extrapolation))


def nitrogen_shift(nitrogen_mM: float, at: float = 0.0, before_mM: float | None = None) -> NitrogenShift:
    """Medium nitrogen source changed to `nitrogen_mM` (mM ammonium equivalents) at time `at` (min), from
    `before_mM` (the pre-shift medium; default the model's reference, 75.7 mM ammonium in YNB).
    Needs a model with the TORC1 module (``yeast_cell``, ``torc1_module``).

    A poorer source (proline, urea) is expressed as a lower ammonium equivalent: the glutamine it
    supports is lower, and glutamine is the nitrogen signal of TORC1 (Stracka 2014).

    Raises:
        PerturbationError: a negative or non-finite level or time; at resolve time, a model without
            the nitrogen input.
    """
    n = _finite(nitrogen_mM, "nitrogen level (mM)")
    if n < 0:
        raise PerturbationError(f"nitrogen level must be >= 0 mM, got {nitrogen_mM!r}")
    b = None
    if before_mM is not None:
        b = _finite(before_mM, "pre-shift nitrogen level (mM)")
        if b < 0:
            raise PerturbationError(f"pre-shift nitrogen level must be >= 0 mM, got {before_mM!r}")
    return NitrogenShift(n, _nonneg_time(at), b)


RAPAMYCIN_NM_PER_NG_ML = 1e3 / RAPAMYCIN_G_PER_MOL  # nM per ng/mL


def rapamycin(dose_nM: float, at: float = 0.0) -> Rapamycin:
    """Rapamycin at `dose_nM` (nmol/L) added to the medium at time `at` (min); 200 ng/mL = 218.8 nM.

    TORC1 is inhibited through the model's declared target FKBP12 (Fpr1, Kd 0.2 nM) and the
    FKBP12-rapamycin-FRB complex (Kd 12 nM), models/signaling_tor.yaml.

    Raises:
        PerturbationError: a negative or non-finite dose or time; at resolve time, a model without
            the TORC1 module.
    """
    d = _finite(dose_nM, "rapamycin dose (nM)")
    if d < 0:
        raise PerturbationError(f"rapamycin dose must be >= 0 nM, got {dose_nM!r} (negative dose)")
    if d > 1e6:
        raise PerturbationError(f"rapamycin dose {d:g} nM is above 1 mM; the dose is in nmol/L")
    return Rapamycin(d, _nonneg_time(at))


_TIMED = (Event, OsmoticShock, NitrogenShift, Rapamycin, Dose)


def delayed(perturbation: Perturbation, minutes: float) -> Perturbation:
    """`perturbation` with every timed part (events, shocks, shifts, drug additions) `minutes` later.

    A lead-in: simulated from 0, the culture spends `minutes` in its pre-perturbation state (the
    pre-shift medium of a `nitrogen_shift`, no drug) before the perturbation, so fast signaling is
    at its pre-perturbation steady state; compare model time ``t + minutes`` with data time ``t``.
    Initial concentrations, clamps, gene activities and parameters stay from time 0.

    Raises:
        PerturbationError: a negative or non-finite `minutes`, or not a perturbation.
    """
    m = _finite(minutes, "lead-in (min)")
    if m < 0:
        raise PerturbationError(f"lead-in must be >= 0 min, got {minutes!r}")
    parts = [dataclasses.replace(p, t_min=p.t_min + m) if isinstance(p, _TIMED) else p for p in flatten(perturbation)]
    return Combined(tuple(parts)) if isinstance(perturbation, Combined) else parts[0]


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


def parameter(name: str, value: float | None = None, *, factor: float | None = None) -> SetParameter:
    """Set a model parameter to `value` (the model's core units: mM, min, L) or scale it by `factor`,
    for the whole solve. `name` is one of `cell.theta_names` (a global parameter id, an SBML
    parameter, or ``REACTION.NAME`` for a rate-law parameter such as ``"PFK.Vmax"``); it is checked
    when resolved. Give exactly one of `value` and `factor` (finite; a factor must be positive)."""
    if (value is None) == (factor is None):
        raise PerturbationError(f"parameter {name!r}: give exactly one of value= and factor=")
    if factor is not None:
        f = _finite(factor, f"factor of parameter {name!r}")
        if f <= 0:
            raise PerturbationError(f"factor of parameter {name!r} must be positive, got {factor!r}")
        return SetParameter(str(name).strip(), f, PARAM_SCALE)
    return SetParameter(str(name).strip(), _finite(value, f"value of parameter {name!r}"), PARAM_SET)


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
