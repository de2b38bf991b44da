"""Bad input raises a ValueError naming the problem, before any state changes.

Every bad input of DESIGN.md's "Errors" section is tried on every estimator it
applies to: on an unfitted estimator, and on a fitted one through ``fit``,
``partial_fit`` and a warm-started ``fit``. After the error, the estimator's
whole state (every attribute, deep-compared) and its predictions are as before.

``BAD_INPUTS`` lists every (estimator, bad input) pair tried.
"""

import copy
import re
import warnings
from typing import Any, NamedTuple

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sklearn_mle_nn import MLEAutoencoder, MLEClassifier, MLERegressor
from sklearn_mle_nn.distributions import Poisson

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = {
    "regressor": MLERegressor,
    "classifier": MLEClassifier,
    "autoencoder": MLEAutoencoder,
}
SMALL = {"hidden_layer_sizes": (3,), "max_iter": 2, "batch_size": 4, "random_state": 0}

_rng = np.random.RandomState(0)
# In [0, 1], so valid for every distribution, Bernoulli included.
X = _rng.uniform(size=(10, 3))
TARGETS = {
    "regressor": _rng.uniform(size=10),
    "classifier": np.array([0, 1, 2] * 3 + [0]),
    "autoencoder": None,
}


def _estimator(name, **params):
    return ESTIMATORS[name](**{**SMALL, **params})


def _train(estimator, method, X, y, **kwargs):
    """``estimator.<method>(X, y, **kwargs)``, without y for the autoencoder."""
    args = (X,) if isinstance(estimator, MLEAutoencoder) else (X, y)
    return getattr(estimator, method)(*args, **kwargs)


def _fitted(name, **params):
    return _train(_estimator(name, **params), "fit", X, TARGETS[name])


def _predictions(estimator):
    if isinstance(estimator, MLEClassifier):
        return estimator.predict_proba(X)
    return estimator.predict(X)


def _assert_same(before, after, path="state"):
    """Deep equality of two snapshots: arrays exactly, objects by their vars."""
    assert type(before) is type(after), path
    if isinstance(before, np.ndarray):
        assert before.dtype == after.dtype, path
        assert np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"), path
    elif isinstance(before, dict):
        assert before.keys() == after.keys(), path
        for key in before:
            _assert_same(before[key], after[key], f"{path}[{key!r}]")
    elif isinstance(before, list | tuple):
        assert len(before) == len(after), path
        for i, (a, b) in enumerate(zip(before, after)):
            _assert_same(a, b, f"{path}[{i}]")
    elif hasattr(before, "__dict__") and not isinstance(before, type):
        _assert_same(vars(before), vars(after), f"{path}.vars")
    elif isinstance(before, float) and np.isnan(before):
        assert np.isnan(after), path
    else:
        assert before == after, path


# ---- the bad inputs ----------------------------------------------------------------


def _with(value):
    def corrupt(A):
        A = np.array(A, dtype=float)
        A.flat[1] = value
        return A

    return corrupt


class BadFit(NamedTuple):
    """A bad input to fit / partial_fit: a corrupted X, y, sample_weight or params."""

    estimator: str
    match: str
    X: Any = None  # good X -> bad X
    y: Any = None  # good y -> bad y
    sample_weight: Any = None
    params: dict = {}  # the estimator is built (and fitted) with these
    set_params: dict = {}  # then these are set just before the bad call


def _bad_fits(name):
    supervised = name != "autoencoder"
    cases = {
        "nan-X": BadFit(name, "NaN", X=_with(np.nan)),
        "inf-X": BadFit(name, "infinity", X=_with(np.inf)),
        "empty-X": BadFit(
            name,
            "0 sample",
            X=lambda X: X[:0],
            y=(lambda y: y[:0]) if supervised else None,
        ),
        "1d-X": BadFit(name, "2D array", X=lambda X: X[:, 0]),
        "string-X": BadFit(name, "string", X=lambda X: np.full(X.shape, "a")),
        "negative-sample_weight": BadFit(
            name,
            "(?i)sample[_ ]weights?.*non-negative",
            sample_weight=[-1.0] + [1.0] * 9,
        ),
        "zero-sample_weight": BadFit(
            name, "(?i)sample[_ ]weights?.*zero", sample_weight=np.zeros(10)
        ),
        "short-sample_weight": BadFit(
            name, r"sample_weight\.shape", sample_weight=np.ones(4)
        ),
        "unknown-distribution": BadFit(
            name, "'distribution' parameter", set_params={"distribution": "no_such_law"}
        ),
    }
    if supervised:
        cases["nan-y"] = BadFit(name, "NaN", y=_with(np.nan))
        cases["inf-y"] = BadFit(name, "infinity", y=_with(np.inf))
    if name != "classifier":
        # A new model names the link; continued training (warm_start,
        # partial_fit) first names the distribution that changed under it.
        cases["bernoulli-identity-link"] = BadFit(
            name,
            "out_activation='identity'.*'bernoulli'|distribution='bernoulli' differs",
            set_params={"distribution": "bernoulli", "out_activation": "identity"},
        )
    if name == "regressor":
        cases["bernoulli-y-outside-unit-interval"] = BadFit(
            name, r"\[0, 1\]", y=lambda y: y + 1, params={"distribution": "bernoulli"}
        )
    if name == "autoencoder":
        cases["bernoulli-X-outside-unit-interval"] = BadFit(
            name, r"\[0, 1\]", X=lambda X: X - 1, params={"distribution": "bernoulli"}
        )
    return [pytest.param(case, id=f"{name}-{what}") for what, case in cases.items()]


class BadCall(NamedTuple):
    """Any other bad call, on a fitted (or, if ``fitted`` is False, a new) estimator."""

    estimator: str
    match: str
    call: Any  # estimator -> None; makes the bad call
    fitted: bool = True
    params: dict = {}
    error: type = ValueError


FEATURES = r"X has 2 features, but \w+ is expecting 3 features"
N_SAMPLES = "n_samples must be a positive integer"
METHODS = {
    "regressor": ["predict", "sample", "log_likelihood"],
    "classifier": [
        "predict",
        "predict_proba",
        "predict_log_proba",
        "sample",
        "log_likelihood",
    ],
    "autoencoder": ["predict", "transform", "sample", "score_samples"],
}


def _call(method, X, *args, **kwargs):
    """A bad call of ``method``; y is added for methods that need it."""

    def call(estimator):
        name = type(estimator).__name__
        y = TARGETS["regressor" if name == "MLERegressor" else "classifier"]
        with_y = (
            method in ("log_likelihood", "partial_fit") and name != "MLEAutoencoder"
        )
        getattr(estimator, method)(X, *((y,) if with_y else ()), *args, **kwargs)

    return call


def _bad_calls(name):
    cases = {}
    for method in [*METHODS[name], "partial_fit"]:
        cases[f"wrong-n_features-{method}"] = BadCall(
            name, FEATURES, _call(method, X[:, :2])
        )
    cases["nan-X-predict"] = BadCall(name, "NaN", _call("predict", _with(np.nan)(X)))
    for n_samples in (0, -1, 1.5):
        cases[f"n_samples={n_samples}"] = BadCall(
            name, N_SAMPLES, _call("sample", X, n_samples=n_samples)
        )
    unfitted_methods = METHODS[name] + (["inverse_transform"] * (name == "autoencoder"))
    for method in unfitted_methods:
        cases[f"not-fitted-{method}"] = BadCall(
            name, "not fitted", _call(method, X), fitted=False, error=NotFittedError
        )
    if name == "regressor":
        cases["bernoulli-y-outside-unit-interval-log_likelihood"] = BadCall(
            name,
            r"\[0, 1\]",
            lambda est: est.log_likelihood(X, TARGETS[name] + 1),
            params={"distribution": "bernoulli"},
        )
    if name == "classifier":
        y = TARGETS[name]
        cases.update(
            {
                "partial_fit-labels-outside-classes_": BadCall(
                    name, "not in classes_", lambda est: est.partial_fit(X, y + 3)
                ),
                "partial_fit-other-classes": BadCall(
                    name,
                    "differs from the classes_",
                    lambda est: est.partial_fit(X, y, classes=[0, 1, 2, 3]),
                ),
                "first-partial_fit-without-classes": BadCall(
                    name,
                    "classes must be passed",
                    lambda est: est.partial_fit(X, y),
                    fitted=False,
                ),
                "first-partial_fit-labels-outside-classes": BadCall(
                    name,
                    "not in classes_",
                    lambda est: est.partial_fit(X, y, classes=[0, 1]),
                    fitted=False,
                ),
                "log_likelihood-labels-outside-classes_": BadCall(
                    name, "not in classes_", lambda est: est.log_likelihood(X, y + 3)
                ),
            }
        )
    if name == "autoencoder":
        cases["bernoulli-X-outside-unit-interval-score_samples"] = BadCall(
            name,
            r"\[0, 1\]",
            lambda est: est.score_samples(X + 1),
            params={"distribution": "bernoulli"},
        )
    return [pytest.param(case, id=f"{name}-{what}") for what, case in cases.items()]


BAD_FITS = [case for name in ESTIMATORS for case in _bad_fits(name)]
BAD_CALLS = [case for name in ESTIMATORS for case in _bad_calls(name)]
#: Every (estimator, bad input) pair of this module; BAD_FITS are each tried
#: four ways (ROUTES).
BAD_INPUTS = BAD_FITS + BAD_CALLS

ROUTES = ["fit-unfitted", "fit", "partial_fit", "warm_start-fit"]


# ---- the tests -------------------------------------------------------------------


def _prepare(case, route):
    """The estimator the bad call is made on, and what the call does."""
    if route == "fit-unfitted":
        estimator = _estimator(case.estimator, **case.params)
    else:
        estimator = _fitted(case.estimator, **case.params)
    if route == "warm_start-fit":
        estimator.set_params(warm_start=True)
    estimator.set_params(**case.set_params)
    y = TARGETS[case.estimator]
    bad_X = X if case.X is None else case.X(X)
    bad_y = y if case.y is None else case.y(y)
    kwargs = {}
    if case.sample_weight is not None:
        kwargs["sample_weight"] = case.sample_weight
    method = "partial_fit" if route == "partial_fit" else "fit"
    return estimator, lambda: _train(estimator, method, bad_X, bad_y, **kwargs)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", BAD_FITS)
def test_bad_training_input_raises_before_any_state_change(case, route):
    """A bad fit input raises a ValueError naming it; state and predictions stay."""
    estimator, bad_call = _prepare(case, route)
    state = copy.deepcopy(vars(estimator))
    fitted = route != "fit-unfitted"
    predictions = _predictions(estimator) if fitted else None
    with pytest.raises(ValueError, match=case.match):
        bad_call()
    _assert_same(state, vars(estimator))
    if fitted:
        assert_array_equal(_predictions(estimator), predictions)


@pytest.mark.parametrize("case", BAD_CALLS)
def test_bad_call_raises_before_any_state_change(case):
    """A bad call raises the documented error naming the problem; nothing changes."""
    make = _fitted if case.fitted else _estimator
    estimator = make(case.estimator, **case.params)
    state = copy.deepcopy(vars(estimator))
    predictions = _predictions(estimator) if case.fitted else None
    with pytest.raises(case.error, match=case.match):
        case.call(estimator)
    _assert_same(state, vars(estimator))
    if case.fitted:
        assert_array_equal(_predictions(estimator), predictions)


def test_state_comparison_detects_a_changed_weight():
    """The deep comparison the tests rely on sees a one-weight change."""
    estimator = _fitted("regressor")
    state = copy.deepcopy(vars(estimator))
    estimator.coefs_[0][0, 0] += 1.0
    with pytest.raises(AssertionError):
        _assert_same(state, vars(estimator))


# ---- divergence ------------------------------------------------------------------

DIVERGED = r"(?s)diverged.*learning_rate_init"
FAILED_FIT = r"(?s)(diverged|worse than the intercept-only model).*learning_rate_init"
# Features so large that any of the estimators overflows within an epoch: the
# tests of state below need a fit that fails, whatever the estimator.
HUGE = 1e300
DIVERGING = [
    pytest.param("regressor", TARGETS["regressor"], id="regressor"),
    pytest.param("classifier", TARGETS["classifier"], id="classifier-multiclass"),
    pytest.param("classifier", TARGETS["classifier"] % 2, id="classifier-binary"),
    pytest.param("autoencoder", None, id="autoencoder"),
]


def _weights(estimator):
    return [w.copy() for w in estimator.coefs_ + estimator.intercepts_]


def _assert_same_weights(estimator, weights):
    current = _weights(estimator)
    assert len(current) == len(weights)
    for a, b in zip(current, weights):
        assert_array_equal(a, b)


@pytest.mark.parametrize("batch_size", [4, 32], ids=["3-batches", "full-batch"])
@pytest.mark.parametrize("name, y", DIVERGING)
def test_huge_learning_rate_raises_divergence_error(name, y, batch_size):
    """learning_rate_init=1e6 on unscaled features stops with an error naming
    it, or ends no worse than the intercept-only model it started from.

    Training lowers a step that blows up the loss, a few times: either it
    still diverges and raises, leaving nothing fitted, or the smaller steps
    recover (a classifier's bounded likelihood often does), and the model
    returned is no worse than the intercept-only one (the class frequencies).
    """
    estimator = _estimator(
        name, solver="sgd", learning_rate_init=1e6, max_iter=50, batch_size=batch_size
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            _train(estimator, "fit", 1e3 * X, y)
    except ValueError as error:
        assert re.search(FAILED_FIT, str(error))
        assert not hasattr(estimator, "coefs_")
        return
    assert name == "classifier"
    frequencies = np.bincount(y) / len(y)
    null = np.mean(np.log(frequencies[y]))
    assert estimator.log_likelihood(1e3 * X, y).mean() >= null - 0.01


@pytest.mark.parametrize("name, y", DIVERGING)
def test_failed_warm_start_fit_keeps_the_fitted_model(name, y):
    """A diverging warm-started fit leaves the weights and predictions exactly."""
    estimator = _train(_estimator(name, solver="sgd"), "fit", X, y)
    weights, predictions = _weights(estimator), _predictions(estimator)
    estimator.set_params(warm_start=True, learning_rate_init=1e6)
    with pytest.raises(ValueError, match=DIVERGED):
        _train(estimator, "fit", HUGE * X, y)
    _assert_same_weights(estimator, weights)
    assert_array_equal(_predictions(estimator), predictions)


@pytest.mark.parametrize("name, y", DIVERGING)
def test_failed_partial_fit_keeps_the_fitted_model(name, y):
    """A diverging partial_fit keeps weights, optimizer state and predictions."""
    estimator = _train(_estimator(name, solver="sgd"), "fit", X, y)
    twin = copy.deepcopy(estimator)
    weights, predictions = _weights(estimator), _predictions(estimator)
    with pytest.raises(ValueError, match=DIVERGED):
        _train(estimator, "partial_fit", HUGE * X, y)
    _assert_same_weights(estimator, weights)
    assert_array_equal(_predictions(estimator), predictions)
    # The momentum was not touched either: the next step is the twin's.
    _train(estimator, "partial_fit", X, y)
    _train(twin, "partial_fit", X, y)
    _assert_same_weights(estimator, _weights(twin))


# ---- inputs that only some calls can get wrong -------------------------------------

_X100 = np.random.RandomState(1).uniform(size=(100, 3))
_Y100 = {
    "regressor": _X100[:, 0],
    "classifier": np.arange(100) % 3,
    "autoencoder": None,
}


@pytest.mark.parametrize("name", ESTIMATORS)
def test_early_stopping_split_without_weight_on_one_side_raises(name):
    """One sample of positive weight: one side of the validation split has
    nothing to learn from or to score. A clear error, the model kept; 'auto'
    counts the samples of positive weight and trains without the split."""
    estimator = _train(_estimator(name), "fit", _X100, _Y100[name])
    estimator.set_params(early_stopping=True)
    state = copy.deepcopy(vars(estimator))
    weight = np.zeros(100)
    weight[7] = 1.0
    with pytest.raises(ValueError, match="holds only samples of zero sample_weight"):
        _train(estimator, "fit", _X100, _Y100[name], sample_weight=weight)
    _assert_same(state, vars(estimator))
    estimator.set_params(early_stopping="auto")
    _train(estimator, "fit", _X100, _Y100[name], sample_weight=weight)
    assert estimator.validation_scores_ is None


def test_classifier_early_stopping_needs_every_class_on_both_sides():
    """scikit-learn's stratified split would say "test_size = 2 should be
    greater or equal to the number of classes = 3"; the error names the
    estimator's parameters."""
    model = MLEClassifier(**{**SMALL, "early_stopping": True})
    with pytest.raises(ValueError, match="validation set would hold 2 of the 12"):
        model.fit(_X100[:12], _Y100["classifier"][:12])


@pytest.mark.parametrize("sizes", [(2.5,), (True,), ("4",)])
def test_hidden_layer_sizes_must_be_whole_numbers(sizes):
    with pytest.raises(ValueError, match="whole numbers of units"):
        MLERegressor(**{**SMALL, "hidden_layer_sizes": sizes}).fit(
            X, TARGETS["regressor"]
        )


def test_log_likelihood_checks_the_targets_against_the_fitted_outputs():
    """Targets of another shape were broadcast against the outputs: numbers
    for the wrong question, without a word."""
    y = TARGETS["regressor"]
    regressor = _fitted("regressor")
    with pytest.raises(ValueError, match=r"y has 3 target column\(s\).*fitted on 1"):
        regressor.log_likelihood(X, np.c_[y, y, y])
    two = MLERegressor(**SMALL, distribution="heteroscedastic_gaussian")
    two.fit(X, np.c_[y, -y])
    with pytest.raises(ValueError, match=r"y has 1 target column\(s\).*fitted on 2"):
        two.log_likelihood(X, y)
    labels = TARGETS["classifier"]
    indicators = np.c_[labels == 0, labels == 1].astype(int)
    classifier = _fitted("classifier")
    with pytest.raises(ValueError, match="fitted on one label per sample"):
        classifier.log_likelihood(X, indicators)
    multilabel = MLEClassifier(**SMALL).fit(X, indicators)
    with pytest.raises(ValueError, match="one label per sample, but.*multilabel"):
        multilabel.log_likelihood(X, labels == 0)
    with pytest.raises(ValueError, match="3 columns, but.*2 columns of 0/1"):
        multilabel.log_likelihood(X, np.c_[indicators, indicators[:, :1]])


def test_classifier_refuses_a_likelihood_that_is_not_of_probabilities():
    with pytest.raises(
        ValueError, match="cannot be a likelihood of class probabilities"
    ):
        MLEClassifier(**SMALL, distribution=Poisson()).fit(X, TARGETS["classifier"])


def test_feature_names_out_need_a_fitted_autoencoder():
    """As PCA's: the code's size is the fitted model's."""
    with pytest.raises(NotFittedError):
        MLEAutoencoder(n_components=2).get_feature_names_out()
    model = _fitted("autoencoder", n_components=2).set_params(n_components=3)
    assert list(model.get_feature_names_out()) == ["mleautoencoder0", "mleautoencoder1"]


@pytest.mark.parametrize("n_samples", [1, 5])
def test_early_stopping_on_too_few_samples_names_this_estimators_parameters(n_samples):
    """scikit-learn's split said "test_size=0.1 ... the resulting train set
    will be empty" for one sample."""
    model = MLERegressor(**{**SMALL, "early_stopping": True})
    with pytest.raises(ValueError, match="validation_fraction=0.1 of"):
        model.fit(X[:n_samples], TARGETS["regressor"][:n_samples])


def _big_endian(value):
    """``value`` with every float array in it (lists, attributes) big-endian."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(value.dtype.newbyteorder(">"))
    if isinstance(value, list):
        return [_big_endian(item) for item in value]
    if hasattr(value, "__dict__") and not isinstance(value, type):
        for name, item in vars(value).items():
            setattr(value, name, _big_endian(item))
    return value


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("make", [MLERegressor, MLEClassifier])
@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.filterwarnings("error::RuntimeWarning")  # no fallback from kernels
def test_partial_fit_continues_a_big_endian_model(make, solver, compiled, monkeypatch):
    """A model pickled on a big-endian machine continues training as its
    native twin (partial_fit raised 'output array is not acceptable'; the
    compiled kernels refused its optimizer's state)."""
    from sklearn_mle_nn import _compiled

    if compiled:
        pytest.importorskip("numba")
    monkeypatch.setattr(_compiled, "ENABLED", compiled)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=40)
    if make is MLEClassifier:
        y = y > 0
    native = make(hidden_layer_sizes=(4,), solver=solver, random_state=0)
    native.partial_fit(
        X, y, **({"classes": [False, True]} if make is MLEClassifier else {})
    )
    swapped = copy.deepcopy(native)
    for name in ["coefs_", "intercepts_", "_network", "_optimizer"]:
        setattr(swapped, name, _big_endian(getattr(swapped, name)))
    assert swapped.coefs_[0].dtype.byteorder == ">"
    native.partial_fit(X, y)
    swapped.partial_fit(X, y)
    assert_allclose(swapped.coefs_[0], native.coefs_[0], rtol=1e-12)
    assert_allclose(swapped.predict(X[:5]), native.predict(X[:5]), rtol=1e-12)
