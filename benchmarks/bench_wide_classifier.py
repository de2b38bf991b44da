"""Wide classifier, 8,000 x 784 float32, one hidden layer of 512, 10 classes.

Run: python benchmarks/bench_wide_classifier.py [--epochs 10] [--repeats 3]
"""

import argparse

import numpy as np
from _harness import common_params, compare
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier

from sklearn_mle_nn import MLEClassifier


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X, y = make_classification(
        n_samples=8_000, n_features=784, n_informative=100, n_classes=10, random_state=0
    )
    params = common_params((512,), 200, args.epochs)
    compare(
        "wide classifier float32",
        X.astype(np.float32),
        y,
        lambda: MLEClassifier(**params, standardize_inputs=False),
        lambda: MLPClassifier(**params),
        repeats=args.repeats,
    )


if __name__ == "__main__":
    main()
