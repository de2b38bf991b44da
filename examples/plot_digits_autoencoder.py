"""
=======================================================
An autoencoder of digits: codes, reconstructions, draws
=======================================================

:class:`~sklearn_mle_nn.MLEAutoencoder` fits :math:`p(x \\mid
\\operatorname{code}(x))`: an encoder maps an image :math:`x` to a short code,
and a decoder maps the code back to the parameters of a distribution over
images. With ``distribution='bernoulli'`` every pixel is a Bernoulli variable
whose probability the decoder outputs, so training minimises the pixel-wise
cross-entropy between the image and its reconstruction; the pixel intensities
(scaled to :math:`[0, 1]`) serve as soft targets.

The fitted model gives:

* ``transform``: the code of an image;
* ``predict``: the reconstruction, i.e. the mean of :math:`p(x \\mid
  \\operatorname{code}(x))`, a grey-level image of pixel probabilities;
* ``sample``: images *drawn* from that distribution, black-and-white because
  each pixel is a coin flip;
* ``inverse_transform``: the decoder alone, from any code.

See :ref:`autoencoder` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Data and two autoencoders
# -------------------------
# The 8×8 digits, intensities divided by 16 so that they lie in
# :math:`[0, 1]`. One autoencoder squeezes each image into 12 numbers, enough
# to reconstruct it well; another into 2 numbers, which we can plot.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_mle_nn import MLEAutoencoder

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

autoencoders = {
    n_components: MLEAutoencoder(
        hidden_layer_sizes=(256, 64),
        n_components=n_components,
        distribution="bernoulli",
        solver="adam",
        learning_rate_init=2e-3,
        batch_size=64,
        max_iter=500,
        random_state=0,
    ).fit(X_train)
    for n_components in (12, 2)
}
for n_components, autoencoder in autoencoders.items():
    print(
        f"code of {n_components:2d} numbers: {autoencoder.n_iter_} epochs, "
        f"held-out log-likelihood {autoencoder.score(X_test):.1f} nats per image"
    )

# %%
# Originals, reconstructions, draws
# ---------------------------------
# Ten held-out digits (top row), their reconstructions from the 12-number and
# 2-number codes, and one draw from :math:`p(x \mid \operatorname{code}(x))`
# of the 12-number model. The reconstruction is a probability per pixel; the
# draw turns each probability into black or white.
first_of_each = [np.flatnonzero(y_test == digit)[0] for digit in range(10)]
originals = X_test[first_of_each]
rows = {
    "original": originals,
    "reconstruction\n(12-number code)": autoencoders[12].predict(originals),
    "reconstruction\n(2-number code)": autoencoders[2].predict(originals),
    "one draw\n(12-number code)": autoencoders[12].sample(
        originals, n_samples=1, random_state=0
    )[:, :, 0],
}

fig, axes = plt.subplots(len(rows), 10, figsize=(10, 5.2), layout="constrained")
for ax_row, (name, images) in zip(axes, rows.items()):
    for ax, image in zip(ax_row, images):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set(xticks=[], yticks=[])
    ax_row[0].set_ylabel(name, rotation=0, ha="right", va="center")
fig.suptitle("Held-out digits through MLEAutoencoder(distribution='bernoulli')")
plt.show()

# %%
# The 2-D codes
# -------------
# ``transform`` maps every held-out image to its 2-number code. The
# autoencoder never saw the labels, yet images of the same digit land close
# together.
codes = autoencoders[2].transform(X_test)
fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
scatter = ax.scatter(codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=12)
for digit in range(10):
    center = np.median(codes[y_test == digit], axis=0)
    ax.annotate(
        str(digit),
        center,
        fontsize=16,
        weight="bold",
        ha="center",
        va="center",
        bbox=dict(boxstyle="circle,pad=0.2", facecolor="white", alpha=0.7),
    )
ax.set(
    xlabel="code 1",
    ylabel="code 2",
    title="2-number codes of the held-out digits (colour and label: the digit)",
)
fig.colorbar(scatter, ax=ax, ticks=range(10), label="digit")
plt.show()

# %%
# Decoding a grid of codes
# ------------------------
# ``inverse_transform`` runs the decoder alone. Decoding a regular grid of
# codes that spans the held-out codes shows what each region of the code
# space stands for, and how one digit morphs into the next.
n_grid = 12
low, high = np.percentile(codes, [2, 98], axis=0)
grid_x = np.linspace(low[0], high[0], n_grid)
grid_y = np.linspace(high[1], low[1], n_grid)
grid = np.array([[cx, cy] for cy in grid_y for cx in grid_x])
decoded = autoencoders[2].inverse_transform(grid)

# One 8×8 tile per code, with a white pixel of margin around each.
tiles = np.pad(decoded.reshape(n_grid, n_grid, 8, 8), [(0, 0), (0, 0), (1, 1), (1, 1)])
mosaic = tiles.transpose(0, 2, 1, 3).reshape(n_grid * 10, n_grid * 10)
fig, ax = plt.subplots(figsize=(6.5, 6.8), layout="constrained")
ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1)
centers = np.arange(n_grid) * 10 + 4.5
ax.set(
    xticks=centers[::2],
    xticklabels=[f"{value:.1f}" for value in grid_x[::2]],
    yticks=centers[::2],
    yticklabels=[f"{value:.1f}" for value in grid_y[::2]],
    xlabel="code 1",
    ylabel="code 2",
    title="Decoder output on a 12 × 12 grid of codes",
)
plt.show()

# %%
# A plain autoencoder does not constrain its code space, so codes far from
# those of real images can decode to shapes that are no digit at all; the
# grid stays within the range of the held-out codes for that reason.
