"""
=========================================
Your own likelihood: a log-normal in y
=========================================

The loss of :class:`~sklearn_mle_nn.MLERegressor` is the negative
log-likelihood of its ``distribution``, and ``distribution`` takes an
instance as well as a name: any subclass of
:class:`~sklearn_mle_nn.distributions.Distribution` works wherever a built-in
one does. Here we write one in about thirty lines, a log-normal for positive,
right-skewed targets whose noise is multiplicative:

.. math::

    \\log y \\mid x \\sim \\mathcal{N}\\left(f_\\theta(x),\\ \\sigma^2\\right),

fit it, and compare it by held-out likelihood with the Gaussian, fitted to
``y`` and to ``log(y)``. See :ref:`mle-view` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# The distribution
# ----------------
# A distribution turns the network's *raw* output into a likelihood. Ours
# reads the raw output as :math:`\mu = E[\log y]` and keeps
# :math:`\sigma` as a constant: held at 1 while the network trains, then
# fitted by maximum likelihood (the root-mean-square residual of
# :math:`\log y`), as ``sigma_``. It implements the negative log-likelihood
# and its gradient with respect to the raw output, the mean
# :math:`e^{\mu + \sigma^2 / 2}`, the predicted distribution as a
# ``scipy.stats`` object (which gives the spread, the intervals and the
# draws), the check of the targets, the best constant model and the fitted
# constant. Targets are positive, so they are not standardized (the
# default). What is not written follows from the class's declarations: one
# block of raw outputs per target (``parameters``, by default a single mean
# block with the identity link), and ``pooled_constants``, which tells
# ``partial_fit`` to pool ``sigma_`` over a stream's chunks as a root mean
# square.
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats
from sklearn.model_selection import train_test_split

from sklearn_mle_nn import MLERegressor
from sklearn_mle_nn.distributions import Distribution
from sklearn_mle_nn.metrics import log_likelihood_scorer
from sklearn_mle_nn.utils import check_distribution


class LogNormal(Distribution):
    """log(y) ~ Normal(raw, sigma): positive targets, multiplicative noise."""

    support = "positive numbers (y > 0)"
    pooled_constants = {"sigma_": 2}

    @property
    def _sigma(self):
        return getattr(self, "sigma_", 1.0)

    def nll(self, y, raw):
        z = (np.log(y) - raw) / self._sigma
        nll = 0.5 * z**2 + np.log(self._sigma * y) + 0.5 * np.log(2 * np.pi)
        return nll.sum(axis=1)

    def gradient(self, y, raw, out=None):
        out = np.subtract(raw, np.log(y), out=out)
        out /= np.square(self._sigma)
        return out

    def mean(self, raw):
        return np.exp(raw + 0.5 * np.square(self._sigma))

    def scipy_distribution(self, raw):
        sigma = np.broadcast_to(self._sigma, raw.shape)
        return stats.lognorm(sigma, scale=np.exp(raw))

    def check_target(self, y, what="targets"):
        if np.min(y) <= 0:
            raise ValueError(f"LogNormal needs {what} > 0; got {np.min(y):g}.")

    def intercept_only_raw(self, y, sample_weight=None):
        return np.average(np.log(y), axis=0, weights=sample_weight)[np.newaxis]

    def fit_constants(self, y, raw, sample_weight=None):
        squares = np.square(np.log(y) - raw)
        self.sigma_ = np.sqrt(np.average(squares, axis=0, weights=sample_weight))
        return self

    def estimator_attributes(self):
        return {"sigma_": self.sigma_} if hasattr(self, "sigma_") else {}


# %%
# :func:`~sklearn_mle_nn.utils.check_distribution` checks the gradient
# against finite differences of the NLL, and the NLL and the mean against the
# ``scipy.stats`` object; the first fit runs the same checks on the data's
# first rows, and a disagreement raises an error that names the method.
check_distribution(LogNormal())


# %%
# Skewed data
# -----------
# The median of ``y`` follows a curve and the noise multiplies it by
# :math:`e^{0.4 \varepsilon}`: the spread grows with the level, and the
# distribution at each ``x`` has a long right tail.
def log_median(x):
    return np.sin(2 * x) + 0.6 * x


rng = np.random.RandomState(0)
X = rng.uniform(0, 4, size=(1200, 1))
y = np.exp(log_median(X[:, 0]) + 0.4 * rng.standard_normal(len(X)))
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

# %%
# Three models, one comparable number
# -----------------------------------
# The same network fits our log-normal to ``y``, the Gaussian to ``y``, and
# the Gaussian to ``log(y)``. Their held-out mean log-likelihoods
# (:func:`~sklearn_mle_nn.metrics.log_likelihood_scorer`) can be compared
# only as densities of the same ``y``. The first two are. The third is a
# density of :math:`\log y`; by the change of variables,
# :math:`p_Y(y) = p_{\log Y}(\log y) / y`, so subtracting the mean of
# :math:`\log y` makes it a density of ``y`` too.
params = {"hidden_layer_sizes": (32, 32), "early_stopping": False, "random_state": 0}
log_normal = MLERegressor(distribution=LogNormal(), **params).fit(X_train, y_train)
gaussian = MLERegressor(distribution="gaussian", **params).fit(X_train, y_train)
gaussian_log = MLERegressor(distribution="gaussian", **params).fit(
    X_train, np.log(y_train)
)

jacobian = -np.log(y_test).mean()
scores = {
    "LogNormal() on y": log_likelihood_scorer(log_normal, X_test, y_test),
    "'gaussian' on y": log_likelihood_scorer(gaussian, X_test, y_test),
    "'gaussian' on log(y), + log-Jacobian": log_likelihood_scorer(
        gaussian_log, X_test, np.log(y_test)
    )
    + jacobian,
}
true_model = stats.lognorm.logpdf(
    y_test, 0.4, scale=np.exp(log_median(X_test[:, 0]))
).mean()
print("held-out mean log-likelihood of y (nats per sample, higher is better)")
for name, score in scores.items():
    print(f"  {name:38s} {score:7.3f}")
print(f"  {'the true distribution':38s} {true_model:7.3f}")
print(f"fitted sigma_ {log_normal.sigma_[0]:.3f} (true 0.4)")

# %%
# The log-normal and the Gaussian on :math:`\log y` are the same model
# written twice, so their likelihoods of ``y`` agree up to the noise of two
# trainings, and both come close to the true distribution's. The Gaussian on
# ``y`` is a nat per sample behind: a symmetric band of constant width cannot
# follow a spread that grows with the level.
#
# What the user-defined distribution adds to the Gaussian on
# :math:`\log y` is that the estimator speaks in ``y``'s units: ``predict``
# gives the mean of ``y`` (not :math:`e^{E[\log y]}`, which is its median),
# and ``predict_interval``, ``predict_distribution`` and ``sample`` give
# intervals, distributions and draws of ``y``. Below, the 90% intervals of
# both models of ``y``, and the share of held-out targets they hold, overall
# and where the level is high (``x > 3``).
X_grid = np.linspace(0, 4, 300).reshape(-1, 1)
high_level = X_test[:, 0] > 3
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True, layout="constrained")
for ax, (title, model) in zip(
    axes, [("LogNormal() on y", log_normal), ("'gaussian' on y", gaussian)]
):
    low_test, high_test = model.predict_interval(X_test, coverage=0.9).T
    covered = (low_test <= y_test) & (y_test <= high_test)
    print(
        f"{title}: 90% intervals hold {covered.mean():.0%} of the held-out y, "
        f"{covered[high_level].mean():.0%} where x > 3"
    )
    low, high = model.predict_interval(X_grid, coverage=0.9).T
    ax.scatter(X_test, y_test, s=4, color="0.6", label="held-out data")
    ax.fill_between(X_grid[:, 0], low, high, alpha=0.25, label="90% interval")
    ax.plot(X_grid, model.predict(X_grid), linewidth=2, label="predicted mean")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set(title=title, xlabel="x")
    ax.legend(loc="upper left", fontsize="small")
axes[0].set_ylabel("y")
plt.show()

# %%
# Both bands hold about 90% of the targets overall, but the Gaussian's does
# so by being too wide where ``y`` is small, reaching below zero where no
# target can be, and too narrow where it is large. The log-normal's band
# widens with the level, as the data do.
