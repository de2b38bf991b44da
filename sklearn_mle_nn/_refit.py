"""``early_stopping='refit'``: how long to train, chosen on held-out rows,
then a fit on all the rows.

Early stopping on a small table holds out a tenth of rows it can ill spare,
and a fit without it trains until the training loss stops improving, which
on noisy labels fits their noise (Pima: a held-out log-loss of 0.67 against
logistic regression's 0.45). 'refit' chooses between the two on the
validation rows, then fits on every row:

1. the network is fitted as with ``early_stopping='auto'``, which keeps the
   weights of the epoch that scored best on the held-out rows (or the
   linear start: then no epoch);
2. the same network (the same seed) is fitted without early stopping on
   the same training rows, until its training loss stops improving;
3. where the held-out log-likelihood of the early-stopped network is
   higher than the fully trained one's by more than ``MARGIN`` standard
   errors of the per-row difference (training longer overfits, measurably),
   the final network trains on all the rows for as many epochs as the first
   was kept at; otherwise it trains on all the rows as without early
   stopping.

Where 'auto' would hold out no rows (too few of them, or a class too rare
for the stratified split), the first fit trained on all of them, and is the
fit. So is it, as far as it got, when the user interrupts training
(KeyboardInterrupt) in the first or the second fit.
"""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import _num_samples

from . import _capacity
from ._training import INTERRUPTED_MESSAGE

#: The early-stopped network is kept (its epochs) when its validation rows'
#: mean log-likelihood is higher than the fully trained network's by more
#: than this many standard errors of the per-row difference. It is the
#: better of the two by selection on those rows, hence a margin; training
#: longer is the default. Over 20 splits (``classifier_early_stopping.py``'s
#: data), 0.5 kept the bundled digits at the fully trained network's
#: held-out log-loss and took MASS's Pima.tr from 0.71 to 0.56; 1 left it
#: at 0.59, 0 cost digits 0.005.
MARGIN = 0.5


def is_refit(early_stopping):
    return isinstance(early_stopping, str) and early_stopping == "refit"


def fit_then_refit(estimator, X, y, sample_weight):
    """Fit ``estimator`` (whose ``early_stopping`` is 'refit') as the module
    says; returns it."""
    # One seed for every fit: the same initial weights, and the same
    # validation rows. An int is that seed: where training longer does not
    # overfit, the fit is early_stopping=False's.
    seed = estimator.random_state
    if not isinstance(seed, Integral):
        seed = check_random_state(seed).randint(np.iinfo(np.int32).max)
    early = clone(estimator).set_params(early_stopping="auto", random_state=seed)
    early._validation_random_state = seed
    # Only the final fit's warnings are the user's.
    caught = _capacity.fit_recording_warnings(early, X, y, sample_weight)
    fitted = early
    overfits = None
    if early.validation_scores_ is not None and not _interrupted(caught):
        rows = early._validation_rows
        overfits = _overfits(estimator, early, X, y, sample_weight, seed, rows)
        if overfits is None:
            caught.append(
                warnings.WarningMessage(INTERRUPTED_MESSAGE, UserWarning, __file__, 0)
            )
    # None: no rows held out, or the user interrupted training (the first
    # fit, as far as it got, is the fit).
    if overfits is not None:
        final = _pass(estimator, early, seed, early_stopping=False)
        if overfits and early._kept_epoch < estimator.max_iter:
            final._chosen_epochs = early._kept_epoch
        caught = _capacity.fit_recording_warnings(final, X, y, sample_weight)
        fitted = final
        # The record of the choice: the early-stopped fit's validation scores.
        fitted.validation_scores_ = early.validation_scores_
        fitted.best_validation_score_ = early.best_validation_score_
    _capacity.take_fitted_state(estimator, fitted)
    _capacity.warn_again(caught)
    return estimator


def _overfits(estimator, early, X, y, sample_weight, seed, rows):
    """Whether the early-stopped network ``early`` beats the same network
    trained without early stopping on its training rows, on its validation
    ``rows``, by the margin; None if the user interrupted training."""
    train = np.setdiff1d(np.arange(_num_samples(X)), rows)
    full = _pass(estimator, early, seed, early_stopping=False)
    caught = _capacity.fit_recording_warnings(
        full,
        _capacity.take_rows(X, train),
        None if y is None else _capacity.take_rows(y, train),
        None if sample_weight is None else _capacity.take_rows(sample_weight, train),
    )
    if _interrupted(caught):
        return None
    full._validation_rows = rows
    return _capacity.larger_is_better(
        _capacity.validation_nll(full, X, y, sample_weight),
        _capacity.validation_nll(early, X, y, sample_weight),
        margin=MARGIN,
    )


def _pass(estimator, early, seed, **params):
    """A clone of ``estimator`` for one pass: the seed, and the depth of the
    first pass (``hidden_layer_sizes='auto'`` chose it there)."""
    return clone(estimator).set_params(
        random_state=seed, hidden_layer_sizes=early.hidden_layer_sizes_, **params
    )


def _interrupted(caught):
    """Whether the user interrupted the fit that raised ``caught``
    (:func:`._training.train` warns so)."""
    return any(str(w.message).startswith(INTERRUPTED_MESSAGE) for w in caught)
