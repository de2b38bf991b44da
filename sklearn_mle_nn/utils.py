"""Utilities for the users of ``sklearn_mle_nn``: checking a distribution."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from .distributions import DISTRIBUTIONS, resolve

#: Rows on which a distribution's methods are checked against each other.
CHECK_ROWS = 8

#: How far from the intercept-only model the checked raw outputs lie.
RAW_SPREAD = 0.1

_BUILT_IN = frozenset(DISTRIBUTIONS.values())


def check_distribution(distribution, y=None, sample_weight=None):
    """Check that a distribution's NLL, gradient and mean agree.

    Like scikit-learn's ``check_estimator`` for a
    :class:`~sklearn_mle_nn.distributions.Distribution`, on a few rows: the
    gradient against central finite differences of the NLL (through
    ``nll_and_gradient``, as training calls it), the NLL against the
    ``logpdf`` (or ``logpmf``) of :meth:`scipy_distribution`, and the mean
    against its ``mean``. The first fit of an estimator on a distribution
    that is not a built-in one runs the same checks on its first rows.

    Parameters
    ----------
    distribution : Distribution or str
        The distribution to check (an instance, or a built-in's name).
    y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
        Targets to check at: its first rows, with raw outputs near the
        intercept-only model of all of ``y``. None draws targets from the
        distribution itself, at raw outputs near 0.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of ``y`` for the intercept-only model.

    Raises
    ------
    ValueError
        Naming the method that disagrees with the others, and by how much.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle_nn.distributions import Distribution
    >>> from sklearn_mle_nn.utils import check_distribution
    >>> class Exponential(Distribution):
    ...     canonical_link = "exp"
    ...     links = ("exp",)
    ...
    ...     def nll(self, y, raw):
    ...         return np.sum(y * np.exp(-raw) + raw, axis=1)
    ...
    ...     def gradient(self, y, raw, out=None):
    ...         return 1 - y * np.exp(-raw)
    ...
    ...     def scipy_distribution(self, raw):
    ...         return stats.expon(scale=self.mean(raw))
    >>> check_distribution(Exponential())
    >>> class Wrong(Exponential):
    ...     def gradient(self, y, raw, out=None):
    ...         return 1 - y * np.exp(raw)
    >>> check_distribution(Wrong())
    Traceback (most recent call last):
    ...
    ValueError: Wrong(): gradient disagrees with finite differences of nll ...
    """
    distribution = resolve(distribution)
    rng = np.random.RandomState(0)
    if y is None:
        y, raw = _drawn_targets(distribution, rng)
    else:
        y = np.asarray(y, dtype=float)
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        weight = None if sample_weight is None else np.asarray(sample_weight, float)
        start = np.asarray(distribution.intercept_only_raw(y, weight), dtype=float)
        y = y[:CHECK_ROWS]
        raw = start + RAW_SPREAD * rng.standard_normal((len(y), start.shape[1]))
    nll = _checked_nll(distribution, y, raw)
    _check_gradient(distribution, y, raw, nll)
    _check_against_scipy(distribution, y, raw)


def _check_user_distribution(distribution, Y, sample_weight):
    """:func:`check_distribution` on a fit's first rows, for any distribution
    that is not a built-in one (those are tested)."""
    if type(distribution) not in _BUILT_IN:
        check_distribution(distribution, Y, sample_weight)


def _drawn_targets(distribution, rng, n_targets=2):
    """Targets drawn from ``distribution`` at raw outputs near 0."""
    n_raw = distribution.n_raw(n_targets)
    raw = 0.5 * rng.standard_normal((CHECK_ROWS, n_raw))
    y = distribution.scipy_distribution(raw).rvs(random_state=rng)
    return np.asarray(y, dtype=float).reshape(CHECK_ROWS, -1), raw


def _fail(distribution, message):
    raise ValueError(
        f"{distribution!r}: {message}. A user-defined Distribution must give "
        "its NLL, its gradient with respect to the raw outputs, its mean and "
        "its scipy_distribution for the same likelihood "
        "(sklearn_mle_nn.utils.check_distribution runs these checks)."
    )


def _checked_nll(distribution, y, raw):
    nll = np.asarray(distribution.nll(y, raw))
    if nll.shape != (len(y),):
        _fail(distribution, f"nll returned shape {nll.shape}, not ({len(y)},)")
    if not np.all(np.isfinite(nll)):
        _fail(distribution, f"nll is not finite at valid targets: {nll}")
    return nll


def _check_gradient(distribution, y, raw, nll):
    """``nll_and_gradient`` (as training calls it) against finite differences."""
    # A buffer of NaN: a gradient that is neither returned nor written shows.
    gradient = np.full_like(raw, np.nan)
    total = distribution.nll_and_gradient(y, raw, gradient)
    if not np.isclose(total, nll.sum(), rtol=1e-8, atol=1e-10):
        _fail(
            distribution,
            f"nll_and_gradient gives a total NLL of {total:g}, nll a sum of "
            f"{nll.sum():g}",
        )
    numeric = _finite_differences(distribution, y, raw)
    atol = 1e-6 * (1 + np.max(np.abs(numeric)))
    if not np.allclose(gradient, numeric, rtol=1e-4, atol=atol):
        error = np.abs(np.nan_to_num(gradient - numeric, nan=np.inf))
        row, column = np.unravel_index(np.argmax(error), error.shape)
        _fail(
            distribution,
            "gradient disagrees with finite differences of nll (at row "
            f"{row}, raw column {column}: gradient {gradient[row, column]:.6g}, "
            f"finite differences {numeric[row, column]:.6g})",
        )


def _finite_differences(distribution, y, raw):
    """Central differences of the NLL of each row, raw column by column."""
    step = 1e-6 * (1 + np.abs(raw))
    numeric = np.empty_like(raw)
    for column in range(raw.shape[1]):
        shift = np.zeros_like(raw)
        shift[:, column] = step[:, column]
        difference = distribution.nll(y, raw + shift) - distribution.nll(y, raw - shift)
        numeric[:, column] = difference / (2 * step[:, column])
    return numeric


def _check_against_scipy(distribution, y, raw):
    """The mean and the log-likelihood against :meth:`scipy_distribution`'s."""
    frozen = distribution.scipy_distribution(raw)
    mean, expected = np.asarray(distribution.mean(raw)), np.asarray(frozen.mean())
    if mean.shape != expected.shape or not np.allclose(mean, expected, rtol=1e-6):
        _fail(
            distribution,
            f"mean gives {mean.ravel()[:3]}..., scipy_distribution a mean of "
            f"{expected.ravel()[:3]}...",
        )
    log_density = getattr(frozen, "logpdf", None) or frozen.logpmf
    expected = np.asarray(log_density(y))
    expected = expected.sum(axis=1) if expected.ndim == 2 else expected
    log_likelihood = distribution.log_likelihood(y, raw)
    if not np.allclose(log_likelihood, expected, rtol=1e-6, atol=1e-8):
        _fail(
            distribution,
            f"nll gives log-likelihoods {log_likelihood[:3]}..., scipy_distribution "
            f"{expected[:3]}...",
        )
