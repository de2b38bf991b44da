"""Scoring by the held-out likelihood, and a display of calibration."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.metrics._scorer import _BaseScorer
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_is_fitted

from ._calibration_display import (
    PredictiveCalibrationDisplay,
    _is_discrete_distribution,
    interval_coverage,
    probability_integral_transform,
)

__all__ = [
    "PredictiveCalibrationDisplay",
    "concordance_index",
    "interval_coverage",
    "log_likelihood_scorer",
    "probability_integral_transform",
]


def concordance_index(event, time, estimate, sample_weight=None):
    """Harrell's concordance index of risk scores on right-censored times.

    The share of comparable pairs whose risks are in the order of their
    times: a pair is comparable when the earlier time is an event (or both
    times are equal and only the first is an event), and concordant when
    the earlier has the higher ``estimate``; tied estimates count one half.
    The definition, and the arguments, of scikit-survival's
    ``concordance_index_censored`` (its first value), here without
    depending on it. 0.5 is a random order, 1 a perfect one.
    ``MLERegressor.score`` on survival data gives it for the risk
    ``-predict(X)``, as scikit-survival's estimators' ``score`` does.

    Parameters
    ----------
    event : array-like of shape (n_samples,)
        Whether each time is an event (True) or censored (False).
    time : array-like of shape (n_samples,)
        The time of the event or of censoring.
    estimate : array-like of shape (n_samples,)
        The predicted risk: higher for an earlier event.
    sample_weight : array-like of shape (n_samples,), default=None
        The weight of each pair is that of its earlier time.

    Returns
    -------
    cindex : float

    Examples
    --------
    >>> from sklearn_mle_nn.metrics import concordance_index
    >>> event, time = [True, False, True], [1.0, 2.0, 3.0]
    >>> concordance_index(event, time, [3.0, 2.0, 1.0])
    1.0
    >>> concordance_index(event, time, [1.0, 1.0, 3.0])
    0.25
    """
    event = np.asarray(event, dtype=bool)
    time = np.asarray(time, dtype=float)
    estimate = np.asarray(estimate, dtype=float)
    weight = np.ones(len(time)) if sample_weight is None else np.asarray(sample_weight)
    if not event.shape == time.shape == estimate.shape == weight.shape:
        raise ValueError(
            "event, time, estimate and sample_weight must have the same length; "
            f"got {event.shape}, {time.shape}, {estimate.shape} and {weight.shape}."
        )
    numerator = denominator = 0.0
    for i in np.flatnonzero(event):
        # Later times, and censored times equal to this event's.
        comparable = (time > time[i]) | ((time == time[i]) & ~event)
        difference = estimate[i] - estimate[comparable]
        # scikit-survival's tolerance for tied estimates.
        tied = np.abs(difference) <= 1e-8
        concordant = np.count_nonzero((difference > 0) & ~tied)
        numerator += weight[i] * (concordant + 0.5 * np.count_nonzero(tied))
        denominator += weight[i] * np.count_nonzero(comparable)
    if denominator == 0:
        raise ValueError(
            "No pair of samples is comparable (an event before another time): "
            "the concordance index is undefined."
        )
    return float(numerator / denominator)


def _weighted_mean(y_pred, *, sample_weight=None):
    """The scorer's score function: the (weighted) mean of the per-sample
    log-likelihoods. Its keyword parameters are what metadata routing can
    request of the scorer (``y_pred`` is a prediction, never requested)."""
    return float(np.average(y_pred, weights=sample_weight))


class _LogLikelihoodScorer(_BaseScorer):
    """Mean log-likelihood of held-out data: a scorer, higher is better.

    ``log_likelihood_scorer`` is a scorer object in scikit-learn's sense,
    called as ``scorer(estimator, X, y)``, for the ``scoring`` parameter
    wherever ``'neg_log_loss'`` goes: :func:`~sklearn.model_selection.cross_val_score`,
    :func:`~sklearn.model_selection.cross_validate` (alone or as a value of a
    ``scoring`` dict), :class:`~sklearn.model_selection.GridSearchCV` and the
    other searches, which then pick the candidate whose held-out data is the
    most likely. scikit-learn has no public registry of scorer names, so it
    is passed as an object (``scoring=log_likelihood_scorer``), not a string.

    The scorer reaches the estimator that has the likelihood through the
    usual wrappers:

    - an estimator with ``log_likelihood(X, y)`` is scored by it
      (:class:`~sklearn_mle_nn.MLERegressor`, :class:`~sklearn_mle_nn.MLEClassifier`,
      the ensembles, :class:`sklearn_mle_nn.pipeline.Pipeline`, any estimator of
      yours with a per-sample ``log_likelihood``);
    - a scikit-learn :class:`~sklearn.pipeline.Pipeline`: ``X`` goes through
      every step but the last, and the last step is scored;
    - a fitted search (``GridSearchCV``, ``RandomizedSearchCV``,
      ``HalvingGridSearchCV``, ...): its ``best_estimator_`` is scored, so
      nested cross-validation works;
    - a :class:`~sklearn.compose.TransformedTargetRegressor`: the regressor
      scores the transformed targets, and the log-Jacobian of the transform,
      ``log |det dT(y)/dy|`` (by central differences, per sample), brings the
      density back to the units of ``y``; with a discrete distribution the
      probabilities of a one-to-one transform's values are those of ``y``,
      and nothing is added;
    - otherwise an estimator with ``score_samples(X)`` giving per-sample
      log-likelihoods is scored by it (:class:`~sklearn_mle_nn.MLEAutoencoder`,
      :class:`~sklearn.neighbors.KernelDensity`; ``y`` ignored).

    Parameters
    ----------
    estimator : estimator
        A fitted estimator, pipeline, search or transformed-target regressor
        (see above).

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The held-out inputs.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
            default=None
        The held-out targets. Required with ``log_likelihood``; ignored with
        ``score_samples``.

    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples: the score is then their weighted mean.
        Cross-validation tools pass them to the scorer under metadata
        routing once it requests them (see Notes).

    Returns
    -------
    score : float
        The mean of ``log p(y_i | x_i)`` over the samples (for an autoencoder,
        of ``score_samples(X)``), in nats per sample.

    Raises
    ------
    TypeError
        If no estimator with a ``log_likelihood`` or a ``score_samples``
        method can be reached (a search fitted with ``refit=False`` has no
        best estimator to score).

    ValueError
        If ``y`` is None for an estimator scored by ``log_likelihood``.

    Warns
    -----
    UserWarning
        When a discrete distribution (a probability mass, such as
        ``'bernoulli'`` or ``'poisson'``) scores targets that are not all
        integers: see Notes.

    See Also
    --------
    sklearn_mle_nn.MLERegressor.log_likelihood : Per-sample log-density of y.
    sklearn_mle_nn.MLEClassifier.log_likelihood : Per-sample log-probability
        of the labels.
    sklearn_mle_nn.MLEAutoencoder.score_samples : Per-sample log-likelihood of
        the reconstruction.

    Notes
    -----
    Two mean log-likelihoods can be compared only when they are
    log-likelihoods of the same targets, with the same support, in the same
    units of ``y``:

    - a density of a real ``y`` against a density of the same ``y``: two
      values of ``alpha``, two architectures, or two real-valued
      distributions fitted to the same targets (with a
      ``TransformedTargetRegressor`` too, the Jacobian putting its density
      in the units of ``y``);
    - a probability of a label against a probability of the same label: two
      classifiers of the same classes, whatever their training loss (an
      :class:`~sklearn_mle_nn.MLEClassifier` scores the log-probability of the
      labels even when trained by squared error).

    They cannot be compared across kinds:

    - a density against a probability, for example
      ``distribution='gaussian'`` against ``distribution='bernoulli'`` on the
      same targets in [0, 1]. A density can exceed 1, so its log can be
      positive, and it depends on the units of ``y`` (rescaling ``y`` by
      ``c`` shifts every log-density by ``-log(c)``), while the Bernoulli
      log-likelihood of a target in [0, 1] is a cross-entropy, never positive;
      the larger of the two says nothing about which model is better. Counts
      are the same case: a Poisson probability of a count against a Gaussian
      density of it;
    - a classifier's log-probability of a label against a regressor's
      log-density of a number.

    Whether a fitted model gives a density or a probability is read from its
    predicted distribution (a ``scipy.stats`` discrete distribution, or an
    object with ``pmf`` and no ``pdf``), never from a name. A search calls
    the scorer once per candidate and fold, on one fitted candidate at a
    time, so the scorer cannot see the whole grid; what it can see in one
    call, and warns about, is the case that makes such a search wrong: a
    discrete distribution scoring targets that are not all integers (the
    fractions of the example above), where its log-likelihood is neither a
    log-probability nor a log-density. With integer targets (binary
    ``y``, counts) no single call is wrong, and a grid that mixes the two
    kinds is the user's to avoid: search over one kind at a time.

    Under metadata routing
    (``sklearn.set_config(enable_metadata_routing=True)``) the scorer takes
    ``sample_weight`` once requested:
    ``log_likelihood_scorer.set_score_request(sample_weight=True)``. That
    call changes the module's scorer object for the whole process;
    ``copy.deepcopy(log_likelihood_scorer).set_score_request(...)`` leaves
    it as it is. Without routing, whether a tool passes the fit's weights
    to its scorer depends on the tool and on scikit-learn's version (recent
    searches do, ``cross_validate`` does not); the scorer weights its mean
    whenever it is given weights.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import GridSearchCV, cross_val_score
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_mle_nn import MLERegressor
    >>> from sklearn_mle_nn.metrics import log_likelihood_scorer
    >>> from sklearn_mle_nn.pipeline import make_pipeline
    >>> X, y = make_regression(n_samples=60, n_features=3, noise=5.0,
    ...                        random_state=0)
    >>> model = make_pipeline(StandardScaler(), MLERegressor(random_state=0))
    >>> scores = cross_val_score(model, X, y, cv=3, scoring=log_likelihood_scorer)
    >>> scores.shape
    (3,)

    On a fitted pipeline, the scorer is the mean of its ``log_likelihood``:

    >>> model = model.fit(X, y)
    >>> bool(log_likelihood_scorer(model, X, y) == model.log_likelihood(X, y).mean())
    True

    Nested cross-validation, the scorer both inside and outside the search:

    >>> search = GridSearchCV(model, {"mleregressor__alpha": [1e-4, 1.0]},
    ...                       cv=2, scoring=log_likelihood_scorer)
    >>> nested = cross_val_score(search, X, y, cv=2, scoring=log_likelihood_scorer)
    >>> bool(np.isfinite(nested).all())
    True
    """

    def __init__(self):
        super().__init__(
            _weighted_mean,
            sign=1,
            kwargs={},
            # Only read by scikit-learn's multi-metric caching, which asks
            # every estimator scored for the first of these that it has.
            response_method=("predict", "score_samples"),
        )

    def __repr__(self):
        return "log_likelihood_scorer"

    def __call__(self, estimator, X, y=None, *, sample_weight=None, **kwargs):
        # y is optional here (an autoencoder is scored without it), unlike
        # in scikit-learn's scorers, and keeps the name it had when the
        # scorer was a function.
        return super().__call__(estimator, X, y, sample_weight=sample_weight, **kwargs)

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        log_likelihood, _ = _log_likelihood(estimator, X, y_true, repr(estimator))
        return self._sign * self._score_func(log_likelihood, **kwargs)


log_likelihood_scorer = _LogLikelihoodScorer()


def _log_likelihood(estimator, X, y, where):
    """Per-sample log-likelihoods, and whether they are probabilities.

    The second value is True for a discrete distribution, False for a
    density, None when the estimator does not say. ``where`` names the
    estimator for messages.
    """
    if hasattr(estimator, "log_likelihood"):
        if y is None:
            raise ValueError(
                f"log_likelihood_scorer needs the targets y to score {where} "
                "through its log_likelihood(X, y) method; got y=None."
            )
        discrete = _is_discrete(estimator, X)
        if discrete and _has_fractions(y):
            warnings.warn(
                f"log_likelihood_scorer scored {where}, whose distribution is "
                "discrete (a probability mass), on targets that are not all "
                "integers: its log-likelihood of them is a cross-entropy, "
                "neither a log-probability nor a log-density. Compare it only "
                "with scores of the same distribution, never with a "
                "continuous distribution's (a density's) in one search.",
                UserWarning,
                stacklevel=4,
            )
        return estimator.log_likelihood(X, y), discrete
    if isinstance(estimator, Pipeline):
        if len(estimator) > 1:
            X = estimator[:-1].transform(X)
        final = estimator[-1]
        return _log_likelihood(
            final, X, y, f"the last step of the Pipeline, {final!r},"
        )
    if hasattr(estimator, "best_estimator_"):
        best = estimator.best_estimator_
        return _log_likelihood(
            best, X, y, f"the best estimator of {type(estimator).__name__}, {best!r},"
        )
    if isinstance(estimator, TransformedTargetRegressor):
        return _transformed_target_log_likelihood(estimator, X, y, where)
    if hasattr(estimator, "score_samples"):
        return estimator.score_samples(X), None
    raise TypeError(
        "log_likelihood_scorer needs an estimator with a log_likelihood(X, y) "
        "method giving per-sample log-likelihoods (such as MLERegressor or "
        "MLEClassifier) or a score_samples(X) method giving them (such as "
        "MLEAutoencoder), or a pipeline, a search fitted with refit=True or a "
        f"TransformedTargetRegressor around one; {where} has neither."
    )


def _transformed_target_log_likelihood(estimator, X, y, where):
    """The regressor's likelihood of T(y), in the units of y."""
    check_is_fitted(estimator)
    if y is None:
        raise ValueError(
            f"log_likelihood_scorer needs the targets y to score {where}; got y=None."
        )
    y = np.asarray(y, dtype=float)
    y_2d = y.reshape(-1, 1) if y.ndim == 1 else y
    transformed = estimator.transformer_.transform(y_2d)
    # As TransformedTargetRegressor.fit does: a 1-D y stays 1-D.
    if y.ndim == 1 and transformed.ndim == 2 and transformed.shape[1] == 1:
        transformed = transformed[:, 0]
    regressor = estimator.regressor_
    log_likelihood, discrete = _log_likelihood(
        regressor, X, transformed, f"the regressor of {where}, {regressor!r},"
    )
    if discrete:
        return log_likelihood, discrete
    return log_likelihood + _log_abs_det_jacobian(
        estimator.transformer_, y_2d
    ), discrete


def _log_abs_det_jacobian(transformer, y):
    """``log |det dT(y_i)/dy_i|`` per row, by central differences.

    Each target column is moved by a relative step (the cube root of the
    machine epsilon, the optimal step of a central difference) in both
    directions; a row where the backward move leaves the transform's domain
    (a non-finite value) takes a forward difference instead.
    """
    n_samples, n_targets = y.shape
    center = np.asarray(transformer.transform(y), dtype=float).reshape(n_samples, -1)
    if center.shape[1] != n_targets:
        raise ValueError(
            f"log_likelihood_scorer cannot put the likelihood of transformed "
            f"targets back in the units of y: {transformer!r} maps {n_targets} "
            f"target column(s) to {center.shape[1]}, so it has no Jacobian "
            "determinant."
        )
    relative_step = np.cbrt(np.finfo(float).eps)
    jacobian = np.empty((n_samples, n_targets, n_targets))
    for j in range(n_targets):
        step = relative_step * np.where(y[:, j] != 0, np.abs(y[:, j]), 1.0)
        up, down = y.copy(), y.copy()
        up[:, j] += step
        down[:, j] -= step
        # The steps actually taken, after rounding.
        forward = up[:, j] - y[:, j]
        with np.errstate(all="ignore"):
            t_up = np.asarray(transformer.transform(up), dtype=float).reshape(
                n_samples, -1
            )
            t_down = np.asarray(transformer.transform(down), dtype=float).reshape(
                n_samples, -1
            )
        derivative = (t_up - t_down) / (up[:, j] - down[:, j])[:, np.newaxis]
        outside = ~np.all(np.isfinite(t_down), axis=1)
        derivative[outside] = (t_up[outside] - center[outside]) / forward[
            outside, np.newaxis
        ]
        jacobian[:, :, j] = derivative
    return np.linalg.slogdet(jacobian)[1]


def _is_discrete(estimator, X):
    """Whether the distribution the estimator predicts for the first row of
    ``X`` is a probability mass (None if the estimator does not say)."""
    if not hasattr(estimator, "predict_distribution"):
        return None
    return _is_discrete_distribution(
        estimator.predict_distribution(_safe_indexing(X, [0]))
    )


def _has_fractions(y):
    """Whether numeric targets include a value that is not an integer."""
    y = np.asarray(y)
    return y.dtype.kind == "f" and bool(np.any(y != np.round(y)))
