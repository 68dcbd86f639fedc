"""Osmotic shock (0.4 M NaCl) in the whole-cell model: wild type vs hog1Δ over an hour.

Panels: dually phosphorylated Hog1 (model, log2 fold change vs 0 min, with the Kanshin et al. 2015
Hog1 T174/Y176 phosphopeptides overlaid), intracellular glycerol, relative cell volume, and Gpd1
protein. What the literature reports: Hog1 is phosphorylated and nuclear within minutes and returns
as glycerol accumulates and the volume recovers (Klipp et al. 2005 Nat Biotechnol 23:975;
Muzzey et al. 2009 Cell 138:160); hog1Δ cells neither induce GPD1 nor recover their volume
(Albertyn et al. 1994 Mol Cell Biol 14:4135; Brewster et al. 1993 Science 259:1760).
The Kanshin phosphosites (yeastcell/studies/maps/kanshin2015_site_map.tsv) are drawn when the reference data are
available ($YEASTCELL_REFERENCE_DATA or ../shared/data).

    python examples/osmotic_shock.py [--out osmotic_shock.png] [--smoke]
"""

from __future__ import annotations

import argparse

import numpy as np

import yeastcell as yc


def _kanshin_hog1(root=None):
    """(times, {site: log2fc}) of the mapped Hog1 phosphosites, or None without the data."""
    try:
        from yeastcell.studies.kanshin2015 import read_kanshin2015, read_site_map

        rows = [m for m in read_site_map() if m.gene == "HOG1"]
        ds = read_kanshin2015(root, orfs=["YLR113W"])
    except (yc.YeastcellError, OSError) as err:
        print(f"Kanshin 2015 data not drawn: {err}")
        return None
    obs = list(ds.observables)
    return ds.times_min, {
        f"Kanshin {m.gene} {m.site}": np.asarray(ds.values)[0, 0, :, obs.index(m.peptide)]
        for m in rows
        if m.peptide in obs
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="osmotic_shock.png")
    ap.add_argument("--smoke", action="store_true", help="short horizon, for CI")
    args = ap.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from yeastcell.io import atomic_path
    from yeastcell.studies.kanshin2015 import model_phospho_log2fc

    cell = yc.load_cell("yeast_cell")
    t = np.linspace(0.0, 10.0 if args.smoke else 60.0, 11 if args.smoke else 61)  # min
    runs = {"wild type": yc.wild_type(), "hog1Δ": yc.knockout("HOG1")}
    perts = [yc.condition("aerobic_clamped") + yc.osmotic_shock(0.4) + p for p in runs.values()]
    batch = yc.simulate_batch(cell, perts, t).raise_if_failed()
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    for k, label in enumerate(runs):
        tr = batch[k]
        pp = (
            model_phospho_log2fc(cell, tr, ("Hog1_PP", "Hog1_PP_n")) if label == "wild type" else np.zeros_like(t)
        )  # hog1Δ: no Hog1 at all (drawn at 0)
        axes[0, 0].plot(t, pp, label=f"model {label}")
        axes[0, 1].plot(t, tr.species("GLY_c"), label=label)
        axes[1, 0].plot(t, tr.observable("cell_volume_rel"), label=label)
        axes[1, 1].plot(t, 1e3 * np.asarray(tr.species("Gpd1")), label=label)
        print(
            f"{label:10s} Hog1-PP fraction peak {np.max(tr.observable('hog1_pp_fraction')):.2f}, "
            f"glycerol {tr.species('GLY_c')[0]:.3g} -> {tr.species('GLY_c')[-1]:.3g} mM, volume min "
            f"{np.min(tr.observable('cell_volume_rel')):.2f} end {tr.observable('cell_volume_rel')[-1]:.2f}, "
            f"Gpd1 x{tr.species('Gpd1')[-1] / tr.species('Gpd1')[0]:.2f}"
        )
    data = _kanshin_hog1()
    if data is not None:
        times, sites = data
        for name, y in sites.items():
            axes[0, 0].plot(times, y, "o", ms=4, label=name)
    axes[0, 0].set_ylabel("phospho-Hog1, log2 fold change")
    axes[0, 1].set_ylabel("cytosolic glycerol (mM)")
    axes[1, 0].set_ylabel("cell volume / unstressed")
    axes[1, 1].set_ylabel("Gpd1 protein (µM)")
    for ax in axes.flat:
        ax.legend(fontsize=7)
    for ax in axes[1]:
        ax.set_xlabel("time after 0.4 M NaCl (min)")
    fig.tight_layout()
    with atomic_path(args.out) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
