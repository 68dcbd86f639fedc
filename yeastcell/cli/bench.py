"""``yeastcell bench``: list the benchmark tasks of `yeastcell.bench`, run one, print its table."""

from __future__ import annotations

import shlex

from ..bench import TaskOptionError, get_task, list_tasks, run_task
from ..results_file import record


def add_parser(sub) -> None:
    """Register ``yeastcell bench list|run|sbml`` on an argparse sub-parser set."""
    b = sub.add_parser("bench", help="benchmark tasks: list them, run one (yeastcell.bench)")
    bs = b.add_subparsers(dest="bench_command", required=True)
    bl = bs.add_parser("list", help="list the benchmark tasks and whether each can run here")
    bl.add_argument("-v", "--verbose", action="store_true", help="data, protocol, metrics, baselines, options")
    bl.set_defaults(func=run_list)

    def common(q):
        q.add_argument("--quick", action="store_true", help="the task's small smoke-test setting")
        q.add_argument("--set", action="append", metavar="KEY=VALUE", help="a task option (see bench list -v)")
        q.add_argument(
            "--record",
            action="store_true",
            help="record the table in benchmarks/RESULTS.md (replacing the older table of this task)",
        )
        q.add_argument("--results", help="results file for --record (default: the checkout's benchmarks/RESULTS.md)")
        q.add_argument("--note", help="a note recorded with the results (e.g. 'machine shared with other jobs')")
        q.set_defaults(func=run_one)

    br = bs.add_parser("run", help="run one task and print its table")
    br.add_argument("task")
    common(br)
    sb = bs.add_parser("sbml", help="the SBML Test Suite task (= bench run sbml)")
    sb.add_argument("--cases", help="e.g. 1-100,205 (default: all time-course cases)")
    sb.add_argument("--workers", type=int)
    common(sb)
    sb.set_defaults(task="sbml")


def run_list(args) -> int:
    """Print every task, whether it can run here, and with ``-v`` its data, protocol and options."""
    tasks = list_tasks()
    width = max(len(t.name) for t in tasks)
    for t in tasks:
        print(f"{t.name:{width}s}  {t.status()}\n{'':{width}s}  {t.title}")
        if args.verbose:
            for label, items in (("data", t.data), ("metrics", t.metrics), ("baselines", t.baselines)):
                if items:
                    print(f"{'':{width}s}  {label}: {'; '.join(items)}")
            print(f"{'':{width}s}  protocol: {t.protocol}")
            for k, o in t.options.items():
                print(f"{'':{width}s}  --set {k}=... ({o.type.__name__}, default {o.default!r}): {o.help}")
    return 0


def run_one(args) -> int:
    """Run one task with its ``--set`` options, print its table; ``--record`` appends it to a file."""
    options = dict(getattr(args, "options", None) or {})
    for item in args.set or []:
        if "=" not in item:
            raise TaskOptionError(f"--set {item!r}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        options[k.strip()] = v
    task = get_task(args.task)
    res = run_task(task.name, options, quick=args.quick)
    print(f"\n{task.title}")
    print("\n".join(res.to_markdown()))
    if args.record:
        cmd = "yeastcell " + " ".join(shlex.quote(a) for a in args.argv)
        path = record(
            f"{task.title} (yeastcell bench run {task.name})",
            res.to_markdown(),
            command=cmd,
            path=args.results,
            note=args.note,
        )
        print(f"recorded in {path}")
    return 0
