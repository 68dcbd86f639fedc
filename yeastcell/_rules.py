"""SBML-style dynamics: a symbol vector with assignment rules, rate rules and amount-based species.

A `System` is the compiled form of a `ModelSpec` that uses amount semantics (SBML import). Its
symbol vector ``y`` is ``[compartment sizes | species amounts | parameters]`` (parameters include
variable stoichiometries). Formulas see a species as its concentration (amount / compartment size)
or, for `amount_based` species, its amount. Reaction rates are amounts per time; a species'
amount changes by ``conversion_factor · Σ_j stoich_ij · v_j``. Assignment rules are evaluated in
dependency order whenever the state is read; rate rules and reactions give the derivatives of the
integrated symbols (`state`). Everything here is traceable: names map to indices at compile time.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._expr import ExpressionError, compile_formula, names_in
from .exceptions import ModelFileError, UndefinedValueWarning
from .spec import ModelSpec

TIME = "time"
RATE_OF = "rateOf__"  # the formula name rateOf__x is the time derivative of symbol x (SBML rateOf)


class System(eqx.Module):
    """Compiled SBML-style dynamics (static structure; the numbers live in the `Cell`)."""

    names: tuple[str, ...] = eqx.field(static=True)
    n_comp: int = eqx.field(static=True)
    n_species: int = eqx.field(static=True)
    n_param: int = eqx.field(static=True)
    species_comp: tuple[int, ...] = eqx.field(static=True)  # y index of each species' compartment
    amount_based: tuple[bool, ...] = eqx.field(static=True)
    state: tuple[int, ...] = eqx.field(static=True)  # y indices integrated by the ODE
    reaction_species: tuple[int, ...] = eqx.field(static=True)  # species changed by reactions
    assigned: tuple[tuple[int, Callable], ...] = eqx.field(static=True)  # topological order
    rate_rules: tuple[tuple[int, Callable], ...] = eqx.field(static=True)
    laws: tuple[Callable, ...] = eqx.field(static=True)
    local: tuple[tuple[tuple[str, int], ...], ...] = eqx.field(static=True)  # per reaction: (name, theta idx)
    stoich: tuple[tuple[int, int, float, int], ...] = eqx.field(static=True)  # (species, rxn, coef, y idx | -1)
    conv: tuple[int, ...] = eqx.field(static=True)  # per species: y index of its conversion factor or -1
    reaction_names: tuple[str, ...] = eqx.field(static=True, default=())  # reaction ids usable in formulas
    # algebraic rules 0 = g(env) and the symbols they determine (one each, by a matching)
    algebraic: tuple[Callable, ...] = eqx.field(static=True, default=())
    alg_vars: tuple[int, ...] = eqx.field(static=True, default=())
    newton_iters: int = eqx.field(static=True, default=12)
    # t = 0 evaluation order: (y index, formula or None, "amount"/"conc", literal value) per symbol
    # with an initial assignment / assignment rule (formula) or a literal species value
    init_steps: tuple[tuple[int, Callable | None, str, float], ...] = eqx.field(static=True, default=())

    # ------------------------------------------------------------------ symbol vector
    def y_from(self, species_values, volumes, params):
        """y from species values (conc or amount), compartment sizes and parameters."""
        v = volumes[np.asarray(self.species_comp, dtype=int)] if self.n_species else volumes[:0]
        amounts = jnp.where(np.asarray(self.amount_based, dtype=bool), species_values, species_values * v)
        return jnp.concatenate([volumes, amounts, params]).astype(jnp.result_type(float))

    def species_values(self, y):
        """Species values as formulas see them (concentration, or amount if amount-based)."""
        s = slice(self.n_comp, self.n_comp + self.n_species)
        v = y[..., np.asarray(self.species_comp, dtype=int)] if self.n_species else y[..., s]
        return jnp.where(np.asarray(self.amount_based, dtype=bool), y[..., s], y[..., s] / v)

    def env(self, y, t, theta):
        """Name -> value as formulas see it; a reaction id evaluates to the reaction's rate."""
        env = _Env(self, theta)
        env[TIME] = t
        nc, ns = self.n_comp, self.n_species
        for k in range(nc):
            env[self.names[k]] = y[k]
        for i in range(ns):
            a = y[nc + i]
            env[self.names[nc + i]] = a if self.amount_based[i] else a / y[self.species_comp[i]]
        for k in range(nc + ns, len(self.names)):
            env[self.names[k]] = y[k]
        return env

    def initial_values(self, volumes, params, theta, t=0.0):
        """The symbol vector at the start: compartment sizes `volumes` and parameter values
        `params` (before initial assignments), literal species values of the model, then every
        initial assignment and assignment rule in dependency order (and the algebraic rules).
        Traceable: gradients flow from `volumes`, `params` and `theta` (local parameters) into
        initial values that are formulas of them. Units as the model's (amounts, sizes)."""
        nc, ns = self.n_comp, self.n_species
        y = jnp.concatenate([jnp.asarray(volumes), jnp.full((ns,), jnp.nan), jnp.asarray(params)])
        y = y.astype(jnp.result_type(float))
        t = jnp.asarray(t, dtype=y.dtype)
        steps = self.init_steps

        def one_pass(y, skip=frozenset()):
            env = self.env(y, t, theta)
            for k, fn, how, val in steps:
                if k in skip:
                    continue
                if fn is not None:
                    y = self._set(y, env, k, fn(env))
                    continue
                i = k - nc
                amount = jnp.asarray(val if how == "amount" else val * y[self.species_comp[i]], dtype=y.dtype)
                y = y.at[k].set(amount)
                env[self.names[k]] = amount if self.amount_based[i] else amount / y[self.species_comp[i]]
            return y

        y = one_pass(y)
        if self.algebraic:  # values the algebraic rules determine, then everything depending on them
            y = self.solve_algebraic(y, t, theta)
            y = one_pass(y, frozenset(self.alg_vars))
        return y

    def _set(self, y, env, k, value):
        """Set symbol k to `value` (a species' value is conc or amount as formulas see it)."""
        nc, ns = self.n_comp, self.n_species
        value = jnp.asarray(value, dtype=y.dtype)
        env[self.names[k]] = value
        if nc <= k < nc + ns:
            i = k - nc
            amount = value if self.amount_based[i] else value * y[self.species_comp[i]]
            return y.at[k].set(amount)
        y = y.at[k].set(value)
        if k < nc:  # a new compartment size: concentrations of its species change
            for i in range(ns):
                if self.species_comp[i] == k and not self.amount_based[i]:
                    env[self.names[nc + i]] = y[nc + i] / value
        return y

    def apply_rules(self, y, t, theta):
        """Solve the algebraic rules (if any), evaluate the assignment rules; returns (y, env)."""
        if self.algebraic:
            y = self.solve_algebraic(y, t, theta)
        return self._assign(y, t, theta)

    def _assign(self, y, t, theta):
        env = self.env(y, t, theta)
        for k, fn in self.assigned:
            y = self._set(y, env, k, fn(env))
        return y, env

    def _residual(self, z, y, t, theta):
        _, env = self._assign(y.at[np.asarray(self.alg_vars, dtype=int)].set(z), t, theta)
        return jnp.stack([jnp.asarray(g(env), dtype=y.dtype) for g in self.algebraic])

    def solve_algebraic(self, y, t, theta):
        """y with the algebraic variables solved from 0 = g (Newton from their current values).

        The iteration count is fixed (traceable, differentiable); the variables of a solve that
        has not converged (last Newton step above 1e-6 relative) are set to NaN, which the solver
        reports as a non-finite state, never as a valid result. Species are solved as amounts.
        """
        alg = np.asarray(self.alg_vars, dtype=int)
        z0 = y[alg]
        z0 = jnp.where(jnp.isfinite(z0), z0, 1.0)  # no initial value: a guess

        def step(_, c):
            z, _ = c
            r = self._residual(z, y, t, theta)
            jac = jax.jacfwd(lambda zz: self._residual(zz, y, t, theta))(z)
            dz = jnp.linalg.solve(jac, r)
            return z - dz, dz

        z, dz = jax.lax.fori_loop(0, self.newton_iters, step, (z0, jnp.ones_like(z0)))
        ok = jnp.all(jnp.abs(dz) <= 1e-6 * (1.0 + jnp.abs(z)))
        return y.at[alg].set(jnp.where(ok, z, jnp.nan))

    def set_values(self, y, t, theta, targets, values):
        """Set several symbols at once (event assignments), then the rules.

        A species concentration is converted to an amount with its compartment's size from
        before the assignments (SBML: assignments are simultaneous).
        """
        nc, ns = self.n_comp, self.n_species
        new = y
        for k, v in zip(targets, values):
            v = jnp.asarray(v, dtype=y.dtype)
            if nc <= k < nc + ns and not self.amount_based[k - nc]:
                v = v * y[self.species_comp[k - nc]]
            new = new.at[k].set(v)
        return self.apply_rules(new, t, theta)

    # ------------------------------------------------------------------ rates and derivatives
    def rates(self, env, theta, rate_scale=None):
        """Reaction rates (amount per time)."""
        if not self.laws:
            return jnp.zeros((0,))
        out = []
        for j in range(len(self.laws)):
            out.append(self.rate(env, theta, j))
        v = jnp.stack(out)
        return v if rate_scale is None else v * rate_scale

    def rate(self, env, theta, j):
        """Rate of reaction j (amount per time)."""
        e = _Overlay(env, {name: theta[i] for name, i in self.local[j]})
        return jnp.asarray(self.laws[j](e), dtype=theta.dtype)

    def rate_of(self, env, theta, name):
        """d(name)/dt as formulas see it (SBML rateOf): rate rule, reactions, or 0."""
        k = self.names.index(name)
        for kk, fn in self.rate_rules:
            if kk == k:
                return jnp.asarray(fn(env), dtype=theta.dtype)
        nc, ns = self.n_comp, self.n_species
        if not (nc <= k < nc + ns) or (k - nc) not in self.reaction_species:
            return jnp.zeros((), dtype=theta.dtype)
        i = k - nc
        total = jnp.zeros((), dtype=theta.dtype)
        for sp, j, coef, sym in self.stoich:
            if sp == i:
                c = coef * (env[self.names[sym]] if sym >= 0 else 1.0)
                total = total + c * self.rate(env, theta, j)
        if self.conv[i] >= 0:
            total = total * env[self.names[self.conv[i]]]
        if not self.amount_based[i]:
            total = total / env[self.names[self.species_comp[i]]]
        return total

    def derivative(self, y, env, theta, rate_scale, clamp):
        """dy/dt of the integrated symbols (`state`)."""
        nc, ns = self.n_comp, self.n_species
        dy = jnp.zeros_like(y)
        if self.laws and self.stoich:
            v = self.rates(env, theta, rate_scale)
            sp = np.array([s[0] for s in self.stoich], dtype=int)
            rx = np.array([s[1] for s in self.stoich], dtype=int)
            coef = jnp.asarray(np.array([s[2] for s in self.stoich]), dtype=y.dtype)
            sym = np.array([s[3] for s in self.stoich], dtype=int)
            if np.any(sym >= 0):
                coef = jnp.where(sym >= 0, coef * y[np.maximum(sym, 0)], coef)
            contrib = coef * v[rx]
            if any(c >= 0 for c in self.conv):
                cf = np.array(self.conv, dtype=int)[sp]
                contrib = jnp.where(cf >= 0, contrib * y[np.maximum(cf, 0)], contrib)
            damount = jnp.zeros(ns, dtype=y.dtype).at[sp].add(contrib)
            mask = np.zeros(ns, dtype=bool)
            mask[np.asarray(self.reaction_species, dtype=int)] = True
            dy = dy.at[nc : nc + ns].set(jnp.where(mask, damount, 0.0))
        # rate rules: compartments first (species concentrations need dV/dt)
        for k, fn in sorted(self.rate_rules, key=lambda r: r[0] >= nc):
            r = jnp.asarray(fn(env), dtype=y.dtype)
            if nc <= k < nc + ns and not self.amount_based[k - nc]:
                c = self.species_comp[k - nc]
                r = r * y[c] + env[self.names[k]] * dy[c]
            dy = dy.at[k].set(r)
        if clamp is not None and ns:
            dy = dy.at[nc : nc + ns].set(jnp.where(clamp, 0.0, dy[nc : nc + ns]))
        return dy[np.asarray(self.state, dtype=int)]

    def state_derivative(self, state_values, ybase, t, theta, rate_scale, clamp):
        """dy/dt of the integrated symbols (`state`) at integrated-symbol values `state_values`
        (n_state,) over the symbol vector `ybase`, the assignment rules applied: what
        ``derivative(*apply_rules(ybase.at[state].set(state_values), t, theta), ...)`` gives, for a
        system without algebraic rules (`scalar_rhs`).

        Written as one scalar expression per symbol (Python lists, no ``.at[]`` updates of the symbol
        vector, no scatter of the reaction contributions) and one stack at the end: XLA fuses it
        into a few kernels. On a CPU a kernel costs ~0.1 µs of launch however small it is, so the
        vector form (~110 kernels on Teusink 2000) cost ~10 µs per evaluation of one trajectory.
        """
        nc, ns = self.n_comp, self.n_species
        dtype = theta.dtype
        vals = [ybase[k] for k in range(len(self.names))]
        for i, k in enumerate(self.state):
            vals[k] = state_values[i]
        env = _Env(self, theta)
        env[TIME] = t
        for k in range(len(self.names)):
            i = k - nc
            conc = 0 <= i < ns and not self.amount_based[i]
            env[self.names[k]] = vals[k] / vals[self.species_comp[i]] if conc else vals[k]
        for k, fn in self.assigned:  # as `_set`
            value = jnp.asarray(fn(env), dtype=dtype)
            env[self.names[k]] = value
            i = k - nc
            if 0 <= i < ns:
                vals[k] = value if self.amount_based[i] else value * vals[self.species_comp[i]]
                continue
            vals[k] = value
            if k < nc:
                for s in range(ns):
                    if self.species_comp[s] == k and not self.amount_based[s]:
                        env[self.names[nc + s]] = vals[nc + s] / value
        zero = jnp.zeros((), dtype=dtype)
        d: dict[int, object] = {}
        if self.laws and self.stoich:
            v = [self.rate(env, theta, j) * rate_scale[j] for j in range(len(self.laws))]
            acc: dict[int, object] = {}
            for sp, rx, coef, sym in self.stoich:
                term = (coef * vals[sym] if sym >= 0 else coef) * v[rx]
                if self.conv[sp] >= 0:
                    term = term * vals[self.conv[sp]]
                acc[sp] = term if sp not in acc else acc[sp] + term
            for i in self.reaction_species:
                d[nc + i] = acc.get(i, zero)
        for k, fn in sorted(self.rate_rules, key=lambda r: r[0] >= nc):
            r = jnp.asarray(fn(env), dtype=dtype)
            if nc <= k < nc + ns and not self.amount_based[k - nc]:
                c = self.species_comp[k - nc]
                r = r * vals[c] + env[self.names[k]] * d.get(c, zero)
            d[k] = r
        if not self.state:
            return jnp.zeros((0,), dtype=dtype)
        dx = jnp.stack([jnp.asarray(d.get(k, zero), dtype=dtype) for k in self.state])
        if clamp is None or not ns:
            return dx
        # clamped species: one select over the stacked vector (one kernel, not one per species)
        species = np.array([nc <= k < nc + ns for k in self.state])
        held = clamp[np.where(species, np.asarray(self.state) - nc, 0)] & species
        return jnp.where(held, 0.0, dx)


class _Env(dict):
    """Formula environment whose reaction ids evaluate (lazily) to reaction rates."""

    def __init__(self, system, theta):
        super().__init__()
        self._system = system
        self._theta = theta
        self._busy = set()

    def __missing__(self, key):
        names = self._system.reaction_names
        if key.startswith(RATE_OF) and key not in self._busy:
            self._busy.add(key)
            try:
                return self._system.rate_of(self, self._theta, key[len(RATE_OF) :])
            finally:
                self._busy.discard(key)
        if key in names and key not in self._busy:
            self._busy.add(key)
            try:
                return self._system.rate(self, self._theta, names.index(key))
            finally:
                self._busy.discard(key)
        raise KeyError(key)


class _Overlay(dict):
    """Local names over a base environment (kinetic-law local parameters shadow model ids)."""

    def __init__(self, base, local):
        super().__init__(local)
        self._base = base

    def __missing__(self, key):
        return self._base[key]


def _err(spec, item, problem):
    return ModelFileError(spec.path or spec.id, item, problem)


def build_system(spec: ModelSpec) -> tuple[System, np.ndarray, np.ndarray, np.ndarray, list]:
    """Compile the SBML-style parts of `spec`.

    Returns:
        (system, compartment sizes at t=0, species values at t=0, parameter values at t=0,
        [(local theta name, value)] for the reactions' local parameters).

    Raises:
        ModelFileError: a rule or assignment names an unknown symbol, a cycle among assignment
            rules and initial assignments, or a symbol without a value.
    """
    comps, species, params = spec.compartments, spec.species, spec.parameters
    names = tuple(c.id for c in comps) + tuple(s.id for s in species) + tuple(p.id for p in params)
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise _err(spec, "ids", f"duplicate symbol ids {dup}")
    index = {n: k for k, n in enumerate(names)}
    nc, ns = len(comps), len(species)
    rx_names = tuple(r.id for r in spec.reactions if r.id not in index)
    allowed = set(names) | {TIME} | set(rx_names) | {RATE_OF + n for n in names}
    law_deps = {r.id: r.rate_law.formula or "0.0" for r in spec.reactions}
    law_local = {r.id: set(r.rate_law.parameters) for r in spec.reactions}
    for s in species:
        if s.compartment not in index or index[s.compartment] >= nc:
            raise _err(spec, f"species {s.id!r}", f"unknown compartment {s.compartment!r}")
    species_comp = tuple(index[s.compartment] for s in species)
    amount_based = tuple(bool(s.amount_based) for s in species)

    def fn(formula, item, extra=()):
        try:
            return compile_formula(formula, allowed | set(extra))
        except ExpressionError as err:
            raise _err(spec, item, str(err)) from None

    def deps(formula, extra=(), _seen=()):
        out = set()
        for nm in names_in(formula):
            if nm in law_deps and nm not in index and nm not in extra and nm not in _seen:
                out |= deps(law_deps[nm], law_local[nm], _seen + (nm,))
            if nm in index and nm not in extra:
                k = index[nm]
                out.add(k)
                if nc <= k < nc + ns and not amount_based[k - nc]:
                    out.add(species_comp[k - nc])
        return out

    for kind, var in [(r.kind, r.variable) for r in spec.rules if r.kind != "algebraic"] + [
        ("initial", a.variable) for a in spec.initial_assignments
    ]:
        if var not in index:
            raise _err(spec, f"{kind} rule for {var!r}", "not a compartment, species or parameter")
    ar = {index[r.variable]: r.formula for r in spec.rules if r.kind == "assignment"}
    rr = {index[r.variable]: r.formula for r in spec.rules if r.kind == "rate"}
    ia = {index[a.variable]: a.formula for a in spec.initial_assignments}

    def self_dep(k):  # a species value assigned as a concentration depends on its compartment
        return {species_comp[k - nc]} if nc <= k < nc + ns and not amount_based[k - nc] else set()

    def topo(defs: dict[int, str], what: str) -> list[int]:
        graph = {}
        for k, f in defs.items():
            d = deps(f)
            if k in d:
                raise _err(spec, f"{what} for {names[k]!r}", "refers to itself")
            graph[k] = (d | self_dep(k)) & (set(defs) - {k})
        return _topological_order(
            graph, lambda k: _err(spec, f"{what} for {names[k]!r}", "is part of a cycle of assignments")
        )

    assigned_order = topo(ar, "assignment rule")
    assigned = tuple((k, fn(ar[k], f"assignment rule for {names[k]!r}")) for k in assigned_order)
    rate_rules = tuple((k, fn(f, f"rate rule for {names[k]!r}")) for k, f in sorted(rr.items()))

    # reactions
    laws, local, stoich, r_species = [], [], [], set()
    theta_local: list[tuple[str, float]] = []  # (name, value) of the reactions' local parameters
    for j, r in enumerate(spec.reactions):
        law = r.rate_law
        if law.kind != "expression":
            raise _err(
                spec, f"reaction {r.id!r}", f"amount-based reactions need an 'expression' rate law, got {law.kind!r}"
            )
        loc = []
        for name, value in law.parameters.items():
            loc.append((name, len(params) + len(theta_local)))
            theta_local.append((f"{r.id}.{name}", value))
        laws.append(fn(law.formula or "0.0", f"kinetic law of reaction {r.id!r}", [n for n, _ in loc]))
        local.append(tuple(loc))
        for sid, coef in r.stoichiometry.items():
            if sid not in index or not (nc <= index[sid] < nc + ns):
                raise _err(spec, f"reaction {r.id!r}", f"unknown species {sid!r}")
            i = index[sid] - nc
            sym = r.stoichiometry_ids.get(sid)
            if sym is not None and sym not in index:
                raise _err(spec, f"reaction {r.id!r}", f"unknown stoichiometry symbol {sym!r}")
            sp = species[i]
            if sp.constant or sp.boundary:
                continue
            if index[sid] in ar or index[sid] in rr:
                continue
            r_species.add(i)
            stoich.append((i, j, float(coef), index[sym] if sym is not None else -1))
    conv = []
    for s in species:
        if s.conversion_factor is not None and s.conversion_factor not in index:
            raise _err(spec, f"species {s.id!r}", f"unknown conversion factor {s.conversion_factor!r}")
        conv.append(index[s.conversion_factor] if s.conversion_factor else -1)

    state = sorted({nc + i for i in r_species} | set(rr))
    alg_rules = [r.formula for r in spec.rules if r.kind == "algebraic"]
    prefer = [{index[v] for v in r.variable.split() if v in index} for r in spec.rules if r.kind == "algebraic"]
    alg_vars = _match_algebraic(
        spec, alg_rules, prefer, deps, comps, species, params, set(ar) | set(rr) | {nc + i for i in r_species}
    )
    algebraic = tuple(fn(f, f"algebraic rule 0 = {f}") for f in alg_rules)

    # ---------------------------------------------------------------- initial values (t = 0)
    y = np.full(len(names), math.nan)
    for k, c in enumerate(comps):
        y[k] = c.volume_L
    for k, p in enumerate(params):
        y[nc + ns + k] = p.value
    init_defs = dict(ia)
    for k, f in ar.items():
        init_defs.setdefault(k, f)
    species_init = {}
    undefined = []
    for i, s in enumerate(species):
        k = nc + i
        if k in init_defs:
            continue
        if s.initial_amount is not None and not math.isnan(s.initial_amount):
            species_init[k] = ("amount", s.initial_amount)
        elif math.isnan(s.initial_mM) and k not in alg_vars:
            undefined.append(s.id)
            species_init[k] = ("conc", 0.0)
        else:
            species_init[k] = ("conc", s.initial_mM)
    if undefined:
        warnings.warn(
            f"{spec.name or 'model'}: species {undefined} have no initial amount, concentration, initial assignment "
            "or rule (SBML leaves them undefined); they start at 0, as libroadrunner and COPASI do",
            UndefinedValueWarning,
            stacklevel=2,
        )
    order = topo_with_species(init_defs, species_init, deps, self_dep, species_comp, nc, names, spec)
    env_fns = {k: fn(f, f"initial value of {names[k]!r}") for k, f in init_defs.items()}
    init_steps = tuple(
        (k, env_fns[k], "", math.nan) if k in env_fns else (k, None, species_init[k][0], float(species_init[k][1]))
        for k in order
    )
    sysm = System(
        names,
        nc,
        ns,
        len(params),
        species_comp,
        amount_based,
        tuple(state),
        tuple(sorted(r_species)),
        assigned,
        rate_rules,
        tuple(laws),
        tuple(local),
        tuple(stoich),
        tuple(conv),
        rx_names,
        algebraic,
        tuple(alg_vars),
        init_steps=init_steps,
    )
    theta0 = jnp.asarray(np.concatenate([y[nc + ns :], np.array([v for _, v in theta_local], dtype=float)]))
    yj = sysm.initial_values(jnp.asarray(y[:nc]), jnp.asarray(y[nc + ns :]), theta0)
    yv = np.asarray(yj, dtype=float)  # unset values stay NaN (SBML leaves them undefined)
    vols = yv[:nc]
    amounts = yv[nc : nc + ns]
    vsp = vols[list(species_comp)] if ns else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(np.array(amount_based, dtype=bool), amounts, amounts / vsp) if ns else np.zeros(0)
    return sysm, vols, values, yv[nc + ns :], theta_local


def topo_with_species(init_defs, species_init, deps, self_dep, species_comp, nc, names, spec):
    """Order for t=0 evaluation: definitions and literal species values (which need their compartment)."""
    graph = {}
    for k, f in init_defs.items():
        graph[k] = (deps(f) | self_dep(k)) - {k}
    for k in species_init:
        graph[k] = {species_comp[k - nc]}
    return _topological_order(
        graph, lambda k: _err(spec, f"initial value of {names[k]!r}", "is part of a cycle of assignments")
    )


def _topological_order(graph: dict[int, set[int]], cycle_error) -> list[int]:
    """Keys of `graph` (node -> prerequisites) ordered so prerequisites come first.

    Prerequisites that are not keys are ignored; a cycle raises ``cycle_error(node)``.
    """
    order, done, temp = [], set(), set()

    def visit(k):
        if k in done or k not in graph:
            return
        if k in temp:
            raise cycle_error(k)
        temp.add(k)
        for d in sorted(graph[k]):
            visit(d)
        temp.discard(k)
        done.add(k)
        order.append(k)

    for k in sorted(graph):
        visit(k)
    return order


def _match_algebraic(spec, rules, prefer, deps, comps, species, params, determined) -> list[int]:
    """The symbol each algebraic rule determines: a maximum matching (rule -> a non-constant
    symbol it uses that no assignment rule, rate rule or reaction determines), trying each
    rule's preferred symbols (`prefer`, e.g. the species of a fast reaction) first and symbols
    that events assign last (an event's value would be overwritten at once by the rule)."""
    if not rules:
        return []
    constant = [c.constant for c in comps] + [s.constant for s in species] + [p.constant for p in params]
    names = [c.id for c in comps] + [s.id for s in species] + [p.id for p in params]
    assigned = {v for e in spec.events for v, _ in e.assignments}

    def rank(k: int, p) -> tuple[bool, bool, int]:  # preferred symbols first, event-assigned ones last
        return (k not in p, names[k] in assigned, k)

    cands = [
        sorted(
            (k for k in deps(f) if not constant[k] and k not in determined),
            key=functools.partial(rank, p=p),
        )
        for f, p in zip(rules, prefer)
    ]
    match: dict[int, int] = {}  # symbol -> rule

    def augment(r, seen):
        for k in cands[r]:
            if k in seen:
                continue
            seen.add(k)
            if k not in match or augment(match[k], seen):
                match[k] = r
                return True
        return False

    for r in range(len(rules)):
        if not augment(r, set()):
            raise _err(
                spec,
                f"algebraic rule 0 = {rules[r]}",
                "determines no symbol (every non-constant symbol it uses is already determined "
                "by another rule or a reaction): overdetermined or higher-index system",
            )
    by_rule = {r: k for k, r in match.items()}
    return [by_rule[r] for r in range(len(rules))]
