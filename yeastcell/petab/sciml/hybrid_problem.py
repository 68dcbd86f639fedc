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

Likelihood: PEtab's normal or Laplace noise on lin, log or log10 observables; the log-posterior
adds the log densities of the priors (normal, laplace, uniform, logNormal) given in the parameter table.
Simulation: diffrax Tsit5 with rtol = atol = 1e-13 (`RTOL`, `ATOL`: with ReLU networks in the right-hand
side, 1e-10 left gradient errors of ~0.2 on entries of ~4500; per experiment, gradients by
differentiating through the solver).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import diffrax
import jax
import jax.numpy as jnp
import numpy as np

from ..._expr import compile_formula, names_in
from .arrays import read_inputs, read_parameters
from .errors import SciMLFormatError
from .graph import Network
from .netfile import load_network, with_parameters
from .ode import MechanisticModel, load_mechanistic
from .tables import NetRef, ParameterRow, SciMLProblemFiles, read_problem

Theta = dict[str, Any]
RTOL = 1e-13  # ODE solver tolerances (relative, absolute): ReLU kinks in the RHS need them tight for gradients
ATOL = 1e-13
_TIME = ("t", "time")


def _unscale(v, scale: str):
    if scale == "lin":
        return v
    if scale == "log":
        return jnp.exp(v)
    if scale == "log10":
        return 10.0**v
    raise SciMLFormatError(f"parameterScale {scale!r} (expected lin, log or log10)")


def _scale(v: float, scale: str) -> float:
    return {"lin": v, "log": math.log(v) if v > 0 else -math.inf, "log10": math.log10(v) if v > 0 else -math.inf}[scale]


def _log_density(dist: str, pars: tuple[float, ...], x, where: str):
    dist = dist.lower()
    if dist in ("normal", "parameterscalenormal"):
        mu, sd = pars
        return -0.5 * math.log(2 * math.pi * sd * sd) - 0.5 * ((x - mu) / sd) ** 2
    if dist in ("laplace", "parameterscalelaplace"):
        mu, b = pars
        return -math.log(2 * b) - jnp.abs(x - mu) / b
    if dist == "uniform":
        lo, hi = pars
        return jnp.where((x >= lo) & (x <= hi), -math.log(hi - lo), -jnp.inf)
    if dist == "lognormal":
        mu, sd = pars
        return -jnp.log(x * sd * math.sqrt(2 * math.pi)) - 0.5 * ((jnp.log(x) - mu) / sd) ** 2
    raise SciMLFormatError(
        f"{where}: prior distribution {dist!r} is not supported (normal, laplace, uniform, logNormal)"
    )


@dataclass(frozen=True)
class _ArraySetting:
    """Nominal value / estimate / prior for one network array, from the most specific row."""

    nominal: float | str
    estimate: bool
    prior: str
    prior_parameters: tuple[float, ...]


class HybridProblem:
    """A PEtab-SciML problem ready to simulate and differentiate.

    Attributes:
        files: the parsed tables (`read_problem`).
        model: the mechanistic part (`MechanisticModel`).
        networks: net id -> `Network` with its nominal parameters.
        theta0: nominal parameters (see the module docstring).
        estimated_arrays: net id -> layer -> array names that are estimated.
    """

    def __init__(self, files: SciMLProblemFiles):
        self.files = files
        self.model: MechanisticModel = load_mechanistic(files.model)
        nets = {nid: load_network(p) for nid, p in files.networks.items()}
        self._check_entities(nets)
        self._file_params: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        self._input_arrays: dict[str, dict[str, np.ndarray]] = {}
        for f in files.array_files:
            for nid, arrs in read_parameters(f).items():
                self._file_params.setdefault(nid, {}).update(arrs)
            self._input_arrays.update(read_inputs(f))
        self._settings = {nid: self._array_settings(nets[nid]) for nid in nets}
        self.networks: dict[str, Network] = {nid: self._nominal_network(net) for nid, net in nets.items()}
        self.estimated_arrays = {
            nid: {lid: [a for a, s in arrs.items() if s.estimate] for lid, arrs in st.items()}
            for nid, st in self._settings.items()
        }
        self._mech_rows = {
            pid: r
            for pid, r in files.parameters.items()
            if r.nominal != "array" and not (pid in files.mapping and files.mapping[pid].kind == "parameters")
        }
        self.theta0: Theta = {
            "mech": {
                pid: jnp.asarray(_scale(float(r.nominal), r.scale)) for pid, r in self._mech_rows.items() if r.estimate
            },
            "nets": {nid: net.params for nid, net in self.networks.items()},
        }
        self._classify()

    # ------------------------------------------------------------------ setup
    def _check_entities(self, nets: Mapping[str, Network]) -> None:
        for pid, ref in self.files.mapping.items():
            if ref.net not in nets:
                raise SciMLFormatError(f"{self.files.base}: mapping entity {pid} refers to unknown network {ref.net!r}")
            if ref.kind == "parameters" and ref.layer is not None:
                net = nets[ref.net]
                if ref.layer not in {lyr.layer_id for lyr in net.layers}:
                    raise SciMLFormatError(
                        f"{self.files.base}: mapping entity {pid}: network {ref.net} has no layer {ref.layer!r}"
                    )

    def _array_settings(self, net: Network) -> dict[str, dict[str, _ArraySetting]]:
        rows: list[tuple[int, NetRef, ParameterRow]] = []
        for pid, ref in self.files.mapping.items():
            if ref.net == net.net_id and ref.kind == "parameters" and pid in self.files.parameters:
                rows.append(
                    (0 if ref.layer is None else (1 if ref.array is None else 2), ref, self.files.parameters[pid])
                )
        rows.sort(key=lambda r: r[0])
        out: dict[str, dict[str, _ArraySetting]] = {}
        for layer in net.layers:
            for name in layer.param_shapes():
                setting = None
                for _, ref, row in rows:
                    if ref.layer in (None, layer.layer_id) and ref.array in (None, name):
                        setting = _ArraySetting(row.nominal, row.estimate, row.prior, row.prior_parameters)
                if setting is None:
                    raise SciMLFormatError(
                        f"{self.files.base}: no parameter-table row gives values for {net.net_id}.{layer.layer_id}.{name} "
                        f"(map {net.net_id}.parameters in the mapping table and list it in the parameter table)"
                    )
                out.setdefault(layer.layer_id, {})[name] = setting
        return out

    def _nominal_network(self, net: Network) -> Network:
        arrays: dict[str, dict[str, np.ndarray]] = {}
        file_arrays = self._file_params.get(net.net_id, {})
        for layer in net.layers:
            for name, shape in layer.param_shapes().items():
                s = self._settings[net.net_id][layer.layer_id][name]
                if s.nominal == "array":
                    try:
                        value = file_arrays[layer.layer_id][name]
                    except KeyError:
                        raise SciMLFormatError(
                            f"array files {[str(f) for f in self.files.array_files]} lack parameters/"
                            f"{net.net_id}/{layer.layer_id}/{name}"
                        ) from None
                else:
                    value = np.full(shape, float(s.nominal))
                arrays.setdefault(layer.layer_id, {})[name] = value
        return with_parameters(net, arrays, ", ".join(str(f) for f in self.files.array_files))

    def _classify(self) -> None:
        f = self.files
        species = set(self.model.species)
        self._inputs: dict[str, list[tuple[str, NetRef]]] = {nid: [] for nid in self.networks}
        self._outputs: dict[str, tuple[str, NetRef]] = {}
        for pid, ref in f.mapping.items():
            if ref.kind == "inputs":
                self._inputs[ref.net].append((pid, ref))
            elif ref.kind == "outputs":
                self._outputs[pid] = (pid, ref)
        self.dynamic_nets: set[str] = set()
        self._input_formulas: dict[str, Any] = {}
        allowed = self._allowed_names()
        for nid, ins in self._inputs.items():
            for pid, _ in ins:
                text = f.hybridization.get(pid)
                if text is None or text == "array":
                    continue
                if names_in(text) & (species | set(_TIME)):
                    self.dynamic_nets.add(nid)
                self._input_formulas[pid] = compile_formula(text, allowed)
        self._assignments: dict[str, Any] = {}
        self._static_assign: dict[str, Any] = {}
        self._initial_assign: dict[str, Any] = {}
        for target, text in f.hybridization.items():
            if target in f.mapping:
                continue
            used = {self._outputs[n][1].net for n in names_in(text) if n in self._outputs}
            fn = compile_formula(text, allowed)
            dynamic = bool(used & self.dynamic_nets) or bool(names_in(text) & (species | set(_TIME)))
            if target in species:
                if dynamic:
                    raise SciMLFormatError(
                        f"{f.base}: hybridization sets species {target} from a state-dependent formula (not supported)"
                    )
                self._initial_assign[target] = fn
            elif target in self.model.parameters:
                (self._assignments if dynamic else self._static_assign)[target] = fn
            else:
                raise SciMLFormatError(
                    f"{f.base}: hybridization target {target!r} is not a model parameter, species or network input"
                )
        self._observables = {}
        for oid, row in f.observables.items():
            dist = (row.get("noiseDistribution") or "normal").lower()
            trans = (row.get("observableTransformation") or "lin").lower()
            if dist not in ("normal", "laplace") or trans not in ("lin", "log", "log10"):
                raise SciMLFormatError(
                    f"{f.base}: observable {oid}: noise {dist}/{trans} (normal|laplace, lin|log|log10)"
                )
            self._observables[oid] = (
                compile_formula(row["observableFormula"], allowed),
                compile_formula(row["noiseFormula"], allowed),
                dist,
                trans,
            )
        for m in f.measurements:
            if m["observableId"] not in self._observables:
                raise SciMLFormatError(f"{f.base}: measurement of unknown observable {m['observableId']!r}")
            if m["experimentId"] not in f.experiments:
                raise SciMLFormatError(f"{f.base}: measurement of unknown experiment {m['experimentId']!r}")
            if m.get("observableParameters") or m.get("noiseParameters"):
                raise SciMLFormatError(f"{f.base}: observableParameters/noiseParameters are not supported yet")

    def _allowed_names(self) -> set[str]:
        f = self.files
        return (
            set(self.model.species)
            | set(self.model.parameters)
            | set(self.model.compartments)
            | set(f.parameters)
            | set(f.mapping)
            | set(f.aliases)
            | {t for c in f.conditions.values() for t, _ in c}
            | set(_TIME)
        )

    # ------------------------------------------------------------------ evaluation
    def _param_env(self, theta: Theta, condition: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(symbol env of parameters for `condition`, species initial overrides)."""
        env: dict[str, Any] = {**self.model.parameters, **self.model.compartments}
        for pid, row in self._mech_rows.items():
            env[pid] = _unscale(theta["mech"][pid], row.scale) if row.estimate else float(row.nominal)
        for alias, target in self.files.aliases.items():
            if target in env:
                env[alias] = env[target]
        initial: dict[str, Any] = {}
        allowed = self._allowed_names()
        for target, text in self.files.conditions.get(condition, []) if condition else []:
            value = compile_formula(text, allowed)(env)
            if target in self.model.species:
                initial[target] = value
            else:
                env[target] = value
        return env, initial

    def _net_outputs(self, nid: str, theta: Theta, env: Mapping[str, Any], condition: str) -> list[jax.Array]:
        net = self.networks[nid]
        net = Network(
            params=theta["nets"][nid],
            net_id=net.net_id,
            layers=net.layers,
            nodes=net.nodes,
            input_ids=net.input_ids,
            source=net.source,
        )
        args: dict[int, dict[int, Any]] = {}
        whole: dict[int, Any] = {}
        for pid, ref in self._inputs[nid]:
            if pid in self._input_arrays or self.files.hybridization.get(pid) == "array":
                if pid not in self._input_arrays:
                    raise SciMLFormatError(f"{self.files.base}: no array file holds inputs/{pid}")
                by_cond = self._input_arrays[pid]
                key = condition if condition in by_cond else ("0" if "0" in by_cond else None)
                if key is None:
                    raise SciMLFormatError(
                        f"{self.files.base}: inputs/{pid} has no entry for condition {condition!r} (nor '0')"
                    )
                value: Any = jnp.asarray(by_cond[key], jnp.float64)
            elif pid in self._input_formulas:
                value = self._input_formulas[pid](env)
            elif pid in env:
                value = env[pid]
            else:
                raise SciMLFormatError(
                    f"{self.files.base}: network input {pid} is assigned nowhere (hybridization, condition or parameter table)"
                )
            if len(ref.index) == 1:
                whole[ref.index[0]] = value
            else:
                args.setdefault(ref.index[0], {})[ref.index[1]] = value
        n_args = len(net.placeholders)
        xs = []
        for i in range(n_args):
            if i in whole:
                xs.append(whole[i])
            elif i in args:
                elems = args[i]
                xs.append(jnp.stack([jnp.asarray(elems[j], jnp.float64) for j in range(len(elems))]))
            else:
                raise SciMLFormatError(f"{self.files.base}: input argument {i} of network {nid} is not mapped")
        out = net(*xs)
        return list(out) if isinstance(out, tuple) else [out]

    def _with_outputs(self, nids, theta, env, condition) -> dict[str, Any]:
        env = dict(env)
        for nid in nids:
            outs = self._net_outputs(nid, theta, env, condition)
            for pid, ref in self._outputs.values():
                if ref.net == nid:
                    o = outs[ref.index[0]]
                    env[pid] = o.reshape(-1)[ref.index[1]] if len(ref.index) > 1 else o
        return env

    def _experiment(self, theta: Theta, exp_id: str, times: np.ndarray):
        periods = self.files.experiments[exp_id]
        if len(periods) != 1:
            raise SciMLFormatError(
                f"{self.files.base}: experiment {exp_id} has {len(periods)} periods (one is supported)"
            )
        t0, condition = periods[0]
        if not np.isfinite(t0):
            raise SciMLFormatError(
                f"{self.files.base}: experiment {exp_id}: pre-equilibration (time -inf) is not supported"
            )
        env, initial = self._param_env(theta, condition)
        static = [nid for nid in self.networks if nid not in self.dynamic_nets]
        env = self._with_outputs(static, theta, env, condition)
        for target, fn in self._static_assign.items():
            env[target] = fn(env)
        for target, fn in self._initial_assign.items():
            initial[target] = fn(env)
        y0 = self.model.initial_state(initial)
        dyn = sorted(self.dynamic_nets)

        def state_env(t, y):
            e = {**env, **self.model.symbols(y), "t": t, "time": t}
            e = self._with_outputs(dyn, theta, e, condition)
            for target, fn in self._assignments.items():
                e[target] = fn(e)
            return e

        def rhs(t, y, args):
            return self.model.rhs(y, state_env(t, y))

        ts = jnp.asarray(times, jnp.float64)
        t1 = float(max(times.max(), t0))
        sol = diffrax.diffeqsolve(
            diffrax.ODETerm(rhs),
            diffrax.Tsit5(),
            t0=float(t0),
            t1=t1,
            dt0=None,
            y0=y0,
            saveat=diffrax.SaveAt(ts=ts),
            stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL),
            max_steps=1_000_000,
        )
        return sol.ys, state_env

    def simulate(self, theta: Theta | None = None) -> tuple[jax.Array, jax.Array]:
        """Simulated observables and noise (sigma / Laplace scale), one per measurement row, in
        measurement-table order."""
        theta = self.theta0 if theta is None else theta
        ms = self.files.measurements
        sims: list[Any] = [None] * len(ms)
        sigmas: list[Any] = [None] * len(ms)
        by_exp: dict[str, list[int]] = {}
        for k, m in enumerate(ms):
            by_exp.setdefault(m["experimentId"], []).append(k)
        for exp_id, rows in by_exp.items():
            times = np.unique([float(ms[k]["time"]) for k in rows])
            ys, state_env = self._experiment(theta, exp_id, times)
            for oid in {ms[k]["observableId"] for k in rows}:
                obs_f, noise_f, _, _ = self._observables[oid]
                ks = [k for k in rows if ms[k]["observableId"] == oid]
                idx = jnp.asarray([int(np.searchsorted(times, float(ms[k]["time"]))) for k in ks])

                def one(t, y, obs_f=obs_f, noise_f=noise_f, state_env=state_env):
                    e = state_env(t, y)
                    return jnp.asarray(obs_f(e), jnp.float64), jnp.asarray(noise_f(e), jnp.float64)

                vals, noise = jax.vmap(one)(jnp.asarray(times)[idx], ys[idx])
                for j, k in enumerate(ks):
                    sims[k], sigmas[k] = vals[j], noise[j]
        return jnp.stack(sims), jnp.stack(sigmas)

    def log_likelihood(self, theta: Theta | None = None) -> jax.Array:
        """PEtab log-likelihood of the measurements."""
        sims, sigmas = self.simulate(theta)
        ms = self.files.measurements
        data = jnp.asarray([float(m["measurement"]) for m in ms])
        total = jnp.asarray(0.0)
        for k, m in enumerate(ms):
            _, _, dist, trans = self._observables[m["observableId"]]
            y, d, s = sims[k], data[k], sigmas[k]
            jac: Any = 0.0
            if trans == "log":
                y, d, jac = jnp.log(y), jnp.log(d), jnp.log(data[k])
            elif trans == "log10":
                y, d, jac = jnp.log10(y), jnp.log10(d), jnp.log(data[k] * math.log(10))
            if dist == "normal":
                total = total - 0.5 * jnp.log(2 * jnp.pi * s * s) - 0.5 * ((y - d) / s) ** 2 - jac
            else:
                total = total - jnp.log(2 * s) - jnp.abs(y - d) / s - jac
        return total

    def has_priors(self) -> bool:
        return any(r.prior for r in self.files.parameters.values())

    def log_prior(self, theta: Theta | None = None) -> jax.Array:
        """Sum of the parameter-table priors' log densities (estimated parameters and arrays)."""
        theta = self.theta0 if theta is None else theta
        total = jnp.asarray(0.0)
        for pid, row in self._mech_rows.items():
            if row.estimate and row.prior:
                total = total + _log_density(row.prior, row.prior_parameters, theta["mech"][pid], pid)
        for nid, layers in self._settings.items():
            for lid, arrs in layers.items():
                for name, s in arrs.items():
                    if s.estimate and s.prior:
                        total = total + jnp.sum(
                            _log_density(
                                s.prior, s.prior_parameters, theta["nets"][nid][lid][name], f"{nid}.{lid}.{name}"
                            )
                        )
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
        SciMLFormatError: any table, network or array file problem (the message names the file).
    """
    return HybridProblem(read_problem(path))
