"""Dynamic FBA: Yeast-GEM coupled to the kinetic core in a batch or chemostat culture.

Coupling scheme (static optimisation per macro-step; details in ``docs/dfba.md``):

1. **Kinetic core → uptake bounds.** The compiled core model (``yeast_core``)
   gives, at the culture's extracellular glucose (mM) and the cell's protein
   levels, its glucose transport rate (reaction ``GLT``) and its respiratory
   capacity (``RESP`` at a fully reduced quinone pool and the mitochondrial
   adenylates as ADP, turned into O2 by 0.5 O2 per ubiquinol). Rates in mM/min
   of cytosol become mmol gDW⁻¹ h⁻¹ through the cytosolic volume (L per cell)
   and the dry mass per cell; the O2 capacity is taken relative to the
   unperturbed, fully derepressed cell and scaled to the measured respiratory
   capacity (8 mmol gDW⁻¹ h⁻¹, Sonnleitner & Käppeli 1986). Ethanol uptake
   follows the glucose-repressed Michaelis–Menten form of Hjersted et al. 2007
   with the ethanol kinetics of Sonnleitner & Käppeli 1986.
2. **GEM → growth and secretion.** One LP per macro-step and trajectory in the
   irreversible form of the GEM (:mod:`yeastcell.gem.lp.split`): maximise
   growth, then (lexicographically, by an ε-weight) minimise total flux. It is
   solved by the JAX dual simplex warm-started from the previous macro-step's
   basis, inside one ``jit(vmap(scan))`` program over perturbations.
3. **Culture.** Explicit Euler over the macro-step ``dt`` (h): biomass
   ``X' = X + (μ - D) X dt``; medium species ``C' = C + (q X + D (C_in - C)) dt``
   for glucose, ethanol, glycerol, acetate and (cumulative) CO2, with uptake
   bounded by what is present (``q <= C / (X dt)``) so no species goes negative.
4. **Dilution of proteins.** Growth dilutes the kinetic model's proteins, and
   new protein is made at the current target composition:
   ``dP/dt = (μ + k) (P_target - P)``. Respiratory-chain proteins are glucose
   repressed: ``P_target = P_ref (1 + (F - 1) K / (K + glucose))`` (F: the
   derepression fold); the other proteins stay at their condition's levels.
5. **Enzyme-constrained GEM** (an :class:`~yeastcell.gem.enzyme.ECModel` as ``gem``): the
   LP is ``ec.gem`` (the total-enzyme pool row is a constraint like any other), and glucose
   uptake is no longer bounded by the kinetic core's ``GLT`` rate: the hexose transporters and
   every other enzyme are priced by the pool (sMOMENT), so the glucose-phase growth rate and the
   ethanol overflow follow from the pool; only what the culture holds bounds the uptake. The O2
   capacity (respiratory-chain protein levels, glucose repression) and the ethanol uptake stay
   as in 1. (``ec.gem`` passed as a plain GEM keeps the ``GLT`` bound too.)
6. **Infeasible LPs** (e.g. a medium without a carbon source cannot pay the
   non-growth ATP maintenance) are reported per macro-step and trajectory
   (``DFBAResult.step_status``, ``status``); such a step has no growth and no
   exchange, and the numbers of that trajectory are flagged, never invented.

Units: time h, culture concentrations mM, biomass gDW L⁻¹, fluxes mmol gDW⁻¹ h⁻¹,
growth h⁻¹.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from yeastcell.cells import AbstractCell
from yeastcell.exceptions import SimulationInputError
from yeastcell.gem.enzyme import ECModel
from yeastcell.gem.genes import resolve_genes
from yeastcell.gem.gpr import compile_gpr, reaction_activity
from yeastcell.gem.load import GEM, reaction_index
from yeastcell.gem.lp import status as lpst
from yeastcell.gem.lp.basis import Basis
from yeastcell.gem.lp.engine import make_engine
from yeastcell.gem.lp.knockout import knockout_masks
from yeastcell.gem.lp.problem import LPArrays
from yeastcell.gem.lp.simplex import dual_simplex
from yeastcell.gem.lp.split import split_gem
from yeastcell.gem.medium import Medium, apply_medium, exchange_reactions
from yeastcell.perturb import resolve, resolve_batch, wild_type

__all__ = ["CULTURE_SPECIES", "YEAST_GEM_EXCHANGES", "DFBAParameters", "DFBAResult", "run_dfba"]

#: Other by-products Yeast-GEM may secrete in dFBA: inorganic ones, and glycolaldehyde (a trace,
#: ~1e-5 mmol gDW⁻¹ h⁻¹, from cofactor biosynthesis; growth needs it to leave). All other exchanges
#: that are not nutrients of the medium get no secretion: otherwise the total-flux optimum dumps
#: carbon as exotic compounds (diethyl-succinate, 0.7 mmol gDW⁻¹ h⁻¹ on fermenting glucose).
YEAST_GEM_SECRETION = {"water": "r_2100", "H+": "r_1832", "diphosphate": "r_4527", "glycolaldehyde": "r_1814"}

#: Uptake bound (mmol gDW⁻¹ h⁻¹) of the kinetically controlled exchanges before the kinetic bounds.
OPEN_UPTAKE = 1000.0

#: Culture species tracked in the medium, in state order after biomass.
CULTURE_SPECIES = ("glucose", "ethanol", "glycerol", "acetate", "co2")

#: Yeast-GEM 9 exchange reactions of the culture species and oxygen; ``growth`` is the objective.
YEAST_GEM_EXCHANGES = {
    "glucose": "r_1714",
    "ethanol": "r_1761",
    "glycerol": "r_1808",
    "acetate": "r_1634",
    "co2": "r_1672",
    "oxygen": "r_1992",
    "growth": "r_2111",
}


@dataclasses.dataclass(frozen=True)
class DFBAParameters:
    """Coupling parameters (all validated; units in the names).

    Attributes:
        dry_mass_per_cell_pg: cell dry mass, pg. Default 16.2 pg = 42 fL haploid
            volume (Jorgensen et al. 2002, the core model's value) × 1.10 g/mL
            buoyant density (Bryan et al. 2010, PNAS 107:999) × 0.35 dry-mass
            fraction (assumption; yeast cells hold ~60–70 % water).
        oxygen_max_mmol_gdw_h: respiratory capacity of fully derepressed wild-type cells,
            8 mmol O2 gDW⁻¹ h⁻¹ (``q_O2,max`` of the bottleneck model, Sonnleitner & Käppeli
            1986, Biotechnol Bioeng 28:927). The kinetic core gives the capacity *relative* to
            that state (respiratory-chain protein levels, repression, knockouts); see
            ``docs/dfba.md`` for why its absolute value is not used.
        ethanol_vmax_mmol_gdw_h, ethanol_km_mM, glucose_ki_mM: ethanol uptake
            ``v E/(K + E) · Ki/(Ki + G)`` (form of Hjersted, Henson & Mahadevan 2007,
            Biotechnol Bioeng 97:1190). Values of Sonnleitner & Käppeli 1986:
            ``q_E,max`` 0.238 g g⁻¹ h⁻¹ = 5.17 mmol gDW⁻¹ h⁻¹ (46.07 g/mol), ``K_E``
            0.1 g/L = 2.17 mM, glucose inhibition ``K_i`` 0.1 g/L = 0.555 mM.
        derepression_fold: respiratory-chain protein level without glucose over
            the glucose-grown level. 4 = mitochondrial volume fraction ~3 % of
            glucose-repressed cells to ~12 % of derepressed cells (Stevens 1981).
        repression_k_mM: glucose at which derepression is half-way (assumption).
        protein_turnover_per_h: synthesis/degradation rate of respiratory proteins beyond growth
            dilution, so that they adapt also without growth (assumption: derepression within
            ~2 h of glucose exhaustion).
        epsilon: weight of the total-flux secondary objective.
    """

    dry_mass_per_cell_pg: float = 16.2
    oxygen_max_mmol_gdw_h: float = 8.0
    ethanol_vmax_mmol_gdw_h: float = 0.238 / 46.07 * 1000.0
    ethanol_km_mM: float = 0.1 / 46.07 * 1000.0
    glucose_ki_mM: float = 0.1 / 180.16 * 1000.0
    derepression_fold: float = 4.0
    repression_k_mM: float = 1.0
    protein_turnover_per_h: float = 0.5
    epsilon: float = 1e-6

    def __post_init__(self):
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise SimulationInputError(f"DFBAParameters.{f.name} must be a positive number, got {v!r}")


@dataclasses.dataclass(frozen=True, eq=False)
class DFBAResult:
    """Time courses, one row per trajectory.

    Attributes:
        t: ``(n_t,)`` h.
        biomass: ``(batch, n_t)`` gDW L⁻¹.
        medium: species name → ``(batch, n_t)`` mM (``co2``: cumulative production).
        growth: ``(batch, n_t - 1)`` growth rate per macro-step, h⁻¹.
        uptake_bounds: ``glucose``/``oxygen``/``ethanol`` → ``(batch, n_t - 1)`` bounds
            given to the GEM, mmol gDW⁻¹ h⁻¹.
        exchange: species name (and ``oxygen``) → ``(batch, n_t - 1)`` net exchange flux.
        step_status: ``(batch, n_t - 1)`` LP status strings.
        pivots: ``(batch, n_t - 1)`` dual simplex pivots per macro-step (warm start cost).
        status: per trajectory: ``"optimal"`` if every LP was, else the first failure.
        first_failure_h: per trajectory, start time of the first failed step (NaN if none).
        labels: perturbation labels.
    """

    t: np.ndarray
    biomass: np.ndarray
    medium: dict
    growth: np.ndarray
    uptake_bounds: dict
    exchange: dict
    step_status: np.ndarray
    pivots: np.ndarray
    status: np.ndarray
    first_failure_h: np.ndarray
    labels: tuple[str, ...]


class _Kinetic(eqx.Module):
    """What the loop needs from the kinetic core, per trajectory where batched."""

    cell: AbstractCell
    c_ref: jax.Array  # (batch, n_species) condition concentrations, mM
    rate_scale: jax.Array  # (batch, n_reactions)
    resp_proteins: tuple = eqx.field(static=True)
    idx: dict = eqx.field(static=True)
    conv: float = eqx.field(static=True)  # mM/min (cytosol) -> mmol gDW^-1 h^-1
    mito_per_cyt: float = eqx.field(static=True)
    o2_scale: float = eqx.field(static=True)  # kinetic O2 capacity -> calibrated capacity


def _kinetic_part(cell, perturbations, params: DFBAParameters) -> _Kinetic:
    cond = resolve_batch(cell, perturbations)
    names = {
        "GLC_e": "species",
        "QH2_m": "species",
        "Q_m": "species",
        "ADP_m": "species",
        "ATP_m": "species",
        "GLT": "reaction",
        "RESP": "reaction",
    }
    idx = {k: int(cell.species_index(k) if w == "species" else cell.reaction_index(k)) for k, w in names.items()}
    resp = idx["RESP"]
    prot = sorted({int(p) for j, clauses in cell.enzyme_clauses if j == resp for cl in clauses for p in cl})
    vols = np.asarray(cell.volumes)
    v_cyt = vols[cell.compartment_ids.index("cytosol")]
    v_mit = vols[cell.compartment_ids.index("mitochondrion")]
    conv = v_cyt * 60.0 / (params.dry_mass_per_cell_pg * 1e-12)
    kin = _Kinetic(
        cell=cell,
        c_ref=cond.c0,
        rate_scale=cond.rate_scale,
        resp_proteins=tuple(prot),
        idx=idx,
        conv=float(conv),
        mito_per_cyt=float(v_mit / v_cyt),
        o2_scale=1.0,
    )
    # calibration: the unperturbed cell, respiratory proteins fully derepressed, has the measured
    # respiratory capacity; perturbations and repression act through the kinetic core's ratio
    wt = resolve(cell, wild_type())
    _, q_ref = _uptake_capacities(kin, wt.c0, wt.rate_scale, 0.0, params.derepression_fold)
    q_ref = float(q_ref)
    if not (math.isfinite(q_ref) and q_ref > 0):
        raise SimulationInputError(
            f"the kinetic core's respiratory capacity of the unperturbed cell "
            f"is {q_ref} (RESP rate at a reduced quinone pool); dFBA needs > 0"
        )
    return dataclasses.replace(kin, o2_scale=params.oxygen_max_mmol_gdw_h / q_ref)


def _uptake_capacities(kin: _Kinetic, c_ref, rate_scale, glucose_mM, resp_level):
    """Glucose uptake and O2 capacity (mmol gDW⁻¹ h⁻¹) from the kinetic core."""
    i = kin.idx
    c = c_ref.at[i["GLC_e"]].set(glucose_mM)
    c = c.at[np.asarray(kin.resp_proteins, dtype=np.int64)].multiply(resp_level)
    v = kin.cell.fluxes(c, 0.0, rate_scale)
    q_glc = jnp.maximum(v[i["GLT"]], 0.0) * kin.conv
    probe = c.at[i["QH2_m"]].set(c[i["QH2_m"]] + c[i["Q_m"]]).at[i["Q_m"]].set(0.0)
    probe = probe.at[i["ADP_m"]].set(c[i["ADP_m"]] + c[i["ATP_m"]]).at[i["ATP_m"]].set(0.0)
    v_p = kin.cell.fluxes(probe, 0.0, rate_scale)
    q_o2 = 0.5 * jnp.maximum(v_p[i["RESP"]], 0.0) * kin.mito_per_cyt * kin.conv * kin.o2_scale
    return q_glc, q_o2


def _check_culture(initial: Mapping[str, float], feed: Mapping[str, float]) -> None:
    for what, d, allowed in (("initial", initial, ("biomass",) + CULTURE_SPECIES), ("feed", feed, CULTURE_SPECIES)):
        for k, v in d.items():
            if k not in allowed:
                import difflib

                close = difflib.get_close_matches(k, allowed, n=3)
                raise SimulationInputError(
                    f"unknown culture species {k!r} in {what}; known: {list(allowed)}; close matches: {close}"
                )
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise SimulationInputError(f"{what}[{k!r}] must be a finite number >= 0, got {v!r}")
    if initial.get("biomass", 0.0) <= 0:
        raise SimulationInputError("initial['biomass'] (gDW/L) must be > 0")


def run_dfba(
    gem: GEM | ECModel,
    cell,
    perturbations: Sequence,
    *,
    media: Sequence[Medium | None] | None = None,
    initial: Mapping[str, float],
    t_end_h: float,
    dt_h: float = 0.1,
    dilution_rate_per_h: float = 0.0,
    feed: Mapping[str, float] | None = None,
    params: DFBAParameters | None = None,
    exchanges: Mapping[str, str] = YEAST_GEM_EXCHANGES,
    secretion: Mapping[str, str] | None = YEAST_GEM_SECRETION,
    max_pivots_per_step: int = 2_000,
) -> DFBAResult:
    """Simulate a culture for each perturbation (one batched JAX program).

    Args:
        gem: the genome-scale model (Yeast-GEM; see ``exchanges``), or an enzyme-constrained
            one (:func:`~yeastcell.gem.enzyme.enzyme_constrained`): with an ``ECModel`` the LP is
            ``gem.gem`` and glucose uptake is priced by its enzyme pool instead of bounded by the
            kinetic core's transport rate (module docstring, item 5).
        cell: the compiled kinetic core (``yeastcell.load_cell()``).
        perturbations: one yeastcell perturbation per trajectory (e.g.
            ``condition("aerobic_batch") + knockout("PDC1")``); gene knockouts
            also delete the gene's reactions in the GEM.
        media: per trajectory, a :class:`Medium` for the GEM's exchange bounds
            (``None``: the model's own, with glucose, O2 and ethanol uptake open). Uptake
            of glucose, O2 and ethanol is bounded by the kinetic bounds where the medium
            allows it at all (``lb < 0``).
        initial: ``biomass`` (gDW/L) and culture species (mM), e.g.
            ``{"biomass": 0.05, "glucose": 111.0}``; absent species start at 0.
        t_end_h, dt_h: simulated time and macro-step, h.
        dilution_rate_per_h: chemostat dilution rate D (0 = batch).
        feed: chemostat feed concentrations, mM.
        params: coupling parameters.
        exchanges: GEM reaction ids for the culture species, ``oxygen`` and ``growth``.
        secretion: by-products (exchange ids) allowed to leave besides the culture species;
            every other exchange that is not a nutrient of the medium gets ``ub = 0``.
            ``None``: leave the medium's secretion bounds alone.
        max_pivots_per_step: dual simplex pivot limit per LP.

    Raises:
        SimulationInputError: bad times, culture species or lengths; ``gem`` neither a GEM nor
            an ECModel.
        UnknownReactionError, UnknownGeneError: names the GEM lacks.
        InfeasibleError: the GEM's own bounds are infeasible (no reference basis).
    """
    params = params or DFBAParameters()
    kinetic_glucose = not isinstance(gem, ECModel)
    if isinstance(gem, ECModel):
        gem = gem.gem
    if not isinstance(gem, GEM):
        raise SimulationInputError(f"gem must be a GEM or an ECModel, got {type(gem).__name__}")
    feed = dict(feed or {})
    initial = dict(initial)
    _check_culture(initial, feed)
    for nm, v in (("t_end_h", t_end_h), ("dt_h", dt_h)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise SimulationInputError(f"{nm} must be a positive number of hours, got {v!r}")
    if not (math.isfinite(dilution_rate_per_h) and dilution_rate_per_h >= 0):
        raise SimulationInputError(f"dilution_rate_per_h must be >= 0, got {dilution_rate_per_h!r}")
    perturbations = list(perturbations)
    if not perturbations:
        raise SimulationInputError("no perturbations given (one per trajectory)")
    media = [None] * len(perturbations) if media is None else list(media)
    if len(media) != len(perturbations):
        raise SimulationInputError(f"{len(media)} media for {len(perturbations)} perturbations")
    missing = [k for k in CULTURE_SPECIES + ("oxygen", "growth") if k not in exchanges]
    if missing:
        raise SimulationInputError(f"exchanges lacks {missing}")
    ex = {k: reaction_index(gem, exchanges[k]) for k in CULTURE_SPECIES + ("oxygen", "growth")}
    n_steps = round(t_end_h / dt_h)
    if n_steps < 1:
        raise SimulationInputError("t_end_h is shorter than one macro-step dt_h")

    # ---- GEM bounds per trajectory (medium + knockouts of genes the GEM has)
    gpr = compile_gpr(gem.gene_rules, gem.gene_ids)
    lb_rows: list[np.ndarray] = []
    ub_rows: list[np.ndarray] = []
    for p, med in zip(perturbations, media):
        g = gem if med is None else apply_medium(gem, med)
        lb, ub = g.lb.copy(), g.ub.copy()
        kos = [q.gene for q in _parts(p) if getattr(q, "what", "") == "knockout"]
        kos = [k for k in kos if _in_gem(gem, k)]
        if kos:
            dead = ~reaction_activity(gpr, ~knockout_masks(gem, [kos])[0])
            lb[dead] = ub[dead] = 0.0
        lb_rows.append(lb)
        ub_rows.append(ub)
    base_lb, base_ub = np.array(lb_rows), np.array(ub_rows)
    if secretion is not None:
        allowed = set(reaction_index(gem, list(secretion.values())).tolist()) | set(ex.values())
        others = np.array([j for j in exchange_reactions(gem) if j not in allowed], dtype=np.int64)
        sub_ = base_ub[:, others]
        base_ub[:, others] = np.where(base_lb[:, others] >= 0, 0.0, sub_)
    # glucose, O2 and ethanol uptake are set by the kinetic bounds and by what the culture holds;
    # a medium that closes one of them (lb = 0) keeps it closed
    for k in ("glucose", "oxygen", "ethanol"):
        opened = np.array([med is None for med in media]) | (base_lb[:, ex[k]] < 0)
        base_lb[opened, ex[k]] = -OPEN_UPTAKE
    uptake = [ex["glucose"], ex["oxygen"], ex["ethanol"], ex["glycerol"], ex["acetate"]]
    sg = split_gem(gem, reversible=uptake, epsilon=params.epsilon)
    slb, sub = sg.split_bounds(base_lb, base_ub)
    # reference basis: the GEM's own medium (feasible for Yeast-GEM); with the enzyme pool, the
    # first trajectory's bounds with uptake open, whose optimum (pool-limited growth with overflow)
    # is a few pivots from the culture's first steps; from the medium's basis (glucose uptake <= 1)
    # the JAX dual simplex did not reach it in 2000 pivots
    engine = make_engine(sg.gem if kinetic_glucose else sg.gem.replace(lb=slb[0], ub=sub[0]))
    back = {k: int(sg.back_of[ex[k]]) for k in ("glucose", "oxygen", "ethanol")}
    net_cols = {k: (ex[k], int(sg.back_of[ex[k]])) for k in CULTURE_SPECIES + ("oxygen",)}

    kin = _kinetic_part(cell, perturbations, params)
    s0 = np.array([initial.get("biomass", 0.0)] + [initial.get(k, 0.0) for k in CULTURE_SPECIES])
    feed_v = np.array([0.0] + [feed.get(k, 0.0) for k in CULTURE_SPECIES])
    run = _compiled_run(n_steps, max_pivots_per_step)
    out = run(
        engine.P,
        engine.start,
        kin,
        jnp.asarray(slb),
        jnp.asarray(sub),
        jnp.asarray(s0),
        jnp.asarray(feed_v),
        float(dt_h),
        float(dilution_rate_per_h),
        _static_args(back, net_cols, ex["growth"], params, kinetic_glucose),
    )
    states, mu, bounds, exch, codes, pivots = jax.tree.map(np.asarray, out)
    return _result(states, mu, bounds, exch, codes, pivots, s0, dt_h, n_steps, perturbations)


def _parts(p):
    return getattr(p, "parts", (p,))


def _in_gem(gem: GEM, name: str) -> bool:

    try:
        resolve_genes(gem, [name])
        return True
    except Exception:  # noqa: BLE001 - a kinetic-core gene the GEM lacks is simply not deleted there
        return False


def _static_args(back, net_cols, growth_col, params, kinetic_glucose: bool):
    return (
        tuple(sorted(back.items())),
        tuple(sorted(net_cols.items())),
        int(growth_col),
        params.ethanol_vmax_mmol_gdw_h,
        params.ethanol_km_mM,
        params.glucose_ki_mM,
        params.derepression_fold,
        params.repression_k_mM,
        params.protein_turnover_per_h,
        bool(kinetic_glucose),
    )


def _compiled_run(n_steps: int, max_pivots: int):
    @eqx.filter_jit
    def run(P: LPArrays, start: Basis, kin: _Kinetic, slb, sub, s0, feed, dt, D, static):
        back, net_cols, growth_col, ve, ke, kig, fold, krep, k_adapt, kinetic_glucose = static
        back, net_cols = dict(back), dict(net_cols)

        def one(lb0, ub0, c_ref, rate_scale):
            def step(carry, _):
                s, resp, basis = carry
                X, G, E = s[0], s[1], s[2]
                q_glc, q_o2 = _uptake_capacities(kin, c_ref, rate_scale, G, resp)
                if not kinetic_glucose:  # priced by the enzyme pool; bounded by availability only
                    q_glc = jnp.full_like(q_glc, OPEN_UPTAKE)
                q_e = ve * E / (ke + E) * kig / (kig + G)
                avail = jnp.maximum(X * dt, 1e-30)
                q_glc = jnp.minimum(q_glc, G / avail)
                q_e = jnp.minimum(q_e, E / avail)
                ub = ub0
                for k, q in (("glucose", q_glc), ("oxygen", q_o2), ("ethanol", q_e)):
                    ub = ub.at[back[k]].set(jnp.minimum(ub0[back[k]], q))
                lb = jnp.minimum(lb0, ub)
                res = dual_simplex(P, lb, ub, basis, max_iter=max_pivots)
                ok = res.status == lpst.OPTIMAL
                x = jnp.where(ok, res.x, 0.0)
                mu = x[growth_col]
                rates = jnp.stack([x[f] - x[b] for f, b in (net_cols[k] for k in CULTURE_SPECIES)])
                o2 = x[net_cols["oxygen"][0]] - x[net_cols["oxygen"][1]]
                ds = jnp.concatenate([(mu - D) * X * jnp.ones(1), rates * X + D * (feed[1:] - s[1:])])
                s_new = jnp.maximum(s + ds * dt, 0.0)
                target = 1.0 + (fold - 1.0) * krep / (krep + G)
                resp_new = resp + (target - resp) * (1.0 - jnp.exp(-(mu + k_adapt) * dt))
                # an optimal or certified-infeasible end basis is dual feasible: the next step
                # starts there (after an infeasible step, typically with no pivot at all)
                keep = ok | (res.status == lpst.INFEASIBLE)
                basis = jax.tree.map(lambda a, b: jnp.where(keep, a, b), res.basis, basis)
                return (s_new, resp_new, basis), (
                    s_new,
                    mu,
                    jnp.stack([q_glc, q_o2, q_e]),
                    jnp.concatenate([rates, o2[None]]),
                    res.status,
                    res.iterations,
                )

            resp0 = 1.0 + (fold - 1.0) * krep / (krep + s0[1])
            _, out = jax.lax.scan(step, (s0, resp0, start), None, length=n_steps)
            return out

        return jax.vmap(one)(slb, sub, kin.c_ref, kin.rate_scale)

    return run


def _result(states, mu, bounds, exch, codes, pivots, s0, dt_h, n_steps, perturbations) -> DFBAResult:
    batch = states.shape[0]
    full = np.concatenate([np.broadcast_to(s0, (batch, 1, s0.size)), states], axis=1)
    names = lpst.status_names(codes)
    bad = codes != lpst.OPTIMAL
    first = np.where(bad.any(axis=1), bad.argmax(axis=1), -1)
    status = np.array([names[b, f] if f >= 0 else "optimal" for b, f in enumerate(first)])
    t = np.arange(n_steps + 1) * dt_h
    return DFBAResult(
        t=t,
        biomass=full[..., 0],
        medium={k: full[..., 1 + i] for i, k in enumerate(CULTURE_SPECIES)},
        growth=mu,
        uptake_bounds={k: bounds[..., i] for i, k in enumerate(("glucose", "oxygen", "ethanol"))},
        exchange={k: exch[..., i] for i, k in enumerate(CULTURE_SPECIES + ("oxygen",))},
        step_status=names,
        pivots=pivots,
        status=status,
        first_failure_h=np.where(first >= 0, first * dt_h, np.nan),
        labels=tuple(getattr(p, "label", str(p)) for p in perturbations),
    )
