"""Tests of the likelihoods in sklearn_mle_nn.distributions.

Every numerical claim is checked against an independent reference:
scipy.stats, scipy.special, central finite differences or a closed form.
"""

import numpy as np
import pytest
from _distribution_specs import SPECS
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.special import expit, log_softmax, logsumexp, softmax

from conftest import finite_difference
from sklearn_mle_nn.distributions import (
    SPREAD_FLOOR,
    Bernoulli,
    Categorical,
    Distribution,
    Gaussian,
    LocationScale,
    MultivariateNormalRows,
    Parameter,
    Poisson,
    resolve,
)
from sklearn_mle_nn.utils import check_distribution

# Every (distribution, link) pair a distribution accepts.
ALLOWED = [
    (Gaussian, "identity"),
    (Gaussian, "logistic"),
    (Gaussian, "tanh"),
    (Gaussian, "relu"),
    (Gaussian, "softmax"),
    (Bernoulli, "logistic"),
    (Categorical, "softmax"),
]
ALLOWED_IDS = [f"{cls.__name__}-{link}" for cls, link in ALLOWED]

# The link functions written independently of the library.
REFERENCE_LINKS = {
    "identity": lambda raw: raw,
    "logistic": expit,
    "tanh": np.tanh,
    "relu": lambda raw: np.maximum(raw, 0),
    "softmax": lambda raw: softmax(raw, axis=1),
}


def _raw(rng, n_samples=6, n_outputs=3, link=None):
    """Raw outputs; for relu, kept at least 0.1 away from the kink at 0."""
    raw = rng.normal(scale=1.5, size=(n_samples, n_outputs))
    if link == "relu":
        raw = np.sign(raw) * (np.abs(raw) + 0.1)
    return raw


def _target(cls, rng, shape):
    """Targets in each distribution's domain (soft targets for the discrete ones)."""
    if cls is Gaussian:
        return rng.normal(size=shape)
    if cls is Bernoulli:
        return rng.uniform(size=shape)
    return rng.dirichlet(np.ones(shape[1]), size=shape[0])


def test_gaussian_nll_default_scale_is_one():
    """Gaussian NLL without a scale uses a unit standard deviation."""
    rng = np.random.RandomState(0)
    raw, y = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    expected = -stats.norm.logpdf(y, raw, 1.0).sum(axis=1)
    assert_allclose(Gaussian().nll(y, raw), expected, rtol=1e-12)


def test_bernoulli_nll_matches_scipy_bernoulli():
    """Bernoulli NLL on binary y is -sum_k bernoulli.logpmf(y_k, expit(raw_k))."""
    rng = np.random.RandomState(0)
    raw = rng.normal(scale=3, size=(8, 3))
    y = rng.randint(0, 2, size=(8, 3)).astype(float)
    expected = -stats.bernoulli.logpmf(y, expit(raw)).sum(axis=1)
    assert_allclose(Bernoulli().nll(y, raw), expected, rtol=1e-12)


def test_bernoulli_nll_soft_targets_is_cross_entropy():
    """Bernoulli NLL on y in [0, 1] is the binary cross-entropy."""
    rng = np.random.RandomState(0)
    raw, y = rng.normal(scale=3, size=(8, 3)), rng.uniform(size=(8, 3))
    p = expit(raw)
    expected = -(y * np.log(p) + (1 - y) * np.log1p(-p)).sum(axis=1)
    assert_allclose(Bernoulli().nll(y, raw), expected, rtol=1e-12)


def test_categorical_nll_matches_scipy_multinomial():
    """Categorical NLL on one-hot y is -multinomial.logpmf(y, 1, softmax(raw))."""
    rng = np.random.RandomState(0)
    raw = rng.normal(scale=3, size=(8, 4))
    y = np.eye(4)[rng.randint(0, 4, size=8)]
    expected = [
        -stats.multinomial.logpmf(y_row, 1, p_row)
        for y_row, p_row in zip(y, softmax(raw, axis=1))
    ]
    assert_allclose(Categorical().nll(y, raw), expected, rtol=1e-10)


def test_categorical_nll_soft_targets_is_cross_entropy():
    """Categorical NLL on probability rows is -sum_k y_k log_softmax(raw)_k."""
    rng = np.random.RandomState(0)
    raw = rng.normal(scale=3, size=(8, 4))
    y = rng.dirichlet(np.ones(4), size=8)
    expected = -(y * log_softmax(raw, axis=1)).sum(axis=1)
    assert_allclose(Categorical().nll(y, raw), expected, rtol=1e-12)


def test_bernoulli_nll_is_finite_for_extreme_raw():
    """Bernoulli NLL at raw = +-1000 is the finite closed form, not inf or nan."""
    raw = np.array([[1000.0, -1000.0, 1000.0, -1000.0]])
    y = np.array([[1.0, 0.0, 0.0, 1.0]])
    # Right with certainty costs 0; wrong costs |raw| (log(1 + e^1000) - 0).
    assert_allclose(Bernoulli().nll(y, raw), [2000.0], rtol=1e-12)
    assert_allclose(Bernoulli().gradient(y, raw), [[0.0, 0.0, 1.0, -1.0]])


def test_categorical_nll_is_finite_for_extreme_raw():
    """Categorical NLL at raw = +-1000 equals logsumexp(raw) - raw_k."""
    raw = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])
    y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    expected = logsumexp(raw, axis=1) - (y * raw).sum(axis=1)
    nll = Categorical().nll(y, raw)
    assert np.all(np.isfinite(nll))
    assert_allclose(nll, expected, rtol=1e-12)
    assert_allclose(nll, [2000.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("cls, link", ALLOWED, ids=ALLOWED_IDS)
def test_mean_is_the_link(cls, link):
    """mean(raw) applies the link and leaves raw untouched."""
    rng = np.random.RandomState(0)
    raw = _raw(rng, link=link)
    raw_before = raw.copy()
    assert_allclose(cls(link).mean(raw), REFERENCE_LINKS[link](raw), rtol=1e-12)
    assert_array_equal(raw, raw_before)


@pytest.mark.parametrize("cls, link", ALLOWED, ids=ALLOWED_IDS)
def test_gradient_matches_finite_differences(cls, link):
    """gradient(y, raw) is d NLL / d raw by central finite differences."""
    rng = np.random.RandomState(0)
    raw = _raw(rng, link=link)
    y = _target(cls, rng, raw.shape)
    distribution = cls(link)
    expected = finite_difference(lambda r: distribution.nll(y, r).sum(), raw)
    assert_allclose(distribution.gradient(y, raw), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "cls", [Gaussian, Bernoulli, Categorical], ids=lambda cls: cls.__name__
)
def test_canonical_gradient_is_mean_minus_y(cls):
    """With the canonical link the gradient is exactly mean - y."""
    rng = np.random.RandomState(0)
    raw = _raw(rng)
    y = _target(cls, rng, raw.shape)
    distribution = cls()
    assert distribution.is_canonical
    assert_array_equal(distribution.gradient(y, raw), distribution.mean(raw) - y)


@pytest.mark.parametrize("link", ["logistic", "tanh", "relu", "softmax"])
def test_gaussian_non_canonical_link_is_flagged(link):
    """Only the identity link is canonical for the Gaussian."""
    assert not Gaussian(link).is_canonical


@pytest.mark.parametrize("cls, link", ALLOWED, ids=ALLOWED_IDS)
def test_gradient_writes_into_out_and_keeps_raw(cls, link):
    """gradient(out=buffer) fills and returns the buffer; raw is not modified."""
    rng = np.random.RandomState(0)
    raw = _raw(rng, link=link)
    y = _target(cls, rng, raw.shape)
    raw_before = raw.copy()
    distribution = cls(link)
    buffer = np.full_like(raw, np.nan)
    returned = distribution.gradient(y, raw, out=buffer)
    assert returned is buffer
    assert_array_equal(buffer, distribution.gradient(y, raw))
    assert_array_equal(raw, raw_before)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cls, link", ALLOWED, ids=ALLOWED_IDS)
def test_nll_and_gradient_agrees_with_nll_and_gradient(cls, link, weighted):
    """nll_and_gradient returns sum_i w_i NLL_i and fills the buffer with gradient()."""
    rng = np.random.RandomState(0)
    raw = _raw(rng, link=link)
    y = _target(cls, rng, raw.shape)
    sample_weight = rng.uniform(0, 3, size=raw.shape[0]) if weighted else None
    distribution = cls(link)
    buffer = np.empty_like(raw)
    total = distribution.nll_and_gradient(y, raw, buffer, sample_weight)
    weights = np.ones(raw.shape[0]) if sample_weight is None else sample_weight
    assert_allclose(total, np.sum(weights * distribution.nll(y, raw)), rtol=1e-12)
    # Equal up to rounding: the fused softmax may shift by another maximum.
    assert_allclose(buffer, distribution.gradient(y, raw), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "cls, link",
    [
        (Bernoulli, "identity"),
        (Bernoulli, "tanh"),
        (Bernoulli, "softmax"),
        (Categorical, "logistic"),
        (Categorical, "identity"),
        (Gaussian, "softplus"),
    ],
)
def test_disallowed_link_raises_naming_it(cls, link):
    """A link outside a distribution's domain raises a ValueError naming the link.

    As scikit-learn's estimators, a distribution's constructor only stores
    its parameters: the link is checked where it is used (and by the
    estimators before fitting).
    """
    with pytest.raises(ValueError, match=repr(link)):
        cls(link).activation  # noqa: B018 -- the access validates
    with pytest.raises(ValueError, match=repr(link)):
        resolve(cls(link))


def test_gaussian_sample_keeps_float32():
    """Gaussian draws around a float32 raw output are float32."""
    raw = np.zeros((2, 3), dtype=np.float32)
    draws = Gaussian().sample(raw, 4, np.random.RandomState(0))
    assert draws.dtype == np.float32 and draws.shape == (2, 3, 4)


@pytest.mark.parametrize("name", ["gaussian", "laplace", "student_t"])
def test_fitted_scale_of_a_perfect_fit_is_the_floor(name):
    """A perfect fit gives the floor, SPREAD_FLOOR in training's standardized
    units (it was 1e-16: a new value 0.01 away scored -5e27)."""
    y = np.linspace(-1, 1, 10).reshape(-1, 1)
    fitted = resolve(name).fit_constants(y, y.copy())
    assert_array_equal(fitted.scale_, SPREAD_FLOOR)
    assert np.all(np.isfinite(fitted.nll(y + 0.01, y)))


@pytest.mark.parametrize("bad", [-0.1, 1.5])
@pytest.mark.parametrize("cls", [Bernoulli, Categorical], ids=lambda c: c.__name__)
def test_check_target_rejects_values_outside_unit_interval(cls, bad):
    """Bernoulli and Categorical targets outside [0, 1] raise a ValueError saying so."""
    y = np.array([[0.0, 1.0], [0.5, bad]])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        cls().check_target(y)


@pytest.mark.parametrize("cls", [Bernoulli, Categorical], ids=lambda c: c.__name__)
def test_check_target_accepts_unit_interval(cls):
    """Targets on the closed interval [0, 1], ends included, are accepted."""
    assert cls().check_target(np.array([[0.0, 1.0], [0.25, 0.75]])) is None


def test_gaussian_check_target_accepts_any_real():
    """The Gaussian accepts any real target."""
    assert Gaussian().check_target(np.array([[-1e6, 3.0], [0.5, 1e6]])) is None


@pytest.mark.parametrize("df", [0.5, 1.0, 5.0, 50.0])
def test_student_t_scale_is_scipys_maximum_likelihood_fit(df):
    """Every column's scale at once, against scipy's fit with df and location
    fixed; residuals of very different sizes, with gross outliers."""
    from sklearn_mle_nn.distributions import StudentT

    rng = np.random.RandomState(0)
    # The smallest column's scale stays above the floor, SPREAD_FLOOR.
    residual = rng.standard_t(df, size=(400, 3)) * [1e-2, 1.0, 1e3]
    residual[:4, 1] = 1e5
    dist = StudentT(df=df).fit_constants(residual, np.zeros_like(residual))
    for j, scale in enumerate(dist.scale_):
        column = residual[:, j]
        fitted = stats.t.fit(column, fdf=df, floc=0, method="MLE")[2]
        # scipy's Nelder-Mead stops within about 1e-4: ours is as close, and
        # at least as likely.
        assert scale == pytest.approx(fitted, rel=1e-3)
        ours = stats.t.logpdf(column, df, scale=scale).mean()
        assert ours >= stats.t.logpdf(column, df, scale=fitted).mean() - 1e-12


def test_poisson_nll_of_large_counts_is_exact_in_float32():
    """Rate, y * raw and log(y!) are each about 1e7 at a million counts and
    cancel: summed in float32 they were off by up to 0.3 nats."""
    counts = np.array([[1e6], [2e5], [3.0]])
    raw = np.log(counts * [[1.0002], [0.999], [0.8]])
    rate = np.exp(raw.astype(np.float32).astype(np.float64))
    expected = -stats.poisson.logpmf(counts, rate).ravel()
    nll = Poisson().nll(counts.astype(np.float32), raw.astype(np.float32))
    assert_allclose(nll, expected, rtol=1e-7)


# ---- the interface: one way to return a gradient -----------------------------


class _ReturningExponential(Distribution):
    """An exponential likelihood written to the documented interface: its
    gradient is returned, ``out`` is ignored."""

    canonical_link = "exp"
    links = ("exp",)

    def nll(self, y, raw):
        return np.sum(y * np.exp(-raw) + raw, axis=1)

    def gradient(self, y, raw, out=None):
        return 1 - y * np.exp(-raw)

    def scipy_distribution(self, raw):
        return stats.expon(scale=np.exp(raw))


def test_a_returned_gradient_is_what_counts():
    """nll_and_gradient fills its buffer with what gradient() returns, even
    when gradient() ignores ``out`` (the buffer used to be left as it was:
    uninitialised memory in training)."""
    rng = np.random.RandomState(0)
    y, raw = rng.exponential(2.0, (5, 2)), rng.normal(size=(5, 2))
    buffer = np.full_like(raw, np.nan)
    total = _ReturningExponential().nll_and_gradient(y, raw, buffer)
    nll = lambda r: _ReturningExponential().nll(y, r).sum()  # noqa: E731
    assert_allclose(buffer, finite_difference(nll, raw), rtol=1e-6, atol=1e-8)
    assert_allclose(total, -stats.expon.logpdf(y, scale=np.exp(raw)).sum())


# ---- check_distribution ------------------------------------------------------


class _WrongGradient(_ReturningExponential):
    def gradient(self, y, raw, out=None):
        return 1 + y * np.exp(-raw)


class _WrongMean(_ReturningExponential):
    def mean(self, raw):
        return np.exp(2 * raw)


class _WrongScipy(_ReturningExponential):
    def scipy_distribution(self, raw):
        return stats.gamma(2.0, scale=np.exp(raw) / 2)


class _UnwrittenBuffer(_ReturningExponential):
    def nll_and_gradient(self, y, raw, gradient, sample_weight=None):
        self.gradient(y, raw, out=gradient)  # drops what gradient() returns
        return float(self.nll(y, raw).sum())


@pytest.mark.parametrize("name", sorted(SPECS))
def test_check_distribution_passes_every_tested_distribution(name):
    """Every built-in and the specs' user-defined gamma agree with themselves,
    at the spec's targets and at targets drawn from the distribution."""
    spec = SPECS[name]
    rng = np.random.RandomState(0)
    k = spec.columns[-1]
    check_distribution(spec.make(), spec.targets(rng, 50, k))
    check_distribution(spec.make())


@pytest.mark.parametrize(
    "distribution, method",
    [
        (_WrongGradient(), "gradient disagrees with finite differences of nll"),
        (_UnwrittenBuffer(), "gradient disagrees with finite differences of nll"),
        (_WrongMean(), "mean gives"),
        (_WrongScipy(), "nll gives log-likelihoods"),
    ],
)
def test_check_distribution_names_the_method_that_disagrees(distribution, method):
    with pytest.raises(ValueError, match=method):
        check_distribution(distribution)
    y = np.random.RandomState(0).exponential(3.0, 40)
    with pytest.raises(ValueError, match=method):
        check_distribution(distribution, y)


# ---- Poisson: log_likelihood is the probability of the targets ---------------


def test_poisson_log_likelihood_is_scipy_logpmf_also_off_the_integers():
    """Non-integer targets train (as scikit-learn's Poisson deviance takes
    rates), but have probability 0: log_likelihood agrees with scipy's
    logpmf everywhere, -inf off the integers."""
    y = np.array([[0.0], [3.0], [2.5], [7.0]])
    raw = np.array([[0.1], [1.0], [0.7], [2.0]])
    expected = stats.poisson.logpmf(y, np.exp(raw)).ravel()
    assert np.isneginf(expected[2])
    assert_array_equal(Poisson().log_likelihood(y, raw), expected)
    assert np.isfinite(Poisson().nll(y, raw)).all()


# ---- Categorical: rvs of the vectorised multinomial --------------------------


def test_categorical_scipy_rvs_is_one_hot_per_row_with_the_probabilities():
    """rvs draws a one-hot row per row (scipy's own multinomial raised
    'object too deep'); for one row it has scipy's shapes, and the class
    frequencies of many draws are the softmax probabilities."""
    p = np.array([[0.2, 0.5, 0.3], [0.7, 0.1, 0.2]])
    dist = Categorical().scipy_distribution(np.log(p))
    draws = dist.rvs(random_state=0)
    assert draws.shape == (2, 3)
    assert_array_equal(draws.sum(axis=1), [1, 1])
    many = dist.rvs(size=(20000, 2), random_state=np.random.default_rng(0))
    assert many.shape == (20000, 2, 3)
    assert_allclose(many.mean(axis=0), p, atol=0.015)
    one_row = Categorical().scipy_distribution(np.log(p[:1]))
    reference = stats.multinomial(1, p[0])
    for size in (1, 5):
        assert one_row.rvs(size, random_state=0).shape == reference.rvs(size).shape
    assert one_row.rvs(random_state=0).shape == reference.rvs().shape


# ---- declared parameters, links and pooled constants -------------------------


class _ExponentialWithShape(_ReturningExponential):
    """A distribution declaring a dimensionless second block and a pooled
    constant (as a user would)."""

    parameters = (Parameter("mean"), Parameter("log_shape", role="shape"))
    pooled_constants = {"shape_": 1}
    standardize_targets = True


def test_a_declared_shape_block_is_laid_out_started_and_mapped_as_declared():
    dist = _ExponentialWithShape()
    assert dist.n_params == 2 and dist.n_raw(3) == 6
    assert not dist.predicts_spread
    y = np.random.RandomState(0).exponential(2.0, (40, 3))
    start = dist.intercept_only_raw(y)
    assert_allclose(start[0, :3], np.log(y.mean(axis=0)))
    assert_array_equal(start[0, 3:], 0.0)
    scale, shift = np.array([2.0, 3.0, 4.0]), np.array([1.0, 0.0, -1.0])
    col_scale, col_shift = dist.raw_affine(scale, shift)
    assert_array_equal(col_scale, [2.0, 3.0, 4.0, 1.0, 1.0, 1.0])
    assert_array_equal(col_shift, [1.0, 0.0, -1.0, 0.0, 0.0, 0.0])


def test_declared_constants_pool_as_weighted_power_means():
    """``pooled_constants`` says how partial_fit pools a constant: here a
    plain weighted mean (power 1); an undeclared constant is the latest."""
    earlier, latest = _ExponentialWithShape(), _ExponentialWithShape()
    earlier.shape_, latest.shape_ = np.array([2.0, 4.0]), np.array([3.0, 1.0])
    earlier.other_, latest.other_ = 1.0, 5.0
    latest.pool_constants(earlier, earlier_weight=1.0, weight=3.0)
    assert_allclose(latest.shape_, [(2.0 + 3 * 3.0) / 4, (4.0 + 3 * 1.0) / 4])
    assert latest.other_ == 5.0


def test_the_default_link_is_declared_apart_from_the_canonical_one():
    """A log link that is not canonical (a gamma's): the default, and the
    canonical shortcut does not claim it."""

    class LogLinked(_ReturningExponential):
        canonical_link = None
        default_link = "exp"

    dist = resolve(LogLinked())
    assert dist.activation.name == "exp" and not dist.is_canonical
    assert resolve(_ReturningExponential()).is_canonical


class _Logistic(LocationScale):
    """The logistic distribution: a location-scale family in a few lines.

    ``NLL = z + 2 log(1 + exp(-z)) + log(scale)``, ``z = (y - location) /
    scale``; ``d NLL / d location = -tanh(z / 2) / scale``.
    """

    def nll(self, y, raw):
        z = (y - self.mean(raw)) / self._scale
        return np.sum(z + 2 * np.logaddexp(0, -z) + np.log(self._scale), axis=1)

    def gradient(self, y, raw, out=None):
        return -np.tanh((y - self.mean(raw)) / self._scale / 2) / self._scale

    def fit_constants(self, y, raw, sample_weight=None):
        residual = y - self.mean(raw)
        variance = np.average(residual**2, axis=0, weights=sample_weight)
        self.scale_ = np.sqrt(3 * variance) / np.pi  # the moment estimate
        return self

    def _frozen(self, location, scale):
        return stats.logistic(location, scale)


def test_a_location_scale_family_is_its_formulas():
    """A subclass of LocationScale gives only its formulas and scipy family:
    standardized training, the scale in the targets' units, the estimator
    attribute and the predicted distribution come from the base."""
    from sklearn_mle_nn import MLERegressor

    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, (600, 1))
    y = 1000 + 300 * X[:, 0] + rng.logistic(0, 20.0, 600)
    check_distribution(_Logistic(), y)
    reg = MLERegressor(distribution=_Logistic(), hidden_layer_sizes=(), random_state=0)
    reg.fit(X, y)
    assert_allclose(reg.scale_, [20.0], rtol=0.15)
    dist = reg.predict_distribution(X[:3])
    assert dist.dist.name == "logistic"
    assert_allclose(dist.std(), np.pi / np.sqrt(3) * reg.scale_[0], rtol=1e-12)
    assert_allclose(dist.mean(), reg.predict(X[:3]), rtol=1e-12)


@pytest.mark.parametrize("draw", ["sample", "scipy_distribution"])
def test_multivariate_gaussian_draws_have_the_reference_covariance(draw):
    """The draws of every row (``sample``, and ``rvs`` of its
    ``scipy_distribution``) have the covariance, correlations included, of
    the spec's reference (the inverse of the precision ``L L^T`` written by
    hand), each entry within 5 standard errors."""
    spec = SPECS["multivariate_gaussian"]
    rng = np.random.RandomState(0)
    n, k, n_draws = 4, 3, 20_000
    raw = spec.raw(rng, n, k)
    dist = spec.make()
    reference = spec.reference(raw, dist.get_params(), {})
    if draw == "sample":
        draws = dist.sample(raw, n_draws, np.random.RandomState(1))
    else:
        rvs = dist.scipy_distribution(raw).rvs(size=(n_draws, n), random_state=1)
        draws = np.moveaxis(rvs, 0, -1)
    assert draws.shape == (n, k, n_draws)
    for row in range(n):
        expected = reference.covariances[row]
        covariance = np.cov(draws[row])
        # The standard error of a sample covariance of normal draws.
        variances = np.diag(expected)
        error = np.sqrt((np.outer(variances, variances) + expected**2) / n_draws)
        assert np.all(np.abs(covariance - expected) < 5 * error)
        assert_allclose(draws[row].mean(axis=1), reference.means[row], atol=0.05)
    # The outputs are correlated: the check is not one of independent ones.
    correlation = reference.covariances[:, 0, 1] / np.sqrt(
        reference.covariances[:, 0, 0] * reference.covariances[:, 1, 1]
    )
    assert np.max(np.abs(correlation)) > 0.3


def test_multivariate_normal_rows_is_scipys_row_by_row():
    """logpdf, pdf, mean, cov, std and interval of every row are scipy's
    (the joint multivariate normal, and each output's marginal normal)."""
    rng = np.random.RandomState(0)
    means = rng.normal(size=(3, 2))
    factors = rng.normal(size=(3, 2, 2))
    covariances = factors @ np.swapaxes(factors, 1, 2) + 0.1 * np.eye(2)
    dist = MultivariateNormalRows(means, covariances)
    y = rng.normal(size=(3, 2))
    for row in range(3):
        joint = stats.multivariate_normal(means[row], covariances[row])
        assert_allclose(dist.logpdf(y)[row], joint.logpdf(y[row]), rtol=1e-12)
        assert_allclose(dist.pdf(y)[row], joint.pdf(y[row]), rtol=1e-12)
        assert_allclose(dist[row].cov, covariances[row])
        std = np.sqrt(np.diag(covariances[row]))
        assert_allclose(dist.std()[row], std)
        low, high = dist.interval(0.8)
        assert_allclose(low[row], stats.norm(means[row], std).interval(0.8)[0])
        assert_allclose(high[row], stats.norm(means[row], std).interval(0.8)[1])
    assert_allclose(dist.mean(), means)
    assert_allclose(dist.cov(), covariances)
    assert dist.rvs(random_state=0).shape == (3, 2)
