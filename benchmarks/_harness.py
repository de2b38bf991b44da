"""Shared harness: run one workload through sklearn_mle_nn and scikit-learn.

Both estimators see the same data, architecture, solver, batch size, number of
epochs and dtype. Ours runs twice: with the compiled kernels (the ``fast``
extra, numba) when numba is installed, and with numpy alone. Runs are
interleaved (compiled, numpy, scikit-learn, compiled, ...) so that the
machine's load affects all alike; the median of the repeats is reported,
after one warm-up fit of each (which compiles, or loads the compiled kernels).

In the same run the harness times the matrix products of an epoch alone, with
nothing else: the work that every implementation must do (the floor). Each
epoch is printed as a multiple of the floor, and scikit-learn's time divided
by it is the largest speed-up that any implementation calling the same BLAS
could reach.
"""

import gc
import os
import time
import tracemalloc
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

import sklearn_mle_nn
from sklearn_mle_nn import _compiled

# The compiled rows time the kernels per epoch, after a warm-up fit: on
# every workload, not only where a first fit's work pays for loading them.
os.environ.setdefault(_compiled.ENVIRONMENT_VARIABLE, "always")

OURS_COMPILED, OURS_NUMPY = "ours, compiled", "ours, numpy"
THEIRS, THEIRS_ONE_THREAD = "scikit-learn", "sklearn, 1 thread"


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


def _with_compiled(enabled, factory):
    """``factory``, whose fits use the compiled kernels or numpy alone."""

    def fit_with(method, *args):
        previous, _compiled.ENABLED = _compiled.ENABLED, enabled
        try:
            return method(*args)
        finally:
            _compiled.ENABLED = previous

    def make():
        estimator = factory()
        fit = estimator.fit
        estimator.fit = lambda X, y: fit_with(fit, X, y)
        return estimator

    return make


def _on_one_blas_thread(factory):
    """``factory``, whose fits run on one BLAS thread (as ours do here)."""

    def make():
        estimator = factory()
        fit = estimator.fit

        def fit_on_one_thread(X, y):
            with threadpool_limits(1, user_api="blas"):
                return fit(X, y)

        estimator.fit = fit_on_one_thread
        return estimator

    return make


def compare(name, X, y, ours, theirs, repeats=5):
    """Time, score, memory and latency of the estimator factories; print a table.

    Returns the speed-ups per epoch over scikit-learn, by label of ours.
    """
    warnings.simplefilter("ignore", ConvergenceWarning)
    factories = {}
    if _compiled.ENABLED:
        factories[OURS_COMPILED] = _with_compiled(True, ours)
    factories[OURS_NUMPY] = _with_compiled(False, ours)
    factories[THEIRS] = theirs
    # On a busy machine a second BLAS thread waits for the scheduler at
    # every product: scikit-learn on one thread shows its speed without it.
    factories[THEIRS_ONE_THREAD] = _on_one_blas_thread(theirs)
    load_before = os.getloadavg()
    for factory in factories.values():
        factory().fit(X, y)  # warm-up: compiles or loads the kernels
    timings = {label: [] for label in factories}
    fitted = {}
    for _ in range(repeats):
        for label, factory in factories.items():
            seconds, fitted[label] = fit_seconds_per_epoch(factory, X, y)
            timings[label].append(seconds)
    floor_ms = 1e3 * matrix_product_floor(fitted[OURS_NUMPY], *X.shape[:1], X.dtype)
    ms = {label: 1e3 * np.median(values) for label, values in timings.items()}
    memory = {
        label: _peak_fit_memory(factory, X, y) for label, factory in factories.items()
    }
    latency = {
        label: 1e6 * _predict_one_row_seconds(est, X) for label, est in fitted.items()
    }
    score = {label: est.score(X, y) for label, est in fitted.items()}

    print(
        f"\n{name}: X {X.shape} {X.dtype}; sklearn {sklearn.__version__}, "
        f"sklearn_mle_nn {sklearn_mle_nn.__version__}, numpy {np.__version__}; "
        f"load average {load_before[0]:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end (1 minute)"
    )
    header = (
        "ms/epoch",
        "x floor",
        "sklearn / this",
        "train score",
        "peak fit MB",
        "predict 1 row us",
    )
    print(f"{'':16}" + "".join(f"{column:>17}" for column in header))
    for label in factories:
        values = (
            ms[label],
            ms[label] / floor_ms,
            ms[THEIRS] / ms[label],
            score[label],
            memory[label] / 2**20,
            latency[label],
        )
        print(f"{label:16}" + "".join(f"{value:>17.4g}" for value in values))
    bound = ms[THEIRS] / floor_ms
    print(
        f"{'products alone':16}{floor_ms:>17.4g}{1:>17.4g}{bound:>17.4g}"
        "  (the floor; sklearn / floor bounds any speed-up)"
    )
    for label in (OURS_COMPILED, OURS_NUMPY):
        if label not in factories:
            continue
        print(
            f"{label}: speed-up over sklearn on one BLAS thread "
            f"{ms[THEIRS_ONE_THREAD] / ms[label]:.2f}x"
        )
        print(
            f"{label}: score - sklearn's {score[label] - score[THEIRS]:+.4f}; "
            f"peak memory / sklearn's {memory[label] / memory[THEIRS]:.2f}; "
            f"predict latency / sklearn's {latency[label] / latency[THEIRS]:.2f}"
        )
    return {label: ms[THEIRS] / ms[label] for label in factories}
