"""The estimator that MLERegressor, MLEClassifier and MLEAutoencoder share.

An estimator says only how its targets become network targets
(``_validate_targets``), which likelihood it uses (``_build_distribution``)
and how it scores a validation set (``_validation_score``). Everything else,
validation, training, state, sampling, lives here once.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import dataclasses
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ._activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from ._callbacks import CallbackSupportMixin, epoch_tasks
from ._network import (
    Layout,
    NetworkDefinition,
    Standardization,
    forward,
    glorot_uniform,
)
from ._optimizers import make_optimizer
from ._persistence import VersionedState
from ._threads import limit_blas_threads
from ._training import (
    AVERAGE_DECAY,
    EVALUATION_SEED,
    MAX_ITER_REACHED,
    STOPPED,
    BatchSource,
    ConvergenceMonitor,
    History,
    MiniBatchStep,
    Model,
    Recovery,
    TrainingProblem,
    divergence_error,
    evaluate,
    evaluate_and_fit_constants,
    split_validation,
    train,
    validation_size,
)
from .distributions import DISTRIBUTIONS, Distribution, resolve
from .utils import _check_user_distribution

#: How much worse than the model it must beat (intercept-only, or the given
#: start), in nats per sample and target, a fit may end before it raises:
#: room for the noise of stochastic steps around an optimum that is the
#: intercept-only model itself (pure noise, a constant target).
NULL_MODEL_TOLERANCE = 1e-2

#: Rows on which a fit from random weights measures its starting loss.
START_ROWS = 4096

#: Parameters that define the network and its likelihood; continued
#: training (warm_start, partial_fit) must not change them.
_STRUCTURAL_PARAMS = (
    "hidden_layer_sizes",
    "activation",
    "n_components",
    "variational",
    "distribution",
    "out_activation",
    "standardize_inputs",
)

#: In a stream, the constants fitted on the earlier chunks (``sigma_``,
#: ``scale_``) count for at most this many rows when they are pooled with
#: the latest chunk's (see ``BaseMLE._pool_stream_constants``).
POOLED_ROWS = 200

#: How every estimator validates X: sparse allowed, float32 kept.
VALIDATION = {"accept_sparse": ["csr", "csc"], "dtype": [np.float64, np.float32]}


class BaseMLE(VersionedState, CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the maximum-likelihood networks. Do not use it directly."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "distribution": [
            StrOptions(set(DISTRIBUTIONS)),
            Distribution,
        ],
        "standardize_inputs": ["boolean"],
        "solver": [StrOptions({"sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
    }

    # ---- what each estimator says ------------------------------------------

    @abstractmethod
    def _validate_targets(self, X, y, *, reset, classes=None):
        """Validated ``X`` and the network targets ``Y`` of shape (n, n_outputs)."""

    def _build_distribution(self):
        """A new copy of the likelihood this estimator fits (the parameter is
        never changed)."""
        distribution = resolve(self.distribution, getattr(self, "out_activation", None))
        if distribution.one_hot_targets:
            raise ValueError(
                f"distribution={self.distribution!r} is a likelihood of one "
                "label per sample, one-hot over the target columns; "
                f"{type(self).__name__} models every column as a variable of "
                "its own. Use MLEClassifier for labels."
            )
        return distribution

    @abstractmethod
    def _validation_score(self, distribution, raw, Y, sample_weight, loss_offset):
        """The early-stopping score of raw outputs against network targets.

        ``loss_offset`` turns an NLL of the training targets into one of the
        targets as given (the log-Jacobian of their standardization).
        """

    #: What the targets are called in error messages.
    _targets_are = "targets"

    def _hidden_layers(self):
        """``(units, activation name)`` of every hidden layer."""
        return [
            (units, self.activation) for units in _as_sizes(self.hidden_layer_sizes)
        ]

    #: Whether the inputs share one scale (they keep their relative weight).
    _pooled_input_scale = False
    #: Whether a new network's output layer is the intercept-only model (zero
    #: weights, the maximum-likelihood constants as intercepts), so that a fit
    #: starts no worse than it, whatever the scale of the targets.
    _output_starts_at_intercept_only = True
    #: Whether the mean outputs' intercepts start at the intercept-only model
    #: (their weights random), where the output layer as a whole does not.
    _mean_starts_at_intercept_only = False

    def _stochastic_code(self):
        """The Gaussian code layer of a variational network, or None."""
        return None

    def _stratify(self, Y):
        """Labels to stratify the early-stopping split on, or None."""
        return None

    def _check_enough_samples(self, n_samples):
        """Raise if ``n_samples`` (of positive weight) are too few to fit."""

    def _fit_standardizations(self, distribution, X, Y, sample_weight):
        """How training standardizes ``(inputs, targets)``; None leaves them.

        Inputs are standardized per feature (``standardize_inputs``), so that
        training does not depend on the units of the features. Targets of a
        location-scale family (``standardize_targets``) on its canonical link
        are standardized by its intercept-only model's location and scale,
        so that ``y`` needs no rescaling by hand; a
        squashing link fixes the scale of the mean, so its targets are left
        as they are.
        """
        inputs = None
        if self.standardize_inputs:
            inputs = Standardization.fit_inputs(
                X, sample_weight, pooled=self._pooled_input_scale
            )
        if distribution.standardize_targets and distribution.is_canonical:
            return inputs, self._target_standardization(distribution, Y, sample_weight)
        return inputs, None

    def _target_standardization(self, distribution, Y, sample_weight):
        """Targets standardized by the intercept-only model's location and scale."""
        return Standardization.fit_targets(distribution, Y, sample_weight)

    def _complete_standardizations(self, network, X, Y, sample_weight):
        """Estimate, on continued training's data, the columns of the
        network's standardizations that the earlier data could not
        (:meth:`Standardization.completed`)."""
        scalings = [network.input_scaling, network.target_scaling]
        if not any(scaling is not None and scaling.incomplete for scaling in scalings):
            return
        fresh = self._fit_standardizations(network.distribution, X, Y, sample_weight)
        if scalings[0] is not None and scalings[0].incomplete:
            network.input_scaling = scalings[0].completed(fresh[0])
        if scalings[1] is not None and scalings[1].incomplete:
            network.target_scaling = scalings[1].completed(fresh[1])

    # ---- training ----------------------------------------------------------

    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        incremental=False,
        coefs_init=None,
        intercepts_init=None,
        classes=None,
    ):
        # Until it succeeds, a fit changes nothing on the estimator but what
        # validating the data sets (n_features_in_, classes_): that is put
        # back if it fails.
        with _restore_on_error(self):
            continuing = (
                hasattr(self, "coefs_")
                and (incremental or self.warm_start)
                and coefs_init is None
                and intercepts_init is None
            )
            if continuing:
                self._check_structure_unchanged()
            X, Y = self._validate_targets(X, y, reset=not continuing, classes=classes)
            if not sp.issparse(X):
                # Row-major whatever the input's layout: numpy sums the
                # columns of a column-major array in another order (its
                # means, its scale), and equal data would train to other bits.
                X = np.ascontiguousarray(X)
            if continuing:
                X, Y = _in_dtype(X, Y, self.coefs_[0].dtype)
            sample_weight = _check_weights(sample_weight, X)
            if sample_weight is not None:
                self._check_enough_samples(np.count_nonzero(sample_weight))
            # Continued training works on a copy: the training distribution's
            # constants may change.
            network = (
                copy.deepcopy(self._network)
                if continuing
                else self._define_network(X, Y, sample_weight)
            )
            if continuing:
                self._complete_standardizations(network, X, Y, sample_weight)
            network.distribution.check_target(Y, self._targets_are)
            if not continuing:
                _check_user_distribution(network.distribution, Y, sample_weight)
            # One random state per call, drawn from first for the initial
            # weights, then for the split and the shuffles, as scikit-learn does.
            random_state = check_random_state(self.random_state)
            model = self._training_model(
                network,
                X,
                Y,
                sample_weight,
                continuing,
                coefs_init,
                intercepts_init,
                random_state,
            )
            X_train, Y_train, loss_offset = network.to_training(X, Y)
            problem = TrainingProblem(X_train, Y_train, sample_weight, loss_offset)
            given_start = continuing or coefs_init is not None
            tasks = epoch_tasks(
                self,
                X,
                # An autoencoder's target is X itself: scorers compare with it.
                Y if y is None else y,
                sample_weight,
                max_epochs=1 if incremental else self.max_iter,
                # What callbacks evaluate between epochs: the network so far.
                snapshot=lambda: self._network_attributes(
                    network, model, model.params.copy(), problem
                )[0],
            )
            reference, ending, training_attributes, may_fall_back = self._train(
                model,
                problem,
                continuing,
                incremental,
                given_start,
                random_state,
                tasks,
            )
            final, fell_back = None, False
            if may_fall_back:
                # The final pass, on a copy (it moves the weights to the data
                # space in place): the network may yet give way to the
                # intercept-only model.
                final = self._network_attributes(
                    network, model, model.params.copy(), problem
                )
                if _worse_than(final[1], reference, problem, model.distribution):
                    _keep_intercept_only(model, problem, final[1], reference)
                    final, fell_back = None, True
            # After the best weights are restored, before the model's weights
            # move to the data space for good.
            tasks.fit_ends()
            if final is None:
                # The intercept-only model kept is the training rows' own
                # maximum-likelihood fit: the validation rows do not change it.
                final = self._network_attributes(
                    network, model, model.params, problem, calibrate=not fell_back
                )
            attributes, final_loss = final
            attributes["_constants_weight"] = self._pool_stream_constants(
                attributes, problem, streaming=incremental and continuing
            )
            if not incremental:
                self._check_ending(
                    ending, problem, final_loss, reference, given_start, model
                )
            if hasattr(self, "distribution_"):
                # The previous likelihood's own attributes (sigma_, scale_).
                for name in self.distribution_.estimator_attributes():
                    self.__dict__.pop(name, None)
            vars(self).update(attributes, **training_attributes)
        return self

    def _pool_stream_constants(self, attributes, problem, streaming):
        """The sample weight behind the constants (``sigma_``, ``scale_``) of
        the fitted ``attributes["distribution_"]``, which a stream pools over
        its chunks.

        A fit estimates them from its training data; each ``partial_fit``
        from its own chunk, which can be a single row. They are pooled with
        the chunks before (:meth:`Distribution.pool_constants`), which count
        for at most ``POOLED_ROWS`` rows or the latest chunk's weight: the
        constants of about the latest rows, fitted by the network as it was
        then, neither one chunk's nor, after a few passes, the first pass's
        large residuals. ``attributes`` gets the pooled values.
        """
        weight = float(
            problem.Y.shape[0]
            if problem.sample_weight is None
            else problem.sample_weight.sum()
        )
        fitted = attributes["distribution_"]
        # A model saved before streams pooled has no weight: it starts anew.
        earlier_weight = getattr(self, "_constants_weight", None)
        if streaming and earlier_weight is not None and fitted.fits_constants:
            # The earlier chunks' residuals are the network's as it was: they
            # count for at most POOLED_ROWS (or the latest chunk's) worth.
            earlier_weight = min(earlier_weight, max(POOLED_ROWS, weight))
            fitted.pool_constants(self.distribution_, earlier_weight, weight)
            attributes.update(fitted.estimator_attributes())
            weight += earlier_weight
        return weight

    def _structural_params(self):
        """The parameters that define the fitted model, not its training."""
        params = self.get_params(deep=False)
        return {
            # A copy: the user may change an instance's parameters later.
            name: clone(params[name])
            if isinstance(params[name], Distribution)
            else params[name]
            for name in _STRUCTURAL_PARAMS
            if name in params
        }

    def _check_structure_unchanged(self):
        """Continued training (warm_start, partial_fit) keeps the fitted model."""
        changed = [
            (name, value, self._network.structure[name])
            for name, value in self._structural_params().items()
            if not _same_param(value, self._network.structure[name])
        ]
        if not changed:
            return
        # partial_fit skips scikit-learn's validation once fitted: name an
        # invalid value as it would.
        self._validate_params()
        name, value, fitted = changed[0]
        raise ValueError(
            f"{name}={value!r} differs from {fitted!r}, with which the model was "
            "fitted; warm_start and partial_fit continue that model. Fit a new "
            "estimator (or without warm_start) to change it."
        )

    def _define_network(self, X, Y, sample_weight):
        """The definition of a new network for this data (no weights yet)."""
        # A new copy of the likelihood: the parameter is never changed.
        distribution = self._build_distribution()
        input_scaling, target_scaling = self._fit_standardizations(
            distribution, X, Y, sample_weight
        )
        return NetworkDefinition(
            structure=self._structural_params(),
            hidden_activations=[name for _, name in self._hidden_layers()],
            distribution=distribution,
            input_scaling=input_scaling,
            target_scaling=target_scaling,
        )

    def _training_model(
        self,
        network,
        X,
        Y,
        sample_weight,
        continuing,
        coefs_init,
        intercepts_init,
        random_state,
    ):
        if continuing:
            sizes = [len(intercept) for intercept in self.intercepts_[:-1]]
        else:
            sizes = [units for units, _ in self._hidden_layers()]
        code = self._stochastic_code()
        distribution = network.distribution
        layout = Layout(
            [X.shape[1], *sizes, distribution.n_raw(Y.shape[1])],
            fan_ins=None if code is None else code.fan_ins,
        )
        if continuing:
            params = self._pack_fitted(layout, X.dtype)
        elif coefs_init is not None or intercepts_init is not None:
            params = _pack_init(layout, coefs_init, intercepts_init, X.dtype)
        else:
            params = glorot_uniform(layout, self.activation, random_state, X.dtype)
        random_start = not continuing and coefs_init is None and intercepts_init is None
        if continuing or coefs_init is not None:
            # Given weights act on the data as given.
            network.to_training_space(*layout.split(params))
        else:
            _start_at_intercept_only(
                network,
                layout,
                params,
                Y,
                sample_weight,
                mean_intercepts=self._mean_starts_at_intercept_only,
                mean_weights=self._output_starts_at_intercept_only,
            )
        started = random_start and self._start_new_network(
            network, layout, params, Y, sample_weight
        )
        hidden = [ACTIVATIONS[name] for name in network.hidden_activations]
        start = params.copy() if started else None
        return Model(layout, hidden, distribution, params, code, start)

    def _start_new_network(self, network, layout, params, Y, sample_weight):
        """Change a new network's random start in place before training.

        Returns whether the start is a solution of its own (kept if training
        ends worse on the training data).
        """
        return False

    def _pack_fitted(self, layout, dtype):
        if not layout.shapes_match(self.coefs_, self.intercepts_):
            raise ValueError(
                f"The data asks for layers {layout.layer_units}, but the fitted "
                "network has layers "
                f"{tuple([len(c) for c in self.coefs_] + [len(self.intercepts_[-1])])}."
                " Fit again without warm_start to change them."
            )
        return layout.pack(self.coefs_, self.intercepts_, dtype)

    def _train(
        self, model, problem, continuing, incremental, given_start, random_state, tasks
    ):
        """Train ``model`` on ``problem``.

        Returns the loss it had to beat (the intercept-only model's mean NLL,
        or the starting network's when training starts from given weights,
        whichever is larger, in training units), how training ended, and the
        estimator's attributes that record the training (optimizer, history),
        and whether the network may give way to the intercept-only model if
        the final pass finds it worse (``_keep_intercept_only``).
        """
        X, Y, sample_weight = problem.X, problem.Y, problem.sample_weight
        null_loss = problem.null_loss(model.distribution)
        if not (given_start or incremental) and model.distribution.predicts_spread:
            # A target column that is constant in the training data has no
            # maximum-likelihood spread: it shrinks towards 0, and its
            # gradient would take over the layers below. Its outputs are
            # held at the constant, out of training.
            model.held = _predict_constant_targets_exactly(model, problem)
            if model.held is not None and model.start is not None:
                # The start that may be kept holds them too.
                start_coefs, start_intercepts = model.layout.split(model.start)
                coefs, intercepts = model.split()
                start_coefs[-1][:, model.held] = 0
                start_intercepts[-1][model.held] = intercepts[-1][model.held]
        # Where training starts: for a fit from given weights on all the data
        # (it must end no worse); otherwise (random weights, or a chunk of a
        # stream) on the first rows, enough to tell a bad start from a
        # blow-up.
        whole = given_start and not incremental
        rows = slice(None) if whole else slice(START_ROWS)
        start_loss = evaluate(
            model,
            X[rows],
            Y[rows],
            None if sample_weight is None else sample_weight[rows],
        )
        reference = max(null_loss, start_loss) if given_start else null_loss
        early_stopping = self._uses_early_stopping(
            X.shape[0] if sample_weight is None else np.count_nonzero(sample_weight),
            incremental,
        )
        validation = None
        if early_stopping:
            (X, Y, sample_weight), validation = split_validation(
                X,
                Y,
                sample_weight,
                self.validation_fraction,
                self._stratify(Y),
                random_state,
            )
            problem.validation = validation
        batch_size = self._resolve_batch_size(X.shape[0])
        optimizer = self._make_or_resume_optimizer(model, incremental and continuing)
        step = MiniBatchStep(
            model,
            optimizer,
            self.alpha,
            batch_size,
            X.dtype,
            random_state,
            curvature=model.distribution.raw_curvature(Y, sample_weight),
            n_samples=X.shape[0] * (1 if incremental else self.max_iter),
        )
        batches = BatchSource(
            X, Y, sample_weight, batch_size, self.shuffle, random_state
        )
        history = self._resume_history(continuing, incremental, early_stopping)
        monitor = ConvergenceMonitor(
            self.tol,
            self.n_iter_no_change,
            validation=self._validation_scorer(model, validation, problem.loss_offset),
            verbose=self.verbose,
            # The held-out likelihood of a predicted spread jumps from epoch
            # to epoch: a running average of the weights is scored and kept.
            # A mean alone follows scikit-learn's rule, step for step.
            average_decay=AVERAGE_DECAY if model.distribution.predicts_spread else None,
        )
        if early_stopping and np.isfinite(history.best_validation_score):
            # A warm-started fit starts from the weights that scored the best
            # validation score so far: an epoch must beat them to replace them.
            monitor.best_params = model.params.copy()
        recovery = Recovery(
            model.params,
            null_loss,
            max(null_loss, start_loss),
            self.learning_rate_init,
        )
        with limit_blas_threads():
            ending = train(
                step,
                batches,
                history,
                n_epochs=1 if incremental else self.max_iter,
                monitor=monitor,
                recovery=recovery,
                verbose=self.verbose,
                loss_offset=problem.loss_offset,
                tasks=tasks,
            )
        if monitor.best_params is not None:
            model.params[...] = monitor.best_params
        if not (given_start or incremental):
            # From given weights, the fit is an experiment from that start
            # (the seed's one-sample neuron): its trajectory is kept. A chunk
            # of a stream may lack a class that later chunks have.
            if model.start is not None:
                _keep_start_if_better(model, problem, self.verbose)
            if not early_stopping and recovery.best_loss < null_loss:
                _restore_best_epoch_if_ended_worse(
                    model, problem, history, recovery, null_loss, self.verbose
                )
            _predict_constant_targets_exactly(model, problem)
            if model.code is not None:
                _collapse_if_better(model, problem)
        # Early stopping may keep a network worse than the intercept-only
        # model on the data after an epoch fitted the training rows better
        # than theirs: training learned, and the validation rows judged what
        # (see _keep_intercept_only). The final pass tells.
        may_fall_back = (
            not (given_start or incremental)
            and model.code is None
            and (
                # It started there: ending worse is no divergence.
                self._output_starts_at_intercept_only
                or early_stopping
                and recovery.best_epoch_loss
                < TrainingProblem(X, Y, sample_weight).null_loss(model.distribution)
            )
        )
        training_attributes = {
            "_optimizer": optimizer,
            **_history_attributes(history, early_stopping),
        }
        return reference, ending, training_attributes, may_fall_back

    def _uses_early_stopping(self, n_samples, incremental):
        """Whether this call holds out a validation set.

        partial_fit trains on all it is given: early stopping is for fit.
        'auto' asks for a validation set of at least 10 samples, counted
        among the ``n_samples`` of positive weight.
        """
        if incremental or not self.early_stopping:
            return False
        if self.early_stopping == "auto":
            return validation_size(self.validation_fraction, n_samples) >= 10
        return True

    def _make_or_resume_optimizer(self, model, resume):
        if resume and hasattr(self, "_optimizer"):
            # A copy: a failed partial_fit must leave the fitted one untouched.
            optimizer = copy.deepcopy(self._optimizer)
            # Its state in this machine's byte order (a model pickled on a
            # big-endian machine): training writes into it.
            for name, value in vars(optimizer).items():
                if isinstance(value, np.ndarray):
                    native = value.dtype.newbyteorder("=")
                    setattr(optimizer, name, value.astype(native, copy=False))
            return optimizer
        return make_optimizer(
            self.solver,
            model.layout.n_params,
            model.params.dtype,
            learning_rate_init=self.learning_rate_init,
            learning_rate=self.learning_rate,
            momentum=self.momentum,
            nesterovs_momentum=self.nesterovs_momentum,
            power_t=self.power_t,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
        )

    def _resolve_batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        # Clipped silently: a stream's small chunks are normal for partial_fit.
        return min(self.batch_size, n_samples)

    def _validation_scorer(self, model, validation, loss_offset):
        if validation is None:
            return None
        X_val, Y_val, weight_val = validation

        def score(params):
            coefs, intercepts = model.layout.split(params)
            # A variational network's score is its evidence lower bound, with
            # one fixed draw of every code.
            raw, code_loss = model.forward(
                X_val, coefs, intercepts, np.random.RandomState(EVALUATION_SEED)
            )
            score = self._validation_score(
                model.distribution, raw, Y_val, weight_val, loss_offset
            )
            if model.code is None:
                return score
            return score - float(np.average(code_loss, weights=weight_val))

        return score

    def _resume_history(self, continuing, incremental, early_stopping):
        history = History()
        if continuing:
            history = History(
                loss_curve=list(self.loss_curve_),
                # As scikit-learn's: a warm-started fit counts its own epochs;
                # partial_fit counts every epoch since the model was created.
                n_iter=self.n_iter_ if incremental else 0,
                t=self.t_,
                best_loss=np.inf if self.best_loss_ is None else self.best_loss_,
                no_improvement_count=self._no_improvement_count,
            )
        previous = self.validation_scores_ if continuing else None
        if early_stopping or previous is not None:
            history.validation_scores = list(previous or [])
            history.best_validation_score = max(
                history.validation_scores, default=-np.inf
            )
        return history

    def _network_attributes(self, network, model, params, problem, calibrate=True):
        """The fitted attributes of the network whose weights are ``params``,
        and its mean NLL on the training data (in training units).

        One pass over the training data (in training space, in chunks of
        rows) checks that the network's outputs are finite (the loss of the
        last epoch was summed before its last steps, so it cannot vouch for
        the final weights) and gives its mean NLL; the fitted copy of the
        distribution then fits its constants (a noise scale) on the raw
        outputs. With a validation set (and ``calibrate``), the distribution
        calibrates its constants on it; the NLL returned is then the
        calibrated model's, measured in a second pass: the model returned is
        the one that must be no worse than the intercept-only model.
        ``params`` is then mapped to the data space in place.
        """
        fitted = copy.deepcopy(model.distribution)
        training = (model, problem.X, problem.Y, problem.sample_weight)
        final_loss = evaluate_and_fit_constants(
            *training, params=params, distribution=fitted
        )
        if not np.isfinite(final_loss):
            raise divergence_error(
                "the final network's outputs on the training data are not finite",
                self.learning_rate_init,
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
        if network.target_scaling is not None:
            fitted.rescale_constants(network.target_scaling.scale)
        coefs, intercepts = model.layout.split(params)
        network.to_data_space(coefs, intercepts)
        attributes = {
            "_network": network,
            "coefs_": coefs,
            "intercepts_": intercepts,
            "n_layers_": len(model.layout.layer_units),
            "n_outputs_": model.layout.layer_units[-1] // fitted.n_params,
            "out_activation_": fitted.activation.name,
            "distribution_": fitted,
            **fitted.estimator_attributes(),
        }
        return attributes, final_loss

    def _check_ending(self, ending, problem, final_loss, reference, given_start, model):
        """Warn when ``max_iter`` cut training off; raise when it failed.

        The network contains the intercept-only model (all weights zero): a
        fit whose training likelihood is worse than that one's (or, from
        given weights, than where it started) has failed and must not be
        returned silently. Training that stopped on its own with such a
        network raises; training cut off by ``max_iter`` warns, as
        scikit-learn's MLP does, and says so.
        """
        worse = _worse_than(final_loss, reference, problem, model.distribution)
        offset = problem.loss_offset
        baseline = "intercept-only model"
        if given_start:
            baseline += " and the starting weights"
        comparison = (
            f"worse than the {baseline} on the training data (mean negative "
            f"log-likelihood {final_loss + offset:.6g} against "
            f"{reference + offset:.6g})"
        )
        if ending == MAX_ITER_REACHED:
            still = f", and the network is still {comparison}" if worse else ""
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                f"reached and the optimization hasn't converged yet{still}.",
                ConvergenceWarning,
            )
        elif worse and ending == STOPPED:
            raise ValueError(
                f"Training stopped with a network {comparison}: it failed. If "
                "loss_curve_ jumps about, lower learning_rate_init (now "
                f"{self.learning_rate_init:g}) or momentum (now "
                f"{self.momentum:g}); if it stopped early, raise "
                f"n_iter_no_change (now {self.n_iter_no_change}) or lower tol "
                f"(now {self.tol:g}); a strong penalty holds the weights at "
                f"zero: lower alpha (now {self.alpha:g})."
            )

    # ---- prediction --------------------------------------------------------

    def __sklearn_is_fitted__(self):
        # check_is_fitted's answer without scanning every attribute, which
        # is a noticeable part of predicting one row.
        return hasattr(self, "coefs_")

    def _raw(self, X, layers=slice(None)):
        """Raw output of a run of weight ``layers`` (all by default)."""
        hidden = [
            ACTIVATIONS[name] for name in self._network.hidden_activations[layers]
        ]
        return forward(X, self.coefs_[layers], self.intercepts_[layers], hidden)

    def _validate_X(self, X):
        """``X`` checked against the fitted model, for prediction."""
        check_is_fitted(self)
        return validate_data(self, X, reset=False, **VALIDATION)

    def _predict_mean(self, X):
        """Mean of p(y | x) in network-target space, for validated ``X``."""
        return self.distribution_.mean(self._raw(X))

    def _draw(self, raw, n_samples, random_state, distribution=None):
        """Draws from ``distribution`` (the fitted one by default) at ``raw``."""
        _check_n_samples(n_samples)
        distribution = self.distribution_ if distribution is None else distribution
        return distribution.sample(raw, n_samples, check_random_state(random_state))

    def _network_log_likelihood(self, X, Y):
        """``log p(Y_i | x_i)`` for validated ``X`` and network targets ``Y``."""
        return self.distribution_.log_likelihood(Y, self._raw(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def set_params(self, **params):
        # A name has no parameters: scikit-learn would fail on 'str' has no
        # set_params, without saying that an instance is what takes them.
        nested = sorted(key for key in params if key.startswith("distribution__"))
        distribution = params.get("distribution", self.distribution)
        if nested and isinstance(distribution, str):
            suggestion = getattr(DISTRIBUTIONS.get(distribution), "__name__", None)
            instance = f"{suggestion}()" if suggestion else "an instance"
            raise ValueError(
                f"{', '.join(nested)} sets a parameter of a distribution "
                f"instance, but distribution={distribution!r} is a name; pass "
                f"an instance instead, distribution={instance} (from "
                "sklearn_mle_nn.distributions), in the estimator or the grid."
            )
        return super().set_params(**params)


def _in_dtype(X, Y, dtype):
    """X, and real-valued targets, in ``dtype``: continued training keeps the
    fitted model's dtype, whatever a chunk's (as scikit-learn's MLP), in the
    machine's byte order (a model pickled on a big-endian machine)."""
    dtype = np.dtype(dtype).newbyteorder("=")
    X = X.astype(dtype, copy=False)
    if Y is not None and Y.dtype.kind == "f":
        Y = Y.astype(dtype, copy=False)
    return X, Y


def _history_attributes(history, early_stopping):
    """The estimator's record of training: ``loss_curve_``, ``n_iter_``, ..."""
    return {
        "loss_curve_": history.loss_curve,
        # None when the user interrupted the first epoch.
        "loss_": history.loss_curve[-1] if history.loss_curve else None,
        "n_iter_": history.n_iter,
        "t_": history.t,
        "best_loss_": None if early_stopping else history.best_loss,
        "validation_scores_": history.validation_scores,
        "best_validation_score_": history.best_validation_score,
        "_no_improvement_count": history.no_improvement_count,
    }


def _start_at_intercept_only(
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
            unestimated = network.target_scaling.unestimated
            null[spread][np.tile(unestimated, distribution.n_params - 1)] = 0
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
    constant = np.tile(constant, len(raw) // len(constant))
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


def first_column(dist):
    """The frozen scipy distribution ``dist`` of shape (n, 1) as one of (n,)."""

    def column(value):
        return np.asarray(value)[:, 0] if np.ndim(value) == 2 else value

    args = [column(arg) for arg in dist.args]
    return dist.dist(*args, **{name: column(v) for name, v in dist.kwds.items()})


def _same_param(value, fitted):
    if isinstance(value, Distribution) or isinstance(fitted, Distribution):
        return type(value) is type(fitted) and value.get_params() == fitted.get_params()
    if isinstance(value, str) or value is None or isinstance(fitted, str):
        return value == fitted
    return np.array_equal(np.ravel(value), np.ravel(fitted))


def _as_sizes(hidden_layer_sizes):
    if not hasattr(hidden_layer_sizes, "__iter__"):
        hidden_layer_sizes = [hidden_layer_sizes]
    if not all(
        isinstance(units, Real)
        and not isinstance(units, bool)
        and float(units).is_integer()
        for units in hidden_layer_sizes
    ):
        raise ValueError(
            "hidden_layer_sizes must hold whole numbers of units, got "
            f"{hidden_layer_sizes}."
        )
    sizes = [int(units) for units in hidden_layer_sizes]
    if any(units <= 0 for units in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden_layer_sizes}.")
    return sizes


def _pack_init(layout, coefs_init, intercepts_init, dtype):
    if coefs_init is None or intercepts_init is None:
        raise ValueError("coefs_init and intercepts_init must be given together.")
    if len(coefs_init) != len(layout.coef_shapes) or len(intercepts_init) != len(
        layout.coef_shapes
    ):
        raise ValueError(
            f"coefs_init and intercepts_init need {len(layout.coef_shapes)} arrays "
            f"each for layers {layout.layer_units}; got {len(coefs_init)} and "
            f"{len(intercepts_init)}."
        )
    params = layout.pack(coefs_init, intercepts_init, dtype)
    if not np.isfinite(params).all():
        raise ValueError("coefs_init and intercepts_init must be finite.")
    return params


def _check_weights(sample_weight, X):
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
    if np.any(sample_weight < 0):
        raise ValueError(
            f"sample_weight must be non-negative; got {sample_weight.min():g}."
        )
    if not np.any(sample_weight > 0):
        raise ValueError(
            "sample_weight sums to zero: at least one sample needs a positive weight."
        )
    # Weights are relative: rescaled to mean one over the samples of positive
    # weight (in float64, so that tiny or huge weights neither underflow nor
    # overflow), the penalty alpha weighs the same against the likelihood
    # whatever their global scale. A fit with c * w is the fit with w, and a
    # sample of zero weight is one left out.
    positive = sample_weight[sample_weight > 0]
    mean_weight = np.mean(positive, dtype=np.float64)
    return (sample_weight / mean_weight).astype(X.dtype, copy=False)


def _check_n_samples(n_samples, name="n_samples"):
    if (
        not isinstance(n_samples, Integral)
        or isinstance(n_samples, bool)
        or n_samples < 1
    ):
        raise ValueError(f"{name} must be a positive integer, got {n_samples!r}.")


@contextmanager
def _restore_on_error(estimator):
    """Put every attribute back as it was if the block raises.

    Except scikit-learn's record of the callbacks set up for this fit, which
    its callback context needs afterwards to tear them down.
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        callbacks = {
            name: value
            for name, value in vars(estimator).items()
            if name in _CALLBACK_STATE
        }
        vars(estimator).clear()
        vars(estimator).update(saved, **callbacks)
        raise


#: The attributes by which scikit-learn's callback context tears down, after
#: fit, the callbacks that fit set up.
_CALLBACK_STATE = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")
