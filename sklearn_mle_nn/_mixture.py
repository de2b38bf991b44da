"""A weighted mixture of vectorised distributions, with scipy.stats' interface."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import logsumexp
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if

#: The quantile search stops when its step is this fraction of the first
#: bracket (the spread of the components' own quantiles), or a few floats.
_RELATIVE_WIDTH = 2.0**-40

#: A bound on the quantile search's steps: bisection alone meets the
#: tolerance in 41, Newton's steps in fewer.
_MAX_STEPS = 100


def _continuous(mixture):
    return not mixture.discrete


def _discrete(mixture):
    return mixture.discrete


class MixtureDistribution:
    """Weighted mixture of frozen, vectorised ``scipy.stats`` distributions.

    The density of the mixture is ``sum_m weights[..., m] * p_m(y)`` at every
    position of the batch (a row, or a row and an output), as that of a
    frozen ``scipy.stats`` distribution of the same shape: its methods take
    arrays that broadcast against the batch shape and work on all positions
    at once. The ensembles' ``predict_distribution`` returns one, with equal
    weights over the members; weights may also vary by row.

    Parameters
    ----------
    components : list of frozen scipy.stats distributions
        The M components, all continuous or all discrete, vectorised over
        batch shapes that broadcast together.

    weights : array-like of shape (M,) or broadcastable to batch_shape + (M,)
        The non-negative weights of the components, summing to one along the
        last axis.

    Attributes
    ----------
    components : list of frozen scipy.stats distributions
        The components, as given.

    weights : ndarray of shape batch_shape + (M,)
        The weights, broadcast to every position of the batch.

    shape : tuple of int
        The batch shape.

    discrete : bool
        Whether the components are discrete: the mixture then has ``pmf`` and
        ``logpmf`` instead of ``pdf`` and ``logpdf``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle_nn._mixture import MixtureDistribution
    >>> mixture = MixtureDistribution(
    ...     [stats.norm([0.0, 1.0], 1.0), stats.norm([2.0, 1.0], 1.0)], [0.5, 0.5]
    ... )
    >>> mixture.mean().tolist(), mixture.var().tolist()
    ([1.0, 1.0], [2.0, 1.0])
    >>> low, high = mixture.interval(0.9)
    >>> bool(np.allclose(mixture.cdf(high) - mixture.cdf(low), 0.9))
    True
    """

    def __init__(self, components, weights):
        components = list(components)
        if not components:
            raise ValueError("A mixture needs at least one component.")
        kinds = {hasattr(component, "pmf") for component in components}
        if len(kinds) > 1:
            raise ValueError(
                "The components of a mixture must be all continuous or all "
                "discrete; got both."
            )
        for component in components:
            if not hasattr(component, "cdf"):
                # The mixture is one of each position of the batch: a
                # distribution of each row's vector (a joint logpdf of shape
                # (n,) beside means of shape (n, k)) would be mixed wrongly.
                raise NotImplementedError(
                    "The components of a mixture must be univariate "
                    "distributions (with a cdf), one at each position of the "
                    f"batch; {component!r} is not. (An ensemble of such "
                    "members gives predict, sample and log_likelihood, but "
                    "not predict_distribution nor predict_interval.)"
                )
        weights = np.asarray(weights, dtype=float)
        if weights.ndim == 0 or weights.shape[-1] != len(components):
            raise ValueError(
                f"weights must have one value per component along its last axis "
                f"({len(components)}), got shape {weights.shape}."
            )
        if not (np.all(weights >= 0) and np.allclose(weights.sum(axis=-1), 1.0)):
            raise ValueError(
                "weights must be non-negative and sum to one along the last axis."
            )
        self.components = components
        self.discrete = kinds.pop()
        self.shape = np.broadcast_shapes(
            weights.shape[:-1],
            *(np.shape(component.mean()) for component in components),
        )
        self.weights = np.broadcast_to(weights, self.shape + (len(components),))

    def __repr__(self):
        kind = "discrete" if self.discrete else "continuous"
        return (
            f"MixtureDistribution({len(self.components)} {kind} components, "
            f"shape={self.shape})"
        )

    def _each(self, method, *args):
        """``method`` of every component, stacked on a last axis."""
        return np.stack(
            np.broadcast_arrays(
                *(getattr(component, method)(*args) for component in self.components)
            ),
            axis=-1,
        )

    def _average(self, method, *args):
        return np.sum(self.weights * self._each(method, *args), axis=-1)

    def _log_average(self, method, *args):
        # log sum_m w_m p_m = logsumexp(log p_m + log w_m): finite where every
        # density underflows.
        with np.errstate(divide="ignore"):
            log_weights = np.log(self.weights)
        return logsumexp(self._each(method, *args) + log_weights, axis=-1)

    @available_if(_continuous)
    def pdf(self, x):
        """Probability density at ``x``."""
        return self._average("pdf", x)

    @available_if(_continuous)
    def logpdf(self, x):
        """Log of the probability density at ``x``."""
        return self._log_average("logpdf", x)

    @available_if(_discrete)
    def pmf(self, x):
        """Probability mass at ``x``."""
        return self._average("pmf", x)

    @available_if(_discrete)
    def logpmf(self, x):
        """Log of the probability mass at ``x``."""
        return self._log_average("logpmf", x)

    def cdf(self, x):
        """Cumulative distribution function at ``x``."""
        return self._average("cdf", x)

    def sf(self, x):
        """Survival function ``1 - cdf(x)``, accurate in the upper tail."""
        return self._average("sf", x)

    def mean(self):
        """Mean: the weighted mean of the components' means."""
        return self._average("mean")

    def var(self):
        """Variance: the components' mean variance plus their means' spread."""
        means = self._each("mean")
        mean = np.sum(self.weights * means, axis=-1, keepdims=True)
        spread = self._each("var") + (means - mean) ** 2
        return np.sum(self.weights * spread, axis=-1)

    def std(self):
        """Standard deviation."""
        return np.sqrt(self.var())

    def ppf(self, q):
        """Quantile function: the smallest ``x`` with ``cdf(x) >= q``.

        Found by a safeguarded Newton search on the mixture's cdf. The
        mixture's ``q``-quantile lies between the smallest and the largest of
        the components' ``q``-quantiles, which bracket it.
        """
        q = np.asarray(q, dtype=float)
        quantiles = self._each("ppf", q)
        low, high = quantiles.min(axis=-1), quantiles.max(axis=-1)
        q = np.broadcast_to(q, low.shape)
        if self.discrete:
            return self._search_integers(q, low, high)
        return self._bisect(q, low, high)

    def _bisect(self, q, low, high):
        """Newton's steps on the cdf, kept inside the bracket by bisection.

        A Newton step that leaves the bracket (or divides by a zero density)
        is replaced by halving the bracket, so the search always converges;
        near the root Newton's steps converge quadratically, in a handful of
        evaluations where bisection takes fifty.
        """
        # Brackets with an infinite end (q of 0 or 1) are already the answer:
        # the lower end of the support for q = 0, the upper one for q = 1.
        open_ = ~(np.isfinite(low) & np.isfinite(high))
        answer_if_open = np.where(q >= 1, high, low)
        low, high = np.where(open_, 0.0, low), np.where(open_, 0.0, high)
        # Converged: a step below a small fraction of the first bracket, or
        # a bracket a few floats wide, which cannot halve any further.
        tolerance = np.maximum(
            _RELATIVE_WIDTH * (high - low),
            2 * np.spacing(np.maximum(np.abs(low), np.abs(high))),
        )
        x = low + (high - low) / 2
        for _ in range(_MAX_STEPS):
            cdf = self.cdf(x)
            below = cdf < q
            low, high = np.where(below, x, low), np.where(below, high, x)
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = x - (cdf - q) / self.pdf(x)
            # A converged step may land on the bracket's end it just moved.
            inside = (newton >= low) & (newton <= high)
            step = np.where(inside, newton, low + (high - low) / 2)
            converged = (np.abs(step - x) <= tolerance) | (high - low <= tolerance)
            x = step
            if np.all(converged):
                break
        return np.where(open_, answer_if_open, x)

    def _search_integers(self, q, low, high):
        # Discrete scipy distributions live on the integers: search them.
        open_ = ~(np.isfinite(low) & np.isfinite(high))
        answer_if_open = np.where(q >= 1, high, low)
        low, high = np.where(open_, 0.0, low), np.where(open_, 0.0, high)
        while np.any(low < high):
            middle = np.floor(low + (high - low) / 2)
            enough = self.cdf(middle) >= q
            low, high = (
                np.where(enough, low, middle + 1),
                np.where(enough, middle, high),
            )
        return np.where(open_, answer_if_open, low)

    def median(self):
        """Median, ``ppf(0.5)``."""
        return self.ppf(0.5)

    def interval(self, confidence):
        """Central interval holding ``confidence`` of the mass.

        Parameters
        ----------
        confidence : float or array-like
            Probability mass inside the interval, in [0, 1].

        Returns
        -------
        low, high : tuple of ndarray
            Its ends, as ``scipy.stats``' ``interval`` gives them.
        """
        confidence = np.asarray(confidence, dtype=float)
        return self.ppf((1 - confidence) / 2), self.ppf((1 + confidence) / 2)

    def rvs(self, size=None, random_state=None):
        """Random draws.

        Each draw picks a component by its weights, then draws from it. The
        component is picked once per row and draw, shared by the outputs of
        the row, so that outputs drawn from a mixture of members come jointly
        from one member.

        Parameters
        ----------
        size : int or tuple of int, default=None
            Shape of the result; it must end with the batch shape ``shape``.
            None gives one draw per position of the batch.

        random_state : int, RandomState instance or None, default=None
            Seeds the draws; None uses numpy's global random state.

        Returns
        -------
        draws : ndarray of shape ``size``
        """
        random_state = check_random_state(random_state)
        size = self.shape if size is None else tuple(np.atleast_1d(size).tolist())
        n_batch = len(self.shape)
        if size[len(size) - n_batch :] != self.shape:
            raise ValueError(
                f"size {size} must end with the mixture's shape {self.shape}."
            )
        draws = np.stack(
            [
                component.rvs(size=size, random_state=random_state)
                for component in self.components
            ],
            axis=-1,
        )
        # One uniform per row and draw: the outputs' axes (after the first
        # batch axis) share it.
        shared = size[: len(size) - n_batch + 1] + (1,) * max(n_batch - 1, 0)
        uniform = random_state.random_sample(shared)
        cumulative = np.cumsum(self.weights, axis=-1)
        # The component is the first whose cumulative weight exceeds the draw.
        index = np.sum(uniform[..., np.newaxis] >= cumulative, axis=-1)
        index = np.minimum(index, len(self.components) - 1)
        index = np.broadcast_to(index, size)
        return np.take_along_axis(draws, index[..., np.newaxis], axis=-1)[..., 0]
