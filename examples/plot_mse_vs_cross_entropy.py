"""
==========================================================
Squared error against cross-entropy from a saturated start
==========================================================

The :ref:`single-neuron experiment <sphx_glr_auto_examples_plot_seed_single_neuron.py>`
showed that squared error on a sigmoid learns slowly when the neuron starts
out saturated and wrong, while cross-entropy does not. Here is the same
effect on a real network: a one-hidden-layer classifier of handwritten digits
with a softmax output.

:class:`~sklearn_mle_nn.MLEClassifier` trains the same softmax probabilities
:math:`p = \\operatorname{softmax}(z)` either by cross-entropy
(``distribution='bernoulli'``, the categorical negative log-likelihood) or by
squared error (``distribution='gaussian'``). The error signal at the output
is

.. math::

    \\text{cross-entropy:}\\quad \\frac{\\partial C}{\\partial z} = p - y,
    \\qquad
    \\text{squared error:}\\quad \\frac{\\partial C}{\\partial z}
    = J_{\\mathrm{softmax}}(z)^\\top (p - y),
    \\quad J_{\\mathrm{softmax}} = \\operatorname{diag}(p) - p p^\\top.

When the softmax is saturated (one probability near 1), its Jacobian is
nearly zero and so is the squared error's gradient, however wrong the
prediction. See :ref:`canonical-link` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data
# ----
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import MLEClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Two starting points
# -------------------
# We read the weight shapes off a network fitted for one epoch, then draw
# Glorot-uniform weights of those shapes. The *normal* start uses them as
# they are; the *saturated* start multiplies every weight by 5. With ReLU
# hidden units the output scales as the product of the layers' weights, here
# by 25, so most initial softmax outputs put almost all their mass on one
# (arbitrary) class.
hidden = (64,)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    shapes = [
        coef.shape
        for coef in MLEClassifier(hidden, max_iter=1, random_state=0)
        .fit(X_train, y_train)
        .coefs_
    ]
rng = np.random.RandomState(0)
glorot = [
    rng.uniform(-1, 1, shape) * np.sqrt(6 / (shape[0] + shape[1])) for shape in shapes
]
zeros = [np.zeros(shape[1]) for shape in shapes]
starts = {
    "normal start": glorot,
    "saturated start (weights × 5)": [5 * weights for weights in glorot],
}

# %%
# Training, one epoch at a time
# -----------------------------
# SGD with momentum, learning rate 0.005, mini-batches of 32, and no weight
# penalty (``alpha=0``), so that only the gradient of the loss can pull the
# large weights back. ``fit`` takes the starting weights and runs one epoch;
# ``partial_fit`` then runs one more epoch per call, so that we can record
# after every epoch, on the held-out digits and in the same units for both
# losses:
#
# * the **log-loss**, the mean negative log-likelihood of the true labels
#   under the predicted probabilities, on the training digits and on the
#   held-out ones (in nats per digit: 0 for a perfect model,
#   :math:`\log 10 \approx 2.3` for a uniform guess);
# * the held-out accuracy;
# * and, on the training digits, the fraction the network gets *confidently
#   wrong*: it gives more than 99% probability to a wrong class.
n_epochs = 50


def confidently_wrong(proba, classes, y):
    wrong = classes[proba.argmax(axis=1)] != y
    return np.mean(wrong & (proba.max(axis=1) > 0.99))


histories = {}
for start_name, coefs_init in starts.items():
    for distribution in ("bernoulli", "gaussian"):
        network = MLEClassifier(
            hidden,
            distribution=distribution,
            solver="sgd",
            learning_rate_init=0.005,
            batch_size=32,
            alpha=0,
            max_iter=1,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            network.fit(X_train, y_train, coefs_init=coefs_init, intercepts_init=zeros)
        history = {"train log-loss": [], "log-loss": [], "accuracy": [], "wrong": []}
        for epoch in range(n_epochs):
            if epoch:
                network.partial_fit(X_train, y_train)
            # One call for both sets: training rows first, then the held-out.
            proba_train, proba = np.split(
                network.predict_proba(np.vstack([X_train, X_test])), [len(X_train)]
            )
            history["log-loss"].append(log_loss(y_test, proba, labels=network.classes_))
            history["accuracy"].append(
                np.mean(network.classes_[proba.argmax(axis=1)] == y_test)
            )
            history["train log-loss"].append(
                log_loss(y_train, proba_train, labels=network.classes_)
            )
            history["wrong"].append(
                confidently_wrong(proba_train, network.classes_, y_train)
            )
        histories[start_name, distribution] = {
            key: np.array(values) for key, values in history.items()
        }

print(f"after {n_epochs} epochs             log-loss: training  held-out  accuracy")
for (start_name, distribution), history in histories.items():
    print(
        f"{start_name:30s} {distribution:10s} {history['train log-loss'][-1]:8.4f} "
        f"{history['log-loss'][-1]:9.3f} {history['accuracy'][-1]:9.3f}"
    )

# %%
# Plot
# ----
labels = {"bernoulli": "cross-entropy ('bernoulli')", "gaussian": "MSE ('gaussian')"}
colors = {"bernoulli": "tab:blue", "gaussian": "tab:red"}
styles = {"normal start": ":", "saturated start (weights × 5)": "-"}
epochs = np.arange(1, n_epochs + 1)
fig, axes = plt.subplots(2, 2, figsize=(11, 8.5), layout="constrained")
(ax_train, ax_loss), (ax_acc, ax_wrong) = axes
for (start_name, distribution), history in histories.items():
    style = dict(
        color=colors[distribution],
        linestyle=styles[start_name],
        label=f"{labels[distribution]}, {start_name}",
    )
    ax_train.plot(epochs, history["train log-loss"], **style)
    ax_loss.plot(epochs, history["log-loss"], **style)
    ax_acc.plot(epochs, history["accuracy"], **style)
    ax_wrong.plot(epochs, history["wrong"], **style)
# The same logarithmic scale on both log-loss panels, so that the gap
# between training and held-out digits reads off directly.
low = min(
    min(h["train log-loss"].min(), h["log-loss"].min()) for h in histories.values()
)
high = max(
    max(h["train log-loss"].max(), h["log-loss"].max()) for h in histories.values()
)
for ax, where in [(ax_train, "training"), (ax_loss, "held-out")]:
    ax.axhline(np.log(10), color="gray", linewidth=0.8)
    ax.text(1, np.log(10), "uniform guess", va="bottom", color="gray")
    ax.set(
        xlabel="epoch",
        ylabel=f"{where} log-loss (nats per digit)",
        title=f"Log-loss on the {where} digits (lower is better)",
        yscale="log",
        ylim=(low / 2, high * 2),
    )
ax_acc.set(
    xlabel="epoch",
    ylabel="held-out accuracy",
    title="Held-out accuracy (higher is better)",
    ylim=(0, 1),
)
ax_wrong.set(
    xlabel="epoch",
    ylabel="fraction of training digits",
    title="Confidently wrong (> 99% on a wrong class)",
    ylim=(0, None),
)
for ax in axes.ravel():
    ax.grid(alpha=0.3, which="both")
fig.legend(*ax_acc.get_legend_handles_labels(), loc="outside lower center", ncols=2)
plt.show()

# %%
# All four runs are scored the same way, so the curves compare directly.
# From the normal start both losses reach about the same held-out accuracy,
# cross-entropy a little sooner. From the saturated start, cross-entropy
# recovers within a few epochs: its confidently wrong training digits are
# gone almost at once. The squared error crawls: a large fraction of the
# training digits start confidently wrong and many still are at the end,
# because a saturated softmax passes almost no gradient back to the weights
# that caused the mistake. The cross-entropy's error signal :math:`p - y` is
# instead largest exactly there.
#
# The saturated start costs cross-entropy something too, and the two
# log-loss panels show what: that run **overfits**. On the training digits
# (top left) its log-loss falls far below every other run's, towards zero;
# on the held-out digits (top right) it stays well above the normal start's,
# and its held-out accuracy is lower. The weights it started with are five
# times too large, ``alpha=0`` does nothing to shrink them, and the network
# becomes almost certain of every training digit, including the held-out
# digits it gets wrong. A penalty (``alpha``) or early stopping
# (``early_stopping=True``, which keeps the weights of the best held-out
# score) limits the damage; a good initial scale matters whatever the loss,
# and the loss decides how much a bad start hurts.
