"""Enzyme mass fractions of the proteome predicted by the enzyme-constrained GEM, vs growth rate.

In a chemostat simulation (:func:`~yeastcell.gem.chemostat.chemostat_solutions`: μ fixed to
``D``, the limiting nutrient's uptake minimised, then the enzyme drawn from the pool minimised)
each enzyme's usage ``c·v`` (g gDW⁻¹, :meth:`~yeastcell.gem.enzyme.ECModel.enzyme_usage`) is the
mass it needs at full saturation; the pool ``P = Ptot·f·σ`` is the same constraint written for
enzymes at the average saturation ``σ``, so the enzyme mass at that saturation is ``c·v/σ``, and a
group's **mass fraction of the proteome** is ``Σ_group c·v / (σ · Ptot)``.

**Ribosomes.** Yeast-GEM's protein synthesis is an enzyme-free pseudoreaction; with the ribosome
priced (``enzyme_constrained(..., ribosome=YEAST_RIBOSOME)``, :mod:`yeastcell.gem.ribosome`) the
protein reaction draws the ribosomal protein translation needs, ``R = ρ · v_protein`` g gDW⁻¹, from
the same pool, and the cell keeps an idle reserve ``φ_idle · Ptot`` besides (Metzl-Raz et al. 2017
eLife 6:e28034). The **ribosomal fraction** of the proteome is ``φ_idle + R / Ptot`` (column
``"ribosomal proteins"``): with Yeast-GEM's fixed biomass composition ``v_protein = μ``, so it is the
Metzl-Raz line, linear in μ with a non-zero intercept, under any limitation.

**Idle enzymes** (``idle_composition=``). The LP gives the enzyme each flux needs at saturation
``σ``; the pool it does not use at slow growth is, in the cell, protein all the same: the measured
proteome does not shrink at slow growth, its enzymes run further from saturation (yeast keeps more
than 80 % of its glucose-metabolism capacity in reserve in nitrogen-limited chemostats, Yu et al.
2020 Nat Commun 11:1881; nearly half of E. coli's proteome mass is unused in some environments,
O'Brien et al. 2016 PLoS Comput Biol 12:e1004998). With a
composition given, the pool's unused part, ``Ptot·(f + f_r − φ_idle) − R − Σ c·v/σ`` (column
``"idle enzymes"``), is counted as expressed protein of that make-up (by default the measured one,
PaxDb, :func:`~yeastcell.gem.enzyme_data.load_enzyme_composition`): a group's fraction is
``(Σ_group c·v/σ + w_group · idle) / Ptot``. The enzyme proteome ``f + f_r − φ_idle − R/Ptot`` then
shrinks as the ribosomes grow with μ, as in the growth laws (Scott et al. 2010 Science 330:1099;
Metzl-Raz 2017), and a group whose flux need grows slower than its share of the shrinking reserve
falls with μ. Without a composition only the enzymes in use are counted. Translation factors,
chaperones and other non-metabolic proteins stay unmodelled: the other ``1 - f - f_r`` of the
proteome is a constant.

Limitations (Hackett et al. 2016's design): ``"C"`` glucose-limited (glucose uptake minimised,
the default Yeast-GEM chemostat), ``"N"`` ammonium-limited (ammonium uptake minimised, glucose
unlimited).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from yeastcell.gem.chemostat import ChemostatSetup, chemostat_solutions
from yeastcell.gem.enzyme import ECModel

__all__ = ["GLYCOLYSIS", "LIMITATIONS", "limitation_setup", "enzyme_fractions"]

#: Glycolytic enzymes, glucose → pyruvate (ORF → standard name; SGD / KEGG sce00010 core path:
#: hexokinases, PGI, PFK, aldolase, TPI, GAPDH, PGK, PGM, enolase, pyruvate kinase).
GLYCOLYSIS: Mapping[str, str] = {
    "YFR053C": "HXK1",
    "YGL253W": "HXK2",
    "YCL040W": "GLK1",
    "YBR196C": "PGI1",
    "YGR240C": "PFK1",
    "YMR205C": "PFK2",
    "YKL060C": "FBA1",
    "YDR050C": "TPI1",
    "YJL052W": "TDH1",
    "YJR009C": "TDH2",
    "YGR192C": "TDH3",
    "YCR012W": "PGK1",
    "YKL152C": "GPM1",
    "YGR254W": "ENO1",
    "YHR174W": "ENO2",
    "YAL038W": "CDC19",
    "YOR347C": "PYK2",
}

#: Limitation → (limiting exchange of Yeast-GEM, exchanges opened to unlimited uptake).
LIMITATIONS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "C": ("r_1714", ()),  # D-glucose exchange
    "N": ("r_1654", ("r_1714",)),  # ammonium exchange; glucose in excess
}


def limitation_setup(ec: ECModel, limitation: str) -> tuple[ECModel, ChemostatSetup]:
    """The model and chemostat setup of a ``"C"`` or ``"N"`` limited chemostat (see the module).

    Raises:
        ValueError: an unknown limitation.
    """
    if limitation not in LIMITATIONS:
        raise ValueError(f"unknown limitation {limitation!r}; expected one of {tuple(LIMITATIONS)}")
    substrate, unlimited = LIMITATIONS[limitation]
    g = ec.gem
    lb = g.lb.copy()
    for rid in unlimited:
        j = g.reaction_ids.index(rid)
        lb[j] = min(lb[j], -1000.0)
    ec2 = dataclasses.replace(ec, gem=g.replace(lb=lb))
    return ec2, ChemostatSetup(substrate=substrate, report={"limiting": substrate})


def enzyme_fractions(
    ec: ECModel,
    limitation: str,
    dilution_rates: Sequence[float],
    groups: Mapping[str, Sequence[str]],
    *,
    idle_composition: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Predicted mass fraction of the proteome of each gene group at each dilution rate.

    Args:
        ec: the enzyme-constrained model (its pool bound and ``σ`` as calibrated).
        limitation: ``"C"`` or ``"N"``.
        dilution_rates: ``D`` values, h⁻¹.
        groups: group name → ORFs (e.g. ``{"glycolysis": GLYCOLYSIS}``).
        idle_composition: gene → share of the idle enzyme mass (non-negative, summing to at most 1;
            e.g. :func:`~yeastcell.gem.enzyme_data.load_enzyme_composition`); ``None``: count only
            the enzymes in use (see the module docstring).

    Returns:
        One row per ``D`` (index ``D``), one column per group (fraction of total protein, NaN
        where the model cannot grow at ``D``), ``"all enzymes"`` (the metabolic enzymes in use),
        with a composition ``"idle enzymes"`` (the pool's unused part, counted into the groups) and,
        when ``ec`` prices ribosomes, ``"ribosomal proteins"`` (``φ_idle + R / Ptot``).

    Raises:
        ValueError: an unknown limitation, a bad dilution rate or a bad composition.
    """
    w = _check_composition(idle_composition) if idle_composition is not None else None
    ec2, setup = limitation_setup(ec, limitation)
    ptot = ec.total_protein
    total = ec.saturation * ptot
    names = [*groups, "all enzymes"] + (["idle enzymes"] if w is not None else [])
    names += ["ribosomal proteins"] if ec.ribosome is not None else []
    rows = []
    for x in chemostat_solutions(ec2.gem, dilution_rates, setup):
        if x is None:
            rows.append({name: np.nan for name in names})
            continue
        use = ec2.enzyme_usage(x)
        row = {name: sum(use.get(g, 0.0) for g in genes) / total for name, genes in groups.items()}
        row["all enzymes"] = ec2.pool_usage(x) / total
        if w is not None:
            idle = max(ec.modelled_fraction - ec2.ribosome_usage(x) / ptot - row["all enzymes"], 0.0)
            row["idle enzymes"] = idle
            for name, genes in groups.items():
                row[name] += idle * sum(w.get(g, 0.0) for g in set(genes))
        if ec.ribosome is not None:
            row["ribosomal proteins"] = ec2.ribosomal_mass(x) / ptot
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index([float(d) for d in dilution_rates], name="D"))


def _check_composition(w: Mapping[str, float]) -> dict[str, float]:
    out = {}
    for g, x in w.items():
        if not (np.isfinite(x) and x >= 0):
            raise ValueError(f"idle_composition share of {g!r} must be >= 0 and finite, got {x!r}")
        out[g] = float(x)
    if sum(out.values()) > 1 + 1e-9:
        raise ValueError(f"idle_composition shares sum to {sum(out.values()):.6g} > 1")
    return out
