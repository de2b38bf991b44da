"""The multi-layer perceptron: weights on one flat vector, forward, backward.

All weights live in one flat parameter vector; ``coefs_`` and
``intercepts_`` are views into it, so an optimizer step is a few operations
on one vector. The coefficients of every layer come first, then the
intercepts, so the L2 penalty acts on one contiguous slice.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from sklearn.utils import gen_batches
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.sparsefuncs import mean_variance_axis

from . import _threads
from ._threads import dot, limit_blas_threads


class Layout:
    """Where each layer's weights sit in the flat parameter vector.

    Parameters
    ----------
    layer_units : sequence of int
        Units of every layer, input and output included.
    fan_ins : dict of int to int, default=None
        Inputs of the weight layers that do not take the whole output of the
        layer below: a variational code layer puts out a mean and a
        log-variance per code, and the decoder takes one sample per code.
    """

    def __init__(self, layer_units, fan_ins=None):
        self.layer_units = tuple(int(units) for units in layer_units)
        self.fan_ins = dict(fan_ins or {})
        self.coef_shapes = [
            (self.fan_ins.get(i, fan_in), fan_out)
            for i, (fan_in, fan_out) in enumerate(pairwise(self.layer_units))
        ]
        sizes = [fan_in * fan_out for fan_in, fan_out in self.coef_shapes]
        self.n_coef = sum(sizes)
        self._bounds = np.cumsum([0, *sizes, *self.layer_units[1:]])
        self.n_params = int(self._bounds[-1])

    def split(self, flat):
        """Views of ``flat`` shaped as ``coefs_`` and ``intercepts_``."""
        n_layers = len(self.coef_shapes)
        bounds = self._bounds
        coefs = [
            flat[bounds[i] : bounds[i + 1]].reshape(shape)
            for i, shape in enumerate(self.coef_shapes)
        ]
        intercepts = [
            flat[bounds[n_layers + i] : bounds[n_layers + i + 1]]
            for i in range(n_layers)
        ]
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype):
        """A new flat vector holding copies of ``coefs`` and ``intercepts``."""
        flat = np.empty(self.n_params, dtype=dtype)
        for view, given in zip(sum(self.split(flat), []), [*coefs, *intercepts]):
            given = np.asarray(given)
            if given.shape != view.shape:
                raise ValueError(
                    f"coefs_init / intercepts_init: expected an array of shape "
                    f"{view.shape}, got {given.shape} (layers {self.layer_units})."
                )
            view[...] = given
        return flat

    def shapes_match(self, coefs, intercepts):
        """Whether ``coefs`` and ``intercepts`` have the shapes of this layout."""
        if len(coefs) != len(self.coef_shapes) or len(intercepts) != len(coefs):
            return False
        return all(
            np.shape(coef) == shape and np.shape(intercept) == (shape[1],)
            for coef, intercept, shape in zip(coefs, intercepts, self.coef_shapes)
        )


def glorot_uniform(layout, activation, random_state, dtype):
    """Initial weights drawn as scikit-learn's MLP draws them.

    Glorot and Bengio's uniform bound ``sqrt(6 / (fan_in + fan_out))``
    (``sqrt(2 / ...)`` for logistic hidden units), coefficients then
    intercepts layer by layer, in the same order from the same random state,
    so a network started from a given ``random_state`` starts where
    scikit-learn's would.
    """
    flat = np.empty(layout.n_params, dtype=dtype)
    factor = 2.0 if activation == "logistic" else 6.0
    for coef, intercept in zip(*layout.split(flat)):
        bound = np.sqrt(factor / sum(coef.shape))
        coef[...] = random_state.uniform(-bound, bound, coef.shape)
        intercept[...] = random_state.uniform(-bound, bound, intercept.shape)
    return flat


#: Rows per chunk of a prediction's forward pass: the hidden activations of
#: a large X are never held all at once.
FORWARD_CHUNK = 256


def forward(X, coefs, intercepts, hidden_activations):
    """Output of the last of ``coefs``' layers, for prediction.

    ``hidden_activations[i]`` follows layer ``i``; a layer beyond the list
    gives its raw (pre-link) output. Large inputs run in chunks of rows,
    under training's thread policy: BLAS on one thread, a chunk's large
    products shared between two threads (``_threads.dot``).
    """
    n_rows = X.shape[0]
    if n_rows <= FORWARD_CHUNK:
        return _forward_rows(X, coefs, intercepts, hidden_activations)
    dtype = np.result_type(X.dtype, coefs[-1].dtype)
    output = np.empty((n_rows, coefs[-1].shape[1]), dtype=dtype)
    with limit_blas_threads():
        for rows in gen_batches(n_rows, FORWARD_CHUNK):
            output[rows] = _forward_rows(X[rows], coefs, intercepts, hidden_activations)
    return output


def _forward_rows(X, coefs, intercepts, hidden_activations):
    A = X
    for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
        shape = (A.shape[0], coef.shape[1])
        if _is_sparse(A):
            A = _sparse_product(A, coef)
        elif (
            A.dtype != coef.dtype
            or shape[0] * A.shape[1] * shape[1] < _threads.SMALL_PRODUCT
        ):
            # Straight to numpy: one-row prediction is mostly call overhead.
            A = A @ coef
        else:
            # A large product, shared by two threads.
            A = dot(A, coef, np.empty(shape, dtype=coef.dtype))
        A += intercept
        if i < len(hidden_activations):
            hidden_activations[i].forward(A)
    return A


def _canonical_csr(X):
    """``X`` as CSR with sorted indices and no duplicates (a copy if needed).

    A batch's products sum each row's entries in their stored order: equal
    matrices stored in another order (CSC, or the unsorted rows that scaling
    by a diagonal matrix leaves) would train to other bits.
    """
    X = X.tocsr()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


#: Rows per chunk of the float64 statistics of a float32 X: no float64
#: copy of all of X.
STATISTICS_CHUNK = 4096


def _mean_and_variance(X, sample_weight=None):
    """Weighted mean and variance of every column, in float64.

    As StandardScaler's, whatever X's dtype: float32 statistics round a
    column such as a latitude (47.6 plus 0.01 times noise) to a variance
    within rounding of zero, and it would be left unscaled. A float32 X is
    read in chunks of rows, each cast to float64.
    """
    if sp.issparse(X):
        # Float64 accumulators already; the results come in X's dtype.
        mean, variance = mean_variance_axis(X.tocsr(), axis=0, weights=sample_weight)
        return mean.astype(np.float64), variance.astype(np.float64)
    if X.dtype == np.float64:
        mean = np.average(X, axis=0, weights=sample_weight)
        return mean, np.average((X - mean) ** 2, axis=0, weights=sample_weight)
    if sample_weight is None:
        sample_weight = np.ones(X.shape[0])
    weights = np.asarray(sample_weight, dtype=np.float64)
    chunks = list(gen_batches(X.shape[0], STATISTICS_CHUNK))
    total = weights.sum()
    mean = sum(weights[rows] @ X[rows].astype(np.float64) for rows in chunks) / total
    squares = sum(
        weights[rows] @ (X[rows].astype(np.float64) - mean) ** 2 for rows in chunks
    )
    return mean, squares / total


def _all_equal(X, sample_weight=None):
    """Whether each column's values (in the rows of positive weight) are equal."""
    if sample_weight is not None:
        X = X[np.flatnonzero(sample_weight > 0)]
    if sp.issparse(X):
        highest = X.max(axis=0).toarray().ravel()
        lowest = X.min(axis=0).toarray().ravel()
        return highest == lowest
    return np.all(X == X[:1], axis=0)


class Standardization:
    """The affine map ``data = training * scale + shift``, per column.

    Training sees standardized values; the fitted network works on the data
    as given. Because the first and last layers are affine, the map folds
    into their weights exactly, in either direction.

    Parameters
    ----------
    shift, scale : ndarray of shape (n_columns,)
        Column means and spreads of the data.
    unestimated : ndarray of bool of shape (n_columns,), default=None
        The columns whose spread the data could not show (all their values
        equal): continued training estimates them again from its data
        (:meth:`completed`). None: none.
    """

    def __init__(self, shift, scale, unestimated=None):
        self.shift = shift
        self.scale = scale
        self.unestimated = unestimated

    @property
    def incomplete(self):
        """Whether some column's spread is still to be estimated."""
        # Models saved before this attribute existed keep their statistics.
        unestimated = getattr(self, "unestimated", None)
        return unestimated is not None and bool(unestimated.any())

    def completed(self, fresh):
        """This standardization, with the columns it could not estimate
        taken from ``fresh`` (fitted on new data).

        A stream (``partial_fit``) keeps its first chunk's standardization,
        but a chunk of one row, or one in which a column does not vary,
        cannot show the column's spread: such a column is estimated from the
        next chunk, until one shows it. Continued training maps the fitted
        weights, which act on the data as given, to the new training space:
        the fitted model is unchanged by it.
        """
        redo = self.unestimated
        return Standardization(
            np.where(redo, fresh.shift, self.shift),
            np.where(redo, fresh.scale, self.scale),
            redo & fresh.unestimated,
        )

    @classmethod
    def fit(cls, values, sample_weight=None, pooled=False):
        """Weighted mean and standard deviation per column.

        ``pooled`` uses one spread for every column (the root of their mean
        variance), which keeps the columns' relative weight in a squared
        error. A column without spread keeps unit scale.
        """
        shift = np.average(values, axis=0, weights=sample_weight)
        spread = np.average((values - shift) ** 2, axis=0, weights=sample_weight)
        if pooled:
            spread = np.full_like(spread, spread.mean())
        scale = np.where(spread > 0, np.sqrt(spread), 1.0)
        return cls(shift, scale, unestimated=~(spread > 0))

    @classmethod
    def fit_inputs(cls, X, sample_weight=None, pooled=False):
        """Standardization of the network's inputs, feature by feature.

        Features are centred and scaled to unit variance, sparse ones too:
        their training input is a :class:`CentredSparse`, so that they stay
        sparse. ``pooled`` scales every feature by one spread (the root of
        their mean variance), which keeps their relative scale. A feature
        without spread is not centred: it is divided by its magnitude when
        that exceeds 1 (a constant such as 500 becomes 1 and does not swamp
        the first layer; 0, a tiny constant, and a single sample with
        ``x = 1``, the seed's one-neuron experiment, train exactly as given).
        The statistics and the test for a spread are float64 whatever X's
        dtype, as StandardScaler's.
        """
        n_samples = X.shape[0]
        mean, variance = _mean_and_variance(X, sample_weight)
        # StandardScaler's rule, in float64 whatever X's dtype (as its
        # statistics): a variance within rounding of zero is not a spread to
        # divide by. As StandardScaler, such a feature is still centred (its
        # values may differ: 1e14 plus unit noise), unless they are all
        # equal (a constant).
        eps = np.finfo(np.float64).eps
        unresolved = (
            variance <= n_samples * eps * variance + (n_samples * mean * eps) ** 2
        )
        constant = unresolved.copy()
        if unresolved.any():  # rare: the test reads those columns only
            constant[unresolved] = _all_equal(X[:, unresolved], sample_weight)
        spread = np.where(unresolved, 1.0, np.sqrt(variance))
        if pooled and not unresolved.all():
            spread = np.full_like(spread, np.sqrt(variance[~unresolved].mean()))
            spread[unresolved] = 1.0
        # Only magnitudes above 1 are divided out: a tiny constant (a
        # denormal) would turn the folded first-layer weights into inf.
        magnitude = np.maximum(np.abs(mean), 1.0)
        scale = np.where(constant, magnitude, spread)
        shift = np.where(constant, 0.0, mean)
        return cls(shift, scale, unestimated=constant)

    @classmethod
    def fit_targets(cls, distribution, values, sample_weight=None):
        """Targets standardized by the intercept-only model's location and
        scale (:meth:`Distribution.location_and_scale`); a column without
        spread keeps unit scale.

        They are computed on the targets divided by a power of two near the
        largest magnitude of each column (exact, and the estimates of a
        location-scale family scale with the targets): the squares of targets
        beyond about 1e154 overflow, those below about 1e-154 underflow.
        """
        magnitude = np.frexp(np.max(np.abs(values), axis=0))[1]
        shift, scale = distribution.location_and_scale(
            np.ldexp(values, -magnitude), sample_weight
        )
        shift, scale = np.ldexp(shift, magnitude), np.ldexp(scale, magnitude)
        return cls(shift, np.where(scale > 0, scale, 1.0), unestimated=~(scale > 0))

    def to_training(self, values):
        """Standardize data-space ``values``; sparse ones are scaled and
        stay sparse, their centring is a :class:`CentredSparse`'s offset."""
        if sp.issparse(values):
            scaled = (values @ sp.diags(1 / self.scale)).astype(values.dtype)
            offset = (self.shift / self.scale).astype(values.dtype)
            scaled = _canonical_csr(scaled)
            return CentredSparse(scaled, offset) if offset.any() else scaled
        return ((values - self.shift) / self.scale).astype(values.dtype, copy=False)

    def log_jacobian(self):
        """``log |d data / d training|``: what standardizing adds to an NLL."""
        return float(np.sum(np.log(self.scale)))

    def output_to_training(self, coefs, intercepts, distribution):
        """Map the output layer to standardized targets.

        ``distribution.raw_affine`` says how each raw column moves with the
        targets' scale and shift (a location, a log-scale).
        """
        scale, shift = distribution.raw_affine(self.scale, self.shift)
        _affine_output(coefs, intercepts, 1 / scale, -shift / scale)

    def output_to_data(self, coefs, intercepts, distribution):
        """Map the output layer back to the targets as given."""
        _affine_output(
            coefs, intercepts, *distribution.raw_affine(self.scale, self.shift)
        )

    def input_to_training(self, coefs, intercepts):
        _affine_input(coefs, intercepts, self.scale, self.shift)

    def input_to_data(self, coefs, intercepts):
        _affine_input(coefs, intercepts, 1 / self.scale, -self.shift / self.scale)


@dataclass
class NetworkDefinition:
    """What defines a fitted network besides its weights.

    Made by a new fit, kept by the estimator for prediction and for
    continued training (warm_start, partial_fit, which work on a copy): a
    failed fit simply drops its own.

    ``distribution`` is the training copy of the likelihood: its constants
    (a noise scale) keep their training values, in training units; the
    fitted copy is the estimator's ``distribution_``. ``input_scaling`` and
    ``target_scaling`` are the standardizations training works in (None
    where the data is used as given).
    """

    structure: dict
    hidden_activations: list
    distribution: object
    input_scaling: object = None
    target_scaling: object = None

    def to_training(self, X, Y):
        """``X`` and ``Y`` in the space where training happens, and the
        log-Jacobian that turns the NLL of the training targets into the NLL
        of the targets as given."""
        loss_offset = 0.0
        if self.target_scaling is not None:
            Y = self.target_scaling.to_training(Y)
            loss_offset = self.target_scaling.log_jacobian()
        if self.input_scaling is not None:
            X = self.input_scaling.to_training(X)
        if sp.issparse(X):
            X = _canonical_csr(X)
        return X, Y, loss_offset

    def to_training_space(self, coefs, intercepts):
        """Map weights that act on the data as given to training space, in place."""
        if self.target_scaling is not None:
            self.target_scaling.output_to_training(coefs, intercepts, self.distribution)
        if self.input_scaling is not None:
            self.input_scaling.input_to_training(coefs, intercepts)

    def to_data_space(self, coefs, intercepts):
        """Map weights from training space to the data as given, in place."""
        if self.target_scaling is not None:
            self.target_scaling.output_to_data(coefs, intercepts, self.distribution)
        if self.input_scaling is not None:
            self.input_scaling.input_to_data(coefs, intercepts)


def _affine_output(coefs, intercepts, scale, shift):
    """Make the network's raw output ``r`` become ``r * scale + shift``."""
    coefs[-1] *= scale
    intercepts[-1] *= scale
    intercepts[-1] += shift


def _affine_input(coefs, intercepts, scale, shift):
    """Make the network take ``x`` where it took ``x * scale + shift``."""
    intercepts[0] += shift @ coefs[0]
    coefs[0] *= scale[:, np.newaxis]


class Workspace:
    """Preallocated buffers for the mini-batches of one training run.

    Holds each layer's output from the forward pass and each layer's error
    signal (``delta``: the gradient of the loss with respect to the layer's
    pre-activation) from the backward pass. Batches of fewer rows use the
    leading rows of every buffer.

    Parameters
    ----------
    layout : Layout
        The network's layers.
    hidden_activations : list of activation classes
        One per hidden layer.
    batch_size : int
        The largest batch.
    dtype : dtype
        Dtype of the data and parameters.
    kernels : Kernels or None, default=None
        The compiled kernels (``_compiled``) that fuse each layer's
        elementwise work, or None for numpy.
    """

    def __init__(self, layout, hidden_activations, batch_size, dtype, kernels=None):
        self.hidden_activations = hidden_activations
        self.kernels = kernels
        units = layout.layer_units
        self.batch_size = batch_size
        self.outputs = [np.empty((batch_size, n), dtype=dtype) for n in units[1:]]
        self.deltas = [np.empty((batch_size, n), dtype=dtype) for n in units[1:]]
        # Summing a delta over the batch as ones @ delta runs in BLAS (gemv),
        # several times faster than np.sum(delta, axis=0).
        self._ones = np.ones(batch_size, dtype=dtype)

    def _rows(self, n_rows):
        """The leading ``n_rows`` of the outputs, the deltas and the ones."""
        if n_rows == self.batch_size:
            return self.outputs, self.deltas, self._ones
        return (
            [Z[:n_rows] for Z in self.outputs],
            [delta[:n_rows] for delta in self.deltas],
            self._ones[:n_rows],
        )

    def forward(self, X, coefs, intercepts):
        """Fill every layer's output for the batch ``X``; return the raw output.

        With compiled kernels the output layer's intercept is left out: the
        loss kernel adds it (see :meth:`MiniBatchStep.__call__`).
        """
        outputs = self._rows(X.shape[0])[0]
        # Only the input can be sparse; hidden layers go straight to BLAS.
        _dot_into(X, coefs[0], outputs[0])
        kernels = self.kernels
        for i, activation in enumerate(self.hidden_activations):
            if kernels is None:
                outputs[i] += intercepts[i]
                activation.forward(outputs[i])
            else:
                kernels.bias_activation(outputs[i], intercepts[i], i)
            dot(outputs[i], coefs[i + 1], outputs[i + 1])
        if kernels is None:
            outputs[-1] += intercepts[-1]
        return outputs[-1]

    def code_loss(self, n_rows, sample_weight):
        """The loss a code layer adds to the last forward pass: none here."""
        return 0.0

    @property
    def output_delta(self):
        """The buffer that receives the loss gradient w.r.t. the raw output."""
        return self.deltas[-1]

    def backward(self, X, coefs, coef_grads, intercept_grads):
        """Backpropagate ``output_delta`` through the network.

        The bias gradient of a layer is its delta summed over the batch; the
        weight gradient is the layer's input transposed times its delta; the
        delta of the layer below is the delta times the weights, times the
        derivative of that layer's activation.

        With compiled kernels the output layer's bias gradient comes from the
        loss kernel, and each hidden layer's from its activation's backward
        pass, in the same pass over its delta; a large first-layer weight
        gradient is left to the kernels' step, which computes it fused with
        the update (``Kernels.defer_gradient``): the step must follow.
        """
        outputs, deltas, ones = self._rows(X.shape[0])
        kernels = self.kernels
        for i in range(len(coefs) - 1, 0, -1):
            dot(outputs[i - 1].T, deltas[i], coef_grads[i])
            if kernels is None:
                np.dot(ones, deltas[i], out=intercept_grads[i])
            dot(deltas[i], coefs[i].T, deltas[i - 1])
            if kernels is None:
                self.hidden_activations[i - 1].backward(outputs[i - 1], deltas[i - 1])
            else:
                kernels.activation_backward(
                    outputs[i - 1], deltas[i - 1], intercept_grads[i - 1], i - 1
                )
        if kernels is None:
            _input_gradient(X, deltas[0], coef_grads[0], ones)
            np.dot(ones, deltas[0], out=intercept_grads[0])
        elif _is_sparse(X) or not kernels.defer_gradient(X.T, deltas[0], coef_grads[0]):
            _input_gradient(X, deltas[0], coef_grads[0], ones)


class CentredSparse:
    """A sparse matrix minus one row from each of its rows, never densified.

    The standardized training input of sparse features: ``matrix`` holds
    them scaled, ``offset`` their scaled means. Its product with the first
    layer's weights ``W`` is ``matrix @ W - offset @ W`` (one vector per
    batch), and the weight gradient ``(matrix - offset).T @ delta`` is
    ``matrix.T @ delta - outer(offset, sum of delta's rows)``; a batch of
    rows is a ``CentredSparse`` of the matrix's rows. The network so trains
    on the same centred inputs as on the dense copy of the data.

    Parameters
    ----------
    matrix : sparse matrix of shape (n_samples, n_features)
        The scaled features, CSR.
    offset : ndarray of shape (n_features,)
        What every row centres by.
    """

    def __init__(self, matrix, offset):
        self.matrix = matrix
        self.offset = offset

    @property
    def shape(self):
        return self.matrix.shape

    @property
    def dtype(self):
        return self.matrix.dtype

    def __getitem__(self, rows):
        return CentredSparse(self.matrix[rows], self.offset)


def _is_sparse(X):
    return sp.issparse(X) or isinstance(X, CentredSparse)


def _sparse_product(A, B):
    """``A @ B`` for a sparse or :class:`CentredSparse` ``A``: a dense array."""
    if isinstance(A, CentredSparse):
        product = safe_sparse_dot(A.matrix, B, dense_output=True)
        product -= A.offset @ B
        return product
    return safe_sparse_dot(A, B, dense_output=True)


def _dot_into(A, B, out):
    if _is_sparse(A):
        out[...] = _sparse_product(A, B)
    else:
        dot(A, B, out)


def _input_gradient(X, delta, out, ones):
    """``X.T @ delta`` into ``out``: the first layer's weight gradient."""
    if isinstance(X, CentredSparse):
        out[...] = safe_sparse_dot(X.matrix.T, delta, dense_output=True)
        out -= np.outer(X.offset, ones @ delta)
    else:
        _dot_into(X.T, delta, out)
