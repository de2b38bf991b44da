"""MLEClassifier: a network that fits p(label | x)."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._activations import Logistic, Softmax
from ._base import VALIDATION, BaseMLE, first_column
from ._docstrings import fill_docstring
from ._training import validation_size
from .distributions import Bernoulli, Categorical, resolve


@fill_docstring
class MLEClassifier(ClassifierMixin, BaseMLE):
    """Neural-network classifier fitted by maximum likelihood.

    The network's outputs are class probabilities: one logistic output for
    two classes, a softmax over the classes for more, one logistic output per
    label for a multilabel indicator matrix. ``distribution='bernoulli'``
    (also called ``'categorical'`` for more than two classes) trains them by
    cross-entropy, the negative log-likelihood of the labels;
    ``distribution='gaussian'`` trains the same outputs by squared error, so
    that the two losses compare on equal footing (for example in a
    ``GridSearchCV`` over ``distribution``).

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,) or 'auto', \
            default=(100,)
        Units of each hidden layer; ``()`` fits a logistic regression. {auto_depth}
        Without validation rows it fits ``(100,)``: with
        ``early_stopping=False`` it also warns (set ``early_stopping=True``);
        with ``'auto'`` or ``'refit'`` (this estimator's default), when the
        data are too few. With ``'refit'``, the depth is chosen in its first
        fit, and its last fit trains that network on all the rows.

    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation of the hidden layers.

    distribution : str or Distribution, default='bernoulli'
        The loss on the probability outputs: cross-entropy ('bernoulli', or
        'categorical', its name for a softmax output) or squared error
        ('gaussian'); any distribution (a name or an instance of a
        :class:`~sklearn_mle_nn.distributions.Distribution`) whose mean takes
        the probability outputs' link (logistic, or softmax for more than two
        classes) is used on them, and any other is refused at ``fit``. ``fit``
        never changes it; the fitted copy is ``distribution_``.

    start : {'linear', 'intercept_only'}, default='linear'
        Where a new network starts. 'linear': at the distribution's own
        linear model of the training rows (its penalized maximum-likelihood
        fit, as ``LogisticRegression`` gives), carried by two rectifier
        units per mean output (``z = relu(z) - relu(-z)``), the other units
        adding nothing at the start; with early stopping, the held-out rows
        score the start too, and it is kept unless an epoch does better. It
        needs ``activation='relu'`` and hidden layers of at least two units
        per class output; otherwise, and with 'intercept_only', the network
        starts at the intercept-only model (zero output weights), as
        scikit-learn's MLP would with its output layer set to the best
        constant.

    {solver_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels; for multilabel targets, the label indices.

    sigma_ : ndarray of shape (n_outputs,)
        With ``distribution='gaussian'``: the root-mean-square residual of
        the training probabilities.

    {training_attributes}

    See Also
    --------
    MLERegressor : The same model for real-valued targets.
    sklearn.neural_network.MLPClassifier : scikit-learn's network classifier.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_mle_nn import MLEClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), MLEClassifier(random_state=0))
    >>> clf = clf.fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    >>> clf.predict_proba(X[:1]).shape
    (1, 3)
    >>> clf[-1].sample(X[:2], n_samples=4, random_state=0).shape
    (2, 4)
    """

    _parameter_constraints: dict = {
        **BaseMLE._parameter_constraints,
        "start": [StrOptions({"linear", "intercept_only"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        distribution="bernoulli",
        start="linear",
        standardize_inputs=True,
        solver="sgd",
        alpha=0.1,
        batch_size=32,
        learning_rate="constant",
        learning_rate_init=0.05,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping="refit",
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.distribution = distribution
        self.start = start
        self.standardize_inputs = standardize_inputs
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change

    # ---- what the shared core asks of a classifier -------------------------

    def _validate_targets(self, X, y, *, reset, classes=None):
        X, y = validate_data(self, X, y, reset=reset, multi_output=True, **VALIDATION)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if reset:
            multilabel = type_of_target(y) == "multilabel-indicator"
            self._fit_labels(y if classes is None or multilabel else classes)
            if classes is not None and not multilabel:
                self._check_known_labels(y, None)
        else:
            self._check_target_shape(y)
            self._check_known_labels(y, classes)
        return X, self._indicators(y)

    def _check_target_shape(self, y):
        """Labels as the fitted model takes them: one per sample, or one
        column of 0/1 indicators per label (multilabel)."""
        multilabel = self._label_binarizer.y_type_ == "multilabel-indicator"
        if multilabel and (y.ndim != 2 or y.shape[1] != len(self.classes_)):
            given = "one label per sample" if y.ndim == 1 else f"{y.shape[1]} columns"
            raise ValueError(
                f"y holds {given}, but this {type(self).__name__} was fitted on "
                f"multilabel targets: {len(self.classes_)} columns of 0/1 "
                "indicators."
            )
        if not multilabel and y.ndim != 1:
            raise ValueError(
                f"y has {y.shape[1]} columns, but this {type(self).__name__} was "
                "fitted on one label per sample."
            )

    def _indicators(self, y):
        """The 0/1 indicators of ``y``'s labels, as booleans.

        Booleans take an eighth of the memory of float64, and the likelihoods
        compute with them as with 0.0 and 1.0. Multiclass indicators are
        written directly, without LabelBinarizer's int64 matrix.
        """
        if not self._is_multiclass:
            return self._label_binarizer.transform(y).astype(bool)
        Y = np.zeros((len(y), len(self.classes_)), dtype=bool)
        Y[np.arange(len(y)), np.searchsorted(self.classes_, y)] = True
        return Y

    def _fit_labels(self, labels):
        # A single class is accepted, as by scikit-learn's MLPClassifier: its
        # one logistic output learns that the "other" class never occurs.
        binarizer = LabelBinarizer().fit(labels)
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_

    def _check_known_labels(self, y, classes):
        if classes is not None and not np.array_equal(
            unique_labels(classes), self.classes_
        ):
            raise ValueError(
                f"classes={_as_written(unique_labels(classes))} differs from the "
                f"classes_ of the first call, {_as_written(self.classes_)}."
            )
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"y has labels {_as_written(unknown)} that are not in classes_ "
                f"{_as_written(self.classes_)}; pass every class to the first "
                "partial_fit through `classes`."
            )

    def _check_same_classes(self, y):
        """A warm-started fit continues the fitted outputs: same classes only.

        scikit-learn's rule and message: the outputs of a class missing from
        ``y`` would be trained towards probability zero.
        """
        y = check_array(y, ensure_2d=False, dtype=None, ensure_all_finite=False)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        classes = unique_labels(y)
        if set(classes) != set(self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` has "
                f"{classes}"
            )

    @property
    def _is_multiclass(self):
        return self._label_binarizer.y_type_ == "multiclass"

    def _one_binary_output(self, outputs):
        """Whether ``outputs`` is the one logistic output of 1 or 2 classes."""
        return self._label_binarizer.y_type_ == "binary" and outputs.shape[1] == 1

    def _build_distribution(self):
        # What the distribution is decides, never its name: a likelihood of
        # the probability outputs on their link, or, for a likelihood of
        # labels, the cross-entropy of the outputs there are.
        link = "softmax" if self._is_multiclass else "logistic"
        distribution = resolve(self.distribution)
        if (
            distribution.one_hot_targets
            and self._label_binarizer.y_type_ == "multilabel-indicator"
        ):
            raise ValueError(
                f"distribution={self.distribution!r} is a likelihood of one "
                "label per sample (categorical); use 'bernoulli' for a "
                "multilabel indicator matrix."
            )
        if link in distribution.links:
            return resolve(distribution, link)
        if distribution.label_likelihood:
            return self._label_distribution()
        raise ValueError(
            f"distribution={self.distribution!r} cannot be a likelihood of "
            f"class probabilities: the outputs are {link} probabilities, and "
            f"its mean takes the links {sorted(distribution.links)}. Use "
            "'bernoulli', 'categorical' or 'gaussian', or MLERegressor for "
            "targets that are not labels."
        )

    def _label_distribution(self):
        """The likelihood of the labels given the predicted probabilities."""
        return Categorical() if self._is_multiclass else Bernoulli()

    def _stratify(self, Y):
        labels, problem = self._stratified_split(Y)
        if problem is not None:
            raise ValueError(problem)
        return labels

    def _can_hold_out(self, Y):
        # 'auto' and 'refit' hold out no rows where the split cannot be made.
        return self._stratified_split(Y)[1] is None

    def _stratified_split(self, Y):
        """The labels that early stopping's split stratifies on (None for a
        multilabel indicator), and why the split cannot be made (or None)."""
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return None, None
        # Index i is classes_[i]: the column of a multiclass indicator, or
        # the binary indicator (a single class is always 0).
        labels = Y.argmax(axis=1) if self._is_multiclass else Y.ravel().astype(int)
        counts = np.bincount(labels, minlength=len(self.classes_))
        present = counts > 0
        if present.sum() > 1 and counts[present].min() < 2:
            # scikit-learn's split would name the classes by these indices or
            # indicators ([True]): name them as the user wrote them.
            too_few = self.classes_[present & (counts < 2)]
            return labels, (
                "The least populated class in y has only 1 member, which is too "
                "few for the stratified validation split of early stopping. "
                f"Classes with too few members are: {_as_written(too_few)}. Give "
                "each class at least 2 samples, or set early_stopping=False."
            )
        n_classes = int(present.sum())
        n_validation = validation_size(self.validation_fraction, len(labels))
        if n_classes > 1 and min(n_validation, len(labels) - n_validation) < n_classes:
            return labels, (
                f"Early stopping's validation set would hold {n_validation} of the "
                f"{len(labels)} samples (validation_fraction="
                f"{self.validation_fraction:g}), and its stratified split needs at "
                f"least one sample of each of the {n_classes} classes on both "
                "sides. Change validation_fraction, give more samples, or set "
                "early_stopping=False."
            )
        return labels, None

    # ---- public API --------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, coefs_init=None, intercepts_init=None):
        """Fit the network to the labels by maximum likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. float32 input is trained in float32.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (any type), or a multilabel indicator matrix.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the likelihood.

        coefs_init : list of array-like, default=None
            Initial weight matrices, shaped as ``coefs_`` will be.

        intercepts_init : list of array-like, default=None
            Initial bias vectors, shaped as ``intercepts_`` will be.

        Returns
        -------
        self : MLEClassifier
            The fitted estimator.

        Examples
        --------
        >>> from sklearn_mle_nn import MLEClassifier
        >>> clf = MLEClassifier(random_state=0).fit([[0.0], [1.0]], ["no", "yes"])
        >>> clf.classes_.tolist()
        ['no', 'yes']
        """
        if (
            self.warm_start
            and hasattr(self, "classes_")
            and coefs_init is None
            and intercepts_init is None
        ):
            self._check_same_classes(y)
        return self._fit(
            X,
            y,
            sample_weight,
            coefs_init=coefs_init,
            intercepts_init=intercepts_init,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for exactly one epoch over the given data.

        The standardization of the inputs is fixed by the first call's
        chunk, column by column: a column whose values are all equal in it
        (every column of a one-row chunk) is estimated from the next chunk in
        which it varies, with the fitted weights re-expressed so that the
        model is unchanged. Let the first chunk be a representative sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, all among ``classes``.

        classes : array-like of shape (n_classes,), default=None
            Every class of the stream. Required on the first call, when the
            first batch need not hold every class; optional later.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : MLEClassifier
            The updated estimator.

        Examples
        --------
        >>> from sklearn_mle_nn import MLEClassifier
        >>> clf = MLEClassifier(random_state=0)
        >>> clf = clf.partial_fit([[0.0], [1.0]], [0, 1], classes=[0, 1, 2])
        >>> clf = clf.partial_fit([[2.0]], [2])
        >>> clf.n_iter_
        2
        """
        if classes is None and not hasattr(self, "classes_"):
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict(self, X):
        """Most probable label (or labels, for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels.

        Examples
        --------
        >>> from sklearn_mle_nn import MLEClassifier
        >>> X, y = [[-2.0], [-1.0], [1.0], [2.0]], ["a", "a", "b", "b"]
        >>> clf = MLEClassifier(random_state=0).fit(X, y)
        >>> clf.predict([[-3.0], [3.0]]).tolist()
        ['a', 'b']
        """
        mean = self._predict_mean(self._validate_X(X))
        if self._is_multiclass:
            # LabelBinarizer.inverse_transform's own rule, without its checks.
            return self.classes_.take(mean.argmax(axis=1))
        return self._label_binarizer.inverse_transform(mean)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class in ``classes_``; for multilabel targets,
            the probability of each label.

        Examples
        --------
        >>> from sklearn_mle_nn import MLEClassifier
        >>> clf = MLEClassifier(random_state=0).fit([[-1.0], [1.0]], [0, 1])
        >>> float(clf.predict_proba([[0.0]]).sum())
        1.0
        """
        mean = self._predict_mean(self._validate_X(X))
        if self._one_binary_output(mean):
            # Two columns, also for a single class, as scikit-learn's MLP.
            return np.hstack([1 - mean, mean])
        return mean

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed from the raw outputs.

        It stays finite where :meth:`predict_proba` rounds to 0 or 1.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class in ``classes_``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle_nn import MLEClassifier
        >>> clf = MLEClassifier(random_state=0).fit([[-1.0], [1.0]], [0, 1])
        >>> bool(np.isfinite(clf.predict_log_proba([[1e6]])).all())
        True
        """
        raw = self._raw(self._validate_X(X))
        if self._is_multiclass:
            return Softmax.log_forward(raw)
        if self._one_binary_output(raw):
            return np.hstack([Logistic.log_forward(-raw), Logistic.log_forward(raw)])
        return Logistic.log_forward(raw)

    def sample(self, X, n_samples=1, random_state=None):
        """Draw labels from the predicted class probabilities.

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
        labels : ndarray of shape (n_samples_X, n_samples) or \
                (n_samples_X, n_labels, n_samples)
            Labels from ``classes_``; 0/1 indicators for multilabel targets.

        Examples
        --------
        >>> from sklearn_mle_nn import MLEClassifier
        >>> clf = MLEClassifier(random_state=0).fit([[-1.0], [1.0]], ["a", "b"])
        >>> clf.sample([[0.0]], n_samples=6, random_state=0).shape
        (1, 6)
        """
        check_is_fitted(self)
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            raw = self._raw(self._validate_X(X))
            draws = self._draw(raw, n_samples, random_state, Bernoulli())
            # 0/1 indicators of the dtype predict gives them.
            return draws.astype(self.classes_.dtype)
        # A single class's second column names no class: it is never drawn.
        proba = self.predict_proba(X)[:, : len(self.classes_)]
        with np.errstate(divide="ignore"):
            # softmax(log p) = p: the log-probabilities are raw outputs.
            raw = np.log(proba)
        return self.classes_[self._draw(raw, n_samples, random_state, Categorical())]

    def predict_distribution(self, X):
        """The predicted distribution of the labels as a ``scipy.stats`` object.

        Vectorised over the rows of ``X``: a Bernoulli of the positive class
        ``classes_[1]`` for binary targets (shape ``(n_samples,)``), a
        one-draw multinomial over ``classes_`` (one-hot outcomes) for
        multiclass targets, independent Bernoullis of shape
        ``(n_samples, n_labels)`` for multilabel ones.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        distribution : frozen scipy.stats distribution

        Examples
        --------
        >>> from sklearn_mle_nn import MLEClassifier
        >>> clf = MLEClassifier(random_state=0).fit([[-1.0], [1.0]], ["a", "b"])
        >>> clf.predict_distribution([[0.0], [2.0]]).mean().shape
        (2,)
        """
        raw = self._raw(self._validate_X(X))
        dist = self._label_distribution().scipy_distribution(raw)
        if self._label_binarizer.y_type_ == "binary":
            return first_column(dist)
        return dist

    def log_likelihood(self, X, y):
        """Log-probability of the observed labels, ``log p(y_i | x_i)``.

        Computed from the raw outputs (log-sigmoid or log-softmax), whatever
        the training ``distribution``: minus the per-sample log-loss.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            Summed over labels for multilabel targets.

        Examples
        --------
        >>> from sklearn_mle_nn import MLEClassifier
        >>> clf = MLEClassifier(random_state=0).fit([[-1.0], [1.0]], [0, 1])
        >>> bool((clf.log_likelihood([[-1.0], [1.0]], [0, 1]) < 0).all())
        True
        """
        check_is_fitted(self)
        X, Y = self._validate_targets(X, y, reset=False)
        return -self._label_distribution().nll(Y, self._raw(X))

    def score(self, X, y, sample_weight=None):
        """Accuracy of ``predict(X)`` against ``y``.

        Exact-match accuracy for multilabel targets. For the likelihood of
        the labels, see :meth:`log_likelihood`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            True labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        score : float
            Fraction of correctly predicted samples.

        Examples
        --------
        >>> from sklearn_mle_nn import MLEClassifier
        >>> X, y = [[-2.0], [-1.0], [1.0], [2.0]], [0, 0, 1, 1]
        >>> MLEClassifier(random_state=0).fit(X, y).score(X, y)
        1.0
        """
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _as_written(labels):
    """Labels as Python values, ``[1, 'a']``, not numpy's ``np.int64(1)``."""
    return np.asarray(labels).tolist()
