"""Growth from the proteome: the enzyme-constrained Yeast-GEM vs plain FBA, in one run.

**The model** (the default of this benchmark since stop 37): the enzyme-constrained Yeast-GEM with
the ribosome priced and its idle reserve (:mod:`yeastcell.gem.ribosome`, ``YEAST_RIBOSOME``: 10 aa
s⁻¹ per translating ribosome, Bonven & Gulløv 1979; 1.42 MDa of r-protein per ribosome, Ben-Shem
2011; a constant 8 % of the proteome in idle r-protein, Metzl-Raz et al. 2017 eLife 6:e28034). The
pool stands for the enzymes' measured share ``f`` (PaxDb) and the ribosomes the model needs at the
calibration growth rate (:func:`~yeastcell.gem.chemostat.ribosomal_fraction_for_growth`), so the
calibrated saturation equals GECKO's. GECKO's model (no ribosome, pool ``Ptot·f·σ``) is run beside it.

1. **Calibration (one number, one data source).** The pool bound ``P`` is set by
   bisection so that the ecGEM's maximal growth on glucose minimal medium (unlimited uptake)
   equals the median growth rate of the aerobic glucose minimal-medium batch cultures of
   GECKO's ``BayesianGrowthRates.csv``; ``σ`` follows (``Ptot``, ``f`` are measured). Nothing
   else is fitted, and nothing is fitted to the chemostat, the C×N or the proteome data.
2. **Crabtree transition** (van Hoek et al. 1998, GECKO's ``vanHoek1998.tsv``; ``chemostatData.tsv``
   holds the same values for D ≤ 0.2): glucose-limited chemostats by GECKO's protocol
   (:mod:`yeastcell.gem.chemostat`: μ fixed to D, glucose uptake minimised, then pool usage
   minimised; secretion of acetaldehyde, butanediol, pyruvate and formate limited as GECKO limits it,
   ``GECKO_UNMEASURED_SECRETION``). The measured critical dilution rate is the midpoint of the last D without and the
   first D with ethanol secretion; the predicted one is found by bisection (ethanol > 0.05 mmol
   gDW⁻¹ h⁻¹). The onset of any overflow product (ethanol, acetaldehyde, acetate, pyruvate,
   glycerol) is reported beside it.
3. **Carbon × nitrogen grid** (``physiology/maxGrowth_CN_sources_yeast8.csv``, Lu et al. 2019):
   maximal growth on each combination (:mod:`yeastcell.gem.cn_grid`); Spearman and RMSE over the
   combinations with measured growth, and a no-growth confusion table (predicted growth
   ≤ 1e-6 h⁻¹ = no growth). Plain FBA needs a finite uptake: 10 mmol gDW⁻¹ h⁻¹ for every source
   exchange. Both models run on Yeast-GEM with the network curations of
   ``maps/yeastgem_curations.tsv`` (:func:`~yeastcell.gem.curation.curate`: mannose by facilitated
   diffusion, as GECKO's C×N study simulates it; turanose through the Agt1 symporter and split in
   the cytosol); the ecGEM keeps the calibrated pool bound.

4. **Knockout screens** (issue 26: the enzyme-constrained screen of every gene on synthetic
   complete medium in ≤ 10× the plain screen's time): :func:`~yeastcell.gem.screen.knockout_screen`
   of every gene of the plain GEM and :func:`~yeastcell.gem.relative_growth.relative_growth_table`
   of the ecGEM (isoenzymes split: deletions re-price), both on Yeast-GEM's SC medium, each
   from cold caches (LP compression included), best of two runs; the table's effect counts over
   the GEM's genes and the whole-cell model's (``yeast_cell``). Exactness: up to 20 deletions of
   each effect class are re-solved from scratch (no compression, no shortcut, a fresh HiGHS each)
   and compared with the table (:func:`_direct_check`).

5. **Growth-rate dependence of the proteome** (Hackett et al. 2016, ``omics/hackett2016_chemostat``:
   relative log abundances of ~1200 proteins in glucose- (C) and ammonium- (N) limited chemostats at
   D = 0.05-0.30 h⁻¹). Ribosomal proteins (RPL*/RPS*, SGD names): the predicted ribosomal fraction
   (translating + idle, :mod:`yeastcell.gem.proteome_allocation`) vs the measured mean log abundance
   of the r-proteins; trend = sign of the least-squares slope vs D, magnitude = slope of log2 of the
   predicted fraction (Hackett's values are relative log abundances, base not stated, likely log2).
   Glycolysis: the predicted mass fraction of the 17 glycolytic enzymes, with the pool the LP leaves
   unused counted as idle enzyme of the measured (PaxDb) composition
   (``enzyme_fractions(..., idle_composition=...)``), vs the mean log abundance of the same proteins;
   trend = slope sign, with the measured slope's standard error and p-value (a trend is "shown" where
   p < 0.05 by Spearman or OLS), agreement = Spearman over the five D. The enzymes-in-use-only
   fractions of both models are printed beside. Waldron et al. 1977 (Biochem J 168:409): the fraction
   of ribosomes translating at two growth rates, vs the model's translating / total r-protein.

6. **GECKO's model (no ribosome)**: calibrated the same way; its Crabtree transition, C×N grid
   and SC screen (one run), and its glycolytic fraction (enzymes in use). Then the ribosome-priced
   model without its parts (no idle reserve; PaxDb's r-protein fraction as its share of the pool; a
   share of 0.30): critical D each, to show what each part does. No Hackett value enters any model.

Units: growth and D in h⁻¹, fluxes in mmol gDW⁻¹ h⁻¹, pool in g gDW⁻¹.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
import pandas as pd

from ..gem import wildtype
from ..gem.chemostat import (
    ChemostatSetup,
    chemostat_fluxes,
    critical_dilution_rate,
    max_growth,
    pool_for_growth,
    ribosomal_fraction_for_growth,
)
from ..gem.cn_grid import cn_growth, read_max_growth_grid
from ..gem.curation import curate
from ..gem.enzyme import enzyme_constrained, with_pool
from ..gem.enzyme_data import load_enzyme_composition, load_enzyme_data
from ..gem.gpr import compile_gpr, reaction_activity
from ..gem.load import load_gem
from ..gem.medium import apply_medium, read_medium
from ..gem.proteome_allocation import GLYCOLYSIS, enzyme_fractions
from ..gem.relative_growth import NO_CHANGE, relative_growth_table
from ..gem.ribosome import YEAST_RIBOSOME
from ..gem.screen import knockout_screen
from ..load import load_model
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
    "yeast-gem/medium_synthetic_complete.tsv",
    "yeast-gem/SGDgeneNames.tsv",
    "omics/hackett2016_chemostat/hackett_2016_protein.csv",
)
SCREEN_RUNS = 2


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


def _source_means(grid: pd.DataFrame, pred: pd.DataFrame, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Measured and predicted mean growth per source (axis 0: carbon, 1: nitrogen) over the
    combinations with measured growth; sources without any are left out."""
    grows = grid > 0
    m = grid.where(grows).mean(axis=axis)
    p = pred.where(grows).mean(axis=axis)
    keep = m.notna().to_numpy()
    return m.to_numpy()[keep], p.to_numpy()[keep]


def _carbon_table(grid: pd.DataFrame, ec: pd.DataFrame, plain: pd.DataFrame) -> list[str]:
    rows = [
        "| carbon source | n grow | measured | ecGEM | plain FBA | ecGEM where none measured |",
        "|---|---|---|---|---|---|",
    ]
    for c in grid.columns:
        g = grid[c] > 0
        none = f"{ec[c][~g].mean():.3f} (n = {int((~g).sum())})" if (~g).any() else "-"
        if not g.any():
            rows.append(f"| {c} | 0 | - | - | - | {none} |")
            continue
        rows.append(
            f"| {c} | {int(g.sum())} | {grid[c][g].mean():.3f} | {ec[c][g].mean():.3f} | {plain[c][g].mean():.3f} | {none} |"
        )
    return rows


def build_models(gem, data, target: float):
    """The benchmark's default ecGEM (ribosome priced, idle reserve, pool holding the ribosomes of
    ``target``) and GECKO's (no ribosome), both calibrated to maximal growth ``target`` (h⁻¹)."""
    f_r = ribosomal_fraction_for_growth(gem, YEAST_RIBOSOME, target, data.total_protein)
    ec0 = enzyme_constrained(gem, data, ribosome=YEAST_RIBOSOME, ribosomal_mass_fraction=f_r)
    ec = with_pool(ec0, pool_for_growth(ec0, target))
    gecko0 = enzyme_constrained(gem, data)
    gecko = with_pool(gecko0, pool_for_growth(gecko0, target))
    return ec, gecko


def growth_benchmark() -> TaskResult:
    """Run the whole benchmark (see the module docstring); ~2 min on one core."""
    t0 = time.perf_counter()
    root = reference_data_dir()
    gem = load_gem(root / "yeast-gem" / "yeast-GEM.yml")
    data = load_enzyme_data(gem, root)
    target, n_batch = batch_growth_target(root / "gecko" / "BayesianGrowthRates.csv")
    t_build = time.perf_counter()
    f_r = ribosomal_fraction_for_growth(gem, YEAST_RIBOSOME, target, data.total_protein)
    enzyme_constrained(gem, data, ribosome=YEAST_RIBOSOME, ribosomal_mass_fraction=f_r)
    build_s = time.perf_counter() - t_build
    ec, gecko = build_models(gem, data, target)

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
    pred_gk = chemostat_fluxes(gecko.gem, Ds, setup_ec)
    dc_gk = critical_dilution_rate(gecko.gem, setup_ec, threshold=ETHANOL_THRESHOLD)
    err_gk = (dc_gk - d_meas) / d_meas

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
    gem_cn = curate(gem)
    ec_cn = with_pool(
        enzyme_constrained(gem_cn, data, ribosome=YEAST_RIBOSOME, ribosomal_mass_fraction=ec.ribosomal_mass_fraction),
        ec.pool_bound,
    )
    cn_ec = cn_growth(ec_cn.gem, carbons, nitrogens)
    cn_pl = cn_growth(gem_cn, carbons, nitrogens, uptake=PLAIN_UPTAKE)
    gk_cn = with_pool(enzyme_constrained(gem_cn, data), gecko.pool_bound)
    cn_gk = cn_growth(gk_cn.gem, carbons, nitrogens)
    M = grid.to_numpy().ravel()
    pos = M > 0
    stats = {}
    for name, p in (("ec", cn_ec), ("plain", cn_pl), ("gecko", cn_gk)):
        P = p.to_numpy().ravel()
        stats[name] = dict(
            rho=_spearman(M[pos], P[pos]),
            rho_all=_spearman(M, P),
            rmse=float(np.sqrt(np.mean((M[pos] - P[pos]) ** 2))),
            **_confusion(M, P),
        )
    e, p, r = stats["ec"], stats["plain"], stats["gecko"]
    scr = _screens(gem, ec, root / "yeast-gem" / "medium_synthetic_complete.tsv")
    scr_gk = _screen_once(gecko, root / "yeast-gem" / "medium_synthetic_complete.tsv")
    prot, prot_metrics = _proteome_rows(ec, gecko, gem, root)
    variants = _ribosome_variants(gem, data, target, setup_ec, d_meas)
    seconds = time.perf_counter() - t0

    def f(x: float) -> str:
        return "none" if math.isnan(x) else f"{x:.4g}"

    rows = (
        (
            "pool bound P (g/gDW), calibrated",
            "",
            f"{ec.pool_bound:.4g} (σ = {ec.saturation:.3g}; f + f_r − φ_idle = {ec.mass_fraction:.3f} + "
            f"{ec.ribosomal_mass_fraction:.3f} − {ec.ribosome_reserve:.2f})",
            "no pool",
            "max growth the calibration target: "
            + ("yes" if abs(_max_growth_glucose(ec) - target) <= 1e-6 * target else "no"),
        ),
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
        (
            "knockout screen, every gene on SC (s)",
            f"{scr['n_genes']} GEM genes",
            f"{scr['ec_s']:.2f} ({scr['ec_lps']} LPs; {scr['ratio']:.1f}× plain)",
            f"{scr['plain_s']:.2f} ({scr['plain_lps']} LPs)",
            f"<= 10× plain: {'yes' if scr['ratio'] <= 10 else 'no'}",
        ),
        (
            "relative-growth table on SC (genes per effect)",
            f"{scr['n_rows']} genes",
            scr["effects"],
            f"lethal {scr['plain_lethal']}, other {scr['n_genes'] - scr['plain_lethal']}",
            "table for every gene: yes",
        ),
        *prot,
        (
            "GECKO pool, no ribosome: pool bound P (g/gDW), calibrated",
            "",
            f"{gecko.pool_bound:.4g} (σ = {gecko.saturation:.3g}; f = {gecko.mass_fraction:.3f})",
            "no pool",
            "max growth the calibration target: "
            + ("yes" if abs(_max_growth_glucose(gecko) - target) <= 1e-6 * target else "no"),
        ),
        (
            "GECKO pool, no ribosome: critical dilution rate (1/h)",
            f"{d_meas:.4g} ({d_lo:g}-{d_hi:g})",
            f"{f(dc_gk)} ({err_gk:+.1%})",
            f"{f(dc_pl)}",
            f"within 10 %: {'yes' if abs(err_gk) <= 0.10 else 'no'}",
        ),
        ("GECKO pool, no ribosome: ethanol vs D (van Hoek points)", "", pattern(pred_gk), pattern(pred_pl), "-"),
        (
            "GECKO pool, no ribosome: C×N Spearman, measured growth > 0",
            f"n = {int(pos.sum())}",
            f"{r['rho']:.3f} (RMSE {r['rmse']:.3f}; TP FN FP TN {r['TP']} {r['FN']} {r['FP']} {r['TN']})",
            f"{p['rho']:.3f}",
            f">= 0.6: {'yes' if r['rho'] >= 0.6 else 'no'}; > plain: {'yes' if r['rho'] > p['rho'] else 'no'}",
        ),
        (
            "GECKO pool, no ribosome: relative-growth table on SC (s)",
            f"{scr['n_genes']} GEM genes",
            f"{scr_gk['s']:.2f} ({scr_gk['lps']} LPs; {scr_gk['s'] / scr['plain_s']:.1f}× plain; one run): "
            f"{scr_gk['effects']}",
            f"{scr['plain_s']:.2f}",
            f"<= 10× plain: {'yes' if scr_gk['s'] / scr['plain_s'] <= 10 else 'no'}",
        ),
        *variants,
    )
    notes = "\n".join(
        [
            f"ecGEM: ribosome priced ({YEAST_RIBOSOME.elongation_rate:g} aa/s per translating ribosome, "
            f"{YEAST_RIBOSOME.protein_mass / 1e6:.2f} MDa r-protein per ribosome, idle reserve "
            f"{YEAST_RIBOSOME.reserve_fraction:.0%} of the proteome, Metzl-Raz 2017), the pool holding f (PaxDb) and "
            f"the ribosomes at the calibration growth rate (f_r = {ec.ribosomal_mass_fraction:.3f}; PaxDb's r-protein "
            f"fraction is {data.ribosomal_mass_fraction:.3f}); built in {build_s:.2f} s ({ec.gem.n_reactions} columns; "
            f"kcat sources: {ec.costs.counts()}); Ptot {ec.total_protein} g/gDW, f {ec.mass_fraction:.3f} (PaxDb), "
            f"σ calibrated as stated; plain FBA on the C×N grid at {PLAIN_UPTAKE:g} mmol/gDW/h uptake; chemostat "
            f"by-product secretion limits (GECKO's, mmol/gDW/h): {dict(setup_ec.secretion_limits)}; total {seconds:.0f} s.",
            f"Relative-growth screen exactness: {_check_text(scr['check'])}.",
            "",
            "C×N grid per carbon source (means over the nitrogen sources with measured growth, 1/h; "
            f"Spearman of the nitrogen-source means, measured vs ecGEM: {_spearman(*_source_means(grid, cn_ec, 1)):.2f}):",
            "",
            *_carbon_table(grid, cn_ec, cn_pl),
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
        "ribosomal_mass_fraction": ec.ribosomal_mass_fraction,
        "critical_D_gecko": dc_gk,
        "critical_D_gecko_rel_error": err_gk,
        "cn_spearman_gecko": r["rho"],
        "saturation_gecko": gecko.saturation,
        "screen_sc_gecko_s": scr_gk["s"],
        **prot_metrics,
        "screen_sc_plain_s": scr["plain_s"],
        "screen_sc_ecgem_s": scr["ec_s"],
        "screen_sc_ratio": scr["ratio"],
        "screen_check_max_rel_diff": scr["check"]["max_rel_diff"],
        "screen_check_mismatches": len(scr["check"]["effect_mismatch"]) + len(scr["check"]["failed"]),
        "wall_s": seconds,
    }
    return TaskResult("growth", ("quantity", "measured", "ecGEM", "plain FBA", "criterion"), rows, metrics, notes)


def read_hackett_protein(path) -> pd.DataFrame:
    """Hackett 2016 proteome: relative log abundances, ORF × condition (``C0.05`` … ``U0.30``;
    the file's ``p0.22`` is upper-cased)."""
    d = pd.read_csv(path).set_index("Gene")
    d.columns = [c.upper() for c in d.columns]
    return d


def _trend(D: np.ndarray, y: np.ndarray) -> float:
    ok = np.isfinite(y)
    return float(np.polyfit(D[ok], y[ok], 1)[0]) if ok.sum() >= 2 else math.nan


def _word(slope: float) -> str:
    return "none" if math.isnan(slope) else ("rises" if slope > 0 else "falls")


def _trend_stats(D: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float, float]:
    """Least-squares slope, its standard error and p-value, Spearman ρ vs D and its p-value."""
    from scipy.stats import linregress, spearmanr

    fit = linregress(D, y)
    sr = spearmanr(D, y)
    return float(fit.slope), float(fit.stderr), float(fit.pvalue), float(sr[0]), float(sr[1])


#: Waldron et al. 1977 Biochem J 168:409: fraction of ribosomes engaged in protein synthesis at two
#: growth rates (0.54 and 0.30 doublings per hour, i.e. μ = 0.374 and 0.208 h⁻¹).
WALDRON_1977 = ((0.54 * math.log(2), 0.84), (0.30 * math.log(2), 0.50))


def _proteome_rows(ec, gecko, gem, root) -> tuple[list[tuple[str, str, str, str, str]], dict[str, float]]:
    """Ribosomal and glycolytic fractions vs μ under C and N limitation, measured vs the ecGEM (``ec``,
    ribosome priced with its reserve; glycolysis with the unused pool as idle enzyme of the PaxDb
    composition) and, enzymes in use only, both models (``gecko``: GECKO's, no ribosome)."""
    hack = read_hackett_protein(root / "omics" / "hackett2016_chemostat" / "hackett_2016_protein.csv")
    names = pd.read_csv(root / "yeast-gem" / "SGDgeneNames.tsv", sep="\t").set_index("Systematic_name")
    std = names["Standard_name"].astype(str)
    ribo = [g for g in hack.index if std.get(g, "").startswith(("RPL", "RPS"))]
    gly = [g for g in GLYCOLYSIS if g in hack.index]
    composition = load_enzyme_composition(gem, root)
    rows, metrics = [], {}
    for lim in ("C", "N"):
        cols = [c for c in hack.columns if c.startswith(lim)]
        D = np.array([float(c[1:]) for c in cols])
        groups = {"glycolysis": list(GLYCOLYSIS)}
        full = enzyme_fractions(ec, lim, list(D), groups, idle_composition=composition)
        in_use = enzyme_fractions(ec, lim, list(D), groups)["glycolysis"].to_numpy()
        gk_use = enzyme_fractions(gecko, lim, list(D), groups)["glycolysis"].to_numpy()
        # ribosomes
        m_rib = hack.loc[ribo, cols].mean().to_numpy()
        s_r = _trend(D, m_rib)
        pr = full["ribosomal proteins"].to_numpy()
        s_pr = _trend(D, pr)
        s_log = _trend(D, np.log2(pr))
        rows.append(
            (
                f"ribosomal fraction vs μ, {lim}-limited (D {D.min():g}-{D.max():g})",
                f"{_word(s_r)}: slope {s_r:+.2f} log units per h⁻¹ (mean of {len(ribo)} RPL/RPS)",
                f"{_word(s_pr)}: {np.nanmin(pr):.2%} to {np.nanmax(pr):.2%} of protein "
                f"({ec.ribosome_reserve:.0%} idle + translating ∝ μ); log2 slope {s_log:+.2f} per h⁻¹",
                "no ribosome",
                f"measured slope sign: {'yes' if _word(s_r) == _word(s_pr) else 'no'}; log2 slope "
                f"{s_log / s_r:.1f}× the measured",
            )
        )
        metrics[f"ribosomal_slope_sign_{lim}_matches"] = float(_word(s_r) == _word(s_pr))
        metrics[f"ribosomal_log2_slope_{lim}_predicted"] = s_log
        metrics[f"ribosomal_log_slope_{lim}_measured"] = s_r
        # glycolysis
        m_gly = hack.loc[gly, cols].mean().to_numpy()
        s_m, se_m, p_m, rho_d, p_rho = _trend_stats(D, m_gly)
        shown = min(p_m, p_rho) < 0.05
        pred = full["glycolysis"].to_numpy()
        s_p = _trend(D, pred)
        rho = _spearman(pred, m_gly) if np.isfinite(pred).all() else math.nan
        follows = _word(s_m) == _word(s_p)
        rows.append(
            (
                f"glycolytic fraction vs μ, {lim}-limited (D {D.min():g}-{D.max():g}), idle pool at PaxDb make-up",
                f"{_word(s_m)}: slope {s_m:+.2f} ± {se_m:.2f} log units per h⁻¹ (p = {p_m:.2f}; Spearman vs D "
                f"{rho_d:+.2f}, p = {p_rho:.2f}; mean of {len(gly)} proteins)",
                f"{_word(s_p)}: {pred[0]:.2%} at D {D[0]:g} to {pred[-1]:.2%} at {D[-1]:g} of protein (idle enzymes "
                f"{full['idle enzymes'].iloc[0]:.0%} to {full['idle enzymes'].iloc[-1]:.0%}); Spearman vs measured {rho:+.2f}",
                "no enzymes",
                f"follows the measured trend: {'yes' if follows else 'no'}"
                + ("" if shown else " (the measured trend is not significant: p >= 0.05)"),
            )
        )
        rows.append(
            (
                f"glycolytic fraction vs μ, {lim}-limited, enzymes in use only",
                f"{_word(s_m)}",
                f"ecGEM {_word(_trend(D, in_use))}: {in_use[0]:.2%} to {in_use[-1]:.2%}; GECKO pool "
                f"{_word(_trend(D, gk_use))}: {gk_use[0]:.2%} to {gk_use[-1]:.2%}",
                "no enzymes",
                "-",
            )
        )
        metrics[f"glycolytic_trend_{lim}_follows"] = float(follows)
        metrics[f"glycolytic_trend_{lim}_measured_p"] = p_m
        metrics[f"glycolytic_trend_{lim}_in_use_follows"] = float(_word(s_m) == _word(_trend(D, in_use)))
        metrics[f"glycolytic_trend_{lim}_gecko_follows"] = float(_word(s_m) == _word(_trend(D, gk_use)))
    active = []
    for mu, _ in WALDRON_1977:
        total = ribosomal_fraction_for_growth(gem, ec.ribosome, mu, ec.total_protein)
        active.append((total - ec.ribosome_reserve) / total)
    rows.append(
        (
            "ribosomes translating, at μ 0.374 and 0.208 h⁻¹",
            f"{WALDRON_1977[0][1]:.0%} and {WALDRON_1977[1][1]:.0%} (Waldron et al. 1977)",
            f"{active[0]:.0%} and {active[1]:.0%}",
            "no ribosome",
            "-",
        )
    )
    metrics["ribosomes_active_fast"], metrics["ribosomes_active_slow"] = active
    return rows, metrics


def _ribosome_variants(gem, data, target: float, setup: ChemostatSetup, d_meas: float) -> list[tuple]:
    """Critical D of the ribosome-priced model without its parts (calibrated the same way): no idle
    reserve with PaxDb's f_r (stop 36's opt-in model); the reserve with PaxDb's f_r; the reserve with
    f_r = 0.30 (≈30 % of the proteome of fast-growing yeast, Warner 1999 as cited by Metzl-Raz 2017)."""
    cases = (
        ("no idle reserve, PaxDb f_r", dataclasses.replace(YEAST_RIBOSOME, reserve_fraction=0.0), None),
        ("8 % idle reserve, PaxDb f_r", YEAST_RIBOSOME, None),
        ("8 % idle reserve, f_r = 0.30", YEAST_RIBOSOME, 0.30),
    )
    rows = []
    for label, ribosome, f_r in cases:
        m0 = enzyme_constrained(gem, data, ribosome=ribosome, ribosomal_mass_fraction=f_r)
        m = with_pool(m0, pool_for_growth(m0, target))
        dc = critical_dilution_rate(m.gem, setup, threshold=ETHANOL_THRESHOLD)
        err = (dc - d_meas) / d_meas
        rows.append(
            (
                f"variant, ribosome priced with {label}: critical dilution rate (1/h)",
                f"{d_meas:.4g}",
                f"{dc:.4g} ({err:+.1%}; σ = {m.saturation:.3g}, f_r = {m.ribosomal_mass_fraction:.3f})",
                "-",
                f"within 10 %: {'yes' if abs(err) <= 0.10 else 'no'}",
            )
        )
    return rows


def _max_growth_glucose(ec) -> float:
    """Maximal growth (h⁻¹) of ``ec`` with glucose uptake unlimited."""
    g = ec.gem
    lb = g.lb.copy()
    lb[g.reaction_ids.index("r_1714")] = min(lb[g.reaction_ids.index("r_1714")], -1000.0)
    return max_growth(g.replace(lb=lb))[1]


def _screen_once(ec, medium_path) -> dict:
    """Time one relative-growth table of every gene on SC from cold caches."""
    medium = read_medium(medium_path)
    wildtype._COMPRESSED.clear()
    t = time.perf_counter()
    table = relative_growth_table(ec, medium, progress=False)
    s = time.perf_counter() - t
    counts = table["effect"].value_counts()
    return {"s": s, "lps": table.attrs["n_lps"], "effects": "; ".join(f"{k} {v}" for k, v in counts.items())}


def _screens(gem, ec, medium_path) -> dict:
    """Time the plain and the enzyme-constrained screens of every gene on SC (best of runs)."""
    medium = read_medium(medium_path)
    others = [(g.orf, g.name or "") for g in load_model("yeast_cell").genes]
    t_plain, t_ec = [], []
    for _ in range(SCREEN_RUNS):
        wildtype._COMPRESSED.clear()
        t = time.perf_counter()
        plain = knockout_screen(gem, medium=medium, progress=False)
        t_plain.append(time.perf_counter() - t)
        wildtype._COMPRESSED.clear()
        t = time.perf_counter()
        table = relative_growth_table(ec, medium, other_genes=others, progress=False)
        t_ec.append(time.perf_counter() - t)
    counts = table["effect"].value_counts()
    check = _direct_check(ec, medium, table)
    return {
        "check": check,
        "plain_s": min(t_plain),
        "ec_s": min(t_ec),
        "ratio": min(t_ec) / min(t_plain),
        "plain_lps": plain.attrs["n_lps"],
        "ec_lps": table.attrs["n_lps"],
        "n_genes": len(plain),
        "n_rows": len(table),
        "plain_lethal": int((~(plain["growth_ratio"].to_numpy() >= 1e-6)).sum()),
        "effects": "; ".join(f"{k} {v}" for k, v in counts.items()),
    }


CHECK_GENES = 20  # deletions re-solved from scratch per effect class of the table (80 LPs at most)


def _direct_check(ec, medium, table: pd.DataFrame, per_effect: int = CHECK_GENES, seed: int = 0) -> dict:
    """Re-solve a random sample of the table's GEM deletions from scratch and compare.

    Up to ``per_effect`` genes of each effect class (lethal, reduced, none, and the rows the table
    marks "no reaction or enzyme cost changed" without solving them) are deleted in ``ec.gem`` on
    ``medium`` directly: every column the gene rules delete bounded to 0, no LP compression, no
    shortcut, a fresh HiGHS per deletion (:func:`~yeastcell.gem.chemostat.max_growth`). This checks
    the screen's machinery (compression, shortcuts, warm starts, the unchanged-column rule), not the
    enzyme pricing, which both share.

    Returns:
        ``n`` (deletions re-solved), ``per_effect``, ``max_rel_diff`` (largest |direct − screened| growth / wild
        type; infeasible = 0 h⁻¹), ``worst`` (its ORF), ``effect_mismatch`` (ORFs whose direct
        growth puts them in another effect class: lethal below 1e-6 relative, reduced below
        1 − 1e-6), ``failed`` (ORFs whose direct LP stopped with another status than optimal or
        infeasible: reported, not counted as 0).
    """
    g = apply_medium(ec.gem, medium)
    gpr = compile_gpr(g.gene_rules, g.gene_ids)
    rng = np.random.default_rng(seed)
    gem_rows = table[table["in_gem"]]
    sample = [
        orf
        for effect in sorted(set(gem_rows["effect"]))
        for orf in rng.permutation(gem_rows.index[gem_rows["effect"] == effect].to_numpy())[:per_effect]
    ]
    wt = float(table.attrs["wild_type_growth"])
    index = {x: i for i, x in enumerate(g.gene_ids)}
    worst, worst_orf, mismatch, failed = 0.0, "", [], []
    for orf in sample:
        active = np.ones(g.n_genes, dtype=bool)
        active[index[orf]] = False
        off = ~reaction_activity(gpr, active)
        lb, ub = g.lb.copy(), g.ub.copy()
        lb[off] = ub[off] = 0.0
        st, direct, _ = max_growth(g.replace(lb=lb, ub=ub))
        if st not in ("optimal", "infeasible"):
            failed.append(orf)
            continue
        screened = float(table.loc[orf, "growth"])
        screened = 0.0 if not np.isfinite(screened) else screened
        diff = abs(direct - screened) / wt
        if diff > worst or not worst_orf:
            worst, worst_orf = diff, orf
        rel = direct / wt
        effect = table.loc[orf, "effect"]
        direct_effect = "lethal" if rel < 1e-6 else ("reduced" if rel < 1 - 1e-6 else "none")
        if direct_effect != ("none" if effect == NO_CHANGE else effect):
            mismatch.append(orf)
    return {
        "n": len(sample),
        "per_effect": per_effect,
        "max_rel_diff": worst,
        "worst": worst_orf,
        "effect_mismatch": mismatch,
        "failed": failed,
    }


def _check_text(c: dict) -> str:
    def orfs(xs: list[str]) -> str:
        return f"{len(xs)}" + (f" ({', '.join(xs[:10])}{', …' if len(xs) > 10 else ''})" if xs else "")

    return (
        f"{c['n']} deletions (up to {c['per_effect']} per effect class) re-solved from scratch: max |diff| / wild type "
        f"{c['max_rel_diff']:.1e} ({c['worst']}); other effect class: {orfs(c['effect_mismatch'])}; "
        f"failed solves: {orfs(c['failed'])}"
    )


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
