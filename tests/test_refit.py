"""early_stopping='refit' (the classifier's default): how long to train is
chosen on held-out rows, then the network is fitted on all of them."""

import copy
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import (
    MLEAutoencoder,
    MLEClassifier,
    MLERegressor,
    _capacity,
    _refit,
    _training,
)


def _seed(random_state):
    """The seed of every fit of 'refit': an int random_state, or a draw."""
    if isinstance(random_state, int):
        return random_state
    return random_state.randint(np.iinfo(np.int32).max)


def _noisy_labels(seed, n_samples=300, n_features=8, signal=1.0):
    """Labels of a linear logistic model (``signal`` scales its weights):
    weak signal and many noisy labels, as on small medical tables."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(2 * n_samples, n_features)) * 10.0 ** rng.uniform(
        -2, 3, size=n_features
    )
    logits = signal * (X / X.std(axis=0)) @ rng.normal(size=n_features)
    y = (rng.uniform(size=len(X)) < 1 / (1 + np.exp(-logits))).astype(int)
    return X[:n_samples], y[:n_samples], X[n_samples:], y[n_samples:]


def _kept_epoch(model):
    """The epoch whose weights early stopping kept, from the public record:
    0 when the start scored better than every epoch."""
    scores = np.asarray(model.validation_scores_)
    if model.best_validation_score_ > scores.max():
        return 0
    return int(np.argmax(scores)) + 1


def _weights(model):
    return np.concatenate([w.ravel() for w in [*model.coefs_, *model.intercepts_]])


def test_the_classifier_refits_by_default():
    assert MLEClassifier().early_stopping == "refit"
    assert MLERegressor().early_stopping == "auto"


def _problem(kind):
    """An estimator class, its features and its targets (None for the
    autoencoder)."""
    X, y, _, _ = _noisy_labels(0)
    if kind == "classifier":
        return MLEClassifier, X, y
    if kind == "regressor":
        # Not linear: the network learns it in epochs (the linear start is
        # not kept).
        Z = (X - X.mean(axis=0)) / X.std(axis=0)
        return MLERegressor, X, np.sin(2 * Z[:, 0]) + Z[:, 1] ** 2 + 0.3 * y
    return MLEAutoencoder, X, None


@pytest.mark.parametrize("kind", ["classifier", "regressor", "autoencoder"])
@pytest.mark.parametrize("instance", [False, True])
@pytest.mark.parametrize("overfits", [False, True])
def test_the_final_fit_is_on_all_rows_for_the_chosen_epochs(
    overfits, instance, kind, monkeypatch
):
    """With the choice forced each way: the fit is a fit without early
    stopping on all the rows, from random_state (an int, or a seed drawn
    from a RandomState), for max_iter epochs or for those of the epoch
    that early stopping kept (read from the validation scores it
    reports)."""
    monkeypatch.setattr(_refit, "_overfits", lambda *args: overfits)
    cls, X, y = _problem(kind)
    targets = () if y is None else (y,)
    params = {"hidden_layer_sizes": (8,), "max_iter": 60, "early_stopping": "refit"}
    if kind == "regressor":
        params["learning_rate_init"] = 0.02  # to stop within max_iter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        random_state = np.random.RandomState(1) if instance else 1
        model = cls(random_state=random_state, **params).fit(X, *targets)
        epochs = _kept_epoch(model) if overfits else params["max_iter"]
        seed = _seed(np.random.RandomState(1) if instance else 1)
        reference = cls(
            random_state=seed,
            **{**params, "early_stopping": False, "max_iter": max(epochs, 1)},
        ).fit(X, *targets)
    if overfits:
        assert 0 < epochs < params["max_iter"]
    assert model.n_iter_ == reference.n_iter_ <= epochs
    assert_allclose(_weights(model), _weights(reference))
    # Early stopping's record: one score per epoch it ran, the kept one's
    # the best (or the start's, higher still).
    assert len(model.validation_scores_) >= _kept_epoch(model)
    assert model.best_validation_score_ >= max(model.validation_scores_)
    assert model.best_loss_ == min(model.loss_curve_)
    assert not hasattr(model, "_chosen_epochs")


def test_a_predicted_spread_refits_as_early_stopping_keeps_it(monkeypatch):
    """A network that predicts the spread (early stopping keeps a running
    average of its weights, and calibrates the spread on the validation
    rows): the final fit for the kept epochs ends at the running average of
    its weights over those epochs (AVERAGE_DECAY of the average kept every
    epoch, from the first epoch's weights), and its spread takes the factor
    that the validation rows gave the kept network."""
    fits = _record_fits(monkeypatch)
    monkeypatch.setattr(_refit, "_overfits", lambda *args: True)
    # The weights after every epoch, and those the final fit ends training
    # with (before the checks that may replace them), in training space.
    epochs, ended = [], []
    should_stop = _training.ConvergenceMonitor.should_stop
    choose_network = _training._choose_network
    monkeypatch.setattr(
        _training.ConvergenceMonitor,
        "should_stop",
        lambda self, history, step: (
            epochs.append(step.model.params.copy()) or should_stop(self, history, step)
        ),
    )
    monkeypatch.setattr(
        _training,
        "_choose_network",
        lambda model, *args: (
            ended.append(model.params.copy()) or choose_network(model, *args)
        ),
    )
    _, X, y = _problem("regressor")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLERegressor(
            distribution="heteroscedastic_gaussian",
            hidden_layer_sizes=(8,),
            max_iter=60,
            early_stopping="refit",
            random_state=1,
        ).fit(X, y)
    kept = _kept_epoch(model)
    assert 1 < kept < 60 and model.n_iter_ == kept
    final_epochs = epochs[-kept:]  # the final fit's
    average = final_epochs[0]
    for weights in final_epochs[1:]:
        decay = _training.AVERAGE_DECAY
        average = decay * average + (1 - decay) * weights
    assert_allclose(ended[-1], average, rtol=1e-10, atol=1e-12)
    assert not np.allclose(ended[-1], final_epochs[-1])
    first = fits[0]
    assert np.all(first.distribution_.spread_factor_ >= 1)
    assert_allclose(
        model.distribution_.spread_factor_, first.distribution_.spread_factor_
    )


@pytest.mark.parametrize("variational", [False, True])
def test_the_autoencoder_judges_training_longer_by_its_log_likelihood(variational):
    """The autoencoder's choice reads score_samples on the validation rows
    (the log-likelihood of the rows, importance-sampled for a variational
    one): 'refit' runs, and holds out rows for the record."""
    X, _, _, _ = _noisy_labels(1, n_samples=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLEAutoencoder(
            early_stopping="refit", variational=variational, max_iter=30, random_state=0
        ).fit(X)
    assert len(model.validation_scores_) >= 1
    assert model.n_iter_ <= 30
    assert np.all(np.isfinite(model.score_samples(X)))


def test_on_noise_the_refit_is_the_linear_start_on_all_rows():
    """Labels independent of the features: early stopping keeps the linear
    start (no epoch), training longer overfits, and the fit is the linear
    start of all the rows, scikit-learn's LogisticRegression with the same
    penalty (alpha / batch_size on the mean log-loss, on standardized
    features), without a ConvergenceWarning."""
    rng = np.random.RandomState(3)
    X = rng.normal(size=(300, 5)) * [1, 10, 100, 0.1, 1000]
    y = rng.randint(2, size=300)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = MLEClassifier(random_state=0).fit(X, y)
    assert _kept_epoch(model) == 0
    assert model.n_iter_ == 0 and model.loss_curve_ == []
    penalty = model.alpha / model.batch_size
    Z = StandardScaler().fit_transform(X)
    reference = LogisticRegression(C=1 / (penalty * len(X)), tol=1e-10).fit(Z, y)
    assert_allclose(model.predict_proba(X), reference.predict_proba(Z), atol=1e-5)


def test_on_noisy_labels_refit_stops_where_training_longer_overfits():
    """Small noisy tables (Pima-like): without early stopping the network
    fits the noise of the labels; 'refit' stays within 0.05 nats of
    logistic regression, and far ahead of the network trained to
    convergence (means over four datasets)."""
    ours, full, linear = [], [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for seed in range(4):
            X, y, X_test, y_test = _noisy_labels(seed, n_samples=200, signal=0.7)
            for scores, model in (
                (ours, MLEClassifier(random_state=seed)),
                (full, MLEClassifier(early_stopping=False, random_state=seed)),
                (linear, LogisticRegression()),
            ):
                scaler = StandardScaler().fit(X)
                model.fit(scaler.transform(X), y)
                proba = model.predict_proba(scaler.transform(X_test))
                scores.append(log_loss(y_test, proba))
    assert np.mean(ours) < np.mean(linear) + 0.05
    assert np.mean(ours) < np.mean(full) - 0.1


def _record_fits(monkeypatch):
    """The estimators that 'refit' fits, in order, recorded as it fits them."""
    fits = []
    monkeypatch.setattr(
        _capacity,
        "fit_recording_warnings",
        lambda estimator, *args, fit=_capacity.fit_recording_warnings: (
            fits.append(estimator) or fit(estimator, *args)
        ),
    )
    return fits


def _row_log_loss(model, X, y):
    proba = model.predict_proba(X)
    return -np.log(proba[np.arange(len(y)), np.searchsorted(model.classes_, y)])


# Noisy labels, where training longer overfits, and a strong signal, where
# it does not: each branch is taken.
@pytest.mark.parametrize("signal, overfits", [(0.7, True), (3.0, False)])
def test_the_kept_network_is_judged_against_its_own_run_trained_to_the_end(
    signal, overfits, monkeypatch, capsys
):
    """One run chooses: it keeps the epoch that scored best on the
    validation rows until their score's plateau, and trains on until the
    training loss stops improving (tol, n_iter_no_change), as without early
    stopping. Where the kept network's per-row validation log-loss is lower
    than the network's at the end by more than MARGIN standard errors of
    the difference (scipy's), the final fit trains for the kept epochs;
    otherwise to the end; verbose says which."""
    X, y, _, _ = _noisy_labels(1, n_samples=200, signal=signal)
    fits = _record_fits(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLEClassifier(random_state=1, verbose=True).fit(X, y)
    assert len(fits) == 2
    first = fits[0]
    # verbose says which way it chose.
    told = "for the" if overfits else "as without early stopping"
    assert f"Refit on all the rows, {told}" in capsys.readouterr().out
    # The run went on past the plateau of the validation score, to the
    # training loss's own (no improvement by tol in its last epochs) or to
    # max_iter.
    curve, patience = np.asarray(first.loss_curve_), first.n_iter_no_change
    assert len(first.validation_scores_) < first.n_iter_ <= first.max_iter
    assert (
        first.n_iter_ == first.max_iter
        or curve[-patience - 1 :].min() > curve[: -patience - 1].min() - first.tol
    )
    rows = first._validation_rows
    trained = copy.copy(first)
    vars(trained).update(first._trained_to_the_end)
    gain = _row_log_loss(trained, X[rows], y[rows]) - _row_log_loss(
        first, X[rows], y[rows]
    )
    assert (gain.mean() > _refit.MARGIN * stats.sem(gain)) == overfits
    if overfits:
        assert 0 < model.n_iter_ == _kept_epoch(model)
    else:
        assert model.n_iter_ > _kept_epoch(model)


def test_without_rows_to_hold_out_refit_is_one_fit_on_all_rows():
    """Too few rows for a validation set of 10, or a class of one member
    (too few for the stratified split): the fit is the one without early
    stopping, from the same seed, warnings included."""
    X, y, _, _ = _noisy_labels(1, n_samples=60)
    X_many, y_many, _, _ = _noisy_labels(1, n_samples=180)
    y_many[7] = 2  # the only member of its class
    for features, labels in ((X, y), (X_many, y_many)):
        with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
            model = MLEClassifier(max_iter=5, random_state=2).fit(features, labels)
        with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
            reference = MLEClassifier(
                early_stopping=False, max_iter=5, random_state=_seed(2)
            ).fit(features, labels)
        assert model.validation_scores_ is None
        assert_allclose(_weights(model), _weights(reference))


def test_early_stopping_true_still_refuses_a_class_too_rare_to_split():
    X = np.arange(200.0).reshape(100, 2)
    y = np.r_[np.zeros(99, int), 1]
    with pytest.raises(ValueError, match="least populated class"):
        MLEClassifier(early_stopping=True).fit(X, y)
    assert MLEClassifier().fit(X, y).validation_scores_ is None


def test_continued_training_holds_out_rows_as_auto():
    """warm_start continues from the fitted weights with early stopping as
    'auto'; a failed fit leaves the model as it was."""
    X, y, _, _ = _noisy_labels(2)
    model = MLEClassifier(hidden_layer_sizes=(8,), random_state=0).fit(X, y)
    before = _weights(model)
    n_scores = len(model.validation_scores_)
    X_bad = X.copy()
    X_bad[5, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(X_bad, y)
    assert_allclose(_weights(model), before)
    model.set_params(warm_start=True, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    assert len(model.validation_scores_) == n_scores + model.n_iter_


def test_the_regressor_and_depth_auto_refit_too():
    """'refit' is an option of every estimator, and with
    hidden_layer_sizes='auto' the depth is chosen in the first fit."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    y = X[:, 0] + np.sin(2 * X[:, 1]) + 0.3 * rng.normal(size=300)
    model = MLERegressor(
        early_stopping="refit", hidden_layer_sizes="auto", random_state=0
    ).fit(X, y)
    assert model.hidden_layer_sizes_ in ((100,), (100, 100))
    assert model.validation_scores_ is not None
    assert model.best_loss_ is not None  # the final fit held no rows out
    assert model.score(X, y) > 0.8


@pytest.mark.parametrize("interrupted_fit", [1, 2])
def test_an_interrupt_ends_the_fit_there(interrupted_fit, monkeypatch):
    """Ctrl-C in the first fit or in the final one ends 'refit' there, as in
    one fit: the model is that fit as far as it got (the first with the
    weights it kept), the user is told, and no later fit runs."""
    from sklearn_mle_nn import _training

    X, y, _, _ = _noisy_labels(0)
    run_epoch = _training._run_epoch
    fits = []
    monkeypatch.setattr(
        _capacity,
        "fit_recording_warnings",
        lambda *args, fit=_capacity.fit_recording_warnings: (
            fits.append(1) or fit(*args)
        ),
    )
    epochs = []

    def interrupt_in_the_chosen_fit(*args):
        epochs.append(len(fits))
        if len(fits) == interrupted_fit and epochs.count(interrupted_fit) == 3:
            raise KeyboardInterrupt
        return run_epoch(*args)

    monkeypatch.setattr(_training, "_run_epoch", interrupt_in_the_chosen_fit)
    # The final fit trains past its third epoch.
    monkeypatch.setattr(_refit, "_overfits", lambda *args: False)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        model = MLEClassifier(hidden_layer_sizes=(8,), random_state=0).fit(X, y)
    assert len(fits) == interrupted_fit
    assert model.validation_scores_ is not None
    assert model.n_iter_ == 2  # the two epochs before the interrupt
