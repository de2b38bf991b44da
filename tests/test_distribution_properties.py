"""Properties of every distribution, generated from the registry.

Each test runs for every distribution in ``DISTRIBUTIONS`` and for the
user-defined :class:`Gamma` of ``_distribution_specs.py``, with 1 and 3
targets. Every numerical claim is checked against an independent reference:
the spec's ``scipy.stats`` distribution (written from the raw outputs by
hand), central finite differences, or a numeric minimiser.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import pickle
import re
from numbers import Real

import numpy as np
import pytest
from _distribution_specs import BUILT_IN_SPECS, SPECS, USER_DEFINED_SPECS
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize
from sklearn.base import clone

from sklearn_mle_nn import MLERegressor
from sklearn_mle_nn._activations import ACTIVATIONS
from sklearn_mle_nn.distributions import DISTRIBUTIONS, Distribution, resolve


def _spec(name):
    spec = SPECS[name]
    assert spec is not None, (
        f"distribution {name!r} is registered but has no spec in "
        "tests/_distribution_specs.py"
    )
    return spec


def _columns(name):
    return (1,) if SPECS[name] is None else SPECS[name].columns


def _links(name):
    return (None,) if SPECS[name] is None else SPECS[name].make.links


#: (distribution, number of target columns).
CASES = [
    pytest.param(name, k, id=f"{name}-{k}") for name in SPECS for k in _columns(name)
]
#: (distribution, link) for every link each distribution allows.
LINK_CASES = [
    pytest.param(name, link, id=f"{name}-{link}")
    for name in SPECS
    for link in _links(name)
]


def _problem(name, k, n=40, seed=0, fitted=False, **params):
    """A distribution, targets, raw outputs and the constants set on it."""
    spec = _spec(name)
    rng = np.random.RandomState(seed)
    dist = spec.make(**params)
    constants = spec.constants(k) if fitted else {}
    for attribute, value in constants.items():
        setattr(dist, attribute, value)
    return dist, spec.targets(rng, n, k), spec.raw(rng, n, k), constants


def _log_density(frozen, y):
    """Per-target log-density (or log-probability) of ``y``."""
    return np.asarray(
        frozen.logpmf(y) if hasattr(frozen, "logpmf") else frozen.logpdf(y)
    )


def _row_log_density(frozen, y):
    """Log-density of each row of ``y``, summed over its targets."""
    log_density = _log_density(frozen, y)
    return log_density.sum(axis=1) if log_density.ndim == 2 else log_density


def _std(frozen):
    """``std()``, or the root of the covariance's diagonal (multinomial)."""
    if hasattr(frozen, "std"):
        return frozen.std()
    return np.sqrt(np.diagonal(frozen.cov(), axis1=-2, axis2=-1))


def _finite_difference(dist, y, raw, step=1e-5):
    """Central differences of every sample's NLL w.r.t. its raw outputs."""
    gradient = np.empty_like(raw)
    for j in range(raw.shape[1]):
        shift = np.zeros_like(raw)
        shift[:, j] = step
        gradient[:, j] = (dist.nll(y, raw + shift) - dist.nll(y, raw - shift)) / (
            2 * step
        )
    return gradient


# ---- the registry -------------------------------------------------------------


def test_every_registered_distribution_has_a_spec():
    """Specs and registry name the same distributions (plus the user's)."""
    assert set(BUILT_IN_SPECS) == set(DISTRIBUTIONS)
    assert set(SPECS) == set(DISTRIBUTIONS) | set(USER_DEFINED_SPECS)
    assert all(spec is not None for spec in SPECS.values())
    for name, cls in DISTRIBUTIONS.items():
        assert cls.name == name
        assert BUILT_IN_SPECS[name].make is cls
    for spec in USER_DEFINED_SPECS.values():
        assert issubclass(spec.make, Distribution)
        assert spec.make not in DISTRIBUTIONS.values()


# ---- the likelihood and its gradient -----------------------------------------


@pytest.mark.parametrize("fitted", [False, True], ids=["training", "fitted"])
@pytest.mark.parametrize("name, k", CASES)
def test_nll_matches_scipy_reference(name, k, fitted):
    """nll is minus the reference's log-density summed over the targets."""
    dist, y, raw, constants = _problem(name, k, fitted=fitted)
    reference = _spec(name).reference(raw, dist.get_params(), constants)
    nll = dist.nll(y, raw)
    assert nll.shape == (len(y),)
    assert_allclose(nll, -_row_log_density(reference, y), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, k", CASES)
def test_scipy_distribution_logpdf_is_minus_nll(name, k):
    """scipy_distribution(raw) gives the same likelihood as nll."""
    dist, y, raw, _ = _problem(name, k, fitted=True)
    frozen = dist.scipy_distribution(raw)
    assert_allclose(_row_log_density(frozen, y), -dist.nll(y, raw), rtol=1e-10)


def _gradient_problem(name, link, fitted):
    spec = _spec(name)
    k = spec.columns[-1]
    dist, y, raw, _ = _problem(name, k, n=60, fitted=fitted, link=link)
    smooth = np.ones(len(y), dtype=bool)
    if spec.kink is not None:
        smooth &= ~spec.kink(y, dist.mean(raw))
    if link == "relu":
        # max(raw, 0) has a kink at raw == 0.
        smooth &= ~np.any(np.abs(dist.split(raw)[0]) < 1e-3, axis=1)
    assert smooth.sum() > len(y) // 2
    return dist, y[smooth], raw[smooth]


@pytest.mark.parametrize("fitted", [False, True], ids=["training", "fitted"])
@pytest.mark.parametrize("name, link", LINK_CASES)
def test_gradient_matches_finite_differences(name, link, fitted):
    """gradient is d NLL_i / d raw_i, for every allowed link."""
    dist, y, raw = _gradient_problem(name, link, fitted)
    gradient = dist.gradient(y, raw)
    assert gradient.shape == raw.shape
    assert_allclose(gradient, _finite_difference(dist, y, raw), rtol=1e-6, atol=1e-8)
    # The out= buffer receives the same values and is returned.
    out = np.full_like(raw, np.nan)
    assert dist.gradient(y, raw, out=out) is out
    assert_allclose(out, gradient, rtol=1e-14)


@pytest.mark.parametrize("fitted", [False, True], ids=["training", "fitted"])
@pytest.mark.parametrize("name, link", LINK_CASES)
def test_nll_and_gradient_is_the_weighted_sum(name, link, fitted):
    """nll_and_gradient returns sum_i w_i NLL_i and fills the gradient."""
    dist, y, raw = _gradient_problem(name, link, fitted)
    weights = np.random.RandomState(1).uniform(0.0, 3.0, len(y))
    for sample_weight, expected in [
        (None, dist.nll(y, raw).sum()),
        (weights, dist.nll(y, raw) @ weights),
    ]:
        buffer = np.full_like(raw, np.nan)
        total = dist.nll_and_gradient(y, raw, buffer, sample_weight=sample_weight)
        assert np.isclose(total, expected, rtol=1e-10)
        assert_allclose(buffer, dist.gradient(y, raw), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, k", CASES)
def test_integer_weights_are_repeated_rows(name, k):
    """Weights multiply: weight w counts as w copies of the row (0: none)."""
    dist, y, raw, _ = _problem(name, k, n=60)
    weights = np.random.RandomState(2).randint(0, 4, len(y))
    y_repeated, raw_repeated = np.repeat(y, weights, 0), np.repeat(raw, weights, 0)

    buffer, buffer_repeated = np.empty_like(raw), np.empty_like(raw_repeated)
    total = dist.nll_and_gradient(y, raw, buffer, sample_weight=weights.astype(float))
    total_repeated = dist.nll_and_gradient(y_repeated, raw_repeated, buffer_repeated)
    assert np.isclose(total, total_repeated, rtol=1e-10)

    # The best constant: both are minimisers of the same loss (a median may
    # be any point between the two middle values), so compare their loss.
    def loss(intercept):
        return dist.nll(y_repeated, np.repeat(intercept, len(y_repeated), 0)).sum()

    weighted = dist.intercept_only_raw(y, sample_weight=weights.astype(float))
    repeated = dist.intercept_only_raw(y_repeated)
    assert np.isclose(loss(weighted), loss(repeated), rtol=1e-10)

    weighted = clone(dist).fit_constants(y, raw, sample_weight=weights.astype(float))
    repeated = clone(dist).fit_constants(y_repeated, raw_repeated)
    for attribute in _spec(name).constants(k):
        assert_allclose(getattr(weighted, attribute), getattr(repeated, attribute))


# ---- moments and sampling ----------------------------------------------------


@pytest.mark.parametrize("name, k", CASES)
def test_mean_and_std_match_scipy_reference(name, k):
    """mean and std are the reference distribution's."""
    dist, _, raw, constants = _problem(name, k, fitted=True)
    reference = _spec(name).reference(raw, dist.get_params(), constants)
    assert_allclose(dist.mean(raw), reference.mean(), rtol=1e-10)
    assert_allclose(dist.std(raw), _std(reference), rtol=1e-10)


@pytest.mark.parametrize("name, k", CASES)
def test_sample_moments_match_mean_and_std(name, k):
    """Draws have the predicted mean and std within 5 standard errors."""
    spec = _spec(name)
    n, n_samples = 4, 20_000
    dist, _, raw, constants = _problem(name, k, n=n, fitted=True)
    draws = dist.sample(raw, n_samples, np.random.RandomState(0))
    assert draws.shape == spec.sample_shape(n, k, n_samples)
    draws = spec.draws_as_targets(draws, k)
    assert draws.shape == (n, k, n_samples)
    # Every draw is a valid target.
    dist.check_target(np.moveaxis(draws, 1, -1).reshape(-1, k))

    reference = spec.reference(raw, dist.get_params(), constants)
    mean, std = reference.mean(), _std(reference)
    deviation = draws - mean[..., np.newaxis]
    assert np.all(np.abs(deviation.mean(axis=-1)) < 5 * std / np.sqrt(n_samples))
    # The sample variance's standard error, estimated from the draws.
    squares = deviation**2
    variance_error = squares.std(axis=-1) / np.sqrt(n_samples)
    assert np.all(np.abs(squares.mean(axis=-1) - std**2) < 5 * variance_error)


@pytest.mark.parametrize("name, k", CASES)
def test_sample_is_reproducible_and_leaves_global_state(name, k):
    """The same RandomState gives the same draws; np.random is not used."""
    dist, _, raw, _ = _problem(name, k, n=5, fitted=True)
    np.random.seed(0)
    global_state = np.random.get_state()[1].copy()
    first = dist.sample(raw, 50, np.random.RandomState(3))
    assert_array_equal(first, dist.sample(raw, 50, np.random.RandomState(3)))
    assert not np.array_equal(first, dist.sample(raw, 50, np.random.RandomState(4)))
    assert_array_equal(np.random.get_state()[1], global_state)


# ---- constants ---------------------------------------------------------------


def _numeric_best_constant_raw(dist, y, sample_weight, start=None):
    """The constant raw row that minimises the mean NLL, by Nelder-Mead
    (from ``start``, or 0.1 everywhere)."""

    def mean_nll(row):
        raw = np.repeat(row[np.newaxis, :], len(y), axis=0)
        return np.average(dist.nll(y, raw), weights=sample_weight)

    if start is None:
        start = np.full(dist.n_raw(y.shape[1]), 0.1)
    options = {"xatol": 1e-10, "fatol": 1e-14, "maxfev": 40_000, "adaptive": True}
    result = optimize.minimize(mean_nll, start, method="Nelder-Mead", options=options)
    return mean_nll, result.x


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name, k", CASES)
def test_intercept_only_raw_is_the_best_constant(name, k, weighted):
    """intercept_only_raw is as good as a numeric minimiser's constant.

    Student's t included: its location is the maximum-likelihood one, not the
    median (which, on 400 targets with 5% outliers, cost up to 5e-3 nats per
    target).
    """
    spec = _spec(name)
    dist, y, _, _ = _problem(name, k, n=400)
    rng = np.random.RandomState(5)
    sample_weight = rng.uniform(0.2, 2.0, len(y)) if weighted else None
    intercept = dist.intercept_only_raw(y, sample_weight=sample_weight)
    assert intercept.shape == (1, dist.n_raw(k))
    # A mixture's constant has several maxima of the likelihood, which
    # Nelder-Mead from 0.1 (12 dimensions) does not find: from the intercept
    # it checks that no better constant lies near it.
    start = intercept[0] if spec.local_minimum else None
    mean_nll, numeric = _numeric_best_constant_raw(dist, y, sample_weight, start)
    assert mean_nll(intercept[0]) <= mean_nll(numeric) + k * spec.intercept_atol
    # The minimiser did its job: it is not worse than the intercept either.
    assert mean_nll(numeric) <= mean_nll(intercept[0]) + 1e-6


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name, k", CASES)
def test_fit_constants_minimises_mean_nll(name, k, weighted):
    """Every fitted constant minimises the (weighted) mean NLL of its target.

    The reference is the spec's scipy distribution, minimised over the log of
    one constant of one target at a time by ``minimize_scalar``.
    """
    spec = _spec(name)
    dist, y, raw, _ = _problem(name, k, n=300)
    sample_weight = (
        np.random.RandomState(6).uniform(0.2, 2.0, len(y)) if weighted else None
    )
    assert dist.estimator_attributes() == {}
    before = set(vars(dist))
    assert dist.fit_constants(y, raw, sample_weight=sample_weight) is dist
    fitted = {name: vars(dist)[name] for name in set(vars(dist)) - before}
    # It fits exactly the constants the spec knows of, one per target.
    assert set(fitted) == set(spec.constants(k))
    assert bool(dist.estimator_attributes()) == bool(fitted)
    params = dist.get_params()
    for attribute, value in fitted.items():
        assert value.shape == (k,)
        for j in range(k):

            def mean_nll(log_constant, attribute=attribute, value=value, j=j):
                constant = np.array(value, dtype=float)
                constant[j] = np.exp(log_constant)
                frozen = spec.reference(raw, params, {attribute: constant})
                log_density = _log_density(frozen, y)[:, j]
                return -np.average(log_density, weights=sample_weight)

            best = optimize.minimize_scalar(
                mean_nll, bounds=(-10, 10), method="bounded", options={"xatol": 1e-10}
            )
            assert_allclose(value[j], np.exp(best.x), rtol=1e-5)
            assert mean_nll(np.log(value[j])) <= best.fun + 1e-12


STANDARDIZED = [
    case
    for case in CASES
    if SPECS[case.values[0]] is None or SPECS[case.values[0]].make.standardize_targets
]


@pytest.mark.parametrize("name, k", STANDARDIZED)
def test_raw_affine_and_rescale_constants_undo_standardization(name, k):
    """With y = scale z + shift, the mapped model gives y the density of z
    divided by the scale: NLL(y) = NLL(z) + sum(log scale)."""
    dist, z, raw, _ = _problem(name, k, fitted=True)
    scale, shift = np.array([2.0, 0.5, 3.0])[:k], np.array([1.0, -2.0, 0.3])[:k]
    y = scale * z + shift
    col_scale, col_shift = dist.raw_affine(scale, shift)
    assert col_scale.shape == col_shift.shape == (dist.n_raw(k),)
    raw_y = raw * col_scale + col_shift
    nll_z = dist.nll(z, raw)
    mean_z, std_z = dist.mean(raw), dist.std(raw)
    assert dist.rescale_constants(scale) is dist
    assert_allclose(dist.nll(y, raw_y), nll_z + np.log(scale).sum(), rtol=1e-10)
    assert_allclose(dist.mean(raw_y), scale * mean_z + shift, rtol=1e-10)
    assert_allclose(dist.std(raw_y), scale * std_z, rtol=1e-10)


# ---- links and targets -------------------------------------------------------

#: Where each link is invertible (float64).
LINK_DOMAINS = {
    "identity": (-50.0, 50.0),
    "logistic": (-8.0, 8.0),
    "tanh": (-3.0, 3.0),
    "relu": (0.0, 50.0),
    "softmax": (-10.0, 10.0),
    "exp": (-20.0, 20.0),
}


@pytest.mark.parametrize("name, link", LINK_CASES)
def test_link_round_trip(name, link):
    """activation.inverse(activation.forward(z)) is z on the link's range."""
    activation = _spec(name).make(link=link).activation
    low, high = LINK_DOMAINS[activation.name]
    z = np.random.RandomState(0).uniform(low, high, (50, 3))
    a = activation.forward(z.copy())
    back = activation.inverse(a)
    if activation.name == "softmax":
        # Softmax forgets a constant per row.
        assert_allclose(back - back[:, :1], z - z[:, :1], rtol=1e-9, atol=1e-9)
    else:
        assert_allclose(back, z, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", list(SPECS))
def test_links_not_allowed_are_refused(name):
    """A link outside ``links`` raises a ValueError naming the distribution."""
    cls = _spec(name).make
    for link in sorted(set(ACTIVATIONS) - set(cls.links)):
        with pytest.raises(ValueError, match=re.escape(cls.name)):
            cls(link=link).activation  # noqa: B018
        with pytest.raises(ValueError, match=re.escape(cls.name)):
            resolve(cls(), link=link)


@pytest.mark.parametrize("name, k", CASES)
def test_check_target_accepts_the_support_and_rejects_the_rest(name, k):
    """Valid targets pass; targets outside the support raise a ValueError
    that names the distribution."""
    spec = _spec(name)
    dist = spec.make()
    rng = np.random.RandomState(0)
    dist.check_target(spec.targets(rng, 30, k))
    if spec.invalid_targets is not None:
        with pytest.raises(ValueError, match=re.escape(dist.name)):
            dist.check_target(spec.invalid_targets(rng, 30, k))


# ---- scikit-learn object behaviour -------------------------------------------


@pytest.mark.parametrize("name, k", CASES)
def test_clone_and_params(name, k):
    """clone copies parameters, not fitted constants; set_params takes effect."""
    dist, y, raw, constants = _problem(name, k, fitted=True)
    cloned = clone(dist)
    assert type(cloned) is type(dist)
    assert cloned.get_params() == dist.get_params()
    assert not any(hasattr(cloned, attribute) for attribute in constants)
    assert "link" in dist.get_params()
    for param, value in dist.get_params().items():
        if isinstance(value, Real) and not isinstance(value, bool):
            # A numeric parameter (Student's df) changes the likelihood.
            before = dist.nll(y, raw)
            assert dist.set_params(**{param: 2 * value + 1}) is dist
            assert dist.get_params()[param] == 2 * value + 1
            if dist.n_raw(k) != raw.shape[1]:
                # It changes the layout (the mixture's n_components): the
                # raw outputs of the old one are refused.
                with pytest.raises(ValueError, match="raw outputs"):
                    dist.nll(y, raw)
                continue
            assert not np.allclose(dist.nll(y, raw), before)


def test_student_t_df_is_validated_and_searchable():
    """StudentT's df is a parameter (distribution__df) with its constraint."""
    dist = DISTRIBUTIONS["student_t"](df=3.0)
    assert dist.get_params()["df"] == 3.0
    dist._validate_params()
    with pytest.raises(ValueError, match="df"):
        DISTRIBUTIONS["student_t"](df=0.0)._validate_params()


@pytest.mark.parametrize("name, k", CASES)
def test_pickle_keeps_fitted_constants(name, k):
    """A pickled and restored distribution gives the same likelihood."""
    dist, y, raw, constants = _problem(name, k, fitted=True)
    restored = pickle.loads(pickle.dumps(dist))
    assert type(restored) is type(dist)
    for attribute, value in constants.items():
        assert_array_equal(getattr(restored, attribute), value)
    assert_array_equal(restored.nll(y, raw), dist.nll(y, raw))


@pytest.mark.parametrize("name", list(SPECS))
def test_resolve_never_changes_the_instance(name):
    """resolve returns a new, unfitted copy and leaves its argument alone."""
    dist, _, _, constants = _problem(
        name, 1 if name != "categorical" else 2, fitted=True
    )
    before = copy.deepcopy(vars(dist))
    for link in (None, *dist.links):
        resolved = resolve(dist, link=link)
        assert resolved is not dist
        assert type(resolved) is type(dist)
        assert not any(hasattr(resolved, attribute) for attribute in constants)
        assert resolved.activation.name == (link or dist.activation.name)
        assert set(vars(dist)) == set(before)
        for attribute, value in before.items():
            assert_array_equal(vars(dist)[attribute], value)
    if name in DISTRIBUTIONS:
        assert type(resolve(name)) is DISTRIBUTIONS[name]


# ---- float32 -----------------------------------------------------------------


@pytest.mark.parametrize("name, k", CASES)
def test_float32_stays_float32(name, k):
    """float32 targets and raw outputs give float32 results close to float64."""
    dist, y, raw, _ = _problem(name, k)
    y32, raw32 = y.astype(np.float32), raw.astype(np.float32)
    buffer = np.empty_like(raw32)
    total = dist.nll_and_gradient(y32, raw32, buffer)
    assert buffer.dtype == np.float32
    assert np.isclose(total, dist.nll(y, raw).sum(), rtol=1e-4)
    assert_allclose(buffer, dist.gradient(y, raw), rtol=1e-4, atol=1e-5)
    for method in (dist.gradient, lambda y, raw: dist.mean(raw)):
        result = method(y32, raw32)
        assert result.dtype == np.float32
    assert dist.std(raw32).dtype == np.float32


# ---- through the estimator ---------------------------------------------------


#: The cases a regressor takes: not a likelihood of one label per row.
REGRESSOR_CASES = [
    case
    for case in CASES
    if SPECS[case.values[0]] is None or not SPECS[case.values[0]].make.one_hot_targets
]


@pytest.mark.parametrize("name, k", REGRESSOR_CASES)
def test_regressor_recovers_the_generating_distribution(name, k):
    """MLERegressor(distribution=instance) fits data drawn from the
    distribution itself: its held-out likelihood is near the true model's,
    its fitted constants near the true ones, and its predictions are those of
    its predicted distribution. The instance given is never changed.

    The inputs are the true raw outputs, so a network without hidden layers
    can represent the truth exactly; the held-out mean log-likelihood may fall
    short of the true model's by 0.1 nats per target (measured at most 0.06
    per target on 600 training rows; the spec's ``recovery_atol`` for a
    mixture, whose many outputs overfit 600 rows), the constants may differ by 20% (the
    Gamma's shape, the noisiest, by 11%). Standardizing targets and mapping
    the output back (``raw_affine``, ``rescale_constants``) are on this path.
    """
    spec = _spec(name)
    rng = np.random.RandomState(0)
    n = 1200
    raw = spec.raw(rng, n, k)
    truth, _, _, constants = _problem(name, k, fitted=True)
    y = spec.draws_as_targets(truth.sample(raw, 1, rng), k)[..., 0]
    y_fit = y[:, 0] if k == 1 else y
    train, test = slice(0, n // 2), slice(n // 2, n)

    given = spec.make()
    before = copy.deepcopy(vars(given))
    reg = MLERegressor(distribution=given, hidden_layer_sizes=(), random_state=0)
    reg.fit(raw[train], y_fit[train])
    assert reg.distribution is given and vars(given).keys() == before.keys()
    assert reg.distribution_ is not given and type(reg.distribution_) is type(given)

    log_likelihood = reg.log_likelihood(raw[test], y_fit[test])
    assert log_likelihood.shape == (n // 2,)
    true_log_likelihood = -truth.nll(y[test], raw[test])
    assert log_likelihood.mean() > true_log_likelihood.mean() - spec.recovery_atol * k
    for attribute, value in constants.items():
        assert_allclose(getattr(reg.distribution_, attribute), value, rtol=0.2)

    predicted = reg.predict_distribution(raw[test])
    assert_allclose(_row_log_density(predicted, y_fit[test]), log_likelihood, rtol=1e-6)
    mean, std = reg.predict(raw[test], return_std=True)
    assert_allclose(mean, predicted.mean(), rtol=1e-6)
    assert_allclose(std, _std(predicted), rtol=1e-6)


@pytest.mark.parametrize("name, k", CASES)
def test_pool_constants_of_two_chunks_are_those_of_both(name, k):
    """A stream's constants (partial_fit) pool each chunk's with the earlier
    chunks'. For the Gaussian (a mean square) and the Laplace (a mean
    absolute residual) the pooled constants are exactly those fitted on
    both chunks at once, as they are for one that pools by its own
    ``pool_constants`` (the gamma); for Student's t, whose scale has no
    closed form, and the negative binomial, whose dispersion is pooled as
    its moment estimate would be, close to them (the spec's ``pool_rtol``);
    a distribution without constants has nothing to pool, and one that does
    not say how to pool them (the user-defined gamma) keeps the latest
    chunk's."""
    dist, y, raw, _ = _problem(name, k, n=300)
    weight = np.random.RandomState(7).uniform(0.2, 2.0, len(y))
    both = copy.deepcopy(dist).fit_constants(y, raw, sample_weight=weight)
    first = copy.deepcopy(dist).fit_constants(y[:100], raw[:100], weight[:100])
    pooled = copy.deepcopy(dist).fit_constants(y[100:], raw[100:], weight[100:])
    pools = (
        dist.pooled_constants
        or type(dist).pool_constants is not Distribution.pool_constants
    )
    if not pools:
        both = copy.deepcopy(pooled)
    pooled.pool_constants(first, weight[:100].sum(), weight[100:].sum())
    assert pooled.estimator_attributes().keys() == both.estimator_attributes().keys()
    rtol = _spec(name).pool_rtol
    for attribute, value in both.estimator_attributes().items():
        assert_allclose(pooled.estimator_attributes()[attribute], value, rtol=rtol)


# ---- what follows from the declared parameters -------------------------------


@pytest.mark.parametrize("name, k", CASES)
def test_the_layout_follows_from_the_declared_parameters(name, k):
    """The number of raw outputs, the mapping to the targets' units, the
    intercept-only start and whether a spread is predicted all follow from
    ``parameters``: a block of a mean, a log-scale or a shape has a column
    per target (a multivariate Gaussian's coefficients, one per pair of
    targets, are a block of their own), a mean block moves as the targets
    (``* scale + shift``), a log-scale block by ``+ log(scale)``; a
    log-scale block starts at the log of the targets' standard deviation
    (numpy's). ``n_target_columns`` inverts ``n_raw``, and
    ``raw_columns_of`` a target gives its column of every per-target block."""
    dist, y, _, _ = _problem(name, k)
    roles = [parameter.role for parameter in dist.parameters]
    n_raw = dist.n_raw(k)
    # Each block's raw columns: split() of the column indices.
    blocks = [block[0] for block in dist.split(np.arange(n_raw)[np.newaxis, :])]
    assert len(blocks) == len(roles)
    assert_array_equal(np.concatenate(blocks), np.arange(n_raw))
    assert dist.n_target_columns(n_raw) == k
    assert dist.predicts_spread == ("log_scale" in roles)
    scale, shift = np.array([2.0, 0.5, 3.0][:k]), np.array([1.0, -1.0, 0.0][:k])
    col_scale, col_shift = dist.raw_affine(scale, shift)
    start = dist.intercept_only_raw(y)
    assert start.shape == (1, n_raw)
    assert dist.raw_columns_of(np.ones(k, dtype=bool)).all()
    assert not dist.raw_columns_of(np.zeros(k, dtype=bool)).any()
    for role, block in zip(roles, blocks):
        if role in ("mean", "log_scale", "shape"):
            assert len(block) == k
            for target in range(k):
                mask = dist.raw_columns_of(np.arange(k) == target)
                assert mask[block[target]]
                assert not mask[np.delete(block, target)].any()
        if role == "mean":
            assert_array_equal(col_scale[block], scale)
            assert_array_equal(col_shift[block], shift)
        elif role == "log_scale":
            assert_array_equal(col_scale[block], 1.0)
            assert_allclose(col_shift[block], np.log(scale))
            if type(dist).intercept_only_raw is Distribution.intercept_only_raw:
                # The default start (a mixture's components start elsewhere).
                assert_allclose(start[0, block], np.log(np.std(y, axis=0)))
