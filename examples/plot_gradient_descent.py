"""
==================================================
Gradient descent: the step size and the mini-batch
==================================================

Two facts from :ref:`gradient-descent` in the user guide, measured on the
smallest model that shows them: one linear neuron with a Gaussian likelihood
(least squares), fitted to scikit-learn's diabetes data by plain gradient
steps written out in numpy. The loss and its gradient come from the library's
:class:`~sklearn_mle_nn.distributions.Gaussian`, the distribution that
:class:`~sklearn_mle_nn.MLERegressor` trains with.

1. **The step size.** Gradient descent rests on the first-order Taylor
   expansion :math:`L(\\theta - \\eta g) \\approx L(\\theta) - \\eta
   \\lVert g \\rVert^2`. It holds only near :math:`\\theta`: a learning rate
   :math:`\\eta` that is too large makes the neglected terms dominate, and
   the loss grows instead of falling.
2. **The mini-batch.** The mean gradient of :math:`M` random samples is an
   estimate of the mean gradient over all the data, whose error shrinks like
   :math:`1/\\sqrt{M}`.

The estimators watch their loss for divergence (see :ref:`training`), so the
divergence is shown here with bare gradient steps.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# The model and its gradient
# --------------------------
# The neuron's raw output is :math:`z_i = w \cdot x_i + b`; with the identity
# link it is the mean of the Gaussian :math:`p(y_i \mid x_i)`, whose negative
# log-likelihood (at :math:`\sigma = 1`) is :math:`\tfrac12 (y_i - z_i)^2`
# plus a constant. By the chain rule, the gradient of sample :math:`i`'s loss
# is :math:`\partial C_i / \partial z_i` (from
# :meth:`~sklearn_mle_nn.distributions.Gaussian.gradient`) times the input
# :math:`(1, x_i)`. Inputs and target are standardized first, as the
# estimators do internally.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn.distributions import Gaussian

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
y = StandardScaler().fit_transform(y.reshape(-1, 1))
inputs = np.hstack([np.ones((len(X), 1)), X])  # a column of ones for the bias
n_samples, n_params = inputs.shape
gaussian = Gaussian()


def loss(theta):
    """Mean negative log-likelihood of the data."""
    return gaussian.nll(y, inputs @ theta).mean()


def per_sample_gradients(theta, rows=slice(None)):
    """Row i: the gradient of sample i's NLL with respect to (b, w)."""
    error_signal = gaussian.gradient(y[rows], inputs[rows] @ theta)
    return error_signal * inputs[rows]


def gradient(theta, rows=slice(None)):
    """Mean gradient over ``rows`` (all the data by default)."""
    return per_sample_gradients(theta, rows).mean(axis=0)


theta_start = np.zeros((n_params, 1))

# %%
# Which step is too large
# -----------------------
# For this loss the Taylor expansion stops after the second-order term,
# :math:`L(\theta - \eta g) = L(\theta) - \eta \lVert g \rVert^2 +
# \tfrac{\eta^2}{2}\, g^\top H g`, with the constant Hessian
# :math:`H = \frac1N \sum_i (1, x_i)(1, x_i)^\top`. Along the eigenvector of
# :math:`H` with the largest eigenvalue :math:`\lambda_{\max}`, one step
# multiplies the distance to the minimum by :math:`1 - \eta \lambda_{\max}`:
# the steps overshoot and grow as soon as :math:`\eta > 2 / \lambda_{\max}`.
hessian = inputs.T @ inputs / n_samples
largest_eigenvalue = np.linalg.eigvalsh(hessian)[-1]
print(f"largest eigenvalue of the Hessian: {largest_eigenvalue:.2f}")
print(
    f"steps diverge for learning rates above 2 / λ_max = {2 / largest_eigenvalue:.3f}"
)

# %%
# The least-squares solution gives the smallest loss any step can reach; the
# curves below show how far above it each run is.
theta_best = np.linalg.lstsq(inputs, y, rcond=None)[0]
best_loss = loss(theta_best)
print(f"smallest possible loss: {best_loss:.4f}")

# %%
# Three learning rates: a small one, one just below that limit and one
# above it. Every step uses the full data (one step per epoch), so that only
# the step size differs.
learning_rates = [0.05, 0.45, 0.7]
n_epochs = 60
curves = {}
for learning_rate in learning_rates:
    theta = theta_start.copy()
    curve = [loss(theta)]
    for _ in range(n_epochs):
        theta -= learning_rate * gradient(theta)[:, np.newaxis]
        curve.append(loss(theta))
    curves[learning_rate] = np.array(curve)
    print(
        f"learning rate {learning_rate}: loss above the minimum "
        f"{curve[0] - best_loss:.3f} at the start, "
        f"{curve[-1] - best_loss:.3g} after {n_epochs} epochs"
    )

# %%
# The right panel shows the Taylor argument itself for the very first step:
# the loss after one step of size :math:`\eta` along :math:`-g` (black),
# against the first-order prediction :math:`L - \eta \lVert g \rVert^2` (the
# dashed tangent). For small steps the two agree; further out, the curvature
# bends the loss back up.
g = gradient(theta_start)[:, np.newaxis]
etas = np.linspace(0, 1.2, 121)
after_one_step = [loss(theta_start - eta * g) for eta in etas]
first_order = loss(theta_start) - etas * np.sum(g**2)
# Where the exact change -η‖g‖² + η²/2 gᵀHg crosses zero again.
largest_decreasing_step = 2 * np.sum(g**2) / float(np.sum(g * (hessian @ g)))
print(
    f"a first step from the start lowers the loss for η < {largest_decreasing_step:.3f}"
)
for learning_rate in learning_rates:
    change = loss(theta_start - learning_rate * g) - loss(theta_start)
    predicted_change = -learning_rate * np.sum(g**2)
    print(
        f"learning rate {learning_rate}: first step changes the loss by "
        f"{change:+.3f}; the first-order Taylor term predicts {predicted_change:+.3f}"
    )

colors = dict(zip(learning_rates, ["tab:blue", "tab:green", "tab:red"]))
fig, (ax_curve, ax_taylor) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
for learning_rate, curve in curves.items():
    ax_curve.plot(
        curve - best_loss,
        color=colors[learning_rate],
        label=f"learning rate {learning_rate}",
    )
ax_curve.set(
    yscale="log",
    xlabel="epoch (one full-data gradient step)",
    ylabel="loss − smallest possible loss",
    title="Mean NLL above its minimum, per epoch",
    ylim=(1e-4, 1e3),
)
diverged = curves[learning_rates[-1]] - best_loss
ax_curve.annotate(
    f"{diverged[-1]:.0e} at epoch {n_epochs}",
    xy=(np.argmax(diverged > 1e3), 1e3),
    xytext=(n_epochs * 0.45, 1e2),
    color=colors[learning_rates[-1]],
    arrowprops={"arrowstyle": "->", "color": colors[learning_rates[-1]]},
)
ax_curve.legend()
ax_curve.grid(alpha=0.3, which="both")

ax_taylor.plot(etas, after_one_step, color="black", label="loss after the step")
ax_taylor.plot(
    etas,
    first_order,
    color="gray",
    linestyle="--",
    label="first-order Taylor: L − η‖g‖²",
)
for learning_rate in learning_rates:
    ax_taylor.plot(
        learning_rate,
        loss(theta_start - learning_rate * g),
        "o",
        color=colors[learning_rate],
    )
ax_taylor.axhline(loss(theta_start), color="gray", linewidth=0.8)
ax_taylor.set(
    xlabel="step size η",
    ylabel="mean negative log-likelihood",
    title="One step from the start, along −g",
    ylim=(0, 2 * loss(theta_start)),
)
ax_taylor.legend(loc="upper right")
ax_taylor.grid(alpha=0.3)
plt.show()

# %%
# The small learning rate decreases the loss at every epoch. The one just
# below the limit overshoots along the steepest direction, but the overshoot
# shrinks at every step and it converges faster. The one above the limit
# raises the loss from its very first step (right panel: its dot lies above
# the starting loss, where the tangent promised a large decrease), and then
# the part of the error along the steepest direction grows by a factor
# :math:`|1 - \eta \lambda_{\max}| > 1` at every step: the loss grows
# without bound. The first-order expansion, which guarantees a decrease,
# describes only small steps; the printed changes show how far the actual
# change departs from it as :math:`\eta` grows.
#
# The mini-batch gradient is a noisy estimate
# -------------------------------------------
# A mini-batch of :math:`M` samples drawn at random gives the mean of
# :math:`M` per-sample gradients. It is an unbiased estimate of the
# full-data gradient :math:`G`, and its error has a standard deviation
# :math:`s / \sqrt{M}`, where :math:`s` is the spread of the per-sample
# gradients; drawn without replacement from :math:`N` samples, as in an
# epoch, the error also shrinks by :math:`\sqrt{(N - M)/(N - 1)}` and is zero
# for :math:`M = N`. We measure the relative error
# :math:`\lVert g_B - G \rVert / \lVert G \rVert` of many random batches at
# two points: the start, and after 20 epochs with learning rate 0.05, where
# the full gradient is smaller.
rng = np.random.RandomState(0)
batch_sizes = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
n_draws = 2000
theta_trained = theta_start.copy()
for _ in range(20):
    theta_trained -= 0.05 * gradient(theta_trained)[:, np.newaxis]
points = {"at the start": theta_start, "after 20 epochs": theta_trained}

measured, predicted = {}, {}
for name, theta in points.items():
    full = gradient(theta)
    spread = np.sqrt(np.mean(np.sum((per_sample_gradients(theta) - full) ** 2, axis=1)))
    relative_errors = np.empty((len(batch_sizes), n_draws))
    for i, size in enumerate(batch_sizes):
        for draw in range(n_draws):
            batch = rng.choice(n_samples, size=size, replace=False)
            error = gradient(theta, batch) - full
            relative_errors[i, draw] = np.linalg.norm(error) / np.linalg.norm(full)
    measured[name] = relative_errors
    predicted[name] = spread / np.linalg.norm(full)
    rms = np.sqrt(np.mean(relative_errors**2, axis=1))
    print(f"{name}: ‖G‖ = {np.linalg.norm(full):.3f}, s / ‖G‖ = {predicted[name]:.2f}")
    print("   M   measured RMS relative error   s / (‖G‖ √M)")
    for size, value in zip(batch_sizes, rms):
        print(f"{size:4d} {value:25.3f} {predicted[name] / np.sqrt(size):16.3f}")

# %%
# Each dot is the root-mean-square relative error of 2000 batches, the band
# holds the middle 80% of them, the dashed line is :math:`s / (\lVert G
# \rVert \sqrt{M})` computed from the per-sample gradients (not fitted), and
# the dotted curve adds the finite-population factor.
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
point_colors = {"at the start": "tab:blue", "after 20 epochs": "tab:orange"}
sizes = np.geomspace(1, batch_sizes[-1], 100)
for name, relative_errors in measured.items():
    color = point_colors[name]
    rms = np.sqrt(np.mean(relative_errors**2, axis=1))
    low, high = np.percentile(relative_errors, [10, 90], axis=1)
    ax.fill_between(batch_sizes, low, high, color=color, alpha=0.2)
    ax.plot(batch_sizes, rms, "o", color=color, label=f"measured, {name}")
    ax.plot(
        sizes, predicted[name] / np.sqrt(sizes), "--", color=color, label="s / (‖G‖ √M)"
    )
    ax.plot(
        sizes,
        predicted[name]
        / np.sqrt(sizes)
        * np.sqrt((n_samples - sizes) / (n_samples - 1)),
        ":",
        color=color,
        label="× √((N − M)/(N − 1))",
    )
ax.set(
    xscale="log",
    yscale="log",
    xlabel="batch size M",
    ylabel="‖mini-batch gradient − full gradient‖ / ‖full gradient‖",
    title=f"Error of the mini-batch gradient (N = {n_samples} samples)",
)
ax.set_xticks(batch_sizes, [str(size) for size in batch_sizes])
ax.minorticks_off()
ax.grid(alpha=0.3, which="both")
ax.legend()
plt.show()

# %%
# The measured error follows the :math:`1/\sqrt{M}` line: four times the
# batch buys half the error, at four times the cost per step. Near the
# minimum the full gradient is small while the per-sample gradients still
# disagree, so the same batch gives a larger *relative* error: this is why a
# constant learning rate leaves stochastic gradient descent jittering around
# the minimum, and why ``learning_rate='adaptive'`` or ``'invscaling'``
# shrink the step late in training. ``batch_size='auto'`` uses
# :math:`M = \min(200, N)`.
