"""Merging datasets: the union of conditions, time points and observables (e.g. new measurement
rounds added to a training set). This module does not import `Dataset`: `Dataset.merge` calls it."""

from __future__ import annotations

import numpy as np

from ..exceptions import DatasetError


def merged_fields(datasets, replicates: str = "error") -> dict:
    """The fields of one `Dataset` (keyword arguments of its constructor) holding every measured
    entry of `datasets`, a non-empty sequence of Datasets. `yeastcell.data.dataset.merge` checks
    the arguments and states the rules (axes are unions, replicates ``"error"`` or ``"append"``).

    Raises:
        DatasetError: incompatible datasets, or a conflicting entry (named).
    """
    first = datasets[0]
    for d in datasets[1:]:
        for attr in ("transform", "reference", "reference_time_min"):
            if getattr(d, attr) != getattr(first, attr):
                raise DatasetError(
                    f"cannot merge datasets with different {attr}: {getattr(first, attr)!r} vs {getattr(d, attr)!r}"
                )
    conditions = list(dict.fromkeys(c for d in datasets for c in d.conditions))
    observables = list(dict.fromkeys(o for d in datasets for o in d.observables))
    times = np.unique(np.concatenate([d.times_min for d in datasets]))
    units: dict[str, str] = {}
    ann_keys = list(dict.fromkeys(k for d in datasets for k in d.annotations))
    ann: dict[str, dict[str, str]] = {k: {} for k in ann_keys}
    for d in datasets:
        for o in d.observables:
            if units.setdefault(o, d.units[o]) != d.units[o]:
                raise DatasetError(
                    f"observable {o!r} has unit {units[o]!r} in one dataset and {d.units[o]!r} in another"
                )
            for k in ann_keys:
                v = d.annotations[k][d.observables.index(o)] if k in d.annotations else None
                if v is not None and ann[k].setdefault(o, v) != v:
                    raise DatasetError(
                        f"observable {o!r}: annotation {k!r} is {ann[k][o]!r} in one dataset and {v!r} in another"
                    )
    # replicate offsets per (dataset, condition)
    offset = [dict.fromkeys(d.conditions, 0) for d in datasets]
    if replicates == "append":
        used: dict[str, int] = {}
        for i, d in enumerate(datasets):
            for c in d.conditions:
                offset[i][c] = used.get(c, 0)
                used[c] = offset[i][c] + d.n_replicates
        n_rep = max(used.values())
    else:
        n_rep = max(d.n_replicates for d in datasets)
    shape = (len(conditions), n_rep, times.size, len(observables))
    values = np.full(shape, np.nan)
    mask = np.zeros(shape, dtype=bool)
    for i, d in enumerate(datasets):
        ci = np.array([conditions.index(c) for c in d.conditions])
        ti = np.searchsorted(times, d.times_min)
        oi = np.array([observables.index(o) for o in d.observables])
        c, r, k, o = np.nonzero(d.mask)
        rr = r + np.array([offset[i][d.conditions[x]] for x in c], dtype=int)
        dst = (ci[c], rr, ti[k], oi[o])
        clash = mask[dst]
        if clash.any():
            j = int(np.nonzero(clash)[0][0])
            raise DatasetError(
                f"entry measured twice (condition {d.conditions[c[j]]!r}, replicate {rr[j] + 1}, "
                f"t = {d.times_min[k[j]]} min, observable {d.observables[o[j]]!r}); "
                "pass replicates='append' to keep both as replicates"
            )
        values[dst] = d.values[c, r, k, o]
        mask[dst] = True
    prov: dict[str, str] = {}
    for d in datasets:
        for key, v in d.provenance.items():
            if key not in prov:
                prov[key] = v
            elif v not in prov[key].split(" | "):
                prov[key] = f"{prov[key]} | {v}"
    return {
        "conditions": tuple(conditions),
        "times_min": times,
        "observables": tuple(observables),
        "values": values,
        "mask": mask,
        "transform": first.transform,
        "reference": first.reference,
        "reference_time_min": first.reference_time_min,
        "units": units,
        "provenance": prov,
        "annotations": {k: tuple(ann[k].get(o, "") for o in observables) for k in ann_keys},
    }
