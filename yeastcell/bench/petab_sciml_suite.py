"""The PEtab-SciML test suite through `yeastcell.petab.sciml`.

Data: ``<reference data>/petab/petab_sciml_testsuite/test_cases`` (`yeastcell.refdata`), three
categories:

* ``ml_model_import`` (001-054): import ``net.yaml``, run the forward pass for each of the three
  input / parameter sets of ``solutions.yaml`` and compare with the reference output: pass if
  ``|y - ref| <= 1e-4 + 1e-4 |ref|`` elementwise (the references are float32 PyTorch outputs;
  ``solutions.yaml`` states no tolerance). Dropout cases (a ``dropout: N`` field): the mean of N
  forward passes with dropout active (PRNG keys 0..N-1 split from a fixed seed) is compared with
  ``|mean - ref| <= 2e-2`` (the loosest tolerance the suite's generator used for its own dropout
  checks; the suite files give none).
* ``initialization`` (001-003): import the problem, compare every network array with
  ``solutions.yaml``'s reference file at its ``tol``.
* ``sciml_problem_import`` (001-039): see `yeastcell.petab.sciml.problem`; simulations, the
  log-likelihood and its gradient (mechanistic parameters and network arrays) at the tolerances of
  ``solutions.yaml``.

Each case ends ``pass``, ``fail`` (ran, outside tolerance; the worst entry is named) or ``error``
(raised; the message is kept). ``yeastcell bench run petab_sciml [--record]`` prints the counts and
every failure.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import yaml

from ..petab.sciml import load_network, read_inputs, read_outputs, read_parameters, with_parameters
from ..refdata import reference_data_dir
from .petab_sciml_cases import CaseResult, run_init_case, run_problem_case
from .task import Option, Task, TaskResult

SUITE_DIR = "petab/petab_sciml_testsuite/test_cases"
CATEGORIES = ("ml_model_import", "initialization", "sciml_problem_import")
ML_ATOL = 1e-4
ML_RTOL = 1e-4
DROPOUT_ATOL = 2e-2


def suite_root() -> Path:
    """The suite's ``test_cases`` folder under the reference data."""
    return reference_data_dir() / SUITE_DIR


def _first_array(groups: dict) -> np.ndarray:
    """The single array of a one-input/one-output file (``/inputs/<id>/data``)."""
    (inner,) = groups.values()
    if isinstance(inner, dict):
        (arr,) = inner.values()
        return arr
    return inner


def run_ml_case(case_dir: Path, seed: int = 0) -> CaseResult:
    """Score one ``ml_model_import`` case (see the module docstring)."""
    t0 = time.perf_counter()
    name = case_dir.name
    try:
        sol = yaml.safe_load((case_dir / "solutions.yaml").read_text())
        net = load_network(case_dir / sol["net_file"])
        n_sets = len(sol["net_output"])
        worst, where = 0.0, ""
        for i in range(n_sets):
            n = net
            if "net_ps" in sol:
                n = with_parameters(net, read_parameters(case_dir / sol["net_ps"][i])[net.net_id], sol["net_ps"][i])
            if "net_input" in sol:
                files = [sol["net_input"][i]]
            else:
                files = [sol[f"net_input_arg{j}"][i] for j in range(len(net.placeholders))]
            xs = [jnp.asarray(_first_array(read_inputs(case_dir / f)), jnp.float64) for f in files]
            ref = _first_array(read_outputs(case_dir / sol["net_output"][i])).astype(np.float64)
            if "dropout" in sol:
                keys = jax.random.split(jax.random.PRNGKey(seed + i), int(sol["dropout"]))
                y = np.asarray(jax.jit(jax.vmap(lambda k, n=n, xs=xs: n(*xs, key=k, training=True)))(keys).mean(axis=0))
                bound = np.full(ref.shape, DROPOUT_ATOL)
            else:
                y = np.asarray(n(*xs))
                bound = ML_ATOL + ML_RTOL * np.abs(ref)
            if y.shape != ref.shape:
                return CaseResult(
                    "ml_model_import",
                    name,
                    "fail",
                    f"set {i + 1}: output shape {y.shape}, reference {ref.shape}",
                    time.perf_counter() - t0,
                )
            ratio = np.abs(y - ref) / bound
            k = int(np.argmax(ratio))
            if ratio.flat[k] > worst:
                worst = float(ratio.flat[k])
                y_k, r_k, b_k = y.flat[k], ref.flat[k], bound.flat[k]
                at = tuple(int(v) for v in np.unravel_index(k, ref.shape))
                where = (
                    f"set {i + 1}, entry {at}: {y_k:.6g} vs {r_k:.6g} (|diff| {abs(y_k - r_k):.2g}, bound {b_k:.2g})"
                )
        outcome = "pass" if worst <= 1.0 else "fail"
        detail = f"worst {worst:.3g} of tolerance" + (f"; {where}" if outcome == "fail" else "")
    except Exception as err:  # a case that raises is recorded, never hidden
        outcome, detail = "error", f"{type(err).__name__}: {err}"
    return CaseResult("ml_model_import", name, outcome, detail, time.perf_counter() - t0)


def _selected(folder: Path, cases: str) -> list[Path]:
    dirs = sorted(p for p in folder.iterdir() if p.is_dir() and p.name.isdigit())
    if not cases:
        return dirs
    wanted: set[int] = set()
    for part in cases.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-")
            wanted.update(range(int(a), int(b) + 1))
        elif part:
            wanted.add(int(part))
    return [d for d in dirs if int(d.name) in wanted]


def run_suite(categories: Iterable[str] = CATEGORIES, cases: str = "", progress: bool = False) -> list[CaseResult]:
    """Run the selected cases (`cases` like ``1-10,18``; empty = all) of each category."""
    runners = {
        "ml_model_import": lambda: run_ml_case,
        "initialization": _init_runner,
        "sciml_problem_import": _problem_runner,
    }
    out = []
    for cat in categories:
        if cat not in runners:
            raise ValueError(f"unknown category {cat!r} (expected one of {CATEGORIES})")
        run_case = runners[cat]()
        for d in _selected(suite_root() / cat, cases):
            r = run_case(d)
            if progress:
                print(f"{cat} {r.case}: {r.outcome} ({r.seconds:.1f} s) {r.detail}", flush=True)
            out.append(r)
    return out


def _init_runner():

    return run_init_case


def _problem_runner():

    return run_problem_case


def summary_rows(results: list[CaseResult]) -> list[tuple]:
    """Per category: cases, pass, fail, error, pass rate (%), wall seconds."""
    rows = []
    for cat in CATEGORIES:
        rs = [r for r in results if r.category == cat]
        if not rs:
            continue
        n_pass = sum(r.outcome == "pass" for r in rs)
        rows.append(
            (
                cat,
                len(rs),
                n_pass,
                sum(r.outcome == "fail" for r in rs),
                sum(r.outcome == "error" for r in rs),
                f"{100 * n_pass / len(rs):.1f} %",
                f"{sum(r.seconds for r in rs):.0f}",
            )
        )
    return rows


def _run(o: dict) -> TaskResult:
    cats = tuple(c.strip() for c in o["categories"].split(",") if c.strip())
    t0 = time.perf_counter()
    results = run_suite(cats, o["cases"], progress=o["progress"])
    seconds = time.perf_counter() - t0
    if not results:
        raise ValueError(f"no case matches categories={o['categories']!r} cases={o['cases']!r}")
    rows = summary_rows(results)
    bad = [f"{r.category}/{r.case} [{r.outcome}] {r.detail}" for r in results if r.outcome != "pass"]
    notes = (
        f"categories {', '.join(cats)}; cases {o['cases'] or 'all'}; tolerances: ml_model_import "
        f"|y-ref| <= {ML_ATOL:g} + {ML_RTOL:g}|ref| (dropout means: {DROPOUT_ATOL:g}), others from each "
        "case's solutions.yaml. " + ("Failures: " + "; ".join(bad) if bad else "No failures.")
    )
    metrics = {f"pass_rate_{r[0]}": r[2] / r[1] for r in rows}
    metrics["wall_s"] = seconds
    cols = ("category", "cases", "pass", "fail", "error", "pass rate", "wall s")
    return TaskResult("petab_sciml", cols, tuple(rows), metrics, notes)


def petab_sciml_task() -> Task:
    """The registered ``petab_sciml`` benchmark task."""
    return Task(
        name="petab_sciml",
        title="PEtab-SciML test suite (network import, initialization, hybrid problems)",
        description="Imports each PEtab-SciML test case with yeastcell.petab.sciml: neural networks "
        "from the PEtab-SciML YAML/HDF5 format (forward passes vs reference outputs), network "
        "parameter initialization, and hybrid PEtab v2 problems (simulations, log-likelihood, "
        "gradients vs reference).",
        data=(SUITE_DIR,),
        protocol="per case pass/fail at the tolerances in the module docstring of "
        "yeastcell.bench.petab_sciml_suite (ml_model_import: 1e-4 abs + 1e-4 rel, dropout means "
        "2e-2; initialization and hybrid problems: the case's solutions.yaml); exceptions count as errors",
        metrics=("pass_rate_<category>: passing / cases of the category",),
        baselines=("the suite's reference values (PyTorch / PEtab.jl, shipped with the suite)",),
        run=_run,
        options={
            "categories": Option(str, ",".join(CATEGORIES), "comma-separated categories"),
            "cases": Option(str, "", "case numbers such as 1-10,18 (default: all)"),
            "progress": Option(bool, False, "print each case as it finishes"),
        },
        quick={"categories": "ml_model_import", "cases": "1-5"},
    )
