"""Lahtvee et al. 2017 NaCl proteomics: direction of change of the modelled proteins, before and after training on heat and ethanol.

The whole-cell model (`yeast_cell`, from the named condition ``aerobic_clamped``) is simulated for
24 h without stress and under each NaCl level of the data within the model's validated range; the
predicted steady-state log2 change of every protein group that maps to model proteins is scored
against the measured change (yeastcell.lahtvee: changes of >= 1.5-fold with non-overlapping
replicates count; a model change < 0.1 log2 is "no change"). Then a synthesis-rate residual is
trained on the heat (33/36/38 °C) and ethanol (20/40/60 g/L) conditions only (the model has no
input for either stress) and the hybrid (NaCl shock + the residual's synthesis multipliers) is
simulated and scored on the same NaCl changes, never seen in training. Peers in the same run: the
"no change" predictor (0 by construction) and the residual alone (the mean change under the other
stresses, without the mechanistic model).

Times in hours (simulation) and seconds (wall); changes are log2 ratios. The command line with
``--record`` is ``benchmarks/bench_lahtvee.py``.
"""

from __future__ import annotations

import time

import numpy as np

import yeastcell as yc

from .. import perturb as P
from ..refdata import reference_data_dir
from ..studies.lahtvee2017 import (
    direction_score,
    gene_names,
    measured_change,
    model_log2fc,
    nacl_levels,
    protein_map,
    read_lahtvee2017,
    stress_residual,
)

CONDITION = "aerobic_clamped"


def stress_proteome_table(ridge: float = 1.0, hours: float = 24.0) -> list[str]:
    """Direction scores before and after training on heat + ethanol, as markdown lines.

    Args:
        ridge: shrinkage of the residual (pseudo-conditions of no change), dimensionless.
        hours: simulated time to the steady state (h).
    """
    t0 = time.perf_counter()
    ds = read_lahtvee2017(reference_data_dir())
    cell = yc.load_cell("yeast_cell")
    mapping = protein_map(cell, ds)
    obs = tuple(mapping)
    limit = {q.id: q.value for q in cell.spec.parameters}["NaCl_max_M"]
    levels = {c: x for c, x in nacl_levels(ds).items() if x <= limit}
    skipped = [c for c, x in nacl_levels(ds).items() if x > limit]
    train_conds = [c for c in ds.conditions if c.startswith(("cond:heat_", "cond:ethanol_"))]
    test = measured_change(ds, list(levels), obs)
    train = measured_change(ds, train_conds, obs)
    r = stress_residual(train, ridge=ridge)  # log2, per group
    names = gene_names(cell, ds, obs)
    factors: dict[str, float] = {}
    for o, rp in zip(obs, r):
        for g in names[o]:
            factors.setdefault(g, float(2.0**rp))
    residual = P.Combined(tuple(P.overexpress(g, f) for g, f in factors.items()))
    base = P.condition(CONDITION)
    lanes = (
        [base]
        + [base + P.osmotic_shock(x) for x in levels.values()]
        + [base + P.osmotic_shock(x) + residual for x in levels.values()]
    )
    traj = yc.simulate_batch(cell, lanes, t=np.array([0.0, 60.0 * hours / 2, 60.0 * hours]))
    traj.raise_if_failed()
    L = len(levels)
    fc = model_log2fc(cell, traj, mapping)
    # how far from steady state: the change of the log amounts over the second half of the run
    half = model_log2fc(cell, traj, mapping, time_index=1)
    drift = float(np.nanmax(np.abs(fc - half)))
    wall = time.perf_counter() - t0
    before = direction_score(fc[1 : 1 + L], test)
    after = direction_score(fc[1 + L :], test)
    alone = direction_score(np.broadcast_to(r, test.log2fc.shape), test)
    lines = [
        "| NaCl | measured changes (up / down) | model before training | hybrid after training on heat + ethanol | residual alone | no change |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k, c in enumerate(levels):
        ch = test.changed[k]
        up, down = int((ch & (test.log2fc[k] > 0)).sum()), int((ch & (test.log2fc[k] < 0)).sum())
        lines.append(
            f"| {levels[c]:g} M | {int(ch.sum())} ({up} / {down}) | {int(before.matched[k].sum())} | "
            f"{int(after.matched[k].sum())} | {int(alone.matched[k].sum())} | 0 |"
        )
    n = before.n_changed
    lines.append(
        f"| all levels | {n} | {before.n_matched} ({before.fraction:.3f}) | {after.n_matched} ({after.fraction:.3f}) | "
        f"{alone.n_matched} ({alone.fraction:.3f}) | 0 (0.000) |"
    )
    moved = [f"{'/'.join(names[o])} {fc[L, j]:+.2f}" for j, o in enumerate(obs) if abs(fc[L, j]) >= 0.1]
    lines += [
        "",
        (
            f"{len(obs)} measured protein groups map to model proteins; scored NaCl levels within the model's "
            f"validated range (NaCl_max_M = {limit:g} M){'; not simulated: ' + ', '.join(skipped) if skipped else ''}; "
            f"training conditions: {', '.join(train_conds)} ({int(train.changed.sum())} measured changes), "
            f"residual ridge {ridge:g}; steady state after {hours:g} h from {CONDITION} "
            f"(largest change of a log2 ratio over the second half: {drift:.3f}); {wall:.0f} s incl. compile"
        ),
        f"model changes >= 0.1 log2 at {list(levels.values())[-1]:g} M before training: "
        + (", ".join(moved) if moved else "none"),
    ]
    return lines
