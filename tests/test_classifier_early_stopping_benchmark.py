"""benchmarks/classifier_early_stopping.py: its scores are scikit-learn's
log-loss and accuracy of the classifier fitted as named, and its paired
difference is the mean over the splits (bundled data, no download)."""

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, log_loss

from sklearn_mle_nn import MLEClassifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import classifier_early_stopping as benchmark  # noqa: E402


@pytest.mark.parametrize(
    "setting, early_stopping",
    [("False", False), ("auto", "auto"), ("refit", "refit")],
)
def test_scores_are_those_of_the_classifier_fitted_as_named(setting, early_stopping):
    X, X_test, y, y_test = benchmark.split("iris", 0)
    assert len(y_test) == 38 and set(y_test) == {0, 1, 2}
    params = {"hidden_layer_sizes": (5,), "max_iter": 20}
    scores = benchmark.scores(setting, X, X_test, y, y_test, 0, **params)
    reference = MLEClassifier(
        early_stopping=early_stopping, random_state=0, **params
    ).fit(X, y)
    assert reference.early_stopping == early_stopping
    assert scores["log_loss"] == pytest.approx(
        log_loss(y_test, reference.predict_proba(X_test))
    )
    assert scores["accuracy"] == accuracy_score(y_test, reference.predict(X_test))


def test_paired_differences_are_each_setting_minus_false_by_split():
    results = [
        {"setting": "False", "log_loss": 0.5, "accuracy": 0.8},
        {"setting": "auto", "log_loss": 0.3, "accuracy": 0.9},
        {"setting": "refit", "log_loss": 0.4, "accuracy": 1.0},
        {"setting": "False", "log_loss": 0.4, "accuracy": 0.7},
        {"setting": "auto", "log_loss": 0.6, "accuracy": 0.6},
        {"setting": "refit", "log_loss": 0.1, "accuracy": 0.5},
    ]
    row = benchmark.paired(results, "x")
    assert row["splits"] == 2
    assert row["auto - False"] == pytest.approx(np.mean([-0.2, 0.2]))
    assert row["se auto"] == pytest.approx(np.std([-0.2, 0.2], ddof=1) / np.sqrt(2))
    assert row["refit - False"] == pytest.approx(np.mean([-0.1, -0.3]))
    assert row["se refit"] == pytest.approx(np.std([-0.1, -0.3], ddof=1) / np.sqrt(2))
    assert row["log_loss False"] == pytest.approx(0.45)
    assert row["log_loss auto"] == pytest.approx(0.45)
    assert row["log_loss refit"] == pytest.approx(0.25)
    assert row["accuracy False"] == pytest.approx(0.75)
    assert row["accuracy auto"] == pytest.approx(0.75)
    assert row["accuracy refit"] == pytest.approx(0.75)
