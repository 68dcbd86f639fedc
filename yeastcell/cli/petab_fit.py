"""``yeastcell fit problem.yaml``: a multi-start fit of a PEtab problem (`yeastcell.petab`).

Writes to the output folder (``-o``, default ``<problem stem>_fit``), each file atomically:

* ``parameters.tsv``: the parameter table with the fitted values as ``nominalValue`` (linear
  scale, model units);
* ``result.json``: negative log-likelihood, log-likelihood, chi² at the best start, every start;
* ``simulations.tsv``: the PEtab simulation table at the fitted parameters;
* ``fit.png``: measurements and simulations per observable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..io import atomic_path


def is_petab_problem(path: str) -> bool:
    """Whether a ``fit`` argument is a PEtab problem file (YAML)."""
    return str(path).lower().endswith((".yaml", ".yml"))


def run_petab(args) -> int:
    """Load, fit (L-BFGS-B, ``--starts`` seeded starts within the bounds), write the results."""
    from ..petab import load, write_parameters, write_simulations
    from ..petab.fit import fit_problem, plot_fit

    problem = load(args.data)
    objective = problem.objective()
    out = Path(args.output) if args.output else Path(Path(args.data).stem + "_fit")
    if not args.quiet:
        print(
            f"{problem.path.name}: PEtab v{problem.version}, {len(problem.tables.measurements)} measurements, "
            f"{len(objective.x_ids)} estimated parameters; {args.starts} start(s), seed {args.seed}",
            file=sys.stderr,
        )
    res = fit_problem(objective, n_starts=args.starts, seed=args.seed, maxiter=args.maxiter, progress=not args.quiet)
    best = res.best
    ev = objective.evaluate(best.x)
    out.mkdir(parents=True, exist_ok=True)
    write_parameters(objective, best.x, out / "parameters.tsv")
    write_simulations(objective, best.x, out / "simulations.tsv")
    plot_fit(objective, best.x, out / "fit.png")
    summary = {
        "problem": str(problem.path),
        "nllh": best.nllh,
        "llh": ev.llh,
        "chi2": ev.chi2,
        "x_ids": list(objective.x_ids),
        "x_scales": list(objective.scales),
        "x_best": [float(v) for v in best.x],
        "starts": [
            {
                "x0": [float(v) for v in s.x0],
                "x": [float(v) for v in s.x],
                "nllh": s.nllh,
                "success": s.success,
                "message": s.message,
                "evaluations": s.evaluations,
            }
            for s in res.starts
        ],
    }
    with atomic_path(out / "result.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2))
    if not args.quiet:
        print(f"best of {len(res.starts)} start(s): negative log-likelihood {best.nllh:.8g} (chi2 {ev.chi2:.6g})")
        for pid, v, scale in zip(objective.x_ids, best.x, objective.scales):
            print(f"  {pid} = {v:.6g}" + ("" if scale == "lin" else f" ({scale})"))
        print(f"written: {out}/parameters.tsv, simulations.tsv, result.json, fit.png")
    return 0
