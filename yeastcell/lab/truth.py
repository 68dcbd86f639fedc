"""Hidden ground truth for a virtual lab: a cell plus regulation and parameter changes the learner
does not see.

A `TruthCell` (a `CorrectedCell`) wraps a compiled concentration cell and multiplies chosen reaction rates by
Hill factors of effector species, ``1/(1 + (c/K)^n)`` (inhibition) or ``(1 + fold·x)/(1 + x)``,
``x = (c/K)^n`` (activation). With ``normalize=True`` (default) each factor is divided by its value at
a reference state, so the reference state itself is unchanged and the hidden regulation shows only
when a perturbation moves the effector. The reference state is the steady state of the cell under
``reference`` (a perturbation or condition string, typically the lab's base, e.g.
``"cond:teusink2000"``), or `cell.c0` without one. `cell.c0` is only a sound reference when it is
(near) a steady state: the core model's initial F16BP is 5.5 mM but it settles at 0.6 mM within a
minute, so an F16BP-inhibited reaction normalised at `cell.c0` runs ~8x faster in the wild type
itself (enough to drain the cell's ATP and stop the solve). It has the cell interface, so `simulate`
and `simulate_batch` run it unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ..cells import ConcentrationCell, CorrectedCell
from ..exceptions import SimulationInputError, UnknownNameError
from ..perturb import Perturbation
from ..perturb.notation import parse_perturbation
from ..steady import steady_state


@dataclass(frozen=True)
class HiddenRegulation:
    """An effector species modulating a reaction's rate (K in mM; n Hill coefficient; fold for activation)."""

    reaction: str
    effector: str
    K_mM: float
    n: float = 1.0
    kind: str = "inhibit"
    fold: float = 5.0

    def __post_init__(self):
        if self.kind not in ("inhibit", "activate"):
            raise SimulationInputError(f"hidden regulation kind must be 'inhibit' or 'activate', got {self.kind!r}")
        if not (np.isfinite(self.K_mM) and self.K_mM > 0 and np.isfinite(self.n) and self.n > 0):
            raise SimulationInputError(f"hidden regulation of {self.reaction!r}: K_mM and n must be positive")
        if self.kind == "activate" and not (np.isfinite(self.fold) and self.fold > 0):
            raise SimulationInputError(f"hidden activation of {self.reaction!r}: fold must be positive")


class TruthCell(CorrectedCell):
    """A cell with hidden multiplicative regulation of some reaction rates (see module docstring)."""

    cell: ConcentrationCell
    reg_rxn: tuple[int, ...] = eqx.field(static=True)
    reg_sp: tuple[int, ...] = eqx.field(static=True)
    reg_K: tuple[float, ...] = eqx.field(static=True)
    reg_n: tuple[float, ...] = eqx.field(static=True)
    reg_act: tuple[bool, ...] = eqx.field(static=True)
    reg_fold: tuple[float, ...] = eqx.field(static=True)
    reg_norm: tuple[float, ...] = eqx.field(static=True)

    def factors(self, c):
        """Per-reaction rate multipliers at concentrations `c` (mM), shape (n_reactions,)."""
        n_rx = self.cell.n_reactions
        if not self.reg_rxn:
            return jnp.ones(n_rx, dtype=c.dtype)
        x = (jnp.maximum(c[np.asarray(self.reg_sp)], 0.0) / np.asarray(self.reg_K)) ** np.asarray(self.reg_n)
        fold = np.asarray(self.reg_fold)
        f = jnp.where(np.asarray(self.reg_act), (1.0 + fold * x) / (1.0 + x), 1.0 / (1.0 + x)) / np.asarray(
            self.reg_norm
        )
        # product per reaction, scatter-free: log-sum through a static (reactions x regulations) matrix
        M = np.zeros((n_rx, len(self.reg_rxn)))
        M[np.asarray(self.reg_rxn), np.arange(len(self.reg_rxn))] = 1.0
        return jnp.exp(jnp.asarray(M, dtype=c.dtype) @ jnp.log(f))

    def rate_factors(self, c):
        return self.factors(c)

    def species_additions(self, c):
        return None


def hidden_truth(
    cell,
    regulations: Sequence[HiddenRegulation] = (),
    parameter_changes: Mapping[str, float] | None = None,
    normalize: bool = True,
    reference: Perturbation | str | None = None,
) -> TruthCell:
    """A `TruthCell`: `cell` with hidden `regulations` and parameters multiplied by `parameter_changes`.

    Args:
        parameter_changes: theta name (e.g. ``"HXK.Vmax"``) -> multiplicative factor (> 0).
        normalize: divide each regulation factor by its value at the reference state.
        reference: where the factors are normalised: the steady state of `cell` (with the parameter
            changes) under this perturbation or condition string (use the lab's base, e.g.
            ``"cond:teusink2000"``); None: `cell.c0` (sound only if that is a steady state).

    Raises:
        UnknownNameError: an unknown reaction, species or parameter name (with close matches).
        SimulationInputError: a non-positive factor.
        SolverError: the reference steady state cannot be found.
    """
    if not isinstance(cell, ConcentrationCell):
        raise SimulationInputError(f"hidden_truth needs a compiled concentration Cell, got {type(cell).__name__}")
    for name, f in dict(parameter_changes or {}).items():
        if name not in cell.theta_names:
            raise UnknownNameError("parameter", name, cell.theta_names)
        if not (np.isfinite(f) and f > 0):
            raise SimulationInputError(f"parameter change of {name!r} must be a positive factor, got {f!r}")
        i = cell.theta_names.index(name)
        cell = eqx.tree_at(lambda c: c.theta, cell, cell.theta.at[i].multiply(float(f)))
    rx, sp, K, n, act, fold, norm = [], [], [], [], [], [], []
    c_ref = np.asarray(cell.c0)
    if regulations and normalize and reference is not None:
        ref = parse_perturbation(reference) if isinstance(reference, str) else reference
        c_ref = np.asarray(steady_state(cell, ref).raise_if_failed().conc)
    for r in regulations:
        if not isinstance(r, HiddenRegulation):
            raise SimulationInputError(f"regulations must be HiddenRegulation entries, got {r!r}")
        rx.append(cell.reaction_index(r.reaction))
        sp.append(cell.species_index(r.effector))
        K.append(float(r.K_mM))
        n.append(float(r.n))
        act.append(r.kind == "activate")
        fold.append(float(r.fold))
        x = (max(c_ref[sp[-1]], 0.0) / K[-1]) ** n[-1]
        f = (1 + fold[-1] * x) / (1 + x) if act[-1] else 1 / (1 + x)
        norm.append(float(f) if normalize else 1.0)
    # mypy counts the AbstractVars implemented as properties as __init__ parameters (equinox issue #1123)
    return TruthCell(cell, tuple(rx), tuple(sp), tuple(K), tuple(n), tuple(act), tuple(fold), tuple(norm))  # type: ignore[call-arg, arg-type]
