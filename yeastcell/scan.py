"""Parameter scans: one model parameter varied across a batch, as one array program.

`parameter_scan(cell, "PFK.Vmax", values, t)` simulates the base condition once per value, with the
parameter set to it (`yeastcell.parameter`), through `simulate_batch` (so large scans use the
batched solvers), and returns a `ParameterScan`: the values, the batched `Trajectory` (one lane per
value, each with its own status) and a plot. Any entry of `cell.theta_names` can be scanned: a
native rate-law parameter (``"PFK.Vmax"``), a global parameter, or an SBML model's parameter.
Values are in the model's core units (mM, min, L); `relative=True` reads them as factors on the
compiled value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .batch import simulate_batch
from .exceptions import SimulationInputError
from .io import atomic_path
from .perturb import Perturbation, parameter
from .perturb.resolver import parameter_index
from .solvers import SolverOptions
from .trajectory import Trajectory


@dataclass(frozen=True)
class ParameterScan:
    """The result of `parameter_scan`: `values` (n,) of `parameter` (core units, or factors when
    `relative`) and the batched `trajectory` (leading axis = value)."""

    parameter: str
    values: np.ndarray
    relative: bool
    trajectory: Trajectory

    @property
    def ok(self) -> np.ndarray:
        """(n,) True where the simulation at that value succeeded."""
        return np.asarray(self.trajectory.ok)

    def final(self, species: str) -> np.ndarray:
        """Concentration (mM) of `species` at the last save time, per value (NaN where it failed)."""
        return np.asarray(self.trajectory.species(species, allow_failed=True))[:, -1]

    def plot(self, species: Sequence[str], path: str | Path) -> Path:
        """Per species: its time courses coloured by the parameter value, and its final value
        against the parameter; saved to `path` (PNG, written atomically)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        species = list(species)
        if not species:
            raise SimulationInputError("plot needs at least one species")
        fig, axes = plt.subplots(len(species), 2, figsize=(9.0, 3.0 * len(species)), squeeze=False)
        t = np.asarray(self.trajectory.t)[0]
        cmap = plt.get_cmap("viridis")
        lo, hi = float(np.min(self.values)), float(np.max(self.values))
        label = f"{self.parameter} ({'factor' if self.relative else 'core units'})"
        for row, name in zip(axes, species):
            y = np.asarray(self.trajectory.species(name, allow_failed=True))
            for k, v in enumerate(self.values):
                row[0].plot(t, y[k], color=cmap((v - lo) / (hi - lo) if hi > lo else 0.5), lw=0.8)
            row[0].set_title(f"{name} (mM)")
            row[0].set_xlabel("time (min)")
            row[1].plot(self.values, y[:, -1], ".-")
            row[1].set_xlabel(label)
            row[1].set_ylabel(f"{name} at {t[-1]:g} min (mM)")
        fig.tight_layout()
        path = Path(path)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120, format="png")
        plt.close(fig)
        return path


def parameter_scan(
    cell,
    name: str,
    values,
    t,
    base: Perturbation | None = None,
    *,
    relative: bool = False,
    options: SolverOptions | None = None,
    **batch_kwargs,
) -> ParameterScan:
    """Simulate `base` once per value of parameter `name` (see module docstring).

    Args:
        cell: a compiled cell.
        name: an entry of `cell.theta_names` (case-insensitive; unknown names raise with close matches).
        values: 1-D, finite; factors (> 0) when `relative`.
        t: save times (min), as in `simulate`.
        base: the perturbation every lane starts from (None: wild type).
        options, batch_kwargs: passed to `simulate_batch`.

    Raises:
        UnknownNameError: an unknown parameter. PerturbationError / SimulationInputError: bad values.
    """
    vals = np.asarray(values, dtype=float)
    if vals.ndim != 1 or vals.size == 0 or not np.all(np.isfinite(vals)):
        raise SimulationInputError("scan values must be a non-empty 1-D sequence of finite numbers")
    canonical = cell.theta_names[parameter_index(cell, name)]
    if relative:
        parts = [parameter(canonical, factor=float(v)) for v in vals]
    else:
        parts = [parameter(canonical, float(v)) for v in vals]
    perts = [p if base is None else base + p for p in parts]
    traj = simulate_batch(cell, perts, t, options=options, **batch_kwargs)
    return ParameterScan(canonical, vals, relative, traj)
