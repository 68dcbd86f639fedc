"""Growth from the proteome: the enzyme-constrained Yeast-GEM vs plain FBA, in one run.

1. **Calibration (one number, one data source).** The pool bound ``P = Ptot·f·σ`` is set by
   bisection so that the ecGEM's maximal growth on glucose minimal medium (unlimited uptake)
   equals the median growth rate of the aerobic glucose minimal-medium batch cultures of
   GECKO's ``BayesianGrowthRates.csv``; ``σ`` follows (``Ptot``, ``f`` are measured). Nothing
   else is fitted, and nothing is fitted to the chemostat or the C×N data.
2. **Crabtree transition** (van Hoek et al. 1998, GECKO's ``vanHoek1998.tsv``; ``chemostatData.tsv``
   holds the same values for D ≤ 0.2): glucose-limited chemostats by GECKO's protocol
   (:mod:`yeastcell.gem.chemostat`: μ fixed to D, glucose uptake minimised, then pool usage
   minimised). The measured critical dilution rate is the midpoint of the last D without and the
   first D with ethanol secretion; the predicted one is found by bisection (ethanol > 0.05 mmol
   gDW⁻¹ h⁻¹). The onset of any overflow product (ethanol, acetaldehyde, acetate, pyruvate,
   glycerol) is reported beside it.
3. **Carbon × nitrogen grid** (``physiology/maxGrowth_CN_sources_yeast8.csv``, Lu et al. 2019):
   maximal growth on each combination (:mod:`yeastcell.gem.cn_grid`); Spearman and RMSE over the
   combinations with measured growth, and a no-growth confusion table (predicted growth
   ≤ 1e-6 h⁻¹ = no growth). Plain FBA needs a finite uptake: 10 mmol gDW⁻¹ h⁻¹ for every source.

Units: growth and D in h⁻¹, fluxes in mmol gDW⁻¹ h⁻¹, pool in g gDW⁻¹.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from ..gem.chemostat import ChemostatSetup, chemostat_fluxes, critical_dilution_rate, pool_for_growth
from ..gem.cn_grid import cn_growth, read_max_growth_grid
from ..gem.enzyme import enzyme_constrained, with_pool
from ..gem.enzyme_data import load_enzyme_data
from ..gem.load import load_gem
from ..refdata import reference_data_dir
from .task import TaskResult

ETHANOL_THRESHOLD = 0.05  # mmol gDW⁻¹ h⁻¹: "secreted"
NO_GROWTH = 1e-6  # h⁻¹
PLAIN_UPTAKE = 10.0  # mmol gDW⁻¹ h⁻¹, plain FBA on the C×N grid
OVERFLOW = {
    "ethanol": "r_1761",
    "acetaldehyde": "r_1631",
    "acetate": "r_1634",
    "pyruvate": "r_2033",
    "glycerol": "r_1808",
}
REPORT = {"glucose": "r_1714", "ethanol": "r_1761", "O2": "r_1992", "CO2": "r_1672"}

DATA = (
    "yeast-gem/yeast-GEM.yml",
    "gecko/customKcats.tsv",
    "gecko/DLKcat.tsv.gz",
    "gecko/uniprot.tsv.gz",
    "gecko/paxDB.tsv",
    "gecko/fluxData.tsv",
    "gecko/vanHoek1998.tsv",
    "gecko/BayesianGrowthRates.csv",
    "physiology/maxGrowth_CN_sources_yeast8.csv",
)


def batch_growth_target(path) -> tuple[float, int]:
    """Median growth rate (h⁻¹) of the aerobic glucose minimal-medium batch cultures, and their count."""
    b = pd.read_csv(path)
    sel = b[
        (b["Species"] == "Saccharomyces_cerevisiae")
        & (b["Substrate"] == "D-glucose")
        & (b["OxAvail"] == "aerobic")
        & (b["Media"] == "MIN")
        & (b["Unused3"] == "Batch")
    ]
    return float(sel["Uptake"].median()), len(sel)  # GECKO's column "Uptake" holds the growth rate


def read_van_hoek(path) -> pd.DataFrame:
    """van Hoek 1998 chemostat rates (GECKO's layout: reaction ids, then names, then rows), by D."""
    lines = [ln.lstrip("\ufeff").split(";") for ln in open(path, encoding="utf-8-sig").read().splitlines() if ln]
    names = lines[1]
    df = pd.DataFrame([[float(x) for x in r] for r in lines[2:]], columns=names)
    return df.set_index("growth")


def measured_critical(df: pd.DataFrame, threshold: float = ETHANOL_THRESHOLD) -> tuple[float, float, float]:
    """(midpoint, last D without, first D with ethanol > threshold), h⁻¹."""
    d = df.index.to_numpy()
    on = df["qethanol"].to_numpy() > threshold
    first = int(np.argmax(on))
    return (d[first - 1] + d[first]) / 2, float(d[first - 1]), float(d[first])


def _confusion(measured: np.ndarray, predicted: np.ndarray) -> dict[str, int]:
    m, p = measured > 0, predicted > NO_GROWTH
    return {"TP": int(np.sum(m & p)), "FN": int(np.sum(m & ~p)), "FP": int(np.sum(~m & p)), "TN": int(np.sum(~m & ~p))}


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b)[0])


def growth_benchmark() -> TaskResult:
    """Run the whole benchmark (see the module docstring); ~1 min on one core."""
    t0 = time.perf_counter()
    root = reference_data_dir()
    gem = load_gem(root / "yeast-gem" / "yeast-GEM.yml")
    data = load_enzyme_data(gem, root)
    t_build = time.perf_counter()
    ec0 = enzyme_constrained(gem, data)
    build_s = time.perf_counter() - t_build
    target, n_batch = batch_growth_target(root / "gecko" / "BayesianGrowthRates.csv")
    ec = with_pool(ec0, pool_for_growth(ec0, target))

    # Crabtree
    vh = read_van_hoek(root / "gecko" / "vanHoek1998.tsv")
    d_meas, d_lo, d_hi = measured_critical(vh)
    report = dict(REPORT, **OVERFLOW)
    setup_ec = ChemostatSetup(report=report)
    setup_plain = ChemostatSetup(report=report, pool=None)
    Ds = list(vh.index)
    pred_ec = chemostat_fluxes(ec.gem, Ds, setup_ec)
    pred_pl = chemostat_fluxes(gem, Ds, setup_plain)
    dc_ec = critical_dilution_rate(ec.gem, setup_ec, threshold=ETHANOL_THRESHOLD)
    dc_pl = critical_dilution_rate(gem, setup_plain, threshold=ETHANOL_THRESHOLD)
    over_ec = _overflow_onset(ec.gem, setup_ec)
    err = (dc_ec - d_meas) / d_meas

    def pattern(pred: pd.DataFrame) -> str:
        below = [D for D in Ds if D < d_meas]
        above = [D for D in Ds if D > d_meas]
        ok_b = sum(bool(pred.loc[D, "ethanol"] <= ETHANOL_THRESHOLD) for D in below)
        ok_a = sum(bool(pred.loc[D, "ethanol"] > ETHANOL_THRESHOLD) for D in above if pred.loc[D, "feasible"])
        n_inf = sum(not pred.loc[D, "feasible"] for D in above)
        extra = f", {n_inf} infeasible" if n_inf else ""
        return f"none below: {ok_b}/{len(below)}; secreted above: {ok_a}/{len(above)}{extra}"

    # C x N grid
    grid = read_max_growth_grid(root / "physiology" / "maxGrowth_CN_sources_yeast8.csv")
    carbons, nitrogens = list(grid.columns), list(grid.index)
    cn_ec = cn_growth(ec.gem, carbons, nitrogens)
    cn_pl = cn_growth(gem, carbons, nitrogens, uptake=PLAIN_UPTAKE)
    M = grid.to_numpy().ravel()
    pos = M > 0
    stats = {}
    for name, p in (("ec", cn_ec), ("plain", cn_pl)):
        P = p.to_numpy().ravel()
        stats[name] = dict(
            rho=_spearman(M[pos], P[pos]),
            rho_all=_spearman(M, P),
            rmse=float(np.sqrt(np.mean((M[pos] - P[pos]) ** 2))),
            **_confusion(M, P),
        )
    e, p = stats["ec"], stats["plain"]
    seconds = time.perf_counter() - t0

    def f(x: float) -> str:
        return "none" if math.isnan(x) else f"{x:.4g}"

    rows = (
        ("pool bound P (g/gDW), calibrated", "", f"{ec.pool_bound:.4g} (σ = {ec.saturation:.3g})", "no pool", "-"),
        (
            "max growth on glucose (1/h)",
            f"{target:.3g} (median of {n_batch} batches)",
            f"{target:.3g}",
            "unbounded",
            "calibration",
        ),
        (
            "critical dilution rate, ethanol (1/h)",
            f"{d_meas:.4g} ({d_lo:g}-{d_hi:g})",
            f"{f(dc_ec)} ({err:+.1%})",
            f"{f(dc_pl)}",
            f"within 10 %: {'yes' if abs(err) <= 0.10 else 'no'}",
        ),
        ("onset of any overflow product (1/h)", f"{d_meas:.4g}", f(over_ec), "none", "-"),
        ("ethanol vs D (van Hoek points)", "", pattern(pred_ec), pattern(pred_pl), "-"),
        (
            "C×N Spearman, measured growth > 0",
            f"n = {int(pos.sum())}",
            f"{e['rho']:.3f}",
            f"{p['rho']:.3f}",
            f">= 0.6: {'yes' if e['rho'] >= 0.6 else 'no'}; > plain: {'yes' if e['rho'] > p['rho'] else 'no'}",
        ),
        ("C×N Spearman, all combinations", f"n = {M.size}", f"{e['rho_all']:.3f}", f"{p['rho_all']:.3f}", "-"),
        ("C×N RMSE, measured growth > 0 (1/h)", "", f"{e['rmse']:.3f}", f"{p['rmse']:.3f}", "-"),
        (
            "C×N growth/no growth TP FN FP TN",
            f"{int(pos.sum())} grow, {int((~pos).sum())} not",
            f"{e['TP']} {e['FN']} {e['FP']} {e['TN']}",
            f"{p['TP']} {p['FN']} {p['FP']} {p['TN']}",
            "-",
        ),
    )
    notes = "\n".join(
        [
            f"ecGEM built in {build_s:.2f} s ({ec.gem.n_reactions} columns; kcat sources: {ec.costs.counts()}); "
            f"Ptot {ec.total_protein} g/gDW, f {ec.mass_fraction:.3f} (PaxDb), σ calibrated as stated; "
            f"plain FBA on the C×N grid at {PLAIN_UPTAKE:g} mmol/gDW/h uptake; total {seconds:.0f} s.",
            "",
            "Chemostat exchange fluxes vs D (mmol/gDW/h; measured | ecGEM | plain FBA):",
            "",
            *_flux_table(vh, pred_ec, pred_pl),
        ]
    )
    metrics = {
        "critical_D_measured": d_meas,
        "critical_D_ecgem": dc_ec,
        "critical_D_rel_error": err,
        "cn_spearman_ecgem": e["rho"],
        "cn_spearman_plain": p["rho"],
        "cn_rmse_ecgem": e["rmse"],
        "saturation": ec.saturation,
        "wall_s": seconds,
    }
    return TaskResult("growth", ("quantity", "measured", "ecGEM", "plain FBA", "criterion"), rows, metrics, notes)


def _overflow_onset(gem, setup: ChemostatSetup) -> float:
    """Smallest D with the overflow products' summed secretion above the threshold (h⁻¹; NaN: none)."""
    return critical_dilution_rate(gem, setup, product=tuple(OVERFLOW), threshold=ETHANOL_THRESHOLD)


def _flux_table(vh: pd.DataFrame, ec: pd.DataFrame, pl: pd.DataFrame) -> list[str]:
    cols = {"glucose": "qglucose", "ethanol": "qethanol", "O2": "qO2", "CO2": "qCO2"}
    head = "| D (1/h) | " + " | ".join(f"{k} meas. / ec / FBA" for k in cols) + " | ecGEM other overflow |"
    lines = [head, "|" + "---|" * (len(cols) + 2)]
    for D in vh.index:
        cells = []
        for k, mk in cols.items():
            sign = -1.0 if k in ("glucose", "O2") else 1.0  # the data give uptakes as positive rates
            a, b = ec.loc[D, k] * sign, pl.loc[D, k] * sign
            cells.append(f"{vh.loc[D, mk]:.3g} / {_num(a)} / {_num(b)}")
        other = ", ".join(
            f"{k} {ec.loc[D, k]:.2f}" for k in OVERFLOW if k != "ethanol" and ec.loc[D, k] > ETHANOL_THRESHOLD
        )
        lines.append(f"| {D:g} | " + " | ".join(cells) + f" | {other or '-'} |")
    return lines


def _num(x: float) -> str:
    return "infeasible" if math.isnan(x) else f"{x:.3g}"
