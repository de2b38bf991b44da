"""The estimator that MLERegressor, MLEClassifier and MLEAutoencoder share.

An estimator says only how its targets become network targets
(``_validate_targets``) and which likelihood it uses
(``_build_distribution``). Everything else, validation, the network, the
plan of a fit, state, sampling, lives here once; how a fit runs and ends
lives in ``_training``.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from . import _capacity, _refit
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
from ._training import (
    FitPlan,
    History,
    Model,
    TrainingProblem,
    final_pass,
    fit,
    start_at_intercept_only,
    validation_size,
)
from .distributions import DISTRIBUTIONS, Distribution, resolve
from .utils import _check_user_distribution

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
            StrOptions({"auto"}),
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
        "early_stopping": ["boolean", StrOptions({"auto", "refit"})],
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

    #: What the targets are called in error messages.
    _targets_are = "targets"

    def _hidden_layers(self):
        """``(units, activation name)`` of every hidden layer.

        With 'auto', those the fit chose (a new network of a stream, or one
        from given weights, has the smallest candidate's)."""
        return [(units, self.activation) for units in self._resolved_sizes()]

    def _resolved_sizes(self):
        """``hidden_layer_sizes`` as a tuple, 'auto' as the depth it chose."""
        sizes = self.hidden_layer_sizes
        if _capacity.is_auto(sizes):
            sizes = getattr(self, "hidden_layer_sizes_", _capacity.CANDIDATES[0])
        return tuple(_as_sizes(sizes))

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
        given_weights = coefs_init is not None or intercepts_init is not None
        continuing = (
            hasattr(self, "coefs_")
            and (incremental or self.warm_start)
            and not given_weights
        )
        if _refit.is_refit(self.early_stopping) and not (
            incremental or continuing or given_weights
        ):
            # Each pass is a clone: a failed fit leaves this one as it was.
            return _refit.fit_then_refit(self, X, y, sample_weight)
        if _capacity.is_auto(self.hidden_layer_sizes) and not (
            incremental or continuing or given_weights
        ):
            # Each candidate is a clone: a failed fit leaves this one as it was.
            return _capacity.fit_choosing_depth(self, X, y, sample_weight)
        # Until it succeeds, a fit changes nothing on the estimator but what
        # validating the data sets (n_features_in_, classes_): that is put
        # back if it fails.
        with _restore_on_error(self):
            X, Y, sample_weight, network = self._validated_problem(
                X, y, sample_weight, continuing, classes
            )
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
            tasks = epoch_tasks(
                self,
                X,
                # An autoencoder's target is X itself: scorers compare with it.
                Y if y is None else y,
                sample_weight,
                max_epochs=1 if incremental else self._n_epochs(),
                # What callbacks evaluate between epochs: the network so far.
                snapshot=lambda: self._snapshot(network, model, problem, plan),
            )
            plan = self._fit_plan(
                model, problem, continuing, incremental, coefs_init, random_state, tasks
            )
            if plan.trains_past_kept:
                plan.snapshot_at_end = lambda: self._snapshot(
                    network, model, problem, plan
                )
            result = fit(model, problem, plan)
            attributes = self._fitted_attributes(
                network, model, model.params, result.distribution
            )
            attributes["hidden_layer_sizes_"] = self._resolved_sizes()
            if plan.validation_random_state is not None:
                # A candidate of hidden_layer_sizes='auto': its validation
                # rows judge it.
                attributes["_validation_rows"] = problem.validation_rows
            if result.history.trained_to_the_end is not None:
                attributes["_trained_to_the_end"] = result.history.trained_to_the_end
            attributes["_constants_weight"] = self._pool_stream_constants(
                attributes, problem, streaming=incremental and continuing
            )
            if hasattr(self, "distribution_"):
                # The previous likelihood's own attributes (sigma_, scale_).
                for name in self.distribution_.estimator_attributes():
                    self.__dict__.pop(name, None)
            vars(self).update(
                attributes,
                _optimizer=plan.optimizer,
                **_history_attributes(result.history, result.early_stopping),
            )
        return self

    def _validated_problem(self, X, y, sample_weight, continuing, classes):
        """The data of this call validated, and the network (new, or a copy of
        the fitted one for continued training) that will learn from it."""
        if continuing:
            self._check_structure_unchanged()
        X, Y = self._validate_targets(X, y, reset=not continuing, classes=classes)
        if not sp.issparse(X):
            # Row-major whatever the input's layout: numpy sums the columns
            # of a column-major array in another order (its means, its
            # scale), and equal data would train to other bits.
            X = np.ascontiguousarray(X)
        if continuing:
            X, Y = _in_dtype(X, Y, self.coefs_[0].dtype)
        sample_weight = _check_weights(sample_weight, X)
        if sample_weight is not None:
            self._check_enough_samples(np.count_nonzero(sample_weight))
        # Continued training works on a copy: the training distribution's
        # constants may change.
        if continuing:
            network = copy.deepcopy(self._network)
            self._complete_standardizations(network, X, Y, sample_weight)
        else:
            network = self._define_network(X, Y, sample_weight)
        network.distribution.check_target(Y, self._targets_are)
        if not continuing:
            _check_user_distribution(network.distribution, Y, sample_weight)
        return X, Y, sample_weight, network

    def _fit_plan(
        self, model, problem, continuing, incremental, coefs_init, rng, tasks
    ):
        """What this call of fit asks of training (:class:`_training.FitPlan`)."""
        sample_weight = problem.sample_weight
        early_stopping = self._uses_early_stopping(
            problem.X.shape[0]
            if sample_weight is None
            else np.count_nonzero(sample_weight),
            incremental,
            problem.Y,
        )
        return FitPlan(
            optimizer=self._make_or_resume_optimizer(model, incremental and continuing),
            history=self._resume_history(continuing, incremental, early_stopping),
            random_state=rng,
            tasks=tasks,
            alpha=self.alpha,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            max_iter=self._n_epochs(),
            verbose=self.verbose,
            learning_rate_init=self.learning_rate_init,
            momentum=self.momentum,
            validation_fraction=self.validation_fraction,
            early_stopping=early_stopping,
            stratify=self._stratify(problem.Y) if early_stopping else None,
            validation_random_state=getattr(self, "_validation_random_state", None),
            epochs_chosen=hasattr(self, "_chosen_epochs"),
            trains_past_kept=early_stopping
            and getattr(self, "_trains_past_kept", False),
            given_start=continuing or coefs_init is not None,
            incremental=incremental,
            starts_at_intercept_only=self._output_starts_at_intercept_only,
            starts_at_linear_model=self._starts_at_linear_model(
                continuing or coefs_init is not None
            ),
        )

    def _starts_at_linear_model(self, given_start):
        """Whether a new network starts at the linear model (``start``; the
        autoencoder has no such parameter: its start is PCA's)."""
        return (
            getattr(self, "start", None) == "linear"
            and not given_start
            and all(name == "relu" for _, name in self._hidden_layers())
        )

    def _snapshot(self, network, model, problem, plan):
        """The fitted attributes of the network as it is now (for callbacks)."""
        params = model.params.copy()
        distribution, _ = final_pass(model, problem, params, plan)
        return self._fitted_attributes(network, model, params, distribution)

    def _fitted_attributes(self, network, model, params, distribution):
        """The fitted attributes of the network whose weights are ``params``
        (which move to the data space, in place) and whose fitted
        distribution is ``distribution`` (its constants move to the targets'
        units, in place)."""
        if network.target_scaling is not None:
            distribution.rescale_constants(network.target_scaling.scale)
        coefs, intercepts = model.layout.split(params)
        network.to_data_space(coefs, intercepts)
        return {
            "_network": network,
            "coefs_": coefs,
            "intercepts_": intercepts,
            "n_layers_": len(model.layout.layer_units),
            "n_outputs_": distribution.n_target_columns(model.layout.layer_units[-1]),
            "out_activation_": distribution.activation.name,
            "distribution_": distribution,
            **distribution.estimator_attributes(),
        }

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
            start_at_intercept_only(
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

    def _uses_early_stopping(self, n_samples, incremental, Y):
        """Whether this call holds out a validation set.

        partial_fit trains on all it is given: early stopping is for fit.
        'auto' asks for a validation set of at least 10 samples, counted
        among the ``n_samples`` of positive weight, and one that the split
        can make (:meth:`_can_hold_out`); so does 'refit' (for continued
        training, and for the pass of a new fit that chooses the epochs).
        """
        if incremental or not self.early_stopping:
            return False
        if self.early_stopping in ("auto", "refit"):
            return validation_size(
                self.validation_fraction, n_samples
            ) >= 10 and self._can_hold_out(Y)
        return True

    def _can_hold_out(self, Y):
        """Whether early stopping's split of ``Y`` can be made (the
        classifier's is stratified)."""
        return True

    def _n_epochs(self):
        """``max_iter``, or the number of epochs early stopping chose for
        this fit (``early_stopping='refit'``)."""
        return getattr(self, "_chosen_epochs", self.max_iter)

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
        "_kept_epoch": history.kept_epoch,
    }


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
