"""Tests of sklearn_mle_nn.pipeline: the probabilistic methods passed through."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import pipeline as sklearn_pipeline
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_regression
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest, f_regression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_mle_nn import MLEAutoencoder, MLEClassifier, MLERegressor
from sklearn_mle_nn.pipeline import Pipeline, make_pipeline

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

METHODS = ["sample", "predict_interval", "predict_distribution", "log_likelihood"]


def regression_data():
    X, y = make_regression(n_samples=80, n_features=3, noise=10.0, random_state=0)
    return X * [1.0, 10.0, 100.0], y


def mixed_frame():
    """A pandas frame with a categorical column: a ColumnTransformer's case."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    n = 90
    colour = rng.choice(["red", "green", "blue"], size=n)
    size = rng.normal(size=n) * 10.0
    y = (
        3.0 * size
        + np.select([colour == "red", colour == "green"], [20.0, -20.0], 0.0)
        + rng.normal(size=n)
    )
    return pd.DataFrame({"colour": colour, "size": size}), y


def column_pipeline():
    preprocess = ColumnTransformer(
        [("onehot", OneHotEncoder(), ["colour"]), ("scale", StandardScaler(), ["size"])]
    )
    return make_pipeline(preprocess, MLERegressor(random_state=0))


def test_scikit_learn_pipeline_hides_the_methods():
    # Why the subclass exists: scikit-learn's own has none of them.
    pipe = sklearn_pipeline.make_pipeline(StandardScaler(), MLERegressor())
    assert not any(hasattr(pipe, method) for method in METHODS)


def test_make_pipeline_is_scikit_learns_with_this_class():
    steps = (StandardScaler(), MLERegressor())
    ours = make_pipeline(*steps, verbose=True)
    theirs = sklearn_pipeline.make_pipeline(*steps, verbose=True)
    assert type(ours) is Pipeline
    assert isinstance(ours, sklearn_pipeline.Pipeline)
    assert ours.get_params(deep=False) == theirs.get_params(deep=False)
    assert type(ours[:1]) is Pipeline  # slicing keeps the class


@pytest.mark.parametrize("method", METHODS)
def test_methods_match_the_last_step_on_transformed_inputs(method):
    X, y = regression_data()
    pipe = make_pipeline(
        StandardScaler(), PCA(n_components=2), MLERegressor(random_state=0)
    ).fit(X, y)
    Z = pipe[1].transform(pipe[0].transform(X))
    if method == "sample":
        got = pipe.sample(X, n_samples=4, random_state=0)
        expected = pipe[-1].sample(Z, n_samples=4, random_state=0)
    elif method == "predict_interval":
        got = pipe.predict_interval(X, coverage=0.8)
        expected = pipe[-1].predict_interval(Z, coverage=0.8)
    elif method == "predict_distribution":
        got = pipe.predict_distribution(X).ppf(0.3)
        expected = pipe[-1].predict_distribution(Z).ppf(0.3)
    else:
        # y passes unchanged: the transformers act on X only.
        got = pipe.log_likelihood(X, y)
        expected = pipe[-1].log_likelihood(Z, y)
    assert_array_equal(got, expected)


def test_predict_return_std_reaches_the_last_step():
    X, y = regression_data()
    pipe = make_pipeline(StandardScaler(), MLERegressor(random_state=0)).fit(X, y)
    mean, std = pipe.predict(X, return_std=True)
    expected_mean, expected_std = pipe[-1].predict(
        pipe[0].transform(X), return_std=True
    )
    assert_array_equal(mean, expected_mean)
    assert_array_equal(std, expected_std)


def test_methods_available_only_when_the_last_step_has_them():
    X, y = regression_data()
    classifier = make_pipeline(StandardScaler(), MLEClassifier())
    assert hasattr(classifier, "sample") and hasattr(classifier, "log_likelihood")
    assert not hasattr(classifier, "predict_interval")
    assert not hasattr(classifier, "generate")
    transformer_only = make_pipeline(StandardScaler(), SelectKBest(f_regression, k=2))
    assert not any(hasattr(transformer_only, m) for m in [*METHODS, "generate"])
    with pytest.raises(AttributeError, match="predict_interval"):
        classifier.predict_interval  # noqa: B018


class LocationOnly(RegressorMixin, BaseEstimator):
    """A user-defined final step with only predict_interval: duck typing."""

    def fit(self, X, y):
        self.center_ = np.mean(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.center_)

    def predict_interval(self, X, coverage=0.9):
        return np.column_stack([X[:, 0] - coverage, X[:, 0] + coverage])


def test_duck_typed_on_the_last_step():
    X, y = regression_data()
    pipe = make_pipeline(StandardScaler(), LocationOnly()).fit(X, y)
    assert hasattr(pipe, "predict_interval") and not hasattr(pipe, "sample")
    Z = StandardScaler().fit_transform(X)
    assert_allclose(pipe.predict_interval(X, coverage=0.5)[:, 0], Z[:, 0] - 0.5)


def test_not_fitted_raises():
    from sklearn.exceptions import NotFittedError

    X, _ = regression_data()
    with pytest.raises(NotFittedError):
        make_pipeline(StandardScaler(), MLERegressor()).predict_interval(X)


def test_column_transformer_with_a_categorical_column():
    X, y = mixed_frame()
    pipe = column_pipeline().fit(X, y)
    Z = pipe[0].transform(X)
    assert Z.shape[1] == 4  # three one-hot columns and the scaled size
    assert_array_equal(pipe.predict_interval(X), pipe[-1].predict_interval(Z))
    assert_array_equal(
        pipe.sample(X, n_samples=3, random_state=1),
        pipe[-1].sample(Z, n_samples=3, random_state=1),
    )
    assert_array_equal(pipe.log_likelihood(X, y), pipe[-1].log_likelihood(Z, y))


def test_grid_search_clone_and_pickle():
    X, y = regression_data()
    pipe = make_pipeline(StandardScaler(), MLERegressor(random_state=0))
    search = GridSearchCV(pipe, {"mleregressor__alpha": [1e-4, 1.0]}, cv=KFold(2)).fit(
        X, y
    )
    best = search.best_estimator_
    assert type(best) is Pipeline
    assert_array_equal(
        best.predict_interval(X), best[-1].predict_interval(best[0].transform(X))
    )
    cloned = clone(best)
    assert type(cloned) is Pipeline and cloned.get_params()["mleregressor__alpha"] in (
        1e-4,
        1.0,
    )
    restored = pickle.loads(pickle.dumps(best))
    assert_array_equal(restored.predict_interval(X), best.predict_interval(X))
    assert_array_equal(
        restored.sample(X, n_samples=2, random_state=0),
        best.sample(X, n_samples=2, random_state=0),
    )


def test_generate_comes_back_in_the_input_units():
    # A VAE after a scaler: its draws are standardized; the pipeline's are
    # in the data's units (means near 1000 and 5, spreads near 100 and 0.1).
    rng = np.random.RandomState(0)
    X = np.column_stack(
        [1000 + 100 * rng.normal(size=300), 5 + 0.1 * rng.normal(size=300)]
    )
    scaler = StandardScaler()
    pipe = make_pipeline(
        scaler,
        MLEAutoencoder(variational=True, n_components=1, max_iter=30, random_state=0),
    ).fit(X)
    inner = pipe[-1].generate(400, random_state=0)
    generated = pipe.generate(400, random_state=0)
    assert_allclose(generated, scaler.inverse_transform(inner))
    assert_allclose(generated.mean(axis=0), [1000, 5], rtol=0.05)
    assert_allclose(generated.std(axis=0), [100, 0.1], rtol=0.3)


def test_generate_through_several_transformers_in_reverse_order():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4)) * 10 + 50
    pipe = make_pipeline(
        StandardScaler(),
        PCA(n_components=3),
        MLEAutoencoder(variational=True, n_components=1, max_iter=20, random_state=0),
    ).fit(X)
    inner = pipe[-1].generate(5, random_state=3)
    expected = pipe[0].inverse_transform(pipe[1].inverse_transform(inner))
    assert_allclose(pipe.generate(5, random_state=3), expected)


class NoInverse(BaseEstimator):
    """A transformer without inverse_transform."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def test_generate_without_inverse_transform_raises():
    X = np.random.RandomState(0).normal(size=(100, 4))
    pipe = make_pipeline(
        NoInverse(),
        MLEAutoencoder(variational=True, n_components=1, max_iter=5, random_state=0),
    ).fit(X)
    assert hasattr(pipe, "generate")
    with pytest.raises(AttributeError, match="NoInverse.*has none"):
        pipe.generate(2, random_state=0)
