"""MLEAutoencoder: a network whose target is its own input."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from functools import update_wrapper
from numbers import Integral, Real
from types import MethodType

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._activations import HIDDEN_ACTIVATIONS
from ._base import VALIDATION, BaseMLE, _check_n_samples
from ._docstrings import fill_docstring
from ._network import Standardization
from ._principal_start import (
    can_start_at_principal_subspace,
    embed_principal_subspace,
    linear_autoencoder,
)
from ._threads import limit_blas_threads
from ._variational import GaussianCode


class _variational_only:
    """A method that exists only on a variational autoencoder.

    As scikit-learn's ``available_if`` (``SVC.predict_proba`` without
    ``probability=True``), ``hasattr`` is False otherwise; unlike it, the
    ``AttributeError`` says why, not only that the attribute is missing.
    """

    def __init__(self, method):
        self.method = method
        update_wrapper(self, method)

    def __get__(self, estimator, owner=None):
        if estimator is None:  # on the class: the function, for the docs
            return self.method
        if not estimator._is_variational:
            raise AttributeError(
                f"This {type(estimator).__name__!r} has no attribute "
                f"{self.method.__name__!r}: it draws new data from the prior of "
                "a variational autoencoder, and needs "
                "MLEAutoencoder(variational=True)."
            )
        return MethodType(self.method, estimator)


def _constant_values(Y, sample_weight):
    """The value of every column whose values (of positive weight) are all
    equal; NaN for the others."""
    if sample_weight is not None:
        Y = Y[sample_weight > 0]
    low = Y.min(axis=0)
    return np.where(low == Y.max(axis=0), low, np.nan)


@fill_docstring
class MLEAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseMLE):
    """Autoencoder fitted by maximum likelihood: p(x | code(x)).

    The encoder (``hidden_layer_sizes``) maps ``x`` to a linear code of
    ``n_components`` units; the decoder, the encoder's mirror image, maps the
    code back to the parameters of a distribution over ``x``. Training
    minimises the negative log-likelihood of ``x`` itself: squared error for
    ``distribution='gaussian'``, cross-entropy for ``'bernoulli'`` (``x`` in
    [0, 1], such as pixel intensities). The code is the transform; the
    per-sample log-likelihood is an anomaly score; the fitted distribution can
    be sampled. With ``variational=True`` it is a variational autoencoder:
    it generates new data and estimates the density of ``x``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_encoder_layers,), \
            default=(100,)
        Units of each encoder layer; the decoder uses them in reverse.
        ``()`` with ``activation='identity'`` is a linear autoencoder, which
        spans the principal subspace.

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the encoder and decoder layers (the code is linear).

    n_components : int, default=2
        Size of the code.

    variational : bool, default=False
        Make it a variational autoencoder, a generative model: the encoder
        gives the mean and the log-variance of a Gaussian q(z | x) over the
        codes (the code layer has ``2 * n_components`` units: the means,
        then the log-variances), the decoder takes a draw from it, and
        training maximises the evidence lower bound
        ``E_q[log p(x | z)] - beta * KL(q(z | x) || N(0, I))`` by the
        reparameterisation trick. The distribution's constants (the Gaussian
        noise scale per feature) are learned along with the weights. Adds
        :meth:`generate`; :meth:`score_samples` becomes an estimate of
        log p(x); :meth:`transform` gives the posterior mean.

    beta : float, default=1.0
        Weight of the KL term of the evidence lower bound
        (``variational=True`` only): 1 is maximum likelihood's bound; larger
        values pull the codes towards the prior.

    distribution : str or Distribution, default='gaussian'
        The likelihood of the reconstruction, which sets the loss: any of the
        regressor's ('gaussian', 'heteroscedastic_gaussian', 'laplace',
        'student_t', 'poisson', 'bernoulli') whose support holds ``X``, or an
        instance of a :class:`~sklearn_mle_nn.distributions.Distribution`
        subclass. ``fit`` never changes it; the fitted copy is
        ``distribution_``.

    out_activation : {'identity', 'logistic', 'tanh', 'relu'} or None, \
            default=None
        The output activation (the link to the mean). None takes the
        distribution's canonical link.

    {solver_parameters}

    Attributes
    ----------
    sigma_ : ndarray of shape (`n_features_in_`,)
        Maximum-likelihood standard deviation of the Gaussian reconstruction
        noise, per feature. Set only with ``distribution='gaussian'``.

    {training_attributes}

    See Also
    --------
    sklearn.decomposition.PCA : The linear, closed-form counterpart.
    sklearn.decomposition.FactorAnalysis : The linear Gaussian generative
        model that ``variational=True`` generalises.

    Notes
    -----
    Where the network contains the linear autoencoder (ReLU or identity
    layers of at least ``2 * n_components`` units, a likelihood whose mean
    has the identity link, ``variational=False``), training starts there:
    from PCA's reconstruction of the training data, carried through every
    hidden layer by pairs of units ``relu(u)`` and ``relu(-u)``, the other
    units starting random with silent outputs. If training ends with a worse
    fit of the training data than that start, the start is kept. Otherwise
    the weights start random, as scikit-learn's MLP's do, and (unless
    ``variational=True``) the decoder's intercepts at the intercept-only
    model (the features' means).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_mle_nn import MLEAutoencoder
    >>> X = load_digits().data / 16
    >>> ae = MLEAutoencoder(n_components=8, distribution="bernoulli",
    ...                     max_iter=20, random_state=0).fit(X)
    >>> ae.transform(X[:3]).shape
    (3, 8)
    >>> ae.sample(X[:3], n_samples=2, random_state=0).shape
    (3, 64, 2)
    >>> ae.get_feature_names_out()[:2].tolist()
    ['mleautoencoder0', 'mleautoencoder1']

    A variational autoencoder generates new digits and scores log p(x):

    >>> vae = MLEAutoencoder(n_components=8, variational=True,
    ...                      distribution="bernoulli", max_iter=20,
    ...                      random_state=0).fit(X)
    >>> vae.generate(n_samples=5, random_state=0).shape
    (5, 64)
    >>> vae.score_samples(X[:3], n_importance_samples=20).shape
    (3,)
    """

    _parameter_constraints: dict = {
        **BaseMLE._parameter_constraints,
        # No 'auto': the decoder mirrors the encoder, and a code has no
        # held-out likelihood of its own to choose a depth by.
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "variational": ["boolean"],
        "beta": [Interval(Real, 0, None, closed="left")],
        "out_activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        n_components=2,
        variational=False,
        beta=1.0,
        distribution="gaussian",
        out_activation=None,
        standardize_inputs=True,
        solver="adam",
        alpha=0.05,
        batch_size=32,
        learning_rate="constant",
        learning_rate_init=0.003,
        power_t=0.5,
        max_iter=500,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.n_components = n_components
        self.variational = variational
        self.beta = beta
        self.distribution = distribution
        self.out_activation = out_activation
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

    # ---- what the shared core asks of an autoencoder -----------------------

    def _hidden_layers(self):
        encoder = super()._hidden_layers()
        # A variational code layer puts out a mean and a log-variance per code.
        code_units = 2 * self.n_components if self.variational else self.n_components
        return [*encoder, (code_units, "identity"), *encoder[::-1]]

    def _stochastic_code(self):
        if not self.variational:
            return None
        n_encoder_layers = len(super()._hidden_layers())
        return GaussianCode(n_encoder_layers, self.n_components, self.beta)

    #: The decoder's weights are the start (PCA's reconstruction, or random
    #: for a variational one), not zero: a decoder that ignores the codes
    #: would give the encoder no gradient to learn them from.
    _output_starts_at_intercept_only = False

    @property
    def _mean_starts_at_intercept_only(self):
        # Nothing to start where scikit-learn's MLP would: the decoder starts
        # at the intercept-only model's means (for 'bernoulli' on dark pixels,
        # a probability near 0 rather than near 0.5). Not a variational one:
        # its held-out log-density of the digits fell from 31.6 to 29.3 nats.
        return not self.variational

    def _start_new_network(self, network, layout, params, Y, sample_weight):
        """Start at the linear autoencoder (PCA's reconstruction) when the
        network contains it: ReLU or linear layers of at least two units per
        code, an identity link for the mean."""
        # Standardized targets: a location family on its identity link.
        if self.variational or network.target_scaling is None:
            return False
        sizes = [units for units, _ in super()._hidden_layers()]
        if not can_start_at_principal_subspace(
            self.activation, sizes, self.n_components, Y.shape[1]
        ):
            return False
        # Under training's thread policy: the same start whether or not
        # other fits run in threads beside this one.
        with limit_blas_threads():
            encoder, decoder = linear_autoencoder(
                network, Y, sample_weight, self.n_components
            )
        embed_principal_subspace(
            *layout.split(params), self.activation, encoder, decoder
        )
        return True

    @property
    def _pooled_input_scale(self):
        # The loss weighs the features in the data's units (for the Gaussian,
        # the squared error that PCA minimises): the encoder sees them
        # centred, with their relative scale kept, so that a rare pixel is not
        # magnified into a huge input. A variational autoencoder learns a
        # noise scale per feature, so that its likelihood weighs every
        # feature in its own units: each is standardized on its own.
        return not self.variational

    def _fit_standardizations(self, distribution, X, Y, sample_weight):
        # A new network: the features constant in the training data (of
        # positive weight). A spread fitted to them is the floor.
        self._constant_features = _constant_values(Y, sample_weight)
        return super()._fit_standardizations(distribution, X, Y, sample_weight)

    def _target_standardization(self, distribution, Y, sample_weight):
        """The distribution's own location per feature, and one pooled scale.

        One pooled scale for every feature keeps training's loss (for the
        Gaussian, the squared error that PCA minimises) proportional to that
        of the data as given. A variational autoencoder standardizes every
        feature by its own scale (on wine and breast cancer, as given, its
        held-out log-density rose by 2 and 6 nats, to above factor
        analysis's); a constant feature, which has none, takes the pooled
        one, so that the floor of its fitted spread is a fraction of the
        features' spread, not of the unit the data happens to be given in.
        """
        location, scale = distribution.location_and_scale(Y, sample_weight)
        pooled = np.sqrt(np.mean(np.square(scale)))
        if not pooled > 0:  # every feature constant: nothing to pool
            pooled = 1.0
        if self.variational:
            varying = np.isnan(self._constant_features) & (scale > 0)
            scale = np.where(varying, scale, pooled)
        else:
            scale = np.full_like(scale, pooled)
        return Standardization(location, scale)

    def _validate_targets(self, X, y, *, reset, classes=None):
        X = validate_data(self, X, reset=reset, **VALIDATION)
        self._check_enough_samples(X.shape[0])
        # CSC's dense copy is column-major: the PCA start's products would
        # sum in another order than CSR's. Row-major whatever the input's
        # layout (see BaseMLE._fit).
        Y = np.ascontiguousarray(X.toarray() if sp.issparse(X) else X)
        if not reset:
            # Continued training: a feature stays constant only if it is in
            # the new data too.
            self._forget_varying_features(Y)
        return (X if sp.issparse(X) else Y), Y

    def _forget_varying_features(self, Y):
        constant = getattr(self, "_constant_features", None)
        if constant is not None:
            self._constant_features = np.where(
                np.all(Y == constant, axis=0), constant, np.nan
            )

    def _warn_of_rows_that_differ_at_constant_features(self, Y):
        """Warn if rows of ``Y`` differ where the training data was constant.

        There the fitted spread is the floor, and a difference of any size
        makes the row a strong anomaly (as scikit-learn's ``f_classif`` and
        ``KBinsDiscretizer`` warn of constant features).
        """
        constant = getattr(self, "_constant_features", None)
        if constant is None or not self.distribution_.fits_constants:
            return
        features = np.flatnonzero(~np.isnan(constant))
        differ = Y[:, features] != constant[features]
        if not differ.any():
            return
        names = getattr(self, "feature_names_in_", None)
        listed = [
            str(names[j]) if names is not None else int(j)
            for j in features[differ.any(axis=0)]
        ]
        warnings.warn(
            f"{np.count_nonzero(differ.any(axis=1))} of {len(Y)} samples differ "
            f"from the training data at features {listed}, which were constant "
            "there: their fitted spread is held at a floor, far below the other "
            "features' spreads, so that score_samples ranks those samples as "
            "strong anomalies. Drop constant features (with "
            "sklearn.feature_selection.VarianceThreshold) before fitting if such "
            "a difference is not one.",
            UserWarning,
        )

    _targets_are = "X"

    def _check_enough_samples(self, n_samples):
        if self.variational and n_samples < 2:
            # The noise scale it learns would be zero: an unbounded likelihood.
            raise ValueError(
                "A variational autoencoder learns a distribution of the data: "
                "it needs at least 2 samples (of positive sample_weight), got "
                f"n_samples={n_samples}. Every call of partial_fit fits its noise "
                "scale on its own chunk: join a chunk of one row to the one "
                "before or after it."
            )

    # After fit, every method reads the structure the network was fitted with,
    # not the parameters, which set_params may have changed since.

    @property
    def _is_variational(self):
        """Whether the fitted network (before fit, the parameter) is variational."""
        if not self.__sklearn_is_fitted__():
            return self.variational
        return self._network.structure["variational"]

    @property
    def _n_codes(self):
        """The fitted code's size."""
        return self._network.structure["n_components"]

    @property
    def _code_layer(self):
        """Index of the weight layer whose output is the code."""
        return (len(self.coefs_) - 1) // 2

    @property
    def _n_features_out(self):
        # The fitted code's size, as PCA's attribute of the same name: none
        # before fit (get_feature_names_out then raises NotFittedError).
        check_is_fitted(self)
        return self._n_codes

    def _encode(self, X, log_variance=False):
        """The code of validated ``X``: the posterior mean of a variational one.

        With ``log_variance=True`` (variational only), also the posterior
        log-variances.
        """
        code_output = super()._raw(X, slice(0, self._code_layer + 1))
        if not self._is_variational:
            return code_output
        mean = code_output[:, : self._n_codes]
        if log_variance:
            return mean, code_output[:, self._n_codes :]
        return np.ascontiguousarray(mean)

    def _decode(self, codes):
        """The raw output of the decoder for ``codes``."""
        return super()._raw(codes, slice(self._code_layer + 1, None))

    def _raw(self, X, layers=slice(None)):
        if layers != slice(None):
            return super()._raw(X, layers)
        # The reconstruction decodes the (posterior mean) code.
        return self._decode(self._encode(X))

    # ---- public API --------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X, y=None, sample_weight=None, *, coefs_init=None, intercepts_init=None
    ):
        """Fit the autoencoder to ``X`` by maximum likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data; in [0, 1] for 'bernoulli'.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the likelihood.

        coefs_init : list of array-like, default=None
            Initial weight matrices, shaped as ``coefs_`` will be.

        intercepts_init : list of array-like, default=None
            Initial bias vectors, shaped as ``intercepts_`` will be.

        Returns
        -------
        self : MLEAutoencoder
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> ae = MLEAutoencoder(n_components=2, max_iter=5, random_state=0).fit(X)
        >>> [coef.shape for coef in ae.coefs_]
        [(5, 100), (100, 2), (2, 100), (100, 5)]
        """
        return self._fit(
            X,
            y,
            sample_weight,
            coefs_init=coefs_init,
            intercepts_init=intercepts_init,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for exactly one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        y : None
            Ignored.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : MLEAutoencoder
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> ae = MLEAutoencoder(random_state=0).partial_fit(X).partial_fit(X)
        >>> ae.n_iter_
        2
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def transform(self, X):
        """Encode ``X``: the code layer's output.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
            The codes.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> MLEAutoencoder(max_iter=5, random_state=0).fit(X).transform(X).shape
        (50, 2)
        """
        return self._encode(self._validate_X(X))

    def fit_transform(self, X, y=None, **fit_params):
        """Fit the autoencoder to ``X``, then encode ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        y : None
            Ignored.

        **fit_params : dict
            Passed to :meth:`fit` (``sample_weight``, ``coefs_init``,
            ``intercepts_init``).

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
            The codes of ``X``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> MLEAutoencoder(max_iter=5, random_state=0).fit_transform(X).shape
        (50, 2)
        """
        return self.fit(X, y, **fit_params).transform(X)

    def get_feature_names_out(self, input_features=None):
        """Names of the code's columns: ``mleautoencoder0``, ``mleautoencoder1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the names seen in :meth:`fit`.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per component.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> ae = MLEAutoencoder(n_components=3, max_iter=5, random_state=0).fit(X)
        >>> ae.get_feature_names_out().tolist()
        ['mleautoencoder0', 'mleautoencoder1', 'mleautoencoder2']
        """
        return super().get_feature_names_out(input_features)

    def inverse_transform(self, X):
        """Decode codes into the mean of p(x | code).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as :meth:`transform` returns them.

        Returns
        -------
        X_mean : ndarray of shape (n_samples, `n_features_in_`)
            The reconstruction mean.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> ae = MLEAutoencoder(max_iter=5, random_state=0).fit(X)
        >>> ae.inverse_transform(ae.transform(X)).shape
        (50, 5)
        """
        check_is_fitted(self)
        codes = check_array(X, dtype=[np.float64, np.float32])
        if codes.shape[1] != self._n_codes:
            raise ValueError(
                f"inverse_transform expects codes with {self._n_codes} columns "
                f"(the fitted n_components), got {codes.shape[1]}."
            )
        return self.distribution_.mean(self._decode(codes))

    def predict(self, X):
        """Reconstruct ``X``: the mean of p(x | code(x)).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        Returns
        -------
        X_mean : ndarray of shape (n_samples, n_features)
            The reconstruction mean.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> MLEAutoencoder(max_iter=5, random_state=0).fit(X).predict(X).shape
        (50, 5)
        """
        return self._predict_mean(self._validate_X(X))

    def score_samples(self, X, n_importance_samples=200, random_state=0):
        """Log-likelihood of every sample: an anomaly score, or log p(x).

        Without ``variational``, ``log p(x_i | code(x_i))``: how well the
        distribution decoded from the sample's own code explains it (with
        ``sigma_`` as the Gaussian noise scale). Low values flag samples the
        autoencoder cannot reconstruct; it is not a density of ``x``.

        With ``variational=True``, an importance-weighted estimate of the
        log-density (or log-probability) of ``x`` under the generative model
        ``z ~ N(0, I)``, ``x ~ p(x | z)``:
        ``log mean_s p(x | z_s) p(z_s) / q(z_s | x)`` over
        ``n_importance_samples`` draws ``z_s`` from the encoder's ``q(z | x)``.
        It is never above ``log p(x)`` on average and approaches it as the
        draws grow; with a Gaussian-family ``p(x | z)`` it is a log-density in
        the data's units, comparable with ``score_samples`` of
        :class:`~sklearn.decomposition.PCA`,
        :class:`~sklearn.decomposition.FactorAnalysis`,
        :class:`~sklearn.mixture.GaussianMixture` and
        :class:`~sklearn.neighbors.KernelDensity` on the same data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        n_importance_samples : int, default=200
            Draws of the code per sample (``variational=True`` only). More
            draws tighten the estimate and cost one decoder pass each.

        random_state : int, RandomState instance or None, default=0
            Seeds the draws (``variational=True`` only). The same draws of
            standard normal noise serve every row, so a row's score does not
            depend on the other rows passed with it; the fixed default makes
            the score a deterministic function of ``X``.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            Summed over features.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> ae = MLEAutoencoder(max_iter=5, random_state=0).fit(X)
        >>> ae.score_samples(X).shape
        (50,)
        >>> vae = MLEAutoencoder(variational=True, max_iter=5, random_state=0).fit(X)
        >>> vae.score_samples(X[:3], n_importance_samples=10).shape
        (3,)
        """
        X = self._validate_X(X)
        Y = X.toarray() if sp.issparse(X) else X
        self.distribution_.check_target(Y, self._targets_are)
        self._warn_of_rows_that_differ_at_constant_features(Y)
        if not self._is_variational:
            return self._network_log_likelihood(X, Y)
        _check_n_samples(n_importance_samples, "n_importance_samples")
        return self._importance_weighted_log_density(
            X, Y, n_importance_samples, check_random_state(random_state)
        )

    def _importance_weighted_log_density(self, X, Y, n_draws, random_state):
        """``log mean_s p(Y | z_s) N(z_s; 0, I) / q(z_s | X)``, per row."""
        mean, log_variance = self._encode(X, log_variance=True)
        with np.errstate(over="ignore"):  # see below
            spread = np.exp(0.5 * log_variance)
        # Log-weights of every draw (rows), for every sample (columns).
        log_weights = np.empty((n_draws, X.shape[0]))
        # Many small products: on one BLAS thread, as in training (BLAS's
        # own threads spin between them, ten times slower on a busy machine).
        # A row far outside the data can overflow (a code of inf, a decoded
        # inf - inf): its weight is then below what floats hold, -inf, not
        # NaN, which would sort it among the most typical rows.
        with limit_blas_threads(), np.errstate(over="ignore", invalid="ignore"):
            for s in range(n_draws):
                noise = random_state.standard_normal(self._n_codes)
                z = mean + spread * noise.astype(mean.dtype)
                log_likelihood = self.distribution_.log_likelihood(Y, self._decode(z))
                # log N(z; 0, I) - log q(z | x); the 2 pi terms cancel.
                log_prior_ratio = 0.5 * (
                    np.sum(log_variance, axis=1) + noise @ noise - np.sum(z * z, axis=1)
                )
                log_weights[s] = log_likelihood + log_prior_ratio
        log_weights[np.isnan(log_weights)] = -np.inf
        with np.errstate(divide="ignore"):
            return logsumexp(log_weights, axis=0) - np.log(n_draws)

    def score(self, X, y=None, n_importance_samples=200, random_state=0):
        """Mean log-likelihood of the samples, ``mean(score_samples(X))``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data.

        y : None
            Ignored.

        n_importance_samples : int, default=200
            Passed to :meth:`score_samples` (``variational=True`` only).

        random_state : int, RandomState instance or None, default=0
            Passed to :meth:`score_samples` (``variational=True`` only).

        Returns
        -------
        score : float
            Mean log-likelihood.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> ae = MLEAutoencoder(max_iter=5, random_state=0).fit(X)
        >>> bool(ae.score(X) == ae.score_samples(X).mean())
        True
        """
        return float(np.mean(self.score_samples(X, n_importance_samples, random_state)))

    @_variational_only
    def generate(self, n_samples=1, random_state=None):
        """Draw new data from the generative model: z ~ N(0, I), x ~ p(x | z).

        Only with ``variational=True``: the prior N(0, I) is what the
        evidence lower bound fits the codes to; a plain autoencoder's codes
        follow no known distribution.

        Parameters
        ----------
        n_samples : int, default=1
            Number of draws.

        random_state : int, RandomState instance or None, default=None
            Seeds the draws; None uses numpy's global random state.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            The draws; 0/1 for 'bernoulli'.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = load_digits().data / 16
        >>> vae = MLEAutoencoder(n_components=2, variational=True,
        ...                      distribution="bernoulli", max_iter=5,
        ...                      random_state=0).fit(X)
        >>> vae.generate(n_samples=4, random_state=0).shape
        (4, 64)
        """
        check_is_fitted(self)
        _check_n_samples(n_samples, "n_samples")
        random_state = check_random_state(random_state)
        dtype = self.coefs_[0].dtype
        z = random_state.standard_normal((n_samples, self._n_codes)).astype(dtype)
        return self._draw(self._decode(z), 1, random_state)[..., 0]

    def predict_distribution(self, X):
        """The reconstruction distribution p(x | code(x)) as a ``scipy.stats`` object.

        Frozen and vectorised: shape ``(n_samples, n_features)``, so that its
        ``logpdf``, ``cdf``, ``interval``, ``mean``, ``std`` and ``rvs`` work
        on every row and feature at once.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        distribution : frozen scipy.stats distribution

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> ae = MLEAutoencoder(max_iter=5, random_state=0).fit(X)
        >>> ae.predict_distribution(X[:3]).mean().shape
        (3, 5)
        """
        return self.distribution_.scipy_distribution(self._raw(self._validate_X(X)))

    def sample(self, X, n_samples=1, random_state=None):
        """Draw reconstructions from p(x | code(x)).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
            The data to encode.

        n_samples : int, default=1
            Number of draws per row of ``X``.

        random_state : int, RandomState instance or None, default=None
            Seeds the draws; None uses numpy's global random state.

        Returns
        -------
        X_samples : ndarray of shape (n_samples_X, n_features, n_samples)
            The draws; 0/1 for 'bernoulli'.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEAutoencoder
        >>> X = np.random.RandomState(0).rand(50, 5)
        >>> ae = MLEAutoencoder(max_iter=5, random_state=0).fit(X)
        >>> ae.sample(X[:4], n_samples=3, random_state=0).shape
        (4, 5, 3)
        """
        return self._draw(self._raw(self._validate_X(X)), n_samples, random_state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags
