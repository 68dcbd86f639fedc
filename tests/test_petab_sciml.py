"""PEtab-SciML: network import (layers, forward graph, array files), hybrid problems, export.

The CI slice runs a representative set of the PEtab-SciML test suite's network-import cases (one
per layer family), one hybrid problem (a network in the ODE right-hand side: simulations,
log-likelihood and gradients) and one initialization case, plus bad-input checks, PyTorch-semantics
checks the suite does not cover (transposed convolution as the adjoint of convolution, pooling
with padding and ceil_mode) and write/read round trips. The slow test runs every case.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import yaml

from yeastcell.bench import petab_sciml_suite as suite
from yeastcell.bench.petab_sciml_cases import run_init_case, run_problem_case
from yeastcell.petab.sciml import (
    SciMLFormatError,
    load_network,
    network_from_dict,
    network_from_residual,
    read_parameters,
    with_parameters,
    write_network,
    write_parameters,
)

# one case per layer family: Bilinear, Conv2d, ConvTranspose2d, MaxPool3d, AvgPool3d, LPPool3d,
# AdaptiveMaxPool3d, AdaptiveAvgPool3d, LeNet (conv + pool + flatten + linear), softmax,
# BatchNorm1d, InstanceNorm2d, LayerNorm, two inputs + torch.cat + tanh, silu
ML_SLICE = ("002", "004", "007", "009", "014", "015", "016", "017", "018", "040", "043", "047", "051", "053", "054")


@pytest.fixture(scope="module")
def cases(refdata):
    root = refdata / suite.SUITE_DIR
    if not root.is_dir():
        pytest.skip(f"PEtab-SciML test suite not found at {root}")
    return root


@pytest.mark.parametrize("case", ML_SLICE)
def test_ml_import_case(cases, case):
    r = suite.run_ml_case(cases / "ml_model_import" / case)
    assert r.outcome == "pass", r.detail


def test_hybrid_problem_network_in_rhs(cases):
    r = run_problem_case(cases / "sciml_problem_import" / "001")
    assert r.outcome == "pass", r.detail


def test_petab_load_splits_off_the_sciml_extension(cases):
    """`yeastcell.petab.load` reads the PEtab v2 part; the network entities become model parameters,
    per-condition input arrays become condition changes of their selector."""
    from yeastcell.petab import load

    p = load(cases / "sciml_problem_import" / "015" / "petab" / "problem.yaml")
    assert p.sciml is not None and set(p.sciml.networks) == {"net3"}
    assert p.sciml.net_parameters["net3_ps"].nominal == "array"
    assert "net3_ps" not in {q.id for q in p.tables.parameters}
    assert {"input0", "net3_output1", "input0__array"} <= set(p.model.ids)
    sel = {
        e.id: [float(c.value) for c in e.periods[0].changes if c.target == "input0__array"]
        for e in p.tables.experiments
    }
    assert sel == {"e1": [0.0], "e2": [1.0]}


def test_initialization_layer_override(cases):
    r = run_init_case(cases / "initialization" / "001")
    assert r.outcome == "pass", r.detail


# ------------------------------------------------------------------ bad input
def _mlp_spec(layer_type="Linear"):
    return {
        "nn_model_id": "net",
        "inputs": [{"input_id": "x"}],
        "layers": [{"layer_id": "layer1", "layer_type": layer_type, "args": {"in_features": 2, "out_features": 3}}],
        "forward": [
            {"name": "x", "op": "placeholder", "target": "x", "args": [], "kwargs": {}},
            {"name": "layer1", "op": "call_module", "target": "layer1", "args": ["x"], "kwargs": {}},
            {"name": "output", "op": "output", "target": "output", "args": ["layer1"], "kwargs": {}},
        ],
    }


def test_unknown_layer_names_layer_and_file(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(_mlp_spec("Transformer")))
    with pytest.raises(SciMLFormatError, match=r"unsupported layer type 'Transformer'.*") as err:
        load_network(path)
    assert str(path) in str(err.value) and "layer1" in str(err.value)


def test_unknown_function_and_dangling_argument(tmp_path):
    spec = _mlp_spec()
    spec["forward"].insert(
        2, {"name": "f", "op": "call_function", "target": "frobnicate", "args": ["layer1"], "kwargs": {}}
    )
    with pytest.raises(SciMLFormatError, match="unsupported function 'frobnicate'"):
        network_from_dict(spec, "spec.yaml")
    spec = _mlp_spec()
    spec["forward"][1]["args"] = ["nowhere"]
    with pytest.raises(SciMLFormatError, match="'nowhere' is not an earlier node"):
        network_from_dict(spec, "spec.yaml")


def test_array_file_missing_layer_or_bad_shape(tmp_path):
    path = tmp_path / "net.yaml"
    spec = _mlp_spec()
    spec["layers"].append({"layer_id": "layer2", "layer_type": "Linear", "args": {"in_features": 3, "out_features": 1}})
    spec["forward"].insert(
        2, {"name": "layer2", "op": "call_module", "target": "layer2", "args": ["layer1"], "kwargs": {}}
    )
    spec["forward"][-1]["args"] = ["layer2"]
    path.write_text(yaml.safe_dump(spec))
    arrays = tmp_path / "ps.hdf5"
    write_parameters(arrays, {"net": {"layer1": {"weight": np.ones((3, 2)), "bias": np.zeros(3)}}})
    with pytest.raises(SciMLFormatError, match=r"no parameters for layer 'layer2'") as err:
        load_network(path, arrays)
    assert str(arrays) in str(err.value)
    write_parameters(
        arrays,
        {
            "net": {
                "layer1": {"weight": np.ones((2, 3)), "bias": np.zeros(3)},
                "layer2": {"weight": np.ones((1, 3)), "bias": np.zeros(1)},
            }
        },
    )
    with pytest.raises(SciMLFormatError, match=r"layer1.weight has shape \(2, 3\), expected \(3, 2\)"):
        load_network(path, arrays)
    write_parameters(arrays, {"other": {}})
    with pytest.raises(SciMLFormatError, match="no parameters for network 'net'"):
        load_network(path, arrays)


# ------------------------------------------------------------------ PyTorch semantics beyond the suite
def _net(layers, n_inputs=1):
    fw = [{"name": f"x{i}", "op": "placeholder", "target": f"x{i}", "args": [], "kwargs": {}} for i in range(n_inputs)]
    prev = "x0"
    for lyr in layers:
        fw.append(
            {"name": lyr["layer_id"], "op": "call_module", "target": lyr["layer_id"], "args": [prev], "kwargs": {}}
        )
        prev = lyr["layer_id"]
    fw.append({"name": "output", "op": "output", "target": "output", "args": [prev], "kwargs": {}})
    return network_from_dict({"nn_model_id": "n", "layers": layers, "forward": fw})


def test_conv_transpose_is_adjoint_of_conv():
    """<conv(x), y> == <x, conv_transpose(y)> with shared weights, for stride, padding, dilation,
    groups and output_padding (PyTorch's definition of the transposed convolution)."""
    args = {
        "in_channels": 4,
        "out_channels": 6,
        "kernel_size": [3, 2],
        "stride": [2, 3],
        "padding": [1, 0],
        "dilation": [2, 1],
        "groups": 2,
        "bias": False,
    }
    conv = _net([{"layer_id": "c", "layer_type": "Conv2d", "args": args}])
    x = jax.random.normal(jax.random.PRNGKey(1), (4, 9, 12))
    y_shape = conv(x).shape
    assert y_shape == (6, 4, 4)  # floor((9 + 2 - 2*2 - 1)/2) + 1, floor((12 - 1 - 1)/3) + 1
    # transposed conv: C_in=6 -> C_out=4, weight (6, 4/2, 3, 2) == the conv weight
    t_args = {**args, "in_channels": 6, "out_channels": 4, "output_padding": [0, 1]}
    convt = _net([{"layer_id": "c", "layer_type": "ConvTranspose2d", "args": t_args}])
    convt = with_parameters(convt, {"c": {"weight": conv.params["c"]["weight"]}})
    y = jax.random.normal(jax.random.PRNGKey(2), y_shape)
    xt = convt(y)
    assert xt.shape == x.shape  # (4-1)*2 - 2 + 2*2 + 0 + 1 = 9, (4-1)*3 - 0 + 1 + 1 + 1 = 12
    np.testing.assert_allclose(float(jnp.vdot(conv(x), y)), float(jnp.vdot(x, xt)), rtol=1e-12)


def test_pooling_padding_and_ceil_mode():
    x = jnp.asarray([[1.0, 5.0, 2.0, 4.0, 3.0]])  # (C=1, L=5)

    def pool(kind, **args):
        return np.asarray(_net([{"layer_id": "p", "layer_type": kind, "args": args}])(x))[0]

    np.testing.assert_allclose(pool("AvgPool1d", kernel_size=3, stride=2, padding=1), [6 / 3, 11 / 3, 7 / 3])
    np.testing.assert_allclose(
        pool("AvgPool1d", kernel_size=3, stride=2, padding=1, count_include_pad=False), [3.0, 11 / 3, 3.5]
    )
    np.testing.assert_allclose(pool("MaxPool1d", kernel_size=2, stride=2, ceil_mode=True), [5.0, 4.0, 3.0])
    np.testing.assert_allclose(pool("MaxPool1d", kernel_size=2, stride=2), [5.0, 4.0])
    np.testing.assert_allclose(pool("AvgPool1d", kernel_size=2, stride=2, ceil_mode=True), [3.0, 3.0, 3.0])
    np.testing.assert_allclose(pool("MaxPool1d", kernel_size=2, stride=1, dilation=2), [2.0, 5.0, 3.0])


def test_dropout_active_only_in_training_with_key():
    net = _net([{"layer_id": "d", "layer_type": "Dropout", "args": {"p": 0.25}}])
    x = jnp.ones(20000)
    np.testing.assert_array_equal(net(x), x)
    np.testing.assert_array_equal(net(x, key=jax.random.PRNGKey(0)), x)  # inference: identity
    y = np.asarray(net(x, key=jax.random.PRNGKey(0), training=True))
    assert set(np.unique(y)) == {0.0, 4 / 3}
    assert abs((y == 0).mean() - 0.25) < 0.02


# ------------------------------------------------------------------ export / round trip
def test_write_read_round_trip(cases, tmp_path):
    d = cases / "ml_model_import" / "018"
    net = load_network(d / "net.yaml", d / "net_ps_1.hdf5")
    yml, arr = write_network(net, tmp_path / "out" / "net.yaml", tmp_path / "out" / "ps.hdf5")
    back = load_network(yml, arr)
    assert back.layers == net.layers and back.nodes == net.nodes
    x = jax.random.normal(jax.random.PRNGKey(0), (1, 1, 20, 20))
    np.testing.assert_array_equal(back(x), net(x))
    ref = read_parameters(d / "net_ps_1.hdf5")["net0"]
    for lid, arrs in read_parameters(arr)["net0"].items():
        for name, a in arrs.items():
            np.testing.assert_array_equal(a, ref[lid][name].astype(np.float64))
    assert not list((tmp_path / "out").glob(".*.tmp"))  # atomic writes leave no temporary files


@pytest.mark.parametrize("activation", ["tanh", "gelu"])
def test_residual_net_export_round_trip(tmp_path, activation):
    import equinox as eqx

    from yeastcell.hybrid import ResidualNet

    keys = jax.random.split(jax.random.PRNGKey(3), 3)
    sizes = (4, 8, 8, 3)
    layers = tuple(eqx.nn.Linear(a, b, key=k, dtype=jnp.float64) for a, b, k in zip(sizes[:-1], sizes[1:], keys))
    resnet = ResidualNet(
        layers=layers,
        input_species=(0, 1, 2, 3),
        input_genes=(),
        rate_targets=(0, 1, 2),
        species_targets=(),
        ref_conc=(1.0, 1.0, 1.0, 1.0),
        input_names=("log a", "log b", "log c", "log d"),
        output_names=("rate r1", "rate r2", "rate r3"),
        activation=activation,
        net_id="residual",
    )
    yml, arr = write_network(network_from_residual(resnet), tmp_path / "res.yaml", tmp_path / "res.hdf5")
    back = load_network(yml, arr)
    h = jax.random.normal(jax.random.PRNGKey(4), (4,))
    np.testing.assert_allclose(back(h), resnet.head(h), rtol=1e-13, atol=1e-14)
    np.testing.assert_array_equal(read_parameters(arr)["residual"]["layer2"]["weight"], np.asarray(layers[1].weight))


# ------------------------------------------------------------------ all cases
@pytest.mark.slow
def test_whole_suite(cases, monkeypatch):
    monkeypatch.setenv("YEASTCELL_REFERENCE_DATA", str(cases.parents[2]))
    results = suite.run_suite()
    for cat, n, n_pass, *_ in suite.summary_rows(results):
        assert n_pass / n >= 0.9, (
            cat,
            [(r.case, r.detail) for r in results if r.category == cat and r.outcome != "pass"],
        )
