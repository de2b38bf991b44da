"""
====================================================
Two branches: a mixture density network's likelihood
====================================================

On data with two interleaved branches, :math:`y = \\pm \\sin x` plus noise, a
Gaussian likelihood (even one whose spread depends on :math:`x`,
``'heteroscedastic_gaussian'``) can only put one bump at every :math:`x`: its
mean falls between the branches, where no data lies, and its spread covers
both. ``distribution=GaussianMixture(n_components=3)`` makes the network
output, for every :math:`x`, the weights, means and spreads of three normals:

.. math::

    p(y \\mid x) = \\sum_{m=1}^{3} w_m(x)\\,
    \\mathcal{N}\\left(y;\\ \\mu_m(x),\\ \\sigma_m(x)^2\\right).

It is trained by maximum likelihood like every other distribution. Its
``predict`` is the mixture's mean, which, too, lies *between* the branches;
``sample`` and ``predict_distribution`` show both. See
:ref:`every-loss-a-likelihood` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Two interleaved branches
# ------------------------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_mle_nn import MLERegressor
from sklearn_mle_nn.distributions import GaussianMixture

rng = np.random.RandomState(0)
n = 1200
x = rng.uniform(-3, 3, n)
y = rng.choice([-1.0, 1.0], n) * np.sin(x) + 0.1 * rng.standard_normal(n)
X = x[:, np.newaxis]
X_train, y_train, X_test, y_test = X[:600], y[:600], X[600:], y[600:]

# %%
# One Gaussian against a mixture of three
# ---------------------------------------
# The same network, two likelihoods; the held-out mean log-likelihood says
# which describes the data (higher is better).
params = dict(hidden_layer_sizes=(32,), max_iter=300, random_state=0)
gaussian = MLERegressor(distribution="heteroscedastic_gaussian", **params)
mixture = MLERegressor(distribution=GaussianMixture(n_components=3), **params)
for name, model in [("heteroscedastic Gaussian", gaussian), ("mixture", mixture)]:
    model.fit(X_train, y_train)
    print(f"{name:>24}: {model.log_likelihood(X_test, y_test).mean():.3f}")

# %%
# Draws fall on both branches; the mean between them
# ---------------------------------------------------
grid = np.linspace(-3, 3, 200)[:, np.newaxis]
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, (name, model) in zip(
    axes, [("heteroscedastic Gaussian", gaussian), ("Gaussian mixture", mixture)]
):
    draws = model.sample(grid, n_samples=20, random_state=0)
    ax.plot(np.repeat(grid, 20, axis=1), draws, ".", color="C1", ms=2, alpha=0.4)
    ax.plot(X_test[:, 0], y_test, ".", color="0.6", ms=2, label="held-out data")
    ax.plot(grid[:, 0], model.predict(grid), color="C0", label="predict (the mean)")
    ax.set_title(name)
    ax.set_xlabel("x")
axes[0].set_ylabel("y (orange: draws from the model)")
axes[0].legend(loc="lower left")
plt.tight_layout()
plt.show()

# %%
# The predicted density at one x
# ------------------------------
# ``predict_distribution`` returns the mixture, vectorised over the rows:
# at :math:`x = 1.5` it has a mode on each branch (:math:`\pm \sin 1.5`).
at = mixture.predict_distribution([[1.5]])
y_grid = np.linspace(-1.6, 1.6, 400)
density = at.pdf(y_grid[:, np.newaxis])[:, 0]
plt.figure(figsize=(5, 3))
plt.plot(y_grid, density)
for branch in (np.sin(1.5), -np.sin(1.5)):
    plt.axvline(branch, color="0.6", ls="--")
plt.xlabel("y")
plt.ylabel("p(y | x = 1.5)")
plt.tight_layout()
plt.show()
