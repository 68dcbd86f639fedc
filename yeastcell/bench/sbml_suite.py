"""The SBML Test Suite (semantic time-course cases) through yeastcell's SBML import.

For every TimeCourse case in ``<reference data>/sbml/test-suite`` (:func:`yeastcell.refdata.reference_data_dir`)
:func:`run_case` reads the case's ``-settings.txt``, imports the SBML file with
`yeastcell.sbml.load`, compiles it with `yeastcell.compile_model`, simulates it and compares every
requested variable at every time point with ``-results.csv`` as the suite defines it:
``|sim - ref| <= absolute + relative * |ref|`` (the variables' own units: amounts or
concentrations as the case asks). Each case is classified ``pass``, ``fail``, ``unsupported`` (the
import refused a construct; the construct's test-suite tag is recorded) or ``error``.
:func:`run_suite` runs a selection of cases in worker processes; :func:`summarize` counts them
overall and per tag. Needs python-libsbml (``pip install -e .[bench]``).

The default solver is Tsit5 (explicit, quick to compile: each case is a new model and XLA
compilation dominates the run time), with a retry using Kvaerno5 (stiff) when Tsit5 fails.
The command line with ``--record`` is ``benchmarks/sbml_test_suite.py``.
"""

from __future__ import annotations

import csv
import json
import math
import multiprocessing as mp
import os
import random
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

import diffrax
import jax
import jax.numpy as jnp
import numpy as np

from ..cells import SbmlCell
from ..compile import compile_model
from ..perturb import resolve
from ..refdata import reference_data_dir
from ..sbml import UnsupportedSBMLError
from ..sbml import load as sbml_load
from ..solvers import BatchBDF, SolverOptions, solve

# test-suite tags of constructs yeastcell refuses at import (never simulated silently wrong)
UNSUPPORTED_TAGS = {
    "CSymbolDelay": "the delay csymbol needs a history buffer (DDE)",
    "comp:ExternalModelDefinition": "the external SBML file a case refers to is not in the stored suite",
}
_CONSTRUCT_TAG = {
    "AlgebraicRule": "AlgebraicRule",
    "FastReaction": "FastReaction",
    "EventWithDelay": "EventWithDelay",
    "csymbol delay": "CSymbolDelay",
    "csymbol rateOf": "CSymbolRateOf",
    "comp": "comp:ExternalModelDefinition",
}


def suite_dir() -> Path:
    """The stored SBML Test Suite: ``<reference data>/sbml/test-suite``."""
    return reference_data_dir() / "sbml" / "test-suite"


@dataclass
class CaseResult:
    case: str
    outcome: str  # pass | fail | unsupported | error
    tags: tuple[str, ...] = ()
    tag: str = ""  # the tag responsible for unsupported
    detail: str = ""
    seconds: float = 0.0
    max_err: float = math.nan  # max of |sim-ref| / (atol + rtol |ref|)
    solver: str = ""


def read_index(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """case -> component and test tags, TimeCourse cases only."""
    path = path or suite_dir() / "index.tsv"
    out = {}
    with open(path) as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["test_type"].strip() != "TimeCourse":
                continue
            tags = [t.strip() for t in (row["component_tags"] + "," + row["test_tags"]).split(",") if t.strip()]
            out[row["case"]] = tuple(tags)
    return out


def read_settings(path: Path) -> dict:
    s = {}
    with open(path) as fh:
        lines = fh.read().splitlines()
    for line in lines:
        if ":" in line:
            k, v = line.split(":", 1)
            s[k.strip()] = v.strip()
    lists = {
        k: [x.strip() for x in s.get(k, "").split(",") if x.strip()] for k in ("variables", "amount", "concentration")
    }
    return {
        "start": float(s["start"]),
        "duration": float(s["duration"]),
        "steps": int(float(s["steps"])),
        "absolute": float(s.get("absolute", 0) or 0),
        "relative": float(s.get("relative", 0) or 0),
        **lists,
    }


def case_files(case: str, root: Path | None = None) -> tuple[Path, Path, Path]:
    d = (root or suite_dir()) / "cases" / case
    sbml = sorted(d.glob(f"{case}-sbml-l3v2.xml")) or sorted(d.glob(f"{case}-sbml-*.xml"))
    return sbml[-1], d / f"{case}-settings.txt", d / f"{case}-results.csv"


def _solver(name):
    """The solver of a name: "tsit5", "kvaerno5", "dopri5" (diffrax) or "bdf" (`BatchBDF`, for
    checking the batched BDF, its per-lane event location included)."""
    return {"tsit5": diffrax.Tsit5, "kvaerno5": diffrax.Kvaerno5, "dopri5": diffrax.Dopri5, "bdf": BatchBDF}[name]()


def simulate_case(case: str, solvers=("tsit5", "kvaerno5"), root: Path | None = None):
    """Import, compile and simulate one case; returns (times, {variable: values}, solver used, settings)."""
    sbml_path, settings_path, _ = case_files(case, root)
    st = read_settings(settings_path)
    spec = sbml_load(sbml_path)
    cell = compile_model(spec)
    ts = np.linspace(st["start"], st["start"] + st["duration"], st["steps"] + 1)
    cond = resolve(cell)
    atol = min(1e-12, st["absolute"] * 1e-4) if st["absolute"] > 0 else 1e-12
    for name in solvers:
        opts = SolverOptions(
            rtol=1e-9,
            atol=atol,
            max_steps=100_000 if name in ("kvaerno5", "bdf") else 20_000,
            max_events=200_000,
            solver=_solver(name),
            negative_tol=None,
        )
        values, status = solve(cell, cond, jnp.asarray(ts), opts)
        if int(status) == 0:
            break
    values = np.asarray(values)
    assert isinstance(cell, SbmlCell)  # an SBML model compiles to an SbmlCell
    sysm = cell.system
    renamed = dict(cast(Mapping[str, str], spec.annotations.get("renamed", {})))
    safe = {orig: s for s, orig in renamed.items()}
    index = {n: k for k, n in enumerate(sysm.names)}
    amount_vars = set(st["amount"])
    out = {}
    rx_ids = [r.id for r in spec.reactions]
    fluxes = None
    for var in st["variables"]:
        k = index.get(safe.get(var, var))
        if k is None and safe.get(var, var) in rx_ids:  # a reaction id: its rate
            if fluxes is None:

                def rate(y, t):
                    return sysm.rates(sysm.env(y, t, cell.theta), cell.theta)

                fluxes = np.asarray(jax.jit(jax.vmap(rate))(jnp.asarray(values), jnp.asarray(ts)))
            out[var] = fluxes[:, rx_ids.index(safe.get(var, var))]
            continue
        if k is None:
            raise KeyError(f"variable {var!r} not in the model")
        col = values[:, k]
        if sysm.n_comp <= k < sysm.n_comp + sysm.n_species:
            i = k - sysm.n_comp
            vol = values[:, sysm.species_comp[i]]
            if var in amount_vars:
                pass
            elif var in st["concentration"] or not sysm.amount_based[i]:
                with np.errstate(divide="ignore", invalid="ignore"):
                    col = col / vol
        out[var] = col
    return ts, out, name, st, int(status)


def compare(ts, sim: dict, results_csv: Path, st: dict):
    """Max over variables and times of |sim - ref| / (atol + rtol |ref|) (pass: <= 1)."""
    with open(results_csv) as fh:
        rows = list(csv.reader(fh))
    header = [h.strip() for h in rows[0]]
    ref = np.array([[float(x) if x.strip() else math.nan for x in r] for r in rows[1:] if r], dtype=float)
    worst, where = 0.0, ""
    for var, col in sim.items():
        if var not in header[1:]:  # column 0 is time (a variable may be called "Time" too)
            continue
        r = ref[:, 1 + header[1:].index(var)]
        n = min(len(r), len(col))
        r, c = r[:n], col[:n]
        both_nan = np.isnan(r) & np.isnan(c)
        same_inf = np.isinf(r) & (r == c)
        with np.errstate(invalid="ignore"):
            err = np.abs(c - r) / (st["absolute"] + st["relative"] * np.abs(r))
        err = np.where(both_nan | same_inf, 0.0, err)
        err = np.where(np.isnan(err), np.inf, err)
        k = int(np.argmax(err))
        if err[k] > worst:
            worst, where = float(err[k]), f"{var} at t={ts[k]:g}: sim {c[k]:.6g}, ref {r[k]:.6g}"
    return worst, where


def run_case(
    case: str, tags: tuple[str, ...] = (), solvers=("tsit5", "kvaerno5"), root: Path | None = None
) -> CaseResult:
    t0 = time.perf_counter()
    res = CaseResult(case, "error", tuple(tags))
    try:
        ts, sim, solver, st, status = simulate_case(case, solvers, root)
        res.solver = solver
        worst, where = compare(ts, sim, case_files(case, root)[2], st)
        res.max_err = worst
        res.outcome = "pass" if worst <= 1.0 else "fail"
        if res.outcome == "fail":
            res.detail = (f"status {status}; " if status else "") + where
    except UnsupportedSBMLError as err:
        res.outcome = "unsupported"
        res.tag = _CONSTRUCT_TAG.get(err.construct, err.construct)
        res.detail = str(err).split(": ", 1)[-1]
    except Exception as err:  # noqa: BLE001 - a crash is a result here, reported with its message
        res.outcome = "error"
        res.detail = f"{type(err).__name__}: {str(err)[:300]}"
    res.seconds = time.perf_counter() - t0
    if res.outcome != "unsupported":
        for t in tags:
            if t in UNSUPPORTED_TAGS and res.outcome != "pass":
                res.tag = t
    return res


class _CaseTimeout(BaseException):  # not swallowed by library `except Exception`
    pass


def _worker(args):
    case, tags, solvers, root, timeout = args
    jax.config.update("jax_enable_x64", True)
    if timeout:

        def on_alarm(signum, frame):
            raise _CaseTimeout(f"case took longer than {timeout:g} s")

        signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(math.ceil(timeout))
    try:
        r = run_case(case, tags, solvers, root)
    except _CaseTimeout as err:
        r = CaseResult(case, "error", tuple(tags), detail=f"timeout: {err}", seconds=timeout)
    finally:
        if timeout:
            signal.alarm(0)
    jax.clear_caches()
    return r


def parse_cases(spec: str | None, available) -> list[str]:
    if not spec:
        return sorted(available)
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = (int(x) for x in part.split("-"))
            out += [f"{i:05d}" for i in range(a, b + 1)]
        else:
            out.append(f"{int(part):05d}")
    return [c for c in out if c in available]


def claimed(tags) -> bool:
    """Whether yeastcell claims to support every tag of a case."""
    return not any(t in UNSUPPORTED_TAGS for t in tags)


def read_results(paths) -> dict[str, CaseResult]:
    """Per-case results of earlier runs (JSON-lines files written with ``--json``); a case in a
    later file replaces the same case in an earlier one (e.g. a re-run with fixed code)."""
    out = {}
    for path in paths:
        with open(path) as fh:
            for line in fh:
                if line.strip():
                    d = json.loads(line)
                    d["tags"] = tuple(d.get("tags", ()))
                    out[d["case"]] = CaseResult(**d)
    return out


def run_suite(
    cases: str | None = None,
    workers: int = 2,
    solvers=("tsit5", "kvaerno5"),
    root: Path | None = None,
    progress: bool = True,
    shuffle: bool = False,
    timeout: float = 0.0,
    stream=None,
    first: str | None = None,
    skip=(),
) -> list[CaseResult]:
    """Run the suite (or a subset: "1-100,205"); returns one `CaseResult` per case.

    `shuffle` runs the cases in a fixed pseudo-random order (so a run cut short is a uniform
    sample); `timeout` (s, 0 = none) ends a case with outcome "error" (checked between Python
    calls, so a compiled loop is not interrupted); `stream` (a text file) gets one JSON line per
    case as it finishes; `first` ("1-100,205") runs those cases before the others; cases in
    `skip` are not run.
    """
    index = read_index((root or suite_dir()) / "index.tsv")
    names = [c for c in parse_cases(cases, index) if c not in set(skip)]
    if shuffle:
        random.Random(20261125).shuffle(names)
    if first:  # e.g. the CI sample: run these before the rest
        head = [c for c in parse_cases(first, index) if c in names]
        names = head + [c for c in names if c not in set(head)]
    todo = [(c, index[c], tuple(solvers), root, timeout) for c in names]
    results = []
    # each case is a new model: XLA compilation dominates; the models are tiny, so skip LLVM's
    # expensive optimisations in the worker processes (no effect on numbers, only on speed)
    # (added to XLA_FLAGS, which `import yeastcell` has already set; a level the user chose wins)
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_backend_optimization_level" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_backend_optimization_level=0".strip()
    it: Iterator[CaseResult]
    if workers <= 1:
        it = map(_worker, todo)
        pool = None
    else:
        pool = mp.get_context("spawn").Pool(workers, maxtasksperchild=40)
        it = pool.imap_unordered(_worker, todo, chunksize=1)
    try:
        for r in it:
            results.append(r)
            if stream is not None:
                stream.write(json.dumps(asdict(r)) + "\n")
                stream.flush()
            if progress:
                print(
                    f"{r.case} {r.outcome:11s} {r.seconds:6.1f}s {r.tag} {r.detail[:110]}", file=sys.stderr, flush=True
                )
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return sorted(results, key=lambda r: r.case)


def summarize(results: list[CaseResult], seconds: float | None = None) -> str:
    n = len(results)
    c = Counter(r.outcome for r in results)
    cl = [r for r in results if claimed(r.tags)]
    cl_pass = sum(r.outcome == "pass" for r in cl)
    lines = [
        (
            f"cases: {n}   pass {c['pass']} ({100 * c['pass'] / max(n, 1):.1f} %)   fail {c['fail']}   "
            f"unsupported {c['unsupported']}   error {c['error']}"
        ),
        f"cases whose tags are all supported: {len(cl)}, pass {cl_pass} ({100 * cl_pass / max(len(cl), 1):.1f} %)",
    ]
    if seconds is not None:
        lines.append(f"wall time: {seconds:.0f} s ({seconds / max(n, 1):.2f} s per case)")
    per: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        for t in r.tags:
            per[t][r.outcome] += 1
    lines.append("")
    lines.append("| tag | cases | pass | fail | unsupported | error |")
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for t in sorted(per, key=lambda t: -sum(per[t].values())):
        k = per[t]
        lines.append(f"| {t} | {sum(k.values())} | {k['pass']} | {k['fail']} | {k['unsupported']} | {k['error']} |")
    unsup = Counter(r.tag for r in results if r.outcome == "unsupported")
    if unsup:
        lines += ["", "Unsupported (tag responsible: cases):"]
        lines += [f"- {t}: {k} — {UNSUPPORTED_TAGS.get(t, 'refused at import')}" for t, k in unsup.most_common()]
    bad = [r for r in results if r.outcome in ("fail", "error")]
    if bad:
        lines += ["", "Failures and errors:"]
        lines += [f"- {r.case} [{r.outcome}] tags {','.join(r.tags)}: {r.detail[:160]}" for r in bad]
    return "\n".join(lines)
