"""Symbolic perturbations: frozen dataclasses that name genes, species and conditions.

Each type is one kind of intervention; ``a + b`` combines them into a `Combined`. They are plain
Python values (hashable, immutable); `yeastcell.perturb.resolver.resolve` turns them into arrays
for one cell, `yeastcell.perturb.constructors` builds them with checked values.

Units: concentrations and pulse amounts in mM, times in min, NaCl in mol/L (M), doses and Ki in
the same unit.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from ..exceptions import PerturbationError, UnknownNameError

EVENT_ADD, EVENT_SET = 0, 1
PARAM_SCALE, PARAM_SET = 0, 1  # how a `SetParameter` changes its parameter
NACL_SPECIES = "NaCl_e"  # medium NaCl (mM), the input of the HOG module (models/signaling_hog.yaml)
NACL_VALIDITY_PARAMETER = "NaCl_max_M"  # model parameter: upper end of the validated NaCl range (M)
NACL_SOLUBILITY_M = 6.1  # NaCl saturation in water at 25-30 C (about 36 g / 100 g water)
NITROGEN_SPECIES = "NH4_e"  # medium nitrogen source (mM ammonium equivalents), input of TORC1 (signaling_tor.yaml)
RAPAMYCIN_SPECIES = "RAP_e"  # medium rapamycin (mM), bound by FKBP12 (Fpr1) in signaling_tor.yaml
RAPAMYCIN_G_PER_MOL = 914.2  # sirolimus C51H79NO13 (PubChem CID 5284616): 200 ng/mL = 218.8 nM


class ValidityWarning(UserWarning):
    """A perturbation lies outside the range a model is validated for (allowed on request)."""


class Perturbation:
    """Base class of symbolic perturbations; ``a + b`` combines them."""

    def __add__(self, other: Perturbation) -> Combined:
        return Combined(tuple(flatten(self)) + tuple(flatten(other)))

    @property
    def label(self) -> str:
        raise NotImplementedError


def flatten(p) -> Iterable[Perturbation]:
    """The parts of a perturbation: those of a `Combined`, else the perturbation itself.

    Raises:
        PerturbationError: `p` is not a perturbation.
    """
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
class SetParameter(Perturbation):
    """Set a model parameter (`mode` PARAM_SET: to `value`, in the model's core units) or scale it
    (`mode` PARAM_SCALE: by the factor `value`) for the whole solve. `parameter` is an entry of
    `cell.theta_names`: a global parameter id, or ``REACTION.NAME`` for a rate-law parameter."""

    parameter: str
    value: float
    mode: int = PARAM_SET

    @property
    def label(self) -> str:
        return f"{self.parameter}{'=' if self.mode == PARAM_SET else '×'}{self.value:g}"


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
            raise PerturbationError(
                f"model {cell.model_id!r} has no osmotic-stress input (species {NACL_SPECIES!r}); "
                "load the whole-cell model 'yeast_cell', which includes the HOG module"
            )
        limit = {q.id: q.value for q in cell.spec.parameters}.get(NACL_VALIDITY_PARAMETER)
        if limit is not None and self.nacl_M > limit:
            msg = (
                f"osmotic shock of {self.nacl_M:g} M NaCl is outside the validity range of model "
                f"{cell.model_id!r} (0-{limit:g} M, parameter {NACL_VALIDITY_PARAMETER!r})"
            )
            if not self.allow_extrapolation:
                raise PerturbationError(msg + "; pass allow_extrapolation=True to simulate it anyway")
            warnings.warn(msg + "; extrapolating", ValidityWarning, stacklevel=4)
        mM = self.nacl_M * 1000.0
        parts: list[Perturbation] = (
            [SetConcentration(NACL_SPECIES, mM)]
            if self.t_min == 0
            else [Event(NACL_SPECIES, mM, self.t_min, EVENT_SET)]
        )
        if self.duration_min is not None:
            parts.append(Event(NACL_SPECIES, 0.0, self.t_min + self.duration_min, EVENT_SET))
        return parts


def _needs_species(cell, species: str, what: str) -> None:
    if species not in cell.species_ids:
        raise PerturbationError(
            f"model {cell.model_id!r} has no {what} (species {species!r}); load the whole-cell model "
            "'yeast_cell' (or 'torc1_module'), which include the TORC1 module (models/signaling_tor.yaml)"
        )


@dataclass(frozen=True)
class NitrogenShift(Perturbation):
    """Medium nitrogen source changed to `nitrogen_mM` (mM ammonium equivalents) at `t_min`.

    `before_mM` (optional) is the nitrogen level of the pre-shift medium: the medium starts at it, so a
    simulation with a lead-in (`delayed`) equilibrates the culture on the pre-shift source before the
    shift. An upshift is ``before_mM < nitrogen_mM``, a downshift the reverse. Without `before_mM` the
    medium starts at the model's reference level (75.7 mM ammonium, YNB). Resolved against a model
    with the TORC1 module (species ``NH4_e``; nitrogen feeds glutamine, the TORC1 signal).
    """

    nitrogen_mM: float
    t_min: float = 0.0
    before_mM: float | None = None

    @property
    def label(self) -> str:
        before = f"{self.before_mM:g} → " if self.before_mM is not None else ""
        at = f" at {self.t_min:g} min" if self.t_min else ""
        return f"nitrogen {before}{self.nitrogen_mM:g} mM{at}"

    def expand(self, cell) -> list[Perturbation]:
        _needs_species(cell, NITROGEN_SPECIES, "nitrogen input")
        if self.t_min == 0:
            return [SetConcentration(NITROGEN_SPECIES, self.nitrogen_mM)]
        parts: list[Perturbation] = []
        if self.before_mM is not None:
            parts.append(SetConcentration(NITROGEN_SPECIES, self.before_mM))
        return parts + [Event(NITROGEN_SPECIES, self.nitrogen_mM, self.t_min, EVENT_SET)]


@dataclass(frozen=True)
class Rapamycin(Perturbation):
    """Rapamycin at `dose_nM` (nmol/L) in the medium from `t_min` (min).

    Resolved against a model with the TORC1 module: the drug enters the cell and inhibits TORC1
    through its declared target, FKBP12 (Fpr1; Kd 0.2 nM, Bierer et al. 1990), whose complex binds
    the FRB domain of TORC1 (Kd 12 nM, Banaszynski et al. 2005); an ``fpr1`` deletion is resistant.
    200 ng/mL, the usual dose (Heitman 1991; Gonçalves 2017), is 218.8 nM.
    """

    dose_nM: float
    t_min: float = 0.0

    @property
    def label(self) -> str:
        return f"rapamycin {self.dose_nM:g} nM" + (f" at {self.t_min:g} min" if self.t_min else "")

    def expand(self, cell) -> list[Perturbation]:
        _needs_species(cell, RAPAMYCIN_SPECIES, "rapamycin target (FKBP12-TORC1)")
        mM = self.dose_nM * 1e-6
        if self.t_min == 0:
            return [SetConcentration(RAPAMYCIN_SPECIES, mM)]
        return [Event(RAPAMYCIN_SPECIES, mM, self.t_min, EVENT_SET)]


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
