"""Saved and loaded models: pickle, joblib and skops round trips, versioned state."""

import re

import numpy as np
import pytest
import skops.io
from numpy.testing import assert_array_equal

import sklearn_mle_nn
from conftest import ROUND_TRIPS, _pickle
from sklearn_mle_nn import MLEAutoencoder, MLEClassifier, MLERegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_layer_sizes": (3,), "max_iter": 3, "batch_size": 8, "random_state": 0}

_rng = np.random.RandomState(0)
X = _rng.uniform(size=(20, 3))
Y_REAL = 5 * X[:, 0] - X[:, 1] + _rng.normal(scale=0.1, size=20)
Y_RATE = _rng.uniform(size=(20, 2))
Y_LABELS = np.array([0, 1, 2] * 6 + [0, 1])
Y_NAMES = np.array(["no", "yes"] * 10)
Y_MULTILABEL = (_rng.uniform(size=(20, 3)) > 0.5).astype(int)

# (id, class, parameters, y): the fitted models that must survive a round trip.
MODELS = [
    ("regressor-gaussian", MLERegressor, {}, Y_REAL),
    ("regressor-gaussian-2d-adam", MLERegressor, {"solver": "adam"}, Y_RATE),
    ("regressor-bernoulli", MLERegressor, {"distribution": "bernoulli"}, Y_RATE),
    ("classifier-multiclass", MLEClassifier, {}, Y_LABELS),
    (
        "classifier-binary-str-early-stopping",
        MLEClassifier,
        {"early_stopping": True, "validation_fraction": 0.2},
        Y_NAMES,
    ),
    ("classifier-gaussian", MLEClassifier, {"distribution": "gaussian"}, Y_LABELS),
    ("classifier-multilabel", MLEClassifier, {}, Y_MULTILABEL),
    ("autoencoder-gaussian", MLEAutoencoder, {}, None),
    ("autoencoder-bernoulli", MLEAutoencoder, {"distribution": "bernoulli"}, None),
    (
        "autoencoder-gaussian-float32",
        MLEAutoencoder,
        {"solver": "adam"},
        "float32",
    ),
]
MODEL_PARAMS = [pytest.param(*model[1:], id=model[0]) for model in MODELS]
CLASSES = [MLERegressor, MLEClassifier, MLEAutoencoder]


def _data(y):
    """``(X, y)`` for a model of MODELS; the autoencoder's y is None."""
    if isinstance(y, str):
        return X.astype(y), None
    return X, y


def _train(estimator, method, y, **params):
    X_, y_ = _data(y)
    args = (X_,) if y_ is None else (X_, y_)
    return getattr(estimator.set_params(**params), method)(*args)


def _fitted(cls, params, y):
    return _train(cls(**{**SMALL, **params}), "fit", y)


def _outputs(estimator, y):
    """Everything a fitted model computes from X, random draws seeded."""
    X_, y_ = _data(y)
    outputs = {
        "predict": estimator.predict(X_),
        "sample": estimator.sample(X_, n_samples=3, random_state=0),
    }
    if isinstance(estimator, MLERegressor):
        outputs["std"] = estimator.predict(X_, return_std=True)[1]
    if isinstance(estimator, MLEClassifier):
        outputs["predict_proba"] = estimator.predict_proba(X_)
        outputs["predict_log_proba"] = estimator.predict_log_proba(X_)
    if y_ is not None:
        outputs["log_likelihood"] = estimator.log_likelihood(X_, y_)
    if isinstance(estimator, MLEAutoencoder):
        outputs["transform"] = estimator.transform(X_)
        outputs["score_samples"] = estimator.score_samples(X_)
        outputs["inverse_transform"] = estimator.inverse_transform(outputs["transform"])
    return outputs


def _assert_same_outputs(estimator, other, y):
    expected, actual = _outputs(estimator, y), _outputs(other, y)
    assert expected.keys() == actual.keys()
    for key in expected:
        assert actual[key].dtype == expected[key].dtype, key
        assert_array_equal(actual[key], expected[key], err_msg=key)


def _assert_same_weights(estimator, other):
    weights = estimator.coefs_ + estimator.intercepts_
    other_weights = other.coefs_ + other.intercepts_
    assert len(weights) == len(other_weights)
    for a, b in zip(weights, other_weights):
        assert_array_equal(a, b)


# ---- round trips ---------------------------------------------------------------


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("cls, params, y", MODEL_PARAMS)
def test_round_trip_keeps_every_output(round_trip, cls, params, y):
    """A loaded model predicts, scores and samples exactly as the saved one."""
    estimator = _fitted(cls, params, y)
    loaded = round_trip(estimator)
    assert type(loaded) is cls
    assert loaded.get_params() == estimator.get_params()
    _assert_same_weights(estimator, loaded)
    _assert_same_outputs(estimator, loaded, y)


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("cls, params, y", MODEL_PARAMS)
def test_round_trip_continues_partial_fit_as_the_original(round_trip, cls, params, y):
    """One more partial_fit epoch gives the loaded model the original's weights."""
    estimator = _fitted(cls, params, y)
    loaded = round_trip(estimator)
    _train(estimator, "partial_fit", y)
    _train(loaded, "partial_fit", y)
    assert loaded.n_iter_ == estimator.n_iter_
    _assert_same_weights(estimator, loaded)
    _assert_same_outputs(estimator, loaded, y)


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("cls, params, y", MODEL_PARAMS)
def test_round_trip_continues_warm_start_fit_as_the_original(
    round_trip, cls, params, y
):
    """A one-epoch warm-started fit gives the loaded model the original's weights."""
    estimator = _fitted(cls, params, y)
    loaded = round_trip(estimator)
    _train(estimator, "fit", y, warm_start=True, max_iter=1)
    _train(loaded, "fit", y, warm_start=True, max_iter=1)
    assert loaded.loss_curve_ == estimator.loss_curve_
    _assert_same_weights(estimator, loaded)
    _assert_same_outputs(estimator, loaded, y)


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("cls", CLASSES)
def test_unfitted_round_trip_fits_as_the_original(round_trip, cls):
    """An unfitted estimator round-trips, still unfitted, and fits identically."""
    estimator = cls(**SMALL)
    loaded = round_trip(estimator)
    assert loaded.get_params() == estimator.get_params()
    assert not hasattr(loaded, "coefs_")
    y = {MLERegressor: Y_REAL, MLEClassifier: Y_LABELS, MLEAutoencoder: None}[cls]
    _train(estimator, "fit", y)
    _train(loaded, "fit", y)
    _assert_same_weights(estimator, loaded)


# ---- skops: what a loader must trust -------------------------------------------


@pytest.mark.parametrize("cls, params, y", MODEL_PARAMS)
def test_skops_untrusted_types_are_only_this_package(cls, params, y):
    """skops trusts everything but this package's own types by default."""
    data = skops.io.dumps(_fitted(cls, params, y))
    untrusted = skops.io.get_untrusted_types(data=data)
    assert f"{cls.__module__}.{cls.__name__}" in untrusted
    others = [name for name in untrusted if not name.startswith("sklearn_mle_nn.")]
    assert others == []


# ---- versioned state -------------------------------------------------------------

VERSION = "_sklearn_mle_nn_version"
STATE_FORMAT = "_sklearn_mle_nn_state_format"


@pytest.mark.parametrize("cls", CLASSES)
def test_pickled_state_carries_the_package_version(cls):
    """__getstate__ stores the package version and an integer state format."""
    state = cls(**SMALL).__getstate__()
    assert state[VERSION] == sklearn_mle_nn.__version__
    assert isinstance(state[STATE_FORMAT], int)
    loaded = _pickle(cls(**SMALL))
    assert VERSION not in vars(loaded) and STATE_FORMAT not in vars(loaded)


@pytest.mark.parametrize("cls, params, y", MODEL_PARAMS)
def test_other_package_version_loads_with_a_warning(cls, params, y):
    """A state saved by another version, same format, loads and names both."""
    estimator = _fitted(cls, params, y)
    state = estimator.__getstate__()
    state[VERSION] = "0.0.1.dev0"
    loaded = cls.__new__(cls)
    expected = rf"(?s)0\.0\.1\.dev0.*{re.escape(sklearn_mle_nn.__version__)}"
    with pytest.warns(UserWarning, match=expected):
        loaded.__setstate__(state)
    _assert_same_outputs(estimator, loaded, y)


@pytest.mark.parametrize("cls", CLASSES)
def test_other_state_format_raises(cls):
    """A state in another format is refused by a ValueError naming the versions."""
    estimator = _fitted(cls, {}, {MLEAutoencoder: None}.get(cls, Y_LABELS))
    state = estimator.__getstate__()
    state.update({VERSION: "9.0.0", STATE_FORMAT: state[STATE_FORMAT] + 1})
    expected = rf"(?s)9\.0\.0.*{re.escape(sklearn_mle_nn.__version__)}"
    with pytest.raises(ValueError, match=expected):
        cls.__new__(cls).__setstate__(state)


@pytest.mark.parametrize("cls", CLASSES)
def test_state_without_version_keys_raises(cls):
    """A state without the version keys, as an old pickle's, is refused."""
    estimator = _fitted(cls, {}, {MLEAutoencoder: None}.get(cls, Y_LABELS))
    state = estimator.__getstate__()
    del state[VERSION], state[STATE_FORMAT]
    expected = rf"sklearn_mle_nn {re.escape(sklearn_mle_nn.__version__)}"
    with pytest.raises(ValueError, match=expected):
        cls.__new__(cls).__setstate__(state)
