"""``hidden_layer_sizes='auto'``: the network's depth chosen on held-out rows.

A fit with ``'auto'`` trains a network of each of ``CANDIDATES``, smallest
first, all on the same training rows and judged on the same validation rows
(early stopping's), and keeps the deeper one only where the held-out
likelihood supports it: where its validation rows' log-likelihood is higher
than the shallower network's by more than ``MARGIN`` standard errors of the
paired per-row difference. Judged on ten percent of a few hundred rows, the
mean difference alone would pick the deeper network on noise, and lose on
data a linear model suits.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils import _safe_indexing, check_random_state

#: The hidden layers 'auto' chooses among, smallest first.
CANDIDATES = ((100,), (100, 100))

#: A larger network is kept when its validation log-likelihood is higher by
#: more than this many standard errors of the paired per-row difference.
MARGIN = 1.0

#: What a candidate's fit leaves for the choice, removed from the kept fit.
_PRIVATE = (
    "_validation_random_state",
    "_validation_rows",
    "_chosen_epochs",
    "_trains_past_kept",
    "_trained_to_the_end",
)
#: What a pass of early_stopping='refit' keeps of its fit for the choice
#: (:func:`take_fitted_state`'s ``keeps_rows``).
_KEPT_FOR_REFIT = ("_validation_rows", "_trained_to_the_end")


def is_auto(hidden_layer_sizes):
    return isinstance(hidden_layer_sizes, str) and hidden_layer_sizes == "auto"


def fit_choosing_depth(estimator, X, y, sample_weight):
    """Fit ``estimator`` (whose ``hidden_layer_sizes`` is 'auto') as the
    candidate that the validation rows choose; returns it.

    An estimator that names its validation rows' draw (a pass of
    ``early_stopping='refit'``, :mod:`._refit`) keeps their indices, and
    its network trained to the end, as a network of a given size would
    (``_validation_rows``, ``_trained_to_the_end``).
    """
    # One draw for the validation rows of every candidate.
    seed = getattr(estimator, "_validation_random_state", None)
    keeps_rows = seed is not None
    if seed is None:
        seed = check_random_state(estimator.random_state).randint(
            np.iinfo(np.int32).max
        )
    kept = kept_nll = kept_warnings = None
    for sizes in CANDIDATES:
        candidate = clone(estimator).set_params(hidden_layer_sizes=sizes)
        candidate._validation_random_state = seed
        candidate._trains_past_kept = getattr(estimator, "_trains_past_kept", False)
        # Only the kept network's warnings are the user's.
        caught = fit_recording_warnings(candidate, X, y, sample_weight)
        nll = validation_nll(candidate, X, y, sample_weight)
        if kept is None or larger_is_better(kept_nll, nll):
            kept, kept_nll, kept_warnings = candidate, nll, caught
        if nll is None:
            # No validation rows (early stopping off, or too few rows for
            # early_stopping='auto'): nothing to judge a larger network on.
            if not estimator.early_stopping:
                kept_warnings.append(_no_validation_rows_warning(sizes))
            break
    take_fitted_state(estimator, kept, keeps_rows)
    warn_again(kept_warnings)
    return estimator


def fit_recording_warnings(estimator, X, y, sample_weight):
    """Fit ``estimator``; returns the warnings the fit raised, recorded and
    not shown (only the kept fit's are the user's: :func:`warn_again`)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, y, sample_weight=sample_weight)
    return caught


def warn_again(caught):
    """Show the warnings that :func:`fit_recording_warnings` recorded."""
    for warning in caught:
        warnings.warn_explicit(
            warning.message, warning.category, warning.filename, warning.lineno
        )


def validation_nll(fitted, X, y, sample_weight):
    """``(nll, sample_weight)`` of the fitted candidate's validation rows
    (the fitted model's, as ``log_likelihood`` gives it, or an autoencoder's
    ``score_samples``: ``y`` is None), or None when it held none out."""
    rows = fitted._validation_rows
    if rows is None:
        return None
    if y is None:
        nll = -fitted.score_samples(take_rows(X, rows))
    else:
        nll = -fitted.log_likelihood(take_rows(X, rows), take_rows(y, rows))
    weight = None if sample_weight is None else take_rows(sample_weight, rows)
    return np.asarray(nll, dtype=float), weight


def take_rows(data, rows):
    """The rows of data as the user passed them (arrays, lists, frames,
    sparse matrices; anything else numpy can read)."""
    if not (
        sp.issparse(data)
        or hasattr(data, "iloc")
        or isinstance(data, (np.ndarray, list))
    ):
        data = np.asarray(data)
    return _safe_indexing(data, rows)


def _no_validation_rows_warning(sizes):
    message = (
        "hidden_layer_sizes='auto' chooses the depth on early stopping's "
        f"validation rows, and early_stopping=False holds out none: {sizes} "
        "was fitted. Set early_stopping=True (or 'auto') to choose."
    )
    return warnings.WarningMessage(message, UserWarning, __file__, 1)


def larger_is_better(smaller, larger, margin=MARGIN):
    """Whether the larger network's validation rows support it.

    ``smaller`` and ``larger`` are ``(nll, sample_weight)`` of the same rows
    (``sample_weight`` None or their weights). True when the larger network's
    mean log-likelihood is higher by more than ``margin`` standard errors of
    the per-row difference (weighted, with the effective number of rows).
    """
    (nll_small, weight), (nll_large, _) = smaller, larger
    gain = np.asarray(nll_small, dtype=float) - np.asarray(nll_large, dtype=float)
    weight = np.ones_like(gain) if weight is None else np.asarray(weight, float)
    mean = np.average(gain, weights=weight)
    if gain.shape[0] < 2 or mean <= 0:
        return False
    variance = np.average((gain - mean) ** 2, weights=weight)
    n_effective = weight.sum() ** 2 / np.sum(weight**2)
    if n_effective <= 1:
        return False
    # The unbiased variance, as scipy.stats.sem's for equal weights.
    standard_error = np.sqrt(variance * n_effective / (n_effective - 1) / n_effective)
    return mean > margin * standard_error


def take_fitted_state(estimator, fitted, keeps_rows=False):
    """Make ``estimator`` the fitted candidate, its parameters unchanged
    (and its validation rows' indices and its network trained to the end,
    with ``keeps_rows``)."""
    params = estimator.get_params(deep=False)
    for name in [name for name in vars(estimator) if name.endswith("_")]:
        if name not in params:
            delattr(estimator, name)
    state = {
        name: value
        for name, value in vars(fitted).items()
        if name not in params
        and (name not in _PRIVATE or keeps_rows and name in _KEPT_FOR_REFIT)
    }
    vars(estimator).update(state)
    # Continued training (warm_start, partial_fit) checks the structure
    # against the parameters: 'auto' stands for the depth it chose.
    if is_auto(estimator.hidden_layer_sizes):
        estimator._network.structure["hidden_layer_sizes"] = "auto"
