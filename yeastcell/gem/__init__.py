"""Genome-scale metabolic layer of yeastcell (Yeast-GEM and other cobra-readable models).

Flow: ``load_gem(path)`` → :class:`GEM` (immutable arrays, cached by file hash)
→ ``apply_medium`` → ``optimize`` / ``knockout_screen`` (HiGHS on the CPU) →
Yeast-GEM's own validation tests (``essentiality_test``, ``chemostat_growth_test``).
Nothing here imports JAX.
"""

from yeastcell.gem.errors import (
    GemError as GemError,
    GPRSyntaxError as GPRSyntaxError,
    InfeasibleError as InfeasibleError,
    MediumError as MediumError,
    GemFileError as GemFileError,
    LPSolverError as LPSolverError,
    UnknownGeneError as UnknownGeneError,
    UnknownReactionError as UnknownReactionError,
)
from yeastcell.gem.essentiality import (
    EssentialityResult as EssentialityResult,
    GrowthTestResult as GrowthTestResult,
    chemostat_growth_test as chemostat_growth_test,
    essentiality_test as essentiality_test,
)
from yeastcell.gem.fba import FBASolution as FBASolution, optimize as optimize
from yeastcell.gem.gpr import (
    CompiledGPR as CompiledGPR,
    compile_gpr as compile_gpr,
    deleted_reactions as deleted_reactions,
    reaction_activity as reaction_activity,
)
from yeastcell.gem.load import GEM as GEM, gem_from_cobra as gem_from_cobra, load_gem as load_gem
from yeastcell.gem.medium import (
    Medium as Medium,
    apply_medium as apply_medium,
    exchange_reactions as exchange_reactions,
    read_medium as read_medium,
)
from yeastcell.gem.screen import knockout_screen as knockout_screen, resolve_genes as resolve_genes

_LAZY_JAX = {"knockout_growth_batch": "yeastcell.gem.lp", "KnockoutGrowth": "yeastcell.gem.lp",
             "make_engine": "yeastcell.gem.lp"}


def __getattr__(name):
    """The JAX LP engine (``yeastcell.gem.lp``) is imported on first use only."""
    if name in _LAZY_JAX:
        import importlib

        return getattr(importlib.import_module(_LAZY_JAX[name]), name)
    raise AttributeError(f"module 'yeastcell.gem' has no attribute {name!r}")
