"""The compiled training path (numba, the ``fast`` extra) against numpy's.

The numpy path is the reference: after an epoch, both must have reached the
same weights, to 1e-12 relative in float64 (rounding differs only in the
order of sums) and to float32's precision in float32, for every built-in
distribution, hidden activation and solver.
"""

import builtins
import contextlib
import os
import stat
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pytest
from _distribution_specs import SPECS
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sklearn_mle_nn import MLEClassifier, MLERegressor, _compiled, _training
from sklearn_mle_nn.distributions import DISTRIBUTIONS, Gaussian, StudentT

pytest.importorskip("numba", reason="the compiled path needs the `fast` extra")

ACTIVATIONS = ("identity", "logistic", "tanh", "relu")
VARIABLE = _compiled.ENVIRONMENT_VARIABLE
SOLVERS = ("sgd", "adam")
#: Largest relative difference of the weights after an epoch, by dtype.
TOLERANCE = {np.float64: 1e-12, np.float32: 1e-4}


@pytest.fixture(autouse=True)
def compiled_however_small(monkeypatch):
    """These fits are far below the work where the kernels pay off: the
    path is forced (the tests of the choice itself unset it)."""
    monkeypatch.setenv(VARIABLE, "always")


def _data(distribution, dtype, seed=0):
    """Inputs, and targets from ``distribution``'s test spec: a label per
    row where it models one label among several columns (the classifier's
    case), the spec's fewest columns otherwise (one, raveled; two for a
    likelihood of several)."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((150, 4))
    spec = SPECS[distribution]
    n_columns = max(spec.columns)
    if spec.make().n_targets(n_columns) == 1 < n_columns:
        y = spec.targets(rng, 150, n_columns).argmax(axis=1)
    else:
        k = min(spec.columns)
        y = spec.targets(rng, 150, k)
        y = y.ravel() if k == 1 else y
    return X.astype(dtype), y


def _estimator(distribution, activation, solver, **params):
    # A name, or an instance (which names its family).
    spec = SPECS[getattr(distribution, "name", distribution)]
    cls = MLEClassifier if spec.make().n_targets(3) == 1 else MLERegressor
    return cls(
        hidden_layer_sizes=(6, 5),
        activation=activation,
        distribution=distribution,
        solver=solver,
        **{
            # One epoch on all the rows (the classifier's default 'refit'
            # would fit twice).
            "early_stopping": False,
            "batch_size": 16,
            "max_iter": 1,
            "learning_rate_init": 0.01,
            "random_state": 0,
            **params,
        },
    )


def _fit(estimator, X, y, compiled, monkeypatch, sample_weight=None):
    """The fitted weights and loss, with the compiled path on or off."""
    monkeypatch.setattr(_compiled, "ENABLED", compiled)
    used = []
    kernels_for = _compiled.kernels_for

    def spy(*args):
        kernels = kernels_for(*args)
        used.append(kernels is not None)
        return kernels

    monkeypatch.setattr(_compiled, "kernels_for", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y, sample_weight=sample_weight)
    assert used == [compiled], "the path asked for was not the one taken"
    weights = np.concatenate(
        [w.ravel() for w in [*estimator.coefs_, *estimator.intercepts_]]
    )
    return weights, estimator.loss_


def _relative_difference(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


#: The registered distributions that declare a loss kernel, and the others,
#: which train on numpy whatever the path asked for.
WITH_KERNEL = sorted(
    name
    for name, cls in DISTRIBUTIONS.items()
    if _compiled._declared_loss(cls()) is not None
)
NUMPY_ONLY = sorted(set(DISTRIBUTIONS) - set(WITH_KERNEL))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("distribution", WITH_KERNEL)
def test_compiled_epoch_matches_numpy(
    distribution, activation, solver, dtype, monkeypatch
):
    X, y = _data(distribution, dtype)
    compiled, compiled_loss = _fit(
        _estimator(distribution, activation, solver), X, y, True, monkeypatch
    )
    reference, reference_loss = _fit(
        _estimator(distribution, activation, solver), X, y, False, monkeypatch
    )
    assert compiled.dtype == reference.dtype == dtype
    assert _relative_difference(compiled, reference) <= TOLERANCE[dtype]
    assert compiled_loss == pytest.approx(reference_loss, rel=TOLERANCE[dtype])


@pytest.mark.parametrize("distribution", sorted(set(DISTRIBUTIONS) - set(WITH_KERNEL)))
def test_a_distribution_without_a_kernel_trains_on_numpy(distribution, monkeypatch):
    """With the compiled path enabled, a distribution that declares no
    kernel (compiled_loss() is None) trains on numpy, and does train."""
    monkeypatch.setattr(_compiled, "ENABLED", True)
    used = []
    kernels_for = _compiled.kernels_for

    def spy(*args):
        kernels = kernels_for(*args)
        used.append(kernels is not None)
        return kernels

    monkeypatch.setattr(_compiled, "kernels_for", spy)
    X, y = _data(distribution, np.float64)
    estimator = _estimator(distribution, "relu", "adam")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    assert used == [False]
    assert np.isfinite(estimator.loss_)


@pytest.mark.parametrize("distribution", ["gaussian", "poisson", "categorical"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_compiled_epoch_with_sample_weight_matches_numpy(
    distribution, solver, monkeypatch
):
    X, y = _data(distribution, np.float64)
    weight = np.random.RandomState(1).uniform(0, 2, size=len(y))
    weight[:5] = 0.0
    runs = [
        _fit(
            _estimator(distribution, "tanh", solver),
            X,
            y,
            compiled,
            monkeypatch,
            weight,
        )
        for compiled in (True, False)
    ]
    (compiled, compiled_loss), (reference, reference_loss) = runs
    assert _relative_difference(compiled, reference) <= 1e-12
    assert compiled_loss == pytest.approx(reference_loss, rel=1e-12)


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False)])
def test_compiled_sgd_variants_match_numpy(momentum, nesterov, monkeypatch):
    X, y = _data("gaussian", np.float64)
    params = dict(momentum=momentum, nesterovs_momentum=nesterov, alpha=0.3)
    compiled, _ = _fit(
        _estimator("gaussian", "relu", "sgd", **params), X, y, True, monkeypatch
    )
    reference, _ = _fit(
        _estimator("gaussian", "relu", "sgd", **params), X, y, False, monkeypatch
    )
    assert _relative_difference(compiled, reference) <= 1e-12


class _GaussianSubclass(Gaussian):
    """A user's subclass: it may change any method, so it keeps numpy."""


def _kernels(model_distribution, hidden=("relu",), solver="sgd", dtype=np.float64):
    estimator = MLERegressor(
        hidden_layer_sizes=(3,) * len(hidden),
        activation=hidden[0],
        distribution=model_distribution,
        solver=solver,
        max_iter=1,
    )
    X, y = _data("gaussian", dtype)
    steps = []
    original = _training.MiniBatchStep.__init__

    def record(self, *args, **kwargs):
        original(self, *args, **kwargs)
        steps.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_training.MiniBatchStep, "__init__", record)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)
    return steps[0].kernels


def test_built_in_parts_use_the_kernels():
    assert _kernels("gaussian") is not None
    assert _kernels(Gaussian(), dtype=np.float32) is not None


def test_user_defined_distribution_keeps_numpy():
    assert _kernels(_GaussianSubclass()) is None


def test_non_canonical_link_keeps_numpy():
    assert _kernels(Gaussian(link="tanh")) is None


def test_disabled_compiled_path_keeps_numpy(monkeypatch):
    monkeypatch.setattr(_compiled, "ENABLED", False)
    assert _kernels("gaussian") is None


def test_numba_that_does_not_import_leaves_numpy(monkeypatch):
    """An installed numba that fails to import (built for another numpy)."""
    monkeypatch.setitem(sys.modules, "numba", None)
    assert _compiled._compile_lazily.__wrapped__() is False


def test_numba_that_fails_to_load_leaves_numpy(monkeypatch):
    """Not only an ImportError: llvmlite without its shared library raises
    OSError, which every fit raised again."""
    real_import = builtins.__import__

    def broken(name, *args, **kwargs):
        if name == "numba":
            raise OSError("Could not find/load shared object file 'libllvmlite.so'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "numba", raising=False)
    monkeypatch.setattr(builtins, "__import__", broken)
    assert _compiled._compile_lazily.__wrapped__() is False


@pytest.mark.parametrize(
    "solver, damaged_kernel",
    [("sgd", "loss"), ("adam", "step")],
    ids=["sgd-loss-kernel", "adam-step-kernel"],
)
def test_kernels_that_fail_on_the_first_batch_give_way_to_numpy(
    solver, damaged_kernel, monkeypatch
):
    """numba's disk cache, damaged by processes that compiled at once, made
    a kernel fail to unbox its arrays, in every later fit. The first batch
    is made again with numpy, from the same weights and optimizer state
    (Adam's step counter, advanced before its kernel failed, put back), and
    so is the rest: the fit is the numpy path's, bit for bit, with a
    warning."""
    X, y = _data("categorical", np.float64)
    reference, _ = _fit(
        _estimator("categorical", "relu", solver), X, y, False, monkeypatch
    )
    monkeypatch.setattr(_compiled, "_NUMBA_FAILED", False)

    def damaged(*args):
        raise TypeError("can't unbox array from PyObject into native value")

    if damaged_kernel == "loss":
        monkeypatch.setattr(_compiled.Kernels, "loss_gradient", damaged)
    else:
        monkeypatch.setattr(_compiled, "_adam", damaged)
    monkeypatch.setattr(_compiled, "ENABLED", True)
    estimator = _estimator("categorical", "relu", solver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(RuntimeWarning, match="compiled training kernels failed"):
            estimator.fit(X, y)
    weights = np.concatenate(
        [w.ravel() for w in [*estimator.coefs_, *estimator.intercepts_]]
    )
    assert_array_equal(weights, reference)
    # The rest of the process trains with numpy.
    assert _compiled._NUMBA_FAILED


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("share", [True, False])
def test_gradient_fused_with_the_step_changes_no_bit(solver, share, monkeypatch):
    """The first layer's weight gradient, left to the step and computed
    there in halves each followed by its update (on the worker thread or
    not), gives the weights of the gradient computed in backward."""
    from sklearn_mle_nn import _threads

    X, y = _data("categorical", np.float64)
    # Every product counts as large; a worker that has measured nothing yet,
    # or one that has found sharing slower.
    monkeypatch.setattr(_threads, "SMALL_PRODUCT", 1)
    helper = _threads._Helper()
    monkeypatch.setattr(_threads, "_helper", helper)
    if not share:
        helper.speed("gradient and step").seconds = {True: 2.0, False: 1.0}
        helper.speed("gradient and step").PROBE = 10**9
    deferred = []
    defer = _compiled.Kernels.defer_gradient

    def spy(self, *args):
        deferred.append(defer(self, *args))
        return deferred[-1]

    monkeypatch.setattr(_compiled.Kernels, "defer_gradient", spy)
    fused, fused_loss = _fit(
        _estimator("categorical", "relu", solver), X, y, True, monkeypatch
    )
    assert deferred and all(deferred)
    monkeypatch.setattr(_compiled.Kernels, "defer_gradient", lambda *args: False)
    plain, plain_loss = _fit(
        _estimator("categorical", "relu", solver), X, y, True, monkeypatch
    )
    assert_array_equal(fused, plain)
    # The sums of squares are added in other parts: the penalty may differ
    # in its last bits.
    assert fused_loss == pytest.approx(plain_loss, rel=1e-14)
    reference, _ = _fit(
        _estimator("categorical", "relu", solver), X, y, False, monkeypatch
    )
    assert _relative_difference(fused, reference) <= 1e-12


def test_student_t_kernel_squares_in_float64():
    """Standardized residuals above 1.8e19 overflowed the float32 kernel's
    square: the compiled fit diverged where numpy's fitted."""
    X, y = _data("student_t", np.float32)
    y = y.copy()
    y[:3] = 1e20
    losses = []
    for compiled in (True, False):
        model = _estimator("student_t", "relu", "sgd")
        with pytest.MonkeyPatch.context() as patch:
            _, loss = _fit(model, X, y, compiled, patch)
        losses.append(loss)
    assert np.isfinite(losses).all()
    assert losses[0] == pytest.approx(losses[1], rel=1e-4)


class _DeclaringGaussian(Gaussian):
    """A user's subclass that declares the Gaussian's kernel for itself."""

    def compiled_loss(self):
        return super().compiled_loss()


class _MisnamedKernel(Gaussian):
    def compiled_loss(self):
        return "no_such_loss", ()


def test_the_distribution_declares_its_kernel(monkeypatch):
    """The compiled path asks the distribution: a user's class that
    declares a kernel trains on it, to the numpy path's weights."""
    kernels = _kernels(_DeclaringGaussian())
    assert kernels is not None and kernels.loss_kernel == "gaussian_loss"
    X, y = _data("gaussian", np.float64)
    compiled, compiled_loss = _fit(
        _estimator(_DeclaringGaussian(), "tanh", "adam"), X, y, True, monkeypatch
    )
    reference, reference_loss = _fit(
        _estimator(Gaussian(), "tanh", "adam"), X, y, False, monkeypatch
    )
    assert _relative_difference(compiled, reference) <= 1e-12
    assert compiled_loss == pytest.approx(reference_loss, rel=1e-12)


def test_a_kernel_that_does_not_exist_is_named():
    with pytest.raises(ValueError, match="'no_such_loss'.*gaussian_loss"):
        _kernels(_MisnamedKernel())


def test_every_declared_kernel_exists():
    for name in WITH_KERNEL:
        kernel, constants = DISTRIBUTIONS[name]().compiled_loss()
        assert kernel in _compiled.LOSS_KERNELS
        assert all(isinstance(value, float) for value in constants)


@pytest.mark.parametrize("df", [0.7, 2.5, 40.0])
def test_student_t_degrees_of_freedom_reach_the_kernel(df, monkeypatch):
    """Student's t's df travels in the kernel's constants array."""
    X, y = _data("student_t", np.float64)
    runs = [
        _fit(_estimator(StudentT(df=df), "relu", "sgd"), X, y, compiled, monkeypatch)
        for compiled in (True, False)
    ]
    (compiled, compiled_loss), (reference, reference_loss) = runs
    assert _relative_difference(compiled, reference) <= 1e-12
    assert compiled_loss == pytest.approx(reference_loss, rel=1e-12)


@pytest.mark.parametrize("solver, momentum", [("adam", 0.9), ("sgd", 0.9)])
def test_big_endian_optimizer_state_trains_on_the_kernels(
    solver, momentum, monkeypatch
):
    """A model pickled on a big-endian machine resumes with its optimizer's
    arrays in that byte order: the kernels failed on them, and the process
    gave up the compiled path with a warning about a damaged cache."""
    monkeypatch.setattr(_compiled, "_NUMBA_FAILED", False)
    X, y = _data("gaussian", np.float64)
    weights = []
    for byte_order in ("=", ">"):
        model = _estimator("gaussian", "tanh", solver, momentum=momentum)
        _fit(model, X, y, True, monkeypatch)
        optimizer = model._optimizer
        for name, value in vars(optimizer).items():
            if isinstance(value, np.ndarray):
                setattr(
                    optimizer, name, value.astype(value.dtype.newbyteorder(byte_order))
                )
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            model.partial_fit(X, y)
        weights.append(
            np.concatenate([w.ravel() for w in [*model.coefs_, *model.intercepts_]])
        )
    assert not _compiled._NUMBA_FAILED
    assert_array_equal(weights[1], weights[0])


_HOLD_LOCK = """
import fcntl, sys, time
with open(sys.argv[1], "a+b") as handle:
    fcntl.flock(handle, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A temporary directory of the test's own, and no kernel set run yet."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(_compiled, "_WARM", set())
    monkeypatch.setattr(_compiled, "_NUMBA_FAILED", False)
    return tmp_path


@contextlib.contextmanager
def _held(path, seconds=60):
    """Another process holding an exclusive lock on ``path``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def _numpy_reference(monkeypatch):
    X, y = _data("gaussian", np.float64)
    reference, _ = _fit(_estimator("gaussian", "relu", "sgd"), X, y, False, monkeypatch)
    return X, y, reference


@pytest.mark.skipif(os.name == "nt", reason="the holder locks with fcntl")
def test_a_held_compile_lock_gives_way_to_numpy(private_tmp, monkeypatch):
    """Another process held the lock: every first fit of the user waited
    for it, untimed and without a word. Now the fit trains with numpy after
    LOCK_TIMEOUT, says so, and later fits try the kernels again."""
    X, y, reference = _numpy_reference(monkeypatch)
    monkeypatch.setattr(_compiled, "LOCK_TIMEOUT", 0.3)
    with _held(_compiled._lock_path()):
        start = time.monotonic()
        with pytest.warns(RuntimeWarning, match="held .*compile.lock.*numpy"):
            weights, _ = _fit(
                _estimator("gaussian", "relu", "sgd"), X, y, True, monkeypatch
            )
        # Far below the holder's 60 s: the fit did not wait for it.
        assert time.monotonic() - start < 30
    assert_array_equal(weights, reference)
    # No kernel set ran, and the process keeps the compiled path.
    assert not _compiled._WARM and not _compiled._NUMBA_FAILED
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        _fit(_estimator("gaussian", "relu", "sgd"), X, y, True, monkeypatch)
    assert _compiled._WARM


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_the_compile_lock_lives_where_only_its_user_writes(private_tmp):
    path = _compiled._lock_path()
    directory = os.path.dirname(path)
    info = os.lstat(directory)
    assert os.path.dirname(directory) == str(private_tmp)
    assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    assert info.st_mode & 0o077 == 0


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
@pytest.mark.parametrize("planted", ["writable directory", "symbolic link"])
def test_a_lock_directory_others_can_write_is_not_used(
    planted, private_tmp, monkeypatch
):
    """Another user could create the lock's place first, writable by all,
    and hold the lock in it: it is not used, and the fit trains with numpy."""
    X, y, reference = _numpy_reference(monkeypatch)
    directory = private_tmp / f"sklearn_mle_nn-{os.getuid()}"
    if planted == "writable directory":
        directory.mkdir()
        directory.chmod(0o777)
    else:
        (private_tmp / "elsewhere").mkdir(mode=0o700)
        directory.symlink_to(private_tmp / "elsewhere")
    with pytest.warns(RuntimeWarning, match="only this user can write.*numpy"):
        weights, _ = _fit(
            _estimator("gaussian", "relu", "sgd"), X, y, True, monkeypatch
        )
    assert_array_equal(weights, reference)
    assert not _compiled._WARM
    assert not (directory / "compile.lock").exists()


@pytest.mark.skipif(os.name == "nt", reason="the holder locks with fcntl")
def test_the_former_world_writable_lock_file_blocks_nothing(private_tmp, monkeypatch):
    """The lock was <tmp>/sklearn_mle_nn-<uid>.lock, which another user could
    create first (mode 0666) and hold: held, it no longer matters."""
    monkeypatch.setattr(_compiled, "LOCK_TIMEOUT", 0.3)
    former = private_tmp / f"sklearn_mle_nn-{os.getuid()}.lock"
    former.touch()
    former.chmod(0o666)
    X, y = _data("gaussian", np.float64)
    with _held(former):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            _fit(_estimator("gaussian", "relu", "sgd"), X, y, True, monkeypatch)


def _kernels_for_calls(estimator, X, y, method="fit"):
    """The ``n_samples`` given to ``kernels_for`` and what it returned."""
    calls = []
    kernels_for = _compiled.kernels_for

    def spy(model, optimizer, dtype, n_samples=None):
        calls.append((n_samples, kernels_for(model, optimizer, dtype, n_samples)))
        return calls[-1][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_compiled, "kernels_for", spy)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            getattr(estimator, method)(X, y)
    return calls


@pytest.mark.parametrize("method, epochs", [("fit", 7), ("partial_fit", 1)])
def test_the_work_estimate_is_rows_times_epochs(method, epochs, monkeypatch):
    monkeypatch.delenv(VARIABLE)
    X, y = _data("gaussian", np.float64)
    estimator = _estimator("gaussian", "relu", "sgd", max_iter=7, early_stopping=False)
    [(n_samples, _)] = _kernels_for_calls(estimator, X, y, method)
    assert n_samples == len(X) * epochs


def test_a_small_fit_trains_on_numpy_and_a_large_one_on_the_kernels(monkeypatch):
    """The choice (by default): the kernels only where the work, samples
    times parameters, reaches MIN_WORK."""
    monkeypatch.delenv(VARIABLE)
    X, y = _data("gaussian", np.float64)
    estimator = _estimator("gaussian", "relu", "sgd", max_iter=4, early_stopping=False)
    n_params = sum(w.size for w in _fitted_weights(estimator, X, y))
    work = len(X) * 4 * n_params
    monkeypatch.setattr(_compiled, "MIN_WORK", work + 1)
    [(_, kernels)] = _kernels_for_calls(estimator, X, y)
    assert kernels is None
    monkeypatch.setattr(_compiled, "MIN_WORK", work)
    [(_, kernels)] = _kernels_for_calls(estimator, X, y)
    assert kernels is not None


def _fitted_weights(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    return [*estimator.coefs_, *estimator.intercepts_]


@pytest.mark.parametrize("choice", ["always", "never", " Never ", "auto", ""])
def test_the_environment_variable_overrides_the_choice(choice, monkeypatch):
    monkeypatch.setenv(VARIABLE, choice)
    X, y = _data("gaussian", np.float64)
    estimator = _estimator("gaussian", "relu", "sgd")
    for min_work in (0, 10**18):
        monkeypatch.setattr(_compiled, "MIN_WORK", min_work)
        [(_, kernels)] = _kernels_for_calls(estimator, X, y)
        expected = {"always": True, "never": False}.get(
            choice.strip().lower(), min_work == 0
        )
        assert (kernels is not None) is expected


def test_an_unknown_choice_is_named(monkeypatch):
    monkeypatch.setenv(VARIABLE, "sometimes")
    X, y = _data("gaussian", np.float64)
    with pytest.raises(ValueError, match=f"{VARIABLE} must be one of.*'sometimes'"):
        _estimator("gaussian", "relu", "sgd").fit(X, y)


def test_a_small_first_fit_does_not_import_numba():
    """Importing numba alone costs a small fit more than its training."""
    code = (
        "import sys, warnings\n"
        "from sklearn.datasets import load_diabetes\n"
        "from sklearn_mle_nn import MLERegressor\n"
        "warnings.simplefilter('ignore')\n"
        "MLERegressor(random_state=0).fit(*load_diabetes(return_X_y=True))\n"
        "print('numba' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
