"""PEtab parameter-estimation problems (v1 and v2) on yeastcell's SBML import and solvers.

    >>> import yeastcell.petab as yp
    >>> problem = yp.load("problem.yaml")                 # doctest: +SKIP
    >>> obj = problem.objective()                          # doctest: +SKIP
    >>> obj.nllh(obj.x_nominal), obj.value_and_grad(obj.x_nominal)   # doctest: +SKIP
    >>> yp.write_simulations(obj, obj.x_nominal, "sim.tsv")      # doctest: +SKIP

Modules, one concept each:

    errors     PetabError, PetabValidationError, UnsupportedPetabError
    math       PEtab math -> traceable JAX functions (via libpetab's sympy parser)
    tables     yeastcell's form of the tables (Parameter, Observable, Experiment, Period, Change,
               Measurement), read from libpetab's v1 and v2 problems
    model      PetabModel: the SBML model compiled to an SbmlCell, with initial values, condition
               changes, time-course and steady-state solves as traceable functions
    simulate   Simulator: every experiment (grouped and vmapped), model values per measurement row
    priors     parameter priors (log-densities, truncation)
    objective  Objective: nllh, chi², log-posterior, gradients; Evaluation
    problem    load() -> PetabProblem
    sciml_tables  the PEtab-SciML extension of a v2 problem (networks, hybridization, network rows
               of the mapping and parameter tables), split off before libpetab reads the rest
    output     write_simulations, write_parameters (PEtab tables, atomic)
    fit        multi-start fit (fit_problem)
    pysb       PySB models exported to SBML (needs pysb and BioNetGen)
    export     write_problem: a cell + Dataset + parameters to fit written as a PEtab v2 problem
    yeast      the project's yeast fits as PEtab problems (write_yeast_problems; `yeastcell petab yeast`)
    sciml      PEtab-SciML: neural networks (YAML + HDF5), hybrid problems, residual-network export
"""

from .errors import ExportError as ExportError
from .errors import PetabError as PetabError
from .errors import PetabValidationError as PetabValidationError
from .errors import UnsupportedPetabError as UnsupportedPetabError
from .export import write_problem as write_problem
from .fit import PetabFit as PetabFit
from .fit import fit_problem as fit_problem
from .fit import plot_fit as plot_fit
from .model import PetabModel as PetabModel
from .objective import Evaluation as Evaluation
from .objective import Objective as Objective
from .output import parameter_table as parameter_table
from .output import simulation_table as simulation_table
from .output import write_parameters as write_parameters
from .output import write_simulations as write_simulations
from .problem import PetabProblem as PetabProblem
from .problem import load as load
from .simulate import Simulator as Simulator
from .tables import Tables as Tables
from .yeast import write_yeast_problems as write_yeast_problems
