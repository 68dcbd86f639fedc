"""Perturbations as data.

Symbolic perturbations (`knockout`, `knockdown`, `overexpress`, `inhibit`, `medium`, `clamp`,
`initial`, `pulse`, `step`, `osmotic_shock`, `nitrogen_shift`, `rapamycin`, `delayed`, `dose`, `stress`, `condition`, and `proteome`: a
strain's measured protein levels) name genes and species;
combine them with ``+``. `resolve(cell, perturbation)` turns them, in plain Python, into a
`Condition`: a pytree of arrays of fixed shape, so that many conditions stack into one batch for
`jax.vmap`. `parse_perturbation` reads the one-line condition-string language
(``"ko:HXK2+pulse:GLC_e=10@20"``).

Modules, one concept each:

    types         the symbolic perturbation types (frozen dataclasses)
    constructors  checked constructors of those types
    resolver      `Condition`, `resolve`, `resolve_batch`, `stack`
    notation      the condition-string language
    proteome      measured proteomes as input: `ProteomeTable`, `proteome` (`ProteomeLevels`)
    shrinkage     empirical-Bayes denoising of measured protein log ratios

Units: concentrations and pulse amounts in mM, times in min, NaCl in mol/L, doses and Ki in the
same unit.
"""

from .constructors import STRESSES as STRESSES
from .constructors import clamp as clamp
from .constructors import condition as condition
from .constructors import delayed as delayed
from .constructors import dose as dose
from .constructors import inhibit as inhibit
from .constructors import initial as initial
from .constructors import knockdown as knockdown
from .constructors import knockout as knockout
from .constructors import medium as medium
from .constructors import nitrogen_shift as nitrogen_shift
from .constructors import osmotic_shock as osmotic_shock
from .constructors import overexpress as overexpress
from .constructors import parameter as parameter
from .constructors import pulse as pulse
from .constructors import rapamycin as rapamycin
from .constructors import step as step
from .constructors import stress as stress
from .constructors import wild_type as wild_type
from .notation import delayed_notation as delayed_notation
from .notation import parse_perturbation as parse_perturbation
from .notation import perturbation_key as perturbation_key
from .proteome import ProteomeCoverage as ProteomeCoverage
from .proteome import ProteomeLevels as ProteomeLevels
from .proteome import ProteomeTable as ProteomeTable
from .proteome import proteome as proteome
from .resolver import Condition as Condition
from .resolver import count_events as count_events
from .resolver import count_parameters as count_parameters
from .resolver import resolve as resolve
from .resolver import resolve_batch as resolve_batch
from .resolver import stack as stack
from .shrinkage import shrink_log_ratios as shrink_log_ratios
from .shrinkage import shrinkage_factors as shrinkage_factors
from .types import EVENT_ADD as EVENT_ADD
from .types import EVENT_SET as EVENT_SET
from .types import NACL_SOLUBILITY_M as NACL_SOLUBILITY_M
from .types import NACL_SPECIES as NACL_SPECIES
from .types import NACL_VALIDITY_PARAMETER as NACL_VALIDITY_PARAMETER
from .types import Combined as Combined
from .types import Dose as Dose
from .types import Event as Event
from .types import GeneActivity as GeneActivity
from .types import Inhibit as Inhibit
from .types import NamedCondition as NamedCondition
from .types import NitrogenShift as NitrogenShift
from .types import OsmoticShock as OsmoticShock
from .types import Perturbation as Perturbation
from .types import Rapamycin as Rapamycin
from .types import SetConcentration as SetConcentration
from .types import ValidityWarning as ValidityWarning
from .types import flatten as flatten
