"""Deep ensembles: the mixture of the predicted distributions of several fits."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from scipy import stats
from scipy.special import logsumexp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import VALIDATION, _check_n_samples, _restore_on_error
from ._classifier import MLEClassifier
from ._mixture import MixtureDistribution
from ._persistence import VersionedState
from ._regressor import MLERegressor, survival_score


class _BaseEnsemble(VersionedState, BaseEstimator):
    """Members that differ by seed, fitted in parallel; their mixture predicts.

    Subclasses name their member class in ``_member_class``.
    """

    _member_class = None

    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self, estimator=None, *, n_estimators=5, n_jobs=None, random_state=None
    ):
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _members(self):
        """Unfitted copies of ``estimator``, each with its own seed.

        The seeds are drawn once per fit from ``random_state``, as
        scikit-learn's bagging draws its estimators' seeds.
        """
        estimator = self._member_class() if self.estimator is None else self.estimator
        seeds = check_random_state(self.random_state).randint(
            np.iinfo(np.int32).max, size=self.n_estimators
        )
        return [clone(estimator).set_params(random_state=int(seed)) for seed in seeds]

    def _fit_members(self, X, y, sample_weight):
        # Until every member is fitted, only validate_data's attributes change;
        # they are put back if a member fails.
        with _restore_on_error(self):
            X = validate_data(self, X, reset=True, **VALIDATION)
            members = self._members()
            # Joblib's backend decides where members fit: processes by default,
            # a cluster under a dask or ray backend.
            self.estimators_ = Parallel(n_jobs=self.n_jobs)(
                delayed(_fit_member)(member, X, y, sample_weight) for member in members
            )
            self._set_fitted_attributes()
        return self

    def _set_fitted_attributes(self):
        """The ensemble's attributes read from its fitted members."""
        self.n_outputs_ = self.estimators_[0].n_outputs_

    def _validate_X(self, X):
        """``X`` checked against the fitted ensemble, for its members."""
        check_is_fitted(self)
        return validate_data(self, X, reset=False, **VALIDATION)

    def _each(self, method, X, *args, **kwargs):
        """``method`` of every member on the validated ``X``, stacked first."""
        X = self._validate_X(X)
        return np.stack(
            [getattr(member, method)(X, *args, **kwargs) for member in self.estimators_]
        )

    def sample(self, X, n_samples=1, random_state=None):
        """Draw targets from the mixture of the members' distributions.

        Each draw of a row picks a member uniformly at random, then draws
        from that member's distribution (all outputs of the row from it).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples_X, n_features)
            The input data.

        n_samples : int, default=1
            Number of draws per row of ``X``.

        random_state : int, RandomState instance or None, default=None
            Seeds the draws; None uses numpy's global random state.

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples) or \
                (n_samples_X, n_outputs, n_samples)
            The draws, last axis over draws, shaped as the members' ``sample``
            shapes them.
        """
        _check_n_samples(n_samples)
        random_state = check_random_state(random_state)
        draws = self._each("sample", X, n_samples, random_state)
        # The member of each row and draw; outputs share it.
        member = random_state.randint(
            len(self.estimators_), size=(draws.shape[1], n_samples)
        )
        member = member.reshape(
            (1, draws.shape[1]) + (1,) * (draws.ndim - 3) + (n_samples,)
        )
        return np.take_along_axis(draws, member, axis=0)[0]

    def log_likelihood(self, X, y):
        """Log-likelihood of every sample under the mixture.

        ``log((1 / M) sum_m p_m(y_i | x_i))`` over the M members, computed
        from their log-likelihoods (a log-sum-exp, finite where every
        member's likelihood underflows). By Jensen's inequality it is at
        least the members' average log-likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            Summed over outputs: the outputs of a row are modelled jointly,
            as drawn from one member.
        """
        X = self._validate_X(X)
        members = [member.log_likelihood(X, y) for member in self.estimators_]
        return logsumexp(members, axis=0) - np.log(len(members))


def _fit_member(member, X, y, sample_weight):
    return member.fit(X, y, sample_weight=sample_weight)


_PARAMETERS = """\
    n_estimators : int, default=5
        Number of members, M.

    n_jobs : int, default=None
        Number of members fitted at the same time, through joblib. None means
        1 unless in a :obj:`joblib.parallel_backend` context (under which a
        dask or ray backend spreads the members over a cluster); -1 means all
        processors.

    random_state : int, RandomState instance or None, default=None
        Draws the members' seeds (their ``random_state``), once per fit. An
        int gives the same ensemble at every fit.
"""


class MLEEnsembleRegressor(RegressorMixin, _BaseEnsemble):
    __doc__ = f"""Deep ensemble of :class:`MLERegressor` members.

    The members are copies of ``estimator`` that differ only in their seed
    (Lakshminarayanan et al., 2017). The prediction is the mixture, with
    equal weights, of the members' predicted distributions: its mean, its
    spread (which includes the members' disagreement), its intervals and
    draws.

    Parameters
    ----------
    estimator : MLERegressor, default=None
        The member; its ``random_state`` is replaced by each member's seed.
        None means ``MLERegressor()``.

{_PARAMETERS}
    Attributes
    ----------
    estimators_ : list of MLERegressor
        The fitted members.

    n_outputs_ : int
        Number of target columns.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    MLEEnsembleClassifier : The same for class labels.
    sklearn.ensemble.BaggingRegressor : Members fitted on resampled data.

    References
    ----------
    B. Lakshminarayanan, A. Pritzel and C. Blundell, "Simple and scalable
    predictive uncertainty estimation using deep ensembles", NeurIPS 2017.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_mle_nn import MLEEnsembleRegressor, MLERegressor
    >>> X, y = make_regression(n_samples=200, n_features=4, noise=5, random_state=0)
    >>> member = MLERegressor(hidden_layer_sizes=(20,), max_iter=50)
    >>> ensemble = MLEEnsembleRegressor(member, n_estimators=3, random_state=0)
    >>> ensemble = ensemble.fit(X, y)
    >>> mean, std = ensemble.predict(X[:2], return_std=True)
    >>> ensemble.predict_interval(X[:2], coverage=0.9).shape
    (2, 2)
    >>> ensemble.sample(X[:2], n_samples=5, random_state=0).shape
    (2, 5)
    """

    _member_class = MLERegressor
    _parameter_constraints: dict = {
        **_BaseEnsemble._parameter_constraints,
        "estimator": [MLERegressor, None],
    }

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the members, in parallel.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples, passed to every member.

        Returns
        -------
        self : MLEEnsembleRegressor
            The fitted ensemble.
        """
        return self._fit_members(X, y, sample_weight)

    def predict(self, X, return_std=False):
        """Mean (and standard deviation) of the mixture.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        return_std : bool, default=False
            Whether to return the mixture's standard deviation as well: the
            square root of the members' mean variance plus the variance of
            their means (their disagreement).

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The members' mean prediction.

        std : ndarray of the same shape as ``mean``
            Its standard deviation; only when ``return_std`` is True.
        """
        if not return_std:
            return self._each("predict", X).mean(axis=0)
        means, stds = np.moveaxis(self._each("predict", X, return_std=True), 1, 0)
        mean = means.mean(axis=0)
        variance = np.mean(stds**2 + (means - mean) ** 2, axis=0)
        return mean, np.sqrt(variance)

    def score(self, X, y, sample_weight=None):
        """R² of the mixture's mean, as :meth:`MLERegressor.score`; on
        censored times, the concordance index of ``-predict(X)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or \
                structured array of shape (n_samples,)
            True targets, or censored times (scikit-survival's structured
            ``y``).

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        score : float
        """
        cindex = survival_score(self, X, y, sample_weight)
        if cindex is None:
            return super().score(X, y, sample_weight=sample_weight)
        return cindex

    def predict_interval(self, X, coverage=0.9):
        """Central interval of the mixture that holds ``coverage`` of its mass.

        Its ends are the mixture's quantiles, found by bisection on its
        cumulative distribution function.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        coverage : float, default=0.9
            Probability mass inside the interval, in (0, 1).

        Returns
        -------
        interval : ndarray of shape (n_samples, 2) or (n_samples, n_outputs, 2)
            Lower and upper ends, the last axis, shaped as the members'
            ``predict_interval`` shapes them.
        """
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        return np.stack(self.predict_distribution(X).interval(coverage), axis=-1)

    def predict_distribution(self, X):
        """The mixture of the members' predicted distributions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        distribution : MixtureDistribution
            Equal weights over the members' frozen ``scipy.stats``
            distributions, with their shape (``(n_samples,)`` or
            ``(n_samples, n_outputs)``) and the same methods: ``pdf`` and
            ``logpdf`` (``pmf`` and ``logpmf`` for discrete targets),
            ``cdf``, ``sf``, ``ppf``, ``interval``, ``mean``, ``var``,
            ``std``, ``rvs``.

        Examples
        --------
        >>> from sklearn_mle_nn import MLEEnsembleRegressor, MLERegressor
        >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0.1, 0.9, 2.1, 2.9]
        >>> member = MLERegressor(hidden_layer_sizes=(), max_iter=20)
        >>> ensemble = MLEEnsembleRegressor(member, n_estimators=2, random_state=0)
        >>> dist = ensemble.fit(X, y).predict_distribution([[1.0], [2.0]])
        >>> dist.mean().shape, dist.cdf([1.0, 2.0]).shape
        ((2,), (2,))
        """
        X = self._validate_X(X)
        members = [member.predict_distribution(X) for member in self.estimators_]
        return MixtureDistribution(members, np.full(len(members), 1 / len(members)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags


class MLEEnsembleClassifier(ClassifierMixin, _BaseEnsemble):
    __doc__ = f"""Deep ensemble of :class:`MLEClassifier` members.

    The members are copies of ``estimator`` that differ only in their seed
    (Lakshminarayanan et al., 2017). The prediction is the mixture, with
    equal weights, of the members' predicted distributions: the class
    probabilities are the average of the members'.

    Parameters
    ----------
    estimator : MLEClassifier, default=None
        The member; its ``random_state`` is replaced by each member's seed.
        None means ``MLEClassifier()``.

{_PARAMETERS}
    Attributes
    ----------
    estimators_ : list of MLEClassifier
        The fitted members.

    classes_ : ndarray of shape (n_classes,)
        The class labels; for multilabel targets, the label indices.

    n_outputs_ : int
        Number of network outputs of a member.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    MLEEnsembleRegressor : The same for real-valued targets.
    sklearn.ensemble.BaggingClassifier : Members fitted on resampled data.

    References
    ----------
    B. Lakshminarayanan, A. Pritzel and C. Blundell, "Simple and scalable
    predictive uncertainty estimation using deep ensembles", NeurIPS 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_mle_nn import MLEClassifier, MLEEnsembleClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> member = MLEClassifier(hidden_layer_sizes=(10,), max_iter=50)
    >>> ensemble = MLEEnsembleClassifier(member, n_estimators=3, random_state=0)
    >>> ensemble = ensemble.fit(X, y)
    >>> ensemble.score(X, y) > 0.9
    True
    >>> ensemble.predict_proba(X[:1]).shape
    (1, 3)
    """

    _member_class = MLEClassifier
    _parameter_constraints: dict = {
        **_BaseEnsemble._parameter_constraints,
        "estimator": [MLEClassifier, None],
    }

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the members, in parallel.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The labels, or a multilabel indicator matrix.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples, passed to every member.

        Returns
        -------
        self : MLEEnsembleClassifier
            The fitted ensemble.
        """
        return self._fit_members(X, y, sample_weight)

    def _set_fitted_attributes(self):
        super()._set_fitted_attributes()
        classes = [member.classes_ for member in self.estimators_]
        # Averaged probabilities need one column order in every member.
        if not all(np.array_equal(other, classes[0]) for other in classes):
            raise ValueError(
                "The members of the ensemble were fitted on different classes: "
                f"{[c.tolist() for c in classes]}."
            )
        self.classes_ = classes[0]

    @property
    def _label_binarizer(self):
        return self.estimators_[0]._label_binarizer

    def predict(self, X):
        """Most probable label under the mixture (labels, for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels.
        """
        proba = self.predict_proba(X)
        if self._label_binarizer.y_type_ == "binary":
            # The members' own rule, on the probability of the second class.
            return self._label_binarizer.inverse_transform(proba[:, 1:])
        if self._label_binarizer.y_type_ == "multiclass":
            return self.classes_.take(proba.argmax(axis=1))
        return self._label_binarizer.inverse_transform(proba)

    def predict_proba(self, X):
        """Class probabilities: the average of the members'.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in ``classes_``; for multilabel targets,
            the probability of each label.
        """
        return self._each("predict_proba", X).mean(axis=0)

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, from the members' own.

        A log-sum-exp of the members' log-probabilities: finite where
        :meth:`predict_proba` rounds to 0.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in ``classes_``.
        """
        members = self._each("predict_log_proba", X)
        return logsumexp(members, axis=0) - np.log(len(members))

    def predict_distribution(self, X):
        """The mixture's distribution of the labels as a ``scipy.stats`` object.

        A mixture of categorical distributions is the categorical
        distribution of the average probabilities. As the members'
        ``predict_distribution``: a Bernoulli of the positive class
        ``classes_[1]`` for binary targets (shape ``(n_samples,)``), a
        one-draw multinomial over ``classes_`` for multiclass targets, and
        for multilabel targets Bernoullis of shape ``(n_samples, n_labels)``:
        each label's own distribution (the labels of a row are not
        independent under the mixture; :meth:`sample` and
        :meth:`log_likelihood` treat them jointly).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        distribution : frozen scipy.stats distribution
        """
        proba = self.predict_proba(X)
        if self._label_binarizer.y_type_ == "binary":
            return stats.bernoulli(proba[:, 1])
        if self._label_binarizer.y_type_ == "multiclass":
            return stats.multinomial(1, proba)
        return stats.bernoulli(proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags
