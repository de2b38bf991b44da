"""Fused training kernels compiled with numba, when it is installed.

The numpy path of ``_training`` and ``_network`` is the reference: it
serves every activation, distribution and optimizer, user-defined ones
included. These kernels do the same arithmetic for the built-in ones, in
fewer passes over memory and fewer Python calls per mini-batch: a layer's
bias plus activation; the output layer's bias, the loss, its gradient and
the output bias gradient; an activation's backward pass with the bias
gradient of its layer; the L2 term plus the optimizer step. Matrix products
stay with BLAS, and the gather of a batch with ``np.take`` (a compiled
gather measured no faster). A large first layer's weight gradient is
computed in the step, half by half, each half followed by its update on
the same thread (``Kernels.defer_gradient``).

A fit uses the kernels only when its work (rows times epochs, at most,
times the network's parameters) reaches ``MIN_WORK``, where they pay for
loading them; the environment variable ``SKLEARN_MLE_NN_COMPILED``
(``always``, ``never``) overrides the choice (:func:`pays_off`). numba is
imported at the first fit that uses them, not with the package. A kernel is
compiled once per dtype on first use and cached on disk
(``cache=True``), so a later process starts from the cache. There is one
kernel per activation, loss and optimizer variant: a fit compiles only its
own few. A distribution names its loss kernel and that kernel's constants
(:meth:`Distribution.compiled_loss`); nothing here knows a distribution.
``ENABLED`` switches the compiled path off (the benchmarks compare both
paths).
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import functools
import importlib.util
import math
import os
import stat
import tempfile
import threading
import time
import warnings

import numpy as np

from . import _activations, _optimizers, _threads

#: Whether training may use the compiled kernels (when numba is installed,
#: with the `fast` extra).
ENABLED = importlib.util.find_spec("numba") is not None

#: The environment variable that overrides the choice of the path:
#: ``auto`` (the default: by :data:`MIN_WORK`), ``always`` or ``never``.
ENVIRONMENT_VARIABLE = "SKLEARN_MLE_NN_COMPILED"
_CHOICES = ("auto", "always", "never")

#: The least work, in samples trained on (rows times epochs, at most) times
#: the network's parameters, for which a fit uses the kernels (``auto``).
#: Loading them costs a new process about half a second with numba's disk
#: cache warm, and compiling them 1 to 2.5 s with it cold, once per
#: installation and dtype; they save a sixth to a third of the numpy path's
#: time on fits of this size (``benchmarks/startup.py``). Below, a first fit
#: would be slower with them: it trains with numpy, without importing numba.
MIN_WORK = 2 * 10**9

#: Activation codes the kernels understand, by activation class.
IDENTITY, RELU, TANH, LOGISTIC = 0, 1, 2, 3
_ACTIVATION_CODES = {
    _activations.Identity: IDENTITY,
    _activations.Relu: RELU,
    _activations.Tanh: TANH,
    _activations.Logistic: LOGISTIC,
}

#: The forward (bias plus activation) and backward kernels, by activation code.
_BIAS_KERNELS = ("_bias_identity", "_bias_relu", "_bias_tanh", "_bias_logistic")
_BACKWARD_KERNELS = (
    "_backward_identity",
    "_backward_relu",
    "_backward_tanh",
    "_backward_logistic",
)

#: As in ``distributions``: raw log-scales and log-rates are clipped here.
_LOG_LIMIT = 30.0


def kernels_for(model, optimizer, dtype, n_samples=None):
    """The compiled kernels for ``model`` and ``optimizer``, or None.

    None (the numpy path) unless numba imports, ``ENABLED`` is set, the
    dtype is float32 or float64 in the machine's byte order, every hidden
    activation and the optimizer are exactly built-in classes (a subclass
    may change any method), the distribution, with its canonical link,
    declares a loss kernel (:meth:`Distribution.compiled_loss`), and the
    training is large enough to pay for loading them (:func:`pays_off`).

    Parameters
    ----------
    model : Network
        The network to train.
    optimizer : SGD or Adam
        Its optimizer.
    dtype : dtype
        Dtype of the data and parameters.
    n_samples : int or None, default=None
        The most samples training will go through (rows times epochs);
        None for unknown, taken as enough.
    """
    if not ENABLED or _NUMBA_FAILED or np.dtype(dtype) not in (np.float32, np.float64):
        return None
    if not pays_off(n_samples, model.layout.n_params):
        return None
    # The activations are classes with static methods.
    codes = [_ACTIVATION_CODES.get(a) for a in model.hidden_activations]
    loss = _declared_loss(model.distribution)
    if (
        None in codes
        or loss is None
        or type(optimizer) not in (_optimizers.SGD, _optimizers.Adam)
    ):
        return None
    if not _compile_lazily():
        return None
    return Kernels(codes, loss, optimizer, dtype)


def pays_off(n_samples, n_params):
    """Whether training on ``n_samples`` samples (rows times epochs, at
    most; None: unknown) a network of ``n_params`` parameters may use the
    kernels: its work reaches :data:`MIN_WORK`, unless the environment
    variable ``SKLEARN_MLE_NN_COMPILED`` says ``always`` or ``never``.
    """
    choice = os.environ.get(ENVIRONMENT_VARIABLE, "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ValueError(
            f"The environment variable {ENVIRONMENT_VARIABLE} must be one of "
            f"{', '.join(_CHOICES)}; got {choice!r}."
        )
    if choice != "auto":
        return choice == "always"
    return n_samples is None or n_samples * n_params >= MIN_WORK


def _declared_loss(distribution):
    """The loss kernel and constants that ``distribution`` declares, or None.

    Only a declaration of the distribution's own class counts (see
    :meth:`Distribution.compiled_loss`), and only with its canonical link:
    the kernels' gradient is the mean minus the target.
    """
    if "compiled_loss" not in vars(type(distribution)) or not distribution.is_canonical:
        return None
    declared = distribution.compiled_loss()
    if declared is None:
        return None
    kernel, constants = declared
    if kernel not in LOSS_KERNELS:
        raise ValueError(
            f"{type(distribution).__name__}.compiled_loss() names the kernel "
            f"{kernel!r}; the loss kernels are {sorted(LOSS_KERNELS)}."
        )
    return kernel, np.array(constants, dtype=np.float64)


class Kernels:
    """The kernels of one training run, with its constants bound.

    Parameters
    ----------
    activation_codes : list of int
        Code of each hidden layer's activation.
    loss : (str, ndarray)
        The name of the distribution's loss kernel, and its constants.
    optimizer : SGD or Adam
        The optimizer, whose state the step kernel updates in place. Its
        arrays are put in the machine's byte order (a model pickled on a
        big-endian machine resumes with its optimizer's), which the kernels
        need.
    dtype : dtype
        Dtype of the data and parameters.
    """

    def __init__(self, activation_codes, loss, optimizer, dtype):
        self.activation_codes = activation_codes
        self.loss_kernel, self.loss_constants = loss
        _native_byte_order(optimizer)
        self.optimizer = optimizer
        self.dtype = np.dtype(dtype)
        #: What this set of kernels is compiled for (see ``first_use``).
        self.key = (
            tuple(activation_codes),
            self.loss_kernel,
            type(optimizer).__name__,
            getattr(optimizer, "momentum", None) != 0,
            getattr(optimizer, "nesterov", None),
            self.dtype.str,
        )
        self._no_weight = np.empty(0, dtype=self.dtype)
        # The first layer's weight gradient, when left to the step.
        self._pending = None
        # A one of the dtype: a float literal would turn float32 into float64.
        self._one = self.dtype.type(1)
        # The optimizer's constants, rounded to the dtype once, as numpy
        # rounds Python floats in arithmetic with float32 arrays.
        cast = self.dtype.type
        if type(optimizer) is _optimizers.Adam:
            beta_1, beta_2 = optimizer.beta_1, optimizer.beta_2
            self._constants = tuple(
                cast(value)
                for value in (beta_1, 1 - beta_1, beta_2, 1 - beta_2, optimizer.epsilon)
            )
        else:
            self._constants = ()
        # The dispatchers that _compile_lazily put in the module's globals.
        kernels = globals()
        self._loss = kernels[self.loss_kernel]
        self._bias_kernels = [kernels[_BIAS_KERNELS[c]] for c in activation_codes]
        self._backward_kernels = [
            kernels[_BACKWARD_KERNELS[c]] for c in activation_codes
        ]

    def bias_activation(self, Z, bias, layer):
        """``Z = activation(Z + bias)`` in place, for hidden layer ``layer``."""
        self._bias_kernels[layer](Z, bias)

    def loss_gradient(self, raw, bias, Y, sample_weight, delta, bias_grad):
        """Add the output bias, fill the weighted NLL gradient and its column
        sums; return ``sum_i w_i NLL_i``."""
        weight = self._no_weight if sample_weight is None else sample_weight
        return self._loss(raw, bias, Y, weight, delta, bias_grad, self.loss_constants)

    def activation_backward(self, A, delta, bias_grad, layer):
        """Multiply ``delta`` by the derivative of hidden layer ``layer``'s
        activation (from its output ``A``); its column sums go to ``bias_grad``."""
        self._backward_kernels[layer](A, delta, bias_grad, self._one)

    def defer_gradient(self, A, B, out):
        """Leave the first layer's weight gradient ``out = A @ B`` to :meth:`step`.

        A product large enough to share between threads (see
        ``_threads.dot``) is then computed by :meth:`step`, half by half,
        each half followed at once by the update of the weights it is the
        gradient of, on the same thread: the gradient is still in that
        core's cache, and the update runs on both cores. Returns whether the
        product was deferred; the next :meth:`step` must follow.
        """
        n_rows = out.shape[0]
        if n_rows < 2 or n_rows * A.shape[1] * out.shape[1] < _threads.SMALL_PRODUCT:
            return False
        self._pending = (A, B, out)
        return True

    def step(self, params, grad, n_coef, alpha, scale):
        """The L2 term on the first ``n_coef`` values, then the optimizer's
        update with the gradient ``scale * grad``; returns ``||W||^2``.

        ``grad`` is overwritten. The scalars are rounded to the dtype first.
        A gradient left by :meth:`defer_gradient` (the leading values of
        ``grad``) is computed first, in two halves by rows, as
        ``_threads.dot`` would; the values of every update are those of one
        update of the whole vector, whichever thread computes them.
        """
        self.optimizer.begin_step()
        update = self._update_function(params, grad, n_coef, alpha, scale)
        n_params = params.shape[0]
        pending, self._pending = self._pending, None
        if pending is None:
            return update(0, n_params)
        A, B, G = pending
        if not _leads(G, grad):
            _threads.dot(A, B, G)
            return update(0, n_params)
        half = G.shape[0] // 2
        middle, end = half * G.shape[1], G.size
        first, second = _threads.in_two(
            _gradient_and_update,
            (A[:half], B, G[:half], update, 0, middle),
            (A[half:], B, G[half:], update, middle, end),
            "gradient and step",
            G.shape[0] * A.shape[1] * G.shape[1],
        )
        # Partial sums of squares, always added in this order.
        return first + second + update(end, n_params)

    def _update_function(self, params, grad, n_coef, alpha, scale):
        """``update(start, stop)``: the step on ``params[start:stop]``,
        returning the squares of the weights (not intercepts) among them."""
        optimizer, cast = self.optimizer, self.dtype.type
        alpha = cast(alpha)
        if type(optimizer) is _optimizers.Adam:
            states = (optimizer.first_moment, optimizer.second_moment)
            kernel = _adam
            constants = (
                cast(scale),
                *self._constants,
                cast(optimizer.learning_rate),
            )
        else:
            step_size = cast(optimizer.learning_rate * scale)
            momentum = cast(optimizer.momentum)
            if optimizer.momentum == 0:
                states, kernel, constants = (), _sgd_plain, (step_size,)
            else:
                states = (optimizer.velocity,)
                kernel = _sgd_nesterov if optimizer.nesterov else _sgd_momentum
                constants = (step_size, momentum)

        def update(start, stop):
            if start == 0 and stop == params.shape[0]:
                return kernel(params, grad, *states, n_coef, alpha, *constants)
            return kernel(
                params[start:stop],
                grad[start:stop],
                *(state[start:stop] for state in states),
                min(max(n_coef - start, 0), stop - start),
                alpha,
                *constants,
            )

        return update


def _gradient_and_update(A, B, G, update, start, stop):
    """``G = A @ B``, then ``update(start, stop)`` (its weights); returns
    the update's sum of squares."""
    np.dot(A, B, out=G)
    return update(start, stop)


def _leads(G, flat):
    """Whether ``G`` is the leading values of the vector ``flat``, in order."""
    return (
        G.flags.c_contiguous
        and G.dtype == flat.dtype
        and G.size <= flat.size
        and G.__array_interface__["data"][0] == flat.__array_interface__["data"][0]
    )


def _native_byte_order(optimizer):
    """Put the optimizer's arrays in the machine's byte order, in place."""
    for name, value in vars(optimizer).items():
        if isinstance(value, np.ndarray) and not value.dtype.isnative:
            setattr(optimizer, name, value.astype(value.dtype.newbyteorder("=")))


#: The functions below that numba compiles, with the options of each beyond
#: the common ones. Small helpers are inlined into their callers
#: (``inline="always"``): each function compiled on its own adds to the
#: first fit's compile time. Inlining costs time too: the softmax kernel
#: writes its helpers out instead.
_KERNELS = {}


def _jit(function=None, **options):
    """Mark ``function`` for numba; it stays plain Python until a fit needs it."""
    if function is None:
        return functools.partial(_jit, **options)
    _KERNELS[function.__name__] = options
    return function


#: The names of the loss kernels, which a distribution's
#: :meth:`~sklearn_mle_nn.distributions.Distribution.compiled_loss` declares.
#: Each is called as ``kernel(raw, bias, Y, weight, delta, bias_grad,
#: constants)``: it adds the output bias to ``raw``, writes the weighted NLL
#: gradient to ``delta`` and its column sums to ``bias_grad``, and returns
#: ``sum_i w_i NLL_i`` (``weight`` is empty when unweighted; ``constants`` is
#: the distribution's float64 array).
LOSS_KERNELS = []


def _loss_kernel(function):
    """Mark ``function`` as a loss kernel."""
    LOSS_KERNELS.append(function.__name__)
    return function


_compile_lock = threading.Lock()
#: Whether the kernels failed on a first batch in this process (``give_up``).
_NUMBA_FAILED = False
#: The kernel sets (``Kernels.key``) that ran a batch in this process.
_WARM = set()


#: How long, in seconds, a first batch waits for another process's compile
#: before this fit trains with numpy.
LOCK_TIMEOUT = 10.0


class LockUnavailable(RuntimeError):
    """The compile lock is held too long by another process, or its
    directory is not this user's alone: this fit trains with numpy."""


@contextlib.contextmanager
def first_use(kernels):
    """Where ``kernels`` first run in this process: compiled, or loaded from
    numba's disk cache, with the other processes of this user kept out.

    numba's cache is not safe when processes (joblib's, dask's) compile
    other dtypes or kernels of one function at once: its index can end up
    pointing a signature at another's code, for good. The first batch of a
    set of kernels therefore holds a lock file in a directory of the
    temporary directory that only this user can write (see ``_lock_path``;
    where there is none, it goes without). It waits ``LOCK_TIMEOUT`` seconds
    at most; then, or when that directory is not the user's alone, it raises
    :class:`LockUnavailable` before the batch, and :func:`give_up` lets this
    fit train with numpy.
    """
    if kernels.key in _WARM:
        yield
        return
    with _interprocess_lock():
        yield
    _WARM.add(kernels.key)


def _lock_path():
    """``<tmp>/sklearn_mle_nn-<user>/compile.lock``, its directory made
    readable and writable by the user alone (mode 0700).

    Raises LockUnavailable when the directory is there already and another
    user owns it, others may write in it, or it is not a directory (a
    symbolic link): another user could hold the lock, or replace the file.
    """
    user = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    directory = os.path.join(tempfile.gettempdir(), f"sklearn_mle_nn-{user}")
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, 0o700)
    if os.name != "nt":
        info = os.lstat(directory)
        if (
            not stat.S_ISDIR(info.st_mode)
            or info.st_uid != user
            or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            raise LockUnavailable(
                f"{directory} is not a directory that only this user can "
                "write, so it cannot hold the lock that keeps processes from "
                "compiling the kernels at once; remove it"
            )
    return os.path.join(directory, "compile.lock")


@contextlib.contextmanager
def _interprocess_lock():
    try:
        path = _lock_path()
        # Not through a symbolic link: the file must be the directory's own.
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        handle = os.fdopen(os.open(path, flags, 0o600), "r+b")
    except OSError:
        # No writable temporary directory: compile without the lock.
        yield
        return
    with handle:
        release = _acquire(handle, path)
        try:
            yield
        finally:
            release()


def _acquire(handle, path):
    """Lock ``handle``'s file, waiting ``LOCK_TIMEOUT`` seconds at most;
    returns the function that unlocks it."""
    if os.name == "nt":
        import msvcrt

        def try_lock():
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

        def release():
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        def try_lock():
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)

        def release():
            fcntl.flock(handle, fcntl.LOCK_UN)

    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        try:
            try_lock()
            return release
        except OSError:
            if time.monotonic() >= deadline:
                raise LockUnavailable(
                    f"another process has held {path} for {LOCK_TIMEOUT:g} s "
                    "while it compiles the kernels or loads them"
                ) from None
            time.sleep(0.05)


def give_up(error):
    """The kernels failed on a first batch: numpy for the rest of the
    process; or their lock was unavailable: numpy for this fit."""
    global _NUMBA_FAILED
    if isinstance(error, LockUnavailable):
        warnings.warn(
            f"{error}; this fit trains with numpy instead of the compiled kernels.",
            RuntimeWarning,
            stacklevel=2,
        )
        return
    _NUMBA_FAILED = True
    warnings.warn(
        f"The compiled training kernels failed ({type(error).__name__}: {error}); "
        "sklearn_mle_nn trains with numpy in this process. If numba's disk "
        "cache is damaged (processes that compiled at the same time), delete "
        "the sklearn_mle_nn entries of its cache directory (NUMBA_CACHE_DIR, "
        "or the package's __pycache__).",
        RuntimeWarning,
        stacklevel=2,
    )


@functools.cache
def _compile_lazily():
    """Replace every kernel by a numba dispatcher: each then compiles for the
    dtypes it is called with, at the first call, or loads from the disk cache.

    Kernels call each other through these module globals, so all are
    replaced before any compiles; the lock keeps concurrent first fits from
    wrapping them twice. Returns False when numba is installed but does not
    import (for example built for another numpy): training then uses numpy.
    """
    try:
        import numba
    except Exception:  # not only ImportError: a broken llvmlite raises OSError
        return False
    with _compile_lock:
        for name, own_options in _KERNELS.items():
            function = globals()[name]
            if isinstance(function, numba.core.dispatcher.Dispatcher):
                continue
            # numpy's rules for a division by zero (inf or NaN, no
            # exception), which also spares every division a branch.
            options = dict(nogil=True, error_model="numpy", **own_options)
            try:
                dispatcher = numba.njit(cache=True, **options)(function)
            except RuntimeError:
                # No writable cache directory: compile in every process.
                dispatcher = numba.njit(**options)(function)
            globals()[name] = dispatcher
    return True


@_jit(inline="always")
def _expit(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# One kernel per activation, forward and backward: a fit compiles only those
# of its own activations, and no branch on the activation in the loops.


@_jit
def _bias_identity(Z, bias):
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            Z[i, j] += bias[j]


@_jit
def _bias_relu(Z, bias):
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + bias[j]
            # As np.maximum: NaN stays NaN.
            Z[i, j] = 0.0 if z < 0 else z


@_jit
def _bias_tanh(Z, bias):
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            Z[i, j] = math.tanh(Z[i, j] + bias[j])


@_jit
def _bias_logistic(Z, bias):
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            Z[i, j] = _expit(Z[i, j] + bias[j])


# The backward kernels multiply delta by the activation's derivative (from
# the activation's output A) with the operations of _activations, in its
# order, and sum the result over the rows into bias_grad.


@_jit
def _backward_identity(A, delta, bias_grad, one):
    for j in range(delta.shape[1]):
        bias_grad[j] = 0
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            bias_grad[j] += delta[i, j]


@_jit
def _backward_relu(A, delta, bias_grad, one):
    for j in range(delta.shape[1]):
        bias_grad[j] = 0
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            d = delta[i, j]
            # d * 0 where a <= 0, as a multiply by the mask: inf * 0 is NaN.
            d = d if A[i, j] > 0 else d - d
            delta[i, j] = d
            bias_grad[j] += d


@_jit
def _backward_tanh(A, delta, bias_grad, one):
    for j in range(delta.shape[1]):
        bias_grad[j] = 0
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            a = A[i, j]
            d = delta[i, j] * (one - a * a)
            delta[i, j] = d
            bias_grad[j] += d


@_jit
def _backward_logistic(A, delta, bias_grad, one):
    for j in range(delta.shape[1]):
        bias_grad[j] = 0
    for i in range(delta.shape[0]):
        for j in range(delta.shape[1]):
            a = A[i, j]
            d = delta[i, j] * a
            d = d - d * a
            delta[i, j] = d
            bias_grad[j] += d


@_jit(inline="always")
def _softplus(z):
    """``log(1 + exp(z))`` as np.logaddexp(0, z) computes it."""
    if z > 0:
        return z + math.log1p(math.exp(-z))
    return math.log1p(math.exp(z))


# The loss kernels: per row, the raw output (its intercept added here), the
# NLL and its gradient, with the canonical link, so that the gradient is the
# mean minus the target (see ``distributions``). A distribution names its
# own in ``compiled_loss`` (see ``LOSS_KERNELS``): a fit compiles only that
# one. Each returns the row's NLL through _finish_row; the distribution's
# constants come in one float64 array.


@_jit(inline="always")
def _finish_row(i, nll, weight, delta, bias_grad):
    """Weigh row ``i``'s NLL and gradient; add the gradient to the bias sum."""
    if weight.shape[0] > 0:
        nll *= weight[i]
        for j in range(delta.shape[1]):
            delta[i, j] *= weight[i]
    for j in range(delta.shape[1]):
        bias_grad[j] += delta[i, j]
    return nll


@_loss_kernel
@_jit
def gaussian_loss(raw, bias, Y, weight, delta, bias_grad, constants):
    constant = constants[0]
    bias_grad[:] = 0
    total = 0.0
    for i in range(raw.shape[0]):
        nll = 0.0
        for j in range(raw.shape[1]):
            residual = raw[i, j] + bias[j] - Y[i, j]
            delta[i, j] = residual
            nll += 0.5 * residual * residual + constant
        total += _finish_row(i, nll, weight, delta, bias_grad)
    return total


@_loss_kernel
@_jit
def heteroscedastic_gaussian_loss(raw, bias, Y, weight, delta, bias_grad, constants):
    constant = constants[0]
    bias_grad[:] = 0
    total = 0.0
    n_targets = Y.shape[1]
    for i in range(raw.shape[0]):
        nll = 0.0
        for j in range(n_targets):
            scale_column = n_targets + j
            log_scale = raw[i, scale_column] + bias[scale_column]
            log_scale = min(max(log_scale, -_LOG_LIMIT), _LOG_LIMIT)
            inverse_variance = math.exp(-2 * log_scale)
            residual = raw[i, j] + bias[j] - Y[i, j]
            delta[i, j] = residual * inverse_variance
            delta[i, scale_column] = 1.0 - residual * residual * inverse_variance
            z = residual * math.exp(-log_scale)
            nll += 0.5 * z * z + log_scale + constant
        total += _finish_row(i, nll, weight, delta, bias_grad)
    return total


@_loss_kernel
@_jit
def laplace_loss(raw, bias, Y, weight, delta, bias_grad, constants):
    constant = constants[0]
    bias_grad[:] = 0
    total = 0.0
    for i in range(raw.shape[0]):
        nll = 0.0
        for j in range(raw.shape[1]):
            residual = raw[i, j] + bias[j] - Y[i, j]
            # np.sign: 0 at 0, NaN at NaN.
            sign = residual - residual
            if residual > 0:
                sign = 1.0
            elif residual < 0:
                sign = -1.0
            delta[i, j] = sign
            nll += abs(residual) + constant
        total += _finish_row(i, nll, weight, delta, bias_grad)
    return total


@_loss_kernel
@_jit
def student_t_loss(raw, bias, Y, weight, delta, bias_grad, constants):
    constant, df = constants[0], constants[1]
    bias_grad[:] = 0
    total = 0.0
    for i in range(raw.shape[0]):
        nll = 0.0
        for j in range(raw.shape[1]):
            # In float64, as StudentT.nll: a float32 square overflows
            # above 1.8e19, where the t's pull is still finite.
            residual = np.float64(raw[i, j] + bias[j] - Y[i, j])
            squares = residual * residual
            delta[i, j] = (df + 1) * residual / (df + squares)
            nll += 0.5 * (df + 1) * math.log1p(squares / df) + constant
        total += _finish_row(i, nll, weight, delta, bias_grad)
    return total


@_loss_kernel
@_jit
def poisson_loss(raw, bias, Y, weight, delta, bias_grad, constants):
    bias_grad[:] = 0
    total = 0.0
    for i in range(raw.shape[0]):
        nll = 0.0
        for j in range(raw.shape[1]):
            log_rate = min(raw[i, j] + bias[j], _LOG_LIMIT)
            rate, y = math.exp(log_rate), Y[i, j]
            delta[i, j] = rate - y
            nll += rate - y * log_rate + math.lgamma(y + 1.0)
        total += _finish_row(i, nll, weight, delta, bias_grad)
    return total


@_loss_kernel
@_jit
def bernoulli_loss(raw, bias, Y, weight, delta, bias_grad, constants):
    bias_grad[:] = 0
    total = 0.0
    for i in range(raw.shape[0]):
        nll = 0.0
        for j in range(raw.shape[1]):
            r, y = raw[i, j] + bias[j], Y[i, j]
            delta[i, j] = _expit(r) - y
            if math.isinf(r):
                # As Bernoulli.nll: the symmetric form, where 0 * inf is 0.
                if y > 0:
                    nll += y * _softplus(-r)
                if y < 1:
                    nll += (1 - y) * _softplus(r)
            else:
                nll += _softplus(r) - y * r
        total += _finish_row(i, nll, weight, delta, bias_grad)
    return total


@_loss_kernel
def softmax_loss(raw, bias, Y, weight, delta, bias_grad, constants):
    """The categorical's loss kernel, in two passes: numpy's exp is
    vectorised (SIMD), a compiled loop's is not, so the softmax's
    exponentials run between them."""
    _softmax_passes(raw, bias, Y, weight, delta, bias_grad, True)
    np.exp(delta, out=delta)
    return _softmax_passes(raw, bias, Y, weight, delta, bias_grad, False)


@_jit
def _softmax_passes(raw, bias, Y, weight, delta, bias_grad, shift):
    """With ``shift``, ``delta = raw + bias - (its row maximum)`` (which
    keeps exp finite), and 0. Then, from ``delta = exp(shifted raw)``:
    softmax minus Y, and the NLL ``log(sum exp) - Y . shifted`` (rows of Y
    sum to one). One kernel for both passes, its helpers written out: one
    compilation, without inlining, is the cheaper."""
    n_raw = raw.shape[1]
    if shift:
        for i in range(raw.shape[0]):
            top = raw[i, 0] + bias[0]
            for j in range(n_raw):
                top = max(top, raw[i, j] + bias[j])
            for j in range(n_raw):
                delta[i, j] = (raw[i, j] + bias[j]) - top
        return 0.0
    for j in range(n_raw):
        bias_grad[j] = 0
    weighted = weight.shape[0] > 0
    total = 0.0
    for i in range(raw.shape[0]):
        top = raw[i, 0] + bias[0]
        for j in range(n_raw):
            top = max(top, raw[i, j] + bias[j])
        exp_sum = 0.0
        target = 0.0
        for j in range(n_raw):
            target += Y[i, j] * ((raw[i, j] + bias[j]) - top)
            exp_sum += delta[i, j]
        nll = math.log(exp_sum) - target
        # Rounded to the dtype at every stored step, as numpy does.
        for j in range(n_raw):
            delta[i, j] = delta[i, j] / exp_sum - Y[i, j]
            if weighted:
                delta[i, j] *= weight[i]
            bias_grad[j] += delta[i, j]
        total += nll * weight[i] if weighted else nll
    return total


# The optimizer steps: one kernel per variant, each the sum of squares of
# the weights (the only reduction, whose order is left free), then a simple
# loop over the weights with their L2 term and one over the intercepts
# without, that the compiler turns into vector instructions. The operations
# on each value are those of the numpy path, in its order. Each returns the
# sum of squares.


@_jit(fastmath={"reassoc"})
def _squares(params, n_coef):
    """``||params[:n_coef]||^2``, summed in any order."""
    squares = 0.0
    for i in range(n_coef):
        squares += params[i] * params[i]
    return squares


@_jit
def _sgd_plain(params, grad, n_coef, alpha, step_size):
    """SGD without momentum."""
    squares = _squares(params, n_coef)
    for i in range(n_coef):
        params[i] -= (grad[i] + params[i] * alpha) * step_size
    for i in range(n_coef, params.shape[0]):
        params[i] -= grad[i] * step_size
    return squares


@_jit
def _sgd_momentum(params, grad, velocity, n_coef, alpha, step_size, momentum):
    """SGD with momentum."""
    squares = _squares(params, n_coef)
    for i in range(n_coef):
        v = velocity[i] * momentum
        v -= (grad[i] + params[i] * alpha) * step_size
        velocity[i] = v
        params[i] += v
    for i in range(n_coef, params.shape[0]):
        v = velocity[i] * momentum
        v -= grad[i] * step_size
        velocity[i] = v
        params[i] += v
    return squares


@_jit
def _sgd_nesterov(params, grad, velocity, n_coef, alpha, step_size, momentum):
    """SGD with Nesterov's momentum."""
    squares = _squares(params, n_coef)
    for i in range(n_coef):
        step = (grad[i] + params[i] * alpha) * step_size
        v = velocity[i] * momentum
        v -= step
        velocity[i] = v
        w = params[i] - step
        params[i] = w + v * momentum
    for i in range(n_coef, params.shape[0]):
        step = grad[i] * step_size
        v = velocity[i] * momentum
        v -= step
        velocity[i] = v
        w = params[i] - step
        params[i] = w + v * momentum
    return squares


@_jit
def _adam(
    params,
    grad,
    first_moment,
    second_moment,
    n_coef,
    alpha,
    scale,
    beta_1,
    one_minus_beta_1,
    beta_2,
    one_minus_beta_2,
    epsilon,
    learning_rate,
):
    """Adam, on the gradient times ``scale``."""
    squares = _squares(params, n_coef)
    for i in range(params.shape[0]):
        g = grad[i] + params[i] * alpha if i < n_coef else grad[i]
        g *= scale
        m = first_moment[i] * beta_1
        m += g * one_minus_beta_1
        first_moment[i] = m
        v = second_moment[i] * beta_2
        v += (g * g) * one_minus_beta_2
        second_moment[i] = v
        step = math.sqrt(v) + epsilon
        step = m / step
        params[i] -= step * learning_rate
    return squares
