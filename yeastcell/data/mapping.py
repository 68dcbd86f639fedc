"""Mapping measured observables onto a model: proteins by ORF, phosphopeptides to phospho pools."""

from __future__ import annotations

from ..exceptions import DatasetError
from ..observe import protein_forms
from .dataset import Dataset


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
    return sub.replace(
        observables=tuple(names),
        units=dict(zip(names, (sub.units[o] for o in sub.observables))),
        provenance={**sub.provenance, "mapped_to_model": getattr(spec, "id", "")},
    )


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
        raise DatasetError(
            "no phosphopeptide of the dataset belongs to a model protein with phosphorylated "
            f"forms (model proteins with phospho forms: {sorted(phospho.values()) or 'none'})"
        )
    return out
