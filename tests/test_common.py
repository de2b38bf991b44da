"""scikit-learn's estimator checks, over every public estimator."""

import inspect

from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_mle_nn


def _public_estimators():
    return [
        cls
        for _, cls in inspect.getmembers(sklearn_mle_nn, inspect.isclass)
        if cls.__module__.startswith("sklearn_mle_nn")
    ]


_PREDICT_IS_A_RECONSTRUCTION = (
    "MLEAutoencoder.predict returns the reconstruction, of shape (n_samples, "
    "n_features), as its API specifies; the check asserts that predict returns "
    "one target column. Sparse input itself is supported and tested in "
    "tests/test_autoencoder.py."
)


_NOISE_IS_NOT_REPETITION = (
    "A variational autoencoder trains on a fresh draw of every row's code: a "
    "row repeated twice gets two draws, a row of weight 2 one draw, so the "
    "two fits take different steps. Its weighted likelihood is tested in "
    "tests/test_variational.py (the gradient with weights, against finite "
    "differences)."
)


_PCA_START_IS_ROUNDED = (
    "The autoencoder starts at PCA's axes, computed from the weighted "
    "scatter matrix in one fit and from the repeated rows in the other: equal "
    "to 1e-15. Adam divides every step by the weight's own gradient scale, which "
    "at PCA's optimum is rounding: on these 15 rows of noise the difference "
    "can grow to 1e-6, or shift the epoch where the fit stops (whether it "
    "does depends on the rounding: the check passes for some layouts and "
    "library versions). The weighted "
    "start is tested against the start on repeated rows, and against PCA of "
    "the repeated rows, in tests/test_principal_start.py."
)


_WEIGHTS_ARE_RELATIVE = (
    "Weights are relative: they are rescaled to mean one over the samples of "
    "positive weight, so that a global rescale of sample_weight is the same "
    "fit and the penalty alpha weighs the same against the likelihood. Integer "
    "weights are then repeated rows with the penalty of as many samples as "
    "rows given, not of their sum (tested with the penalty so matched in "
    "tests/test_regressor.py::test_integer_sample_weight_equals_repeating_rows)."
)


def _expected_failed_checks(estimator):
    if type(estimator).__name__ == "MLEAutoencoder" and estimator.variational:
        return {
            "check_estimator_sparse_array": _PREDICT_IS_A_RECONSTRUCTION,
            "check_estimator_sparse_matrix": _PREDICT_IS_A_RECONSTRUCTION,
            "check_sample_weight_equivalence_on_dense_data": _NOISE_IS_NOT_REPETITION,
            "check_sample_weight_equivalence_on_sparse_data": _NOISE_IS_NOT_REPETITION,
        }
    if type(estimator).__name__ == "MLEAutoencoder":
        return {
            "check_estimator_sparse_array": _PREDICT_IS_A_RECONSTRUCTION,
            "check_estimator_sparse_matrix": _PREDICT_IS_A_RECONSTRUCTION,
            "check_sample_weight_equivalence_on_dense_data": _PCA_START_IS_ROUNDED,
            "check_sample_weight_equivalence_on_sparse_data": _PCA_START_IS_ROUNDED,
        }
    if type(estimator).__name__ in (
        "MLEClassifier",
        "MLERegressor",
        "MLEEnsembleClassifier",
        "MLEEnsembleRegressor",
    ):
        return {
            "check_sample_weight_equivalence_on_dense_data": _WEIGHTS_ARE_RELATIVE,
            "check_sample_weight_equivalence_on_sparse_data": _WEIGHTS_ARE_RELATIVE,
        }
    return {}


def _checked_instance(cls):
    if cls.__name__.startswith("MLEEnsemble"):
        # Two members keep the checks fast: the code is the same for more.
        return cls(n_estimators=2, random_state=0)
    return cls(random_state=0)


@parametrize_with_checks(
    [_checked_instance(cls) for cls in _public_estimators()]
    # The variational autoencoder trains and predicts through its own code
    # layer: it gets every check too.
    + [sklearn_mle_nn.MLEAutoencoder(variational=True, random_state=0)]
    # A depth chosen on the validation rows fits clones and takes the kept
    # one's state: every check again (the code is shared with the
    # classifier, whose choice tests/test_capacity.py checks).
    + [sklearn_mle_nn.MLERegressor(hidden_layer_sizes="auto", random_state=0)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_every_public_estimator_is_checked():
    assert {cls.__name__ for cls in _public_estimators()} == set(
        sklearn_mle_nn.__all__
    ) - {"__version__"}
