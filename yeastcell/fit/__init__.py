"""Fitting and training: mechanistic parameters, residual networks or both (`fit`), with parameter
transforms and priors (`FitParameter`), multi-start, early stopping, checkpoints, and practical
identifiability and confidence intervals from the Fisher information (`fisher_information`,
`confidence_intervals`)."""

from .identify import Identifiability as Identifiability
from .identify import confidence_intervals as confidence_intervals
from .identify import fisher_information as fisher_information
from .params import FitParameter as FitParameter
from .params import Fittable as Fittable
from .params import bounded_parameters as bounded_parameters
from .params import fittable as fittable
from .params import read_parameter_file as read_parameter_file
from .params import with_parameters as with_parameters
from .problem import Problem as Problem
from .problem import Regularisation as Regularisation
from .problem import build_problem as build_problem
from .schedule import residual_optimizer as residual_optimizer
from .train import FitResult as FitResult
from .train import fit as fit

__all__ = [
    "FitParameter",
    "FitResult",
    "Fittable",
    "Identifiability",
    "Problem",
    "Regularisation",
    "bounded_parameters",
    "build_problem",
    "confidence_intervals",
    "fisher_information",
    "fit",
    "fittable",
    "read_parameter_file",
    "residual_optimizer",
    "with_parameters",
]
