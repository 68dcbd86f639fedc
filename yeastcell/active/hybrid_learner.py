"""The neural-residual hybrid cell as a closed-loop learner: a deep ensemble of hybrid cells.

Each member is the `HybridCell` it was built from (`yeastcell.hybrid`: the kinetic model with a
residual network correcting chosen rates), with every layer of the network re-drawn from the
member's seed and trained on the loop's data with `yeastcell.fit.fit` (``train="residual"``: the
mechanistic parameters stay fixed). Two sources of spread make the ensemble a posterior sample
rather than copies of one fit (randomize-then-optimize, as `LinearResidualLearner` does it):

* the output layer starts random (weights ~ N(0, `init_sd`² / width): log-rate corrections of
  about `init_sd` before training), so where no data constrain the residual, members keep
  different corrections (a zero output layer would make every member start, and in unconstrained
  directions stay, the mechanistic model: an ensemble that is certain where it knows nothing);
* each member fits the data with its own draw of the measurement noise added to the log values
  (sd `sigma_log2`), so where data do constrain it, members scatter by about the noise they fit.

Members also differ by minibatch order and, with ``train_ensemble(..., bootstrap=True)``, by the
conditions they see (the distinct conditions of a bootstrap draw; a condition drawn twice is not
weighted twice). The ensemble's disagreement is the loop's uncertainty (a deep ensemble,
Lakshminarayanan et al. 2017, NeurIPS, with the noise draws of randomize-then-optimize).

Training follows what `benchmarks/bench_hybrid.py` found to work on the core model: Adam with
clipped gradients and a cosine-decaying step, every condition trained on (no validation split:
small loop datasets cannot spare their rare strong perturbations), and, by default, the
frozen-Jacobian reverse-mode gradient (the implicit solver's Jacobian is not differentiated: about
2x the forward cost instead of 7.6x on the 2-core CPU, same minima in that benchmark).

Units: the loop's observables in the model's units (mM for species); times in minutes after the
start of the experiment (the loop's data have no time 0; the learner adds it, unmeasured).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import yeastcell as yc

from ..data import Dataset
from ..exceptions import SimulationInputError, SolverError
from ..fit import fit, residual_optimizer
from ..hybrid import HybridCell, hybridize, load_residual, save_residual
from ..observe import ObservationModel
from ..perturb.notation import parse_perturbation
from ..solvers import Rodas4P
from .learners import condition_means


class HybridLearner:
    """Learner protocol (`yeastcell.active.Learner`) over a hybrid cell's residual network.

    Args:
        hybrid: the `HybridCell` to train (its residual network's wiring: rate targets, inputs,
            width, depth); its current weights are replaced per member.
        times_min: the loop's sampling times (min, > 0).
        observables: the loop's observables (model ids; validated here).
        base: notation applied before every condition (e.g. ``"cond:aerobic_batch"``), or None.
        epochs: training epochs per member (early stopping on the training loss, `patience`).
        batch_size: conditions per gradient step.
        learning_rate: initial Adam step (cosine decay to 2 % of it over the epochs).
        sigma_log2: measurement noise sd (log2 units) of the likelihood.
        options: `SolverOptions` (default rtol 1e-6, atol 1e-9, 20 000 steps).
        frozen_jacobian: train with the frozen-Jacobian gradient (see module docstring).
        patience: epochs without improvement before a member stops.
        init_sd: sd of the members' initial log-rate corrections (module docstring); 0 starts every
            member at the mechanistic model.
        perturb_data: fit each member to the data with its own noise draw (module docstring).

    Raises:
        SimulationInputError: not a HybridCell, bad times or settings.
        UnknownNameError: an observable the model does not know (close matches suggested).
    """

    def __init__(
        self,
        hybrid,
        times_min,
        observables: Sequence[str],
        base: str | None = None,
        *,
        epochs: int = 30,
        batch_size: int = 8,
        learning_rate: float = 1e-2,
        sigma_log2: float = 0.15,
        options=None,
        frozen_jacobian: bool = True,
        patience: int = 10,
        init_sd: float = 0.1,
        perturb_data: bool = True,
    ):

        if not isinstance(hybrid, HybridCell):
            raise SimulationInputError(
                f"HybridLearner needs a HybridCell (yeastcell.hybrid.hybridize), got {type(hybrid).__name__}"
            )
        t = np.asarray(times_min, dtype=np.float64)
        if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or t[0] <= 0 or np.any(np.diff(t) <= 0):
            raise SimulationInputError(f"times_min must be strictly increasing times > 0 min, got {times_min!r}")
        for name, v in (("epochs", epochs), ("batch_size", batch_size), ("patience", patience)):
            if isinstance(v, bool) or int(v) != v or v < 1:
                raise SimulationInputError(f"{name} must be an integer >= 1, got {v!r}")
        for name, x in (("learning_rate", learning_rate), ("sigma_log2", sigma_log2)):
            if not (np.isfinite(x) and x > 0):
                raise SimulationInputError(f"{name} must be positive, got {x!r}")
        if not (np.isfinite(init_sd) and init_sd >= 0):
            raise SimulationInputError(f"init_sd must be >= 0, got {init_sd!r}")
        ObservationModel.build(hybrid, list(observables))  # names checked before any training
        if base is not None:
            parse_perturbation(base)
        self.hybrid = hybrid
        self.times_min = t
        self.observables = tuple(observables)
        self.base = base
        self.epochs, self.batch_size, self.patience = int(epochs), int(batch_size), int(patience)
        self.learning_rate, self.sigma_log2 = float(learning_rate), float(sigma_log2)
        self.options = options or yc.SolverOptions(rtol=1e-6, atol=1e-9, max_steps=20_000)
        self.frozen_jacobian = bool(frozen_jacobian)
        self.init_sd, self.perturb_data = float(init_sd), bool(perturb_data)

    # ------------------------------------------------------------------ helpers
    def _full(self, condition: str) -> str:
        return f"{self.base}+{condition}" if self.base else condition

    def _initial(self, seed: int):
        """The hybrid with its layers re-drawn from `seed` (output layer ~ N(0, init_sd² / fan-in))."""
        import equinox as eqx
        import jax
        import jax.numpy as jnp

        net = self.hybrid.net
        keys = jax.random.split(jax.random.PRNGKey(int(seed) % (2**31)), len(net.layers) + 1)
        layers = [
            eqx.nn.Linear(lyr.in_features, lyr.out_features, key=key, dtype=jnp.float64)
            for key, lyr in zip(keys, net.layers[:-1])
        ]
        last = net.layers[-1]
        assert last.bias is not None  # residual_net builds its layers with biases
        w = self.init_sd / np.sqrt(last.in_features) * jax.random.normal(keys[-1], last.weight.shape, jnp.float64)
        layers.append(eqx.tree_at(lambda x: (x.weight, x.bias), last, (w, jnp.zeros_like(last.bias))))
        return eqx.tree_at(lambda h: h.net.layers, self.hybrid, tuple(layers))

    def _training_data(self, data, weights, seed):
        """The loop's data as `fit` wants it: conditions with the base, an unmeasured time 0, and
        (perturb_data) the member's own noise draw on the log values."""
        conds = list(data.conditions)
        if weights is not None:
            w = np.asarray(weights, dtype=np.float64)
            if w.shape != (len(conds),) or np.any(~np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
                raise SimulationInputError("weights must hold one non-negative number per condition, not all zero")
            conds = [c for c, wi in zip(conds, w) if wi > 0]
        sub = data.subset(conditions=conds)
        y, m = condition_means(sub, self.times_min, self.observables)  # (n_cond, n_t, n_obs)
        n, _, k = y.shape
        if self.perturb_data:
            noise = np.random.default_rng(int(seed) % (2**63)).normal(0.0, self.sigma_log2 * np.log(2), y.shape)
            y = y * np.exp(noise)
        values = np.concatenate([np.zeros((n, 1, k)), np.where(m, y, np.nan)], axis=1)[:, None]
        mask = np.concatenate([np.zeros((n, 1, k), bool), m], axis=1)[:, None]
        return Dataset(
            tuple(self._full(c) for c in conds),
            np.concatenate([[0.0], self.times_min]),
            self.observables,
            values,
            mask,
            units={o: sub.units[o] for o in self.observables if o in sub.units},
        )

    # ------------------------------------------------------------------ Learner protocol
    def fit(self, data, seed: int, weights: np.ndarray | None = None):
        """One member: the residual trained from the seed's initial weights (module docstring).

        Raises:
            SolverError: training ended with conditions whose simulation fails (named).
        """

        ds = self._training_data(data, weights, seed)
        options = (
            dataclasses.replace(self.options, solver=Rodas4P(differentiate_jacobian=False))
            if self.frozen_jacobian
            else self.options
        )
        batch = min(self.batch_size, len(ds.conditions))
        steps = self.epochs * -(-len(ds.conditions) // batch)
        opt = residual_optimizer(self.learning_rate, steps)
        res = fit(
            self._initial(seed),
            ds,
            train="residual",
            optimizer=opt,
            epochs=self.epochs,
            batch_size=batch,
            validation_fraction=None,
            patience=self.patience,
            seed=int(seed) % (2**31),
            options=options,
            gradient="reverse",
            sigma_log2=self.sigma_log2,
        )
        self.predict(res.model, list(data.conditions))  # a member that cannot simulate its own data is no member
        return res.model

    def predict(self, model, conditions: Sequence[str], times_min=None, observables=None) -> np.ndarray:
        """(n_cond, n_t, n_obs) observables (model units) of member `model` at the loop's times.

        Raises:
            ValueError: other times/observables than the learner's. SolverError: a failed solve (named).
        """

        if (times_min is not None and not np.array_equal(np.asarray(times_min, dtype=float), self.times_min)) or (
            observables is not None and tuple(observables) != self.observables
        ):
            raise ValueError("this learner predicts only the times and observables it was built for")
        conds = list(conditions)
        tr = yc.simulate_batch(
            model,
            [parse_perturbation(self._full(c)) for c in conds],
            np.concatenate([[0.0], self.times_min]),
            options=self.options,
        )
        bad = [c for c, s in zip(conds, np.asarray(tr.status)) if s != 0]
        if bad:
            raise SolverError(f"the hybrid member's simulation failed for {len(bad)} condition(s), first {bad[0]!r}")
        om = ObservationModel.build(model, list(self.observables))
        return np.asarray(om(tr.conc, tr.flux), dtype=np.float64)[:, 1:]

    def save(self, model, path: Path) -> None:
        """The member's residual weights (HDF5, `yeastcell.hybrid.save_residual`, atomic)."""

        save_residual(model.net, path)

    def load(self, path: Path):

        return hybridize(self.hybrid.cell, load_residual(path, self.hybrid.cell))
