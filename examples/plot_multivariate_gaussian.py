"""
======================================================
Correlated outputs: a multivariate Gaussian likelihood
======================================================

Two outputs whose noise is shared (two measurements of one quantity, the
coordinates of a position) are not independent given :math:`x`: a
likelihood per output, even one whose spread depends on :math:`x`
(``'heteroscedastic_gaussian'``), misses what one output tells of the other.
``distribution='multivariate_gaussian'`` makes the network output, for every
:math:`x`, the mean vector and the full covariance of the outputs:

.. math::

    p(y \\mid x) = \\mathcal{N}\\left(y;\\ \\mu(x),\\ \\Sigma(x)\\right),
    \\qquad \\Sigma(x)^{-1} = L(x) L(x)^\\top,

through the Cholesky factor :math:`L` of the precision (lower triangular,
with a positive diagonal): :math:`k` means, :math:`k` log-scales and
:math:`k(k-1)/2` coefficients per row. ``predict`` gives the means,
``predict_interval`` an interval per output, ``sample`` correlated draws and
``predict_distribution`` the joint distribution of every row. See
:ref:`every-loss-a-likelihood` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Two outputs of correlation 0.8
# ------------------------------
# The means follow :math:`x`, the spreads grow with :math:`|x_0|` and with
# :math:`x_1`, and the noise of the two outputs has correlation 0.8.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sklearn_mle_nn import MLERegressor
from sklearn_mle_nn.metrics import log_likelihood_scorer


def outputs(X, rng):
    """Draws of the two outputs at the rows of ``X``."""
    mean = np.column_stack([np.sin(2 * X[:, 0]), 0.5 * X[:, 0] + X[:, 1]])
    std = np.column_stack([0.2 + 0.2 * np.abs(X[:, 0]), 0.5 + 0.1 * X[:, 1]])
    first = rng.standard_normal(len(X))
    second = 0.8 * first + 0.6 * rng.standard_normal(len(X))
    return mean + std * np.column_stack([first, second])


rng = np.random.RandomState(0)
X = rng.uniform(-2, 2, size=(3000, 2))
y = outputs(X, rng)
X_train, y_train, X_test, y_test = X[:2000], y[:2000], X[2000:], y[2000:]

# %%
# Independent likelihoods against the joint one
# ---------------------------------------------
# The same network, three likelihoods; the held-out mean log-likelihood of a
# row (both outputs) says which describes the data (higher is better).
models = {
    name: MLERegressor(distribution=name, hidden_layer_sizes=(32,), random_state=0)
    for name in ["gaussian", "heteroscedastic_gaussian", "multivariate_gaussian"]
}
for name, model in models.items():
    model.fit(X_train, y_train)
    print(f"{name:>25}: {model.log_likelihood(X_test, y_test).mean():.3f}")

# %%
# The fitted correlation
# ----------------------
# ``predict_distribution`` returns a multivariate normal per row
# (``scipy.stats.multivariate_normal`` takes a single one): ``cov()`` gives
# every row's covariance, from which the correlation of the outputs.
joint = models["multivariate_gaussian"]
covariance = joint.predict_distribution(X_test).cov()
correlation = covariance[:, 0, 1] / np.sqrt(covariance[:, 0, 0] * covariance[:, 1, 1])
print(f"median fitted correlation: {np.median(correlation):.3f} (true: 0.8)")

# %%
# Draws at one x
# --------------
# At :math:`x = (1, 0)` the joint model's draws form a tilted ellipse, as
# new data from the true process there does; independent outputs can only
# give an ellipse along the axes. Each output's 90% interval
# (``predict_interval``, dashed) is a marginal one, for both models.
at = np.array([[1.0, 0.0]])
new_data = outputs(np.repeat(at, 200, axis=0), rng)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharex=True, sharey=True)
for ax, name in zip(axes, ["heteroscedastic_gaussian", "multivariate_gaussian"]):
    model = models[name]
    draws = model.sample(at, n_samples=300, random_state=0)[0]
    ax.plot(*new_data.T, "o", color="0.6", ms=3, label="new data at x")
    ax.plot(*draws, ".", color="C1", ms=4, label="draws from the model")
    (low0, high0), (low1, high1) = model.predict_interval(at, coverage=0.9)[0]
    for value in (low0, high0):
        ax.axvline(value, color="C0", ls="--")
    for value in (low1, high1):
        ax.axhline(value, color="C0", ls="--")
    ax.set_title(name)
    ax.set_xlabel("first output")
axes[0].set_ylabel("second output")
axes[0].legend(loc="upper left")
plt.tight_layout()
plt.show()

# %%
# Choosing the likelihood by cross-validation
# -------------------------------------------
# The distribution is a parameter like any other: ``GridSearchCV`` with the
# held-out log-likelihood as its score picks the joint one.
search = GridSearchCV(
    MLERegressor(hidden_layer_sizes=(16,), max_iter=100, random_state=0),
    {"distribution": ["heteroscedastic_gaussian", "multivariate_gaussian"]},
    scoring=log_likelihood_scorer,
    cv=3,
)
with warnings.catch_warnings():
    # A short budget, enough to rank the two likelihoods: the fits run all
    # their epochs and warn that they have not converged.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train[:1000], y_train[:1000])
print(search.best_params_, search.cv_results_["mean_test_score"].round(3))
