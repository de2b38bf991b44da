"""
==================================================
New digits from a variational autoencoder's prior
==================================================

A plain autoencoder's ``sample`` draws variations of images that exist: it
needs an image to encode. ``MLEAutoencoder(variational=True)`` is a
*generative* model. Its encoder gives a Gaussian :math:`q(z \\mid x)` over the
codes instead of one code, and training maximises the evidence lower bound

.. math::

    \\mathbb E_{q(z \\mid x)}\\left[\\log p(x \\mid z)\\right]
    - \\mathrm{KL}\\left(q(z \\mid x) \\,\\Vert\\, \\mathcal N(0, I)\\right),

which pulls the codes of the training images towards a standard normal
*prior*. New images then come from the model itself: draw a code
:math:`z \\sim \\mathcal N(0, I)` and decode it.

* ``generate(n_samples)``: :math:`z \\sim \\mathcal N(0, I)`, then
  :math:`x \\sim p(x \\mid z)`;
* ``inverse_transform(Z)``: the decoder alone, the mean of
  :math:`p(x \\mid z)` for given codes;
* ``transform(X)``: the posterior mean of the codes of given images.

See :ref:`variational-guide` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data and two variational autoencoders
# -------------------------------------
# The 8×8 digits, intensities divided by 16 so that every pixel is a
# Bernoulli probability (``distribution='bernoulli'``: the pixel-wise
# cross-entropy). One model has 8 codes, for generating; one has 2, so that
# its whole code space fits on a page.
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

from sklearn_mle_nn import MLEAutoencoder

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0
)


def fit_vae(n_components):
    return MLEAutoencoder(
        hidden_layer_sizes=(100,),
        n_components=n_components,
        variational=True,
        distribution="bernoulli",
        alpha=1e-4,
        random_state=0,
    ).fit(X_train)


vaes = {n_components: fit_vae(n_components) for n_components in (8, 2)}
# ``score`` estimates the log-probability of the held-out images under the
# model; with a Bernoulli p(x | z) on grey levels it is a training criterion
# that compares with other Bernoulli models of the same images only, not
# with a density (the user guide says why).
for n_components, vae in vaes.items():
    print(
        f"{n_components} codes: {vae.n_iter_} epochs, held-out score "
        f"{vae.score(X_test):.1f} nats per image"
    )


def show_grid(ax, images, n_rows, n_cols, title):
    """Tile 8×8 images on one axes, one pixel of margin around each."""
    tiles = images.reshape(n_rows, n_cols, 8, 8)
    tiles = np.pad(tiles, [(0, 0), (0, 0), (1, 1), (1, 1)])
    mosaic = tiles.transpose(0, 2, 1, 3).reshape(n_rows * 10, n_cols * 10)
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1)
    ax.set(xticks=[], yticks=[], title=title)


# %%
# Digits from the prior
# ---------------------
# Left: the decoded means of 100 codes drawn from :math:`\mathcal N(0, I)`,
# the probability of ink at every pixel. Right: ``generate``, which decodes
# its own prior draws and then draws every pixel, black or white, from its
# Bernoulli distribution. No image of the data set is involved in either.
vae = vaes[8]
rng = np.random.RandomState(0)
codes = rng.standard_normal((100, vae.n_components))
fig, (ax_mean, ax_draw) = plt.subplots(1, 2, figsize=(10, 5.3), layout="constrained")
show_grid(ax_mean, vae.inverse_transform(codes), 10, 10, "inverse_transform(z)")
show_grid(ax_draw, vae.generate(100, random_state=0), 10, 10, "generate(100)")
fig.suptitle("New digits: z ~ N(0, I) through the decoder of an 8-code VAE")
plt.show()

# %%
# Which digits does the model make? A support vector classifier trained on
# the real training images labels 1000 decoded prior codes.
classifier = SVC().fit(X_train, y_train)
accuracy = classifier.score(X_test, y_test)
print(f"classifier accuracy on real held-out digits: {accuracy:.3f}")
generated = vae.inverse_transform(rng.standard_normal((1000, vae.n_components)))
counts = np.bincount(classifier.predict(generated), minlength=10)
print("generated digits per class:", dict(enumerate(counts.tolist())))

# %%
# Walking the code space
# ----------------------
# With 2 codes the prior is a plane. Decoding a grid of codes placed at the
# quantiles 5%, ..., 95% of :math:`\mathcal N(0, 1)` along each axis, so
# that every tile stands for an equal share of the prior's mass, shows the
# whole generative model at once: neighbouring codes decode to similar
# images and one digit morphs into the next.
vae = vaes[2]
n_grid = 15
quantiles = norm.ppf(np.linspace(0.05, 0.95, n_grid))
grid = np.array([[z1, z2] for z2 in quantiles[::-1] for z1 in quantiles])

fig, (ax_walk, ax_codes) = plt.subplots(
    1, 2, figsize=(12, 6), width_ratios=(1, 1.15), layout="constrained"
)
show_grid(
    ax_walk, vae.inverse_transform(grid), n_grid, n_grid, "inverse_transform(grid)"
)
ticks = np.arange(0, n_grid, 2)
ax_walk.set(
    xticks=ticks * 10 + 4.5,
    xticklabels=[f"{q:.1f}" for q in quantiles[ticks]],
    yticks=ticks * 10 + 4.5,
    yticklabels=[f"{q:.1f}" for q in quantiles[::-1][ticks]],
    xlabel="code 1",
    ylabel="code 2",
)

# The posterior means of the held-out images on the same axes: the prior's
# mass is where the data are.
codes = vae.transform(X_test)
scatter = ax_codes.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=10)
for digit in range(10):
    ax_codes.annotate(
        str(digit),
        np.median(codes[y_test == digit], axis=0),
        fontsize=14,
        weight="bold",
        ha="center",
        va="center",
        bbox=dict(boxstyle="circle,pad=0.2", facecolor="white", alpha=0.7),
    )
extent = quantiles[[0, -1]]
ax_codes.add_patch(
    plt.Rectangle(
        (extent[0], extent[0]),
        extent[1] - extent[0],
        extent[1] - extent[0],
        fill=False,
        linestyle="--",
        label="the grid on the left",
    )
)
ax_codes.set(
    xlabel="code 1",
    ylabel="code 2",
    aspect="equal",
    title="transform(X_test): posterior means, coloured by digit",
)
ax_codes.legend(loc="upper right")
fig.colorbar(scatter, ax=ax_codes, ticks=range(10), label="digit")
fig.suptitle("A 2-code VAE: the decoder on the prior's quantiles, and the codes")
plt.show()

# %%
# The KL term keeps the codes of the training images near the origin, on the
# scale of the prior, so that the grid on the prior's quantiles covers the
# data and decodes to digits almost everywhere. A plain autoencoder's codes
# (:ref:`sphx_glr_auto_examples_plot_digits_autoencoder.py`) follow no known
# distribution: its grid must be fitted to the codes it happened to learn,
# and a random code can decode to no digit at all. Two codes are too few to
# hold every digit apart: the grid shows some digits only as a blend of
# their neighbours, while the 8-code model above makes all ten.
# ``benchmarks/quality_vae.py`` measures the generated digits more closely,
# and the held-out log-density against scikit-learn's density estimators.
