"""Load a cobra-readable genome-scale model into plain arrays (:class:`GEM`).

cobrapy parses the community formats (YAML, JSON, SBML, MAT); parsing
Yeast-GEM's 125 000-line YAML takes ~15 s, so the arrays extracted from it are
cached in a user cache directory, keyed by the SHA-256 of the model file. A
second load of the same file reads one ``.npz`` file (well under a second).
Cache files are written atomically (temporary file + :func:`os.replace`), so
concurrent loads never see a half-written cache.

Flux units are those of the model file: mmol gDW⁻¹ h⁻¹ for exchange and
internal fluxes, h⁻¹ for the growth (biomass) reaction.
"""

from __future__ import annotations

import dataclasses
import json
import os
import zipfile
from pathlib import Path
from typing import overload

import numpy as np
import scipy.sparse as sp

from yeastcell.exceptions import GemFileError, UnknownReactionError
from yeastcell.io import atomic_path, sha256

__all__ = ["GEM", "load_gem", "gem_from_cobra", "default_cache_dir", "reaction_index"]

#: Bump when the cache layout or the extraction changes; old caches are then ignored.
CACHE_FORMAT = 1

_READERS = {
    ".yml": "load_yaml_model",
    ".yaml": "load_yaml_model",
    ".json": "load_json_model",
    ".xml": "read_sbml_model",
    ".sbml": "read_sbml_model",
    ".mat": "load_matlab_model",
}

_STRING_FIELDS = (
    "reaction_ids",
    "reaction_names",
    "metabolite_ids",
    "metabolite_names",
    "gene_ids",
    "gene_names",
    "gene_rules",
)


@dataclasses.dataclass(frozen=True, eq=False)
class GEM:
    """A genome-scale metabolic model as immutable arrays.

    The LP is ``max c·v  s.t.  S v = 0,  lb <= v <= ub`` (or ``min`` when
    ``objective_sense == "min"``).

    Attributes:
        S: stoichiometric matrix, ``(n_metabolites, n_reactions)``, CSC, float64.
        lb: lower flux bounds, ``(n_reactions,)``, mmol gDW⁻¹ h⁻¹ (h⁻¹ for growth).
        ub: upper flux bounds, same shape and units.
        c: objective coefficients, ``(n_reactions,)``.
        objective_sense: ``"max"`` or ``"min"``.
        reaction_ids, reaction_names: per reaction.
        metabolite_ids, metabolite_names: per metabolite.
        gene_ids: systematic gene ids (ORFs for yeast), per gene.
        gene_names: standard names (``""`` where the model gives none), per gene.
        gene_rules: gene–reaction rule per reaction (``""`` = no rule: never deleted).
        source_sha256: SHA-256 of the model file, ``""`` when built in memory.
    """

    S: sp.csc_array
    lb: np.ndarray
    ub: np.ndarray
    c: np.ndarray
    objective_sense: str
    reaction_ids: tuple[str, ...]
    reaction_names: tuple[str, ...]
    metabolite_ids: tuple[str, ...]
    metabolite_names: tuple[str, ...]
    gene_ids: tuple[str, ...]
    gene_names: tuple[str, ...]
    gene_rules: tuple[str, ...]
    source_sha256: str = ""

    def __post_init__(self) -> None:
        n_m, n_r = self.S.shape
        for name in ("lb", "ub", "c"):
            a = np.array(getattr(self, name), dtype=np.float64)
            if a.shape != (n_r,):
                raise ValueError(f"GEM.{name} has shape {a.shape}, expected ({n_r},)")
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        if np.any(self.lb > self.ub):
            bad = [self.reaction_ids[i] for i in np.flatnonzero(self.lb > self.ub)[:5]]
            raise ValueError(f"lower bound above upper bound for reactions {bad}")
        if self.objective_sense not in ("max", "min"):
            raise ValueError(f"objective_sense must be 'max' or 'min', got {self.objective_sense!r}")
        for name, n in (
            ("reaction_ids", n_r),
            ("reaction_names", n_r),
            ("gene_rules", n_r),
            ("metabolite_ids", n_m),
            ("metabolite_names", n_m),
        ):
            if len(getattr(self, name)) != n:
                raise ValueError(f"GEM.{name} has {len(getattr(self, name))} entries, expected {n}")
        if len(self.gene_names) != len(self.gene_ids):
            raise ValueError("gene_names and gene_ids differ in length")
        S = sp.csc_array(self.S, dtype=np.float64)
        object.__setattr__(self, "S", S)

    @property
    def n_reactions(self) -> int:
        """Number of reactions (LP columns)."""
        return self.S.shape[1]

    @property
    def n_metabolites(self) -> int:
        """Number of metabolites (LP rows)."""
        return self.S.shape[0]

    @property
    def n_genes(self) -> int:
        """Number of genes."""
        return len(self.gene_ids)

    def replace(self, **changes) -> GEM:
        """Return a copy with some fields replaced (bounds, S, objective …); validated again."""
        return dataclasses.replace(self, **changes)


@overload
def reaction_index(gem: GEM, ids: str) -> int: ...
@overload
def reaction_index(gem: GEM, ids: list[str]) -> np.ndarray: ...
def reaction_index(gem: GEM, ids: str | list[str]) -> int | np.ndarray:
    """Column index of one reaction id, or an int array for a list of ids.

    Raises:
        UnknownReactionError: an id is not in the model (with close matches).
    """
    lookup = {r: i for i, r in enumerate(gem.reaction_ids)}
    single = isinstance(ids, str)
    names = [ids] if isinstance(ids, str) else list(ids)
    missing = [r for r in names if r not in lookup]
    if missing:
        raise UnknownReactionError(missing, gem.reaction_ids)
    idx = np.array([lookup[r] for r in names], dtype=np.int64)
    return int(idx[0]) if single else idx


def default_cache_dir() -> Path:
    """The GEM cache directory.

    ``$YEASTCELL_CACHE_DIR/gem`` if set, else ``$XDG_CACHE_HOME/yeastcell/gem``,
    else ``~/.cache/yeastcell/gem``.
    """
    if os.environ.get("YEASTCELL_CACHE_DIR"):
        return Path(os.environ["YEASTCELL_CACHE_DIR"]) / "gem"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "yeastcell" / "gem"


def gem_from_cobra(model, source_sha256: str = "") -> GEM:
    """Extract a :class:`GEM` from a ``cobra.Model``.

    Args:
        model: a cobrapy model (not modified).
        source_sha256: recorded in :attr:`GEM.source_sha256`.

    Returns:
        The model as arrays; objective from the reactions' objective coefficients.
    """
    from cobra.util.array import create_stoichiometric_matrix

    S = create_stoichiometric_matrix(model, array_type="lil", dtype=np.float64)
    rxns = model.reactions
    sense = "min" if model.objective.direction == "min" else "max"
    return GEM(
        S=sp.csc_array(S),
        lb=np.array([r.lower_bound for r in rxns], dtype=np.float64),
        ub=np.array([r.upper_bound for r in rxns], dtype=np.float64),
        c=np.array([r.objective_coefficient for r in rxns], dtype=np.float64),
        objective_sense=sense,
        reaction_ids=tuple(r.id for r in rxns),
        reaction_names=tuple(r.name or "" for r in rxns),
        metabolite_ids=tuple(m.id for m in model.metabolites),
        metabolite_names=tuple(m.name or "" for m in model.metabolites),
        gene_ids=tuple(g.id for g in model.genes),
        gene_names=tuple(g.name or "" for g in model.genes),
        gene_rules=tuple(r.gene_reaction_rule for r in rxns),
        source_sha256=source_sha256,
    )


def _save_cache(gem: GEM, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    S = gem.S.tocsc()
    arrays = dict(
        S_data=S.data,
        S_indices=S.indices,
        S_indptr=S.indptr,
        S_shape=np.array(S.shape, dtype=np.int64),
        lb=gem.lb,
        ub=gem.ub,
        c=gem.c,
        meta=np.array(json.dumps({"format": CACHE_FORMAT, "sense": gem.objective_sense, "sha256": gem.source_sha256})),
    )
    for name in _STRING_FIELDS:
        arrays[name] = np.array(getattr(gem, name), dtype=str)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def _read_cache(path: Path, sha: str) -> GEM | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != CACHE_FORMAT or meta.get("sha256") != sha:
                return None
            S = sp.csc_array((z["S_data"], z["S_indices"], z["S_indptr"]), shape=tuple(z["S_shape"]))
            strings = {name: tuple(str(s) for s in z[name]) for name in _STRING_FIELDS}
            return GEM(
                S=S, lb=z["lb"], ub=z["ub"], c=z["c"], objective_sense=meta["sense"], source_sha256=sha, **strings
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None  # unreadable or stale cache: parse the model again


def load_gem(path: str | os.PathLike, *, cache: bool = True, cache_dir: str | os.PathLike | None = None) -> GEM:
    """Load a genome-scale model file into a :class:`GEM`.

    Args:
        path: model file; format from the suffix (``.yml``/``.yaml``, ``.json``,
            ``.xml``/``.sbml``, ``.mat``), read with cobrapy.
        cache: read/write the array cache (keyed by the file's SHA-256).
        cache_dir: cache directory; default :func:`default_cache_dir`.

    Returns:
        The model as immutable arrays.

    Raises:
        GemFileError: the file is missing, has an unknown suffix, or cobrapy
            cannot parse it.
    """
    path = Path(path)
    if not path.is_file():
        raise GemFileError(f"model file not found: {path}")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise GemFileError(f"unknown model format {path.suffix!r} for {path}; expected one of {sorted(_READERS)}")
    sha = sha256(path)
    cache_path = Path(cache_dir or default_cache_dir()) / f"{sha}.v{CACHE_FORMAT}.npz"
    if cache and cache_path.is_file():
        gem = _read_cache(cache_path, sha)
        if gem is not None:
            return gem
    import cobra.io

    try:
        model = getattr(cobra.io, reader)(str(path))
    except Exception as e:  # cobrapy raises many types for bad files
        raise GemFileError(f"cobrapy could not read {path}: {e}") from e
    gem = gem_from_cobra(model, source_sha256=sha)
    if cache:
        try:
            _save_cache(gem, cache_path)
        except OSError:
            pass  # a read-only cache directory must not stop a load
    return gem
