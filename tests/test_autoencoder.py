"""Tests of MLEAutoencoder's public API (see DESIGN.md).

References: scipy.stats (the Gaussian and Bernoulli likelihoods), PCA (the
optimal linear code), a plain numpy forward pass through coefs_, and
scikit-learn's set_output / Pipeline machinery.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from _params import SKLEARN_SGD_DEFAULTS
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.linalg import subspace_angles
from scipy.special import expit
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_mle_nn import MLEAutoencoder
from sklearn_mle_nn.distributions import SPREAD_FLOOR

# Most fits here run a handful of epochs on purpose, to stay fast.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

BASE = {**SKLEARN_SGD_DEFAULTS, "batch_size": 32}

DISTRIBUTIONS = ["gaussian", "bernoulli"]


def _autoencoder(hidden_layer_sizes=(8,), activation="relu", **params):
    return MLEAutoencoder(hidden_layer_sizes, activation, **{**BASE, **params})


def _real_data(n_samples=200, n_features=6, seed=0):
    """Three latent factors seen through six features of different scales."""
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(n_samples, 3)) * [3.0, 2.0, 0.7]
    X = latent @ rng.normal(size=(3, n_features))
    X += 0.1 * rng.normal(size=X.shape)
    return X * np.linspace(0.5, 3.0, n_features) + np.arange(n_features)


def _binary_data(n_samples=200, n_features=6, seed=0):
    """0/1 features driven by two latent factors, with 10% of the bits flipped."""
    rng = np.random.RandomState(seed)
    X = (rng.normal(size=(n_samples, 2)) @ rng.normal(size=(2, n_features))) > 0
    flip = rng.uniform(size=X.shape) < 0.1
    return (X ^ flip).astype(float)


def _data(distribution, **kwargs):
    return (_real_data if distribution == "gaussian" else _binary_data)(**kwargs)


def _fitted(distribution, **params):
    X = _data(distribution)
    return _autoencoder(distribution=distribution, **params).fit(X), X


def _assert_within(actual, bound):
    assert np.all(actual <= bound), (actual, bound)


def _reconstruction_mse(X, X_hat):
    return float(np.mean((X - X_hat) ** 2))


# ---- architecture, transform, inverse_transform --------------------------------


@pytest.mark.parametrize(
    "distribution, out_activation",
    [("gaussian", "identity"), ("bernoulli", "logistic")],
)
def test_layers_are_encoder_code_mirrored_decoder(distribution, out_activation):
    """hidden (8, 4), 2 components, 6 features: 6-8-4-2-4-8-6."""
    X = _data(distribution)
    ae = _autoencoder((8, 4), n_components=2, distribution=distribution, max_iter=2)
    ae.fit(X)
    assert [coef.shape for coef in ae.coefs_] == [
        (6, 8),
        (8, 4),
        (4, 2),
        (2, 4),
        (4, 8),
        (8, 6),
    ]
    assert [len(b) for b in ae.intercepts_] == [8, 4, 2, 4, 8, 6]
    assert ae.n_layers_ == 7
    assert ae.n_outputs_ == 6
    assert ae.out_activation_ == out_activation


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_transform_is_the_linear_code_and_inverse_transform_decodes(distribution):
    """transform is the encoder (relu layers, linear code); inverse_transform the
    decoder and the link; both recomputed from coefs_ and intercepts_."""
    ae, X = _fitted(distribution, hidden_layer_sizes=(8, 4), max_iter=5)
    layers = list(zip(ae.coefs_, ae.intercepts_))
    A = X
    for i, (coef, intercept) in enumerate(layers[:3]):
        A = A @ coef + intercept
        A = np.maximum(A, 0) if i < 2 else A
    code = ae.transform(X)
    assert code.shape == (len(X), 2)
    assert_allclose(code, A, rtol=1e-10, atol=1e-12)
    for i, (coef, intercept) in enumerate(layers[3:]):
        A = A @ coef + intercept
        A = np.maximum(A, 0) if i < 2 else A
    mean = A if distribution == "gaussian" else expit(A)
    assert_allclose(ae.inverse_transform(code), mean, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_inverse_transform_of_transform_is_predict(distribution):
    """Decoding the code of X gives the reconstruction mean predict(X)."""
    ae, X = _fitted(distribution, max_iter=5)
    X_new = _data(distribution, seed=1)
    assert_allclose(
        ae.inverse_transform(ae.transform(X_new)), ae.predict(X_new), rtol=1e-12
    )
    assert ae.predict(X_new).shape == X_new.shape


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_fit_transform_equals_fit_then_transform(distribution):
    """fit_transform(X) == fit(X).transform(X) with the same random_state."""
    X = _data(distribution)
    codes = _autoencoder(distribution=distribution, max_iter=5).fit_transform(X)
    expected = _autoencoder(distribution=distribution, max_iter=5).fit(X).transform(X)
    assert_allclose(codes, expected, rtol=1e-12)


# ---- likelihood and sigma_ ------------------------------------------------------


def test_gaussian_score_samples_matches_scipy():
    """score_samples = sum over features of norm.logpdf(x, predict(x), sigma_)."""
    ae, _ = _fitted("gaussian", max_iter=20)
    X_new = _real_data(n_samples=50, seed=1)
    reference = stats.norm.logpdf(X_new, ae.predict(X_new), ae.sigma_).sum(axis=1)
    scores = ae.score_samples(X_new)
    assert scores.shape == (50,)
    assert_allclose(scores, reference, rtol=1e-10)
    assert_allclose(ae.score(X_new), reference.mean(), rtol=1e-10)


def test_bernoulli_score_samples_matches_scipy():
    """On 0/1 data score_samples = sum over features of bernoulli.logpmf."""
    ae, _ = _fitted("bernoulli", max_iter=20)
    X_new = _binary_data(n_samples=50, seed=1)
    reference = stats.bernoulli.logpmf(X_new, ae.predict(X_new)).sum(axis=1)
    assert np.all(np.isfinite(reference))
    scores = ae.score_samples(X_new)
    assert scores.shape == (50,)
    assert_allclose(scores, reference, rtol=1e-10)
    assert_allclose(ae.score(X_new), reference.mean(), rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_sigma_is_per_feature_rms_training_residual(weighted):
    """sigma_ is the (weighted) root-mean-square of X - predict(X), per feature."""
    X = _real_data()
    weight = np.random.RandomState(2).uniform(0.1, 3, len(X)) if weighted else None
    ae = _autoencoder(max_iter=20).fit(X, sample_weight=weight)
    residual = X - ae.predict(X)
    expected = np.sqrt(np.average(residual**2, axis=0, weights=weight))
    assert ae.sigma_.shape == (6,)
    assert_allclose(ae.sigma_, expected, rtol=1e-10)
    # The features have different scales, and so do their residuals.
    assert ae.sigma_.max() > 1.5 * ae.sigma_.min()


def test_bernoulli_has_no_sigma():
    """A Bernoulli autoencoder has no noise scale."""
    ae, _ = _fitted("bernoulli", max_iter=2)
    assert not hasattr(ae, "sigma_")


@pytest.mark.parametrize("bad", [-0.5, 1.5])
def test_bernoulli_input_outside_unit_interval_raises_in_fit(bad):
    """fit with distribution='bernoulli' needs X in [0, 1]."""
    X = _binary_data()
    X[3, 2] = bad
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        _autoencoder(distribution="bernoulli", max_iter=2).fit(X)


@pytest.mark.parametrize("bad", [-0.5, 1.5])
def test_bernoulli_input_outside_unit_interval_raises_in_score_samples(bad):
    """score_samples with distribution='bernoulli' needs X in [0, 1]."""
    ae, X = _fitted("bernoulli", max_iter=2)
    X = X.copy()
    X[3, 2] = bad
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ae.score_samples(X)


# ---- sampling -------------------------------------------------------------------


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_sample_shape(distribution):
    """Draws have shape (n_samples_X, n_features, n_samples)."""
    ae, X = _fitted(distribution, max_iter=2)
    assert ae.sample(X[:7], n_samples=11, random_state=0).shape == (7, 6, 11)
    assert ae.sample(X[:7], random_state=0).shape == (7, 6, 1)


def test_gaussian_sample_moments_match_predict_and_sigma():
    """Over many draws, mean -> predict(X) and standard deviation -> sigma_."""
    ae, X = _fitted("gaussian", max_iter=20)
    n_draws = 20_000
    draws = ae.sample(X[:5], n_samples=n_draws, random_state=0)
    sigma = np.broadcast_to(ae.sigma_, (5, 6))
    _assert_within(
        np.abs(draws.mean(axis=2) - ae.predict(X[:5])), 5 * sigma / np.sqrt(n_draws)
    )
    _assert_within(np.abs(draws.std(axis=2) - sigma), 5 * sigma / np.sqrt(2 * n_draws))


def test_bernoulli_sample_is_binary_with_predicted_frequency():
    """Bernoulli draws are 0/1, each feature at the rate predict(X) gives."""
    ae, X = _fitted("bernoulli", max_iter=5)
    n_draws = 20_000
    draws = ae.sample(X[:5], n_samples=n_draws, random_state=0)
    assert set(np.unique(draws)) == {0, 1}
    mean = ae.predict(X[:5])
    assert np.all((mean > 0.02) & (mean < 0.98))
    standard_error = np.sqrt(mean * (1 - mean) / n_draws)
    _assert_within(np.abs(draws.mean(axis=2) - mean), 5 * standard_error)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_sample_random_state_is_reproducible(distribution):
    """An int random_state gives the same draws; another one gives others."""
    ae, X = _fitted(distribution, max_iter=2)
    first = ae.sample(X[:5], n_samples=20, random_state=0)
    assert_array_equal(first, ae.sample(X[:5], n_samples=20, random_state=0))
    assert not np.array_equal(first, ae.sample(X[:5], n_samples=20, random_state=1))


# ---- feature names and pandas ---------------------------------------------------


def test_get_feature_names_out():
    """Output names are the lower-cased class name and the component index."""
    ae, _ = _fitted("gaussian", n_components=3, max_iter=2)
    assert_array_equal(
        ae.get_feature_names_out(),
        ["mleautoencoder0", "mleautoencoder1", "mleautoencoder2"],
    )


def test_set_output_pandas_gives_named_columns():
    """set_output(transform='pandas') returns a DataFrame of the codes."""
    X = _real_data()
    ae = _autoencoder(n_components=3, max_iter=2).set_output(transform="pandas")
    codes = ae.fit_transform(X)
    assert isinstance(codes, pd.DataFrame)
    assert list(codes.columns) == [
        "mleautoencoder0",
        "mleautoencoder1",
        "mleautoencoder2",
    ]
    assert_allclose(codes.to_numpy(), ae.set_output(transform="default").transform(X))


def test_feature_names_in_from_a_dataframe():
    """A DataFrame's column names become feature_names_in_ and are checked later."""
    columns = [f"pixel_{i}" for i in range(6)]
    X = pd.DataFrame(_real_data(), columns=columns)
    ae = _autoencoder(max_iter=2).fit(X)
    assert_array_equal(ae.feature_names_in_, columns)
    assert ae.transform(X).shape == (len(X), 2)
    with pytest.raises(ValueError, match="feature names"):
        ae.transform(X[columns[::-1]])


# ---- sparse input ---------------------------------------------------------------


def _sparse_data(n_samples=200, n_features=8, seed=0):
    rng = np.random.RandomState(seed)
    mask = rng.binomial(1, 0.3, size=(n_samples, n_features))
    return mask * rng.exponential(size=(n_samples, n_features))


def test_sparse_input_predicts_as_dense_input():
    """A fitted model gives the same outputs for csr and dense X."""
    X = _sparse_data()
    ae = _autoencoder(max_iter=5).fit(X)
    X_csr = sp.csr_matrix(X)
    assert_allclose(ae.transform(X_csr), ae.transform(X), rtol=1e-10, atol=1e-12)
    assert_allclose(ae.predict(X_csr), ae.predict(X), rtol=1e-10, atol=1e-12)
    assert_allclose(ae.score_samples(X_csr), ae.score_samples(X), rtol=1e-10)


def test_sparse_fit_close_to_dense_fit():
    """Fitting on csr X reconstructs about as well as fitting on dense X.

    Not equal: sparse X is scaled but not centred, so the SGD path differs.
    """
    X = _sparse_data()
    dense_mse, sparse_mse = [], []
    # Averaged over seeds: one SGD path can end 20% apart from the other.
    for seed in range(3):
        params = dict(n_components=3, max_iter=300, random_state=seed)
        dense = _autoencoder((10,), **params).fit(X)
        sparse = _autoencoder((10,), **params).fit(sp.csr_matrix(X))
        dense_mse.append(_reconstruction_mse(X, dense.predict(X)))
        sparse_mse.append(_reconstruction_mse(X, sparse.predict(sp.csr_matrix(X))))
    assert np.mean(sparse_mse) == pytest.approx(np.mean(dense_mse), rel=0.15)


def test_sparse_linear_autoencoder_close_to_pca():
    """On csr X, a linear autoencoder still reaches PCA's reconstruction error."""
    X = _sparse_data()
    ae = _autoencoder((), "identity", n_components=3, max_iter=300)
    ae.fit(sp.csr_matrix(X))
    pca = PCA(3).fit(X)
    pca_mse = _reconstruction_mse(X, pca.inverse_transform(pca.transform(X)))
    assert _reconstruction_mse(X, ae.predict(X)) == pytest.approx(pca_mse, rel=0.02)


# ---- PCA, the optimal linear code -----------------------------------------------


def test_linear_autoencoder_spans_the_principal_subspace():
    """hidden=(), identity: training error within 10% of PCA's, never below it,
    and the decoder spans PCA's components."""
    X = _real_data(n_samples=300)
    ae = _autoencoder((), "identity", n_components=2, max_iter=300).fit(X)
    pca = PCA(2).fit(X)
    pca_mse = _reconstruction_mse(X, pca.inverse_transform(pca.transform(X)))
    ae_mse = _reconstruction_mse(X, ae.predict(X))
    # PCA is the best rank-2 affine reconstruction of the training data.
    assert pca_mse * (1 - 1e-9) <= ae_mse <= 1.1 * pca_mse
    angles = subspace_angles(ae.coefs_[-1].T, pca.components_.T)
    assert np.degrees(angles).max() < 2


# ---- real data ------------------------------------------------------------------


def test_digits_codes_feed_a_classifier_in_a_pipeline():
    """Eight codes of digits keep the classes apart: far above 10% chance."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.25, random_state=0
    )
    pipeline = make_pipeline(
        MLEAutoencoder(n_components=8, random_state=0),
        LogisticRegression(max_iter=1000),
    ).fit(X_train, y_train)
    assert pipeline.score(X_test, y_test) > 0.5


@pytest.mark.peer_quality
@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("n_components", [2, 8])
def test_digits_held_out_reconstruction_beats_pca(n_components, distribution):
    """On held-out digits in [0, 1], the default network reconstructs better than
    PCA with as many components."""
    X = load_digits().data / 16
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    pca = PCA(n_components).fit(X_train)
    pca_mse = _reconstruction_mse(X_test, pca.inverse_transform(pca.transform(X_test)))
    ae = MLEAutoencoder(
        (128,), n_components=n_components, distribution=distribution, random_state=0
    ).fit(X_train)
    assert _reconstruction_mse(X_test, ae.predict(X_test)) < pca_mse


# ---- constant features: the floor of the fitted spread ---------------------------


def _with_constant_feature(value=4.0):
    X = _real_data()
    return np.column_stack([X, np.full(len(X), value)])


@pytest.mark.parametrize("units", [1e-6, 1.0, 1e6])
@pytest.mark.parametrize(
    "distribution, variational",
    [("gaussian", False), ("gaussian", True), ("laplace", False)],
)
def test_a_constant_feature_gets_the_floor_of_the_pooled_spread(
    distribution, variational, units
):
    """Its spread was 1e-16 of the data's (or for a variational one 2e-16
    in whatever units the data came in): any held-out difference there scored
    about -1e30. Now SPREAD_FLOOR times the pooled scale of the features (the
    root mean square of the distribution's own scales: standard deviations,
    for the Laplace mean absolute deviations from the median)."""
    X = units * _with_constant_feature()
    ae = _autoencoder(distribution=distribution, variational=variational)
    ae.set_params(max_iter=5).fit(X)
    if distribution == "gaussian":
        scales, spread = X.std(axis=0), ae.sigma_
    else:
        scales = np.mean(np.abs(X - np.median(X, axis=0)), axis=0)
        spread = ae.scale_
    pooled = np.sqrt(np.mean(scales**2))
    assert spread[-1] == pytest.approx(SPREAD_FLOOR * pooled, rel=1e-6)
    assert np.all(spread[:-1] > SPREAD_FLOOR * pooled)


@pytest.mark.parametrize("variational", [False, True])
def test_a_sample_that_differs_at_a_constant_feature_is_named_in_a_warning(
    variational,
):
    X = _with_constant_feature()
    ae = _autoencoder(variational=variational, max_iter=5).fit(X)
    X_new = X[:4].copy()
    X_new[1:3, -1] += 0.5
    with pytest.warns(UserWarning, match=r"2 of 4 samples differ .* features \[6\]"):
        scores = ae.score_samples(X_new)
    # Finite, and low: the floor makes them strong anomalies.
    assert np.all(np.isfinite(scores))
    assert scores[1:3].max() < scores[[0, 3]].min() - 1000
    # None differs: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ae.score_samples(X[:4])


def test_partial_fit_forgets_a_feature_that_varies_in_a_later_chunk():
    X = _with_constant_feature()
    varying = X.copy()
    varying[:, -1] += np.random.RandomState(0).normal(size=len(X))
    ae = _autoencoder().partial_fit(X).partial_fit(varying)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ae.score_samples(varying)
    # A stream whose chunks are all constant there still warns.
    ae = _autoencoder().partial_fit(X).partial_fit(X)
    with pytest.warns(UserWarning, match="differ from the training data"):
        ae.score_samples(varying)


@pytest.mark.peer_quality
def test_digits_held_out_score_is_finite_and_above_pca():
    """Issue 22: digits / 16 as given, two folds. Pixel 56 is blank in the
    second half of the images, not in the first: the fold fitted on the
    second half scored the first -5.96e26 (PCA: 6.06). With the floor the
    folds score 41.3 and 48.0 nats per image, PCA(4) 6.06 and 4.86: a
    spread per pixel explains the near-blank edge pixels that PCA's one
    noise variance cannot, a margin of 35 nats over PCA's own score."""
    X = load_digits().data / 16
    autoencoder = MLEAutoencoder(n_components=4, random_state=0)
    with pytest.warns(UserWarning, match=r"at features \[56\], which were constant"):
        ours = cross_val_score(autoencoder, X, cv=2)
    pca = cross_val_score(PCA(n_components=4), X, cv=2)
    assert np.all(np.isfinite(ours))
    assert np.all(ours > pca), (ours, pca)


def test_laplace_is_standardized_by_its_own_location_and_scale():
    """The median and the mean absolute deviation from it (one pooled scale),
    not the mean and the standard deviation, which a few outliers move."""
    X = _real_data(n_samples=201)
    X[:5, 0] += 100.0
    ae = _autoencoder(distribution="laplace", max_iter=1).fit(X)
    scaling = ae._network.target_scaling
    median = np.median(X, axis=0)
    deviation = np.mean(np.abs(X - median), axis=0)
    assert_allclose(scaling.shift, median)
    assert_allclose(scaling.scale, np.sqrt(np.mean(deviation**2)))
