"""Fits and predictions running concurrently in threads.

The BLAS thread limit of small fits is process-wide state: whatever the
order in which concurrent fits end, the process's settings must be left
exactly as they were found, and every model must be the one a serial fit
gives.
"""

import contextlib
import itertools
import threading
import time
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from types import SimpleNamespace

import joblib
import numpy as np
import pytest
import threadpoolctl
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sklearn_mle_nn import MLEAutoencoder, MLEClassifier, MLERegressor, _threads
from sklearn_mle_nn._threads import _release_openblas_control, limit_blas_threads

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (16,), "max_iter": 20, "tol": 0.0}


def _thread_counts():
    """Every loaded library's thread limit, as threadpoolctl reports it."""
    return [(info["filepath"], info["num_threads"]) for info in _info()]


def _limits_of(found):
    """The thread limits now of the libraries in ``found``, in its order.

    By path: a library first loaded during a test (one BLAS or another, as
    the tests before it in the worker happened to load) changes the list's
    order and length, not the limits that were found.
    """
    now = dict(_thread_counts())
    return [(path, now.get(path)) for path, _ in found]


def _info():
    return threadpoolctl.threadpool_info()


def _blas_counts():
    return [info["num_threads"] for info in _info() if info["user_api"] == "blas"]


@pytest.fixture
def found():
    """The thread limits before the test; the test must leave them so."""
    blas = _blas_counts()
    if not blas or max(blas) == 1:
        pytest.skip(
            "BLAS already runs on one thread here: a limit left behind would not show"
        )
    found = _thread_counts()
    yield found
    # A limit a failing test left behind must not change what the next finds.
    limits = dict(found)
    for library in threadpoolctl.ThreadpoolController().lib_controllers:
        if library.filepath in limits:
            library.set_num_threads(limits[library.filepath])
    _release_openblas_control()


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=240, n_features=10, n_informative=6, n_classes=3, random_state=0
    )
    return X, y


def _fit(estimator, X, y):
    return estimator.fit(X, y)


def _targets(estimator, y):
    if isinstance(estimator, MLEAutoencoder):
        return None
    return y.astype(float) if isinstance(estimator, MLERegressor) else y


def _assert_same_models(fitted, reference):
    for model, expected in zip(fitted, reference, strict=True):
        for coef, expected_coef in zip(model.coefs_, expected.coefs_, strict=True):
            assert_array_equal(coef, expected_coef)
        assert model.n_iter_ == expected.n_iter_


# ---- the context, exits in every order ----------------------------------------


def _hold_limits(n_holders, exit_order, probe=_blas_counts):
    """Enter the limit in ``n_holders`` threads; leave it in ``exit_order``.

    Returns what ``probe`` (by default the BLAS limits) saw inside each block
    once all had entered, and after each exit.
    """
    entered = threading.Barrier(n_holders + 1)
    leave = [threading.Event() for _ in range(n_holders)]
    inside = [None] * n_holders

    def hold(i):
        with limit_blas_threads():
            entered.wait()
            inside[i] = probe()
            leave[i].wait()

    threads = [threading.Thread(target=hold, args=(i,)) for i in range(n_holders)]
    for thread in threads:
        thread.start()
    entered.wait()
    after_exit = []
    for i in exit_order:
        leave[i].set()
        threads[i].join()
        after_exit.append(probe())
    return inside, after_exit


@pytest.mark.parametrize("exit_order", list(itertools.permutations(range(3))))
def test_overlapping_limits_restore_whatever_the_exit_order(found, exit_order):
    """The first to enter lowers the limit; only the last to leave restores it."""
    n_blas = len(_blas_counts())
    inside, after_exit = _hold_limits(3, exit_order)
    assert inside == [[1] * n_blas] * 3
    # While any block still runs, the limit holds for it.
    assert after_exit[:-1] == [[1] * n_blas] * 2
    assert _limits_of(found) == found


class _PerThreadPool:
    """A stand-in for OpenBLAS built on OpenMP: one limit per calling thread."""

    def __init__(self, default):
        self.default = default
        self.limits = {}
        self.lib_controllers = [self]

    @contextlib.contextmanager
    def limit(self, limits):
        thread = threading.get_ident()
        before = self.limits.get(thread, self.default)
        self.limits[thread] = limits
        try:
            yield
        finally:
            self.limits[thread] = before

    def own(self):
        return self.limits.get(threading.get_ident(), self.default)


def test_per_thread_pools_are_limited_and_restored_by_each_thread(monkeypatch):
    """A shared count would leave the first thread of a per-thread pool at 1."""
    pool = _PerThreadPool(default=4)
    no_shared_pool = SimpleNamespace(lib_controllers=[])
    monkeypatch.setattr(_threads, "_blas_controllers", lambda: (no_shared_pool, pool))
    inside, _ = _hold_limits(3, exit_order=(2, 0, 1), probe=pool.own)
    assert inside == [1, 1, 1]
    assert set(pool.limits.values()) == {4}


def test_nested_limits_in_one_thread_restore(found):
    with limit_blas_threads():
        with limit_blas_threads():
            assert set(_blas_counts()) == {1}
        assert set(_blas_counts()) == {1}
    assert _limits_of(found) == found


def test_limit_restored_when_the_block_raises(found):
    with pytest.raises(RuntimeError, match="inside"):
        with limit_blas_threads():
            raise RuntimeError("inside")
    assert _limits_of(found) == found


# ---- products shared between two threads ----------------------------------------


def _product(n_rows=64, seed=0):
    rng = np.random.RandomState(seed)
    A = rng.standard_normal((n_rows, 30))
    B = rng.standard_normal((30, 20))
    return A, B


def _halves(A, B):
    """The product as ``dot`` computes it: two BLAS calls, one per half."""
    half = A.shape[0] // 2
    return np.vstack([A[:half] @ B, A[half:] @ B])


@pytest.fixture
def split_everything(monkeypatch):
    """Every product with more than one row counts as large; BLAS runs on
    one thread, as in training (its own threads may split sums differently)."""
    monkeypatch.setattr(_threads, "SMALL_PRODUCT", 1)
    # A new worker, which has measured nothing yet.
    monkeypatch.setattr(_threads, "_helper", _threads._Helper())
    with limit_blas_threads():
        yield


def test_large_product_is_shared_with_the_worker(split_everything):
    A, B = _product()
    out = np.empty((A.shape[0], B.shape[1]))
    result = _threads.dot(A, B, out)
    assert result is out
    assert_array_equal(out, _halves(A, B))
    assert_allclose(out, A @ B, rtol=1e-12)
    speed = _threads._helper.speed("product")
    assert speed.seconds[True] > 0  # a shared product, measured
    assert speed.seconds[False] > 0  # and the other way, estimated


class _CountingPool:
    """Stands in for the worker: runs the half at once, and counts."""

    def __init__(self):
        self.n_submitted = 0

    def submit(self, function, *args):
        self.n_submitted += 1
        future = Future()
        future.set_result(function(*args))
        return future


def test_products_are_not_shared_while_sharing_is_slower(split_everything):
    """On a busy machine the worker waits for a core: the caller does both
    halves, and tries sharing again once every ``PROBE`` products."""
    helper = _threads._helper
    speed = helper.speed("product")
    pool = _CountingPool()
    helper.pool = lambda: pool
    A, B = _product()
    out = np.empty((A.shape[0], B.shape[1]))
    # Sharing measured at twice the time per multiply-add of not sharing.
    speed.seconds = {True: 2.0, False: 1.0}
    for _ in range(speed.PROBE):
        _threads.dot(A, B, out)
    assert pool.n_submitted == 1
    assert_array_equal(out, _halves(A, B))
    # And every product is shared once sharing is the faster: a shared
    # product also measures the other way (twice the caller's own half).
    speed.seconds = {True: 0.5, False: 1.0}
    for _ in range(speed.PROBE):
        _threads.dot(A, B, out)
    assert pool.n_submitted == 1 + speed.PROBE


class _LatePool:
    """A worker that starts its half late, as on a machine with no free core."""

    def __init__(self, delay):
        self.delay = delay
        self.n_submitted = 0
        self._pool = ThreadPoolExecutor(1)

    def submit(self, function, *args):
        self.n_submitted += 1

        def late():
            time.sleep(self.delay)
            return function(*args)

        return self._pool.submit(late)


def test_sharing_stops_when_the_worker_starts_late(split_everything):
    """Sharing costs the worker's delay: once that is longer than the
    caller's own half, products are not shared, but for a probe now and
    then; the numbers are the same either way."""
    helper = _threads._helper
    pool = _LatePool(delay=0.02)
    helper.pool = lambda: pool
    A, B = _product(n_rows=200)
    out = np.empty((A.shape[0], B.shape[1]))
    n_products = 2 * _threads._Speed.PROBE
    for _ in range(n_products):
        _threads.dot(A, B, out)
        assert_array_equal(out, _halves(A, B))
    assert pool.n_submitted <= 1 + n_products // _threads._Speed.PROBE
    pool._pool.shutdown()


def test_an_error_in_the_workers_half_reaches_the_caller(split_everything):
    def half(fails):
        if fails:
            raise ZeroDivisionError("in the worker")
        return threading.current_thread().name

    with pytest.raises(ZeroDivisionError, match="in the worker"):
        _threads.in_two(half, (False,), (True,), "test", 1)
    # The worker goes on serving, on its own thread, and the lock is free.
    first, second = _threads.in_two(half, (False,), (False,), "test", 1)
    assert first == threading.current_thread().name
    assert second == "sklearn_mle_nn"
    assert not _threads._helper.lock.locked()


def test_split_product_does_not_depend_on_the_worker_being_free(split_everything):
    """With the worker busy the caller does both halves: the same numbers."""
    A, B = _product(n_rows=65)
    shared = np.empty((65, 20))
    _threads.dot(A, B, shared)
    alone = np.empty((65, 20))
    with _threads._helper.lock:
        _threads.dot(A, B, alone)
    assert_array_equal(alone, shared)
    assert_array_equal(alone, _halves(A, B))


def test_small_product_is_one_blas_call(monkeypatch):
    calls = []
    monkeypatch.setattr(
        _threads, "_helper", SimpleNamespace(lock=SimpleNamespace(acquire=calls.append))
    )
    A, B = _product()
    out = np.empty((A.shape[0], B.shape[1]))
    _threads.dot(A, B, out)
    assert calls == []
    assert_array_equal(out, A @ B)


def test_prediction_shares_large_products_on_one_blas_thread(found, monkeypatch):
    """A forward pass over many rows: chunks of rows, BLAS on one thread,
    each chunk's products split in halves with the worker; the limits are
    as found afterwards."""
    from sklearn_mle_nn import _network
    from sklearn_mle_nn._activations import Relu

    monkeypatch.setattr(_threads, "SMALL_PRODUCT", 1)
    monkeypatch.setattr(_threads, "_helper", _threads._Helper())
    rng = np.random.RandomState(0)
    X = rng.standard_normal((3 * _network.FORWARD_CHUNK + 5, 30))
    coefs = [rng.standard_normal((30, 20)), rng.standard_normal((20, 3))]
    intercepts = [rng.standard_normal(20), rng.standard_normal(3)]
    blas_threads = []
    np_dot = np.dot

    def spy(*args, **kwargs):
        blas_threads.append(max(_blas_counts()))
        return np_dot(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(_threads.np, "dot", spy)
        output = _network.forward(X, coefs, intercepts, [Relu])
    assert set(blas_threads) == {1}
    assert _threads._helper.speed("product").seconds[True] > 0
    expected = []
    for start in range(0, X.shape[0], _network.FORWARD_CHUNK):
        hidden = _halves(X[start : start + _network.FORWARD_CHUNK], coefs[0])
        hidden = np.maximum(hidden + intercepts[0], 0)
        expected.append(_halves(hidden, coefs[1]) + intercepts[1])
    assert_array_equal(output, np.vstack(expected))
    assert_allclose(
        output,
        np.maximum(X @ coefs[0] + intercepts[0], 0) @ coefs[1] + intercepts[1],
        rtol=1e-12,
    )


def test_concurrent_split_products_equal_serial(split_everything):
    products = [_product(n_rows=40 + i, seed=i) for i in range(24)]
    expected = [_halves(A, B) for A, B in products]

    def compute(product):
        A, B = product
        return _threads.dot(A, B, np.empty((A.shape[0], B.shape[1])))

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(compute, products))
    for result, reference in zip(results, expected, strict=True):
        assert_array_equal(result, reference)


def test_a_limit_the_user_sets_between_fits_is_kept(found):
    """The settings are read again when a first fit enters, not cached."""
    with limit_blas_threads():
        pass
    assert _limits_of(found) == found
    # The user's own limit: the fit inside their block must leave it, not
    # put back the settings a previous fit found.
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        with limit_blas_threads():
            pass
        assert set(_blas_counts()) == {1}
    assert _limits_of(found) == found


# ---- whole fits -----------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator",
    [MLEClassifier(**FAST), MLERegressor(**FAST), MLEAutoencoder(**FAST)],
    ids=lambda estimator: type(estimator).__name__,
)
def test_concurrent_fits_equal_serial_fits_and_restore(found, data, estimator):
    X, y = data
    y = _targets(estimator, y)
    # Fits of different lengths end in an order unlike the one they began in.
    models = [
        clone(estimator).set_params(random_state=seed, max_iter=max_iter)
        for seed, max_iter in enumerate([40, 10, 30, 5, 20, 15])
    ]
    serial = [_fit(clone(model), X, y) for model in models]
    assert _limits_of(found) == found
    with ThreadPoolExecutor(4) as executor:
        fitted = list(executor.map(lambda model: _fit(model, X, y), models))
    _assert_same_models(fitted, serial)
    assert _limits_of(found) == found


def test_concurrent_fits_with_split_products_equal_serial_fits(
    found, data, monkeypatch
):
    """Products shared with the worker, or not when it is busy: same models."""
    monkeypatch.setattr(_threads, "SMALL_PRODUCT", 1)
    X, y = data
    models = [
        MLEClassifier(**FAST).set_params(random_state=seed, max_iter=max_iter)
        for seed, max_iter in enumerate([20, 5, 15, 10])
    ]
    serial = [_fit(clone(model), X, y) for model in models]
    with ThreadPoolExecutor(4) as executor:
        fitted = list(executor.map(lambda model: _fit(model, X, y), models))
    _assert_same_models(fitted, serial)
    assert _limits_of(found) == found


def test_grid_search_on_threads_equals_serial(found, data):
    X, y = data
    search = GridSearchCV(
        MLEClassifier(random_state=0, **FAST),
        {"hidden_layer_sizes": [(4,), (16,)], "alpha": [1e-4, 0.1]},
        cv=3,
    )
    serial = clone(search).set_params(n_jobs=1).fit(X, y)
    with joblib.parallel_backend("threading"):
        threaded = clone(search).set_params(n_jobs=4).fit(X, y)
    for key in serial.cv_results_:
        if key.startswith(("split", "mean_test", "std_test", "rank")):
            assert_array_equal(threaded.cv_results_[key], serial.cv_results_[key])
    assert _limits_of(found) == found


def test_dask_threaded_scheduler_fits_equal_serial(found, data):
    dask = pytest.importorskip(
        "dask", reason='dask is optional: pip install -e ".[dask]"'
    )
    X, y = data
    estimator = MLEClassifier(**FAST)
    seeds = range(6)
    serial = [_fit(clone(estimator).set_params(random_state=s), X, y) for s in seeds]
    tasks = [
        dask.delayed(_fit)(clone(estimator).set_params(random_state=s), X, y)
        for s in seeds
    ]
    with dask.config.set(scheduler="threads", num_workers=4):
        fitted = dask.compute(*tasks)
    _assert_same_models(fitted, serial)
    assert _limits_of(found) == found


# ---- predictions from many threads on one model -----------------------------------


def _predictions(classifier, regressor, autoencoder, X):
    """Every prediction method, on one row block; sample with a fixed seed."""
    return {
        "predict": classifier.predict(X),
        "predict_proba": classifier.predict_proba(X),
        "predict_log_proba": classifier.predict_log_proba(X),
        "classifier.sample": classifier.sample(X, n_samples=3, random_state=7),
        "regressor.predict": regressor.predict(X),
        "regressor.std": regressor.predict(X, return_std=True)[1],
        "regressor.sample": regressor.sample(X, n_samples=3, random_state=7),
        "transform": autoencoder.transform(X),
        "inverse_transform": autoencoder.inverse_transform(autoencoder.transform(X)),
        "score_samples": autoencoder.score_samples(X),
        "autoencoder.sample": autoencoder.sample(X, n_samples=2, random_state=7),
    }


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return (
            MLEClassifier(random_state=0, **FAST).fit(X, y),
            MLERegressor(random_state=0, **FAST).fit(X, y.astype(float)),
            MLEAutoencoder(random_state=0, **FAST).fit(X),
        )


def test_concurrent_predictions_equal_serial(found, data, fitted):
    X, _ = data
    blocks = [X[start : start + 40] for start in range(0, len(X), 40)]
    serial = [_predictions(*fitted, block) for block in blocks]
    with ThreadPoolExecutor(8) as executor:
        # Every block several times, interleaved, so that calls overlap.
        concurrent = list(
            executor.map(lambda block: _predictions(*fitted, block), blocks * 5)
        )
    for i, result in enumerate(concurrent):
        expected = serial[i % len(blocks)]
        for name, value in expected.items():
            assert_array_equal(result[name], value, err_msg=name)
    assert _limits_of(found) == found


def test_load_hundreds_of_concurrent_fits_and_predictions(found, data):
    """400 calls on 8 threads: small fits overlapping with predictions."""
    X, y = data
    X, y = X[:60], y[:60]
    tiny = MLEClassifier(hidden_layer_sizes=(4,), max_iter=3, tol=0.0)
    shared = clone(tiny).set_params(random_state=0).fit(X, y)
    expected_proba = shared.predict_proba(X)
    n_fits = 100

    def call(i):
        if i % 4 == 0:
            return _fit(clone(tiny).set_params(random_state=i % 10), X, y).coefs_
        return shared.predict_proba(X)

    serial_fits = {
        seed: _fit(clone(tiny).set_params(random_state=seed), X, y).coefs_
        for seed in range(10)
    }
    with ThreadPoolExecutor(8) as executor:
        results = list(executor.map(call, range(4 * n_fits)))
    for i, result in enumerate(results):
        if i % 4 == 0:
            for coef, expected in zip(result, serial_fits[i % 10], strict=True):
                assert_array_equal(coef, expected)
        else:
            assert_array_equal(result, expected_proba)
    assert _limits_of(found) == found
