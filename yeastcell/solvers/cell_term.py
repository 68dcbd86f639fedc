"""The diffrax term of a concentration `Cell`, with the structured Jacobian of `jacobian.py`.

`cell_term` gives what diffrax integrates (and `Rodas4P` differentiates): a `CellTerm` that offers
J = N_dyn · ∂v/∂x built from the reaction structure (yeastcell/solvers/jacobian.py), or a plain
`diffrax.ODETerm` where no structure is known. Kept apart from `jacobian.py` so that planning a
Jacobian (and importing yeastcell) does not import diffrax: only the solvers that integrate with
diffrax import this module (`solve`, `rosenbrock`).
"""

from __future__ import annotations

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..cells import ConcentrationCell, with_dynamic
from .jacobian import _jacobian_plan


class CellTerm(diffrax.ODETerm):
    """The ODE term of a concentration `Cell` (args = (c_full, clamp, rate_scale)) that also offers
    its Jacobian by compressed forward differentiation of the flux vector (see module docstring).

    Built by `cell_term`; the `Rodas4P` solver (yeastcell/solvers/rosenbrock.py) uses `jacobian` when the term has one. Pass the args
    through `solver_args`.
    """

    cell: ConcentrationCell
    # args carry the GPR enzyme factor as a fourth entry (computed once per solve; `solver_args`)
    enzymes_in_args: bool = eqx.field(static=True, default=False)

    @property
    def w_pattern(self) -> tuple[tuple[bool, ...], ...]:
        """Nonzero pattern of W = I/(γ h) − J (n_dynamic x n_dynamic, diagonal included): what the
        sparse LU of `Rodas4P` plans its elimination on."""
        return _jacobian_plan(self.cell.spec).w_pattern

    def _rates(self, args):
        """The flux vector as a function of (dynamic state, time) under `args`, the dynamic indices
        and the Jacobian plan."""
        cell = self.cell
        c_full, clamp, rate_scale, *factor = args

        def v(xx, tt):
            return cell.fluxes(with_dynamic(cell.dynamic, c_full, xx), tt, rate_scale, *factor)

        return v, np.asarray(cell.dynamic, dtype=int), _jacobian_plan(cell.spec)

    def jacobian(self, t, x, args):
        """∂(dx/dt)/∂x (1/min), shape (n_dynamic, n_dynamic): one forward-mode product per column
        colour of ∂v/∂x (the batched BDF's Jacobian refresh; `linearise` also gives f and ∂f/∂t)."""
        v, dyn, plan = self._rates(args)
        seeds = jnp.asarray(plan.seeds, dtype=x.dtype)
        compressed = jax.vmap(lambda s: jax.jvp(lambda xx: v(xx, t), (x,), (s,))[1])(seeds)
        return jnp.where(args[1][dyn][:, None], 0.0, plan.assemble(self.cell.N[dyn], compressed))

    def linearise(self, t, x, args):
        """(dx/dt, ∂(dx/dt)/∂t, ∂(dx/dt)/∂x) at (t, x) from ONE evaluation of the rates: a forward-mode
        product per column colour of ∂v/∂x plus one for ∂v/∂t, vmapped, sharing their primal.

        `Rodas4P` needs all three at the start of each step; taken separately (the right-hand side
        and its time derivative by one `jax.jvp`, the Jacobian by another) the rate laws appeared
        twice in the compiled step besides the stage loop's copy, and XLA compiles each copy.
        """
        cell = self.cell
        v, dyn, plan = self._rates(args)
        seeds = jnp.asarray(plan.seeds, dtype=x.dtype)
        x_seeds = jnp.concatenate([seeds, jnp.zeros((1, x.shape[0]), dtype=x.dtype)])  # + one seed for t
        t_seeds = jnp.zeros(x_seeds.shape[0], dtype=x.dtype).at[-1].set(1.0)
        t = jnp.asarray(t, dtype=x.dtype)
        v0, tangents = jax.vmap(lambda sx, st: jax.jvp(v, (x, t), (sx, st)), out_axes=(None, 0))(x_seeds, t_seeds)
        clamped = args[1][dyn]
        f0 = jnp.where(clamped, 0.0, cell.dynamic_change(v0))
        dT = jnp.where(clamped, 0.0, cell.dynamic_change(tangents[-1]))
        J = jnp.where(clamped[:, None], 0.0, plan.assemble(cell.N[dyn], tangents[:-1]))
        return f0, dT, J


def cell_term(cell, jacobian: str = "structured") -> diffrax.ODETerm:
    """The diffrax term for ``cell.rhs(t, x, *args)``.

    With ``jacobian="structured"`` and a compiled concentration `Cell`, a `CellTerm` whose sparsity
    pattern is computed once per model spec (at trace time, on a concrete compile of the spec, so it
    works inside the caller's jit/vmap/grad); otherwise (``"dense"``, SBML-semantics cells, wrapped
    cells such as hybrids) a plain `ODETerm`, whose Jacobian the solver takes with `jax.jacfwd`.
    """

    def vf(t, x, args):
        return cell.rhs(t, x, *args)

    if jacobian == "dense" or not isinstance(cell, ConcentrationCell) or not cell.dynamic:
        return diffrax.ODETerm(vf)
    if cell.constant_enzymes:

        def vf_with_factor(t, x, args):
            c_full, clamp, rate_scale, factor = args
            return cell.rhs(t, x, c_full, clamp, rate_scale, factor)

        return CellTerm(vf_with_factor, cell, True)
    return CellTerm(vf, cell)


def solver_args(term, cell, c_full, clamp, rate_scale):
    """The args for `term` (from `cell_term`): (c_full, clamp, rate_scale), plus the GPR enzyme
    factor at `c_full` where the term takes it (enzyme levels fixed during the solve)."""
    if isinstance(term, CellTerm) and term.enzymes_in_args:
        return c_full, clamp, rate_scale, cell.enzyme_factor(c_full)
    return c_full, clamp, rate_scale
