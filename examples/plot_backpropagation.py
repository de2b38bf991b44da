"""
====================================================
Backpropagation by hand, checked on a fitted network
====================================================

:ref:`backpropagation` in the user guide states four rules. With the error
signal :math:`\\delta^{(l)} = \\partial C / \\partial z^{(l)}` of layer
:math:`l`,

* the output error signal is :math:`\\partial C / \\partial a^{(L)} \\odot
  g_L'(z^{(L)})`, which for a canonical link is simply the mean minus the
  target;
* it is carried back one layer by :math:`\\delta^{(l-1)} = (\\delta^{(l)}
  W^{(l)\\top}) \\odot g'_{l-1}(z^{(l-1)})`;
* **the bias gradient is the error signal**, :math:`\\partial C / \\partial
  b^{(l)} = \\delta^{(l)}`;
* **the weight gradient is the layer's input times the error signal**,
  :math:`\\partial C / \\partial W^{(l)} = a^{(l-1)\\top} \\delta^{(l)}`.

Here we fit an :class:`~sklearn_mle_nn.MLEClassifier`, compute the error
signals of its fitted weights by hand in numpy from these rules, and compare
the gradients they give with finite differences of the negative
log-likelihood that the estimator itself reports
(:meth:`~sklearn_mle_nn.MLEClassifier.log_likelihood`), one weight at a time.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# A fitted network
# ----------------
# Two hidden layers of ``tanh`` units, a softmax output for the three iris
# species. ``tanh`` is smooth, so that finite differences are accurate
# everywhere (with ReLU the rules hold too, except exactly at the kink).
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer

from sklearn_mle_nn import MLEClassifier

X, y = load_iris(return_X_y=True)
clf = MLEClassifier(
    hidden_layer_sizes=(8, 6), activation="tanh", max_iter=300, random_state=0
)
with warnings.catch_warnings():
    # Whether training has converged does not matter here: the rules hold
    # at any weights.
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X, y)
Y = LabelBinarizer().fit(clf.classes_).transform(y)  # one-hot targets
print("layer shapes:", [coef.shape for coef in clf.coefs_])
print(f"training accuracy {clf.score(X, y):.3f}")

# %%
# The forward pass, by hand
# -------------------------
# :math:`z^{(l)} = a^{(l-1)} W^{(l)} + b^{(l)}`, :math:`a^{(l)} =
# \tanh(z^{(l)})` for the hidden layers and the softmax for the output. The
# hand-made probabilities must be the estimator's.


def forward(coefs, intercepts, inputs):
    """Every layer's activation, the input first, the probabilities last."""
    activations = [inputs]
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        z = activations[-1] @ W + b
        if layer < len(coefs) - 1:
            activations.append(np.tanh(z))
        else:
            z -= z.max(axis=1, keepdims=True)
            activations.append(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
    return activations


activations = forward(clf.coefs_, clf.intercepts_, X)
print(
    "largest difference from predict_proba:",
    np.abs(activations[-1] - clf.predict_proba(X)).max(),
)

# %%
# The backward pass, by hand
# --------------------------
# The loss is the summed negative log-likelihood :math:`C = -\sum_i \log
# p(y_i \mid x_i)`. With the softmax, the categorical distribution's
# canonical link, the output error signal is :math:`p - y` (one row per
# sample). ``tanh``'s derivative, written from its output, is :math:`1 -
# a^2`. Each layer's gradients follow from its error signal: for the whole
# data set the per-sample rules are summed over the rows, so the bias
# gradient is the column sum of :math:`\delta^{(l)}` and the weight gradient
# the matrix product :math:`a^{(l-1)\top} \delta^{(l)}`.
delta = activations[-1] - Y  # δ^(L) = p - y
error_signals = [None] * len(clf.coefs_)
for layer in reversed(range(len(clf.coefs_))):
    error_signals[layer] = delta
    if layer > 0:
        a = activations[layer]
        delta = (delta @ clf.coefs_[layer].T) * (1 - a**2)  # carried back

bias_gradients = [delta.sum(axis=0) for delta in error_signals]
weight_gradients = [
    activations[layer].T @ delta for layer, delta in enumerate(error_signals)
]

# %%
# Finite differences of the estimator's own likelihood
# ----------------------------------------------------
# For every weight and bias :math:`\theta_j`, the five-point central
# difference
#
# .. math::
#
#     \frac{C(\theta_j - 2h) - 8\,C(\theta_j - h) + 8\,C(\theta_j + h)
#     - C(\theta_j + 2h)}{12 h}, \qquad h = 10^{-4},
#
# where :math:`C` is minus the sum of ``clf.log_likelihood(X, y)``: the
# estimator's own computation, which knows nothing of the code above. It
# approximates the derivative up to a term in :math:`h^4`, plus the rounding
# of :math:`C` divided by :math:`h`.


def nll():
    return -clf.log_likelihood(X, y).sum()


def finite_difference(array, index, h=1e-4):
    """Five-point difference of the NLL in ``array[index]``, restored after."""
    saved = array[index]
    values = []
    for step in (-2, -1, 1, 2):
        array[index] = saved + step * h
        values.append(nll())
    array[index] = saved
    return (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)


rows = []
for layer in range(len(clf.coefs_)):
    W, b = clf.coefs_[layer], clf.intercepts_[layer]
    for index in np.ndindex(W.shape):
        rows.append(
            (
                layer,
                "weight",
                weight_gradients[layer][index],
                finite_difference(W, index),
            )
        )
    for index in np.ndindex(b.shape):
        rows.append(
            (layer, "bias", bias_gradients[layer][index], finite_difference(b, index))
        )
layers = np.array([row[0] for row in rows])
kinds = np.array([row[1] for row in rows])
backprop = np.array([row[2] for row in rows])
numeric = np.array([row[3] for row in rows])

print(
    f"{'layer':>5s} {'parameters':>10s} {'largest |backprop − finite difference|':>40s}"
)
for layer in range(len(clf.coefs_)):
    for kind in ("weight", "bias"):
        mask = (layers == layer) & (kinds == kind)
        gap = np.abs(backprop[mask] - numeric[mask]).max()
        plural = "biases" if kind == "bias" else "weights"
        print(f"{layer + 1:5d} {plural:>10s} {gap:40.1e}")
print(f"largest gradient: {np.abs(numeric).max():.1f}")

# %%
# The two agree to many digits for every parameter: the hand-made error
# signals are the gradients the likelihood has. Left: each parameter's
# gradient from backpropagation against its finite difference, on a
# symmetric log scale since they span several orders of magnitude. Right:
# the absolute disagreement of each parameter, layer by layer.
fig, (ax_match, ax_gap) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
layer_colors = ["tab:blue", "tab:orange", "tab:green"]
markers = {"weight": "o", "bias": "s"}
for layer in range(len(clf.coefs_)):
    for kind in ("weight", "bias"):
        mask = (layers == layer) & (kinds == kind)
        label = f"layer {layer + 1} {'biases' if kind == 'bias' else 'weights'}"
        style = dict(color=layer_colors[layer], marker=markers[kind], linestyle="")
        ax_match.plot(numeric[mask], backprop[mask], alpha=0.7, label=label, **style)
        ax_gap.plot(
            np.flatnonzero(mask),
            np.abs(backprop[mask] - numeric[mask]),
            alpha=0.7,
            label=label,
            **style,
        )
limit = np.abs(numeric).max() * 1.5
ax_match.plot([-limit, limit], [-limit, limit], color="gray", linewidth=0.8)
ax_match.set(
    xscale="symlog",
    yscale="symlog",
    xlabel="finite difference of −Σ log_likelihood",
    ylabel="backpropagation: δ (biases), aᵀδ (weights)",
    title="Gradient of every weight and bias",
)
ax_match.grid(alpha=0.3)
ax_match.legend(fontsize="small")
ax_gap.set(
    yscale="log",
    xlabel="parameter (layer by layer)",
    ylabel="|backpropagation − finite difference|",
    title="Disagreement, parameter by parameter",
)
ax_gap.grid(alpha=0.3, which="both")
plt.show()

# %%
# The disagreements are of the size the finite differences themselves allow
# (rounding of the summed likelihood divided by :math:`2h`, and the
# :math:`h^2` term), many orders of magnitude below the gradients. The
# library's own backward pass is these same four rules, with the error signal
# supplied by the distribution
# (:meth:`~sklearn_mle_nn.distributions.Categorical.gradient`) and the sum
# replaced by the weighted mean of a mini-batch.
