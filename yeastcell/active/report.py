"""Reports of closed-loop runs: what was chosen and why, learning curves (tables and plots)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..io import atomic_path
from .loop import learning_curve


def loop_report(folder: str | Path) -> str:
    """Markdown: one section per round (held-out error of the model, experiments chosen and why)."""
    folder = Path(folder)
    cfg = json.loads((folder / "config.json").read_text())
    state = folder / "state.json"
    done = json.loads(state.read_text())["completed_rounds"] if state.exists() else 0
    lines = [
        f"# Closed loop in {folder}",
        "",
        (
            f"strategy {cfg['strategy']}, {len(cfg['candidates'])} candidates, batch {cfg['batch_size']}, "
            f"{cfg['rounds']} rounds ({done} completed), ensemble of {cfg['n_members']}, seed {cfg['seed']}"
        ),
        "",
    ]
    metrics = {m["round"]: m for m in learning_curve(folder)}
    for r in range(cfg["rounds"]):
        rd = folder / f"round_{r:03d}"
        if not (rd / "decisions.json").exists():
            break
        d = json.loads((rd / "decisions.json").read_text())
        m = metrics.get(r, {})
        err = f", held-out RMSE {m['heldout_rmse']:.4g}" if "heldout_rmse" in m else ""
        lines.append(f"## Round {r}: {m.get('n_experiments', 0)} experiments before{err}")
        for c, why in zip(d["chosen"], d["rationale"]):
            lines.append(f"- {c}: {why}")
        lines.append("")
    if "final" in {p.name for p in folder.iterdir()} and (folder / "final" / "metrics.json").exists():
        m = json.loads((folder / "final" / "metrics.json").read_text())
        err = f", held-out RMSE {m['heldout_rmse']:.4g}" if "heldout_rmse" in m else ""
        lines.append(f"## Final model: {m['n_experiments']} experiments{err}")
    return "\n".join(lines) + "\n"


def plot_learning_curves(curves: Mapping[str, Sequence[Sequence[dict]]], path: str | Path, title: str = "") -> Path:
    """Held-out error vs experiments, one line (mean ± sd over runs) per label; PNG/PDF, atomic.

    Args:
        curves: label -> list of runs, each a learning curve (list of metric dicts as returned by
            :func:`~yeastcell.active.loop.learning_curve`).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, runs in curves.items():
        n = np.array([[m["n_experiments"] for m in run] for run in runs], dtype=float)
        e = np.array([[m["heldout_rmse"] for m in run] for run in runs], dtype=float)
        x, mu, sd = n.mean(axis=0), e.mean(axis=0), e.std(axis=0, ddof=1) if len(runs) > 1 else 0 * e[0]
        ax.plot(x, mu, marker="o", ms=3, label=f"{label} (n={len(runs)})")
        ax.fill_between(x, mu - sd, mu + sd, alpha=0.2)
    ax.set_xlabel("experiments (conditions measured)")
    ax.set_ylabel("held-out RMSE (standardised)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path
