"""The linear start: a new network starts at its distribution's linear model."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.linear_model import LogisticRegression, PoissonRegressor, Ridge

from sklearn_mle_nn import MLEClassifier, MLERegressor
from sklearn_mle_nn._activations import ACTIVATIONS
from sklearn_mle_nn._linear_start import (
    MIN_START_SPREAD,
    can_carry,
    constant_columns,
    embed_linear_mean,
    fit_linear_mean,
    linear_columns,
)
from sklearn_mle_nn._network import Layout, forward, glorot_uniform
from sklearn_mle_nn.distributions import (
    Bernoulli,
    Categorical,
    Gaussian,
    HeteroscedasticGaussian,
    Poisson,
)

PENALTY = 0.05


def _features(n_samples=200, n_features=4, seed=0):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n_samples, n_features)), rng


def _fit(distribution, X, Y):
    start = distribution.intercept_only_raw(Y)[0]
    columns = linear_columns(distribution, Y.shape[1])
    others, lower = constant_columns(distribution, Y.shape[1], start)
    return fit_linear_mean(
        distribution, X, Y, None, start, columns, PENALTY, others, lower
    )


def test_the_gaussian_start_is_ridge():
    """mean 0.5 r^2 + penalty/2 |B|^2 is Ridge with alpha = penalty * n."""
    X, rng = _features()
    y = X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(size=len(X))
    B, b, _ = _fit(Gaussian(), X, y[:, None])
    ridge = Ridge(alpha=PENALTY * len(X)).fit(X, y)
    assert_allclose(B.ravel(), ridge.coef_, rtol=1e-5, atol=1e-7)
    assert_allclose(b, ridge.intercept_, rtol=1e-5, atol=1e-7)


def test_the_bernoulli_start_is_logistic_regression():
    """mean log-loss + penalty/2 |B|^2 is LogisticRegression with
    C = 1 / (penalty * n)."""
    X, rng = _features()
    y = (X @ [1.0, -2.0, 0.5, 0.0] + rng.logistic(size=len(X)) > 0).astype(float)
    B, b, _ = _fit(Bernoulli(), X, y[:, None])
    reference = LogisticRegression(C=1 / (PENALTY * len(X)), tol=1e-10).fit(X, y)
    assert_allclose(B.ravel(), reference.coef_.ravel(), rtol=1e-4, atol=1e-6)
    assert_allclose(b, reference.intercept_, rtol=1e-4, atol=1e-6)


def test_the_categorical_start_is_multinomial_logistic_regression():
    """Three classes: the softmax's linear model, as LogisticRegression's
    (both penalize every class's coefficients; the predicted probabilities
    are compared, which do not depend on the softmax's free shift)."""
    X, rng = _features()
    scores = X @ rng.normal(size=(4, 3)) + rng.gumbel(size=(len(X), 3))
    labels = scores.argmax(axis=1)
    Y = np.eye(3)[labels]
    B, b, _ = _fit(Categorical(), X, Y)
    reference = LogisticRegression(C=1 / (PENALTY * len(X)), tol=1e-10).fit(X, labels)
    logits = X @ B + b
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    assert_allclose(proba, reference.predict_proba(X), atol=1e-5)


def test_the_poisson_start_is_poisson_regressor():
    """The mean Poisson NLL is half the mean deviance (up to a constant):
    PoissonRegressor with alpha = penalty."""
    X, rng = _features()
    y = rng.poisson(np.exp(0.5 + X @ [0.3, -0.5, 0.2, 0.0])).astype(float)
    B, b, _ = _fit(Poisson(), X, y[:, None])
    reference = PoissonRegressor(alpha=PENALTY, tol=1e-10, max_iter=1000).fit(X, y)
    assert_allclose(B.ravel(), reference.coef_, rtol=1e-4, atol=1e-6)
    assert_allclose(b, reference.intercept_, rtol=1e-4, atol=1e-6)


def test_the_heteroscedastic_start_fits_its_spread_with_its_mean():
    """A predicted spread starts at the linear model's own: the root mean
    squared residual of its mean (sigma's first-order condition), and the
    mean is Ridge with alpha = penalty * n * sigma**2 (the penalty weighs
    against residuals divided by sigma**2). It started at the targets'
    spread, far wider than the residuals'."""
    X, rng = _features()
    y = X @ [1.0, -2.0, 0.5, 0.0] + 0.5 * rng.normal(size=len(X))
    B, b, (log_sigma,) = _fit(HeteroscedasticGaussian(), X, y[:, None])
    residuals = y - (X @ B[:, 0] + b[0])
    assert log_sigma == pytest.approx(np.log(np.sqrt(np.mean(residuals**2))), abs=1e-6)
    assert np.exp(log_sigma) < 0.5 * np.std(y)
    ridge = Ridge(alpha=PENALTY * len(X) * np.exp(2 * log_sigma)).fit(X, y)
    assert_allclose(B.ravel(), ridge.coef_, rtol=1e-5, atol=1e-7)
    assert_allclose(b, ridge.intercept_, rtol=1e-5, atol=1e-7)


def test_a_near_perfect_linear_fit_starts_at_a_tenth_of_the_targets_spread():
    """Exactly linear targets: the linear model's spread would be about 0,
    whose 1 / sigma**2 weights make the first steps explode ('Training
    diverged'); it starts at MIN_START_SPREAD of the targets' spread, and
    the fit ends with a spread below that."""
    X, _ = _features(n_samples=300, n_features=3)
    y = X @ [1.0, 2.0, 3.0] + 5
    start = HeteroscedasticGaussian().intercept_only_raw(y[:, None])[0]
    *_, (log_sigma,) = _fit(HeteroscedasticGaussian(), X, y[:, None])
    assert log_sigma == pytest.approx(start[1] + np.log(MIN_START_SPREAD))
    model = MLERegressor(distribution="heteroscedastic_gaussian", random_state=0)
    _, std = model.fit(X, y).predict(X, return_std=True)
    assert model.score(X, y) > 0.999
    assert np.all(std < MIN_START_SPREAD * y.std())


def test_many_features_heteroscedastic_default_is_as_good_as_ridge():
    """Linear data with 150 features (1000 rows): the heteroscedastic
    Gaussian with its defaults is within noise of Ridge with the residuals'
    spread (over 3 seeds, 1000 held-out rows each). With its spread started
    at the targets' it was 0.2 nats worse, and on a 315-column housing
    dataset it fell below the constant-spread Gaussian."""
    ours, theirs = [], []
    for seed in range(3):
        rng = np.random.RandomState(seed)
        X = rng.normal(size=(2000, 150))
        w = rng.normal(size=150) * (rng.uniform(size=150) < 0.3)
        y = X @ w + 0.3 * np.sqrt(w @ w) * rng.normal(size=len(X))
        X, y, X_test, y_test = X[:1000], y[:1000], X[1000:], y[1000:]
        model = MLERegressor(distribution="heteroscedastic_gaussian", random_state=seed)
        ours.append(-model.fit(X, y).log_likelihood(X_test, y_test).mean())
        ridge = Ridge().fit(X, y)
        sigma = np.std(y - ridge.predict(X))
        theirs.append(-stats.norm.logpdf(y_test, ridge.predict(X_test), sigma).mean())
    assert np.mean(ours) < np.mean(theirs) + 0.03


@pytest.mark.parametrize("hidden", [(6,), (5, 4, 7)])
def test_rectifier_layers_carry_the_linear_model_exactly(hidden):
    """The network's mean outputs are X @ B + b everywhere (the inputs'
    signs and sizes included); the other outputs keep their start."""
    X, rng = _features(n_samples=50)
    X = 10 * X
    layout = Layout([4, *hidden, 4])
    params = glorot_uniform(layout, "relu", rng, np.float64)
    coefs, intercepts = layout.split(params)
    coefs[-1][...] = 0
    intercepts[-1][...] = [0.0, 0.0, 0.7, -0.3]
    B, b, columns = rng.normal(size=(4, 2)), rng.normal(size=2), np.arange(2)
    assert can_carry(hidden, columns.size)
    embed_linear_mean(coefs, intercepts, B, b, [], columns)
    raw = forward(X, coefs, intercepts, [ACTIVATIONS["relu"]] * len(hidden))
    assert_allclose(raw[:, :2], X @ B + b, rtol=1e-10, atol=1e-10)
    assert_allclose(raw[:, 2:], np.tile([0.7, -0.3], (50, 1)))


def test_layers_too_narrow_or_several_means_keep_the_intercept_only_start():
    assert not can_carry((3,), 2)
    assert not can_carry((), 1)
    from sklearn_mle_nn.distributions import GaussianMixture

    assert linear_columns(GaussianMixture(n_components=2), 1) is None


def _linear_data(seed, n_samples=150, n_features=10):
    X, rng = _features(n_samples + 1000, n_features, seed)
    y = 3 * X @ rng.normal(size=n_features) + 2 * rng.normal(size=len(X))
    return X[:n_samples], y[:n_samples], X[n_samples:], y[n_samples:]


def test_on_linear_data_the_default_is_as_good_as_ridge():
    """Where the linear model is all there is to learn (150 rows, 10
    features), the default regressor's held-out NLL is within noise of
    Ridge's with the residuals' spread, and better than from the
    intercept-only start (over 5 seeds; 1000 held-out rows each)."""
    ours, theirs, intercept_only = [], [], []
    for seed in range(5):
        X, y, X_test, y_test = _linear_data(seed)
        model = MLERegressor(random_state=seed).fit(X, y)
        ours.append(-model.log_likelihood(X_test, y_test).mean())
        ridge = Ridge().fit(X, y)
        sigma = np.std(y - ridge.predict(X))
        theirs.append(-stats.norm.logpdf(y_test, ridge.predict(X_test), sigma).mean())
        model = MLERegressor(random_state=seed, start="intercept_only").fit(X, y)
        intercept_only.append(-model.log_likelihood(X_test, y_test).mean())
    assert np.mean(ours) < np.mean(theirs) + 0.03
    assert np.mean(ours) < np.mean(intercept_only) - 0.03


def test_on_linear_labels_the_classifier_is_as_good_as_logistic_regression():
    ours, theirs = [], []
    for seed in range(5):
        X, y, X_test, y_test = _linear_data(seed, n_samples=200)
        labels, test_labels = y > 0, y_test > 0
        model = MLEClassifier(random_state=seed, early_stopping=True).fit(X, labels)
        ours.append(-model.log_likelihood(X_test, test_labels).mean())
        reference = LogisticRegression().fit(X, labels)
        proba = reference.predict_proba(X_test)[:, 1]
        theirs.append(-stats.bernoulli.logpmf(test_labels, proba).mean())
    assert np.mean(ours) < np.mean(theirs) + 0.03


def test_early_stopping_keeps_the_start_unless_an_epoch_validates_better():
    """Steps far too large spoil the first epoch: the start is kept, and
    best_validation_score_ is its score, above every epoch's."""
    X, y, X_test, y_test = _linear_data(0, n_samples=300)
    model = MLERegressor(
        random_state=0,
        early_stopping=True,
        max_iter=2,
        learning_rate_init=0.5,
        momentum=0.99,
        alpha=0,
    )
    model.fit(X, y)
    assert model.best_validation_score_ > max(model.validation_scores_)
    # The linear model of the training split: as good as Ridge held out.
    ridge = Ridge().fit(X, y)
    assert model.score(X_test, y_test) > ridge.score(X_test, y_test) - 0.01


def test_without_validation_rows_a_start_better_on_the_training_rows_is_kept():
    """The same spoiled steps without early stopping: the start is kept as it
    fits the training rows better."""
    X, y, _, _ = _linear_data(0, n_samples=300)
    params = dict(
        random_state=0, early_stopping=False, learning_rate_init=0.5, momentum=0.99
    )
    with pytest.warns(Warning):
        model = MLERegressor(max_iter=2, alpha=0, **params).fit(X, y)
    ridge = Ridge(alpha=0).fit(X, y)
    assert_allclose(model.predict(X), ridge.predict(X), rtol=1e-3, atol=1e-3 * y.std())


def test_partial_fit_starts_at_the_linear_model_too():
    """Repeated partial_fit on the same rows trains as fit does (scikit-learn's
    property), from the same linear start."""
    X, y, _, _ = _linear_data(1)
    params = dict(random_state=0, early_stopping=False, shuffle=False)
    fitted = MLERegressor(max_iter=3, **params)
    with pytest.warns(Warning):
        fitted.fit(X, y)
    streamed = MLERegressor(**params)
    for _ in range(3):
        streamed.partial_fit(X, y)
    assert_allclose(streamed.predict(X), fitted.predict(X), rtol=1e-10)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "identity"])
def test_other_activations_start_at_the_intercept_only_model(activation):
    X, y, _, _ = _linear_data(2)
    common = dict(activation=activation, random_state=0, max_iter=3)
    with pytest.warns(Warning):
        linear = MLERegressor(start="linear", **common).fit(X, y)
    with pytest.warns(Warning):
        intercept_only = MLERegressor(start="intercept_only", **common).fit(X, y)
    assert_allclose(linear.predict(X), intercept_only.predict(X), rtol=1e-12)


def test_an_invalid_start_is_refused():
    X, y, _, _ = _linear_data(2)
    with pytest.raises(ValueError, match="'start' parameter"):
        MLERegressor(start="pca").fit(X, y)
    with pytest.raises(ValueError, match="'start' parameter"):
        MLEClassifier(start=None).fit(X, y > 0)


def test_a_constant_target_column_stays_constant_beside_a_linear_one():
    """The linear start sets the mean outputs of the other columns only."""
    X, y, X_test, y_test = _linear_data(3)
    Y = np.column_stack([np.full(len(y), 2.5), y])
    model = MLERegressor(random_state=0).fit(X, Y)
    predictions = model.predict(X_test)
    assert_allclose(predictions[:, 0], 2.5)
    ridge = Ridge().fit(X, y)
    r2 = 1 - np.mean((predictions[:, 1] - y_test) ** 2) / np.var(y_test)
    assert r2 > ridge.score(X_test, y_test) - 0.02
