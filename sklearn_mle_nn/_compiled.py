"""Fused training kernels compiled with numba, when it is installed.

The numpy path of ``_training`` and ``_network`` is the reference: it
serves every activation, distribution and optimizer, user-defined ones
included. These kernels do the same arithmetic for the built-in ones, in
fewer passes over memory and fewer Python calls per mini-batch: a layer's
bias plus activation; the output layer's bias, the loss, its gradient and
the output bias gradient; an activation's backward pass with the bias
gradient of its layer; the L2 term plus the optimizer step. Matrix products
stay with BLAS, and the gather of a batch with ``np.take`` (a compiled
gather measured no faster).

numba is imported at the first fit that can use it, not with the package.
A kernel is compiled once per dtype on first use and cached on disk
(``cache=True``), so a later process starts from the cache. ``ENABLED``
switches the compiled path off (the benchmarks compare both paths).
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import functools
import importlib.util
import math
import threading

import numpy as np
from scipy.special import gammaln

from . import _activations, _optimizers, distributions

#: Whether training may use the compiled kernels (when numba is installed,
#: with the `fast` extra).
ENABLED = importlib.util.find_spec("numba") is not None

#: Activation codes the kernels understand, by activation class.
IDENTITY, RELU, TANH, LOGISTIC = 0, 1, 2, 3
_ACTIVATION_CODES = {
    _activations.Identity: IDENTITY,
    _activations.Relu: RELU,
    _activations.Tanh: TANH,
    _activations.Logistic: LOGISTIC,
}

#: The loss kernel of each distribution, by class (canonical links only).
_LOSS_KERNELS = {
    distributions.Gaussian: "_gaussian",
    distributions.HeteroscedasticGaussian: "_heteroscedastic_gaussian",
    distributions.Laplace: "_laplace",
    distributions.StudentT: "_student_t",
    distributions.Poisson: "_poisson",
    distributions.Bernoulli: "_bernoulli",
    distributions.Categorical: "_categorical",
}

_LOG_2PI = math.log(2 * math.pi)
#: As in ``distributions``: raw log-scales and log-rates are clipped here.
_LOG_LIMIT = 30.0


def kernels_for(model, optimizer, dtype):
    """The compiled kernels for ``model`` and ``optimizer``, or None.

    None (the numpy path) unless numba imports, ``ENABLED`` is set, the
    dtype is float32 or float64, and every hidden activation, the
    distribution (with its canonical link and no fitted constant) and the
    optimizer are exactly built-in classes: a subclass may change any method.
    """
    if not ENABLED or np.dtype(dtype) not in (np.float32, np.float64):
        return None
    # The activations are classes with static methods.
    codes = [_ACTIVATION_CODES.get(a) for a in model.hidden_activations]
    distribution = model.distribution
    loss_kernel = _LOSS_KERNELS.get(type(distribution))
    if (
        None in codes
        or loss_kernel is None
        or not distribution.is_canonical
        or hasattr(distribution, "scale_")
        or type(optimizer) not in (_optimizers.SGD, _optimizers.Adam)
    ):
        return None
    if not _compile_lazily():
        return None
    return Kernels(codes, distribution, loss_kernel, optimizer, dtype)


class Kernels:
    """The kernels of one training run, with its constants bound.

    Parameters
    ----------
    activation_codes : list of int
        Code of each hidden layer's activation.
    distribution : Distribution
        The (built-in, canonical) likelihood.
    loss_kernel : str
        The name of its loss kernel.
    optimizer : SGD or Adam
        The optimizer, whose state the step kernel updates in place.
    dtype : dtype
        Dtype of the data and parameters.
    """

    def __init__(self, activation_codes, distribution, loss_kernel, optimizer, dtype):
        self.activation_codes = activation_codes
        self.loss_kernel = loss_kernel
        self.optimizer = optimizer
        self.dtype = np.dtype(dtype)
        # Per sample: the NLL's constant, and Student's t degrees of freedom.
        self.df = float(getattr(distribution, "df", 1.0))
        self.constant = 0.0
        if loss_kernel in ("_gaussian", "_heteroscedastic_gaussian"):
            self.constant = 0.5 * _LOG_2PI
        elif loss_kernel == "_laplace":
            self.constant = math.log(2.0)
        elif loss_kernel == "_student_t":
            df = self.df
            self.constant = float(
                gammaln(df / 2) - gammaln((df + 1) / 2) + 0.5 * math.log(df * math.pi)
            )
        self._no_weight = np.empty(0, dtype=self.dtype)
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
            self._constants = (cast(optimizer.momentum), optimizer.nesterov)

    def bias_activation(self, Z, bias, layer):
        """``Z = activation(Z + bias)`` in place, for hidden layer ``layer``."""
        _bias_activation(Z, bias, self.activation_codes[layer])

    def loss_gradient(self, raw, bias, Y, sample_weight, delta, bias_grad):
        """Add the output bias, fill the weighted NLL gradient and its column
        sums; return ``sum_i w_i NLL_i``."""
        weight = self._no_weight if sample_weight is None else sample_weight
        if self.loss_kernel == "_categorical":
            # numpy's exp is vectorised (SIMD), a compiled loop's is not: the
            # softmax's exponentials run between two kernels.
            _categorical_shift(raw, bias, delta)
            np.exp(delta, out=delta)
            return _categorical(raw, bias, Y, weight, delta, bias_grad)
        kernel = globals()[self.loss_kernel]
        return kernel(raw, bias, Y, weight, delta, bias_grad, self.constant, self.df)

    def activation_backward(self, A, delta, bias_grad, layer):
        """Multiply ``delta`` by the derivative of hidden layer ``layer``'s
        activation (from its output ``A``); its column sums go to ``bias_grad``."""
        _activation_backward(
            A, delta, bias_grad, self.activation_codes[layer], self._one
        )

    def step(self, params, grad, n_coef, alpha, scale):
        """The L2 term on the first ``n_coef`` values, then the optimizer's
        update with the gradient ``scale * grad``; returns ``||W||^2``.

        ``grad`` is overwritten. The scalars are rounded to the dtype first.
        """
        optimizer, cast = self.optimizer, self.dtype.type
        optimizer.begin_step()
        if type(optimizer) is _optimizers.Adam:
            return _adam_step(
                params,
                grad,
                optimizer.first_moment,
                optimizer.second_moment,
                n_coef,
                cast(alpha),
                cast(scale),
                scale != 1.0,
                *self._constants,
                cast(optimizer.learning_rate),
            )
        return _sgd_step(
            params,
            grad,
            optimizer.velocity,
            n_coef,
            cast(alpha),
            cast(optimizer.learning_rate * scale),
            *self._constants,
        )


#: The functions below that numba compiles, with the options of each beyond
#: the common ones. Small helpers are inlined into their callers
#: (``inline="always"``): each function compiled on its own adds to the
#: first fit's compile time.
_KERNELS = {}


def _jit(function=None, **options):
    """Mark ``function`` for numba; it stays plain Python until a fit needs it."""
    if function is None:
        return functools.partial(_jit, **options)
    _KERNELS[function.__name__] = options
    return function


_compile_lock = threading.Lock()


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
    except ImportError:
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


@_jit
def _bias_activation(Z, bias, code):
    n_rows, n_columns = Z.shape
    # One loop per activation: the branch stays out of the inner loop.
    if code == RELU:
        for i in range(n_rows):
            for j in range(n_columns):
                z = Z[i, j] + bias[j]
                # As np.maximum: NaN stays NaN.
                Z[i, j] = 0.0 if z < 0 else z
    elif code == TANH:
        for i in range(n_rows):
            for j in range(n_columns):
                Z[i, j] = math.tanh(Z[i, j] + bias[j])
    elif code == LOGISTIC:
        for i in range(n_rows):
            for j in range(n_columns):
                Z[i, j] = _expit(Z[i, j] + bias[j])
    else:
        for i in range(n_rows):
            for j in range(n_columns):
                Z[i, j] += bias[j]


@_jit
def _activation_backward(A, delta, bias_grad, code, one):
    n_rows, n_columns = delta.shape
    bias_grad[:] = 0
    for i in range(n_rows):
        for j in range(n_columns):
            # The same operations, in the same order, as _activations.
            a, d = A[i, j], delta[i, j]
            if code == RELU:
                # d * 0 where a <= 0, as a multiply by the mask: inf * 0 is NaN.
                d = d if a > 0 else d - d
            elif code == TANH:
                d = d * (one - a * a)
            elif code == LOGISTIC:
                d = d * a
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
# mean minus the target (see ``distributions``). One kernel per distribution:
# a fit compiles only its own. Each returns the row's NLL through _finish_row.


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


@_jit
def _gaussian(raw, bias, Y, weight, delta, bias_grad, constant, df):
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


@_jit
def _heteroscedastic_gaussian(raw, bias, Y, weight, delta, bias_grad, constant, df):
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


@_jit
def _laplace(raw, bias, Y, weight, delta, bias_grad, constant, df):
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


@_jit
def _student_t(raw, bias, Y, weight, delta, bias_grad, constant, df):
    bias_grad[:] = 0
    total = 0.0
    for i in range(raw.shape[0]):
        nll = 0.0
        for j in range(raw.shape[1]):
            residual = raw[i, j] + bias[j] - Y[i, j]
            squares = residual * residual
            delta[i, j] = (df + 1) * residual / (df + squares)
            nll += 0.5 * (df + 1) * math.log1p(squares / df) + constant
        total += _finish_row(i, nll, weight, delta, bias_grad)
    return total


@_jit
def _poisson(raw, bias, Y, weight, delta, bias_grad, constant, df):
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


@_jit
def _bernoulli(raw, bias, Y, weight, delta, bias_grad, constant, df):
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


@_jit
def _categorical_shift(raw, bias, delta):
    """``delta = raw + bias - (its row maximum)``, which keeps exp finite."""
    for i in range(raw.shape[0]):
        top = _row_top(raw, bias, i)
        for j in range(raw.shape[1]):
            delta[i, j] = (raw[i, j] + bias[j]) - top


@_jit(inline="always")
def _row_top(raw, bias, i):
    top = raw[i, 0] + bias[0]
    for j in range(raw.shape[1]):
        top = max(top, raw[i, j] + bias[j])
    return top


@_jit
def _categorical(raw, bias, Y, weight, delta, bias_grad):
    """From ``delta = exp(shifted raw)``: softmax minus Y, and the NLL
    ``log(sum exp) - Y . shifted`` (rows of Y sum to one)."""
    bias_grad[:] = 0
    total = 0.0
    n_raw = raw.shape[1]
    for i in range(raw.shape[0]):
        top = _row_top(raw, bias, i)
        exp_sum = 0.0
        target = 0.0
        for j in range(n_raw):
            target += Y[i, j] * ((raw[i, j] + bias[j]) - top)
            exp_sum += delta[i, j]
        for j in range(n_raw):
            delta[i, j] = delta[i, j] / exp_sum - Y[i, j]
        total += _finish_row(i, math.log(exp_sum) - target, weight, delta, bias_grad)
    return total


# The optimizer steps walk the parameters in simple loops that the compiler
# turns into vector instructions: the L2 norm in its own loop (the only
# reduction, whose order is left free), then the update of the weights with
# their L2 term, then of the intercepts without. The operations on each value
# are those of the numpy path, in its order.


@_jit(fastmath={"reassoc"})
def _squares(params, n_coef):
    """``||params[:n_coef]||^2``, summed in any order."""
    squares = 0.0
    for i in range(n_coef):
        squares += params[i] * params[i]
    return squares


@_jit
def _sgd_step(params, grad, velocity, n_coef, alpha, step_size, momentum, nesterov):
    """As MiniBatchStep._step with SGD.update; returns the L2 norm squared."""
    squares = _squares(params, n_coef)
    # Literal flags, each argument spelled out (not *args): the branch on
    # them then disappears and the loop vectorises.
    _sgd_update(
        params, grad, velocity, 0, n_coef, True, alpha, step_size, momentum, nesterov
    )
    n_params = params.shape[0]
    _sgd_update(
        params,
        grad,
        velocity,
        n_coef,
        n_params,
        False,
        alpha,
        step_size,
        momentum,
        nesterov,
    )
    return squares


@_jit(inline="always")
def _sgd_update(
    params, grad, velocity, start, stop, penalised, alpha, step_size, momentum, nesterov
):
    """SGD on ``params[start:stop]``, with the L2 term if ``penalised``."""
    if momentum == 0:
        for i in range(start, stop):
            g = grad[i] + params[i] * alpha if penalised else grad[i]
            params[i] -= g * step_size
    elif nesterov:
        for i in range(start, stop):
            g = grad[i] + params[i] * alpha if penalised else grad[i]
            step = g * step_size
            v = velocity[i] * momentum
            v -= step
            velocity[i] = v
            w = params[i] - step
            params[i] = w + v * momentum
    else:
        for i in range(start, stop):
            g = grad[i] + params[i] * alpha if penalised else grad[i]
            v = velocity[i] * momentum
            v -= g * step_size
            velocity[i] = v
            params[i] += v


@_jit
def _adam_step(
    params,
    grad,
    first_moment,
    second_moment,
    n_coef,
    alpha,
    scale,
    scaled,
    beta_1,
    one_minus_beta_1,
    beta_2,
    one_minus_beta_2,
    epsilon,
    learning_rate,
):
    """As MiniBatchStep._step with Adam.update; returns the L2 norm squared."""
    squares = _squares(params, n_coef)
    # As in _sgd_step: literal flags, every argument spelled out.
    _adam_update(
        params,
        grad,
        first_moment,
        second_moment,
        0,
        n_coef,
        True,
        alpha,
        scale,
        scaled,
        beta_1,
        one_minus_beta_1,
        beta_2,
        one_minus_beta_2,
        epsilon,
        learning_rate,
    )
    _adam_update(
        params,
        grad,
        first_moment,
        second_moment,
        n_coef,
        params.shape[0],
        False,
        alpha,
        scale,
        scaled,
        beta_1,
        one_minus_beta_1,
        beta_2,
        one_minus_beta_2,
        epsilon,
        learning_rate,
    )
    return squares


@_jit(inline="always")
def _adam_update(
    params,
    grad,
    first_moment,
    second_moment,
    start,
    stop,
    penalised,
    alpha,
    scale,
    scaled,
    beta_1,
    one_minus_beta_1,
    beta_2,
    one_minus_beta_2,
    epsilon,
    learning_rate,
):
    """Adam on ``params[start:stop]``, with the L2 term if ``penalised``."""
    for i in range(start, stop):
        g = grad[i] + params[i] * alpha if penalised else grad[i]
        if scaled:
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
