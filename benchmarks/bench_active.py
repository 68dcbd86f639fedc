"""Active-learning efficiency on the virtual lab: target-aware and information-gain batches vs uncertainty-only vs random.

World. The learner's mechanistic prior is the embedded core model under ``aerobic_batch``; the
hidden truth is a `yeastcell.lab.VirtualLab` on the same model with Vmax changes the learner is
not told about (``TRUTH_CHANGES``), measured with its mass-spectrometry-like noise model (log-normal
10 %, 3 replicates, batch offsets, missing values near the detection limit).

Learners (``--learner``):

* ``parametric`` (default): `ParameterLearner`, the kinetic model with unknown log multipliers of
  the Vmax of every reaction the candidate genes catalyse (8 genes -> 8 Vmax; the four the truth
  changed are among them, the learner is not told which), prior sd 0.5, log-scale noise sd of the
  replicate means sqrt((0.1² + 0.05²)/3) (measurement + batch offsets), Laplace posterior members
  around the Levenberg–Marquardt MAP. It can represent the truth. ``--hypothesis all``: the Vmax of
  every reaction with a gene rule (27), most of which the held-out conditions hardly depend on.
* ``linear``: `LinearResidualLearner` (mechanistic prior + Bayesian linear correction on
  gene-activity features, an ensemble of posterior samples). It cannot (see RESULTS.md).

Candidates (``--library``): knockdowns of ``GENES`` to 20 % and 60 % and all pairwise double
knockdowns (50 % each) ("focused"), or those plus knockdowns to 20 % and 60 % of every other gene
of the model ("genome": what a screen of the whole model would offer; most of those experiments
teach little about ethanol and glycerol, as in a real screen, where most knockdowns have no
phenotype in the measured readout); held out (never offered): single knockdowns to 40 % and 12 double knockdowns at 30 %/70 %, scored
noise-free (the truth's own observables). Observables: extracellular ethanol and glycerol at 20
and 60 min.

Strategies (yeastcell.active.acquisition): "target" (greedy reduction of the predictive variance
of the candidates' outputs, with batch diversity), "eig" (greedy information gain on the model's
weights, with diversity), "uncertainty" (each candidate's own gain, no diversity), "random".

Protocol per seed: every strategy starts from the same random initial design (``--batch``
experiments) and the same lab noise, then acquires ``--batch`` experiments per round for
``--rounds`` rounds. The learning curve is the held-out RMSE (standardised by the prior's spread per
observable) of the ensemble mean after each round. Efficiency: the number of experiments a strategy
needs to reach the error random selection reaches with its full budget, as a fraction of that
budget (mean ± sd over seeds; "not reached" counts as > 1).

    python benchmarks/bench_active.py [--learner parametric|linear] [--library focused|genome] [--seeds 5]
        [--rounds 6] [--batch 3] [--genes 8] [--quick] [--record]
                                      [--plot curve.png]
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import record

GENES = ("HXK2", "PFK1", "TDH3", "PDC1", "ADH1", "GPD1", "FBA1", "CDC19", "TPI1", "PGK1", "GPM1", "ENO2")
TRUTH_CHANGES = {"HXK.Vmax": 0.8, "PDC.Vmax": 1.5, "GPD.Vmax": 2.0, "ADH.Vmax": 0.7}
# extracellular glucose is not an observable here: its change within 60 min is far below the
# 10 % measurement noise on ~110 mM, so it carries no information
OBSERVABLES = ("ETOH_e", "GLY_e")
TIMES = (20.0, 60.0)
BASE = "cond:aerobic_batch"
STRATEGIES = ("target", "eig", "uncertainty", "random")


def candidates(genes, library="focused", all_genes=(), doses=(0.2, 0.6)):
    """The candidate library. "focused": knockdowns of `genes` to each of `doses` (fractions of the
    wild-type level; default 20 % and 60 %) and every pairwise double knockdown (50 % each). "genome":
    the same plus knockdowns to `doses` of every other gene of the model (`all_genes`), as a screen of
    the whole model would offer them; most of those perturb ethanol and glycerol little within an
    hour (isoenzymes, respiration under glucose repression), so a random pick is often a wasted
    experiment. More `doses` make a dose series per gene: near-copies of one idea, which a batch
    rule without diversity picks together."""
    singles = [f"kd:{g}={f:g}" for g in genes for f in doses]
    doubles = [f"kd:{a}=0.5+kd:{b}=0.5" for a, b in itertools.combinations(genes, 2)]
    others = [f"kd:{g}={f:g}" for g in all_genes if g not in genes for f in doses] if library == "genome" else []
    return singles + doubles + others


def with_copies(cands, copies):
    """Every candidate `copies` times, the repeats labelled ``#2``, ``#3``, ... (same perturbation,
    separate experiment: yeastcell.perturb.notation)."""
    return [c if k == 1 else f"{c}#{k}" for c in cands for k in range(1, copies + 1)]


def target_conditions(kind, genes, doses, cands, held):
    """The target strategy's targets: () = every candidate ("candidates"), the focused library's
    perturbations that are candidates ("focused"), or the held-out perturbations ("heldout")."""
    if kind == "focused":
        return tuple(c for c in candidates(genes, doses=doses) if c in cands)
    return tuple(held) if kind == "heldout" else ()


def heldout_conditions(genes, seed=0):
    pairs = list(itertools.combinations(genes, 2))
    pick = np.random.default_rng(seed).choice(len(pairs), size=min(12, len(pairs)), replace=False)
    return [f"kd:{g}=0.4" for g in genes] + [f"kd:{pairs[i][0]}=0.3+kd:{pairs[i][1]}=0.7" for i in sorted(pick)]


def solvable(prior, conditions, times):
    """(the conditions whose prior solve succeeds, the number dropped): a candidate or held-out
    perturbation the mechanistic model cannot simulate at the prior is left out of the benchmark."""
    failed = prior.failures(conditions, times, OBSERVABLES)
    return [c for c in conditions if c not in failed], len(failed)


def efficiency(curves_by_strategy, budget, key="heldout_rmse"):
    """Per seed: experiments needed to reach random's final error (metric `key`), as a fraction of `budget`."""
    out = {}
    for s, curves in curves_by_strategy.items():
        fr = []
        for seed, curve in curves.items():
            target = curves_by_strategy["random"][seed][-1][key]
            # sustained: the first count from which on the error stays at or below the target
            err = np.array([m[key] for m in curve])
            n = np.array([m["n_experiments"] for m in curve])
            ok = np.flip(np.logical_and.accumulate(np.flip(err <= target)))
            fr.append(n[ok][0] / budget if ok.any() else np.inf)
        out[s] = np.array(fr)
    return out


def sd(x):
    """Sample standard deviation over seeds (0 for a single seed)."""
    return float(np.std(x, ddof=1)) if len(x) > 1 else 0.0


def curve_mean(curve, key="heldout_rmse"):
    """Mean held-out error over the acquisition rounds (every point after the initial design): the
    area under the learning curve per round, which rewards reaching low error early and staying there."""
    return float(np.mean([m[key] for m in curve[1:]]))


def paired_vs_uncertainty(curves, strategies, key="heldout_rmse"):
    """Markdown table: each strategy against uncertainty-only on the same seeds (same initial design
    and lab noise): mean paired difference of the final error and of the curve mean, and in how many
    seeds the strategy is lower."""
    seeds = sorted(curves["uncertainty"])
    out = [
        (
            "| vs uncertainty-only (paired by seed) | final error: mean difference, lower in | "
            "mean error over the rounds: mean difference, lower in |"
        ),
        "|---|---:|---:|",
    ]
    for s in strategies:
        if s == "uncertainty":
            continue
        d_fin = np.array([curves[s][k][-1][key] - curves["uncertainty"][k][-1][key] for k in seeds])
        d_auc = np.array([curve_mean(curves[s][k], key) - curve_mean(curves["uncertainty"][k], key) for k in seeds])
        out.append(
            f"| {s} | {d_fin.mean():+.3f} ± {sd(d_fin):.3f}, {int((d_fin < 0).sum())}/{len(seeds)} seeds | "
            f"{d_auc.mean():+.3f} ± {sd(d_auc):.3f}, {int((d_auc < 0).sum())}/{len(seeds)} seeds |"
        )
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learner", choices=("parametric", "linear"), default="parametric")
    ap.add_argument("--posterior", choices=("laplace", "rto"), default="laplace", help="parametric learner's members")
    ap.add_argument(
        "--strategies", default=",".join(STRATEGIES), help="comma-separated subset of " + ",".join(STRATEGIES)
    )
    ap.add_argument("--seeds", type=int, default=None, help="number of seeds (default 5; 2 with --quick)")
    ap.add_argument("--seed-offset", type=int, default=0, help="first seed (to split seeds across processes)")
    ap.add_argument(
        "--curves",
        nargs="+",
        help="skip the loops: score the curves.json files (or --out folders) "
        "of earlier runs (same configuration, disjoint seeds) together",
    )
    ap.add_argument("--rounds", type=int, default=6, help="acquisition rounds after the initial design")
    ap.add_argument("--batch", type=int, default=3, help="experiments per round (and in the initial design)")
    ap.add_argument("--members", type=int, default=16, help="ensemble size")
    ap.add_argument(
        "--additive",
        action="store_true",
        help="additive correction (default: log-ratio correction, multiplicative errors)",
    )
    ap.add_argument(
        "--discrepancy",
        type=float,
        default=0.3,
        help="floor of the learner's noise sd (standardised): measurement noise + model discrepancy",
    )
    ap.add_argument("--genes", type=int, default=8, help="use the first N genes of GENES")
    ap.add_argument(
        "--library",
        choices=("focused", "genome"),
        default="focused",
        help="candidates: knockdowns of the --genes genes and their pairs (focused), or those plus "
        "single knockdowns of every other gene of the model (genome)",
    )
    ap.add_argument(
        "--doses",
        default="0.2,0.6",
        help="knockdown levels of the single-gene candidates (fractions of wild type, comma-separated)",
    )
    ap.add_argument(
        "--copies",
        type=int,
        default=1,
        help="offer every candidate this many times as separate experiments (labels #2, #3, ...: "
        "the same perturbation run again), as a lab can always repeat an experiment; a batch "
        "rule without diversity then fills a batch with repeats of its best idea",
    )
    ap.add_argument(
        "--acquisition-space",
        choices=("raw", "log"),
        default="raw",
        help="acquisition on standardised outputs (raw) or on their natural logs with the lab's "
        "log noise sd (log; parametric learner only)",
    )
    ap.add_argument(
        "--acquisition-uncertainty",
        choices=("ensemble", "linearised"),
        default="ensemble",
        help="the acquisition's Gaussian over candidate outputs: the ensemble members, or the "
        "parametric learner's Laplace posterior through its output Jacobian (linearised; "
        "needs --acquisition-space log)",
    )
    ap.add_argument(
        "--offsets",
        action="store_true",
        help="parametric learner: model the lab's batch offsets as one systematic offset per "
        "observable (prior sd 0.05/sqrt(3) for means of 3 replicates in 3 batches), so the noise "
        "sd is the replicate noise alone (0.1/sqrt(3))",
    )
    ap.add_argument(
        "--hypothesis",
        choices=("focused", "all"),
        default="focused",
        help="parametric learner's unknowns: the Vmax of every reaction the first 8 GENES catalyse "
        "(8 Vmax, focused), or of every reaction with a gene rule in the model (27 Vmax: more "
        "than a round can pin down, most of them irrelevant to the held-out conditions)",
    )
    ap.add_argument(
        "--targets",
        choices=("candidates", "focused", "heldout"),
        default="candidates",
        help='strategy "target": reduce the predictive variance of every candidate, of the focused '
        "library's perturbations (single and double knockdowns of the --genes genes: the study's "
        "question, while a genome library offers more), or of the held-out perturbations "
        "(the loop is told which perturbations it will be asked to predict, never their outcomes: "
        "transductive experimental design)",
    )
    ap.add_argument("--quick", action="store_true", help="smoke test: 2 seeds, 3 rounds, 5 genes, 8 members")
    ap.add_argument("--out", help="folder for the loop checkpoints and curves (default: a temporary folder)")
    ap.add_argument("--plot", help="learning-curve figure (PNG/PDF)")
    ap.add_argument("--record", action="store_true", help="replace its section of benchmarks/RESULTS.md")
    ap.add_argument("--note", help="extra note for the recorded section (e.g. the runs whose --curves are scored)")
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.genes, args.members = 3, 5, 8
    if args.seeds is None:
        args.seeds = 2 if args.quick else 5

    import yeastcell as yc
    from yeastcell.active import (
        CellPrior,
        GeneFeatures,
        LinearResidualLearner,
        LoopConfig,
        ParameterLearner,
        closed_loop,
        vmax_parameters,
    )
    from yeastcell.data import Dataset
    from yeastcell.lab import VirtualLab, hidden_truth

    t_start = time.perf_counter()
    genes = GENES[: args.genes]
    cell = yc.load_cell()
    times = np.array(TIMES)
    prior = CellPrior(cell, BASE)
    try:
        doses = tuple(float(x) for x in args.doses.split(","))
    except ValueError:
        ap.error(f"--doses must be comma-separated numbers, got {args.doses!r}")
    if not doses or any(not 0 < d < 1 for d in doses):
        ap.error(f"--doses must lie strictly between 0 and 1, got {args.doses!r}")
    if args.copies < 1:
        ap.error(f"--copies must be >= 1, got {args.copies}")
    cands = candidates(genes, args.library, [name for _, name, _ in cell.genes], doses)
    cands, n_failed = solvable(prior, cands, times)
    held, _ = solvable(prior, heldout_conditions(genes), times)
    P = prior(cands, times, OBSERVABLES)
    scale = P.std(axis=(0, 1))
    mean = np.abs(P).mean(axis=(0, 1))
    meas_sd = float(np.median(0.1 * mean / scale) / np.sqrt(3))  # 10 % log-normal noise, 3 replicates
    cands = with_copies(cands, args.copies)
    # the learner's noise also covers what a linear correction cannot represent (model discrepancy)
    noise_sd = max(meas_sd, args.discrepancy)
    print(
        f"{len(cands)} candidates ({n_failed} dropped: prior solve failed), {len(held)} held out; "
        f"scale {dict(zip(OBSERVABLES, np.round(scale, 3)))}, noise sd {noise_sd:.3g} (standardised); "
        f"prior ready after {time.perf_counter() - t_start:.0f} s",
        flush=True,
    )

    truth = hidden_truth(cell, parameter_changes=TRUTH_CHANGES)
    probe = VirtualLab(truth, list(OBSERVABLES), base=BASE, seed=0)
    # the lab's first time point is the start of the experiment: simulate from 0, keep TIMES
    _, _, y_held, status = probe.true_observables(held, np.concatenate([[0.0], times]))
    ok = np.asarray(status) == 0
    held = [c for c, good in zip(held, ok) if good]
    y_held = y_held[ok][:, 1:]
    heldout = Dataset(
        tuple(held), times, OBSERVABLES, y_held[:, None], np.ones((len(held), 1) + y_held.shape[1:], bool)
    )
    prior_rmse = float(np.sqrt(np.mean(((prior(held, times, OBSERVABLES) - y_held) / scale) ** 2)))
    print(f"held-out RMSE of the mechanistic model alone: {prior_rmse:.3f}", flush=True)
    feats = GeneFeatures(genes)
    strategies = tuple(x.strip() for x in args.strategies.split(",") if x.strip())
    if any(x not in STRATEGIES for x in strategies) or ("random" not in strategies and not args.out):
        ap.error(
            f"--strategies must be among {STRATEGIES} and include random (the reference), unless the loops "
            f"go to an --out folder that is scored later with --curves"
        )
    if args.learner == "parametric":
        # hypothesis space: the Vmax of every enzyme of the first 8 genes, whatever --genes offers as
        # candidates (so --quick keeps the truth's class)
        params = vmax_parameters(
            cell, GENES[:8] if args.hypothesis == "focused" else [name for _, name, _ in cell.genes]
        )
        # lab: 10 % per replicate, 3 replicates in 3 batches, batch offsets 5 % per (batch, observable):
        # the replicate mean carries the mean of the 3 batch offsets, the same in every experiment
        offset_sd = 0.05 / np.sqrt(3) if args.offsets else 0.0
        log_noise = float(np.sqrt((0.1**2 + (0 if args.offsets else 0.05**2)) / 3))
        # members must solve every condition they are asked to predict: with linearised acquisition the
        # members predict only the held-out conditions (the candidates are scored from sigma points)
        check = tuple(held) if args.acquisition_uncertainty == "linearised" else tuple(cands) + tuple(held)
        learner = ParameterLearner(
            cell,
            params,
            times,
            OBSERVABLES,
            base=BASE,
            prior_sd=0.5,
            noise_sd=log_noise,
            offset_sd=offset_sd,
            posterior=args.posterior,
            check_conditions=check,
        )
        # the model class holds the truth: no discrepancy term in the acquisition noise
        noise_sd = log_noise if args.acquisition_space == "log" else meas_sd
        learner_note = (
            f"parametric learner over {len(params)} Vmax ({', '.join(params)}), prior sd 0.5, "
            f"log noise sd {log_noise:.3f}"
            + (f", per-observable offsets (prior sd {offset_sd:.3f})" if args.offsets else "")
            + f", {args.posterior} members; acquisition on "
            f"{args.acquisition_space} outputs, noise sd {noise_sd:.3g}, uncertainty from the "
            f"{'linearised Laplace posterior' if args.acquisition_uncertainty == 'linearised' else 'ensemble'}"
        )
    elif args.additive:
        learner = LinearResidualLearner(prior, feats, times, OBSERVABLES, scale, noise_sd=noise_sd, prior_sd=0.5)
    else:  # log ratios, standardised by the spread of the prior's logs over the candidates
        log_scale = np.maximum(np.log(np.maximum(P, 1e-12)).std(axis=(0, 1)), 0.05)
        log_noise = max(float(np.median(0.1 / np.sqrt(3) / log_scale)), args.discrepancy)
        learner = LinearResidualLearner(
            prior, feats, times, OBSERVABLES, log_scale, noise_sd=log_noise, prior_sd=0.5, log=True
        )
    if args.learner == "linear":
        if args.acquisition_space == "log":
            ap.error("--acquisition-space log is for the parametric learner")
        learner_note = (
            f"{'additive' if args.additive else 'log-ratio'} linear correction, learner noise sd {learner.noise_sd:.3g}"
        )
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench_active_"))
    curves = {s: {} for s in strategies}
    for path in map(Path, args.curves or ()):
        if path.is_dir():  # an --out folder, possibly of an unfinished run: its finished loops
            from yeastcell.active import learning_curve

            for s in strategies:
                for loop in sorted(path.glob(f"seed*_{s}")):
                    if (loop / "final" / "metrics.json").exists():
                        curves[s][int(loop.name[4:].split("_")[0])] = learning_curve(loop)
            continue
        for s, by_seed in json.loads(path.read_text()).items():
            if s in curves:
                curves[s].update({int(k): v for k, v in by_seed.items()})
    if args.curves:  # score only the seeds every strategy finished
        common = set.intersection(*(set(curves[s]) for s in strategies))
        curves = {s: {k: curves[s][k] for k in sorted(common)} for s in strategies}
    if args.curves:
        args.seeds = len(curves["random"])
    for seed in [] if args.curves else range(args.seed_offset, args.seed_offset + args.seeds):
        lab = VirtualLab(truth, list(OBSERVABLES), base=BASE, seed=1000 + seed)
        for s in strategies:
            cfg = LoopConfig(
                candidates=tuple(cands),
                times_min=TIMES,
                observables=OBSERVABLES,
                scale=tuple(scale),
                rounds=args.rounds + 1,
                batch_size=args.batch,
                n_members=args.members,
                strategy=s,
                n_initial=args.batch,
                noise_sd=noise_sd,
                seed=seed,
                acquisition_space=args.acquisition_space,
                acquisition_uncertainty=args.acquisition_uncertainty,
                targets=target_conditions(args.targets, genes, doses, cands, held) if s == "target" else (),
            )
            t0 = time.perf_counter()
            res = closed_loop(cfg, learner, lab, out / f"seed{seed}_{s}", heldout=heldout, log=None)
            curves[s][seed] = res.curve
            print(
                f"seed {seed} {s:11s}: "
                + " ".join(f"{m['n_experiments']}:{m['heldout_rmse']:.3f}" for m in res.curve)
                + f"  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    (out / "curves.json").write_text(json.dumps({s: {str(k): v for k, v in c.items()} for s, c in curves.items()}))
    if "random" not in strategies:
        print(f"loops done in {out}; score them with --curves together with runs that include random")
        return []
    budget = args.batch * (args.rounds + 1)
    eff = efficiency(curves, budget)
    final = {s: np.array([c[-1]["heldout_rmse"] for c in curves[s].values()]) for s in strategies}
    has_log = all("heldout_log_rmse" in m for s in strategies for c in curves[s].values() for m in c)
    if has_log:  # secondary metric: RMSE of natural logs (loops run before it existed lack it)
        eff_log = efficiency(curves, budget, "heldout_log_rmse")
        final_log = {s: np.array([c[-1]["heldout_log_rmse"] for c in curves[s].values()]) for s in strategies}
    first = np.array([c[0]["heldout_rmse"] for c in curves["random"].values()])

    def fmt(x):
        fin = x[np.isfinite(x)]
        reached = f"{len(fin)}/{len(x)} seeds"
        if len(fin) == 0:
            return f"not reached ({reached})"
        sd = f" ± {fin.std(ddof=1):.2f}" if len(fin) > 1 else ""
        return f"{fin.mean():.2f}{sd} (reached in {reached})"

    lines = [
        (
            f"| strategy | fraction of random's budget ({budget} experiments) to reach random's final error | "
            f"held-out RMSE after {budget} experiments (mean ± sd) |"
            + (" same, on the log-scale RMSE | held-out log-scale RMSE |" if has_log else "")
        ),
        "|---|---:|---:|" + ("---:|---:|" if has_log else ""),
    ]
    for s in strategies:
        lines.append(
            f"| {s} | {fmt(eff[s])} | {final[s].mean():.3f} ± {sd(final[s]):.3f} |"
            + (f" {fmt(eff_log[s])} | {final_log[s].mean():.3f} ± {sd(final_log[s]):.3f} |" if has_log else "")
        )
    lines.append(f"| mechanistic model alone (no learning) | | {prior_rmse:.3f} |" + (" | |" if has_log else ""))
    lines.append("")
    lines.append(
        "Fraction = experiments after which the strategy's held-out error stays at or below random's "
        "final error, over random's budget (sustained, not first touch). Primary metric: RMSE of the "
        "observables standardised by the prior's spread over the candidates"
        + ("; secondary: RMSE of their natural logs (the scale of the lab's log-normal noise)." if has_log else ".")
    )
    if "uncertainty" in strategies and len(strategies) > 2:
        lines += ["", *paired_vs_uncertainty(curves, strategies)]
    dose_text = "/".join(f"{100 * d:g}" for d in doses) + " %"
    library = (
        f"{len(genes)} genes: single knockdowns to {dose_text}, double knockdowns 50/50 %"
        + (
            f"; plus single knockdowns to {dose_text} of every other gene of the model"
            if args.library == "genome"
            else ""
        )
        + (
            f"; each offered {args.copies} times as separate experiments, repeats labelled #2.."
            if args.copies > 1
            else ""
        )
    )
    lines.append(
        f"Seeds {args.seeds}; {len(cands)} candidates ({library}), {len(held)} held-out conditions; "
        f"initial design {args.batch} random "
        f"experiments, then {args.rounds} rounds of {args.batch}; ensemble of {args.members}; "
        f"{learner_note}; "
        + (f"target strategy's targets: {args.targets}; " if "target" in strategies else "")
        + f"held-out RMSE after the initial design {first.mean():.3f}; "
        f"hidden truth: Vmax changes {TRUTH_CHANGES}; wall time {time.perf_counter() - t_start:.0f} s."
    )
    lines.append("")
    for key, what in (("heldout_rmse", "held-out RMSE"), ("heldout_log_rmse", "held-out log-scale RMSE")):
        if key == "heldout_log_rmse" and not has_log:
            continue
        lines.append(f"Learning curves (experiments:{what}), per seed:")
        lines.append("```")
        for seed in sorted(curves["random"]):
            for s in strategies:
                lines.append(
                    f"seed {seed} {s:11s}: " + " ".join(f"{m['n_experiments']}:{m[key]:.3f}" for m in curves[s][seed])
                )
        lines.append("```")
    print("\n".join(lines))
    if args.plot:
        from yeastcell.active.report import plot_learning_curves

        plot_learning_curves(
            {s: list(curves[s].values()) for s in strategies},
            args.plot,
            title=f"core model, virtual lab, {args.seeds} seeds",
        )
        print(f"wrote {args.plot}")
    if args.record:
        record(
            "bench_active",
            lines,
            title=f"Active learning on the virtual lab ({args.learner} learner, {args.library} library)",
            note="2-core machine shared with other jobs (times only indicative)"
            + (f"; {args.note}" if args.note else ""),
        )
    return lines


if __name__ == "__main__":
    main()
