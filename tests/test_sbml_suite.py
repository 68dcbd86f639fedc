"""A fixed, representative sample of SBML Test Suite cases (semantic, time course) that must pass.

Every case is imported with `yeastcell.sbml.load`, compiled, simulated and compared with the
suite's reference results within the case's own tolerances (|sim - ref| <= atol + rtol |ref|).
`SAMPLE` holds 200 cases spread over the suite's tags (chosen from the passing cases of a full
run, see benchmarks/RESULTS.md); the first `N_FAST` run in the default selection, one at a time,
and all 200 run (2 worker processes) with
``YEASTCELL_SBML_SAMPLE=all pytest -m slow tests/test_sbml_suite.py``. Each case is a new model, so XLA compilation (a few
seconds per case) dominates the run time.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest
from conftest import REPO

SAMPLE = (
    "01284", "01750", "01498", "01775", "00277", "01505", "01170", "01734", "01762", "00994", "01681", "01278",
    "01029", "01474", "01248", "01514", "00953", "01774", "00259", "01653", "00001", "00017", "00023", "00027",
    "00036", "00048", "00054", "00056", "00057", "00068", "00077", "00093", "00103", "00110", "00121", "00127",
    "00143", "00159", "00175", "00193", "00209", "00225", "00240", "00242", "00245", "00254", "00261", "00293",
    "00309", "00324", "00326", "00342", "00374", "00397", "00470", "00486", "00502", "00518", "00519", "00526",
    "00582", "00584", "00599", "00618", "00669", "00697", "00719", "00727", "00732", "00740", "00785", "00804",
    "00820", "00836", "00858", "00881", "00899", "00902", "00918", "00922", "00925", "00934", "00935", "00949",
    "00951", "00954", "00958", "00960", "00963", "00965", "00967", "00972", "00974", "00975", "00996", "01013",
    "01021", "01031", "01032", "01037", "01046", "01058", "01061", "01079", "01100", "01105", "01112", "01121",
    "01124", "01125", "01126", "01127", "01128", "01130", "01133", "01134", "01135", "01136", "01137", "01138",
    "01139", "01140", "01141", "01143", "01144", "01145", "01146", "01149", "01151", "01152", "01153", "01154",
    "01155", "01157", "01166", "01169", "01181", "01183", "01198", "01200", "01205", "01210", "01223", "01234",
    "01237", "01243", "01245", "01254", "01260", "01265", "01267", "01272", "01274", "01276", "01280", "01282",
    "01283", "01285", "01286", "01288", "01300", "01316", "01321", "01330", "01331", "01333", "01334", "01336",
    "01337", "01352", "01372", "01382", "01388", "01394", "01431", "01447", "01448", "01461", "01462", "01469",
    "01486", "01495", "01510", "01513", "01530", "01543", "01552", "01555", "01564", "01641", "01643", "01650",
    "01651", "01657", "01658", "01664", "01667", "01699", "01723", "01803",
)
N_FAST = 20


def _suite_module():
    """benchmarks/sbml_test_suite.py as a module (registered, so its dataclasses work)."""
    if "sbml_test_suite" in sys.modules:
        return sys.modules["sbml_test_suite"]
    spec = importlib.util.spec_from_file_location("sbml_test_suite", REPO / "benchmarks" / "sbml_test_suite.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["sbml_test_suite"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def suite(refdata):
    root = refdata / "sbml" / "test-suite"
    if not (root / "index.tsv").is_file():
        pytest.fail(f"{root} holds no SBML Test Suite (index.tsv)")
    return _suite_module(), root


@pytest.mark.parametrize("case", SAMPLE[:N_FAST])
def test_suite_case_passes(suite, case):
    mod, root = suite
    tags = mod.read_index(root / "index.tsv")[case]
    result = mod.run_case(case, tags, root=root)
    assert result.outcome == "pass", f"{case} ({','.join(tags)}): {result.outcome} {result.detail}"


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("YEASTCELL_SBML_SAMPLE") != "all",
                    reason="200 cases take ~10 min (compilation); set YEASTCELL_SBML_SAMPLE=all to run them")
def test_all_sample_cases_pass(suite):
    mod, root = suite
    results = mod.run_suite(",".join(str(int(c)) for c in SAMPLE), workers=2, root=root, progress=False)
    bad = [f"{r.case}: {r.outcome} {r.detail}" for r in results if r.outcome != "pass"]
    assert len(results) == len(SAMPLE)
    assert not bad, "\n".join(bad)


def test_sample_is_representative(suite):
    assert len(SAMPLE) >= 200 and len(set(SAMPLE)) == len(SAMPLE)
    mod, root = suite
    index = mod.read_index(root / "index.tsv")
    tags = {t for c in SAMPLE for t in index.get(c, ())}
    for needed in ("EventNoDelay", "AssignmentRule", "RateRule", "InitialAssignment", "FunctionDefinition",
                   "NonUnityCompartment", "NonConstantCompartment", "HasOnlySubstanceUnits", "ConversionFactors",
                   "LocalParameters", "AssignedVariableStoichiometry", "EventPriority", "CSymbolTime"):
        assert needed in tags, needed
