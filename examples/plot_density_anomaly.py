"""
=========================================================
Anomaly detection by held-out log-density, side by side
=========================================================

A density model says how probable a new observation is: images unlike the
training images get a low :math:`\\log p(x)`. With ``variational=True``,
:meth:`MLEAutoencoder.score_samples
<sklearn_mle_nn.MLEAutoencoder.score_samples>` estimates the log-density
:math:`\\log p(x)` of the generative model :math:`z \\sim \\mathcal N(0, I)`,
:math:`x \\sim p(x \\mid z)` (by importance sampling, see
:ref:`variational-guide`). With a Gaussian :math:`p(x \\mid z)` it is a
log-density of :math:`x` in the data's units, like the ``score_samples`` of
scikit-learn's density estimators: the linear-Gaussian models
:class:`~sklearn.decomposition.PCA` (probabilistic PCA) and
:class:`~sklearn.decomposition.FactorAnalysis`, a
:class:`~sklearn.mixture.GaussianMixture` and a
:class:`~sklearn.neighbors.KernelDensity`. The five can be compared on the
same images, number for number.

We train every model on handwritten digits 0 to 4 only, and score held-out
images of three kinds:

* *normal*: held-out digits 0 to 4;
* *unseen digits*: held-out digits 5 to 9;
* *corrupted*: held-out digits 0 to 4 with 4 of their pixels inverted.

Minus the log-density is the anomaly score; the ROC AUC says how well it
ranks the anomalies below the normal images (1 is perfect, 0.5 is chance).
The plain autoencoder's reconstruction likelihood does the same job in
:ref:`sphx_glr_auto_examples_plot_anomaly_detection.py`.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data
# ----
# A per-pixel density is unbounded on a pixel that never changes: the
# corner pixels of the digits are blank in nearly every image, and a model
# can shrink its variance there, and raise its density, without limit. Every
# model therefore sees only the pixels whose standard deviation in the
# training images exceeds 0.02; the corruption inverts 4 of those.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, FactorAnalysis
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KernelDensity

from sklearn_mle_nn import MLEAutoencoder

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
X_train = X_train[y_train < 5]
pixels = np.flatnonzero(X_train.std(axis=0) > 0.02)
X_train, X_test = X_train[:, pixels], X_test[:, pixels]
print(f"{len(X_train)} training images, {len(pixels)} of 64 pixels kept")

rng = np.random.RandomState(0)
X_normal = X_test[y_test < 5]
X_corrupted = X_normal.copy()
for image in X_corrupted:
    flipped = rng.choice(len(pixels), size=4, replace=False)
    image[flipped] = 1 - image[flipped]
held_out = {
    "normal (digits 0-4)": X_normal,
    "unseen digits (5-9)": X_test[y_test >= 5],
    "corrupted digits 0-4": X_corrupted,
}

# %%
# Five density models
# -------------------
# The variational autoencoder and the two linear models have 8 codes (latent
# factors). The mixture's number of components and the kernel's bandwidth
# are chosen on the training images alone: by BIC, and by cross-validated
# likelihood.
mixtures = [
    GaussianMixture(k, reg_covar=1e-3, random_state=0).fit(X_train) for k in range(1, 6)
]
models = {
    "PCA": PCA(n_components=8).fit(X_train),
    "FactorAnalysis": FactorAnalysis(n_components=8, random_state=0).fit(X_train),
    "GaussianMixture": min(mixtures, key=lambda mixture: mixture.bic(X_train)),
    "KernelDensity": GridSearchCV(
        KernelDensity(), {"bandwidth": np.geomspace(0.05, 0.5, 10)}
    )
    .fit(X_train)
    .best_estimator_,
    "VAE": MLEAutoencoder(
        hidden_layer_sizes=(100,),
        n_components=8,
        variational=True,
        distribution="gaussian",
        alpha=1e-4,
        random_state=0,
    ).fit(X_train),
}
print(
    f"GaussianMixture: {models['GaussianMixture'].n_components} components by BIC; "
    f"KernelDensity: bandwidth {models['KernelDensity'].bandwidth:.3f}"
)

# %%
# Held-out log-densities and ROC AUC
# ----------------------------------
# Every ``score_samples`` is a log-density of the same 53-pixel images in
# the same units (nats), so the mean log-density of the normal images is
# itself a comparison: the higher, the better the model describes digits 0
# to 4 it never saw.
scores = {
    name: {kind: model.score_samples(images) for kind, images in held_out.items()}
    for name, model in models.items()
}


def roc_auc(model_scores, kind):
    """ROC AUC of -log p(x) for telling ``kind`` from normal images."""
    normal, other = model_scores["normal (digits 0-4)"], model_scores[kind]
    is_anomaly = np.r_[np.zeros(len(normal)), np.ones(len(other))]
    return roc_auc_score(is_anomaly, -np.r_[normal, other])


anomalies = ["unseen digits (5-9)", "corrupted digits 0-4"]
auc = {
    name: [roc_auc(model_scores, kind) for kind in anomalies]
    for name, model_scores in scores.items()
}
print(
    f"{'model':16s}{'mean log p(x), normal':>24s}{'AUC unseen':>12s}"
    f"{'AUC corrupted':>15s}"
)
for name, model_scores in scores.items():
    print(
        f"{name:16s}{model_scores['normal (digits 0-4)'].mean():24.1f}"
        f"{auc[name][0]:12.3f}{auc[name][1]:15.3f}"
    )

# %%
# Left: the mean held-out log-density of the normal images, one number per
# model in the same units. Right: the ROC curves of the anomaly score
# :math:`-\log p(x)`, for both kinds of anomaly.
model_colors = dict(zip(models, plt.cm.tab10.colors))
fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
ax = axes[0]
means = [scores[name]["normal (digits 0-4)"].mean() for name in models]
bars = ax.barh(list(models), means, color=list(model_colors.values()))
ax.bar_label(bars, fmt="%.1f", padding=3)
ax.invert_yaxis()
ax.set(
    xlabel="mean log p(x), nats per image",
    title="Held-out normal images",
    xlim=(min(0, 1.15 * min(means)), 1.15 * max(means)),
)
for ax, (i, kind) in zip(axes[1:], enumerate(anomalies)):
    for name, model_scores in scores.items():
        normal, other = model_scores["normal (digits 0-4)"], model_scores[kind]
        is_anomaly = np.r_[np.zeros(len(normal)), np.ones(len(other))]
        false_alarms, hits, _ = roc_curve(is_anomaly, -np.r_[normal, other])
        ax.plot(
            false_alarms,
            hits,
            color=model_colors[name],
            label=f"{name} ({auc[name][i]:.3f})",
        )
    ax.plot([0, 1], [0, 1], color="gray", linestyle=":")
    ax.set(
        xlabel="normal images flagged",
        ylabel="anomalies flagged",
        title=f"ROC: {kind}",
        aspect="equal",
    )
    ax.legend(loc="lower right", fontsize="small", title="model (AUC)")
fig.suptitle("Five density models of digits 0-4, scored on held-out images")
plt.show()

# %%
# Every model detects the corrupted images better than the unseen digits:
# an inverted pixel is a dark dot where no training digit has ink, or a
# hole in a stroke, which every density model finds improbable, whereas
# digits 5 to 9 share their strokes with 0 to 4. The models that bend around
# the data, the variational autoencoder and the mixture, give the held-out
# normal images the most density and detect both kinds of anomaly best. A
# higher held-out density does not always rank anomalies better, though:
# the ROC AUC only asks whether anomalies score below normal images, and
# probabilistic PCA, the worst density model here, tells unseen digits apart
# better than factor analysis or the kernel density. A kernel density needs
# every training image at prediction time; the mixture and the variational
# autoencoder summarise them in their parameters.
