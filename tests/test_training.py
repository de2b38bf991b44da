"""Tests of the shared training loop, through the public estimators."""

import copy
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from _params import SKLEARN_SGD_DEFAULTS
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_mle_nn import (
    MLEAutoencoder,
    MLEClassifier,
    MLERegressor,
    _steps,
    _training,
)
from sklearn_mle_nn.distributions import Distribution

BASE = dict(SKLEARN_SGD_DEFAULTS)

# No stopping rule: run exactly max_iter epochs.
NEVER_STOP = {"tol": 0, "n_iter_no_change": 10_000}


def _regressor(hidden_layer_sizes=(5,), **params):
    return MLERegressor(hidden_layer_sizes, **{**BASE, **params})


def _data(n_samples=40, seed=0, scale=1.0, shift=0.0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 3))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=n_samples)
    return X, scale * y + shift


def _weights(estimator):
    return [w.copy() for w in estimator.coefs_ + estimator.intercepts_]


def _snapshot(estimator):
    """Deep copies of every fitted attribute."""
    return {
        key: copy.deepcopy(value)
        for key, value in vars(estimator).items()
        if key.endswith("_") and not key.startswith("__")
    }


def _assert_same_state(estimator, snapshot):
    assert set(snapshot) <= set(vars(estimator))
    for key, value in snapshot.items():
        current = getattr(estimator, key)
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            assert len(current) == len(value)
            for a, b in zip(current, value):
                assert_array_equal(a, b)
        elif isinstance(value, np.ndarray):
            assert_array_equal(current, value)
        elif isinstance(value, Distribution):
            # The fitted copy: same class, parameters and fitted constants.
            assert type(current) is type(value), key
            assert current.get_params() == value.get_params(), key
            assert_array_equal(
                getattr(current, "scale_", 1.0), getattr(value, "scale_", 1.0)
            )
        else:
            assert current == value, key


# ---- partial_fit ---------------------------------------------------------------


def test_partial_fit_runs_one_epoch_per_call():
    """Each partial_fit call adds one epoch: n_iter_ + 1, t_ + n_samples, one loss."""
    X, y = _data()
    reg = _regressor(batch_size=8)
    for call in range(1, 4):
        reg.partial_fit(X, y)
        assert reg.n_iter_ == call
        assert reg.t_ == call * len(X)
        assert len(reg.loss_curve_) == call
        assert reg.loss_ == reg.loss_curve_[-1]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_calls_equal_one_fit(solver):
    """n partial_fit calls equal fit(max_iter=n): the optimizer state is kept."""
    X, y = _data(scale=3.0, shift=1.0)
    params = {"solver": solver, "shuffle": False, "batch_size": 8, **NEVER_STOP}
    incremental = _regressor(**params)
    for _ in range(5):
        incremental.partial_fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = _regressor(max_iter=5, **params).fit(X, y)
    for a, b in zip(_weights(incremental), _weights(full)):
        assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert_allclose(incremental.loss_curve_, full.loss_curve_, rtol=1e-9)


def test_partial_fit_does_not_warn_about_convergence():
    """partial_fit never raises a ConvergenceWarning (it always runs one epoch)."""
    X, y = _data()
    reg = _regressor(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for _ in range(3):
            reg.partial_fit(X, y)
    assert reg.n_iter_ == 3


# ---- the parameter vector in parts -------------------------------------------


@pytest.mark.parametrize(
    "solver_params",
    [
        {"solver": "sgd", "nesterovs_momentum": True},
        {"solver": "sgd", "nesterovs_momentum": False},
        {"solver": "sgd", "momentum": 0.0},
        {"solver": "adam"},
    ],
    ids=["nesterov", "momentum", "plain", "adam"],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_updating_in_parts_gives_the_same_fit(monkeypatch, solver_params):
    """Walking the vector in parts of 7 (20 weights, 6 intercepts) changes nothing.

    Every vector operation of a step is elementwise, so the parameters are
    bit for bit those of an update of the whole vector at once.
    """
    X, y = _data(scale=3.0)
    weights = np.random.RandomState(1).uniform(0.5, 2.0, size=len(X))
    params = {"alpha": 0.3, "batch_size": 8, "max_iter": 4, **solver_params}
    whole = _regressor(**params).fit(X, y, sample_weight=weights)
    monkeypatch.setattr(_steps, "UPDATE_PART", 7)
    in_parts = _regressor(**params).fit(X, y, sample_weight=weights)
    for a, b in zip(_weights(in_parts), _weights(whole)):
        assert_array_equal(a, b)
    # Only the penalty is summed in another order.
    assert_allclose(in_parts.loss_curve_, whole.loss_curve_, rtol=1e-12)


# ---- warm start ----------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_continues_from_previous_weights():
    """A warm-started fit begins at the previous fit's loss, not at a fresh start."""
    X, y = _data()
    reg = _regressor(max_iter=30, **NEVER_STOP).fit(X, y)
    first_curve = list(reg.loss_curve_)
    reg.set_params(warm_start=True, max_iter=5).fit(X, y)
    warm_first = reg.loss_curve_[len(first_curve)]
    cold = _regressor(max_iter=5, **NEVER_STOP).fit(X, y)
    assert len(reg.loss_curve_) == len(first_curve) + 5
    # The warm fit's first epoch is near the end of the first fit, far from a
    # cold start's first epoch.
    gap_warm = abs(warm_first - first_curve[-1])
    gap_cold = abs(cold.loss_curve_[0] - first_curve[-1])
    assert gap_warm < 0.1 * gap_cold
    assert not np.allclose(reg.coefs_[0], cold.coefs_[0])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_warm_start_with_plain_sgd_equals_one_longer_fit():
    """With a stateless optimizer, fit(10) then warm fit(5) equals fit(15)."""
    X, y = _data(scale=2.0)
    params = {"momentum": 0, "shuffle": False, "batch_size": 8, **NEVER_STOP}
    warm = _regressor(max_iter=10, **params).fit(X, y)
    warm.set_params(warm_start=True, max_iter=5).fit(X, y)
    long = _regressor(max_iter=15, **params).fit(X, y)
    for a, b in zip(_weights(warm), _weights(long)):
        assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# ---- early stopping --------------------------------------------------------------


def _early_stopping_fit(n_iter_no_change=3):
    X, y = _data(n_samples=80)
    reg = _regressor(
        (8,),
        early_stopping=True,
        validation_fraction=0.25,
        tol=0,
        n_iter_no_change=n_iter_no_change,
        max_iter=500,
        learning_rate_init=0.05,
    )
    return reg.fit(X, y), X, y


def test_early_stopping_stops_after_n_iter_no_change_epochs():
    """With tol=0, training stops n_iter_no_change + 1 epochs after the best score."""
    n_iter_no_change = 3
    reg, _, _ = _early_stopping_fit(n_iter_no_change)
    scores = reg.validation_scores_
    assert reg.n_iter_ < 500  # stopped by the rule, not by max_iter
    assert len(scores) == reg.n_iter_
    assert reg.best_validation_score_ == max(scores)
    best_epoch = int(np.argmax(scores)) + 1
    assert reg.n_iter_ == best_epoch + n_iter_no_change + 1
    assert reg.best_loss_ is None


def test_early_stopping_restores_best_weights():
    """After early stopping the model scores best_validation_score_ on held-out data."""
    reg, X, y = _early_stopping_fit()
    # Rebuild the split: the random state draws the initial weights first
    # (uniform, coefficients then intercepts, layer by layer), then the split.
    random_state = np.random.RandomState(0)
    for fan_in, fan_out in [(3, 8), (8, 1)]:
        random_state.uniform(size=(fan_in, fan_out))
        random_state.uniform(size=fan_out)
    _, X_val, _, y_val = train_test_split(
        X, y, test_size=0.25, random_state=random_state
    )
    # The Gaussian log-likelihood of the held-out targets, at the noise scale
    # training holds: the targets' standard deviation (training standardizes
    # them by it).
    score = stats.norm.logpdf(y_val, reg.predict(X_val), np.std(y)).mean()
    assert_allclose(score, reg.best_validation_score_, rtol=1e-9)
    # The last epoch was worse: its weights were not kept.
    assert reg.validation_scores_[-1] < reg.best_validation_score_


def test_early_stopping_keeps_the_best_running_average_of_the_weights():
    """With average_decay, the validation set scores an exponential moving
    average of the epochs' weights, and the best average is kept: here one
    that no single epoch had."""
    epochs = iter([[4.0, 0.0], [0.0, 4.0], [0.0, 0.0]])
    step = SimpleNamespace(model=SimpleNamespace(params=None))
    scored = []

    def validation(params):
        scored.append(params.copy())
        return -float(np.sum((params - 1.0) ** 2))

    monitor = _training.ConvergenceMonitor(
        0.0, 10, validation=validation, average_decay=0.5
    )
    history = _training.History(validation_scores=[], best_validation_score=-np.inf)
    for weights in epochs:
        step.model.params = np.array(weights)
        assert not monitor.should_stop(history, step)
    assert_allclose(scored, [[4.0, 0.0], [2.0, 2.0], [1.0, 1.0]])
    assert_allclose(monitor.best_params, [1.0, 1.0])
    assert history.validation_scores == [-10.0, -2.0, 0.0]


@pytest.mark.parametrize("average_decay, patience", [(None, 3), (0.9, 12), (0.5, 4)])
def test_a_running_average_waits_its_lag_before_stopping(average_decay, patience):
    """The running average trails the weights by decay / (1 - decay) epochs:
    training stops after n_iter_no_change plus that many epochs without
    improvement (scikit-learn's count alone without an average)."""
    step = SimpleNamespace(
        model=SimpleNamespace(params=np.zeros(2)),
        optimizer=SimpleNamespace(no_improvement=lambda: (True, "stop")),
    )
    monitor = _training.ConvergenceMonitor(
        0.1, 3, validation=lambda params: 0.0, average_decay=average_decay
    )
    history = _training.History(validation_scores=[], best_validation_score=-np.inf)
    epochs = 1
    while not monitor.should_stop(history, step):
        epochs += 1
        assert epochs < 100
    # The first epoch sets the best score; more than `patience` epochs follow.
    assert epochs == 1 + patience + 1


@pytest.mark.parametrize(
    "distribution, averaged",
    [("gaussian", False), ("heteroscedastic_gaussian", True)],
)
def test_early_stopping_averages_the_weights_of_a_predicted_spread(
    monkeypatch, distribution, averaged
):
    """The held-out likelihood of a predicted spread scores the running average
    of the weights (an average that keeps nothing of the past is the epoch's
    own weights, and changes the scores); a mean alone keeps scikit-learn's
    rule, which the average's setting does not touch."""
    X, y = _data(n_samples=200)
    params = dict(distribution=distribution, early_stopping=True, max_iter=20, tol=0)
    default = MLERegressor((8,), random_state=0, **params).fit(X, y)
    monkeypatch.setattr(_training, "AVERAGE_DECAY", 0.0)
    one_epoch = MLERegressor((8,), random_state=0, **params).fit(X, y)
    assert default.validation_scores_[0] == one_epoch.validation_scores_[0]
    differ = default.validation_scores_[1:] != one_epoch.validation_scores_[1:]
    assert differ == averaged


# ---- verbose output, warnings ------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_verbose_prints_the_loss_of_every_epoch(capsys):
    """verbose=True prints 'Iteration i, loss = <loss_curve_[i-1]>' per epoch."""
    X, y = _data()
    reg = _regressor(verbose=True, max_iter=4, **NEVER_STOP).fit(X, y)
    lines = re.findall(r"Iteration (\d+), loss = (\S+)", capsys.readouterr().out)
    assert [int(i) for i, _ in lines] == [1, 2, 3, 4]
    assert_allclose([float(loss) for _, loss in lines], reg.loss_curve_, atol=1e-8)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_silent_by_default(capsys):
    """verbose=False prints nothing."""
    X, y = _data()
    _regressor(max_iter=50).fit(X, y)
    assert capsys.readouterr().out == ""


def test_convergence_warning_when_max_iter_is_reached():
    """Reaching max_iter before convergence warns with a ConvergenceWarning."""
    X, y = _data()
    reg = _regressor(max_iter=3)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        reg.fit(X, y)
    assert reg.n_iter_ == 3


def test_no_convergence_warning_when_training_converges():
    """Training that stops by the tol rule does not warn."""
    X, y = _data()
    reg = _regressor(tol=1e3, n_iter_no_change=2, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    # The first epoch sets best_loss_; the next three do not improve by tol.
    assert reg.n_iter_ == 4


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_batch_size_larger_than_n_samples_is_clipped_silently():
    """batch_size > n_samples trains as batch_size = n_samples, with no warning.

    partial_fit streams small chunks; a warning for each would be noise.
    """
    X, y = _data(n_samples=30)
    params = {"max_iter": 4, **NEVER_STOP}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        clipped = _regressor(batch_size=100, **params).fit(X, y)
        exact = _regressor(batch_size=30, **params).fit(X, y)
    for a, b in zip(_weights(clipped), _weights(exact)):
        assert_array_equal(a, b)


# ---- divergence ------------------------------------------------------------------


DIVERGED = r"(?s)diverged.*learning_rate_init"


def test_divergence_raises_and_leaves_estimator_unfitted():
    """A step too huge to recover from raises a clear error and fits nothing.

    (A blown-up epoch is undone with the step quartered, at most ten times:
    1e12 stays far too large.)
    """
    X, y = _data(n_samples=20)
    reg = _regressor((4,), learning_rate_init=1e12)
    with pytest.raises(ValueError, match=DIVERGED):
        reg.fit(1000 * X, y)
    assert not hasattr(reg, "coefs_")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_failed_warm_start_fit_keeps_the_fitted_model():
    """A diverging warm-started fit leaves the previous model exactly as it was."""
    X, y = _data(n_samples=20)
    reg = _regressor((4,), max_iter=20, batch_size=1).fit(X, y)
    before, prediction = _snapshot(reg), reg.predict(X)
    reg.set_params(warm_start=True, learning_rate_init=1e4)
    with pytest.raises(ValueError, match=DIVERGED):
        reg.fit(1000 * X, y)
    _assert_same_state(reg, before)
    assert_array_equal(reg.predict(X), prediction)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_failed_partial_fit_keeps_the_fitted_model():
    """A diverging partial_fit leaves the model, optimizer state included, unchanged."""
    X, y = _data(n_samples=20)
    reg = _regressor((), max_iter=20, batch_size=1).fit(X, y)
    twin = copy.deepcopy(reg)
    before = _snapshot(reg)
    # Features so large that the squared error overflows whatever the step.
    with pytest.raises(ValueError, match=DIVERGED):
        reg.partial_fit(1e300 * X, y)
    _assert_same_state(reg, before)
    # The momentum was not touched either: the next step is the untouched twin's.
    reg.partial_fit(X, y)
    twin.partial_fit(X, y)
    for a, b in zip(_weights(reg), _weights(twin)):
        assert_array_equal(a, b)


# ---- what the loss means ------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_loss_is_gaussian_nll_with_noise_scale_std_y():
    """loss_ is the mean Gaussian NLL of the training targets with scale std(y)."""
    X, y = _data(n_samples=60, scale=40.0, shift=100.0)
    # Full batch and no penalty: the last epoch's loss is the NLL at the weights
    # of the last step, one small step away from the final ones.
    reg = _regressor((8,), alpha=0, max_iter=300, learning_rate_init=0.01).fit(X, y)
    expected = -stats.norm.logpdf(y, reg.predict(X), np.std(y)).mean()
    assert_allclose(reg.loss_, expected, rtol=2e-3)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_loss_with_sample_weight_is_weighted_mean_nll():
    """With sample weights, loss_ is the weighted mean NLL, scale the weighted std."""
    X, y = _data(n_samples=60, scale=5.0)
    weights = np.random.RandomState(1).uniform(0.1, 3, size=len(y))
    reg = _regressor((8,), alpha=0, max_iter=300, shuffle=False)
    reg.fit(X, y, sample_weight=weights)
    mean = np.average(y, weights=weights)
    scale = np.sqrt(np.average((y - mean) ** 2, weights=weights))
    nll = -stats.norm.logpdf(y, reg.predict(X), scale)
    assert_allclose(reg.loss_, np.average(nll, weights=weights), rtol=2e-3)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_bernoulli_loss_is_mean_cross_entropy():
    """For 'bernoulli' loss_ is the mean binary cross-entropy of the targets."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = (rng.uniform(size=60) < 1 / (1 + np.exp(-2 * X[:, 0]))).astype(float)
    reg = _regressor((8,), distribution="bernoulli", alpha=0, max_iter=300).fit(X, y)
    expected = -stats.bernoulli.logpmf(y, reg.predict(X)).mean()
    assert_allclose(reg.loss_, expected, rtol=5e-3)


def test_a_stream_pools_its_noise_scale_over_the_latest_rows():
    """partial_fit's sigma_ is that of about the latest 200 rows: a trailing
    chunk of one row does not set it alone (it took sigma_ from 0.96 to
    0.09), nor do the first pass's residuals stay in it (pooled over every
    chunk, it was 1.25 after five passes, for unit noise)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1001, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=1001)
    model = MLERegressor(random_state=0)
    for _ in range(5):
        for start in range(0, 1000, 100):
            model.partial_fit(X[start : start + 100], y[start : start + 100])
    before = model.sigma_.copy()
    assert 0.95 < before[0] < 1.1
    model.partial_fit(X[1000:], y[1000:])
    assert_allclose(model.sigma_, before, rtol=0.01)


def test_a_warm_refit_keeps_its_start_unless_an_epoch_validates_better():
    """Early stopping keeps the weights of the best validation score; a warm
    refit starts from them, with their score. When no new epoch beats it,
    the refit keeps them (it kept its first new epoch's, which scored less
    than best_validation_score_ said)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 4))
    y = X @ [1.0, -1.0, 0.5, 2.0] + 0.2 * rng.normal(size=150)
    model = MLERegressor(
        hidden_layer_sizes=(5,),
        solver="adam",
        batch_size=16,
        learning_rate_init=0.01,
        random_state=0,
        max_iter=12,
        early_stopping=True,
        n_iter_no_change=3,
        warm_start=True,
        # On this linear data a linear start is hard to beat at all.
        start="intercept_only",
    ).fit(X, y)
    best, coefs = model.best_validation_score_, [c.copy() for c in model.coefs_]
    model.set_params(max_iter=3).fit(X, y)
    new_scores = model.validation_scores_[-3:]
    if max(new_scores) > best:  # the data did not make the case: not a test
        pytest.fail(f"a new epoch validated better: {new_scores} > {best}")
    assert model.best_validation_score_ == best
    # The same weights, up to the rounding of mapping them to the training
    # units and back (standardized inputs).
    for kept, fitted in zip(coefs, model.coefs_):
        assert_allclose(fitted, kept, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("interrupted_epoch", [1, 3])
def test_an_interrupted_fit_warns_and_keeps_what_it_learned(
    monkeypatch, interrupted_epoch
):
    """Ctrl-C during training, as scikit-learn's MLP: a warning, and the model
    of the last complete epoch (the start, if none completed: no loss_), which
    predicts. Interrupting the first epoch raised IndexError."""
    run_epoch, calls = _training._run_epoch, []

    def interrupted(*args, **kwargs):
        calls.append(None)
        if len(calls) == interrupted_epoch:
            raise KeyboardInterrupt
        return run_epoch(*args, **kwargs)

    monkeypatch.setattr(_training, "_run_epoch", interrupted)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = X @ [1.0, -1.0, 0.5]
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        model = MLERegressor(random_state=0, early_stopping=False).fit(X, y)
    assert len(model.loss_curve_) == interrupted_epoch - 1 == model.n_iter_
    if interrupted_epoch == 1:
        assert model.loss_ is None
    else:
        assert model.loss_ == model.loss_curve_[-1]
    assert np.isfinite(model.predict(X)).all()


def test_continued_training_keeps_the_fitted_dtype():
    """A float32 chunk after float64 ones trains the float64 model on (it
    repacked the weights as float32, the optimizer's state staying float64),
    and a float64 chunk continues a float32 model in float32."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 3))
    y = X @ [1.0, -1.0, 0.5]
    model = MLERegressor(random_state=0).partial_fit(X, y)
    model.partial_fit(X.astype(np.float32), y.astype(np.float32))
    assert model.coefs_[0].dtype == model._optimizer.velocity.dtype == np.float64
    model = MLERegressor(random_state=0).partial_fit(X.astype(np.float32), y)
    model.partial_fit(X, y)
    assert model.coefs_[0].dtype == model._optimizer.velocity.dtype == np.float32


@pytest.mark.parametrize("name", ["regressor", "classifier", "autoencoder"])
def test_the_fit_does_not_depend_on_how_the_data_is_stored(name):
    """CSR and CSC, row- and column-major arrays: the same numbers, the same
    fit to the last bit. (A column-major array's means, CSC's dense copy and
    the unsorted rows that scaling CSR leaves summed in other orders: the
    autoencoder ended 84 or 260 epochs in.)"""
    X_sparse = sp.random(150, 12, density=0.3, random_state=0, format="csr")
    X_dense = X_sparse.toarray() * np.logspace(0, 3, 12) + 5
    y = X_dense @ np.linspace(-1, 1, 12)
    make, target = {
        "regressor": (MLERegressor, y),
        "classifier": (MLEClassifier, y > np.median(y)),
        "autoencoder": (MLEAutoencoder, None),
    }[name]

    def fitted(X):
        model = make(random_state=0, max_iter=30)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return model.fit(X) if target is None else model.fit(X, target)

    for stored in [
        (X_sparse, X_sparse.tocsc()),
        (X_dense, np.asfortranarray(X_dense)),
    ]:
        first, second = (fitted(X) for X in stored)
        for a, b in zip(
            first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_
        ):
            assert_array_equal(a, b)
