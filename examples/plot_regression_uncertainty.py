"""
===================================================
A regressor is a distribution: its spread and draws
===================================================

:class:`~sklearn_mle_nn.MLERegressor` with ``distribution='gaussian'`` fits

.. math::

    p(y \\mid x) = \\mathcal{N}\\left(y;\\ f_\\theta(x),\\ \\sigma^2\\right)

by maximum likelihood: the network gives the mean :math:`f_\\theta(x)`, and
``sigma_`` is the maximum-likelihood noise scale, the root-mean-square
training residual. Because the fitted model is a distribution and not a single
curve, it can do more than predict a number:

* ``predict(X, return_std=True)`` returns the mean and the standard deviation
  of :math:`p(y \\mid x)`;
* ``sample(X, n_samples)`` draws targets from it: one input, many outputs;
* ``log_likelihood(X, y)`` scores held-out pairs under it.

See :ref:`mle-view` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Noisy data
# ----------
# A smooth curve plus Gaussian noise of standard deviation 0.3, observed on
# :math:`[-3, 3]`.
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm

from sklearn_mle_nn import MLERegressor


def curve(x):
    return np.sin(2 * x) + 0.5 * x


noise = 0.3
rng = np.random.RandomState(0)
X_train = rng.uniform(-3, 3, size=(300, 1))
y_train = curve(X_train[:, 0]) + rng.normal(0, noise, size=300)
X_test = rng.uniform(-3, 3, size=(1000, 1))
y_test = curve(X_test[:, 0]) + rng.normal(0, noise, size=1000)

# %%
# Fit
# ---
# Two hidden layers of 64 ReLU units. By default the regressor holds out 10%
# of the data for early stopping; with 300 noisy samples those 30 give too
# noisy a score to stop on, so we train on all of them instead.
reg = MLERegressor(
    hidden_layer_sizes=(64, 64),
    early_stopping=False,
    max_iter=1000,
    random_state=0,
).fit(X_train, y_train)

mean_test, std_test = reg.predict(X_test, return_std=True)
inside = np.abs(y_test - mean_test) < 2 * std_test
true_log_likelihood = norm.logpdf(y_test, curve(X_test[:, 0]), noise).mean()
print(f"fitted sigma_              {reg.sigma_[0]:.3f}   (true noise {noise})")
print(f"test R^2                   {reg.score(X_test, y_test):.3f}")
print(f"test points within 2 sigma {inside.mean():.1%}   (95.4% for a Gaussian)")
print(
    f"mean test log-likelihood   {reg.log_likelihood(X_test, y_test).mean():.3f}"
    f"   (true model: {true_log_likelihood:.3f})"
)

# %%
# The band and the draws
# ----------------------
# On a grid that runs past the training range, we plot the mean, the band of
# two standard deviations, and five draws from :math:`p(y \mid x)` at every
# grid point. The draws at one ``x`` are independent, so they form a cloud
# around the mean rather than smooth curves.
#
# On the right, 2,000 draws at the single input :math:`x = 1` form a
# histogram that matches the fitted density, which is itself close to the
# true one.
X_grid = np.linspace(-4, 4, 400).reshape(-1, 1)
mean, std = reg.predict(X_grid, return_std=True)
draws = reg.sample(X_grid, n_samples=5, random_state=0)  # shape (400, 5)

x0 = 1.0
draws_x0 = reg.sample([[x0]], n_samples=2000, random_state=1)[0]
mean_x0, std_x0 = reg.predict([[x0]], return_std=True)

fig, (ax, ax_x0) = plt.subplots(
    1, 2, figsize=(12, 4.8), width_ratios=(2.2, 1), layout="constrained"
)
ax.axvspan(-4, -3, color="0.92", label="no training data")
ax.axvspan(3, 4, color="0.92")
ax.scatter(X_train, y_train, s=8, color="0.45", label="training data")
ax.fill_between(
    X_grid[:, 0],
    mean - 2 * std,
    mean + 2 * std,
    color="tab:blue",
    alpha=0.2,
    label="mean ± 2 sigma_",
)
ax.scatter(
    np.repeat(X_grid[:, 0], draws.shape[1]),
    draws.ravel(),
    s=2,
    color="tab:orange",
    alpha=0.6,
    label="sample(): 5 draws per x",
)
ax.plot(X_grid, curve(X_grid), color="black", linestyle="--", label="true mean")
ax.plot(X_grid, mean, color="tab:blue", linewidth=2, label="predict(): fitted mean")
ax.axvline(x0, color="tab:purple", linewidth=0.8, label=f"x = {x0:g} (right panel)")
ax.set(
    xlabel="x",
    ylabel="y",
    title="p(y | x) fitted by MLERegressor",
    xlim=(-4, 4),
    ylim=(-3.3, 4.6),
)
ax.legend(loc="upper left", fontsize="small", markerscale=2, ncols=2)

ax_x0.hist(
    draws_x0, bins=40, density=True, color="tab:orange", alpha=0.6, label="2,000 draws"
)
y_axis = np.linspace(draws_x0.min(), draws_x0.max(), 200)
ax_x0.plot(
    y_axis, norm.pdf(y_axis, mean_x0[0], std_x0[0]), color="tab:blue", label="fitted"
)
ax_x0.plot(
    y_axis,
    norm.pdf(y_axis, curve(x0), noise),
    color="black",
    linestyle="--",
    label="true",
)
ax_x0.set(xlabel="y", ylabel="density", title=f"p(y | x = {x0:g})")
ax_x0.legend(fontsize="small")
plt.show()

# %%
# What the band is and is not
# ---------------------------
# ``sigma_`` is one number per output: the model says the noise has the same
# size everywhere, which is true of these data, and it estimates it well
# (0.30 against 0.3). It describes the noise *in the data*. It does not grow
# where there are no data: in the grey regions the band keeps its width while
# the mean follows whatever the network extrapolates. Uncertainty about the
# weights themselves is outside maximum likelihood; it needs, for instance,
# an ensemble of networks or a Bayesian treatment.
