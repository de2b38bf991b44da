"""An autoencoder starts at the linear autoencoder (PCA's reconstruction).

References: scikit-learn's PCA (its reconstruction, on rows repeated by
their integer weights for the weighted case) and the intercept-only model's
Bernoulli means, computed here by hand.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logit
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from sklearn_mle_nn import MLEAutoencoder
from sklearn_mle_nn._network import glorot_uniform

# One epoch whose steps are far too small to move the start.
FROZEN = dict(max_iter=1, solver="sgd", learning_rate_init=1e-30, momentum=0)


def _started(X, sample_weight=None, **params):
    """The autoencoder's predictions at its start (one negligible epoch)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae = MLEAutoencoder(random_state=0, **{**FROZEN, **params})
        return ae.fit(X, sample_weight=sample_weight)


def _pca_reconstruction(X_fit, X, n_components):
    pca = PCA(n_components).fit(X_fit)
    return pca.inverse_transform(pca.transform(X))


def _data(seed=0):
    """Features of very different scales and offsets, with correlations."""
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(120, 3))
    X = latent @ rng.normal(size=(3, 7)) + 0.3 * rng.normal(size=(120, 7))
    return X * np.logspace(-2, 3, 7) + np.linspace(-500, 500, 7)


@pytest.mark.parametrize(
    "activation, hidden_layer_sizes",
    [("relu", (100,)), ("relu", (9, 6, 4)), ("identity", (10, 5)), ("identity", ())],
)
@pytest.mark.parametrize("standardize_inputs", [True, False])
@pytest.mark.parametrize("n_components", [1, 2])
def test_start_is_pca_reconstruction(
    activation, hidden_layer_sizes, standardize_inputs, n_components
):
    X = _data()
    ae = _started(
        X,
        activation=activation,
        hidden_layer_sizes=hidden_layer_sizes,
        standardize_inputs=standardize_inputs,
        n_components=n_components,
    )
    expected = _pca_reconstruction(X, X, n_components)
    assert_allclose(ae.predict(X), expected, rtol=1e-9, atol=1e-9 * np.abs(X).max())


def test_weighted_start_is_pca_of_the_repeated_rows():
    X = _data(1)
    weights = np.random.RandomState(0).randint(1, 4, size=len(X))
    ae = _started(X, sample_weight=weights.astype(float))
    expected = _pca_reconstruction(np.repeat(X, weights, axis=0), X, 2)
    assert_allclose(ae.predict(X), expected, rtol=1e-9, atol=1e-9 * np.abs(X).max())


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_weighted_start_equals_the_start_on_repeated_rows(container):
    """scikit-learn's sample-weight check's data, integer weights with zeros:
    the two starts agree to rounding. (The trained fits do not agree to its
    1e-7; see tests/test_common.py.)"""
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    weights = rng.randint(0, 5, size=15)
    weighted = _started(container(X), sample_weight=weights.astype(float))
    repeated = _started(container(X.repeat(weights, axis=0)))
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-12)


def test_sparse_start_is_pca_reconstruction():
    """Sparse inputs are scaled but not centred: the start still reconstructs
    as PCA does (which centres)."""
    X = np.abs(_data(2)) * (np.random.RandomState(0).uniform(size=(120, 7)) < 0.3)
    ae = _started(sp.csr_matrix(X))
    expected = _pca_reconstruction(X, X, 2)
    assert_allclose(ae.predict(X), expected, rtol=1e-9, atol=1e-9 * np.abs(X).max())


@pytest.mark.parametrize("distribution", ["heteroscedastic_gaussian", "student_t"])
def test_start_of_other_identity_link_likelihoods_is_pca(distribution):
    X = _data(3)
    ae = _started(X, distribution=distribution)
    expected = _pca_reconstruction(X, X, 2)
    assert_allclose(ae.predict(X), expected, rtol=1e-9, atol=1e-9 * np.abs(X).max())


@pytest.mark.parametrize(
    "params",
    [
        dict(activation="tanh"),
        dict(activation="logistic"),
        dict(hidden_layer_sizes=(3,)),  # fewer than two units per code
        dict(n_components=8),  # more codes than the 7 features
        dict(variational=True),
        dict(distribution="laplace", activation="tanh"),
    ],
)
def test_networks_without_the_linear_autoencoder_keep_the_random_start(params):
    X = _data(4)
    ae = MLEAutoencoder(**params)
    X_valid, Y = ae._validate_targets(X, None, reset=True)
    network = ae._define_network(X_valid, Y, None)
    model = ae._training_model(
        network, X_valid, Y, None, False, None, None, check_random_state(0)
    )
    random = glorot_uniform(model.layout, ae.activation, check_random_state(0), X.dtype)
    coefs, _ = model.layout.split(model.params)
    expected, _ = model.layout.split(random)
    for got, drawn in zip(coefs[:-1], expected[:-1]):
        assert_array_equal(got, drawn)


def test_bernoulli_decoder_starts_at_the_feature_means():
    """The output intercepts start at the logits of the feature means (the
    intercept-only model), the weights where they were drawn."""
    X = load_iris().data * 0.001
    ae = MLEAutoencoder(distribution="bernoulli")
    X_valid, Y = ae._validate_targets(X, None, reset=True)
    network = ae._define_network(X_valid, Y, None)
    model = ae._training_model(
        network, X_valid, Y, None, False, None, None, check_random_state(0)
    )
    _, intercepts = model.layout.split(model.params)
    assert_allclose(intercepts[-1], logit(X.mean(axis=0)))


def test_bernoulli_on_nearly_flat_likelihood_is_no_worse_than_the_means():
    """Features in [0, 0.008]: the Bernoulli likelihood carries about 1e-3
    nats of structure per row, less than the default L2 penalty's price, so
    the fit stays near the intercept-only model; it used to end far from it
    (held-out R^2 of -0.4 and below), having spent its epochs on the means."""
    X = load_iris().data * 0.001
    scores = []
    for seed in range(3):
        X_train, X_test = train_test_split(X, test_size=0.25, random_state=seed)
        ae = MLEAutoencoder(distribution="bernoulli", random_state=seed).fit(X_train)
        scores.append(
            r2_score(X_test, ae.predict(X_test), multioutput="variance_weighted")
        )
    assert np.mean(scores) > -0.05


@pytest.mark.parametrize("load", [load_iris, load_wine, load_breast_cancer])
def test_default_fit_ends_no_worse_than_pca_on_its_training_data(load):
    """Started at PCA, and the start kept if training ends worse: the training
    reconstruction of the default fit (raw features, no scaler) is at least
    PCA's."""
    X = load().data
    for seed in range(2):
        X_train, _ = train_test_split(X, test_size=0.25, random_state=seed)
        ae = MLEAutoencoder(random_state=seed).fit(X_train)
        expected = _pca_reconstruction(X_train, X_train, 2)
        ours = r2_score(X_train, ae.predict(X_train), multioutput="variance_weighted")
        pca = r2_score(X_train, expected, multioutput="variance_weighted")
        assert ours >= pca


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_heteroscedastic_start_holds_a_constant_feature(dtype):
    """A constant feature has no maximum-likelihood spread: it is held at its
    value, in the start that may be kept too, and the fit ends finite."""
    X = np.column_stack([_data(5), np.full(120, 4.0)]).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ae = MLEAutoencoder(distribution="heteroscedastic_gaussian", random_state=0)
        ae.fit(X)
    assert_array_equal(ae.predict(X)[:, -1], 4.0)
    assert np.all(np.isfinite(ae.score_samples(X)))


@pytest.mark.parametrize("weighted", [False, True])
def test_many_features_take_a_randomized_svd_to_the_same_start(monkeypatch, weighted):
    """Above EXACT_FEATURES features the axes come from a randomized SVD (no
    covariance matrix of n_features squared): the same start here, where the
    principal components are well apart."""
    import sklearn_mle_nn._principal_start as principal_start

    monkeypatch.setattr(principal_start, "EXACT_FEATURES", 3)
    X = _data(6)
    weights = np.random.RandomState(1).randint(1, 4, size=len(X))
    ae = _started(X, sample_weight=weights.astype(float) if weighted else None)
    expected = _pca_reconstruction(
        np.repeat(X, weights, axis=0) if weighted else X, X, 2
    )
    assert_allclose(ae.predict(X), expected, rtol=1e-7, atol=1e-7 * np.abs(X).max())
