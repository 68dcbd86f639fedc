"""Every example in examples/ runs in its quick mode (``--smoke``) and writes its figure (``--out``),
one after the other in one fresh interpreter (tests/_one_process.py: the models they share compile
once) with the checkout first on ``sys.path``, each from a temporary folder of its own."""

from __future__ import annotations

import pytest
from _one_process import Job
from conftest import REPO
from test_docs_run import _has_reference_data, _needs_reference_data

pytestmark = pytest.mark.serial

EXAMPLES = sorted((REPO / "examples").glob("*.py"))
EXAMPLE_TIMEOUT_S = 300


def test_every_example_has_a_quick_mode():
    for ex in EXAMPLES:
        src = ex.read_text(encoding="utf-8")
        assert '"--smoke"' in src and '"--out"' in src, f"{ex.name}: every example takes --smoke and --out"


def example_jobs(selected: set, root) -> list[Job]:
    """One job per selected example (its quick mode, its own folder); those that need the reference
    data only where it exists."""
    jobs = []
    for ex in (e for e in EXAMPLES if e in selected):
        if _needs_reference_data(ex.read_text(encoding="utf-8")) and not _has_reference_data():
            continue
        cwd = root / ex.stem
        cwd.mkdir()
        jobs.append(
            Job(name=ex.name, cwd=str(cwd), script=str(ex), argv=["--smoke", "--out", str(cwd / f"{ex.stem}.png")])
        )
    return jobs


@pytest.fixture(scope="module")
def example_results(user_scripts):
    """(root, results) of every selected example, run in the interpreter `user_scripts` started."""
    root, running, n = user_scripts["examples"]
    return root, running.wait(timeout_s=EXAMPLE_TIMEOUT_S * max(n, 1))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_in_quick_mode(example, example_results, request):
    if _needs_reference_data(example.read_text(encoding="utf-8")):
        request.getfixturevalue("refdata")
    root, (results, tail) = example_results
    assert example.name in results, (
        f"{example.name}: did not finish (the interpreter running the examples stopped):\n{tail}"
    )
    r = results[example.name]
    assert r.ok, f"{example.name} --smoke failed:\n{r.error}"
    png = root / example.stem / f"{example.stem}.png"
    assert png.is_file() and png.stat().st_size > 10_000, f"{example.name} wrote no figure"
    print(f"{example.name} --smoke: {r.seconds:.1f} s")
