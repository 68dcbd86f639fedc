"""PEtab tables written from yeastcell results, atomically (`yeastcell.io.atomic_path`).

* `simulation_table`: the measurement table with a ``simulation`` column in place of
  ``measurement`` (the PEtab simulation-table format), for a parameter vector.
* `write_simulations`: that table as TSV.
* `write_parameters`: the parameter table with the estimated parameters' ``nominalValue`` set to
  a fitted vector (PEtab parameter-table style; v1 keeps ``parameterScale``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..io import atomic_path
from .errors import PetabError
from .objective import Evaluation, Objective


def simulation_table(objective: Objective, x=None, evaluation: Evaluation | None = None) -> pd.DataFrame:
    """The PEtab simulation table at x (default: nominal values).

    Raises:
        PetabError: a simulation failed (its rows and status codes are named; no NaN table is
            returned as if it were valid).
    """
    ev = evaluation if evaluation is not None else objective.evaluate(x)
    if not ev.ok:
        bad = np.nonzero(ev.status != 0)[0]
        raise PetabError(
            f"simulation failed for measurement row(s) {[int(r) + 1 for r in bad[:10]]} "
            f"(status codes {sorted({int(s) for s in ev.status[bad]})}); no simulation table written"
        )
    df = objective.problem.measurement_df.copy()
    cols = list(df.columns)
    df = df.rename(columns={"measurement": "simulation"})
    df["simulation"] = ev.simulations
    return df[[("simulation" if c == "measurement" else c) for c in cols]]


def _write_tsv(df: pd.DataFrame, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, float_format="%.17g")
    return path


def write_simulations(objective: Objective, x, path: str | Path) -> Path:
    """Write the simulation table at x to `path` (TSV); returns the path."""
    return _write_tsv(simulation_table(objective, x), path)


def parameter_table(objective: Objective, x) -> pd.DataFrame:
    """The problem's parameter table with the estimated parameters' nominal values set to x
    (x on the parameters' scales; the table holds linear values, as PEtab does)."""
    lin = np.asarray(objective.parameter_values(np.asarray(x, dtype=float)))
    rows = []
    v1 = objective.problem.version == "1"
    for i, p in enumerate(objective.parameters):
        row = {"parameterId": p.id}
        if v1:
            row["parameterScale"] = p.scale
        row.update(
            lowerBound=p.lb,
            upperBound=p.ub,
            nominalValue=float(lin[i]),
            estimate=int(p.estimate) if v1 else ("true" if p.estimate else "false"),
        )
        rows.append(row)
    return pd.DataFrame(rows)


def write_parameters(objective: Objective, x, path: str | Path) -> Path:
    """Write `parameter_table` at x to `path` (TSV)."""
    return _write_tsv(parameter_table(objective, x), path)
