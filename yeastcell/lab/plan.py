"""Experiment plans: what a lab (virtual, robotic or human) should run next, and the `Lab` protocol.

An :class:`Experiment` is one strain under one treatment, sampled at given times (min) in a number
of replicates, with a cost (any unit the user budgets in: plates, hours, euros). Strain and
treatment are written in yeastcell's perturbation notation (`yeastcell.perturb.notation`)::

    strain     wt | ko:HXK2 | ko:PDC1,PDC5 | kd:PFK1=0.3 | oe:HXK2=2     (genetic parts, joined by +)
    treatment  "" | set:GLC_e=20 | pulse:GLC_e=10@0 | inhibit:TDH3=5/2 | cond:teusink2000

and :attr:`Experiment.condition` joins them into the condition string a :class:`Dataset` stores.

A :class:`Plan` is one round of experiments plus the observables to measure. It is exported as
JSON (lossless, read back with :meth:`Plan.from_json`), as a worklist CSV (one row per sample:
strain, treatment, dose, time, replicate — what a robot or a person executes) and as a
measurement template (the long table of the Dataset importer with an empty ``value`` column).

A lab is anything with ``run(plan) -> Dataset`` (:class:`Lab`).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from .. import perturb as P
from ..exceptions import PerturbationError, UnknownNameError, YeastcellError
from ..io import atomic_path
from ..perturb import resolve
from ..perturb.notation import parse_perturbation

if TYPE_CHECKING:
    from ..data import Dataset

PLAN_FORMAT = "yeastcell-plan/1"
GENETIC_KINDS = ("wt", "ko", "knockout", "kd", "knockdown", "oe", "overexpress")
WORKLIST_COLUMNS = ("sample_id", "experiment_id", "strain", "treatment", "dose", "time_min", "replicate", "condition")
TEMPLATE_COLUMNS = ("condition", "time_min", "observable", "value", "replicate", "unit", "experiment_id", "sample_id")


class PlanError(YeastcellError, ValueError):
    """An experiment plan is malformed (bad condition, times, replicates, cost, file)."""


@runtime_checkable
class Lab(Protocol):
    """Anything that runs an experiment plan and returns the measurements as a Dataset."""

    def run(self, plan: Plan) -> Dataset:
        """Run every experiment of `plan`; the Dataset's conditions are the plan's conditions."""
        ...


def _kind(part: str) -> str:
    part = part.strip()
    if part.lower() in ("wt", "wild_type", "wildtype", "wild-type"):
        return "wt"
    return part.split(":", 1)[0].strip().lower() if ":" in part else part.lower()


def _parts(text: str) -> list[str]:
    return [p.strip() for p in text.split("+") if p.strip()]


def _check_notation(text: str, what: str, genetic: bool, eid: str) -> str:
    text = text.strip()
    if not text:
        return text
    try:
        parse_perturbation(text)
    except (PerturbationError, UnknownNameError) as err:
        raise PlanError(f"experiment {eid!r}: {what} {text!r}: {err}") from None
    for p in _parts(text):
        if (_kind(p) in GENETIC_KINDS) != genetic:
            other = "treatment" if genetic else "strain"
            raise PlanError(
                f"experiment {eid!r}: {p!r} belongs in the {other}, not the {what} "
                f"(strain: wt/ko/kd/oe; treatment: set/clamp/pulse/step/inhibit/cond)"
            )
    return text


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One strain × treatment, sampled at `times_min` in `replicates` replicates.

    Attributes:
        id: unique within a plan (e.g. ``"r02-e05"``).
        strain: genetic perturbation in notation (``"wt"``, ``"ko:HXK2"``, ``"kd:PFK1=0.3"``).
        treatment: environmental perturbation in notation, or ``""`` for none.
        times_min: sampling times (min), strictly increasing, >= 0.
        replicates: number of biological replicates (>= 1).
        cost: cost of the whole experiment (all samples), >= 0.
        rationale: why it was chosen (e.g. the acquisition score), for people reading the plan.

    Raises:
        PlanError: naming the experiment and the bad field.
    """

    id: str
    strain: str = "wt"
    treatment: str = ""
    times_min: tuple[float, ...] = ()
    replicates: int = 1
    cost: float = 1.0
    rationale: str = ""

    def __post_init__(self):
        if not isinstance(self.id, str) or not self.id.strip() or "," in self.id:
            raise PlanError(f"experiment id must be a non-empty string without commas, got {self.id!r}")
        eid = self.id
        strain = _check_notation(str(self.strain), "strain", True, eid) or "wt"
        treatment = _check_notation(str(self.treatment or ""), "treatment", False, eid)
        try:
            times = tuple(float(t) for t in self.times_min)
        except (TypeError, ValueError):
            raise PlanError(f"experiment {eid!r}: times_min must be numbers (min)") from None
        if not times:
            raise PlanError(f"experiment {eid!r}: no sampling times")
        if not all(math.isfinite(t) and t >= 0 for t in times):
            raise PlanError(f"experiment {eid!r}: sampling times must be finite and >= 0 min, got {times}")
        if any(b <= a for a, b in itertools.pairwise(times)):
            raise PlanError(f"experiment {eid!r}: sampling times must be strictly increasing, got {times}")
        if isinstance(self.replicates, bool) or int(self.replicates) != self.replicates or self.replicates < 1:
            raise PlanError(f"experiment {eid!r}: replicates must be an integer >= 1, got {self.replicates!r}")
        try:
            cost = float(self.cost)
        except (TypeError, ValueError):
            raise PlanError(f"experiment {eid!r}: cost must be a number, got {self.cost!r}") from None
        if not math.isfinite(cost) or cost < 0:
            raise PlanError(f"experiment {eid!r}: cost must be finite and >= 0, got {self.cost!r}")
        object.__setattr__(self, "strain", strain)
        object.__setattr__(self, "treatment", treatment)
        object.__setattr__(self, "times_min", times)
        object.__setattr__(self, "replicates", int(self.replicates))
        object.__setattr__(self, "cost", cost)

    @classmethod
    def from_condition(
        cls,
        id: str,
        condition: str,
        times_min: Sequence[float],
        replicates: int = 1,
        cost: float = 1.0,
        rationale: str = "",
    ) -> Experiment:
        """Split a condition string (e.g. ``"ko:HXK2+pulse:GLC_e=10@0"``) into strain and treatment."""
        parts = _parts(condition)
        genetic = [p for p in parts if _kind(p) in GENETIC_KINDS and _kind(p) != "wt"]
        other = [p for p in parts if _kind(p) not in GENETIC_KINDS]
        return cls(id, "+".join(genetic) or "wt", "+".join(other), tuple(times_min), replicates, cost, rationale)

    @property
    def condition(self) -> str:
        """The condition string of the Dataset: strain and treatment joined with ``+``."""
        if not self.treatment:
            return self.strain
        return self.treatment if self.strain == "wt" else f"{self.strain}+{self.treatment}"

    @property
    def dose(self) -> str:
        """The treatment in words with its amounts and units (e.g. ``"GLC_e +10 mM at 0 min"``)."""
        if not self.treatment:
            return ""
        p = parse_perturbation(self.treatment)
        parts = getattr(p, "parts", (p,))
        return "; ".join(_dose_text(x) for x in parts)

    def sample_ids(self) -> list[tuple[str, float, int]]:
        """(sample id, time in min, replicate) for every sample."""
        return [
            (f"{self.id}-t{k:02d}-r{r}", t, r)
            for r in range(1, self.replicates + 1)
            for k, t in enumerate(self.times_min)
        ]


def _dose_text(p) -> str:
    if isinstance(p, P.Inhibit):
        return f"inhibitor of {p.target} at dose {p.dose:g} (Ki {p.Ki:g}, same unit)"
    return p.label


@dataclasses.dataclass(frozen=True)
class Plan:
    """One round of experiments and the observables to measure in each.

    Attributes:
        experiments: the experiments (unique ids and conditions).
        observables: ids of what is measured (model species/observables), in the Dataset's order.
        round: round number of a closed loop (0 for a one-off plan).
        units: unit per observable, written into the measurement template (e.g. ``{"ETOH_e": "mM"}``).
        notes: free text (who planned it and how).

    Raises:
        PlanError: naming the bad item.
    """

    experiments: tuple[Experiment, ...]
    observables: tuple[str, ...]
    round: int = 0
    units: Mapping[str, str] = dataclasses.field(default_factory=dict)
    notes: str = ""

    def __post_init__(self):
        exps = tuple(self.experiments)
        if not exps:
            raise PlanError("a plan needs at least one experiment")
        for e in exps:
            if not isinstance(e, Experiment):
                raise PlanError(f"plan experiments must be Experiment objects, got {type(e).__name__}")
        for what, key in (("id", lambda e: e.id), ("condition", lambda e: e.condition)):
            seen: set[str] = set()
            for e in exps:
                if key(e) in seen:
                    raise PlanError(
                        f"two experiments share the {what} {key(e)!r}; merge them (more replicates) or change one"
                    )
                seen.add(key(e))
        if isinstance(self.observables, str):
            raise PlanError(f"observables must be a sequence of ids, not the string {self.observables!r}")
        obs = tuple(self.observables)
        if not obs or len(set(obs)) != len(obs) or not all(isinstance(o, str) and o.strip() for o in obs):
            raise PlanError(f"observables must be unique non-empty ids, got {obs!r}")
        for k in self.units:
            if k not in obs:
                raise UnknownNameError("observable (in plan units)", k, obs)
        if isinstance(self.round, bool) or int(self.round) != self.round or self.round < 0:
            raise PlanError(f"round must be an integer >= 0, got {self.round!r}")
        object.__setattr__(self, "experiments", exps)
        object.__setattr__(self, "observables", obs)
        object.__setattr__(self, "round", int(self.round))
        object.__setattr__(self, "units", {o: str(self.units.get(o, "")) for o in obs})

    @property
    def conditions(self) -> tuple[str, ...]:
        return tuple(e.condition for e in self.experiments)

    @property
    def total_cost(self) -> float:
        return float(sum(e.cost for e in self.experiments))

    @property
    def n_samples(self) -> int:
        return sum(len(e.times_min) * e.replicates for e in self.experiments)

    def experiment(self, condition: str) -> Experiment:
        """The experiment with this condition string.

        Raises:
            UnknownNameError: with close matches.
        """
        for e in self.experiments:
            if e.condition == condition:
                return e
        raise UnknownNameError("condition (not in the plan)", condition, self.conditions)

    def check_against(self, cell) -> Plan:
        """Resolve every condition against `cell` (gene and species names) and check observables.

        Raises:
            UnknownNameError: an unknown gene, species or observable, with close matches.
        """
        for e in self.experiments:
            resolve(cell, parse_perturbation(e.condition))
        spec = getattr(cell, "spec", None)
        known = set(getattr(cell, "species_ids", ())) | set(getattr(cell, "reaction_ids", ()))
        known |= {o.id for o in getattr(spec, "observables", ())}
        for o in self.observables:
            if o not in known:
                raise UnknownNameError("observable", o, sorted(known))
        return self

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict:
        return {
            "format": PLAN_FORMAT,
            "round": self.round,
            "observables": list(self.observables),
            "units": dict(self.units),
            "notes": self.notes,
            "experiments": [
                dict(dataclasses.asdict(e), times_min=list(e.times_min), condition=e.condition)
                for e in self.experiments
            ],
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> Plan:
        """Inverse of :meth:`to_dict`.

        Raises:
            PlanError: wrong format tag or fields.
        """
        if d.get("format") != PLAN_FORMAT:
            raise PlanError(f"not a yeastcell plan (format {d.get('format')!r}, expected {PLAN_FORMAT!r})")
        fields = {f.name for f in dataclasses.fields(Experiment)}
        try:
            exps = tuple(Experiment(**{k: v for k, v in e.items() if k in fields}) for e in d["experiments"])
            return cls(exps, tuple(d["observables"]), d.get("round", 0), d.get("units", {}), d.get("notes", ""))
        except (KeyError, TypeError) as err:
            raise PlanError(f"malformed plan: {err}") from None

    def to_json(self, path: str | Path) -> Path:
        """Write the plan as JSON (atomically); lossless."""
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return Path(path)

    @classmethod
    def from_json(cls, path: str | Path) -> Plan:
        """Read a plan written by :meth:`to_json`.

        Raises:
            PlanError: unreadable or not a plan.
        """
        try:
            d = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise PlanError(f"{path}: cannot read the plan ({err})") from None
        return cls.from_dict(d)

    def worklist_rows(self) -> list[dict]:
        """One row per sample to take: what to grow, how to treat it, when to sample."""
        return [
            {
                "sample_id": sid,
                "experiment_id": e.id,
                "strain": e.strain,
                "treatment": e.treatment,
                "dose": e.dose,
                "time_min": t,
                "replicate": r,
                "condition": e.condition,
            }
            for e in self.experiments
            for sid, t, r in e.sample_ids()
        ]

    def to_worklist(self, path: str | Path) -> Path:
        """Write the worklist CSV (columns `WORKLIST_COLUMNS`), atomically."""
        return _write_csv(path, WORKLIST_COLUMNS, self.worklist_rows())

    def template_rows(self) -> list[dict]:
        """One row per value to measure, ``value`` empty (the Dataset importer's long format)."""
        return [
            {
                "condition": e.condition,
                "time_min": t,
                "observable": o,
                "value": "",
                "replicate": r,
                "unit": self.units[o],
                "experiment_id": e.id,
                "sample_id": sid,
            }
            for e in self.experiments
            for sid, t, r in e.sample_ids()
            for o in self.observables
        ]

    def to_measurement_template(self, path: str | Path) -> Path:
        """Write the measurement template CSV (columns `TEMPLATE_COLUMNS`), atomically."""
        return _write_csv(path, TEMPLATE_COLUMNS, self.template_rows())


def _write_csv(path, columns, rows) -> Path:
    import csv

    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns))
        w.writeheader()
        for r in rows:
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in r.items()})
    return Path(path)
