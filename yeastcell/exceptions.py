"""The exceptions yeastcell raises at its Python boundary, one hierarchy under `YeastcellError`.

Inside jitted code failure is a value (`Trajectory.status`); at the boundary it is one of these.
The genome-scale layer (`yeastcell.gem`) raises the `GemError` family, so its callers can catch it
at once. Errors about names carry close-match suggestions (`close_matches`), because a typo in a
gene or species name is the most common user error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Up to `n` names from `known` closest to `name`, best first, compared case-insensitively
    (of names differing only in case, the first spelling in `known` is suggested)."""
    by_upper: dict[str, str] = {}
    for k in known:
        by_upper.setdefault(k.upper(), k)
    hits = difflib.get_close_matches(name.upper(), list(by_upper), n=n, cutoff=0.6)
    return [by_upper[h] for h in hits]


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


# ---------------------------------------------------------------- genome-scale layer (yeastcell.gem)
class GemError(YeastcellError):
    """Base class of the errors of `yeastcell.gem`: every error it raises at the Python boundary is one."""


class GemFileError(GemError):
    """A genome-scale model file is missing, has an unknown format, or cannot be parsed."""


class GPRSyntaxError(GemError, ValueError):
    """A gene–reaction rule cannot be parsed (unbalanced brackets, dangling operator, …).

    Raised by the one rule parser (`yeastcell.gpr`), for the rules of model files and of
    genome-scale models alike.
    """


class _UnknownNamesError(GemError, KeyError):
    """One or more names a genome-scale model lacks, each with up to five close matches.

    Attributes:
        names: the unknown names.
        suggestions: for each unknown name, close matches among the model's names.
    """

    kind = "name"

    def __init__(self, names: str | Iterable[str], candidates: Iterable[str]):
        names = [names] if isinstance(names, str) else list(names)
        candidates = list(candidates)
        self.names: list[str] = names
        self.suggestions: dict[str, list[str]] = {n: close_matches(n, candidates, n=5) for n in names}
        parts = []
        for n in names:
            s = self.suggestions[n]
            hint = f" (did you mean {', '.join(repr(x) for x in s)}?)" if s else ""
            parts.append(f"{n!r}{hint}")
        super().__init__(f"unknown {self.kind}{'s' if len(names) > 1 else ''}: " + "; ".join(parts))

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownGeneError(_UnknownNamesError):
    """A gene name is neither a systematic ORF nor a standard name of the genome-scale model
    (suggestions among its gene ids and gene names)."""

    kind = "gene"


class UnknownReactionError(_UnknownNamesError):
    """A reaction id is not in the genome-scale model, e.g. in a medium file (suggestions among
    its reaction ids)."""

    kind = "reaction"


class MediumError(GemError):
    """A medium is malformed (bad bounds, lb > ub, a non-exchange reaction, …)."""


class InfeasibleError(GemError):
    """The linear program has no feasible flux distribution (e.g. wild type on a given medium)."""


class LPSolverError(GemError):
    """The LP solver stopped without a proven optimum for a reason other than infeasibility."""


class UndefinedValueWarning(UserWarning):
    """A model leaves a value undefined (an SBML species with no initial value and nothing that sets it); the
    warning names it and the value used."""
