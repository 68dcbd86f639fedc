"""The compiled rate laws of a concentration cell: reactions grouped by rate-law kind, and general
formulas (units: concentrations mM, rates mM/min)."""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ..kinetics import KINDS


class KindGroup(eqx.Module):
    """Reactions of one rate-law kind with the same numbers of substrates and products."""

    kind: str = eqx.field(static=True)
    rxn: tuple[int, ...] = eqx.field(static=True)
    sub: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    prod: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    role: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    theta_idx: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    exponents: tuple[tuple[float, ...], ...] = eqx.field(static=True)
    sign: tuple[float, ...] = eqx.field(static=True)

    def species_reads(self) -> tuple[np.ndarray, ...]:
        """The species indices `rates` reads: substrates, products, roles, each (n_reactions, k)."""
        n = len(self.rxn)
        return tuple(np.asarray(a, dtype=int).reshape(n, -1) for a in (self.sub, self.prod, self.role))

    def theta_reads(self) -> np.ndarray:
        """The parameter indices `rates` reads, (n_reactions, k)."""
        return np.asarray(self.theta_idx, dtype=int).reshape(len(self.rxn), -1)

    def rates(self, c, theta):
        """Rates (mM/min) of this group's reactions, in stoichiometric direction."""
        return self.rates_of(*(c[i] for i in self.species_reads()), theta[self.theta_reads()])

    def rates_of(self, S, P, R, p):
        """`rates` from the already gathered substrate, product and role concentrations (mM) and
        rate-law parameters `p` (rows of `theta_reads`)."""
        n = len(self.rxn)
        x = np.asarray(self.exponents, dtype=float).reshape(
            n, -1
        )  # concrete: exact integer powers (kinetics._prod_powers)
        return jnp.asarray(self.sign, dtype=S.dtype) * KINDS[self.kind].rate(S, P, R, p, x)


class ExpressionLaw(eqx.Module):
    """One reaction whose rate is a general formula (also used by SBML import).

    `species` and `thetas` list only the names the formula uses (see `compile_model`): every name
    bound here is one gather in the traced program, and the solver traces the rate law once per
    stage, so binding all species and parameters of a large model (205 + ~1000 names for each of
    the whole cell's 27 formulas) made the right-hand side ~13x larger and its compile ~3x slower.
    """

    rxn: int = eqx.field(static=True)
    fn: Callable = eqx.field(static=True)
    species: tuple[tuple[str, int], ...] = eqx.field(static=True)
    thetas: tuple[tuple[str, int], ...] = eqx.field(static=True)

    def species_reads(self) -> np.ndarray:
        """The species indices the formula reads, in `species` order."""
        return np.asarray([i for _, i in self.species], dtype=int)

    def theta_reads(self) -> np.ndarray:
        """The parameter indices the formula reads, in `thetas` order."""
        return np.asarray([i for _, i in self.thetas], dtype=int)

    def rate(self, c, theta, t):
        return self.rate_of(c[self.species_reads()], theta[self.theta_reads()], t)

    def rate_of(self, conc, values, t):
        """`rate` from the already gathered concentrations of `species` (mM) and values of `thetas`."""
        env = {name: conc[k] for k, (name, _) in enumerate(self.species)}
        env.update({name: values[k] for k, (name, _) in enumerate(self.thetas)})
        env["time"] = t
        return jnp.asarray(self.fn(env), dtype=values.dtype if self.thetas else conc.dtype)
