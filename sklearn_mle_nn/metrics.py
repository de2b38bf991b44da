"""Scoring by the held-out likelihood."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.pipeline import Pipeline

__all__ = ["log_likelihood_scorer"]


def log_likelihood_scorer(estimator, X, y=None, *, sample_weight=None):
    """Mean log-likelihood of held-out data: a scorer, higher is better.

    A scorer in scikit-learn's sense, called as ``scorer(estimator, X, y)``:
    pass it as ``scoring=log_likelihood_scorer`` to
    :func:`~sklearn.model_selection.cross_val_score`,
    :func:`~sklearn.model_selection.cross_validate` (alone or as a value of a
    ``scoring`` dict) or :class:`~sklearn.model_selection.GridSearchCV`, which
    then picks the candidate whose held-out data is the most likely.

    The per-sample log-likelihoods come from ``estimator.log_likelihood(X, y)``
    if the estimator has that method (:class:`~sklearn_mle_nn.MLERegressor`,
    :class:`~sklearn_mle_nn.MLEClassifier`), otherwise from
    ``estimator.score_samples(X)`` (:class:`~sklearn_mle_nn.MLEAutoencoder`,
    ``y`` ignored). The methods are looked up, not the class, so any estimator
    with a per-sample ``log_likelihood(X, y)``, or a ``score_samples(X)`` that
    returns per-sample log-likelihoods, can be scored.

    Parameters
    ----------
    estimator : estimator or :class:`~sklearn.pipeline.Pipeline`
        A fitted estimator, or a fitted pipeline whose last step is one: ``X``
        then goes through every step but the last (``estimator[:-1]``) and
        the last step is scored.

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The held-out inputs.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
            default=None
        The held-out targets. Required with ``log_likelihood``; ignored with
        ``score_samples``.

    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the samples: the score is then the weighted mean. Only a
        direct call passes them: cross-validation tools give a scorer no
        weights unless metadata routing is enabled, and this plain function
        cannot request them (see Notes).

    Returns
    -------
    score : float
        The mean of ``log p(y_i | x_i)`` over the samples (for an autoencoder,
        of ``score_samples(X)``), in nats per sample.

    Raises
    ------
    TypeError
        If the estimator (or the pipeline's last step) has neither a
        ``log_likelihood`` nor a ``score_samples`` method.

    ValueError
        If ``y`` is None for an estimator scored by ``log_likelihood``.

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
      distributions fitted to the same targets;
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
      log-density of a number;
    - targets transformed differently before fitting (the likelihood of
      ``log(y)`` is not the likelihood of ``y``).

    With ``sample_weight`` the score is ``np.average`` of the per-sample
    log-likelihoods weighted by it. Being a plain function, the scorer does
    not take part in scikit-learn's metadata routing: in
    ``cross_val_score``, ``cross_validate`` or ``GridSearchCV`` the held-out
    mean is unweighted, even when the fits are weighted.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_mle_nn import MLERegressor
    >>> from sklearn_mle_nn.metrics import log_likelihood_scorer
    >>> X, y = make_regression(n_samples=60, n_features=3, noise=5.0,
    ...                        random_state=0)
    >>> model = make_pipeline(StandardScaler(), MLERegressor(random_state=0))
    >>> scores = cross_val_score(model, X, y, cv=3, scoring=log_likelihood_scorer)
    >>> scores.shape
    (3,)

    On a fitted pipeline, the scorer is the mean of the last step's
    ``log_likelihood`` on the transformed inputs:

    >>> model = model.fit(X, y)
    >>> Z = model[:-1].transform(X)
    >>> mean = model[-1].log_likelihood(Z, y).mean()
    >>> bool(log_likelihood_scorer(model, X, y) == mean)
    True
    """
    if isinstance(estimator, Pipeline):
        if len(estimator) > 1:
            X = estimator[:-1].transform(X)
        final = estimator[-1]
        name = f"the last step of the Pipeline, {final!r},"
    else:
        final = estimator
        name = f"{estimator!r}"

    if hasattr(final, "log_likelihood"):
        if y is None:
            raise ValueError(
                f"log_likelihood_scorer needs the targets y to score {name} "
                "through its log_likelihood(X, y) method; got y=None."
            )
        log_likelihood = final.log_likelihood(X, y)
    elif hasattr(final, "score_samples"):
        log_likelihood = final.score_samples(X)
    else:
        raise TypeError(
            f"log_likelihood_scorer needs an estimator with a log_likelihood(X, y) "
            "method giving per-sample log-likelihoods (such as MLERegressor or "
            "MLEClassifier) or a score_samples(X) method giving them (such as "
            f"MLEAutoencoder); {name} has neither."
        )
    return float(np.average(log_likelihood, weights=sample_weight))
