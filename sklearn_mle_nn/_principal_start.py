"""An autoencoder's start at the principal subspace.

A ReLU (or linear) autoencoder whose every hidden layer has at least two
units per code contains the linear autoencoder, which PCA solves in closed
form: a pair of units ``relu(u)`` and ``relu(-u)`` carries a principal
score ``u`` through a layer unchanged (``u = relu(u) - relu(-u)``). Training
then starts from PCA's reconstruction instead of from noise, and the other
units, which start with random incoming weights and silent outgoing ones,
add what a nonlinear code can add. As scikit-learn's ``TSNE(init='pca')``
starts its embedding at the principal components.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.extmath import randomized_svd

from ._linear_start import PAIR_WEIGHT, embed_linear_path


def can_start_at_principal_subspace(activation, hidden_sizes, n_components, n_features):
    """Whether the network contains the linear autoencoder exactly."""
    return (
        activation in PAIR_WEIGHT
        and n_components <= n_features
        and all(units >= 2 * n_components for units in hidden_sizes)
    )


#: Up to this many features the axes come from the covariance matrix, exactly;
#: above it (a covariance of more than 32 MB), from a randomized SVD.
EXACT_FEATURES = 2048


def principal_axes(Y, sample_weight, n_components):
    """Weighted mean and the ``n_components`` leading principal axes of ``Y``.

    Returns ``mean`` of shape (n_features,) and ``axes`` of shape
    (n_features, n_components), orthonormal columns, by decreasing variance.
    Above ``EXACT_FEATURES`` features the axes are scikit-learn's randomized
    SVD's (a fixed seed: the same data, the same start).
    """
    mean = np.average(Y, axis=0, weights=sample_weight)
    if Y.shape[1] > EXACT_FEATURES:
        centred = Y - mean
        if sample_weight is not None:
            centred *= np.sqrt(sample_weight)[:, None]
        _, _, rows = randomized_svd(centred, n_components, random_state=0)
        axes = rows.T
    else:
        # The scatter matrix without a centred copy of Y (standardized
        # targets are centred already: no cancellation).
        total = len(Y) if sample_weight is None else sample_weight.sum()
        weighted = Y if sample_weight is None else Y * sample_weight[:, None]
        scatter = Y.T @ weighted - total * np.outer(mean, mean)
        _, vectors = np.linalg.eigh(scatter)
        axes = vectors[:, ::-1][:, :n_components]
    # Each axis's sign fixed as scikit-learn's svd_flip fixes it (its largest
    # entry positive): equal data, equal start, whatever the rounding.
    largest = axes[np.argmax(np.abs(axes), axis=0), np.arange(axes.shape[1])]
    return mean, axes * np.sign(largest)


def embed_principal_subspace(coefs, intercepts, activation, encoder, decoder):
    """Make the network's mean outputs the linear autoencoder, in place.

    ``encoder = (E, e)`` maps an input row ``x`` to its principal scores
    ``u = x @ E + e``; ``decoder = (D, d)`` maps scores to the mean outputs
    ``u @ D + d``. The first ``2 k`` units of every hidden layer carry
    ``(u, -u)``, the code layer ``u``; the weights from the other units into
    them, and from them into the mean outputs, are zero. Those other units
    keep their random incoming weights (and the decoder's first layer its
    random weights from the code) so that they learn from the first step.
    """
    if len(coefs) == 2:  # no hidden layer: the code is the scores
        E, e = encoder
        D, d = decoder
        coefs[0][...], intercepts[0][...] = E, e
        coefs[1][:, : D.shape[1]], intercepts[1][: D.shape[1]] = D, d
        return
    embed_linear_path(
        coefs, intercepts, activation, encoder, decoder, code_layer=len(coefs) // 2 - 1
    )


def linear_autoencoder(network, Y, sample_weight, n_components):
    """The linear autoencoder of the training targets, on the training inputs.

    PCA of the standardized targets gives the axes; the scores are computed
    from the standardized inputs, which are a per-feature affine map of the
    same data. Returns the ``encoder`` and ``decoder`` pairs of
    :func:`embed_principal_subspace`.
    """
    targets = network.target_scaling
    Y_train = Y if targets is None else targets.to_training(Y)
    mean, axes = principal_axes(Y_train, sample_weight, n_components)
    # Y_train = X_train * a + b, feature by feature.
    a, b = _affine_between(network, Y.shape[1])
    return (a[:, None] * axes, (b - mean) @ axes), (axes.T, mean)


def _affine_between(network, n_features):
    """``(a, b)`` with training targets ``= training inputs * a + b``, for an
    autoencoder whose inputs and targets are the same data."""
    ones, zeros = np.ones(n_features), np.zeros(n_features)
    inputs, targets = network.input_scaling, network.target_scaling
    in_scale, in_shift = (
        (ones, zeros) if inputs is None else (inputs.scale, inputs.shift)
    )
    out_scale, out_shift = (
        (ones, zeros) if targets is None else (targets.scale, targets.shift)
    )
    # x = X_train * in_scale + in_shift; Y_train = (x - out_shift) / out_scale.
    return in_scale / out_scale, (in_shift - out_shift) / out_scale
