"""Cell growth and division: a cell-cycle model whose mass grows at a given rate and halves at division.

The mechanism is the budding-yeast cell cycle of Tyson, Chen & Novak 2001 (Nat Rev Mol Cell Biol
2:908; BioModels BIOMD0000000195, read by :func:`yeastcell.sbml.load` from the shared data):

* cell mass ``m`` (dimensionless, relative to the mass at which the model's size control
  operates) grows as ``dm/dt = mu · m · (1 − m/mmax)`` (``mu`` min⁻¹, ``mmax`` = 10; the model's
  published ``mu`` = 0.005 min⁻¹, a 139 min mass doubling time);
* size control: ``m`` drives the synthesis of the starter kinase (``SK``) and of the transcription
  factor ``TF`` of cyclin B (``CycBt``); Cdh1/Cdc20 exit mitosis;
* **division** is the model's own SBML event: when ``CycB`` falls below 0.1 (exit from mitosis),
  ``m`` is halved (symmetric division; the event-located solve of :mod:`yeastcell.solvers`).

So the division period is not set anywhere: it follows from the growth rate through the size
control. In balanced growth a cell must double its mass between divisions, so the period is
``ln 2 / μ_eff`` with ``μ_eff = mu · (1 − m/mmax)`` averaged over the cycle (≈ 0.93 ``mu`` at
``m`` ≈ 0.5–1 with ``mmax`` = 10: the period is ~7 % longer than ``ln 2 / mu``).

:func:`cell_growth` turns a specific growth rate μ (h⁻¹; e.g. the one the enzyme-constrained dFBA
predicts, :mod:`yeastcell.dfba`) into the perturbation that sets the model's ``mu``;
:func:`division_times` reads the divisions off a trajectory. One cell per lane: a population of
cells with different growth rates (or parameters) is one ``simulate_batch`` call.

Units: μ in h⁻¹ at the API, the model's time in min (its own unit), mass dimensionless.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from yeastcell.compile import compile_model
from yeastcell.exceptions import SimulationInputError
from yeastcell.perturb import parameter
from yeastcell.perturb.types import SetParameter
from yeastcell.refdata import ReferenceDataNotFound, reference_data_dir
from yeastcell.sbml import load as load_sbml
from yeastcell.trajectory import Trajectory

__all__ = [
    "CELL_CYCLE_MODEL",
    "DIVISION_DROP",
    "cell_growth",
    "division_periods",
    "division_times",
    "load_cell_cycle",
]

#: The cell-cycle model, relative to the reference data directory.
CELL_CYCLE_MODEL = Path("sbml") / "biomodels" / "BIOMD0000000195_tyson2001.xml"
#: Mass species, growth-rate parameter of the cell-cycle model.
MASS, GROWTH_PARAMETER = "m", "mu"
#: A drop of the mass by more than this fraction between two saved points is a division.
DIVISION_DROP = 0.3


def load_cell_cycle(path: str | Path | None = None):
    """The compiled cell-cycle model (an ``SbmlCell``), by default Tyson 2001 from the reference data.

    Raises:
        ReferenceDataNotFound: the reference data (or the file) is missing.
        SimulationInputError: the model lacks the mass species ``m``, the growth parameter ``mu``
            or an event that assigns ``m`` (the division).
    """
    if path is None:
        path = reference_data_dir() / CELL_CYCLE_MODEL
    path = Path(path)
    if not path.is_file():
        raise ReferenceDataNotFound(f"cell-cycle model not found: {path} (reference data: SOURCES.md)")
    spec = load_sbml(path)
    if MASS not in {s.id for s in spec.species}:
        raise SimulationInputError(f"{path.name}: no mass species {MASS!r}")
    if GROWTH_PARAMETER not in {p.id for p in spec.parameters}:
        raise SimulationInputError(f"{path.name}: no growth-rate parameter {GROWTH_PARAMETER!r}")
    if not any(v == MASS for e in spec.events for v, _ in e.assignments):
        raise SimulationInputError(f"{path.name}: no division event (an event assigning {MASS!r})")
    return compile_model(spec)


def cell_growth(mu_per_h: float) -> SetParameter:
    """The perturbation that makes the cell's mass grow at specific rate ``mu_per_h`` (h⁻¹).

    Sets the model's ``mu`` (min⁻¹) to ``mu_per_h / 60``.

    Raises:
        SimulationInputError: ``mu_per_h`` is not a positive finite number.
    """
    if not (isinstance(mu_per_h, (int, float)) and math.isfinite(mu_per_h) and mu_per_h > 0):
        raise SimulationInputError(f"growth rate must be a positive number of h⁻¹, got {mu_per_h!r}")
    return parameter(GROWTH_PARAMETER, float(mu_per_h) / 60.0)


def division_times(traj: Trajectory, allow_failed: bool = False) -> list[np.ndarray]:
    """Division times (model time, min) of every lane: the saved times right after ``m`` dropped
    by more than :data:`DIVISION_DROP` (resolution: the saving grid).

    Returns one array per lane (a single trajectory: a list of one); with ``allow_failed``, a
    failed lane gets an empty array (its numbers are not read).

    Raises:
        SimulationInputError: the trajectory has no species ``m``.
        SolverError: a lane failed (its numbers are not used).
    """
    if MASS not in traj.species_ids:
        raise SimulationInputError(f"the trajectory has no mass species {MASS!r} (not a cell-cycle model)")
    m = np.asarray(traj.species(MASS, allow_failed=allow_failed))
    failed = (np.asarray(traj.status) != 0).reshape(-1)
    t = np.asarray(traj.t)
    m2 = m.reshape(-1, m.shape[-1])
    t2 = np.broadcast_to(t, m.shape).reshape(m2.shape)
    out = []
    for mi, ti, bad in zip(m2, t2, np.broadcast_to(failed, (m2.shape[0],))):
        if bad:
            out.append(np.zeros(0))
            continue
        drop = np.flatnonzero(mi[1:] < (1.0 - DIVISION_DROP) * mi[:-1])
        out.append(ti[drop + 1])
    return out


def division_periods(traj: Trajectory, skip: int = 1, allow_failed: bool = False) -> np.ndarray:
    """Mean interval between divisions per lane (min), skipping the first ``skip`` intervals (the
    approach from the initial state to balanced growth); NaN for a lane with too few divisions
    (or, with ``allow_failed``, a failed lane)."""
    if not (isinstance(skip, int) and skip >= 0):
        raise SimulationInputError(f"skip must be an int >= 0, got {skip!r}")
    out = []
    for td in division_times(traj, allow_failed):
        d = np.diff(td)[skip:]
        out.append(float(d.mean()) if d.size else math.nan)
    return np.array(out)
