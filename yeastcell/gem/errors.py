"""Typed errors of the genome-scale (GEM) layer.

Every error raised by :mod:`yeastcell.gem` at the Python boundary is a
:class:`GemError`, so callers can catch the whole family at once. Errors about
names (genes, reactions) carry close-match suggestions computed with
:mod:`difflib`, because a typo in an ORF name is the most common user error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from yeastcell.exceptions import YeastcellError

__all__ = [
    "GemError",
    "GemFileError",
    "GPRSyntaxError",
    "UnknownGeneError",
    "UnknownReactionError",
    "MediumError",
    "InfeasibleError",
    "LPSolverError",
    "close_matches",
]


def close_matches(name: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """Return up to ``n`` candidates that look like ``name`` (case-insensitive).

    Args:
        name: the unknown name the user typed.
        candidates: the valid names.
        n: maximum number of suggestions.

    Returns:
        Suggestions, best first, in their original spelling.
    """
    by_upper: dict[str, str] = {}
    for c in candidates:
        by_upper.setdefault(c.upper(), c)
    hits = difflib.get_close_matches(name.upper(), list(by_upper), n=n, cutoff=0.6)
    return [by_upper[h] for h in hits]


class GemError(YeastcellError):
    """Base class of all errors of :mod:`yeastcell.gem`; a ``YeastcellError``."""


class GemFileError(GemError):
    """A model file is missing, has an unknown format, or cannot be parsed."""


class GPRSyntaxError(GemError):
    """A gene–reaction rule cannot be parsed (unbalanced brackets, dangling operator, …)."""


class _UnknownNameError(GemError, KeyError):
    kind = "name"

    def __init__(self, names: str | Iterable[str], candidates: Iterable[str]):
        names = [names] if isinstance(names, str) else list(names)
        candidates = list(candidates)
        self.names: list[str] = names
        self.suggestions: dict[str, list[str]] = {
            n: close_matches(n, candidates) for n in names
        }
        parts = []
        for n in names:
            s = self.suggestions[n]
            hint = f" (did you mean {', '.join(repr(x) for x in s)}?)" if s else ""
            parts.append(f"{n!r}{hint}")
        super().__init__(f"unknown {self.kind}{'s' if len(names) > 1 else ''}: " + "; ".join(parts))

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownGeneError(_UnknownNameError):
    """A gene name is neither a systematic ORF nor a standard name of the model.

    Attributes:
        names: the unknown names.
        suggestions: for each unknown name, close matches among the model's
            gene ids and gene names.
    """

    kind = "gene"


class UnknownReactionError(_UnknownNameError):
    """A reaction id is not in the model (e.g. in a medium file).

    Attributes:
        names: the unknown ids.
        suggestions: for each unknown id, close matches among reaction ids.
    """

    kind = "reaction"


class MediumError(GemError):
    """A medium is malformed (bad bounds, lb > ub, a non-exchange reaction, …)."""


class InfeasibleError(GemError):
    """The linear program has no feasible flux distribution (e.g. wild type on a given medium)."""


class LPSolverError(GemError):
    """The LP solver stopped without a proven optimum for a reason other than infeasibility."""
