"""``yeastcell compare``: simulate a dataset's conditions and score them against the measurements.

Prints the metrics of `yeastcell.compare` summarised per observable (RMSE on the log2 scale,
correlations, direction accuracy) and the correlation per condition; optionally writes the full
table (one row per condition x observable) and a plot of simulated vs measured time courses.

Raw values are compared on the log2 scale, so a measured value <= 0 has no place there: the command
names such rows before simulating. ``--detection-limit X`` treats every measured value <= X (in
the observable's units; e.g. 0 for "not detected" entries written as 0) as below detection: it is
left out of the metrics (masked, not imputed) and the number left out is printed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import load_cell
from ..compare import (
    check_log_scale,
    condition_correlations,
    mask_detection_limit,
    metrics,
    plot_comparison,
    predict_dataset,
    summarize,
)
from ..data import Dataset
from ..exceptions import DatasetError
from ..io import atomic_path
from ..perturb import condition
from ._help import examples


def add_parser(sub, default_model: str) -> None:
    """Register ``yeastcell compare`` on an argparse sub-parser set."""
    c = sub.add_parser(
        "compare",
        help="simulate a dataset's conditions and compare with the measurements",
        description="Simulate every condition of a dataset and score the simulation against the measurements.",
        epilog=examples(
            "yeastcell compare -d data.csv --plot comparison.png -o metrics.csv",
            "yeastcell simulate -p wt -p ko:HXK2 -o runs.csv && yeastcell compare -d runs.csv --observables GLC_e ETOH_e",
            "yeastcell compare -m BIOMD0000000064_teusink2000.xml -d teusink_data.csv",
        ),
    )
    c.add_argument(
        "-m", "--model", default=default_model, help="model: embedded name, YAML file or SBML file (.xml, .sbml)"
    )
    c.add_argument(
        "-d",
        "--data",
        required=True,
        help="dataset: .h5 (yeastcell format), a long .csv/.tsv table, or the CSV of 'yeastcell simulate -o'",
    )
    c.add_argument("-c", "--condition", help="named condition of the model added to every dataset condition")
    c.add_argument(
        "--map",
        action="append",
        metavar="OBSERVABLE=QUANTITY",
        help="model quantity of a measured observable, e.g. 'SGTS(ph)LPR-1=phospho:Hog1' (see yeastcell.observe)",
    )
    c.add_argument("--conditions", nargs="+", help="compare only these dataset conditions")
    c.add_argument(
        "--as",
        dest="rename",
        action="append",
        nargs=2,
        metavar=("CONDITION", "NOTATION"),
        help="simulate a dataset condition as this perturbation, e.g. --as cond:nacl_0.4M step:NaCl_e=400@0",
    )
    c.add_argument("--observables", nargs="+", help="compare only these observables")
    c.add_argument(
        "--detection-limit",
        type=float,
        metavar="X",
        help="treat measured values <= X (observable units) as below detection: left out of the metrics, "
        "counted (default: none; values <= 0 are then an error naming their rows)",
    )
    c.add_argument("--threshold", type=float, default=0.0, help="significant change for direction accuracy (log2)")
    c.add_argument("--reference", help="raw data: condition that changes are measured against")
    c.add_argument("--points", type=int, default=101, help="simulation points for the plot curves")
    c.add_argument("-o", "--out", help="metrics table (.csv or .tsv), one row per condition x observable")
    c.add_argument("--plot", help="plot of simulated vs measured time courses (.png or .pdf)")
    c.set_defaults(func=run)


def run(args) -> int:
    """Simulate, score and optionally write the metrics table and plot; exit status 3 when a
    condition failed to solve."""
    cell = load_cell(args.model)
    data = Path(args.data)
    ds = Dataset.from_hdf5(data) if data.suffix.lower() in (".h5", ".hdf5") else Dataset.from_table(data)
    if args.conditions or args.observables:
        ds = ds.subset(conditions=args.conditions, observables=args.observables)
    if args.rename:
        new = dict(zip(ds.conditions, ds.conditions))
        for k, v in args.rename:
            if k != ds.reference:
                ds.condition_index(k)
            new[k] = v
        ref = next((v for k, v in args.rename if k == ds.reference), ds.reference)
        ds = ds.replace(conditions=tuple(new[c] for c in ds.conditions), reference=ref)
    if args.detection_limit is not None:
        ds, n_below = mask_detection_limit(ds, args.detection_limit)
        if n_below:
            print(f"{n_below} measured value(s) <= {args.detection_limit:g} (detection limit) left out of the metrics")
    check_log_scale(ds, hint="; give --detection-limit X to leave values <= X out of the comparison")
    mapping = {}
    for item in args.map or []:
        if "=" not in item:
            raise DatasetError(f"--map {item!r}: expected OBSERVABLE=QUANTITY")
        k, v = item.rsplit("=", 1)
        mapping[k.strip()] = v.strip()
    base = condition(args.condition) if args.condition else None
    pred = predict_dataset(cell, ds, base=base, mapping=mapping, points=args.points)
    for c, st in zip(ds.conditions, pred.status):
        if st != "ok":
            print(f"{c}: simulation FAILED ({st}); its metrics are NaN")
    table = metrics(ds, pred.values, threshold=args.threshold, reference=args.reference)
    summary = summarize(table, "observable")
    with pd.option_context("display.width", 160, "display.max_rows", 60):
        print(summary.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
        print(condition_correlations(ds, pred.values).to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    if args.out:
        out = Path(args.out)
        sep = "\t" if out.suffix.lower() in (".tsv", ".tab") else ","
        with atomic_path(out) as tmp:
            table.to_csv(tmp, sep=sep, index=False, float_format="%.6g")
        print(f"wrote {out}")
    if args.plot:
        plot_comparison(ds, args.plot, pred=pred.values, sim_times_min=pred.sim_times_min, sim_values=pred.sim_values)
        print(f"wrote {args.plot}")
    return 0 if all(s == "ok" for s in pred.status) else 3
