"""
===============================================
Vanishing gradients in a deep stack of sigmoids
===============================================

Backpropagation carries the error signal from the output down to the first
layer, and at every layer it multiplies the signal by the derivative of that
layer's activation:

.. math::

    \\delta^{(l)} = \\left(\\delta^{(l+1)} W^{(l+1)\\top}\\right)
    \\odot \\sigma'\\left(z^{(l)}\\right).

The logistic sigmoid's derivative :math:`\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))`
is at most :math:`1/4`. Through six sigmoid layers the signal that reaches the
first layer is scaled by at most :math:`(1/4)^6 \\approx 2.4 \\times 10^{-4}`
(times the weights), so the first layers barely learn. The rectifier's
derivative is 1 wherever the unit is active, so ReLU stacks do not shrink the
signal this way. ``tanh`` sits in between: its derivative reaches 1 at 0.

We train the same six-hidden-layer network (32 units each) on the digits
dataset with each activation, from the *same* initial weights, and look at
the training loss and at how far each layer's weights moved.
See :ref:`vanishing-gradients` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data and a shared starting point
# --------------------------------
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
# Glorot-uniform weights for the layers 64 → 32 × 6 → 10, zero biases. Every
# network below starts from these arrays, passed to ``fit`` through
# ``coefs_init`` and ``intercepts_init``; only the activation differs.
hidden = (32,) * 6
layer_units = [X.shape[1], *hidden, 10]
rng = np.random.RandomState(0)
coefs_init = [
    rng.uniform(-1, 1, (fan_in, fan_out)) * np.sqrt(6 / (fan_in + fan_out))
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:])
]
intercepts_init = [np.zeros(fan_out) for fan_out in layer_units[1:]]

# %%
# Training
# --------
# SGD with momentum, learning rate 0.01, mini-batches of 200 and no weight
# penalty (``alpha=0``, so that the weights move only where the gradient
# moves them); 200 epochs with no stopping rule, so that every curve is 200
# epochs long.
n_epochs = 200


def deep_network(activation, hidden_layer_sizes=hidden):
    return MLEClassifier(
        hidden_layer_sizes=hidden_layer_sizes,
        activation=activation,
        solver="sgd",
        learning_rate_init=0.01,
        batch_size=200,
        alpha=0,
        max_iter=n_epochs,
        tol=0,
        n_iter_no_change=n_epochs,
        random_state=0,
    )


networks = {}
with warnings.catch_warnings():
    # Training stops at max_iter on purpose.
    warnings.simplefilter("ignore", ConvergenceWarning)
    for activation in ("logistic", "tanh", "relu"):
        networks[activation] = deep_network(activation).fit(
            X_train, y_train, coefs_init=coefs_init, intercepts_init=intercepts_init
        )
    # For contrast: the same sigmoid, one hidden layer only.
    shallow = deep_network("logistic", hidden_layer_sizes=(32,)).fit(X_train, y_train)

for activation, network in networks.items():
    print(f"6 x {activation:8s}  test accuracy {network.score(X_test, y_test):.3f}")
print(f"1 x logistic  test accuracy {shallow.score(X_test, y_test):.3f}")

# %%
# How far each layer moved
# ------------------------
# The relative change :math:`\|W_\text{trained} - W_\text{init}\| /
# \|W_\text{init}\|` of every weight matrix measures how much that layer
# learned. Layer 1 is the input layer, layer 7 the output layer.
moved = {
    activation: [
        np.linalg.norm(trained - start) / np.linalg.norm(start)
        for trained, start in zip(network.coefs_, coefs_init)
    ]
    for activation, network in networks.items()
}

colors = {"logistic": "tab:red", "tanh": "tab:orange", "relu": "tab:blue"}
fig, (ax_loss, ax_moved) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
for activation, network in networks.items():
    ax_loss.plot(
        network.loss_curve_, color=colors[activation], label=f"6 × 32 {activation}"
    )
ax_loss.plot(
    shallow.loss_curve_, color="tab:red", linestyle=":", label="1 × 32 logistic"
)
ax_loss.axhline(np.log(10), color="gray", linewidth=0.8)
ax_loss.annotate(
    "log 10: uniform guess over 10 classes",
    (n_epochs, np.log(10)),
    xytext=(0, 4),
    textcoords="offset points",
    ha="right",
    fontsize="small",
    color="gray",
)
ax_loss.set(
    xlabel="epoch",
    ylabel="training loss (cross-entropy, nats per sample)",
    title="Training loss",
    ylim=(0, 2.7),
)
ax_loss.legend(loc="center right")
ax_loss.grid(alpha=0.3)

layers = np.arange(1, len(coefs_init) + 1)
width = 0.27
for offset, (activation, change) in zip((-width, 0, width), moved.items()):
    ax_moved.bar(
        layers + offset, change, width, color=colors[activation], label=activation
    )
ax_moved.set(
    xlabel="weight layer (1 = next to the input, 7 = output)",
    ylabel="‖W_trained − W_init‖ / ‖W_init‖",
    title="How far each layer's weights moved",
    yscale="log",
    xticks=layers,
)
ax_moved.set_ylim(top=4)
ax_moved.legend(title="6 × 32 network", loc="upper left", ncols=3)
ax_moved.grid(alpha=0.3, axis="y", which="both")
plt.show()

# %%
# The six-layer sigmoid network sits at :math:`\log 10 \approx 2.30`, the
# loss of a uniform guess, for all 200 epochs and predicts at chance level.
# Its output layer moves by some fifteen percent, its first layer by half a
# percent: the error signal is all but gone by the time it gets there. The same
# sigmoid with a single hidden layer learns well, so depth is the problem,
# not the sigmoid alone. With ``tanh`` and ``relu`` every layer moves by tens
# of percent and the loss falls quickly.
