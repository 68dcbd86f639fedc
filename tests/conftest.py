"""Shared fixtures: float64, reference data location, models loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

# The tests' time is mostly XLA compiling many small programs: compile them with LLVM's cheaper passes
# (the same HLO and the same IEEE arithmetic, no fast-math; ~18 % less time on compile-bound files,
# measured on test_sbml_teusink.py + test_fit.py). A user's own XLA_FLAGS win; subprocesses (docs,
# the wheel) inherit the setting, except the docs pages and examples (tests/test_docs_run.py `_env`), which
# run the long user-sized jobs where the default passes pay off (the README's 1000-lane batch took 165 s
# with the cheaper passes). Benchmarks never run under it.
TEST_XLA_FLAGS = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
os.environ.setdefault("XLA_FLAGS", TEST_XLA_FLAGS)

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)

import yeastcell as yc  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TEST_MODELS = REPO / "tests" / "models"


def reference_data_dir() -> Path:
    """YEASTCELL_REFERENCE_DATA, defaulting to ../shared/data beside the checkout."""
    return Path(os.environ.get("YEASTCELL_REFERENCE_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def refdata() -> Path:
    """The shared reference data folder; skip (locally) or fail (CI=true) when it is absent."""
    d = reference_data_dir()
    if not (d / "SOURCES.md").is_file():
        msg = (
            f"reference data not found at {d}; set YEASTCELL_REFERENCE_DATA to the folder "
            "holding SOURCES.md (../shared/data beside the checkout)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return d


@pytest.fixture(scope="session")
def two_step():
    return yc.load_cell(TEST_MODELS / "two_step.yaml")


@pytest.fixture(scope="session")
def core_spec():
    return yc.load_model("yeast_core")


@pytest.fixture(scope="session")
def core(core_spec):
    return yc.compile_model(core_spec)


@pytest.fixture(scope="module")
def textbook():
    """cobrapy's bundled E. coli core model (no download)."""
    import cobra

    return cobra.io.load_model("textbook")


@pytest.fixture(scope="module")
def gem(textbook):
    from yeastcell.gem import gem_from_cobra

    return gem_from_cobra(textbook)


@pytest.fixture(scope="module")
def runs():
    """The whole-cell signaling batch of tests/_signaling_runs.py (stage 1), every lane solved.

    It compiles the full model (metabolism + proteome + HOG + glucose + TORC1) and takes several CPU
    minutes: the checks using it are `slow` (``pytest -m slow tests/test_signaling_*.py``).
    """
    from _signaling_runs import stage1

    out = stage1()
    for name, tr in out.items():
        assert tr.ok, (name, tr.status)
    return out


@pytest.fixture(scope="session")
def user_scripts(tmp_path_factory, request) -> dict:
    """Start two interpreters at once (tests/_one_process.py) that share every selected runnable page
    and every selected example (test_examples_run.py): one takes the pages first, the other the
    examples first and then the pages from the last, each runs the next job the other has not claimed,
    so both cores stay busy to the end; each has its own JAX cache folder. Pages and examples that need
    the reference data run only where it exists (elsewhere their test skips or fails through
    `refdata`). Returns name ("pages", "examples") -> (root, RunningGroup, job count)."""
    import test_docs_run as docs
    import test_examples_run
    from _one_process import start_shared

    pages_root = tmp_path_factory.mktemp("pages")
    chosen = docs.selected_params(request, "test_page_python_blocks_run", "page")
    pages = [
        p
        for p in docs.RUN_PAGES
        if p in chosen and (docs._has_reference_data() or not docs._page_needs_reference_data(p))
    ]
    page_jobs = [docs._page_job(p, pages_root) for p in pages]
    examples_root = tmp_path_factory.mktemp("examples")
    example_jobs = test_examples_run.example_jobs(
        docs.selected_params(request, "test_example_runs_in_quick_mode", "example"), examples_root
    )
    envs = [docs._env(tmp_path_factory.mktemp(f"jax_cache_{k}")) for k in range(2)]
    group = start_shared(
        [page_jobs + example_jobs, example_jobs + page_jobs[::-1]], tmp_path_factory.mktemp("runners"), envs
    )
    n = len(page_jobs) + len(example_jobs)
    return {"pages": (pages_root, group, n), "examples": (examples_root, group, n)}


@pytest.fixture(scope="session", autouse=True)
def _user_scripts_start_early(request):
    """Start `user_scripts` with the session (not at the first docs test), so the pages and examples run
    beside the other serial tests; not in an xdist worker (there the fixture starts where it is used)."""
    wanted = {"test_page_python_blocks_run", "test_example_runs_in_quick_mode"}
    if not os.environ.get("PYTEST_XDIST_WORKER") and any(
        getattr(item, "originalname", "") in wanted for item in request.session.items
    ):
        request.getfixturevalue("user_scripts")
