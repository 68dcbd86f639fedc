"""Yeast-GEM-specific model edits: GAM/NGAM, biomass composition, anaerobiosis.

Pure functions ``GEM -> GEM`` that reproduce the MATLAB helpers Yeast-GEM's
chemostat growth test (``code/modelTests/growth.m``) applies, as they were for
releases before 9.1.0 (Yeast-GEM 9.0.2): ``changeGAM``, ``rescalePseudoReaction``,
``scaleBioMass``/``sumBioMass`` and ``anaerobicModel`` (now ``anaerobicModelOld``).
Reactions and metabolites are found by the names Yeast-GEM gives them
(``"protein pseudoreaction"``, ``"ATP"``, …).

Biomass fractions are in g gDW⁻¹; GAM and NGAM in mmol ATP gDW⁻¹ (h⁻¹ for NGAM).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from yeastcell.exceptions import UnknownReactionError
from yeastcell.gem.load import GEM, reaction_index

__all__ = [
    "FORSTER2003_MW",
    "change_gam",
    "rescale_pseudoreaction",
    "biomass_fractions",
    "scale_biomass",
    "anaerobic_model",
    "nitrogen_limited_model",
]

#: Molecular weights (g mol⁻¹) of biomass building blocks by Yeast-GEM metabolite
#: id, from Förster et al. 2003 (Genome Res 13:244), as tabulated in Yeast-GEM's
#: ``data/physiology/biomassComposition_Forster2003.tsv``.
FORSTER2003_MW: dict[str, float] = {
    "s_0001": 180.16,
    "s_0004": 180.16,
    "s_0404": 89.09,
    "s_0423": 347.22,
    "s_0428": 174.2,
    "s_0430": 132.12,
    "s_0432": 133.11,
    "s_0509": 221.21,
    "s_0526": 323.2,
    "s_0542": 121.16,
    "s_0584": 331.22,
    "s_0589": 307.2,
    "s_0615": 345.21,
    "s_0649": 322.21,
    "s_0747": 146.14,
    "s_0748": 147.13,
    "s_0757": 75.07,
    "s_0773": 180.16,
    "s_0782": 363.22,
    "s_0832": 155.15,
    "s_0847": 131.17,
    "s_1077": 131.17,
    "s_1099": 146.19,
    "s_1107": 180.16,
    "s_1148": 149.21,
    "s_1314": 165.19,
    "s_1379": 115.13,
    "s_1405": 376.36,
    "s_1428": 105.09,
    "s_1467": 96.06,
    "s_1491": 119.12,
    "s_1520": 342.296,
    "s_1527": 204.23,
    "s_1533": 181.19,
    "s_1545": 324.18,
    "s_1561": 117.15,
    "s_3714": 852.83,
    "s_0794": 1.0008,
}

_GAM_METABOLITES = ("ATP", "ADP", "H2O", "H+", "phosphate")


def _reaction_by_name(gem: GEM, name: str) -> int:
    hits = [j for j, n in enumerate(gem.reaction_names) if n == name]
    if len(hits) != 1:
        raise UnknownReactionError(f"reaction named {name!r}", gem.reaction_names)
    return hits[0]


def _column(gem: GEM, j: int) -> np.ndarray:
    return gem.S[:, [j]].toarray().ravel()


def _with_column(gem: GEM, j: int, col: np.ndarray) -> GEM:
    S = sp.lil_array(gem.S)
    S[:, [j]] = col.reshape(-1, 1)
    S = sp.csc_array(S)
    S.eliminate_zeros()
    return gem.replace(S=S)


def change_gam(gem: GEM, gam: float, ngam: float | None = None) -> GEM:
    """Set growth-associated maintenance (and optionally NGAM).

    Every ATP, ADP, H2O, H+ and phosphate coefficient of the
    ``"biomass pseudoreaction"`` becomes ``±gam`` (sign kept); with ``ngam``,
    the ``"non-growth associated maintenance reaction"`` is fixed to that flux.
    """
    j = _reaction_by_name(gem, "biomass pseudoreaction")
    col = _column(gem, j)
    for i in np.flatnonzero(col):
        if gem.metabolite_names[i] in _GAM_METABOLITES:
            col[i] = np.sign(col[i]) * gam
    out = _with_column(gem, j, col)
    if ngam is not None:
        k = _reaction_by_name(gem, "non-growth associated maintenance reaction")
        lb, ub = out.lb.copy(), out.ub.copy()
        lb[k] = ub[k] = ngam
        out = out.replace(lb=lb, ub=ub)
    return out


def rescale_pseudoreaction(gem: GEM, component: str, f: float) -> GEM:
    """Multiply all coefficients of ``"<component> pseudoreaction"`` except its product by ``f``.

    ``component == "lipid"`` rescales both ``"lipid backbone"`` and ``"lipid chain"``.
    """
    if component == "lipid":
        return rescale_pseudoreaction(rescale_pseudoreaction(gem, "lipid backbone", f), "lipid chain", f)
    j = _reaction_by_name(gem, f"{component} pseudoreaction")
    col = _column(gem, j)
    for i in np.flatnonzero(col):
        if gem.metabolite_names[i] != component:
            col[i] *= f
    return _with_column(gem, j, col)


def biomass_fractions(gem: GEM) -> dict[str, float]:
    """Protein, carbohydrate, RNA, DNA and lipid mass fractions, g gDW⁻¹.

    As Yeast-GEM's ``sumBioMass``: for protein, carbohydrate, RNA and DNA, the
    substrates of each pseudoreaction weighted by (MW − 18) (a water lost per
    polymerised unit); for lipid, the sum of substrate coefficients of the
    ``"lipid backbone pseudoreaction"`` (already in g gDW⁻¹).
    """
    out = {}
    for comp in ("protein", "carbohydrate", "RNA", "DNA"):
        col = _column(gem, _reaction_by_name(gem, f"{comp} pseudoreaction"))
        total = 0.0
        for i in np.flatnonzero(col < 0):
            mw = FORSTER2003_MW.get(gem.metabolite_ids[i])
            if mw is not None:
                total += -col[i] * (mw - 18.0) / 1000.0
        out[comp] = total
    col = _column(gem, _reaction_by_name(gem, "lipid backbone pseudoreaction"))
    out["lipid"] = float(-col[col < 0].sum())
    return out


def scale_biomass(gem: GEM, component: str, new_value: float, balance_out: str | None = None) -> GEM:
    """Rescale one biomass component to ``new_value`` g gDW⁻¹.

    With ``balance_out``, that component absorbs the mass difference
    (``f = (B − (new − old)) / B``), as Yeast-GEM's ``scaleBioMass`` before 9.1.0.
    """
    frac = biomass_fractions(gem)
    old = frac[component]
    out = rescale_pseudoreaction(gem, component, new_value / old)
    if balance_out:
        b = frac[balance_out]
        out = rescale_pseudoreaction(out, balance_out, (b - (new_value - old)) / b)
    return out


def _set_bounds(gem: GEM, lower: dict[str, float] | None = None, upper: dict[str, float] | None = None) -> GEM:
    lb, ub = gem.lb.copy(), gem.ub.copy()
    for rid, v in (lower or {}).items():
        lb[reaction_index(gem, rid)] = v
    for rid, v in (upper or {}).items():
        ub[reaction_index(gem, rid)] = v
    return gem.replace(lb=lb, ub=ub)


def anaerobic_model(gem: GEM) -> GEM:
    """Yeast-GEM's anaerobic constraints (releases before 9.1.0, ``anaerobicModelOld``).

    GAM 30.49, NGAM 0 and protein 0.461 g gDW⁻¹ balanced by carbohydrate
    (Nissen et al. 1997); heme a, NAD(H), NADP(H) and coenzyme A removed from
    the cofactor pseudoreaction; O2 uptake blocked, sterol and fatty-acid
    uptake opened; r_0713, r_0714 irreversible; r_0487, r_0472 blocked.
    """
    out = change_gam(gem, 30.49, 0.0)
    out = scale_biomass(out, "protein", 0.461, "carbohydrate")
    j = reaction_index(out, "r_4598")
    col = _column(out, j)
    mets = {"s_3714", "s_1198", "s_1203", "s_1207", "s_1212", "s_0529"}
    for i, m in enumerate(out.metabolite_ids):
        if m in mets:
            col[i] = 0.0
    out = _with_column(out, j, col)
    uptake = {r: -1000.0 for r in ("r_1757", "r_1915", "r_1994", "r_2106", "r_2134", "r_2137", "r_2189")}
    return _set_bounds(
        out, lower={"r_1992": 0.0, **uptake, "r_0713": 0.0, "r_0714": 0.0}, upper={"r_0487": 0.0, "r_0472": 0.0}
    )


def nitrogen_limited_model(gem: GEM) -> GEM:
    """Yeast-GEM 9.0.2's nitrogen-limited chemostat biomass (``growth.m``).

    Protein 0.289 and lipid 0.048 g gDW⁻¹ (no balancing), then RNA 0.077 g gDW⁻¹
    balanced by carbohydrate. ``growth.m`` applies this *before*
    :func:`anaerobic_model` for N-limited anaerobic chemostats.
    """
    out = scale_biomass(gem, "protein", 0.289)
    out = scale_biomass(out, "lipid", 0.048)
    return scale_biomass(out, "RNA", 0.077, "carbohydrate")
