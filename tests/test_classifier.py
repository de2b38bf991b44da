"""Tests of MLEClassifier's public API (see DESIGN.md).

References: scikit-learn's MLPClassifier (same initialisation, optimizers and
loop; its cross-entropy on the canonical link is the Bernoulli / categorical
NLL), sklearn.metrics.log_loss, scipy.special, scipy.stats and closed forms.
"""

import warnings

import numpy as np
import pytest
from _params import SKLEARN_SGD_DEFAULTS, started_at_intercept_only
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, ShuffleSplit, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelBinarizer, StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_mle_nn import MLEClassifier

#: scikit-learn's MLPClassifier, started where ours starts (see _params.py).
TwinClassifier = started_at_intercept_only(MLPClassifier)

# Most fits here run a handful of epochs on purpose, to stay fast.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

BASE = dict(SKLEARN_SGD_DEFAULTS)
# scikit-learn's MLP trains on the features as given, and its twin starts at
# the intercept-only model: so must ours, to follow it step for step.
AS_GIVEN = {"standardize_inputs": False, "start": "intercept_only"}

TARGETS = ["binary", "multiclass", "multilabel"]
DISTRIBUTIONS = ["bernoulli", "gaussian"]


def _classifier(hidden_layer_sizes=(6,), **params):
    return MLEClassifier(hidden_layer_sizes, **{**BASE, **params})


def _data(target, n_samples=90, seed=0):
    """Inputs and labels of a noisy linear model: 2 classes, 3 classes, 3 labels."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 4))
    scores = X @ rng.normal(size=(4, 3)) + 0.5 * rng.normal(size=(n_samples, 3))
    if target == "binary":
        return X, (scores[:, 0] > 0).astype(int)
    if target == "multiclass":
        return X, scores.argmax(axis=1)
    return X, (scores > 0).astype(int)


def _raw_output(clf, X):
    """The network's raw (pre-link) output, recomputed from coefs_ (relu hidden)."""
    A = X
    for i, (coef, intercept) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        A = A @ coef + intercept
        if i < len(clf.coefs_) - 1:
            A = np.maximum(A, 0)
    return A


def _reference_log_proba(target, raw):
    """Log class probabilities from raw outputs by scipy.special."""
    if target == "binary":
        return np.hstack([log_expit(-raw), log_expit(raw)])
    if target == "multiclass":
        return log_softmax(raw, axis=1)
    return log_expit(raw)


def _assert_same_network(ours, theirs, rtol=1e-9):
    for mine, reference in zip(ours.coefs_, theirs.coefs_, strict=True):
        assert_allclose(mine, reference, rtol=rtol, atol=1e-12)
    for mine, reference in zip(ours.intercepts_, theirs.intercepts_, strict=True):
        assert_allclose(mine, reference, rtol=rtol, atol=1e-12)


# ---- equivalence with scikit-learn ---------------------------------------------

SOLVERS = {
    "sgd-nesterov": {"solver": "sgd"},
    "sgd-momentum": {"solver": "sgd", "nesterovs_momentum": False, "momentum": 0.5},
    "adam": {"solver": "adam", "learning_rate_init": 0.005},
}


@pytest.mark.parametrize("solver", SOLVERS.values(), ids=SOLVERS.keys())
@pytest.mark.parametrize("target", TARGETS)
def test_same_fit_as_mlp_classifier(target, solver):
    """distribution='bernoulli' trains exactly as MLPClassifier does."""
    X, y = _data(target)
    params = {
        **BASE,
        "hidden_layer_sizes": (6, 5),
        "max_iter": 6,
        "batch_size": 16,
        **solver,
    }
    ours = MLEClassifier(distribution="bernoulli", **params, **AS_GIVEN).fit(X, y)
    theirs = TwinClassifier(**params).fit(X, y)
    _assert_same_network(ours, theirs)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    # The NLL per sample is scikit-learn's cross-entropy loss.
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    assert ours.t_ == theirs.t_


# ---- targets, outputs, labels ---------------------------------------------------


@pytest.mark.parametrize(
    "target, n_outputs, out_activation",
    [
        ("binary", 1, "logistic"),
        ("multiclass", 3, "softmax"),
        ("multilabel", 3, "logistic"),
    ],
)
def test_output_layer_follows_the_target(target, n_outputs, out_activation):
    """One logistic output, a softmax per class, one logistic output per label."""
    X, y = _data(target)
    clf = _classifier(max_iter=2).fit(X, y)
    assert clf.coefs_[-1].shape == (6, n_outputs)
    assert clf.intercepts_[-1].shape == (n_outputs,)
    assert clf.n_outputs_ == n_outputs
    assert clf.out_activation_ == out_activation
    n_columns = 2 if target == "binary" else 3
    assert clf.predict_proba(X).shape == (len(X), n_columns)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["no", "yes"]),
        np.array(["eel", "cat", "dog"]),
        np.array([11, 3, 7]),
        np.array([-1, 1]),
    ],
    ids=["binary-str", "multiclass-str", "multiclass-int", "binary-int"],
)
def test_labels_round_trip_through_classes(labels):
    """classes_ are the sorted labels; predict gives the most probable of them."""
    X, y = _data("multiclass" if len(labels) == 3 else "binary")
    y = labels[y]
    clf = _classifier(max_iter=30, batch_size=16).fit(X, y)
    assert_array_equal(clf.classes_, np.sort(labels))
    prediction = clf.predict(X)
    assert prediction.dtype == y.dtype
    assert_array_equal(prediction, clf.classes_[clf.predict_proba(X).argmax(axis=1)])
    # The classifier learned something, so the labels are not scrambled.
    assert accuracy_score(y, prediction) > 0.7


@pytest.mark.parametrize(
    "labels, classes",
    [
        (np.array(["eel", "cat", "dog", "cat", "eel"]), None),
        (np.array([11, 3, 7, 7]), None),
        # partial_fit: a batch with only some of the classes.
        (np.array([7, 3, 3]), np.array([11, 7, 3])),
        (np.array(["no", "yes", "no"]), None),
    ],
    ids=["multiclass-str", "multiclass-int", "subset-of-classes", "binary"],
)
def test_training_indicators_are_label_binarizers(labels, classes):
    """The 0/1 targets trained on are LabelBinarizer's, as booleans."""
    X = np.random.RandomState(0).normal(size=(len(labels), 2))
    clf = _classifier(max_iter=1)
    if classes is None:
        clf.fit(X, labels)
    else:
        clf.partial_fit(X, labels, classes=classes)
    expected = LabelBinarizer().fit(clf.classes_).transform(labels)
    indicators = clf._indicators(labels)
    assert indicators.dtype == bool
    assert_array_equal(indicators, expected)


def test_multilabel_predict_thresholds_each_label():
    """Multilabel predict is the 0/1 matrix of label probabilities above 1/2."""
    X, Y = _data("multilabel")
    clf = _classifier(max_iter=20).fit(X, Y)
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert_array_equal(clf.predict(X), (clf.predict_proba(X) > 0.5).astype(int))
    assert_allclose(clf.predict_proba(X), expit(_raw_output(clf, X)), rtol=1e-12)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_predict_proba_rows_sum_to_one(target, distribution):
    """Class probabilities are in [0, 1] and sum to 1 over classes_."""
    X, y = _data(target)
    proba = (
        _classifier(distribution=distribution, max_iter=10).fit(X, y).predict_proba(X)
    )
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("target", TARGETS)
def test_predict_log_proba_is_log_of_predict_proba(target, distribution):
    """Where predict_proba is not rounded, predict_log_proba is its log."""
    X, y = _data(target)
    clf = _classifier(distribution=distribution, max_iter=10).fit(X, y)
    proba, log_proba = clf.predict_proba(X), clf.predict_log_proba(X)
    assert log_proba.shape == proba.shape
    unrounded = proba > 1e-6
    assert unrounded.mean() > 0.9
    assert_allclose(log_proba[unrounded], np.log(proba[unrounded]), rtol=1e-7)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("target", TARGETS)
def test_predict_log_proba_finite_where_predict_proba_saturates(target, distribution):
    """On huge raw outputs predict_proba rounds to 0 or 1; log-probabilities do not."""
    X, y = _data(target)
    clf = _classifier(distribution=distribution, max_iter=10).fit(X, y)
    X_far = 1e8 * X  # relu hidden units: the raw outputs grow linearly with X
    proba = clf.predict_proba(X_far)
    assert np.any(proba == 0) and np.any(proba == 1)
    log_proba = clf.predict_log_proba(X_far)
    assert np.all(np.isfinite(log_proba))
    reference = _reference_log_proba(target, _raw_output(clf, X_far))
    assert_allclose(log_proba, reference, rtol=1e-10, atol=1e-10)


# ---- sampling -------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_sample_shape_and_values(target):
    """Labels from classes_ of shape (n, S); 0/1 of shape (n, n_labels, S)."""
    X, y = _data(target)
    clf = _classifier(max_iter=5).fit(X, y)
    draws = clf.sample(X[:7], n_samples=11, random_state=0)
    if target == "multilabel":
        assert draws.shape == (7, 3, 11)
        assert set(np.unique(draws)) <= {0, 1}
    else:
        assert draws.shape == (7, 11)
        assert set(np.unique(draws)) <= set(clf.classes_)


@pytest.mark.parametrize(
    "labels", [np.array(["a", "b", "c"]), np.array([5, 9, 20])], ids=["str", "int"]
)
def test_sample_frequencies_match_predict_proba(labels):
    """Class frequencies over many draws match predict_proba (binomial error)."""
    X, y = _data("multiclass")
    # From the intercept-only start, three epochs leave the probabilities
    # away from 0 and 1 (the linear start is near-separating here).
    clf = _classifier(max_iter=3, start="intercept_only").fit(X, labels[y])
    n_draws = 20_000
    draws = clf.sample(X[:6], n_samples=n_draws, random_state=0)
    assert draws.dtype == labels.dtype
    frequencies = np.stack([(draws == label).mean(axis=1) for label in clf.classes_], 1)
    proba = clf.predict_proba(X[:6])
    # The rows are not degenerate, or the check would be vacuous.
    assert np.all(proba.max(axis=1) < 0.95)
    standard_error = np.sqrt(proba * (1 - proba) / n_draws)
    assert np.all(np.abs(frequencies - proba) <= 5 * standard_error + 1e-12)


def test_sample_multilabel_frequencies_match_predict_proba():
    """Multilabel draws are independent 0/1 per label at the predicted rate."""
    X, Y = _data("multilabel")
    clf = _classifier(max_iter=3, start="intercept_only").fit(X, Y)
    n_draws = 20_000
    draws = clf.sample(X[:6], n_samples=n_draws, random_state=0)
    proba = clf.predict_proba(X[:6])
    assert np.all((proba > 0.02) & (proba < 0.98))
    standard_error = np.sqrt(proba * (1 - proba) / n_draws)
    assert np.all(np.abs(draws.mean(axis=2) - proba) <= 5 * standard_error)
    # Indicators as predict gives them (they were floats).
    assert draws.dtype == clf.predict(X[:6]).dtype
    assert set(np.unique(draws)) == {0, 1}


@pytest.mark.parametrize("target", TARGETS)
def test_sample_random_state_is_reproducible(target):
    """An int random_state gives the same draws; another one gives others."""
    X, y = _data(target)
    clf = _classifier(max_iter=3).fit(X, y)
    first = clf.sample(X[:10], n_samples=50, random_state=0)
    assert_array_equal(first, clf.sample(X[:10], n_samples=50, random_state=0))
    rng = np.random.RandomState(0)
    assert_array_equal(first, clf.sample(X[:10], n_samples=50, random_state=rng))
    assert not np.array_equal(first, clf.sample(X[:10], n_samples=50, random_state=1))


def test_sample_random_state_none_uses_numpy_global_state():
    """random_state=None draws from numpy's global random state."""
    X, y = _data("multiclass")
    clf = _classifier(max_iter=3).fit(X, y)
    np.random.seed(0)
    first = clf.sample(X[:10], n_samples=50)
    np.random.seed(0)
    assert_array_equal(first, clf.sample(X[:10], n_samples=50))
    assert not np.array_equal(first, clf.sample(X[:10], n_samples=50))


# ---- likelihood -----------------------------------------------------------------


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_log_likelihood_is_minus_per_sample_log_loss(target, distribution):
    """log_likelihood(X, y)[i] == -log_loss([y_i], [predict_proba(X)_i])."""
    X, y = _data(target)
    labels = np.array(["a", "b", "c"])[y]
    # Probabilities away from 0 and 1, where log_loss clips (see below).
    clf = _classifier(
        distribution=distribution, max_iter=10, start="intercept_only"
    ).fit(X, labels)
    proba = clf.predict_proba(X)
    reference = np.array(
        [
            -log_loss(labels[i : i + 1], proba[i : i + 1], labels=clf.classes_)
            for i in range(len(X))
        ]
    )
    log_likelihood = clf.log_likelihood(X, labels)
    assert log_likelihood.shape == (len(X),)
    # log_loss clips probabilities to [eps, 1 - eps]: compare where it does not.
    p_true = proba[np.arange(len(X)), np.searchsorted(clf.classes_, labels)]
    finite = (p_true > 1e-10) & (p_true < 1 - 1e-10)
    assert finite.mean() > 0.9
    assert_allclose(log_likelihood[finite], reference[finite], rtol=1e-9)
    assert_allclose(log_likelihood.mean(), -log_loss(labels, proba), rtol=1e-9)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_multilabel_log_likelihood_sums_bernoulli_over_labels(distribution):
    """Multilabel log_likelihood is the sum over labels of Bernoulli log-pmfs."""
    X, Y = _data("multilabel")
    clf = _classifier(distribution=distribution, max_iter=10).fit(X, Y)
    reference = stats.bernoulli.logpmf(Y, clf.predict_proba(X)).sum(axis=1)
    log_likelihood = clf.log_likelihood(X, Y)
    assert log_likelihood.shape == (len(X),)
    assert_allclose(log_likelihood, reference, rtol=1e-9)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_log_likelihood_finite_where_predict_proba_saturates(distribution):
    """Far from the data, the log-probability of the true class stays finite."""
    X, y = _data("multiclass")
    clf = _classifier(distribution=distribution, max_iter=10).fit(X, y)
    X_far = 1e4 * X
    log_likelihood = clf.log_likelihood(X_far, y)
    assert np.all(np.isfinite(log_likelihood))
    reference = log_softmax(_raw_output(clf, X_far), axis=1)[np.arange(len(y)), y]
    assert_allclose(log_likelihood, reference, rtol=1e-10, atol=1e-10)


# ---- squared error vs cross-entropy ---------------------------------------------


def _one_full_batch_step(X, y, distribution, coef, intercept, learning_rate):
    """A single plain gradient step on all of X from the given weights.

    On the features as given: the closed forms below are in their units.
    """
    return _classifier(
        (),
        standardize_inputs=False,
        distribution=distribution,
        max_iter=1,
        batch_size=len(X),
        momentum=0.0,
        alpha=0.0,
        shuffle=False,
        learning_rate_init=learning_rate,
    ).fit(X, y, coefs_init=[coef], intercepts_init=[intercept])


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_one_sgd_step_has_the_closed_form_gradient(distribution):
    """One full-batch step: cross-entropy moves by (s - y) x, squared error by
    (s - y) s (1 - s) x, with s = sigmoid(x w + b)."""
    X, y = _data("binary", n_samples=40)
    coef, intercept = np.array([[2.0], [-3.0], [1.0], [0.5]]), np.array([0.7])
    clf = _one_full_batch_step(X, y, distribution, coef, intercept, 0.3)
    s = expit(X @ coef[:, 0] + intercept[0])
    if distribution == "gaussian":  # d/dz of 0.5 * (sigmoid(z) - y)**2
        error = (s - y) * s * (1 - s)
        nll = -stats.norm.logpdf(y, s, 1).mean()
    else:  # d/dz of the cross-entropy on the logistic link
        error = s - y
        nll = -stats.bernoulli.logpmf(y, s).mean()
    assert_allclose(clf.coefs_[0][:, 0], coef[:, 0] - 0.3 * X.T @ error / len(X))
    assert_allclose(clf.intercepts_[0], intercept - 0.3 * error.mean())
    # The epoch's loss is the mean NLL at the starting weights (one batch).
    assert_allclose(clf.loss_curve_, [nll])


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize("target", ["multiclass", "multilabel"])
def test_one_sgd_step_has_the_closed_form_gradient_for_many_outputs(
    target, distribution
):
    """Squared error on a softmax backpropagates J(s)^T (s - y), J = diag(s) - s s^T;
    on logistic outputs (s - y) s (1 - s); cross-entropy backpropagates s - y."""
    X, y = _data(target, n_samples=40)
    Y = y if target == "multilabel" else LabelBinarizer().fit_transform(y)
    rng = np.random.RandomState(1)
    coef, intercept = 2 * rng.normal(size=(4, 3)), rng.normal(size=3)
    clf = _one_full_batch_step(X, y, distribution, coef, intercept, 0.3)
    raw = X @ coef + intercept
    s = softmax(raw, axis=1) if target == "multiclass" else expit(raw)
    residual = s - Y
    if distribution == "bernoulli":
        error = residual
    elif target == "multiclass":
        error = s * (residual - np.sum(s * residual, axis=1, keepdims=True))
    else:
        error = residual * s * (1 - s)
    assert_allclose(clf.coefs_[0], coef - 0.3 * X.T @ error / len(X))
    assert_allclose(clf.intercepts_[0], intercept - 0.3 * error.mean(axis=0))


def test_categorical_is_bernoulli_for_multiclass():
    """'categorical' is another name for 'bernoulli' with more than two classes."""
    X, y = _data("multiclass")
    categorical = _classifier(distribution="categorical", max_iter=5).fit(X, y)
    bernoulli = _classifier(distribution="bernoulli", max_iter=5).fit(X, y)
    _assert_same_network(categorical, bernoulli, rtol=0)
    assert_array_equal(categorical.predict_proba(X), bernoulli.predict_proba(X))


def test_categorical_with_multilabel_targets_raises():
    """A multilabel indicator matrix has no categorical likelihood."""
    X, Y = _data("multilabel")
    with pytest.raises(ValueError, match="categorical"):
        _classifier(distribution="categorical", max_iter=2).fit(X, Y)


def test_gaussian_trains_differently_from_bernoulli():
    """The two losses, on the same outputs from the same start, give other weights."""
    X, y = _data("multiclass")
    gaussian = _classifier(distribution="gaussian", max_iter=5).fit(X, y)
    bernoulli = _classifier(distribution="bernoulli", max_iter=5).fit(X, y)
    assert gaussian.out_activation_ == bernoulli.out_activation_ == "softmax"
    assert not np.allclose(gaussian.coefs_[-1], bernoulli.coefs_[-1])


# ---- partial_fit ----------------------------------------------------------------


def test_partial_fit_requires_classes_on_first_call():
    """Without classes, the first partial_fit cannot know every label."""
    X, y = _data("multiclass")
    with pytest.raises(ValueError, match="classes"):
        _classifier().partial_fit(X, y)


@pytest.mark.parametrize(
    "classes", [["ant", "bee"], ["ant", "bee", "cow"]], ids=["binary", "multiclass"]
)
def test_partial_fit_labels_outside_classes_raise_on_first_call(classes):
    """A first batch holding a label missing from `classes` is an error naming it."""
    X, y = _data("multiclass")
    y = np.array(["ant", "bee", "zebra"])[y]
    clf = _classifier()
    with pytest.raises(ValueError, match="zebra"):
        clf.partial_fit(X, y, classes=classes)
    assert not hasattr(clf, "classes_")


def test_partial_fit_labels_outside_classes_raise_on_later_call():
    """A later batch holding a label missing from classes_ is an error naming it."""
    X, y = _data("multiclass")
    labels = np.array(["ant", "bee", "cow"])
    clf = _classifier().partial_fit(X, labels[y], classes=labels)
    coefs = [coef.copy() for coef in clf.coefs_]
    with pytest.raises(ValueError, match="zebra"):
        clf.partial_fit(X, np.array(["ant", "bee", "zebra"])[y])
    for before, after in zip(coefs, clf.coefs_):
        assert_array_equal(before, after)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_is_one_epoch_per_call_as_mlp_classifier(solver):
    """Later calls need no classes; each one is MLPClassifier.partial_fit's epoch."""
    X, y = _data("multiclass", n_samples=120)
    params = {**BASE, "hidden_layer_sizes": (6,), "batch_size": 16, "solver": solver}
    ours, theirs = MLEClassifier(**params, **AS_GIVEN), TwinClassifier(**params)
    # The first batch lacks class 2: only `classes` announces it.
    batches = [np.flatnonzero(y < 2)[:40], np.arange(40, 80), np.arange(80, 120)]
    for call, rows in enumerate(batches, start=1):
        classes = [0, 1, 2] if call == 1 else None
        ours.partial_fit(X[rows], y[rows], classes=classes)
        theirs.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        _assert_same_network(ours, theirs)
        assert len(ours.loss_curve_) == call
        assert ours.t_ == theirs.t_ == sum(len(b) for b in batches[:call])
    assert_array_equal(ours.classes_, [0, 1, 2])
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9)


# ---- early stopping -------------------------------------------------------------


@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_early_stopping_scores_are_stratified_validation_log_likelihoods(target):
    """validation_scores_[0] is the mean log-likelihood of the labels of the
    stratified held-out split (it was their accuracy, which cannot see how
    sure the classifier is)."""
    X, y = _data(target, n_samples=150)
    # Given initial weights, the random state draws the split first.
    rng = np.random.RandomState(0)
    n_outputs = 1 if target == "binary" else 3
    coefs_init = [rng.normal(size=(4, 6)), rng.normal(size=(6, n_outputs))]
    intercepts_init = [np.zeros(6), np.zeros(n_outputs)]
    clf = _classifier(
        early_stopping=True, validation_fraction=0.2, max_iter=1, random_state=0
    ).fit(X, y, coefs_init=coefs_init, intercepts_init=intercepts_init)
    _, X_val, _, y_val = train_test_split(
        X, y, test_size=0.2, random_state=np.random.RandomState(0), stratify=y
    )
    assert len(clf.validation_scores_) == 1
    held_out = clf.predict_log_proba(X_val)[np.arange(len(y_val)), y_val]
    assert clf.validation_scores_[0] == pytest.approx(held_out.mean(), rel=1e-12)
    assert clf.best_validation_score_ == clf.validation_scores_[0]


@pytest.mark.parametrize("target", TARGETS)
def test_early_stopping_validation_scores_are_log_likelihoods(target):
    """Scores are log-likelihoods of the held-out labels (at most 0); the best
    is kept."""
    X, y = _data(target, n_samples=150)
    clf = _classifier(
        early_stopping=True,
        validation_fraction=0.1,
        max_iter=40,
        n_iter_no_change=5,
        batch_size=16,
        # A linear start is scored too, and kept if no epoch beats it
        # (see test_training.py); here an epoch's network is kept.
        start="intercept_only",
    ).fit(X, y)
    scores = np.asarray(clf.validation_scores_)
    assert len(scores) == clf.n_iter_ == len(clf.loss_curve_)
    assert np.all(np.isfinite(scores) & (scores <= 0))
    assert clf.best_validation_score_ == scores.max()
    assert clf.best_loss_ is None


# ---- model selection and real data ----------------------------------------------


def test_grid_search_over_distribution_in_a_pipeline():
    """GridSearchCV searches distribution in Pipeline(StandardScaler, MLEClassifier)."""
    X, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(
        StandardScaler(), _classifier((10,), max_iter=60, batch_size=16)
    )
    grid = {"mleclassifier__distribution": ["bernoulli", "gaussian"]}
    search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (2,)
    assert np.all(scores > 0.8)
    best = grid["mleclassifier__distribution"][np.argmax(scores)]
    assert search.best_params_ == {"mleclassifier__distribution": best}
    assert search.best_estimator_[-1].distribution == best
    assert search.predict_proba(X).shape == (150, 3)


@pytest.fixture(scope="module", params=["digits", "breast_cancer"])
def held_out_scores(request):
    """Mean held-out accuracy and log-loss of both defaults over ten splits,
    each with its own seed (of both estimators): a comparison of the
    defaults, not of one seed's starting weights."""
    X, y = {"digits": load_digits, "breast_cancer": load_breast_cancer}[request.param](
        return_X_y=True
    )
    scores = {name: {"accuracy": [], "log_loss": []} for name in ("mle", "mlp")}
    splits = ShuffleSplit(n_splits=10, test_size=0.25, random_state=0).split(X)
    # One BLAS thread for both: on a busy 2-core machine a second thread makes
    # scikit-learn's small products wait for scheduler ticks (minutes per test).
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for seed, (train, test) in enumerate(splits):
            models = {
                name: make_pipeline(StandardScaler(), make(random_state=seed))
                for name, make in (("mle", MLEClassifier), ("mlp", MLPClassifier))
            }
            for name, model in models.items():
                model.fit(X[train], y[train])
                proba = model.predict_proba(X[test])
                scores[name]["accuracy"].append(
                    accuracy_score(y[test], model.predict(X[test]))
                )
                scores[name]["log_loss"].append(
                    log_loss(y[test], proba, labels=model.classes_)
                )
    return {name: {k: np.mean(v) for k, v in s.items()} for name, s in scores.items()}


@pytest.mark.peer_quality
def test_default_accuracy_at_least_mlp_classifier(held_out_scores):
    """Default MLEClassifier's held-out accuracy >= default MLPClassifier's."""
    assert held_out_scores["mle"]["accuracy"] >= held_out_scores["mlp"]["accuracy"]


@pytest.mark.peer_quality
def test_default_log_loss_at_most_mlp_classifier(held_out_scores):
    """Default MLEClassifier's held-out log-loss <= default MLPClassifier's."""
    assert held_out_scores["mle"]["log_loss"] <= held_out_scores["mlp"]["log_loss"]


def test_float32_features_are_standardized_as_in_float64():
    """Latitude/longitude-like float32 columns (47.6 + 0.002 * noise) are
    standardized as in float64 (their float32 variance is within rounding of
    zero): the accuracy matches (0.51 against 0.93 when judged constant)."""
    rng = np.random.RandomState(0)
    noise = rng.normal(size=(1000, 2))
    X = np.array([47.6, -122.3]) + 0.002 * noise
    y = noise[:, 0] + np.sin(2 * noise[:, 1]) > 0
    scores = [
        MLEClassifier(hidden_layer_sizes=(16,), random_state=0)
        .fit(X.astype(dtype), y)
        .score(X.astype(dtype), y)
        for dtype in (np.float64, np.float32)
    ]
    assert scores[0] > 0.9
    assert abs(scores[1] - scores[0]) < 0.01
