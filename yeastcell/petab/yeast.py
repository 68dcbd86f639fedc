"""The project's own yeast fitting problems, written as PEtab v2 problems for other tools.

The public PEtab benchmark collection has no yeast model. `write_yeast_problems(folder)` writes,
from the reference data (never shipped with the package), one PEtab problem per fit that yeastcell's
benchmarks run, each in its own sub-folder with a README naming the data source:

- ``vanheerden2014_glucose_pulse``: the embedded core model (yeast_core) after a 110 mM glucose
  pulse, nine intracellular metabolites (mM) over 337 s, the seven Vmax/ATPase constants of
  `yeastcell.bench.glucose_pulse` estimated within 1/20..20 times their literature values.
- ``kanshin2015_hog``: the whole-cell model (yeast_cell) after 0.4 M NaCl, the mapped phosphosites
  as fold changes vs the shocked culture's 0-min state over 60 min, the four HOG rate constants of
  ``benchmarks/bench_kanshin_fit.py`` estimated within 1/50..50 times their authored values (sd 0.5 log2).

Command line: ``yeastcell petab yeast FOLDER``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..compile import compile_model
from ..exceptions import UnknownNameError
from ..fit.params import bounded_parameters
from ..load import load_model
from .errors import ExportError
from .export import write_problem


@dataclass(frozen=True)
class YeastProblem:
    """One of the project's fits: how to build its dataset and which parameters it estimates."""

    name: str
    model: str
    dataset: Callable  # (reference-data root or None) -> (Dataset, observable mapping or None)
    parameters: tuple[str, ...]
    bound_factor: float
    sigma_log2: float
    note: str


def _vanheerden(root):
    from ..studies.vanheerden2014 import pulse_dataset

    return pulse_dataset(root), None


def _kanshin(root):
    from ..studies.kanshin2015 import mapped_dataset

    ds, mapping, _, _ = mapped_dataset(root)
    return ds, mapping


def _problems() -> dict[str, YeastProblem]:
    from ..studies.kanshin2015 import FIT_PARAMETERS as KANSHIN
    from ..studies.vanheerden2014 import FIT_PARAMETERS as VANHEERDEN

    out = [
        YeastProblem(
            "vanheerden2014_glucose_pulse",
            "yeast_core",
            _vanheerden,
            VANHEERDEN,
            20.0,
            0.3,
            "van Heerden et al. 2014 (Microb Cell Fact 13:147): glucose pulse to a chemostat",
        ),
        YeastProblem(
            "kanshin2015_hog",
            "yeast_cell",
            _kanshin,
            KANSHIN,
            50.0,
            0.5,
            "Kanshin et al. 2015 (Cell Rep 10:1202), as processed by Köksal et al. 2018: 0.4 M NaCl phosphoproteomics",
        ),
    ]
    return {p.name: p for p in out}


def yeast_problem_names() -> tuple[str, ...]:
    """Names of the problems `write_yeast_problems` writes."""
    return tuple(_problems())


def write_yeast_problems(
    folder: str | Path, names: Sequence[str] | None = None, root: str | Path | None = None
) -> list[Path]:
    """Write the named problems (default: all) as PEtab v2 problems into ``folder/NAME/``.

    Args:
        root: the reference-data folder (default: ``YEASTCELL_REFERENCE_DATA`` or ``../shared/data``).

    Returns:
        The ``problem.yaml`` path of each problem written.

    Raises:
        UnknownNameError: an unknown problem name (with close matches).
        DatasetError: the reference data are missing.
        ExportError: a problem folder exists already.
    """
    table = _problems()
    chosen = list(names) if names is not None else list(table)
    for n in chosen:
        if n not in table:
            raise UnknownNameError("yeast PEtab problem", n, list(table))
    taken = [str(Path(folder) / n) for n in chosen if (Path(folder) / n).exists()]
    if taken:
        raise ExportError(f"problem folders exist: {taken}; write_yeast_problems writes new folders")
    out = []
    for n in chosen:
        p = table[n]
        cell = compile_model(load_model(p.model))
        ds, mapping = p.dataset(root)
        ds = ds.replace(provenance={**dict(ds.provenance), "study": p.note, "model": p.model})
        out.append(
            write_problem(
                cell,
                ds,
                Path(folder) / n,
                parameters=bounded_parameters(cell, p.parameters, p.bound_factor),
                sigma_log2=p.sigma_log2,
                mapping=mapping,
                problem_id=n,
            )
        )
    return out
