"""Compiled proteome layer: vectorised protein synthesis and turnover rates.

Synthesis (mM/min): v = k_basal · Π_a (1 + fold_a·x_a)/(1 + x_a) · Π_r 1/(1 + x_r), x = (TF/K)^n.
Turnover (mM/min): v = (k_deg + μ) · c, μ the growth rate (1/min; a model parameter, so a fit or a
dFBA layer can change it). All constants are entries of the cell's `theta`. See
`yeastcell._expression_spec` for how the model file declares them.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np

SYNTHESIS_KIND, TURNOVER_KIND = "synthesis", "turnover"
PROTEOME_KINDS = (SYNTHESIS_KIND, TURNOVER_KIND)


class ProteomeTerms(eqx.Module):
    """Index structure of all synthesis and turnover reactions of a cell (static)."""

    syn_rxn: tuple[int, ...] = eqx.field(static=True)
    syn_k: tuple[int, ...] = eqx.field(static=True)  # theta index of k_basal
    # regulators: (synthesis row, TF species, theta K, theta n, theta fold or -1, is_activator)
    regs: tuple[tuple[int, int, int, int, int, bool], ...] = eqx.field(static=True)
    deg_rxn: tuple[int, ...] = eqx.field(static=True)
    deg_species: tuple[int, ...] = eqx.field(static=True)
    deg_k: tuple[int, ...] = eqx.field(static=True)  # theta index of k_deg
    deg_mu: tuple[int, ...] = eqx.field(static=True)  # theta index of the growth rate, or -1

    @property
    def order(self) -> list[int]:
        """Reaction indices of `rates`' output, in order."""
        return list(self.syn_rxn) + list(self.deg_rxn)

    def rates(self, c, theta):
        """Synthesis then turnover rates (mM/min), in the order of `order`."""
        parts = []
        if self.syn_rxn:
            v = theta[np.asarray(self.syn_k)]
            if self.regs:
                row, sp, tk, tn, tf, act = (np.asarray(a) for a in zip(*self.regs))
                x = (c[sp] / theta[tk]) ** theta[tn]
                fold = jnp.where(tf >= 0, theta[np.maximum(tf, 0)], 1.0)
                f = jnp.where(act, (1.0 + fold * x) / (1.0 + x), 1.0 / (1.0 + x))
                slots = _slots(row, len(self.syn_rxn))
                v = v * jnp.prod(jnp.concatenate([f, jnp.ones(1, dtype=f.dtype)])[slots], axis=1)
            parts.append(v)
        if self.deg_rxn:
            k = theta[np.asarray(self.deg_k)]
            mu_idx = np.asarray(self.deg_mu)
            mu = jnp.where(mu_idx >= 0, theta[np.maximum(mu_idx, 0)], 0.0)
            parts.append((k + mu) * c[np.asarray(self.deg_species)])
        return jnp.concatenate(parts)


def _slots(row: np.ndarray, n_rows: int) -> np.ndarray:
    """(n_rows, width) indices into the factor vector, padded with len(row) (a factor 1)."""
    width = int(np.max(np.bincount(row, minlength=n_rows)))
    slots = np.full((n_rows, width), len(row), dtype=int)
    fill = np.zeros(n_rows, dtype=int)
    for k, j in enumerate(row):
        slots[j, fill[j]] = k
        fill[j] += 1
    return slots


def build_proteome(spec, s_index, add_theta, theta_names) -> ProteomeTerms | None:
    """Collect the synthesis/turnover reactions of `spec` into a `ProteomeTerms` (None if none)."""
    syn_rxn: list[int] = []
    syn_k, regs, deg_rxn, deg_sp, deg_k, deg_mu = [], [], [], [], [], []
    for j, r in enumerate(spec.reactions):
        law = r.rate_law
        if law.kind == SYNTHESIS_KIND:
            row = len(syn_rxn)
            syn_rxn.append(j)
            syn_k.append(add_theta(f"{r.id}.k_basal", law.parameters["k_basal"]))
            for slot, tf in law.roles.items():
                tk = add_theta(f"{r.id}.K_{slot}", law.parameters[f"K_{slot}"])
                tn = add_theta(f"{r.id}.n_{slot}", law.parameters[f"n_{slot}"])
                act = slot.startswith("act")
                tf_idx = add_theta(f"{r.id}.fold_{slot}", law.parameters[f"fold_{slot}"]) if act else -1
                regs.append((row, s_index[tf], tk, tn, tf_idx, act))
        elif law.kind == TURNOVER_KIND:
            deg_rxn.append(j)
            deg_sp.append(s_index[law.substrates[0]])
            deg_k.append(add_theta(f"{r.id}.kdeg", law.parameters["kdeg"]))
            deg_mu.append(theta_names.index(law.dilution) if law.dilution else -1)
    if not syn_rxn and not deg_rxn:
        return None
    return ProteomeTerms(
        tuple(syn_rxn), tuple(syn_k), tuple(regs), tuple(deg_rxn), tuple(deg_sp), tuple(deg_k), tuple(deg_mu)
    )
