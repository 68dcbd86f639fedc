"""Labs: where experiment plans are run and measured (`Lab` protocol: ``run(plan) -> Dataset``).

* :mod:`yeastcell.lab.plan` — `Experiment`, `Plan` (JSON, worklist CSV, measurement template).
* :mod:`yeastcell.lab.file_lab` — `FileLab`: export a plan for people or robots, ingest the filled-in table.
"""

from .file_lab import FileLab as FileLab
from .file_lab import MeasurementsPending as MeasurementsPending
from .plan import Experiment as Experiment
from .plan import Lab as Lab
from .plan import Plan as Plan
from .plan import PlanError as PlanError
