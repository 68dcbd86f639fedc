"""Run many user-level scripts (documentation pages, examples) in one fresh Python process.

The docs pages and the examples each load the same embedded models; in one process a model loaded
twice compiles to the same cell (`yeastcell.compile_model`), so JAX traces and compiles each solver
program once instead of once per page. Each job still runs in its own namespace, in its own working
folder, with ``sys.argv`` and ``os.environ`` restored and matplotlib figures closed after it, and
the process writes each job's result as soon as it ends: a job that crashes the interpreter or runs
past the time limit is reported by name and the jobs before it keep their results.

The docs pages and the examples run in two such interpreters that share the jobs (`start_shared`, from
the session fixture `user_scripts` in conftest.py): each takes the jobs in its own order and runs the
next one that the other has not claimed, so both cores stay busy until the last job ends.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

RUNNER = r"""
import json, os, runpy, sys, time, traceback
jobs = json.load(open(sys.argv[1], encoding="utf-8"))
out = sys.argv[2]
claims = sys.argv[3] if len(sys.argv) > 3 else None
results = {}
home, env0 = os.getcwd(), dict(os.environ)
for job in jobs:
    name = job["name"]
    if claims:  # interpreters sharing the jobs: the first to claim a job runs it
        try:
            os.close(os.open(os.path.join(claims, name.replace("/", "__")), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue
    print("### job", name, flush=True)
    t0 = time.perf_counter()
    argv0 = list(sys.argv)
    try:
        os.chdir(job["cwd"])
        if job["script"]:
            sys.argv = [job["script"], *job["argv"]]
            runpy.run_path(job["script"], run_name="__main__")
        else:
            ns = {"__name__": "__main__"}
            for filename, line, code in job["blocks"]:
                print("### block %s:%d" % (filename, line), flush=True)
                exec(compile("\n" * (line - 1) + code, filename, "exec"), ns)
        results[name] = {"ok": True, "error": "", "seconds": time.perf_counter() - t0}
    except SystemExit as e:
        ok = e.code in (None, 0)
        results[name] = {"ok": ok, "error": "" if ok else "SystemExit(%r)" % (e.code,), "seconds": time.perf_counter() - t0}
    except BaseException:
        results[name] = {"ok": False, "error": traceback.format_exc()[-4000:], "seconds": time.perf_counter() - t0}
    finally:
        sys.argv = argv0
        os.chdir(home)
        os.environ.clear()
        os.environ.update(env0)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    print("### job %s done in %.1f s" % (name, results[name]["seconds"]), flush=True)
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(results, f)
    os.replace(out + ".tmp", out)
"""


@dataclass(frozen=True)
class Job:
    """A page (``blocks``: (file, first line, code) run in one namespace) or a ``script`` with ``argv``."""

    name: str
    cwd: str
    blocks: list[tuple[str, int, str]] = field(default_factory=list)
    script: str | None = None
    argv: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class JobResult:
    ok: bool
    error: str
    seconds: float


class Running:
    """A started interpreter running jobs (`start_jobs`); `wait` collects the results."""

    def __init__(self, proc: subprocess.Popen | None, out: Path, log: Path):
        self.proc, self.out, self.log = proc, out, log

    def wait(self, timeout_s: float) -> tuple[dict[str, JobResult], str]:
        """Each finished job's result (a job missing from the dict did not finish: the process
        crashed or timed out) and the tail of the process's output, for failure messages."""
        if self.proc is None:
            return {}, "no jobs"
        try:
            code = self.proc.wait(timeout=timeout_s)
            tail = f"exit {code}"
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            tail = f"timed out after {timeout_s:.0f} s"
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.is_file() else ""
        done = json.loads(self.out.read_text(encoding="utf-8")) if self.out.is_file() else {}
        return {k: JobResult(**v) for k, v in done.items()}, f"{tail}\n{text[-5000:]}"


class RunningGroup:
    """Interpreters sharing one list of jobs (`start_shared`); `wait` merges their results."""

    def __init__(self, runs: list[Running]):
        self.runs = runs

    def wait(self, timeout_s: float) -> tuple[dict[str, JobResult], str]:
        """As `Running.wait`, over every interpreter (each given the whole `timeout_s`)."""
        results: dict[str, JobResult] = {}
        tails = []
        for k, run in enumerate(self.runs):
            done, tail = run.wait(timeout_s)
            results.update(done)
            tails.append(f"[interpreter {k}] {tail}")
        return results, "\n".join(tails)


def start_shared(orders: list[list[Job]], workdir: Path, envs: list[dict[str, str]]) -> RunningGroup:
    """Start one interpreter per job order in `orders` (the same jobs, each list in the order that
    interpreter takes them), sharing the jobs: each job runs once, in the first interpreter to reach it."""
    claims = workdir / "claims"
    claims.mkdir(parents=True, exist_ok=True)
    runs = []
    for k, (jobs, env) in enumerate(zip(orders, envs)):
        sub = workdir / f"interpreter{k}"
        sub.mkdir(parents=True, exist_ok=True)
        runs.append(start_jobs(jobs, sub, env, claims=claims))
    return RunningGroup(runs)


def start_jobs(jobs: list[Job], workdir: Path, env: dict[str, str], claims: Path | None = None) -> Running:
    """Start one fresh interpreter that runs `jobs` in order (with `claims`, a folder shared with other
    interpreters: only the jobs none of them has claimed); returns at once (`Running.wait`)."""
    runner, spec, out, log = (workdir / n for n in ("runner.py", "jobs.json", "results.json", "output.log"))
    if not jobs:
        return Running(None, out, log)
    runner.write_text(RUNNER, encoding="utf-8")
    spec.write_text(json.dumps([asdict(j) for j in jobs]), encoding="utf-8")
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(
            [sys.executable, str(runner), str(spec), str(out), *([str(claims)] if claims is not None else [])],
            cwd=workdir,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    return Running(proc, out, log)


def run_jobs(jobs: list[Job], workdir: Path, env: dict[str, str], timeout_s: float) -> tuple[dict[str, JobResult], str]:
    """Run `jobs` in order in one fresh interpreter and wait (`start_jobs` + `Running.wait`)."""
    return start_jobs(jobs, workdir, env).wait(timeout_s)
