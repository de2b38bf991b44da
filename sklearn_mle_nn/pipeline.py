"""A scikit-learn Pipeline that passes the probabilistic methods through.

scikit-learn's :class:`~sklearn.pipeline.Pipeline` forwards a fixed set of
methods (``predict``, ``predict_proba``, ``score_samples``, ...) to its last
step; the methods of a predicted *distribution* (``sample``,
``predict_interval``, ``predict_distribution``, ``log_likelihood``,
``generate``) are not among them, and a subclass is the only clean way to
add them. Everything else is scikit-learn's.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn import pipeline as _sklearn_pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

__all__ = ["Pipeline", "make_pipeline"]


def _final_estimator_has(method):
    """Whether the last step has ``method`` (for ``available_if``).

    Duck-typed: any final estimator with the method qualifies, the
    ensembles and user-defined estimators as much as this package's own.
    """

    def check(self):
        # Raises the last step's own AttributeError when it lacks the method.
        getattr(self._final_estimator, method)
        return True

    return check


class Pipeline(_sklearn_pipeline.Pipeline):
    """scikit-learn's Pipeline, with the predicted distribution passed through.

    Identical to :class:`sklearn.pipeline.Pipeline` (same parameters, same
    fitting, slicing, ``set_params``, caching and metadata routing for the
    methods scikit-learn knows), plus the probabilistic methods of the last
    step, each available exactly when the last step has it:

    - ``sample``, ``predict_interval``, ``predict_distribution`` and
      ``log_likelihood`` send ``X`` through every transformer, then call the
      last step; ``log_likelihood(X, y)`` passes ``y`` unchanged (the
      transformers act on the inputs only), so its values are in the units
      of ``y``;
    - ``generate`` draws from the last step (a variational
      :class:`~sklearn_mle_nn.MLEAutoencoder`), then brings the draws back
      through the transformers' ``inverse_transform``, in reverse order, so
      that the generated data are in the units of the pipeline's input.

    ``predict(X, return_std=True)`` already reaches the last step through
    scikit-learn's Pipeline.

    Parameters
    ----------
    steps : list of tuples
        ``(name, estimator)`` pairs, as for scikit-learn's Pipeline.

    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted transformers, as for scikit-learn's Pipeline.

    transform_input : list of str, default=None
        Metadata transformed by the steps before the final one, as for
        scikit-learn's Pipeline (needs metadata routing).

    verbose : bool, default=False
        Print the time taken by each step's fit.

    Attributes
    ----------
    named_steps : :class:`~sklearn.utils.Bunch`
        The steps by name.

    classes_ : ndarray of shape (n_classes,)
        The last step's classes, for a classifier.

    n_features_in_ : int
        Number of features seen by the first step during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen by the first step during fit, when they
        are all strings.

    See Also
    --------
    make_pipeline : Build a pipeline without naming the steps.
    sklearn.pipeline.Pipeline : The parent class.

    Notes
    -----
    The added methods pass their keyword arguments (``n_samples``,
    ``random_state``, ``coverage``) to the last step only; metadata routing
    does not send anything to the transformers for them.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_mle_nn import MLERegressor
    >>> from sklearn_mle_nn.pipeline import make_pipeline
    >>> X, y = make_regression(n_samples=100, n_features=3, noise=5.0,
    ...                        random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), MLERegressor(random_state=0))
    >>> pipe = pipe.fit(X, y)
    >>> pipe.predict_interval(X[:2], coverage=0.9).shape
    (2, 2)
    >>> pipe.sample(X[:2], n_samples=5, random_state=0).shape
    (2, 5)
    >>> pipe.log_likelihood(X[:3], y[:3]).shape
    (3,)
    """

    def _transform_inputs(self, X):
        """``X`` through every step but the last."""
        check_is_fitted(self)
        for _, _, transformer in self._iter(with_final=False):
            X = transformer.transform(X)
        return X

    @available_if(_final_estimator_has("sample"))
    def sample(self, X, **params):
        """Transform ``X``, then draw from the last step's ``sample``.

        Parameters
        ----------
        X : iterable
            Inputs, as the first step takes them.

        **params : dict
            Passed to the last step's ``sample`` (``n_samples``,
            ``random_state``).

        Returns
        -------
        samples : ndarray
            The last step's draws; the draws are the last axis.
        """
        return self._final_estimator.sample(self._transform_inputs(X), **params)

    @available_if(_final_estimator_has("predict_interval"))
    def predict_interval(self, X, **params):
        """Transform ``X``, then apply the last step's ``predict_interval``.

        Parameters
        ----------
        X : iterable
            Inputs, as the first step takes them.

        **params : dict
            Passed to the last step's ``predict_interval`` (``coverage``).

        Returns
        -------
        interval : ndarray
            The last step's central intervals, in the units of ``y``.
        """
        return self._final_estimator.predict_interval(
            self._transform_inputs(X), **params
        )

    @available_if(_final_estimator_has("predict_distribution"))
    def predict_distribution(self, X, **params):
        """Transform ``X``, then apply the last step's ``predict_distribution``.

        Parameters
        ----------
        X : iterable
            Inputs, as the first step takes them.

        **params : dict
            Passed to the last step's ``predict_distribution``.

        Returns
        -------
        distribution : object
            The predicted distribution (a frozen ``scipy.stats`` object for
            this package's estimators), one per row of ``X``.
        """
        return self._final_estimator.predict_distribution(
            self._transform_inputs(X), **params
        )

    @available_if(_final_estimator_has("log_likelihood"))
    def log_likelihood(self, X, y, **params):
        """Per-sample log-likelihood of ``y`` under the last step.

        Parameters
        ----------
        X : iterable
            Inputs, as the first step takes them; they go through every
            transformer.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, passed to the last step unchanged.

        **params : dict
            Passed to the last step's ``log_likelihood``.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            ``log p(y_i | x_i)`` under the last step's predicted distribution.
        """
        return self._final_estimator.log_likelihood(
            self._transform_inputs(X), y, **params
        )

    @available_if(_final_estimator_has("generate"))
    def generate(self, n_samples=1, **params):
        """Draw new data from the last step, in the units of the input.

        The last step's draws are in the space its input had, after the
        transformers; they are brought back through each transformer's
        ``inverse_transform``, the last transformer first.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to generate.

        **params : dict
            Passed to the last step's ``generate`` (``random_state``).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features)
            Generated rows, with the columns the pipeline's first step
            takes.

        Raises
        ------
        AttributeError
            If a transformer has no ``inverse_transform``: its draws could
            not be brought back to the input's units.
        """
        check_is_fitted(self)
        transformers = [step for _, _, step in self._iter(with_final=False)]
        for transformer in transformers:
            if not hasattr(transformer, "inverse_transform"):
                raise AttributeError(
                    f"Pipeline.generate brings the last step's draws back "
                    f"through every transformer's inverse_transform, and "
                    f"{transformer!r} has none; call generate on the last "
                    "step (pipeline[-1].generate) for draws in its own input "
                    "space, or use a transformer that can be inverted."
                )
        X = self._final_estimator.generate(n_samples, **params)
        for transformer in reversed(transformers):
            X = transformer.inverse_transform(X)
        return X


def make_pipeline(*steps, memory=None, transform_input=None, verbose=False):
    """Build a :class:`Pipeline` from the estimators, named automatically.

    :func:`sklearn.pipeline.make_pipeline`, returning this package's
    :class:`Pipeline` (the probabilistic methods passed through).

    Parameters
    ----------
    *steps : list of estimators
        The transformers, then the final estimator.

    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted transformers.

    transform_input : list of str, default=None
        Metadata transformed by the steps before the final one (needs
        metadata routing).

    verbose : bool, default=False
        Print the time taken by each step's fit.

    Returns
    -------
    pipeline : Pipeline
        The steps named by their lowercase class names.

    See Also
    --------
    Pipeline : The pipeline class, with named steps.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_mle_nn import MLERegressor
    >>> from sklearn_mle_nn.pipeline import make_pipeline
    >>> make_pipeline(StandardScaler(), MLERegressor()).named_steps.keys()
    dict_keys(['standardscaler', 'mleregressor'])
    """
    named = _sklearn_pipeline.make_pipeline(
        *steps, memory=memory, transform_input=transform_input, verbose=verbose
    )
    return Pipeline(**named.get_params(deep=False))
