"""`yeastcell.response.linear_response`: first-order steady-state response to enzyme levels and rates,
checked against finite differences of nonlinear steady states, and the residual network's share."""

from __future__ import annotations

import numpy as np
import pytest

import yeastcell as yc
from yeastcell.hybrid import hybridize
from yeastcell.response import linear_response

COND = "cond:aerobic_clamped"


@pytest.fixture(scope="module")
def response(core):
    return linear_response(
        core, COND, mapping={"hexose_p": "G6P_c + F6P_c"}, observables=["PYR_c", "ATP_c", "hexose_p"]
    )


def test_matches_finite_differences_of_steady_states(core, response):
    base = yc.condition("aerobic_clamped")
    ss0 = yc.steady_state(core, base)
    sid = {s: i for i, s in enumerate(core.species_ids)}
    for gene in ("YGR240C", "YKL060C"):  # PFK1, FBA1
        ss1 = yc.steady_state(core, base + yc.overexpress(gene, 1.01))
        c0, c1 = np.asarray(ss0.conc), np.asarray(ss1.conc)
        fd = [np.log2(c1[sid[s]] / c0[sid[s]]) for s in ("PYR_c", "ATP_c")]
        fd.append(np.log2((c1[sid["G6P_c"]] + c1[sid["F6P_c"]]) / (c0[sid["G6P_c"]] + c0[sid["F6P_c"]])))
        lin = response.by_protein[:, response.gene_index(gene)] * np.log2(1.01)
        assert np.max(np.abs(lin)) > 1e-4  # the enzyme matters
        np.testing.assert_allclose(fd, lin, rtol=0.05, atol=2e-5)


def test_rate_response_of_a_hybrid_adds_its_network(core, response):
    """A linear residual net r = W·u (u = log((a + 0.1)/1.1), the gene activity) changes the response
    to enzyme levels by by_rate · W / 1.1 and nothing else."""
    hyb = hybridize(core, rate_targets=["PYK", "PDC"], input_species=[], input_genes=["CDC19", "PDC1"], depth=0)
    w = np.array([[0.3, 0.0], [0.0, -0.5]])
    layer = hyb.net.layers[0]
    import equinox as eqx
    import jax.numpy as jnp

    hyb = eqx.tree_at(lambda h: h.net.layers[0].weight, hyb, jnp.asarray(w, dtype=layer.weight.dtype))
    rh = linear_response(hyb, COND, mapping={"hexose_p": "G6P_c + F6P_c"}, observables=["PYR_c", "ATP_c", "hexose_p"])
    rates = [response.reactions.index(r) for r in ("PYK", "PDC")]
    genes = [response.gene_index(g) for g in ("YAL038W", "YLR044C")]
    want = response.by_protein.copy()
    want[:, genes] += response.by_rate[:, rates] @ w / 1.1
    np.testing.assert_allclose(rh.by_protein, want, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(rh.reference, response.reference, rtol=1e-9)  # r(wild type) = 0
