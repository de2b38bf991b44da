"""Export to ONNX: onnxruntime gives what predict, predict_proba and transform give."""

import builtins
import doctest
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import sklearn_mle_nn.onnx as mle_onnx
from sklearn_mle_nn import (
    MLEAutoencoder,
    MLEClassifier,
    MLEEnsembleClassifier,
    MLEEnsembleRegressor,
    MLERegressor,
)
from sklearn_mle_nn.distributions import DISTRIBUTIONS, Distribution

REASON = "the ONNX export needs the optional extra [onnx] (skl2onnx, onnxruntime)"
skl2onnx = pytest.importorskip("skl2onnx", reason=REASON)
onnxruntime = pytest.importorskip("onnxruntime", reason=REASON)

#: float32 inference against float64 predictions.
RTOL, ATOL = 1e-5, 1e-6


@pytest.fixture(scope="module", autouse=True)
def converters():
    mle_onnx.register_converters()


def _run(estimator, X, options=None):
    """The ONNX graph of ``estimator`` run by onnxruntime on ``X``."""
    onx = skl2onnx.to_onnx(estimator, X[:1], options=options)
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def _fit(estimator, X, y=None):
    with warnings.catch_warnings():
        # Short fits: the export, not the optimum, is under test.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X.astype(np.float32), y


def _regression_targets(distribution, y):
    """``y`` moved into the support of ``distribution`` (tried in order)."""
    candidates = [y, np.round(y), (y > np.median(y)).astype(float)]
    for candidate in candidates:
        try:
            distribution.check_target(candidate[:, np.newaxis])
        except ValueError:
            continue
        return candidate
    raise AssertionError(f"no targets for {distribution!r}")


#: Built-in distributions whose mean is not the link of one raw block (a
#: log-normal's exp(mu + sigma**2 / 2), a mixture's weighted means, the
#: zero-inflated counts' (1 - pi) mu): the converter refuses them by
#: name (see test_a_mean_the_converter_does_not_know_is_refused_by_name).
NOT_EXPORTED = {
    "lognormal",
    "gaussian_mixture",
    "zero_inflated_poisson",
    "zero_inflated_negative_binomial",
}

#: Built-in distributions whose mean is exported but not their spread: a
#: multivariate Gaussian's marginal standard deviations come from its whole
#: precision factor, not from one raw block (see
#: test_a_spread_the_converter_does_not_know_is_refused_by_name).
MEAN_ONLY = {"multivariate_gaussian"}


def _regressor_distributions():
    # Every built-in one that a regressor takes: a label per row is the
    # classifier's.
    return [name for name, cls in DISTRIBUTIONS.items() if not cls().one_hot_targets]


@pytest.mark.parametrize("distribution", sorted(NOT_EXPORTED))
def test_a_built_in_mean_the_converter_does_not_know_is_refused(distribution):
    X, y = _diabetes()
    y = _regression_targets(DISTRIBUTIONS[distribution](), y)
    reg = _fit(
        MLERegressor(
            hidden_layer_sizes=(4,),
            distribution=distribution,
            max_iter=5,
            random_state=0,
        ),
        X,
        y,
    )
    name = type(reg.distribution_).__name__
    with pytest.raises(NotImplementedError, match=name):
        _run(reg, X)


@pytest.mark.parametrize(
    "distribution", sorted(set(_regressor_distributions()) - NOT_EXPORTED - MEAN_ONLY)
)
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_mean_and_std(distribution, n_outputs):
    X, y = _diabetes()
    y = _regression_targets(DISTRIBUTIONS[distribution](), y)
    if n_outputs == 2:
        y = np.column_stack([y, y[::-1]])
    reg = _fit(
        MLERegressor(
            hidden_layer_sizes=(8, 4),
            activation="tanh",
            distribution=distribution,
            max_iter=30,
            random_state=0,
        ),
        X,
        y,
    )
    expected_mean, expected_std = reg.predict(X, return_std=True)
    (mean,) = _run(reg, X)
    assert mean.shape == (len(X), n_outputs)
    mean, std = _run(reg, X, options={"return_std": True})
    shape = (len(X), n_outputs)
    np.testing.assert_allclose(
        mean, expected_mean.reshape(shape), rtol=RTOL, atol=ATOL * y.std()
    )
    np.testing.assert_allclose(
        std, expected_std.reshape(shape), rtol=RTOL, atol=ATOL * y.std()
    )


@pytest.mark.parametrize("distribution", sorted(MEAN_ONLY))
def test_a_spread_the_converter_does_not_know_is_refused_by_name(distribution):
    """The mean of a multivariate Gaussian (its first raw block) is exported;
    its marginal spread, which the probes show is no form the converter
    knows, is refused with a NotImplementedError naming the class."""
    X, y = _diabetes()
    y = np.column_stack([y, y[::-1] + 0.5 * y])
    reg = _fit(
        MLERegressor(
            hidden_layer_sizes=(8,),
            activation="tanh",
            distribution=distribution,
            max_iter=30,
            random_state=0,
        ),
        X,
        y,
    )
    (mean,) = _run(reg, X)
    np.testing.assert_allclose(mean, reg.predict(X), rtol=RTOL, atol=ATOL * y.std())
    name = type(reg.distribution_).__name__
    with pytest.raises(NotImplementedError, match=f"spread of the distribution {name}"):
        _run(reg, X, options={"return_std": True})


def test_calibrated_spread_of_a_heteroscedastic_gaussian():
    # Early stopping calibrates a factor on sigma(x) that the graph keeps.
    X, y = _diabetes()
    reg = _fit(
        MLERegressor(
            distribution="heteroscedastic_gaussian",
            early_stopping=True,
            max_iter=30,
            random_state=0,
            # From here training overfits its spread, which the factor
            # corrects (from the linear start it needs none: factor 1).
            start="intercept_only",
        ),
        X,
        y,
    )
    assert np.all(reg.distribution_.spread_factor_ > 1.001)
    _, std = _run(reg, X, options={"return_std": True})
    np.testing.assert_allclose(
        std.ravel(), reg.predict(X, return_std=True)[1], rtol=RTOL
    )


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_every_hidden_activation_and_a_squashing_link(activation):
    X, y = _diabetes()
    reg = _fit(
        MLERegressor(
            hidden_layer_sizes=(6,),
            activation=activation,
            out_activation="logistic",
            max_iter=20,
            random_state=0,
        ),
        X,
        (y - y.min()) / np.ptp(y),
    )
    (mean,) = _run(reg, X)
    np.testing.assert_allclose(mean.ravel(), reg.predict(X), rtol=RTOL, atol=ATOL)


def test_double_inputs_give_double_precision():
    X, y = load_diabetes(return_X_y=True)
    reg = _fit(MLERegressor(max_iter=20, random_state=0), X, y)
    mean, std = _run(reg, X, options={"return_std": True})
    assert mean.dtype == np.float64
    expected_mean, expected_std = reg.predict(X, return_std=True)
    np.testing.assert_allclose(mean.ravel(), expected_mean, rtol=1e-12)
    np.testing.assert_allclose(std.ravel(), expected_std, rtol=1e-12)


def test_model_fitted_on_sparse_inputs():
    # Sparse inputs are scaled, not centred, in training; the scaling is
    # folded into the first layer as for dense ones.
    X, y = _diabetes()
    X = X - X.min(axis=0)
    X[X < np.median(X, axis=0)] = 0
    reg = _fit(MLERegressor(max_iter=20, random_state=0), sp.csr_matrix(X), y)
    (mean,) = _run(reg, X)
    np.testing.assert_allclose(
        mean.ravel(), reg.predict(sp.csr_matrix(X)), rtol=RTOL, atol=ATOL * y.std()
    )


def _iris_targets():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    return X.astype(np.float32), {
        "binary": (y == 2).astype(int),
        "binary-strings": names[1:][(y == 2).astype(int)],
        "multiclass": y,
        "multiclass-strings": names[y],
        "multilabel": np.column_stack([y == 0, y == 2, X[:, 0] > 5.8]).astype(int),
    }


@pytest.mark.parametrize(
    "target",
    ["binary", "binary-strings", "multiclass", "multiclass-strings", "multilabel"],
)
@pytest.mark.parametrize("distribution", ["bernoulli", "gaussian"])
def test_classifier_labels_and_probabilities(target, distribution):
    X, targets = _iris_targets()
    clf = _fit(
        MLEClassifier(distribution=distribution, max_iter=30, random_state=0),
        X,
        targets[target],
    )
    label, proba = _run(clf, X, options={"zipmap": False})
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(label, clf.predict(X))


@pytest.mark.parametrize("distribution", ["gaussian", "bernoulli"])
@pytest.mark.parametrize("variational", [False, True])
def test_autoencoder_transform(distribution, variational):
    X, _ = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    ae = _fit(
        MLEAutoencoder(
            hidden_layer_sizes=(6,),
            activation="tanh",
            distribution=distribution,
            variational=variational,
            max_iter=20,
            random_state=0,
        ),
        X,
    )
    X32 = X.astype(np.float32)
    (code,) = _run(ae, X32)
    assert code.shape == (len(X), 2)
    np.testing.assert_allclose(code, ae.transform(X), rtol=RTOL, atol=ATOL)


def test_ensembles():
    X, y = _diabetes()
    reg = _fit(MLEEnsembleRegressor(MLERegressor(max_iter=20), n_estimators=3), X, y)
    mean, std = _run(reg, X, options={"return_std": True})
    expected_mean, expected_std = reg.predict(X, return_std=True)
    np.testing.assert_allclose(mean.ravel(), expected_mean, rtol=RTOL)
    np.testing.assert_allclose(std.ravel(), expected_std, rtol=RTOL)

    X, targets = _iris_targets()
    for target in ("binary", "multiclass-strings", "multilabel"):
        clf = _fit(
            MLEEnsembleClassifier(MLEClassifier(max_iter=20), n_estimators=3),
            X,
            targets[target],
        )
        label, proba = _run(clf, X, options={"zipmap": False})
        np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=RTOL, atol=ATOL)
        np.testing.assert_array_equal(label, clf.predict(X))


def _mixed_columns():
    """Two numeric columns and one of category codes, and a target."""
    X, y = _diabetes()
    # The sex column of the diabetes data holds two codes.
    codes = np.unique(X[:, 1], return_inverse=True)[1].astype(np.float32)
    return np.column_stack([X[:, [0, 2]], codes]), y


@pytest.mark.parametrize(
    "final", ["regressor", "classifier", "autoencoder"], ids=lambda name: name
)
def test_inside_a_pipeline(final):
    X, y = _mixed_columns()
    columns = ColumnTransformer(
        [
            ("numbers", StandardScaler(), [0, 1]),
            ("codes", OneHotEncoder(sparse_output=False), [2]),
        ]
    )
    if final == "regressor":
        pipe = _fit(make_pipeline(columns, MLERegressor(max_iter=20)), X, y)
        mean, std = _run(pipe, X, options={MLERegressor: {"return_std": True}})
        expected_mean, expected_std = pipe.predict(X, return_std=True)
        np.testing.assert_allclose(mean.ravel(), expected_mean, rtol=RTOL)
        np.testing.assert_allclose(std.ravel(), expected_std, rtol=RTOL)
    elif final == "classifier":
        labels = np.array(["low", "middle", "high"])[np.digitize(y, [100, 200])]
        pipe = _fit(make_pipeline(columns, MLEClassifier(max_iter=20)), X, labels)
        label, proba = _run(pipe, X, options={MLEClassifier: {"zipmap": False}})
        np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=RTOL, atol=ATOL)
        np.testing.assert_array_equal(label, pipe.predict(X))
    else:
        pipe = _fit(
            make_pipeline(
                columns, MLEAutoencoder(max_iter=20), MLERegressor(max_iter=20)
            ),
            X,
            y,
        )
        (mean,) = _run(pipe, X)
        np.testing.assert_allclose(mean.ravel(), pipe.predict(X), rtol=RTOL)


class Exponential(Distribution):
    """``y ~ loc + Exponential(mean exp(raw))``: a user's own likelihood."""

    canonical_link = "exp"
    links = ("exp",)
    support = "numbers above loc"

    def __init__(self, loc=0.0, link=None):
        super().__init__(link=link)
        self.loc = loc

    def nll(self, y, raw):
        return np.sum((y - self.loc) * np.exp(-raw) + raw, axis=1)

    def gradient(self, y, raw, out=None):
        return 1 - (y - self.loc) * np.exp(-raw)

    def mean(self, raw):
        return self.loc + np.exp(raw)

    def scipy_distribution(self, raw):
        return stats.expon(loc=self.loc, scale=np.exp(raw))


def test_a_distribution_of_ones_own():
    # Its mean is the exp link of the raw output and its variance the
    # square of the mean: both are read from it, not from a list of names.
    X, y = _diabetes()
    reg = _fit(MLERegressor(distribution=Exponential(), max_iter=20), X, y)
    mean, std = _run(reg, X, options={"return_std": True})
    expected_mean, expected_std = reg.predict(X, return_std=True)
    np.testing.assert_allclose(mean.ravel(), expected_mean, rtol=RTOL)
    np.testing.assert_allclose(std.ravel(), expected_std, rtol=RTOL)


def test_a_mean_of_another_form_is_refused_by_name():
    # Shifted, the mean is no longer the link of the raw output (as a
    # lognormal's exp(mu + sigma**2 / 2) is not): no graph rather than a
    # wrong one.
    X, y = _diabetes()
    reg = _fit(MLERegressor(distribution=Exponential(loc=-1.0), max_iter=20), X, y)
    with pytest.raises(
        NotImplementedError, match="mean of the distribution Exponential"
    ):
        skl2onnx.to_onnx(reg, X[:1])


def test_a_spread_of_another_form_is_refused_by_name():
    class CubicVariance(Distribution):
        canonical_link = "exp"
        links = ("exp",)

        def std(self, raw):
            return self.mean(raw) ** 1.5

    with pytest.raises(NotImplementedError, match="CubicVariance"):
        mle_onnx._spread_form(CubicVariance(), n_targets=2)


def test_docstring_example():
    # The main test run lacks the extra and does not collect this module's
    # doctests; this runs them wherever the extra is installed.
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(mle_onnx.register_converters, globs={}):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0
    assert results.failed == 0


def test_missing_extra_is_named(monkeypatch):
    real_import = builtins.__import__

    def without_skl2onnx(name, *args, **kwargs):
        if name.split(".")[0] == "skl2onnx":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_skl2onnx)
    with pytest.raises(ImportError, match=r"pip install sklearn-mle-nn\[onnx\]"):
        mle_onnx.register_converters()
