"""hidden_layer_sizes='auto': the depth the validation rows choose."""

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from sklearn_mle_nn import MLEAutoencoder, MLEClassifier, MLERegressor, _capacity


def _linear(n=400, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    return X, X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(size=n)


def _interaction(n=2000, seed=0):
    # A product of sines: one layer of 100 rectifiers fits it worse than two.
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    return X, 3 * np.sin(2 * X[:, 0]) * np.sin(2 * X[:, 1]) + 0.1 * rng.normal(size=n)


# --- the rule ------------------------------------------------------------------


@pytest.mark.parametrize("shift", [-0.02, 0.02])
def test_the_larger_network_needs_a_gain_above_the_margin_in_standard_errors(shift):
    rng = np.random.RandomState(1)
    smaller = rng.normal(1.0, 1.0, size=50)
    gain = rng.normal(0.0, 0.3, size=50)
    standard_error = stats.sem(gain - gain.mean() + 1)  # sem ignores the mean
    # The mean gain, one standard error plus or minus a little.
    gain = gain - gain.mean() + standard_error * (1 + shift)
    larger = smaller - gain
    assert _capacity.larger_is_better((smaller, None), (larger, None)) == (shift > 0)


def test_equal_weights_are_no_weights_and_a_weight_of_zero_drops_a_row():
    rng = np.random.RandomState(2)
    smaller = rng.normal(size=30)
    for margin in np.linspace(0, 4, 41):
        gain = rng.normal(0.3, 1.0, size=30)
        unweighted = _capacity.larger_is_better(
            (smaller, None), (smaller - gain, None), margin
        )
        weighted = _capacity.larger_is_better(
            (smaller, np.full(30, 0.7)), (smaller - gain, None), margin
        )
        expected = gain.mean() > margin * stats.sem(gain)
        assert unweighted == weighted == expected
        # A row of weight zero counts for nothing, however large its gain.
        with_outlier = np.append(gain, 1e6)
        weights = np.append(np.ones(30), 0.0)
        assert (
            _capacity.larger_is_better(
                (np.append(smaller, 0.0), weights),
                (np.append(smaller, 0.0) - with_outlier, None),
                margin,
            )
            == expected
        )


def test_a_loss_or_a_single_row_never_chooses_the_larger_network():
    assert not _capacity.larger_is_better(
        ([1.0, 2.0, 3.0], None), ([1.5, 2.5, 3.5], None)
    )
    assert not _capacity.larger_is_better(([5.0], None), ([1.0], None))


# --- the candidates share their validation rows ---------------------------------


def test_the_candidates_hold_out_the_same_rows_and_are_judged_on_them():
    X, y = _interaction(n=600)
    seed = 12345
    fits = []
    for sizes in _capacity.CANDIDATES:
        candidate = MLERegressor(hidden_layer_sizes=sizes, random_state=0, max_iter=30)
        candidate._validation_random_state = seed
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits.append(candidate.fit(X, y))
    # The rows early stopping held out: train_test_split's, for that seed.
    _, rows = train_test_split(np.arange(len(y)), test_size=0.1, random_state=seed)
    for fitted in fits:
        np.testing.assert_array_equal(fitted._validation_rows, rows)
        nll, weight = _capacity.validation_nll(fitted, X, y, None)
        assert weight is None
        np.testing.assert_allclose(nll, -fitted.log_likelihood(X[rows], y[rows]))
    weights = np.arange(len(y), dtype=float)
    assert_rows = _capacity.validation_nll(fits[0], X, y, weights)[1]
    np.testing.assert_array_equal(assert_rows, rows)


# --- the estimators --------------------------------------------------------------


def test_auto_keeps_one_layer_on_linear_data_and_two_on_an_interaction():
    kept = {}
    for name, (X, y) in {"linear": _linear(), "interaction": _interaction()}.items():
        model = MLERegressor(hidden_layer_sizes="auto", random_state=0).fit(X, y)
        kept[name] = model.hidden_layer_sizes_
        assert [c.shape[1] for c in model.coefs_[:-1]] == list(kept[name])
        assert model.hidden_layer_sizes == "auto"  # fit never changes a parameter
    assert kept == {"linear": (100,), "interaction": (100, 100)}


def test_the_deeper_network_kept_is_better_on_new_rows():
    X, y = _interaction()
    X_new, y_new = _interaction(seed=1)
    auto = MLERegressor(hidden_layer_sizes="auto", random_state=0).fit(X, y)
    shallow = MLERegressor(random_state=0).fit(X, y)
    assert auto.hidden_layer_sizes_ == (100, 100)
    assert auto.log_likelihood(X_new, y_new).mean() > (
        shallow.log_likelihood(X_new, y_new).mean() + 0.1
    )


def test_auto_is_the_candidate_the_rule_chooses():
    X, y = _interaction(n=800)
    auto = MLERegressor(hidden_layer_sizes="auto", random_state=3, max_iter=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        auto.fit(X, y)
        seed = check_random_state(3).randint(np.iinfo(np.int32).max)
        fits = []
        for sizes in _capacity.CANDIDATES:
            candidate = clone(auto).set_params(hidden_layer_sizes=sizes)
            candidate._validation_random_state = seed
            fits.append(candidate.fit(X, y))
    nll = [_capacity.validation_nll(fitted, X, y, None) for fitted in fits]
    deeper = _capacity.larger_is_better(*nll)
    expected = fits[int(deeper)]
    assert auto.hidden_layer_sizes_ == expected.hidden_layer_sizes_
    np.testing.assert_array_equal(auto.predict(X), expected.predict(X))
    assert not hasattr(auto, "_validation_rows")
    assert not hasattr(auto, "_validation_random_state")


def test_auto_classifier_chooses_on_the_validation_log_loss():
    X, y = _interaction()
    labels = (y > 0).astype(int)
    auto = MLEClassifier(
        hidden_layer_sizes="auto", early_stopping=True, random_state=0
    ).fit(X, labels)
    assert auto.hidden_layer_sizes_ == (100, 100)
    X, y = _linear()
    auto = MLEClassifier(
        hidden_layer_sizes="auto", early_stopping=True, random_state=0
    ).fit(X, y > 0)
    assert auto.hidden_layer_sizes_ == (100,)


def test_without_validation_rows_auto_fits_the_smallest_candidate_once():
    X, y = _interaction(n=300)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        auto = MLERegressor(
            hidden_layer_sizes="auto", early_stopping=False, max_iter=5, random_state=0
        ).fit(X, y)
    plain = MLERegressor(early_stopping=False, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain.fit(X, y)
    assert auto.hidden_layer_sizes_ == (100,)
    # One fit: one max_iter warning, and a word on why no depth was chosen.
    assert sum(issubclass(w.category, ConvergenceWarning) for w in caught) == 1
    (said,) = [w for w in caught if w.category is UserWarning]
    assert "early_stopping=False holds out none" in str(said.message)
    np.testing.assert_allclose(auto.predict(X), plain.predict(X))


def test_only_the_kept_networks_warnings_reach_the_user():
    X, y = _interaction(n=600)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLERegressor(hidden_layer_sizes="auto", max_iter=3, random_state=0).fit(X, y)
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert len(messages) == 1 and "Maximum iterations (3)" in messages[0]


def test_continued_training_keeps_the_chosen_depth():
    X, y = _interaction()
    auto = MLERegressor(hidden_layer_sizes="auto", random_state=0).fit(X, y)
    assert auto.hidden_layer_sizes_ == (100, 100)
    auto.set_params(warm_start=True, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        auto.fit(X, y)
        auto.partial_fit(X, y)
    assert auto.hidden_layer_sizes_ == (100, 100) and len(auto.coefs_) == 3
    # A stream has no validation rows: it starts with the smallest candidate.
    stream = MLERegressor(hidden_layer_sizes="auto", random_state=0).partial_fit(X, y)
    assert stream.hidden_layer_sizes_ == (100,)


def test_a_failed_auto_fit_leaves_the_fitted_model_as_it_was():
    X, y = _linear()
    model = MLERegressor(hidden_layer_sizes="auto", random_state=0).fit(X, y)
    before = model.predict(X)
    bad = y.copy()
    bad[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(X, bad)
    np.testing.assert_array_equal(model.predict(X), before)


def test_an_explicit_size_records_it_as_fitted():
    X, y = _linear(n=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLERegressor(hidden_layer_sizes=[7, 3], max_iter=5).fit(X, y)
    assert model.hidden_layer_sizes_ == (7, 3)


def test_the_autoencoder_has_no_auto_depth():
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLEAutoencoder(hidden_layer_sizes="auto").fit(np.random.rand(20, 3))
