"""The numerical claims of the teaching examples (plot_gradient_descent.py,
plot_backpropagation.py), against independent references.

* A mini-batch gradient is an unbiased estimate of the full-data gradient
  whose error falls like 1/sqrt(M) (with the finite-population factor when
  the batch is drawn without replacement, as within an epoch).
* On a fitted network, the bias gradient is the error signal and the weight
  gradient the layer's input times the error signal, with the error signals
  computed by hand: checked against finite differences of the estimator's
  own log-likelihood.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris
from sklearn.preprocessing import LabelBinarizer

from sklearn_mle_nn import MLEClassifier, MLERegressor
from sklearn_mle_nn.distributions import Gaussian

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# ---- the mini-batch gradient ----------------------------------------------------


def _linear_gaussian_problem(n_samples=500, n_features=5, seed=0):
    """Per-sample gradients of a linear neuron's Gaussian NLL at a fixed point."""
    rng = np.random.RandomState(seed)
    inputs = np.hstack(
        [np.ones((n_samples, 1)), rng.normal(size=(n_samples, n_features))]
    )
    y = inputs @ rng.normal(size=(n_features + 1, 1)) + rng.normal(size=(n_samples, 1))
    theta = np.zeros((n_features + 1, 1))
    per_sample = Gaussian().gradient(y, inputs @ theta) * inputs
    return per_sample, per_sample.mean(axis=0)


def _batch_errors(per_sample, full, size, replace, n_draws, rng):
    errors = np.empty((n_draws, per_sample.shape[1]))
    for draw in range(n_draws):
        batch = rng.choice(len(per_sample), size=size, replace=replace)
        errors[draw] = per_sample[batch].mean(axis=0) - full
    return errors


def test_per_sample_gradient_is_the_gradient_of_the_mean_nll():
    """The gradient the teaching example averages is d(mean NLL)/dθ."""
    rng = np.random.RandomState(1)
    inputs = np.hstack([np.ones((50, 1)), rng.normal(size=(50, 3))])
    y = rng.normal(size=(50, 1))
    theta = rng.normal(size=(4, 1))
    gaussian = Gaussian()
    analytic = (gaussian.gradient(y, inputs @ theta) * inputs).mean(axis=0)
    h = 1e-6
    numeric = [
        (
            gaussian.nll(y, inputs @ (theta + h * e)).mean()
            - gaussian.nll(y, inputs @ (theta - h * e)).mean()
        )
        / (2 * h)
        for e in np.eye(4)[:, :, np.newaxis]
    ]
    assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("replace", [True, False], ids=["with", "without-replacement"])
def test_mini_batch_gradient_is_unbiased(replace):
    """The mean of many batch gradients is the full gradient (4 standard errors)."""
    per_sample, full = _linear_gaussian_problem()
    rng = np.random.RandomState(0)
    n_draws = 4000
    errors = _batch_errors(per_sample, full, 8, replace, n_draws, rng)
    standard_error = errors.std(axis=0) / np.sqrt(n_draws)
    assert np.all(np.abs(errors.mean(axis=0)) < 4 * standard_error)


@pytest.mark.parametrize("replace", [True, False], ids=["with", "without-replacement"])
def test_mini_batch_error_falls_like_one_over_sqrt_batch_size(replace):
    """RMS error = s / sqrt(M) (times sqrt((N - M)/(N - 1)) without replacement)."""
    per_sample, full = _linear_gaussian_problem()
    n_samples = len(per_sample)
    spread = np.sqrt(np.mean(np.sum((per_sample - full) ** 2, axis=1)))
    rng = np.random.RandomState(0)
    sizes = np.array([1, 4, 16, 64, 256])
    rms = np.array(
        [
            np.sqrt(
                np.mean(
                    np.sum(
                        _batch_errors(per_sample, full, size, replace, 3000, rng) ** 2,
                        axis=1,
                    )
                )
            )
            for size in sizes
        ]
    )
    expected = spread / np.sqrt(sizes)
    if not replace:
        expected = expected * np.sqrt((n_samples - sizes) / (n_samples - 1))
    assert_allclose(rms, expected, rtol=0.05)
    if replace:
        slope = np.polyfit(np.log(sizes), np.log(rms), 1)[0]
        assert abs(slope + 0.5) < 0.03


# ---- backpropagation on fitted networks -------------------------------------------

X, LABELS = load_iris(return_X_y=True)


def _forward(coefs, intercepts, inputs, output):
    activations = [inputs]
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        z = activations[-1] @ W + b
        if layer < len(coefs) - 1:
            activations.append(np.tanh(z))
        elif output == "softmax":
            z = z - z.max(axis=1, keepdims=True)
            activations.append(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
        elif output == "logistic":
            activations.append(1 / (1 + np.exp(-z)))
        else:
            activations.append(z)
    return activations


def _backprop(coefs, activations, output_error_signal):
    """Bias gradients = error signals; weight gradients = inputs^T error signals."""
    delta = output_error_signal
    bias_gradients, weight_gradients = [None] * len(coefs), [None] * len(coefs)
    for layer in reversed(range(len(coefs))):
        bias_gradients[layer] = delta.sum(axis=0)
        weight_gradients[layer] = activations[layer].T @ delta
        if layer:
            delta = (delta @ coefs[layer].T) * (1 - activations[layer] ** 2)
    return weight_gradients, bias_gradients


def _five_point(nll, array, index, h=1e-4):
    saved = array[index]
    values = []
    for step in (-2, -1, 1, 2):
        array[index] = saved + step * h
        values.append(nll())
    array[index] = saved
    return (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)


def _fitted(kind):
    params = {
        "hidden_layer_sizes": (5, 4),
        "activation": "tanh",
        "max_iter": 50,
        "random_state": 0,
    }
    if kind == "multiclass":
        return MLEClassifier(**params).fit(X, LABELS), X, LABELS
    if kind == "binary":
        return MLEClassifier(**params).fit(X, LABELS == 2), X, LABELS == 2
    return MLERegressor(**params).fit(X[:, :3], X[:, 3]), X[:, :3], X[:, 3]


@pytest.mark.parametrize("kind", ["multiclass", "binary", "regressor"])
def test_backprop_identities_on_a_fitted_network(kind):
    """Hand-made error signals give every gradient of the estimator's NLL."""
    estimator, inputs, y = _fitted(kind)
    output = {"multiclass": "softmax", "binary": "logistic", "regressor": "identity"}[
        kind
    ]
    activations = _forward(estimator.coefs_, estimator.intercepts_, inputs, output)
    # The hand-made forward pass is the estimator's.
    if kind == "regressor":
        assert_allclose(activations[-1].ravel(), estimator.predict(inputs), rtol=1e-12)
        # Gaussian NLL with the fitted sigma: dC/dz = (mean - y) / sigma^2.
        signal = (activations[-1] - y[:, np.newaxis]) / estimator.sigma_**2
    else:
        proba = estimator.predict_proba(inputs)
        targets = LabelBinarizer().fit(estimator.classes_).transform(y)
        if kind == "binary":
            proba = proba[:, 1:]
        assert_allclose(activations[-1], proba, rtol=1e-12)
        signal = activations[-1] - targets  # canonical link: mean - y

    weight_gradients, bias_gradients = _backprop(estimator.coefs_, activations, signal)

    def nll():
        return -estimator.log_likelihood(inputs, y).sum()

    for layer in range(len(estimator.coefs_)):
        for array, gradient in [
            (estimator.coefs_[layer], weight_gradients[layer]),
            (estimator.intercepts_[layer], bias_gradients[layer]),
        ]:
            numeric = np.array(
                [_five_point(nll, array, i) for i in np.ndindex(array.shape)]
            )
            assert_allclose(gradient.ravel(), numeric, rtol=1e-8, atol=1e-8)


def test_backprop_check_can_fail():
    """A wrong output error signal (no canonical cancellation) is caught."""
    estimator, inputs, y = _fitted("multiclass")
    activations = _forward(estimator.coefs_, estimator.intercepts_, inputs, "softmax")
    targets = LabelBinarizer().fit(estimator.classes_).transform(y)
    p = activations[-1]
    wrong_signal = (p - targets) * p * (1 - p)
    _, bias_gradients = _backprop(estimator.coefs_, activations, wrong_signal)

    def nll():
        return -estimator.log_likelihood(inputs, y).sum()

    b = estimator.intercepts_[-1]
    numeric = np.array([_five_point(nll, b, i) for i in np.ndindex(b.shape)])
    assert not np.allclose(bias_gradients[-1], numeric, rtol=1e-8, atol=1e-8)
