"""Hybrid benchmark: does a neural residual learn hidden regulation that the mechanistic model lacks,
and does it beat simple perturbation baselines on held-out perturbations (incl. unseen double knockouts)?

Set-up (per seed):
* learner's model: the yeast core model with its proteome layer (models/yeast_core.yaml +
  models/proteome.yaml: every enzyme synthesised and turned over, so protein levels respond);
* truth (hidden): the same model plus transcriptional regulation it lacks — the synthesis of several
  enzymes repressed or induced by metabolites (glucose-repression-like control by F16BP, redox control by
  NADH, acetaldehyde induction of PDC5..., all invented for the benchmark) — and two altered kinetic parameters;
* virtual lab (yeastcell.lab.VirtualLab): proteomic + metabolite time courses, log-normal noise,
  batch offsets, intensity-dependent missing values;
* training: >= 30 single-gene knockouts (of the genes whose deletion the learner's own model survives,
  `viable_knockouts`; `--perturbation kd`: knockdowns to 30 % instead) plus the wild type;
  held-out: >= 20 perturbations = knockouts of genes never perturbed in training + double knockouts of
  two training genes, never measured together;
* hybrid: multiplicative residuals on the synthesis rates of the measured proteins (and the altered
  reactions), inputs = the log-scaled metabolite state (gene-activity inputs with `--gene-inputs`);
  trained with `yeastcell.fit.fit` (reverse-mode gradients with the frozen-Jacobian derivative of
  Rodas4P, 1e-3 from the exact gradient, see docs/hybrid.md; Adam with clipped gradients and a
  cosine-decaying step, on every training condition: no validation split, which would hide conditions
  from the residual that the baselines use).

Compared (log-scale RMSE on held-out measured entries): hybrid, mechanistic-only, "no change" (the wild
type's measured course), "mean perturbation effect", additive (a double = sum of its singles' effects)
and a ridge-linear model on perturbation features; the hidden truth itself is scored too (the noise
floor: measurement noise and batch offsets). Mean ± sd over seeds. Also printed: the time of one
loss+gradient over a batch vs the forward simulation of that batch.

    python benchmarks/bench_hybrid.py            # full (3 seeds)
    python benchmarks/bench_hybrid.py --quick    # 1 seed, fewer perturbations/epochs (smoke)
    python benchmarks/bench_hybrid.py --gradient-cost-only   # the gradient-cost figure alone
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

HIDDEN = [  # (synthesis reaction of, effector, K (mM), n, kind, fold)
    ("Ald6", "F16BP_c", 2.0, 2.0, "inhibit", 1.0),  # glucose-repression-like control through the FBP level
    ("Pdc6", "F16BP_c", 2.0, 2.0, "inhibit", 1.0),
    ("Pdc5", "ACE_c", 0.2, 2.0, "activate", 6.0),  # PDC5 induced when acetaldehyde/pyruvate accumulate
    ("Gpd2", "NADH_c", 0.05, 2.0, "activate", 4.0),  # redox-driven GPD2 expression
    ("Hxt2", "GLC_c", 0.1, 1.0, "inhibit", 1.0),  # high-affinity transporter repressed by glucose
    ("Tps1", "G6P_c", 2.0, 2.0, "activate", 4.0),  # trehalose synthesis induced by hexose phosphates
]
PARAM_CHANGES = {"ATPASE.KATPASE": 1.3, "GPD.Vmax": 0.8}
PROTEINS = [h[0] for h in HIDDEN] + ["Pdc1", "Adh1", "Hxk2", "Tdh3", "Cdc19", "Eno2"]
METABOLITES = ["ETOH_e", "GLY_e", "GLC_e", "AC_c", "PYR_c", "G6P_c"]
TIMES = [0.0, 30.0, 60.0, 120.0, 180.0, 240.0]


def composed_model() -> Path:
    import yeastcell

    models = Path(yeastcell.__file__).resolve().parent.parent / "models"
    if not (models / "proteome.yaml").is_file():
        from yeastcell.models import resolve_model_path

        models = resolve_model_path("yeast_core").parent
    d = Path(tempfile.mkdtemp(prefix="yc_bench_hybrid_"))
    p = d / "core_proteome.yaml"
    p.write_text(
        "format: yeastcell-model/1\nmodel: {id: core_proteome, name: yeast core + proteome layer}\n"
        f"include:\n- {models / 'yeast_core.yaml'}\n- {models / 'proteome.yaml'}\n"
    )
    return p


def viable_knockouts(cell, genes, options):
    """Genes whose deletion the learner's own (mechanistic) model survives: the knockout simulates to the
    last sampling time and the cell keeps fermenting (ethanol made by the end >= 10 % of the wild type's).
    The screen a biologist would run before ordering strains; the hidden truth is not consulted."""
    import yeastcell as yc
    from yeastcell.observe import ObservationModel
    from yeastcell.perturb.notation import parse_perturbation

    conds = ["cond:aerobic_batch"] + [f"cond:aerobic_batch+ko:{g}" for g in genes]
    tr = yc.simulate_batch(cell, [parse_perturbation(c) for c in conds], TIMES, options=options)
    etoh = np.asarray(ObservationModel.build(cell, ["ETOH_e"])(tr.conc, tr.flux))[..., 0]
    made = etoh[:, -1] - etoh[:, 0]
    ok = (np.asarray(tr.status) == 0) & np.isfinite(made)
    return [g for i, g in enumerate(genes) if ok[i + 1] and made[i + 1] >= 0.1 * made[0]]


def perturbation_sets(cell, rng, n_train, n_single_test, n_double_test, kind="ko", options=None):
    """(training singles, held-out perturbations): `n_train` single perturbations, then `n_single_test`
    single perturbations of other genes and `n_double_test` doubles of two training genes (never
    measured together). kind "ko": knockouts of the genes the learner's model survives
    (`viable_knockouts`); "kd": knockdowns to 30 % of any gene."""
    genes = [cell.gene_label(i) for i in range(len(cell.genes)) if cell.genes[i][2] >= 0]
    hidden_genes = {h[0].upper() for h in HIDDEN}
    pool = [g for g in genes if g.upper() not in hidden_genes]
    if kind == "ko":
        pool = viable_knockouts(cell, pool, options)
    if len(pool) < n_train + n_single_test:
        raise SystemExit(f"only {len(pool)} candidate genes for {n_train} + {n_single_test} single perturbations")
    rng.shuffle(pool)
    one = (lambda g: f"ko:{g}") if kind == "ko" else (lambda g: f"kd:{g}=0.3")
    train_genes = pool[:n_train]
    test_genes = pool[n_train : n_train + n_single_test]
    train = [one(g) for g in train_genes]
    singles_test = [one(g) for g in test_genes]
    doubles = []
    while len(doubles) < n_double_test:
        a, b = sorted(rng.choice(len(train_genes), 2, replace=False))
        d = f"{one(train_genes[a])}+{one(train_genes[b])}"
        if d not in doubles:
            doubles.append(d)
    return train, singles_test + doubles


def _parts(cond: str) -> list[str]:
    return [p.strip() for p in cond.split("+") if p.strip().startswith(("kd:", "ko:", "oe:"))]


def _parts_text(cond: str) -> str:
    return "+".join(_parts(cond)) or "wt"


def baselines(train_ds, test_ds):
    """Predictions (log) of the four simple baselines for the test conditions, shape (n_test, n_t, n_obs)."""

    def logmean(ds):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nanmean(np.where(ds.mask, np.log(ds.values), np.nan), axis=1)

    tr = logmean(train_ds)
    wt_i = next(i for i, c in enumerate(train_ds.conditions) if not _parts(c))
    wt = tr[wt_i]
    eff = {c: tr[i] - wt for i, c in enumerate(train_ds.conditions) if _parts(c)}
    mean_eff = np.nanmean(np.stack(list(eff.values())), axis=0)
    single_eff = {_parts(c)[0]: e for c, e in eff.items() if len(_parts(c)) == 1}
    feats = sorted(single_eff)
    X = np.array([[1.0 if f in _parts(c) else 0.0 for f in feats] for c in eff])
    Y = np.stack([np.nan_to_num(e, nan=0.0) for e in eff.values()]).reshape(len(eff), -1)
    lam = 1.0
    Xc = np.hstack([X, np.ones((len(X), 1))])
    W = np.linalg.solve(Xc.T @ Xc + lam * np.eye(Xc.shape[1]), Xc.T @ Y)
    out = {"no change": [], "mean effect": [], "additive": [], "linear": []}
    for c in test_ds.conditions:
        parts = _parts(c)
        out["no change"].append(wt)
        out["mean effect"].append(wt + mean_eff)
        if parts and all(p in single_eff for p in parts):
            out["additive"].append(wt + sum(np.nan_to_num(single_eff[p]) for p in parts))
        else:
            out["additive"].append(wt + mean_eff)
        x = np.array([1.0 if f in parts else 0.0 for f in feats] + [1.0])
        out["linear"].append(wt + (x @ W).reshape(wt.shape))
    return {k: np.stack(v) for k, v in out.items()}


def rmse(pred_log, ds, scored=None):
    """Log-scale RMSE over the measured entries of `ds` in the conditions `scored` (bool, default all)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        data = np.where(ds.mask, np.log(ds.values), np.nan)
    err = data - pred_log[:, None]
    if scored is not None:
        err = err[np.asarray(scored)]
    return float(np.sqrt(np.nanmean(err**2)))


def model_log_predictions(model, ds, options):
    import yeastcell as yc
    from yeastcell.observe import ObservationModel
    from yeastcell.perturb.notation import parse_perturbation

    tr = yc.simulate_batch(model, [parse_perturbation(c) for c in ds.conditions], ds.times_min, options=options)
    om = ObservationModel.build(model, ds.observables)
    y = np.asarray(om(tr.conc, tr.flux))
    ok = np.asarray(tr.status) == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.log(np.maximum(y, 1e-12))
    out[~ok] = np.nan
    return out, int((~ok).sum())


def setup_seed(seed, args, cell):
    """(train Dataset, test Dataset, zero-initialised hybrid, solver options, hidden truth) of one seed."""
    import yeastcell as yc
    from yeastcell.hybrid import hybridize
    from yeastcell.lab import HiddenRegulation, MeasurementModel, VirtualLab, hidden_truth

    rng = np.random.default_rng(seed)
    regs = [HiddenRegulation(f"syn_{p}", eff, K, n, kind, fold) for p, eff, K, n, kind, fold in HIDDEN]
    truth = hidden_truth(cell, regs, parameter_changes=PARAM_CHANGES)
    obs = PROTEINS + METABOLITES
    lab = VirtualLab(
        truth,
        obs,
        base="cond:aerobic_batch",
        seed=seed,
        measurement=MeasurementModel(sigma_log=0.1, n_replicates=3, lod_mM=1e-6),
    )
    options = yc.SolverOptions(rtol=1e-6, atol=1e-9, max_steps=20_000)
    train, test = perturbation_sets(
        cell, rng, args.n_train, args.n_single_test, args.n_double_test, kind=args.perturbation, options=options
    )
    train_ds = lab.run(["wt"] + train, TIMES)
    test_ds = lab.run(test, TIMES)
    ok_train = [c for i, c in enumerate(train_ds.conditions) if train_ds.mask[i].any()]
    train_ds = train_ds.subset(conditions=ok_train)
    targets = [f"syn_{p}" for p in PROTEINS] + ["ATPASE", "GPD"]
    # inputs: the log-scaled metabolite state only by default. Gene-activity inputs (--gene-inputs) give
    # every perturbed gene its own first-layer weights, and those of genes never perturbed in training
    # keep their random initial values: the held-out single perturbations would be read through
    # untrained weights. The perturbation reaches the network through the state it changes.
    genes = sorted({p.split(":")[1].split("=")[0] for c in train for p in _parts(c)}) if args.gene_inputs else []
    hyb = hybridize(
        cell,
        rate_targets=targets,
        input_species=METABOLITES + ["F16BP_c", "NADH_c", "ACE_c", "GLC_c"],
        input_genes=genes,
        width=args.width,
        depth=1,
        key=__import__("jax").random.PRNGKey(seed),
    )
    return train_ds, test_ds, hyb, options, truth


def run_seed(seed, args, cell):
    from yeastcell.fit import fit, residual_optimizer
    from yeastcell.solvers import Rodas4P

    train_ds, test_ds, hyb, options, truth = setup_seed(seed, args, cell)
    train_options = (
        options
        if args.exact_jacobian_gradient
        else dataclasses.replace(options, solver=Rodas4P(differentiate_jacobian=False))
    )
    t0 = time.perf_counter()
    # every training condition is trained on: the baselines use all of them, and a validation split of
    # conditions would withhold the rare strong perturbations (one knockout of a major glycolytic
    # isoenzyme per seed) from the residual alone. Overfitting is held by the weight and output
    # penalties and the fixed decaying schedule; early stopping watches the training loss.
    batch = min(args.batch, len(train_ds.conditions))
    steps = args.epochs * -(-len(train_ds.conditions) // batch)
    opt = residual_optimizer(args.lr, steps)  # clipped Adam, cosine-decaying step (yeastcell.fit.schedule)
    res = fit(
        hyb,
        train_ds,
        train="residual",
        optimizer=opt,
        epochs=args.epochs,
        batch_size=batch,
        validation_fraction=None,
        patience=args.patience,
        seed=seed,
        options=train_options,
        gradient="reverse",
        sigma_log2=0.15,
        progress=True,
    )
    t_train = time.perf_counter() - t0
    preds = baselines(train_ds, test_ds)
    preds["mechanistic"], failed_m = model_log_predictions(cell, test_ds, options)
    preds["hybrid"], failed_h = model_log_predictions(res.model, test_ds, options)
    preds["hidden truth (noise floor)"], _ = model_log_predictions(truth, test_ds, options)
    # a failed simulation is not scored as if it had predicted nothing: the conditions where the
    # mechanistic model, the hybrid or the truth failed are left out for every predictor, and the
    # hybrid's failures are counted in the printed summary
    scored = np.all(
        [np.isfinite(preds[k]).all(axis=(1, 2)) for k in ("mechanistic", "hybrid", "hidden truth (noise floor)")],
        axis=0,
    )
    double = np.array([len(_parts(c)) == 2 for c in test_ds.conditions])
    scores = {k: rmse(v, test_ds, scored) for k, v in preds.items()}
    scores.update({f"{k} @doubles": rmse(v, test_ds, scored & double) for k, v in preds.items()})
    per_cond = {
        k: [rmse(preds[k], test_ds, np.arange(len(double)) == i) for i in range(len(double))]
        for k in ("hybrid", "additive")
    }
    worst = int(np.nanargmax(per_cond["hybrid"]))
    return (
        scores,
        {
            "train_s": t_train,
            "epochs": len(res.history),
            "failed_mech": failed_m,
            "failed_hybrid": failed_h,
            "n_train": len(train_ds.conditions),
            "n_test_measured": int(test_ds.mask.any(axis=(1, 2, 3)).sum()),
            "n_test_scored": int((scored & test_ds.mask.any(axis=(1, 2, 3))).sum()),
            "n_double_test": args.n_double_test,
            "hybrid_worst": f"{_parts_text(test_ds.conditions[worst])} {per_cond['hybrid'][worst]:.3f} "
            f"(additive {per_cond['additive'][worst]:.3f})",
        },
        (hyb, train_ds, options),
    )


def gradient_cost(hyb, ds, options, batch):
    """Seconds of one forward simulation of a batch and of one loss+gradient over it (reverse mode,
    the adjoint `fit` uses), with the exact and the frozen-Jacobian derivative (2nd calls)."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from yeastcell.fit import fittable
    from yeastcell.fit.problem import build_problem, loss_terms, simulate_observables
    from yeastcell.fit.train import gradient_solver_options

    options = gradient_solver_options(options, "reverse")  # the adjoint `fit` uses

    f = fittable(hyb)
    prob = build_problem(hyb, ds.subset(conditions=list(ds.conditions)[:batch]))
    idx = jnp.arange(len(prob.conditions))
    spec = jax.tree_util.tree_map(lambda _: False, f)
    spec = eqx.tree_at(lambda m: m.model.net, spec, replace=jax.tree_util.tree_map(eqx.is_inexact_array, f.model.net))
    tr, st = eqx.partition(f, spec)
    from yeastcell.solvers import Rodas4P

    frozen = dataclasses.replace(options, solver=Rodas4P(differentiate_jacobian=False))
    vg = eqx.filter_jit(eqx.filter_value_and_grad(lambda t: loss_terms(eqx.combine(t, st), prob, idx, options)[0]))
    vg_f = eqx.filter_jit(eqx.filter_value_and_grad(lambda t: loss_terms(eqx.combine(t, st), prob, idx, frozen)[0]))
    fw = eqx.filter_jit(lambda m: simulate_observables(m, prob, prob.conds, options)[0])
    times = {}
    for name, fn, arg in (("forward", fw, hyb), ("loss+grad", vg, tr), ("loss+grad frozen J", vg_f, tr)):
        jax.block_until_ready(fn(arg))
        t0 = time.perf_counter()
        jax.block_until_ready(fn(arg))
        times[name] = time.perf_counter() - t0
    return times


def _gradient_line(t, batch):
    return (
        f"loss+gradient over a batch of {batch} conditions: {t['loss+grad']:.3f} s exact "
        f"({t['loss+grad'] / t['forward']:.1f}x), {t['loss+grad frozen J']:.3f} s with the frozen-Jacobian "
        f"derivative ({t['loss+grad frozen J'] / t['forward']:.1f}x); forward simulation of the batch: "
        f"{t['forward']:.3f} s (goal <= 5x)"
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 seed, small sets (smoke run)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--patience", type=int, default=12)
    ap.add_argument(
        "--perturbation",
        choices=("ko", "kd"),
        default="ko",
        help="single perturbations: knockouts of model-viable genes (default) or knockdowns to 30 %%",
    )
    ap.add_argument(
        "--gene-inputs",
        action="store_true",
        help="also feed the training genes' activities to the network (see setup_seed)",
    )
    ap.add_argument("--n-train", type=int, default=32)
    ap.add_argument("--n-single-test", type=int, default=8)
    ap.add_argument("--n-double-test", type=int, default=14)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--batch", type=int, default=14)
    ap.add_argument("--lr", type=float, default=2e-2, help="initial Adam step (cosine decay to 2 %% of it)")
    ap.add_argument(
        "--exact-jacobian-gradient",
        action="store_true",
        help="train with exact gradients (default: the frozen-Jacobian derivative, docs/hybrid.md)",
    )
    ap.add_argument(
        "--gradient-cost-only",
        action="store_true",
        help="only time one loss+gradient against the forward simulation (seed 0 set-up)",
    )
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs, args.n_train, args.n_single_test, args.n_double_test = 1, 6, 8, 2, 3
    import yeastcell as yc

    cell = yc.load_cell(composed_model())
    if args.gradient_cost_only:
        train_ds, _, hyb, options, _ = setup_seed(0, args, cell)
        batch = min(8, len(train_ds.conditions))
        t = gradient_cost(hyb, train_ds, options, batch)
        setup = (
            f"(seed 0 set-up of the full benchmark: {len(train_ds.conditions)} training conditions, "
            f"{len(TIMES)} times to {TIMES[-1]:.0f} min, rtol 1e-6; 2nd calls timed)"
        )
        lines = [_gradient_line(t, batch), setup]
        print("\n".join(lines))
        if not args.no_record:
            from _common import record

            record("bench_hybrid --gradient-cost-only", lines, title="Hybrid gradient cost")
        return
    all_scores, infos = [], []
    ctx = None
    for seed in range(args.seeds):
        scores, info, ctx = run_seed(seed, args, cell)
        all_scores.append(scores)
        infos.append(info)
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()) + f"  {info}")
    names = [k for k in all_scores[0] if not k.endswith(" @doubles")]
    lines = [
        f"| predictor | held-out log RMSE, all (mean ± sd over {len(all_scores)} seeds) | double knockouts only |",
        "| --- | --- | --- |",
    ]

    def cell_text(key):
        v = np.array([s[key] for s in all_scores])
        return f"{v.mean():.3f} ± {v.std():.3f}"

    for k in names:
        lines.append(f"| {k} | {cell_text(k)} | {cell_text(k + ' @doubles')} |")
    hyb = np.array([s["hybrid"] for s in all_scores])
    mech = np.array([s["mechanistic"] for s in all_scores])
    lines.append("")
    lines.append(
        f"hybrid vs mechanistic RMSE reduction: {100 * (1 - hyb.mean() / mech.mean()):.1f} % "
        "(goal >= 50 %); hybrid below every simple baseline: "
        f"{all(hyb.mean() < np.mean([s[k] for s in all_scores]) for k in ('no change', 'mean effect', 'additive', 'linear'))}; "
        f"held-out conditions the hybrid failed to simulate: {sum(i['failed_hybrid'] for i in infos)} (left out "
        "of every predictor's score)"
    )
    hyb_model, train_ds, options = ctx
    batch = min(8, len(train_ds.conditions))
    t = gradient_cost(hyb_model, train_ds, options, batch)
    lines.append(_gradient_line(t, batch))
    lines.append(f"runs: {infos}")
    text = "\n".join(lines)
    print(text)
    if not args.no_record:
        from _common import record

        record(
            "bench_hybrid" + (" --quick" if args.quick else ""),
            lines,
            title="Hybrid residuals vs baselines (virtual lab, hidden regulation)",
        )


if __name__ == "__main__":
    main()
