"""SBML import and export.

`load(path)` reads an SBML file (Level 2 or 3, python-libsbml) into a `ModelSpec` that
`yeastcell.compile_model` compiles like any other model; `write(cell_or_spec, path)` writes SBML
Level 3 Version 2 (with fbc gene associations where present) that libroadrunner simulates to the
same trajectory.
"""

from ._read import UnsupportedSBMLError as UnsupportedSBMLError
from ._read import load as load
from ._write import write as write
