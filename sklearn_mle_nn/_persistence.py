"""Pickled models carry the version of the package that saved them."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

from ._version import __version__

#: Bumped whenever the fitted state changes in a way older code cannot read.
STATE_FORMAT = 2


class VersionedState:
    """Mixin: store the package version and state format in every pickle.

    A model saved by another version of this package loads with a warning
    when its state format is the current one, and fails with a clear
    ValueError when it is not.
    """

    def __getstate__(self):
        state = super().__getstate__()
        return {
            **state,
            "_sklearn_mle_nn_version": __version__,
            "_sklearn_mle_nn_state_format": STATE_FORMAT,
        }

    def __setstate__(self, state):
        state = dict(state)
        saved_version = state.pop("_sklearn_mle_nn_version", "unknown")
        saved_format = state.pop("_sklearn_mle_nn_state_format", None)
        name = type(self).__name__
        if saved_format is None:
            raise ValueError(
                f"This {name} carries no sklearn_mle_nn state format: it was not "
                f"saved by sklearn_mle_nn {__version__} or any release this version "
                "can read. Fit it again."
            )
        if saved_format != STATE_FORMAT:
            raise ValueError(
                f"This {name} was saved by sklearn_mle_nn {saved_version} in "
                f"state format {saved_format}; sklearn_mle_nn {__version__} reads "
                f"format {STATE_FORMAT} only. Load it with sklearn_mle_nn "
                f"{saved_version}, or fit it again."
            )
        if saved_version != __version__:
            warnings.warn(
                f"This {name} was saved by sklearn_mle_nn {saved_version} and is "
                f"loaded by {__version__}; its state format is the same, but check "
                "its predictions before relying on them.",
                UserWarning,
            )
        super().__setstate__(state)
