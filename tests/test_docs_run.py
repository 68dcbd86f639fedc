"""Runnable documentation: every ```python block of README.md and docs/*.md runs, so none can go
stale (the examples run in their quick mode in tests/test_examples_run.py, a file of its own so that
the two halves run on different xdist workers under ``--dist loadfile``).

* A page's blocks run in order in one namespace (a page is one session: a later block may use names
  an earlier one defined), in a temporary working folder, with the checkout first on ``sys.path``
  and matplotlib's Agg backend. All pages run one after the other in one fresh interpreter
  (tests/_one_process.py), so the models they share compile once. A failure names the page and the
  line of the block.
* A block preceded by ``<!-- norun: reason -->`` is only compiled, not run; such blocks must be rare
  (`MAX_NORUN`) and give a reason.

Programs compiled by one subprocess are reused by the next where JAX's persistent compilation cache
can hold them (a folder shared by this module's subprocesses).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from _one_process import Job
from conftest import REPO, TEST_XLA_FLAGS, reference_data_dir

pytestmark = pytest.mark.serial

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
NORUN = re.compile(r"^\s*<!--\s*norun:\s*(?P<reason>\S.*?)\s*-->\s*$")
MAX_NORUN = 3  # blocks that are only compiled, over all pages
PAGE_TIMEOUT_S = 300


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the first code line
    code: str
    norun: str | None  # the reason, for a block marked not runnable

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def python_blocks(page: Path) -> list[Block]:
    """The ```python blocks of a Markdown page, with the line they start on and their norun marker."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            m = NORUN.match(lines[j]) if j >= 0 else None
            end = i + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            blocks.append(Block(page, i + 2, "\n".join(lines[i + 1 : end]) + "\n", m["reason"] if m else None))
            i = end
        i += 1
    return blocks


def _needs_reference_data(code: str) -> bool:
    return "reference_data_dir" in code or "YEASTCELL_REFERENCE_DATA" in code


def _installed_as_wheel() -> bool:
    """True when yeastcell is installed as a built package (not editable), as CI's ``pip install
    ".[test]"`` does: snippets and examples then run against that installation, from a folder outside
    the checkout, so a file missing from the wheel fails them. Otherwise (an editable install, a
    worktree) they run against this checkout."""
    try:
        dist = importlib.metadata.distribution("yeastcell")
    except importlib.metadata.PackageNotFoundError:
        return False
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    return not direct.get("dir_info", {}).get("editable", False)


INSTALLED = _installed_as_wheel()


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    if not INSTALLED:
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    flags = env.get("XLA_FLAGS", "")
    if TEST_XLA_FLAGS in flags:  # user-sized jobs: XLA's default passes (tests/conftest.py)
        rest = flags.replace(TEST_XLA_FLAGS, "").strip()  # what `import yeastcell` added stays
        if rest:
            env["XLA_FLAGS"] = rest
        else:
            del env["XLA_FLAGS"]
    env["MPLBACKEND"] = "Agg"
    env.setdefault("YEASTCELL_REFERENCE_DATA", str(reference_data_dir()))
    env["JAX_COMPILATION_CACHE_DIR"] = str(cache)
    env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"  # the small compiles add up
    return env


def _runner(blocks: list[Block]) -> str:
    """A script that runs the blocks in one namespace, each compiled under its page's name and line
    numbers (a traceback points into the Markdown file)."""
    parts = ["import sys, time", "ns = {'__name__': '__main__'}"]
    for b in blocks:
        src = "\n" * (b.line - 1) + b.code
        parts.append(f"print('### block', {b.where!r}, flush=True); t0 = time.perf_counter()")
        parts.append(f"exec(compile({src!r}, {str(b.page)!r}, 'exec'), ns)")
        parts.append(f"print('### block', {b.where!r}, 'done in %.1f s' % (time.perf_counter() - t0), flush=True)")
    return "\n".join(parts) + "\n"


def test_blocks_are_found_and_norun_is_rare_and_explained():
    blocks = [b for p in PAGES for b in python_blocks(p)]
    assert any(b.page.name == "README.md" for b in blocks), "the README's Python block was not found"
    norun = [b for b in blocks if b.norun is not None]
    assert len(norun) <= MAX_NORUN, f"too many blocks marked norun: {[b.where for b in norun]}"
    for b in blocks:  # every block, run or not, is at least valid Python
        compile(b.code, b.where, "exec")


RUN_PAGES = [p for p in PAGES if any(b.norun is None for b in python_blocks(p))]


def _page_job(page: Path, root: Path) -> Job:
    cwd = root / page.stem
    cwd.mkdir(parents=True, exist_ok=True)
    blocks = [(str(b.page), b.line, b.code) for b in python_blocks(page) if b.norun is None]
    return Job(name=str(page.relative_to(REPO)), cwd=str(cwd), blocks=blocks)


def _has_reference_data() -> bool:
    return (Path(reference_data_dir()) / "SOURCES.md").is_file()


def selected_params(request, test_name: str, param: str) -> set:
    """The values of `param` of the selected items of test `test_name` in this session."""
    return {
        item.callspec.params[param]
        for item in request.session.items
        if getattr(item, "originalname", "") == test_name and hasattr(item, "callspec")
    }


@pytest.fixture(scope="module")
def page_results(user_scripts):
    """Every selected runnable page's result (`user_scripts`)."""
    _, running, n = user_scripts["pages"]
    return running.wait(timeout_s=PAGE_TIMEOUT_S * max(n, 1))


def _page_needs_reference_data(page: Path) -> bool:
    return any(_needs_reference_data(b.code) for b in python_blocks(page) if b.norun is None)


@pytest.mark.parametrize("page", RUN_PAGES, ids=[str(p.relative_to(REPO)) for p in RUN_PAGES])
def test_page_python_blocks_run(page, page_results, request):
    if _page_needs_reference_data(page):
        request.getfixturevalue("refdata")  # skips (locally) or fails (CI) without the data
    results, tail = page_results
    name = str(page.relative_to(REPO))
    assert name in results, f"{name}: did not finish (the interpreter running the pages stopped):\n{tail}"
    r = results[name]
    assert r.ok, f"{name}: a Python block failed after {r.seconds:.0f} s\n{r.error}"
    print(f"{name}: {r.seconds:.1f} s")
