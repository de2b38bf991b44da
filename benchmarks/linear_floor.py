"""How low a held-out NLL the likelihood panel's Carseats rows allow.

ISLR's Carseats is simulated: ``Sales`` is linear in the features, with two
interactions (``Income:Advertising``, ``Price:Age``) and Gaussian noise. On
the panel's 20 splits (``quality_panel.split_indices``), this prints the
mean held-out Gaussian NLL (± standard error over the splits) of ordinary
least squares with the unbiased residual spread, for three designs:

- ``all columns``: the 10 features, one-hot encoded with a reference level
  dropped (11 columns): the information ``BayesianRidge`` is given in the
  panel;
- ``all columns + 2 interactions``: the generating model's terms and the
  four columns it does not use;
- ``used columns + 2 interactions``: the generating model's terms only (a
  choice made knowing the answer).

each fitted on the training rows of a split (an honest score) and, as an
optimistic reference, on all 400 rows (the test rows included). It also
prints the Shapiro-Wilk p-value and the excess kurtosis of the residuals of
the all-rows fit of the generating model: Gaussian noise leaves no other
family anything to gain.

Run from the root of the checkout::

    python benchmarks/linear_floor.py
"""

import numpy as np
import pandas as pd
import quality_panel
from scipy import stats

#: The columns the generating model does not use.
UNUSED = ("Population", "Education", "Urban_Yes", "US_Yes")


def designs(X):
    """The three design matrices (intercept first), by name."""
    columns = pd.get_dummies(X, drop_first=True).astype(float)
    interactions = np.column_stack(
        [columns.Income * columns.Advertising, columns.Price * columns.Age]
    )
    used = columns.drop(columns=list(UNUSED))
    ones = np.ones((len(columns), 1))
    return {
        "all columns": np.hstack([ones, columns.values]),
        "all columns + 2 interactions": np.hstack([ones, columns.values, interactions]),
        "used columns + 2 interactions": np.hstack([ones, used.values, interactions]),
    }


def least_squares(A, y):
    """Coefficients and unbiased residual spread of OLS."""
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    residual = y - A @ coef
    return coef, np.sqrt(residual @ residual / (len(y) - A.shape[1]))


def held_out_nll(A, y, train, test):
    """Mean Gaussian NLL on ``test`` of OLS fitted on ``train``."""
    coef, spread = least_squares(A[train], y[train])
    return -np.mean(stats.norm.logpdf(y[test], A[test] @ coef, spread))


def floor_table(X, y, n_splits=20):
    """{design: (honest mean, its standard error, all-rows mean)}."""
    everything = np.arange(len(y))
    table = {}
    for name, A in designs(X).items():
        honest, optimistic = [], []
        for split in range(n_splits):
            train, test = quality_panel.split_indices(len(y), split)
            honest.append(held_out_nll(A, y, train, test))
            optimistic.append(held_out_nll(A, y, everything, test))
        standard_error = np.std(honest, ddof=1) / np.sqrt(n_splits)
        table[name] = (np.mean(honest), standard_error, np.mean(optimistic))
    return table


def main():
    X, y = quality_panel.load("carseats")
    print("| design | OLS on the training rows | OLS on all rows |")
    print("|---|---|---|")
    for name, (honest, error, optimistic) in floor_table(X, y).items():
        print(f"| {name} | {honest:.4f} ± {error:.4f} | {optimistic:.4f} |")
    A = designs(X)["used columns + 2 interactions"]
    coef, _ = least_squares(A, y)
    residual = y - A @ coef
    print(
        f"residuals: Shapiro-Wilk p = {stats.shapiro(residual).pvalue:.2f}, "
        f"excess kurtosis {stats.kurtosis(residual):.2f}"
    )


if __name__ == "__main__":
    main()
