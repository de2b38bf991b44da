"""
===================================================
Anomaly detection with the autoencoder's likelihood
===================================================

A model that is a distribution can say how *probable* a new observation is.
:meth:`MLEAutoencoder.score_samples <sklearn_mle_nn.MLEAutoencoder.score_samples>`
returns :math:`\\log p(x \\mid \\operatorname{code}(x))` for every sample: the
log-likelihood of the image under the distribution the decoder predicts from
its code. Images like the training images are reconstructed well and score
high; images unlike them score low. Minus the log-likelihood is therefore an
anomaly score, with no labels needed for training.

We train on handwritten digits 0 to 4 only, then score held-out images of
three kinds:

* *normal*: held-out digits 0 to 4;
* *unseen digits*: held-out digits 5 to 9, a kind of image never trained on;
* *corrupted*: held-out digits 0 to 4 with 4 of their 64 pixels inverted.

See :ref:`autoencoder` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data
# ----
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

from sklearn_mle_nn import MLEAutoencoder

X, y = load_digits(return_X_y=True)
X = X / 16  # pixel intensities in [0, 1], as the Bernoulli likelihood needs
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
X_train = X_train[y_train < 5]

rng = np.random.RandomState(0)
X_normal = X_test[y_test < 5]
X_corrupted = X_normal.copy()
for image in X_corrupted:
    pixels = rng.choice(64, size=4, replace=False)
    image[pixels] = 1 - image[pixels]
held_out = {
    "normal (digits 0-4)": X_normal,
    "unseen digits (5-9)": X_test[y_test >= 5],
    "corrupted digits 0-4": X_corrupted,
}

# %%
# Fit and score
# -------------
# A small code (4 numbers) forces the autoencoder to learn what digits 0 to 4
# look like rather than how to copy any image.


def fit_autoencoder(n_components):
    return MLEAutoencoder(
        hidden_layer_sizes=(128,),
        n_components=n_components,
        distribution="bernoulli",
        solver="adam",
        learning_rate_init=3e-3,
        batch_size=64,
        max_iter=1000,
        tol=1e-3,
        random_state=0,
    ).fit(X_train)


def roc_auc(scores, kind):
    """ROC AUC of -log-likelihood for telling ``kind`` from normal images."""
    normal, other = scores["normal (digits 0-4)"], scores[kind]
    is_anomaly = np.r_[np.zeros(len(normal)), np.ones(len(other))]
    return roc_auc_score(is_anomaly, -np.r_[normal, other])


autoencoder = fit_autoencoder(n_components=4)
scores = {kind: autoencoder.score_samples(images) for kind, images in held_out.items()}
for kind, values in scores.items():
    line = f"{kind:22s} mean log-likelihood {values.mean():7.1f}"
    if not kind.startswith("normal"):
        line += f"   ROC AUC {roc_auc(scores, kind):.3f}"
    print(line)

# %%
# Histograms and ROC curves
# -------------------------
colors = {
    "normal (digits 0-4)": "tab:blue",
    "unseen digits (5-9)": "tab:orange",
    "corrupted digits 0-4": "tab:red",
}
fig, (ax_hist, ax_roc) = plt.subplots(
    1, 2, figsize=(11, 4.3), width_ratios=(1.6, 1), layout="constrained"
)
bins = np.linspace(
    min(v.min() for v in scores.values()), max(v.max() for v in scores.values()), 50
)
for kind, values in scores.items():
    ax_hist.hist(values, bins=bins, alpha=0.55, color=colors[kind], label=kind)
ax_hist.set(
    xlabel="score_samples: log p(x | code(x))  (nats per image)",
    ylabel="number of held-out images",
    title="Log-likelihood under an autoencoder of digits 0-4",
)
ax_hist.legend(loc="upper left")

normal = scores["normal (digits 0-4)"]
for kind in ("unseen digits (5-9)", "corrupted digits 0-4"):
    is_anomaly = np.r_[np.zeros(len(normal)), np.ones(len(scores[kind]))]
    false_alarms, hits, _ = roc_curve(is_anomaly, -np.r_[normal, scores[kind]])
    ax_roc.plot(
        false_alarms,
        hits,
        color=colors[kind],
        label=f"{kind} (AUC {roc_auc(scores, kind):.3f})",
    )
ax_roc.plot([0, 1], [0, 1], color="gray", linestyle=":", label="chance")
ax_roc.set(
    xlabel="normal images flagged",
    ylabel="anomalies flagged",
    title="ROC, anomaly score = -log-likelihood",
    aspect="equal",
)
ax_roc.legend(loc="lower right", fontsize="small")
plt.show()

# %%
# The most and least typical images
# ---------------------------------
# Top row: the held-out images with the highest log-likelihood, all kinds
# together. Middle row: the *normal* images with the lowest log-likelihood,
# the false alarms of a threshold set too high. Bottom row: the lowest
# log-likelihood overall. The frame colour gives the kind of image.
images = np.vstack(list(held_out.values()))
kinds = np.concatenate([[kind] * len(v) for kind, v in held_out.items()])
all_scores = np.concatenate(list(scores.values()))
order = np.argsort(all_scores)
is_normal = kinds[order] == "normal (digits 0-4)"
picks = {
    "highest": order[::-1][:8],
    "lowest of\nthe normal": order[is_normal][:8],
    "lowest": order[:8],
}

fig, axes = plt.subplots(3, 8, figsize=(10, 5), layout="constrained")
for ax_row, (name, indices) in zip(axes, picks.items()):
    for ax, index in zip(ax_row, indices):
        ax.imshow(images[index].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set(xticks=[], yticks=[])
        ax.set_title(f"{all_scores[index]:.0f}", fontsize="small")
        for spine in ax.spines.values():
            spine.set(color=colors[kinds[index]], linewidth=3)
    ax_row[0].set_ylabel(name, rotation=0, ha="right", va="center")
fig.suptitle(
    "Log-likelihood above each image; frame: blue normal, orange unseen digit, "
    "red corrupted"
)
plt.show()

# %%
# The most probable images are all ones: a thin stroke is the easiest image
# to reconstruct, so it gets the highest likelihood. A likelihood measures
# how well the model explains an image, which favours simple images; it is
# not a measure of how typical the image is of the training set. The least
# probable normal images are untidy, heavily inked digits, and the least
# probable images overall are corrupted ones.
#
# The size of the code
# --------------------
# The code size decides what counts as unusual. A larger code reconstructs
# more of every image, including digits it never saw: its likelihood of
# unseen digits rises and it separates them less well. Corruption, which no
# digit shows, stays easy to detect.
sizes = [2, 4, 8, 16]
auc = {kind: [] for kind in ("unseen digits (5-9)", "corrupted digits 0-4")}
for n_components in sizes:
    model = autoencoder if n_components == 4 else fit_autoencoder(n_components)
    size_scores = {kind: model.score_samples(v) for kind, v in held_out.items()}
    for kind in auc:
        auc[kind].append(roc_auc(size_scores, kind))

fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
for kind, values in auc.items():
    ax.plot(sizes, values, marker="o", color=colors[kind], label=kind)
ax.set(
    xscale="log",
    xticks=sizes,
    xticklabels=[str(size) for size in sizes],
    xlabel="n_components (size of the code)",
    ylabel="ROC AUC",
    title="Detecting anomalies against the code size",
)
ax.minorticks_off()
ax.grid(alpha=0.3)
ax.legend()
plt.show()
