"""Run the SBML Test Suite (semantic time-course cases) through yeastcell's SBML import.

For every TimeCourse case in ``<reference data>/sbml/test-suite`` (reference data: env
YEASTCELL_REFERENCE_DATA, default ``<checkout>/../shared/data``) this reads the case's
``-settings.txt``, imports the SBML file with `yeastcell.sbml.load`, compiles it with
`yeastcell.compile_model`, simulates it and compares every requested variable at every time point
with ``-results.csv`` as the suite defines it: ``|sim - ref| <= absolute + relative * |ref|``.
Each case is classified ``pass``, ``fail`` or ``unsupported`` (the import refused a construct; the
construct's test-suite tag is recorded). Counts are printed overall and per tag.

Usage::

    python benchmarks/sbml_test_suite.py [--cases 1-100,205] [--workers 2] [--record] [--solver tsit5]

``--json FILE`` writes one JSON line per case as it finishes (nothing is lost if a run is cut
short); ``--prior A.jsonl[,B.jsonl]`` merges earlier runs into the summary (later files and this
run override earlier results of the same case), with ``--resume`` (skip the cases already there)
or ``--rerun-failed`` (run only their fail/error/unsupported cases with the current code)::

    python benchmarks/sbml_test_suite.py --workers 1 --shuffle --json full.jsonl
    python benchmarks/sbml_test_suite.py --prior full.jsonl --resume --json rest.jsonl
    python benchmarks/sbml_test_suite.py --prior full.jsonl,rest.jsonl --rerun-failed --json fixed.jsonl

``--record`` replaces the section ``sbml_test_suite`` of benchmarks/RESULTS.md (atomically). The
runner itself is `yeastcell.bench.sbml_suite` (also behind ``yeastcell bench sbml``); this script
is its command line.
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import record

from yeastcell.bench.sbml_suite import (  # noqa: F401  (re-exported: tests/test_sbml_suite.py)
    UNSUPPORTED_TAGS,
    CaseResult,
    case_files,
    claimed,
    compare,
    parse_cases,
    read_index,
    read_results,
    read_settings,
    run_case,
    run_suite,
    simulate_case,
    suite_dir,
    summarize,
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", help="e.g. 1-100,205 (default: all time-course cases)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--solver", default="tsit5,kvaerno5", help="comma-separated solvers tried in order")
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    ap.add_argument("--json", help="write per-case results as JSON lines to this file (as they finish)")
    ap.add_argument("--timeout", type=float, default=0.0, help="seconds per case (0 = no limit)")
    ap.add_argument("--shuffle", action="store_true", help="fixed pseudo-random case order")
    ap.add_argument("--first", help="cases to run before the others (e.g. the CI sample)")
    ap.add_argument(
        "--prior",
        help="comma-separated JSON-lines files of earlier runs (later files override "
        "earlier ones, this run overrides them all); the summary covers all their cases",
    )
    ap.add_argument("--resume", action="store_true", help="with --prior: skip the cases already in it")
    ap.add_argument(
        "--rerun-failed",
        action="store_true",
        help="with --prior: run only its non-passing (fail/error/unsupported) cases with the current code and merge",
    )
    args = ap.parse_args(argv)
    if (args.resume or args.rerun_failed) and not args.prior:
        ap.error("--resume and --rerun-failed need --prior")
    prior = read_results(args.prior.split(",")) if args.prior else {}
    cases, skip = args.cases, ()
    if args.rerun_failed:
        bad = sorted(c for c, r in prior.items() if r.outcome != "pass")
        wanted = set(parse_cases(args.cases, read_index())) if args.cases else None
        bad = [c for c in bad if wanted is None or c in wanted]
        cases = ",".join(str(int(c)) for c in bad) or None
        if not bad:
            print("no non-passing cases in the prior results", file=sys.stderr)
    elif args.resume:
        skip = tuple(prior)
    t0 = time.perf_counter()
    stream = open(args.json, "w") if args.json else None  # noqa: SIM115 - closed below
    try:
        results = (
            []
            if args.rerun_failed and not cases
            else run_suite(
                cases,
                args.workers,
                tuple(args.solver.split(",")),
                shuffle=args.shuffle,
                timeout=args.timeout,
                stream=stream,
                first=args.first,
                skip=skip,
            )
        )
    finally:
        if stream is not None:
            stream.close()
    seconds = time.perf_counter() - t0
    if prior:
        merged = dict(prior)
        merged.update({r.case: r for r in results})
        print(
            f"merged: {len(prior)} case(s) from {args.prior}, {len(results)} run now "
            f"({sum(r.case in prior for r in results)} of them replacing earlier results)"
        )
        results, seconds = sorted(merged.values(), key=lambda r: r.case), None
    text = summarize(results, seconds)
    print(text)
    if args.record:
        # a run over chosen cases (a sample) keeps its own section beside the whole suite's
        record(
            "sbml_test_suite" if not args.cases else f"sbml_test_suite --cases {args.cases}",
            ["```", text, "```"],
            title="SBML Test Suite (semantic time courses)" + ("" if not args.cases else ", a sample of cases"),
            command="python benchmarks/sbml_test_suite.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
