"""Shared fixtures: float64, reference data location, models loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import jax
import pytest

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
