"""The one mini-batch training loop that every estimator shares.

It reads as the seed describes training: split off a validation set, then
per epoch iterate over mini-batches, take a gradient step on each, record the
epoch's loss, and check convergence.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import train_test_split
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
class History:
    """What training records, copied onto the estimator when it succeeds."""

    loss_curve: list = field(default_factory=list)
    n_iter: int = 0
    t: int = 0
    best_loss: float = np.inf
    validation_scores: list = None
    best_validation_score: float = None
    no_improvement_count: int = 0


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
    (they stay in ``X`` and ``Y``), or None.
    """

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray
    loss_offset: float = 0.0
    validation: tuple = None

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


def validation_size(fraction, n_samples):
    """How many of ``n_samples`` early stopping holds out: train_test_split's
    own count for ``test_size=fraction``."""
    return int(np.ceil(fraction * n_samples))


def split_validation(X, Y, sample_weight, fraction, stratify, random_state):
    """Hold out ``fraction`` of the data for early stopping."""
    n_samples = X.shape[0]
    # The split's size, and an error in this estimator's terms.
    n_validation = validation_size(fraction, n_samples)
    if n_validation < 2 or n_samples - n_validation < 1:
        raise ValueError(
            "The validation set is too small for early stopping: "
            f"validation_fraction={fraction:g} of {n_samples} samples holds out "
            f"{n_validation}, and early stopping needs at least 2, with 1 left "
            "to train on. Increase validation_fraction or the size of your "
            "dataset, or set early_stopping=False."
        )
    arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
    parts = train_test_split(
        *arrays, test_size=fraction, random_state=random_state, stratify=stratify
    )
    train, validation = parts[0::2], parts[1::2]
    if sample_weight is not None:
        for name, part in (("training", train), ("validation", validation)):
            if not part[-1].any():
                raise ValueError(
                    f"Early stopping's {name} set ({part[-1].shape[0]} of the "
                    f"{sample_weight.shape[0]} samples, drawn at random) holds only "
                    "samples of zero sample_weight: it has nothing to "
                    f"{'learn from' if name == 'training' else 'score'}. Give more "
                    "samples a positive weight, change 'validation_fraction', or "
                    "set early_stopping=False."
                )
    if sample_weight is None:
        train, validation = (*train, None), (*validation, None)
    return train, validation


#: How a run of ``train`` ended.
STOPPED, MAX_ITER_REACHED, INTERRUPTED = "stopped", "max_iter_reached", "interrupted"


def train(
    step,
    batches,
    history,
    *,
    n_epochs,
    monitor,
    recovery,
    verbose,
    tasks,
    loss_offset=0.0,
):
    """Run up to ``n_epochs`` epochs; ``history`` is updated in place.

    Returns how training ended: ``STOPPED`` (by the stopping rule or a
    callback), ``MAX_ITER_REACHED`` or ``INTERRUPTED`` (by the user).

    Parameters
    ----------
    step : MiniBatchStep
        Takes one gradient step per batch.
    batches : BatchSource
        The training batches.
    history : History
        What has been recorded so far.
    n_epochs : int
        The largest number of epochs to run.
    monitor : ConvergenceMonitor
        Decides after every epoch whether to go on.
    recovery : Recovery
        Takes back an epoch that blew up the loss and lowers the step size.
    verbose : bool
        Whether to print the loss of every epoch.
    tasks : NoEpochTasks or EpochTasks
        Tells scikit-learn callbacks where every epoch begins and ends; a
        callback may ask to stop.
    loss_offset : float, default=0.0
        Added to every recorded loss: the log-Jacobian that turns the NLL of
        standardized targets into the NLL of the targets as given.
    """
    total_weight = (
        batches.X.shape[0]
        if batches.sample_weight is None
        else float(batches.sample_weight.sum())
    )
    if verbose:
        print(f"Intercept-only model: loss = {recovery.null_loss + loss_offset:.8f}")
    for _ in range(n_epochs):
        tasks.epoch_begins()
        try:
            loss = recovery.run_epoch(
                lambda: _run_epoch(step, batches, total_weight), step, verbose
            )
        except KeyboardInterrupt:
            # As scikit-learn's MLP: keep what was learned so far.
            warnings.warn("Training interrupted by user.")
            recovery.restore(step.model.params)
            return INTERRUPTED
        step.after_epoch(batches)
        loss += loss_offset
        history.n_iter += 1
        history.t += batches.X.shape[0]
        history.loss_curve.append(loss)
        if verbose:
            print(f"Iteration {history.n_iter}, loss = {loss:.8f}")
        step.optimizer.after_epoch(history.t)
        stop_requested = tasks.epoch_ends()
        if monitor.should_stop(history, step) or stop_requested:
            return STOPPED
    return MAX_ITER_REACHED


def _run_epoch(step, batches, total_weight):
    """One pass of steps; the mean objective per sample and its L2 part."""
    step.penalty = 0.0
    loss = sum(step(*batch) for batch in batches)
    return loss / total_weight, step.penalty / total_weight


class Recovery:
    """Take back an epoch that blew up the loss, and lower the step size.

    A step size that is too large makes gradient descent overshoot (the
    first-order Taylor expansion it rests on holds only locally), and the
    loss runs away. An epoch whose loss is not finite, or exceeds
    ``reference_loss`` (the intercept-only model's NLL or the starting
    network's, whichever is larger) by ``BLOWUP_MARGIN`` times the
    intercept-only NLL's magnitude (at least one nat), is undone: the
    weights go back to the end of the best epoch (or to the start), the
    optimizer forgets its momentum and its step size is multiplied by
    ``STEP_FACTOR``. After ``MAX_RECOVERIES`` such restarts in one call,
    training raises.

    Parameters
    ----------
    params : ndarray
        The parameters being trained; their current value is the first
        checkpoint.
    null_loss : float
        Mean NLL per sample of the intercept-only model, in training units.
    reference_loss : float
        The loss that training must not run away from: the larger of
        ``null_loss`` and the starting network's.
    learning_rate_init : float
        The user's ``learning_rate_init``, named in the error.
    """

    BLOWUP_MARGIN = 3.0
    STEP_FACTOR = 0.25
    MAX_RECOVERIES = 10

    def __init__(self, params, null_loss, reference_loss, learning_rate_init):
        self.checkpoint = params.copy()
        self.null_loss = null_loss
        self.reference_loss = reference_loss
        self.learning_rate_init = learning_rate_init
        # The start counts as the best epoch so far: it is the checkpoint.
        self.best_loss = reference_loss
        #: The lowest loss an epoch has had (the start not counted).
        self.best_epoch_loss = np.inf
        self.n_recoveries = 0

    def run_epoch(self, epoch, step, verbose):
        """Run ``epoch()`` until its loss is sound; return that loss.

        ``epoch()`` returns the epoch's objective and its L2 part; the NLL
        alone is judged (a strong penalty is not a blow-up).
        """
        params = step.model.params
        while True:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                objective, penalty = epoch()
            loss = objective - penalty
            if not self._blew_up(loss, params):
                self.best_epoch_loss = min(self.best_epoch_loss, loss)
                if loss < self.best_loss:
                    # The weights at the end of the best epoch: the last
                    # epoch's may already be on the way up.
                    np.copyto(self.checkpoint, params)
                    self.best_loss = loss
                return objective
            self.n_recoveries += 1
            if self.n_recoveries > self.MAX_RECOVERIES:
                raise divergence_error(
                    f"the loss became {loss:.3g} even after the step size was "
                    f"lowered {self.MAX_RECOVERIES} times",
                    self.learning_rate_init,
                )
            self.restore(params)
            step.optimizer.restart(self.STEP_FACTOR)
            if verbose:
                print(
                    f"The loss became {loss:.3g}: weights restored, step size "
                    f"lowered to {step.optimizer.learning_rate:g}."
                )

    def restore(self, params):
        """Put the weights of the best epoch back (the start before any)."""
        np.copyto(params, self.checkpoint)

    def _blew_up(self, loss, params):
        if not (np.isfinite(loss) and np.isfinite(params).all()):
            return True
        margin = self.BLOWUP_MARGIN * max(1.0, abs(self.null_loss))
        return loss > self.reference_loss + margin


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


#: Weight that the running average of the weights keeps at every epoch (so
#: that it spans the last ten epochs or so), when early stopping scores the
#: held-out likelihood of a predicted spread.
#: Stochastic steps scatter the weights around an optimum: on small data the
#: validation score of one epoch's weights jumps from epoch to epoch, and
#: early stopping keeps a lucky epoch; the average is better and steadier.
AVERAGE_DECAY = 0.9


class ConvergenceMonitor:
    """scikit-learn's stopping rule, on the training loss or a validation score.

    Training stops (or, with the 'adaptive' schedule, divides the learning
    rate by 5) once the loss has not decreased, or the validation score has
    not increased, by ``tol`` for more than ``n_iter_no_change`` epochs. With
    a validation set, the parameters of the best validation score are kept:
    the weights of an epoch, as scikit-learn's, or with ``average_decay`` an
    exponential moving average of the weights over the epochs (it keeps
    ``average_decay`` of the average at every epoch). The average lags the
    weights by ``average_decay / (1 - average_decay)`` epochs, and the rule
    waits that many epochs more (``patience``).
    """

    def __init__(
        self, tol, n_iter_no_change, validation=None, verbose=False, average_decay=None
    ):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.validation = validation
        self.verbose = verbose
        self.average_decay = average_decay
        self.best_params = None
        self.average = None
        # The average trails the weights by decay / (1 - decay) epochs (the
        # mean age of what it holds: nine at 0.9). An improvement of the
        # weights shows in its score that much later, and a plateau lasts that
        # much longer: the patience grows by that lag.
        self.patience = n_iter_no_change
        if average_decay is not None:
            self.patience += round(average_decay / (1 - average_decay))

    def should_stop(self, history, step):
        if self.validation is None:
            self._record_loss(history)
        else:
            self._record_validation(history, step.model.params)
        if history.no_improvement_count <= self.patience:
            return False
        stop, message = step.optimizer.no_improvement()
        if self.verbose:
            print(f"{self._plateau_message()} {message}")
        if not stop:
            # A lowered learning rate gets its own patience; a stop keeps the
            # count, as scikit-learn's does.
            history.no_improvement_count = 0
        return stop

    def _record_loss(self, history):
        loss = history.loss_curve[-1]
        if loss > history.best_loss - self.tol:
            history.no_improvement_count += 1
        else:
            history.no_improvement_count = 0
        history.best_loss = min(history.best_loss, loss)

    def _record_validation(self, history, params):
        scored = params if self.average_decay is None else self._averaged(params)
        score = self.validation(scored)
        history.validation_scores.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")
        if score < history.best_validation_score + self.tol:
            history.no_improvement_count += 1
        else:
            history.no_improvement_count = 0
        if score > history.best_validation_score or self.best_params is None:
            history.best_validation_score = max(score, history.best_validation_score)
            self.best_params = scored.copy()

    def _averaged(self, params):
        """The running average of the weights, with this epoch's added."""
        if self.average is None:
            self.average = params.copy()
        else:
            self.average *= self.average_decay
            self.average += (1 - self.average_decay) * params
        return self.average

    def _plateau_message(self):
        what = "Validation score" if self.validation else "Training loss"
        return (
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.patience} consecutive epochs."
        )


def divergence_error(what, learning_rate_init):
    """The error that says training diverged, and what to lower."""
    return ValueError(
        f"Training diverged: {what}. Lower learning_rate_init (now "
        f"{learning_rate_init:g}) or momentum."
    )
