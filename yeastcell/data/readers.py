"""Readers of published yeast data sets into `Dataset` objects, with provenance (doi, files, sha256).

The files are read from the reference-data folder (``$YEASTCELL_REFERENCE_DATA``, or the `root`
argument; layout as in that folder's SOURCES.md). Nothing is downloaded and nothing is copied into
the package.

* `read_kanshin2015`  phosphoproteome after 0.4 M NaCl (13 time points, log2 fold change);
* `read_lahtvee2017`  absolute proteome and exchange fluxes of chemostats under NaCl, heat and
  ethanol stress (steady states: one time point);
* `read_vanheerden2014` intracellular metabolites after a 110 mM glucose pulse to a chemostat.

`map_to_model` renames protein observables (by ORF) to a model's protein species;
`phosphosite_mapping` maps phosphopeptides to the phosphorylated forms of a model's proteins.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from ..exceptions import DatasetError
from ..io import sha256
from .dataset import Dataset

KANSHIN_DIR = "omics/kanshin2015_osmotic_phospho"
LAHTVEE_DIR = "omics/lahtvee2017_stress_proteomics"
VANHEERDEN_DIR = "timecourses/vanheerden2014_glucose_pulse"

#: van Heerden et al. 2014 metabolite ids -> species of the embedded yeast core model
#: (only unambiguous one-to-one matches of cytosolic pools).
VANHEERDEN2014_TO_CORE = {"G6P": "G6P_c", "F6P": "F6P_c", "FBP": "F16BP_c", "GAP": "GAP_c",
                          "PG3": "P3G_c", "PEP": "PEP_c", "ATP": "ATP_c", "ADP": "ADP_c", "AMP": "AMP_c"}


def data_root(root: str | Path | None = None) -> Path:
    """The reference-data folder: `root`, else ``$YEASTCELL_REFERENCE_DATA``.

    Raises:
        DatasetError: neither is given, or the folder does not exist.
    """
    if root is None:
        env = os.environ.get("YEASTCELL_REFERENCE_DATA")
        if not env:
            raise DatasetError("no reference-data folder: pass root= or set YEASTCELL_REFERENCE_DATA "
                               "(the folder holding SOURCES.md)")
        root = env
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"reference-data folder {root} does not exist")
    return root


def _file(root: Path, rel: str) -> Path:
    p = root / rel
    if not p.is_file():
        raise DatasetError(f"{p}: missing (expected in the reference-data folder {root})")
    return p


def _provenance(root: Path, files: list[Path], **fields: str) -> dict[str, str]:
    rel = [str(p.relative_to(root)) for p in files]
    return {**fields, "file": "; ".join(rel),
            "sha256": "; ".join(f"{r}={sha256(p)}" for r, p in zip(rel, files))}


def _gene_names(root: Path) -> dict[str, str]:
    p = root / "yeast-gem" / "SGDgeneNames.tsv"
    if not p.is_file():
        return {}
    import pandas as pd

    df = pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False)
    return {o: n for o, n in zip(df.iloc[:, 0], df.iloc[:, 1]) if n}


# ---------------------------------------------------------------------- Kanshin 2015
def read_kanshin2015(root: str | Path | None = None, orfs: Iterable[str] | None = None,
                     condition: str = "cond:nacl_0.4M", reference: str = "wt") -> Dataset:
    """Kanshin et al. 2015 phosphoproteomics after 0.4 M NaCl, as processed by Köksal et al. 2018.

    4337 phosphopeptides (observables: modified peptide ids, e.g. ``"NVVDENLINDMDS(ph)EDAHK-18075"``)
    × 13 time points 0–60 min, one condition, one replicate, log2 fold change vs untreated cells
    (`reference`, at 0 min). Missing values are masked. Annotations: ``orf`` (the phosphoprotein's
    ORF), ``gene`` (SGD standard name, "" if none).

    Args:
        orfs: keep only peptides of these ORFs (or standard gene names).
        condition: the notation string used for the shock condition.

    Raises:
        DatasetError: missing files, inconsistent peptide map, unknown ORF filter.
    """
    import pandas as pd

    root = data_root(root)
    f_ts = _file(root, f"{KANSHIN_DIR}/timeSeries.tsv")
    f_map = _file(root, f"{KANSHIN_DIR}/peptideMapHeader.tsv")
    ts = pd.read_csv(f_ts, sep="\t", float_precision="round_trip")
    pm = pd.read_csv(f_map, sep="\t", dtype=str)
    if list(pm.columns[:2]) != ["Peptide", "Protein"] or ts.columns[0] != "ModifiedPeptideSeq":
        raise DatasetError(f"{f_ts}/{f_map.name}: unexpected columns")
    orf_of = dict(zip(pm["Peptide"], pm["Protein"]))
    peptides = ts["ModifiedPeptideSeq"].astype(str).tolist()
    missing = [p for p in peptides if p not in orf_of]
    if missing:
        raise DatasetError(f"{f_map}: no ORF for peptides {missing[:3]}")
    tcols = list(ts.columns[1:])
    times = []
    for c in tcols:
        m = re.fullmatch(r"T(\d+)", c)
        if not m:
            raise DatasetError(f"{f_ts}: time column {c!r} is not T<minutes>")
        times.append(float(m.group(1)))
    values = ts[tcols].to_numpy(dtype=np.float64).T          # (n_t, n_pep)
    names = _gene_names(root)
    orf_col = [orf_of[p] for p in peptides]
    keep = np.ones(len(peptides), dtype=bool)
    if orfs is not None:
        wanted = {o.upper() for o in orfs}
        by_name = {n.upper(): o for o, n in names.items()}
        wanted = {by_name.get(o, o) for o in wanted}
        keep = np.array([o.upper() in wanted for o in orf_col])
        if not keep.any():
            raise DatasetError(f"no phosphopeptide of {sorted(set(orfs))[:5]} in Kanshin 2015")
    peptides = [p for p, k in zip(peptides, keep) if k]
    orf_col = [o for o, k in zip(orf_col, keep) if k]
    values = values[:, keep][None, None]
    mask = np.isfinite(values)
    return Dataset(
        conditions=(condition,), times_min=np.array(times), observables=tuple(peptides),
        values=values, mask=mask, transform="log2fc", reference=reference, reference_time_min=0.0,
        units=dict.fromkeys(peptides, "log2"),
        provenance=_provenance(
            root, [f_ts, f_map],
            source="Kanshin E, Bergeron-Sandoval LP, Isik SS, Thibault P, Michnick SW (2015) A cell-signaling "
                   "network temporally resolves specific versus promiscuous phosphorylation. Cell Rep "
                   "10:1202-1214; processed time series of Köksal AS et al. (2018) Cell Rep 24:3607 "
                   "(github gitter-lab/osmotic-stress @ b59f4a3b, Notebooks/ApplyThresholds)",
            doi="10.1016/j.celrep.2015.01.052",
            notes="0.4 M NaCl added at 0 min; values are log2 fold changes vs untreated cells; "
                  "observables are modified peptide ids with Köksal's numeric suffix; NaN in the "
                  "source = not measured (masked). The shared-data SOURCES.md names the journal as "
                  "Mol Syst Biol; the paper is in Cell Reports."),
        annotations={"orf": tuple(orf_col), "gene": tuple(names.get(o, "") for o in orf_col)})


# ---------------------------------------------------------------------- Lahtvee 2017
_LAHTVEE_STRESS = {"REF": "wt", "Temp": "cond:heat_{x}C", "Osmo": "cond:nacl_{x}M", "EtOH": "cond:ethanol_{x}gL"}
LAHTVEE2017_FLUXES = ("glucose", "O2", "CO2", "ethanol", "acetate", "glycerol")


def lahtvee2017_condition(label: str) -> str:
    """Notation string of a Lahtvee 2017 sample group (``REF`` -> ``wt``, ``Osmo0.4`` ->
    ``cond:nacl_0.4M``, ``Temp36`` -> ``cond:heat_36C``, ``EtOH20`` -> ``cond:ethanol_20gL``)."""
    if label == "REF":
        return "wt"
    m = re.fullmatch(r"(Temp|Osmo|EtOH)(\d+(?:\.\d+)?)", label)
    if not m:
        raise DatasetError(f"Lahtvee 2017: unrecognised condition label {label!r}")
    return _LAHTVEE_STRESS[m.group(1)].format(x=m.group(2))


def _uniprot_to_orf(root: Path) -> tuple[dict[str, str], Path | None]:
    p = root / "gecko" / "uniprot.tsv.gz"
    if not p.is_file():
        return {}, None
    import pandas as pd

    df = pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False)
    return dict(zip(df["Entry"], df["Gene Names (ordered locus)"])), p


def read_lahtvee2017(root: str | Path | None = None, fluxes: bool = True, zero_is_missing: bool = True) -> Dataset:
    """Lahtvee et al. 2017 absolute proteomics (and exchange fluxes) of stressed chemostats.

    Glucose-limited chemostats at D = 0.1 h⁻¹: reference (``wt``), heat 33/36/38 °C, NaCl
    0.2–1.4 M, ethanol 20/40/60 g/L. Steady states: the time axis has one point (0 min).
    Observables: UniProt protein groups as in the source (``"P00424;P00425"``), values are mass
    fractions (g protein / g detected protein); sample columns of a condition are its replicates in
    source order (listed in ``provenance["replicates"]``); empty cells are masked. With `fluxes`,
    the measured exchange fluxes are added as observables ``exchange:glucose`` ... (mmol/gDW/h,
    one value per condition in replicate 1; negative = uptake). With `zero_is_missing` (default)
    protein values of exactly 0 (100–230 per sample: the MS intensity of a protein not quantified
    in that sample) are masked, so log-scale comparisons see only detected proteins. Annotations: ``orf``, ``gene``
    (``;``-joined for protein groups; from the UniProt table in ``gecko/uniprot.tsv.gz`` when present).

    Raises:
        DatasetError: missing files or unexpected columns.
    """
    import pandas as pd

    root = data_root(root)
    f_prot = _file(root, f"{LAHTVEE_DIR}/merged_proteomic_data.csv.gz")
    df = pd.read_csv(f_prot, float_precision="round_trip")
    fixed = ["Protein.IDs", "theo.peptides", "Mol..weight..kDa."]
    if not set(fixed) <= set(df.columns):
        raise DatasetError(f"{f_prot}: expected columns {fixed}")
    samples = [c for c in df.columns if c not in fixed and not c.startswith("Unnamed")]
    groups: dict[str, list[str]] = {}
    for s in samples:
        groups.setdefault(s.split("_", 1)[0], []).append(s)
    labels = list(groups)
    proteins = [str(x) for x in df["Protein.IDs"]]
    files = [f_prot]
    flux = None
    if fluxes:
        f_flux = _file(root, f"{LAHTVEE_DIR}/flux_data.tsv")
        files.append(f_flux)
        flux = pd.read_csv(f_flux, sep="\t", index_col=0, float_precision="round_trip")
        for lab in flux.index:
            if lab not in groups:
                labels.append(lab)
                groups[lab] = []
    n_rep = max(1, *(len(v) for v in groups.values()))
    obs = list(proteins) + ([f"exchange:{f}" for f in LAHTVEE2017_FLUXES] if fluxes else [])
    values = np.full((len(labels), n_rep, 1, len(obs)), np.nan)
    for i, lab in enumerate(labels):
        for r, col in enumerate(groups[lab]):
            values[i, r, 0, :len(proteins)] = df[col].to_numpy(dtype=np.float64)
    n_zero = int((values[..., :len(proteins)] == 0).sum())
    if zero_is_missing:
        values[..., :len(proteins)][values[..., :len(proteins)] == 0] = np.nan
    if fluxes:
        cols = [f"{f}_mmol/gDW" for f in LAHTVEE2017_FLUXES]
        if not set(cols) <= set(flux.columns):
            raise DatasetError(f"{files[-1]}: expected columns {cols}")
        for lab in flux.index:
            values[labels.index(lab), 0, 0, len(proteins):] = flux.loc[lab, cols].to_numpy(dtype=np.float64)
    u2o, f_uni = _uniprot_to_orf(root)
    if f_uni is not None:
        files.append(f_uni)
    names = _gene_names(root)
    orf_col, gene_col = [], []
    for p in proteins:
        accs = [a.split("-")[0] for a in p.split(";")]
        orfs = list(dict.fromkeys(o for a in accs for o in u2o.get(a, "").split() if o))
        orf_col.append(";".join(orfs))
        gene_col.append(";".join(names.get(o, "") for o in orfs) if orfs else "")
    units = {**dict.fromkeys(proteins, "g/g detected protein"),
             **{f"exchange:{f}": "mmol/gDW/h" for f in LAHTVEE2017_FLUXES}}
    return Dataset(
        conditions=tuple(lahtvee2017_condition(x) for x in labels), times_min=np.array([0.0]),
        observables=tuple(obs), values=values, mask=np.isfinite(values), units={o: units[o] for o in obs},
        provenance=_provenance(
            root, files,
            source="Lahtvee P-J, Sánchez BJ, Smialowska A, Kasvandik S, Elsemman IE, Gatto F, Nielsen J "
                   "(2017) Absolute quantification of protein and mRNA abundances demonstrate variability "
                   "in gene-specific translation efficiency in yeast. Cell Syst 4:495-504; file from "
                   "github SysBioChalmers/ecModels @ 1489337b (stressStudy/exp_data), extra osmotic "
                   "samples from B. J. Sánchez's PhD thesis (Chalmers 2019)",
            doi="10.1016/j.cels.2017.03.003",
            notes="steady-state chemostats (D = 0.1 1/h); time axis is a single point (0 min); "
                  "proteins are mass fractions of detected protein; replicate columns per condition "
                  "in source order; ORFs from the UniProt table gecko/uniprot.tsv.gz; "
                  + (f"{n_zero} protein values of exactly 0 (not quantified) masked" if zero_is_missing
                     else f"{n_zero} protein values of exactly 0 kept"),
            replicates="; ".join(f"{lab}: {', '.join(groups[lab]) or '(fluxes only)'}" for lab in labels)),
        annotations={"orf": tuple(orf_col + [""] * (len(obs) - len(proteins))),
                     "gene": tuple(gene_col + [""] * (len(obs) - len(proteins)))})


# ---------------------------------------------------------------------- van Heerden 2014
def read_vanheerden2014(root: str | Path | None = None, ml_per_gdw: float | None = None,
                        rename: Mapping[str, str] | None = None, only_renamed: bool = False,
                        condition: str = "pulse:GLC_e=110@0") -> Dataset:
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
    files = [_file(root, f"{VANHEERDEN_DIR}/{n}") for n in ("metabolites.csv", "nucleotides.csv", "total_phosphate.csv")]
    frames = [pd.read_csv(p, float_precision="round_trip") for p in files]
    t_s = np.round(frames[0]["time_s"].to_numpy(dtype=np.float64), 4)
    for p, fr in zip(files[1:], frames[1:]):
        if not np.array_equal(np.round(fr["time_s"].to_numpy(dtype=np.float64), 4), t_s):
            raise DatasetError(f"{p}: time points differ from {files[0].name}")
    cols = [(fr, c) for fr in frames for c in fr.columns if c not in ("time_s", "Glc_ext")]
    obs = [c for _, c in cols]
    values = np.stack([fr[c].to_numpy(dtype=np.float64) for fr, c in cols], axis=-1)   # (n_t, n_obs)
    negative = [(obs[j], float(t_s[k])) for k, j in zip(*np.nonzero(values < 0))]
    mask = np.isfinite(values) & (values >= 0)
    unit = "umol/gDW"
    if ml_per_gdw is not None:
        if not (isinstance(ml_per_gdw, int | float) and np.isfinite(ml_per_gdw) and ml_per_gdw > 0):
            raise DatasetError(f"ml_per_gdw must be a positive number (mL/gDW), got {ml_per_gdw!r}")
        values = values / float(ml_per_gdw)          # µmol/gDW / (mL/gDW) = µmol/mL = mM
        unit = "mM"
    if rename:
        unknown = set(rename) - set(obs)
        if unknown:
            from ..exceptions import UnknownNameError

            raise UnknownNameError("van Heerden 2014 observable", min(unknown), obs)
        keep = [j for j, o in enumerate(obs) if (o in rename or not only_renamed)]
        obs = [rename.get(obs[j], obs[j]) for j in keep]
        values, mask = values[:, keep], mask[:, keep]
    values = np.where(mask, values, np.nan)
    return Dataset(
        conditions=(condition,), times_min=t_s / 60.0, observables=tuple(obs), values=values[None, None],
        mask=mask[None, None], units=dict.fromkeys(obs, unit),
        provenance=_provenance(
            root, files,
            source="van Heerden JH, Wortel MT, Bruggeman FJ, Heijnen JJ, Bollen YJM, Planqué R, Hulshof J, "
                   "O'Toole TG, Wahl SA, Teusink B (2014) Lost in transition: start-up of glycolysis yields "
                   "subpopulations of nongrowing cells. Science 343:1245114; as compiled by the Y3M project "
                   "(github DavidLaoM/y3m1_ss_gp @ 0a56b665, vHeerden_trehalose_data_micromolgdw.mat)",
            doi="10.1126/science.1245114",
            notes=("110 mM glucose pulse at 0 min to a D = 0.1 1/h chemostat; source unit umol/gDW"
                   + (f", converted to mM with {ml_per_gdw} mL/gDW" if ml_per_gdw is not None else "")
                   + "; Glc_ext and fluxes not imported; masked negative entries: "
                   + (", ".join(f"{o}@{t:g}s" for o, t in negative) or "none"))))


# ---------------------------------------------------------------------- model mapping
def map_to_model(ds: Dataset, cell, annotation: str = "orf", keep_unmapped: bool = False) -> Dataset:
    """Rename protein observables to `cell`'s protein species through an ORF annotation.

    An observable whose annotation lists one ORF of a model gene with a protein species is renamed
    to that species (``YGL253W`` -> ``Hxk2``); others are dropped (or kept with `keep_unmapped`).
    Two observables mapping to one species is an error.

    Raises:
        DatasetError: no annotation of that name, nothing maps, or a many-to-one mapping.
    """
    if annotation not in ds.annotations:
        raise DatasetError(f"dataset has no {annotation!r} annotation (has {sorted(ds.annotations)})")
    spec = getattr(cell, "spec", cell)
    protein_of = {g.orf.upper(): g.protein for g in getattr(spec, "genes", ()) if getattr(g, "protein", None)}
    keep, names = [], []
    for j, (o, a) in enumerate(zip(ds.observables, ds.annotations[annotation])):
        orfs = [x for x in a.split(";") if x]
        target = protein_of.get(orfs[0].upper()) if len(orfs) == 1 else None
        if target is not None or keep_unmapped:
            keep.append(j)
            names.append(target or o)
    if not any(n in protein_of.values() for n in names):
        raise DatasetError("no observable maps to a protein of the model")
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise DatasetError(f"several observables map to the same model protein(s) {sorted(dup)[:5]}")
    sub = ds.subset(observables=[ds.observables[j] for j in keep])
    return sub.replace(observables=tuple(names), units=dict(zip(names, (sub.units[o] for o in sub.observables))),
                       provenance={**sub.provenance, "mapped_to_model": getattr(spec, "id", "")})


def phosphosite_mapping(ds: Dataset, cell, annotation: str = "orf") -> dict[str, str]:
    """Observation mapping {phosphopeptide: ``"phospho:PROTEIN"``} for `yeastcell.observe`.

    Every phosphopeptide (an observable containing ``(ph)``) whose ORF annotation names one gene
    of `cell` with a protein species that has phosphorylated forms (see
    `yeastcell.observe.protein_forms`) is mapped to that protein's phosphorylated pool. This lumps
    the sites of a protein: a model with one phospho form per protein predicts the same fold
    change for all of its sites.

    Raises:
        DatasetError: no such annotation, or no phosphopeptide maps to the model.
    """
    from ..observe import protein_forms

    if annotation not in ds.annotations:
        raise DatasetError(f"dataset has no {annotation!r} annotation (has {sorted(ds.annotations)})")
    spec = getattr(cell, "spec", cell)
    species = tuple(getattr(cell, "species_ids", ()))
    phospho = {}
    for g in getattr(spec, "genes", ()):
        if getattr(g, "protein", None) and protein_forms(species, g.protein)[1]:
            phospho[g.orf.upper()] = g.protein
    out = {}
    for o, orf in zip(ds.observables, ds.annotations[annotation]):
        if "(ph)" in o and orf.upper() in phospho:
            out[o] = f"phospho:{phospho[orf.upper()]}"
    if not out:
        raise DatasetError("no phosphopeptide of the dataset belongs to a model protein with phosphorylated "
                           f"forms (model proteins with phospho forms: {sorted(phospho.values()) or 'none'})")
    return out
