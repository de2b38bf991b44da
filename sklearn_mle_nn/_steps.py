"""The mechanics under training: the network being trained, one mini-batch
step, the batches of an epoch, and the evaluation of a network on data.

:mod:`._training` tells the story of a fit with them.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

import numpy as np
from sklearn.utils import gen_batches

from . import _compiled
from ._network import FORWARD_CHUNK, Workspace, forward
from ._threads import limit_blas_threads
from ._variational import VariationalWorkspace

#: Seed of the noise with which a variational network is evaluated (its
#: final loss, its validation score): a fixed draw, so that the same weights
#: always get the same value.
EVALUATION_SEED = 0


@dataclass
class Model:
    """The network being trained, in the space where training happens."""

    layout: object
    hidden_activations: list
    distribution: object
    params: np.ndarray
    #: The Gaussian code layer of a variational autoencoder, or None.
    code: object = None
    #: A solution the network started from (an autoencoder's linear one),
    #: kept if training ends worse on the training data; or None.
    start: np.ndarray = None
    #: Mask of the raw outputs held at their value, out of training (the
    #: outputs of a target column with no maximum-likelihood fit); or None.
    held: np.ndarray = None

    def split(self):
        return self.layout.split(self.params)

    def forward(self, X, coefs, intercepts, random_state=None):
        """Raw output for ``X`` and the loss the code layer adds to each row.

        Without a code layer the added loss is 0. A variational network
        decodes one draw of its code per row, with noise from
        ``random_state`` (the posterior mean when it is None).
        """
        if self.code is None:
            return forward(X, coefs, intercepts, self.hidden_activations), 0.0
        return self.code.forward(
            X, coefs, intercepts, self.hidden_activations, random_state
        )


@dataclass
class TrainingProblem:
    """The data of one call of fit, in the space where training happens.

    ``loss_offset`` is the log-Jacobian that turns the NLL of standardized
    targets into the NLL of the targets as given. ``validation`` holds the
    rows ``(X, Y, sample_weight)`` that early stopping holds out of training
    (they stay in ``X`` and ``Y``), or None; ``validation_rows`` their
    indices in ``X``.
    """

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray
    loss_offset: float = 0.0
    validation: tuple = None
    validation_rows: np.ndarray = None

    def null_loss(self, distribution):
        """Mean NLL per sample of the intercept-only model (the best constant).

        In chunks of rows, as :func:`evaluate`: arrays of all the rows would
        be the largest of a fit's allocations.
        """
        null_raw = distribution.intercept_only_raw(self.Y, self.sample_weight)
        null_raw = null_raw.astype(self.X.dtype)
        total = 0.0
        for rows in gen_batches(self.Y.shape[0], FORWARD_CHUNK):
            Y = self.Y[rows]
            raw = np.ascontiguousarray(
                np.broadcast_to(null_raw, (Y.shape[0], null_raw.shape[1]))
            )
            nll = distribution.nll(Y, raw)
            weight = None if self.sample_weight is None else self.sample_weight[rows]
            total += float(nll.sum() if weight is None else nll @ weight)
        total_weight = (
            self.Y.shape[0] if self.sample_weight is None else self.sample_weight.sum()
        )
        return total / float(total_weight)


#: Length of the parts of the parameter vector that a step updates one after
#: the other. A part's weights, gradient and optimizer state stay in cache
#: through all the vector operations of the step, instead of streaming from
#: memory once per operation: twice as fast for a network of 400,000 weights.
UPDATE_PART = 2**16


class MiniBatchStep:
    """Gradient steps on mini-batches, with buffers allocated once.

    The objective of a batch ``B`` is
    ``(sum_{i in B} w_i NLL_i + alpha / 2 * ||W||^2) / sum_{i in B} w_i``,
    as in scikit-learn's MLP. Its gradient is divided by ``curvature`` (the
    likelihood's, in the raw outputs, at the intercept-only model, when it
    exceeds one: see :meth:`Distribution.raw_curvature`): the same optimum,
    with steps whose size does not grow with the scale of the targets.

    With numba installed, a model made of built-in parts and training long
    enough to pay for loading them (``n_samples``, the most samples it will
    go through), the elementwise work runs in compiled kernels
    (``_compiled``) that fuse it into fewer passes; the numpy code here is
    the reference they follow.
    """

    def __init__(
        self,
        model,
        optimizer,
        alpha,
        batch_size,
        dtype,
        random_state=None,
        curvature=1.0,
        n_samples=None,
    ):
        self.model = model
        self.optimizer = optimizer
        self.alpha = alpha
        self.curvature = max(1.0, float(curvature))
        self.random_state = random_state
        self.coefs, self.intercepts = model.split()
        self.grad = np.empty_like(model.params)
        self.coef_grads, self.intercept_grads = model.layout.split(self.grad)
        if model.code is None:
            self.kernels = _compiled.kernels_for(model, optimizer, dtype, n_samples)
            self.workspace = Workspace(
                model.layout, model.hidden_activations, batch_size, dtype, self.kernels
            )
        else:
            self.kernels = None
            self.workspace = VariationalWorkspace(
                model.layout,
                model.hidden_activations,
                batch_size,
                dtype,
                model.code,
                random_state,
            )
        n_params, n_coef = model.layout.n_params, model.layout.n_coef
        # Each part, and the weights (not intercepts) within it.
        self._parts = [
            (
                slice(start, start + UPDATE_PART),
                slice(start, min(start + UPDATE_PART, n_coef)),
            )
            for start in range(0, n_params, UPDATE_PART)
        ]
        self._scratch = np.empty(min(UPDATE_PART, n_coef), dtype=dtype)
        #: The L2 penalties added since it was last reset (once per epoch).
        self.penalty = 0.0
        self._kernels_ran = False

    def __call__(self, X, Y, sample_weight):
        """One update from the batch; returns ``sum_i w_i NLL_i + penalty``."""
        if self.kernels is not None and not self._kernels_ran:
            return self._first_compiled_batch(X, Y, sample_weight)
        return self._batch(X, Y, sample_weight)

    def _first_compiled_batch(self, X, Y, sample_weight):
        """The first batch on compiled kernels, which may compile them.

        Should they fail (numba's disk cache damaged by processes that
        compiled at once), the batch is made again with numpy, and so is the
        rest of training. A kernel fails as it is called (numba checks the
        types of its arguments first), before it writes: the weights and the
        optimizer's arrays are as they were, and its counters (Adam's step)
        are put back. No copy of the weights is held, which would add to a
        fit's peak memory.
        """
        counters = {
            name: value
            for name, value in vars(self.optimizer).items()
            if not isinstance(value, np.ndarray)
        }
        try:
            with _compiled.first_use(self.kernels):
                loss = self._batch(X, Y, sample_weight)
        except MemoryError:
            raise  # numpy would need the memory as well
        except Exception as error:
            vars(self.optimizer).update(counters)
            self.kernels = self.workspace.kernels = None
            _compiled.give_up(error)
            return self._batch(X, Y, sample_weight)
        self._kernels_ran = True
        return loss

    def _batch(self, X, Y, sample_weight):
        n_rows = X.shape[0]
        if sample_weight is not None and not sample_weight.any():
            # Nothing to learn from a batch of zero weight: skip it.
            return 0.0
        raw = self.workspace.forward(X, self.coefs, self.intercepts)
        delta = self.workspace.output_delta[:n_rows]
        total_weight = n_rows if sample_weight is None else sample_weight.sum()
        if self.kernels is not None:
            # The output intercept, the weighted gradient and its batch sum,
            # and the loss, in one pass.
            loss = self.kernels.loss_gradient(
                raw,
                self.intercepts[-1],
                Y,
                sample_weight,
                delta,
                self.intercept_grads[-1],
            )
        else:
            distribution = self.model.distribution
            loss = distribution.nll_and_gradient(Y, raw, delta, sample_weight)
            if sample_weight is not None:
                delta *= sample_weight[:, np.newaxis]
        if self.model.held is not None:
            delta[:, self.model.held] = 0
            self.intercept_grads[-1][self.model.held] = 0
        loss += self.workspace.code_loss(n_rows, sample_weight)
        # The gradient of the summed NLL; the division by the batch's weight
        # happens in the optimizer's step.
        self.workspace.backward(X, self.coefs, self.coef_grads, self.intercept_grads)
        penalty = self._step(total_weight)
        self.penalty += penalty
        return loss + penalty

    def _step(self, total_weight):
        """Add the L2 term, divide by ``total_weight`` and step, part by part.

        Returns the penalty ``alpha / 2 * ||W||^2`` of the weights before the
        step.
        """
        params, grad, alpha = self.model.params, self.grad, self.alpha
        scale = (
            1.0 / total_weight
            if self.curvature == 1.0
            else 1.0 / (total_weight * self.curvature)
        )
        if self.kernels is not None:
            n_coef = self.model.layout.n_coef
            squares = self.kernels.step(params, grad, n_coef, alpha, scale)
            return 0.5 * alpha * float(squares)
        squares = 0.0
        self.optimizer.begin_step()
        for part, weights_part in self._parts:
            if alpha and weights_part.start < weights_part.stop:
                weights = params[weights_part]
                squares += np.einsum("i,i->", weights, weights)
                scratch = self._scratch[: len(weights)]
                grad[weights_part] += np.multiply(weights, alpha, out=scratch)
            self.optimizer.update(params, grad, part, scale)
        return 0.5 * alpha * float(squares)

    def after_epoch(self, batches):
        """Variational training also learns the distribution's constants.

        The balance between the reconstruction term and the KL term of the
        evidence lower bound depends on the noise scale of p(x | z): held
        at the data's spread, it would make every code cost more than it
        explains. After every epoch, the constants (a noise scale per
        feature) take their maximum-likelihood value given the network.
        """
        model = self.model
        if model.code is not None and model.distribution.fits_constants:
            evaluate_and_fit_constants(
                model,
                batches.X,
                batches.Y,
                batches.sample_weight,
                random_state=self.random_state,
            )


def evaluate_and_fit_constants(
    model, X, Y, sample_weight, params=None, distribution=None, random_state=None
):
    """:func:`evaluate`, fitting the constants of ``distribution`` on the way.

    ``distribution`` (``model.distribution`` by default) fits its constants
    (a noise scale) to the network's outputs on ``X`` (for a variational
    network, the reconstructions of one draw of every row's code), unless an
    output is not finite. The raw outputs of all the rows are kept only for
    a distribution that fits constants (peak memory). Returns the mean NLL,
    with the constants as they were before.
    """
    distribution = model.distribution if distribution is None else distribution
    raw_chunks = []
    loss = evaluate(
        model,
        X,
        Y,
        sample_weight,
        params=params,
        on_chunk=(lambda Y, raw, weight: raw_chunks.append(raw))
        if distribution.fits_constants
        else None,
        random_state=random_state,
    )
    if distribution.fits_constants and np.isfinite(loss):
        distribution.fit_constants(Y, np.concatenate(raw_chunks), sample_weight)
    return loss


class BatchSource:
    """The mini-batches of one epoch, gathered into a reused buffer."""

    def __init__(self, X, Y, sample_weight, batch_size, shuffle, random_state):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        # int32 indices where they fit: half the memory of the default int64.
        index_dtype = np.int32 if X.shape[0] < 2**31 else np.intp
        self.order = np.arange(X.shape[0], dtype=index_dtype)
        # A sparse X (scipy's, or centred: _network.CentredSparse) is
        # indexed; a dense one gathered into a buffer.
        self._dense = isinstance(X, np.ndarray)
        if shuffle and self._dense:
            self._X_buffer = np.empty((batch_size, X.shape[1]), dtype=X.dtype)
            self._Y_buffer = np.empty((batch_size, Y.shape[1]), dtype=Y.dtype)

    def __iter__(self):
        if self.shuffle:
            # In place, as scikit-learn shuffles its sample indices every epoch.
            self.random_state.shuffle(self.order)
        for batch in gen_batches(len(self.order), self.batch_size):
            yield self._gather(batch)

    def _gather(self, batch):
        if not self.shuffle:
            rows = batch
            X, Y = self.X[rows], self.Y[rows]
        else:
            rows = self.order[batch]
            if self._dense:
                n_rows = len(rows)
                # mode='clip' skips the bounds check (twice as fast): the rows
                # are a permutation of the valid ones.
                X = self.X.take(rows, axis=0, out=self._X_buffer[:n_rows], mode="clip")
                Y = self.Y.take(rows, axis=0, out=self._Y_buffer[:n_rows], mode="clip")
            else:
                X, Y = self.X[rows], self.Y[rows]
        weight = None if self.sample_weight is None else self.sample_weight[rows]
        return X, Y, weight


def evaluate(
    model,
    X,
    Y,
    sample_weight,
    params=None,
    on_chunk=None,
    random_state=None,
    distribution=None,
):
    """Mean NLL per sample of the network on ``(X, Y)``, in chunks of rows.

    Under ``distribution``, ``model.distribution`` by default.

    The hidden activations of all of X are never held at once. Returns inf
    when a raw output is not finite. ``on_chunk(Y, raw, sample_weight)`` sees
    every chunk's finite raw outputs (for example to fit a noise scale).

    A variational network's loss is minus its evidence lower bound, with one
    draw of every row's code: from ``random_state``, by default from a fixed
    seed (``EVALUATION_SEED``), so that the same weights get the same value.

    It runs under the thread policy of training (``limit_blas_threads``) for
    its chunks' products: after a fit, a product small enough for one thread
    would otherwise wake the library's other threads, which then spin.
    """
    params = model.params if params is None else params
    distribution = model.distribution if distribution is None else distribution
    coefs, intercepts = model.layout.split(params)
    if random_state is None:
        random_state = np.random.RandomState(EVALUATION_SEED)
    total = 0.0
    with (
        limit_blas_threads(),
        np.errstate(over="ignore", invalid="ignore"),
    ):
        for rows in gen_batches(X.shape[0], FORWARD_CHUNK):
            raw, code_loss = model.forward(X[rows], coefs, intercepts, random_state)
            if not np.isfinite(raw).all():
                return np.inf
            weight = None if sample_weight is None else sample_weight[rows]
            nll = distribution.nll(Y[rows], raw) + code_loss
            total += float(nll.sum() if weight is None else nll @ weight)
            if on_chunk is not None:
                on_chunk(Y[rows], raw, weight)
    total_weight = X.shape[0] if sample_weight is None else sample_weight.sum()
    return total / float(total_weight)
