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


def fit_autoencoder(n_components, random_state=0):
    return MLEAutoencoder(
        hidden_layer_sizes=(128,),
        n_components=n_components,
        distribution="bernoulli",
        solver="adam",
        learning_rate_init=3e-3,
        batch_size=64,
        max_iter=1000,
        tol=1e-3,
        random_state=random_state,
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
# One histogram per kind of image, on a shared axis, so that none hides
# another; the dashed line in every panel is the median log-likelihood of the
# normal images.
colors = {
    "normal (digits 0-4)": "tab:blue",
    "unseen digits (5-9)": "tab:orange",
    "corrupted digits 0-4": "tab:red",
}
kinds = list(held_out)
fig, axes = plt.subplot_mosaic(
    [[kind, "roc"] for kind in kinds],
    figsize=(11, 5.5),
    width_ratios=(1.6, 1),
    layout="constrained",
)
bins = np.linspace(
    min(v.min() for v in scores.values()), max(v.max() for v in scores.values()), 50
)
normal_median = np.median(scores["normal (digits 0-4)"])
for kind in kinds:
    ax = axes[kind]
    ax.hist(scores[kind], bins=bins, color=colors[kind])
    ax.axvline(normal_median, color="black", linestyle="--", linewidth=1)
    ax.set_ylabel("images")
    ax.set_title(kind, loc="left", fontsize="medium", color=colors[kind])
    ax.grid(alpha=0.3)
    if kind != kinds[-1]:
        ax.sharex(axes[kinds[-1]])
        ax.tick_params(labelbottom=False)
axes[kinds[-1]].set_xlabel("score_samples: log p(x | code(x))  (nats per image)")
axes[kinds[0]].annotate(
    "median of the normal images",
    xy=(normal_median, 0.9),
    xycoords=("data", "axes fraction"),
    xytext=(-8, 0),
    textcoords="offset points",
    ha="right",
    va="top",
    fontsize="small",
    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8},
)

ax_roc = axes["roc"]
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
fig.suptitle("Log-likelihood of held-out images under an autoencoder of digits 0-4")
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
# more of every image, including digits it never saw, so its likelihood of
# unseen digits rises and it may separate them less well; corruption, which
# no digit shows, should stay easy to detect. One fit per size would mix
# this effect with the luck of one initialization, so every size is fitted
# from several random starts (``random_state``; the data, the split and the
# corruption stay the same).
sizes = [2, 4, 8, 16]
seeds = [0, 1, 2]
anomaly_kinds = ["unseen digits (5-9)", "corrupted digits 0-4"]
auc = {kind: np.empty((len(sizes), len(seeds))) for kind in anomaly_kinds}
for i, n_components in enumerate(sizes):
    for j, seed in enumerate(seeds):
        if (n_components, seed) == (4, 0):
            model = autoencoder  # already fitted above
        else:
            model = fit_autoencoder(n_components, random_state=seed)
        size_scores = {kind: model.score_samples(v) for kind, v in held_out.items()}
        for kind in anomaly_kinds:
            auc[kind][i, j] = roc_auc(size_scores, kind)

print("ROC AUC, mean (min to max) over the random starts")
print(f"{'n_components':>12s}" + "".join(f"{kind:>28s}" for kind in anomaly_kinds))
for i, n_components in enumerate(sizes):
    runs = [auc[kind][i] for kind in anomaly_kinds]
    row = "".join(
        f"{run.mean():14.3f} ({run.min():.3f}-{run.max():.3f})" for run in runs
    )
    print(f"{n_components:12d}{row}")

# %%
# Each small dot is one fit; the line joins the means over the random starts.
fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
offsets = {"unseen digits (5-9)": 0.97, "corrupted digits 0-4": 1.03}
for kind in anomaly_kinds:
    x = np.array(sizes) * offsets[kind]  # side by side, so that dots stay visible
    ax.plot(x, auc[kind].mean(axis=1), marker="o", color=colors[kind], label=kind)
    for j in range(len(seeds)):
        ax.plot(x, auc[kind][:, j], ".", color=colors[kind], alpha=0.5)
ax.set(
    xscale="log",
    xticks=sizes,
    xticklabels=[str(size) for size in sizes],
    xlabel="n_components (size of the code)",
    ylabel="ROC AUC (1 = perfect, 0.5 = chance)",
    title=f"Detecting anomalies against the code size, {len(seeds)} fits per size",
    ylim=(min(0.8, min(v.min() for v in auc.values()) - 0.02), 1.0),
)
ax.minorticks_off()
ax.grid(alpha=0.3)
ax.legend(loc="lower left")
plt.show()

# %%
# The spread of the dots is what one random start can change; a difference
# between code sizes is only a finding where it is larger than that spread.
# The table printed above gives the numbers.
