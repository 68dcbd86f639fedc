"""Neural residuals: a `HybridCell` = a compiled `Cell` plus a small network that corrects it.

Two places where the network enters the dynamics (PEtab-SciML "dynamic hybridization"):

* multiplicative corrections of chosen reaction rates (the default),
  ``dx/dt = N · (v(x, θ, u) ⊙ exp(r_φ(x, u)))``: stoichiometry, mass conservation (every moiety
  conserved by N stays conserved) and non-negativity (a rate that vanishes with its substrate still
  vanishes) are kept;
* additive terms on chosen species, ``dx_i/dt += a_φ,i(x, u)`` (mM/min), for changes no reaction of
  the model explains (these can break conservation and non-negativity; use them sparingly).

The network `r_φ` sees the log-scaled state of chosen species, ``log((c_i + floor) / (c_ref,i + floor))``,
and a perturbation encoding: the activity of chosen genes, read from their protein species relative to
the reference levels (``log((a + 0.1) / 1.1)``: 0 for the wild type, -2.40 for a deletion), so a
knockout, knockdown or overexpression reaches the network without any change to `simulate`.
Its final layer is zero-initialised: an untrained hybrid is exactly the mechanistic model. Rate
corrections are bounded, ``r = r_max · tanh(raw / r_max)`` (default r_max = 4, a factor ≤ e⁴ ≈ 55).

`HybridCell` is a `CorrectedCell` (yeastcell/cells/corrected.py): it has the cell interface (`rhs`,
`fluxes`, the wrapped cell's names and arrays), so `simulate`, `simulate_batch`, `resolve` and
`steady_state` work on it unchanged.

Weights are stored in HDF5 following the PEtab-SciML array-file layout
(``/metadata/perm = "row"``, ``/parameters/<net_id>/<layer_id>/weight|bias``, PyTorch `Linear`
shapes (out, in)); the yeastcell-specific wiring (which species and genes are inputs, which
reactions and species the outputs correct) is stored as JSON in the root attribute
``yeastcell_residual`` and documented in docs/hybrid.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .cells import ConcentrationCell, CorrectedCell, SbmlCell
from .exceptions import SimulationInputError, UnknownNameError
from .io import atomic_path

FORMAT = "yeastcell-residual/1"
_ACTIVATIONS = {"tanh": jnp.tanh, "softplus": jax.nn.softplus, "gelu": jax.nn.gelu}


class ResidualNet(eqx.Module):
    """The residual network r_φ and its wiring into a cell (indices static, weights trainable).

    Attributes:
        layers: `eqx.nn.Linear` layers ("layer1", "layer2", ... in files); the last is zero-initialised.
        input_species: species indices whose log-scaled concentrations are inputs.
        input_genes: protein-species indices of the genes whose activity encodes the perturbation.
        rate_targets: reaction indices whose rates are multiplied by exp(r).
        species_targets: species indices (dynamic) that receive additive terms (mM/min).
        ref_conc: reference concentrations (mM) of every species (the cell's initial state).
        floor_mM: offset inside the log of concentrations (mM).
        max_log_rate: bound r_max of the log rate corrections.
        additive_scale: mM/min per unit network output for the additive terms.
    """

    layers: tuple[eqx.nn.Linear, ...]
    input_species: tuple[int, ...] = eqx.field(static=True)
    input_genes: tuple[int, ...] = eqx.field(static=True)
    rate_targets: tuple[int, ...] = eqx.field(static=True)
    species_targets: tuple[int, ...] = eqx.field(static=True)
    ref_conc: tuple[float, ...] = eqx.field(static=True)
    input_names: tuple[str, ...] = eqx.field(static=True)
    output_names: tuple[str, ...] = eqx.field(static=True)
    activation: str = eqx.field(static=True, default="tanh")
    floor_mM: float = eqx.field(static=True, default=1e-4)
    max_log_rate: float = eqx.field(static=True, default=4.0)
    additive_scale: float = eqx.field(static=True, default=0.1)
    net_id: str = eqx.field(static=True, default="residual")

    @property
    def n_inputs(self) -> int:
        return len(self.input_species) + len(self.input_genes)

    @property
    def n_outputs(self) -> int:
        return len(self.rate_targets) + len(self.species_targets)

    def features(self, c):
        """Network inputs at full concentrations `c` (mM): log-scaled state, then gene activities."""
        ref = np.asarray(self.ref_conc)
        sp = np.asarray(self.input_species, dtype=int)
        gi = np.asarray(self.input_genes, dtype=int)
        f = self.floor_mM
        xs = jnp.log((jnp.maximum(c[sp], 0.0) + f) / (ref[sp] + f))
        act = c[gi] / np.where(ref[gi] > 0, ref[gi], 1.0)
        xg = jnp.log((jnp.maximum(act, 0.0) + 0.1) / 1.1)
        return jnp.concatenate([xs, xg])

    def head(self, h):
        """Raw network output from features `h` (before bounding and scaling)."""
        act = _ACTIVATIONS[self.activation]
        for layer in self.layers[:-1]:
            h = act(layer(h))
        return self.layers[-1](h)

    def split(self, raw):
        """(log rate corrections r (bounded), additive terms a (mM/min)) from raw outputs."""
        n_r = len(self.rate_targets)
        r = self.max_log_rate * jnp.tanh(raw[:n_r] / self.max_log_rate)
        return r, self.additive_scale * raw[n_r:]

    def __call__(self, c):
        """(r, a) at full concentrations `c` (mM)."""
        return self.split(self.head(self.features(c)))


def residual_net(
    cell: ConcentrationCell,
    rate_targets: Sequence[str] = (),
    species_targets: Sequence[str] = (),
    input_species: Sequence[str] | None = None,
    input_genes: Sequence[str] | None = None,
    width: int = 32,
    depth: int = 2,
    key=None,
    activation: str = "tanh",
    max_log_rate: float = 4.0,
    additive_scale: float = 0.1,
    floor_mM: float = 1e-4,
    net_id: str = "residual",
) -> ResidualNet:
    """A zero-initialised residual network for `cell`, wired by names (validated here).

    Args:
        rate_targets: reaction ids whose rates get multiplicative corrections.
        species_targets: dynamic species ids that get additive terms (mM/min).
        input_species: species whose log concentrations the network sees (default: all dynamic species).
        input_genes: genes (ORF or standard name) whose activity encodes the perturbation
            (default: every gene with a protein species).
        width, depth: hidden-layer width and number of hidden layers.
        key: a `jax.random` key (default PRNGKey(0)).

    Raises:
        UnknownNameError: an unknown reaction, species or gene (with close matches).
        SimulationInputError: no targets, a non-dynamic species target, bad sizes or activation.
    """
    if isinstance(cell, SbmlCell):
        raise SimulationInputError("neural residuals support concentration models, not SBML-semantics cells")
    if not isinstance(cell, ConcentrationCell):
        raise SimulationInputError(f"residual_net needs a compiled Cell, got {type(cell).__name__}")
    if not rate_targets and not species_targets:
        raise SimulationInputError("a residual needs at least one rate target or species target")
    if activation not in _ACTIVATIONS:
        raise SimulationInputError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
    if int(width) < 1 or int(depth) < 0:
        raise SimulationInputError(f"width must be >= 1 and depth >= 0, got {width}, {depth}")
    if not (max_log_rate > 0 and additive_scale > 0 and floor_mM > 0):
        raise SimulationInputError("max_log_rate, additive_scale and floor_mM must be positive")
    rxn = tuple(cell.reaction_index(r) for r in _names(rate_targets, "rate_targets"))
    spt = tuple(cell.species_index(s) for s in _names(species_targets, "species_targets"))
    for i in spt:
        if i not in cell.dynamic:
            raise SimulationInputError(f"species target {cell.species_ids[i]!r} is not a dynamic species")
    if input_species is None:
        ins = tuple(cell.dynamic)
    else:
        ins = tuple(cell.species_index(s) for s in _names(input_species, "input_species"))
    if input_genes is None:
        genes = tuple(g for g in range(len(cell.genes)) if cell.genes[g][2] >= 0)
    else:
        genes = tuple(cell.gene_index(g) for g in _names(input_genes, "input_genes"))
        for g in genes:
            if cell.genes[g][2] < 0:
                raise SimulationInputError(
                    f"gene {cell.gene_label(g)!r} has no protein species to read its activity from"
                )
    ing = tuple(cell.genes[g][2] for g in genes)
    if len(set(rxn)) != len(rxn) or len(set(spt)) != len(spt):
        raise SimulationInputError("duplicate rate or species targets")
    n_in = len(ins) + len(ing)
    if n_in == 0:
        raise SimulationInputError("the residual network has no inputs")
    n_out = len(rxn) + len(spt)
    key = jax.random.PRNGKey(0) if key is None else key
    sizes = [n_in] + [int(width)] * int(depth) + [n_out]
    keys = jax.random.split(key, len(sizes) - 1)
    layers = [eqx.nn.Linear(a, b, key=k, dtype=jnp.float64) for a, b, k in zip(sizes[:-1], sizes[1:], keys)]
    last = layers[-1]
    assert last.bias is not None  # eqx.nn.Linear's default use_bias=True
    layers[-1] = eqx.tree_at(
        lambda lyr: (lyr.weight, lyr.bias), last, (jnp.zeros_like(last.weight), jnp.zeros_like(last.bias))
    )
    in_names = tuple(f"log {cell.species_ids[i]}" for i in ins) + tuple(f"activity {cell.gene_label(g)}" for g in genes)
    out_names = tuple(f"rate {cell.reaction_ids[j]}" for j in rxn) + tuple(f"add {cell.species_ids[i]}" for i in spt)
    return ResidualNet(
        tuple(layers),
        ins,
        ing,
        rxn,
        spt,
        tuple(float(x) for x in np.asarray(cell.c0)),
        in_names,
        out_names,
        activation,
        float(floor_mM),
        float(max_log_rate),
        float(additive_scale),
        str(net_id),
    )


def _names(xs, what) -> list[str]:
    if isinstance(xs, str):
        xs = [xs]
    out = list(xs)
    for x in out:
        if not isinstance(x, str) or not x.strip():
            raise SimulationInputError(f"{what} must be names (strings), got {x!r}")
    return out


class HybridCell(CorrectedCell):
    """A concentration cell with a residual network (a `CorrectedCell`), so `simulate` runs it unchanged.

    Attributes:
        cell: the mechanistic model (its `theta` is what a mechanistic fit changes).
        net: the `ResidualNet` (its layers are what a residual fit trains).
    """

    cell: ConcentrationCell
    net: ResidualNet

    def __check_init__(self):
        if len(self.net.ref_conc) != self.cell.n_species:
            raise SimulationInputError("the residual network was built for a different model (species count differs)")

    def rate_factors(self, c):
        """exp(r) for the network's rate targets, 1 elsewhere."""
        if not self.net.rate_targets:
            return None
        r, _ = self.net(c)
        pos = np.full(self.cell.n_reactions, len(self.net.rate_targets), dtype=int)
        pos[np.asarray(self.net.rate_targets, dtype=int)] = np.arange(len(self.net.rate_targets))
        return jnp.concatenate([jnp.exp(r), jnp.ones(1, dtype=r.dtype)])[pos]

    def species_additions(self, c):
        """The network's additive terms (mM/min) for its species targets, 0 for the other dynamic species."""
        if not self.net.species_targets:
            return None
        dyn = list(self.cell.dynamic)
        _, a = self.net(c)
        pos = np.full(len(dyn), len(self.net.species_targets), dtype=int)
        pos[[dyn.index(i) for i in self.net.species_targets]] = np.arange(len(self.net.species_targets))
        return jnp.concatenate([a, jnp.zeros(1, dtype=a.dtype)])[pos]


def hybridize(cell: ConcentrationCell, net: ResidualNet | None = None, **kwargs) -> HybridCell:
    """`HybridCell(cell, net)`; without `net`, builds one with `residual_net(cell, **kwargs)`."""
    if isinstance(cell, HybridCell):
        raise SimulationInputError("cell is already a HybridCell")
    # mypy counts the AbstractVars implemented as properties as __init__ parameters (equinox issue #1123)
    return HybridCell(cell, net if net is not None else residual_net(cell, **kwargs))  # type: ignore[call-arg, arg-type]


# ------------------------------------------------------------------ regularisation
def weight_penalty(net: ResidualNet, l2: float = 0.0, l1: float = 0.0):
    """l2 · Σ w² + l1 · Σ |w| over the weight matrices (biases are not penalised)."""
    ws = [layer.weight for layer in net.layers]
    total = jnp.zeros(())
    if l2:
        total = total + l2 * sum(jnp.sum(w**2) for w in ws)
    if l1:
        total = total + l1 * sum(jnp.sum(jnp.abs(w)) for w in ws)
    return total


def residual_outputs(net: ResidualNet, conc):
    """(r, a) along saved states `conc` (..., n_species) mM: shapes (..., n_rate), (..., n_species_targets)."""
    flat = conc.reshape(-1, conc.shape[-1])
    r, a = jax.vmap(net)(flat)
    lead = conc.shape[:-1]
    return r.reshape(lead + (r.shape[-1],)), a.reshape(lead + (a.shape[-1],))


def output_penalty(net: ResidualNet, conc, weight: float = 1.0):
    """weight · mean of the squared outputs (r and a) along saved states `conc` (mM)."""
    r, a = residual_outputs(net, conc)
    parts = [x.ravel() for x in (r, a) if x.size]
    return weight * jnp.mean(jnp.concatenate(parts) ** 2)


# ------------------------------------------------------------------ inspection
def attribution(net: ResidualNet, conc):
    """Input-gradient attribution: which inputs drive which corrections.

    For every output k and input i, the mean over the given states of |∂raw_k/∂feature_i| · sd(feature_i)
    (the gradient times the input's spread: the typical change of the output that input explains).

    Args:
        conc: states (n, n_species) mM at which to evaluate, e.g. a trajectory's ``conc`` reshaped.

    Returns:
        pandas DataFrame, outputs × inputs (names as in `net.output_names`, `net.input_names`).
    """
    import pandas as pd

    c = jnp.asarray(conc).reshape(-1, len(net.ref_conc))
    feats = jax.vmap(net.features)(c)
    jac = jax.vmap(jax.jacfwd(net.head))(feats)  # (n, n_out, n_in)
    sd = jnp.std(feats, axis=0)
    sd = jnp.where(sd > 0, sd, 1.0)
    score = np.asarray(jnp.mean(jnp.abs(jac), axis=0) * sd[None, :])
    return pd.DataFrame(score, index=list(net.output_names), columns=list(net.input_names))


# ------------------------------------------------------------------ files
def save_residual(net: ResidualNet, path: str | Path) -> Path:
    """Write the weights (PEtab-SciML array layout) and wiring to HDF5, atomically."""
    import h5py

    wiring = {
        "format": FORMAT,
        "net_id": net.net_id,
        "activation": net.activation,
        "floor_mM": net.floor_mM,
        "max_log_rate": net.max_log_rate,
        "additive_scale": net.additive_scale,
        "input_names": list(net.input_names),
        "output_names": list(net.output_names),
        "sizes": [int(net.layers[0].in_features)] + [int(lyr.out_features) for lyr in net.layers],
    }
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["yeastcell_residual"] = json.dumps(wiring)
        f.create_group("metadata").create_dataset("perm", data="row")
        g = f.create_group("parameters").create_group(net.net_id)
        for k, layer in enumerate(net.layers, start=1):
            lg = g.create_group(f"layer{k}")
            lg.create_dataset("weight", data=np.asarray(layer.weight))
            lg.create_dataset("bias", data=np.asarray(layer.bias))
    return Path(path)


def load_residual(path: str | Path, cell: ConcentrationCell) -> ResidualNet:
    """Read a residual written by `save_residual` and wire it into `cell` by names.

    Raises:
        SimulationInputError: not a yeastcell residual file, or weights of the wrong shape.
        UnknownNameError: the file names a species, gene or reaction `cell` lacks.
    """
    import h5py

    with h5py.File(path, "r") as f:
        if "yeastcell_residual" not in f.attrs:
            raise SimulationInputError(f"{path}: not a yeastcell residual file (no 'yeastcell_residual' attribute)")
        w = json.loads(f.attrs["yeastcell_residual"])
        if w.get("format") != FORMAT:
            raise SimulationInputError(f"{path}: unsupported residual format {w.get('format')!r}, expected {FORMAT!r}")
        g = f["parameters"][w["net_id"]]
        arrays = [
            (np.asarray(g[f"layer{k}"]["weight"]), np.asarray(g[f"layer{k}"]["bias"]))
            for k in range(1, len(w["sizes"]))
        ]
    ins_sp = [n[4:] for n in w["input_names"] if n.startswith("log ")]
    ins_g = [n[9:] for n in w["input_names"] if n.startswith("activity ")]
    rates = [n[5:] for n in w["output_names"] if n.startswith("rate ")]
    adds = [n[4:] for n in w["output_names"] if n.startswith("add ")]
    sizes = w["sizes"]
    net = residual_net(
        cell,
        rates,
        adds,
        ins_sp,
        ins_g,
        width=max(sizes[1], 1),
        depth=len(sizes) - 2,
        activation=w["activation"],
        max_log_rate=w["max_log_rate"],
        additive_scale=w["additive_scale"],
        floor_mM=w["floor_mM"],
        net_id=w["net_id"],
    )
    layers = list(net.layers)
    for k, (W, b) in enumerate(arrays):
        bias = layers[k].bias
        assert bias is not None  # residual_net builds its layers with biases
        if W.shape != layers[k].weight.shape or b.shape != bias.shape:
            raise SimulationInputError(f"{path}: layer{k + 1} has shape {W.shape}, expected {layers[k].weight.shape}")
        layers[k] = eqx.tree_at(lambda lyr: (lyr.weight, lyr.bias), layers[k], (jnp.asarray(W), jnp.asarray(b)))
    return eqx.tree_at(lambda n: n.layers, net, tuple(layers))


__all__ = [
    "HybridCell",
    "ResidualNet",
    "UnknownNameError",
    "attribution",
    "hybridize",
    "load_residual",
    "output_penalty",
    "residual_net",
    "residual_outputs",
    "save_residual",
    "weight_penalty",
]
