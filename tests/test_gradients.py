"""The whole network's gradient against central finite differences.

The objective of a batch is ``(sum_i w_i NLL_i + alpha / 2 * ||W||^2) /
sum_i w_i`` over the flat parameter vector. It is evaluated here with a
forward pass and likelihoods written independently of the library (numpy and
scipy only); the library's gradient comes from one ``MiniBatchStep``, whose
optimizer records the gradient instead of stepping.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, log_expit, log_softmax, softmax
from scipy.stats import norm

from conftest import RecordGradient, finite_difference
from sklearn_mle_nn import _steps
from sklearn_mle_nn._activations import ACTIVATIONS
from sklearn_mle_nn._network import Layout, Workspace, glorot_uniform
from sklearn_mle_nn._training import MiniBatchStep, Model
from sklearn_mle_nn.distributions import DISTRIBUTIONS

HIDDEN = ["identity", "logistic", "tanh", "relu"]

# Every distribution with every output link it accepts.
OUTPUTS = [
    ("gaussian", "identity"),
    ("gaussian", "logistic"),
    ("gaussian", "tanh"),
    ("gaussian", "relu"),
    ("gaussian", "softmax"),
    ("bernoulli", "logistic"),
    ("categorical", "softmax"),
]

REFERENCE_ACTIVATIONS = {
    "identity": lambda z: z,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "softmax": lambda z: softmax(z, axis=1),
}

N_SAMPLES, N_FEATURES, HIDDEN_SIZES, N_OUTPUTS = 5, 3, (4, 3), 2
KINK_MARGIN = 1e-3


def _reference_nll(distribution, link, Y, raw):
    """Per-sample NLL from scipy, independent of the library."""
    if distribution == "gaussian":
        return -norm.logpdf(Y, REFERENCE_ACTIVATIONS[link](raw)).sum(axis=1)
    if distribution == "bernoulli":
        return -(Y * log_expit(raw) + (1 - Y) * log_expit(-raw)).sum(axis=1)
    return -(Y * log_softmax(raw, axis=1)).sum(axis=1)


def _preactivations(layout, params, X, hidden):
    """Every layer's pre-activation, by a plain numpy forward pass."""
    coefs, intercepts = layout.split(params)
    A, preactivations = X, []
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
        Z = A @ coef + intercept
        preactivations.append(Z)
        if i < len(hidden):
            A = REFERENCE_ACTIVATIONS[hidden[i]](Z)
    return preactivations


def _objective(layout, params, X, Y, hidden, distribution, link, alpha, weights):
    """(sum_i w_i NLL_i + alpha / 2 ||W||^2) / sum_i w_i at ``params``."""
    raw = _preactivations(layout, params, X, hidden)[-1]
    nll = _reference_nll(distribution, link, Y, raw)
    coefs = params[: layout.n_coef]
    return (weights @ nll + 0.5 * alpha * coefs @ coefs) / weights.sum()


def _problem(distribution, hidden_activation, link, seed=0):
    """Data, targets and Glorot weights; reseeded until no ReLU sits near a kink."""
    hidden = [hidden_activation] * len(HIDDEN_SIZES)
    layout = Layout([N_FEATURES, *HIDDEN_SIZES, N_OUTPUTS])
    for attempt in range(100):
        rng = np.random.RandomState(seed + attempt)
        X = rng.normal(size=(N_SAMPLES, N_FEATURES))
        params = glorot_uniform(layout, hidden_activation, rng, np.float64)
        # Non-zero intercepts, so that they matter in the gradient.
        params[layout.n_coef :] = rng.uniform(-1, 1, layout.n_params - layout.n_coef)
        Z = _preactivations(layout, params, X, hidden)
        relu_layers = [z for z, name in zip(Z, [*hidden, link]) if name == "relu"]
        if all(np.abs(z).min() > KINK_MARGIN for z in relu_layers):
            break
    else:  # pragma: no cover - the search above succeeds for the seeds used
        raise RuntimeError("no kink-free initialisation found")
    if distribution == "gaussian":
        Y = rng.normal(size=(N_SAMPLES, N_OUTPUTS))
    elif distribution == "bernoulli":
        Y = rng.uniform(size=(N_SAMPLES, N_OUTPUTS))
    else:
        Y = np.eye(N_OUTPUTS)[rng.randint(N_OUTPUTS, size=N_SAMPLES)]
    weights = rng.uniform(0.2, 3, size=N_SAMPLES)
    return layout, hidden, X, Y, params, weights


def _library_gradient(
    layout, hidden, distribution, link, params, X, Y, alpha, sample_weight, batch_size
):
    model = Model(
        layout,
        [ACTIVATIONS[name] for name in hidden],
        DISTRIBUTIONS[distribution](link),
        params.copy(),
    )
    recorder = RecordGradient()
    step = MiniBatchStep(model, recorder, alpha, batch_size, params.dtype)
    loss = step(X, Y, sample_weight)
    assert_array_equal(model.params, params)  # the recorder did not step
    return recorder.grad, loss


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("alpha", [0.0, 0.7])
@pytest.mark.parametrize("hidden_activation", HIDDEN)
@pytest.mark.parametrize(
    "distribution, link", OUTPUTS, ids=[f"{d}-{o}" for d, o in OUTPUTS]
)
def test_network_gradient_matches_finite_differences(
    distribution, link, hidden_activation, alpha, weighted
):
    """The flat gradient of one mini-batch step is the finite-difference gradient."""
    layout, hidden, X, Y, params, weights = _problem(
        distribution, hidden_activation, link
    )
    if not weighted:
        weights = np.ones(N_SAMPLES)

    def objective(p):
        return _objective(layout, p, X, Y, hidden, distribution, link, alpha, weights)

    grad, loss = _library_gradient(
        layout,
        hidden,
        distribution,
        link,
        params,
        X,
        Y,
        alpha,
        weights if weighted else None,
        N_SAMPLES,
    )
    assert_allclose(grad, finite_difference(objective, params), rtol=1e-6, atol=1e-8)
    # The step returns the un-normalised objective: sum_i w_i NLL_i + penalty.
    assert_allclose(loss, objective(params) * weights.sum(), rtol=1e-10)


@pytest.mark.parametrize("part_length", [1, 7, 30])
def test_gradient_in_parts_matches_finite_differences(monkeypatch, part_length):
    """A step that walks the vector in parts (some across the weights' end) is exact.

    The network has 30 weights and 9 intercepts: parts of 7 put one part
    across the boundary, parts of 30 end exactly on it.
    """
    monkeypatch.setattr(_steps, "UPDATE_PART", part_length)
    layout, hidden, X, Y, params, weights = _problem("categorical", "tanh", "softmax")
    assert (layout.n_coef, layout.n_params) == (30, 39)

    def objective(p):
        return _objective(
            layout, p, X, Y, hidden, "categorical", "softmax", 0.7, weights
        )

    grad, _ = _library_gradient(
        layout, hidden, "categorical", "softmax", params, X, Y, 0.7, weights, 5
    )
    assert_allclose(grad, finite_difference(objective, params), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "distribution, link", [("gaussian", "identity"), ("bernoulli", "logistic")]
)
def test_gradient_of_batch_smaller_than_workspace(distribution, link):
    """A batch smaller than the workspace (its leading rows) gets the same gradient."""
    layout, hidden, X, Y, params, weights = _problem(distribution, "tanh", link)
    exact = _library_gradient(
        layout, hidden, distribution, link, params, X, Y, 0.1, weights, N_SAMPLES
    )
    larger = _library_gradient(
        layout, hidden, distribution, link, params, X, Y, 0.1, weights, N_SAMPLES + 7
    )
    assert_allclose(larger[0], exact[0], rtol=1e-13)


def test_gradient_with_sparse_inputs_equals_dense():
    """Sparse X gives the dense gradient."""
    layout, hidden, X, Y, params, weights = _problem("gaussian", "relu", "identity")
    X[X < 0] = 0.0
    dense = _library_gradient(
        layout, hidden, "gaussian", "identity", params, X, Y, 0.5, weights, N_SAMPLES
    )
    sparse = _library_gradient(
        layout,
        hidden,
        "gaussian",
        "identity",
        params,
        sp.csr_matrix(X),
        Y,
        0.5,
        weights,
        N_SAMPLES,
    )
    assert_allclose(sparse[0], dense[0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("compiled", [False, True])
def test_gradient_with_centred_sparse_inputs_equals_dense(compiled, monkeypatch):
    """A sparse matrix minus a row (standardized sparse inputs, centred
    without densifying) gives the gradient of its dense copy: the first
    layer's weight gradient is ``X.T @ delta - outer(offset, sum of delta)``."""
    from sklearn_mle_nn import _compiled
    from sklearn_mle_nn._network import CentredSparse

    if compiled:
        pytest.importorskip("numba")
    monkeypatch.setattr(_compiled, "ENABLED", compiled)
    layout, hidden, X, Y, params, weights = _problem("gaussian", "tanh", "identity")
    X[X < 0] = 0.0
    offset = np.random.RandomState(1).uniform(-2, 2, size=N_FEATURES)
    args = ("gaussian", "identity", params)
    dense = _library_gradient(
        layout, hidden, *args, X - offset, Y, 0.5, weights, N_SAMPLES
    )
    centred = CentredSparse(sp.csr_matrix(X), offset)
    sparse = _library_gradient(
        layout, hidden, *args, centred, Y, 0.5, weights, N_SAMPLES
    )
    assert_allclose(sparse[0], dense[0], rtol=1e-12, atol=1e-13)
    assert sparse[1] == pytest.approx(dense[1], rel=1e-12)


def test_float32_gradient_close_to_float64():
    """The float32 gradient approximates the float64 one and stays float32."""
    layout, hidden, X, Y, params, weights = _problem(
        "bernoulli", "logistic", "logistic"
    )
    grad64, _ = _library_gradient(
        layout, hidden, "bernoulli", "logistic", params, X, Y, 0.3, weights, N_SAMPLES
    )
    grad32, _ = _library_gradient(
        layout,
        hidden,
        "bernoulli",
        "logistic",
        params.astype(np.float32),
        X.astype(np.float32),
        Y.astype(np.float32),
        0.3,
        weights.astype(np.float32),
        N_SAMPLES,
    )
    assert grad32.dtype == np.float32
    assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-5)


def test_workspace_backward_matches_finite_differences():
    """Workspace.backward of output_delta = dL/draw gives dL/dparams (no step class)."""
    layout, hidden, X, Y, params, _ = _problem("categorical", "tanh", "softmax")
    activations = [ACTIVATIONS[name] for name in hidden]
    workspace = Workspace(layout, activations, N_SAMPLES, np.float64)
    coefs, intercepts = layout.split(params)
    grad = np.empty_like(params)
    coef_grads, intercept_grads = layout.split(grad)
    raw = workspace.forward(X, coefs, intercepts)
    DISTRIBUTIONS["categorical"]().nll_and_gradient(Y, raw, workspace.output_delta)
    workspace.backward(X, coefs, coef_grads, intercept_grads)

    def total_nll(p):
        return _reference_nll(
            "categorical", "softmax", Y, _preactivations(layout, p, X, hidden)[-1]
        ).sum()

    assert_allclose(grad, finite_difference(total_nll, params), rtol=1e-6, atol=1e-8)


def test_layout_split_returns_views_in_documented_order():
    """split gives views of the flat vector: coefficients first, then intercepts."""
    layout = Layout([3, 4, 2])
    assert layout.n_coef == 3 * 4 + 4 * 2
    assert layout.n_params == layout.n_coef + 4 + 2
    flat = np.arange(layout.n_params, dtype=float)
    coefs, intercepts = layout.split(flat)
    assert [c.shape for c in coefs] == [(3, 4), (4, 2)]
    assert [b.shape for b in intercepts] == [(4,), (2,)]
    assert_array_equal(coefs[0], np.arange(12).reshape(3, 4))
    assert_array_equal(coefs[1], np.arange(12, 20).reshape(4, 2))
    assert_array_equal(intercepts[0], [20, 21, 22, 23])
    assert_array_equal(intercepts[1], [24, 25])

    coefs[1][2, 1] = -1.0
    intercepts[0][3] = -2.0
    assert flat[12 + 2 * 2 + 1] == -1.0
    assert flat[23] == -2.0
    flat[0] = -3.0
    assert coefs[0][0, 0] == -3.0


def test_layout_pack_copies_and_checks_shapes():
    """pack copies given weights into a new vector and rejects wrong shapes."""
    layout = Layout([2, 3, 1])
    rng = np.random.RandomState(0)
    coefs = [rng.normal(size=(2, 3)), rng.normal(size=(3, 1))]
    intercepts = [rng.normal(size=3), rng.normal(size=1)]
    flat = layout.pack(coefs, intercepts, np.float64)
    packed_coefs, packed_intercepts = layout.split(flat)
    for given, packed in zip(coefs + intercepts, packed_coefs + packed_intercepts):
        assert_array_equal(packed, given)
        assert not np.shares_memory(packed, given)
    with pytest.raises(ValueError, match=r"\(3, 1\)"):
        layout.pack([coefs[0], np.ones((2, 1))], intercepts, np.float64)


@pytest.mark.parametrize("activation, factor", [("relu", 6.0), ("logistic", 2.0)])
def test_glorot_uniform_draws_as_scikit_learn(activation, factor):
    """Initial weights are uniform(+-sqrt(factor / (fan_in + fan_out)))."""
    layout = Layout([3, 4, 2])
    params = glorot_uniform(layout, activation, np.random.RandomState(0), np.float64)
    rng = np.random.RandomState(0)
    expected_coefs, expected_intercepts = [], []
    for fan_in, fan_out in [(3, 4), (4, 2)]:
        bound = np.sqrt(factor / (fan_in + fan_out))
        expected_coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        expected_intercepts.append(rng.uniform(-bound, bound, fan_out))
    coefs, intercepts = layout.split(params)
    for got, expected in zip(coefs + intercepts, expected_coefs + expected_intercepts):
        assert_array_equal(got, expected)
