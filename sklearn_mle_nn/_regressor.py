"""MLERegressor: a network that fits p(y | x), Gaussian or Bernoulli."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._activations import HIDDEN_ACTIVATIONS
from ._base import VALIDATION, BaseMLE, first_column
from ._docstrings import fill_docstring
from .metrics import concordance_index


@fill_docstring
class MLERegressor(RegressorMixin, BaseMLE):
    """Neural-network regressor fitted by maximum likelihood.

    The network's outputs are the parameters of ``p(y | x)``; training
    minimises the negative log-likelihood of the targets by mini-batch
    stochastic gradient descent. ``distribution='gaussian'`` makes that loss
    the squared error; ``'heteroscedastic_gaussian'`` also learns a spread
    that depends on x; ``'laplace'`` makes it the absolute error;
    ``'student_t'`` a robust, heavy-tailed loss; ``'poisson'`` the Poisson
    deviance of counts; ``'bernoulli'`` the cross-entropy, for targets in
    [0, 1] such as rates or probabilities. Having fitted a distribution, the
    model can :meth:`sample` from it, give intervals
    (:meth:`predict_interval`) and the whole predicted distribution
    (:meth:`predict_distribution`).

    Real targets of a location-scale family are standardized for training and
    the output layer is mapped back afterwards, so that ``y`` needs no
    rescaling by hand.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,) or 'auto', \
            default=(100,)
        Units of each hidden layer; ``()`` fits a generalized linear model. {auto_depth}
        Without validation rows (``early_stopping=False``, or too few rows
        for ``early_stopping='auto'``) it fits ``(100,)``.

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.

    distribution : str or Distribution, default='gaussian'
        The likelihood of the targets, which sets the loss: one of
        'gaussian', 'heteroscedastic_gaussian', 'laplace', 'student_t',
        'poisson', 'bernoulli', or an instance of a
        :class:`~sklearn_mle_nn.distributions.Distribution` subclass (its own
        parameters are searchable as ``distribution__<name>``). ``fit`` never
        changes it; the fitted copy is ``distribution_``.

    out_activation : {'identity', 'logistic', 'tanh', 'relu'} or None, \
            default=None
        The output activation (the link to the mean). None takes the
        distribution's canonical link: identity for 'gaussian', logistic for
        'bernoulli'. ``distribution='gaussian', out_activation='logistic'`` is
        the squared error on a sigmoid output.

    start : {'linear', 'intercept_only'}, default='linear'
        Where a new network starts. 'linear': at the distribution's own
        linear model of the training rows (its penalized maximum-likelihood
        fit, as ``Ridge`` for 'gaussian' or ``PoissonRegressor`` for
        'poisson'), carried by two rectifier units per mean output
        (``z = relu(z) - relu(-z)``), the other units adding nothing at the
        start; a predicted spread starts at the linear model's own (at
        least a tenth of the targets'); with early stopping, the held-out
        rows score the start too, and it is kept unless an epoch does
        better. It needs
        ``activation='relu'`` and hidden layers of at least two units per
        mean output; otherwise, and with 'intercept_only', the network starts
        at the intercept-only model (zero output weights), as scikit-learn's
        MLP would with its output layer set to the best constant.

    {solver_parameters}

    Attributes
    ----------
    distribution_ : Distribution
        The fitted copy of ``distribution``, with its constants (such as the
        noise scale ``scale_``) fitted by maximum likelihood after training.

    sigma_ : ndarray of shape (n_outputs,)
        Maximum-likelihood standard deviation of the Gaussian noise, per
        output: the weighted root-mean-square training residual. Set only
        with ``distribution='gaussian'``. After ``partial_fit`` it is that
        of about the latest 200 rows (or the latest chunk, if larger): each
        call pools its chunk's estimate with the earlier one.

    scale_ : ndarray of shape (n_outputs,)
        The fitted scale of 'laplace' (the mean absolute residual) and
        'student_t'. Set only with those; pooled as ``sigma_`` by
        ``partial_fit``.

    shape_ : ndarray of shape (n_outputs,)
        The fitted shape of 'gamma' and 'weibull', by maximum likelihood.
        Set only with those.

    {training_attributes}

    See Also
    --------
    MLEClassifier : The same model for class labels.
    sklearn.neural_network.MLPRegressor : scikit-learn's network regressor.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_mle_nn import MLERegressor
    >>> X, y = make_regression(n_samples=200, n_features=4, noise=5, random_state=0)
    >>> reg = MLERegressor(random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.95
    True
    >>> mean, std = reg.predict(X[:2], return_std=True)
    >>> reg.sample(X[:2], n_samples=5, random_state=0).shape
    (2, 5)
    """

    _parameter_constraints: dict = {
        **BaseMLE._parameter_constraints,
        "out_activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), None],
        "start": [StrOptions({"linear", "intercept_only"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        distribution="gaussian",
        out_activation=None,
        start="linear",
        standardize_inputs=True,
        solver="sgd",
        alpha=0.05,
        batch_size=32,
        learning_rate="constant",
        learning_rate_init=0.002,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping="auto",
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.distribution = distribution
        self.out_activation = out_activation
        self.start = start
        self.standardize_inputs = standardize_inputs
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    # ---- what the shared core asks of a regressor --------------------------

    def _validate_targets(self, X, y, *, reset, classes=None):
        X, Y, censored = self._targets(X, y, reset=reset)
        if reset:
            self._censored_targets = censored
        elif censored != getattr(self, "_censored_targets", False):
            fitted = "censored times" if not censored else "plain targets"
            raise ValueError(
                f"This {type(self).__name__} was fitted on {fitted}; continued "
                "training (warm_start, partial_fit) takes the same kind of y. "
                "Plain times are censored times that are all events: "
                "pass them as a structured array whose event field is all True."
            )
        if censored and not np.any(Y > 0):
            raise ValueError(
                "Every time in y is censored: the likelihood then grows without "
                "bound as the predicted times do. At least one event is needed."
            )
        return X, Y

    def _targets(self, X, y, *, reset):
        """Validated ``X``, the network targets ``Y`` and whether ``y`` is
        censored: scikit-survival's structured ``y`` gives one column of
        times, a censored time ``t`` as ``-t`` (see
        ``Distribution.with_censoring``)."""
        survival = survival_times(y)
        if survival is None:
            X, Y = self._real_targets(X, y, reset=reset)
            return X, Y, False
        time, event = survival
        X, time = validate_data(
            self, X, time, reset=reset, y_numeric=True, **VALIDATION
        )
        if reset:
            self._y_ndim = 1
        elif self.n_outputs_ != 1:
            raise ValueError(
                f"y is one column of survival times, but this "
                f"{type(self).__name__} was fitted on {self.n_outputs_}."
            )
        Y = np.where(event, time, -time).astype(X.dtype, copy=False)
        return X, Y[:, np.newaxis], True

    def _real_targets(self, X, y, *, reset):
        targets = y
        try:
            X, y = validate_data(
                self, X, y, reset=reset, multi_output=True, y_numeric=True, **VALIDATION
            )
            Y = (y.reshape(-1, 1) if y.ndim == 1 else y).astype(X.dtype, copy=False)
        except ValueError as error:
            # numpy's own message ("could not convert string to float:
            # np.str_('setosa')") names neither the estimator nor the remedy.
            if getattr(targets, "dtype", np.dtype(object)).kind not in "OUS":
                raise
            for value in np.asarray(targets, dtype=object).ravel():
                try:
                    float(value)
                except (TypeError, ValueError):
                    if isinstance(value, str):
                        raise ValueError(
                            f"{type(self).__name__} needs numeric targets, but y "
                            f"holds text such as {value!r}. For class labels, use "
                            "MLEClassifier."
                        ) from error
            raise
        if reset:
            # sample's shape follows the targets': (n, S) for 1-D y, else
            # (n, n_outputs, S), even with one column.
            self._y_ndim = y.ndim
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} target column(s), but this "
                f"{type(self).__name__} was fitted on {self.n_outputs_}."
            )
        return X, Y

    def _build_distribution(self):
        # Set by _validate_targets of the data this network is defined for.
        return super()._build_distribution().with_censoring(self._censored_targets)

    # ---- public API --------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, coefs_init=None, intercepts_init=None):
        """Fit the network to the data by maximum likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. float32 input is trained in float32.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or \
                structured array of shape (n_samples,)
            The targets: real numbers for 'gaussian', values in [0, 1] for
            'bernoulli'. For 'weibull', 'lognormal' and 'gamma', also
            right-censored times as scikit-survival's structured array
            (``sksurv.util.Surv.from_arrays(event, time)``): a boolean event
            indicator first, the time second; censored rows contribute
            their survival function to the likelihood.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the likelihood.

        coefs_init : list of array-like, default=None
            Initial weight matrices, shaped as ``coefs_`` will be. Given with
            ``intercepts_init``, training starts from them instead of a random
            initialisation.

        intercepts_init : list of array-like, default=None
            Initial bias vectors, shaped as ``intercepts_`` will be.

        Returns
        -------
        self : MLERegressor
            The fitted estimator.

        Examples
        --------
        >>> from sklearn_mle_nn import MLERegressor
        >>> reg = MLERegressor(hidden_layer_sizes=(), max_iter=5, random_state=0)
        >>> reg = reg.fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
        >>> reg.n_iter_
        5
        """
        return self._fit(
            X,
            y,
            sample_weight,
            coefs_init=coefs_init,
            intercepts_init=intercepts_init,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for exactly one epoch over the given data.

        The first call initialises the network; later calls continue from it,
        with the optimizer's state (momentum, Adam's moments) kept.

        The standardization of the inputs (and of the targets) is fixed by
        the first call's chunk, column by column: a column whose values are
        all equal in it (every column of a one-row chunk) is estimated from
        the next chunk in which it varies, with the fitted weights
        re-expressed so that the model is unchanged. Let the first chunk be a
        representative sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : MLERegressor
            The updated estimator.

        Examples
        --------
        >>> from sklearn_mle_nn import MLERegressor
        >>> reg = MLERegressor(random_state=0)
        >>> for _ in range(3):
        ...     reg = reg.partial_fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
        >>> reg.n_iter_
        3
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X, return_std=False):
        """Mean (and standard deviation) of p(y | x).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        return_std : bool, default=False
            Whether to return the standard deviation of p(y | x) as well:
            ``sigma_`` for 'gaussian', the network's spread for
            'heteroscedastic_gaussian', ``sqrt(mean)`` for 'poisson',
            ``sqrt(mean * (1 - mean))`` for 'bernoulli', each output's
            marginal one for 'multivariate_gaussian'.

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted mean.

        std : ndarray of the same shape as ``mean``
            Its standard deviation; only when ``return_std`` is True.

        Examples
        --------
        >>> from sklearn_mle_nn import MLERegressor
        >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0.0, 1.0, 2.0, 3.0]
        >>> reg = MLERegressor(hidden_layer_sizes=(), random_state=0).fit(X, y)
        >>> mean, std = reg.predict([[4.0]], return_std=True)
        >>> round(float(mean[0]))
        4
        """
        raw = self._raw(self._validate_X(X))
        mean = self.distribution_.mean(raw)
        if not return_std:
            return self._shape_outputs(mean)
        std = self.distribution_.std(raw)
        return self._shape_outputs(mean), self._shape_outputs(std)

    def predict_interval(self, X, coverage=0.9):
        """Central interval of p(y | x) that holds ``coverage`` of its mass.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        coverage : float, default=0.9
            Probability mass inside the interval, in (0, 1).

        Returns
        -------
        interval : ndarray of shape (n_samples, 2) or (n_samples, n_outputs, 2)
            Lower and upper ends, the last axis: the first shape for a 1-D
            ``y`` at fit, the second for a 2-D one.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLERegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.uniform(-1, 1, size=(200, 1))
        >>> y = 2 * X[:, 0] + rng.normal(scale=0.5, size=200)
        >>> reg = MLERegressor(hidden_layer_sizes=(), random_state=0).fit(X, y)
        >>> low, high = reg.predict_interval(X, coverage=0.9).T
        >>> bool(0.8 < np.mean((low <= y) & (y <= high)) < 1.0)
        True
        """
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        dist = self.distribution_.scipy_distribution(self._raw(self._validate_X(X)))
        interval = np.stack(dist.interval(coverage), axis=-1)
        return interval[:, 0, :] if self._y_ndim == 1 else interval

    def predict_distribution(self, X):
        """The predicted distribution p(y | x) as a frozen ``scipy.stats`` object.

        Vectorised over the rows of ``X`` (and the outputs), so that its
        ``pdf``, ``logpdf``, ``cdf``, ``ppf``, ``interval``, ``mean``,
        ``std`` and ``rvs`` work on all rows at once, as NGBoost's
        ``pred_dist`` does.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        distribution : frozen scipy.stats distribution
            Of shape ``(n_samples,)`` for a 1-D ``y`` at fit, else
            ``(n_samples, n_outputs)``. For 'multivariate_gaussian', a
            :class:`~sklearn_mle_nn.distributions.MultivariateNormalRows`:
            the joint distribution of each row's outputs (``scipy.stats``'
            own takes a single mean and covariance).

        Examples
        --------
        >>> from sklearn_mle_nn import MLERegressor
        >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0.1, 0.9, 2.1, 2.9]
        >>> reg = MLERegressor(random_state=0).fit(X, y)
        >>> dist = reg.predict_distribution([[1.0], [2.0]])
        >>> dist.mean().shape, dist.cdf([1.0, 2.0]).shape
        ((2,), (2,))
        """
        dist = self.distribution_.scipy_distribution(self._raw(self._validate_X(X)))
        return first_column(dist) if self._y_ndim == 1 else dist

    def sample(self, X, n_samples=1, random_state=None):
        """Draw targets from the fitted p(y | x).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
            The input data.

        n_samples : int, default=1
            Number of draws per row of ``X``.

        random_state : int, RandomState instance or None, default=None
            Seeds the draws; None uses numpy's global random state.

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples) or \
                (n_samples_X, n_outputs, n_samples)
            The draws, last axis over draws as in
            ``GaussianProcessRegressor.sample_y``: the first shape for a 1-D
            ``y`` at fit, the second for a 2-D one. 0/1 for 'bernoulli'.

        Examples
        --------
        >>> from sklearn_mle_nn import MLERegressor
        >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0.1, 0.9, 2.1, 2.9]
        >>> reg = MLERegressor(random_state=0).fit(X, y)
        >>> reg.sample([[1.5]], n_samples=3, random_state=0).shape
        (1, 3)
        """
        draws = self._draw(self._raw(self._validate_X(X)), n_samples, random_state)
        return draws[:, 0, :] if self._y_ndim == 1 else draws

    def log_likelihood(self, X, y):
        """Log-likelihood ``log p(y_i | x_i)`` of every sample.

        Uses the fitted distribution ``distribution_`` (``sigma_`` as the
        Gaussian noise scale).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or \
                structured array of shape (n_samples,)
            The targets; censored times as in :meth:`fit`, whose rows give
            ``log S(t_i | x_i)``, the log of the survival function.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            Summed over outputs.

        Examples
        --------
        >>> from sklearn_mle_nn import MLERegressor
        >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0.1, 0.9, 2.1, 2.9]
        >>> reg = MLERegressor(random_state=0).fit(X, y)
        >>> reg.log_likelihood(X, y).shape
        (4,)
        """
        check_is_fitted(self)
        X, Y, censored = self._targets(X, y, reset=False)
        # Whatever the model was fitted on: y says whether it is censored.
        distribution = self.distribution_.with_censoring(censored)
        distribution.check_target(Y)
        return distribution.log_likelihood(Y, self._raw(X))

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of ``predict(X)`` against ``y``.

        For the likelihood of the targets, see :meth:`log_likelihood`. On
        censored times (scikit-survival's structured ``y``), the
        concordance index of the risk ``-predict(X)``
        (:func:`~sklearn_mle_nn.metrics.concordance_index`), as
        scikit-survival's estimators score.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or \
                structured array of shape (n_samples,)
            True targets, or censored times.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        score : float
            R², averaged uniformly over outputs; or the concordance index.

        Examples
        --------
        >>> from sklearn_mle_nn import MLERegressor
        >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0.0, 1.0, 2.0, 3.0]
        >>> reg = MLERegressor(hidden_layer_sizes=(), random_state=0).fit(X, y)
        >>> reg.score(X, y) > 0.9
        True
        """
        cindex = survival_score(self, X, y, sample_weight)
        if cindex is None:
            return super().score(X, y, sample_weight=sample_weight)
        return cindex

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _shape_outputs(self, values):
        # n_outputs_ counts targets; raw outputs may be more (a spread each).
        return values.ravel() if self.n_outputs_ == 1 else values


def survival_score(estimator, X, y, sample_weight=None):
    """The concordance index of the risk ``-estimator.predict(X)`` on
    survival data ``y``, as scikit-survival's estimators score; None when
    ``y`` is not survival data (the estimator's R² applies)."""
    survival = survival_times(y)
    if survival is None:
        return None
    time, event = survival
    # A longer predicted time is a lower risk.
    return concordance_index(event, time, -estimator.predict(X), sample_weight)


def survival_times(y):
    """``(time, event)`` of scikit-survival's structured ``y``, else None.

    As scikit-survival's ``check_y_survival``: a 1-D structured array of two
    fields, whatever their names, the event indicator (boolean) first and
    the time (a number) second, as ``sksurv.util.Surv.from_arrays(event,
    time)`` makes. Any other structured array is refused; an array without
    fields is not survival data (None).
    """
    dtype = getattr(y, "dtype", None)
    if not isinstance(y, np.ndarray) or dtype.names is None:
        return None
    fields = [dtype.fields[name][0] for name in dtype.names]
    if (
        y.ndim != 1
        or len(fields) != 2
        or fields[0].kind != "b"
        or fields[1].kind not in "iuf"
    ):
        described = ", ".join(
            f"{name}: {dtype.fields[name][0]}" for name in dtype.names
        )
        raise ValueError(
            "A structured y must be scikit-survival's survival data: one "
            "dimension, two fields, a boolean event indicator first and the "
            f"time of the event or of censoring second; got {y.ndim} "
            f"dimension(s) of fields ({described})."
        )
    event_field, time_field = dtype.names
    return np.asarray(y[time_field], dtype=float), np.asarray(
        y[event_field], dtype=bool
    )
