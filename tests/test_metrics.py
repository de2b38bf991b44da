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


# ---- the scorer as an object: nested searches, wrappers, routing ------------


def test_scorer_is_a_scikit_learn_scorer_object():
    from sklearn.metrics import check_scoring
    from sklearn.metrics._scorer import _BaseScorer

    assert isinstance(log_likelihood_scorer, _BaseScorer)
    assert repr(log_likelihood_scorer) == "log_likelihood_scorer"
    assert check_scoring(MLERegressor(), scoring=log_likelihood_scorer) is (
        log_likelihood_scorer
    )


def by_hand_outer_scores(search, X, y, cv):
    """Each outer fold: the search refitted on its training part, its best
    estimator's mean log-likelihood of the held-out part."""
    scores = []
    for train, test in cv.split(X):
        best = clone(search).fit(X[train], y[train]).best_estimator_
        Z = best[:-1].transform(X[test])
        scores.append(best[-1].log_likelihood(Z, y[test]).mean())
    return scores


def searches():
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingGridSearchCV, RandomizedSearchCV

    pipeline = make_pipeline(StandardScaler(), MLERegressor(random_state=0))
    grid = {"mleregressor__alpha": [1e-4, 30.0]}
    inner = KFold(n_splits=2, shuffle=True, random_state=1)
    return {
        "grid": GridSearchCV(pipeline, grid, cv=inner, scoring=log_likelihood_scorer),
        "randomized": RandomizedSearchCV(
            pipeline,
            grid,
            n_iter=2,
            cv=inner,
            scoring=log_likelihood_scorer,
            random_state=0,
        ),
        "halving": HalvingGridSearchCV(
            pipeline,
            grid,
            cv=inner,
            scoring=log_likelihood_scorer,
            min_resources=30,
            random_state=0,
        ),
    }


@pytest.mark.parametrize("kind", ["grid", "randomized", "halving"])
def test_nested_cross_validation(kind):
    # The scorer scores a fitted search through its best estimator: before,
    # the outer scores were nan ("GridSearchCV(...) has neither").
    X, y = regression_data()
    search = searches()[kind]
    outer = KFold(n_splits=2, shuffle=True, random_state=0)
    scores = cross_val_score(
        search, X, y, cv=outer, scoring=log_likelihood_scorer, error_score="raise"
    )
    assert_allclose(scores, by_hand_outer_scores(search, X, y, outer), rtol=1e-10)


def test_search_fitted_without_refit_raises():
    X, y = regression_data()
    search = GridSearchCV(
        MLERegressor(random_state=0),
        {"alpha": [1e-4, 1.0]},
        cv=2,
        scoring=log_likelihood_scorer,
        refit=False,
    ).fit(X, y)
    with pytest.raises(TypeError, match="refit=True"):
        log_likelihood_scorer(search, X, y)


def test_cross_validate_with_several_metrics_and_the_cache():
    # Three scorers asking for predict: scikit-learn then caches predictions
    # and asks every scorer for its response method.
    X, y = regression_data()
    pipeline = make_pipeline(StandardScaler(), MLERegressor(random_state=0))
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    scoring = {"ll": log_likelihood_scorer, "r2": "r2", "mse": "neg_mean_squared_error"}
    results = cross_validate(pipeline, X, y, cv=cv, scoring=scoring)
    ll = [
        clone(pipeline)
        .fit(X[train], y[train])[-1]
        .log_likelihood(StandardScaler().fit(X[train]).transform(X[test]), y[test])
        .mean()
        for train, test in cv.split(X)
    ]
    assert_allclose(results["test_ll"], ll, rtol=1e-10)
    assert_allclose(
        results["test_r2"], cross_val_score(pipeline, X, y, cv=cv, scoring="r2")
    )


def positive_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = np.exp(0.5 * X[:, 0] - 0.3 * X[:, 1] + 0.4 * rng.normal(size=200))
    return X, y


def test_transformed_target_log_is_a_lognormal_likelihood():
    # A Gaussian of log(y) is a lognormal of y: the Jacobian 1/y puts the
    # density in y's units. Reference: scipy's lognormal density.
    from sklearn.compose import TransformedTargetRegressor

    X, y = positive_data()
    model = TransformedTargetRegressor(
        MLERegressor(random_state=0), func=np.log, inverse_func=np.exp
    ).fit(X, y)
    mu = model.regressor_.predict(X)
    sigma = model.regressor_.sigma_[0]
    expected = stats.lognorm.logpdf(y, s=sigma, scale=np.exp(mu)).mean()
    assert log_likelihood_scorer(model, X, y) == pytest.approx(expected, rel=1e-9)
    # Without the Jacobian it would be the density of log(y), not of y.
    assert expected != pytest.approx(
        stats.norm.logpdf(np.log(y), mu, sigma).mean(), rel=1e-3
    )


def test_transformed_target_scaler_on_two_outputs():
    # A StandardScaler's Jacobian is diagonal: log|det| = -sum(log scale).
    from sklearn.compose import TransformedTargetRegressor

    X, y = positive_data()
    Y = np.column_stack([y * 100.0, -3.0 * y + X[:, 1]])
    model = TransformedTargetRegressor(
        MLERegressor(random_state=0), transformer=StandardScaler()
    ).fit(X, Y)
    inner = model.regressor_.log_likelihood(X, model.transformer_.transform(Y))
    expected = np.mean(inner - np.sum(np.log(model.transformer_.scale_)))
    assert log_likelihood_scorer(model, X, Y) == pytest.approx(expected, rel=1e-9)


def test_transformed_target_in_a_search_and_in_cross_validation():
    # Before: nan ("TransformedTargetRegressor(...) has neither").
    from sklearn.compose import TransformedTargetRegressor

    X, y = positive_data()
    model = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), MLERegressor(random_state=0)),
        func=np.log,
        inverse_func=np.exp,
    )
    cv = KFold(n_splits=2, shuffle=True, random_state=0)
    scores = cross_val_score(
        model, X, y, cv=cv, scoring=log_likelihood_scorer, error_score="raise"
    )
    by_hand = []
    for train, test in cv.split(X):
        fitted = clone(model).fit(X[train], y[train])
        mu = fitted.regressor_.predict(X[test])
        sigma = fitted.regressor_[-1].sigma_[0]
        by_hand.append(stats.lognorm.logpdf(y[test], s=sigma, scale=np.exp(mu)).mean())
    assert_allclose(scores, by_hand, rtol=1e-9)


def test_sample_weight_through_metadata_routing():
    # A plain function could not request sample_weight: the held-out means
    # stayed unweighted. The scorer object requests it.
    import copy

    from sklearn import config_context

    X, y = regression_data()
    weights = np.random.RandomState(1).uniform(0.1, 3.0, size=len(y))
    cv = KFold(n_splits=3, shuffle=True, random_state=0)
    with config_context(enable_metadata_routing=True):
        regressor = MLERegressor(random_state=0).set_fit_request(sample_weight=True)
        scorer = copy.deepcopy(log_likelihood_scorer).set_score_request(
            sample_weight=True
        )
        results = cross_validate(
            regressor, X, y, cv=cv, scoring=scorer, params={"sample_weight": weights}
        )
    by_hand = []
    for train, test in cv.split(X):
        fitted = MLERegressor(random_state=0).fit(
            X[train], y[train], sample_weight=weights[train]
        )
        by_hand.append(
            np.average(fitted.log_likelihood(X[test], y[test]), weights=weights[test])
        )
    assert_allclose(results["test_score"], by_hand, rtol=1e-10)
    # The module's scorer is left as it was.
    assert not hasattr(log_likelihood_scorer, "_metadata_request")


def fractions_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 2))
    y = 1 / (1 + np.exp(-X[:, 0] - 0.2 * rng.normal(size=80)))
    return X, y


def test_search_mixing_a_density_and_a_mass_warns():
    # The case: 'gaussian' against 'bernoulli' on fractions in [0, 1].
    X, y = fractions_data()
    search = GridSearchCV(
        MLERegressor(random_state=0),
        {"distribution": ["gaussian", "bernoulli"]},
        cv=2,
        scoring=log_likelihood_scorer,
    )
    with pytest.warns(UserWarning, match="discrete.*not all integers"):
        search.fit(X, y)


@pytest.mark.parametrize(
    "distribution, target", [("gaussian", "fractions"), ("bernoulli", "binary")]
)
def test_no_warning_when_the_score_is_a_density_or_a_probability(distribution, target):
    import warnings

    X, y = fractions_data()
    if target == "binary":
        y = (y > 0.5).astype(float)
    model = MLERegressor(distribution=distribution, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        log_likelihood_scorer(model, X, y)


def test_nested_classifier_scores_are_minus_scikit_learns_log_loss():
    # 'neg_log_loss' is the reference: for a classifier both score the mean
    # log-probability of the labels, so the searches pick the same candidate
    # and the nested scores agree.
    X, y = classification_data()
    pipeline = make_pipeline(StandardScaler(), MLEClassifier(random_state=0))
    grid = {"mleclassifier__alpha": [1e-4, 3.0]}
    inner = KFold(n_splits=2, shuffle=True, random_state=1)
    outer = KFold(n_splits=2, shuffle=True, random_state=0)
    ours = cross_val_score(
        GridSearchCV(pipeline, grid, cv=inner, scoring=log_likelihood_scorer),
        X,
        y,
        cv=outer,
        scoring=log_likelihood_scorer,
    )
    reference = cross_val_score(
        GridSearchCV(pipeline, grid, cv=inner, scoring="neg_log_loss"),
        X,
        y,
        cv=outer,
        scoring="neg_log_loss",
    )
    assert_allclose(ours, reference, rtol=1e-8)


def test_the_guide_lists_every_regressor_distribution():
    # docs/guide/estimators.rst, the regressor's section, names every
    # distribution the regressor takes.
    from pathlib import Path

    from sklearn_mle_nn.distributions import DISTRIBUTIONS

    text = (Path(__file__).parents[1] / "docs" / "guide" / "estimators.rst").read_text()
    section = text[text.index(".. _regressor:") : text.index(".. _classifier:")]
    names = set(DISTRIBUTIONS) - {"categorical"}
    missing = sorted(name for name in names if f"'{name}'" not in section)
    assert not missing, f"estimators.rst's regressor section omits {missing}"


def test_called_with_keywords_as_the_function_was():
    X, y = regression_data()
    regressor = MLERegressor(random_state=0).fit(X, y)
    weights = np.arange(len(y)) % 3 + 1.0
    score = log_likelihood_scorer(regressor, X=X, y=y, sample_weight=weights)
    expected = np.average(regressor.log_likelihood(X, y), weights=weights)
    assert score == pytest.approx(expected, rel=1e-12)
