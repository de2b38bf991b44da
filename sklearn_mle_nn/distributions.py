"""Likelihoods p(y | raw) that turn a network's raw output into a loss.

A :class:`Distribution` declares, once, everything the estimators need of a
likelihood: its parameters (a :class:`Parameter` per block of raw outputs,
each with its role: the mean through the distribution's link, a log-scale,
a shape), from which follow the number of raw outputs, their intercept-only
start, their mapping to the targets' units and whether it predicts a
spread; target validation, the negative log-likelihood
(NLL) and its gradient with respect to the raw outputs, the mean, the spread,
sampling, the predicted distribution as a ``scipy.stats`` object, the fitting
of constant (nuisance) parameters after training, and whether and how targets
are standardized. The estimators never ask a distribution for its name: a
user-defined subclass works wherever a built-in one does.

A distribution *has* a link (composition, as scikit-learn's losses do).
Every method takes the **raw** output, never a clipped mean, so that the
numerically delicate parts (``log(1 + exp(raw))``, log-sum-exp) stay inside
the distribution. With the *canonical* link the gradient of the NLL with
respect to the raw output is simply ``mean - y`` (divided by the variance
function): the derivative of the link cancels.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import functools
import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy import optimize, stats
from scipy.special import (
    digamma,
    expit,
    gammaincc,
    gammaln,
    log_ndtr,
    log_softmax,
    logsumexp,
    polygamma,
)
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from ._activations import ACTIVATIONS
from ._mixture import MixtureDistribution

_LOG_2PI = np.log(2 * np.pi)
#: Raw log-scales and log-rates are clipped here so that exp() stays finite.
_LOG_LIMIT = 30.0
#: The smallest spread :meth:`Distribution.fit_constants` fits, in the
#: standardized units of training (see :func:`_floor_spread`).
SPREAD_FLOOR = 1e-3


class Parameter(NamedTuple):
    """One block of raw outputs (a column per target) as a distribution
    declares it.

    The ``role`` gives the block's link and everything that follows from
    it: how it starts (the intercept-only model), how it moves when training
    standardizes the targets (``raw_affine``), and whether the distribution
    predicts a spread.

    - ``"mean"``: the mean or location, through the distribution's ``link``;
      it starts at the link of the weighted mean and moves as the targets
      (``raw * scale + shift``).
    - ``"log_scale"``: the log of a spread, through ``exp``; it starts at
      the log of the targets' standard deviation and moves by
      ``+ log(scale)``.
    - ``"shape"``: a dimensionless parameter; it starts at 0 and does not
      move.
    - ``"coefficient"``: a coefficient between two targets, one column per
      pair of them (:class:`MultivariateGaussian`'s); the distribution that
      declares it says how its block starts and moves.
    """

    name: str
    role: str = "mean"


class Distribution(BaseEstimator):
    """Base class of the likelihoods: the interface, declared once.

    A distribution is a small scikit-learn object: its constructor only
    stores its parameters (``link`` and any of its own, such as
    ``StudentT(df=5)``), so that ``distribution__df`` can be searched by
    ``GridSearchCV``. Fitted constants end with ``_`` (``scale_``).

    A distribution declares its ``parameters``, one :class:`Parameter` per
    block of raw outputs: the raw network output of ``k`` targets has
    ``n_params * k`` columns, ``raw[:, :k]`` the first parameter (the mean or
    location, through ``link``), ``raw[:, k:2k]`` the second, and so on. The
    intercept-only start, the mapping of the raw outputs to the targets'
    units and whether the distribution predicts a spread follow from them.
    A distribution with another layout (:class:`MultivariateGaussian`, a
    column per pair of targets) says so through :meth:`n_raw`,
    :meth:`n_target_columns`, :meth:`raw_columns_of` and :meth:`split`,
    from which the estimators take the layout.

    Subclasses set the class attributes below and implement :meth:`nll`,
    :meth:`gradient` and :meth:`scipy_distribution` (and :meth:`mean` unless
    it is the link of the first raw block); the others have defaults that
    subclasses may override. The first fit of a distribution that is not a
    built-in one checks these methods against each other, as
    :func:`sklearn_mle_nn.utils.check_distribution` does.

    Parameters
    ----------
    link : str or None, default=None
        The activation from the first raw parameter to the mean (or
        location); None takes ``canonical_link``.

    Examples
    --------
    An exponential likelihood for positive targets, ``mean = exp(raw)``:

    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_mle_nn import MLERegressor
    >>> from sklearn_mle_nn.distributions import Distribution
    >>> class Exponential(Distribution):
    ...     canonical_link = "exp"
    ...     links = ("exp",)
    ...     support = "positive numbers"
    ...
    ...     def nll(self, y, raw):
    ...         return np.sum(y * np.exp(-raw) + raw, axis=1)
    ...
    ...     def gradient(self, y, raw, out=None):
    ...         return 1 - y * np.exp(-raw)
    ...
    ...     def scipy_distribution(self, raw):
    ...         return stats.expon(scale=self.mean(raw))
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MLERegressor(distribution=Exponential(), random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    #: Name used by the ``distribution`` parameter of the estimators.
    name = None
    #: The blocks of raw outputs, in order (see :class:`Parameter`).
    parameters = (Parameter("mean"),)
    #: The link whose derivative cancels in the NLL gradient: with it, the
    #: gradient with respect to the raw mean is ``mean - y`` (over the
    #: variance function). None: no allowed link is canonical.
    canonical_link = "identity"
    #: The link of the mean when ``link`` is None; None: the canonical one.
    default_link = None
    #: The links allowed for the mean.
    links = ("identity",)
    #: Whether training standardizes real targets (a location-scale family),
    #: each block then mapping back as its role says.
    standardize_targets = False
    #: Fitted constants that a stream (``partial_fit``) pools over its
    #: chunks, by name, with the power of their weighted power mean: 2 pools
    #: them as root-mean-squares (variances), 1 as means (mean absolute
    #: deviations). Any other constant is the latest chunk's.
    pooled_constants = {}
    #: What the targets must be, for error messages and the docs.
    support = "real numbers"
    #: Whether a target row is one label, one-hot over its columns: only a
    #: classifier's multiclass outputs are (a regressor's or an
    #: autoencoder's columns are variables of their own).
    one_hot_targets = False
    #: Whether this is a likelihood of class labels given their
    #: probabilities (the cross-entropy): a classifier takes it for the
    #: cross-entropy of whichever output it has, :class:`Bernoulli` on
    #: logistic outputs, :class:`Categorical` on softmax ones.
    label_likelihood = False

    _parameter_constraints: dict = {"link": [str, None]}

    def __init__(self, link=None):
        self.link = link

    # ---- the link ----------------------------------------------------------

    @property
    def activation(self):
        """The activation of the first parameter (validated here)."""
        default = self.default_link or self.canonical_link
        link = default if self.link is None else self.link
        if link not in self.links:
            raise ValueError(
                f"out_activation={link!r} cannot give the mean of a "
                f"{self.name or type(self).__name__!r} distribution; use one "
                f"of {sorted(self.links)} or None for its default "
                f"{default!r}."
            )
        return ACTIVATIONS[link]

    @property
    def is_canonical(self):
        """Whether the link is the canonical one (its derivative cancels)."""
        return self.activation.name == self.canonical_link

    @property
    def n_params(self):
        """Raw outputs per target: one per declared parameter."""
        return len(self.parameters)

    @property
    def predicts_spread(self):
        """Whether the network predicts a spread (a ``"log_scale"`` block)."""
        return any(parameter.role == "log_scale" for parameter in self.parameters)

    def n_raw(self, n_targets):
        """Number of raw network outputs for ``n_targets`` targets."""
        return self.n_params * n_targets

    def n_targets(self, n_columns):
        """How many variables ``n_columns`` target columns hold: one per
        column, but one label in a categorical's indicator columns."""
        return n_columns

    def n_target_columns(self, n_raw):
        """Number of target columns whose raw outputs number ``n_raw``: the
        inverse of :meth:`n_raw`."""
        return n_raw // self.n_params

    def raw_columns_of(self, targets):
        """The raw outputs that involve any of the ``targets``.

        Parameters
        ----------
        targets : ndarray of bool of shape (n_target_columns,)
            A mask of target columns.

        Returns
        -------
        columns : ndarray of bool of shape (n_raw,)
            The mask of every raw output that is a parameter of one of them:
            its column in each block, by default.
        """
        return np.tile(targets, self.n_params)

    def split(self, raw):
        """Views of ``raw``, one ``(n, n_targets)`` block per parameter."""
        k = raw.shape[1] // self.n_params
        return [raw[:, i * k : (i + 1) * k] for i in range(self.n_params)]

    # ---- what every distribution implements --------------------------------

    def nll(self, y, raw):
        """Negative log-likelihood of every sample, summed over targets.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
            Targets.
        raw : ndarray of shape (n_samples, n_raw)
            Raw network outputs.

        Returns
        -------
        nll : ndarray of shape (n_samples,)
            ``-log p(y_i | raw_i)``, with the fitted constants (their
            training value, 1, before :meth:`fit_constants`).
        """
        raise NotImplementedError

    def gradient(self, y, raw, out=None):
        """``d NLL_i / d raw_i`` for every sample.

        The returned array is what counts: a subclass may write it into
        ``out`` (and return ``out``) or ignore ``out`` and return a new array,
        which the caller then copies into its buffer.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
            Targets.
        raw : ndarray of shape (n_samples, n_raw)
            Raw network outputs.
        out : ndarray of shape (n_samples, n_raw), default=None
            A buffer the result may be written to.

        Returns
        -------
        gradient : ndarray of shape (n_samples, n_raw)
        """
        raise NotImplementedError

    def mean(self, raw):
        """The mean of p(y | raw), shape ``(n_samples, n_targets)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Bernoulli
        >>> Bernoulli().mean(np.array([[0.0, 2.0]])).round(3)
        array([[0.5  , 0.881]])
        """
        return self.activation.forward(np.array(self.split(raw)[0], copy=True))

    def scipy_distribution(self, raw):
        """The predicted distribution as a frozen, vectorised ``scipy.stats``
        object of shape ``(n_samples, n_targets)``."""
        raise NotImplementedError

    # ---- defaults ----------------------------------------------------------

    def log_likelihood(self, y, raw):
        """``log p(y_i | raw_i)``, what :meth:`scipy_distribution` gives.

        The estimators' ``log_likelihood`` and ``score_samples``; ``-nll``
        by default. It differs from ``-nll`` only where training uses an
        extension of the likelihood beyond its support (:class:`Poisson`'s
        non-integer targets).
        """
        return -self.nll(y, raw)

    def nll_and_gradient(self, y, raw, gradient, sample_weight=None):
        """Sum of the (weighted) NLL of a batch, and its per-sample gradient.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_targets)
            Targets.
        raw : ndarray of shape (n_samples, n_raw)
            Raw network outputs.
        gradient : ndarray of shape (n_samples, n_raw)
            Buffer that receives ``d NLL_i / d raw_i`` (unweighted).
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the samples in the returned sum.

        Returns
        -------
        nll : float
            ``sum_i w_i NLL_i``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Gaussian
        >>> y, raw = np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]])
        >>> buffer = np.empty_like(raw)
        >>> total = Gaussian().nll_and_gradient(y, raw, buffer)
        >>> bool(np.isclose(total, Gaussian().nll(y, raw).sum()))
        True
        >>> buffer.ravel().tolist()
        [-1.0, -3.0]
        """
        self._gradient_into(y, raw, gradient)
        return _weighted_sum(self.nll(y, raw), sample_weight)

    def _gradient_into(self, y, raw, out):
        """:meth:`gradient` in ``out``, whether it wrote there or returned a
        new array (the returned array is what counts)."""
        gradient = self.gradient(y, raw, out=out)
        if gradient is not out:
            out[...] = gradient
        return out

    def std(self, raw):
        """The standard deviation of p(y | raw), ``(n_samples, n_targets)``."""
        return np.asarray(self.scipy_distribution(raw).std(), dtype=raw.dtype)

    def sample(self, raw, n_samples, random_state):
        """Draws from p(y | raw), shape ``(n_samples_X, n_targets, n_samples)``.

        Parameters
        ----------
        raw : ndarray of shape (n_samples_X, n_raw)
            Raw network outputs.
        n_samples : int
            Draws per row.
        random_state : RandomState instance
            Source of the draws.
        """
        dist = self.scipy_distribution(raw)
        k = raw.shape[1] // self.n_params
        draws = dist.rvs(size=(n_samples, raw.shape[0], k), random_state=random_state)
        return np.moveaxis(draws, 0, -1).astype(raw.dtype)

    def check_target(self, y, what="targets"):
        """Raise a ValueError when ``y`` lies outside the support."""

    def intercept_only_raw(self, y, sample_weight=None):
        """Raw output of the best constant model, shape ``(1, n_raw)``.

        The network contains this intercept-only model (every weight zero);
        a fit whose likelihood is worse than its likelihood has failed. The
        default starts each declared parameter as its role says: the mean
        at the link of the (weighted) mean, clipped into the link's range, a
        log-scale at the log of the standard deviation, a shape at 0.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Bernoulli
        >>> Bernoulli().intercept_only_raw(np.array([[1.0], [0.0], [0.0], [0.0]]))
        array([[-1.09861229]])
        """
        mean = np.average(y, axis=0, weights=sample_weight)
        blocks = []
        for parameter in self.parameters:
            if parameter.role == "mean":
                blocks.append(self.activation.inverse(mean[np.newaxis, :]))
            elif parameter.role == "log_scale":
                log_scale = np.maximum(_log_std(y, mean, sample_weight), np.log(_EPS))
                blocks.append(log_scale[np.newaxis, :])
            else:
                blocks.append(np.zeros((1, y.shape[1])))
        return np.concatenate(blocks, axis=1)

    def raw_curvature(self, y, sample_weight=None):
        """The NLL's second derivative in the raw outputs at the intercept-only
        model (the largest over the outputs): its Fisher information.

        Training divides its gradient steps by it where it exceeds one, so
        that ``learning_rate_init`` means the same whatever the scale of the
        targets. The default, 1, is that of a location family on
        standardized targets, and bounds the bounded families (a Bernoulli's
        is at most 1/4).
        """
        return 1.0

    def fit_constants(self, y, raw, sample_weight=None):
        """Fit the constant (nuisance) parameters by maximum likelihood.

        Called once after training, on the training targets and raw outputs
        in training space. A fitted spread is at least :data:`SPREAD_FLOOR`
        there. The default has none to fit.
        """
        return self

    def location_and_scale(self, y, sample_weight=None):
        """The intercept-only model's location and scale, per column.

        Training standardizes the targets of a location-scale family
        (``standardize_targets``) by them and holds its constant scale at 1:
        the intercept-only model is then exactly the one of location 0 and
        scale 1, and the scale training holds is that of the data, not one
        that a few outliers inflate. The Gaussian's are the mean and the
        standard deviation, the default.
        """
        location = np.average(y, axis=0, weights=sample_weight)
        variance = np.average((y - location) ** 2, axis=0, weights=sample_weight)
        return location, np.sqrt(variance)

    def pool_constants(self, earlier, earlier_weight, weight):
        """Pool the constants fitted on a stream's latest chunk with the earlier's.

        ``self`` holds the constants fitted on the latest chunk (of total
        sample weight ``weight``), ``earlier`` the fitted distribution of the
        chunks before it (of total weight ``earlier_weight``), both in the
        targets' units. ``partial_fit`` calls it, so that a stream's
        constants are those of every chunk it has seen, not of the last
        one: each of ``pooled_constants`` becomes the weighted power mean of
        the two (power 2 is exact for a variance, 1 for a mean absolute
        deviation); any other constant is the latest chunk's.
        """
        for name, power in self.pooled_constants.items():
            latest, before = getattr(self, name), getattr(earlier, name)
            pooled = (
                earlier_weight * np.asarray(before, dtype=float) ** power
                + weight * np.asarray(latest, dtype=float) ** power
            ) / (earlier_weight + weight)
            setattr(self, name, (pooled ** (1 / power)).astype(latest.dtype))
        return self

    @property
    def fits_constants(self):
        """Whether :meth:`fit_constants` does anything (it is overridden), so
        that the raw outputs of all the training data must be kept for it."""
        return type(self).fit_constants is not Distribution.fit_constants

    def rescale_constants(self, scale):
        """Map fitted constants from standardized to the targets' units."""
        return self

    def raw_affine(self, scale, shift):
        """``(col_scale, col_shift)`` that map standardized raw outputs to the
        targets' units as ``raw * col_scale + col_shift``, column by column.

        Only used when :attr:`standardize_targets`; each block moves as its
        parameter's role says: a mean by ``* scale + shift``, a log-scale by
        ``+ log(scale)``, a shape not at all.
        """
        moves = {
            "mean": (scale, shift),
            "log_scale": (np.ones_like(scale), np.log(scale)),
            "shape": (np.ones_like(scale), np.zeros_like(shift)),
        }
        col_scale, col_shift = zip(*(moves[p.role] for p in self.parameters))
        return np.concatenate(col_scale), np.concatenate(col_shift)

    def estimator_attributes(self):
        """Fitted attributes the estimator exposes (``{'sigma_': ...}``)."""
        return {}

    def calibrate(self, y, raw, sample_weight=None):
        """Fit constants on held-out rows, after :meth:`fit_constants`.

        Called once after training with early stopping, on the validation
        rows (targets and raw outputs in training space). A spread that the
        network learned from training residuals is too small for new data
        (the mean was fitted to those very residuals); held-out rows tell by
        how much. The default calibrates nothing.
        """
        return self

    @property
    def calibrates(self):
        """Whether :meth:`calibrate` does anything (it is overridden), so
        that the training likelihood must be measured again after it."""
        return type(self).calibrate is not Distribution.calibrate

    def take_calibration(self, calibrated):
        """Take what :meth:`calibrate` fitted on ``calibrated``: a fitted
        copy of this distribution for a network trained as this one was, on
        fewer rows, whose held-out rows calibrated it (a fit on all the rows
        has none to calibrate on: ``early_stopping='refit'``). The default
        takes nothing, as :meth:`calibrate` fits nothing."""
        return self

    def with_censoring(self, censored=True):
        """A copy that takes right-censored targets (or, with
        ``censored=False``, this one).

        In censored targets a censored time ``t`` (the event had not
        happened by ``t``) is encoded as ``-t``; its likelihood is the
        survival function ``P(Y > t)`` instead of the density. The
        regressor encodes scikit-survival's structured ``y`` so. Only the
        likelihoods of positive times have it: :class:`LogNormal`,
        :class:`Gamma` and :class:`Weibull`.
        """
        if not censored:
            return self
        names = sorted(
            name
            for name, cls in DISTRIBUTIONS.items()
            if issubclass(cls, _SurvivalTimes)
        )
        raise ValueError(
            f"distribution={self.name or type(self).__name__!r} cannot fit "
            "censored targets (a structured y of event indicators and times): "
            "that needs the survival function of a likelihood of positive "
            f"times; use one of {names}."
        )

    @property
    def censored(self):
        """Whether negative targets are censored times (:meth:`with_censoring`)."""
        return False

    def compiled_loss(self):
        """The compiled kernel of the NLL and its gradient, or None.

        Returns ``(kernel, constants)``: the name of a loss kernel of
        ``sklearn_mle_nn._compiled`` (its ``LOSS_KERNELS``), for this
        likelihood with its canonical link, and the constants it takes (a
        tuple of floats, passed to it as one float64 array). None, the
        default, trains on numpy, which serves every distribution (see the
        compiled path in the docs). Only the class that defines this method
        gets its kernel: a subclass may change any method the kernel stands
        for, and declares its own.
        """
        return None


class LocationScale(Distribution):
    """Base of the location-scale families with a constant scale per target.

    The network gives the location (the mean parameter, through ``link``);
    the scale is a constant per target, ``scale_``: training holds it at 1
    on targets standardized by the intercept-only model's own location and
    scale (:meth:`location_and_scale`), :meth:`fit_constants` fits it after
    training, :meth:`rescale_constants` takes it to the targets' units and a
    stream pools it as ``pooled_constants`` says. A family is its formulas
    (``nll``, ``gradient``, ``fit_constants``) and its ``scipy.stats``
    counterpart (:meth:`_frozen`).
    """

    links = ("identity", "logistic", "tanh", "relu")
    standardize_targets = True
    pooled_constants = {"scale_": 2}
    #: The estimator attribute that exposes ``scale_``.
    scale_attribute = "scale_"

    @property
    def _scale(self):
        """The fitted scale, or 1, the value training holds."""
        return getattr(self, "scale_", 1.0)

    def rescale_constants(self, scale):
        self.scale_ = (self.scale_ * scale).astype(self.scale_.dtype)
        return self

    def _location(self, raw):
        """The location: the link of the first raw block (the mean of the
        symmetric families, not of a transformed one such as the log-normal)."""
        return Distribution.mean(self, raw)

    def scipy_distribution(self, raw):
        location = self._location(raw)
        return self._frozen(location, np.broadcast_to(self._scale, location.shape))

    def _frozen(self, location, scale):
        """The family's frozen ``scipy.stats`` object at ``location, scale``."""
        raise NotImplementedError

    def estimator_attributes(self):
        return {self.scale_attribute: self.scale_} if hasattr(self, "scale_") else {}


class _SurvivalTimes(Distribution):
    """Base of the likelihoods of positive times that may be right-censored.

    A family is its per-target terms: the NLL of an observed time
    (``_event_nll``, ``-log f``), of a censored one (``_censored_nll``,
    ``-log S``, the survival function) and their gradients in the raw
    output, each at a given value of its constant (a shape or a spread,
    ``constant_attribute``). In censored targets (:meth:`with_censoring`)
    a row ``-t`` is a time ``t`` censored, and takes ``-log S(t)``; the
    training loop does not know: it sees one NLL and its gradient.

    Censoring breaks the independence of the mean and the constant that
    lets plain targets train at a constant of 1: the fit of the mean to a
    censored row depends on the spread assumed. Training on censored
    targets holds the constant at that of the intercept-only model, fitted
    with its raw output by maximum likelihood on the censored targets (the
    first :meth:`intercept_only_raw`, with which every fit starts);
    :meth:`fit_constants` then fits it by maximum likelihood, censored rows
    by their survival function, given the network's outputs.
    """

    support = "positive numbers (y > 0)"
    #: The fitted constant, by name.
    constant_attribute = "shape_"
    #: The range of the constant's natural log that :meth:`fit_constants`
    #: searches.
    log_constant_bounds = (-8.0, 8.0)

    @property
    def _constant(self):
        """The fitted constant, else the one training holds (1 before the
        intercept-only model of censored targets fixes it)."""
        return getattr(
            self, self.constant_attribute, getattr(self, "_training_constant", 1.0)
        )

    @property
    def censored(self):
        return getattr(self, "_censored", False)

    def with_censoring(self, censored=True):
        resolved = copy.deepcopy(self)
        resolved._censored = bool(censored)
        return resolved

    # ---- the family's terms, per target --------------------------------

    def _event_nll(self, time, raw, constant):
        raise NotImplementedError

    def _censored_nll(self, time, raw, constant):
        raise NotImplementedError

    def _event_gradient(self, time, raw, constant):
        raise NotImplementedError

    def _censored_gradient(self, time, raw, constant):
        raise NotImplementedError

    def _plain_intercept_only_raw(self, y, sample_weight):
        raise NotImplementedError

    def _fisher_information(self, constant):
        """``d^2 NLL / d raw^2`` of an observed time at its best raw output."""
        return 1.0

    # ---- the likelihood ----------------------------------------------------

    def _terms(self, event_term, censored_term, y, raw, constant):
        """Per-target terms, in the raw outputs' dtype: ``event_term`` of
        every observed time, ``censored_term`` of every censored one."""
        if not self.censored:
            terms = event_term(y, raw, constant)
        else:
            time, event = np.abs(y), y > 0
            constant = np.broadcast_to(np.asarray(constant, dtype=float), y.shape)
            terms = np.empty(y.shape)
            for rows, term in ((event, event_term), (~event, censored_term)):
                terms[rows] = term(time[rows], raw[rows], constant[rows])
        return terms.astype(raw.dtype, copy=False)

    def _nll_terms(self, y, raw, constant):
        return self._terms(self._event_nll, self._censored_nll, y, raw, constant)

    def nll(self, y, raw):
        return np.sum(self._nll_terms(y, raw, self._constant), axis=1)

    def gradient(self, y, raw, out=None):
        gradient = self._terms(
            self._event_gradient, self._censored_gradient, y, raw, self._constant
        )
        return gradient if out is None else _assign(out, gradient)

    def check_target(self, y, what="targets"):
        # A censored time is encoded negative: its magnitude is the time.
        _check_positive(np.abs(y) if self.censored else y, what, self.name)

    def raw_curvature(self, y, sample_weight=None):
        return float(np.max(self._fisher_information(np.asarray(self._constant))))

    # ---- constants ---------------------------------------------------------

    def intercept_only_raw(self, y, sample_weight=None):
        if not self.censored:
            return self._plain_intercept_only_raw(y, sample_weight)
        if not hasattr(self, "_training_constant"):
            # The first intercept-only model is that of the training data:
            # training holds its constant.
            self._training_constant = self._best_constant_model(y, sample_weight)
        return np.array(
            [
                self._best_raw(y[:, [j]], sample_weight, constant)
                for j, constant in enumerate(self._constants(y.shape[1]))
            ]
        )[np.newaxis, :]

    def fit_constants(self, y, raw, sample_weight=None):
        y, raw = np.asarray(y, dtype=float), np.asarray(raw, dtype=float)
        fitted = [
            self._best_constant(y[:, [j]], raw[:, [j]], sample_weight)
            for j in range(y.shape[1])
        ]
        setattr(self, self.constant_attribute, np.array(fitted, dtype=raw.dtype))
        return self

    def estimator_attributes(self):
        name = self.constant_attribute
        return {name: getattr(self, name)} if hasattr(self, name) else {}

    def _constants(self, n_targets):
        return np.broadcast_to(np.asarray(self._constant, dtype=float), (n_targets,))

    def _mean_nll(self, y, raw, constant, sample_weight):
        """Weighted mean NLL of one column at ``constant``."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            terms = self._nll_terms(y, raw, constant)[:, 0]
        value = np.average(terms, weights=sample_weight)
        return value if np.isfinite(value) else np.inf

    def _best_raw(self, y, sample_weight, constant):
        """The maximum-likelihood constant raw output of one column at
        ``constant``: the NLL is convex in it; bounded Brent from the
        plain model's raw output of the times."""
        start = float(self._plain_intercept_only_raw(np.abs(y), sample_weight)[0, 0])
        low, high = max(start - 20, -_LOG_LIMIT), min(start + 20, _LOG_LIMIT)

        def mean_nll(value):
            raw = np.full_like(y, value)
            return self._mean_nll(y, raw, constant, sample_weight)

        result = optimize.minimize_scalar(
            mean_nll, bounds=(low, high), method="bounded", options={"xatol": 1e-10}
        )
        return result.x

    def _best_constant(self, y, raw, sample_weight):
        """The maximum-likelihood constant of one column given its raw outputs."""

        def mean_nll(log_constant):
            return self._mean_nll(y, raw, np.exp(log_constant), sample_weight)

        result = optimize.minimize_scalar(
            mean_nll,
            bounds=self.log_constant_bounds,
            method="bounded",
            options={"xatol": 1e-10},
        )
        return np.exp(result.x)

    def _best_constant_model(self, y, sample_weight):
        """The constant of the intercept-only model of every column, fitted
        with its raw output (profiled out) by maximum likelihood."""
        constants = []
        for j in range(y.shape[1]):
            column = y[:, [j]]

            def profile(log_constant, column=column):
                constant = np.exp(log_constant)
                raw = np.full_like(
                    column, self._best_raw(column, sample_weight, constant)
                )
                return self._mean_nll(column, raw, constant, sample_weight)

            result = optimize.minimize_scalar(
                profile,
                bounds=self.log_constant_bounds,
                method="bounded",
                options={"xatol": 1e-8},
            )
            constants.append(np.exp(result.x))
        return np.array(constants)


class Gaussian(LocationScale):
    """Normal likelihood with a constant standard deviation per target.

    *Domain*: y real. *Link*: identity (canonical); logistic, tanh, relu and
    softmax are accepted (the seed's "MSE with a sigmoid").
    ``NLL = 0.5 ((y - mean) / scale)**2 + log(scale) + 0.5 log(2 pi)`` per
    target. Training holds ``scale = 1`` on standardized targets, so the NLL
    is half the squared error plus a constant; :meth:`fit_constants` then sets
    ``scale_`` to the root-mean-square residual.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sklearn_mle_nn.distributions import Gaussian
    >>> y, raw = np.array([[1.0], [2.5]]), np.array([[0.5], [2.0]])
    >>> bool(np.allclose(Gaussian().nll(y, raw), -norm.logpdf(y, raw).ravel()))
    True
    >>> Gaussian().gradient(y, raw).ravel().tolist()
    [-0.5, -0.5]
    """

    name = "gaussian"
    links = ("identity", "logistic", "tanh", "relu", "softmax")
    scale_attribute = "sigma_"

    def nll(self, y, raw):
        z = (y - self._location(raw)) / self._scale
        log_scale = np.sum(np.log(np.broadcast_to(self._scale, (y.shape[1],))))
        return (
            0.5 * np.einsum("ij,ij->i", z, z) + log_scale + 0.5 * y.shape[1] * _LOG_2PI
        )

    def gradient(self, y, raw, out=None):
        out = _copy(raw, out)
        mean = self.activation.forward(out)
        link_output = None if self.is_canonical else mean.copy()
        # Identity link: d NLL / d raw = mean - y, nothing to multiply.
        residual = np.subtract(mean, y, out=out)
        if hasattr(self, "scale_"):  # training holds the scale at 1
            residual /= np.square(self.scale_)
        if link_output is None:
            return residual
        # A squashing link keeps its derivative (after the scale: softmax
        # mixes the columns): the error signal fades where the output
        # saturates (the seed's "MSE learns slowly" experiment).
        return self.activation.backward(link_output, residual)

    def nll_and_gradient(self, y, raw, gradient, sample_weight=None):
        if not self.is_canonical or hasattr(self, "scale_"):
            return super().nll_and_gradient(y, raw, gradient, sample_weight)
        # The residual is the gradient: reuse it for the loss.
        residual = self._gradient_into(y, raw, gradient)
        if sample_weight is None:
            squares, total_weight = np.vdot(residual, residual), len(y)
        else:
            squares = _weighted_sum(
                np.einsum("ij,ij->i", residual, residual), sample_weight
            )
            total_weight = sample_weight.sum()
        return float(0.5 * squares + 0.5 * y.shape[1] * _LOG_2PI * total_weight)

    def fit_constants(self, y, raw, sample_weight=None):
        residual = y - self._location(raw)
        variance = np.average(residual * residual, axis=0, weights=sample_weight)
        self.scale_ = _floor_spread(np.sqrt(variance), raw.dtype)
        return self

    def std(self, raw):
        return np.broadcast_to(self._scale, self._location(raw).shape).astype(raw.dtype)

    def sample(self, raw, n_samples, random_state):
        mean = self._location(raw)
        scale = np.broadcast_to(self._scale, mean.shape[-1:])[:, np.newaxis]
        noise = random_state.standard_normal(mean.shape + (n_samples,))
        return (mean[..., np.newaxis] + scale * noise).astype(raw.dtype, copy=False)

    def _frozen(self, location, scale):
        return stats.norm(location, scale)

    def compiled_loss(self):
        # The kernel holds the scale at 1, as training does before it is fitted.
        return None if hasattr(self, "scale_") else ("gaussian_loss", (0.5 * _LOG_2PI,))


class LogNormal(_SurvivalTimes, Gaussian):
    """Log-normal likelihood for positive targets: log y is Gaussian.

    *Domain*: y > 0 (prices, incomes, concentrations: a spread that grows
    with the level, a long right tail). The network gives ``mu``, the mean
    of ``log y`` (identity link); ``sigma``, the standard deviation of
    ``log y``, is a constant per target (``sigma_``). It is the
    :class:`Gaussian` of ``log y``: ``NLL = 0.5 ((log y - mu) / sigma)**2 +
    log(sigma) + 0.5 log(2 pi) + log y``, the last term the Jacobian that
    makes it a density of ``y``, and ``d NLL / d mu = (mu - log y) /
    sigma**2``. Training holds ``sigma = 1`` on ``log y`` as given (a
    change of ``y``'s units only shifts ``log y``, which the intercept
    absorbs); :meth:`fit_constants` then sets ``sigma_`` to the
    root-mean-square residual of ``log y``, at least :data:`SPREAD_FLOOR`.
    The mean is ``exp(mu + sigma**2 / 2)``, what ``predict`` gives; the
    median is ``exp(mu)``. A censored time's term is ``-log Phi((mu - log
    t) / sigma)``, its survival function (:meth:`with_censoring`); on
    censored targets training holds the intercept-only model's sigma.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import lognorm
    >>> from sklearn_mle_nn.distributions import LogNormal
    >>> y, raw = np.array([[1.5], [0.2]]), np.array([[0.3], [-1.0]])
    >>> dist = LogNormal()
    >>> dist.scale_ = np.array([0.5])
    >>> expected = -lognorm.logpdf(y, 0.5, scale=np.exp(raw)).ravel()
    >>> bool(np.allclose(dist.nll(y, raw), expected))
    True
    >>> dist.mean(raw).ravel().round(4)
    array([1.5296, 0.4169])
    """

    name = "lognormal"
    links = ("identity",)
    support = "positive numbers (y > 0)"
    # An affine map of y is no map of log y: a change of units only shifts
    # log y, which the intercept-only start absorbs.
    standardize_targets = False

    constant_attribute = "scale_"
    # sigma in log units: from the spread floor to 1e3.
    log_constant_bounds = (math.log(SPREAD_FLOOR), math.log(1e3))

    @property
    def _scale(self):
        return self._constant

    def _event_nll(self, time, raw, scale):
        log_time = np.log(time)
        z = (log_time - raw) / scale
        return 0.5 * z * z + np.log(scale) + 0.5 * _LOG_2PI + log_time

    def _censored_nll(self, time, raw, scale):
        # -log S(t) = -log Phi(-(log t - mu) / sigma), without cancellation.
        return -log_ndtr((raw - np.log(time)) / scale)

    def _event_gradient(self, time, raw, scale):
        return (raw - np.log(time)) / np.square(scale)

    def _censored_gradient(self, time, raw, scale):
        # -phi(w) / (sigma Phi(-w)), the inverse Mills ratio, in logs.
        w = (np.log(time) - raw) / scale
        return -np.exp(-0.5 * w * w - 0.5 * _LOG_2PI - log_ndtr(-w)) / scale

    def _fisher_information(self, scale):
        return 1 / np.square(scale)

    # Not the Gaussian's shortcut: it would take the log of log y.
    nll_and_gradient = Distribution.nll_and_gradient

    def _plain_intercept_only_raw(self, y, sample_weight):
        return Gaussian.intercept_only_raw(self, np.log(y), sample_weight)

    def fit_constants(self, y, raw, sample_weight=None):
        if self.censored:
            return super().fit_constants(y, raw, sample_weight)
        return Gaussian.fit_constants(self, np.log(y), raw, sample_weight)

    estimator_attributes = Gaussian.estimator_attributes

    def mean(self, raw):
        return np.exp(self._location(raw) + 0.5 * np.square(self._scale)).astype(
            raw.dtype, copy=False
        )

    def std(self, raw):
        spread = np.sqrt(np.expm1(np.square(self._scale)))
        return (self.mean(raw) * spread).astype(raw.dtype, copy=False)

    def sample(self, raw, n_samples, random_state):
        return np.exp(super().sample(raw, n_samples, random_state))

    def _frozen(self, location, scale):
        return stats.lognorm(scale, scale=np.exp(location))

    def compiled_loss(self):
        # The Gaussian's kernel would fit log y but report the NLL without
        # its Jacobian: a log-normal trains on numpy.
        return None


class HeteroscedasticGaussian(Distribution):
    """Normal likelihood whose mean *and* spread are outputs of the network.

    *Domain*: y real. *Parameters per target*: the mean (identity link,
    canonical) and ``log(sigma)`` (raw, exponentiated). ``NLL = 0.5 z**2 +
    log(sigma) + 0.5 log(2 pi)`` with ``z = (y - mean) / sigma``: the squared
    error weighted by ``1 / sigma(x)**2``, plus ``log sigma(x)``.
    ``d NLL / d mean_raw = (mean - y) / sigma**2`` and ``d NLL / d
    log(sigma) = 1 - z**2``. After training with early stopping,
    :meth:`calibrate` multiplies ``sigma(x)`` by ``spread_factor_`` (one per
    target, 1 during training), fitted on the validation rows: the factor
    of their maximum likelihood, or 1 if that is below 1.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sklearn_mle_nn.distributions import HeteroscedasticGaussian
    >>> y, raw = np.array([[1.0]]), np.array([[0.5, np.log(2.0)]])
    >>> nll = HeteroscedasticGaussian().nll(y, raw)
    >>> bool(np.allclose(nll, -norm.logpdf(1.0, 0.5, 2.0)))
    True
    """

    name = "heteroscedastic_gaussian"
    parameters = (Parameter("mean"), Parameter("log_scale", role="log_scale"))
    standardize_targets = True

    def _mean_and_log_scale(self, raw):
        location, log_scale = self.split(raw)
        if hasattr(self, "spread_factor_"):  # training holds the factor at 1
            log_scale = log_scale + np.log(self.spread_factor_).astype(raw.dtype)
        # The clip is training's, in standardized units: the fitted copy's
        # log-scales, in the targets' units, are shifted by log(scale).
        middle = getattr(self, "_log_target_scale", 0.0)
        return (
            self.activation.forward(np.array(location, copy=True)),
            np.clip(log_scale, middle - _LOG_LIMIT, middle + _LOG_LIMIT).astype(
                log_scale.dtype, copy=False
            ),
        )

    def rescale_constants(self, scale):
        # Standardized targets: log-scales beyond 30 from log(scale) were
        # clipped (sigma of targets around 1e14 was held below 1e13).
        self._log_target_scale = np.log(scale)
        return self

    def nll(self, y, raw):
        mean, log_scale = self._mean_and_log_scale(raw)
        z = (y - mean) * np.exp(-log_scale)
        return np.sum(0.5 * z * z + log_scale, axis=1) + 0.5 * y.shape[1] * _LOG_2PI

    def gradient(self, y, raw, out=None):
        out = np.empty_like(raw) if out is None else out
        mean, log_scale = self._mean_and_log_scale(raw)
        inverse_variance = np.exp(-2 * log_scale)
        location_grad, log_scale_grad = self.split(out)
        residual = mean - y
        np.multiply(residual, inverse_variance, out=location_grad)
        if not self.is_canonical:
            self.activation.backward(mean, location_grad)
        np.subtract(1.0, residual * residual * inverse_variance, out=log_scale_grad)
        return out

    def std(self, raw):
        return np.exp(self._mean_and_log_scale(raw)[1]).astype(raw.dtype)

    def scipy_distribution(self, raw):
        mean, log_scale = self._mean_and_log_scale(raw)
        return stats.norm(mean, np.exp(log_scale))

    def calibrate(self, y, raw, sample_weight=None):
        # One factor per target multiplies sigma(x), at least 1: training
        # residuals can only make the spread too small. The likelihood of the
        # held-out rows is unimodal in the factor, with its maximum at the
        # root-mean-square of their z: the factor is that, or 1 if it is
        # below. (A factor below 1 comes from a few lucky validation rows:
        # on noise it made held-out fits worse, not better.)
        mean, log_scale = self._mean_and_log_scale(raw)
        z = (y - mean) * np.exp(-log_scale)
        mean_square = np.average(z * z, axis=0, weights=sample_weight)
        factor = np.sqrt(np.maximum(mean_square, 1.0))
        self.spread_factor_ = getattr(self, "spread_factor_", 1.0) * factor
        return self

    def take_calibration(self, calibrated):
        if hasattr(calibrated, "spread_factor_"):
            self.spread_factor_ = np.copy(calibrated.spread_factor_)
        return self

    def compiled_loss(self):
        return "heteroscedastic_gaussian_loss", (0.5 * _LOG_2PI,)


class Laplace(LocationScale):
    """Laplace likelihood: the absolute error is its NLL.

    *Domain*: y real. *Link*: identity (canonical) for the median.
    ``NLL = |y - median| / scale + log(2 scale)``; training holds ``scale =
    1`` on standardized targets, and :meth:`fit_constants` sets ``scale_`` to
    the mean absolute residual (its maximum-likelihood value).
    ``d NLL / d median = sign(median - y) / scale``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import laplace
    >>> from sklearn_mle_nn.distributions import Laplace
    >>> y, raw = np.array([[1.0], [-2.0]]), np.array([[0.0], [0.5]])
    >>> bool(np.allclose(Laplace().nll(y, raw), -laplace.logpdf(y, raw).ravel()))
    True
    """

    name = "laplace"
    # The mean absolute residual of all the chunks.
    pooled_constants = {"scale_": 1}

    def nll(self, y, raw):
        scale = np.broadcast_to(self._scale, (y.shape[1],))
        return np.sum(np.abs(y - self.mean(raw)) / scale + np.log(2 * scale), axis=1)

    def gradient(self, y, raw, out=None):
        out = _copy(raw, out)
        mean = self.activation.forward(out)
        sign = np.sign(np.subtract(mean, y)) / self._scale
        if self.is_canonical:
            out[...] = sign
            return out
        return self.activation.backward(mean.copy(), _assign(out, sign))

    def intercept_only_raw(self, y, sample_weight=None):
        median = _weighted_median(y, sample_weight)
        return self.activation.inverse(median[np.newaxis, :])

    def fit_constants(self, y, raw, sample_weight=None):
        absolute = np.abs(y - self.mean(raw))
        scale = np.average(absolute, axis=0, weights=sample_weight)
        self.scale_ = _floor_spread(scale, raw.dtype)
        return self

    def location_and_scale(self, y, sample_weight=None):
        # The median and the mean absolute deviation from it.
        median = _weighted_median(y, sample_weight)
        scale = np.average(np.abs(y - median), axis=0, weights=sample_weight)
        return median, scale

    def _frozen(self, location, scale):
        return stats.laplace(location, scale)

    def compiled_loss(self):
        # The kernel holds the scale at 1, as training does before it is fitted.
        return None if hasattr(self, "scale_") else ("laplace_loss", (math.log(2.0),))


class StudentT(LocationScale):
    """Student's t likelihood: robust to outliers, heavy-tailed.

    *Domain*: y real. *Link*: identity (canonical) for the location.
    ``NLL = -log t_df((y - location) / scale) + log(scale)``; ``df`` (the
    degrees of freedom) is a parameter; training holds ``scale = 1`` on
    standardized targets and :meth:`fit_constants` fits ``scale_`` by
    maximum likelihood. ``d NLL / d location = (df + 1) (location - y) /
    (df scale**2 + (y - location)**2)``: a residual's pull fades as it grows,
    so outliers barely move the fit.

    Parameters
    ----------
    df : float, default=5.0
        Degrees of freedom (> 0); large ``df`` approaches the Gaussian.
    link : str or None, default=None
        The activation from the raw output to the location.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import t
    >>> from sklearn_mle_nn.distributions import StudentT
    >>> y, raw = np.array([[1.0], [9.0]]), np.array([[0.0], [0.5]])
    >>> nll = StudentT(df=3).nll(y, raw)
    >>> bool(np.allclose(nll, -t.logpdf(y, 3, raw).ravel()))
    True
    """

    name = "student_t"
    # The t's scale has no closed form over the chunks' residuals; its
    # square is a weighted mean square of them, pooled as a variance.
    pooled_constants = {"scale_": 2}

    _parameter_constraints: dict = {
        **Distribution._parameter_constraints,
        "df": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, df=5.0, link=None):
        super().__init__(link=link)
        self.df = df

    def nll(self, y, raw):
        # In closed form: a scipy.stats object per call costs 50 times more.
        df = self.df
        scale = np.broadcast_to(self._scale, (y.shape[1],))
        z = (y - self.mean(raw)) / scale
        constant = gammaln(df / 2) - gammaln((df + 1) / 2) + 0.5 * np.log(df * np.pi)
        return np.sum(
            0.5 * (df + 1) * np.log1p(z * z / df) + np.log(scale) + constant, axis=1
        )

    def gradient(self, y, raw, out=None):
        out = _copy(raw, out)
        location = self.activation.forward(out)
        residual = np.subtract(location, y)
        pull = (self.df + 1) * residual / (self.df * self._scale**2 + residual**2)
        if self.is_canonical:
            out[...] = pull
            return out
        return self.activation.backward(location.copy(), _assign(out, pull))

    def intercept_only_raw(self, y, sample_weight=None):
        # The maximum-likelihood location at the current scale (1 in
        # training, on standardized targets), not the median: the check
        # that a fit beats the intercept-only model compares with the best
        # constant.
        location = _t_location(y, self.df, self._scale, sample_weight)
        return self.activation.inverse(location[np.newaxis, :])

    def fit_constants(self, y, raw, sample_weight=None):
        scale = _t_scales(y - self.mean(raw), self.df, sample_weight)
        self.scale_ = _floor_spread(scale, raw.dtype)
        return self

    def location_and_scale(self, y, sample_weight=None, n_rounds=20):
        # Location and scale together, by turns (each turn raises the
        # likelihood), from the median and the t scale of the deviations
        # from it: a few outliers, which would inflate a standard deviation,
        # weigh little.
        y = np.asarray(y, dtype=float)
        location = _weighted_median(y, sample_weight)
        scale = _t_scales(y - location, self.df, sample_weight)
        for _ in range(n_rounds):
            positive = np.where(scale > 0, scale, 1.0)
            updated = _t_location(y, self.df, positive, sample_weight)
            scale = _t_scales(y - updated, self.df, sample_weight)
            converged = np.all(
                np.abs(updated - location) <= 1e-10 * (positive + np.abs(location))
            )
            location = updated
            if converged:
                break
        return location, scale

    def _frozen(self, location, scale):
        return stats.t(self.df, location, scale)

    def compiled_loss(self):
        # The kernel holds the scale at 1, as training does before it is fitted.
        if hasattr(self, "scale_"):
            return None
        df = float(self.df)
        constant = (
            gammaln(df / 2) - gammaln((df + 1) / 2) + 0.5 * math.log(df * math.pi)
        )
        return "student_t_loss", (float(constant), df)


class _Counts(Distribution):
    """A likelihood of counts: targets of at least 0, a non-integer one of
    probability 0 (it is fitted all the same, as a rate, by the same NLL, as
    scikit-learn's Poisson deviance takes it; its log-likelihood is -inf, as
    the ``logpmf`` of :meth:`scipy_distribution` says)."""

    support = "counts (y >= 0)"

    def log_likelihood(self, y, raw):
        counts = np.all(y == np.round(y), axis=1)
        return np.where(counts, -self.nll(y, raw), -np.inf)

    def check_target(self, y, what="targets"):
        if np.min(y) < 0:
            raise ValueError(
                f"The {self.name} likelihood needs {what} >= 0 (counts); got "
                f"values down to {np.min(y):g}."
            )


class Poisson(_Counts):
    """Poisson likelihood for counts, with the log link.

    *Domain*: y >= 0 (counts). *Link*: exp (canonical): ``rate =
    exp(raw)``. ``NLL = rate - y raw + log(y!)``; ``d NLL / d raw = rate -
    y``. Non-integer targets (rates, such as counts per exposure with the
    exposure as ``sample_weight``) are fitted as scikit-learn's
    ``PoissonRegressor`` fits them, by this NLL with ``log(y!)`` as
    ``gammaln(y + 1)``; but their probability under a Poisson is 0, so
    :meth:`log_likelihood` gives them ``-inf``, as ``scipy.stats.poisson``'s
    ``logpmf`` does.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import poisson
    >>> from sklearn_mle_nn.distributions import Poisson
    >>> y, raw = np.array([[3.0], [0.0]]), np.array([[1.0], [-0.5]])
    >>> nll = Poisson().nll(y, raw)
    >>> bool(np.allclose(nll, -poisson.logpmf(y, np.exp(raw)).ravel()))
    True
    """

    name = "poisson"
    canonical_link = "exp"
    links = ("exp",)

    def _raw(self, raw):
        return np.minimum(raw, _LOG_LIMIT)

    def mean(self, raw):
        return np.exp(self._raw(raw))

    def nll(self, y, raw):
        # In float64 whatever the network's dtype: with large counts the
        # three terms are large and cancel (at a million counts, float32
        # would be off by 0.3 nats), as the compiled loss kernel sums them.
        raw = self._raw(np.asarray(raw, dtype=np.float64))
        y = np.asarray(y, dtype=np.float64)
        return np.sum(np.exp(raw) - y * raw + gammaln(y + 1), axis=1)

    def gradient(self, y, raw, out=None):
        out = np.exp(self._raw(raw), out=out)
        return np.subtract(out, y, out=out)

    def intercept_only_raw(self, y, sample_weight=None):
        mean = np.average(y, axis=0, weights=sample_weight)
        return np.log(np.maximum(mean, np.finfo(float).tiny))[np.newaxis, :]

    def raw_curvature(self, y, sample_weight=None):
        # d^2 NLL / d raw^2 = rate: counts of a million would make steps a
        # million times those of counts near one.
        return float(np.max(np.average(y, axis=0, weights=sample_weight)))

    def std(self, raw):
        return np.sqrt(self.mean(raw))

    def sample(self, raw, n_samples, random_state):
        rate = self.mean(raw)
        draws = random_state.poisson(rate[..., np.newaxis], rate.shape + (n_samples,))
        return draws.astype(raw.dtype)

    def scipy_distribution(self, raw):
        return stats.poisson(self.mean(raw))

    def compiled_loss(self):
        return "poisson_loss", ()


class Gamma(_SurvivalTimes):
    """Gamma likelihood for positive targets, with the log link.

    *Domain*: y > 0 (amounts, durations, claim sizes: a spread that grows
    with the mean). *Link*: exp, ``mean = exp(raw)`` (the default; the
    gamma's canonical link, ``-1 / mean``, does not map onto positive
    means). The shape ``a`` is a constant per target: training holds it at
    1, the exponential, where ``d NLL / d raw = a (1 - y / mean)`` is the
    relative residual, free of the targets' units; :meth:`fit_constants`
    then fits ``shape_`` by maximum likelihood. ``NLL = a (y / mean + log
    mean - log a) + log Gamma(a) - (a - 1) log y``; the variance is ``mean**2
    / a``. A censored time's term is ``-log Q(a, a t / mean)``, the
    regularized upper incomplete gamma function (:meth:`with_censoring`); on
    censored targets training holds the intercept-only model's shape.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import gamma
    >>> from sklearn_mle_nn.distributions import Gamma
    >>> y, raw = np.array([[1.5], [0.2]]), np.array([[0.3], [-1.0]])
    >>> dist = Gamma()
    >>> dist.shape_ = np.array([2.0])
    >>> expected = -gamma.logpdf(y, 2.0, scale=np.exp(raw) / 2.0).ravel()
    >>> bool(np.allclose(dist.nll(y, raw), expected))
    True
    """

    name = "gamma"
    canonical_link = None
    default_link = "exp"
    links = ("exp",)
    support = "positive numbers (y > 0)"

    # Shapes from 1e-4 to the largest that _gamma_shape fits
    # (_MAX_GAMMA_SHAPE).
    log_constant_bounds = (math.log(1e-4), -2 * math.log(SPREAD_FLOOR))

    @property
    def _shape(self):
        """The fitted shape, else the one training holds: 1 (the
        exponential), or that of censored targets' intercept-only model."""
        return self._constant

    def _raw(self, raw):
        return np.clip(raw, -_LOG_LIMIT, _LOG_LIMIT)

    def mean(self, raw):
        return np.exp(self._raw(raw))

    def _event_nll(self, time, raw, a):
        raw = self._raw(raw)
        per_target = a * (time * np.exp(-raw) + raw - np.log(a)) + gammaln(a)
        return per_target - (a - 1) * np.log(time)

    def _censored_nll(self, time, raw, a):
        return -_log_gamma_sf(a, a * time * np.exp(-self._raw(raw)))

    def _event_gradient(self, time, raw, a):
        return a * (1 - time * np.exp(-self._raw(raw)))

    def _censored_gradient(self, time, raw, a):
        # d log Q(a, x) / d raw = x**a exp(-x) / (Gamma(a) Q(a, x)), x = a t / mean.
        x = a * time * np.exp(-self._raw(raw))
        return -np.exp(a * np.log(x) - x - gammaln(a) - _log_gamma_sf(a, x))

    def _fisher_information(self, a):
        return a

    def _plain_intercept_only_raw(self, y, sample_weight):
        # The weighted mean is the maximum-likelihood mean whatever the shape.
        return np.log(np.average(y, axis=0, weights=sample_weight))[np.newaxis, :]

    def fit_constants(self, y, raw, sample_weight=None):
        if self.censored:
            return super().fit_constants(y, raw, sample_weight)
        ratio = np.asarray(y, dtype=float) / self.mean(np.asarray(raw, dtype=float))
        deviance = np.average(ratio - np.log(ratio) - 1, axis=0, weights=sample_weight)
        self.shape_ = _gamma_shape(deviance).astype(raw.dtype)
        return self

    def pool_constants(self, earlier, earlier_weight, weight):
        # The shape is a function of the mean half-deviance of the
        # residual ratios (log a - digamma(a)), a weighted mean over the
        # samples: pooled exactly as a mean, as the Laplace's scale.
        shapes = [np.asarray(d.shape_, dtype=float) for d in (earlier, self)]
        deviance = (
            earlier_weight * _gamma_half_deviance(shapes[0])
            + weight * _gamma_half_deviance(shapes[1])
        ) / (earlier_weight + weight)
        self.shape_ = _gamma_shape(deviance).astype(self.shape_.dtype)
        return self

    def std(self, raw):
        return (self.mean(raw) / np.sqrt(self._shape)).astype(raw.dtype, copy=False)

    def sample(self, raw, n_samples, random_state):
        mean = self.mean(raw)
        shape = np.broadcast_to(self._shape, mean.shape)[..., np.newaxis]
        draws = random_state.gamma(
            shape, mean[..., np.newaxis] / shape, mean.shape + (n_samples,)
        )
        return draws.astype(raw.dtype)

    def scipy_distribution(self, raw):
        mean = self.mean(raw)
        shape = np.broadcast_to(self._shape, mean.shape)
        return stats.gamma(shape, scale=mean / shape)


class Weibull(_SurvivalTimes):
    """Weibull likelihood for positive times, the classic of survival analysis.

    *Domain*: y > 0 (times to an event: failure, death, churn), possibly
    right-censored. *Link*: exp, ``mean = exp(raw)`` (as the gamma's). The
    shape ``k`` is a constant per target: ``k < 1`` a hazard that falls
    with time, ``k = 1`` the exponential's constant hazard, ``k > 1`` one
    that rises. With ``lambda = mean / Gamma(1 + 1/k)`` the scale and ``e =
    (y / lambda)**k``, ``NLL = e - log k - k log(y / lambda) + log y``; the
    survival function is ``exp(-e)``. The raw output is the log of the
    mean, not of ``lambda``, so that training can hold ``k`` at 1 (the
    exponential, where the scale is the mean and ``d NLL / d raw = 1 - y /
    mean``, free of the targets' units) and the mean it learns stays the
    mean once :meth:`fit_constants` fits ``shape_`` by maximum likelihood
    (Brent's method on ``log k``, given the means). On censored targets
    training holds the intercept-only model's shape instead, and a censored
    time's term is the cumulative hazard ``e`` (:meth:`with_censoring`). A
    covariate that multiplies the times
    multiplies the mean: the model is an accelerated failure time model.
    The median is ``lambda log(2)**(1/k)``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import gamma
    >>> from scipy.stats import weibull_min
    >>> from sklearn_mle_nn.distributions import Weibull
    >>> y, raw = np.array([[1.5], [0.2]]), np.array([[0.3], [-1.0]])
    >>> dist = Weibull()
    >>> dist.shape_ = np.array([2.0])
    >>> scale = np.exp(raw) / gamma(1 + 1 / 2.0)
    >>> expected = -weibull_min.logpdf(y, 2.0, scale=scale).ravel()
    >>> bool(np.allclose(dist.nll(y, raw), expected))
    True
    >>> dist.mean(raw).ravel().round(4)
    array([1.3499, 0.3679])
    """

    name = "weibull"
    canonical_link = None
    default_link = "exp"
    links = ("exp",)
    # The spread of log y is pi / (sqrt(6) k): 1 / k**2 pooled as its
    # variance.
    pooled_constants = {"shape_": -2}
    # Shapes from 3e-4 to a coefficient of variation of about
    # SPREAD_FLOOR (1.28 / k).
    log_constant_bounds = (-8.0, math.log(1.28 / SPREAD_FLOOR))

    @property
    def _shape(self):
        """The fitted shape, else the one training holds (1, or that of
        censored targets' intercept-only model)."""
        return self._constant

    def _raw(self, raw):
        return np.clip(raw, -_LOG_LIMIT, _LOG_LIMIT)

    def mean(self, raw):
        return np.exp(self._raw(raw))

    def _log_scale(self, raw, k):
        """``log lambda``: the log-mean less ``log Gamma(1 + 1/k)``."""
        return self._raw(raw) - gammaln(1 + 1 / np.asarray(k))

    def _standardized(self, time, raw, k):
        """``k log(t / lambda)``, whose exp is the cumulative hazard."""
        return k * (np.log(time) - self._log_scale(raw, k))

    def _event_nll(self, time, raw, k):
        z = self._standardized(time, raw, k)
        return np.exp(z) - z - np.log(k) + np.log(time)

    def _censored_nll(self, time, raw, k):
        return np.exp(self._standardized(time, raw, k))

    def _event_gradient(self, time, raw, k):
        return k * (1 - np.exp(self._standardized(time, raw, k)))

    def _censored_gradient(self, time, raw, k):
        return -k * np.exp(self._standardized(time, raw, k))

    def _fisher_information(self, k):
        return np.square(k)

    def _plain_intercept_only_raw(self, y, sample_weight):
        # At shape k the maximum-likelihood scale is mean(y**k)**(1/k), in
        # logs (times of 1e300 raised to a power would overflow).
        k = self._constants(y.shape[1])
        log_y = np.log(y)
        top = np.max(log_y, axis=0)
        log_moment = (
            top
            + np.log(
                np.average(np.exp(k * (log_y - top)), axis=0, weights=sample_weight)
            )
            / k
        )
        return (log_moment + gammaln(1 + 1 / k))[np.newaxis, :]

    def std(self, raw):
        k = np.asarray(self._shape, dtype=float)
        log_ratio = gammaln(1 + 2 / k) - 2 * gammaln(1 + 1 / k)
        return (self.mean(raw) * np.sqrt(np.expm1(log_ratio))).astype(
            raw.dtype, copy=False
        )

    def sample(self, raw, n_samples, random_state):
        k = np.broadcast_to(self._shape, raw.shape)
        scale = np.exp(self._log_scale(raw, k))
        draws = random_state.weibull(k[..., np.newaxis], raw.shape + (n_samples,))
        return (scale[..., np.newaxis] * draws).astype(raw.dtype)

    def scipy_distribution(self, raw):
        k = np.broadcast_to(self._shape, raw.shape)
        return stats.weibull_min(k, scale=np.exp(self._log_scale(raw, k)))


class _NegativeBinomialCounts(_Counts):
    """Counts whose count model is the negative binomial NB2: the mean
    ``mu = exp(raw)`` (exp link; the canonical one depends on ``r``) and a
    dispersion ``r`` per target, the variance ``mu + mu**2 / r``.

    What :class:`NegativeBinomial` and :class:`ZeroInflatedNegativeBinomial`
    share: the count model's log-probability, its gradient, draws and
    ``scipy.stats`` family, and the dispersion, a constant that training
    holds, :meth:`fit_constants` fits and a stream pools (see
    :class:`NegativeBinomial`).
    """

    canonical_link = None
    default_link = "exp"
    links = ("exp",)
    # 1 / r is the excess of the variance over the mean in units of the
    # squared mean, a mean over the samples (as in its moment estimate):
    # pooled as a mean, r as a harmonic mean.
    pooled_constants = {"dispersion_": -1}
    #: The count model's ``scipy.stats`` family; see :meth:`_count_arguments`.
    _count_family = stats.nbinom

    @property
    def _dispersion(self):
        """The fitted dispersion, else the one training holds (the
        intercept-only model's; 1 before it is known)."""
        return getattr(self, "dispersion_", getattr(self, "_training_dispersion", 1.0))

    def _count_log_pmf(self, y, log_mean):
        """``log NB(y; mu, r)`` per target, in float64 whatever the network's
        dtype, as the Poisson's: with large counts the terms are large and
        cancel."""
        y, log_mean, r = (
            np.asarray(values, dtype=np.float64)
            for values in (y, log_mean, self._dispersion)
        )
        log_r = np.log(r)
        nll = (
            gammaln(r)
            + gammaln(y + 1)
            - gammaln(y + r)
            + (r + y) * np.logaddexp(log_r, log_mean)
            - r * log_r
            - y * log_mean
        )
        return -nll

    def _count_log_zero(self, mean):
        """``log NB(0; mu, r) = -r log(1 + mu / r)``."""
        r = np.asarray(self._dispersion, dtype=np.float64)
        return -r * np.log1p(mean / r)

    def _count_gradient(self, y, log_mean, out=None):
        """``d -log NB(y; mu, r) / d log(mu) = r (mu - y) / (r + mu)``."""
        r = np.asarray(self._dispersion, dtype=log_mean.dtype)
        # mu / (r + mu), without overflow.
        out = expit(log_mean - np.log(r), out=out)
        out *= r + y
        return np.subtract(out, y, out=out)

    @property
    def _count_overdispersion(self):
        """``c`` of the count model's variance ``mu + c mu**2``: ``1 / r``."""
        return 1 / np.asarray(self._dispersion)

    def _count_draws(self, mean, n_samples, random_state):
        """Draws of shape ``mean.shape + (n_samples,)``."""
        r = np.broadcast_to(self._dispersion, mean.shape)[..., np.newaxis]
        p = r / (r + mean[..., np.newaxis])
        return random_state.negative_binomial(r, p, mean.shape + (n_samples,))

    def _count_arguments(self, mean):
        """``scipy.stats.nbinom``'s arguments ``(r, r / (r + mu))``."""
        r = np.broadcast_to(self._dispersion, mean.shape)
        return r, r / (r + mean)

    def raw_curvature(self, y, sample_weight=None):
        # The Fisher information r mean / (r + mean) in raw at the
        # intercept-only mean: it grows with the counts, as the Poisson's
        # (the limit r -> inf), so that steps do not.
        mean = np.average(y, axis=0, weights=sample_weight)
        r = np.broadcast_to(self._dispersion, mean.shape)
        return float(np.max(r * mean / (r + mean)))

    def estimator_attributes(self):
        if hasattr(self, "dispersion_"):
            return {"dispersion_": self.dispersion_}
        return {}


class NegativeBinomial(_NegativeBinomialCounts):
    """Negative binomial likelihood for overdispersed counts (NB2).

    *Domain*: y >= 0 (counts whose variance exceeds their mean: visits,
    claims, species counts). *Link*: exp, ``mean = exp(raw)`` (the default;
    the canonical link of the NB2, ``log(mean / (mean + r))``, depends on the
    dispersion). The dispersion ``r`` is a constant per target, the variance
    ``mean + mean**2 / r``: large ``r`` is the Poisson. ``NLL = log Gamma(r)
    + log(y!) - log Gamma(y + r) + (r + y) log(r + mean) - r log r - y
    log(mean)`` and ``d NLL / d raw = r (mean - y) / (r + mean)``.

    Training cannot hold ``r`` at 1 (the geometric distribution, far more
    dispersed than most counts): the training copy holds the dispersion of
    the intercept-only model, fitted by maximum likelihood on the training
    counts by the first :meth:`intercept_only_raw` (with which every fit
    starts; a stream keeps its first chunk's). :meth:`fit_constants` then
    fits ``dispersion_`` by maximum likelihood given the network's means,
    in ``[1e-6, 1e8]``. Non-integer targets are fitted by the same NLL, with
    ``log(y!)`` as ``gammaln(y + 1)``, but :meth:`log_likelihood` gives them
    ``-inf``, as ``scipy.stats.nbinom``'s ``logpmf`` does.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import nbinom
    >>> from sklearn_mle_nn.distributions import NegativeBinomial
    >>> y, raw = np.array([[3.0], [0.0]]), np.array([[1.0], [-0.5]])
    >>> dist = NegativeBinomial()
    >>> dist.dispersion_ = np.array([2.0])
    >>> mean = np.exp(raw)
    >>> expected = -nbinom.logpmf(y, 2.0, 2.0 / (2.0 + mean)).ravel()
    >>> bool(np.allclose(dist.nll(y, raw), expected))
    True
    """

    name = "negative_binomial"

    def _raw(self, raw):
        return np.minimum(raw, _LOG_LIMIT)

    def mean(self, raw):
        return np.exp(self._raw(raw))

    def nll(self, y, raw):
        return -np.sum(self._count_log_pmf(y, self._raw(raw)), axis=1)

    def gradient(self, y, raw, out=None):
        return self._count_gradient(y, self._raw(raw), out=out)

    def intercept_only_raw(self, y, sample_weight=None):
        mean = np.average(y, axis=0, weights=sample_weight)
        if not hasattr(self, "_training_dispersion"):
            # The first intercept-only model is that of the training data:
            # training holds its dispersion.
            self._training_dispersion = _nb_dispersion(
                y, np.broadcast_to(mean, y.shape), sample_weight
            )
        return np.log(np.maximum(mean, np.finfo(float).tiny))[np.newaxis, :]

    def fit_constants(self, y, raw, sample_weight=None):
        mean = self.mean(np.asarray(raw, dtype=float))
        self.dispersion_ = _nb_dispersion(y, mean, sample_weight).astype(raw.dtype)
        return self

    def std(self, raw):
        mean = self.mean(raw)
        return np.sqrt(mean + mean * mean / self._dispersion).astype(raw.dtype)

    def sample(self, raw, n_samples, random_state):
        draws = self._count_draws(self.mean(raw), n_samples, random_state)
        return draws.astype(raw.dtype)

    def scipy_distribution(self, raw):
        return self._count_family(*self._count_arguments(self.mean(raw)))


class Bernoulli(Distribution):
    """Independent Bernoulli likelihood, one probability per target.

    *Domain*: y in [0, 1] (binary labels, or rates and probabilities as soft
    targets). *Link*: logistic (canonical; the only one that maps into (0,
    1)). ``NLL = log(1 + exp(raw)) - y raw``, the binary cross-entropy,
    computed from ``raw`` so that it stays finite where the mean rounds to 0
    or 1; ``d NLL / d raw = expit(raw) - y``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import bernoulli
    >>> from scipy.special import expit
    >>> from sklearn_mle_nn.distributions import Bernoulli
    >>> y, raw = np.array([[1.0], [0.0]]), np.array([[0.3], [-40.0]])
    >>> nll = Bernoulli().nll(y, raw)
    >>> bool(np.allclose(nll, -bernoulli.logpmf(y, expit(raw)).ravel()))
    True
    >>> Bernoulli().nll(np.array([[1.0]]), np.array([[-1000.0]]))
    array([1000.])
    """

    name = "bernoulli"
    canonical_link = "logistic"
    links = ("logistic",)
    support = "values in [0, 1]"
    label_likelihood = True

    def nll(self, y, raw):
        if np.isfinite(raw).all():
            return np.sum(np.logaddexp(0, raw) - y * raw, axis=1)
        # An infinite raw output would give inf - inf: use the symmetric form
        # y log(1 + e^-raw) + (1 - y) log(1 + e^raw), where 0 * inf counts as 0.
        positive = np.where(y > 0, y * np.logaddexp(0, -raw), 0.0)
        negative = np.where(y < 1, (1 - y) * np.logaddexp(0, raw), 0.0)
        return np.sum(positive + negative, axis=1)

    def gradient(self, y, raw, out=None):
        out = expit(raw, out=out)
        return np.subtract(out, y, out=out)

    def check_target(self, y, what="targets"):
        _check_unit_interval(y, what, self.name)

    def sample(self, raw, n_samples, random_state):
        mean = self.mean(raw)
        uniform = random_state.random_sample(mean.shape + (n_samples,))
        return (uniform < mean[..., np.newaxis]).astype(raw.dtype)

    def scipy_distribution(self, raw):
        return stats.bernoulli(self.mean(raw))

    def compiled_loss(self):
        return "bernoulli_loss", ()


class Categorical(Distribution):
    """Categorical likelihood over ``n_classes`` classes (one target).

    *Domain*: rows of y are probability vectors (one-hot labels: the
    network target has a column per class). *Link*: softmax (canonical).
    ``NLL = logsumexp(raw) - sum_k y_k raw_k``, the categorical
    cross-entropy; ``d NLL / d raw = softmax(raw) - y``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.special import log_softmax
    >>> from sklearn_mle_nn.distributions import Categorical
    >>> y, raw = np.array([[0.0, 1.0, 0.0]]), np.array([[1.0, 2.0, -1.0]])
    >>> bool(np.isclose(Categorical().nll(y, raw)[0], -log_softmax(raw)[0, 1]))
    True
    >>> Categorical().gradient(y, raw).round(3)
    array([[ 0.259, -0.295,  0.035]])
    """

    name = "categorical"
    canonical_link = "softmax"
    links = ("softmax",)
    support = "one-hot labels"
    one_hot_targets = True
    label_likelihood = True

    def n_targets(self, n_columns):
        return 1

    def nll(self, y, raw):
        top = raw.max(axis=1, keepdims=True)
        logsumexp = np.log(np.exp(raw - top).sum(axis=1, keepdims=True)) + top
        return np.einsum("ij,ij->i", y, logsumexp - raw)

    def gradient(self, y, raw, out=None):
        out = _copy(raw, out)
        self.activation.forward(out)
        return np.subtract(out, y, out=out)

    def nll_and_gradient(self, y, raw, gradient, sample_weight=None):
        # One pass shares the shifted exponentials between the softmax and the
        # log-sum-exp; rows of y sum to one. The shift is the batch's maximum
        # (one fast reduction, unlike a row-wise max over a short axis); a row
        # whose exponentials all but underflow is redone with its own maximum.
        ones, small = _ones_and_small(raw.shape[1], raw.dtype)
        for top in (raw.max(), "rows"):
            if top == "rows":
                top = raw.max(axis=1, keepdims=True)
            shifted = np.subtract(raw, top, out=gradient)
            if sample_weight is None:
                target_term = np.vdot(y, shifted)
            else:
                target_term = np.einsum("ij,ij->i", y, shifted)
            # A matrix-vector product sums short rows faster than sum(axis=1).
            exp_sum = np.exp(shifted, out=gradient) @ ones
            if exp_sum.min() >= small:
                break
        gradient /= exp_sum[:, np.newaxis]
        gradient -= y
        if sample_weight is None:
            return float(np.log(exp_sum).sum() - target_term)
        return _weighted_sum(np.log(exp_sum) - target_term, sample_weight)

    def check_target(self, y, what="targets"):
        _check_unit_interval(y, what, self.name)

    def sample(self, raw, n_samples, random_state):
        """Class indices drawn from ``softmax(raw)``, ``(n_samples_X, n_samples)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Categorical
        >>> rng = np.random.RandomState(0)
        >>> raw = np.log([[1e-9, 1.0, 1e-9]])
        >>> Categorical().sample(raw, 4, rng).tolist()
        [[1, 1, 1, 1]]
        """
        mean = self.mean(raw)
        cumulative = np.cumsum(mean, axis=1)
        uniform = random_state.random_sample((mean.shape[0], 1, n_samples))
        # The class is the first whose cumulative probability exceeds the draw.
        draw = uniform * cumulative[:, -1:, np.newaxis]
        index = np.sum(draw >= cumulative[:, :, np.newaxis], axis=1)
        return np.minimum(index, mean.shape[1] - 1)

    def std(self, raw):
        mean = self.mean(raw)
        return np.sqrt(mean * (1 - mean))

    def scipy_distribution(self, raw):
        """One-draw multinomials of one-hot outcomes, one per row.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Categorical
        >>> dist = Categorical().scipy_distribution(np.log([[0.5, 0.5, 1e-9]] * 4))
        >>> dist.rvs(random_state=0).shape
        (4, 3)
        """
        return _OneDrawMultinomial(1, self.mean(raw))

    def compiled_loss(self):
        return "softmax_loss", ()


class _OneDrawMultinomial(type(stats.multinomial(1, [1.0]))):
    """scipy's frozen multinomial of one draw, whose ``rvs`` also takes a
    probability vector per row (scipy's own raises "object too deep")."""

    def rvs(self, size=None, random_state=None):
        """One-hot draws of shape ``size + (n_classes,)``.

        ``size`` broadcasts with the rows' shape, as in scipy's vectorised
        univariate distributions: None gives one draw per row; for a single
        row, ``size`` is as in ``scipy.stats.multinomial(1, p).rvs``.
        """
        p = self.p
        shape = p.shape[:-1] if size is None else tuple(np.atleast_1d(size))
        shape = np.broadcast_shapes(shape, p.shape[:-1])
        if not isinstance(random_state, np.random.Generator):
            random_state = check_random_state(random_state)
        cumulative = np.cumsum(p, axis=-1)
        uniform = random_state.random(shape)[..., np.newaxis] * cumulative[..., -1:]
        # The class is the first whose cumulative probability exceeds the draw.
        index = np.minimum(np.sum(uniform >= cumulative, axis=-1), p.shape[-1] - 1)
        return np.eye(p.shape[-1], dtype=int)[index]


class GaussianMixture(Distribution):
    """Mixture of ``n_components`` normals per target, all from the network.

    A mixture density network's likelihood: for multimodal targets (two
    branches, ``y = +-sin(x)``), where one Gaussian puts its mean between
    the modes, where no data lies. *Domain*: y real. *Parameters per
    target*, a block of raw outputs each: the components' means (identity
    link), their ``log(sigma_m)`` (exponentiated) and their weights'
    logits (softmax over the components). ``NLL = -log sum_m w_m N(y;
    mu_m, sigma_m)``, by log-sum-exp. With ``r_m`` the responsibility of
    component ``m`` (its posterior share of ``y``), the gradient is ``r_m
    (mu_m - y) / sigma_m**2`` for a mean, ``r_m (1 - z_m**2)`` for a
    log-spread and ``w_m - r_m`` for a logit. :meth:`mean` is the mixture's
    mean, ``sum_m w_m mu_m``: on two branches it lies between them, where
    the density may be low; :meth:`sample` and :meth:`scipy_distribution`
    give the whole mixture. The intercept-only start is the mixture fitted
    to the targets by EM (scikit-learn's ``GaussianMixture``, with sample
    weights). No compiled kernel: it trains on numpy.

    Parameters
    ----------
    n_components : int, default=3
        Number of normal components per target (>= 1).
    link : str or None, default=None
        The activation of the components' means: identity only.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle_nn.distributions import GaussianMixture
    >>> raw = np.array([[-1.0, 1.0, np.log(0.5), np.log(0.5), 0.0, 0.0]])
    >>> nll = GaussianMixture(n_components=2).nll(np.array([[0.2]]), raw)
    >>> density = 0.5 * stats.norm.pdf(0.2, [-1, 1], 0.5).sum()
    >>> bool(np.isclose(nll[0], -np.log(density)))
    True
    """

    name = "gaussian_mixture"
    standardize_targets = True

    _parameter_constraints: dict = {
        **Distribution._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_components=3, link=None):
        super().__init__(link=link)
        self.n_components = n_components

    @property
    def parameters(self):
        """The components' means, their log-spreads, their weights' logits."""
        count = range(self.n_components)
        return (
            *(Parameter(f"mean_{m}") for m in count),
            *(Parameter(f"log_scale_{m}", "log_scale") for m in count),
            *(Parameter(f"logit_{m}", "shape") for m in count),
        )

    def _components(self, raw):
        """Means, log-spreads and log-weights, each ``(n, n_targets, K)``."""
        if raw.shape[1] == 0 or raw.shape[1] % self.n_params:
            raise ValueError(
                f"{raw.shape[1]} raw outputs are not {self.n_params} per target "
                f"(n_components={self.n_components}: a mean, a log-spread and "
                "a logit per component)."
            )
        blocks = np.stack(self.split(raw), axis=-1)
        means, log_scales, logits = np.split(blocks, 3, axis=-1)
        # The clip is training's, in standardized units (see
        # HeteroscedasticGaussian).
        middle = np.asarray(getattr(self, "_log_target_scale", 0.0))[..., np.newaxis]
        log_scales = np.clip(log_scales, middle - _LOG_LIMIT, middle + _LOG_LIMIT)
        log_weights = log_softmax(logits, axis=-1)
        return means, log_scales.astype(raw.dtype, copy=False), log_weights

    def rescale_constants(self, scale):
        self._log_target_scale = np.log(scale)
        return self

    def _log_joint(self, y, means, log_scales, log_weights):
        """``log w_m + log N(y; mu_m, sigma_m)``, ``(n, n_targets, K)``."""
        z = (y[..., np.newaxis] - means) * np.exp(-log_scales)
        return log_weights - 0.5 * z * z - log_scales - 0.5 * _LOG_2PI

    def nll(self, y, raw):
        log_joint = self._log_joint(y, *self._components(raw))
        return -np.sum(logsumexp(log_joint, axis=-1), axis=1)

    def gradient(self, y, raw, out=None):
        out = np.empty_like(raw) if out is None else out
        means, log_scales, log_weights = self._components(raw)
        log_joint = self._log_joint(y, means, log_scales, log_weights)
        responsibility = np.exp(
            log_joint - logsumexp(log_joint, axis=-1, keepdims=True)
        )
        inverse_scale = np.exp(-log_scales)
        z = (means - y[..., np.newaxis]) * inverse_scale
        gradients = np.concatenate(
            [
                responsibility * z * inverse_scale,
                responsibility * (1 - z * z),
                np.exp(log_weights) - responsibility,
            ],
            axis=-1,
        )
        # Back to the layout of split(): block b is gradients[..., b].
        return _assign(out, np.moveaxis(gradients, -1, 1).reshape(raw.shape))

    def mean(self, raw):
        means, _, log_weights = self._components(raw)
        return np.sum(np.exp(log_weights) * means, axis=-1)

    def std(self, raw):
        means, log_scales, log_weights = self._components(raw)
        weights = np.exp(log_weights)
        mean = np.sum(weights * means, axis=-1, keepdims=True)
        spread = np.exp(2 * log_scales) + (means - mean) ** 2
        return np.sqrt(np.sum(weights * spread, axis=-1))

    def sample(self, raw, n_samples, random_state):
        means, log_scales, log_weights = self._components(raw)
        component = _draw_components(np.exp(log_weights), n_samples, random_state)
        noise = random_state.standard_normal(component.shape)
        pick = functools.partial(np.take_along_axis, indices=component, axis=-1)
        draws = pick(means) + np.exp(pick(log_scales)) * noise
        return draws.astype(raw.dtype, copy=False)

    def scipy_distribution(self, raw):
        """The mixture of normals, a :class:`ComponentMixture` of shape
        ``(n_samples, n_targets)`` (``pdf``, ``logpdf``, ``cdf``, ``ppf``,
        ``interval``, ``mean``, ``std``, ``rvs``)."""
        means, log_scales, log_weights = self._components(raw)
        return ComponentMixture(
            stats.norm,
            [
                (means[..., m], np.exp(log_scales[..., m]))
                for m in range(means.shape[-1])
            ],
            np.exp(log_weights),
        )

    def intercept_only_raw(self, y, sample_weight=None):
        means, scales, weights = _fit_normal_mixture(
            np.asarray(y, dtype=float), self.n_components, sample_weight
        )
        blocks = [means, np.log(scales), np.log(weights)]
        # (K, n_targets) per kind, in the order of ``parameters``.
        return np.concatenate(blocks, axis=0).reshape(1, -1)


class MultivariateGaussian(Distribution):
    """Normal likelihood of ``k >= 2`` correlated targets: per row a mean
    vector and a full covariance, all from the network.

    For outputs that vary together (two measurements of one quantity, the
    coordinates of a position): independent likelihoods miss what one
    output tells of another, and the joint density of a row. *Domain*: y
    real, at least two target columns. *Parameters*: the means ``mu``
    (identity link, canonical), ``k`` log-scales ``log s_j`` and ``k (k -
    1) / 2`` coefficients ``B_ij`` (``i > j``, in the order of
    ``numpy.tril_indices(k, -1)``), ``k (k + 3) / 2`` raw outputs in all.
    They give the Cholesky factor of the *precision* (the inverse
    covariance), ``Sigma**-1 = L L^T`` with ``L = B diag(1 / s)``, lower
    triangular with a positive diagonal (``B`` is unit lower triangular).
    With ``r = y - mu`` and ``u = L^T r``, ``u_j = (r_j + sum_{i > j} B_ij
    r_i) / s_j``::

        NLL = 0.5 |u|**2 + sum_j log s_j + k/2 log(2 pi)

    ``s_j`` is the standard deviation of ``y_j`` given the targets after it
    and ``-B_ij`` the coefficient of ``r_i`` in that conditional mean: with
    ``B = I`` (uncorrelated targets) it is the
    :class:`HeteroscedasticGaussian`. The gradient is ``-B (u / s)`` for the
    means, ``1 - u_j**2`` for a log-scale and ``r_i u_j / s_j`` for
    ``B_ij``. The precision's factor, not the covariance's: the NLL and its
    gradient need no triangular solve and no determinant (``O(k**2)`` per
    row), and a standardization of the targets moves every raw output by a
    constant factor (:meth:`raw_affine`: ``B_ij`` by ``scale_j /
    scale_i``). The intercept-only start is the targets' (weighted) mean and
    covariance. :meth:`std` gives each output's marginal standard deviation,
    :meth:`covariance` the covariance, :meth:`sample` correlated draws and
    :meth:`scipy_distribution` a :class:`MultivariateNormalRows`. No fitted
    constants (a calibration of the spreads on the validation rows, as the
    heteroscedastic Gaussian's, lowered the held-out likelihood of the
    synthetic and crabs data it was tried on) and no compiled kernel: it
    trains on numpy.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle_nn.distributions import MultivariateGaussian
    >>> # Means 0 and 1, log-scales 0, coefficient B_10 = -0.5.
    >>> raw = np.array([[0.0, 1.0, 0.0, 0.0, -0.5]])
    >>> dist = MultivariateGaussian()
    >>> cov = dist.covariance(raw)[0]
    >>> cov.round(3).tolist()
    [[1.25, 0.5], [0.5, 1.0]]
    >>> y = np.array([[0.3, 0.4]])
    >>> expected = -stats.multivariate_normal([0.0, 1.0], cov).logpdf(y[0])
    >>> bool(np.isclose(dist.nll(y, raw)[0], expected))
    True
    """

    name = "multivariate_gaussian"
    parameters = (
        Parameter("mean"),
        Parameter("log_scale", "log_scale"),
        Parameter("coefficient", "coefficient"),
    )
    standardize_targets = True

    def n_raw(self, n_targets):
        return n_targets * (n_targets + 3) // 2

    def n_target_columns(self, n_raw):
        k = round((math.sqrt(9 + 8 * n_raw) - 3) / 2)
        if k < 1 or self.n_raw(k) != n_raw:
            raise ValueError(
                f"{n_raw} raw outputs are not k means, k log-scales and "
                "k (k - 1) / 2 coefficients for any number k of targets."
            )
        return k

    def raw_columns_of(self, targets):
        rows, columns = np.tril_indices(len(targets), -1)
        return np.concatenate([targets, targets, targets[rows] | targets[columns]])

    def split(self, raw):
        """Views of the means and log-scales, ``(n, k)`` each, and of the
        coefficients, ``(n, k (k - 1) / 2)``."""
        k = self.n_target_columns(raw.shape[1])
        return [raw[:, :k], raw[:, k : 2 * k], raw[:, 2 * k :]]

    def _factors(self, raw):
        """Means, log-scales and the unit lower triangular ``B``, ``(n, k, k)``."""
        mean, log_scale, coefficients = self.split(raw)
        k = mean.shape[1]
        # The clip is training's, in standardized units (see
        # HeteroscedasticGaussian).
        middle = getattr(self, "_log_target_scale", 0.0)
        log_scale = np.clip(log_scale, middle - _LOG_LIMIT, middle + _LOG_LIMIT)
        B = np.zeros((raw.shape[0], k, k), dtype=raw.dtype)
        rows, columns = np.tril_indices(k, -1)
        B[:, rows, columns] = coefficients
        B[:, np.arange(k), np.arange(k)] = 1
        return mean, log_scale.astype(raw.dtype, copy=False), B

    def rescale_constants(self, scale):
        self._log_target_scale = np.log(scale)
        return self

    def _whitened(self, y, raw):
        """``r = y - mu``, ``u = L^T r``, ``1 / s``, ``log s`` and ``B``."""
        mean, log_scale, B = self._factors(raw)
        residual = y - mean
        inverse_scale = np.exp(-log_scale)
        u = np.einsum("nij,ni->nj", B, residual) * inverse_scale
        return residual, u, inverse_scale, log_scale, B

    def nll(self, y, raw):
        _, u, _, log_scale, _ = self._whitened(y, raw)
        return (
            0.5 * np.einsum("ij,ij->i", u, u)
            + log_scale.sum(axis=1)
            + 0.5 * y.shape[1] * _LOG_2PI
        )

    def gradient(self, y, raw, out=None):
        out = np.empty_like(raw) if out is None else out
        residual, u, inverse_scale, _, B = self._whitened(y, raw)
        mean_grad, log_scale_grad, coefficient_grad = self.split(out)
        weighted = u * inverse_scale
        # Identity link: d NLL / d mu = -L u, the residual weighted by the
        # precision, mu - y for the standard normal.
        mean_grad[...] = -np.einsum("nij,nj->ni", B, weighted)
        np.subtract(1.0, u * u, out=log_scale_grad)
        rows, columns = np.tril_indices(y.shape[1], -1)
        coefficient_grad[...] = residual[:, rows] * weighted[:, columns]
        return out

    def _root(self, raw):
        """``G = diag(s) B**-1``, with ``Sigma = G^T G``: a draw is ``mu + G^T z``."""
        _, log_scale, B = self._factors(raw)
        return np.exp(log_scale)[:, :, np.newaxis] * np.linalg.inv(B)

    def covariance(self, raw):
        """The covariance of p(y | raw), ``(n_samples, k, k)``."""
        root = self._root(raw)
        return np.einsum("nja,njb->nab", root, root)

    def std(self, raw):
        root = self._root(raw)
        return np.sqrt(np.einsum("nja,nja->na", root, root))

    def sample(self, raw, n_samples, random_state):
        mean, root = self.mean(raw), self._root(raw)
        noise = random_state.standard_normal(mean.shape + (n_samples,))
        draws = mean[..., np.newaxis] + np.einsum("nja,njs->nas", root, noise)
        return draws.astype(raw.dtype, copy=False)

    def scipy_distribution(self, raw):
        """A :class:`MultivariateNormalRows`: a multivariate normal per row
        (``scipy.stats.multivariate_normal`` takes a single one)."""
        return MultivariateNormalRows(self.mean(raw), self.covariance(raw))

    def check_target(self, y, what="targets"):
        if y.shape[1] < 2:
            raise ValueError(
                f"The {self.name} likelihood is that of 2 or more correlated "
                f"columns of {what}; got {y.shape[1]}. For one column, "
                "'heteroscedastic_gaussian' is the same likelihood."
            )

    def intercept_only_raw(self, y, sample_weight=None):
        # The (weighted) mean and covariance. Sigma = G^T G with G = diag(s)
        # B**-1 lower triangular: the Cholesky factor of Sigma with its rows
        # and columns reversed, transposed.
        y = np.asarray(y, dtype=float)
        weight = np.ones(len(y)) if sample_weight is None else sample_weight
        mean = np.average(y, axis=0, weights=weight)
        deviation = y - mean
        covariance = (deviation * weight[:, np.newaxis]).T @ deviation / weight.sum()
        # A ridge far below any spread: collinear or constant targets (one
        # row) have no inverse covariance.
        variance = np.diag(covariance)
        covariance[np.diag_indices_from(covariance)] += np.maximum(
            1e-12 * variance, _EPS**2
        )
        root = np.linalg.cholesky(covariance[::-1, ::-1])[::-1, ::-1].T
        scale = np.diag(root)
        B = np.linalg.inv(root / scale[:, np.newaxis])
        coefficients = B[np.tril_indices(len(scale), -1)]
        return np.concatenate([mean, np.log(scale), coefficients])[np.newaxis, :]

    def raw_affine(self, scale, shift):
        # With y = scale * z + shift, the precision's factor of y is
        # diag(1 / scale) times z's: s_j moves by scale_j, B_ij by
        # scale_j / scale_i.
        rows, columns = np.tril_indices(len(scale), -1)
        return (
            np.concatenate([scale, np.ones_like(scale), scale[columns] / scale[rows]]),
            np.concatenate([shift, np.log(scale), np.zeros(len(rows))]),
        )


class _ZeroInflated(_Counts):
    """Counts of a count model, with a probability of a structural zero per
    row: what :class:`ZeroInflatedPoisson` and
    :class:`ZeroInflatedNegativeBinomial` share.

    *Parameters per target*: the log of the count model's mean ``mu`` (exp
    link, the first block) and the logit of the probability ``pi`` of a
    structural zero. With ``f`` the count model's probabilities, ``p(0) = pi
    + (1 - pi) f(0)`` (by log-sum-exp, from the raw outputs) and ``p(y) = (1
    - pi) f(y)`` for ``y > 0``. With ``q`` the posterior probability that a
    zero is structural (0 for ``y > 0``), ``d NLL / d logit = pi - q`` and
    ``d NLL / d log(mu)`` is ``1 - q`` times the count model's. The mean is
    ``(1 - pi) mu``, the variance ``(1 - pi) mu (1 + (pi + c) mu)`` for a
    count model of variance ``mu + c mu**2``.

    A subclass gives its count model: ``_count_log_pmf(y, log_mean)`` (per
    target), ``_count_log_zero(mean)``, ``_count_gradient(y, log_mean)``
    (of ``-log f(y)``), ``_count_overdispersion`` (``c``),
    ``_count_draws(mean, n_samples, random_state)``, and its ``scipy.stats``
    family (``_count_family``) with ``_count_arguments(mean)``, which at
    ``mean = 0`` must give a point mass at 0.
    """

    canonical_link = None
    default_link = "exp"
    links = ("exp",)

    def _mean_and_logit(self, raw):
        log_mean, logit = self.split(raw)
        return np.minimum(log_mean, _LOG_LIMIT), logit

    def _log_probabilities(self, y, raw):
        """``log p(y)`` and ``q``, the posterior probability of a structural
        zero (0 where ``y > 0``), per target."""
        log_mean, logit = self._mean_and_logit(raw)
        log_zero, log_not_zero = -np.logaddexp(0, -logit), -np.logaddexp(0, logit)
        zero = y == 0
        # At y = 0: log(pi + (1 - pi) f(0)).
        log_p = np.where(
            zero,
            np.logaddexp(
                log_zero, log_not_zero + self._count_log_zero(np.exp(log_mean))
            ),
            log_not_zero + self._count_log_pmf(y, log_mean),
        )
        # log q <= 0 at a zero; elsewhere the bound keeps exp() finite.
        structural = np.where(zero, np.exp(np.minimum(log_zero - log_p, 0.0)), 0.0)
        return log_p, structural

    def nll(self, y, raw):
        return -np.sum(self._log_probabilities(y, raw)[0], axis=1)

    def gradient(self, y, raw, out=None):
        out = np.empty_like(raw) if out is None else out
        log_mean, logit = self._mean_and_logit(raw)
        structural = self._log_probabilities(y, raw)[1]
        mean_grad, logit_grad = self.split(out)
        mean_grad[...] = (1 - structural) * self._count_gradient(y, log_mean)
        logit_grad[...] = expit(logit) - structural
        return out

    def mean(self, raw):
        log_mean, logit = self._mean_and_logit(raw)
        return expit(-logit) * np.exp(log_mean)

    def std(self, raw):
        log_mean, logit = self._mean_and_logit(raw)
        mean, zero = np.exp(log_mean), expit(logit)
        spread = (zero + self._count_overdispersion) * mean
        return np.sqrt((1 - zero) * mean * (1 + spread)).astype(raw.dtype, copy=False)

    def sample(self, raw, n_samples, random_state):
        log_mean, logit = self._mean_and_logit(raw)
        counts = self._count_draws(np.exp(log_mean), n_samples, random_state)
        structural = (
            random_state.random_sample(counts.shape) < expit(logit)[..., np.newaxis]
        )
        return np.where(structural, 0, counts).astype(raw.dtype)

    def scipy_distribution(self, raw):
        """A :class:`ComponentMixture` of a point mass at 0 (the count model
        of mean 0) and the count model, weighted ``pi`` and ``1 - pi``, of
        shape ``(n_samples, n_targets)`` (``pmf``, ``logpmf``, ``cdf``,
        ``ppf``, ``interval``, ``mean``, ``std``, ``rvs``)."""
        log_mean, logit = self._mean_and_logit(raw)
        zero = expit(logit)
        return ComponentMixture(
            self._count_family,
            [
                self._count_arguments(np.zeros_like(log_mean)),
                self._count_arguments(np.exp(log_mean)),
            ],
            np.stack([zero, 1 - zero], axis=-1),
        )

    def intercept_only_raw(self, y, sample_weight=None):
        """The constant model's maximum likelihood, at the count model's
        constants (see :func:`_zero_inflated_constant`)."""
        mean = np.average(y, axis=0, weights=sample_weight)
        zeros = np.average(y == 0, axis=0, weights=sample_weight)
        n_targets = len(mean)

        def log_count_zero(count_mean, j):
            # Target j's: the count model's constants differ by target.
            return self._count_log_zero(np.full(n_targets, count_mean))[j]

        count_mean, zero = np.array(
            [
                _zero_inflated_constant(m, f, functools.partial(log_count_zero, j=j))
                for j, (m, f) in enumerate(zip(mean, zeros))
            ]
        ).T
        with np.errstate(divide="ignore"):
            logit = np.clip(np.log(zero) - np.log1p(-zero), -_LOG_LIMIT, _LOG_LIMIT)
        log_mean = np.log(np.maximum(count_mean, np.finfo(float).tiny))
        return np.concatenate([log_mean, logit])[np.newaxis, :]


class ZeroInflatedPoisson(_ZeroInflated):
    """Poisson counts with a probability of a structural zero, per row.

    For counts with more zeros than a Poisson allows (fish caught by a
    party that did not fish, articles by a student who did not publish).
    *Domain*: y >= 0 (counts). *Parameters per target*: the Poisson rate
    ``lambda`` (exp link, the first block) and the logit of the probability
    ``pi`` of a structural zero. ``p(0) = pi + (1 - pi) exp(-lambda)``,
    ``p(y) = (1 - pi) Poisson(y; lambda)`` for ``y > 0``; the NLL is
    computed from the raw outputs by log-sum-exp. With ``q`` the posterior
    probability that a zero is structural (0 for ``y > 0``), ``d NLL / d
    logit = pi - q`` and ``d NLL / d log(lambda) = (1 - q) lambda - y``.
    :meth:`mean` is ``(1 - pi) lambda``. Non-integer targets are fitted
    with ``log(y!)`` as ``gammaln(y + 1)`` but get ``-inf`` from
    :meth:`log_likelihood`, as for :class:`Poisson`. The intercept-only start
    is the constant model's maximum likelihood (``pi = 0``, the Poisson,
    where the zeros are not in excess). No compiled kernel: it trains on
    numpy.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle_nn.distributions import ZeroInflatedPoisson
    >>> raw = np.array([[np.log(3.0), 0.0]])  # rate 3, pi = 0.5
    >>> zip_ = ZeroInflatedPoisson()
    >>> nll = zip_.nll(np.array([[0.0], [2.0]]), np.repeat(raw, 2, axis=0))
    >>> p0 = 0.5 + 0.5 * stats.poisson.pmf(0, 3.0)
    >>> p2 = 0.5 * stats.poisson.pmf(2, 3.0)
    >>> bool(np.allclose(nll, -np.log([p0, p2])))
    True
    """

    name = "zero_inflated_poisson"
    parameters = (Parameter("rate"), Parameter("zero_logit", "shape"))
    _count_family = stats.poisson
    _count_overdispersion = 0.0
    # As the Poisson's: the rate's curvature is about the mean count.
    raw_curvature = Poisson.raw_curvature

    def _count_log_pmf(self, y, log_rate):
        return y * log_rate - np.exp(log_rate) - gammaln(y + 1)

    def _count_log_zero(self, rate):
        return -rate

    def _count_gradient(self, y, log_rate):
        return np.exp(log_rate) - y

    def _count_draws(self, rate, n_samples, random_state):
        return random_state.poisson(rate[..., np.newaxis], rate.shape + (n_samples,))

    def _count_arguments(self, rate):
        return (rate,)


class ZeroInflatedNegativeBinomial(_NegativeBinomialCounts, _ZeroInflated):
    """Negative binomial counts with a probability of a structural zero, per
    row.

    For counts with excess zeros *and* a variance beyond the Poisson's among
    the rest (doctor visits of people who never see a doctor and of those
    who do, some of them often). *Domain*: y >= 0 (counts). *Parameters per
    target*: the mean ``mu`` of the negative binomial NB2 (exp link, the
    first block) and the logit of the probability ``pi`` of a structural
    zero; the dispersion ``r`` is a constant per target, as in
    :class:`NegativeBinomial` (training holds the intercept-only model's,
    ``dispersion_`` is fitted by maximum likelihood after training, a stream
    pools ``1 / r`` as a mean). ``p(0) = pi + (1 - pi) (r / (r + mu))**r``,
    ``p(y) = (1 - pi) NB(y; mu, r)`` for ``y > 0``, by log-sum-exp from the
    raw outputs. With ``q`` the posterior probability that a zero is
    structural (0 for ``y > 0``), ``d NLL / d logit = pi - q`` and ``d NLL /
    d log(mu) = (1 - q) r (mu - y) / (r + mu)``. :meth:`mean` is ``(1 - pi)
    mu``, the variance ``(1 - pi) mu (1 + (pi + 1 / r) mu)``. The
    intercept-only start is the constant model's maximum likelihood, the
    dispersion included (``pi = 0``, the negative binomial, where the zeros
    are not in excess); large ``r`` is the zero-inflated Poisson.
    Non-integer targets are fitted with ``log(y!)`` as ``gammaln(y + 1)``
    but get ``-inf`` from :meth:`log_likelihood`. No compiled kernel: it
    trains on numpy.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle_nn.distributions import ZeroInflatedNegativeBinomial
    >>> raw = np.array([[np.log(3.0), 0.0]])  # mean 3, pi = 0.5
    >>> zinb = ZeroInflatedNegativeBinomial()
    >>> zinb.dispersion_ = np.array([1.5])
    >>> nll = zinb.nll(np.array([[0.0], [2.0]]), np.repeat(raw, 2, axis=0))
    >>> count = stats.nbinom(1.5, 1.5 / (1.5 + 3.0))
    >>> p0, p2 = 0.5 + 0.5 * count.pmf(0), 0.5 * count.pmf(2)
    >>> bool(np.allclose(nll, -np.log([p0, p2])))
    True
    """

    name = "zero_inflated_negative_binomial"
    parameters = (Parameter("mean"), Parameter("zero_logit", "shape"))

    def intercept_only_raw(self, y, sample_weight=None):
        if not hasattr(self, "_training_dispersion"):
            # The first intercept-only model is that of the training data:
            # training holds its dispersion.
            self._training_dispersion = self._constant_dispersion(y, sample_weight)
        return super().intercept_only_raw(y, sample_weight)

    def _constant_dispersion(self, y, sample_weight=None):
        """The dispersion of the constant model of maximum likelihood, per
        target: the best constant mean and zero probability at ``r`` have a
        closed form (up to a root), so the likelihood is maximised over
        ``log r`` alone, on a grid of steps of 1 over the range of
        :data:`_DISPERSION_RANGE`, then by Brent's method about the best
        point of the grid. The counts' distinct values, weighted, stand for
        the rows."""
        low, high = np.log(_DISPERSION_RANGE)
        grid = np.linspace(low, high, int(np.ceil(high - low)) + 1)
        dispersion = np.empty(y.shape[1])
        for j in range(y.shape[1]):
            values, index = np.unique(y[:, j], return_inverse=True)
            weights = np.bincount(index, weights=sample_weight, minlength=len(values))
            values = values[:, np.newaxis]

            def mean_nll(log_r, values=values, weights=weights):
                probe = clone(self)
                probe._training_dispersion = np.exp([log_r])
                raw = probe.intercept_only_raw(values, weights)
                raw = np.repeat(raw, len(values), axis=0)
                return probe.nll(values, raw) @ weights / weights.sum()

            best = int(np.argmin([mean_nll(log_r) for log_r in grid]))
            bounds = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
            result = optimize.minimize_scalar(
                mean_nll, bounds=bounds, method="bounded", options={"xatol": 1e-10}
            )
            dispersion[j] = np.exp(result.x)
        return dispersion

    def fit_constants(self, y, raw, sample_weight=None):
        log_mean, logit = self._mean_and_logit(np.asarray(raw, dtype=float))
        self.dispersion_ = _nb_dispersion(
            y, np.exp(log_mean), sample_weight, zero=expit(logit)
        ).astype(raw.dtype)
        return self


class ComponentMixture(MixtureDistribution):
    """A :class:`~sklearn_mle_nn._mixture.MixtureDistribution` of one
    ``scipy.stats`` family, built from the components' arguments.

    It keeps, as a frozen ``scipy.stats`` object does, the family (``dist``)
    and the arguments it was made from (``args``: every component's, then
    every component's weights), each of the batch shape, so that a
    column of it is the mixture of that column's arguments.

    Parameters
    ----------
    family : scipy.stats distribution
        The family of every component (``scipy.stats.norm``).
    arguments : list of tuple of ndarray
        Per component, the family's arguments, each of the batch shape.
    weights : ndarray of shape batch_shape + (M,)
        The components' weights, summing to one along the last axis.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle_nn.distributions import ComponentMixture
    >>> spread = np.full((1, 2), 0.5)
    >>> mixture = ComponentMixture(
    ...     stats.norm,
    ...     [(np.array([[-1.0, 0.0]]), spread), (np.array([[1.0, 0.0]]), spread)],
    ...     [[[0.5, 0.5]] * 2],
    ... )
    >>> mixture.shape, mixture.mean().tolist()
    ((1, 2), [[0.0, 0.0]])
    >>> first_column = mixture.dist(*(a[:, 0] for a in mixture.args))
    >>> first_column.shape, first_column.std().round(3).tolist()
    ((1,), [1.118])
    """

    def __init__(self, family, arguments, weights):
        weights = np.asarray(weights, dtype=float)
        super().__init__([family(*args) for args in arguments], weights)
        n_arguments = len(arguments[0])
        self.args = (
            *(a for args in arguments for a in args),
            *np.moveaxis(weights, -1, 0),
        )
        self.kwds = {}
        self.dist = functools.partial(
            _component_mixture, family, n_arguments, len(arguments)
        )


class MultivariateNormalRows:
    """A multivariate normal per row, with ``scipy.stats``' methods applied
    to every row at once.

    ``scipy.stats.multivariate_normal`` takes one mean vector and one
    covariance; :meth:`MultivariateGaussian.scipy_distribution` (and so a
    regressor's ``predict_distribution``) has one of each per row. Of the
    joint distribution: ``logpdf``, ``pdf``, ``rvs``, ``mean``, ``cov``;
    of each output's marginal normal: ``var``, ``std``, ``interval`` (what
    ``predict_interval`` gives) and :meth:`marginals`, a vectorised
    ``scipy.stats.norm`` for their ``cdf`` and ``ppf``. ``dist[i]`` is row
    ``i``'s frozen ``scipy.stats.multivariate_normal``.

    Parameters
    ----------
    mean : ndarray of shape (n_samples, k)
        The mean of each row.
    cov : ndarray of shape (n_samples, k, k)
        The covariance of each row, symmetric positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle_nn.distributions import MultivariateNormalRows
    >>> cov = np.array([[[1.0, 0.8], [0.8, 1.0]], [[4.0, 0.0], [0.0, 1.0]]])
    >>> dist = MultivariateNormalRows(np.zeros((2, 2)), cov)
    >>> dist.std().tolist()
    [[1.0, 1.0], [2.0, 1.0]]
    >>> bool(np.isclose(dist.logpdf([[0.5, 0.5], [0.0, 0.0]])[0],
    ...                 dist[0].logpdf([0.5, 0.5])))
    True
    >>> dist.rvs(size=(5, 2), random_state=0).shape
    (5, 2, 2)
    """

    def __init__(self, mean, cov):
        self._mean = np.asarray(mean)
        self._cov = np.asarray(cov)
        #: The batch shape: one distribution per row.
        self.shape = self._mean.shape[:-1]

    def __repr__(self):
        return (
            f"MultivariateNormalRows({self.shape[0]} rows of "
            f"{self._mean.shape[-1]} outputs)"
        )

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, row):
        """Row ``row``'s frozen ``scipy.stats.multivariate_normal``."""
        return stats.multivariate_normal(self._mean[row], self._cov[row])

    def mean(self):
        """The means, ``(n_samples, k)``."""
        return self._mean.copy()

    def cov(self):
        """The covariances, ``(n_samples, k, k)``."""
        return self._cov.copy()

    def var(self):
        """Each output's marginal variance, ``(n_samples, k)``."""
        return np.diagonal(self._cov, axis1=-2, axis2=-1).copy()

    def std(self):
        """Each output's marginal standard deviation, ``(n_samples, k)``."""
        return np.sqrt(self.var())

    def marginals(self):
        """Each output's marginal normal, a frozen ``scipy.stats.norm`` of
        shape ``(n_samples, k)``."""
        return stats.norm(self._mean, self.std())

    def interval(self, confidence):
        """Each output's central marginal interval: ``(low, high)``, each
        ``(n_samples, k)``."""
        return self.marginals().interval(confidence)

    def logpdf(self, x):
        """The joint log-density of each row of ``x`` (broadcast against
        ``(n_samples, k)``), ``(n_samples,)``."""
        factor = np.linalg.cholesky(self._cov)
        residual = np.asarray(x, dtype=float) - self._mean
        z = np.linalg.solve(factor, residual[..., np.newaxis])[..., 0]
        log_det = 2 * np.sum(np.log(np.diagonal(factor, axis1=-2, axis2=-1)), axis=-1)
        k = self._mean.shape[-1]
        return -0.5 * (np.sum(z * z, axis=-1) + log_det + k * _LOG_2PI)

    def pdf(self, x):
        """The joint density of each row of ``x``, ``(n_samples,)``."""
        return np.exp(self.logpdf(x))

    def rvs(self, size=None, random_state=None):
        """Correlated draws of shape ``size + (k,)``.

        ``size`` broadcasts with the batch shape ``(n_samples,)``, as in
        scipy's vectorised univariate distributions: None gives one draw per
        row, ``size=(m, n_samples)`` m per row.
        """
        shape = self.shape if size is None else tuple(np.atleast_1d(size))
        shape = np.broadcast_shapes(shape, self.shape)
        if not isinstance(random_state, np.random.Generator):
            random_state = check_random_state(random_state)
        noise = random_state.standard_normal(shape + self._mean.shape[-1:])
        factor = np.linalg.cholesky(self._cov)
        return self._mean + np.einsum("...ij,...j->...i", factor, noise)


def _component_mixture(family, n_arguments, n_components, *args):
    """The :class:`ComponentMixture` of flat ``args`` (its own ``args``)."""
    arguments = [
        args[m * n_arguments : (m + 1) * n_arguments] for m in range(n_components)
    ]
    weights = np.stack(args[n_components * n_arguments :], axis=-1)
    return ComponentMixture(family, arguments, weights)


def _draw_components(weights, n_samples, random_state):
    """Component indices drawn by ``weights`` (shape ``(..., K)``), one per
    position and draw: shape ``weights.shape[:-1] + (n_samples,)``."""
    cumulative = np.cumsum(weights, axis=-1)
    uniform = random_state.random_sample(weights.shape[:-1] + (n_samples,))
    # The component is the first whose cumulative weight exceeds the draw.
    index = np.sum(uniform[..., np.newaxis] >= cumulative[..., np.newaxis, :], axis=-1)
    return np.minimum(index, weights.shape[-1] - 1)


def _weighted_quantiles(y, sample_weight, q):
    """Column-wise (weighted) quantiles ``q`` of ``y``, shape ``(len(q), k)``."""
    weight = np.ones(len(y)) if sample_weight is None else sample_weight
    order = np.argsort(y, axis=0, kind="stable")
    result = np.empty((len(q), y.shape[1]))
    for j in range(y.shape[1]):
        cumulative = np.cumsum(weight[order[:, j]])
        index = np.searchsorted(cumulative, np.asarray(q) * cumulative[-1])
        result[:, j] = y[order[np.minimum(index, len(y) - 1), j], j]
    return result


def _fit_normal_mixture(y, n_components, sample_weight=None, max_iter=500, tol=1e-12):
    """Maximum-likelihood mixture of normals of each column, by EM.

    As scikit-learn's ``GaussianMixture`` on one feature, with sample
    weights: the means start at the quantiles of the components' centres
    (deterministic, so that integer weights fit as repeated rows do), the
    spreads at the standard deviation, the weights equal. Spreads are held
    at least :data:`SPREAD_FLOOR` times the standard deviation (a component
    on a single value would have an infinite likelihood). Returns means,
    spreads and weights, each ``(n_components, k)``.
    """
    weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
    total = weight.sum()
    centre = np.average(y, axis=0, weights=weight)
    std = np.sqrt(np.average((y - centre) ** 2, axis=0, weights=weight))
    std = np.where(std > 0, std, 1.0)
    floor = SPREAD_FLOOR * std
    quantiles = (np.arange(n_components) + 0.5) / n_components
    means = _weighted_quantiles(y, sample_weight, quantiles)
    scales = np.broadcast_to(std, means.shape).copy()
    weights = np.full(means.shape, 1.0 / n_components)
    previous = -np.inf
    for _ in range(max_iter):
        z = (y[:, np.newaxis, :] - means) / scales
        log_joint = np.log(weights) - 0.5 * z * z - np.log(scales) - 0.5 * _LOG_2PI
        log_density = logsumexp(log_joint, axis=1, keepdims=True)
        responsibility = np.exp(log_joint - log_density) * weight[:, np.newaxis, None]
        mass = np.maximum(responsibility.sum(axis=0), 1e-300)
        means = np.einsum("imk,ik->mk", responsibility, y) / mass
        square = np.einsum(
            "imk,imk->mk", responsibility, (y[:, np.newaxis] - means) ** 2
        )
        scales = np.maximum(np.sqrt(square / mass), floor)
        weights = np.maximum(mass / total, 1e-300)
        current = float(weight @ log_density[:, 0, :].sum(axis=1)) / total
        if current - previous <= tol * max(1.0, abs(current)):
            break
        previous = current
    return means, scales, weights / weights.sum(axis=0)


def _zero_inflated_constant(mean, zeros, log_count_zero):
    """Maximum-likelihood constant count mean and zero probability of one
    target of a zero-inflated count model.

    With ``m`` the mean count, ``f`` the fraction of zeros and ``p0(mu) =
    exp(log_count_zero(mu))`` the count model's probability of 0 at mean
    ``mu``, the zeros are in excess when ``f > p0(m)``: the model then
    gives 0 the probability ``f`` and the positive counts the mean they
    have, so ``mu`` solves ``m (1 - p0(mu)) = mu (1 - f)`` and ``pi = 1 - m
    / mu``. Otherwise the best constant is the count model itself: ``pi =
    0``.
    """
    if mean <= 0:  # only zeros: every zero structural
        return 1.0, 1.0
    if zeros > np.exp(log_count_zero(mean)) and zeros < 1:

        def excess(rate):
            return mean * -np.expm1(log_count_zero(rate)) - rate * (1 - zeros)

        rate = optimize.brentq(excess, mean, mean / (1 - zeros), xtol=1e-14, rtol=1e-15)
        return rate, 1 - mean / rate
    return mean, 0.0


#: Distribution classes by the name the ``distribution`` parameter uses.
DISTRIBUTIONS = {
    cls.name: cls
    for cls in (
        Gaussian,
        LogNormal,
        HeteroscedasticGaussian,
        Laplace,
        StudentT,
        Poisson,
        Gamma,
        Weibull,
        NegativeBinomial,
        Bernoulli,
        Categorical,
        GaussianMixture,
        MultivariateGaussian,
        ZeroInflatedPoisson,
        ZeroInflatedNegativeBinomial,
    )
}


def resolve(distribution, link=None):
    """A new, unfitted distribution from a name or an instance.

    The instance given is never changed (a copy is returned); ``link``
    (an estimator's ``out_activation``), when given, overrides its link.
    """
    if isinstance(distribution, str):
        resolved = DISTRIBUTIONS[distribution](link=link)
    else:
        resolved = distribution.__sklearn_clone__()
        if link is not None:
            resolved.set_params(link=link)
    # Validated now, before fitting: its parameters (StudentT's df > 0), as
    # the estimators' own are, and its link.
    resolved._validate_params()
    resolved.activation  # noqa: B018 -- the access validates the link
    return resolved


@functools.cache
def _ones_and_small(n_columns, dtype):
    """A ones vector to sum rows with, and the smallest safe row sum."""
    ones = np.ones(n_columns, dtype=dtype)
    ones.flags.writeable = False
    return ones, np.sqrt(np.finfo(dtype).tiny)


def _floor_spread(scale, dtype):
    """A fitted spread, at least :data:`SPREAD_FLOOR`, in ``dtype``.

    A target without residuals (a perfect fit, a feature constant in the
    training data) would get spread 0: an infinite likelihood, and minus
    infinity for a new value that differs. In training's standardized units
    the floor does not depend on the data's units; it is the spread of
    scikit-learn's ``GaussianMixture(reg_covar=1e-6)``, a variance added to
    data it asks to be standardized.
    """
    return np.maximum(scale, SPREAD_FLOOR).astype(dtype)


def _copy(raw, out):
    if out is None:
        return raw.copy()
    np.copyto(out, raw)
    return out


def _assign(out, values):
    out[...] = values
    return out


def _weighted_sum(values, sample_weight):
    return float(values.sum() if sample_weight is None else values @ sample_weight)


def _weighted_median(y, sample_weight=None):
    """Column-wise (weighted) median of ``y``."""
    if sample_weight is None:
        return np.median(y, axis=0)
    order = np.argsort(y, axis=0)
    medians = []
    for j in range(y.shape[1]):
        weights = np.cumsum(sample_weight[order[:, j]])
        index = np.searchsorted(weights, 0.5 * weights[-1])
        medians.append(y[order[index, j], j])
    return np.array(medians)


def _t_location(y, df, scale, sample_weight, max_iter=200):
    """Maximum-likelihood location of Student's t per column, at ``scale``.

    The EM iteration (iteratively reweighted means, each sample weighted by
    ``(df + 1) / (df + z**2)``) raises the likelihood at every step; from
    the median it converges to the maximum nearest the bulk of the data.
    """
    y = np.asarray(y, dtype=float)
    scale = np.broadcast_to(np.asarray(scale, dtype=float), (y.shape[1],))
    location = _weighted_median(y, sample_weight)
    for _ in range(max_iter):
        z = (y - location) / scale
        weight = (df + 1) / (df + z * z)
        if sample_weight is not None:
            weight = weight * sample_weight[:, np.newaxis]
        updated = np.sum(weight * y, axis=0) / np.sum(weight, axis=0)
        converged = np.all(np.abs(updated - location) <= 1e-12 * (1 + np.abs(location)))
        location = updated
        if converged:
            break
    return location


_EPS = np.finfo(float).eps


def _log_std(y, mean, sample_weight):
    """Log of the weighted standard deviation of each column about ``mean``.

    The deviations are divided by a power of two near the largest (exact)
    before they are squared: the squares of deviations beyond about 1e154
    overflow, those below about 1e-154 underflow.
    """
    deviation = y - mean
    exponent = np.frexp(np.max(np.abs(deviation), axis=0))[1]
    variance = np.average(
        np.ldexp(deviation, -exponent) ** 2, axis=0, weights=sample_weight
    )
    with np.errstate(divide="ignore"):  # no deviation: log(0) = -inf
        return 0.5 * np.log(variance) + exponent * np.log(2)


def _t_scales(residual, df, sample_weight, max_iter=100):
    """Maximum-likelihood scale of Student's t for the residuals of each column.

    In ``theta = log(scale)`` the mean NLL is ``theta + (df + 1) / 2 *
    mean(log(1 + u))`` with ``u = residual**2 exp(-2 theta) / df``: convex,
    so Newton's method, with steps of at most 1, converges from the
    residuals' standard deviation, every column at once. A column of zero
    residuals (a perfect fit) gets 0: the likelihood grows without bound as
    its scale shrinks.
    """
    residual = np.asarray(residual, dtype=float)
    squares = residual**2
    perfect = ~np.any(squares > 0, axis=0)
    spread = np.sqrt(np.average(squares, axis=0, weights=sample_weight))
    theta = np.log(np.where(perfect, 1.0, spread))
    for _ in range(max_iter):
        u = squares * np.exp(-2 * theta) / df
        share = u / (1 + u)
        slope = 1 - (df + 1) * np.average(share, axis=0, weights=sample_weight)
        curvature = (
            2 * (df + 1) * np.average(share / (1 + u), axis=0, weights=sample_weight)
        )
        step = np.clip(-slope / np.maximum(curvature, 1e-300), -1.0, 1.0)
        step[perfect] = 0
        theta += step
        if np.all(np.abs(step) < 1e-12):
            break
    return np.where(perfect, 0.0, np.exp(theta))


#: The largest shape :func:`_gamma_shape` fits: a coefficient of variation
#: ``1 / sqrt(shape)`` of :data:`SPREAD_FLOOR`, the floor of every spread.
_MAX_GAMMA_SHAPE = SPREAD_FLOOR**-2


def _gamma_half_deviance(shape):
    """``log a - digamma(a)``: the mean half-deviance that shape ``a`` fits."""
    return np.log(shape) - digamma(shape)


def _gamma_shape(deviance, max_iter=50):
    """Maximum-likelihood gamma shape per column from the weighted mean of
    ``r - log r - 1`` over the ratios ``r = y / mean``.

    The shape solves ``log a - digamma(a) = deviance``; the left side falls
    from infinity to 0 as ``a`` grows. Newton's method in ``log a`` starts
    at Minka's closed-form approximation, within 1.5% of the root, and
    converges in a few steps. A deviance near 0 (a near-perfect fit) gives
    at most :data:`_MAX_GAMMA_SHAPE`.
    """
    deviance = np.maximum(np.asarray(deviance, dtype=float), 1e-300)
    shape = (3 - deviance + np.sqrt((deviance - 3) ** 2 + 24 * deviance)) / (
        12 * deviance
    )
    shape = np.minimum(shape, _MAX_GAMMA_SHAPE)
    log_shape = np.log(shape)
    for _ in range(max_iter):
        shape = np.exp(log_shape)
        excess = _gamma_half_deviance(shape) - deviance
        # d/d log a of log a - digamma(a): 1 - a trigamma(a) < 0.
        slope = 1 - shape * polygamma(1, shape)
        step = np.clip(-excess / np.minimum(slope, -1e-300), -1.0, 1.0)
        log_shape = np.minimum(log_shape + step, np.log(_MAX_GAMMA_SHAPE))
        if np.all(np.abs(step) < 1e-12):
            break
    return np.exp(log_shape)


#: The range of the negative binomial's fitted dispersion: beyond the
#: ceiling its variance differs from the Poisson's by less than
#: ``mean**2 / 1e8``; the floor keeps ``log Gamma(r)`` finite.
_DISPERSION_RANGE = (1e-6, 1e8)


def _nb_dispersion(y, mean, sample_weight=None, zero=None, max_iter=100):
    """Maximum-likelihood NB2 dispersion ``r`` per column at the means ``mean``.

    Newton's method on ``log r`` from the moment estimate ``mean(mu**2) /
    (mean((y - mu)**2) - mean(mu))``, every column at once, with steps of at
    most 1 (a plain step uphill where the log-likelihood is not concave), in
    :data:`_DISPERSION_RANGE`. Counts no more dispersed than a Poisson's
    give the ceiling: the likelihood rises towards the Poisson.

    With ``zero``, each row's probability ``pi`` of a structural zero, it is
    the zero-inflated likelihood's: a zero is the negative binomial's with
    probability ``1 - q`` (``q`` its posterior probability of being
    structural), which scales its score in ``r`` by ``1 - q`` and adds ``q
    score**2`` to its curvature (before the scaling); the moment estimate
    takes the mean ``(1 - pi) mu`` and the variance the structural zeros add.
    """
    y = np.asarray(y, dtype=float)
    mean = np.asarray(mean, dtype=float)
    inflated = zero is not None
    zero = np.asarray(zero, dtype=float) if inflated else 0.0
    keep = 1 - zero
    low, high = np.log(_DISPERSION_RANGE[0]), np.log(_DISPERSION_RANGE[1])
    # Beyond the variance (1 - pi) mu (1 + pi mu), the NB's (1 - pi) mu**2 / r.
    excess = np.average(
        (y - keep * mean) ** 2 - keep * mean * (1 + zero * mean),
        axis=0,
        weights=sample_weight,
    )
    squares = np.average(keep * mean * mean, axis=0, weights=sample_weight)
    with np.errstate(divide="ignore", invalid="ignore"):
        start = np.where(excess > 0, squares / excess, np.exp(high))
    log_r = np.clip(np.log(np.maximum(start, np.exp(low))), low, high)
    for _ in range(max_iter):
        r = np.exp(log_r)
        total = r + mean
        score = digamma(y + r) - digamma(r) + np.log(r / total) + (mean - y) / total
        curvature = (
            polygamma(1, y + r)
            - polygamma(1, r)
            + mean / (r * total)
            + (y - mean) / total**2
        )
        if inflated:
            # q = pi / (pi + (1 - pi) NB(0)), with NB(0) = (r / total)**r.
            count_zero = keep * np.exp(r * np.log(r / total))
            structural = np.where(
                y == 0, zero / np.maximum(zero + count_zero, np.finfo(float).tiny), 0.0
            )
            curvature = (1 - structural) * (curvature + structural * score**2)
            score = (1 - structural) * score
        slope = np.average(score, axis=0, weights=sample_weight)
        curvature = np.average(curvature, axis=0, weights=sample_weight)
        # In log r: first and second derivatives of the mean log-likelihood.
        gradient = r * slope
        hessian = r * r * curvature + gradient
        step = np.where(
            hessian < 0, -gradient / np.minimum(hessian, -1e-300), np.sign(gradient)
        )
        step = np.clip(step, -1.0, 1.0)
        updated = np.clip(log_r + step, low, high)
        converged = np.all(np.abs(updated - log_r) < 1e-12)
        log_r = updated
        if converged:
            break
    return np.exp(log_r)


def _log_gamma_sf(a, x):
    """``log Q(a, x)``, the log of the gamma's regularized upper incomplete
    function (its survival function at ``x`` times the scale): beyond where
    ``Q`` underflows, the first terms of its asymptotic series,
    ``(a - 1) log x - x - log Gamma(a) + log(1 + (a - 1) / x)``."""
    a, x = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(x, dtype=float))
    q = gammaincc(a, x)
    tiny = q < 1e-280
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = (a - 1) * np.log(x) - x - gammaln(a) + np.log1p((a - 1) / x)
        return np.where(tiny, tail, np.log(np.where(tiny, 1.0, q)))


def _check_positive(y, what, name):
    low = np.min(y)
    if not low > 0:
        # The likelihood's name, not the parameter's repr: an instance and
        # its name are refused alike.
        raise ValueError(
            f"The {name} likelihood needs {what} > 0 (positive numbers); got "
            f"values down to {low:g}."
        )


def _check_unit_interval(y, what, name):
    low, high = np.min(y), np.max(y)
    if low < 0 or high > 1:
        raise ValueError(
            f"distribution={name!r} needs {what} in [0, 1] (labels, rates or "
            f"probabilities); got values from {low:g} to {high:g}."
        )
