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
        """The mean of p(y | raw): the link applied to ``raw``."""
        return self.link.forward(np.array(raw, copy=True))

    def check_target(self, y):
        """Raise a ValueError when ``y`` lies outside the distribution's domain."""

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
    """

    name = "gaussian"
    canonical_link = "identity"
    links = ("identity", "logistic", "tanh", "relu", "softmax")

    def nll(self, y, raw, scale=1.0):
        """Per-sample NLL, shape (n_samples,)."""
        z = (y - self.mean(raw)) / scale
        return (
            0.5 * np.einsum("ij,ij->i", z, z)
            + np.sum(np.log(np.broadcast_to(scale, (y.shape[1],))))
            + 0.5 * y.shape[1] * _LOG_2PI
        )

    def gradient(self, y, raw, out=None):
        """``d NLL / d raw`` at ``sigma = 1``: ``(mean - y) * link'(raw)``."""
        out = _copy(raw, out)
        mean = self.link.forward(out)
        if self.is_canonical:
            # Identity link: d NLL / d raw = mean - y, nothing to multiply.
            return np.subtract(mean, y, out=out)
        # A squashing link keeps its derivative: the error signal fades where
        # the output saturates (the seed's "MSE learns slowly" experiment).
        return self.link.backward(mean.copy(), np.subtract(mean, y, out=out))

    def nll_and_gradient(self, y, raw, gradient, sample_weight=None):
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
        """Maximum-likelihood sigma per output given the fitted means."""
        squares, total_weight = self.residual_squares(y, mean, sample_weight)
        return self.scale_from_squares(squares, total_weight, mean.dtype)

    @staticmethod
    def residual_squares(y, mean, sample_weight=None):
        """``sum_i w_i (y_i - mean_i)**2`` per output, and ``sum_i w_i``.

        What :meth:`fit_scale` needs, summed over chunks of rows when the data
        is large.
        """
        residual = y - mean
        squared = residual * residual
        if sample_weight is None:
            return squared.sum(axis=0), len(y)
        return sample_weight @ squared, sample_weight.sum()

    @staticmethod
    def scale_from_squares(squares, total_weight, dtype):
        """The maximum-likelihood sigma from :meth:`residual_squares`."""
        variance = np.asarray(squares / total_weight, dtype=dtype)
        # A perfect fit would give sigma = 0 and an infinite likelihood.
        return np.sqrt(np.maximum(variance, np.finfo(dtype).eps ** 2))

    def sample(self, mean, n_samples, random_state, scale=1.0):
        """Draws of shape ``mean.shape + (n_samples,)``."""
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
    """

    name = "bernoulli"
    canonical_link = "logistic"
    links = ("logistic",)

    def nll(self, y, raw):
        """Per-sample NLL, shape (n_samples,)."""
        if np.isfinite(raw).all():
            return np.sum(np.logaddexp(0, raw) - y * raw, axis=1)
        # An infinite raw output would give inf - inf: use the symmetric form
        # y log(1 + e^-raw) + (1 - y) log(1 + e^raw), where 0 * inf counts as 0.
        positive = np.where(y > 0, y * np.logaddexp(0, -raw), 0.0)
        negative = np.where(y < 1, (1 - y) * np.logaddexp(0, raw), 0.0)
        return np.sum(positive + negative, axis=1)

    def gradient(self, y, raw, out=None):
        """``d NLL / d raw = expit(raw) - y``: the canonical shortcut."""
        out = expit(raw, out=out)
        return np.subtract(out, y, out=out)

    def check_target(self, y):
        _check_unit_interval(y, "targets")

    def sample(self, mean, n_samples, random_state):
        """0/1 draws of shape ``mean.shape + (n_samples,)``."""
        uniform = random_state.random_sample(mean.shape + (n_samples,))
        return (uniform < mean[..., np.newaxis]).astype(mean.dtype)


class Categorical(_Distribution):
    """Categorical likelihood over ``n_outputs`` classes.

    *Domain*: rows of y are probability vectors (one-hot labels).
    *Link*: softmax (canonical).

    ``NLL = logsumexp(raw) - sum_k y_k raw_k``, the categorical cross-entropy.
    """

    name = "categorical"
    canonical_link = "softmax"
    links = ("softmax",)

    def nll(self, y, raw):
        """Per-sample NLL, shape (n_samples,)."""
        top = raw.max(axis=1, keepdims=True)
        logsumexp = np.log(np.exp(raw - top).sum(axis=1, keepdims=True)) + top
        return np.einsum("ij,ij->i", y, logsumexp - raw)

    def gradient(self, y, raw, out=None):
        """``d NLL / d raw = softmax(raw) - y``: the canonical shortcut."""
        out = _copy(raw, out)
        self.link.forward(out)
        return np.subtract(out, y, out=out)

    def nll_and_gradient(self, y, raw, gradient, sample_weight=None):
        # One pass shares the shifted exponentials between the softmax and the
        # log-sum-exp; rows of y sum to one. The shift is the batch's maximum
        # (one fast reduction, unlike a row-wise max over a short axis); a row
        # whose exponentials all but underflow is redone with its own maximum.
        ones = np.ones(raw.shape[1], dtype=raw.dtype)
        small = np.sqrt(np.finfo(raw.dtype).tiny)
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
        """Class indices of shape ``(n_samples_X, n_samples)``."""
        cumulative = np.cumsum(mean, axis=1)
        uniform = random_state.random_sample((mean.shape[0], 1, n_samples))
        # The class is the first whose cumulative probability exceeds the draw.
        draw = uniform * cumulative[:, -1:, np.newaxis]
        index = np.sum(draw >= cumulative[:, :, np.newaxis], axis=1)
        return np.minimum(index, mean.shape[1] - 1)


#: Distribution classes by the name the ``distribution`` parameter uses.
DISTRIBUTIONS = {cls.name: cls for cls in (Gaussian, Bernoulli, Categorical)}


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
