"""Closing the loop: ensembles, acquisition with cost and diversity, and the checkpointed loop.

* :mod:`~yeastcell.active.learners` — the `Learner` protocol (fit / predict / save / load) and
  `LinearResidualLearner` (mechanistic prior + Bayesian linear correction on perturbation features).
* :mod:`~yeastcell.active.parametric` — `ParameterLearner`: the kinetic model with unknown parameter
  multipliers (Gaussian prior, LM MAP fit, Laplace or randomize-then-optimize posterior samples).
* :mod:`~yeastcell.active.hybrid_learner` — `HybridLearner`: a deep ensemble of neural-residual
  hybrid cells (`yeastcell.hybrid`), each trained with `yeastcell.fit.fit` from its own random start.
* :mod:`~yeastcell.active.ensemble` — `train_ensemble`, `Ensemble.predict` -> mean and spread.
* :mod:`~yeastcell.active.acquisition` — `select_batch`: information gain per cost, batch diversity.
* :mod:`~yeastcell.active.loop` — `closed_loop`: train -> acquire -> Lab.run -> ingest, checkpointed.

See docs/active_learning.md.
"""

from .acquisition import AcquisitionError as AcquisitionError
from .acquisition import Selection as Selection
from .acquisition import select_batch as select_batch
from .ensemble import Ensemble as Ensemble
from .ensemble import Prediction as Prediction
from .ensemble import train_ensemble as train_ensemble
from .hybrid_learner import HybridLearner as HybridLearner
from .learners import CellPrior as CellPrior
from .learners import GeneFeatures as GeneFeatures
from .learners import Learner as Learner
from .learners import LinearResidualLearner as LinearResidualLearner
from .loop import LoopConfig as LoopConfig
from .loop import LoopError as LoopError
from .loop import LoopResult as LoopResult
from .loop import closed_loop as closed_loop
from .loop import heldout_error as heldout_error
from .loop import learning_curve as learning_curve
from .parametric import ParameterLearner as ParameterLearner
from .parametric import ParameterModel as ParameterModel
from .parametric import vmax_parameters as vmax_parameters
