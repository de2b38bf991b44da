"""The claims of docs/saving.rst, so that the page cannot silently go stale.

The page's ``>>>`` examples run as written (outputs included); the tests
below check its other statements: round trips keep every prediction, the
untrusted types are the ones its table lists, training continues from the
loaded weights, and the version checks behave as described.
"""

import copy
import doctest
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import skops.io
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, InconsistentVersionWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_mle_nn._persistence
from conftest import ROUND_TRIPS
from sklearn_mle_nn import MLEAutoencoder, MLEClassifier, MLERegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PAGE = Path(__file__).resolve().parents[1] / "docs" / "saving.rst"

X, LABELS = load_iris(return_X_y=True)
TARGET = X[:, 3]
FEATURES = X[:, :3]


def _untrusted(estimator):
    return skops.io.get_untrusted_types(data=skops.io.dumps(estimator))


def _table_row(estimator_name):
    """The untrusted types the page's table lists in one row."""
    text = PAGE.read_text()
    table = text[text.index(".. list-table:: ``skops.io.get_untrusted_types``") :]
    row = re.search(
        rf"\* - {re.escape(estimator_name)}\n(.*?)(?=\n   \* - |\n\n)", table, re.DOTALL
    )
    assert row is not None, f"no row for {estimator_name} in the page's table"
    return set(re.findall(r"``(sklearn_mle_nn\.[\w.]+)``", row.group(1)))


def _listed(estimator):
    """The page's list for a fitted ``estimator``: its row and its solver's class."""
    text = PAGE.read_text()
    optimizers = dict(
        (solver, name)
        for name, solver in re.findall(
            r"``(sklearn_mle_nn\._optimizers\.\w+)`` with ``solver='(\w+)'``", text
        )
    )
    assert set(optimizers.values()) == _table_row("and every one of them")
    return _table_row(f"``{type(estimator).__name__}()``") | {
        optimizers[estimator.solver]
    }


# ---- the page's examples, as written -------------------------------------------


def test_page_examples_run_as_written(tmp_path, monkeypatch):
    """Every ``>>>`` example of the page runs and prints what the page shows."""
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        failures, attempted = doctest.testfile(
            str(PAGE),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            verbose=False,
            report=True,
        )
    assert attempted > 20
    assert failures == 0


# ---- round trips keep every prediction ----------------------------------------

FITTED = [
    pytest.param(lambda: MLERegressor(random_state=0).fit(FEATURES, TARGET), id="reg"),
    pytest.param(lambda: MLEClassifier(random_state=0).fit(X, LABELS), id="clf"),
    pytest.param(lambda: MLEAutoencoder(random_state=0).fit(X), id="autoencoder"),
]


def _outputs(estimator):
    data = FEATURES if isinstance(estimator, MLERegressor) else X
    outputs = {
        "predict": estimator.predict(data),
        "sample": estimator.sample(data, n_samples=3, random_state=0),
    }
    if isinstance(estimator, MLEClassifier):
        outputs["predict_proba"] = estimator.predict_proba(data)
    if isinstance(estimator, MLEAutoencoder):
        outputs["transform"] = estimator.transform(data)
    return outputs


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("make", FITTED)
def test_round_trip_gives_identical_predictions(round_trip, make):
    """pickle, joblib and skops give back a model that predicts bit for bit."""
    estimator = make()
    loaded = round_trip(estimator)
    expected, actual = _outputs(estimator), _outputs(loaded)
    for key in expected:
        assert_array_equal(actual[key], expected[key], err_msg=key)


# ---- skops: the untrusted types are the ones the page lists ----------------------


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize(
    "estimator, fit_args, dropped",
    [
        (MLERegressor(max_iter=5), (FEATURES, TARGET), set()),
        (
            MLEClassifier(max_iter=5),
            (X, LABELS),
            {"sklearn_mle_nn.distributions.Bernoulli"},
        ),
        (
            MLEClassifier(max_iter=5),
            (X, LABELS == 1),
            {"sklearn_mle_nn.distributions.Categorical"},
        ),
        (
            MLEClassifier(max_iter=5),
            (X, np.c_[LABELS == 1, LABELS == 2]),
            {"sklearn_mle_nn.distributions.Categorical"},
        ),
        (MLEAutoencoder(max_iter=5), (X,), set()),
    ],
    ids=["regressor", "multiclass", "binary", "multilabel", "autoencoder"],
)
def test_untrusted_types_are_the_ones_the_page_lists(
    estimator, fit_args, dropped, solver
):
    """The table's row, minus the alternative that does not apply, exactly."""
    estimator = clone(estimator).set_params(solver=solver)
    listed = _listed(estimator)
    assert dropped <= listed
    assert set(_untrusted(estimator.fit(*fit_args))) == listed - dropped


def test_default_estimators_list_what_the_page_shows():
    """With every default (the page's table heads), the lists are exact."""
    for estimator, fit_args in [
        (MLERegressor(), (FEATURES, TARGET)),
        (MLEClassifier(), (X, LABELS)),
        (MLEAutoencoder(), (X,)),
    ]:
        estimator.set_params(max_iter=5)
        listed = _listed(estimator) - {"sklearn_mle_nn.distributions.Bernoulli"}
        assert set(_untrusted(estimator.fit(*fit_args))) == listed


@pytest.mark.parametrize(
    "estimator, fit_args",
    [
        (MLEAutoencoder(max_iter=5, distribution="bernoulli"), (X / X.max(),)),
        (
            MLERegressor(max_iter=5, distribution="bernoulli"),
            (FEATURES, TARGET / TARGET.max()),
        ),
    ],
    ids=["autoencoder", "regressor"],
)
def test_bernoulli_replaces_gaussian_as_the_page_says(estimator, fit_args):
    """``distribution='bernoulli'`` swaps the distribution's class, nothing else."""
    listed = _listed(estimator)
    expected = (listed - {"sklearn_mle_nn.distributions.Gaussian"}) | {
        "sklearn_mle_nn.distributions.Bernoulli"
    }
    assert set(_untrusted(estimator.fit(*fit_args))) == expected


def test_a_pipeline_adds_no_untrusted_type():
    """skops trusts scikit-learn's classes: a pipeline lists the estimator's only."""
    clf = MLEClassifier(max_iter=5, random_state=0)
    pipeline = make_pipeline(StandardScaler(), clf).fit(X, LABELS)
    alone = _untrusted(MLEClassifier(max_iter=5, random_state=0).fit(X, LABELS))
    assert _untrusted(pipeline) == alone
    assert all(name.startswith("sklearn_mle_nn.") for name in alone)


# ---- continuing training after loading -------------------------------------------


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_partial_fit_after_loading_starts_from_the_loaded_weights(round_trip):
    """One full-batch epoch after loading: its loss is the loaded model's NLL.

    With one batch per epoch and no penalty, the loss ``partial_fit`` records
    for its epoch is the mean NLL at the weights it starts from, which
    ``log_likelihood`` gives independently; a fresh start would differ.
    """
    clf = MLEClassifier(
        alpha=0, batch_size=len(X), max_iter=30, random_state=0, shuffle=False
    ).fit(X, LABELS)
    loaded = round_trip(clf)
    loaded_nll = -loaded.log_likelihood(X, LABELS).mean()
    fresh_nll = -np.log(1 / 3)
    assert abs(loaded_nll - fresh_nll) > 0.1
    loaded.partial_fit(X, LABELS)
    assert loaded.n_iter_ == clf.n_iter_ + 1
    assert_allclose(loaded.loss_curve_[-1], loaded_nll, rtol=1e-10)


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
@pytest.mark.parametrize("method", ["partial_fit", "warm_start"])
def test_continued_training_is_the_one_the_saved_model_would_have_had(
    round_trip, method
):
    """Saving in between changes nothing: same weights, same loss history."""
    clf = MLEClassifier(max_iter=10, random_state=0).fit(X, LABELS)
    loaded, never_saved = round_trip(clf), copy.deepcopy(clf)
    for model in (loaded, never_saved):
        if method == "partial_fit":
            model.partial_fit(X, LABELS)
        else:
            model.set_params(warm_start=True, max_iter=5).fit(X, LABELS)
    assert loaded.loss_curve_ == never_saved.loss_curve_
    assert len(loaded.loss_curve_) > len(clf.loss_curve_)
    for a, b in zip(
        loaded.coefs_ + loaded.intercepts_, never_saved.coefs_ + never_saved.intercepts_
    ):
        assert_array_equal(a, b)


# ---- across versions ---------------------------------------------------------------


def _saved_by(monkeypatch, estimator, round_trip_dump, **module_attributes):
    """Dump ``estimator`` as if by another version of a package."""
    with monkeypatch.context() as patch:
        for target, value in module_attributes.items():
            patch.setattr(target, value)
        return round_trip_dump(estimator)


DUMPS_AND_LOADS = [
    pytest.param(pickle.dumps, pickle.loads, id="pickle"),
    pytest.param(
        skops.io.dumps,
        lambda data: skops.io.loads(
            data, trusted=skops.io.get_untrusted_types(data=data)
        ),
        id="skops",
    ),
]


@pytest.mark.parametrize("dumps, loads", DUMPS_AND_LOADS)
def test_another_version_same_format_loads_with_a_warning(monkeypatch, dumps, loads):
    """The UserWarning names both versions; the model predicts as saved."""
    clf = MLEClassifier(max_iter=5, random_state=0).fit(X, LABELS)
    data = _saved_by(
        monkeypatch, clf, dumps, **{"sklearn_mle_nn._persistence.__version__": "0.0.1"}
    )
    current = re.escape(sklearn_mle_nn._persistence.__version__)
    with pytest.warns(
        UserWarning, match=rf"saved by sklearn_mle_nn 0\.0\.1.*{current}"
    ):
        loaded = loads(data)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("dumps, loads", DUMPS_AND_LOADS)
def test_another_state_format_raises(monkeypatch, dumps, loads):
    """A ValueError names both versions."""
    clf = MLEClassifier(max_iter=5, random_state=0).fit(X, LABELS)
    data = _saved_by(
        monkeypatch,
        clf,
        dumps,
        **{
            "sklearn_mle_nn._persistence.__version__": "9.0.0",
            "sklearn_mle_nn._persistence.STATE_FORMAT": 99,
        },
    )
    current = re.escape(sklearn_mle_nn._persistence.__version__)
    with pytest.raises(ValueError, match=rf"(?s)9\.0\.0.*{current}"):
        loads(data)


def test_inconsistent_version_warning_is_scikit_learns_classes_only(monkeypatch):
    """A pipeline from another scikit-learn warns; this package's regressor does not."""
    reg = MLERegressor(max_iter=5, random_state=0).fit(FEATURES, TARGET)
    pipeline = make_pipeline(StandardScaler(), reg).fit(FEATURES, TARGET)
    old = {"sklearn.base.__version__": "0.99.0"}
    pipeline_data = _saved_by(monkeypatch, pipeline, pickle.dumps, **old)
    estimator_data = _saved_by(monkeypatch, reg, pickle.dumps, **old)
    with pytest.warns(InconsistentVersionWarning) as record:
        pickle.loads(pipeline_data)
    assert {w.message.original_sklearn_version for w in record} == {"0.99.0"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.loads(estimator_data)


def test_the_pages_filters_refuse_both_kinds_of_other_version(monkeypatch):
    """The page's two ``warnings`` filters make each warning an error."""
    clf = MLEClassifier(max_iter=5, random_state=0).fit(X, LABELS)
    pipeline = make_pipeline(StandardScaler(), clf).fit(X, LABELS)
    files = [
        _saved_by(
            monkeypatch,
            clf,
            pickle.dumps,
            **{"sklearn_mle_nn._persistence.__version__": "0.0.1"},
        ),
        _saved_by(
            monkeypatch,
            pipeline,
            pickle.dumps,
            **{"sklearn.base.__version__": "0.99.0"},
        ),
    ]
    for data, error in zip(files, [UserWarning, InconsistentVersionWarning]):
        with warnings.catch_warnings():
            warnings.simplefilter("error", InconsistentVersionWarning)
            warnings.filterwarnings("error", message=".*saved by sklearn_mle_nn")
            with pytest.raises(error):
                pickle.loads(data)
    # Same versions: the filters let the file load.
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        warnings.filterwarnings("error", message=".*saved by sklearn_mle_nn")
        pickle.loads(pickle.dumps(pipeline))
