"""PEtab import (v1 and v2), objective, gradient, writers and ``yeastcell fit problem.yaml``.

A CI slice of the PEtab test suite (one case per feature family) is scored exactly as the full
runner scores it (`yeastcell.bench.petab_suite.run_case`); the whole suite runs with
``yeastcell bench run petab`` (and `test_full_suite`, marked slow).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import yeastcell.petab as yp
from yeastcell.bench import petab_suite

# one case per feature family: (case, what it exercises)
CI_CASES = (
    "v1.0.0/sbml/0009",  # pre-equilibration (steady state), v1
    "v1.0.0/sbml/0004",  # parametric observable-parameter overrides, v1
    "v2.0.0/sbml/0007",  # log-normal noise, v2
    "v2.0.0/sbml/0024",  # truncated priors, implicit uniform prior, fixed parameters, v2
    "v2.0.0/sbml/0028",  # a condition applied at a later time (experiment periods), v2
)


@pytest.fixture(scope="module")
def cases(refdata):
    root = refdata / "petab" / "petab_test_suite" / "petabtests" / "cases"
    if not (root / "v1.0.0" / "sbml").is_dir():
        pytest.fail(f"{root} holds no PEtab test suite (v1.0.0/sbml)")
    return root


@pytest.mark.parametrize("case", CI_CASES)
def test_suite_case_passes(cases, case):
    r = petab_suite.run_case(case, cases)
    assert r.outcome == "pass", f"{case}: {r.outcome} {r.detail}"
    assert r.sim_err < 1e-3


def _copy(cases, case, tmp_path):
    d = tmp_path / case.replace("/", "_")
    shutil.copytree(cases / case, d)
    return d, d / f"_{case.rsplit('/', 1)[1]}.yaml"


def test_steady_state_measurement_matches_the_analytic_steady_state(cases, tmp_path):
    """A measurement at time inf is the steady state: A <-> B (k1, k2) from a0, b0 ends at
    A = (a0 + b0) k2 / (k1 + k2)."""
    d, yaml_path = _copy(cases, "v1.0.0/sbml/0001", tmp_path)
    m = pd.read_csv(d / "_measurements.tsv", sep="\t")
    m = pd.concat([m, m.iloc[[0]].assign(time=np.inf, measurement=0.5)], ignore_index=True)
    m.to_csv(d / "_measurements.tsv", sep="\t", index=False)
    problem = yp.load(yaml_path)
    obj = problem.objective()
    ev = obj.evaluate()
    assert ev.ok
    p = {q.id: q.nominal for q in problem.parameters}
    c = pd.read_csv(d / "_conditions.tsv", sep="\t").set_index("conditionId").iloc[0].to_dict()
    k1, k2 = c.get("k1", p.get("k1")), c.get("k2", p.get("k2"))
    expected = (p["a0"] + p["b0"]) * k2 / (k1 + k2)
    assert ev.simulations[-1] == pytest.approx(expected, rel=1e-6)


def test_invalid_problem_names_file_and_line(cases, tmp_path):
    d, yaml_path = _copy(cases, "v1.0.0/sbml/0001", tmp_path)
    m = pd.read_csv(d / "_measurements.tsv", sep="\t")
    m.loc[1, "observableId"] = "obs_typo"
    m.to_csv(d / "_measurements.tsv", sep="\t", index=False)
    with pytest.raises(yp.PetabValidationError) as err:
        yp.load(yaml_path)
    text = str(err.value)
    assert "_measurements.tsv line 3" in text and "obs_typo" in text


def test_unsupported_noise_distribution_is_named_at_load(cases, tmp_path):
    d, yaml_path = _copy(cases, "v1.0.0/sbml/0001", tmp_path)
    o = pd.read_csv(d / "_observables.tsv", sep="\t")
    o["noiseDistribution"] = "poisson"
    o.to_csv(d / "_observables.tsv", sep="\t", index=False)
    with pytest.raises(yp.UnsupportedPetabError, match="noiseDistribution 'poisson'"):
        yp.load(yaml_path)  # raised while loading: nothing is compiled or simulated


def test_gradient_matches_finite_differences(cases):
    problem = yp.load(cases / "v1.0.0/sbml/0002/_0002.yaml")  # two conditions (one vmapped group)
    obj = problem.objective()
    x = obj.x_nominal + 0.05
    v, g = obj.value_and_grad(x)
    h = 1e-5

    def f(z):  # the same compiled program as the gradient
        return obj.value_and_grad(z)[0]

    fd = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])
    np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-6)
    assert np.any(np.abs(g) > 1e-3)  # not a trivially flat objective
    assert v == pytest.approx(problem.objective().evaluate(x).llh * -1, rel=1e-10)


def test_simulation_table_matches_the_reference_table(cases, tmp_path):
    problem = yp.load(cases / "v2.0.0/sbml/0009/_0009.yaml")
    obj = problem.objective()
    path = yp.write_simulations(obj, obj.x_nominal, tmp_path / "sim.tsv")
    ours = pd.read_csv(path, sep="\t")
    ref = pd.read_csv(cases / "v2.0.0/sbml/0009/_simulations.tsv", sep="\t")
    assert list(ours.columns) == list(ref.columns)
    np.testing.assert_allclose(ours["simulation"], ref["simulation"], atol=1e-6)
    assert not list(tmp_path.glob(".*.tmp"))


def test_cli_fit_writes_parameters_likelihood_and_plot(cases, tmp_path):
    from yeastcell.cli import main

    src = cases / "v1.0.0/sbml/0002/_0002.yaml"
    out = tmp_path / "fit"
    assert main(["fit", str(src), "--starts", "2", "--seed", "1", "--maxiter", "20", "-o", str(out), "-q"]) == 0
    params = pd.read_csv(out / "parameters.tsv", sep="\t")
    problem = yp.load(src)
    assert list(params["parameterId"]) == [p.id for p in problem.parameters]
    import json

    res = json.loads((out / "result.json").read_text())
    obj = problem.objective()
    x_best = np.array(res["x_best"])
    ev = obj.evaluate(x_best)
    assert res["nllh"] == pytest.approx(-ev.llh, rel=1e-9) and res["chi2"] == pytest.approx(ev.chi2, rel=1e-9)
    assert res["nllh"] < -obj.evaluate(np.array(res["starts"][0]["x0"])).llh  # the best start improved on its start
    assert np.all(x_best >= obj.lb - 1e-12) and np.all(x_best <= obj.ub + 1e-12)
    assert (out / "fit.png").stat().st_size > 1000
    sims = pd.read_csv(out / "simulations.tsv", sep="\t")
    assert "simulation" in sims.columns and len(sims) == len(problem.tables.measurements)


@pytest.mark.slow
def test_full_suite(cases):
    """Every case of v1.0.0/sbml and v2.0.0/sbml (and pysb where pysb and BioNetGen are installed)."""
    results = petab_suite.run_suite(root=cases, progress=False)
    for suite, c in petab_suite.counts(results).items():
        if suite == "v2.0.0/pysb" and c["pass"] == 0:
            continue  # pysb / BioNetGen not installed here
        assert c["pass"] / sum(c.values()) >= 0.9, (suite, dict(c), petab_suite.summarize(results))
