"""The PEtab test suite (petab_test_suite) through `yeastcell.petab`.

For every case ``<reference data>/petab/petab_test_suite/petabtests/cases/<version>/<format>/<NNNN>``
(v1.0.0/sbml, v2.0.0/sbml, v2.0.0/pysb) :func:`run_case` loads ``_NNNN.yaml`` with
`yeastcell.petab.load`, evaluates the objective at the nominal parameters and scores it as the
suite's ``petabtests/evaluate.py`` does: the simulation table (row by row, max |sim - ref| below
``tol_simulations``), chi² (|chi2 - ref| < ``tol_chi2``) and log-likelihood (|llh - ref| <
``tol_llh``) must all match; where the solution also gives ``log_prior`` (per parameter) and
``unnorm_log_posterior``, those must match their tolerances too. A case is ``pass``, ``fail``
(which quantity and by how much), ``unsupported`` (`UnsupportedPetabError` at load: the feature is
named) or ``error``. The math cases (``v2.0.0/math/math_tests.yaml``) evaluate each expression
with yeastcell's PEtab math (`yeastcell.petab.math`) against the expected value.

PySB cases need ``pysb`` and BioNetGen (``pip install -e .[bench]``: pysb, bionetgen); without
them they are reported as errors naming what is missing.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np
import pandas as pd
import yaml

from ..petab import UnsupportedPetabError
from ..petab import load as petab_load
from ..petab.math import compile_formula, parse
from ..petab.output import simulation_table
from ..refdata import reference_data_dir

SUITES = ("v1.0.0/sbml", "v2.0.0/sbml", "v2.0.0/pysb")
MATH = "v2.0.0/math"


def suite_dir() -> Path:
    """``<reference data>/petab/petab_test_suite/petabtests/cases``."""
    return reference_data_dir() / "petab" / "petab_test_suite" / "petabtests" / "cases"


@dataclass
class CaseResult:
    case: str  # e.g. v2.0.0/sbml/0009
    outcome: str  # pass | fail | unsupported | error
    detail: str = ""
    llh: float = math.nan
    chi2: float = math.nan
    sim_err: float = math.nan  # max |sim - ref| over the simulation table
    seconds: float = 0.0

    @property
    def suite(self) -> str:
        return self.case.rsplit("/", 1)[0]


def list_cases(root: Path | None = None, suites=SUITES) -> list[str]:
    root = root or suite_dir()
    out = []
    for s in suites:
        d = root / s
        if d.is_dir():
            out += [f"{s}/{c.name}" for c in sorted(d.iterdir()) if c.is_dir() and (c / f"_{c.name}.yaml").is_file()]
    return out


def _compare(name: str, value: float, ref: float, tol: float) -> str | None:
    if math.isinf(ref) and value == ref:
        return None
    if not abs(value - ref) < tol:
        return f"{name} {value:.10g} vs reference {ref:.10g} (tolerance {tol:g})"
    return None


def run_case(case: str, root: Path | None = None) -> CaseResult:
    """Load, evaluate and score one case (see module docstring)."""
    root = root or suite_dir()
    d = root / case
    n = d.name
    t0 = time.perf_counter()
    res = CaseResult(case, "error")
    try:
        with open(d / f"_{n}_solution.yaml") as fh:
            sol = yaml.safe_load(fh)
        problem = petab_load(d / f"_{n}.yaml")
        obj = problem.objective()
        ev = obj.evaluate()
        res.llh, res.chi2 = ev.llh, ev.chi2
        if not ev.ok:
            res.outcome = "fail"
            res.detail = f"simulation failed (status codes {sorted({int(s) for s in ev.status if s})})"
            return res
        sim = simulation_table(obj, evaluation=ev)
        problems = []
        errs = []
        for f in sol["simulation_files"]:
            ref = pd.read_csv(d / f, sep="\t")
            if len(ref) != len(sim):
                problems.append(f"simulation table has {len(sim)} rows, reference {len(ref)}")
                continue
            errs.append(float(np.max(np.abs(sim["simulation"].to_numpy() - ref["simulation"].to_numpy()))))
        res.sim_err = max(errs) if errs else math.nan
        if errs and not res.sim_err < sol["tol_simulations"]:
            problems.append(f"simulations differ by up to {res.sim_err:.3g} (tolerance {sol['tol_simulations']:g})")
        problems += [
            p
            for p in (
                _compare("chi2", ev.chi2, sol["chi2"], sol["tol_chi2"]),
                _compare("llh", ev.llh, sol["llh"], sol["tol_llh"]),
            )
            if p
        ]
        if "log_prior" in sol:
            tol = float(sol.get("tol_log_prior", 1e-12))
            for pid, ref_lp in sol["log_prior"].items():
                got = ev.log_prior.get(pid, math.nan)
                if p := _compare(f"log_prior[{pid}]", got, ref_lp, max(tol, 1e-12 * abs(ref_lp))):
                    problems.append(p)
        if "unnorm_log_posterior" in sol:
            if p := _compare(
                "unnorm_log_posterior",
                ev.unnorm_log_posterior,
                sol["unnorm_log_posterior"],
                sol.get("tol_unnorm_log_posterior", 1e-3),
            ):
                problems.append(p)
        res.outcome = "fail" if problems else "pass"
        res.detail = "; ".join(problems)
    except UnsupportedPetabError as err:
        res.outcome = "unsupported"
        res.detail = str(err).split("unsupported PEtab feature: ", 1)[-1]
    except Exception as err:  # noqa: BLE001 - a crash is a result here, reported with its message
        res.outcome = "error"
        res.detail = f"{type(err).__name__}: {str(err)[:400]}"
    finally:
        res.seconds = time.perf_counter() - t0
    return res


def run_math(root: Path | None = None) -> list[CaseResult]:
    """Each expression of ``v2.0.0/math/math_tests.yaml`` evaluated by `yeastcell.petab.math`."""
    root = root or suite_dir()
    with open(root / MATH / "math_tests.yaml") as fh:
        cases = yaml.safe_load(fh)["cases"]
    out = []
    for k, c in enumerate(cases):
        t0 = time.perf_counter()
        name = f"{MATH}/{k + 1:03d}"
        try:
            if isinstance(c["expected"], str) and not _is_number(c["expected"]):  # symbolic: parsed forms agree
                diff = parse(c["expression"]) - parse(c["expected"])
                ok = diff.simplify() == 0
                r = CaseResult(
                    name, "pass" if ok else "fail", "" if ok else f"{c['expression']!r} != {c['expected']!r}"
                )
                r.seconds = time.perf_counter() - t0
                out.append(r)
                continue
            f = compile_formula(parse(c["expression"]))
            got = float(f({}))
            want = float(c["expected"])
            ok = (
                (got == want)
                or (math.isnan(got) and math.isnan(want))
                or math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)
            )
            r = CaseResult(
                name, "pass" if ok else "fail", "" if ok else f"{c['expression']!r} = {got!r}, expected {want!r}"
            )
        except Exception as err:  # noqa: BLE001 - reported per expression
            r = CaseResult(name, "error", f"{c['expression']!r}: {type(err).__name__}: {str(err)[:200]}")
        r.seconds = time.perf_counter() - t0
        out.append(r)
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)  # also "inf", "-inf", "nan" (YAML reads them as strings)
    except ValueError:
        return False
    return True


def _worker(args) -> CaseResult:
    case, root = args
    jax.config.update("jax_enable_x64", True)
    r = run_case(case, root)
    jax.clear_caches()
    return r


def run_suite(
    cases: str | None = None, workers: int = 1, root: Path | None = None, progress: bool = True, math_tests: bool = True
) -> list[CaseResult]:
    """Run the selected cases (``None``: all; else comma-separated prefixes such as
    ``v1.0.0/sbml,v2.0.0/sbml/0009``) and, when `math_tests`, the math expressions."""
    root = root or suite_dir()
    names = list_cases(root)
    if cases:
        wanted = [c.strip() for c in cases.split(",") if c.strip()]
        names = [n for n in names if any(n == w or n.startswith(w.rstrip("/") + "/") for w in wanted)]
    todo = [(c, root) for c in names]
    results: list[CaseResult] = []
    it: Iterator[CaseResult]
    pool = None
    if workers <= 1:
        it = map(_worker, todo)
    else:
        pool = mp.get_context("spawn").Pool(workers, maxtasksperchild=20)
        it = pool.imap_unordered(_worker, todo, chunksize=1)
    try:
        for r in it:
            results.append(r)
            if progress:
                print(f"{r.case} {r.outcome:11s} {r.seconds:6.1f}s {r.detail[:150]}", file=sys.stderr, flush=True)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    if (
        math_tests
        and (root / MATH / "math_tests.yaml").is_file()
        and (not cases or any(MATH in c for c in cases.split(",")))
    ):
        results += run_math(root)
    return sorted(results, key=lambda r: r.case)


def counts(results: list[CaseResult]) -> dict[str, Counter]:
    """Outcome counts per suite (v1.0.0/sbml, v2.0.0/sbml, v2.0.0/pysb, v2.0.0/math)."""
    out: dict[str, Counter] = {}
    for r in results:
        out.setdefault(r.suite, Counter())[r.outcome] += 1
    return out


def summarize(results: list[CaseResult]) -> str:
    """Counts per suite, then every case that did not pass with its reason."""
    lines = ["| suite | cases | pass | fail | unsupported | error | pass rate |", "|---|---|---|---|---|---|---|"]
    for s, c in sorted(counts(results).items()):
        n = sum(c.values())
        lines.append(
            f"| {s} | {n} | {c['pass']} | {c['fail']} | {c['unsupported']} | {c['error']} | {100 * c['pass'] / n:.1f} % |"
        )
    bad = [r for r in results if r.outcome != "pass"]
    if bad:
        lines += ["", "Cases that do not pass:"]
        lines += [f"- {r.case} [{r.outcome}]: {r.detail}" for r in bad]
    return "\n".join(lines)
