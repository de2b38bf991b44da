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
# after every epoch:
#
# * the held-out accuracy;
# * the fraction of training digits the network gets *confidently wrong*:
#   it gives more than 99% probability to a wrong class;
# * and the training loss itself, ``loss_curve_``, one entry per epoch.
n_epochs = 100


def confidently_wrong(network, X, y):
    proba = network.predict_proba(X)
    wrong = network.classes_[proba.argmax(axis=1)] != y
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
        accuracy, wrong = [], []
        for epoch in range(n_epochs):
            if epoch:
                network.partial_fit(X_train, y_train)
            accuracy.append(network.score(X_test, y_test))
            wrong.append(confidently_wrong(network, X_train, y_train))
        histories[start_name, distribution] = accuracy, wrong, network.loss_curve_

for (start_name, distribution), (accuracy, _, _) in histories.items():
    print(
        f"{start_name:30s} {distribution:10s} test accuracy after {n_epochs} "
        f"epochs: {accuracy[-1]:.3f}"
    )

# %%
# Plot
# ----
labels = {"bernoulli": "cross-entropy ('bernoulli')", "gaussian": "MSE ('gaussian')"}
colors = {"bernoulli": "tab:blue", "gaussian": "tab:red"}
styles = {"normal start": ":", "saturated start (weights × 5)": "-"}
epochs = np.arange(1, n_epochs + 1)
fig, (ax_loss, ax_acc, ax_wrong) = plt.subplots(
    1, 3, figsize=(15, 5), layout="constrained"
)
for (start_name, distribution), (accuracy, wrong, losses) in histories.items():
    style = dict(
        color=colors[distribution],
        linestyle=styles[start_name],
        label=f"{labels[distribution]}, {start_name}",
    )
    # The two losses have different units and minima: the categorical NLL
    # can reach 0, the Gaussian one (unit variance) only the constant
    # 0.5 * n_classes * log(2 pi). Plot each one's excess over its minimum,
    # relative to the first epoch.
    minimum = 0.5 * 10 * np.log(2 * np.pi) if distribution == "gaussian" else 0.0
    excess = np.asarray(losses) - minimum
    ax_loss.plot(epochs, excess / excess[0], **style)
    ax_acc.plot(epochs, accuracy, **style)
    ax_wrong.plot(epochs, wrong, **style)
ax_loss.set(
    xlabel="epoch",
    ylabel="(loss_curve_ − its minimum) / first epoch's",
    title="Training loss (NLL) above its minimum",
    yscale="log",
)
ax_acc.set(
    xlabel="epoch", ylabel="held-out accuracy", title="Held-out accuracy", ylim=(0, 1)
)
ax_wrong.set(
    xlabel="epoch",
    ylabel="fraction of training digits",
    title="Confidently wrong (> 99% on a wrong class)",
    ylim=(0, None),
)
for ax in (ax_loss, ax_acc, ax_wrong):
    ax.grid(alpha=0.3)
fig.legend(*ax_acc.get_legend_handles_labels(), loc="outside lower center", ncols=2)
plt.show()

# %%
# Each run's ``loss_curve_`` is in its own units (the Gaussian NLL of the
# probabilities, or the categorical NLL of the labels), so the left panel
# shows what is left of each above its smallest possible value, relative to
# the first epoch. From the saturated start the cross-entropy
# falls by an order of magnitude within a few epochs; the squared error
# creeps down.
#
# From the normal start both losses reach about the same accuracy
# (cross-entropy a little sooner). From the saturated start cross-entropy
# recovers within a few epochs: its confidently wrong digits are gone after
# five. The squared error crawls: almost half of the training digits start
# confidently wrong, and after 100 epochs one in ten still is, because a
# saturated softmax passes almost no gradient back to the weights that caused
# the mistake. The cross-entropy's error signal :math:`p - y` is instead
# largest exactly there.
#
# The saturated start costs cross-entropy something too (0.944 against 0.978
# held-out): good initial scales matter whatever the loss; the loss decides
# how much a bad start hurts.
