"""benchmarks/linear_floor.py: its designs and its held-out NLL, against
scikit-learn's least squares and scipy.stats, on synthetic Carseats-like
columns (no download)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LinearRegression

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import linear_floor  # noqa: E402


def _carseats_like(n=120, seed=0):
    rng = np.random.default_rng(seed)
    numeric = ["CompPrice", "Income", "Advertising", "Population", "Price"]
    X = pd.DataFrame({name: rng.normal(size=n) for name in numeric})
    X["ShelveLoc"] = rng.choice(["Bad", "Good", "Medium"], n)
    X["Age"] = rng.normal(size=n)
    X["Education"] = rng.normal(size=n)
    X["Urban"] = rng.choice(["No", "Yes"], n)
    X["US"] = rng.choice(["No", "Yes"], n)
    y = (
        X.Income * X.Advertising
        - X.Price
        + (X.ShelveLoc == "Good")
        + rng.normal(0, 0.5, n)
    ).to_numpy()
    return X, y


def test_the_designs_hold_the_generating_terms():
    X, _ = _carseats_like()
    designs = linear_floor.designs(X)
    # Intercept, 11 one-hot columns; the 2 interactions; without the 4 unused.
    shapes = {name: A.shape[1] for name, A in designs.items()}
    assert shapes == {
        "all columns": 12,
        "all columns + 2 interactions": 14,
        "used columns + 2 interactions": 10,
    }
    A = designs["used columns + 2 interactions"]
    np.testing.assert_allclose(A[:, -2], X.Income * X.Advertising)
    np.testing.assert_allclose(A[:, -1], X.Price * X.Age)


def test_held_out_nll_is_least_squares_with_the_unbiased_spread():
    X, y = _carseats_like()
    A = linear_floor.designs(X)["all columns + 2 interactions"]
    train, test = np.arange(90), np.arange(90, 120)
    reference = LinearRegression(fit_intercept=False).fit(A[train], y[train])
    residual = y[train] - reference.predict(A[train])
    spread = np.sqrt(np.sum(residual**2) / (len(train) - A.shape[1]))
    expected = -np.mean(stats.norm.logpdf(y[test], reference.predict(A[test]), spread))
    got = linear_floor.held_out_nll(A, y, train, test)
    assert got == pytest.approx(expected, rel=1e-10)


def test_the_generating_model_scores_below_the_one_with_unused_columns():
    # Many splits of a small sample: the unused columns cost held-out NLL.
    X, y = _carseats_like(n=400, seed=1)
    designs = linear_floor.designs(X)
    rng = np.random.default_rng(0)
    gaps = []
    for _ in range(30):
        rows = rng.permutation(len(y))
        train, test = rows[:60], rows[60:]
        gaps.append(
            linear_floor.held_out_nll(
                designs["all columns + 2 interactions"], y, train, test
            )
            - linear_floor.held_out_nll(
                designs["used columns + 2 interactions"], y, train, test
            )
        )
    assert np.mean(gaps) > 0
