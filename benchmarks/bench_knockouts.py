"""All Yeast-GEM single-gene deletions: cobrapy vs yeastcell's knockout engines, on two media.

In one process, on the same model, for each medium (the model's own minimal
glucose medium, i.e. its default bounds, and Yeast-GEM's synthetic complete
medium: exchanges closed to (0, 1000), then the table's uptake bounds):

* cobrapy ``single_gene_deletion`` (its default solver, GLPK here), ``--processes`` workers;
* yeastcell ``knockout_screen`` with the CPU engine (HiGHS, same processes);
* yeastcell ``knockout_screen(engine="jax")``: the JAX LP engine (``yeastcell.gem.lp``, dual
  simplex under ``jit``/``vmap``) with the same exact shortcut, on all genes, timed including
  its set-up (HiGHS reference basis + dense inverse) and compile;
* optionally (``--jax-genes N``) the JAX engine on N random genes *without* the shortcut, every
  knockout a real LP, to time its per-LP cost (extrapolated to all genes, labelled as such).

cobrapy runs at ``--cobra-tolerance`` (default 1e-9, the tolerance of yeastcell's engines).

Model loading is not timed: for cobrapy reading the model file (which parses
its gene rules), for yeastcell reading the cached arrays and compiling the gene
rules (``compile_gpr``, cached per rule set). The yeastcell timing includes LP
compression, the wild-type solve and the GPR evaluation of every knockout (the
compression cache is cleared before each run). Prints
wall times, user CPU time (this process and its workers), speed-ups against
cobrapy in the same run, and agreement: the largest growth difference relative
to the wild type's growth and the number of genes whose essential call
(growth ratio < 1e-6, or infeasible) differs. Every differing gene is printed with
both tools' growth and re-solved from cobrapy's own model (cobrapy's knock-out, its
bounds and stoichiometry) with GLPK cold (presolve off and on) and with HiGHS (dual
simplex and interior point), and GLPK's returned flux vector is checked against the
model (``‖S v‖∞``, bound violations): the evidence which answer is right.

Double deletions (``--pairs N``): a random sample of N of the 673,380 gene
pairs is screened with the CPU engine; the full-set time is estimated from it
(``--all-pairs``: every pair is screened and timed);
``--check-pairs K`` of the sample (all pairs that needed an LP first) are
re-computed with cobrapy (knock out both genes, optimise) and compared.

    python benchmarks/bench_knockouts.py [--processes 2] [--pairs 10000 | --all-pairs] [--jax-genes 0] [--record]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
from _common import record

THRESHOLD = 1e-6  # growth ratio below which a gene counts as essential (Yeast-GEM's test)
GLPK_TIMEOUT_S = 120  # per re-solve of a differing gene (GLPK has hung > 3 min on YDR044W)


def _cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + c.ru_utime


def _timed(fn):
    t0, c0 = time.perf_counter(), _cpu()
    out = fn()
    return out, time.perf_counter() - t0, _cpu() - c0


def _essential(growth: np.ndarray, wt: float) -> np.ndarray:
    g = np.asarray(growth, dtype=np.float64)
    return ~(g / wt >= THRESHOLD)  # NaN (infeasible) counts as essential


def _cobra_model(model_path, gem, medium, tolerance):
    import cobra

    from yeastcell.gem import apply_medium, exchange_reactions

    model = cobra.io.load_yaml_model(str(model_path))
    model.tolerance = tolerance
    if medium is not None:
        g = apply_medium(gem, medium)
        for i in exchange_reactions(gem):
            model.reactions[i].bounds = (g.lb[i], g.ub[i])
    return model


def _fresh_caches() -> None:
    from yeastcell.gem import wildtype

    wildtype._COMPRESSED.clear()


def _agreement(ids, growth, ref: dict, wt: float) -> tuple[float, int]:
    ref_g = np.array([ref[k] for k in ids], dtype=np.float64)
    g = np.asarray(growth, dtype=np.float64)
    both_nan = np.isnan(g) & np.isnan(ref_g)
    one_nan = np.isnan(g) ^ np.isnan(ref_g)
    diff = np.where(both_nan, 0.0, np.abs(g - ref_g) / abs(wt))
    diff[one_nan] = np.inf
    calls = int((_essential(g, wt) != _essential(ref_g, wt)).sum())
    return float(diff.max()), calls


def _differing(ids, growth, ref: dict, wt: float) -> list[tuple[str, float, float]]:
    """(gene, yeastcell growth, cobrapy growth) for every gene whose essential call differs."""
    ref_g = np.array([ref[k] for k in ids], dtype=np.float64)
    g = np.asarray(growth, dtype=np.float64)
    bad = np.flatnonzero(_essential(g, wt) != _essential(ref_g, wt))
    return [(ids[i], float(g[i]), float(ref_g[i])) for i in bad]


def _glpk_check(model, S, gene_id: str, presolve: bool, solver: str = "glpk") -> str:
    """GLPK from scratch on a copy of cobrapy's model with the gene knocked out; flux vector checked."""
    m = model.copy()
    m.solver = solver
    m.solver.configuration.presolve = presolve
    m.solver.configuration.timeout = GLPK_TIMEOUT_S
    m.genes.get_by_id(gene_id).knock_out()
    t0 = time.perf_counter()
    sol = m.optimize(raise_error=False)
    if sol.status != "optimal":
        return f"{sol.status} after {time.perf_counter() - t0:.0f} s"
    v = sol.fluxes.to_numpy()
    lb = np.array([r.lower_bound for r in m.reactions])
    ub = np.array([r.upper_bound for r in m.reactions])
    viol = float(np.max(np.maximum(np.maximum(lb - v, v - ub), 0.0)))
    r = S @ v
    i = int(np.argmax(np.abs(r)))
    met = m.metabolites[i]
    return (
        f"{sol.objective_value:.6g} (its flux vector: max|S v| {abs(r[i]):.1e} at {met.id} "
        f"[{met.name}], bound violation {viol:.1e})"
    )


def _highs_check(S, lb, ub, c, solver: str) -> str:
    import highspy

    from yeastcell.gem._highs import make_highs_arrays

    h = make_highs_arrays(S, lb, ub, c, "max")
    h.setOptionValue("solver", solver)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("time_limit", 120.0)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return h.modelStatusToString(status)
    return f"{h.getInfo().objective_function_value:.6g}"


def _explain(model, differing) -> list[str]:
    """Re-solve cobrapy's own model for each differing gene with GLPK and HiGHS (see module doc)."""
    import scipy.sparse as sp
    from cobra.util.array import create_stoichiometric_matrix

    S = sp.csr_array(create_stoichiometric_matrix(model, array_type="lil"))
    c = np.array([r.objective_coefficient for r in model.reactions])
    lines = []
    for gid, g_yc, g_cb in differing:
        gene = model.genes.get_by_id(gid)
        with model:
            gene.knock_out()
            lb = np.array([r.lower_bound for r in model.reactions])
            ub = np.array([r.upper_bound for r in model.reactions])
            n_ko = sum(1 for r in gene.reactions if r.lower_bound == r.upper_bound == 0)
        lines.append(
            f"{gid} ({gene.name}; {n_ko} reactions deleted by cobrapy's knock_out): yeastcell "
            f"{g_yc:.6g}, cobrapy single_gene_deletion {g_cb:.6g}; re-solved from cobrapy's model: "
            f"GLPK presolve off {_glpk_check(model, S, gid, False)}; GLPK presolve on "
            f"{_glpk_check(model, S, gid, True)}; GLPK exact (rational arithmetic) "
            f"{_glpk_check(model, S, gid, False, 'glpk_exact')}; HiGHS dual simplex "
            f"{_highs_check(S, lb, ub, c, 'simplex')}; HiGHS interior point "
            f"{_highs_check(S, lb, ub, c, 'ipm')}"
        )
    return lines


def _jax_subset(
    gem, medium, n: int, seed: int, ref: dict, cpu_growth: dict, t_ref: float, t_cpu: float, name: str
) -> tuple[list[str], list[str], list]:
    """Time the JAX LP engine on ``n`` random genes; rows, notes, differing genes."""
    from yeastcell.gem import apply_medium, compile_gpr
    from yeastcell.gem.lp import knockout_growth_batch, make_compressed_engine

    g = gem if medium is None else apply_medium(gem, medium)
    rng = np.random.default_rng(seed)
    ids = [gem.gene_ids[i] for i in np.sort(rng.choice(gem.n_genes, size=min(n, gem.n_genes), replace=False))]
    gpr = compile_gpr(g.gene_rules, g.gene_ids)
    eng, t_setup, _ = _timed(lambda: make_compressed_engine(g))
    _, t_first, _ = _timed(lambda: knockout_growth_batch(g, [ids[0]], engine=eng, gpr=gpr))
    res, t, c = _timed(lambda: knockout_growth_batch(g, ids, engine=eng, gpr=gpr, skip_unaffected=False))
    wt = float(res.wild_type_growth)
    diff, calls = _agreement(ids, res.growth, ref, wt)
    hg = np.array([cpu_growth[k] for k in ids], dtype=np.float64)
    jg = np.asarray(res.growth, dtype=np.float64)
    ok = ~(np.isnan(hg) & np.isnan(jg))
    rel_highs = float(np.max(np.abs(jg[ok] - hg[ok]) / abs(wt))) if ok.any() else 0.0
    per = t / len(ids)
    full = per * gem.n_genes
    piv = np.asarray(res.iterations)
    statuses = dict(zip(*np.unique(np.asarray(res.status), return_counts=True)))
    print(
        f"[{name}] JAX engine, {len(ids)} random genes: set-up {t_setup:.1f} s, first call "
        f"(compile + 1 LP) {t_first:.1f} s, solves {t:.1f} s wall ({c:.1f} s CPU) = "
        f"{per * 1e3:.0f} ms per knockout; extrapolated to {gem.n_genes} genes {full:.0f} s "
        f"(cobrapy {t_ref:.1f} s: {t_ref / full:.2f}x; CPU engine {t_cpu:.2f} s: "
        f"{t_cpu / full:.3f}x); pivots median {np.median(piv):.0f}, max {piv.max()}, "
        f"{int((piv > 0).sum())} LPs with pivots; statuses {statuses}; max |diff|/wt vs "
        f"cobrapy {diff:.1e}, vs HiGHS engine {rel_highs:.1e}; differing calls {calls}"
    )
    row = (
        f"| {name} | yeastcell jax, {len(ids)} random genes, extrapolated to {gem.n_genes} "
        f"(CPU, chunk 1) | {full:.0f} (measured {t:.1f}) | {c:.1f} | {t_ref / full:.2f}× | "
        f"{len(ids)} | {diff:.1e} | {calls} (of {len(ids)}) |"
    )
    note = (
        f"JAX engine ({name}): set-up (compression, HiGHS reference basis + dense m×m inverse of the "
        f"compressed LP) {t_setup:.1f} s "
        f"and first call (compile + 1 LP) {t_first:.1f} s not included in the extrapolation; "
        f"{per * 1e3:.0f} ms per knockout on CPU; pivots median {np.median(piv):.0f}, max "
        f"{piv.max()} ({int((piv > 0).sum())} of {len(ids)} LPs pivot at all); growth vs the "
        f"HiGHS CPU engine: max |diff|/wild type {rel_highs:.1e}; JAX / CPU-engine time "
        f"{full / t_cpu:.0f}× slower (extrapolated)"
    )
    return [row], [note], _differing(ids, res.growth, ref, wt)


def _engine_run(gem, name, eng, medium, P, ref, t_ref, rows, differing):
    """Screen all genes with one yeastcell engine; print and add its row; collect differing calls."""
    from yeastcell.gem import knockout_screen

    _fresh_caches()
    df, t, c = _timed(lambda: knockout_screen(gem, medium=medium, processes=P, engine=eng))
    wt = df.attrs["wild_type_growth"]
    diff, calls = _agreement(list(df.index), df["growth"], ref, wt)
    n_ess = int(_essential(df["growth"].to_numpy(), wt).sum())
    print(
        f"[{name}] yeastcell {eng}: {t:.2f} s wall, {c:.2f} s user CPU, "
        f"{df.attrs['n_lps']} LPs, speed-up {t_ref / t:.1f}x, max |diff|/wt {diff:.1e}, "
        f"differing calls {calls} ({n_ess} essential, wild type {wt:.6g} /h)"
    )
    rows.append(
        f"| {name} | yeastcell {eng} | {t:.2f} | {c:.2f} | {t_ref / t:.1f}× | "
        f"{df.attrs['n_lps']} | {diff:.1e} | {calls} |"
    )
    for gid, g_yc, g_cb in _differing(list(df.index), df["growth"], ref, wt):
        print(f"[{name}] {eng}: essential call differs for {gid}: yeastcell {g_yc:.6g}, cobrapy {g_cb:.6g}")
        differing.setdefault(gid, (gid, g_yc, g_cb))
    return df, t


def _pairs_sample(n_genes: int, n: int, rng) -> np.ndarray:
    i, j = np.triu_indices(n_genes, 1)
    pick = np.sort(rng.choice(i.size, size=min(n, i.size), replace=False))
    return np.stack([i[pick], j[pick]], axis=1)


def _cobra_pairs(model, pairs) -> dict:
    out = {}
    for a, b in pairs:
        with model:
            model.genes.get_by_id(a).knock_out()
            model.genes.get_by_id(b).knock_out()
            out[f"{a}+{b}"] = model.slim_optimize(error_value=float("nan"))
    return out


def main(argv: list[str] | None = None) -> list[str]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processes", type=int, default=2, help="worker processes for every engine")
    ap.add_argument(
        "--media", default="default,synthetic_complete", help="comma-separated: default, synthetic_complete"
    )
    ap.add_argument(
        "--engines",
        default="highs,jax",
        help="yeastcell engines run on all genes (highs: CPU engine; jax: the JAX LP "
        "engine, with the same exact shortcut)",
    )
    ap.add_argument(
        "--jax-genes",
        type=int,
        default=0,
        help="random genes solved by the JAX LP engine without the shortcut, to time its per-LP cost (0: none)",
    )
    ap.add_argument("--no-explain", action="store_true", help="skip re-solving differing genes with GLPK/HiGHS")
    ap.add_argument("--pairs", type=int, default=10000, help="random double deletions (0: none)")
    ap.add_argument("--all-pairs", action="store_true", help="screen every gene pair (timed, not estimated)")
    ap.add_argument("--check-pairs", type=int, default=200, help="sample pairs re-checked with cobrapy")
    ap.add_argument(
        "--cobra-tolerance",
        type=float,
        default=1e-9,
        help="cobrapy's solver tolerance (model.tolerance); 1e-9 is the tolerance of "
        "yeastcell's engines. At cobrapy's default 1e-7, GLPK returns wild-type "
        "growth for four lethal knockouts on the default medium (THI5, PNC1, THI4, "
        "HEM4; see RESULTS.md 2026-11-25 19:32) and hung for minutes on HEM13",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()[0]

    from cobra.flux_analysis import single_gene_deletion

    from yeastcell.gem import compile_gpr, knockout_screen, load_gem, read_medium
    from yeastcell.gem._refdata import yeast_gem_file

    engines = [e for e in args.engines.split(",") if e]
    if "jax" in engines or args.jax_genes:
        try:
            import yeastcell.gem.lp  # noqa: F401
        except ImportError as e:
            print(f"JAX engine not available ({e}); skipped")
            engines = [e for e in engines if e != "jax"]
            args.jax_genes = 0
    model_path = yeast_gem_file("yeast-GEM.yml")
    gem = load_gem(model_path)
    compile_gpr(gem.gene_rules, gem.gene_ids)  # part of loading, as cobrapy parses rules on load
    media = {"default": None, "synthetic_complete": read_medium(yeast_gem_file("medium_synthetic_complete.tsv"))}
    P = args.processes
    rows = [
        (
            "| medium | engine | wall s | user CPU s | speed-up vs cobrapy | LPs | "
            "max growth diff / wild type | differing essential calls |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    runs = {}
    for name in args.media.split(","):
        medium = media[name]
        model = _cobra_model(model_path, gem, medium, args.cobra_tolerance)
        solver = model.solver.interface.__name__.split(".")[-1].replace("_interface", "")
        ref_df, t_ref, c_ref = _timed(lambda m=model: single_gene_deletion(m, processes=P))
        ref = {next(iter(ids)): v for ids, v in zip(ref_df["ids"], ref_df["growth"])}
        print(
            f"[{name}] cobrapy single_gene_deletion ({solver}, processes={P}): "
            f"{t_ref:.2f} s wall, {c_ref:.2f} s user CPU"
        )
        rows.append(f"| {name} | cobrapy ({solver}) | {t_ref:.2f} | {c_ref:.2f} | 1.0× | {len(ref_df)} | – | – |")
        differing: dict[str, tuple] = {}
        cpu_growth, t_cpu = None, float("nan")
        for eng in [e for e in engines if e != "jax"]:  # the JAX engine runs last (see below)
            df, t = _engine_run(gem, name, eng, medium, P, ref, t_ref, rows, differing)
            if eng == "highs":
                cpu_growth, t_cpu = dict(zip(df.index, df["growth"])), t
        runs[name] = (model, medium, ref, t_ref, cpu_growth, t_cpu)
        if differing and not args.no_explain:
            for line in _explain(model, list(differing.values())):
                print(f"[{name}] {line}")
                notes.append(f"differing call ({name}): {line}")

        if (args.pairs or args.all_pairs) and name == "synthetic_complete":
            rng = np.random.default_rng(args.seed)
            idx = np.stack(np.triu_indices(gem.n_genes, 1), axis=1) if args.all_pairs else None
            idx = _pairs_sample(gem.n_genes, args.pairs, rng) if idx is None else idx
            pairs = [(gem.gene_ids[a], gem.gene_ids[b]) for a, b in idx]
            _fresh_caches()
            _, t_single, _ = _timed(lambda m=medium: knockout_screen(gem, medium=m, processes=P))
            _fresh_caches()
            dd, t_pairs, c_pairs = _timed(
                lambda m=medium, p=pairs: knockout_screen(gem, genes=[], pairs=p, medium=m, processes=P)
            )
            total = gem.n_genes * (gem.n_genes - 1) // 2
            per_pair = max(t_pairs - t_single, 0.0) / len(pairs)
            est = t_single + per_pair * total
            lp = dd.index[dd["resolved"]]
            check = list(lp[: args.check_pairs])
            checked = set(check)
            rest = [k for k in dd.index if k not in checked]
            check += list(rng.choice(rest, size=max(0, min(len(rest), args.check_pairs - len(check))), replace=False))
            cref = _cobra_pairs(model, [tuple(k.split("+")) for k in check])
            wt = dd.attrs["wild_type_growth"]
            diff, calls = _agreement(check, dd.loc[check, "growth"], cref, wt)
            what = (
                f"all {len(pairs)} pairs timed"
                if len(pairs) == total
                else f"{len(pairs)} random pairs; all {total} pairs estimated at {est:.0f} s (= singles "
                f"{t_single:.2f} s + {per_pair * 1e3:.3f} ms per pair)"
            )
            msg = (
                f"double deletions ({name}): {what}: {t_pairs:.2f} s wall "
                f"({c_pairs:.2f} s user CPU; {dd.attrs['n_lps']} LPs, of which "
                f"{int(dd['resolved'].sum())} pairs needed their own LP); {len(check)} sample pairs "
                f"({min(len(lp), args.check_pairs)} that needed an LP) checked with cobrapy: "
                f"max |diff|/wt {diff:.1e}, differing lethal calls {calls}"
            )
            print(msg)
            notes.append(msg)
    # The JAX engine last, after every process pool has been forked: forking a process whose
    # JAX runtime has started threads slowed the CPU engine's workers in earlier runs.
    for name, (model, medium, ref, t_ref, cpu_growth, t_cpu) in runs.items():
        differing = {}
        if "jax" in engines:
            _engine_run(gem, name, "jax", medium, P, ref, t_ref, rows, differing)
        if args.jax_genes:
            if cpu_growth is None:
                _fresh_caches()
                df = knockout_screen(gem, medium=medium, processes=P)
                cpu_growth = dict(zip(df.index, df["growth"]))
            r, n, d = _jax_subset(gem, medium, args.jax_genes, args.seed, ref, cpu_growth, t_ref, t_cpu, name)
            rows += r
            notes += n
            for gid, g_yc, g_cb in d:
                print(
                    f"[{name}] jax subset: essential call differs for {gid}: yeastcell {g_yc:.6g}, cobrapy {g_cb:.6g}"
                )
                differing.setdefault(gid, (gid, g_yc, g_cb))
        if differing and not args.no_explain:
            for line in _explain(model, list(differing.values())):
                print(f"[{name}] {line}")
                notes.append(f"differing call ({name}, JAX engine): {line}")
    lines = (
        rows
        + [""]
        + [f"- {n}" for n in notes]
        + [
            (
                f"- processes={P}; load average (1 min) {load0:.1f} at the start, {os.getloadavg()[0]:.1f} "
                f"at the end, on {os.cpu_count()} cores: on a shared machine wall times are noisy, ratios "
                "are from the same run."
            ),
            (
                "- not timed: model loading (cobrapy: reading the YAML, which parses the gene rules; "
                "yeastcell: reading the cached arrays and compiling the gene rules once)."
            ),
        ]
    )
    print("\n".join(lines))
    if args.record:
        record("bench_knockouts", lines, title="Knockout screens, both media")
    return lines


if __name__ == "__main__":
    main()
