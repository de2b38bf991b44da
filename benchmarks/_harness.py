"""Shared harness: run one workload through sklearn_mle_nn and scikit-learn.

Both estimators see the same data, architecture, solver, batch size, number of
epochs and dtype. Runs are interleaved (ours, theirs, ours, ...) so that the
machine's load affects both alike; the median of the repeats is reported.

Alongside, the harness times the matrix products of an epoch alone, with
nothing else: the work that both libraries must do. scikit-learn's time per
epoch divided by it is the largest speed-up that any implementation calling
the same BLAS could reach.
"""

import gc
import time
import tracemalloc
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

import sklearn_mle_nn


def common_params(hidden_layer_sizes, batch_size, epochs):
    """Hyper-parameters both libraries accept with the same meaning."""
    return dict(
        hidden_layer_sizes=hidden_layer_sizes,
        activation="relu",
        solver="sgd",
        learning_rate_init=0.01,
        momentum=0.9,
        nesterovs_momentum=True,
        alpha=1e-4,
        batch_size=batch_size,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        shuffle=True,
        early_stopping=False,
        random_state=0,
    )


def fit_seconds_per_epoch(make_estimator, X, y):
    """Seconds per epoch of one fit of a new estimator, and the fitted estimator."""
    estimator = make_estimator()
    gc.collect()
    start = time.perf_counter()
    estimator.fit(X, y)
    elapsed = time.perf_counter() - start
    return elapsed / estimator.n_iter_, estimator


def _peak_fit_memory(make_estimator, X, y):
    estimator = make_estimator()
    gc.collect()
    tracemalloc.start()
    estimator.fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _predict_one_row_seconds(estimator, X, repeats=2000):
    row = X[:1]
    estimator.predict(row)
    start = time.perf_counter()
    for _ in range(repeats):
        estimator.predict(row)
    return (time.perf_counter() - start) / repeats


def _epoch_of_products(coef_shapes, n_samples, batch_size, dtype):
    """A function that runs one epoch's matrix products, and nothing else.

    Per batch: each layer's input times its weights (forward), each layer's
    input transposed times its error signal (weight gradient) and, below the
    output, the error signal times the transposed weights (backward).
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_samples, coef_shapes[0][0])).astype(dtype)
    coefs = [0.1 * rng.standard_normal(shape).astype(dtype) for shape in coef_shapes]
    grads = [np.empty_like(coef) for coef in coefs]
    units = [shape[1] for shape in coef_shapes]
    outputs = [np.empty((batch_size, n), dtype) for n in units]
    deltas = [0.1 * rng.standard_normal((batch_size, n)).astype(dtype) for n in units]

    def epoch():
        for start in range(0, n_samples - batch_size + 1, batch_size):
            A = X[start : start + batch_size]
            inputs = [A]
            for coef, out in zip(coefs, outputs):
                A = np.dot(A, coef, out=out)
                inputs.append(A)
            for i in range(len(coefs) - 1, -1, -1):
                np.dot(inputs[i].T, deltas[i], out=grads[i])
                if i > 0:
                    np.dot(deltas[i], coefs[i].T, out=deltas[i - 1])

    return epoch


def matrix_product_floor(estimator, n_samples, dtype, repeats=5):
    """Seconds per epoch of the fitted network's matrix products alone.

    The faster of one BLAS thread and the library's default is kept.
    """
    coef_shapes = [coef.shape for coef in estimator.coefs_]
    epoch = _epoch_of_products(coef_shapes, n_samples, estimator.batch_size, dtype)
    best = np.inf
    for threads in (1, None):
        with threadpool_limits(threads, user_api="blas"):
            epoch()
            for _ in range(repeats):
                start = time.perf_counter()
                epoch()
                best = min(best, time.perf_counter() - start)
    return best


def compare(name, X, y, ours, theirs, repeats=5):
    """Time, score, memory and latency of two estimator factories; print a table."""
    warnings.simplefilter("ignore", ConvergenceWarning)
    timings = {"sklearn_mle_nn": [], "scikit-learn": []}
    fitted = {}
    for _ in range(repeats):
        for label, factory in (("sklearn_mle_nn", ours), ("scikit-learn", theirs)):
            seconds, fitted[label] = fit_seconds_per_epoch(factory, X, y)
            timings[label].append(seconds)
    ms = {label: 1e3 * np.median(values) for label, values in timings.items()}
    memory = {
        label: _peak_fit_memory(factory, X, y)
        for label, factory in (("sklearn_mle_nn", ours), ("scikit-learn", theirs))
    }
    latency = {
        label: 1e6 * _predict_one_row_seconds(est, X) for label, est in fitted.items()
    }
    score = {label: est.score(X, y) for label, est in fitted.items()}
    floor_ms = 1e3 * matrix_product_floor(
        fitted["sklearn_mle_nn"], *X.shape[:1], X.dtype
    )

    print(
        f"\n{name}: X {X.shape} {X.dtype}; sklearn {sklearn.__version__}, "
        f"sklearn_mle_nn {sklearn_mle_nn.__version__}, numpy {np.__version__}"
    )
    header = ("ms/epoch", "train score", "peak fit MB", "predict 1 row us")
    print(f"{'':16}" + "".join(f"{column:>18}" for column in header))
    for label in timings:
        values = (ms[label], score[label], memory[label] / 2**20, latency[label])
        print(f"{label:16}" + "".join(f"{value:>18.4g}" for value in values))
    ours, theirs = "sklearn_mle_nn", "scikit-learn"
    ratio = ms[theirs] / ms[ours]
    print(f"speed-up per epoch (scikit-learn / ours): {ratio:.2f}x")
    print(
        f"matrix products alone: {floor_ms:.4g} ms/epoch; largest possible "
        f"speed-up (scikit-learn / products alone): {ms[theirs] / floor_ms:.2f}x"
    )
    print(f"score difference (ours - theirs): {score[ours] - score[theirs]:+.4f}")
    print(f"peak memory ratio (ours / theirs): {memory[ours] / memory[theirs]:.2f}")
    latency_ratio = latency[ours] / latency[theirs]
    print(f"predict latency ratio (ours / theirs): {latency_ratio:.2f}")
    return ratio
