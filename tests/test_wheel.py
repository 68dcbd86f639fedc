"""A plain wheel is complete: built from the checkout, installed into a fresh virtual environment
(dependencies from the running environment through ``--system-site-packages``, so no network is
needed for them) and used from a folder outside the checkout: the command line, a simulation, an
example's quick mode, the package data the code reads at run time, the benchmark tasks (each runs or
names what it needs) and the reference-data default (none from a wheel: a clear message).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, reference_data_dir

pytestmark = pytest.mark.serial

# What a task that cannot run must name: the extra to install, the checkout it needs, or the data.
NEEDS = ("pip install", "[bench]", "source checkout", "YEASTCELL_REFERENCE_DATA", "reference data")


def _run(cmd, cwd, env, timeout=600):
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return res


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-w", str(out), "-q"]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.append("--no-build-isolation")  # the build backend is here: no index needed
    res = _run(cmd, cwd=out, env=dict(os.environ), timeout=300)
    if res.returncode != 0 and "hatchling" in res.stderr and "No matching distribution" in res.stderr:
        pytest.skip("cannot build the wheel: the build backend hatchling is not installed and no index is reachable")
    assert res.returncode == 0, res.stderr[-3000:]
    (whl,) = out.glob("yeastcell-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv (with the running environment's site-packages) holding only the wheel's yeastcell."""
    try:
        import venv as _venv  # noqa: F401
    except ImportError:
        pytest.skip("the venv module is not available in this Python")
    root = tmp_path_factory.mktemp("venv") / "env"
    res = _run([sys.executable, "-m", "venv", "--system-site-packages", str(root)], cwd=root.parent, env=None)
    if res.returncode != 0:
        pytest.skip(f"cannot create a virtual environment (venv/ensurepip unavailable?): {res.stderr[-500:]}")
    py = root / ("Scripts" if os.name == "nt" else "bin") / "python"
    res = _run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--force-reinstall", str(wheel)],
        cwd=root,
        env=None,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return root


def _env(venv: Path, refdata: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "YEASTCELL_REFERENCE_DATA")}
    bindir = str(venv / ("Scripts" if os.name == "nt" else "bin"))
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(venv)
    env["MPLBACKEND"] = "Agg"
    if refdata:
        env["YEASTCELL_REFERENCE_DATA"] = str(reference_data_dir())
    return env


def _bin(venv: Path, name: str) -> str:
    return str(venv / ("Scripts" if os.name == "nt" else "bin") / name)


def test_the_wheel_ships_every_file_the_code_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = [p for p in (REPO / "yeastcell").rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    expected = {p.relative_to(REPO).as_posix() for p in data}
    expected |= {f"yeastcell/models/{p.name}" for p in (REPO / "models").glob("*.yaml")}
    assert "yeastcell/studies/maps/kanshin2015_site_map.tsv" in expected
    missing = sorted(expected - names)
    assert not missing, f"files the package reads at run time but the wheel lacks: {missing}"


def test_installed_wheel_runs_outside_the_checkout(venv, tmp_path):
    env = _env(venv, refdata=True)
    py = _bin(venv, "python")
    # the venv's own copy is the one imported, not the checkout or an editable install
    res = _run([py, "-c", "import yeastcell, sys; print(yeastcell.__file__)"], cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    assert Path(res.stdout.strip()).resolve().is_relative_to(venv.resolve()), res.stdout

    res = _run([_bin(venv, "yeastcell"), "--help"], cwd=tmp_path, env=env)
    assert res.returncode == 0 and "simulate" in res.stdout, res.stderr[-2000:]

    out = tmp_path / "run.csv"
    cmd = [_bin(venv, "yeastcell"), "simulate", "-p", "wt", "-p", "ko:PDC1,PDC5,PDC6", "--t-end", "2"]
    res = _run([*cmd, "--points", "3", "-o", str(out)], cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    assert len(out.read_text().splitlines()) == 1 + 2 * 3

    # package data read at run time: the embedded models and the Kanshin site map
    code = (
        "from yeastcell.models import available_models; from yeastcell.studies.kanshin2015 import read_site_map; "
        "print(available_models(), len(read_site_map()))"
    )
    res = _run([py, "-c", code], cwd=tmp_path, env=env)
    assert res.returncode == 0 and "yeast_cell" in res.stdout, res.stderr[-2000:]

    png = tmp_path / "ko.png"
    ex = REPO / "examples" / "knockout_glycolysis.py"
    res = _run([py, str(ex), "--smoke", "--out", str(png)], cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize("with_data", [True, False], ids=["reference-data", "no-reference-data"])
def test_every_bench_task_runs_or_names_what_it_needs(venv, tmp_path, with_data):
    if with_data and not (reference_data_dir() / "SOURCES.md").is_file():
        pytest.skip("reference data absent")
    res = _run([_bin(venv, "yeastcell"), "bench", "list"], cwd=tmp_path, env=_env(venv, refdata=with_data))
    assert res.returncode == 0, res.stderr[-2000:]
    tasks = [ln for ln in res.stdout.splitlines() if ln and not ln.startswith(" ")]
    assert len(tasks) >= 5, res.stdout
    for line in tasks:
        name, status = line.split(None, 1)
        assert status == "available" or any(n in status for n in NEEDS), f"{name}: {status}"
        # from a wheel, a task never says its code is missing from a checkout it is not in
        assert "has not landed" not in status, f"{name}: {status}"


def test_reference_data_default_from_a_wheel_is_a_clear_message(venv, tmp_path):
    code = "from yeastcell.refdata import reference_data_dir; print(reference_data_dir())"
    res = _run([_bin(venv, "python"), "-c", code], cwd=tmp_path, env=_env(venv, refdata=False))
    message = res.stderr.strip().splitlines()[-1]  # the exception line, not the traceback's file paths
    assert res.returncode != 0 and "ReferenceDataNotFound" in message
    assert "YEASTCELL_REFERENCE_DATA" in message and "lib/python" not in message
    res = _run(
        [_bin(venv, "python"), "-c", code], cwd=tmp_path, env={**_env(venv, False), "YEASTCELL_REFERENCE_DATA": "/x/y"}
    )
    assert res.returncode == 0 and res.stdout.strip() == "/x/y"


def test_reference_data_default_in_a_checkout(monkeypatch):
    """From the source checkout the default is ``../shared/data`` beside it, as the README says."""
    from yeastcell.refdata import checkout_dir, reference_data_dir

    monkeypatch.delenv("YEASTCELL_REFERENCE_DATA", raising=False)
    assert checkout_dir() == REPO
    assert reference_data_dir() == REPO.parent / "shared" / "data"
