"""
=======================================================
One sigmoid neuron: squared error against cross-entropy
=======================================================

The experiment at the heart of the maximum-likelihood view, on the smallest
possible network: one sigmoid neuron, one input ``x = 1``, target ``y = 0``,
learning rate 0.15, 300 plain gradient steps.

The neuron's output is :math:`a = \\sigma(w x + b)`. We train it twice:

* with the **squared error** :math:`C = (a - y)^2 / 2`, which is the negative
  log-likelihood of a Gaussian whose mean is the sigmoid output
  (``MLERegressor(distribution='gaussian', out_activation='logistic')``);
* with the **cross-entropy** :math:`C = -y \\log a - (1 - y) \\log(1 - a)`,
  the negative log-likelihood of a Bernoulli whose mean is the sigmoid output
  (``distribution='bernoulli'``).

Each from two starts: :math:`(w, b) = (0.6, 0.9)`, where the output is 0.82,
and :math:`(w, b) = (2, 2)`, where it is 0.98 and the sigmoid is saturated.

See :ref:`canonical-link` in the user guide for the algebra.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# The four runs
# -------------
# ``hidden_layer_sizes=()`` leaves the network with no hidden layer: one
# weight and one bias. Everything that could hide the effect is switched off:
# no momentum, no penalty, one sample per step, no stopping rule. With one
# sample and ``batch_size=1``, one epoch is one gradient step.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_mle_nn import MLERegressor

X = np.array([[1.0]])
y = np.array([0.0])
n_steps = 300
starts = {"(0.6, 0.9)": (0.6, 0.9), "(2, 2)": (2.0, 2.0)}
losses = {
    "MSE (Gaussian NLL)": dict(distribution="gaussian", out_activation="logistic"),
    "cross-entropy (Bernoulli NLL)": dict(distribution="bernoulli"),
}


def single_neuron(max_iter, **likelihood):
    return MLERegressor(
        hidden_layer_sizes=(),
        solver="sgd",
        learning_rate_init=0.15,
        momentum=0,
        batch_size=1,
        alpha=0,
        max_iter=max_iter,
        shuffle=False,
        tol=0,
        n_iter_no_change=1000,
        early_stopping=False,
        **likelihood,
    )


# %%
# To watch the output move, we take the first step with ``fit`` (which
# accepts the starting weights through ``coefs_init`` and
# ``intercepts_init``) and every further step with ``partial_fit``, which
# trains exactly one epoch and continues from the current weights.
traces = {}
for loss_name, likelihood in losses.items():
    for start_name, (w, b) in starts.items():
        neuron = single_neuron(max_iter=1, **likelihood)
        with warnings.catch_warnings():
            # One epoch is, on purpose, far from convergence.
            warnings.simplefilter("ignore", ConvergenceWarning)
            neuron.fit(X, y, coefs_init=[[[w]]], intercepts_init=[[b]])
        outputs = [1 / (1 + np.exp(-(w + b))), neuron.predict(X)[0]]
        for _ in range(n_steps - 1):
            outputs.append(neuron.partial_fit(X, y).predict(X)[0])
        traces[loss_name, start_name] = np.array(outputs)

# %%
# One call of ``fit`` with ``max_iter=300`` lands exactly where the 300
# single steps did:
for (loss_name, start_name), outputs in traces.items():
    w, b = starts[start_name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        neuron = single_neuron(max_iter=n_steps, **losses[loss_name]).fit(
            X, y, coefs_init=[[[w]]], intercepts_init=[[b]]
        )
    assert np.isclose(neuron.predict(X)[0], outputs[-1])

# %%
# The table
# ---------
# The output after 300 steps (the target is 0):
print(f"{'loss':32s}" + "".join(f"{'start ' + name:>18s}" for name in starts))
for loss_name in losses:
    row = "".join(f"{traces[loss_name, name][-1]:18.2f}" for name in starts)
    print(f"{loss_name:32s}{row}")

# %%
# Cross-entropy reaches 0.01 from both starts. The squared error gets to 0.09
# from the moderate start and only to 0.20 from the saturated one: the worse
# the start, the slower it learns, which is not how a person learns from a
# bigger mistake.
#
# Why: the error signal
# ---------------------
# The gradient of the loss with respect to the bias is the output error
# signal :math:`\delta = \partial C / \partial z`. For the squared error it is
# :math:`(a - y)\,\sigma'(z) = a \cdot a (1 - a)`: the factor
# :math:`\sigma'(z) = a(1 - a)` is nearly 0 when the output is near 1, so a
# neuron that is badly wrong barely moves. For the cross-entropy it is
# :math:`a - y = a`: the sigmoid's derivative cancels against the derivative
# of the log, and the step is proportional to the error.
fig, (ax_out, ax_delta) = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
colors = {"MSE (Gaussian NLL)": "tab:red", "cross-entropy (Bernoulli NLL)": "tab:blue"}
styles = {"(0.6, 0.9)": "-", "(2, 2)": "--"}
steps = np.arange(n_steps + 1)
for (loss_name, start_name), a in traces.items():
    label = f"{loss_name}, start (w, b) = {start_name}"
    style = dict(color=colors[loss_name], linestyle=styles[start_name], label=label)
    ax_out.plot(steps, a, **style)
    if loss_name.startswith("MSE"):
        delta = a * a * (1 - a)
    else:
        delta = a
    ax_delta.plot(steps, delta, **style)

ax_out.set(
    xlabel="gradient step (= epoch)",
    ylabel="output a = σ(w + b)",
    title="Output of the neuron (target 0)",
    ylim=(0, 1),
)
ax_delta.set(
    xlabel="gradient step (= epoch)",
    ylabel="|∂C/∂b|  (the output error signal)",
    title="Size of each step",
    yscale="log",
)
fig.legend(*ax_out.get_legend_handles_labels(), loc="outside lower center", ncols=2)
ax_out.grid(alpha=0.3)
ax_delta.grid(alpha=0.3, which="both")
plt.show()

# %%
# On the left, the dashed red curve (squared error from the saturated start)
# stays near 1 for some 150 steps before it starts to fall; the blue curves
# fall at once. On the right, the step of the squared error starts
# small *because* the output is saturated, while the cross-entropy's step is
# largest exactly when the error is largest.
