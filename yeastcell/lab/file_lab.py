"""`FileLab`: a lab that works through files, for experiments done by people or robots.

For each plan round it writes, into ``<folder>/round_NNN/``::

    plan.json                  the plan (lossless; Plan.from_json)
    worklist.csv               one row per sample: strain, treatment, dose, time, replicate
    measurements_template.csv  the long table to fill in: condition, time_min, observable, value (empty), ...

The lab fills in ``value`` (leaving a row out, or its value empty, means "not measured") and saves
the table as ``measurements.csv`` in the same folder (or passes any path to :meth:`FileLab.ingest`).
:meth:`FileLab.run` exports the plan and, once that file exists, ingests it through the Dataset
table importer, checks it against the plan, and returns the Dataset; before that it raises
:class:`MeasurementsPending` naming the file to fill.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..data import Dataset
from ..exceptions import DatasetError, UnknownNameError, YeastcellError
from .plan import Plan, PlanError


class MeasurementsPending(YeastcellError, RuntimeError):
    """The plan is exported but its measurement table has not been filled in yet.

    Attributes:
        path: where the filled-in table is expected.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        super().__init__(
            f"measurements for this round are not in yet: fill in the template beside "
            f"it and save it as {self.path}, then run again"
        )


class FileLab:
    """A `Lab` whose experiments are exported as files and whose results are read back from files.

    Args:
        folder: working folder (created when needed); one sub-folder per plan round.
        missing: ``"drop"`` (default: an empty value is a sample that was not measured) or
            ``"error"`` (every row of the returned table must hold a number).
        provenance: extra provenance entries for every ingested Dataset (lab, operator, ...).
    """

    def __init__(self, folder: str | Path, missing: str = "drop", provenance: dict[str, str] | None = None):
        if missing not in ("drop", "error"):
            raise ValueError(f"missing must be 'drop' or 'error', got {missing!r}")
        self.folder = Path(folder)
        self.missing = missing
        self.provenance = dict(provenance or {})

    def round_dir(self, plan: Plan) -> Path:
        return self.folder / f"round_{plan.round:03d}"

    def measurements_path(self, plan: Plan) -> Path:
        """Where :meth:`run` expects the filled-in table of `plan`."""
        return self.round_dir(plan) / "measurements.csv"

    def export(self, plan: Plan) -> dict[str, Path]:
        """Write plan.json, worklist.csv and measurements_template.csv (atomically).

        Re-exporting the same plan is a no-op; a different plan for a round already exported raises.

        Raises:
            PlanError: the round folder holds a different plan.
        """
        d = self.round_dir(plan)
        paths = {"plan": d / "plan.json", "worklist": d / "worklist.csv", "template": d / "measurements_template.csv"}
        if paths["plan"].exists():
            old = Plan.from_json(paths["plan"])
            if old.to_dict() != plan.to_dict():
                raise PlanError(
                    f"{paths['plan']} holds a different plan for round {plan.round}; "
                    "use a new round number or another folder"
                )
        else:
            plan.to_worklist(paths["worklist"])
            plan.to_measurement_template(paths["template"])
            plan.to_json(paths["plan"])  # last: its presence means the export is complete
        return paths

    def run(self, plan: Plan):
        """Export `plan` if needed; return the ingested Dataset once ``measurements.csv`` exists.

        Raises:
            MeasurementsPending: the table has not been filled in yet.
            DatasetError, UnknownNameError: the table does not match the plan (named item).
        """
        self.export(plan)
        path = self.measurements_path(plan)
        if not path.is_file():
            raise MeasurementsPending(path)
        return self.ingest(plan, path)

    def ingest(self, plan: Plan, path: str | Path):
        """Read a filled-in measurement table and check it against `plan`.

        The returned Dataset has the plan's conditions (in plan order), the union of the planned
        sampling times, the plan's observables (in plan order) and ``max(replicates)`` replicates;
        unmeasured entries are masked.

        Raises:
            DatasetError: unreadable table, a time or replicate the plan did not ask for, an
                experiment without any measured value, a unit that contradicts the plan.
            UnknownNameError: a condition or observable that is not in the plan (close matches).
        """

        path = Path(path)
        ds = Dataset.from_table(path, missing=self.missing)
        for c in ds.conditions:
            if c not in plan.conditions:
                raise UnknownNameError(
                    f"condition in {path.name} (not in the round {plan.round} plan)", c, plan.conditions
                )
        for o in ds.observables:
            if o not in plan.observables:
                raise UnknownNameError(f"observable in {path.name} (not in the plan)", o, plan.observables)
        for o, u in ds.units.items():
            if u and plan.units[o] and u != plan.units[o]:
                raise DatasetError(f"{path}: observable {o!r} is in {u!r}, the plan asked for {plan.units[o]!r}")
        times = np.array(sorted({t for e in plan.experiments for t in e.times_min}), dtype=np.float64)
        n_rep = max(e.replicates for e in plan.experiments)
        shape = (len(plan.experiments), n_rep, times.size, len(plan.observables))
        values = np.full(shape, np.nan)
        mask = np.zeros(shape, dtype=bool)
        for ci, e in enumerate(plan.experiments):
            if e.condition not in ds.conditions or not ds.mask[ds.condition_index(e.condition)].any():
                raise DatasetError(f"{path}: experiment {e.id!r} ({e.condition}) has no measured value")
            src = ds.condition_index(e.condition)
            planned = np.array(e.times_min)
            for k, t in enumerate(ds.times_min):
                if not ds.mask[src, :, k, :].any():
                    continue
                if not np.isclose(planned, t, rtol=1e-9, atol=1e-9).any():
                    raise DatasetError(
                        f"{path}: experiment {e.id!r} ({e.condition}) has values at "
                        f"t = {t:g} min, not a planned time ({', '.join(f'{x:g}' for x in planned)})"
                    )
                tk = int(np.argmin(np.abs(times - t)))
                for r in range(ds.n_replicates):
                    if ds.mask[src, r].any() and r >= e.replicates:
                        raise DatasetError(
                            f"{path}: experiment {e.id!r} has replicate {r + 1}, the plan asked for {e.replicates}"
                        )
                    for oi, o in enumerate(plan.observables):
                        if o in ds.observables:
                            j = ds.observable_index(o)
                            if ds.mask[src, r, k, j]:
                                values[ci, r, tk, oi] = ds.values[src, r, k, j]
                                mask[ci, r, tk, oi] = True
        prov = dict(ds.provenance)
        prov.update(self.provenance)
        prov.update(
            {
                "source": f"FileLab round {plan.round}",
                "file": str(path),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "notes": f"{int(mask.sum())} of {plan.n_samples * len(plan.observables)} planned values measured",
            }
        )
        return Dataset(
            conditions=plan.conditions,
            times_min=times,
            observables=plan.observables,
            values=values,
            mask=mask,
            transform=ds.transform,
            reference=ds.reference,
            reference_time_min=ds.reference_time_min,
            units={o: ds.units.get(o) or plan.units[o] for o in plan.observables},
            provenance=prov,
        )
