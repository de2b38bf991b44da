"""Regressor, 20,000 x 100 float64, two hidden layers of 100, batch 200.

Run: python benchmarks/bench_regressor.py [--epochs 10] [--repeats 5]
"""

import argparse

from _harness import common_params, compare
from sklearn.datasets import make_regression
from sklearn.neural_network import MLPRegressor

from sklearn_mle_nn import MLERegressor


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    X, y = make_regression(
        n_samples=20_000, n_features=100, n_informative=50, noise=10, random_state=0
    )
    # Standardized targets: scikit-learn's MLP does not rescale y itself.
    y = (y - y.mean()) / y.std()
    params = common_params((100, 100), 200, args.epochs)
    compare(
        "regressor float64",
        X,
        y,
        lambda: MLERegressor(**params, standardize_inputs=False),
        lambda: MLPRegressor(**params),
        repeats=args.repeats,
    )


if __name__ == "__main__":
    main()
