"""Deep ensembles and the mixture distribution they predict."""

import warnings

import numpy as np
import pytest
from joblib import parallel_backend
from scipy import integrate, stats
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from conftest import ROUND_TRIPS
from sklearn_mle_nn import (
    MLEClassifier,
    MLEEnsembleClassifier,
    MLEEnsembleRegressor,
    MLERegressor,
)
from sklearn_mle_nn._mixture import MixtureDistribution
from sklearn_mle_nn.metrics import log_likelihood_scorer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _small_regressor(**params):
    return MLERegressor(hidden_layer_sizes=(16,), max_iter=60, **params)


def _small_classifier(**params):
    return MLEClassifier(hidden_layer_sizes=(8,), max_iter=60, **params)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0)


@pytest.fixture(scope="module")
def regression_ensemble(diabetes):
    X_train, _, y_train, _ = diabetes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ensemble = MLEEnsembleRegressor(
            _small_regressor(), n_estimators=4, random_state=0
        )
        return ensemble.fit(X_train, y_train)


@pytest.fixture(scope="module")
def iris_ensemble():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ensemble = MLEEnsembleClassifier(
            _small_classifier(), n_estimators=3, random_state=0
        )
        return ensemble.fit(X, y), X, y


# ---- the mixture distribution ---------------------------------------------


def _two_normals():
    components = [
        stats.norm([0.0, 1.0], [1.0, 0.5]),
        stats.norm([3.0, 1.0], [2.0, 3.0]),
    ]
    weights = np.array([[0.3, 0.7], [0.9, 0.1]])
    return components, weights


def test_mixture_moments_match_numerical_integration():
    components, weights = _two_normals()
    mixture = MixtureDistribution(components, weights)
    for row in range(2):

        def density(x, row=row):
            return sum(w * c.pdf(x)[row] for w, c in zip(weights[row], components))

        mean = integrate.quad(lambda x: x * density(x), -np.inf, np.inf)[0]
        second = integrate.quad(lambda x: x**2 * density(x), -np.inf, np.inf)[0]
        assert mixture.mean()[row] == pytest.approx(mean, rel=1e-9)
        assert mixture.var()[row] == pytest.approx(second - mean**2, rel=1e-8)
        assert mixture.std()[row] == pytest.approx(np.sqrt(second - mean**2), rel=1e-8)


def test_mixture_density_and_cdf_are_the_weighted_components():
    components, weights = _two_normals()
    mixture = MixtureDistribution(components, weights)
    x = np.array([0.5, -2.0])
    pdfs = np.stack([c.pdf(x) for c in components], axis=-1)
    cdfs = np.stack([c.cdf(x) for c in components], axis=-1)
    np.testing.assert_allclose(
        mixture.pdf(x), (weights * pdfs).sum(axis=-1), rtol=1e-14
    )
    np.testing.assert_allclose(mixture.logpdf(x), np.log((weights * pdfs).sum(axis=-1)))
    np.testing.assert_allclose(
        mixture.cdf(x), (weights * cdfs).sum(axis=-1), rtol=1e-14
    )
    np.testing.assert_allclose(mixture.sf(x), 1 - (weights * cdfs).sum(axis=-1))
    assert not hasattr(mixture, "pmf")


def test_mixture_logpdf_is_finite_where_the_density_underflows():
    mixture = MixtureDistribution([stats.norm(0, 1), stats.norm(1, 1)], [0.5, 0.5])
    # log(0.5 * (phi(60) + phi(59))): phi(59) dominates by a factor e^59.5.
    expected = np.log(0.5) + stats.norm(1, 1).logpdf(60.0) + np.log1p(np.exp(-59.5))
    assert mixture.logpdf(60.0) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("q", [1e-6, 0.05, 0.5, 0.95, 1 - 1e-6])
def test_mixture_ppf_inverts_the_cdf(q):
    components, weights = _two_normals()
    mixture = MixtureDistribution(components, weights)
    np.testing.assert_allclose(mixture.cdf(mixture.ppf(q)), q, rtol=1e-10, atol=1e-14)


def test_mixture_ppf_is_the_left_end_of_a_flat_stretch_of_the_cdf():
    # Two uniforms with a gap: the cdf is 0.5 on all of [1, 2].
    mixture = MixtureDistribution(
        [stats.uniform(0, 1), stats.uniform(2, 1)], [0.5, 0.5]
    )
    np.testing.assert_allclose(
        mixture.ppf([0.25, 0.5, 0.75]), [0.5, 1.0, 2.5], rtol=1e-9
    )


def test_mixture_ppf_of_counts_is_the_smallest_integer_reaching_q():
    components = [stats.poisson([1.0, 4.0]), stats.poisson([9.0, 4.5])]
    mixture = MixtureDistribution(components, [0.4, 0.6])
    support = np.arange(60)
    pmf = 0.4 * stats.poisson.pmf(
        support[:, None], [1.0, 4.0]
    ) + 0.6 * stats.poisson.pmf(support[:, None], [9.0, 4.5])
    cumulative = np.cumsum(pmf, axis=0)
    for q in (0.01, 0.3, 0.5, 0.77, 0.99):
        expected = np.argmax(cumulative >= q, axis=0)
        np.testing.assert_array_equal(mixture.ppf(q), expected)
    np.testing.assert_allclose(mixture.pmf(3), pmf[3])
    np.testing.assert_allclose(mixture.logpmf(3), np.log(pmf[3]))
    assert not hasattr(mixture, "pdf")


def test_mixture_draws_follow_its_cdf():
    components, weights = _two_normals()
    mixture = MixtureDistribution(components, weights)
    draws = mixture.rvs(size=(4000, 2), random_state=0)
    for row in range(2):

        def cdf(x, row=row):
            return sum(
                w * c.cdf(x[:, np.newaxis])[:, row]
                for w, c in zip(weights[row], components)
            )

        assert stats.kstest(draws[:, row], cdf).pvalue > 0.01
    np.testing.assert_array_equal(draws, mixture.rvs(size=(4000, 2), random_state=0))


def test_mixture_draws_a_row_jointly_from_one_component():
    # Outputs of a row come from the same component: here both outputs of a
    # draw are near 0 or both near 100, never one of each.
    components = [stats.norm([[0.0, 0.0]], 0.1), stats.norm([[100.0, 100.0]], 0.1)]
    mixture = MixtureDistribution(components, [0.5, 0.5])
    draws = mixture.rvs(size=(500, 1, 2), random_state=0)
    high = draws > 50
    np.testing.assert_array_equal(high[..., 0], high[..., 1])
    assert 0.4 < high.mean() < 0.6


@pytest.mark.parametrize(
    "weights, match",
    [
        ([0.5, 0.6], "sum to one"),
        ([-0.5, 1.5], "non-negative"),
        ([1.0], "one value per component"),
    ],
)
def test_mixture_rejects_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        MixtureDistribution([stats.norm(0, 1), stats.norm(1, 1)], weights)


def test_mixture_rejects_continuous_and_discrete_components_together():
    with pytest.raises(ValueError, match="all continuous or all discrete"):
        MixtureDistribution([stats.norm(0, 1), stats.poisson(1)], [0.5, 0.5])


def test_an_ensemble_of_multivariate_gaussians_mixes_what_it_can():
    """Members with a joint distribution of each row's outputs: the
    ensemble's log_likelihood is the log of their mean density, predict and
    sample work; its predict_distribution and predict_interval, a mixture
    of univariate positions, are refused by name (an AttributeError on ppf
    and a broadcasting error on logpdf before)."""
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(200, 2))
    y = X + 0.3 * rng.normal(size=(200, 2)) @ [[1.0, 0.8], [0.0, 0.6]]
    member = MLERegressor(distribution="multivariate_gaussian", max_iter=20)
    ensemble = MLEEnsembleRegressor(member, n_estimators=2, random_state=0)
    ensemble.fit(X, y)
    densities = [
        stats.multivariate_normal(m, c).pdf(v)
        for estimator in ensemble.estimators_
        for m, c, v in zip(
            estimator.predict(X[:5]),
            estimator.predict_distribution(X[:5]).cov(),
            y[:5],
        )
    ]
    expected = np.log(np.reshape(densities, (2, 5)).mean(axis=0))
    np.testing.assert_allclose(ensemble.log_likelihood(X[:5], y[:5]), expected)
    assert ensemble.predict(X[:5]).shape == (5, 2)
    assert ensemble.sample(X[:5], n_samples=3, random_state=0).shape == (5, 2, 3)
    for method in (ensemble.predict_distribution, ensemble.predict_interval):
        with pytest.raises(NotImplementedError, match="MultivariateNormalRows"):
            method(X[:5])


# ---- the regressor ---------------------------------------------------------


def test_mean_and_std_are_the_mixtures(regression_ensemble, diabetes):
    X_test = diabetes[1]
    mean, std = regression_ensemble.predict(X_test, return_std=True)
    members = [
        m.predict(X_test, return_std=True) for m in regression_ensemble.estimators_
    ]
    means = np.array([m for m, _ in members])
    second_moment = np.mean([s**2 + m**2 for m, s in members], axis=0)
    np.testing.assert_allclose(mean, means.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, np.sqrt(second_moment - mean**2), rtol=1e-9)
    # The spread holds the members' disagreement: above their mean spread.
    assert np.all(std >= np.mean([s for _, s in members], axis=0) - 1e-9)
    np.testing.assert_allclose(regression_ensemble.predict(X_test), mean)


def test_draws_have_the_predicted_moments(regression_ensemble, diabetes):
    X_test = diabetes[1][:5]
    mean, std = regression_ensemble.predict(X_test, return_std=True)
    draws = regression_ensemble.sample(X_test, n_samples=40000, random_state=0)
    assert draws.shape == (5, 40000)
    # Five standard errors of the mean of the draws.
    assert np.all(np.abs(draws.mean(axis=1) - mean) < 5 * std / np.sqrt(40000))
    np.testing.assert_allclose(draws.std(axis=1), std, rtol=0.02)


def test_sample_is_reproducible(regression_ensemble, diabetes):
    X_test = diabetes[1][:3]
    first = regression_ensemble.sample(X_test, n_samples=7, random_state=1)
    np.testing.assert_array_equal(
        first, regression_ensemble.sample(X_test, n_samples=7, random_state=1)
    )
    assert not np.array_equal(
        first, regression_ensemble.sample(X_test, n_samples=7, random_state=2)
    )


def test_log_likelihood_is_the_log_of_the_mean_density(regression_ensemble, diabetes):
    _, X_test, _, y_test = diabetes
    members = np.array(
        [m.log_likelihood(X_test, y_test) for m in regression_ensemble.estimators_]
    )
    expected = np.log(np.mean(np.exp(members), axis=0))
    log_likelihood = regression_ensemble.log_likelihood(X_test, y_test)
    np.testing.assert_allclose(log_likelihood, expected, rtol=1e-12)
    np.testing.assert_allclose(
        regression_ensemble.predict_distribution(X_test).logpdf(y_test), log_likelihood
    )
    # Jensen: log of the mean density >= mean of the log densities, per sample.
    assert np.all(log_likelihood >= members.mean(axis=0) - 1e-12)


def test_interval_ends_are_mixture_quantiles(regression_ensemble, diabetes):
    X_test = diabetes[1][:20]
    interval = regression_ensemble.predict_interval(X_test, coverage=0.8)
    assert interval.shape == (20, 2)
    members = [m.predict_distribution(X_test) for m in regression_ensemble.estimators_]
    for end, level in ((0, 0.1), (1, 0.9)):
        cdf = np.mean([member.cdf(interval[:, end]) for member in members], axis=0)
        np.testing.assert_allclose(cdf, level, atol=1e-6)


@pytest.mark.parametrize("coverage", [0, 1, 1.5])
def test_interval_rejects_a_coverage_outside_zero_one(
    regression_ensemble, diabetes, coverage
):
    with pytest.raises(ValueError, match="coverage must be in"):
        regression_ensemble.predict_interval(diabetes[1][:2], coverage=coverage)


def _fit_predict(diabetes, **params):
    X_train, X_test, y_train, _ = diabetes
    ensemble = MLEEnsembleRegressor(_small_regressor(), n_estimators=2, **params)
    return ensemble.fit(X_train[:150], y_train[:150]).predict(X_test)


def test_random_state_gives_the_same_ensemble(diabetes):
    first = _fit_predict(diabetes, random_state=3)
    np.testing.assert_array_equal(first, _fit_predict(diabetes, random_state=3))
    assert not np.allclose(first, _fit_predict(diabetes, random_state=4))


def test_members_fitted_in_parallel_are_the_same(diabetes):
    # joblib's threads: the processes of its default backend take seconds to
    # start, and the members' pickling is tested with the saved ensembles.
    with parallel_backend("threading"):
        parallel = _fit_predict(diabetes, random_state=3, n_jobs=2)
    np.testing.assert_array_equal(parallel, _fit_predict(diabetes, random_state=3))


def test_members_differ_by_seed_only(regression_ensemble):
    seeds = [m.random_state for m in regression_ensemble.estimators_]
    assert len(set(seeds)) == len(seeds)
    for member in regression_ensemble.estimators_:
        params = member.get_params()
        params.pop("random_state")
        expected = _small_regressor().get_params()
        expected.pop("random_state")
        assert params == expected


def test_sample_weight_reaches_every_member(diabetes):
    X_train, X_test, y_train, _ = diabetes
    X_train, y_train = X_train[:120], y_train[:120]
    weights = np.random.RandomState(0).uniform(0.1, 3.0, size=len(y_train))
    ensemble = MLEEnsembleRegressor(_small_regressor(), n_estimators=2, random_state=0)
    ensemble.fit(X_train, y_train, sample_weight=weights)
    for member in ensemble.estimators_:
        alone = clone(member).fit(X_train, y_train, sample_weight=weights)
        np.testing.assert_array_equal(member.predict(X_test), alone.predict(X_test))


def test_two_outputs_have_the_single_estimators_shapes(diabetes):
    X_train, X_test, y_train, _ = diabetes
    Y = np.column_stack([y_train, -2 * y_train])[:150]
    ensemble = MLEEnsembleRegressor(_small_regressor(), n_estimators=2, random_state=0)
    ensemble.fit(X_train[:150], Y)
    single = ensemble.estimators_[0]
    X_test = X_test[:4]
    assert ensemble.predict(X_test).shape == single.predict(X_test).shape == (4, 2)
    assert (
        ensemble.predict_interval(X_test).shape == single.predict_interval(X_test).shape
    )
    assert ensemble.sample(X_test, n_samples=3).shape == (4, 2, 3)
    assert ensemble.predict_distribution(X_test).shape == (4, 2)
    assert ensemble.log_likelihood(X_test, Y[:4]).shape == (4,)


def test_counts_give_a_discrete_mixture():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = rng.poisson(np.exp(1 + X[:, 0]))
    member = MLERegressor(hidden_layer_sizes=(), distribution="poisson", max_iter=30)
    ensemble = MLEEnsembleRegressor(member, n_estimators=2, random_state=0).fit(X, y)
    distribution = ensemble.predict_distribution(X[:10])
    assert hasattr(distribution, "pmf") and not hasattr(distribution, "pdf")
    low, high = ensemble.predict_interval(X[:10], coverage=0.8).T
    np.testing.assert_array_equal(low, np.round(low))
    members = [m.predict_distribution(X[:10]) for m in ensemble.estimators_]

    def cdf(x):
        return np.mean([member.cdf(x) for member in members], axis=0)

    assert np.all((cdf(low) >= 0.1) & (cdf(low - 1) < 0.1))
    assert np.all((cdf(high) >= 0.9) & (cdf(high - 1) < 0.9))
    np.testing.assert_allclose(
        distribution.logpmf(y[:10]), ensemble.log_likelihood(X[:10], y[:10])
    )


def test_ensemble_is_better_than_its_average_member_held_out(
    regression_ensemble, diabetes
):
    _, X_test, _, y_test = diabetes
    ensemble = regression_ensemble.log_likelihood(X_test, y_test).mean()
    members = [
        m.log_likelihood(X_test, y_test).mean() for m in regression_ensemble.estimators_
    ]
    assert ensemble >= np.mean(members)


def test_pipeline_and_grid_search(diabetes):
    X_train, X_test, y_train, y_test = diabetes
    pipeline = make_pipeline(
        StandardScaler(),
        MLEEnsembleRegressor(_small_regressor(), n_estimators=2, random_state=0),
    )
    search = GridSearchCV(
        pipeline,
        {"mleensembleregressor__estimator__alpha": [1e-3, 1.0]},
        cv=2,
        scoring=log_likelihood_scorer,
    ).fit(X_train[:200], y_train[:200])
    best = search.best_estimator_[-1]
    assert best.estimator.alpha in (1e-3, 1.0)
    assert {m.alpha for m in best.estimators_} == {best.estimator.alpha}
    X_scaled = search.best_estimator_[0].transform(X_test)
    assert search.score(X_test, y_test) == pytest.approx(
        best.log_likelihood(X_scaled, y_test).mean(), rel=1e-12
    )


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_saved_ensemble_predicts_the_same(regression_ensemble, diabetes, round_trip):
    X_test = diabetes[1]
    loaded = round_trip(regression_ensemble)
    np.testing.assert_array_equal(
        loaded.predict(X_test), regression_ensemble.predict(X_test)
    )
    np.testing.assert_array_equal(
        loaded.predict_interval(X_test), regression_ensemble.predict_interval(X_test)
    )


def test_other_estimators_are_refused():
    with pytest.raises(
        ValueError, match="'estimator' parameter of MLEEnsembleRegressor"
    ):
        MLEEnsembleRegressor(MLEClassifier()).fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(
        ValueError, match="'estimator' parameter of MLEEnsembleClassifier"
    ):
        MLEEnsembleClassifier(MLERegressor()).fit([[0.0], [1.0]], [0, 1])


def test_a_failed_fit_leaves_the_fitted_ensemble_as_it_was(
    regression_ensemble, diabetes
):
    ensemble = clone(regression_ensemble)
    X_train, X_test, y_train, _ = diabetes
    ensemble.fit(X_train[:100], y_train[:100])
    before = ensemble.predict(X_test)
    members = ensemble.estimators_
    y_bad = np.array(y_train[:100], dtype=float)
    y_bad[3] = np.nan
    with pytest.raises(ValueError):
        ensemble.fit(X_train[:100, :5], y_bad)
    assert ensemble.n_features_in_ == X_train.shape[1]
    assert ensemble.estimators_ is members
    np.testing.assert_array_equal(ensemble.predict(X_test), before)


def test_default_members_are_the_default_estimators():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    ensemble = MLEEnsembleRegressor(n_estimators=1, random_state=0).fit(X, y)
    member = ensemble.estimators_[0]
    assert isinstance(member, MLERegressor)
    assert (
        member.get_params()
        == MLERegressor(random_state=member.random_state).get_params()
    )


# ---- the classifier --------------------------------------------------------


def test_probabilities_are_the_members_average(iris_ensemble):
    ensemble, X, _ = iris_ensemble
    members = np.array([m.predict_proba(X) for m in ensemble.estimators_])
    proba = ensemble.predict_proba(X)
    np.testing.assert_allclose(proba, members.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    # np.log of a probability near one is off by its rounding (1e-16): atol.
    np.testing.assert_allclose(
        ensemble.predict_log_proba(X), np.log(proba), rtol=1e-10, atol=1e-15
    )
    np.testing.assert_array_equal(
        ensemble.predict(X), ensemble.classes_[proba.argmax(axis=1)]
    )


def test_classifier_log_likelihood_is_the_log_of_the_mean_probability(iris_ensemble):
    ensemble, X, y = iris_ensemble
    members = np.array([m.predict_proba(X) for m in ensemble.estimators_])
    expected = np.log(
        members.mean(axis=0)[np.arange(len(y)), np.searchsorted(ensemble.classes_, y)]
    )
    # The reference takes the log of a probability near one, whose rounding
    # (1e-16) is an absolute error of the log: hence atol.
    np.testing.assert_allclose(
        ensemble.log_likelihood(X, y), expected, rtol=1e-10, atol=1e-15
    )
    one_hot = np.eye(3)[y]
    np.testing.assert_allclose(
        ensemble.predict_distribution(X).logpmf(one_hot),
        expected,
        rtol=1e-10,
        atol=1e-15,
    )


def test_classifier_draws_follow_the_probabilities(iris_ensemble):
    ensemble, X, _ = iris_ensemble
    rows = X[[0, 60, 120]]
    draws = ensemble.sample(rows, n_samples=20000, random_state=0)
    frequencies = np.array(
        [[np.mean(row == c) for c in ensemble.classes_] for row in draws]
    )
    np.testing.assert_allclose(frequencies, ensemble.predict_proba(rows), atol=0.015)


def test_binary_labels_as_the_members_give_them():
    X, y = load_iris(return_X_y=True)
    X, y = X[50:], np.where(y[50:] == 1, "versicolor", "virginica")
    ensemble = MLEEnsembleClassifier(
        _small_classifier(), n_estimators=2, random_state=0
    )
    ensemble.fit(X, y)
    proba = ensemble.predict_proba(X)
    assert proba.shape == (100, 2)
    np.testing.assert_array_equal(
        ensemble.predict(X), ensemble.classes_[(proba[:, 1] > 0.5).astype(int)]
    )
    np.testing.assert_allclose(ensemble.predict_distribution(X).mean(), proba[:, 1])
    assert set(np.unique(ensemble.sample(X[:5], n_samples=50))) <= set(
        ensemble.classes_
    )


def test_multilabel_likelihood_is_the_joint_mixture():
    X, Y = make_multilabel_classification(n_samples=120, n_classes=3, random_state=0)
    ensemble = MLEEnsembleClassifier(
        _small_classifier(), n_estimators=2, random_state=0
    )
    ensemble.fit(X, Y)
    members = np.array([m.predict_proba(X) for m in ensemble.estimators_])
    joint = np.prod(np.where(Y, members, 1 - members), axis=2)
    np.testing.assert_allclose(
        ensemble.log_likelihood(X, Y), np.log(joint.mean(axis=0)), rtol=1e-8
    )
    assert ensemble.predict(X).shape == Y.shape
    np.testing.assert_array_equal(
        ensemble.predict(X), (members.mean(axis=0) > 0.5).astype(int)
    )
    assert ensemble.sample(X[:4], n_samples=5).shape == (4, 3, 5)
    assert ensemble.predict_distribution(X).mean().shape == Y.shape


def test_classifier_in_a_grid_search_over_n_estimators():
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        MLEEnsembleClassifier(_small_classifier(), random_state=0),
        {"n_estimators": [1, 2]},
        cv=2,
    ).fit(X, y)
    assert (
        len(search.best_estimator_.estimators_) == search.best_params_["n_estimators"]
    )
