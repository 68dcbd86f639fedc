"""Multi-start fits of a PEtab problem: scipy L-BFGS-B on the objective's jitted value and
gradient (`Objective.value_and_grad`), starts drawn uniformly within the bounds on the
parameters' scales (seeded), and a plot of the fit against the data.

A start whose simulation fails at a point sees a large finite penalty there (L-BFGS-B cannot take
``inf``), and a start that ends on such a point is reported as failed, never as a fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from ..io import atomic_path
from ..progress import bar
from .errors import PetabError
from .objective import Objective

_PENALTY = 1e12  # objective value of a point whose simulation failed (L-BFGS-B needs a finite number)


@dataclass
class Start:
    """One start: initial and final parameters (scaled), final nllh, optimizer message."""

    x0: np.ndarray
    x: np.ndarray
    nllh: float
    success: bool
    message: str
    evaluations: int


@dataclass
class PetabFit:
    """Result of `fit_problem`: the best start first in `starts` (sorted by nllh)."""

    x_ids: tuple[str, ...]
    starts: list[Start] = field(default_factory=list)

    @property
    def best(self) -> Start:
        ok = [s for s in self.starts if math.isfinite(s.nllh)]
        if not ok:
            raise PetabError("no start of the fit reached a point whose simulation succeeded")
        return ok[0]

    @property
    def x(self) -> np.ndarray:
        return self.best.x

    @property
    def nllh(self) -> float:
        return self.best.nllh


def draw_starts(objective: Objective, n: int, seed: int) -> np.ndarray:
    """`n` start vectors uniform within the bounds on the parameters' scales (seeded).

    Raises:
        PetabError: an estimated parameter has an infinite bound on its scale.
    """
    lb, ub = objective.lb, objective.ub
    bad = [p for p, a, b in zip(objective.x_ids, lb, ub) if not (math.isfinite(a) and math.isfinite(b))]
    if bad:
        raise PetabError(f"cannot draw starts: estimated parameter(s) {bad} have infinite bounds on their scale")
    rng = np.random.default_rng(seed)
    return lb + (ub - lb) * rng.random((n, len(lb)))


def fit_problem(
    objective: Objective,
    n_starts: int = 5,
    seed: int = 0,
    maxiter: int = 200,
    posterior: bool = False,
    progress: bool | None = None,
) -> PetabFit:
    """Minimise the negative log-likelihood (or, with `posterior`, the negative log-posterior)
    from `n_starts` seeded starts with L-BFGS-B within the bounds; starts sorted best first."""
    if n_starts < 1:
        raise PetabError(f"n_starts must be at least 1, got {n_starts}")
    if not objective.x_ids:
        raise PetabError("the problem estimates no parameter")
    starts = draw_starts(objective, n_starts, seed)
    out = PetabFit(objective.x_ids)
    bounds = list(zip(objective.lb, objective.ub))

    def fun(x):
        v, g = objective.value_and_grad(x, posterior=posterior)
        if not (math.isfinite(v) and np.all(np.isfinite(g))):
            return _PENALTY, np.zeros_like(x)
        return v, g

    with bar(total=n_starts, desc="PEtab fit (starts)", progress=progress) as pb:
        for x0 in starts:
            res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": maxiter})
            value = objective.neg_log_posterior(res.x) if posterior else objective.nllh(res.x)
            ok = math.isfinite(value)
            out.starts.append(
                Start(
                    x0,
                    np.asarray(res.x),
                    value if ok else math.inf,
                    bool(res.success) and ok,
                    str(res.message),
                    int(res.nfev),
                )
            )
            pb.update(1)
            pb.set_postfix_str(f"best nllh {min(s.nllh for s in out.starts):.6g}")
    out.starts.sort(key=lambda s: s.nllh)
    return out


def plot_fit(objective: Objective, x, path: str | Path) -> Path:
    """Measurements (points) and simulations at x (lines) per observable and experiment, one
    panel per observable; written atomically (format from the suffix, e.g. .png)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ev = objective.evaluate(x)
    if not ev.ok:
        raise PetabError("the simulation at the fitted parameters failed; no plot written")
    ms = objective.problem.tables.measurements
    obs_ids = list(dict.fromkeys(m.observable for m in ms))
    n = len(obs_ids)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, oid in zip(axes.ravel(), obs_ids):
        idx = [k for k, m in enumerate(ms) if m.observable == oid]
        exps = list(dict.fromkeys(ms[k].experiment for k in idx))
        for j, e in enumerate(exps):
            rows_e = sorted((k for k in idx if ms[k].experiment == e), key=lambda k: ms[k].time)
            t = np.array([ms[k].time for k in rows_e])
            finite = np.isfinite(t)
            color = f"C{j % 10}"
            ax.plot(
                t[finite], [ms[k].value for k, f in zip(rows_e, finite) if f], "o", color=color, label=f"{e or 'data'}"
            )
            ax.plot(t[finite], ev.simulations[rows_e][finite], "-", color=color)
        ax.set_title(oid)
        ax.set_xlabel("time (model units)")
        if len(exps) <= 6:
            ax.legend(fontsize=7)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.suptitle(f"fit vs data (points: measurements, lines: simulation), log-likelihood {ev.llh:.6g}")
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", dpi=120)
    plt.close(fig)
    return path
