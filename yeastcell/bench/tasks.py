"""The built-in benchmark tasks (registered on import of :mod:`yeastcell.bench`).

Most tasks call a measurement of this package (:mod:`.sbml_suite`, :mod:`.throughput`,
:mod:`.phospho`, :mod:`.stress_proteome`, :mod:`.glucose_pulse`, :mod:`yeastcell.gem`), so they run
from an installed package; ``benchmarks/*.py`` are thin command lines over the same functions. Three
large benchmarks (knockouts, heldout, active) still live only as scripts of the source checkout and
say so when absent. Each run returns a :class:`~yeastcell.bench.task.TaskResult` whose numbers were
measured in that run.

Measurements that need a peer that is not a dependency (python-libsbml, libroadrunner) are imported
when the task runs, after :func:`_needs` has checked that the peer is installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import shlex
import time

from ..gem import essentiality_test
from ._scripts import call_main, script_missing
from .glucose_pulse import glucose_pulse_table
from .growth import DATA as GROWTH_DATA
from .growth import growth_benchmark
from .phospho import phospho_tables
from .stress_proteome import stress_proteome_table
from .task import Option, Task, TaskResult, register, table_from_markdown

YEAST_GEM = ("yeast-gem/yeast-GEM.yml", "yeast-gem/medium_synthetic_complete.tsv")

# Yeast-GEM 9.0.2's own essentiality test (code/modelTests/essentialGenes.m, synthetic complete
# medium, GLPK; yeast-GEM tag "yeast 9.0.2", a2a672e3): positive = viable
YEAST_GEM_902_ESSENTIALITY = {"TP": 950, "TN": 65, "FP": 95, "FN": 14}


def _args_option() -> Option:
    return Option(str, "", "extra command-line arguments passed verbatim to the benchmark script")


# importable module -> (pip distribution, extras of pyproject.toml that install it)
_PEERS = {
    "libsbml": ("python-libsbml", "bench"),
    "roadrunner": ("libroadrunner", "bench"),
    "cobra": ("cobra", ""),
    "sklearn": ("scikit-learn", "bench"),
    "petab": ("petab", ""),
}


def _needs(*modules: str):
    """A check: None when every module imports, else which distribution and extra installs it."""

    def check():
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if not missing:
            return None
        names = ", ".join(_PEERS.get(m, (m, ""))[0] for m in missing)
        extras = sorted({_PEERS.get(m, (m, ""))[1] for m in missing} - {""})
        how = (
            f"pip install -e .[{extras[0]}] (or pip install yeastcell[{extras[0]}])"
            if extras
            else f"pip install {names}"
        )
        return f"peer package(s) {names} not installed: {how}"

    return check


def _measurement(name: str):
    """Import ``yeastcell.bench.<name>``, a measurement whose module imports an optional peer."""
    return importlib.import_module(f"{__package__}.{name}")


def _all(*checks):
    def check():
        for c in checks:
            why = c()
            if why:
                return why
        return None

    return check


def _script(stem: str, entry: str = "main"):
    return lambda: script_missing(stem, entry)


def _script_table(task: str, stem: str, argv: list[str], notes: str) -> TaskResult:
    t0 = time.perf_counter()
    _, lines = call_main(stem, argv)
    seconds = time.perf_counter() - t0
    cmd = " ".join([f"benchmarks/{stem}.py", *map(shlex.quote, argv)])
    return table_from_markdown(
        task, lines, notes=f"{notes} (ran `{cmd}`, {seconds:.0f} s)", metrics={"wall_s": seconds}
    )


def _passthrough(task: str, stem: str, notes: str):
    def run(o: dict) -> TaskResult:
        return _script_table(task, stem, shlex.split(o["args"]), notes)

    return run


# --- SBML Test Suite ------------------------------------------------------------------------------


def _run_sbml(o: dict) -> TaskResult:
    suite = _measurement("sbml_suite")  # imports python-libsbml
    t0 = time.perf_counter()
    results = suite.run_suite(o["cases"] or None, o["workers"], tuple(o["solver"].split(",")), progress=False)
    seconds = time.perf_counter() - t0
    if not results:
        raise ValueError(f"no time-course case matches cases={o['cases']!r}")
    n = len(results)
    count = {k: sum(r.outcome == k for r in results) for k in ("pass", "fail", "unsupported", "error")}
    claimed = [r for r in results if suite.claimed(r.tags)]
    cl_pass = sum(r.outcome == "pass" for r in claimed)
    rate = count["pass"] / n
    rate_cl = cl_pass / len(claimed) if claimed else float("nan")
    row = (
        n,
        count["pass"],
        count["fail"],
        count["unsupported"],
        count["error"],
        f"{100 * rate:.1f} %",
        f"{100 * rate_cl:.1f} % of {len(claimed)}",
        f"{seconds:.0f}",
    )
    cols = ("cases", "pass", "fail", "unsupported", "error", "pass rate", "pass rate, supported tags", "wall s")
    bad = [f"{r.case} [{r.outcome}] {r.detail[:120]}" for r in results if r.outcome in ("fail", "error")]
    notes = f"cases {o['cases'] or 'all time-course cases'}, solvers {o['solver']}, workers {o['workers']}" + (
        "; failures: " + "; ".join(bad[:20]) + (" ..." if len(bad) > 20 else "") if bad else ""
    )
    return TaskResult(
        "sbml", cols, (row,), {"pass_rate": rate, "pass_rate_supported": rate_cl, "wall_s": seconds}, notes
    )


register(
    Task(
        name="sbml",
        title="SBML Test Suite pass rate (semantic time-course cases)",
        description="Imports each SBML Test Suite time-course case with yeastcell.sbml, simulates it and "
        "compares every requested variable with the suite's reference results.",
        data=("sbml/test-suite/index.tsv", "sbml/test-suite/cases"),
        protocol="per case: import, compile, simulate (Tsit5, retry with Kvaerno5), pass if "
        "|sim - ref| <= absolute + relative*|ref| at every time point (the suite's own rule); "
        "constructs yeastcell refuses count as 'unsupported', never as pass",
        metrics=(
            "pass_rate: passing / all time-course cases",
            "pass_rate_supported: passing / cases whose tags yeastcell claims to support",
        ),
        baselines=("the suite's reference results (libSBML/COPASI-derived, shipped with the suite)",),
        run=_run_sbml,
        options={
            "cases": Option(str, "", "case selection such as 1-100,205 (default: all)"),
            "workers": Option(int, 2, "worker processes"),
            "solver": Option(str, "tsit5,kvaerno5", "solvers tried in order"),
        },
        quick={"cases": "1-3", "workers": 1},
        requires=_needs("libsbml"),
    )
)


# --- PEtab test suite -----------------------------------------------------------------------------


def _run_petab(o: dict) -> TaskResult:
    suite = _measurement("petab_suite")  # imports yeastcell.petab (libpetab) when run
    t0 = time.perf_counter()
    results = suite.run_suite(o["cases"] or None, o["workers"], progress=o["progress"], math_tests=o["math"])
    seconds = time.perf_counter() - t0
    if not results:
        raise ValueError(f"no PEtab test-suite case matches cases={o['cases']!r}")
    rows = []
    metrics: dict[str, float] = {"wall_s": seconds}
    for name, c in sorted(suite.counts(results).items()):
        n = sum(c.values())
        rows.append((name, n, c["pass"], c["fail"], c["unsupported"], c["error"], f"{100 * c['pass'] / n:.1f} %"))
        metrics[f"pass_rate {name}"] = c["pass"] / n
    bad = [f"- {r.case} [{r.outcome}]: {r.detail}" for r in results if r.outcome != "pass"]
    notes = f"cases {o['cases'] or 'all'}, workers {o['workers']}, {seconds:.0f} s" + (
        "\n\nCases that do not pass:\n" + "\n".join(bad) if bad else "; every case passes"
    )
    cols = ("suite", "cases", "pass", "fail", "unsupported", "error", "pass rate")
    return TaskResult("petab", cols, tuple(rows), metrics, notes)


register(
    Task(
        name="petab",
        title="PEtab test suite (v1.0.0 and v2.0.0: SBML, PySB, math)",
        description="Loads every PEtab test-suite case with yeastcell.petab, evaluates the objective at the "
        "nominal parameters and scores simulations, chi2 and log-likelihood against the suite's solutions.",
        data=("petab/petab_test_suite/petabtests/cases",),
        protocol="yeastcell.bench.petab_suite: a case passes when the simulation table (max |sim - ref|), "
        "chi2 and llh (and log-priors / unnormalised log-posterior where given) are all within the "
        "solution's tolerances, as petabtests/evaluate.py scores them; features yeastcell refuses at "
        "load count as 'unsupported', never as pass",
        metrics=("pass rate per suite (v1.0.0/sbml, v2.0.0/sbml, v2.0.0/pysb, v2.0.0/math)",),
        baselines=("the suite's reference solutions (AMICI/libpetab-generated, shipped with the suite)",),
        run=_run_petab,
        options={
            "cases": Option(str, "", "comma-separated case prefixes, e.g. v1.0.0/sbml,v2.0.0/sbml/0009 (default: all)"),
            "workers": Option(int, 1, "worker processes"),
            "math": Option(bool, True, "also evaluate the v2.0.0 math expressions"),
            "progress": Option(bool, True, "print each case as it finishes (stderr)"),
        },
        quick={"cases": "v1.0.0/sbml/0001,v2.0.0/sbml/0009", "math": False},
        requires=_needs("petab"),
    )
)


# --- gene essentiality ----------------------------------------------------------------------------


def _mcc(tp, tn, fp, fn) -> float:
    den = ((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)) ** 0.5
    return (tp * tn - fp * fn) / den if den else float("nan")


def _run_essentiality(o: dict) -> TaskResult:
    t0 = time.perf_counter()
    res = essentiality_test(processes=o["processes"])
    seconds = time.perf_counter() - t0
    c = res.counts

    def row(name, tp, tn, fp, fn):
        acc = (tp + tn) / (tp + tn + fp + fn)
        mcc = _mcc(tp, tn, fp, fn)
        return (name, tp, tn, fp, fn, round(acc, 4), "n/a" if math.isnan(mcc) else round(mcc, 4))

    pub = YEAST_GEM_902_ESSENTIALITY
    n_viable, n_inviable = c["TP"] + c["FN"], c["TN"] + c["FP"]
    rows = (
        row("yeastcell knockout_screen (HiGHS), Yeast-GEM", c["TP"], c["TN"], c["FP"], c["FN"]),
        row("published Yeast-GEM 9.0.2 (essentialGenes.m, GLPK)", pub["TP"], pub["TN"], pub["FP"], pub["FN"]),
        row("baseline: every gene viable", n_viable, 0, n_inviable, 0),
    )
    return TaskResult(
        "essentiality",
        ("predictor", "TP", "TN", "FP", "FN", "accuracy", "MCC"),
        rows,
        {"accuracy": res.accuracy, "mcc": res.mcc, "wall_s": seconds},
        f"positive = viable; synthetic complete medium; growth ratio < 1e-6 = essential; scored over "
        f"verified ORFs (SGD 2013) against the Yeast Deletion Project; {seconds:.0f} s",
    )


register(
    Task(
        name="essentiality",
        title="Gene essentiality of Yeast-GEM vs the Yeast Deletion Project",
        description="Single-gene deletions of Yeast-GEM on synthetic complete medium (FBA), scored "
        "against experimentally inviable ORFs, as in Yeast-GEM's own essentialGenes.m.",
        data=YEAST_GEM + ("yeast-gem/essential_orfs_deletion_project.txt", "yeast-gem/verified_orfs_sgd_2013.txt"),
        protocol="all single-gene deletions (yeastcell.gem.essentiality_test); confusion matrix over "
        "verified ORFs, positive = viable",
        metrics=("accuracy", "mcc: Matthews correlation coefficient"),
        baselines=("published Yeast-GEM 9.0.2 figures", "every gene predicted viable"),
        run=_run_essentiality,
        options={"processes": Option(int, 1, "worker processes for the knockout screen")},
    )
)


# --- growth from the proteome: enzyme-constrained Yeast-GEM --------------------------------------


register(
    Task(
        name="growth",
        title="Growth from the proteome: enzyme-constrained Yeast-GEM vs plain FBA",
        description="Critical dilution rate of the Crabtree transition and the chemostat exchange fluxes "
        "(van Hoek 1998), maximal growth on 14 carbon x 23 nitrogen sources (Lu et al. 2019), the "
        "knockout screen of every gene on SC (time vs the plain screen, relative-growth table) and the "
        "glycolytic/ribosomal protein fractions vs growth rate (Hackett 2016), predicted by the "
        "enzyme-constrained Yeast-GEM (GECKO 3 kcats, isoenzymes split, pool row; ribosome priced with an "
        "idle reserve, Metzl-Raz 2017), by GECKO's model (no ribosome) and by plain FBA.",
        data=GROWTH_DATA,
        protocol="yeastcell.bench.growth: one pool bound calibrated to the median aerobic glucose batch "
        "growth rate (BayesianGrowthRates.csv); chemostats by GECKO's protocol (mu = D, min glucose, "
        "then min pool); C x N maximal growth, uptake unlimited (ecGEM) or 10 mmol/gDW/h (plain FBA)",
        metrics=(
            "critical dilution rate and its relative error",
            "ethanol secretion pattern below/above",
            "C x N Spearman and RMSE over measured growth, no-growth confusion table",
            "ecGEM vs plain knockout-screen wall time on SC (<= 10x), genes per relative-growth effect",
            "glycolytic fraction trend vs D under C and N limitation (slope sign, Spearman; idle pool at the "
            "PaxDb make-up), ribosomal trend and log2 slope",
        ),
        baselines=("plain FBA (Yeast-GEM, no enzyme constraint)", "GECKO's ecGEM (no ribosome)"),
        run=lambda o: growth_benchmark(),
    )
)


# --- simulation throughput vs libroadrunner -------------------------------------------------------


def _run_throughput(o: dict) -> TaskResult:
    throughput = _measurement("throughput")  # its peers: libroadrunner, python-libsbml
    t0 = time.perf_counter()
    lines = throughput.throughput_table(
        [int(n) for n in o["sizes"].split()],
        o["rr"],
        o["bdf"],
        strategy=o["strategy"],
        rtol=o["rtol"],
        atol=o["atol"],
        solver=o["solver"],
    )
    seconds = time.perf_counter() - t0
    return table_from_markdown(
        "throughput",
        lines,
        metrics={"wall_s": seconds},
        notes=(f"per-trajectory wall time; ratios = yeastcell / peer in the same run; {seconds:.0f} s"),
    )


register(
    Task(
        name="throughput",
        title="Simulation throughput: yeastcell batches vs libroadrunner and scipy BDF",
        description="100-min time courses of the core model (Teusink 2000 condition, perturbed initial "
        "states) in batches, against libroadrunner on the Teusink SBML and scipy BDF.",
        data=("sbml/biomodels/BIOMD0000000064_teusink2000.xml",),
        protocol="yeastcell.bench.throughput (benchmarks/bench_simulate.py): compile excluded (second "
        "call timed), same perturbation distribution and tolerances for every engine",
        metrics=("ms per trajectory", "ratio to libroadrunner", "ratio to scipy BDF"),
        baselines=("libroadrunner", "scipy.integrate.solve_ivp(method='BDF')"),
        run=_run_throughput,
        options={
            "sizes": Option(str, "1 100 1000", "yeastcell batch sizes"),
            "rr": Option(int, 1000, "libroadrunner trajectories"),
            "bdf": Option(int, 10, "scipy BDF trajectories"),
            "strategy": Option(str, "vmap", "yeastcell batching: vmap, shard or auto"),
            "solver": Option(str, "auto", "auto (simulate_batch's choice), rodas or bdf"),
            "rtol": Option(float, 1e-6, "relative tolerance of every engine"),
            "atol": Option(float, 1e-10, "absolute tolerance of every engine (mM)"),
        },
        quick={"sizes": "1 8", "rr": 8, "bdf": 2},
        requires=_needs("roadrunner", "libsbml"),
    )
)


# --- knockout screen speed vs cobrapy -------------------------------------------------------------


def _run_knockouts(o: dict) -> TaskResult:
    argv = ["--processes", str(o["processes"]), *shlex.split(o["args"])]
    return _script_table(
        "knockouts",
        "bench_knockouts",
        argv,
        "cobrapy single_gene_deletion vs yeastcell knockout_screen, same model and medium",
    )


register(
    Task(
        name="knockouts",
        title="Knockout-screen speed: yeastcell vs cobrapy on Yeast-GEM",
        description="All single-gene deletions of Yeast-GEM on synthetic complete medium, timed for "
        "cobrapy and yeastcell in the same process, with the largest growth difference.",
        data=YEAST_GEM,
        protocol="benchmarks/bench_knockouts.py (a script of the source checkout): model loading not timed",
        metrics=("wall time of each engine", "speed-up", "max |growth difference| (1/h)"),
        baselines=("cobra.flux_analysis.single_gene_deletion",),
        run=_run_knockouts,
        options={"processes": Option(int, 1, "worker processes for both engines"), "args": _args_option()},
        requires=_all(_script("bench_knockouts"), _needs("cobra")),
    )
)


# --- studies: phosphoproteomics, stress proteome, glucose pulse ---------------------------------


def _table_task(task: str, table, notes: str):
    """A run function: ``table(options)`` gives markdown lines; its first table is the result."""

    def run(o: dict) -> TaskResult:
        t0 = time.perf_counter()
        lines = table(o)
        seconds = time.perf_counter() - t0
        return table_from_markdown(task, lines, notes=f"{notes}; {seconds:.0f} s", metrics={"wall_s": seconds})

    return run


def _summary_then_sites(summary: list[str], sites: list[str]) -> list[str]:
    return summary + [""] + sites


register(
    Task(
        name="phospho",
        title="Osmotic-shock phosphoproteomics (Kanshin et al. 2015): direction of change of the whole-cell model",
        description="Fit/predict the phosphopeptide time courses after 0.4 M NaCl osmotic shock "
        "measured by Kanshin et al. 2015 (13 time points, 0-60 min, log2 fold change).",
        data=("omics/kanshin2015_osmotic_phospho/timeSeries.tsv",),
        protocol="yeastcell.bench.phospho (benchmarks/bench_kanshin.py): direction of change of the "
        "uncalibrated yeast_cell at the significant (peptide, time) points",
        metrics=("fraction of significant (peptide, time) points whose direction of change is predicted",),
        baselines=("no change", "every site up"),
        run=_table_task("phospho", lambda o: _summary_then_sites(*phospho_tables()), "osmotic-shock phosphoproteomics"),
    )
)

register(
    Task(
        name="stress_proteome",
        title="Steady-state NaCl proteome (Lahtvee et al. 2017): direction of change before/after training on other stresses",
        description="Predict the direction of change of the modelled proteins in NaCl-stressed chemostats "
        "(0.2-1.0 M) with the whole-cell model, then after training a synthesis-rate residual "
        "on the heat and ethanol conditions of the same study (never on NaCl).",
        data=(
            "omics/lahtvee2017_stress_proteomics/merged_proteomic_data.csv.gz",
            "omics/lahtvee2017_stress_proteomics/flux_data.tsv",
        ),
        protocol="yeastcell.bench.stress_proteome (benchmarks/bench_lahtvee.py): 24 h simulations to steady state; a "
        "measured change is >= 1.5-fold with non-overlapping replicates; a model change < 0.1 "
        "log2 counts as no change",
        metrics=("fraction of measured changes whose direction is predicted",),
        baselines=("no change", "the residual alone (mean change under the other stresses)"),
        run=_table_task(
            "stress_proteome",
            lambda o: stress_proteome_table(o["ridge"], o["hours"]),
            "Lahtvee 2017 NaCl proteome directions",
        ),
        options={
            "ridge": Option(float, 1.0, "shrinkage of the residual (pseudo-conditions of no change)"),
            "hours": Option(float, 24.0, "simulated time to the steady state (h)"),
        },
    )
)

register(
    Task(
        name="glucose_pulse",
        title="Glucose-pulse metabolites (van Heerden et al. 2014): fitted core model vs literature parameters",
        description="Fit the core model's glycolytic Vmax values and ATP demand to the intracellular "
        "metabolites after a 110 mM glucose pulse to a glucose-limited chemostat; score the "
        "log error on time points and on metabolites left out of the fit.",
        data=(
            "timecourses/vanheerden2014_glucose_pulse/metabolites.csv",
            "timecourses/vanheerden2014_glucose_pulse/nucleotides.csv",
        ),
        protocol="yeastcell.bench.glucose_pulse (benchmarks/bench_vanheerden.py): Levenberg–Marquardt (central-difference Jacobian); "
        "validation 1: fit 0-107 s, predict 135-337 s; validation 2: fit 6 metabolites, predict 3",
        metrics=("held-out log RMSE, literature vs fitted parameters",),
        baselines=("the literature-parameter core model",),
        run=_table_task(
            "glucose_pulse", lambda o: glucose_pulse_table(o["epochs"]), "van Heerden 2014 glucose-pulse fit"
        ),
        options={"epochs": Option(int, 40, "Levenberg–Marquardt iterations at most")},
    )
)

# --- kinase-knockout metabolomes from proteomes (Zelezniak et al. 2018) --------------------------


def _run_kinase_metabolome(o: dict) -> TaskResult:
    return _measurement("kinase_metabolome").kinase_metabolome_result(o)  # its peer: scikit-learn


register(
    Task(
        name="kinase_metabolome",
        title="Kinase-knockout metabolomes from proteomes (Zelezniak et al. 2018): held-out strains",
        description="Predict the metabolome (50 metabolites, log2 ratio to the wild type) of kinase-knockout "
        "strains never seen in training from their proteome (726 proteins, log2 ratio to the wild type); "
        "the kinetic model with the proteome as input, and the hybrid (rate-level residuals) against "
        "machine-learning baselines on all proteins.",
        data=(
            "omics/zelezniak2018_kinase_ko/proteome_sva_ln.tsv",
            "omics/zelezniak2018_kinase_ko/sample_metadata.tsv",
            "omics/zelezniak2018_kinase_ko/metabolome_srm.tsv",
        ),
        protocol="yeastcell.bench.kinase_metabolome: strain-grouped k-fold cross-validation (stratified by "
        "the assays that measured a strain), repeated with seeds seed, seed+1, ...; held-out predictions "
        "pooled per repeat and scored per metabolite; coverage of the metabolites and proteins by a model",
        metrics=(
            "median over metabolites of the held-out Pearson r (mean ± sd over repeats)",
            "median Spearman rho, median RMSE of log2 ratios",
            "sign accuracy where |measured log2 ratio| >= 0.5",
        ),
        baselines=(
            "NoChange (wild type)",
            "MeanEffect (mean knockout effect)",
            "Ridge, ElasticNet (all proteins, inner CV)",
            "RandomForest / GradientBoosting (all proteins)",
            "Mechanistic (steady states with the measured proteome), LinearMechanistic (control coefficients)",
            "Hybrid (control coefficients + linear rate residuals, yeastcell.hybrid)",
        ),
        run=_run_kinase_metabolome,
        options={
            "folds": Option(int, 5, "cross-validation folds over strains"),
            "repeats": Option(int, 3, "repeats of the fold split (seeds seed, seed+1, ...)"),
            "seed": Option(int, 0, "seed of the fold splits and of the random predictors"),
            "predictors": Option(
                str,
                "NoChange,MeanEffect,Ridge,ElasticNet,RandomForest,Mechanistic,LinearMechanistic,Hybrid",
                "comma-separated predictors (NoChange, MeanEffect, Ridge, ElasticNet, RandomForest, GradientBoosting, "
                "Mechanistic, LinearMechanistic, Hybrid)",
            ),
            "model": Option(
                str,
                "",
                "model of the mechanistic predictors and the coverage line (default: yeast_central if present, "
                "else yeast_core)",
            ),
            "condition": Option(
                str,
                "",
                "model condition of the mechanistic predictors (default: glucose_batch, glucose-repressed batch growth, "
                "if the model defines it, else aerobic_clamped)",
            ),
            "max_strains": Option(int, 0, "use a seeded random subset of this many strains (0: all)"),
            "max_metabolites": Option(int, 0, "use the first this many metabolites (0: all)"),
            "denoise": Option(
                bool,
                True,
                "the mechanistic predictors simulate the proteome denoised by empirical-Bayes shrinkage of each "
                "protein's log ratios (replicate standard errors of the proteome table; yeastcell.perturb.shrinkage)",
            ),
            "figure": Option(str, "", "write a per-metabolite Pearson r scatter of two predictors to this file"),
            "figure_predictors": Option(str, "Ridge,RandomForest", "the two predictors of the figure (x,y)"),
            "per_metabolite": Option(str, "", "write per-metabolite metrics (TSV) to this file"),
            "well_sampled": Option(
                int, 40, "a second median r over the metabolites measured in at least this many strains"
            ),
        },
        quick={"folds": 2, "repeats": 1, "predictors": "NoChange,MeanEffect,Ridge"},
        requires=_needs("sklearn"),
    )
)


def _run_kinase_direction(o: dict) -> TaskResult:
    return _measurement("kinase_direction").kinase_direction_result(o)


register(
    Task(
        name="kinase_direction",
        title="Kinase knockouts from the perturbation alone (Zelezniak et al. 2018): direction of change",
        description="For the kinase-deletion strains whose deleted gene the signaling model represents (Snf1, "
        "Tpk1/2/3, the HOG pathway kinases, Rck2), the model's knockout steady state without the strain's "
        "proteome predicts the sign of the log2 change of every measured metabolite it maps and every measured "
        "protein it models; scored against the mean knockout effect of the other strains.",
        data=(
            "omics/zelezniak2018_kinase_ko/proteome_sva_ln.tsv",
            "omics/zelezniak2018_kinase_ko/sample_metadata.tsv",
            "omics/zelezniak2018_kinase_ko/metabolome_srm.tsv",
        ),
        protocol="yeastcell.bench.kinase_direction: yc.predict of each strain's knockout (no proteome) under one "
        "condition; predictions pooled over (strain, observable) pairs; MeanEffect leaves the strain out",
        metrics=(
            "sign accuracy where |measured log2 ratio| >= 0.5 (a no-change call is wrong)",
            "accuracy on the pairs where the model predicts a change",
            "Pearson r and RMSE of log2 ratios over the pooled pairs",
        ),
        baselines=("NoChange (wild type)", "MeanEffect (mean over the other strains)"),
        run=_run_kinase_direction,
        options={
            "model": Option(
                str, "", "model (default: yeast_central_cell if present, else yeast_cell); must have the deleted genes"
            ),
            "condition": Option(
                str,
                "",
                "model condition of the steady states (default: glucose_batch, glucose-repressed batch growth on 2 % "
                "glucose, if the model defines it, else aerobic_clamped)",
            ),
            "threshold": Option(float, 0.5, "|measured log2 ratio| from which a sign is scored"),
            "min_predicted": Option(float, 1e-3, "|predicted log2 ratio| below which the model calls no change"),
        },
    )
)

# --- tasks implemented by scripts of the source checkout ------------------------------------------

register(
    Task(
        name="heldout",
        title="Held-out perturbation prediction: hybrid cell vs baselines",
        description="Train on some perturbation time courses, predict held-out perturbations; compare "
        "the hybrid (mechanistic + neural) cell with the mechanistic model alone and simple "
        "baselines (no change, mean effect, additive for combinations).",
        data=(),
        protocol="benchmarks/bench_hybrid.py (held-out conditions never seen in training); external "
        "models are scored through the ModelAdapter protocol (docs/benchmarks.md)",
        metrics=("RMSE on held-out conditions (log2 fold change)",),
        baselines=("mechanistic model", "no change", "mean effect", "additive"),
        run=_passthrough("heldout", "bench_hybrid", "held-out perturbation prediction"),
        options={"args": _args_option()},
        requires=_script("bench_hybrid"),
    )
)

register(
    Task(
        name="active",
        title="Active-learning efficiency on the virtual lab",
        description="Experiments the closed loop needs to reach the held-out error that random selection "
        "reaches with its full budget; compared with random and uncertainty-only selection.",
        data=(),
        protocol="benchmarks/bench_active.py: several seeds, same budget and candidate library for every strategy",
        metrics=("fraction of the random budget needed (mean, sd over seeds)",),
        baselines=("random selection", "uncertainty-only (no diversity) selection"),
        run=_passthrough("active", "bench_active", "active learning vs random and uncertainty-only"),
        options={"args": _args_option()},
        quick={"args": "--quick"},
        requires=_script("bench_active"),
    )
)

# --- PEtab-SciML test suite (yeastcell.bench.petab_sciml_suite) ------------------------------------
register(_measurement("petab_sciml_suite").petab_sciml_task())

# --- signaling time courses: forecasts and left-out conditions (yeastcell.bench.signaling_forecast) ---------


def _run_signaling_forecast(o: dict) -> TaskResult:
    return _measurement("signaling_forecast").signaling_forecast_result(o)


register(
    Task(
        name="signaling_forecast",
        title="Signaling time courses (Kanshin 2015; Gonçalves 2017 nitrogen/rapamycin and NaCl): forecasts of "
        "later time points and left-out conditions, fitted hybrid vs literature model and baselines",
        description="For each dataset fit on the early part of every time course (<= train_until min) and forecast "
        "the rest; and leave one condition out (fit nitrogen upshift + rapamycin, predict the downshift; fit NaCl + "
        "mock, predict NaCl + alpha-factor). "
        "Predictors: the literature TORC1 / HOG module, its rate parameters fitted, the fitted model plus a "
        "neural residual (yeastcell.hybrid), the hybrid driving a readout layer (site occupancy and slow pools, "
        "free-running and assimilated at the last training observation), and baselines.",
        data=(
            "omics/kanshin2015_osmotic_phospho/timeSeries.tsv",
            "omics/goncalves2017_nitrogen_rapamycin/metabol_intensities.tab",
            "omics/goncalves2017_nitrogen_rapamycin/dynamic_phosphoproteomics.tab",
            "omics/goncalves2017_nitrogen_rapamycin/dynamic_transcriptomics.tab",
            "omics/goncalves2017_nacl_pheromone/metabolomics_dynamic_combination_targeted.csv",
            "omics/goncalves2017_nacl_pheromone/pproteomics_dynamic_combination.csv",
        ),
        protocol="yeastcell.bench.signaling_forecast (docs/signaling_forecast.md): models torc1_module / hog_module "
        "(the whole-cell modules alone), 60-min lead-in on the pre-perturbation medium, Levenberg-Marquardt on "
        "the rate constants of the reactions that make or consume a measured species (one-decade prior around "
        "the authored values), then a residual network on the same reactions trained with Adam, then one "
        "readout state per observable (yeastcell.bench.forecast_readout) fitted by bounded least squares; "
        "the readout's driver (literature, fitted, hybrid) and loss chosen on inner splits of the training entries "
        "with the models refitted on them (yeastcell.bench.forecast_select); "
        "random restarts over seeds; NaCl + alpha-factor is simulated "
        "as NaCl (no pheromone pathway) and scored only as the left-out condition",
        metrics=(
            "log2-ratio RMSE on the predicted entries (mean ± sd over seeds)",
            "direction accuracy (sign of the change from the last training value)",
        ),
        baselines=(
            "literature-parameter model",
            "last observation carried forward",
            "mean of the other conditions",
            "linear autoregression per observable",
        ),
        run=_run_signaling_forecast,
        options={
            "datasets": Option(str, "kanshin,nitrogen,nacl", "comma-separated: kanshin, nitrogen, nacl"),
            "seeds": Option(int, 3, "random restarts of the fitted predictors"),
            "lm_epochs": Option(int, 5, "Levenberg-Marquardt iterations at most per start (more: slower, closer fit)"),
            "hybrid_epochs": Option(int, 20, "Adam steps of the residual network (more: slower, closer fit)"),
            "train_until": Option(float, 30.0, "end of the training window (min after the perturbation)"),
        },
        quick={"datasets": "nitrogen", "seeds": 1, "lm_epochs": 2, "hybrid_epochs": 3},
    )
)
