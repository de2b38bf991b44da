"""Versions of this package side by side, in one process, on the workloads.

Runs the current package (compiled path and numpy alone) against older
versions copied under other package names, and scikit-learn's MLP, on the
workloads of ``bench_classifier.py``, ``bench_regressor.py`` and
``bench_wide_classifier.py``, interleaved, with the matrix-product floor of
the same run. Make an older version importable under another name with,
for example::

    mkdir /tmp/versions && git archive 8456df7 sklearn_mle_nn | tar x -C /tmp/versions
    mv /tmp/versions/sklearn_mle_nn /tmp/versions/snn_8456df7

(the package imports its own modules relatively, so the copy runs as it is),
then:

    PYTHONPATH=/tmp/versions python benchmarks/bench_versions.py classifier32 \\
        --versions snn_8456df7

Speed-ups are over the faster of scikit-learn at its default and on one BLAS
thread.

Run: python benchmarks/bench_versions.py WORKLOAD [--versions a,b]
[--epochs 10] [--repeats 5] [--no-sklearn-default]
"""

import argparse
import importlib
import warnings

import numpy as np
from _harness import (
    _on_one_blas_thread,
    common_params,
    fit_seconds_per_epoch,
    matrix_product_floor,
)
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor


def _classifier(n_samples, n_features, n_informative, hidden, dtype):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_classes=10,
        random_state=0,
    )
    return X.astype(dtype), y, hidden, "MLEClassifier", MLPClassifier


def _regressor():
    X, y = make_regression(
        n_samples=20_000, n_features=100, n_informative=50, noise=10, random_state=0
    )
    y = (y - y.mean()) / y.std()
    return X, y, (100, 100), "MLERegressor", MLPRegressor


WORKLOADS = {
    "classifier32": lambda: _classifier(20_000, 100, 40, (100,), np.float32),
    "classifier64": lambda: _classifier(20_000, 100, 40, (100,), np.float64),
    "regressor": _regressor,
    "wide": lambda: _classifier(8_000, 784, 100, (512,), np.float32),
}


def _ours(package, compiled, class_name, params):
    """A factory of ``package``'s estimator, with its compiled path on or off."""
    module = importlib.import_module(package)
    try:
        switch = importlib.import_module(f"{package}._compiled")
    except ImportError:  # a version from before the compiled path
        switch = None

    def make():
        estimator = getattr(module, class_name)(**params, standardize_inputs=False)
        fit = estimator.fit

        def fit_with_switch(X, y):
            if switch is None:
                return fit(X, y)
            previous, switch.ENABLED = switch.ENABLED, compiled
            try:
                return fit(X, y)
            finally:
                switch.ENABLED = previous

        estimator.fit = fit_with_switch
        return estimator

    return make


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--versions", default="", help="comma-separated packages")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-sklearn-default", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y, hidden, class_name, theirs = WORKLOADS[args.workload]()
    params = common_params(hidden, 200, args.epochs)
    factories = {}
    for package in ["sklearn_mle_nn", *filter(None, args.versions.split(","))]:
        for compiled in (True, False):
            label = f"{package}, {'compiled' if compiled else 'numpy'}"
            factories[label] = _ours(package, compiled, class_name, params)
    factories["sklearn, 1 thread"] = _on_one_blas_thread(lambda: theirs(**params))
    if not args.no_sklearn_default:
        factories["sklearn, default"] = lambda: theirs(**params)
    for factory in factories.values():
        factory().fit(X, y)  # warm-up: compiles or loads the kernels
    seconds = {label: [] for label in factories}
    fitted = {}
    for _ in range(args.repeats):
        for label, factory in factories.items():
            elapsed, fitted[label] = fit_seconds_per_epoch(factory, X, y)
            seconds[label].append(elapsed)
    any_fit = fitted["sklearn_mle_nn, numpy"]
    floor_ms = 1e3 * matrix_product_floor(any_fit, X.shape[0], X.dtype)
    ms = {label: 1e3 * np.median(values) for label, values in seconds.items()}
    theirs_ms = min(ms[label] for label in ms if label.startswith("sklearn,"))
    print(f"\n{args.workload}: X {X.shape} {X.dtype}; floor {floor_ms:.4g} ms/epoch")
    columns = ("ms/epoch", "x floor", "speed-up", "spread ms", "train score")
    print(f"{'':28}" + "".join(f"{column:>13}" for column in columns))
    for label in factories:
        spread = 1e3 * (max(seconds[label]) - min(seconds[label]))
        values = (ms[label], ms[label] / floor_ms, theirs_ms / ms[label], spread)
        score = fitted[label].score(X, y)
        print(
            f"{label:28}"
            + "".join(f"{value:>13.4g}" for value in values)
            + f"{score:>13.4f}"
        )


if __name__ == "__main__":
    main()
