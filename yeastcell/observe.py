"""Observation model: from simulated states to what an experiment measures, and its likelihood.

Build an `ObservationModel` once per (cell, list of measured observables) at the Python boundary,
where names are checked; then everything is a pure JAX function over arrays (jit, vmap and grad
apply without special cases):

    om = ObservationModel.build(cell, dataset.observables, mapping={"SGTS(ph)LPR-1": "phospho:Hog1"})
    y = om(traj.conc, traj.flux)                       # (..., n_t, n_obs), model units (mM, mM/min)
    pred = predict_log2(om_params, y, "log2fc", y_ref=y[..., :1, :])   # log2 scale
    nll = gaussian_nll(pred, data_log2, mask, om_params.log_sigma)

Model quantities (the right-hand side of `mapping`; by default each observable names itself):

    SPECIES_ID            a species concentration (mM)
    REACTION_ID           a reaction rate (mM/min)
    OBSERVABLE_ID         an observable declared in the model file (its formula)
    total:PROTEIN         the sum of a protein's forms (mM)
    phospho:PROTEIN       the sum of its phosphorylated forms (mM)
    pfrac:PROTEIN         phospho:PROTEIN / total:PROTEIN (dimensionless)
    A + B + ...           a sum of species, as a whole-cell extract measures it: each term weighted
                          by its compartment's volume relative to the first term's compartment
                          (``CIT_c + CIT_m``: citrate molecules per volume of cytosol, mM)

A protein's *forms* are the species whose id, split at ``_``, contains the protein id as a token
(``Snf1``, ``Snf1_P``, ``Bcy1_Tpk1`` is a form of ``Tpk1``); the *phosphorylated* forms are those
that also carry a token ``P``, ``PP``, ``p`` or ``pp`` (``Snf1_P``, ``Hog1_PP``, ``Hog1_PP_n``). Pass
`forms=` to `build` to list them explicitly instead. Forms in other compartments are weighted by
their compartment's volume relative to the compartment of the protein's own species (or of its
first form), so ``total:Hog1`` is the amount of Hog1 per volume of that compartment (mM) and
``pfrac:Hog1`` the fraction of all Hog1 molecules that are phosphorylated.

Noise model: measured values are compared on the log2 scale (raw data: log2 of the value; log2fc
data: as they are), Gaussian with a standard deviation `sigma` per observable (log2 units),
entries with mask False contribute nothing (and no NaN reaches a gradient).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ._expr import compile_formula
from .exceptions import DatasetError, UnknownNameError, YeastcellError

PHOSPHO_TOKENS = frozenset({"P", "PP", "p", "pp"})
LOG2_2PI = float(np.log(2 * np.pi))


def protein_forms(species_ids: Sequence[str], protein: str) -> tuple[list[str], list[str]]:
    """(all forms, phosphorylated forms) of `protein` among `species_ids` by the naming rule above."""
    forms, phospho = [], []
    for s in species_ids:
        tokens = s.split("_")
        if protein in tokens:
            forms.append(s)
            if PHOSPHO_TOKENS & set(tokens):
                phospho.append(s)
    return forms, phospho


class ObservationModel(eqx.Module):
    """Linear maps (and declared formulas) from concentrations/fluxes to observables.

    ``y = (num @ [conc, flux]) / (den @ [conc, flux])`` per observable, where den is a row of ones
    on a constant 1 for non-ratio observables; observables declared as formulas in the model file
    are evaluated from their formula. Call it on arrays of shape (..., n_t, n_species) and
    (..., n_t, n_reactions); returns (..., n_t, n_obs).
    """

    num: jnp.ndarray  # (n_obs, n_species + n_reactions + 1)
    den: jnp.ndarray  # (n_obs, n_species + n_reactions + 1)
    observables: tuple[str, ...] = eqx.field(static=True)
    quantities: tuple[str, ...] = eqx.field(static=True)
    units: tuple[str, ...] = eqx.field(static=True)
    species_ids: tuple[str, ...] = eqx.field(static=True)
    reaction_ids: tuple[str, ...] = eqx.field(static=True)
    formulas: tuple = eqx.field(static=True, default=())  # ((obs index, fn), ...)
    parameters: tuple = eqx.field(static=True, default=())  # ((name, value), ...) for formulas

    @classmethod
    def build(
        cls,
        cell,
        observables: Sequence[str],
        mapping: Mapping[str, str] | None = None,
        forms: Mapping[str, Sequence[str]] | None = None,
        phospho_forms: Mapping[str, Sequence[str]] | None = None,
    ) -> ObservationModel:
        """Resolve each observable (through `mapping`) to a model quantity of `cell`.

        Args:
            observables: the measured observable ids, in the order of the data (e.g. ``ds.observables``).
            mapping: observable -> model quantity (grammar in the module docstring); default identity.
            forms / phospho_forms: protein -> its (phosphorylated) form species, overriding the naming rule.

        Raises:
            UnknownNameError: an unknown species, reaction, observable or protein (with close matches).
            YeastcellError: a protein without forms or without phosphorylated forms.
        """

        species = tuple(cell.species_ids)
        reactions = tuple(getattr(cell, "reaction_ids", ()))
        spec = getattr(cell, "spec", None)
        declared = {o.id: o for o in getattr(spec, "observables", ())}
        params = {p.id: p.value for p in getattr(spec, "parameters", ())}
        mapping = dict(mapping or {})
        observables = tuple(observables)
        for k in mapping:
            if k not in observables:
                raise UnknownNameError("observable (in mapping)", k, observables)
        ns, nr = len(species), len(reactions)
        width = ns + nr + 1
        num = np.zeros((len(observables), width))
        den = np.zeros((len(observables), width))
        den[:, -1] = 1.0
        units, quantities, formulas = [], [], []
        sidx = {s: i for i, s in enumerate(species)}
        ridx = {r: ns + j for j, r in enumerate(reactions)}
        proteins = {t for s in species for t in s.split("_")}
        known = list(species) + list(reactions) + list(declared)

        vol = np.asarray(getattr(cell, "volumes", np.ones(1)), dtype=float)
        comp = tuple(getattr(cell, "species_compartment", ())) or (0,) * len(species)

        def weights(protein: str, idx: list[int]) -> np.ndarray:
            base = sidx.get(protein, idx[0])
            return vol[[comp[i] for i in idx]] / vol[comp[base]]

        def forms_of(protein: str, phospho: bool) -> list[int]:
            table = phospho_forms if phospho else forms
            if table and protein in table:
                chosen = list(table[protein])
                for s in chosen:
                    if s not in sidx:
                        raise UnknownNameError("species", s, species)
            else:
                if protein not in proteins:
                    raise UnknownNameError("protein", protein, sorted(proteins))
                allf, ph = protein_forms(species, protein)
                chosen = ph if phospho else allf
            if not chosen:
                raise YeastcellError(
                    f"protein {protein!r} has no {'phosphorylated ' if phospho else ''}forms "
                    f"among the model's species; pass {'phospho_forms' if phospho else 'forms'}="
                )
            return [sidx[s] for s in chosen]

        for i, o in enumerate(observables):
            q = mapping.get(o, o)
            quantities.append(q)
            m = re.fullmatch(r"(total|phospho|pfrac):(\S+)", q)
            if m:
                kind, prot = m.groups()
                if kind in ("total", "pfrac"):
                    idx = forms_of(prot, False)
                    (den if kind == "pfrac" else num)[i, idx] = weights(prot, idx)
                if kind in ("phospho", "pfrac"):
                    idx = forms_of(prot, True)
                    num[i, idx] = weights(prot, idx)
                if kind == "pfrac":
                    den[i, -1] = 0.0
                units.append("" if kind == "pfrac" else "mM")
            elif "+" in q:
                terms = [t.strip() for t in q.split("+")]
                for t in terms:
                    if t not in sidx:
                        raise UnknownNameError(f"species (in the sum {q!r})", t, species)
                idx = [sidx[t] for t in terms]
                num[i, idx] = weights(terms[0], idx)  # relative to the first term's compartment
                units.append("mM")
            elif q in sidx:
                num[i, sidx[q]] = 1.0
                units.append("mM")
            elif q in ridx:
                num[i, ridx[q]] = 1.0
                units.append("mM/min")
            elif q in declared:
                names = set(species) | set(reactions) | set(params)
                formulas.append((i, compile_formula(declared[q].expression, names)))
                units.append(getattr(declared[q], "unit", "") or "")
            else:
                raise UnknownNameError("model quantity" if o in mapping else "observable", q, known)
        return cls(
            jnp.asarray(num),
            jnp.asarray(den),
            observables,
            tuple(quantities),
            tuple(units),
            species,
            reactions,
            tuple(formulas),
            tuple(sorted((k, float(v)) for k, v in params.items())),
        )

    def __call__(self, conc, flux):
        """Observables (..., n_t, n_obs) from conc (..., n_t, n_species) and flux (..., n_t, n_reactions)."""
        conc = jnp.asarray(conc)
        flux = jnp.asarray(flux)
        x = jnp.concatenate([conc, flux, jnp.ones(conc.shape[:-1] + (1,), conc.dtype)], axis=-1)
        y = (x @ self.num.T) / (x @ self.den.T)
        if self.formulas:
            env = dict(self.parameters)
            env.update({s: conc[..., k] for k, s in enumerate(self.species_ids)})
            env.update({r: flux[..., j] for j, r in enumerate(self.reaction_ids)})
            for i, fn in self.formulas:
                y = y.at[..., i].set(jnp.broadcast_to(fn(env), y.shape[:-1]))
        return y

    def from_trajectory(self, traj, allow_failed: bool = False):
        """Observables of a (batched) `Trajectory`; raises SolverError for failed trajectories."""
        if not allow_failed:
            traj.raise_if_failed()
        return self(traj.conc, traj.flux)


# ---------------------------------------------------------------------- parameters and transforms
class ObservationParams(eqx.Module):
    """Per-observable observation parameters (all shape (n_obs,), trainable).

    log2_scale: relative data: raw prediction ``2**log2_scale * y + offset``; log2 fold changes:
        ``2**log2_scale * lfc + offset`` (MS ratio compression/expansion).
    offset: additive offset (model units for raw data, log2 units for fold changes).
    log_sigma: natural log of the noise standard deviation (log2 units).
    """

    log2_scale: jnp.ndarray
    offset: jnp.ndarray
    log_sigma: jnp.ndarray

    @classmethod
    def init(cls, n_obs: int, sigma: float = 0.3) -> ObservationParams:
        """Identity observation (scale 1, offset 0) and noise `sigma` (log2 units) for every observable."""
        if not (n_obs >= 1 and np.isfinite(sigma) and sigma > 0):
            raise YeastcellError(f"need n_obs >= 1 and sigma > 0, got {n_obs}, {sigma}")
        z = jnp.zeros(int(n_obs))
        return cls(z, z, jnp.full(int(n_obs), float(np.log(sigma))))


def log2fc(y, y_ref, floor: float = 1e-12):
    """log2(y / y_ref), with both floored at `floor` (model units) so a zero does not give -inf."""
    return jnp.log2(jnp.maximum(y, floor)) - jnp.log2(jnp.maximum(y_ref, floor))


def predict_log2(params: ObservationParams, y, transform: str, y_ref=None, floor: float = 1e-12):
    """Predicted measurement on the log2 scale, shape of `y` (..., n_t, n_obs).

    transform ``"raw"``: log2(2**log2_scale * y + offset); ``"log2fc"``: 2**log2_scale * log2(y / y_ref)
    + offset, where `y_ref` is the model's own reference (e.g. ``y[..., :1, :]`` for the first time
    point, or the observables of a simulated reference condition), broadcast against `y`.
    Values below `floor` are floored before the log (a loss never sees -inf).
    """
    if transform == "raw":
        return jnp.log2(jnp.maximum(jnp.exp2(params.log2_scale) * y + params.offset, floor))
    if transform == "log2fc":
        if y_ref is None:
            raise YeastcellError("a log2fc prediction needs y_ref (the model's reference observables)")
        return jnp.exp2(params.log2_scale) * log2fc(y, y_ref, floor) + params.offset
    raise YeastcellError(f"transform must be 'raw' or 'log2fc', got {transform!r}")


def gaussian_nll(pred_log2, data_log2, mask, log_sigma):
    """Negative log-likelihood of Gaussian noise on the log2 scale, summed over measured entries.

    pred_log2: (n_cond, n_t, n_obs) or broadcastable to data; data_log2, mask: (n_cond, n_rep, n_t, n_obs)
    (a prediction without replicate axis is broadcast over replicates); log_sigma: (n_obs,).
    Entries with mask False contribute 0, and NaN in them never reaches a gradient.
    """
    data_log2 = jnp.asarray(data_log2)
    if jnp.ndim(pred_log2) == data_log2.ndim - 1:
        pred_log2 = jnp.expand_dims(pred_log2, -3)
    safe = jnp.where(mask, data_log2, 0.0)
    r = jnp.where(mask, (safe - pred_log2) * jnp.exp(-log_sigma), 0.0)
    per = 0.5 * r**2 + jnp.where(mask, log_sigma + 0.5 * LOG2_2PI, 0.0)
    return jnp.sum(per)


def data_log2(ds) -> tuple[np.ndarray, np.ndarray]:
    """(values on the log2 scale, mask) of a Dataset for `gaussian_nll`.

    Raw data are log2-transformed (every measured value must be > 0); log2fc data are returned as is.

    Raises:
        DatasetError: a measured raw value <= 0, naming it.
    """
    v, m = np.asarray(ds.values), np.asarray(ds.mask)
    if ds.transform == "log2fc":
        return v.copy(), m.copy()
    bad = m & ~(np.where(m, v, 1.0) > 0)
    if bad.any():
        c, r, k, o = (int(i) for i in np.argwhere(bad)[0])
        raise DatasetError(
            f"{int(bad.sum())} measured raw values are <= 0 and have no log; first: condition "
            f"{ds.conditions[c]!r}, replicate {r + 1}, t = {ds.times_min[k]} min, "
            f"observable {ds.observables[o]!r} = {v[c, r, k, o]}"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m, np.log2(np.where(m, v, 1.0)), np.nan), m.copy()
