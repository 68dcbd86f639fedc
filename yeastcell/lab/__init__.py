"""Labs: where experiment plans are run and measured (`Lab` protocol: ``run(plan) -> Dataset``).

* :mod:`yeastcell.lab.plan` — `Experiment`, `Plan` (JSON, worklist CSV, measurement template).
* :mod:`yeastcell.lab.file_lab` — `FileLab`: export a plan for people or robots, ingest the filled-in table.
* :mod:`yeastcell.lab.virtual` — `VirtualLab`: a hidden ground-truth cell (:mod:`yeastcell.lab.truth`)
  measured with mass-spectrometry-like noise; ``run(perturbations, times_min) -> Dataset``.
"""

from .file_lab import FileLab as FileLab
from .file_lab import MeasurementsPending as MeasurementsPending
from .plan import Experiment as Experiment
from .plan import Lab as Lab
from .plan import Plan as Plan
from .plan import PlanError as PlanError
from .truth import HiddenRegulation as HiddenRegulation
from .truth import TruthCell as TruthCell
from .truth import hidden_truth as hidden_truth
from .virtual import MeasurementModel as MeasurementModel
from .virtual import VirtualLab as VirtualLab
