"""Compiled cells: the abstract interface and its concrete kinds (see `cells/base.py`).

`Cell` is the public name of the interface (`AbstractCell`): any compiled cell is a `Cell`.
"""

from .base import AbstractCell as AbstractCell
from .base import with_dynamic as with_dynamic
from .concentration import ConcentrationCell as ConcentrationCell
from .corrected import CorrectedCell as CorrectedCell
from .rate_laws import ExpressionLaw as ExpressionLaw
from .rate_laws import KindGroup as KindGroup
from .sbml import SbmlCell as SbmlCell

Cell = AbstractCell
