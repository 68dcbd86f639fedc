"""Loading cobra-readable models into arrays, and the hash-keyed cache."""

from __future__ import annotations

import time

import cobra
import numpy as np
import pytest
from cobra.util.array import create_stoichiometric_matrix

from yeastcell.gem import GEM, GemFileError, UnknownReactionError, load_gem
from yeastcell.gem.load import reaction_index


@pytest.fixture(scope="module")
def textbook():
    return cobra.io.load_model("textbook")  # E. coli core, bundled with cobrapy


@pytest.fixture()
def model_file(tmp_path, textbook):
    path = tmp_path / "textbook.json"
    cobra.io.save_json_model(textbook, str(path))
    return path


def test_arrays_match_cobra(model_file, textbook, tmp_path):
    gem = load_gem(model_file, cache_dir=tmp_path / "cache")
    S = create_stoichiometric_matrix(textbook)
    np.testing.assert_array_equal(gem.S.toarray(), S)
    assert gem.reaction_ids == tuple(r.id for r in textbook.reactions)
    assert gem.gene_ids == tuple(g.id for g in textbook.genes)
    np.testing.assert_array_equal(gem.lb, [r.lower_bound for r in textbook.reactions])
    assert gem.c[reaction_index(gem, "Biomass_Ecoli_core")] == 1.0
    assert gem.objective_sense == "max"
    assert gem.gene_rules[reaction_index(gem, "PGK")] == textbook.reactions.PGK.gene_reaction_rule


def test_cache_roundtrip_and_speed(model_file, tmp_path):
    cache = tmp_path / "cache"
    t0 = time.perf_counter()
    a = load_gem(model_file, cache_dir=cache)
    t_parse = time.perf_counter() - t0
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"  # no temporary file left behind
    t0 = time.perf_counter()
    b = load_gem(model_file, cache_dir=cache)
    t_cached = time.perf_counter() - t0
    assert t_cached < t_parse
    assert a.source_sha256 == b.source_sha256 != ""
    for f in ("lb", "ub", "c"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert (a.S != b.S).nnz == 0
    assert a.reaction_ids == b.reaction_ids and a.gene_names == b.gene_names


def test_corrupt_cache_is_ignored(model_file, tmp_path):
    cache = tmp_path / "cache"
    a = load_gem(model_file, cache_dir=cache)
    (f,) = cache.iterdir()
    f.write_bytes(b"not a zip file")
    b = load_gem(model_file, cache_dir=cache)
    assert b.reaction_ids == a.reaction_ids


def test_changed_file_changes_key(model_file, tmp_path, textbook):
    cache = tmp_path / "cache"
    a = load_gem(model_file, cache_dir=cache)
    m = textbook.copy()
    m.reactions.EX_glc__D_e.lower_bound = -3.0
    cobra.io.save_json_model(m, str(model_file))
    b = load_gem(model_file, cache_dir=cache)
    assert b.lb[reaction_index(b, "EX_glc__D_e")] == -3.0
    assert a.source_sha256 != b.source_sha256


def test_errors(tmp_path):
    with pytest.raises(GemFileError, match="not found"):
        load_gem(tmp_path / "missing.yml")
    bad = tmp_path / "model.txt"
    bad.write_text("x")
    with pytest.raises(GemFileError, match="unknown model format"):
        load_gem(bad)
    broken = tmp_path / "model.json"
    broken.write_text("{not json")
    with pytest.raises(GemFileError, match="could not read"):
        load_gem(broken, cache=False)


def test_gem_is_immutable_and_validated(model_file, tmp_path):
    gem = load_gem(model_file, cache_dir=tmp_path / "cache")
    with pytest.raises(ValueError):
        gem.lb[0] = 5.0
    with pytest.raises(ValueError, match="lower bound above upper bound"):
        gem.replace(lb=gem.ub + 1.0)
    with pytest.raises(UnknownReactionError, match="PGK"):
        reaction_index(gem, "PGKK")
    assert isinstance(gem, GEM)
