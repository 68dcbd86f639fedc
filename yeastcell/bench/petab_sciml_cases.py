"""Scoring one PEtab-SciML test-suite case of the ``sciml_problem_import`` and ``initialization``
categories (used by `yeastcell.bench.petab_sciml_suite`).

``sciml_problem_import``: simulations (measurement-table order) within ``tol_simulations``
(absolute), the log-likelihood (or log-posterior) within ``tol_llh`` / ``tol_log_posterior``, and
every gradient entry (``jax.grad`` of that objective; mechanistic parameters from ``grad_mech.tsv``,
network arrays from ``grad_<net>.hdf5``; arrays stored empty there are frozen and skipped) within
``tol_grad`` (absolute, elementwise). ``initialization``: every nominal network array within
``tol`` of the reference array file.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np
import yaml

from ..petab.sciml.arrays import read_parameters
from ..petab.sciml.hybrid_problem import load_problem


@dataclass(frozen=True)
class CaseResult:
    """One case: category, case id, outcome (pass / fail / error), detail, wall seconds."""

    category: str
    case: str
    outcome: str
    detail: str
    seconds: float


def _result(category: str, case: str, outcome: str, detail: str, t0: float) -> CaseResult:
    return CaseResult(category, case, outcome, detail, time.perf_counter() - t0)


def run_problem_case(case_dir: Path):
    """Score one ``sciml_problem_import`` case; returns a `CaseResult`."""
    t0 = time.perf_counter()
    cat = "sciml_problem_import"
    try:
        sol = yaml.safe_load((case_dir / "solutions.yaml").read_text())
        problem = load_problem(case_dir / "petab" / "problem.yaml")
        fails: list[str] = []
        sims = np.asarray(problem.simulate()[0])
        ref_sims: list[float] = []
        for f in sol["simulation_files"]:
            with open(case_dir / f, newline="") as fh:
                ref_sims += [float(r["simulation"]) for r in csv.DictReader(fh, delimiter="\t")]
        tol_sim = float(sol["tol_simulations"])
        if len(ref_sims) != len(sims):
            fails.append(f"{len(sims)} simulations, reference has {len(ref_sims)}")
        else:
            d = np.abs(sims - np.asarray(ref_sims))
            if d.max() > tol_sim:
                k = int(d.argmax())
                fails.append(f"simulation row {k + 1}: {sims[k]:.8g} vs {ref_sims[k]:.8g} (tol {tol_sim:g})")
        key = "llh" if "llh" in sol else "log_posterior"
        tol_obj = float(sol[f"tol_{key}"])
        value, grad = jax.value_and_grad(problem.objective)(problem.theta0)
        if abs(float(value) - float(sol[key])) > tol_obj:
            fails.append(f"{key} {float(value):.10g} vs {float(sol[key]):.10g} (tol {tol_obj:g})")
        tol_g = float(sol["tol_grad"])
        worst = 0.0
        n_checked = 0
        for name, f in sol["grad_files"].items():
            if name == "mech":
                with open(case_dir / f, newline="") as fh:
                    for r in csv.DictReader(fh, delimiter="\t"):
                        pid = r["parameterId"]
                        if pid not in grad["mech"]:
                            fails.append(f"gradient for {pid}: not an estimated parameter here")
                            continue
                        g, ref = float(grad["mech"][pid]), float(r["value"])
                        n_checked += 1
                        worst = max(worst, abs(g - ref))
                        if abs(g - ref) > tol_g:
                            fails.append(f"d{key}/d{pid} {g:.8g} vs {ref:.8g} (tol {tol_g:g})")
                continue
            for nid, layers in read_parameters(case_dir / f).items():
                for lid, arrs in layers.items():
                    for aname, ref_arr in arrs.items():
                        if ref_arr.size == 0:  # frozen array: no gradient in the reference
                            continue
                        g_arr = np.asarray(grad["nets"][nid][lid][aname])
                        if g_arr.shape != ref_arr.shape:
                            fails.append(f"gradient {nid}.{lid}.{aname}: shape {g_arr.shape} vs {ref_arr.shape}")
                            continue
                        d = np.abs(g_arr - ref_arr)
                        n_checked += d.size
                        worst = max(worst, float(d.max()))
                        if d.max() > tol_g:
                            k = int(d.argmax())
                            fails.append(
                                f"gradient {nid}.{lid}.{aname}{[int(v) for v in np.unravel_index(k, d.shape)]}: "
                                f"{g_arr.flat[k]:.8g} vs {ref_arr.flat[k]:.8g} (tol {tol_g:g}; {int((d > tol_g).sum())}/{d.size} entries out)"
                            )
        if fails:
            return _result(cat, case_dir.name, "fail", "; ".join(fails), t0)
        detail = f"{len(sims)} simulations, {key}, {n_checked} gradient entries (worst |diff| {worst:.2g})"
        return _result(cat, case_dir.name, "pass", detail, t0)
    except Exception as err:  # recorded, never hidden
        return _result(cat, case_dir.name, "error", f"{type(err).__name__}: {err}", t0)


def run_init_case(case_dir: Path):
    """Score one ``initialization`` case; returns a `CaseResult`."""
    t0 = time.perf_counter()
    cat = "initialization"
    try:
        sol = yaml.safe_load((case_dir / "solutions.yaml").read_text())
        problem = load_problem(case_dir / "petab" / "problem.yaml")
        tol = float(sol["tol"])
        fails = []
        n = 0
        for nid, f in sol["parameter_files"].items():
            ref = read_parameters(case_dir / f)[nid]
            got = problem.networks[nid].params
            for lid, arrs in ref.items():
                for aname, ref_arr in arrs.items():
                    g = np.asarray(got[lid][aname])
                    n += g.size
                    if g.shape != ref_arr.shape or np.abs(g - ref_arr).max() > tol:
                        fails.append(f"{nid}.{lid}.{aname} differs from {f} (tol {tol:g})")
        if fails:
            return _result(cat, case_dir.name, "fail", "; ".join(fails), t0)
        return _result(cat, case_dir.name, "pass", f"{n} array entries within {tol:g}", t0)
    except Exception as err:
        return _result(cat, case_dir.name, "error", f"{type(err).__name__}: {err}", t0)
