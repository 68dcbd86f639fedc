"""The exceptions yeastcell raises at its Python boundary.

Inside jitted code failure is a value (`Trajectory.status`); at the boundary it is one of these.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class YeastcellError(Exception):
    """Base class of every error yeastcell raises on purpose."""


class ModelFileError(YeastcellError, ValueError):
    """A model file (YAML or SBML) is malformed or inconsistent.

    The message names the file, the item and the problem.
    """

    def __init__(self, path: object, item: str, problem: str):
        self.path = str(path)
        self.item = item
        self.problem = problem
        super().__init__(f"{self.path}: {item}: {problem}")


class UnitError(YeastcellError, ValueError):
    """A unit string cannot be parsed or has the wrong dimension."""


class UnknownNameError(YeastcellError, KeyError):
    """A gene, species, reaction or condition name the model does not know.

    The message lists close matches.
    """

    def __init__(self, what: str, name: str, known: Iterable[str]):
        self.what = what
        self.name = name
        self.suggestions = close_matches(name, known)
        hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {what} {name!r}{hint}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]


class PerturbationError(YeastcellError, ValueError):
    """A perturbation cannot be applied (bad dose, fraction, time, target)."""


class SimulationInputError(YeastcellError, ValueError):
    """Bad arguments to a simulation entry point (time points, shapes, concentrations)."""


class DatasetError(YeastcellError, ValueError):
    """A measured data set (table or HDF5 file) is malformed or inconsistent.

    The message names the file, row, condition or observable at fault.
    """


class SolverError(YeastcellError, RuntimeError):
    """A solve failed (stiffness, maximum steps, non-finite state, no steady state).

    Raised only where the caller asked for a valid result; batch results carry a status instead.
    """


def close_matches(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Up to `n` names from `known` closest to `name`, compared case-insensitively."""
    known = list(known)
    lower = {k.lower(): k for k in known}
    hits = difflib.get_close_matches(name.lower(), list(lower), n=n, cutoff=0.6)
    return [lower[h] for h in hits]
