"""Plots of trajectories (matplotlib, Agg backend: files, no screen needed)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from .io import atomic_path


def plot_species(
    traj, species: list[str], path: str | Path, labels: list[str] | None = None, fluxes: list[str] | None = None
) -> Path:
    """One panel per species (and per flux), one line per condition; saved to `path` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [("species", s) for s in species] + [("flux", r) for r in (fluxes or [])]
    ncol = min(3, len(names))
    nrow = int(np.ceil(len(names) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.2 * nrow), squeeze=False)
    t = np.atleast_2d(np.asarray(traj.t))
    labels = labels or list(traj.labels) or [str(i) for i in range(t.shape[0])]
    for ax, (what, name) in zip(axes.flat, names):
        y = traj.species(name) if what == "species" else traj.reaction_flux(name)
        y = np.atleast_2d(y)
        for b in range(y.shape[0]):
            ax.plot(t[b], y[b], label=labels[b] if b < len(labels) else str(b))
        title, unit = panel_title(traj, what, name)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("time (min)")
        ax.set_ylabel(f"{'concentration' if what == 'species' else 'rate'} ({unit})")
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()

    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path


def panel_title(traj, what: str, name: str) -> tuple[str, str]:
    """Title of a species' (``what="species"``) or reaction's (``"flux"``) panel and its unit: the
    model's name for it (e.g. "glucose (medium)"), with the id where the name differs, and the unit
    (``"glucose (medium) [GLC_e], mM"``)."""
    spec = getattr(traj, "spec", None)
    ids = traj.species_ids if what == "species" else traj.reaction_ids
    lower = [x.lower() for x in ids]
    key = name if name in ids else (ids[lower.index(name.lower())] if name.lower() in lower else name)
    items = (spec.species if what == "species" else spec.reactions) if spec is not None else ()
    label = next((x.name for x in items if x.id == key and x.name), "") or key
    units = traj.units_of()["species" if what == "species" else "flux"] if hasattr(traj, "units_of") else {}
    unit = units.get(key, "mM" if what == "species" else "mM/min")
    title = label if label == key else f"{label} [{key}]"
    return "\n".join(textwrap.wrap(f"{title}, {unit}", 38)), unit
