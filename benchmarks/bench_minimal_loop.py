"""The classifier workload as a minimal hand-written numpy loop, against both.

The loop does the work of an epoch of ours and of scikit-learn's MLP (the same
network, gathers, ReLU, softmax cross-entropy, L2 term, Nesterov momentum,
loss) in straight-line numpy with preallocated buffers, and nothing else: no
input validation, no checks, no abstraction. Its time is what numpy itself
costs for this training; the gap to it is what the library's structure costs.

Run: python benchmarks/bench_minimal_loop.py [--epochs 10] [--repeats 5]
"""

import argparse
import time
import warnings

import numpy as np
from _harness import common_params, fit_seconds_per_epoch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from sklearn_mle_nn import MLEClassifier

HIDDEN, BATCH, LEARNING_RATE, MOMENTUM, ALPHA = 100, 200, 0.01, 0.9, 1e-4


def minimal_epochs(X, y, n_epochs, seed=0):
    """Seconds per epoch of the hand-written loop (one BLAS thread, as ours)."""
    n_samples, n_features = X.shape
    n_classes = int(y.max()) + 1
    dtype = X.dtype
    Y = np.eye(n_classes, dtype=dtype)[y]
    rng = np.random.default_rng(seed)
    n_coef = n_features * HIDDEN + HIDDEN * n_classes
    params = (0.1 * rng.standard_normal(n_coef + HIDDEN + n_classes)).astype(dtype)
    grad, velocity = np.empty_like(params), np.zeros_like(params)
    scratch = np.empty(n_coef, dtype)

    def views(flat):
        W1 = flat[: n_features * HIDDEN].reshape(n_features, HIDDEN)
        W2 = flat[n_features * HIDDEN : n_coef].reshape(HIDDEN, n_classes)
        return W1, W2, flat[n_coef : n_coef + HIDDEN], flat[n_coef + HIDDEN :]

    W1, W2, b1, b2 = views(params)
    G1, G2, g1, g2 = views(grad)
    Xb, Yb = np.empty((BATCH, n_features), dtype), np.empty((BATCH, n_classes), dtype)
    A1, D1 = np.empty((BATCH, HIDDEN), dtype), np.empty((BATCH, HIDDEN), dtype)
    D2 = np.empty((BATCH, n_classes), dtype)
    ones, ones_k = np.ones(BATCH, dtype), np.ones(n_classes, dtype)
    order = np.arange(n_samples, dtype=np.int32)
    weights = params[:n_coef]

    def epoch():
        rng.shuffle(order)
        loss = 0.0
        for start in range(0, n_samples - BATCH + 1, BATCH):
            rows = order[start : start + BATCH]
            X.take(rows, axis=0, out=Xb, mode="clip")
            Y.take(rows, axis=0, out=Yb, mode="clip")
            np.dot(Xb, W1, out=A1)
            np.add(A1, b1, out=A1)
            np.maximum(A1, 0, out=A1)
            np.dot(A1, W2, out=D2)
            np.add(D2, b2, out=D2)
            np.subtract(D2, D2.max(), out=D2)
            target_term = np.vdot(Yb, D2)
            exp_sum = np.exp(D2, out=D2) @ ones_k
            np.divide(D2, exp_sum[:, np.newaxis], out=D2)
            np.subtract(D2, Yb, out=D2)
            loss += float(np.log(exp_sum).sum() - target_term)
            np.dot(A1.T, D2, out=G2)
            np.dot(ones, D2, out=g2)
            np.dot(D2, W2.T, out=D1)
            np.multiply(D1, A1 > 0, out=D1)
            np.dot(Xb.T, D1, out=G1)
            np.dot(ones, D1, out=g1)
            loss += 0.5 * ALPHA * float(np.einsum("i,i->", weights, weights))
            np.add(
                grad[:n_coef],
                np.multiply(weights, ALPHA, out=scratch),
                out=grad[:n_coef],
            )
            np.multiply(grad, LEARNING_RATE / BATCH, out=grad)
            np.multiply(velocity, MOMENTUM, out=velocity)
            np.subtract(velocity, grad, out=velocity)
            np.subtract(params, grad, out=params)
            np.add(params, np.multiply(velocity, MOMENTUM, out=grad), out=params)
        return loss

    with threadpool_limits(1, user_api="blas"):
        start = time.perf_counter()
        for _ in range(n_epochs):
            epoch()
        return (time.perf_counter() - start) / n_epochs


def compare(X, y, params, epochs, repeats):
    """Interleaved runs of the three; print the medians and their ratios."""
    runs = {
        "minimal loop": lambda: minimal_epochs(X, y, epochs),
        "sklearn_mle_nn": lambda: fit_seconds_per_epoch(
            lambda: MLEClassifier(**params), X, y
        )[0],
        "scikit-learn": lambda: fit_seconds_per_epoch(
            lambda: MLPClassifier(**params), X, y
        )[0],
    }
    seconds = {label: [] for label in runs}
    for _ in range(repeats):
        for label, run in runs.items():
            seconds[label].append(run())
    ms = {label: 1e3 * np.median(values) for label, values in seconds.items()}
    print(f"\nclassifier {X.dtype}, ms/epoch (median of {repeats}):")
    for label, value in ms.items():
        print(f"  {label:16}{value:8.2f}")
    print(
        f"  ours / minimal loop: {ms['sklearn_mle_nn'] / ms['minimal loop']:.2f}; "
        f"scikit-learn / minimal loop: {ms['scikit-learn'] / ms['minimal loop']:.2f}"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = make_classification(
        n_samples=20_000, n_features=100, n_informative=40, n_classes=10, random_state=0
    )
    params = common_params((HIDDEN,), BATCH, args.epochs)
    for dtype in (np.float32, np.float64):
        compare(X.astype(dtype), y, params, args.epochs, args.repeats)


if __name__ == "__main__":
    main()
