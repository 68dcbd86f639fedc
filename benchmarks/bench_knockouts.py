"""All Yeast-GEM single-gene deletions: cobrapy vs yeastcell's knockout engines, on two media.

In one process, on the same model, for each medium (the model's own minimal
glucose medium, i.e. its default bounds, and Yeast-GEM's synthetic complete
medium: exchanges closed to (0, 1000), then the table's uptake bounds):

* cobrapy ``single_gene_deletion`` (its default solver, GLPK here), ``--processes`` workers;
* yeastcell ``knockout_screen`` with the CPU engine (HiGHS, same processes) and,
  when ``yeastcell.gem.lp`` is installed, the JAX engine (``engine="jax"``).

Model loading is not timed; the yeastcell timing includes LP compression, the
wild-type solve and the GPR evaluation (its caches are cleared first). Prints
wall times, user CPU time (this process and its workers), speed-ups against
cobrapy in the same run, and agreement: the largest growth difference relative
to the wild type's growth and the number of genes whose essential call
(growth ratio < 1e-6, or infeasible) differs.

Double deletions (``--pairs N``): a random sample of N of the 673,380 gene
pairs is screened with the CPU engine; the full-set time is estimated from it;
``--check-pairs K`` of the sample (all pairs that needed an LP first) are
re-computed with cobrapy (knock out both genes, optimise) and compared.

    python benchmarks/bench_knockouts.py [--processes 2] [--pairs 10000] [--record]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from _common import record

THRESHOLD = 1e-6  # growth ratio below which a gene counts as essential (Yeast-GEM's test)


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


def _cobra_model(model_path, gem, medium):
    import cobra

    from yeastcell.gem import apply_medium, exchange_reactions

    model = cobra.io.load_yaml_model(str(model_path))
    if medium is not None:
        g = apply_medium(gem, medium)
        for i in exchange_reactions(gem):
            model.reactions[i].bounds = (g.lb[i], g.ub[i])
    return model


def _fresh_caches() -> None:
    from yeastcell.gem import screen

    screen._COMPRESSED.clear()


def _agreement(ids, growth, ref: dict, wt: float) -> tuple[float, int]:
    ref_g = np.array([ref[k] for k in ids], dtype=np.float64)
    g = np.asarray(growth, dtype=np.float64)
    both_nan = np.isnan(g) & np.isnan(ref_g)
    one_nan = np.isnan(g) ^ np.isnan(ref_g)
    diff = np.where(both_nan, 0.0, np.abs(g - ref_g) / abs(wt))
    diff[one_nan] = np.inf
    calls = int((_essential(g, wt) != _essential(ref_g, wt)).sum())
    return float(diff.max()), calls


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
    ap.add_argument("--media", default="default,synthetic_complete",
                    help="comma-separated: default, synthetic_complete")
    ap.add_argument("--engines", default="highs,jax", help="yeastcell engines (jax only if installed)")
    ap.add_argument("--pairs", type=int, default=10000, help="random double deletions (0: none)")
    ap.add_argument("--check-pairs", type=int, default=200, help="sample pairs re-checked with cobrapy")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--record", action="store_true", help="append the results to benchmarks/RESULTS.md")
    args = ap.parse_args(argv)

    from cobra.flux_analysis import single_gene_deletion

    from yeastcell.gem import knockout_screen, load_gem, read_medium
    from yeastcell.gem._refdata import yeast_gem_file

    engines = [e for e in args.engines.split(",") if e]
    if "jax" in engines:
        try:
            import yeastcell.gem.lp  # noqa: F401
        except ImportError as e:
            print(f"JAX engine not available ({e}); skipped")
            engines.remove("jax")
    model_path = yeast_gem_file("yeast-GEM.yml")
    gem = load_gem(model_path)
    media = {"default": None,
             "synthetic_complete": read_medium(yeast_gem_file("medium_synthetic_complete.tsv"))}
    P = args.processes
    rows = [("| medium | engine | wall s | user CPU s | speed-up vs cobrapy | LPs | "
            "max growth diff / wild type | differing essential calls |"),
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for name in args.media.split(","):
        medium = media[name]
        model = _cobra_model(model_path, gem, medium)
        solver = model.solver.interface.__name__.split(".")[-1].replace("_interface", "")
        ref_df, t_ref, c_ref = _timed(lambda m=model: single_gene_deletion(m, processes=P))
        ref = {next(iter(ids)): v for ids, v in zip(ref_df["ids"], ref_df["growth"])}
        print(f"[{name}] cobrapy single_gene_deletion ({solver}, processes={P}): "
              f"{t_ref:.2f} s wall, {c_ref:.2f} s user CPU")
        rows.append(f"| {name} | cobrapy ({solver}) | {t_ref:.2f} | {c_ref:.2f} | 1.0× | "
                    f"{len(ref_df)} | – | – |")
        for eng in engines:
            _fresh_caches()
            df, t, c = _timed(lambda e=eng, m=medium: knockout_screen(gem, medium=m, processes=P,
                                                            engine=e))
            wt = df.attrs["wild_type_growth"]
            diff, calls = _agreement(list(df.index), df["growth"], ref, wt)
            n_ess = int(_essential(df["growth"].to_numpy(), wt).sum())
            print(f"[{name}] yeastcell {eng}: {t:.2f} s wall, {c:.2f} s user CPU, "
                  f"{df.attrs['n_lps']} LPs, speed-up {t_ref / t:.1f}x, max |diff|/wt {diff:.1e}, "
                  f"differing calls {calls} ({n_ess} essential, wild type {wt:.6g} /h)")
            rows.append(f"| {name} | yeastcell {eng} | {t:.2f} | {c:.2f} | {t_ref / t:.1f}× | "
                        f"{df.attrs['n_lps']} | {diff:.1e} | {calls} |")

        if args.pairs and name == "synthetic_complete":
            rng = np.random.default_rng(args.seed)
            idx = _pairs_sample(gem.n_genes, args.pairs, rng)
            pairs = [(gem.gene_ids[a], gem.gene_ids[b]) for a, b in idx]
            _fresh_caches()
            _, t_single, _ = _timed(lambda m=medium: knockout_screen(gem, medium=m, processes=P))
            _fresh_caches()
            dd, t_pairs, c_pairs = _timed(lambda m=medium, p=pairs: knockout_screen(
                gem, genes=[], pairs=p, medium=m, processes=P))
            total = gem.n_genes * (gem.n_genes - 1) // 2
            per_pair = max(t_pairs - t_single, 0.0) / len(pairs)
            est = t_single + per_pair * total
            lp = dd.index[dd["resolved"]]
            check = list(lp[: args.check_pairs])
            rest = [k for k in dd.index if k not in set(check)]
            check += list(rng.choice(rest, size=max(0, min(len(rest), args.check_pairs - len(check))),
                                     replace=False))
            cref = _cobra_pairs(model, [tuple(k.split("+")) for k in check])
            wt = dd.attrs["wild_type_growth"]
            diff, calls = _agreement(check, dd.loc[check, "growth"], cref, wt)
            msg = (f"double deletions ({name}): {len(pairs)} random pairs in {t_pairs:.2f} s wall "
                   f"({c_pairs:.2f} s user CPU; {dd.attrs['n_lps']} LPs, of which "
                   f"{int(dd['resolved'].sum())} pairs needed their own LP); all {total} pairs "
                   f"estimated at {est:.0f} s (= singles {t_single:.2f} s + "
                   f"{per_pair * 1e3:.3f} ms per pair); {len(check)} sample pairs "
                   f"({min(len(lp), args.check_pairs)} that needed an LP) checked with cobrapy: "
                   f"max |diff|/wt {diff:.1e}, differing lethal calls {calls}")
            print(msg)
            notes.append(msg)
    lines = rows + [""] + [f"- {n}" for n in notes] + [
        (f"- processes={P}; shared machine (2 cores, other engineers' jobs running): wall times "
        "are noisy, ratios are from the same run.")]
    print("\n".join(lines))
    if args.record:
        record("Knockout screens, both media (bench_knockouts.py)", lines)
    return lines


if __name__ == "__main__":
    main()
