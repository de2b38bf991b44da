"""benchmarks/regressor_early_stopping.py: its score is the held-out NLL of
the regressor fitted as named (scipy's normal density, on bundled data: no
download), and its paired difference is 'refit' minus 'auto' by split."""

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_diabetes

from sklearn_mle_nn import MLERegressor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import regressor_early_stopping as benchmark  # noqa: E402


@pytest.mark.parametrize("setting", ["auto", "refit"])
def test_the_score_is_scipys_nll_of_the_regressor_fitted_as_named(setting):
    X, y = load_diabetes(return_X_y=True)
    X, X_test, y, y_test = X[:300], X[300:], y[:300], y[300:]
    params = {"hidden_layer_sizes": (5,), "max_iter": 20}
    nll = benchmark.nll(setting, "gaussian", X, X_test, y, y_test, 0, **params)
    reference = MLERegressor(early_stopping=setting, random_state=0, **params)
    mean, std = reference.fit(X, y).predict(X_test, return_std=True)
    assert nll == pytest.approx(-np.mean(stats.norm.logpdf(y_test, mean, std)))


def test_paired_differences_are_refit_minus_auto_by_split():
    results = [
        {"split": 1, "setting": "refit", "nll": 2.0},
        {"split": 0, "setting": "auto", "nll": 3.0},
        {"split": 0, "setting": "refit", "nll": 2.5},
        {"split": 1, "setting": "auto", "nll": 1.0},
    ]
    row = benchmark.paired(results)
    assert row["splits"] == 2
    assert row["nll auto"] == pytest.approx(2.0)
    assert row["nll refit"] == pytest.approx(2.25)
    assert row["refit - auto"] == pytest.approx(np.mean([-0.5, 1.0]))
    assert row["se"] == pytest.approx(np.std([-0.5, 1.0], ddof=1) / np.sqrt(2))
    assert row["refit better"] == 1
