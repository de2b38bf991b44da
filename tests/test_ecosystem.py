"""The estimators in scikit-learn's ecosystem: callbacks, metadata routing,
pandas, and scale-out on dask."""

import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import MLEAutoencoder, MLEClassifier, MLERegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0}


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X)[:200], y[:200]


def _estimators():
    return [MLERegressor(**FAST), MLEClassifier(**FAST), MLEAutoencoder(**FAST)]


def _target(estimator, y):
    if isinstance(estimator, MLEAutoencoder):
        return None
    return y.astype(float) if isinstance(estimator, MLERegressor) else y


# ---- callbacks (scikit-learn >= 1.9) -------------------------------------------


def _callback_module():
    return pytest.importorskip(
        "sklearn.callback", reason="scikit-learn < 1.9 has no callback API"
    )


@pytest.mark.parametrize("estimator", _estimators(), ids=lambda e: type(e).__name__)
def test_every_epoch_is_a_task_scoring_monitor_sees(estimator, cancer):
    """ScoringMonitor records the fit and one task per epoch, with real scores."""
    callbacks = _callback_module()
    X, y = cancer
    y = _target(estimator, y)
    # The autoencoder's callbacks see X as the target: its reconstruction is scored.
    # Log-loss, not accuracy: from the linear start every epoch's network
    # classifies these rows alike.
    scoring = {"MLERegressor": "r2", "MLEClassifier": "neg_log_loss"}.get(
        type(estimator).__name__, "neg_mean_squared_error"
    )
    monitor = callbacks.ScoringMonitor(scoring=scoring)
    estimator.set_params(early_stopping=False).set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == estimator.n_iter_
    name = next(key for key in rows[0] if key not in _CONTEXT_KEYS)
    fit_row = next(row for row in rows if row["task_name"] == "fit")
    # The last epoch's snapshot and the fit's end are the fitted estimator.
    if isinstance(estimator, MLEAutoencoder):
        expected = -np.mean((estimator.predict(X) - X) ** 2)
    elif isinstance(estimator, MLEClassifier):
        expected = -log_loss(y, estimator.predict_proba(X))
    else:
        expected = estimator.score(X, y)
    assert fit_row[name] == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert epochs[-1][name] == pytest.approx(expected, rel=1e-6, abs=1e-9)
    # Earlier epochs saw earlier networks.
    assert len({round(row[name], 12) for row in epochs}) > 1


_CONTEXT_KEYS = {
    "task_id_path",
    "parent_task_id_path",
    "estimator_name",
    "task_name",
    "task_id",
    "sequential_subtasks",
}


def test_partial_fit_is_one_epoch_task(cancer):
    """partial_fit is a fit task with exactly one epoch subtask."""
    callbacks = _callback_module()
    X, y = cancer
    monitor = callbacks.ScoringMonitor(scoring="accuracy")
    clf = MLEClassifier(**FAST).set_callbacks(monitor)
    clf.partial_fit(X, y, classes=[0, 1])
    clf.partial_fit(X, y)
    names = [row["task_name"] for row in monitor.get_logs().data]
    assert names.count("epoch") == 1


def test_callback_can_stop_training(cancer):
    """A callback whose epoch hook returns True stops training after that epoch."""
    callbacks = _callback_module()

    class StopAfterTwo:
        def setup(self, estimator, context):
            self.epochs = 0

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context):
            if context.task_name == "epoch":
                self.epochs += 1
                return self.epochs >= 2
            return False

        def teardown(self, estimator, context):
            pass

    assert isinstance(StopAfterTwo(), callbacks.FitCallback)
    X, y = cancer
    clf = MLEClassifier(**{**FAST, "max_iter": 50}).set_callbacks(StopAfterTwo())
    clf.fit(X, y)
    assert clf.n_iter_ == 2


def test_without_callbacks_api_everything_else_works(monkeypatch, cancer):
    """With the callback API missing (scikit-learn < 1.9), fitting is unchanged."""
    from sklearn_mle_nn import _base, _callbacks

    X, y = cancer
    reference = MLEClassifier(**FAST).fit(X, y)
    monkeypatch.setattr(_callbacks, "CALLBACKS_AVAILABLE", False)
    assert _callbacks.epoch_tasks(None, X, y, None, 5, None).epoch_ends() is False
    without = MLEClassifier(**FAST).fit(X, y)
    for a, b in zip(reference.coefs_, without.coefs_):
        assert_array_equal(a, b)
    assert _base.BaseMLE.__mro__  # the estimators import without the API


# ---- metadata routing ------------------------------------------------------------


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_sample_weight_routed_through_pipeline(routing, cancer):
    """set_fit_request(sample_weight=True) sends the weights through a Pipeline."""
    X, y = cancer
    weights = np.random.RandomState(0).rand(len(y))
    params = {**FAST, "batch_size": len(y), "shuffle": False}
    pipe = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False),
        MLEClassifier(**params).set_fit_request(sample_weight=True),
    ).fit(X, y, sample_weight=weights)
    direct = MLEClassifier(**params).fit(
        StandardScaler().fit_transform(X), y, sample_weight=weights
    )
    unweighted = MLEClassifier(**params).fit(StandardScaler().fit_transform(X), y)
    assert_allclose(pipe[-1].coefs_[0], direct.coefs_[0])
    assert not np.allclose(pipe[-1].coefs_[0], unweighted.coefs_[0])


def test_sample_weight_routed_through_grid_search(routing, cancer):
    """GridSearchCV passes routed sample weights to fit and score."""
    X, y = cancer
    weights = np.where(y == 1, 3.0, 1.0)
    estimator = (
        MLEClassifier(**FAST)
        .set_fit_request(sample_weight=True)
        .set_score_request(sample_weight=True)
    )
    search = GridSearchCV(
        estimator, {"distribution": ["bernoulli", "gaussian"]}, cv=KFold(3)
    ).fit(X, y, sample_weight=weights)
    train, test = next(KFold(3).split(X))
    manual = (
        MLEClassifier(**FAST, distribution="bernoulli")
        .fit(X[train], y[train], sample_weight=weights[train])
        .score(X[test], y[test], sample_weight=weights[test])
    )
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(manual)


# ---- pandas ----------------------------------------------------------------------


@pytest.mark.parametrize("estimator", _estimators(), ids=lambda e: type(e).__name__)
def test_feature_names_carried_from_dataframe(estimator, cancer):
    """A DataFrame's column names become feature_names_in_ and are checked later."""
    pd = pytest.importorskip("pandas")
    X, y = cancer
    frame = pd.DataFrame(X[:, :4], columns=["a", "b", "c", "d"])
    estimator.fit(frame, _target(estimator, y))
    assert_array_equal(estimator.feature_names_in_, ["a", "b", "c", "d"])
    renamed = frame.rename(columns={"a": "z"})
    with pytest.raises(ValueError, match="feature names"):
        estimator.predict(renamed)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_autoencoder_set_output_pandas(cancer):
    """set_output(transform='pandas') gives codes as a DataFrame named by component."""
    pd = pytest.importorskip("pandas")
    X, _ = cancer
    frame = pd.DataFrame(X[:, :5], columns=list("abcde"), index=np.arange(200) + 7)
    codes = MLEAutoencoder(**FAST, n_components=3).set_output(transform="pandas")
    out = codes.fit_transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [
        "mleautoencoder0",
        "mleautoencoder1",
        "mleautoencoder2",
    ]
    assert_array_equal(out.index, frame.index)
    assert_allclose(out.to_numpy(), codes.transform(frame.to_numpy()))


# ---- dask: scale-out on existing engines -----------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip(
        "distributed", reason="the optional 'dask' extra is not installed"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with distributed.Client(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
        ) as client:
            yield client


def test_grid_search_on_dask_joblib_backend(dask_client, cancer):
    """GridSearchCV(n_jobs=-1) under joblib's dask backend gives the local results."""
    import joblib

    X, y = cancer
    grid = {"distribution": ["bernoulli", "gaussian"], "alpha": [1e-4, 1e-1]}
    local = GridSearchCV(MLEClassifier(**FAST), grid, cv=3).fit(X, y)
    with joblib.parallel_backend("dask"):
        remote = GridSearchCV(MLEClassifier(**FAST), grid, cv=3, n_jobs=-1).fit(X, y)
    assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_


def test_dask_ml_incremental_trains_by_partial_fit(dask_client, cancer):
    """dask_ml's Incremental feeds each chunk to partial_fit, one epoch per chunk."""
    da = pytest.importorskip("dask.array")
    wrappers = pytest.importorskip(
        "dask_ml.wrappers", reason="the optional 'dask' extra is not installed"
    )
    X, y = cancer
    chunks = 50
    incremental = wrappers.Incremental(
        MLEClassifier(**FAST, shuffle=False), scoring="accuracy", shuffle_blocks=False
    ).fit(
        da.from_array(X, chunks=chunks), da.from_array(y, chunks=chunks), classes=[0, 1]
    )
    manual = MLEClassifier(**FAST, shuffle=False)
    for start in range(0, len(y), chunks):
        manual.partial_fit(
            X[start : start + chunks], y[start : start + chunks], classes=[0, 1]
        )
    assert incremental.estimator_.n_iter_ == len(y) // chunks
    for a, b in zip(incremental.estimator_.coefs_, manual.coefs_):
        assert_allclose(a, b)


def test_digits_pipeline_on_dask(dask_client):
    """A whole Pipeline with the autoencoder searches on the dask backend."""
    import joblib
    from sklearn.linear_model import LogisticRegression

    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16, y[:300]
    # 16 units: both code sizes start at PCA (two units per code).
    autoencoder = MLEAutoencoder(**{**FAST, "hidden_layer_sizes": (16,)})
    pipe = make_pipeline(autoencoder, LogisticRegression(max_iter=200))
    with joblib.parallel_backend("dask"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(
            pipe, {"mleautoencoder__n_components": [2, 8]}, cv=2, n_jobs=-1
        ).fit(X, y)
    assert search.best_params_ == {"mleautoencoder__n_components": 8}


def test_fit_task_sees_the_restored_best_weights(cancer):
    """With early stopping, the fit task ends on the weights fit keeps."""
    callbacks = _callback_module()
    X, y = cancer
    monitor = callbacks.ScoringMonitor(scoring="accuracy")
    clf = MLEClassifier(
        **{**FAST, "max_iter": 40}, early_stopping=True, n_iter_no_change=2
    )
    clf.set_callbacks(monitor).fit(X, y)
    fit_row = next(row for row in monitor.get_logs().data if row["task_name"] == "fit")
    assert fit_row["accuracy"] == pytest.approx(clf.score(X, y))


def test_callbacks_are_torn_down_when_fit_fails(cancer):
    """A fit that fails after its callbacks were set up still tears them down
    (putting the estimator's attributes back removed scikit-learn's record of
    them), and the fitted model is kept."""
    _callback_module()

    class Log:
        def __init__(self):
            self.hooks = []

        def setup(self, estimator, context):
            self.hooks.append("setup")

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context):
            return False

        def teardown(self, estimator, context):
            self.hooks.append("teardown")

    X, y = cancer
    log = Log()
    clf = MLEClassifier(**FAST).fit(X, y).set_callbacks(log)
    coefs = [c.copy() for c in clf.coefs_]
    # A class of one sample: the early-stopping split fails, after set-up.
    y_singleton = np.where(np.arange(len(y)) == 0, 2, y)
    with pytest.raises(ValueError, match="only 1 member"):
        clf.set_params(early_stopping=True).fit(X, y_singleton)
    assert log.hooks == ["setup", "teardown"]
    assert not hasattr(clf, "_callback_fit_ctx")
    for kept, now in zip(coefs, clf.coefs_):
        assert_array_equal(kept, now)


# ---- a distribution's parameters need an instance ------------------------------


def test_nested_distribution_parameter_on_a_name_raises_a_clear_error(cancer):
    X, y = cancer
    search = GridSearchCV(
        MLERegressor(distribution="student_t", **FAST), {"distribution__df": [3, 10]}
    )
    with pytest.raises(
        ValueError, match=r"distribution__df.*distribution=StudentT\(\)"
    ):
        search.fit(X, y.astype(float))
    regressor = MLERegressor(distribution="gaussian")
    with pytest.raises(ValueError, match="is a name; pass an instance"):
        regressor.set_params(distribution__link="identity", alpha=1.0)
    assert regressor.alpha != 1.0  # nothing set before the error
    # A name replaced by an instance in the same call takes the parameter.
    from sklearn_mle_nn.distributions import StudentT

    regressor.set_params(distribution=StudentT(), distribution__df=3.0)
    assert regressor.distribution.df == 3.0


# ---- TransformedTargetRegressor and the spread ---------------------------------


def test_transformed_target_interval_by_its_monotone_transform(cancer):
    # The docs' recipe: TransformedTargetRegressor cannot pass return_std
    # (a spread does not transform), but the quantiles of a monotone transform
    # are the transformed quantiles.
    from scipy import stats
    from sklearn.compose import TransformedTargetRegressor

    X, _ = cancer
    rng = np.random.RandomState(0)
    y = np.exp(X[:, 0] * 0.5 + 0.3 * rng.normal(size=len(X)))
    model = TransformedTargetRegressor(
        MLERegressor(**FAST), func=np.log, inverse_func=np.exp
    ).fit(X, y)
    interval = model.transformer_.inverse_transform(
        model.regressor_.predict_interval(X, coverage=0.8)
    )
    mu = model.regressor_.predict(X)
    sigma = model.regressor_.sigma_[0]
    expected = stats.lognorm(s=sigma, scale=np.exp(mu)).ppf([[0.1], [0.9]]).T
    assert_allclose(interval, expected, rtol=1e-10)
