"""Every example in examples/ runs in its quick mode (``--smoke``) and writes its figure (``--out``),
each in a fresh interpreter with the checkout first on ``sys.path``, from a temporary folder."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from conftest import REPO
from test_docs_run import _env, _needs_reference_data

pytestmark = pytest.mark.serial

EXAMPLES = sorted((REPO / "examples").glob("*.py"))
EXAMPLE_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def jax_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("jax_cache")


def test_every_example_has_a_quick_mode():
    for ex in EXAMPLES:
        src = ex.read_text(encoding="utf-8")
        assert '"--smoke"' in src and '"--out"' in src, f"{ex.name}: every example takes --smoke and --out"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_in_quick_mode(example, tmp_path, jax_cache, request):
    if _needs_reference_data(example.read_text(encoding="utf-8")):
        request.getfixturevalue("refdata")
    png = tmp_path / f"{example.stem}.png"
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, str(example), "--smoke", "--out", str(png)],
        cwd=tmp_path,
        env=_env(jax_cache),
        capture_output=True,
        text=True,
        timeout=EXAMPLE_TIMEOUT_S,
        check=False,
    )
    assert res.returncode == 0, f"{example.name} --smoke failed:\n{res.stderr[-3000:]}"
    assert png.is_file() and png.stat().st_size > 10_000, f"{example.name} wrote no figure"
    print(f"{example.name} --smoke: {time.perf_counter() - t0:.1f} s")
