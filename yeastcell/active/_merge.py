"""Private: concatenate Datasets along conditions (a condition measured again adds replicates)."""

from __future__ import annotations

import numpy as np

from ..exceptions import DatasetError


def concat(datasets) -> object:
    """One Dataset holding every condition of `datasets` (same observables, transform, units).

    Times are the union of all time points; a condition present in several datasets keeps all its
    measurements as further replicates, in order.

    Raises:
        DatasetError: the datasets disagree on observables, units or transform.
    """
    from ..data import Dataset

    datasets = [d for d in datasets if d is not None]
    if not datasets:
        raise DatasetError("nothing to concatenate")
    first = datasets[0]
    for d in datasets[1:]:
        if d.observables != first.observables or d.units != first.units or d.transform != first.transform \
                or d.reference != first.reference or d.reference_time_min != first.reference_time_min:
            raise DatasetError("datasets to concatenate differ in observables, units or transform")
    times = np.unique(np.concatenate([d.times_min for d in datasets]))
    conds = list(dict.fromkeys(c for d in datasets for c in d.conditions))
    reps = {c: 0 for c in conds}
    for d in datasets:
        for c in d.conditions:
            reps[c] += d.n_replicates
    n_rep = max(reps.values())
    shape = (len(conds), n_rep, times.size, len(first.observables))
    values = np.full(shape, np.nan)
    mask = np.zeros(shape, dtype=bool)
    filled = {c: 0 for c in conds}
    for d in datasets:
        tk = np.searchsorted(times, d.times_min)
        for i, c in enumerate(d.conditions):
            ci, r0 = conds.index(c), filled[c]
            for r in range(d.n_replicates):
                values[ci, r0 + r][tk] = d.values[i, r]
                mask[ci, r0 + r][tk] = d.mask[i, r]
            filled[c] += d.n_replicates
    prov = dict(first.provenance)
    prov["notes"] = f"concatenation of {len(datasets)} datasets"
    return Dataset(conditions=tuple(conds), times_min=times, observables=first.observables, values=values,
                   mask=mask, transform=first.transform, reference=first.reference,
                   reference_time_min=first.reference_time_min, units=dict(first.units), provenance=prov)
