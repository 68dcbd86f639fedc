"""Genome-scale metabolic layer of yeastcell (Yeast-GEM and other cobra-readable models).

Flow: ``load_gem(path)`` → :class:`GEM` (immutable arrays, cached by file hash)
→ ``apply_medium`` → ``optimize`` / ``knockout_screen`` (HiGHS on the CPU, or the batched JAX
LP engine of :mod:`yeastcell.gem.lp`: ``knockout_growth_batch``) → Yeast-GEM's own validation
tests (``essentiality_test``, ``chemostat_growth_test``). ``enzyme_constrained`` adds a total
enzyme pool (sMOMENT, GECKO 3 kcats) and returns an ``ECModel`` whose ``.gem`` goes wherever a GEM
goes; ``chemostat_fluxes``/``critical_dilution_rate`` and ``cn_growth`` simulate chemostats and
maximal growth on carbon × nitrogen sources; ``curate`` applies the authored Yeast-GEM network
curations (``maps/yeastgem_curations.tsv``). Errors are the ``GemError`` family of
:mod:`yeastcell.exceptions`, re-exported here.
"""

from yeastcell.exceptions import GemError as GemError
from yeastcell.exceptions import GemFileError as GemFileError
from yeastcell.exceptions import GPRSyntaxError as GPRSyntaxError
from yeastcell.exceptions import InfeasibleError as InfeasibleError
from yeastcell.exceptions import LPSolverError as LPSolverError
from yeastcell.exceptions import MediumError as MediumError
from yeastcell.exceptions import UnknownGeneError as UnknownGeneError
from yeastcell.exceptions import UnknownReactionError as UnknownReactionError
from yeastcell.gem.chemostat import chemostat_fluxes as chemostat_fluxes
from yeastcell.gem.chemostat import critical_dilution_rate as critical_dilution_rate
from yeastcell.gem.cn_grid import cn_growth as cn_growth
from yeastcell.gem.curation import curate as curate
from yeastcell.gem.enzyme import ECModel as ECModel
from yeastcell.gem.enzyme import enzyme_constrained as enzyme_constrained
from yeastcell.gem.enzyme_data import EnzymeData as EnzymeData
from yeastcell.gem.enzyme_data import EnzymeDataError as EnzymeDataError
from yeastcell.gem.enzyme_data import load_enzyme_data as load_enzyme_data
from yeastcell.gem.essentiality import EssentialityResult as EssentialityResult
from yeastcell.gem.essentiality import GrowthTestResult as GrowthTestResult
from yeastcell.gem.essentiality import chemostat_growth_test as chemostat_growth_test
from yeastcell.gem.essentiality import essentiality_test as essentiality_test
from yeastcell.gem.fba import FBASolution as FBASolution
from yeastcell.gem.fba import optimize as optimize
from yeastcell.gem.genes import resolve_genes as resolve_genes
from yeastcell.gem.gpr import CompiledGPR as CompiledGPR
from yeastcell.gem.gpr import compile_gpr as compile_gpr
from yeastcell.gem.gpr import deleted_reactions as deleted_reactions
from yeastcell.gem.gpr import reaction_activity as reaction_activity
from yeastcell.gem.load import GEM as GEM
from yeastcell.gem.load import gem_from_cobra as gem_from_cobra
from yeastcell.gem.load import load_gem as load_gem
from yeastcell.gem.lp.engine import make_engine as make_engine
from yeastcell.gem.lp.knockout import KnockoutGrowth as KnockoutGrowth
from yeastcell.gem.lp.knockout import knockout_growth_batch as knockout_growth_batch
from yeastcell.gem.medium import Medium as Medium
from yeastcell.gem.medium import apply_medium as apply_medium
from yeastcell.gem.medium import exchange_reactions as exchange_reactions
from yeastcell.gem.medium import read_medium as read_medium
from yeastcell.gem.screen import knockout_screen as knockout_screen
