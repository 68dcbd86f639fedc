"""The `yeastcell` argument parser and dispatcher: one sub-command per module of this package."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from .. import __version__
from ..exceptions import YeastcellError
from ..io import remove_partial_files
from ..models import DEFAULT_MODEL
from . import bench, compare, fit, gem, genes, info, loop, petab, predict, simulate
from ._help import Parser
from .outputs import check_outputs

INTERRUPTED = 130  # exit status after Ctrl-C (128 + SIGINT), as shells report it
INTERRUPT_MESSAGE = "yeastcell: interrupted (Ctrl-C)"


def build_parser() -> argparse.ArgumentParser:
    """The parser of every sub-command; each sets ``func``, the function that runs it. Every
    option's help shows its default (`_help.HelpFormatter`)."""
    p = Parser(prog="yeastcell", description="A virtual yeast cell: simulate perturbations.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    simulate.add_parser(sub, DEFAULT_MODEL)
    info.add_parser(sub, DEFAULT_MODEL)
    genes.add_parser(sub, DEFAULT_MODEL)
    gem.add_screen_parser(sub)
    gem.add_gem_test_parser(sub)
    bench.add_parser(sub)
    loop.add_parser(sub)
    compare.add_parser(sub, DEFAULT_MODEL)
    fit.add_parser(sub, DEFAULT_MODEL)
    predict.add_parser(sub, DEFAULT_MODEL)
    petab.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: ``sys.argv[1:]``); returns the exit status.

    A `YeastcellError` (bad input: unknown names, malformed files, an output path that cannot be
    written, checked before any work) is printed as one ``yeastcell: error: ...`` line with exit
    status 2, not a traceback. Ctrl-C prints one line and gives exit status 130; files are written
    atomically (`yeastcell.io.atomic_path`), so none is left half-written.

    Run as the program (``argv`` None, main thread), the command runs in a worker thread while the
    main thread waits for it: a running XLA computation or compilation does not return to Python
    for tens of seconds, so SIGINT would only act after it; the waiting main thread sees it within
    `POLL_S`, removes the temporary files of writes in progress and ends the process at once
    (`os._exit`: the worker cannot be stopped, and interpreter shutdown would wait for XLA).
    """
    program = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    if getattr(args, "bench_command", None) == "sbml":
        args.options = {k: v for k, v in (("cases", args.cases), ("workers", args.workers)) if v is not None}
    if getattr(args, "t_end", 1.0) <= 0 or getattr(args, "points", 2) < 2:
        print("yeastcell: error: --t-end must be > 0 and --points >= 2", file=sys.stderr)
        return 2
    try:
        check_outputs(args)
        if program and _can_wait_in_main_thread():
            return _run_in_worker(args.func, args)
        return args.func(args)
    except YeastcellError as err:
        print(f"yeastcell: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(INTERRUPT_MESSAGE, file=sys.stderr)
        return INTERRUPTED


POLL_S = 0.1  # how often the waiting main thread wakes (a signal delivered to another thread waits this long)


def _can_wait_in_main_thread() -> bool:
    """Whether this is the main thread with Python's own SIGINT handler (KeyboardInterrupt)."""
    return (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )


def _run_in_worker(func, args) -> int:
    """``func(args)`` in a daemon thread; the main thread waits, re-raises what the worker raised,
    and on Ctrl-C prints one line and exits the process with status 130 at once."""
    result: dict = {}

    def work():
        try:
            result["value"] = func(args)
        except BaseException as err:  # handed to the main thread
            result["error"] = err

    worker = threading.Thread(target=work, name="yeastcell-command", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(POLL_S)
    except KeyboardInterrupt:
        remove_partial_files()
        if sys.stderr.isatty():
            sys.stderr.write("\n")  # below a progress bar
        print(INTERRUPT_MESSAGE, file=sys.stderr)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(INTERRUPTED)
    if "error" in result:
        raise result["error"]
    return result["value"]
