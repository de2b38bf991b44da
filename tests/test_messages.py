"""Error messages show the user's values as they wrote them.

``1`` and ``'setosa'``, never numpy's ``np.int64(1)``, ``np.str_('setosa')``,
``array([...])`` or the ``[True]`` of an internal indicator.
"""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.neural_network import MLPClassifier

from sklearn_mle_nn import MLEClassifier, MLERegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X = np.random.RandomState(0).randn(20, 3)
#: Labels that depend on X (0 to 3 by the first feature's quartile), so that
#: a fit has something to learn.
QUARTILE = np.searchsorted(np.quantile(X[:, 0], [0.25, 0.5, 0.75]), X[:, 0])
FAST = {"hidden_layer_sizes": (4,), "max_iter": 2, "random_state": 0}

#: What a numpy repr looks like inside a message.
NUMPY_REPR = re.compile(r"np\.\w+\(|array\(|dtype=")


def _message(call):
    with pytest.raises(ValueError) as error:
        call()
    message = str(error.value)
    assert not NUMPY_REPR.search(message), message
    return message


# ---- the stratified split of early stopping ------------------------------------


@pytest.mark.parametrize(
    "y, named",
    [
        ([0, 0, 0, 1], "[1]"),
        (np.array([0, 0, 0, 1]), "[1]"),
        (["a", "a", "a", "setosa"], "['setosa']"),
        ([True, True, True, False], "[False]"),
        (["a", "a", "a", "b", "setosa"], "['b', 'setosa']"),
        (np.array([3, 3, 3, 7, 9]), "[7, 9]"),
    ],
)
def test_early_stopping_split_names_the_rare_classes(y, named):
    """scikit-learn's split names the indicators ([True]) or column indices."""
    classifier = MLEClassifier(early_stopping=True, **FAST)
    message = _message(lambda: classifier.fit(X[: len(y)], y))
    assert f"Classes with too few members are: {named}." in message
    assert "early_stopping=False" in message


def test_early_stopping_split_of_valid_labels_still_works():
    y = np.array(["a", "b"])[(QUARTILE > 1).astype(int)]
    classifier = MLEClassifier(early_stopping=True, **FAST).fit(X, y)
    assert len(classifier.validation_scores_) == classifier.n_iter_


# ---- partial_fit's classes ------------------------------------------------------


@pytest.mark.parametrize("wrap", [list, np.array], ids=["list", "ndarray"])
def test_partial_fit_other_classes_are_named_as_written(wrap):
    y = (QUARTILE > 1).astype(int)
    classifier = MLEClassifier(**FAST).partial_fit(X, y, classes=[0, 1])
    message = _message(lambda: classifier.partial_fit(X, y, classes=wrap([0, 3])))
    assert "classes=[0, 3] differs from the classes_ of the first call, [0, 1]" in (
        message
    )


@pytest.mark.parametrize(
    "classes, y, unknown, known",
    [
        ([0, 1], np.arange(20) % 3, "[2]", "[0, 1]"),
        (
            ["a", "b"],
            np.array(["a", "b", "setosa", "a"] * 5),
            "['setosa']",
            "['a', 'b']",
        ),
    ],
)
def test_partial_fit_unknown_labels_are_named_as_written(classes, y, unknown, known):
    classifier = MLEClassifier(**FAST)
    classifier.partial_fit(X[:2], classes[:2], classes=classes)
    message = _message(lambda: classifier.partial_fit(X, y))
    assert f"y has labels {unknown} that are not in classes_ {known}" in message


# ---- warm_start with other classes: scikit-learn's message ----------------------


@pytest.mark.parametrize(
    "y_first, y_second",
    [
        (QUARTILE % 3, QUARTILE % 2),
        (QUARTILE % 3, QUARTILE),
        (np.array(list("abcd"))[QUARTILE], np.array(list("abce"))[QUARTILE]),
    ],
    ids=["a class missing", "a class added", "strings"],
)
def test_warm_start_other_classes_message_is_scikit_learns(y_first, y_second):
    mlp = MLPClassifier(warm_start=True, **FAST).fit(X, y_first)
    with pytest.raises(ValueError) as expected:
        mlp.fit(X, y_second)
    ours = MLEClassifier(warm_start=True, **FAST).fit(X, y_first)
    assert _message(lambda: ours.fit(X, y_second)) == str(expected.value)


def test_warm_start_same_classes_in_other_proportions_continues():
    ours = MLEClassifier(warm_start=True, **FAST).fit(X, QUARTILE % 3)
    first = [coef.copy() for coef in ours.coefs_]
    ours.fit(X, np.minimum(QUARTILE, 2))
    assert not np.array_equal(first[0], ours.coefs_[0])


# ---- the regressor given text ---------------------------------------------------


@pytest.mark.parametrize(
    "y",
    [
        np.array(["setosa"] * 20),
        ["setosa"] * 20,
        pd.Series(["1.5"] * 10 + ["setosa"] * 10),
        np.array(["1.5"] * 19 + ["setosa"], dtype=object),
        np.array([["1.0", "setosa"]] * 20),
    ],
    ids=["str array", "list", "Series", "object array", "2-D"],
)
def test_regressor_given_text_asks_for_numbers_and_points_to_the_classifier(y):
    message = _message(lambda: MLERegressor(**FAST).fit(X, y))
    assert "MLERegressor needs numeric targets" in message
    assert "'setosa'" in message
    assert "MLEClassifier" in message


def test_regressor_log_likelihood_given_text_says_so_too():
    regressor = MLERegressor(**FAST).fit(X, np.arange(20.0))
    message = _message(lambda: regressor.log_likelihood(X, ["setosa"] * 20))
    assert "needs numeric targets" in message


def test_regressor_accepts_numbers_written_as_text_as_scikit_learn_does():
    as_text = MLERegressor(**FAST).fit(X, [str(value) for value in np.arange(20.0)])
    as_numbers = MLERegressor(**FAST).fit(X, np.arange(20.0))
    np.testing.assert_array_equal(as_text.predict(X), as_numbers.predict(X))


def test_regressor_other_target_errors_unchanged():
    message = _message(lambda: MLERegressor(**FAST).fit(X, [np.nan] * 20))
    assert "NaN" in message
    assert "numeric targets" not in message
