"""``yeastcell loop run CONFIG.json FOLDER`` and ``yeastcell loop report FOLDER [--plot FILE]``:
the closed active-learning loop of `yeastcell.active` (configuration keys: `loop_config`).

``run`` exits with status 4 when a file lab's measurements are not in yet; running it again
resumes where it stopped.
"""

from __future__ import annotations

from ..active import closed_loop, learning_curve
from ..active.report import loop_report, plot_learning_curves
from ..lab.file_lab import MeasurementsPending
from .loop_config import build, load_config


def add_parser(sub) -> None:
    """Register ``yeastcell loop run|report`` on an argparse sub-parser set."""
    lp = sub.add_parser("loop", help="closed loop: train -> choose experiments -> lab -> ingest (yeastcell.active)")
    ls = lp.add_subparsers(dest="loop_command", required=True)
    lr = ls.add_parser("run", help="run or resume a loop described by a JSON config (docs/active_learning.md)")
    lr.add_argument("config")
    lr.add_argument("folder", help="checkpoint folder (a rerun resumes from it)")
    lr.set_defaults(func=run)
    lrep = ls.add_parser("report", help="what each round chose and why; learning curve")
    lrep.add_argument("folder")
    lrep.add_argument("--plot", help="PNG/PDF file for the learning curve (needs a held-out set)")
    lrep.set_defaults(func=run)


def run(args) -> int:
    """Run or resume the loop (``run``) or print what each round chose (``report``)."""
    if args.loop_command == "report":
        print(loop_report(args.folder))
        if args.plot:
            plot_learning_curves({args.folder: [learning_curve(args.folder)]}, args.plot)
            print(f"wrote {args.plot}")
        return 0
    config, learner, lab, initial, heldout = build(load_config(args.config))
    try:
        res = closed_loop(config, learner, lab, args.folder, initial=initial, heldout=heldout)
    except MeasurementsPending as err:
        print(f"waiting for the lab: {err}")
        return 4
    print(loop_report(res.folder))
    return 0
