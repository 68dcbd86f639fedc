"""yeastcell.bench: the task registry, the `yeastcell bench` command line and the RESULTS.md writer."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from yeastcell import refdata, results_file
from yeastcell.bench import (
    Option,
    Task,
    TaskResult,
    TaskUnavailableError,
    _scripts,
    get_task,
    list_tasks,
    register,
    run_task,
    table_from_markdown,
)
from yeastcell.bench import task as task_mod
from yeastcell.cli import main
from yeastcell.exceptions import UnknownNameError
from yeastcell.results_file import record

REPO = Path(__file__).resolve().parents[1]
ISSUE_TASKS = ("sbml", "essentiality", "throughput", "knockouts", "heldout", "phospho", "active")


def test_list_has_every_task_with_a_status(capsys):
    names = [t.name for t in list_tasks()]
    assert set(ISSUE_TASKS) <= set(names)
    for t in list_tasks():
        assert t.status() == "available" or t.status().startswith("not yet available: ")
        assert t.metrics and t.baselines and t.protocol
    assert main(["bench", "list"]) == 0
    out = capsys.readouterr().out
    for name in ISSUE_TASKS:
        assert name in out


def test_unknown_task_and_option_suggest_close_matches(capsys):
    with pytest.raises(UnknownNameError, match="'sbml'"):
        get_task("sbl")
    with pytest.raises(UnknownNameError, match="'cases'"):
        run_task("sbml", {"cass": "1"})
    assert main(["bench", "run", "knockuots"]) == 2
    assert "did you mean 'knockouts'" in capsys.readouterr().err
    with pytest.raises(task_mod.TaskOptionError, match="workers"):
        run_task("sbml", {"workers": "two"})


def _task(name, run, requires=None):
    return Task(
        name=name,
        title=f"test task {name}",
        description="d",
        data=(),
        protocol="p",
        metrics=("m",),
        baselines=("b",),
        run=run,
        options={"n": Option(int, 3, "n")},
        quick={"n": 1},
        requires=requires,
    )


def test_unavailable_task_refuses_to_run_with_the_reason():
    ran = []
    t = register(
        _task("_unavailable_for_test", lambda o: ran.append(o), lambda: "the code has not landed"), replace=True
    )
    assert t.status() == "not yet available: the code has not landed"
    with pytest.raises(TaskUnavailableError, match="has not landed"):
        run_task(t.name)
    assert ran == []  # never ran, so no number was produced
    with pytest.raises(ValueError, match="already registered"):
        register(t)


def test_options_defaults_quick_and_overrides():
    seen = []
    t = register(
        _task("_opts_for_test", lambda o: seen.append(o) or TaskResult("x", ("n",), ((o["n"],),))), replace=True
    )
    assert run_task(t.name).rows == ((3,),)
    assert run_task(t.name, quick=True).rows == ((1,),)
    assert run_task(t.name, {"n": "7"}, quick=True).rows == ((7,),)
    with pytest.raises(ValueError, match="cells"):
        TaskResult("x", ("a", "b"), ((1,),))


def test_script_tasks_say_where_the_script_lives_without_a_checkout(monkeypatch):
    monkeypatch.setattr(_scripts, "checkout_dir", lambda: None)
    t = get_task("active")
    assert "source" in t.status() and "bench_active.py" in t.status()
    assert "pip install -e .[bench]" in t.status()
    with pytest.raises(TaskUnavailableError, match="bench_active.py"):
        run_task("active", quick=True)
    with pytest.raises(FileNotFoundError, match="bench_knockouts.py"):
        _scripts.load_script("bench_knockouts")
    # the measurements that moved into the package need no checkout
    for name in ("sbml", "throughput", "phospho", "stress_proteome", "glucose_pulse", "essentiality", "growth"):
        assert "source checkout" not in get_task(name).status()


def test_missing_peer_names_the_extra_to_install(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    why = get_task("throughput").status()
    assert "libroadrunner" in why and "python-libsbml" in why and "pip install -e .[bench]" in why


def test_markdown_tables_from_scripts_parse():
    lines = ["some log line", "| work | a | b |", "|---|---:|---:|", "| x | 1.5 | 2 |", "", "tail"]
    res = table_from_markdown("t", lines)
    assert res.columns == ("work", "a", "b") and res.rows == (("x", "1.5", "2"),)
    assert res.to_markdown()[:3] == ["| work | a | b |", "|---|---|---|", "| x | 1.5 | 2 |"]


def test_record_writes_atomically(tmp_path, monkeypatch):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n## old section\n| a |\n")
    record(
        "New task",
        ["| x |", "|---|", "| 1 |"],
        title="a new task",
        command="yeastcell bench run new",
        path=path,
        note="machine shared",
    )
    text = path.read_text()
    assert text.startswith("# Benchmark results\n\n## old section\n| a |\n")
    assert "## New task — " in text and "- command: `yeastcell bench run new`" in text
    assert "- note: machine shared" in text and text.rstrip().endswith("| 1 |")

    # a write that dies halfway leaves the old file intact and no temporary file behind
    before = path.read_text()
    real_write = Path.write_text

    def dying_write(self, data, *a, **k):
        real_write(self, data[: len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", dying_write)
    with pytest.raises(KeyboardInterrupt):
        record("Broken", ["| y |"], command="c", path=path)
    monkeypatch.undo()
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RESULTS.md"]


def test_benchmark_scripts_share_the_package_writer(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    common = importlib.import_module("_common")
    assert common.record is results_file.record
    assert common.reference_data_dir() == refdata.reference_data_dir()
    assert results_file.default_results_path() == REPO / "benchmarks" / "RESULTS.md" == common.RESULTS


def test_sbml_task_runs_end_to_end_and_records(refdata, tmp_path, capsys):
    out = tmp_path / "RESULTS.md"
    rc = main(["bench", "sbml", "--quick", "--cases", "1", "--record", "--results", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    # case 00001 (a mass-action A -> B) matches the suite's reference results
    assert "| 1 | 1 | 0 | 0 | 0 | 100.0 % |" in printed
    text = out.read_text()
    assert "(yeastcell bench run sbml)" in text and "yeastcell bench sbml --quick --cases 1" in text
    assert "| 1 | 1 | 0 | 0 | 0 | 100.0 % |" in text
    assert "yeastcell.bench.sbml_suite" in sys.modules  # the package's suite runner did the work


def test_active_forecast_prefers_target_aware_where_the_most_uncertain_candidates_miss_the_targets(monkeypatch):
    """A linear world with six unknowns: the held-out outputs depend on the first only; five candidates
    per other unknown inform it strongly (the largest own gains), five inform the first weakly.
    Uncertainty-only fills its batches with the strong ones, target-aware with the weak ones, so its
    held-out sd and realized error are lower."""
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    fa = importlib.import_module("forecast_active")
    rows = [np.eye(6)[k] * 2.0 for k in range(1, 6) for _ in range(5)] + [np.eye(6)[0] * 0.3] * 5
    Jc = np.array(rows)[:, None, :]  # (30 candidates, 1 output, 6 unknowns)
    Jh = np.tile(np.eye(6)[0], (4, 1))
    res = fa.forecast(Jc, Jh, batch=3, rounds=2, designs=4, realizations=20)
    sd = {s: c.mean(0) for s, c in res["sd"].items()}
    assert sd["target"][-1] < 0.5 * sd["uncertainty"][-1]
    assert res["paired_mean"].mean() < 0
    assert np.isfinite(fa.seeds_for_power(res["paired_mean"]))


def test_bench_imports_run_one_way_at_module_level():
    """The registry (task.py) imports no task module; no yeastcell import hides inside a function."""
    import ast

    pkg = REPO / "yeastcell"
    files = sorted((pkg / "bench").glob("*.py")) + [pkg / "results_file.py", pkg / "refdata.py"]
    for path in files:
        tree = ast.parse(path.read_text())
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("yeastcell")):
                assert id(node) in top, f"{path.name}:{node.lineno} imports a yeastcell module inside a function"
                if path.name == "task.py":
                    assert node.module not in ("tasks",) and "tasks" not in [a.name for a in node.names]
            if isinstance(node, ast.Import) and any(a.name.startswith("yeastcell") for a in node.names):
                assert id(node) in top, f"{path.name}:{node.lineno} imports yeastcell inside a function"
