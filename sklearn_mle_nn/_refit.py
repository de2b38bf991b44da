"""``early_stopping='refit'``: how long to train, chosen on held-out rows,
then a fit on all the rows.

Early stopping on a small table holds out a tenth of rows it can ill spare,
and a fit without it trains until the training loss stops improving, which
on noisy labels fits their noise (Pima: a held-out log-loss of 0.67 against
logistic regression's 0.45). 'refit' chooses between the two on the
validation rows, then fits on every row:

1. the network is trained on the rows that ``early_stopping='auto'`` would
   train on, and keeps the weights of the epoch that scored best on the
   held-out rows (or the linear start: then no epoch) until the score's
   plateau, where 'auto' would stop; training goes on, as without early
   stopping, until the training loss stops improving;
2. where the held-out log-likelihood of the kept network is higher than
   that of the network trained to the end by more than ``MARGIN`` standard
   errors of the per-row difference (training longer overfits,
   measurably), the final network trains on all the rows for as many epochs
   as the first was kept at; otherwise it trains on all the rows as without
   early stopping. Where training to the end diverged, the kept network is
   the better one.

Where 'auto' would hold out no rows (too few of them, or a class too rare
for the stratified split), the first fit trained on all of them, and is the
fit. So is it, as far as it got, when the user interrupts training
(KeyboardInterrupt) in the first fit.
"""

import copy
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from . import _capacity
from ._training import INTERRUPTED_MESSAGE

#: The kept network's epochs are chosen when its validation rows' mean
#: log-likelihood is higher than the network trained to the end by more
#: than this many standard errors of the per-row difference. It is the
#: better of the two by selection on those rows, hence a margin; training
#: longer is the default. Over 20 splits (``classifier_early_stopping.py``'s
#: data), 0.5 kept the bundled digits at the fully trained network's
#: held-out log-loss and took MASS's Pima.tr from 0.71 to 0.56; 1 left it
#: at 0.59, 0 cost digits 0.005 (with the network trained to the end in a
#: run of its own, as up to 1d87c4e; one run gave the same within noise).
MARGIN = 0.5


def is_refit(early_stopping):
    return isinstance(early_stopping, str) and early_stopping == "refit"


def fit_then_refit(estimator, X, y, sample_weight):
    """Fit ``estimator`` (whose ``early_stopping`` is 'refit') as the module
    says; returns it."""
    # One seed for both fits: the same initial weights. An int is that seed:
    # where training longer does not overfit, the fit is
    # early_stopping=False's.
    seed = estimator.random_state
    if not isinstance(seed, Integral):
        seed = check_random_state(seed).randint(np.iinfo(np.int32).max)
    first = clone(estimator).set_params(early_stopping="auto", random_state=seed)
    first._validation_random_state = seed
    first._trains_past_kept = True
    # Only the final fit's warnings are the user's.
    caught = _capacity.fit_recording_warnings(first, X, y, sample_weight)
    fitted = first
    # No rows held out, or the user interrupted training: the first fit, as
    # far as it got, is the fit.
    if first.validation_scores_ is not None and not _interrupted(caught):
        fitted, caught = _final_fit(estimator, first, seed, X, y, sample_weight)
    _capacity.take_fitted_state(estimator, fitted)
    _capacity.warn_again(caught)
    return estimator


def _final_fit(estimator, first, seed, X, y, sample_weight):
    """The fit on all the rows, without early stopping, for the first run's
    kept epochs where training longer overfits; with the first run's
    validation record, and its spread calibration. Returns it and the
    warnings its fit raised."""
    final = clone(estimator).set_params(
        random_state=seed,
        hidden_layer_sizes=first.hidden_layer_sizes_,  # 'auto' chose it
        early_stopping=False,
    )
    trained = getattr(first, "_trained_to_the_end", None)
    chosen = _overfits(first, trained, X, y, sample_weight) and (
        first._kept_epoch < estimator.max_iter
    )
    if chosen:
        final._chosen_epochs = first._kept_epoch
    if estimator.verbose:
        print(_choice_message(first._kept_epoch if chosen else None))
    caught = _capacity.fit_recording_warnings(final, X, y, sample_weight)
    # A spread calibrated on the validation rows stays calibrated: that of
    # the first run's network that the final fit trained as.
    final.distribution_.take_calibration(
        first.distribution_ if chosen or trained is None else trained["distribution_"]
    )
    # The record of the choice: the first run's validation scores.
    final.validation_scores_ = first.validation_scores_
    final.best_validation_score_ = first.best_validation_score_
    return final, caught


def _choice_message(epochs):
    """What ``verbose`` says of the final fit: for ``epochs`` (None: as
    without early stopping)."""
    if epochs is None:
        how = (
            "as without early stopping: training longer does not overfit "
            "the validation rows."
        )
    elif epochs == 0:
        how = (
            "keeping its linear start (no epoch): training overfits the "
            "validation rows."
        )
    else:
        how = f"for the {epochs} epochs kept: training longer overfits the "
        how += "validation rows."
    return f"Refit on all the rows, {how}"


def _overfits(first, trained, X, y, sample_weight):
    """Whether the first fit's kept network beats its network trained to the
    end (``trained``, its fitted attributes), by the margin, on its
    validation rows (True where training to the end diverged: None)."""
    if trained is None:
        return True
    longer = copy.copy(first)
    vars(longer).update(trained)
    return _capacity.larger_is_better(
        _capacity.validation_nll(longer, X, y, sample_weight),
        _capacity.validation_nll(first, X, y, sample_weight),
        margin=MARGIN,
    )


def _interrupted(caught):
    """Whether the user interrupted the fit that raised ``caught``
    (:func:`._training.train` warns so)."""
    return any(str(w.message).startswith(INTERRUPTED_MESSAGE) for w in caught)
