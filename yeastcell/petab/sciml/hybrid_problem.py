"""PEtab-SciML hybrid problems: an SBML model, neural networks and PEtab v2 tables, as one
differentiable log-likelihood.

Where a network sits follows from the hybridization and mapping tables:

* **in the ODE right-hand side**: a network input is a formula of species (or time) in the
  hybridization table, and a network output is assigned to a model parameter (``gamma`` ->
  ``net1_output1``); the parameter is replaced by the network output at every RHS evaluation;
* **before the simulation**: every input is a constant (parameter-table value, condition-table
  value, or an array from an array file); outputs assigned to parameters set them once per
  experiment, outputs assigned to species set their initial values;
* **in observables**: an output id (mapping table) appears in an observable formula; the network
  is evaluated at each measurement time on the simulated state.

Parameters: estimated mechanistic parameters (on their ``parameterScale``) and every network array
form the pytree ``theta = {"mech": {id: scalar}, "nets": {net id: {layer: {array: value}}}}``.
Network nominal values come from the array files (``nominalValue = array``) or a number that
fills a whole network, layer or array; the most specific parameter-table row wins for nominal
value, ``estimate`` and prior. Non-estimated arrays stay in ``theta`` (their gradient is simply
not reported).

The PEtab v2 part is read and interpreted by `yeastcell.petab` (`yeastcell.petab.load`: tables,
SBML model with rules, initial assignments, multi-period experiments, pre-equilibration,
observable/noise placeholders; `yeastcell.petab.sciml_tables`: the extension's tables). Network
inputs and outputs are model parameters of the `PetabModel`; `HybridModel` wraps it so that the
networks set them (and the hybridization targets) when the state is read: at a condition change
(networks with constant inputs) and at every right-hand-side evaluation and saved time point
(networks whose inputs depend on the state or time). `yeastcell.petab.Simulator` and
`yeastcell.petab.Objective` then simulate every experiment and compute the likelihood as for any
PEtab problem.

Likelihood: `yeastcell.petab.Objective` (normal or Laplace noise on lin, log or log10
observables); the log-posterior adds the priors' log densities (`yeastcell.petab.priors`) of the
estimated parameters and network arrays that have one. Simulation: diffrax Tsit5 with
rtol = atol = 1e-13 (`RTOL`, `ATOL`: with ReLU networks in the right-hand side, 1e-10 left gradient
errors of ~0.2 on entries of ~4500; gradients by differentiating through the solver). SBML events
are refused in hybrid problems.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import diffrax
import jax
import jax.numpy as jnp
import numpy as np

from ...solvers import SolverOptions
from ...status import Status, fail_where, from_diffrax
from ..errors import UnsupportedPetabError
from ..math import TIME_NAMES, compile_formula, parse
from ..model import PARAMETER, SPECIES, STEADY_ATOL, STEADY_RTOL, STEADY_T_MAX, PetabModel
from ..objective import Objective
from ..priors import logpdf, parameter_log_prior
from ..problem import PetabProblem, load
from ..sciml_tables import NetRef, SciMLTables, array_keys, array_selector
from ..tables import Prior
from .arrays import read_inputs, read_parameters
from .errors import SciMLFormatError
from .graph import Network
from .netfile import load_network, with_parameters

Theta = dict[str, Any]
RTOL = 1e-13  # ODE solver tolerances (relative, absolute): ReLU kinks in the RHS need them tight for gradients
ATOL = 1e-13


def hybrid_options() -> SolverOptions:
    """Solver settings of hybrid problems: Tsit5, rtol = atol = 1e-13 (see module docstring)."""
    return SolverOptions(
        rtol=RTOL, atol=ATOL, max_steps=1_000_000, solver=diffrax.Tsit5(), negative_tol=None, max_events=0
    )


@dataclass(frozen=True)
class _ArraySetting:
    """Nominal value / estimate / prior for one network array, from the most specific row."""

    nominal: float | str
    estimate: bool
    prior: Prior | None


@dataclass(frozen=True)
class _Input:
    """Where a network input's value comes from: an array picked per experiment, a formula of
    the model's values, or the model parameter of its PEtab id."""

    pid: str
    ref: NetRef
    arrays: Any = None  # (n_keys, *shape) stacked arrays, with `index` the selector's position
    formula: Any = None
    index: int = -1


class HybridModel:
    """A `PetabModel` whose network inputs/outputs and hybridization targets are set by networks.

    Has the `PetabModel` interface the `yeastcell.petab.Simulator` uses (`initial`,
    `set_values`, `solve`, `steady`; the structure — ids, index, kinds, the cell — is the wrapped
    model's, forwarded explicitly below). `weights`: net id ->
    layer -> array name -> array; `with_weights` gives the same model with other weights.
    """

    def __init__(self, base: PetabModel, networks: Mapping[str, Network], sciml: SciMLTables, where: str):
        if base.cell.events is not None:
            raise UnsupportedPetabError(where, "SBML events in a PEtab-SciML hybrid problem")
        self.base = base
        self.networks = dict(networks)
        self.weights = {nid: net.params for nid, net in networks.items()}
        arrays: dict[str, dict[str, np.ndarray]] = {}
        for f in sciml.array_files:
            arrays.update(read_inputs(f))
        species = {sid for sid in base.ids if base.kind(sid) == SPECIES}
        self._inputs: dict[str, list[_Input]] = {nid: [] for nid in networks}
        self._outputs: list[tuple[str, int, tuple[int, ...], int]] = []  # (net, y index, output index)
        dynamic_names = species | set(TIME_NAMES)
        self.dynamic_nets: set[str] = set()
        for pid, ref in sciml.mapping.items():
            if ref.kind == "outputs":
                self._outputs.append((ref.net, base.index[pid], ref.index, 0))
                continue
            if ref.kind != "inputs":
                continue
            text = sciml.hybridization.get(pid)
            if text == "array":
                by_key = arrays[pid]
                stacked = np.stack([np.asarray(by_key[k], float) for k in array_keys(by_key)])
                inp = _Input(pid, ref, arrays=jnp.asarray(stacked), index=base.index[array_selector(pid)])
            elif text is not None:
                fm = compile_formula(parse(text, f"{where}: hybridization of {pid}"))
                self._check(fm.args, f"hybridization of {pid}")
                if set(fm.args) & dynamic_names:
                    self.dynamic_nets.add(ref.net)
                inp = _Input(pid, ref, formula=fm)
            else:
                inp = _Input(pid, ref, index=base.index[pid])
            self._inputs[ref.net].append(inp)
        out_net = {base.ids[k]: net for net, k, _, _ in self._outputs}
        self._targets: list[tuple[int, Any, bool]] = []  # (y index, formula, dynamic)
        for target, text in sciml.hybridization.items():
            if target in sciml.mapping:
                continue
            kind = base.kind(target)
            if kind not in (PARAMETER, SPECIES):
                raise SciMLFormatError(
                    f"{where}: hybridization target {target!r} is not a model parameter, species or network input"
                )
            fm = compile_formula(parse(text, f"{where}: hybridization of {target}"))
            self._check(fm.args, f"hybridization of {target}")
            dynamic = bool(set(fm.args) & dynamic_names) or any(out_net.get(n) in self.dynamic_nets for n in fm.args)
            if dynamic and kind == SPECIES:
                raise SciMLFormatError(
                    f"{where}: hybridization sets species {target} from a state-dependent formula (not supported)"
                )
            self._targets.append((base.index[target], fm, dynamic))
        self.static_nets = tuple(n for n in networks if n not in self.dynamic_nets)
        self.dyn_nets = tuple(sorted(self.dynamic_nets))

    def _check(self, names, where):
        for n in names:
            if n not in self.base.index and n not in TIME_NAMES:
                raise SciMLFormatError(f"{where}: unknown symbol {n!r}")

    # the wrapped model's structure, as `yeastcell.petab.Simulator` and `Objective` read it
    @property
    def cell(self):
        return self.base.cell

    @property
    def ids(self):
        return self.base.ids

    @property
    def index(self):
        return self.base.index

    @property
    def n_species(self):
        return self.base.n_species

    @property
    def n_comp(self):
        return self.base.n_comp

    @property
    def reaction_ids(self):
        return self.base.reaction_ids

    def kind(self, sid: str):
        return self.base.kind(sid)

    def default_params(self):
        return self.base.default_params()

    def seen(self, y):
        return self.base.seen(y)

    def env(self, y, t) -> dict:
        return self.base.env(y, t)

    def triggers(self, y, t):
        return self.base.triggers(y, t)

    def with_weights(self, weights) -> HybridModel:
        new = copy.copy(self)
        new.weights = weights
        return new

    # ------------------------------------------------------------------------- traced
    def _net(self, nid: str, y, env) -> list:
        net = self.networks[nid]
        whole: dict[int, Any] = {}
        parts: dict[int, dict[int, Any]] = {}
        for inp in self._inputs[nid]:
            if inp.arrays is not None:
                value = inp.arrays[jnp.asarray(y[inp.index], int)]
            elif inp.formula is not None:
                value = inp.formula(env)
            else:
                value = y[inp.index]
            if len(inp.ref.index) == 1:
                whole[inp.ref.index[0]] = value
            else:
                parts.setdefault(inp.ref.index[0], {})[inp.ref.index[1]] = value
        xs = []
        for i in range(len(net.placeholders)):
            if i in whole:
                xs.append(whole[i])
            elif i in parts:
                xs.append(jnp.stack([jnp.asarray(parts[i][j], jnp.float64) for j in range(len(parts[i]))]))
            else:
                raise SciMLFormatError(f"input argument {i} of network {nid} is not mapped")
        out = dataclasses.replace(net, params=self.weights[nid])(*xs)
        return list(out) if isinstance(out, tuple) else [out]

    def _apply(self, y, t, nets, dynamic: bool):
        """`y` with the outputs of `nets` and the dynamic (or the static) hybridization targets
        set, then the assignment rules; returns (y, env)."""
        sysm, nc, ns = self.base.system, self.base.n_comp, self.base.n_species
        theta = self.base.theta(y[nc + ns :])
        y, env = sysm.apply_rules(y, t, theta)
        if not nets and not self._targets:
            return y, env
        for nid in nets:
            outs = self._net(nid, y, env)
            for net, k, idx, _ in self._outputs:
                if net == nid:
                    o = outs[idx[0]]
                    v = o.reshape(-1)[idx[1]] if len(idx) > 1 else jnp.reshape(o, ())
                    y = sysm._set(y, env, k, v)
        for k, f, dyn in self._targets:
            if dyn == dynamic:
                y = sysm._set(y, env, k, f(env))
        if not (sysm.assigned or sysm.algebraic):  # `_set` kept env up to date
            return y, env
        return sysm.apply_rules(y, t, self.base.theta(y[nc + ns :]))

    def initial(self, params, volumes, t0=0.0):
        y = self.base.initial(params, volumes, t0)
        return self._apply(y, t0, self.static_nets, False)[0]

    def set_values(self, y, t, targets):
        y = self.base.set_values(y, t, targets)
        return self._apply(y, t, self.static_nets, False)[0]

    def _ode(self, y0):
        state = np.asarray(self.base.system.state, dtype=int)
        sysm = self.base.system
        nc, ns = self.base.n_comp, self.base.n_species

        def vf(t, x, args):
            y, env = self._apply(y0.at[state].set(x), t, self.dyn_nets, True)
            return sysm.derivative(y, env, self.base.theta(y[nc + ns :]), None, None)

        def full(t, x):  # every network output (observables may use them); static targets stay as set
            return self._apply(y0.at[state].set(x), t, self.static_nets + self.dyn_nets, True)[0]

        return state, vf, full

    def solve(self, y, ts, options: SolverOptions, trigger0=None):
        """(symbol vectors at `ts`, status) integrating the hybrid ODE from `y` at ``ts[0]``."""
        state, vf, full = self._ode(y)
        sol = diffrax.diffeqsolve(
            diffrax.ODETerm(vf),
            options.solver,
            t0=ts[0],
            t1=ts[-1],
            dt0=None,
            y0=y[state],
            saveat=diffrax.SaveAt(ts=ts),
            stepsize_controller=diffrax.PIDController(rtol=options.rtol, atol=options.atol),
            max_steps=options.max_steps,
            throw=False,
        )
        values = jax.vmap(full)(ts, sol.ys)
        status = fail_where(from_diffrax(sol.result), ~jnp.all(jnp.isfinite(sol.ys)), Status.NONFINITE)
        return values, status

    def steady(self, y, t0, options: SolverOptions, trigger0=None):
        """(steady-state symbol vector, status): the hybrid ODE integrated from `y` at `t0` until
        max|dx/dt| <= STEADY_ATOL + STEADY_RTOL max|x| (the criterion of `PetabModel.steady`)."""
        state, vf, full = self._ode(y)

        def norm(x):
            return jnp.max(jnp.abs(x))

        sol = diffrax.diffeqsolve(
            diffrax.ODETerm(vf),
            options.solver,
            t0,
            t0 + STEADY_T_MAX,
            None,
            y[state],
            saveat=diffrax.SaveAt(t1=True),
            event=diffrax.Event(diffrax.steady_state_event(rtol=STEADY_RTOL, atol=STEADY_ATOL, norm=norm)),
            stepsize_controller=diffrax.PIDController(rtol=options.rtol, atol=options.atol),
            max_steps=options.max_steps,
            throw=False,
        )
        x, t_end = sol.ys[-1], sol.ts[-1]
        ok = norm(vf(t_end, x, None)) <= 10 * (STEADY_ATOL + STEADY_RTOL * norm(x))
        status = fail_where(from_diffrax(sol.result), ~jnp.all(jnp.isfinite(x)), Status.NONFINITE)
        status = fail_where(status, ~ok, Status.NO_STEADY_STATE)
        return jnp.where(status == Status.SUCCESS, full(t_end, x), jnp.nan), status


class HybridProblem:
    """A PEtab-SciML problem ready to simulate and differentiate.

    Attributes:
        problem: the `yeastcell.petab.PetabProblem` (tables, model, ``sciml`` extension).
        model: the `HybridModel`.
        networks: net id -> `Network` with its nominal parameters.
        objective_fn: the `yeastcell.petab.Objective` of the problem (hybrid model, `hybrid_options`).
        theta0: nominal parameters (see the module docstring).
        estimated_arrays: net id -> layer -> array names that are estimated.
    """

    def __init__(self, problem: PetabProblem):
        if problem.sciml is None:
            raise SciMLFormatError(f"{problem.path}: no 'extensions: sciml:' section")
        self.problem = problem
        sciml = self.sciml = problem.sciml
        where = str(problem.path)
        nets = {nid: load_network(p) for nid, p in sciml.networks.items()}
        self._check_entities(nets, where)
        self._file_params: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        for f in sciml.array_files:
            for nid, arrs in read_parameters(f).items():
                self._file_params.setdefault(nid, {}).update(arrs)
        self._settings = {nid: self._array_settings(nets[nid], where) for nid in nets}
        self.networks: dict[str, Network] = {nid: self._nominal_network(net) for nid, net in nets.items()}
        self.estimated_arrays = {
            nid: {lid: [a for a, s in arrs.items() if s.estimate] for lid, arrs in st.items()}
            for nid, st in self._settings.items()
        }
        self._check_inputs(where)
        self.model = HybridModel(problem.model, self.networks, sciml, where)
        # the hybrid model stands in for the PetabModel (same symbols, same interface)
        hybrid = dataclasses.replace(problem, model=cast(PetabModel, self.model))
        self.objective_fn = Objective(hybrid, hybrid_options())
        obj = self.objective_fn
        self.theta0: Theta = {
            "mech": {pid: jnp.asarray(obj.x_nominal[k]) for k, pid in enumerate(obj.x_ids)},
            "nets": {nid: net.params for nid, net in self.networks.items()},
        }
        # one XLA program each (eager evaluation re-traces the solver at every call)
        self._jit_parts = jax.jit(lambda theta: obj._parts(self._x(theta), self.model.with_weights(theta["nets"])))
        self._jit_llh = jax.jit(lambda theta: -obj._nllh(self._x(theta), self.model.with_weights(theta["nets"])))

    # ------------------------------------------------------------------ setup
    def _check_entities(self, nets: Mapping[str, Network], where: str) -> None:
        for pid, ref in self.sciml.mapping.items():
            if ref.kind == "parameters" and ref.layer is not None:
                if ref.layer not in {lyr.layer_id for lyr in nets[ref.net].layers}:
                    raise SciMLFormatError(
                        f"{where}: mapping entity {pid}: network {ref.net} has no layer {ref.layer!r}"
                    )

    def _check_inputs(self, where: str) -> None:
        tables = self.problem.tables
        params = {p.id for p in tables.parameters}
        changed = {c.target for e in tables.experiments for per in e.periods for c in per.changes}
        for pid, ref in self.sciml.mapping.items():
            if ref.kind == "inputs" and pid not in self.sciml.hybridization and pid not in params | changed:
                raise SciMLFormatError(
                    f"{where}: network input {pid} is assigned nowhere (hybridization, condition or parameter table)"
                )

    def _array_settings(self, net: Network, where: str) -> dict[str, dict[str, _ArraySetting]]:
        rows = []
        for pid, ref in self.sciml.mapping.items():
            if ref.net == net.net_id and ref.kind == "parameters" and pid in self.sciml.net_parameters:
                level = 0 if ref.layer is None else (1 if ref.array is None else 2)
                rows.append((level, ref, self.sciml.net_parameters[pid]))
        rows.sort(key=lambda r: r[0])
        out: dict[str, dict[str, _ArraySetting]] = {}
        for layer in net.layers:
            for name in layer.param_shapes():
                setting = None
                for _, ref, row in rows:
                    if ref.layer in (None, layer.layer_id) and ref.array in (None, name):
                        setting = _ArraySetting(row.nominal, row.estimate, row.prior)
                if setting is None:
                    raise SciMLFormatError(
                        f"{where}: no parameter-table row gives values for {net.net_id}.{layer.layer_id}.{name} "
                        f"(map {net.net_id}.parameters in the mapping table and list it in the parameter table)"
                    )
                out.setdefault(layer.layer_id, {})[name] = setting
        return out

    def _nominal_network(self, net: Network) -> Network:
        arrays: dict[str, dict[str, np.ndarray]] = {}
        file_arrays = self._file_params.get(net.net_id, {})
        files = self.sciml.array_files
        for layer in net.layers:
            for name, shape in layer.param_shapes().items():
                s = self._settings[net.net_id][layer.layer_id][name]
                if s.nominal == "array":
                    try:
                        value = file_arrays[layer.layer_id][name]
                    except KeyError:
                        raise SciMLFormatError(
                            f"array files {[str(f) for f in files]} lack parameters/{net.net_id}/{layer.layer_id}/{name}"
                        ) from None
                else:
                    value = np.full(shape, float(s.nominal))
                arrays.setdefault(layer.layer_id, {})[name] = value
        return with_parameters(net, arrays, ", ".join(str(f) for f in files))

    # ------------------------------------------------------------------ evaluation
    def _x(self, theta: Theta):
        ids = self.objective_fn.x_ids
        return jnp.stack([jnp.asarray(theta["mech"][p], jnp.float64) for p in ids]) if ids else jnp.zeros(0)

    def simulate(self, theta: Theta | None = None) -> tuple[jax.Array, jax.Array]:
        """Simulated observables and noise (sigma / Laplace scale), one per measurement row, in
        measurement-table order."""
        ysim, sigma, *_ = self._jit_parts(self.theta0 if theta is None else theta)
        return ysim, sigma

    def log_likelihood(self, theta: Theta | None = None) -> jax.Array:
        """PEtab log-likelihood of the measurements (-inf when a simulation failed)."""
        return self._jit_llh(self.theta0 if theta is None else theta)

    def has_priors(self) -> bool:
        return any(p.prior for p in self.problem.tables.parameters) or any(
            r.prior for r in self.sciml.net_parameters.values()
        )

    def log_prior(self, theta: Theta | None = None) -> jax.Array:
        """Sum of the parameter-table priors' log densities (estimated parameters and arrays)."""
        theta = self.theta0 if theta is None else theta
        obj = self.objective_fn
        x = self._x(theta)
        pv = obj.parameter_values(x)
        total = jnp.asarray(0.0)
        for k, i in enumerate(obj._est):
            par = obj.parameters[i]
            v = parameter_log_prior(par, pv[i], x[k], implicit_uniform=False)
            if v is not None:
                total = total + v
        for nid, layers in self._settings.items():
            for lid, arrs in layers.items():
                for name, s in arrs.items():
                    if s.estimate and s.prior is not None:
                        total = total + jnp.sum(logpdf(s.prior.kind, s.prior.params, theta["nets"][nid][lid][name]))
        return total

    def log_posterior(self, theta: Theta | None = None) -> jax.Array:
        """Log-likelihood plus log-prior."""
        return self.log_likelihood(theta) + self.log_prior(theta)

    def objective(self, theta: Theta | None = None) -> jax.Array:
        """The log-posterior when the parameter table has priors, else the log-likelihood."""
        return self.log_posterior(theta) if self.has_priors() else self.log_likelihood(theta)


def load_problem(path: str | Path) -> HybridProblem:
    """Read a PEtab-SciML problem (its ``problem.yaml``) into a `HybridProblem`.

    Raises:
        PetabError: the PEtab v2 part (`yeastcell.petab.load`'s errors).
        SciMLFormatError: a network, array file or hybridization problem (the message names the file).
    """
    problem = load(path)
    if problem.sciml is None:
        raise SciMLFormatError(f"{path}: no 'extensions: sciml:' section")
    return HybridProblem(problem)


__all__ = ["HybridModel", "HybridProblem", "hybrid_options", "load_problem"]
