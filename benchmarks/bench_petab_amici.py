"""PEtab round trip against AMICI: yeastcell fitting problems written as PEtab v2
(`yeastcell.petab.write_problem`), read back by yeastcell (`yeastcell.petab.load`) and by AMICI
(`amici.importers.petab.PetabImporter`, CVODES), both at rtol 1e-10, atol 1e-12: the negative
log-likelihood at the nominal parameters from each, and their relative difference (issue 29's
criterion: ≤ 1e-6). libpetab validates each problem first.

Problems: ``synthetic_knockouts`` (yeast_core in aerobic batch: wild type, pdc1/5/6 deletion, PFK1 at
50 %, a 20 mM glucose pulse at 4 min as a second experiment period; data = the simulation × log-normal
noise, seed 3), and the project's yeast problems (`yeastcell.petab.yeast`): the van Heerden 2014
glucose pulse (yeast_core) and the Kanshin 2015 HOG phosphosites (yeast_cell, relative data with
reference parameters).

AMICI is a benchmark extra that compiles from source (``pip install amici``: needs swig, a C++
compiler and BLAS, e.g. Debian's libopenblas-dev); run this script with the Python that has it.

    python benchmarks/bench_petab_amici.py [--problems NAME ...] [--record]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import machine, record, reference_data_dir

import yeastcell as yc
from yeastcell.data import Dataset
from yeastcell.perturb.notation import parse_perturbation

TOL = {"rtol": 1e-10, "atol": 1e-12}
SYNTHETIC = (
    "cond:aerobic_batch",
    "cond:aerobic_batch+ko:PDC1,PDC5,PDC6",
    "cond:aerobic_batch+kd:PFK1=0.5",
    "cond:aerobic_batch+pulse:GLC_e=20@4",
)


def write_synthetic(folder: Path) -> Path:
    """The synthetic knockout problem (see the module docstring) written into `folder`."""
    from yeastcell.petab.export import write_problem

    cell = yc.load_cell("yeast_core")
    t = np.array([0.0, 2.0, 5.0, 10.0, 20.0])
    obs = ("G6P_c", "F16BP_c", "PEP_c", "ETOH_e")
    tr = yc.simulate_batch(cell, [parse_perturbation(c) for c in SYNTHETIC], t, options=yc.SolverOptions(**TOL))
    sim = np.stack([np.asarray(tr.raise_if_failed().species(o)) for o in obs], -1)
    data = sim * np.exp(np.random.default_rng(3).normal(0.0, 0.1, sim.shape))
    measured = sim > 0
    ds = Dataset(SYNTHETIC, t, obs, np.where(measured, data, np.nan)[:, None], measured[:, None])
    return write_problem(cell, ds, folder, parameters=["PFK.Vmax", "HXK.Vmax"], sigma_log2=0.25)


def yeastcell_nllh(path: Path) -> tuple[float, float]:
    """(negative log-likelihood at the nominal parameters, wall s incl. import and compilation)."""
    import yeastcell.petab as yp

    t0 = time.perf_counter()
    objective = yp.load(path).objective(options=yc.SolverOptions(**TOL))
    value = objective.nllh(objective.x_nominal)
    return float(value), time.perf_counter() - t0


def amici_nllh(path: Path, workdir: Path) -> tuple[float, float]:
    """AMICI's negative log-likelihood at the nominal parameters, wall s incl. code generation."""
    import petab.v2
    from amici.importers.petab import PetabImporter

    # AMICI's generated extension must be built with the swig AMICI was built with (the one beside this Python)
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    t0 = time.perf_counter()
    problem = petab.v2.Problem.from_yaml(path)
    simulator = PetabImporter(problem, output_dir=workdir, verbose=False).create_simulator()
    simulator.solver.set_relative_tolerance(TOL["rtol"])
    simulator.solver.set_absolute_tolerance(TOL["atol"])
    result = simulator.simulate()
    failed = [r.status for r in result.rdatas if r.status != 0]
    if failed:
        raise RuntimeError(f"AMICI failed on {path}: statuses {failed}")
    return -float(result.llh), time.perf_counter() - t0


def main(argv=None) -> None:
    from yeastcell.petab.yeast import write_yeast_problems, yeast_problem_names

    names = ("synthetic_knockouts",) + yeast_problem_names()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problems", nargs="+", choices=names, default=list(names))
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    import petab.v2

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.problems:
            folder = Path(tmp) / name
            if name == "synthetic_knockouts":
                path = write_synthetic(folder)
            else:
                (path,) = write_yeast_problems(tmp, [name], root=reference_data_dir())
            issues = [str(e) for e in petab.v2.Problem.from_yaml(path).validate() if e.level >= 30]
            if issues:
                raise SystemExit(f"{name}: libpetab rejects the written problem: {issues}")
            ours, t_ours = yeastcell_nllh(path)
            theirs, t_theirs = amici_nllh(path, Path(tmp) / f"amici_{name}")
            rel = abs(ours - theirs) / abs(theirs)
            rows.append((name, ours, theirs, rel, t_ours, t_theirs))
            print(f"{name}: yeastcell {ours:.10g}, AMICI {theirs:.10g}, relative difference {rel:.2e}", flush=True)
    import amici

    lines = [
        "| problem | yeastcell −log L | AMICI −log L | relative difference | ≤ 1e-6 | yeastcell s | AMICI s |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for name, ours, theirs, rel, a, b in rows:
        lines.append(
            f"| {name} | {ours:.10g} | {theirs:.10g} | {rel:.1e} | {'yes' if rel <= 1e-6 else 'NO'} | {a:.0f} | {b:.0f} |"
        )
    lines += [
        "",
        f"- AMICI {amici.__version__} (CVODES), yeastcell {yc.__version__}; both rtol 1e-10, atol 1e-12; "
        "−log L at the nominal parameters of the written parameter table; every problem passed libpetab's "
        "validation. Times include import and compilation (AMICI: code generation and C++ build). "
        f"{machine()}",
    ]
    print("\n".join(lines))
    if not all(math.isfinite(r[1]) and math.isfinite(r[2]) for r in rows):
        raise SystemExit("a likelihood is not finite")
    if args.record:
        record("bench_petab_amici", lines, title="PEtab export round trip: yeastcell vs AMICI likelihoods")


if __name__ == "__main__":
    main()
