"""Maximal growth on a grid of carbon × nitrogen sources (the ecYeast8 validation of Lu et al.
2019 Nat Commun 10:3586).

Each combination is a medium: the model's own bounds with the reference carbon (D-glucose,
``r_1714``) and nitrogen (ammonium, ``r_1654``) uptake closed, then the combination's carbon and
nitrogen exchanges opened to ``-uptake`` mmol gDW⁻¹ h⁻¹. Growth (h⁻¹) is maximised. For an
enzyme-constrained model the uptake is left unlimited (1000: the enzyme pool limits growth); a
plain GEM needs a finite uptake (10 by default, the same for every source) or its growth is
unbounded.

Source names map to Yeast-GEM exchanges through the authored table ``maps/cn_sources.tsv``; a source
may open several exchanges (comma-separated): (R)-lactate opens both lactate isomers, as GECKO's
C×N study does (ecModels ``ecYeastGEM/studies/yeast8/maxGrowth/changeMediaCN.m``: "Lactate: also
open optical isomer"). That study also edits the network (mannose and fructose transport by
facilitated diffusion); here such edits are the caller's, e.g. :func:`yeastcell.gem.curation.curate`
on the GEM before the enzyme constraints are built.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from yeastcell.exceptions import GemError, MediumError, UnknownNameError
from yeastcell.gem import _highs
from yeastcell.gem.load import GEM, reaction_index

__all__ = [
    "CN_SOURCES",
    "read_cn_sources",
    "read_max_growth_grid",
    "cn_growth",
    "REFERENCE_CARBON",
    "REFERENCE_NITROGEN",
]

CN_SOURCES = Path(__file__).resolve().parent / "maps" / "cn_sources.tsv"
REFERENCE_CARBON = "r_1714"
REFERENCE_NITROGEN = "r_1654"


def read_cn_sources(path: str | os.PathLike = CN_SOURCES) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Source name → ``(role, exchange reaction ids)``, role ``"carbon"`` or ``"nitrogen"`` (the
    first exchange is the one named after the source; the others open with it)."""
    out = {}
    for ln in Path(path).read_text().splitlines():
        if not ln.strip() or ln.startswith("#") or ln.startswith("source\t"):
            continue
        name, role, rxns = ln.split("\t")[:3]
        if role not in ("carbon", "nitrogen"):
            raise MediumError(f"{path}: role of {name!r} must be carbon or nitrogen, got {role!r}")
        ids = tuple(r.strip() for r in rxns.split(",") if r.strip())
        if not ids:
            raise MediumError(f"{path}: source {name!r} names no exchange reaction")
        out[name] = (role, ids)
    return out


def read_max_growth_grid(path: str | os.PathLike) -> pd.DataFrame:
    """The measured grid: nitrogen sources (rows) × carbon sources (columns), h⁻¹ (0 = no growth)."""
    df = pd.read_csv(path, index_col=0, encoding="utf-8-sig")
    df.index = [str(i).strip() for i in df.index]
    df.columns = [str(c).strip() for c in df.columns]
    return df.astype(float)


def _reactions(names: Sequence[str], role: str, sources: Mapping[str, tuple[str, Sequence[str]]]) -> list[list[str]]:
    out = []
    for n in names:
        if n not in sources:
            raise UnknownNameError(f"{role} source", n, [k for k, (r, _) in sources.items() if r == role])
        out.append(list(sources[n][1]))
    return out


def cn_growth(
    gem: GEM,
    carbons: Sequence[str],
    nitrogens: Sequence[str],
    *,
    uptake: float = 1000.0,
    sources: Mapping[str, tuple[str, Sequence[str]]] | None = None,
) -> pd.DataFrame:
    """Maximal growth (h⁻¹) on every carbon × nitrogen combination.

    Args:
        gem: the model (plain or ``ECModel.gem``); its objective is the growth reaction.
        carbons, nitrogens: source names of ``maps/cn_sources.tsv`` (or ``sources``).
        uptake: uptake bound of every exchange of both sources, mmol gDW⁻¹ h⁻¹ (> 0).
        sources: name → (role, exchange reactions) map; default :func:`read_cn_sources`.

    Returns:
        Nitrogen sources (rows) × carbon sources (columns); 0.0 where the model cannot grow.

    Raises:
        UnknownNameError: a source name is not in the map (close matches).
        UnknownReactionError: a mapped reaction is not in ``gem``.
        GemError: an LP stops for a reason other than optimality or infeasibility.
    """
    if not (math.isfinite(uptake) and uptake > 0):
        raise MediumError(f"uptake must be positive and finite (mmol/gDW/h), got {uptake!r}")
    sources = read_cn_sources() if sources is None else sources
    c_idx = [reaction_index(gem, r) for r in _reactions(carbons, "carbon", sources)]
    n_idx = [reaction_index(gem, r) for r in _reactions(nitrogens, "nitrogen", sources)]
    lb = gem.lb.copy()
    for rid in (REFERENCE_CARBON, REFERENCE_NITROGEN):
        lb[reaction_index(gem, rid)] = 0.0
    h = _highs.make_highs(gem, lb=lb)
    out = np.zeros((len(nitrogens), len(carbons)))
    for b, cj in enumerate(c_idx):
        for a, nj in enumerate(n_idx):
            cols = np.unique(np.concatenate([cj, nj]).astype(np.int32))
            lo = np.full(len(cols), -float(uptake))
            h.changeColsBounds(len(cols), cols, lo, gem.ub[cols])
            st, obj = _highs.solve(h)
            if st not in ("optimal", "infeasible"):
                h.clearSolver()
                st, obj = _highs.solve(h)
            if st == "optimal":
                out[a, b] = max(obj, 0.0)
            elif st != "infeasible":
                raise GemError(f"growth on {carbons[b]} + {nitrogens[a]}: HiGHS stopped with status {st!r}")
            h.changeColsBounds(len(cols), cols, lb[cols], gem.ub[cols])
    return pd.DataFrame(out, index=list(nitrogens), columns=list(carbons))
