"""Neural networks as maximum-likelihood estimators, for scikit-learn."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

from ._autoencoder import MLEAutoencoder
from ._classifier import MLEClassifier
from ._ensemble import MLEEnsembleClassifier, MLEEnsembleRegressor
from ._regressor import MLERegressor
from ._version import __version__

__all__ = [
    "MLEAutoencoder",
    "MLEClassifier",
    "MLEEnsembleClassifier",
    "MLEEnsembleRegressor",
    "MLERegressor",
    "__version__",
]
