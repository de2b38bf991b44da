"""
=========================================================
Deep ensembles: the members' disagreement is uncertainty
=========================================================

One :class:`~sklearn_mle_nn.MLERegressor` with ``distribution='gaussian'``
predicts :math:`\\mathcal{N}(f_\\theta(x), \\sigma^2)`: its spread
``sigma_`` is the noise of the training data, the same everywhere, also far
from any training point. :class:`~sklearn_mle_nn.MLEEnsembleRegressor` fits
several such networks that differ only in their random seed (Lakshminarayanan
et al., 2017) and predicts the *mixture* of their distributions,

.. math::

    p(y \\mid x) = \\frac{1}{M} \\sum_{m=1}^{M} p_m(y \\mid x).

Its variance is the members' mean variance plus the variance of their means:
where the data pinned the function down the members agree, and away from it
they disagree, so the band widens where the model knows less.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data with a gap
# ---------------
# A smooth curve plus Gaussian noise, observed on two stretches,
# :math:`[-3, -0.7]` and :math:`[0.7, 3]`: nothing in between, nothing beyond.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_mle_nn import MLEEnsembleRegressor, MLERegressor


def curve(x):
    return np.sin(2 * x) + 0.5 * x


rng = np.random.RandomState(0)
x_train = np.concatenate([rng.uniform(-3, -0.7, 100), rng.uniform(0.7, 3, 100)])
y_train = curve(x_train) + rng.normal(0, 0.2, size=200)
X_train = x_train[:, np.newaxis]

# %%
# One network and an ensemble of five
# -----------------------------------
# The members are copies of ``estimator`` with seeds drawn from the
# ensemble's ``random_state``; ``n_jobs`` fits them in parallel.
member = MLERegressor(
    hidden_layer_sizes=(32, 32),
    alpha=1e-3,
    learning_rate_init=0.01,
    early_stopping=False,
    max_iter=400,
)
single = MLERegressor(**member.get_params()).set_params(random_state=0)
single.fit(X_train, y_train)
ensemble = MLEEnsembleRegressor(member, n_estimators=5, random_state=0)
ensemble.fit(X_train, y_train)

# %%
# Held-out log-likelihood
# -----------------------
# On new data from the training stretches, the ensemble's log-likelihood (the
# log of its members' mean density) is at least the average of its members'
# (Jensen's inequality, for every sample).
x_test = np.concatenate([rng.uniform(-3, -0.7, 500), rng.uniform(0.7, 3, 500)])
y_test = curve(x_test) + rng.normal(0, 0.2, size=1000)
X_test = x_test[:, np.newaxis]
members = [m.log_likelihood(X_test, y_test).mean() for m in ensemble.estimators_]
print("mean held-out log-likelihood")
print(f"  members   {' '.join(f'{value:.3f}' for value in members)}")
print(f"  ensemble  {ensemble.log_likelihood(X_test, y_test).mean():.3f}")

# %%
# The bands
# ---------
# Each panel shows the mean and the central 95% interval (``predict_interval``)
# on a grid that runs past the data; the ensemble's panel also shows its
# members' means.
grid = np.linspace(-5, 5, 400)[:, np.newaxis]
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, model, title in (
    (axes[0], single, "one network: the noise only"),
    (axes[1], ensemble, "ensemble of 5: noise and disagreement"),
):
    low, high = model.predict_interval(grid, coverage=0.95).T
    ax.fill_between(grid[:, 0], low, high, color="C0", alpha=0.25, label="95% interval")
    ax.plot(grid[:, 0], model.predict(grid), color="C0", label="mean")
    ax.plot(grid[:, 0], curve(grid[:, 0]), "k--", lw=1, label="true curve")
    ax.scatter(x_train, y_train, s=6, color="k", alpha=0.5)
    ax.set_title(title)
    ax.set_xlabel("x")
for index, estimator in enumerate(ensemble.estimators_):
    label = "members' means" if index == 0 else None
    axes[1].plot(grid[:, 0], estimator.predict(grid), color="C1", lw=0.8, label=label)
axes[0].set_ylabel("y")
axes[0].set_ylim(-4, 4)
axes[0].legend(loc="upper left")
axes[1].legend(loc="upper left")
fig.tight_layout()

# %%
# The spread, decomposed
# ----------------------
# ``predict(X, return_std=True)`` gives the mixture's standard deviation. Its
# square is the members' mean variance (the noise they learned, about
# :math:`0.2^2` everywhere) plus the variance of their means (zero where they
# agree).
mean, std = ensemble.predict(grid, return_std=True)
member_means = np.array([m.predict(grid) for m in ensemble.estimators_])
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(grid[:, 0], std, label="ensemble std")
ax.plot(grid[:, 0], member_means.std(axis=0), label="std of the members' means")
ax.axhline(single.sigma_[0], color="k", ls=":", label="one network's sigma_")
for start, stop in ((-3, -0.7), (0.7, 3)):
    ax.axvspan(start, stop, color="0.9")
ax.set_xlabel("x")
ax.set_yscale("log")
ax.legend()
fig.tight_layout()
plt.show()
