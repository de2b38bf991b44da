"""Tests of sklearn_mle_nn.metrics.log_likelihood_scorer."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.datasets import load_iris, make_regression
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_score,
    cross_validate,
)
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import MLEAutoencoder, MLEClassifier, MLERegressor
from sklearn_mle_nn.metrics import log_likelihood_scorer

# Whether a fit converged does not change what the scorer must return for it;
# several fits here stop at max_iter and warn.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def regression_data():
    X, y = make_regression(n_samples=90, n_features=3, noise=10.0, random_state=0)
    return X * [1.0, 10.0, 100.0], y


def classification_data():
    X, y = load_iris(return_X_y=True)
    return X[::2], y[::2]


def autoencoder_data():
    rng = np.random.RandomState(0)
    return rng.rand(60, 5) @ rng.rand(5, 5) * 10.0, None


# (estimator, data): y is None for the autoencoder.
CASES = {
    "regressor": (MLERegressor(random_state=0), regression_data),
    "classifier": (MLEClassifier(random_state=0), classification_data),
    "autoencoder": (MLEAutoencoder(max_iter=100, random_state=0), autoencoder_data),
}


def per_sample_log_likelihood(estimator, X, y):
    """The estimator's own per-sample log-likelihoods, for comparison."""
    if y is None:
        return estimator.score_samples(X)
    return estimator.log_likelihood(X, y)


@pytest.mark.parametrize("case", CASES)
def test_bare_estimator_is_mean_log_likelihood(case):
    estimator, data = CASES[case]
    X, y = data()
    estimator = clone(estimator).fit(X, y)
    expected = per_sample_log_likelihood(estimator, X, y).mean()
    score = log_likelihood_scorer(estimator, X, y)
    assert isinstance(score, float)
    assert score == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_pipeline_scores_last_step_on_transformed_inputs(case):
    estimator, data = CASES[case]
    X, y = data()
    pipeline = make_pipeline(StandardScaler(), clone(estimator)).fit(X, y)
    Z = StandardScaler().fit(X).transform(X)
    expected = per_sample_log_likelihood(pipeline[-1], Z, y).mean()
    assert log_likelihood_scorer(pipeline, X, y) == pytest.approx(expected, rel=1e-12)


def test_pipeline_applies_every_step_but_the_last():
    X, y = regression_data()
    pipeline = make_pipeline(
        StandardScaler(), PCA(n_components=2), MLERegressor(random_state=0)
    ).fit(X, y)
    Z = pipeline[1].transform(pipeline[0].transform(X))
    expected = pipeline[-1].log_likelihood(Z, y).mean()
    assert log_likelihood_scorer(pipeline, X, y) == pytest.approx(expected, rel=1e-12)


def test_gaussian_regressor_against_scipy():
    X, y = regression_data()
    pipeline = make_pipeline(StandardScaler(), MLERegressor(random_state=0)).fit(X, y)
    mean = pipeline.predict(X)
    sigma = pipeline[-1].sigma_[0]
    expected = stats.norm.logpdf(y, loc=mean, scale=sigma).mean()
    assert log_likelihood_scorer(pipeline, X, y) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("distribution", ["bernoulli", "gaussian"])
def test_classifier_against_log_loss(distribution):
    # Whatever the training loss, the classifier is scored by the probability
    # of the labels: minus scikit-learn's log-loss.
    X, y = classification_data()
    pipeline = make_pipeline(
        StandardScaler(), MLEClassifier(distribution=distribution, random_state=0)
    ).fit(X, y)
    expected = -log_loss(y, pipeline.predict_proba(X), labels=pipeline.classes_)
    assert log_likelihood_scorer(pipeline, X, y) == pytest.approx(expected, rel=1e-8)


def test_gaussian_autoencoder_against_scipy():
    X, _ = autoencoder_data()
    autoencoder = MLEAutoencoder(max_iter=100, random_state=0).fit(X)
    reconstruction = autoencoder.predict(X)
    log_density = stats.norm.logpdf(X, loc=reconstruction, scale=autoencoder.sigma_)
    expected = log_density.sum(axis=1).mean()
    score = log_likelihood_scorer(autoencoder, X, np.zeros(len(X)))  # y ignored
    assert score == pytest.approx(expected, rel=1e-10)


def test_cross_val_score_matches_folds_by_hand():
    X, y = regression_data()
    pipeline = make_pipeline(StandardScaler(), MLERegressor(random_state=0))
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(pipeline, X, y, cv=cv, scoring=log_likelihood_scorer)

    by_hand = []
    for train, test in cv.split(X):
        model = clone(pipeline).fit(X[train], y[train])
        mean, sigma = model.predict(X[test]), model[-1].sigma_[0]
        by_hand.append(stats.norm.logpdf(y[test], loc=mean, scale=sigma).mean())
    assert_allclose(scores, by_hand, rtol=1e-10)


def test_grid_search_picks_the_largest_mean_likelihood():
    X, y = regression_data()
    pipeline = make_pipeline(StandardScaler(), MLERegressor(random_state=0))
    grid = {"mleregressor__alpha": [1e-4, 1.0, 30.0]}
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    search = GridSearchCV(pipeline, grid, scoring=log_likelihood_scorer, cv=cv)
    search.fit(X, y)

    means = []
    for alpha in grid["mleregressor__alpha"]:
        candidate = clone(pipeline).set_params(mleregressor__alpha=alpha)
        folds = [
            candidate.fit(X[train], y[train])[-1]
            .log_likelihood(candidate[0].transform(X[test]), y[test])
            .mean()
            for train, test in cv.split(X)
        ]
        means.append(np.mean(folds))
    assert_allclose(search.cv_results_["mean_test_score"], means, rtol=1e-10)
    # The candidates differ, so that picking the best is a real test.
    assert np.ptp(means) > 0.1
    assert search.best_index_ == np.argmax(means)
    assert search.best_params_ == {
        "mleregressor__alpha": grid["mleregressor__alpha"][np.argmax(means)]
    }


def test_cross_validate_with_a_dict_of_scorers():
    X, y = regression_data()
    pipeline = make_pipeline(StandardScaler(), MLERegressor(random_state=0))
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    results = cross_validate(
        pipeline, X, y, cv=cv, scoring={"ll": log_likelihood_scorer, "r2": "r2"}
    )
    ll = cross_val_score(pipeline, X, y, cv=cv, scoring=log_likelihood_scorer)
    r2 = cross_val_score(pipeline, X, y, cv=cv, scoring="r2")
    assert_allclose(results["test_ll"], ll, rtol=1e-12)
    assert_allclose(results["test_r2"], r2, rtol=1e-12)


def test_sample_weight_is_a_weighted_mean():
    # Integer weights score as repeated rows.
    X, y = regression_data()
    pipeline = make_pipeline(StandardScaler(), MLERegressor(random_state=0)).fit(X, y)
    weights = np.random.RandomState(0).randint(0, 4, size=len(y))
    weights[0] = 1
    repeated = np.repeat(np.arange(len(y)), weights)
    weighted = log_likelihood_scorer(pipeline, X, y, sample_weight=weights)
    assert weighted == pytest.approx(
        log_likelihood_scorer(pipeline, X[repeated], y[repeated]), rel=1e-12
    )
    assert weighted != pytest.approx(log_likelihood_scorer(pipeline, X, y))


def test_rescaling_y_shifts_the_gaussian_score_by_log_scale():
    # The Notes' reason why a density is not compared with a probability: a
    # log-density depends on the units of y.
    X, y = regression_data()
    pipeline = make_pipeline(StandardScaler(), MLERegressor(random_state=0))
    score = log_likelihood_scorer(clone(pipeline).fit(X, y), X, y)
    scale = 1000.0
    rescaled = clone(pipeline).fit(X, y * scale)
    assert log_likelihood_scorer(rescaled, X, y * scale) == pytest.approx(
        score - np.log(scale), rel=1e-6
    )


class ConstantGaussian(RegressorMixin, BaseEstimator):
    """A user-defined estimator with log_likelihood: y ~ N(mean(y), std(y))."""

    def fit(self, X, y):
        self.mean_, self.std_ = np.mean(y), np.std(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)

    def log_likelihood(self, X, y):
        return stats.norm.logpdf(y, loc=self.mean_, scale=self.std_)


class BothMethods(ConstantGaussian):
    """Has score_samples too, which must not be used when log_likelihood is."""

    def score_samples(self, X):
        return np.full(len(X), np.inf)


@pytest.mark.parametrize("estimator", [ConstantGaussian(), BothMethods()])
def test_user_defined_estimator_with_log_likelihood(estimator):
    X, y = regression_data()
    pipeline = make_pipeline(StandardScaler(), estimator)
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    scores = cross_val_score(pipeline, X, y, cv=cv, scoring=log_likelihood_scorer)
    by_hand = [
        stats.norm.logpdf(y[test], y[train].mean(), y[train].std()).mean()
        for train, test in cv.split(X)
    ]
    assert_allclose(scores, by_hand, rtol=1e-12)


def test_estimator_with_score_samples_only():
    # KernelDensity's score_samples is a log-density, its score the total.
    X, _ = autoencoder_data()
    kde = KernelDensity(bandwidth=2.0).fit(X)
    assert log_likelihood_scorer(kde, X) == pytest.approx(
        kde.score(X) / len(X), rel=1e-12
    )


def test_pipeline_not_ending_in_a_likelihood_raises():
    X, y = regression_data()
    pipeline = make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
    message = r"log_likelihood\(X, y\).*score_samples\(X\).*LinearRegression"
    with pytest.raises(TypeError, match=message):
        log_likelihood_scorer(pipeline, X, y)
    with pytest.raises(TypeError, match="last step of the Pipeline"):
        log_likelihood_scorer(pipeline, X, y)
    with pytest.raises(TypeError, match="LinearRegression"):
        cross_val_score(
            pipeline, X, y, cv=2, scoring=log_likelihood_scorer, error_score="raise"
        )


def test_bare_estimator_without_a_likelihood_raises():
    X, y = regression_data()
    with pytest.raises(TypeError, match="LinearRegression.*has neither"):
        log_likelihood_scorer(LinearRegression().fit(X, y), X, y)


def test_missing_targets_raise():
    X, y = regression_data()
    regressor = MLERegressor(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="needs the targets y"):
        log_likelihood_scorer(regressor, X)
