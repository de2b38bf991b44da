"""scikit-learn's callback API (``sklearn.callback``, 1.9 and later).

Every epoch of ``fit`` or ``partial_fit`` is a task that callbacks such as
``ProgressBar`` and ``ScoringMonitor`` see. With an older scikit-learn the
estimators work as before, without ``set_callbacks``. ``_fit_context`` tears
the callbacks down after ``fit``, whether it succeeds or not.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9 has no callbacks.
    CALLBACKS_AVAILABLE = False

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9: no ``set_callbacks``."""

else:
    CALLBACKS_AVAILABLE = True


class NoEpochTasks:
    """The training loop's view of callbacks when there are none."""

    def epoch_begins(self):
        pass

    def epoch_ends(self):
        """Whether a callback asks to stop."""
        return False

    def fit_ends(self):
        pass


class EpochTasks(NoEpochTasks):
    """Report a fit and each of its epochs to the estimator's callbacks.

    Parameters
    ----------
    estimator : BaseMLE
        The estimator being fitted.
    X, y : array-like
        The training data, passed to the hooks.
    sample_weight : ndarray or None
        Passed to the hooks as metadata.
    max_epochs : int
        The largest number of epochs (subtasks) of this fit.
    snapshot : callable
        Returns the fitted attributes of the network as it stands, from which
        the callbacks' ``fitted_estimator`` is built.
    """

    def __init__(self, estimator, X, y, sample_weight, max_epochs, snapshot):
        self.estimator = estimator
        self.data = {
            "X": X,
            "y": y,
            "metadata": None
            if sample_weight is None
            else {"sample_weight": sample_weight},
        }
        self.snapshot = snapshot
        self.context = estimator._init_callback_context(max_subtasks=max_epochs)
        self.context.call_on_fit_task_begin(estimator=estimator, **self.data)
        self.epoch = None

    def epoch_begins(self):
        self.epoch = self.context.subcontext(task_name="epoch")
        self.epoch.call_on_fit_task_begin(estimator=self.estimator, **self.data)

    def epoch_ends(self):
        return self.epoch.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=self.snapshot,
            **self.data,
        )

    def fit_ends(self):
        self.context.call_on_fit_task_end(
            estimator=self.estimator,
            reconstruction_attributes=self.snapshot,
            **self.data,
        )


def epoch_tasks(estimator, X, y, sample_weight, max_epochs, snapshot):
    """The callbacks' view of a fit: real tasks where the API exists."""
    if not CALLBACKS_AVAILABLE:
        return NoEpochTasks()
    return EpochTasks(estimator, X, y, sample_weight, max_epochs, snapshot)
