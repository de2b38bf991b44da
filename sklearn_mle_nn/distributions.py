"""Likelihoods p(y | raw) that turn a network's raw output into a loss.

A distribution *has* a link (composition, as scikit-learn's losses do): the
link maps the network's raw output to the distribution's mean. Every method
takes the **raw** output, never a clipped mean, so that the numerically
delicate parts (``log(1 + exp(raw))``, log-sum-exp) stay inside the
distribution.

The negative log-likelihood (NLL) is the training loss. With the *canonical*
link of a distribution, its gradient with respect to the raw output is simply
``mean - y``: the derivative of the link cancels. Any other link brings that
derivative back through the chain rule (see :meth:`Gaussian.gradient`).
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import functools

import numpy as np
from scipy.special import expit

from ._activations import ACTIVATIONS

_LOG_2PI = np.log(2 * np.pi)


class _Distribution:
    """What every distribution shares: its link and the weighted loss."""

    #: Name used by the ``distribution`` parameter.
    name = None
    #: The link whose derivative cancels in the NLL gradient.
    canonical_link = None
    #: The links whose output lies in the domain of the mean.
    links = ()

    def __init__(self, link=None):
        link = self.canonical_link if link is None else link
        if link not in self.links:
            raise ValueError(
                f"out_activation={link!r} cannot give the mean of a "
                f"{self.name!r} distribution; use one of {sorted(self.links)} "
                f"or None for the canonical {self.canonical_link!r}."
            )
        # The name, not the class, is stored: it pickles (and skops-loads) as
        # a plain string.
        self.link_name = link
        self.is_canonical = link == self.canonical_link

    @property
    def link(self):
        """The activation that maps the raw output to the mean."""
        return ACTIVATIONS[self.link_name]

    def __repr__(self):
        return f"{type(self).__name__}(link={self.link.name!r})"

    def mean(self, raw):
        """The mean of p(y | raw): the link applied to ``raw``.

        Parameters
        ----------
        raw : ndarray of shape (n_samples, n_outputs)
            Raw network outputs.

        Returns
        -------
        mean : ndarray of shape (n_samples, n_outputs)
            A new array; ``raw`` is left as it is.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Bernoulli
        >>> Bernoulli().mean(np.array([[0.0, 2.0]])).round(3)
        array([[0.5  , 0.881]])
        """
        return self.link.forward(np.array(raw, copy=True))

    def intercept_only_raw(self, y, sample_weight=None):
        """The raw output of the best constant model: the link of the mean of y.

        The network contains this intercept-only model (every weight zero);
        a fit whose likelihood is worse than its likelihood has failed.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Targets.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        raw : ndarray of shape (1, n_outputs)
            The constant raw output (a mean at the edge of the link's range
            is clipped inside it, so that ``raw`` is finite).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Bernoulli
        >>> Bernoulli().intercept_only_raw(np.array([[1.0], [0.0], [0.0], [0.0]]))
        array([[-1.09861229]])
        """
        mean = np.average(y, axis=0, weights=sample_weight)
        return self.link.inverse(mean[np.newaxis, :])

    def check_target(self, y):
        """Raise a ValueError when ``y`` lies outside the distribution's domain.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Targets.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Bernoulli
        >>> Bernoulli().check_target(np.array([[0.0], [0.3], [1.0]]))
        >>> Bernoulli().check_target(np.array([[2.0]]))
        Traceback (most recent call last):
        ...
        ValueError: distribution='bernoulli' needs targets in [0, 1] ...
        """

    def nll_and_gradient(self, y, raw, gradient, sample_weight=None):
        """Sum of the (weighted) NLL of a batch and its per-sample gradient.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Targets.
        raw : ndarray of shape (n_samples, n_outputs)
            Raw network outputs.
        gradient : ndarray of shape (n_samples, n_outputs)
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
        self.gradient(y, raw, out=gradient)
        return _weighted_sum(self.nll(y, raw), sample_weight)


class Gaussian(_Distribution):
    """Normal likelihood with one standard deviation per output.

    *Domain*: y real. *Link*: identity (canonical); logistic, tanh, relu and
    softmax are accepted as non-canonical links (mean squared error on a
    squashed output, the seed's "MSE with a sigmoid").

    ``NLL = 0.5 * sum_k ((y_k - mean_k) / sigma_k)**2 + sum_k log(sigma_k)
    + 0.5 * n_outputs * log(2 pi)``. Training holds ``sigma = 1``: the NLL is
    then half the squared error plus a constant.

    Parameters
    ----------
    link : {'identity', 'logistic', 'tanh', 'relu', 'softmax'} or None, \
            default=None
        The activation from the raw output to the mean; None is the identity.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sklearn_mle_nn.distributions import Gaussian
    >>> y, raw = np.array([[1.0], [2.5]]), np.array([[0.5], [2.0]])
    >>> nll = Gaussian().nll(y, raw, scale=2.0)
    >>> bool(np.allclose(nll, -norm.logpdf(y, raw, 2.0).ravel()))
    True
    >>> Gaussian().gradient(y, raw).ravel().tolist()
    [-0.5, -0.5]
    >>> Gaussian("logistic").is_canonical
    False
    """

    name = "gaussian"
    canonical_link = "identity"
    links = ("identity", "logistic", "tanh", "relu", "softmax")

    def nll(self, y, raw, scale=1.0):
        """Negative log-likelihood of every sample, summed over outputs.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Targets.
        raw : ndarray of shape (n_samples, n_outputs)
            Raw network outputs.
        scale : float or ndarray of shape (n_outputs,), default=1.0
            Standard deviation of the noise.

        Returns
        -------
        nll : ndarray of shape (n_samples,)
            ``-log p(y_i | raw_i)``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Gaussian
        >>> Gaussian().nll(np.array([[0.0]]), np.array([[0.0]])).round(4)
        array([0.9189])
        """
        z = (y - self.mean(raw)) / scale
        return (
            0.5 * np.einsum("ij,ij->i", z, z)
            + np.sum(np.log(np.broadcast_to(scale, (y.shape[1],))))
            + 0.5 * y.shape[1] * _LOG_2PI
        )

    def gradient(self, y, raw, out=None):
        """``d NLL / d raw`` at ``sigma = 1``: ``(mean - y) * link'(raw)``.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Targets.
        raw : ndarray of shape (n_samples, n_outputs)
            Raw network outputs.
        out : ndarray of shape (n_samples, n_outputs), default=None
            Buffer for the result; a new array when None.

        Returns
        -------
        gradient : ndarray of shape (n_samples, n_outputs)
            Per-sample gradient with respect to ``raw``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Gaussian
        >>> y, raw = np.array([[0.0]]), np.array([[0.0]])
        >>> Gaussian().gradient(y, raw), Gaussian("logistic").gradient(y, raw)
        (array([[0.]]), array([[0.125]]))
        """
        out = _copy(raw, out)
        mean = self.link.forward(out)
        if self.is_canonical:
            # Identity link: d NLL / d raw = mean - y, nothing to multiply.
            return np.subtract(mean, y, out=out)
        # A squashing link keeps its derivative: the error signal fades where
        # the output saturates (the seed's "MSE learns slowly" experiment).
        return self.link.backward(mean.copy(), np.subtract(mean, y, out=out))

    def nll_and_gradient(self, y, raw, gradient, sample_weight=None):
        # Same contract as _Distribution.nll_and_gradient (documented there).
        if not self.is_canonical:
            return super().nll_and_gradient(y, raw, gradient, sample_weight)
        # The residual is the gradient: reuse it for the loss.
        residual = self.gradient(y, raw, out=gradient)
        if sample_weight is None:
            squares, total_weight = np.vdot(residual, residual), len(y)
        else:
            squares = _weighted_sum(
                np.einsum("ij,ij->i", residual, residual), sample_weight
            )
            total_weight = sample_weight.sum()
        return float(0.5 * squares + 0.5 * y.shape[1] * _LOG_2PI * total_weight)

    def fit_scale(self, y, mean, sample_weight=None):
        """Maximum-likelihood sigma per output given the fitted means.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Targets.
        mean : ndarray of shape (n_samples, n_outputs)
            Fitted means.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        sigma : ndarray of shape (n_outputs,)
            The weighted root-mean-square residual.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Gaussian
        >>> y, mean = np.array([[1.0], [-1.0]]), np.zeros((2, 1))
        >>> Gaussian().fit_scale(y, mean)
        array([1.])
        """
        squares, total_weight = self.residual_squares(y, mean, sample_weight)
        return self.scale_from_squares(squares, total_weight, mean.dtype)

    @staticmethod
    def residual_squares(y, mean, sample_weight=None):
        """``sum_i w_i (y_i - mean_i)**2`` per output, and ``sum_i w_i``.

        What :meth:`fit_scale` needs, summed over chunks of rows when the data
        is large.

        Parameters
        ----------
        y, mean : ndarray of shape (n_samples, n_outputs)
            Targets and fitted means.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        squares : ndarray of shape (n_outputs,)
            Weighted sums of squared residuals.
        total_weight : float
            Sum of the weights.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Gaussian
        >>> Gaussian.residual_squares(np.array([[1.0], [-1.0]]), np.zeros((2, 1)))
        (array([2.]), 2)
        """
        residual = y - mean
        squared = residual * residual
        if sample_weight is None:
            return squared.sum(axis=0), len(y)
        return sample_weight @ squared, sample_weight.sum()

    @staticmethod
    def scale_from_squares(squares, total_weight, dtype):
        """The maximum-likelihood sigma from :meth:`residual_squares`.

        Parameters
        ----------
        squares : ndarray of shape (n_outputs,)
            Weighted sums of squared residuals.
        total_weight : float
            Sum of the weights.
        dtype : dtype
            Dtype of the result.

        Returns
        -------
        sigma : ndarray of shape (n_outputs,)
            ``sqrt(squares / total_weight)``, at least machine epsilon.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Gaussian
        >>> Gaussian.scale_from_squares(np.array([8.0]), 2, np.float64)
        array([2.])
        """
        variance = np.asarray(squares / total_weight, dtype=dtype)
        # A perfect fit would give sigma = 0 and an infinite likelihood.
        return np.sqrt(np.maximum(variance, np.finfo(dtype).eps ** 2))

    def sample(self, mean, n_samples, random_state, scale=1.0):
        """Draws from N(mean, scale**2).

        Parameters
        ----------
        mean : ndarray of shape (n_samples_X, n_outputs)
            Means.
        n_samples : int
            Draws per mean.
        random_state : RandomState instance
            Source of the draws.
        scale : float or ndarray of shape (n_outputs,), default=1.0
            Standard deviations.

        Returns
        -------
        draws : ndarray of shape (n_samples_X, n_outputs, n_samples)
            The draws, last axis over draws.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Gaussian
        >>> rng = np.random.RandomState(0)
        >>> Gaussian().sample(np.zeros((2, 1)), 3, rng).shape
        (2, 1, 3)
        """
        scale = np.broadcast_to(scale, mean.shape[-1:])[:, np.newaxis]
        noise = random_state.standard_normal(mean.shape + (n_samples,))
        return (mean[..., np.newaxis] + scale * noise).astype(mean.dtype, copy=False)


class Bernoulli(_Distribution):
    """Independent Bernoulli likelihood, one probability per output.

    *Domain*: y in [0, 1] (binary labels, or rates and probabilities as soft
    targets). *Link*: logistic (canonical; the only one that maps into (0, 1)).

    ``NLL = sum_k log(1 + exp(raw_k)) - y_k raw_k``, the binary cross-entropy,
    computed from ``raw`` so that it stays finite where the mean rounds to 0
    or 1.

    Parameters
    ----------
    link : {'logistic'} or None, default=None
        The activation from the raw output to the mean.

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

    def nll(self, y, raw):
        """Negative log-likelihood of every sample, summed over outputs.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Targets in [0, 1].
        raw : ndarray of shape (n_samples, n_outputs)
            Raw network outputs (log-odds).

        Returns
        -------
        nll : ndarray of shape (n_samples,)
            The binary cross-entropy.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Bernoulli
        >>> Bernoulli().nll(np.array([[1.0]]), np.array([[0.0]])).round(4)
        array([0.6931])
        """
        if np.isfinite(raw).all():
            return np.sum(np.logaddexp(0, raw) - y * raw, axis=1)
        # An infinite raw output would give inf - inf: use the symmetric form
        # y log(1 + e^-raw) + (1 - y) log(1 + e^raw), where 0 * inf counts as 0.
        positive = np.where(y > 0, y * np.logaddexp(0, -raw), 0.0)
        negative = np.where(y < 1, (1 - y) * np.logaddexp(0, raw), 0.0)
        return np.sum(positive + negative, axis=1)

    def gradient(self, y, raw, out=None):
        """``d NLL / d raw = expit(raw) - y``: the canonical shortcut.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_outputs)
            Targets in [0, 1].
        raw : ndarray of shape (n_samples, n_outputs)
            Raw network outputs.
        out : ndarray of shape (n_samples, n_outputs), default=None
            Buffer for the result; a new array when None.

        Returns
        -------
        gradient : ndarray of shape (n_samples, n_outputs)
            ``mean - y``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Bernoulli
        >>> Bernoulli().gradient(np.array([[1.0]]), np.array([[0.0]]))
        array([[-0.5]])
        """
        out = expit(raw, out=out)
        return np.subtract(out, y, out=out)

    def check_target(self, y):
        _check_unit_interval(y, "targets")

    def sample(self, mean, n_samples, random_state):
        """0/1 draws with success probabilities ``mean``.

        Parameters
        ----------
        mean : ndarray of shape (n_samples_X, n_outputs)
            Probabilities.
        n_samples : int
            Draws per mean.
        random_state : RandomState instance
            Source of the draws.

        Returns
        -------
        draws : ndarray of shape (n_samples_X, n_outputs, n_samples)
            0.0 or 1.0, in the dtype of ``mean``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Bernoulli
        >>> rng = np.random.RandomState(0)
        >>> Bernoulli().sample(np.array([[0.0, 1.0]]), 2, rng).tolist()
        [[[0.0, 0.0], [1.0, 1.0]]]
        """
        uniform = random_state.random_sample(mean.shape + (n_samples,))
        return (uniform < mean[..., np.newaxis]).astype(mean.dtype)


class Categorical(_Distribution):
    """Categorical likelihood over ``n_outputs`` classes.

    *Domain*: rows of y are probability vectors (one-hot labels).
    *Link*: softmax (canonical).

    ``NLL = logsumexp(raw) - sum_k y_k raw_k``, the categorical cross-entropy.

    Parameters
    ----------
    link : {'softmax'} or None, default=None
        The activation from the raw output to the class probabilities.

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

    def nll(self, y, raw):
        """Negative log-likelihood of every sample.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_classes)
            One-hot labels (rows of probabilities).
        raw : ndarray of shape (n_samples, n_classes)
            Raw network outputs.

        Returns
        -------
        nll : ndarray of shape (n_samples,)
            The categorical cross-entropy, from a log-sum-exp.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Categorical
        >>> Categorical().nll(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]])).round(4)
        array([0.6931])
        """
        top = raw.max(axis=1, keepdims=True)
        logsumexp = np.log(np.exp(raw - top).sum(axis=1, keepdims=True)) + top
        return np.einsum("ij,ij->i", y, logsumexp - raw)

    def gradient(self, y, raw, out=None):
        """``d NLL / d raw = softmax(raw) - y``: the canonical shortcut.

        Parameters
        ----------
        y : ndarray of shape (n_samples, n_classes)
            One-hot labels.
        raw : ndarray of shape (n_samples, n_classes)
            Raw network outputs.
        out : ndarray of shape (n_samples, n_classes), default=None
            Buffer for the result; a new array when None.

        Returns
        -------
        gradient : ndarray of shape (n_samples, n_classes)
            ``softmax(raw) - y``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Categorical
        >>> Categorical().gradient(np.array([[1.0, 0.0]]), np.zeros((1, 2)))
        array([[-0.5,  0.5]])
        """
        out = _copy(raw, out)
        self.link.forward(out)
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

    def check_target(self, y):
        _check_unit_interval(y, "targets")

    def sample(self, mean, n_samples, random_state):
        """Class indices drawn with probabilities ``mean``.

        Parameters
        ----------
        mean : ndarray of shape (n_samples_X, n_classes)
            Class probabilities, rows summing to one.
        n_samples : int
            Draws per row.
        random_state : RandomState instance
            Source of the draws.

        Returns
        -------
        draws : ndarray of shape (n_samples_X, n_samples)
            Column indices of ``mean``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn.distributions import Categorical
        >>> rng = np.random.RandomState(0)
        >>> Categorical().sample(np.array([[0.0, 1.0, 0.0]]), 4, rng).tolist()
        [[1, 1, 1, 1]]
        """
        cumulative = np.cumsum(mean, axis=1)
        uniform = random_state.random_sample((mean.shape[0], 1, n_samples))
        # The class is the first whose cumulative probability exceeds the draw.
        draw = uniform * cumulative[:, -1:, np.newaxis]
        index = np.sum(draw >= cumulative[:, :, np.newaxis], axis=1)
        return np.minimum(index, mean.shape[1] - 1)


#: Distribution classes by the name the ``distribution`` parameter uses.
DISTRIBUTIONS = {cls.name: cls for cls in (Gaussian, Bernoulli, Categorical)}


@functools.cache
def _ones_and_small(n_columns, dtype):
    """A ones vector to sum rows with, and the smallest safe row sum."""
    ones = np.ones(n_columns, dtype=dtype)
    ones.flags.writeable = False
    return ones, np.sqrt(np.finfo(dtype).tiny)


def _copy(raw, out):
    if out is None:
        return raw.copy()
    np.copyto(out, raw)
    return out


def _weighted_sum(values, sample_weight):
    return float(values.sum() if sample_weight is None else values @ sample_weight)


def _check_unit_interval(y, what):
    low, high = np.min(y), np.max(y)
    if low < 0 or high > 1:
        raise ValueError(
            f"distribution='bernoulli' needs {what} in [0, 1] (labels, rates or "
            f"probabilities); got values from {low:g} to {high:g}."
        )
