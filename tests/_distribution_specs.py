"""One test spec per distribution, built from the registry.

A spec says how to test a distribution without knowing its code: how to make
valid targets and raw outputs, which constants it fits, and a ``scipy.stats``
reference written by hand from the raw outputs (never through the library's
links), so that every property in ``test_distribution_properties.py`` runs
for every distribution in ``DISTRIBUTIONS`` and for :class:`Gamma`, a
user-defined subclass of :class:`Distribution` defined here.

Adding a distribution to ``DISTRIBUTIONS`` without adding its spec below
makes ``test_every_registered_distribution_has_a_spec`` fail.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats
from scipy.special import digamma, expit, gammaln, softmax

from sklearn_mle_nn._mixture import MixtureDistribution
from sklearn_mle_nn.distributions import DISTRIBUTIONS, Distribution


class Gamma(Distribution):
    """Gamma likelihood for positive targets: a user-defined distribution,
    the built-in ``'gamma'`` written as a user would (its shape fitted by
    root-finding, not pooled over a stream's chunks).

    *Domain*: y > 0. *Link*: exp (the default; not the canonical link of
    the gamma, which is ``-1 / mean``), ``mean = exp(raw)``. The shape
    ``a`` is a constant per target, 1 (the exponential) during training and
    fitted by maximum likelihood afterwards (``shape_``). ``NLL = a (y / mean
    + log mean - log a) + log Gamma(a) - (a - 1) log y`` and ``d NLL / d raw =
    a (1 - y / mean)``.
    """

    name = "gamma"
    canonical_link = None
    default_link = "exp"
    links = ("exp",)
    support = "positive numbers (y > 0)"

    @property
    def _shape(self):
        return getattr(self, "shape_", 1.0)

    def nll(self, y, raw):
        a, raw = self._shape, np.minimum(raw, 30.0)
        per_target = a * (y * np.exp(-raw) + raw - np.log(a)) + gammaln(a)
        return np.sum(per_target - (a - 1) * np.log(y), axis=1)

    def gradient(self, y, raw, out=None):
        out = np.multiply(y, np.exp(-np.minimum(raw, 30.0)), out=out)
        np.subtract(1.0, out, out=out)
        out *= self._shape
        return out

    def check_target(self, y, what="targets"):
        if np.min(y) <= 0:
            raise ValueError(
                f"distribution 'gamma' needs {what} > 0; got values down to "
                f"{np.min(y):g}."
            )

    def fit_constants(self, y, raw, sample_weight=None):
        # The maximum-likelihood shape solves log a - digamma(a) = d.
        ratio = y / self.mean(raw)
        d = np.average(ratio - np.log(ratio) - 1, axis=0, weights=sample_weight)
        self.shape_ = np.array(
            [
                optimize.brentq(lambda a, d=d_j: np.log(a) - digamma(a) - d, 1e-9, 1e9)
                for d_j in np.maximum(d, 1e-8)
            ],
            dtype=raw.dtype,
        )
        return self

    def scipy_distribution(self, raw):
        mean = self.mean(raw)
        shape = np.broadcast_to(self._shape, mean.shape)
        return stats.gamma(shape, scale=mean / shape)

    def estimator_attributes(self):
        return {"shape_": self.shape_} if hasattr(self, "shape_") else {}


@dataclass
class Spec:
    """How to test one distribution.

    Attributes
    ----------
    make : callable
        ``make(**params)`` returns a new, unfitted instance.
    targets : callable
        ``targets(rng, n, k)``: valid targets of shape ``(n, k)``.
    raw : callable
        ``raw(rng, n, k)``: raw outputs of shape ``(n, n_raw)`` in a sensible
        range.
    reference : callable
        ``reference(raw, params, constants)``: the frozen ``scipy.stats``
        distribution of the targets, computed by hand from ``raw``;
        ``params`` are the instance's ``get_params()``, ``constants`` the
        fitted constants set by the test (absent: the training value, 1).
    constants : callable
        ``constants(k)``: the fitted constants to set explicitly, by name
        (``{}`` for a distribution without any).
    invalid_targets : callable or None
        ``invalid_targets(rng, n, k)``: targets outside the support, or None
        when every real target is valid.
    columns : tuple of int
        Numbers of target columns to test (1 and 3 targets).
    intercept_atol : float
        How much the mean NLL of ``intercept_only_raw`` may exceed a numeric
        minimiser's, per target.
    kink : callable or None
        ``kink(y, mean)``: rows where the NLL is not differentiable (excluded
        from finite differences).
    recovery_atol : float
        How far, in nats per target, the held-out mean log-likelihood of a
        regressor fitted to draws from the distribution may fall short of
        the true model's.
    local_minimum : bool
        Whether the mean NLL of a constant has several minima (a mixture's):
        the numeric minimiser then starts at ``intercept_only_raw``, which
        must be a minimum it cannot improve on.
    pool_rtol : float
        How far the constants pooled over two chunks may be from those
        fitted on both at once (exact for a mean or a mean square).
    draws_as_targets : callable
        Maps the output of ``sample`` to shape ``(n, k, n_samples)`` in the
        targets' encoding.
    sample_shape : callable
        ``sample_shape(n, k, n_samples)``: the shape ``sample`` returns.
    """

    make: Callable
    targets: Callable
    raw: Callable
    reference: Callable
    constants: Callable = field(default=lambda k: {})
    invalid_targets: Callable | None = None
    columns: tuple = (1, 3)
    intercept_atol: float = 1e-9
    kink: Callable | None = None
    recovery_atol: float = 0.1
    local_minimum: bool = False
    pool_rtol: float = 1e-6
    draws_as_targets: Callable = field(default=lambda draws, k: draws)
    sample_shape: Callable = field(default=lambda n, k, n_samples: (n, k, n_samples))


def _scale(constants, name="scale_"):
    return constants.get(name, 1.0)


def _some(values):
    """Per-target constants: the first k of ``values``."""
    return lambda k: {"scale_": np.array(values[:k])}


def _normal_raw(spread, centre=0.0):
    return lambda rng, n, k: centre + spread * rng.standard_normal((n, k))


def _t_with_outliers(rng, n, k):
    """Student's t targets, 5% of the rows shifted by +20."""
    y = 0.3 + 1.5 * rng.standard_t(5, (n, k))
    y[rng.uniform(size=n) < 0.05] += 20.0
    return y


def _one_hot(labels, n_classes):
    return np.eye(n_classes)[labels]


def _categorical_draws(draws, k):
    # sample() gives class indices (n, n_samples): one-hot along a new axis 1.
    return np.moveaxis(np.eye(k)[draws], -1, 1)


def _spec_categorical():
    return Spec(
        make=DISTRIBUTIONS["categorical"],
        targets=lambda rng, n, k: _one_hot(rng.randint(k, size=n), k),
        raw=_normal_raw(1.5),
        reference=lambda raw, params, constants: stats.multinomial(
            1, softmax(raw, axis=1)
        ),
        invalid_targets=lambda rng, n, k: _one_hot(rng.randint(k, size=n), k) * 2.0,
        # A single class would make the likelihood constant.
        columns=(2, 3),
        draws_as_targets=_categorical_draws,
        sample_shape=lambda n, k, n_samples: (n, n_samples),
    )


def _mixture_targets(rng, n, k):
    """Two well-separated modes, at -2 and 2, and a shoulder at 0.5."""
    centres = rng.choice([-2.0, 0.5, 2.0], p=[0.4, 0.2, 0.4], size=(n, k))
    return centres + 0.4 * rng.standard_normal((n, k))


def _mixture_raw(rng, n, k, n_components=3):
    """Means, log-spreads and logits of ``n_components`` normals per target.

    The components' means keep apart (centred 3 apart, 0.7 around their
    centres), so that a fit can tell them apart (a mixture is identifiable
    only up to the order of its components).
    """
    centres = np.repeat(3.0 * (np.arange(n_components) - (n_components - 1) / 2), k)
    return np.hstack(
        [
            centres + 0.7 * rng.standard_normal((n, n_components * k)),
            rng.uniform(-1.0, 0.0, (n, n_components * k)),
            rng.uniform(-1.0, 1.0, (n, n_components * k)),
        ]
    )


def _mixture_reference(raw, params, constants):
    """The mixture, by hand: a normal per component, softmax of the logits."""
    n_components = params["n_components"]
    blocks = np.split(raw, 3 * n_components, axis=1)
    means, log_scales, logits = (
        np.stack(blocks[i * n_components : (i + 1) * n_components], axis=-1)
        for i in range(3)
    )
    return MixtureDistribution(
        [
            stats.norm(means[..., m], np.exp(log_scales[..., m]))
            for m in range(n_components)
        ],
        softmax(logits, axis=-1),
    )


def _zero_inflated_targets(rng, n, k):
    """Counts of rate 3, with 60% structural zeros."""
    return np.where(rng.uniform(size=(n, k)) < 0.6, 0.0, rng.poisson(3.0, (n, k)))


def _zero_inflated_reference(raw, params, constants):
    """A point mass at 0 (a Poisson of rate 0) and a Poisson, by hand."""
    log_rate, logit = np.split(raw, 2, axis=1)
    zero = 1 / (1 + np.exp(-logit))
    return MixtureDistribution(
        [stats.poisson(np.zeros_like(log_rate)), stats.poisson(np.exp(log_rate))],
        np.stack([zero, 1 - zero], axis=-1),
    )


def _zero_inflated_nb_targets(rng, n, k):
    """Negative binomial counts of mean 4 and dispersion 1.5, with 60%
    structural zeros."""
    counts = rng.negative_binomial(1.5, 1.5 / (1.5 + 4.0), (n, k))
    return np.where(rng.uniform(size=(n, k)) < 0.6, 0.0, counts)


def _zero_inflated_nb_reference(raw, params, constants):
    """A point mass at 0 (a Poisson of rate 0) and an NB2, by hand."""
    log_mean, logit = np.split(raw, 2, axis=1)
    r = np.broadcast_to(_scale(constants, "dispersion_"), log_mean.shape)
    zero = 1 / (1 + np.exp(-logit))
    return MixtureDistribution(
        [
            stats.poisson(np.zeros_like(log_mean)),
            stats.nbinom(r, r / (r + np.exp(log_mean))),
        ],
        np.stack([zero, 1 - zero], axis=-1),
    )


def _multivariate_targets(rng, n, k):
    """Correlated normal targets: independent normals mixed by a triangle."""
    mixing = np.array([[1.5, 0.8, 0.3], [0.0, 1.0, -0.5], [0.0, 0.0, 0.7]])
    return 0.5 + rng.standard_normal((n, k)) @ mixing[:k, :k]


def _multivariate_raw(rng, n, k):
    """Means, log-scales and the k (k - 1) / 2 coefficients."""
    return np.hstack(
        [
            2.0 + 1.5 * rng.standard_normal((n, k)),
            rng.uniform(-1.0, 0.5, (n, k)),
            rng.uniform(-1.0, 1.0, (n, k * (k - 1) // 2)),
        ]
    )


class _MultivariateNormals:
    """A ``scipy.stats.multivariate_normal`` per row (scipy's own takes one
    mean and one covariance): the joint ``logpdf`` of each row, the means,
    the marginal standard deviations and one draw per row."""

    def __init__(self, means, covariances):
        self.means, self.covariances = means, covariances
        self.rows = [
            stats.multivariate_normal(mean, covariance)
            for mean, covariance in zip(means, covariances)
        ]

    def logpdf(self, y):
        return np.array([row.logpdf(values) for row, values in zip(self.rows, y)])

    def mean(self):
        return self.means

    def std(self):
        return np.sqrt(np.diagonal(self.covariances, axis1=1, axis2=2))

    def rvs(self, random_state=None):
        return np.array([row.rvs(random_state=random_state) for row in self.rows])


def _multivariate_reference(raw, params, constants):
    """The precision's Cholesky factor by hand, ``L = B diag(exp(-log s))``,
    and the covariance as the inverse of ``L L^T``."""
    k = int(round((np.sqrt(9 + 8 * raw.shape[1]) - 3) / 2))
    means, log_scales, coefficients = raw[:, :k], raw[:, k : 2 * k], raw[:, 2 * k :]
    inverse_scales = np.exp(-log_scales)
    factor = np.zeros((len(raw), k, k))
    rows, columns = np.tril_indices(k, -1)
    factor[:, rows, columns] = coefficients * inverse_scales[:, columns]
    factor[:, np.arange(k), np.arange(k)] = inverse_scales
    precision = factor @ np.swapaxes(factor, 1, 2)
    return _MultivariateNormals(means, np.linalg.inv(precision))


BUILT_IN_SPECS = {
    "gaussian": Spec(
        make=DISTRIBUTIONS["gaussian"],
        targets=_normal_raw(2.0),
        raw=_normal_raw(1.5, centre=2.0),
        reference=lambda raw, params, constants: stats.norm(
            raw, np.broadcast_to(_scale(constants), raw.shape)
        ),
        constants=_some([2.0, 0.5, 1.5]),
    ),
    "lognormal": Spec(
        make=DISTRIBUTIONS["lognormal"],
        targets=lambda rng, n, k: rng.lognormal(0.3, 0.8, (n, k)),
        raw=_normal_raw(0.5, centre=0.3),
        reference=lambda raw, params, constants: stats.lognorm(
            np.broadcast_to(_scale(constants), raw.shape), scale=np.exp(raw)
        ),
        constants=_some([0.8, 0.5, 1.2]),
        invalid_targets=lambda rng, n, k: -rng.lognormal(0.3, 0.8, (n, k)),
    ),
    "heteroscedastic_gaussian": Spec(
        make=DISTRIBUTIONS["heteroscedastic_gaussian"],
        targets=_normal_raw(2.0),
        raw=lambda rng, n, k: np.hstack(
            [2.0 + 1.5 * rng.standard_normal((n, k)), rng.uniform(-1.0, 1.0, (n, k))]
        ),
        reference=lambda raw, params, constants: stats.norm(
            raw[:, : raw.shape[1] // 2], np.exp(raw[:, raw.shape[1] // 2 :])
        ),
    ),
    "laplace": Spec(
        make=DISTRIBUTIONS["laplace"],
        targets=lambda rng, n, k: rng.laplace(0.3, 1.5, (n, k)),
        raw=_normal_raw(1.5, centre=2.0),
        reference=lambda raw, params, constants: stats.laplace(
            raw, np.broadcast_to(_scale(constants), raw.shape)
        ),
        constants=_some([2.0, 0.5, 1.5]),
        # |y - median| has a kink at y == median.
        kink=lambda y, mean: np.any(np.abs(y - mean) < 1e-3, axis=1),
    ),
    "student_t": Spec(
        make=DISTRIBUTIONS["student_t"],
        targets=_t_with_outliers,
        raw=_normal_raw(1.5, centre=2.0),
        reference=lambda raw, params, constants: stats.t(
            params["df"], raw, np.broadcast_to(_scale(constants), raw.shape)
        ),
        constants=_some([2.0, 0.5, 1.5]),
        pool_rtol=0.05,
    ),
    "poisson": Spec(
        make=DISTRIBUTIONS["poisson"],
        targets=lambda rng, n, k: rng.poisson(2.5, (n, k)).astype(float),
        raw=lambda rng, n, k: rng.uniform(-1.0, 2.0, (n, k)),
        reference=lambda raw, params, constants: stats.poisson(np.exp(raw)),
        invalid_targets=lambda rng, n, k: -rng.poisson(2.0, (n, k)) - 1.0,
    ),
    "gamma": Spec(
        make=DISTRIBUTIONS["gamma"],
        targets=lambda rng, n, k: rng.gamma(2.0, 1.5, (n, k)),
        raw=lambda rng, n, k: rng.uniform(-0.5, 1.5, (n, k)),
        reference=lambda raw, params, constants: stats.gamma(
            _scale(constants, "shape_"),
            scale=np.exp(raw) / _scale(constants, "shape_"),
        ),
        constants=lambda k: {"shape_": np.array([2.0, 0.5, 4.0][:k])},
        invalid_targets=lambda rng, n, k: -rng.gamma(2.0, 1.5, (n, k)),
    ),
    "weibull": Spec(
        make=DISTRIBUTIONS["weibull"],
        targets=lambda rng, n, k: 1.5 * rng.weibull(1.7, (n, k)),
        raw=lambda rng, n, k: rng.uniform(-0.5, 1.5, (n, k)),
        # The raw output is the log-mean: the scale is mean / Gamma(1 + 1/k).
        reference=lambda raw, params, constants: stats.weibull_min(
            _scale(constants, "shape_"),
            scale=np.exp(raw - gammaln(1 + 1 / _scale(constants, "shape_"))),
        ),
        constants=lambda k: {"shape_": np.array([1.7, 0.8, 3.0][:k])},
        invalid_targets=lambda rng, n, k: -rng.weibull(1.7, (n, k)),
        # 1 / k**2 pooled as a variance: close to the fit on both chunks.
        pool_rtol=0.05,
    ),
    "negative_binomial": Spec(
        make=DISTRIBUTIONS["negative_binomial"],
        targets=lambda rng, n, k: rng.negative_binomial(2.0, 2.0 / 4.5, (n, k)).astype(
            float
        ),
        raw=lambda rng, n, k: rng.uniform(-1.0, 2.0, (n, k)),
        reference=lambda raw, params, constants: stats.nbinom(
            _scale(constants, "dispersion_"),
            _scale(constants, "dispersion_")
            / (_scale(constants, "dispersion_") + np.exp(raw)),
        ),
        # Dispersions that the recovery test's 600 rows pin down to about 10%
        # (the maximum-likelihood r = 5 has a standard error of 21% there).
        constants=lambda k: {"dispersion_": np.array([1.0, 0.5, 0.7][:k])},
        invalid_targets=lambda rng, n, k: -rng.poisson(2.0, (n, k)) - 1.0,
        # 1 / r pooled as a mean is the moment estimate's pooling, not the
        # maximum likelihood's: close, not equal.
        pool_rtol=0.05,
    ),
    "bernoulli": Spec(
        make=DISTRIBUTIONS["bernoulli"],
        targets=lambda rng, n, k: rng.binomial(1, 0.4, (n, k)).astype(float),
        raw=lambda rng, n, k: rng.uniform(-2.0, 2.0, (n, k)),
        reference=lambda raw, params, constants: stats.bernoulli(expit(raw)),
        invalid_targets=lambda rng, n, k: rng.binomial(1, 0.4, (n, k)) + 1.0,
    ),
    "categorical": _spec_categorical(),
    "gaussian_mixture": Spec(
        make=DISTRIBUTIONS["gaussian_mixture"],
        targets=_mixture_targets,
        raw=_mixture_raw,
        reference=_mixture_reference,
        columns=(1, 2),
        intercept_atol=1e-6,
        # Nine raw outputs per target, a linear map from 9 k inputs each, on
        # 600 rows: the fit beats the truth on them and falls 0.135 nats per
        # target short of it on held-out rows (two targets), overfitting.
        recovery_atol=0.2,
        local_minimum=True,
    ),
    "multivariate_gaussian": Spec(
        make=DISTRIBUTIONS["multivariate_gaussian"],
        targets=_multivariate_targets,
        raw=_multivariate_raw,
        reference=_multivariate_reference,
        # A single column is no multivariate target.
        invalid_targets=lambda rng, n, k: rng.standard_normal((n, 1)),
        columns=(2, 3),
    ),
    "zero_inflated_poisson": Spec(
        make=DISTRIBUTIONS["zero_inflated_poisson"],
        targets=_zero_inflated_targets,
        raw=lambda rng, n, k: np.hstack(
            [rng.uniform(-1.0, 2.0, (n, k)), rng.uniform(-2.0, 2.0, (n, k))]
        ),
        reference=_zero_inflated_reference,
        invalid_targets=lambda rng, n, k: -rng.poisson(2.0, (n, k)) - 1.0,
    ),
    "zero_inflated_negative_binomial": Spec(
        make=DISTRIBUTIONS["zero_inflated_negative_binomial"],
        targets=_zero_inflated_nb_targets,
        raw=lambda rng, n, k: np.hstack(
            [rng.uniform(1.5, 3.0, (n, k)), rng.uniform(-2.0, 1.0, (n, k))]
        ),
        reference=_zero_inflated_nb_reference,
        constants=lambda k: {"dispersion_": np.array([1.5, 1.0, 2.0][:k])},
        invalid_targets=lambda rng, n, k: -rng.poisson(2.0, (n, k)) - 1.0,
        # As the negative binomial's: 1 / r pooled as a mean.
        pool_rtol=0.05,
    ),
}

USER_DEFINED_SPECS = {
    "gamma (user-defined)": Spec(
        make=Gamma,
        targets=lambda rng, n, k: rng.gamma(2.0, 1.5, (n, k)),
        raw=lambda rng, n, k: rng.uniform(-0.5, 1.5, (n, k)),
        reference=lambda raw, params, constants: stats.gamma(
            _scale(constants, "shape_"),
            scale=np.exp(raw) / _scale(constants, "shape_"),
        ),
        constants=lambda k: {"shape_": np.array([2.0, 0.5, 4.0][:k])},
        invalid_targets=lambda rng, n, k: -rng.gamma(2.0, 1.5, (n, k)),
    ),
}

#: Every spec, built from the registry: one per registered name (None for a
#: name without a spec, which fails every property of that distribution and
#: the registry test), then the user-defined ones.
SPECS = {
    **{name: BUILT_IN_SPECS.get(name) for name in DISTRIBUTIONS},
    **USER_DEFINED_SPECS,
}
