"""Tests of MLERegressor's public API (see DESIGN.md).

References: the seed's one-neuron experiment written as a plain numpy loop,
scikit-learn's MLPRegressor (same initialisation, optimizers and loop),
scipy.stats, and closed forms.
"""

import copy
import inspect
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _params import SKLEARN_SGD_DEFAULTS, started_at_intercept_only
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import BayesianRidge
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, ShuffleSplit
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import MLEClassifier, MLERegressor

#: scikit-learn's MLPRegressor, started where ours starts (see _params.py).
TwinRegressor = started_at_intercept_only(MLPRegressor)

# Most fits here run a handful of epochs on purpose, to stay fast.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)

BASE = dict(SKLEARN_SGD_DEFAULTS)


def _regressor(hidden_layer_sizes=(5,), **params):
    return MLERegressor(hidden_layer_sizes, **{**BASE, **params})


def _regression_data(n_samples=40, n_features=3, n_outputs=1, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_features))
    W = rng.normal(size=(n_features, n_outputs))
    y = np.sin(X @ W) + X @ W + 0.1 * rng.normal(size=(n_samples, n_outputs))
    return X, (y[:, 0] if n_outputs == 1 else y)


def _unit_interval_data(n_samples=60, seed=0):
    """Targets in [0, 1]: noisy probabilities of a logistic model."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 3))
    y = np.clip(
        1 / (1 + np.exp(-X @ [1.5, -1.0, 0.5])) + 0.05 * rng.normal(size=n_samples),
        0,
        1,
    )
    return X, y


def _binary_data(n_samples=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 3))
    p = 1 / (1 + np.exp(-X @ [2.0, -1.0, 0.5]))
    return X, (rng.uniform(size=n_samples) < p).astype(float)


def _standardize(y, sample_weight=None):
    """Weighted mean 0 and weighted (ddof=0) standard deviation 1, per column."""
    mean = np.average(y, axis=0, weights=sample_weight)
    std = np.sqrt(np.average((y - mean) ** 2, axis=0, weights=sample_weight))
    return (y - mean) / std


def _assert_same_network(a, b, rtol=1e-7, atol=1e-10):
    assert len(a.coefs_) == len(b.coefs_)
    for got, expected in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(got, expected, rtol=rtol, atol=atol)


# ---- the seed's experiment (SEED_NOTES item 4) ------------------------------

SEED_TABLE = [
    ("gaussian", 0.6, 0.9, 0.09),
    ("gaussian", 2.0, 2.0, 0.20),
    ("bernoulli", 0.6, 0.9, 0.01),
    ("bernoulli", 2.0, 2.0, 0.01),
]
SEED_IDS = [f"{d}-start({w},{b})" for d, w, b, _ in SEED_TABLE]


def _one_sigmoid_neuron(w, b, distribution, learning_rate=0.15, n_steps=300):
    """The seed's experiment: gradient steps on one sigmoid neuron, x = 1, y = 0."""
    x, y = 1.0, 0.0
    for _ in range(n_steps):
        a = 1 / (1 + np.exp(-(w * x + b)))
        # dC/dz: squared error keeps sigma'(z) = a (1 - a); cross-entropy cancels it.
        delta = (a - y) * a * (1 - a) if distribution == "gaussian" else a - y
        w, b = w - learning_rate * delta * x, b - learning_rate * delta
    return 1 / (1 + np.exp(-(w * x + b)))


def _seed_regressor(distribution, **params):
    return MLERegressor(
        hidden_layer_sizes=(),
        distribution=distribution,
        out_activation="logistic",
        solver="sgd",
        learning_rate_init=0.15,
        momentum=0,
        batch_size=1,
        alpha=0,
        max_iter=300,
        shuffle=False,
        **params,
    )


@pytest.mark.parametrize("distribution, w, b, table", SEED_TABLE, ids=SEED_IDS)
def test_seed_steps_with_the_default_stopping_rule(distribution, w, b, table):
    """With the seed's parameters and the default stopping rule, every step
    taken is the seed's gradient step; the rule may stop before the 300th
    (tol=1e-4), which is why the table below turns it off."""
    reg = _seed_regressor(distribution).fit(
        [[1.0]], [0.0], coefs_init=[[[w]]], intercepts_init=[[b]]
    )
    assert 1 <= reg.n_iter_ <= 300
    prediction = reg.predict([[1.0]])[0]
    steps_taken = _one_sigmoid_neuron(w, b, distribution, n_steps=reg.n_iter_)
    assert_allclose(prediction, steps_taken, rtol=1e-9)


@pytest.mark.parametrize("distribution, w, b, table", SEED_TABLE, ids=SEED_IDS)
def test_seed_table_for_all_300_steps(distribution, w, b, table):
    """The seed's table, with the stopping rule off so all 300 steps run."""
    reg = _seed_regressor(distribution, tol=0, n_iter_no_change=1000).fit(
        [[1.0]], [0.0], coefs_init=[[[w]]], intercepts_init=[[b]]
    )
    assert reg.n_iter_ == 300
    prediction = reg.predict([[1.0]])[0]
    assert_allclose(prediction, _one_sigmoid_neuron(w, b, distribution), rtol=1e-9)
    assert abs(prediction - table) <= 0.01


def test_seed_cross_entropy_learns_faster_from_saturated_start():
    """From the saturated start (2, 2), cross-entropy ends far closer to 0 than MSE."""
    mse, xent = (
        _seed_regressor(d, tol=0, n_iter_no_change=1000)
        .fit([[1.0]], [0.0], coefs_init=[[[2.0]]], intercepts_init=[[2.0]])
        .predict([[1.0]])[0]
        for d in ("gaussian", "bernoulli")
    )
    assert xent < mse / 10


# ---- equivalence with scikit-learn's MLPRegressor ---------------------------

# Both estimators get every parameter, as their defaults differ.
TWIN = BASE
# scikit-learn's MLP trains on the features as given, and its twin starts at
# the intercept-only model: so must ours, to follow it step for step.
AS_GIVEN = {"standardize_inputs": False, "start": "intercept_only"}

SKLEARN_CASES = {
    "sgd-nesterov": {"solver": "sgd"},
    "sgd-momentum": {"solver": "sgd", "nesterovs_momentum": False},
    "sgd-plain": {"solver": "sgd", "momentum": 0},
    "sgd-invscaling": {
        "solver": "sgd",
        "learning_rate": "invscaling",
        "learning_rate_init": 0.1,
    },
    "sgd-adaptive": {
        "solver": "sgd",
        "learning_rate": "adaptive",
        "tol": 1e3,
        "n_iter_no_change": 1,
    },
    "adam": {"solver": "adam", "learning_rate_init": 0.01},
    "adam-tanh-batch7": {"solver": "adam", "activation": "tanh", "batch_size": 7},
    "alpha": {"solver": "sgd", "alpha": 0.5},
    "early-stopping": {
        "solver": "sgd",
        "early_stopping": True,
        "validation_fraction": 0.25,
        "tol": 0,
        "n_iter_no_change": 2,
    },
    "no-shuffle": {"solver": "sgd", "shuffle": False},
    "batch-1": {"solver": "sgd", "batch_size": 1},
    "batch-larger-than-n": {"solver": "sgd", "batch_size": 100},
    "batch-auto-logistic": {
        "solver": "sgd",
        "batch_size": "auto",
        "activation": "logistic",
    },
    "identity": {"solver": "adam", "activation": "identity", "alpha": 0.1},
}


@pytest.mark.parametrize("early_stopping", [False])
def test_warm_start_after_a_stop_continues_as_mlp_regressor(early_stopping):
    """A fit that stopped keeps its count of epochs without improvement, as
    scikit-learn's does: a warm-started fit then stops after the first epoch
    that does not improve, on the same epoch as MLPRegressor's.

    Without early stopping only: with it, ``tol`` is a step of held-out
    log-likelihood here and of R² there (one is an affine map of the other
    whose slope is the validation rows' variance), so the two stop on other
    epochs by design."""
    X, y = _regression_data()
    y = _standardize(y)
    common = {
        **TWIN,
        "hidden_layer_sizes": (5,),
        "max_iter": 500,
        "batch_size": 10,
        "n_iter_no_change": 3,
        "tol": 1e-2,
        "early_stopping": early_stopping,
        "warm_start": True,
    }
    ours = MLERegressor(**common, **AS_GIVEN).fit(X, y)
    theirs = TwinRegressor(**common).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ < 500
    assert ours._no_improvement_count == theirs._no_improvement_count > 3
    ours.fit(X, y)
    theirs.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    _assert_same_network(ours, theirs)


# Both estimators warn that batch_size=100 is clipped to the 40 samples.
@pytest.mark.filterwarnings("ignore:Got .*batch_size:UserWarning")
@pytest.mark.parametrize("params", SKLEARN_CASES.values(), ids=SKLEARN_CASES.keys())
def test_same_fit_as_mlp_regressor(params):
    """On standardized y, MLERegressor trains exactly as MLPRegressor does."""
    X, y = _regression_data()
    y = _standardize(y)
    common = {
        **TWIN,
        "hidden_layer_sizes": (5, 4),
        "max_iter": 8,
        "batch_size": 10,
        **params,
    }
    ours = MLERegressor(**common, **AS_GIVEN).fit(X, y)
    theirs = TwinRegressor(**common).fit(X, y)
    _assert_same_network(ours, theirs)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    # scikit-learn's loss is half the squared error; the NLL adds log(2 pi) / 2.
    assert_allclose(
        ours.loss_curve_, np.add(theirs.loss_curve_, HALF_LOG_2PI), rtol=1e-10
    )
    if common.get("early_stopping"):
        # Ours scores the held-out log-likelihood, scikit-learn R²: with the
        # noise scale held at 1, the first is an increasing affine map of the
        # second (both of the held-out squared error), so the same epoch wins.
        ours_scores = np.asarray(ours.validation_scores_)
        theirs_scores = np.asarray(theirs.validation_scores_)
        slopes = np.diff(ours_scores) / np.diff(theirs_scores)
        assert np.all(slopes > 0)
        assert_allclose(slopes, slopes[0], rtol=1e-6)
        assert np.argmax(ours_scores) == np.argmax(theirs_scores)


@pytest.mark.skipif(
    "sample_weight" not in inspect.signature(MLPRegressor.fit).parameters,
    reason="MLPRegressor.fit takes sample_weight from scikit-learn 1.7 on; the "
    "reference is missing, not the feature (tested against scipy elsewhere)",
)
def test_same_fit_as_mlp_regressor_with_sample_weight():
    """With sample weights (and y standardized with them) both fits coincide."""
    X, y = _regression_data()
    sample_weight = np.random.RandomState(1).uniform(0.1, 3, size=len(y))
    y = _standardize(y, sample_weight)
    params = {**TWIN, "hidden_layer_sizes": (5,), "max_iter": 6, "batch_size": 8}
    ours = MLERegressor(**params, **AS_GIVEN).fit(X, y, sample_weight=sample_weight)
    # Ours takes weights as relative (rescaled to mean one): scikit-learn's,
    # as counts, gets them so rescaled.
    twin = started_at_intercept_only(MLPRegressor, sample_weight)
    theirs = twin(**params).fit(
        X, y, sample_weight=sample_weight / sample_weight.mean()
    )
    _assert_same_network(ours, theirs)
    # No loss comparison: scikit-learn averages weighted batch means by batch
    # *size*, not weight, so its epoch loss is not the weighted mean NLL.


def test_same_fit_as_mlp_regressor_multi_output():
    """With two standardized outputs both fits coincide."""
    X, Y = _regression_data(n_outputs=2)
    Y = _standardize(Y)
    params = {**TWIN, "hidden_layer_sizes": (6,), "max_iter": 6, "batch_size": 8}
    ours = MLERegressor(**params, **AS_GIVEN).fit(X, Y)
    _assert_same_network(ours, TwinRegressor(**params).fit(X, Y))


# ---- likelihood, predictive distribution, sampling --------------------------


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_gaussian_log_likelihood_matches_scipy(n_outputs):
    """log_likelihood is sum_k norm.logpdf(y_k, predict(X)_k, sigma_k)."""
    X, y = _regression_data(n_outputs=n_outputs)
    y = 10 * y + 3
    reg = _regressor((6,), random_state=0, max_iter=30).fit(X, y)
    mean = reg.predict(X).reshape(len(X), n_outputs)
    expected = stats.norm.logpdf(y.reshape(len(X), n_outputs), mean, reg.sigma_).sum(
        axis=1
    )
    assert_allclose(reg.log_likelihood(X, y), expected, rtol=1e-10)


def test_bernoulli_log_likelihood_matches_scipy():
    """Bernoulli log_likelihood on binary y is bernoulli.logpmf(y, predict(X))."""
    X, y = _binary_data()
    reg = _regressor((6,), distribution="bernoulli", random_state=0, max_iter=30)
    reg.fit(X, y)
    expected = stats.bernoulli.logpmf(y, reg.predict(X))
    assert_allclose(reg.log_likelihood(X, y), expected, rtol=1e-10)


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_gaussian_return_std_is_sigma(n_outputs):
    """predict(return_std=True) gives sigma_ for every row, shaped like the mean."""
    X, y = _regression_data(n_outputs=n_outputs)
    reg = _regressor((6,), random_state=0, max_iter=20).fit(X, 5 * y)
    mean, std = reg.predict(X, return_std=True)
    assert_array_equal(mean, reg.predict(X))
    assert std.shape == mean.shape
    assert_array_equal(std.reshape(len(X), n_outputs), np.tile(reg.sigma_, (len(X), 1)))


def test_bernoulli_return_std_is_binomial():
    """Bernoulli predict(return_std=True) gives sqrt(p (1 - p))."""
    X, y = _unit_interval_data()
    reg = _regressor((6,), distribution="bernoulli", random_state=0, max_iter=20)
    p, std = reg.fit(X, y).predict(X, return_std=True)
    assert np.all((p > 0) & (p < 1))
    assert_allclose(std, np.sqrt(p * (1 - p)), rtol=1e-12)
    assert not hasattr(reg, "sigma_")


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_sigma_is_weighted_rms_training_residual(n_outputs, weighted):
    """sigma_ is the (weighted) root-mean-square training residual y - predict(X)."""
    X, y = _regression_data(n_outputs=n_outputs)
    y = 4 * y - 1
    weights = np.random.RandomState(2).uniform(0, 2, len(y)) if weighted else None
    reg = _regressor((6,), random_state=0, max_iter=20).fit(X, y, sample_weight=weights)
    residual = (y - reg.predict(X)).reshape(len(X), n_outputs)
    w = np.ones(len(X)) if weights is None else weights
    expected = np.sqrt((w[:, None] * residual**2).sum(axis=0) / w.sum())
    assert reg.sigma_.shape == (n_outputs,)
    assert_allclose(reg.sigma_, expected, rtol=1e-10)


@pytest.mark.parametrize("n_outputs, shape", [(1, (7, 11)), (2, (7, 2, 11))])
def test_sample_shape(n_outputs, shape):
    """Draws are the last axis: (n, S) for 1-D y, (n, n_outputs, S) for 2-D y."""
    X, y = _regression_data(n_outputs=n_outputs)
    reg = _regressor((4,), random_state=0, max_iter=5).fit(X, y)
    assert reg.sample(X[:7], n_samples=11, random_state=0).shape == shape
    assert reg.sample(X[:7], random_state=0).shape == (*shape[:-1], 1)


def test_gaussian_sample_moments_match_predict_and_sigma():
    """The mean and std of many draws match predict(X) and sigma_."""
    X, Y = _regression_data(n_outputs=2)
    Y = Y * [1.0, 20.0]
    reg = _regressor((6,), random_state=0, max_iter=20).fit(X, Y)
    n_draws = 20_000
    draws = reg.sample(X[:5], n_samples=n_draws, random_state=0)
    assert_allclose(
        draws.mean(axis=-1),
        reg.predict(X[:5]),
        atol=5 * reg.sigma_.max() / np.sqrt(n_draws),
    )
    expected_std = np.tile(reg.sigma_, (5, 1))
    assert_allclose(draws.std(axis=-1), expected_std, rtol=5 / np.sqrt(2 * n_draws))


def test_bernoulli_sample_is_binary_with_predicted_frequency():
    """Bernoulli draws are 0/1 and their frequency matches predict(X)."""
    X, y = _unit_interval_data()
    reg = _regressor((6,), distribution="bernoulli", random_state=0, max_iter=20)
    reg.fit(X, y)
    n_draws = 20_000
    draws = reg.sample(X[:6], n_samples=n_draws, random_state=0)
    assert set(np.unique(draws)) == {0.0, 1.0}
    p = reg.predict(X[:6])
    assert np.all(np.abs(draws.mean(axis=-1) - p) <= 5 * np.sqrt(p * (1 - p) / n_draws))


def test_sample_random_state_int_is_reproducible():
    """An int random_state gives the same draws; another int gives others."""
    X, y = _regression_data()
    reg = _regressor((4,), random_state=0, max_iter=5).fit(X, y)
    first = reg.sample(X, n_samples=3, random_state=42)
    assert_array_equal(first, reg.sample(X, n_samples=3, random_state=42))
    assert not np.array_equal(first, reg.sample(X, n_samples=3, random_state=43))


def test_sample_random_state_none_uses_numpy_global_state():
    """random_state=None draws from numpy's global state, set by np.random.seed."""
    X, y = _regression_data()
    reg = _regressor((4,), random_state=0, max_iter=5).fit(X, y)
    state = np.random.get_state()
    try:
        np.random.seed(7)
        first = reg.sample(X, n_samples=3)
        following = reg.sample(X, n_samples=3)
        np.random.seed(7)
        again = reg.sample(X, n_samples=3)
    finally:
        np.random.set_state(state)
    assert_array_equal(first, again)
    assert not np.array_equal(first, following)
    # The global state seeded with 7 is RandomState(7).
    assert_array_equal(first, reg.sample(X, n_samples=3, random_state=7))


# ---- reproducibility and sample weights -------------------------------------


def test_random_state_makes_fit_reproducible():
    """Two fits with the same int random_state have identical weights; others differ."""
    X, y = _regression_data()
    params = {"hidden_layer_sizes": (5,), "max_iter": 5, "batch_size": 8}
    first = _regressor(random_state=3, **params).fit(X, y)
    second = _regressor(random_state=3, **params).fit(X, y)
    other = _regressor(random_state=4, **params).fit(X, y)
    for a, b in zip(
        first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_
    ):
        assert_array_equal(a, b)
    assert not np.allclose(first.coefs_[0], other.coefs_[0])


FULL_BATCH = {
    "hidden_layer_sizes": (5,),
    "random_state": 0,
    "max_iter": 10,
    "shuffle": False,
}


@pytest.mark.parametrize("distribution", ["gaussian", "bernoulli"])
def test_zero_sample_weight_equals_dropping_the_row(distribution):
    """A zero-weight row changes nothing: same fit as without it (full batch)."""
    X, y = _unit_interval_data(n_samples=30)
    weights = np.ones(len(y))
    weights[[3, 17]] = 0
    # The training steps, to 1e-10 (the linear start is an L-BFGS fit whose
    # iterates differ by rounding: see test_training.py for it).
    params = {"alpha": 0.1, "start": "intercept_only", **FULL_BATCH}
    reg = _regressor(distribution=distribution, **params)
    with_zeros = reg.fit(X, y, sample_weight=weights)
    keep = weights > 0
    dropped = _regressor(distribution=distribution, **params)
    dropped.fit(X[keep], y[keep])
    _assert_same_network(with_zeros, dropped, rtol=1e-10)
    assert_allclose(with_zeros.loss_curve_, dropped.loss_curve_, rtol=1e-10)


def test_zero_sample_weight_alone_in_a_mini_batch():
    """A zero-weight row alone in a mini-batch is a no-op step, not a divergence."""
    X, y = _regression_data(n_samples=20)
    weights = np.ones(len(y))
    weights[3] = 0
    # Plain SGD without penalty, so that a no-op step is exactly a skipped row.
    params = {
        "hidden_layer_sizes": (4,),
        "batch_size": 1,
        "momentum": 0,
        "alpha": 0,
        "shuffle": False,
        "max_iter": 5,
        "random_state": 0,
    }
    reg = _regressor(**params).fit(X, y, sample_weight=weights)
    dropped = _regressor(**params).fit(np.delete(X, 3, axis=0), np.delete(y, 3))
    _assert_same_network(reg, dropped, rtol=1e-10)


@pytest.mark.parametrize("distribution", ["gaussian", "bernoulli"])
def test_integer_sample_weight_equals_repeating_rows(distribution):
    """Integer weights give the same fit as repeating each row that many times,
    with the penalty of as many samples as the weights are positive.

    Weights are relative (a global rescale is the same fit): the penalty
    weighs against the mean likelihood of the samples given, so the fit on
    ``N = sum(repeats)`` rows with ``alpha`` is the weighted fit of the ``n``
    rows with ``alpha * n / N``.
    """
    X, y = _unit_interval_data(n_samples=25)
    repeats = np.random.RandomState(0).randint(1, 4, size=len(y))
    alpha = 0.05
    weighted = _regressor(
        distribution=distribution,
        alpha=alpha * len(y) / repeats.sum(),
        **FULL_BATCH,
    )
    weighted.fit(X, y, sample_weight=repeats)
    repeated = _regressor(distribution=distribution, alpha=alpha, **FULL_BATCH)
    repeated.fit(np.repeat(X, repeats, axis=0), np.repeat(y, repeats))
    _assert_same_network(weighted, repeated, rtol=1e-9)
    if distribution == "gaussian":
        assert_allclose(weighted.sigma_, repeated.sigma_, rtol=1e-9)


@pytest.mark.parametrize("scale", [1e-12, 1 / 25, 1e9])
@pytest.mark.parametrize("estimator", ["regressor", "classifier"])
def test_a_global_rescale_of_sample_weight_is_the_same_fit(estimator, scale):
    """Weights are relative: w and c * w give the same model (the penalty does
    not grow against the likelihood as the weights shrink), even at 1e-12."""
    X, y = _regression_data(n_samples=60)
    weights = np.random.RandomState(2).uniform(0.2, 3.0, size=len(y))
    if estimator == "classifier":
        make, y = MLEClassifier, (y > np.median(y)).astype(int)
    else:
        make = MLERegressor
    params = {"hidden_layer_sizes": (6,), "max_iter": 30, "random_state": 0}
    reference = make(**params).fit(X, y, sample_weight=weights)
    rescaled = make(**params).fit(X, y, sample_weight=weights * scale)
    _assert_same_network(rescaled, reference, rtol=1e-9, atol=1e-12)


# ---- shapes, dtypes, sparse input --------------------------------------------


def test_multi_output_predict_shape():
    """2-D y gives (n, n_outputs) predictions; a one-column y gives 1-D ones."""
    X, Y = _regression_data(n_outputs=2)
    reg = _regressor((4,), random_state=0, max_iter=5).fit(X, Y)
    assert reg.n_outputs_ == 2
    assert reg.predict(X).shape == (len(X), 2)
    column = _regressor((4,), random_state=0, max_iter=5).fit(X, Y[:, :1])
    assert column.n_outputs_ == 1
    assert column.predict(X).shape == (len(X),)
    flat = _regressor((4,), random_state=0, max_iter=5).fit(X, Y[:, 0])
    assert_allclose(column.predict(X), flat.predict(X), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    """float32 X trains and predicts in float32; float64 stays float64."""
    X, y = _regression_data()
    reg = _regressor((5,), random_state=0, max_iter=5).fit(X.astype(dtype), y)
    assert all(c.dtype == dtype for c in reg.coefs_ + reg.intercepts_)
    assert reg.predict(X.astype(dtype)).dtype == dtype
    assert reg.predict(X.astype(dtype), return_std=True)[1].dtype == dtype
    assert reg.sample(X.astype(dtype), n_samples=2, random_state=0).dtype == dtype


def test_float32_fit_close_to_float64_fit():
    """A float32 fit approximates the float64 fit of the same data."""
    X, y = _regression_data()
    params = {"hidden_layer_sizes": (5,), "random_state": 0, "max_iter": 5}
    reg32 = _regressor(**params).fit(X.astype(np.float32), y)
    reg64 = _regressor(**params).fit(X, y)
    assert_allclose(
        reg32.predict(X.astype(np.float32)), reg64.predict(X), rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("standardize_inputs", [False, True])
@pytest.mark.parametrize("shuffle", [False, True])
def test_sparse_input_gives_dense_fit(shuffle, standardize_inputs):
    """CSR X gives the same network and predictions as dense X."""
    X, y = _regression_data()
    X[np.abs(X) < 0.7] = 0.0
    params = {
        "hidden_layer_sizes": (5,),
        "random_state": 0,
        "max_iter": 6,
        "batch_size": 9,
        "standardize_inputs": standardize_inputs,
    }
    dense = _regressor(shuffle=shuffle, **params).fit(X, y)
    sparse = _regressor(shuffle=shuffle, **params).fit(sp.csr_matrix(X), y)
    _assert_same_network(sparse, dense, rtol=1e-10)
    assert_allclose(sparse.predict(sp.csr_matrix(X)), dense.predict(X), rtol=1e-10)


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("hidden_layer_sizes", [(), (8,)])
def test_sparse_input_is_centred_and_scaled_as_dense(
    hidden_layer_sizes, compiled, monkeypatch
):
    """Standardized CSR X with large offsets gives the model of its dense copy
    (it was scaled, not centred: predictions 0.184 against 0.201, and large
    offsets diverged): the mean folds into the first layer, batch by batch."""
    from sklearn_mle_nn import _compiled

    if compiled:
        pytest.importorskip("numba")
    monkeypatch.setattr(_compiled, "ENABLED", compiled)
    X = _regression_data(n_samples=80)[0]
    X[np.abs(X) < 0.7] = 0.0
    X[X != 0] += 50.0
    X *= [1e3, 1.0, 1e-3]
    y = (X - X.mean(axis=0)) / X.std(axis=0) @ [1.0, -1.0, 0.5]
    params = {"hidden_layer_sizes": hidden_layer_sizes, "max_iter": 40}
    params["random_state"] = 0
    sparse = MLERegressor(**params).fit(sp.csr_matrix(X), y)
    dense = MLERegressor(**params).fit(X, y)
    assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-9)
    assert_allclose(sparse.predict(X), dense.predict(X), rtol=1e-9)
    assert dense.score(X, y) > 0.75  # it learns (40 epochs; 20 gave 0.64)


def test_sparse_input_is_centred_without_a_dense_copy():
    """Centring never densifies X: a fit on a 10000 x 1000 CSR matrix (80 MB
    dense) allocates a small fraction of that."""
    X = sp.random(10_000, 1_000, density=0.001, format="csr", random_state=0)
    X.data += 3.0
    y = np.random.RandomState(0).normal(size=X.shape[0])
    tracemalloc.start()
    try:
        MLERegressor(hidden_layer_sizes=(4,), max_iter=1, random_state=0).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * X.shape[0] * X.shape[1] * 8


def test_fitted_weight_shapes():
    """coefs_ and intercepts_ are shaped by the layers, input and output included."""
    X, Y = _regression_data(n_features=4, n_outputs=2)
    reg = _regressor((5, 3), random_state=0, max_iter=2).fit(X, Y)
    assert [c.shape for c in reg.coefs_] == [(4, 5), (5, 3), (3, 2)]
    assert [b.shape for b in reg.intercepts_] == [(5,), (3,), (2,)]
    assert reg.n_layers_ == 4
    assert reg.n_outputs_ == 2
    assert reg.n_features_in_ == 4
    assert reg.out_activation_ == "identity"


def test_coefs_init_is_the_starting_point():
    """With a negligible learning rate the fit stays at coefs_init / intercepts_init."""
    X, y = _regression_data()
    y = 30 * y + 100
    rng = np.random.RandomState(0)
    coefs = [rng.normal(size=(3, 4)), rng.normal(size=(4, 1))]
    intercepts = [rng.normal(size=4), rng.normal(size=1)]
    reg = _regressor((4,), learning_rate_init=1e-12, max_iter=1, random_state=0)
    reg.fit(X, y, coefs_init=coefs, intercepts_init=intercepts)
    for got, given in zip(reg.coefs_ + reg.intercepts_, coefs + intercepts):
        assert_allclose(got, given, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize(
    "coefs_init, intercepts_init",
    [
        ([np.ones((3, 5)), np.ones((4, 1))], [np.ones(4), np.ones(1)]),
        ([np.ones((3, 4)), np.ones((4, 2))], [np.ones(4), np.ones(1)]),
        ([np.ones((3, 4)), np.ones((4, 1))], [np.ones(3), np.ones(1)]),
        ([np.ones((3, 4))], [np.ones(4)]),
        ([np.ones((3, 4)), np.ones((4, 1))], None),
    ],
    ids=[
        "coef-shape",
        "output-count",
        "intercept-shape",
        "missing-layer",
        "coefs-only",
    ],
)
def test_coefs_init_with_wrong_shapes_raises(coefs_init, intercepts_init):
    """Initial weights not shaped as coefs_ / intercepts_ raise a ValueError."""
    X, y = _regression_data()
    reg = _regressor((4,), random_state=0, max_iter=1)
    with pytest.raises(ValueError, match="coefs_init|intercepts_init"):
        reg.fit(X, y, coefs_init=coefs_init, intercepts_init=intercepts_init)
    assert not hasattr(reg, "coefs_")


# ---- errors -----------------------------------------------------------------


@pytest.mark.parametrize("bad", [-0.5, 1.5])
def test_bernoulli_targets_outside_unit_interval_raise(bad):
    """Bernoulli targets outside [0, 1] raise a ValueError that says [0, 1]."""
    X, y = _unit_interval_data()
    y[4] = bad
    reg = _regressor((4,), distribution="bernoulli", random_state=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reg.fit(X, y)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reg.partial_fit(X, y)
    fitted = reg.set_params(max_iter=2).fit(X, np.clip(y, 0, 1))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fitted.log_likelihood(X, y)


def test_bernoulli_with_identity_output_raises():
    """out_activation='identity' cannot be a Bernoulli mean: ValueError naming it."""
    X, y = _unit_interval_data()
    reg = _regressor(distribution="bernoulli", out_activation="identity")
    with pytest.raises(ValueError, match="identity"):
        reg.fit(X, y)


# ---- model selection ----------------------------------------------------------


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["plain", "pipeline"])
def test_grid_search_over_distribution(in_pipeline):
    """GridSearchCV searches distribution on [0, 1] targets, alone or in a Pipeline."""
    X, y = _unit_interval_data(n_samples=90)
    # 100 epochs of two batches: from the intercept-only start, 40 left the
    # Bernoulli fit at R^2 0.34.
    reg = _regressor((8,), random_state=0, max_iter=100)
    if in_pipeline:
        estimator = make_pipeline(StandardScaler(), reg)
        grid = {"mleregressor__distribution": ["gaussian", "bernoulli"]}
    else:
        estimator, grid = reg, {"distribution": ["gaussian", "bernoulli"]}
    search = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
    # Both likelihoods learn the [0, 1] targets; the best one is refitted.
    assert np.all(scores > 0.5)
    [(key, candidates)] = grid.items()
    assert search.best_params_[key] == candidates[np.argmax(scores)]
    assert search.predict(X).shape == y.shape


# ---- real data -----------------------------------------------------------------


@pytest.fixture(scope="module")
def diabetes_scores():
    """Held-out R^2 and Gaussian NLL of three regressors over five splits."""
    X, y = load_diabetes(return_X_y=True)
    scores = {name: {"r2": [], "nll": []} for name in ("mle", "mlp", "ridge")}
    splits = ShuffleSplit(n_splits=5, test_size=0.25, random_state=0).split(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for train, test in splits:
            models = {
                "mle": make_pipeline(StandardScaler(), MLERegressor(random_state=0)),
                "mlp": make_pipeline(StandardScaler(), MLPRegressor(random_state=0)),
                "ridge": make_pipeline(StandardScaler(), BayesianRidge()),
            }
            for name, model in models.items():
                model.fit(X[train], y[train])
                prediction = model.predict(X[test])
                scores[name]["r2"].append(r2_score(y[test], prediction))
                if name == "mle":
                    X_test = model[:-1].transform(X[test])
                    nll = -model[-1].log_likelihood(X_test, y[test]).mean()
                else:
                    sigma = np.std(y[train] - model.predict(X[train]))
                    nll = -stats.norm.logpdf(y[test], prediction, sigma).mean()
                scores[name]["nll"].append(nll)
    return {name: {k: np.mean(v) for k, v in s.items()} for name, s in scores.items()}


@pytest.mark.peer_quality
def test_diabetes_r2_better_than_mlp_regressor(diabetes_scores):
    """Default MLERegressor beats default MLPRegressor on held-out R^2, clearly."""
    assert diabetes_scores["mle"]["r2"] > diabetes_scores["mlp"]["r2"] + 0.2


@pytest.mark.peer_quality
def test_diabetes_r2_close_to_bayesian_ridge(diabetes_scores):
    """Default MLERegressor's held-out R^2 is within 0.05 of BayesianRidge's."""
    assert diabetes_scores["mle"]["r2"] > diabetes_scores["ridge"]["r2"] - 0.05


@pytest.mark.peer_quality
def test_diabetes_nll_better_than_mlp_regressor(diabetes_scores):
    """Default MLERegressor has a clearly lower held-out NLL than MLPRegressor."""
    assert diabetes_scores["mle"]["nll"] < diabetes_scores["mlp"]["nll"] - 0.2


def _latitude_longitude(n_samples=1000, seed=0):
    """Two columns of large mean and small spread (47.6 + 0.002 * noise):
    float32 rounds their variance to within rounding of zero when computed
    in float32. The target depends on where each row sits in them."""
    rng = np.random.RandomState(seed)
    noise = rng.normal(size=(n_samples, 2))
    X = np.array([47.6, -122.3]) + 0.002 * noise
    y = np.sin(2 * noise[:, 0]) + noise[:, 1] + 0.1 * rng.normal(size=n_samples)
    return X, y


def test_float32_features_are_standardized_as_in_float64():
    """StandardScaler decides in float64 whatever the dtype: so does the
    input standardization, and a float32 fit scores as the float64 one
    (R² 0.12 against 0.88 when float32 columns were judged constant)."""
    X, y = _latitude_longitude()
    scores = [
        MLERegressor(hidden_layer_sizes=(16,), random_state=0)
        .fit(X.astype(dtype), y)
        .score(X.astype(dtype), y)
        for dtype in (np.float64, np.float32)
    ]
    assert scores[0] > 0.9
    assert abs(scores[1] - scores[0]) < 0.01


def test_float32_input_statistics_are_standard_scalers():
    from sklearn_mle_nn._network import Standardization

    X32 = _latitude_longitude()[0].astype(np.float32)
    scaler = StandardScaler().fit(X32)
    scaling = Standardization.fit_inputs(X32)
    assert_allclose(scaling.shift, scaler.mean_, rtol=1e-12)
    assert_allclose(scaling.scale, scaler.scale_, rtol=1e-6)


@pytest.mark.parametrize(
    "distribution, factor",
    [
        ("gaussian", 1e154),
        ("heteroscedastic_gaussian", 1e154),
        ("student_t", 1e154),
        ("gaussian", 1e300),
        ("gaussian", 1e-160),
        ("student_t", 1e-160),
    ],
)
def test_targets_of_extreme_magnitude_fit_as_the_rescaled_targets(distribution, factor):
    """Standardized targets make the fit on ``factor * y`` the fit on ``y``
    times ``factor``. The squares in their standard deviation overflowed
    beyond about 1e154 (every prediction NaN) and underflowed below about
    1e-154 (the targets were taken for a constant)."""
    X, y = _regression_data(n_samples=60)
    params = {"distribution": distribution, "max_iter": 20, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow
        scaled = MLERegressor(**params).fit(X, factor * y)
        predictions = scaled.predict(X)
    reference = MLERegressor(**params).fit(X, y).predict(X)
    assert_allclose(predictions / factor, reference, rtol=1e-8, atol=1e-12)


def _stream_r2(distribution, first_rows, n_passes=40):
    """R² of a partial_fit stream whose first chunk has ``first_rows`` rows,
    then ``n_passes`` passes over chunks of 50 (40: from the intercept-only
    start, whose output layer begins at zero, 20 passes reached 0.94 with
    two first rows)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3)) * [10.0, 1.0, 0.1] + [100.0, 0.0, 5.0]
    y = np.sin(X[:, 0] / 10) + X[:, 1] + 10 * X[:, 2] + 50
    y += 0.1 * rng.normal(size=400)
    reg = MLERegressor((16,), distribution=distribution, random_state=0)
    reg.partial_fit(X[:first_rows], y[:first_rows])
    for _ in range(n_passes):
        for start in range(first_rows, len(X), 50):
            reg.partial_fit(X[start : start + 50], y[start : start + 50])
    return reg.score(X, y)


def test_stream_with_a_one_row_first_chunk_learns_as_with_two():
    """A first chunk of one row cannot show any column's spread: the columns
    are standardized from the next chunk (R² was 0.49, every column left at
    the one row's magnitude, against 0.98 with two rows)."""
    one, two = _stream_r2("gaussian", 1), _stream_r2("gaussian", 2)
    assert two > 0.95
    assert one > two - 0.05


def test_heteroscedastic_stream_with_a_one_row_first_chunk_trains():
    """The spread of one row is zero: the first fit started its sigma at a
    perfect fit's, and the stream raised 'Training diverged'."""
    assert _stream_r2("heteroscedastic_gaussian", 1) > 0.95


def test_completing_a_streams_standardization_keeps_the_fitted_model():
    """Estimating the columns a one-row chunk could not changes the training
    space, not the model: the fitted weights mapped into the new space
    compute the same predictions."""
    from sklearn_mle_nn._activations import ACTIVATIONS
    from sklearn_mle_nn._network import forward

    X, y = _regression_data(n_samples=30)
    X[:, 2] += 100.0
    reg = MLERegressor((4,), activation="tanh", random_state=0).partial_fit(
        X[:1], y[:1]
    )
    network = copy.deepcopy(reg._network)
    assert network.input_scaling.incomplete and network.target_scaling.incomplete
    reg._complete_standardizations(network, X[1:], y[1:, np.newaxis], None)
    assert not network.input_scaling.incomplete
    assert_allclose(network.input_scaling.shift, X[1:].mean(axis=0))
    assert_allclose(network.target_scaling.scale, y[1:].std())
    coefs, intercepts = copy.deepcopy(reg.coefs_), copy.deepcopy(reg.intercepts_)
    network.to_training_space(coefs, intercepts)
    X_train = network.input_scaling.to_training(X)
    raw = forward(X_train, coefs, intercepts, [ACTIVATIONS["tanh"]])
    targets = network.target_scaling
    assert_allclose(
        raw[:, 0] * targets.scale + targets.shift, reg.predict(X), rtol=1e-12
    )


@pytest.mark.parametrize("factor", [1e14, 1e-14, 1e154])
def test_heteroscedastic_spread_follows_the_targets_units(factor):
    """The fit on ``factor * y`` predicts ``factor`` times the spread of the
    fit on ``y``, and log-likelihoods lower by ``log(factor)`` (the change of
    variables). Training's clip of the raw log-scales at 30 was applied in
    the targets' units: sigma of targets around 1e14 was held below 1e13."""
    X, y = _regression_data(n_samples=60)
    params = {"distribution": "heteroscedastic_gaussian", "max_iter": 20}
    params["random_state"] = 0
    scaled = MLERegressor(**params).fit(X, factor * y)
    reference = MLERegressor(**params).fit(X, y)
    assert_allclose(
        scaled.predict(X, return_std=True)[1] / factor,
        reference.predict(X, return_std=True)[1],
        rtol=1e-8,
    )
    assert_allclose(
        scaled.log_likelihood(X, factor * y) + np.log(factor),
        reference.log_likelihood(X, y),
        rtol=1e-8,
        atol=1e-8,
    )
