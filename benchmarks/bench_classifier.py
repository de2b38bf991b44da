"""Classifier, 20,000 x 100, one hidden layer of 100, 10 classes, batch 200.

Run: python benchmarks/bench_classifier.py [--epochs 10] [--repeats 5]
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
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    X, y = make_classification(
        n_samples=20_000, n_features=100, n_informative=40, n_classes=10, random_state=0
    )
    params = common_params((100,), 200, args.epochs)
    for dtype in (np.float32, np.float64):
        Xd = X.astype(dtype)
        compare(
            f"classifier {dtype.__name__}",
            Xd,
            y,
            lambda: MLEClassifier(**params, standardize_inputs=False),
            lambda: MLPClassifier(**params),
            repeats=args.repeats,
        )


if __name__ == "__main__":
    main()
