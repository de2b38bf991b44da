"""How a fit runs and ends, for every estimator: where it starts, the
epochs of mini-batch steps, recovery from a step that blew the loss up,
early stopping, and the choice of the network that is kept, which is never
worse than the intercept-only model.

It reads as the seed describes training: split off a validation set, then
per epoch iterate over mini-batches, take a gradient step on each, record the
epoch's loss, and check convergence. The estimators (``_base``) validate the
data, build the problem and the plan (:class:`FitPlan`), call :func:`fit`,
and set the fitted attributes.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import dataclasses
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from . import _linear_start
from ._steps import (
    EVALUATION_SEED,
    BatchSource,
    MiniBatchStep,
    Model,
    TrainingProblem,
    evaluate,
    evaluate_and_fit_constants,
)
from ._threads import limit_blas_threads

__all__ = [
    "EVALUATION_SEED",
    "BatchSource",
    "MiniBatchStep",
    "Model",
    "TrainingProblem",
    "evaluate",
    "evaluate_and_fit_constants",
]


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
    #: The epoch whose weights early stopping kept (0: the start's).
    kept_epoch: int = None
    #: What ``FitPlan.snapshot_at_end`` returned: the network trained to the
    #: end of a run that trained past the kept weights.
    trained_to_the_end: object = None


def validation_size(fraction, n_samples):
    """How many of ``n_samples`` early stopping holds out: train_test_split's
    own count for ``test_size=fraction``."""
    return int(np.ceil(fraction * n_samples))


def split_validation(X, Y, sample_weight, fraction, stratify, random_state):
    """Hold out ``fraction`` of the data for early stopping: ``(X, Y,
    sample_weight)`` of the training rows and of the validation rows, and
    the validation rows' indices."""
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
    # The rows' indices are split with them, and returned apart.
    arrays = (*arrays, np.arange(n_samples))
    parts = train_test_split(
        *arrays, test_size=fraction, random_state=random_state, stratify=stratify
    )
    (*train, _), (*validation, rows) = parts[0::2], parts[1::2]
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
    return tuple(train), tuple(validation), rows


#: How a run of ``train`` ended.
STOPPED, MAX_ITER_REACHED, INTERRUPTED = "stopped", "max_iter_reached", "interrupted"
#: Training diverged after an epoch had scored better on the validation rows
#: than the start: the weights of that score are kept (``train``).
DIVERGED = "diverged"


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
    callback), ``MAX_ITER_REACHED``, ``INTERRUPTED`` (by the user) or
    ``DIVERGED``.

    Training that diverges raises :class:`TrainingDiverged`, unless an epoch
    has already scored better on the validation rows than the start: then it
    warns and ends (``DIVERGED``), and the fit keeps the weights of the best
    validation score, as early stopping would have: a likelihood with a
    predicted spread can fall apart late in training, after it has learned
    what the validation rows confirm (one network of five of an ensemble on
    ISLR's Credit did, in epoch 82, where epoch 80 had scored best).

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
            warnings.warn(INTERRUPTED_MESSAGE)
            recovery.restore(step.model.params)
            return INTERRUPTED
        except TrainingDiverged as error:
            if not monitor.improved_on_start(history):
                raise
            warnings.warn(
                f"{error} It diverged in epoch {history.n_iter + 1}; the fit "
                "keeps the weights that scored best on the validation rows, "
                f"from epoch {monitor.kept_epoch}.",
                ConvergenceWarning,
            )
            return DIVERGED
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
    waits that many epochs more (``patience``). With ``trains_past_kept``
    (``early_stopping='refit'``), the validation score's plateau only
    settles the kept parameters: training goes on by the training loss's
    rule, as without a validation set.
    """

    def __init__(
        self,
        tol,
        n_iter_no_change,
        validation=None,
        verbose=False,
        average_decay=None,
        trains_past_kept=False,
        averages_weights=False,
    ):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.validation = validation
        self.verbose = verbose
        self.average_decay = average_decay
        self.best_params = None
        #: The epoch whose weights ``best_params`` holds (None: the start's).
        self.kept_epoch = None
        self.start_score = -np.inf
        #: The start's validation score, kept or not (``score_start``).
        self.start_reference = -np.inf
        self.average = None
        # The average trails the weights by decay / (1 - decay) epochs (the
        # mean age of what it holds: nine at 0.9). An improvement of the
        # weights shows in its score that much later, and a plateau lasts that
        # much longer: the patience grows by that lag.
        self.patience = n_iter_no_change
        if average_decay is not None:
            self.patience += round(average_decay / (1 - average_decay))
        self.trains_past_kept = trains_past_kept
        #: Without a validation set, the running average of the weights is
        #: kept all the same (with ``average_decay``): a fit for as many
        #: epochs as early stopping chose ends with the weights it would
        #: have kept there.
        self.averages_weights = averages_weights and average_decay is not None
        #: Whether the validation rows are still scored (with
        #: ``trains_past_kept``, until their plateau settles the kept weights).
        self.watching = validation is not None
        self._validation_plateau = 0

    def should_stop(self, history, step):
        if self.validation is None or self.trains_past_kept:
            self._record_loss(history)
        if self.validation is None and self.averages_weights:
            self._averaged(step.model.params)
        if self.watching and self.trains_past_kept:
            self._watch(history, step.model.params)
        elif self.watching:
            improved = self._record_validation(history, step.model.params)
            history.no_improvement_count = (
                0 if improved else history.no_improvement_count + 1
            )
        if history.no_improvement_count <= self.patience:
            return False
        stop, message = step.optimizer.no_improvement()
        if self.verbose:
            what = "Training loss" if self.trains_past_kept else None
            print(f"{self._plateau_message(what)} {message}")
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

    def _watch(self, history, params):
        """Score the validation rows (``trains_past_kept``), until their
        plateau settles the kept weights."""
        improved = self._record_validation(history, params)
        self._validation_plateau = 0 if improved else self._validation_plateau + 1
        if self._validation_plateau > self.patience:
            self.watching = False
            if self.verbose:
                print(
                    f"{self._plateau_message('Validation score')} The kept "
                    "weights are settled; training goes on."
                )

    def _record_validation(self, history, params):
        """Score ``params`` on the validation rows, and keep them if best;
        returns whether the score improved on the best by ``tol``."""
        scored = params if self.average_decay is None else self._averaged(params)
        score = self.validation(scored)
        history.validation_scores.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")
        improved = not score < history.best_validation_score + self.tol
        if score > history.best_validation_score or self.best_params is None:
            history.best_validation_score = max(score, history.best_validation_score)
            if score > self.start_score:
                self.best_params = scored.copy()
                self.kept_epoch = history.n_iter
        return improved

    def score_start(self, params):
        """Score where training starts, to tell later whether an epoch
        improved on it (``improved_on_start``)."""
        self.start_reference = self.validation(params)

    def improved_on_start(self, history):
        """Whether ``best_params`` are an epoch's that scored better than the
        start on the validation rows."""
        return (
            self.kept_epoch is not None
            and history.best_validation_score > self.start_reference
        )

    def keep_start(self, params):
        """Keep ``params`` (a start that is a model of its own) unless an
        epoch scores better; the stopping rule counts the epochs' scores
        only, so that training gets its patience to improve on the start."""
        self.start_score = self.start_reference = self.validation(params)
        self.best_params = params.copy()

    def kept_score(self, history):
        """The validation score of the parameters kept."""
        return max(history.best_validation_score, self.start_score)

    def _averaged(self, params):
        """The running average of the weights, with this epoch's added."""
        if self.average is None:
            self.average = params.copy()
        else:
            self.average *= self.average_decay
            self.average += (1 - self.average_decay) * params
        return self.average

    def _plateau_message(self, what=None):
        if what is None:
            what = "Validation score" if self.validation else "Training loss"
        return (
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.patience} consecutive epochs."
        )


class TrainingDiverged(ValueError):
    """Training diverged (a ``ValueError``, the error users see)."""


def divergence_error(what, learning_rate_init):
    """The error that says training diverged, and what to lower."""
    return TrainingDiverged(
        f"Training diverged: {what}. Lower learning_rate_init (now "
        f"{learning_rate_init:g}) or momentum."
    )


# ---- how a fit runs and ends ------------------------------------------------

#: How much worse than the model it must beat (intercept-only, or the given
#: start), in nats per sample and target, a fit may end before it raises:
#: room for the noise of stochastic steps around an optimum that is the
#: intercept-only model itself (pure noise, a constant target).
NULL_MODEL_TOLERANCE = 1e-2

#: What a fit that the user interrupted (KeyboardInterrupt) warns, as
#: scikit-learn's MLP does.
INTERRUPTED_MESSAGE = "Training interrupted by user."

#: Rows on which a fit from random weights measures its starting loss.
START_ROWS = 4096


@dataclass
class FitPlan:
    """What one call of fit asks of training, as the estimator decided it.

    The estimator's settings (its parameters) and its decisions for this
    call: whether it holds out a validation set, on which labels the split
    is stratified, and the optimizer and the history it resumes.
    """

    optimizer: object
    history: History
    random_state: object
    tasks: object
    alpha: float
    batch_size: object
    shuffle: bool
    tol: float
    n_iter_no_change: object
    max_iter: int
    verbose: object
    learning_rate_init: float
    momentum: float
    validation_fraction: float
    early_stopping: bool = False
    stratify: object = None
    #: Training starts from given weights (warm_start, coefs_init).
    given_start: bool = False
    #: One epoch of a stream (partial_fit).
    incremental: bool = False
    #: A new network's output layer is the intercept-only model.
    starts_at_intercept_only: bool = True
    #: A new network of rectifiers starts at the distribution's linear model
    #: (:mod:`._linear_start`), fitted on the training rows.
    starts_at_linear_model: bool = False
    #: Draws the validation rows in place of ``random_state``, so that
    #: networks of other sizes hold out the same rows (:mod:`._capacity`).
    validation_random_state: object = None
    #: ``max_iter`` is a number of epochs that held-out rows chose
    #: (``early_stopping='refit'``, :mod:`._refit`): reaching it is the plan,
    #: not a cut-off.
    epochs_chosen: bool = False
    #: Early stopping's plateau settles the kept weights, and training goes
    #: on by the training loss's rule, as without early stopping, to the
    #: end (``early_stopping='refit'``, :mod:`._refit`, compares the two).
    trains_past_kept: bool = False
    #: With ``trains_past_kept``: called at the end of the run, before the
    #: kept weights are restored, it returns the network trained to the end
    #: (``History.trained_to_the_end``).
    snapshot_at_end: object = None

    @property
    def n_epochs(self):
        return 1 if self.incremental else self.max_iter

    @property
    def keeps_trajectory(self):
        """From given weights the fit is an experiment from that start (the
        seed's one-sample neuron): its trajectory is kept. A chunk of a
        stream may lack a class that later chunks have."""
        return self.given_start or self.incremental


@dataclass
class FitResult:
    """What a fit ends with: the fitted distribution (its constants fitted, in
    training units), its mean training NLL, and the record of training.
    ``model.params`` holds the kept network's weights, in training space."""

    distribution: object
    loss: float
    history: History
    early_stopping: bool


def fit(model, problem, plan):
    """Train ``model`` on ``problem`` as ``plan`` says; keep the network that
    ends the fit, and check it against the intercept-only model."""
    null_loss, reference, start_loss = _start(model, problem, plan)
    training, recovery, monitor = _prepare_epochs(
        model, problem, plan, null_loss, start_loss
    )
    with limit_blas_threads():
        ending = train(
            *training,
            plan.history,
            n_epochs=plan.n_epochs,
            monitor=monitor,
            recovery=recovery,
            verbose=plan.verbose,
            loss_offset=problem.loss_offset,
            tasks=plan.tasks,
        )
    if (
        plan.snapshot_at_end is not None
        and monitor.best_params is not None
        and ending in (STOPPED, MAX_ITER_REACHED)
    ):
        plan.history.trained_to_the_end = plan.snapshot_at_end()
    if monitor.best_params is not None:
        model.params[...] = monitor.best_params
        plan.history.best_validation_score = monitor.kept_score(plan.history)
        plan.history.kept_epoch = monitor.kept_epoch or 0
    if (
        monitor.averages_weights
        and monitor.average is not None
        and ending in (STOPPED, MAX_ITER_REACHED)
    ):
        # As early stopping would have kept them (epochs_chosen).
        model.params[...] = monitor.average
    if plan.epochs_chosen and ending == MAX_ITER_REACHED:
        ending = STOPPED
    may_fall_back = _choose_network(
        model, problem, plan, recovery, null_loss, training[1]
    )
    distribution, final_loss = _final_network(
        model, problem, plan, reference, may_fall_back
    )
    if not plan.incremental:
        check_ending(ending, problem, final_loss, reference, plan, distribution)
    return FitResult(distribution, final_loss, plan.history, plan.early_stopping)


def _start(model, problem, plan):
    """The losses a fit starts from: the intercept-only model's, the one it
    must beat (or, from given weights, their own if larger) and the start's.

    A target column that is constant in the training data has no
    maximum-likelihood spread: it shrinks towards 0, and its gradient would
    take over the layers below. Its outputs are held at the constant, out of
    training (``model.held``).
    """
    X, Y, sample_weight = problem.X, problem.Y, problem.sample_weight
    null_loss = problem.null_loss(model.distribution)
    if not plan.keeps_trajectory and model.distribution.predicts_spread:
        model.held = _predict_constant_targets_exactly(model, problem)
        if model.held is not None and model.start is not None:
            # The start that may be kept holds them too.
            start_coefs, start_intercepts = model.layout.split(model.start)
            coefs, intercepts = model.split()
            start_coefs[-1][:, model.held] = 0
            start_intercepts[-1][model.held] = intercepts[-1][model.held]
    # Where training starts: for a fit from given weights on all the data
    # (it must end no worse); otherwise (a new network, or a chunk of a
    # stream) on the first rows, enough to tell a bad start from a blow-up.
    whole = plan.given_start and not plan.incremental
    rows = slice(None) if whole else slice(START_ROWS)
    start_loss = evaluate(
        model,
        X[rows],
        Y[rows],
        None if sample_weight is None else sample_weight[rows],
    )
    reference = max(null_loss, start_loss) if plan.given_start else null_loss
    return null_loss, reference, start_loss


def _prepare_epochs(model, problem, plan, null_loss, start_loss):
    """The step and the batches of the epochs, their recovery and their
    stopping rule; with early stopping, the validation rows are split off
    (``problem.validation``)."""
    X, Y, sample_weight = problem.X, problem.Y, problem.sample_weight
    validation = None
    if plan.early_stopping:
        (X, Y, sample_weight), validation, rows = split_validation(
            X,
            Y,
            sample_weight,
            plan.validation_fraction,
            plan.stratify,
            plan.random_state
            if plan.validation_random_state is None
            else plan.validation_random_state,
        )
        problem.validation, problem.validation_rows = validation, rows
    batch_size = resolve_batch_size(plan.batch_size, X.shape[0])
    if plan.starts_at_linear_model:
        _start_at_linear_model(
            model, X, Y, sample_weight, penalty=plan.alpha / batch_size
        )
        if not plan.early_stopping and model.start is None:
            # Without held-out rows, the training rows judge: the linear
            # model is kept if training ends worse on them.
            model.start = model.params.copy()
    step = MiniBatchStep(
        model,
        plan.optimizer,
        plan.alpha,
        batch_size,
        X.dtype,
        plan.random_state,
        curvature=model.distribution.raw_curvature(Y, sample_weight),
        n_samples=X.shape[0] * plan.n_epochs,
    )
    batches = BatchSource(
        X, Y, sample_weight, batch_size, plan.shuffle, plan.random_state
    )
    monitor = ConvergenceMonitor(
        plan.tol,
        plan.n_iter_no_change,
        validation=validation_scorer(model, validation, problem.loss_offset),
        verbose=plan.verbose,
        # The held-out likelihood of a predicted spread jumps from epoch
        # to epoch: a running average of the weights is scored and kept.
        # A mean alone follows scikit-learn's rule, step for step.
        average_decay=AVERAGE_DECAY if model.distribution.predicts_spread else None,
        trains_past_kept=plan.trains_past_kept,
        averages_weights=plan.epochs_chosen,
    )
    if plan.early_stopping and np.isfinite(plan.history.best_validation_score):
        # A warm-started fit starts from the weights that scored the best
        # validation score so far: an epoch must beat them to replace them.
        monitor.best_params = model.params.copy()
    elif plan.early_stopping and plan.starts_at_linear_model:
        # The linear start is a model of its own: an epoch must beat it on
        # the held-out rows to replace it.
        monitor.keep_start(model.params)
    elif plan.early_stopping:
        monitor.score_start(model.params)
    recovery = Recovery(
        model.params,
        null_loss,
        max(null_loss, start_loss),
        plan.learning_rate_init,
    )
    return (step, batches), recovery, monitor


def _start_at_linear_model(model, X, Y, sample_weight, penalty):
    """Start a new network of rectifiers at the distribution's penalized
    linear model of the training rows (:mod:`._linear_start`), when its
    layers are wide enough to carry it; the start stays the intercept-only
    model where the linear model fits no better.

    The other raw outputs (a spread, a zero-inflation) start at the linear
    model's own constants, fitted with its mean (a spread at a tenth of the
    targets' at least): the targets' own spread is several times the
    residuals' of a good linear fit, and training started there first
    shrinks it, overfitting rows on the way. Where the rows cannot estimate
    them (no more rows than linear coefficients: a stream's one-row first
    chunk), they keep the intercept-only start.
    """
    distribution = model.distribution
    columns = _linear_start.linear_columns(distribution, Y.shape[1], model.held)
    if columns is None or not _linear_start.can_carry(
        model.layout.layer_units[1:-1], columns.size
    ):
        return
    coefs, intercepts = model.split()
    others = lower = None
    if X.shape[0] > X.shape[1] + 1:
        others, lower = _linear_start.constant_columns(
            distribution, Y.shape[1], intercepts[-1], model.held
        )
    fitted = _linear_start.fit_linear_mean(
        distribution,
        X,
        Y,
        sample_weight,
        intercepts[-1],
        columns,
        penalty,
        others,
        lower,
    )
    if fitted is not None:
        _linear_start.embed_linear_mean(coefs, intercepts, *fitted, columns, others)


def _choose_network(model, problem, plan, recovery, null_loss, batches):
    """Put the network that training ends with into ``model.params``.

    Returns whether it may yet give way to the intercept-only model, if the
    final pass finds it worse (:func:`_final_network`); ``batches`` holds
    the training rows (without the validation rows).
    """
    if not plan.keeps_trajectory:
        if model.start is not None:
            _keep_start_if_better(model, problem, plan.verbose)
        if not plan.early_stopping and recovery.best_loss < null_loss:
            _restore_best_epoch_if_ended_worse(
                model, problem, plan.history, recovery, null_loss, plan.verbose
            )
        _predict_constant_targets_exactly(model, problem)
        if model.code is not None:
            _collapse_if_better(model, problem)
    # A fit that started at the intercept-only model and ends worse than it
    # is no divergence; nor is early stopping that kept a network worse than
    # it after an epoch fitted the training rows better than theirs: training
    # learned, and the validation rows judged what (see
    # _keep_intercept_only). The final pass tells.
    rows = TrainingProblem(batches.X, batches.Y, batches.sample_weight)
    return (
        not plan.keeps_trajectory
        and model.code is None
        and (
            plan.starts_at_intercept_only
            or plan.early_stopping
            and recovery.best_epoch_loss < rows.null_loss(model.distribution)
        )
    )


def _final_network(model, problem, plan, reference, may_fall_back):
    """The fitted distribution of the network that ends the fit, and its mean
    training NLL, after it gave way to the intercept-only model if it must."""
    final, fell_back = None, False
    if may_fall_back:
        final = final_pass(model, problem, model.params, plan)
        if _worse_than(final[1], reference, problem, model.distribution):
            _keep_intercept_only(model, problem, final[1], reference)
            final, fell_back = None, True
    # After the best weights are restored, before the model's weights move
    # to the data space for good.
    plan.tasks.fit_ends()
    if final is None:
        # The intercept-only model kept is the training rows' own maximum-
        # likelihood fit: the validation rows do not change it.
        final = final_pass(model, problem, model.params, plan, calibrate=not fell_back)
    return final


def final_pass(model, problem, params, plan, calibrate=True):
    """The fitted copy of the distribution for the network whose weights are
    ``params``, and its mean NLL on the training data (in training units).

    One pass over the training data (in training space, in chunks of rows)
    checks that the network's outputs are finite (the loss of the last epoch
    was summed before its last steps, so it cannot vouch for the final
    weights) and gives its mean NLL; the fitted copy of the distribution then
    fits its constants (a noise scale) on the raw outputs. With a validation
    set (and ``calibrate``), the distribution calibrates its constants on it;
    the NLL returned is then the calibrated model's, measured in a second
    pass: the model returned is the one that must be no worse than the
    intercept-only model.
    """
    fitted = copy.deepcopy(model.distribution)
    training = (model, problem.X, problem.Y, problem.sample_weight)
    final_loss = evaluate_and_fit_constants(
        *training, params=params, distribution=fitted
    )
    if not np.isfinite(final_loss):
        raise divergence_error(
            "the final network's outputs on the training data are not finite",
            plan.learning_rate_init,
        )
    if calibrate and problem.validation is not None and fitted.calibrates:
        X_val, Y_val, weight_val = problem.validation
        raw, _ = model.forward(
            X_val,
            *model.layout.split(params),
            np.random.RandomState(EVALUATION_SEED),
        )
        fitted.calibrate(Y_val, raw, weight_val)
        final_loss = evaluate(*training, params=params, distribution=fitted)
    return fitted, final_loss


def check_ending(ending, problem, final_loss, reference, plan, distribution):
    """Warn when ``max_iter`` cut training off; raise when it failed.

    The network contains the intercept-only model (all weights zero): a
    fit whose training likelihood is worse than that one's (or, from
    given weights, than where it started) has failed and must not be
    returned silently. Training that stopped on its own with such a
    network raises; training cut off by ``max_iter`` warns, as
    scikit-learn's MLP does, and says so.
    """
    worse = _worse_than(final_loss, reference, problem, distribution)
    offset = problem.loss_offset
    baseline = "intercept-only model"
    if plan.given_start:
        baseline += " and the starting weights"
    comparison = (
        f"worse than the {baseline} on the training data (mean negative "
        f"log-likelihood {final_loss + offset:.6g} against "
        f"{reference + offset:.6g})"
    )
    if ending == MAX_ITER_REACHED:
        still = f", and the network is still {comparison}" if worse else ""
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({plan.max_iter}) "
            f"reached and the optimization hasn't converged yet{still}.",
            ConvergenceWarning,
        )
    elif worse and ending in (STOPPED, DIVERGED):
        raise ValueError(
            f"Training stopped with a network {comparison}: it failed. If "
            "loss_curve_ jumps about, lower learning_rate_init (now "
            f"{plan.learning_rate_init:g}) or momentum (now "
            f"{plan.momentum:g}); if it stopped early, raise "
            f"n_iter_no_change (now {plan.n_iter_no_change}) or lower tol "
            f"(now {plan.tol:g}); a strong penalty holds the weights at "
            f"zero: lower alpha (now {plan.alpha:g})."
        )


def resolve_batch_size(batch_size, n_samples):
    """``batch_size`` ('auto' or a number) for ``n_samples`` training rows."""
    if batch_size == "auto":
        return min(200, n_samples)
    # Clipped silently: a stream's small chunks are normal for partial_fit.
    return min(batch_size, n_samples)


def validation_scorer(model, validation, loss_offset):
    """The early-stopping score of the weights: the mean log-likelihood of the
    validation rows (of the targets as given: ``loss_offset`` is the
    log-Jacobian of their standardization), the likelihood the model is
    fitted for, whatever the estimator; None without a validation set.

    The constants not yet fitted (a noise scale) are held at their training
    value, as in ``loss_``. A variational network's score is its evidence
    lower bound, with one fixed draw of every code.
    """
    if validation is None:
        return None
    X_val, Y_val, weight_val = validation

    def score(params):
        coefs, intercepts = model.layout.split(params)
        raw, code_loss = model.forward(
            X_val, coefs, intercepts, np.random.RandomState(EVALUATION_SEED)
        )
        nll = np.average(model.distribution.nll(Y_val, raw), weights=weight_val)
        score = -float(nll + loss_offset)
        if model.code is None:
            return score
        return score - float(np.average(code_loss, weights=weight_val))

    return score


def start_at_intercept_only(
    network, layout, params, Y, sample_weight, *, mean_intercepts, mean_weights
):
    """Start raw outputs at their intercept-only value.

    Every output after the first parameter (a log-spread) starts there with
    zero weights: a random start of the spread makes some training targets
    look far too certain, and their ``1 / sigma(x)**2`` weights then dominate
    the first steps.

    With ``mean_weights`` the mean outputs start there too, weights and
    intercepts: the fit then starts at the intercept-only model, the best
    constant, and not at a random function whose loss can be far worse
    (Poisson counts of a million start at a rate of one), which training
    stopped early by ``tol`` would end near. The hidden layers keep their
    random weights, so the first steps give the output weights a gradient
    (and, through them, the layers below). With ``mean_intercepts`` only their
    intercepts start there (an autoencoder's weights are its start): a
    squashing link's random start (a probability of about 0.5 for a pixel
    that is almost always 0) would spend training on learning the means.
    """
    distribution = network.distribution
    if distribution.n_params == 1 and not (mean_intercepts or mean_weights):
        return
    coefs, intercepts = layout.split(params)
    if network.target_scaling is not None:
        # Fitted in training's units, where a scale held at 1 is the one
        # training holds (Student's t location at scale 1 on targets of
        # 1e154 would square them).
        Y = network.target_scaling.to_training(Y)
    null = distribution.intercept_only_raw(Y, sample_weight)[0]
    spread = slice(Y.shape[1], None)
    if network.target_scaling is not None:
        # A spread the data cannot show (one row: a partial_fit's first
        # chunk) starts at the standardized scale 1, not at a perfect fit's
        # zero, whose 1 / sigma**2 weights blow the first steps up.
        if network.target_scaling.incomplete:
            unestimated = distribution.raw_columns_of(
                network.target_scaling.unestimated
            )
            null[spread][unestimated[spread]] = 0
    # The mean outputs are the first of the output layer's columns.
    n_means = 0 if mean_weights else Y.shape[1]
    outputs = slice(n_means, None)
    coefs[-1][:, outputs] = 0
    intercepts[-1][outputs] = null[outputs]
    if mean_intercepts:
        intercepts[-1][: Y.shape[1]] = null[: Y.shape[1]]


def _keep_start_if_better(model, problem, verbose):
    """Keep the solution training started from if it fits the training data
    better than the trained network (an autoencoder that learned nothing
    beyond its linear start ends as that start, PCA's reconstruction)."""
    X, Y, sample_weight = problem.X, problem.Y, problem.sample_weight
    trained = evaluate(model, X, Y, sample_weight)
    started = evaluate(model, X, Y, sample_weight, params=model.start)
    if not started < trained:
        return
    if verbose:
        print(
            f"The start fits the training data better ({started:.6g} against "
            f"{trained:.6g} per sample): it is kept."
        )
    model.params[...] = model.start


def _predict_constant_targets_exactly(model, problem):
    """Give a target that is constant in the training data its constant.

    The intercept-only model is the maximum-likelihood fit of a constant
    target (a single class, a column of equal values): any dependence on x
    can only lower its likelihood, and gradient steps approach it only slowly.
    Its output column gets zero weights and the intercept-only raw output.
    Returns the mask of the raw outputs so set, or None.
    """
    Y = problem.Y
    if problem.sample_weight is not None:
        Y = Y[problem.sample_weight > 0]
    constant = Y.min(axis=0) == Y.max(axis=0)
    if not constant.any():
        return None
    # One row's: the mean of equal values can be off by a rounding, which a
    # spread of 0 would magnify.
    raw = model.distribution.intercept_only_raw(Y[:1])[0]
    # Every raw parameter of a constant target (its mean, its spread).
    constant = model.distribution.raw_columns_of(constant)
    coefs, intercepts = model.split()
    coefs[-1][:, constant] = 0
    intercepts[-1][constant] = raw[constant]
    return constant


def _restore_best_epoch_if_ended_worse(
    model, problem, history, recovery, null_loss, verbose
):
    """Put back the best epoch's weights if training ended worse than the
    intercept-only model, after an epoch that was better (``recovery``'s
    checkpoint).

    A likelihood whose spread is an output can fall apart late in training
    (on a few noisy samples the spread shrinks until a step throws it out)
    without a jump large enough to count as a blow-up; the plateau rule then
    stops training on the ruins. The caller checks that an epoch beat the
    intercept-only model; its weights are kept if they fit the training data
    better than the final ones.
    """
    last = history.loss_curve[-1] - problem.loss_offset
    if not last > null_loss:
        return
    X, Y, sample_weight = problem.X, problem.Y, problem.sample_weight
    trained = evaluate(model, X, Y, sample_weight)
    if not _worse_than(trained, null_loss, problem, model.distribution):
        return
    best = evaluate(model, X, Y, sample_weight, params=recovery.checkpoint)
    if not best < trained:
        return
    if verbose:
        print(
            "Training ended worse than the intercept-only model (loss "
            f"{trained + problem.loss_offset:.6g}): the weights of its best "
            f"epoch (loss {best + problem.loss_offset:.6g}) are kept."
        )
    recovery.restore(model.params)


def _worse_than(loss, reference, problem, distribution):
    """Whether a mean training NLL is worse than ``reference`` by more than
    the tolerance of the intercept-only check (per target: a categorical
    label is one, whatever its number of classes)."""
    n_targets = distribution.n_targets(problem.Y.shape[1])
    return loss > reference + NULL_MODEL_TOLERANCE * n_targets


def _keep_intercept_only(model, problem, trained, null_loss):
    """Give way to the intercept-only model after training kept a worse
    network (``trained``: its mean training NLL), with a warning.

    The fit started at the intercept-only model (or early stopping judged
    the network): ending worse than it is no divergence but a sign of what
    to change, and the intercept-only model, which the network contains
    (zero output weights), is kept. With early stopping, the kept epoch is
    the one of the best validation score: on data whose features tell
    nothing about the target (or too little to learn from this many
    samples), an early one, and what failed is what training learned, on the
    held-out rows. Without, the steps were too large for the data, or the
    stopping rule gave up before they helped.
    """
    if problem.validation is not None:
        what = "The network that early stopping kept (the best validation score)"
        advice = (
            "the features show nothing the network could learn from these "
            f"{problem.Y.shape[0]} samples, and the intercept-only model is kept. "
            "If they should predict the target: more data, a larger "
            "validation_fraction or early_stopping=False; a lower "
            "learning_rate_init if validation_scores_ jumps about."
        )
    else:
        what = "The network that training ended with"
        advice = (
            "the intercept-only model, where training started, is kept. If "
            "loss_curve_ jumps about, the steps are too large for this data: "
            "lower learning_rate_init or momentum; if it stopped after a few "
            "epochs, raise n_iter_no_change or lower tol."
        )
    warnings.warn(
        f"{what} fits the data worse than the intercept-only model, the same "
        "prediction for every sample (mean negative log-likelihood "
        f"{problem.loss_offset + trained:.6g} against "
        f"{problem.loss_offset + null_loss:.6g}): {advice}",
        ConvergenceWarning,
    )
    model.params[...] = _intercept_only_params(model, problem)
    _predict_constant_targets_exactly(model, problem)


def _intercept_only_params(model, problem):
    """A copy of the parameters with the intercept-only output layer: zero
    weights, the maximum-likelihood constant as intercepts (training units)."""
    params = model.params.copy()
    coefs, intercepts = model.layout.split(params)
    null_raw = model.distribution.intercept_only_raw(problem.Y, problem.sample_weight)
    coefs[-1][...] = 0
    intercepts[-1][...] = null_raw[0]
    return params


def _collapse_if_better(model, problem):
    """Keep the collapsed variational network if it beats the trained one.

    A variational network whose codes equal the prior (zero weights into the
    code layer) and whose decoder ignores them (zero output weights, the
    intercept-only output) is the intercept-only model, with a KL term of
    zero. Where the data has no structure the codes can explain (noise, a
    handful of samples), this collapse is the optimum of the evidence lower
    bound, which noisy steps approach only slowly: it is kept, with a
    warning, whenever its loss is lower than the trained network's.
    """
    # Both with their constants fitted to their final outputs (a column that
    # is constant in the data is now predicted exactly).
    evaluate_and_fit_constants(model, problem.X, problem.Y, problem.sample_weight)
    trained = evaluate(model, problem.X, problem.Y, problem.sample_weight)
    collapsed = _intercept_only_params(model, problem)
    coefs, intercepts = model.layout.split(collapsed)
    layer = model.code.layer
    coefs[layer][...] = 0
    intercepts[layer][...] = 0
    null_distribution = copy.deepcopy(model.distribution)
    if null_distribution.fits_constants:
        null_raw = intercepts[-1]
        raw = np.broadcast_to(null_raw, (problem.Y.shape[0], null_raw.shape[0]))
        null_distribution.fit_constants(
            problem.Y, raw.astype(problem.X.dtype), problem.sample_weight
        )
    collapsed_loss = evaluate(
        dataclasses.replace(model, distribution=null_distribution, params=collapsed),
        problem.X,
        problem.Y,
        problem.sample_weight,
    )
    if not collapsed_loss < trained:
        return
    warnings.warn(
        "The variational autoencoder's codes explain less of the data than "
        "they cost (KL term): the collapsed model, whose codes are the prior "
        "and whose decoder predicts the intercept-only distribution, has the "
        f"better evidence lower bound ({-collapsed_loss:.6g} against "
        f"{-trained:.6g} per sample) and is kept. More data, a smaller beta or "
        "longer training (n_iter_no_change) may let the codes learn.",
        ConvergenceWarning,
    )
    model.params[...] = collapsed
    vars(model.distribution).update(vars(null_distribution))
