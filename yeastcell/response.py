"""Linear response of a steady state to enzyme levels and rate changes (metabolic control analysis).

At a steady state x* of the dynamic species (f(x*, E, s) = 0, with E the protein species that set
enzyme capacities and s the per-reaction rate scales), the implicit function theorem gives the
response of the steady state to small changes of the inputs:

    J · dx = -(∂f/∂E) dE - (∂f/∂s) ds,      L · dx = 0,

where J = ∂f/∂x and the rows of L span the conserved moieties of the dynamic species (the left null
space of their stoichiometry; a clamped species is conserved at its value). The stacked system
[J; L] is solved in the least-squares sense, which is exact when the steady state is isolated within
its moiety class. Chained with the observables' derivatives this gives, in log-log form,

    by_protein[i, g] = d log2 y_i / d log2 E_g      (concentration control coefficients w.r.t. enzymes),
    by_rate[i, r]    = d log2 y_i / d log2 s_r      (w.r.t. the rate of reaction r),

so a measured proteome (log2 ratios to the wild type, per gene) predicts log2 ratios of every
observable as ``by_protein @ levels``: a first-order (small-perturbation) prediction, exact in the
limit of small changes, computed once per model and condition and then a matrix product per strain.
Everything is differentiated by JAX through the cell's own `rhs` and `fluxes`, so the response of a
`HybridCell` includes its residual network (whose gene-activity inputs read the protein species).

Units: log2 ratio per log2 ratio (dimensionless); the reference values in model units (mM, mM/min).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .cells import AbstractCell, CorrectedCell, SbmlCell
from .exceptions import SimulationInputError, SolverError
from .observe import ObservationModel
from .perturb import Condition, Perturbation, resolve, wild_type
from .perturb.notation import parse_perturbation
from .solvers import SolverOptions
from .status import Status, describe
from .steady import steady_state

LEVEL_CLIP = 3.0  # |log2 ratio| to which protein levels are clipped; a deletion counts as -LEVEL_CLIP
MOIETY_RTOL = 1e-9  # singular values below this (relative) span the moieties of the stoichiometry


@dataclass(frozen=True)
class LinearResponse:
    """First-order response of a model's steady state (module docstring).

    Attributes:
        model_id: the model.
        condition: the condition of the reference steady state (perturbation notation).
        observables: output names (rows).
        genes: gene labels (ORF) whose protein species are inputs (columns of `by_protein`).
        reactions: reaction ids (columns of `by_rate`).
        by_protein: (n_obs, n_genes) d log2 y / d log2 protein level.
        by_rate: (n_obs, n_reactions) d log2 y / d log2 rate scale.
        reference: (n_obs,) the observables at the reference steady state (model units).
        rate_by_protein: (n_reactions, n_genes) d ln v_r / d ln E_g at fixed metabolite levels (the
            gene rules' share of each enzyme in each rate; 0 for a reaction without flux), so that
            `by_protein` = `by_rate` · `rate_by_protein` for observables that are metabolites.
    """

    model_id: str
    condition: str
    observables: tuple[str, ...]
    genes: tuple[str, ...]
    reactions: tuple[str, ...]
    by_protein: np.ndarray
    by_rate: np.ndarray
    reference: np.ndarray
    rate_by_protein: np.ndarray

    def predict(self, log2_levels) -> np.ndarray:
        """Predicted log2 ratios (n_strains, n_obs) from protein log2 ratios (n_strains, n_genes),
        in the order of `genes` (0 = unchanged)."""
        x = np.atleast_2d(np.asarray(log2_levels, dtype=np.float64))
        if x.shape[-1] != len(self.genes):
            raise SimulationInputError(f"levels need {len(self.genes)} columns (one per gene), got {x.shape[-1]}")
        return x @ self.by_protein.T

    def gene_index(self, gene: str) -> int:
        return self.genes.index(gene)


def strain_levels(
    genes: Sequence[str], measured: Mapping[str, float] | None = None, deleted: Sequence[str] = ()
) -> np.ndarray:
    """(n_genes,) protein log2 ratios of one strain for a linear response over `genes` (ORFs):
    the measured ratio where given (keys: ORFs), 0 elsewhere, -`LEVEL_CLIP` for a deleted gene,
    everything clipped to ±`LEVEL_CLIP`. A linear response is a small-perturbation prediction: a
    deletion, or a protein measured at the noise floor, counts as an 8-fold decrease, not as zero."""
    measured = {k.upper(): v for k, v in (measured or {}).items()}
    gone = {g.upper() for g in deleted}
    out = np.array([-LEVEL_CLIP if g.upper() in gone else float(measured.get(g.upper(), 0.0)) for g in genes])
    return np.clip(np.nan_to_num(out), -LEVEL_CLIP, LEVEL_CLIP)


def _mechanistic(cell):
    return cell.cell if isinstance(cell, CorrectedCell) else cell


def moiety_rows(cell: AbstractCell, clamp: np.ndarray) -> np.ndarray:
    """(n_moieties, n_dynamic) rows spanning the conserved moieties of the dynamic species: the left
    null space of their stoichiometry, plus one row per clamped dynamic species."""
    base = _mechanistic(cell)
    dyn = np.asarray(base.dynamic, dtype=int)
    n = np.asarray(base.N)[dyn]
    n = np.where(np.asarray(clamp)[dyn][:, None], 0.0, n)
    u, s, _ = np.linalg.svd(n, full_matrices=True)
    rank = int(np.sum(s > MOIETY_RTOL * (s[0] if s.size else 1.0)))
    return u[:, rank:].T


def linear_response(
    cell: AbstractCell,
    condition: Perturbation | Condition | str | None = None,
    observables: Sequence[str] | None = None,
    mapping: Mapping[str, str] | None = None,
    *,
    t_max: float = 1e5,
    tol: float = 1e-9,
    options: SolverOptions | None = None,
) -> LinearResponse:
    """The linear response of `cell`'s steady state under `condition` (module docstring).

    Args:
        condition: the reference condition (a perturbation, its notation, or a resolved Condition;
            default the wild type); it must have a steady state.
        observables, mapping: outputs as for `ObservationModel.build` (default: every metabolite
            species); e.g. ``mapping={"cit": "CIT_c + CIT_m"}`` for a whole-cell total.

    Raises:
        SimulationInputError: an SBML-semantics cell (no protein species), a model without genes.
        SolverError: no steady state under `condition`.
        UnknownNameError: an unknown observable or model quantity.
    """
    if isinstance(cell, SbmlCell):
        raise SimulationInputError("linear_response needs a concentration model with protein species")
    base = _mechanistic(cell)
    genes = [(orf, idx) for orf, _, idx in base.genes if idx >= 0]
    if not genes:
        raise SimulationInputError(f"model {base.model_id!r} has no genes with protein species")
    if isinstance(condition, str):
        label, pert = condition, parse_perturbation(condition)
        cond = resolve(cell, pert)
    elif isinstance(condition, Condition):
        label, cond = "condition", condition
    else:
        pert = condition if condition is not None else wild_type()
        label, cond = str(pert), resolve(cell, pert)
    if observables is None:
        observables = [s for s, k in zip(base.species_ids, base.species_kind) if k == "metabolite"]
    om = ObservationModel.build(base, list(observables), mapping=mapping)
    ss = steady_state(cell, cond, t_max=t_max, tol=tol, options=options)
    if int(ss.status) != Status.SUCCESS:
        raise SolverError(f"no steady state under {label} in model {base.model_id!r}: {describe(int(ss.status))}")
    dyn = np.asarray(base.dynamic, dtype=int)
    c_star = jnp.asarray(ss.conc)
    x_star = c_star[dyn]
    prot = np.asarray([idx for _, idx in genes], dtype=int)
    e_ref = np.asarray(c_star)[prot]
    ones = jnp.ones(len(base.reaction_ids))

    def full(x, log_e):
        return c_star.at[dyn].set(x).at[prot].set(e_ref * jnp.exp(log_e))

    def f(x, log_e, log_s):
        return cell.rhs(0.0, x, full(x, log_e), cond.clamp, ones * jnp.exp(log_s))

    def log_y(x, log_e, log_s):
        c = full(x, log_e)
        v = cell.fluxes(c, 0.0, ones * jnp.exp(log_s))
        return jnp.log(jnp.abs(om(c[None, :], v[None, :])[0]))

    def log_v(log_e):
        v = cell.fluxes(full(x_star, log_e), 0.0, ones)
        return jnp.log(jnp.where(v == 0.0, 1.0, jnp.abs(v)))

    ze, zs = jnp.zeros(len(prot)), jnp.zeros(len(ones))
    g_rate = np.asarray(jax.jit(jax.jacfwd(log_v))(ze))
    jx, je, js = jax.jit(jax.jacfwd(f, argnums=(0, 1, 2)))(x_star, ze, zs)
    gx, ge, gs = jax.jit(jax.jacfwd(log_y, argnums=(0, 1, 2)))(x_star, ze, zs)
    moieties = moiety_rows(cell, np.asarray(cond.clamp))
    a = np.vstack([np.asarray(jx), moieties])
    rhs = -np.hstack([np.asarray(je), np.asarray(js)])
    rhs = np.vstack([rhs, np.zeros((moieties.shape[0], rhs.shape[1]))])
    dx, *_ = np.linalg.lstsq(a, rhs, rcond=None)
    resid = np.linalg.norm(a @ dx - rhs) / max(float(np.linalg.norm(rhs)), 1e-300)
    if not np.isfinite(dx).all() or resid > 1e-6:
        raise SolverError(
            f"the steady state under {label} is not isolated within its moiety class (relative residual "
            f"{resid:.1e} of the linearised system): no unique linear response"
        )
    g = np.asarray(gx) @ dx + np.hstack([np.asarray(ge), np.asarray(gs)])  # d ln y / d ln (E, s)
    y_ref = np.asarray(om(c_star[None, :], cell.fluxes(c_star, 0.0, ones)[None, :])[0])
    return LinearResponse(
        model_id=base.model_id,
        condition=label,
        observables=tuple(observables),
        genes=tuple(orf for orf, _ in genes),
        reactions=tuple(base.reaction_ids),
        by_protein=g[:, : len(prot)],
        by_rate=g[:, len(prot) :],
        reference=y_ref,
        rate_by_protein=g_rate,
    )


__all__ = ["LEVEL_CLIP", "LinearResponse", "linear_response", "moiety_rows", "strain_levels"]
