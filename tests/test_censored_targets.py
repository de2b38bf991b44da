"""Right-censored survival times: scikit-survival's structured y in
MLERegressor, for the likelihoods of positive times.

An event contributes its density, a censored time its survival function
``P(Y > t)``. The references are scipy's ``logpdf`` and ``logsf``, finite
differences, numeric minimisers and a concordance index counted pair by
pair; scikit-survival, an optional extra, is only a second reference.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import itertools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, stats
from scipy.special import gammaincc, gammaln
from sklearn.exceptions import ConvergenceWarning

from sklearn_mle_nn import MLERegressor
from sklearn_mle_nn.distributions import DISTRIBUTIONS, _log_gamma_sf
from sklearn_mle_nn.metrics import concordance_index

SURVIVAL = ["lognormal", "gamma", "weibull"]
CONSTANTS = {"lognormal": 0.7, "gamma": 2.5, "weibull": 1.6}


def _reference(name, raw, constant):
    """The frozen scipy distribution at ``raw``, written from the docs."""
    if name == "lognormal":
        return stats.lognorm(constant, scale=np.exp(raw))
    if name == "gamma":
        return stats.gamma(constant, scale=np.exp(raw) / constant)
    return stats.weibull_min(constant, scale=np.exp(raw - gammaln(1 + 1 / constant)))


def _censored_sample(seed, n=300, k=2):
    """Times, events and raw outputs: about 40% of the rows censored."""
    rng = np.random.RandomState(seed)
    time = rng.lognormal(0.3, 0.8, (n, k))
    event = rng.uniform(size=(n, k)) < 0.6
    raw = rng.uniform(-0.5, 1.0, (n, k))
    return time, event, raw


def _fitted(name, constant, k=2):
    dist = DISTRIBUTIONS[name]().with_censoring()
    setattr(dist, dist.constant_attribute, np.full(k, constant))
    return dist


def _structured(event, time, names=("event", "time")):
    y = np.empty(len(time), dtype=[(names[0], bool), (names[1], float)])
    y[names[0]], y[names[1]] = event, time
    return y


@pytest.mark.parametrize("name", SURVIVAL)
def test_censored_nll_is_minus_logpdf_of_events_and_logsf_of_the_rest(name):
    time, event, raw = _censored_sample(0)
    dist = _fitted(name, CONSTANTS[name])
    frozen = _reference(name, raw, CONSTANTS[name])
    expected = np.where(event, frozen.logpdf(time), frozen.logsf(time)).sum(axis=1)
    y = np.where(event, time, -time)
    assert_allclose(dist.nll(y, raw), -expected, rtol=1e-10)
    assert_allclose(dist.log_likelihood(y, raw), expected, rtol=1e-10)
    # A plain copy refuses the encoded times: a negative y is no time.
    with pytest.raises(ValueError, match="needs targets > 0"):
        dist.with_censoring(False).check_target(y)
    dist.check_target(y)


@pytest.mark.parametrize("fitted", [False, True], ids=["training", "fitted"])
@pytest.mark.parametrize("name", SURVIVAL)
def test_censored_gradient_matches_finite_differences(name, fitted):
    time, event, raw = _censored_sample(1)
    y = np.where(event, time, -time)
    dist = _fitted(name, CONSTANTS[name]) if fitted else DISTRIBUTIONS[name]()
    dist = dist.with_censoring()
    step = 1e-6
    numeric = np.empty_like(raw)
    for j in range(raw.shape[1]):
        shift = np.zeros_like(raw)
        shift[:, j] = step
        numeric[:, j] = (dist.nll(y, raw + shift) - dist.nll(y, raw - shift)) / (
            2 * step
        )
    assert_allclose(dist.gradient(y, raw), numeric, rtol=1e-5, atol=1e-7)
    buffer = np.full_like(raw, np.nan)
    total = dist.nll_and_gradient(y, raw, buffer)
    assert_allclose(buffer, numeric, rtol=1e-5, atol=1e-7)
    assert_allclose(total, dist.nll(y, raw).sum())


def test_gamma_survival_function_stays_finite_far_in_the_tail():
    """Beyond where Q(a, x) underflows the asymptotic series takes over:
    it agrees with log Q where Q is still representable and its gradient
    stays finite (a censored time far beyond the mean)."""
    a = np.array([0.5, 2.5, 7.0])
    for x in (600.0, 650.0):
        assert_allclose(_log_gamma_sf(a, x), np.log(gammaincc(a, x)), rtol=1e-5)
    far = _log_gamma_sf(a, 1e4)
    assert np.all(np.isfinite(far)) and np.all(far < -9000)
    dist = _fitted("gamma", 2.5, k=1)
    y, raw = np.array([[-1e4]]), np.array([[0.0]])
    assert np.isfinite(dist.gradient(y, raw)).all()


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", SURVIVAL)
def test_censored_intercept_only_model_is_the_best_constant_model(name, weighted):
    """On censored targets the intercept-only model fits its raw output and
    its constant together (training then holds that constant): no pair that
    Nelder-Mead finds on scipy's logpdf and logsf is better."""
    time, event, _ = _censored_sample(2, n=400, k=1)
    y = np.where(event, time, -time)
    weight = np.random.RandomState(3).uniform(0.2, 2.0, len(y)) if weighted else None
    dist = DISTRIBUTIONS[name]().with_censoring()
    raw = dist.intercept_only_raw(y, weight)[0, 0]
    constant = dist._training_constant[0]

    def mean_nll(point):
        frozen = _reference(name, point[0], np.exp(point[1]))
        log = np.where(event[:, 0], frozen.logpdf(time[:, 0]), frozen.logsf(time[:, 0]))
        return -np.average(log, weights=weight)

    best = optimize.minimize(
        mean_nll,
        [0.5, 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-13, "maxfev": 20_000},
    )
    assert mean_nll([raw, np.log(constant)]) <= best.fun + 1e-8
    # Later calls (the training rows without the validation rows) keep the
    # constant and fit the raw output at it.
    dist.intercept_only_raw(y[:200], None if weight is None else weight[:200])
    assert dist._training_constant[0] == constant
    assert dist.raw_curvature(y) > 0


@pytest.mark.parametrize("name", SURVIVAL)
def test_censored_fit_constants_maximise_the_censored_likelihood(name):
    time, event, raw = _censored_sample(4)
    y = np.where(event, time, -time)
    weight = np.random.RandomState(5).uniform(0.2, 2.0, len(y))
    dist = DISTRIBUTIONS[name]().with_censoring().fit_constants(y, raw, weight)
    fitted = dist.estimator_attributes()
    (value,) = fitted.values()
    for j in range(2):

        def mean_nll(log_constant, j=j):
            frozen = _reference(name, raw[:, j], np.exp(log_constant))
            log = np.where(
                event[:, j], frozen.logpdf(time[:, j]), frozen.logsf(time[:, j])
            )
            return -np.average(log, weights=weight)

        best = optimize.minimize_scalar(
            mean_nll, bounds=(-5, 5), method="bounded", options={"xatol": 1e-10}
        )
        assert_allclose(value[j], np.exp(best.x), rtol=1e-5)


@pytest.mark.parametrize("name", SURVIVAL)
def test_censored_integer_weights_are_repeated_rows(name):
    time, event, raw = _censored_sample(6, n=60, k=1)
    y = np.where(event, time, -time)
    weight = np.random.RandomState(7).randint(0, 4, len(y))
    repeated = np.repeat(np.arange(len(y)), weight)
    dist = DISTRIBUTIONS[name]().with_censoring()
    weighted = dist.with_censoring()
    assert_allclose(
        weighted.intercept_only_raw(y, weight.astype(float)),
        dist.intercept_only_raw(y[repeated]),
        rtol=1e-6,
    )
    assert_allclose(weighted._training_constant, dist._training_constant, rtol=1e-5)
    assert_allclose(
        weighted.fit_constants(y, raw, weight.astype(float)).estimator_attributes()[
            dist.constant_attribute if name != "lognormal" else "sigma_"
        ],
        dist.fit_constants(y[repeated], raw[repeated]).estimator_attributes()[
            dist.constant_attribute if name != "lognormal" else "sigma_"
        ],
        rtol=1e-6,
    )


# ---- the estimator -----------------------------------------------------------


def _weibull_survival_data(seed, n=2000, shape=1.5):
    """Weibull times whose scale depends on x, censored about 40% of the
    time by independent exponential censoring times; the true median."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1.0, 1.0, (n, 2))
    scale = np.exp(1.0 + X[:, 0] - 0.5 * X[:, 1])
    event_time = scale * rng.weibull(shape, n)
    censoring_time = rng.exponential(np.exp(1.6), n)
    event = event_time <= censoring_time
    time = np.minimum(event_time, censoring_time)
    return X, _structured(event, time), scale * np.log(2) ** (1 / shape)


@pytest.mark.parametrize("name", SURVIVAL)
def test_censored_fit_recovers_the_median_where_a_plain_fit_is_far_off(name):
    """On 2000 rows with about 40% censored, the median survival time that
    each family predicts is within 10% of the truth for the typical row
    (measured: 4.8% Weibull, 6.1% log-normal, 3.3% gamma), where the same
    times fitted as if observed are off by more than 30% (39%, 49%, 41%):
    a censored time is only a lower bound. The Weibull, the true family,
    recovers its shape 1.5 within 10% (1.49)."""
    X, y, true_median = _weibull_survival_data(0)
    assert 0.35 < 1 - y["event"].mean() < 0.45
    params = {"distribution": name, "hidden_layer_sizes": (), "random_state": 0}
    censored = MLERegressor(**params).fit(X, y)
    plain = MLERegressor(**params).fit(X, y["time"])

    def typical_error(reg):
        median = reg.predict_distribution(X).median()
        return np.median(np.abs(median / true_median - 1))

    assert typical_error(censored) < 0.1
    assert typical_error(plain) > 0.3
    if name == "weibull":
        assert abs(censored.shape_[0] - 1.5) < 0.15
    # The survival function is scipy's: sf(median) is one half.
    median = censored.predict_distribution(X[:5]).median()
    assert_allclose(censored.predict_distribution(X[:5]).sf(median), 0.5)


def test_log_likelihood_and_score_of_survival_data():
    """log_likelihood on structured y is logpdf of the events and logsf of the
    censored rows of predict_distribution, whether the model was fitted on
    censored or on plain times; score is the concordance index of the risk
    -predict(X), as scikit-survival's estimators' score is."""
    X, y, _ = _weibull_survival_data(1, n=600)
    params = {"distribution": "weibull", "hidden_layer_sizes": (), "random_state": 0}
    for reg in (
        MLERegressor(**params).fit(X, y),
        MLERegressor(**params).fit(X, y["time"]),
    ):
        frozen = reg.predict_distribution(X)
        expected = np.where(
            y["event"], frozen.logpdf(y["time"]), frozen.logsf(y["time"])
        )
        assert_allclose(reg.log_likelihood(X, y), expected, rtol=1e-6)
        assert_allclose(
            reg.log_likelihood(X, y["time"]), frozen.logpdf(y["time"]), rtol=1e-6
        )
        score = reg.score(X, y)
        assert score == concordance_index(y["event"], y["time"], -reg.predict(X))
        assert 0.7 < score < 1.0
        # R² for plain targets, as before.
        assert reg.score(X, y["time"]) < 1.0


def test_any_field_names_and_integer_times_are_accepted():
    X, y, _ = _weibull_survival_data(2, n=300)
    renamed = _structured(y["event"], y["time"], names=("Status", "Survival_in_days"))
    params = {"distribution": "weibull", "hidden_layer_sizes": (), "random_state": 0}
    a = MLERegressor(**params).fit(X, y)
    b = MLERegressor(**params).fit(X, renamed)
    assert_allclose(a.predict(X), b.predict(X))
    days = np.empty(len(y), dtype=[("event", bool), ("days", np.int64)])
    days["event"], days["days"] = y["event"], np.ceil(y["time"] * 10)
    assert np.all(np.isfinite(MLERegressor(**params).fit(X, days).predict(X)))


@pytest.mark.parametrize("name", ["gaussian", "poisson", "student_t", "bernoulli"])
def test_likelihoods_without_a_survival_function_refuse_censored_y(name):
    X, y, _ = _weibull_survival_data(3, n=100)
    reg = MLERegressor(distribution=name)
    with pytest.raises(ValueError, match=f"distribution='{name}' cannot fit censored"):
        reg.fit(X, y)
    assert not hasattr(reg, "coefs_") and not hasattr(reg, "n_features_in_")


@pytest.mark.parametrize(
    "dtype, match",
    [
        ([("time", float), ("event", bool)], "boolean event indicator first"),
        ([("event", bool), ("time", float), ("x", float)], "two fields"),
        ([("event", np.int64), ("time", float)], "boolean event indicator first"),
    ],
)
def test_structured_y_that_is_not_survival_data_is_refused(dtype, match):
    y = np.zeros(10, dtype=dtype)
    with pytest.raises(ValueError, match=match):
        MLERegressor(distribution="weibull").fit(np.zeros((10, 1)), y)


def test_censored_y_needs_an_event_and_positive_times():
    X = np.random.RandomState(0).uniform(size=(20, 1))
    reg = MLERegressor(distribution="gamma")
    with pytest.raises(ValueError, match="Every time in y is censored"):
        reg.fit(X, _structured(np.zeros(20, bool), np.ones(20)))
    times = np.where(np.arange(20) == 4, 0.0, 1.0)
    with pytest.raises(ValueError, match="needs targets > 0"):
        reg.fit(X, _structured(np.ones(20, bool), times))


def test_continued_training_keeps_the_kind_of_targets():
    X, y, _ = _weibull_survival_data(4, n=200)
    reg = MLERegressor(distribution="lognormal", hidden_layer_sizes=(), random_state=0)
    reg.partial_fit(X, y)
    reg.partial_fit(X, y)
    with pytest.raises(ValueError, match="fitted on censored times"):
        reg.partial_fit(X, y["time"])
    plain = MLERegressor(distribution="lognormal", random_state=0).partial_fit(
        X, y["time"]
    )
    with pytest.raises(ValueError, match="fitted on plain targets"):
        plain.partial_fit(X, y)


def test_scikit_survival_structured_arrays_are_accepted():
    sksurv_util = pytest.importorskip(
        "sksurv.util", reason="scikit-survival (the [survival] extra) makes y"
    )
    X, y, _ = _weibull_survival_data(5, n=300)
    made = sksurv_util.Surv.from_arrays(y["event"], y["time"])
    params = {"distribution": "weibull", "hidden_layer_sizes": (), "random_state": 0}
    assert_allclose(
        MLERegressor(**params).fit(X, made).predict(X),
        MLERegressor(**params).fit(X, y).predict(X),
    )


# ---- the concordance index ---------------------------------------------------


def _pairwise_concordance(event, time, risk):
    """Harrell's C counted over every ordered pair, by its definition."""
    numerator = denominator = 0.0
    for i, j in itertools.permutations(range(len(time)), 2):
        if not event[i]:
            continue
        if time[i] < time[j] or (time[i] == time[j] and not event[j]):
            denominator += 1
            if risk[i] == risk[j]:
                numerator += 0.5
            elif risk[i] > risk[j]:
                numerator += 1
    return numerator / denominator


def test_concordance_index_counts_pairs_as_its_definition():
    rng = np.random.RandomState(0)
    # Ties in time and in risk, and censored rows at an event's time.
    time = rng.randint(1, 8, 40).astype(float)
    event = rng.uniform(size=40) < 0.6
    risk = rng.randint(0, 5, 40).astype(float)
    assert_allclose(
        concordance_index(event, time, risk), _pairwise_concordance(event, time, risk)
    )
    with pytest.raises(ValueError, match="No pair"):
        concordance_index([False, False], [1.0, 2.0], [0.0, 1.0])


def test_concordance_index_is_scikit_survivals():
    metrics = pytest.importorskip(
        "sksurv.metrics",
        reason="scikit-survival (the [survival] extra) is the reference",
    )
    rng = np.random.RandomState(1)
    time = rng.exponential(size=300).round(1)
    event = rng.uniform(size=300) < 0.5
    risk = rng.normal(size=300).round(1)
    expected = metrics.concordance_index_censored(event, time, risk)[0]
    assert_allclose(concordance_index(event, time, risk), expected)


@pytest.mark.parametrize("name", SURVIVAL)
def test_features_of_noise_end_no_worse_than_the_censored_constant_model(name):
    """Features that tell nothing: the fit ends no worse on the training
    data than the best constant model of the censored times (a pair of
    raw output and constant, by Nelder-Mead on scipy's logpdf and logsf),
    by more than the intercept-only check's tolerance (0.01 nats): training
    starts at that model and falls back to it by the censored likelihood."""
    rng = np.random.RandomState(8)
    X = rng.standard_normal((300, 3))
    time = rng.weibull(1.5, 300) * 3.0
    event = rng.uniform(size=300) < 0.6
    y = _structured(event, time)

    def mean_nll(point):
        frozen = _reference(name, point[0], np.exp(point[1]))
        return -np.mean(np.where(event, frozen.logpdf(time), frozen.logsf(time)))

    best = optimize.minimize(
        mean_nll, [1.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-8}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = MLERegressor(distribution=name, random_state=0).fit(X, y)
    assert -reg.log_likelihood(X, y).mean() <= best.fun + 0.01


def test_an_ensemble_of_survival_models():
    """Members fitted on censored times: the mixture's log-likelihood is the
    log of the mean of the members' densities and survival functions, its
    score the concordance index of -predict(X), as the regressor's."""
    from sklearn_mle_nn import MLEEnsembleRegressor

    X, y, _ = _weibull_survival_data(6, n=400)
    member = MLERegressor(distribution="weibull", hidden_layer_sizes=())
    ensemble = MLEEnsembleRegressor(member, n_estimators=3, random_state=0)
    ensemble.fit(X, y)
    frozen = [m.predict_distribution(X) for m in ensemble.estimators_]
    density = np.mean(
        [np.where(y["event"], f.pdf(y["time"]), f.sf(y["time"])) for f in frozen],
        axis=0,
    )
    assert_allclose(ensemble.log_likelihood(X, y), np.log(density), rtol=1e-6)
    expected = concordance_index(y["event"], y["time"], -ensemble.predict(X))
    assert ensemble.score(X, y) == expected > 0.6


def test_a_censored_model_keeps_its_kind_through_pickle():
    """The fitted likelihood stays in censored mode (early stopping and the
    constants were judged by the censored likelihood: early_stopping='auto'
    holds out 10% here), and a pickled model continues on censored times."""
    import pickle

    X, y, _ = _weibull_survival_data(7, n=300)
    reg = MLERegressor(distribution="gamma", hidden_layer_sizes=(), random_state=0)
    reg.fit(X, y)
    assert reg.distribution_.censored and reg.validation_scores_
    loaded = pickle.loads(pickle.dumps(reg))
    assert_allclose(loaded.log_likelihood(X, y), reg.log_likelihood(X, y))
    loaded.partial_fit(X, y)
    with pytest.raises(ValueError, match="fitted on censored times"):
        loaded.partial_fit(X, y["time"])
