"""van Heerden et al. 2014: intracellular metabolites and nucleotides after a glucose pulse to a chemostat.

`read_vanheerden2014` reads the time courses from the reference-data folder into a `Dataset`;
`VANHEERDEN2014_TO_CORE` names the matching species of the embedded yeast core model.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..data.dataset import Dataset
from ..data.reference import data_root, provenance, reference_file
from ..exceptions import DatasetError, UnknownNameError

VANHEERDEN_DIR = "timecourses/vanheerden2014_glucose_pulse"

#: van Heerden et al. 2014 metabolite ids -> species of the embedded yeast core model
#: (only unambiguous one-to-one matches of cytosolic pools).
VANHEERDEN2014_TO_CORE = {
    "G6P": "G6P_c",
    "F6P": "F6P_c",
    "FBP": "F16BP_c",
    "GAP": "GAP_c",
    "PG3": "P3G_c",
    "PEP": "PEP_c",
    "ATP": "ATP_c",
    "ADP": "ADP_c",
    "AMP": "AMP_c",
}


def read_vanheerden2014(
    root: str | Path | None = None,
    ml_per_gdw: float | None = None,
    rename: Mapping[str, str] | None = None,
    only_renamed: bool = False,
    condition: str = "pulse:GLC_e=110@0",
) -> Dataset:
    """van Heerden et al. 2014 intracellular metabolites and nucleotides after a glucose pulse.

    A 110 mM glucose pulse at 0 min to an aerobic glucose-limited chemostat (D = 0.1 h⁻¹); 11 time
    points 0–337 s (converted to min). Observables: 17 metabolites (G6P, F6P, FBP, GAP, PG3, PEP,
    P6G, Rbu5P, X5P, S7P, E4P, G1P, UDP_Glc, Tre6P, Tre, Tre6P_cc, Glyco), 10 nucleotides and
    total phosphate (``totP``), in µmol/gDW. Extracellular glucose is left out (its unit in the
    compiled file is not stated) and so are the estimated fluxes (another time grid, unit not
    stated). Negative entries (the source's ``-1.7`` for GMP) are not concentrations and are masked.

    Args:
        ml_per_gdw: if given, convert µmol/gDW to mM with this cell volume (mL/gDW; the Y3M
            model code uses 2.0).
        rename: observable renaming, e.g. `VANHEERDEN2014_TO_CORE` for the embedded core model.
        only_renamed: keep only observables named in `rename`.
        condition: notation string of the pulse condition.

    Raises:
        DatasetError: missing files, time grids that disagree, bad `ml_per_gdw`.
    """
    import pandas as pd

    root = data_root(root)
    files = [
        reference_file(root, f"{VANHEERDEN_DIR}/{n}")
        for n in ("metabolites.csv", "nucleotides.csv", "total_phosphate.csv")
    ]
    frames = [pd.read_csv(p, float_precision="round_trip") for p in files]
    t_s = np.round(frames[0]["time_s"].to_numpy(dtype=np.float64), 4)
    for p, fr in zip(files[1:], frames[1:]):
        if not np.array_equal(np.round(fr["time_s"].to_numpy(dtype=np.float64), 4), t_s):
            raise DatasetError(f"{p}: time points differ from {files[0].name}")
    cols = [(fr, c) for fr in frames for c in fr.columns if c not in ("time_s", "Glc_ext")]
    obs = [c for _, c in cols]
    values = np.stack([fr[c].to_numpy(dtype=np.float64) for fr, c in cols], axis=-1)  # (n_t, n_obs)
    negative = [(obs[j], float(t_s[k])) for k, j in zip(*np.nonzero(values < 0))]
    mask = np.isfinite(values) & (values >= 0)
    unit = "umol/gDW"
    if ml_per_gdw is not None:
        if not (isinstance(ml_per_gdw, int | float) and np.isfinite(ml_per_gdw) and ml_per_gdw > 0):
            raise DatasetError(f"ml_per_gdw must be a positive number (mL/gDW), got {ml_per_gdw!r}")
        values = values / float(ml_per_gdw)  # µmol/gDW / (mL/gDW) = µmol/mL = mM
        unit = "mM"
    if rename:
        unknown = set(rename) - set(obs)
        if unknown:
            raise UnknownNameError("van Heerden 2014 observable", min(unknown), obs)
        keep = [j for j, o in enumerate(obs) if (o in rename or not only_renamed)]
        obs = [rename.get(obs[j], obs[j]) for j in keep]
        values, mask = values[:, keep], mask[:, keep]
    values = np.where(mask, values, np.nan)
    return Dataset(
        conditions=(condition,),
        times_min=t_s / 60.0,
        observables=tuple(obs),
        values=values[None, None],
        mask=mask[None, None],
        units=dict.fromkeys(obs, unit),
        provenance=provenance(
            root,
            files,
            source="van Heerden JH, Wortel MT, Bruggeman FJ, Heijnen JJ, Bollen YJM, Planqué R, Hulshof J, "
            "O'Toole TG, Wahl SA, Teusink B (2014) Lost in transition: start-up of glycolysis yields "
            "subpopulations of nongrowing cells. Science 343:1245114; as compiled by the Y3M project "
            "(github DavidLaoM/y3m1_ss_gp @ 0a56b665, vHeerden_trehalose_data_micromolgdw.mat)",
            doi="10.1126/science.1245114",
            notes=(
                "110 mM glucose pulse at 0 min to a D = 0.1 1/h chemostat; source unit umol/gDW"
                + (f", converted to mM with {ml_per_gdw} mL/gDW" if ml_per_gdw is not None else "")
                + "; Glc_ext and fluxes not imported; masked negative entries: "
                + (", ".join(f"{o}@{t:g}s" for o, t in negative) or "none")
            ),
        ),
    )


#: Vmax and ATPase constants the glucose-pulse fits estimate (`Cell.theta_names` of yeast_core)
FIT_PARAMETERS = ("GLT.Vmax", "HXK.Vmax", "PFK.Vmax", "ALD.Vmax", "GAPDH.Vmax", "PYK.Vmax", "ATPASE.KATPASE")

#: cell volume used to convert µmol/gDW to mM for the core model (the Y3M model code's 2.0 mL/gDW)
ML_PER_GDW = 2.0


def pulse_dataset(root: str | Path | None = None) -> Dataset:
    """The pulse time courses of the core model's nine species (mM), as the core model fits them.

    The condition is the aerobic batch (111 mM glucose) started from the measured 0-min state of
    each metabolite (``cond:aerobic_batch+set:G6P_c=...``); volume `ML_PER_GDW`.
    """
    first = read_vanheerden2014(root, ML_PER_GDW, VANHEERDEN2014_TO_CORE, True)
    t0 = first.values[0, 0, 0]
    sets = "".join(f"+set:{o}={v:.6g}" for o, v in zip(first.observables, t0) if np.isfinite(v))
    return read_vanheerden2014(root, ML_PER_GDW, VANHEERDEN2014_TO_CORE, True, f"cond:aerobic_batch{sets}")
