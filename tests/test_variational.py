"""MLEAutoencoder(variational=True): the evidence lower bound, generation, log p(x).

Gradients are checked against finite differences with the noise fixed; the
importance-weighted log-density against the exact marginal of a linear
Gaussian decoder (scipy); generated data against the moments the fitted
model implies; held-out density on digits against scikit-learn's factor
analysis.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import multivariate_normal, norm
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import FactorAnalysis
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from conftest import ROUND_TRIPS, RecordGradient, finite_difference
from sklearn_mle_nn import MLEAutoencoder
from sklearn_mle_nn._activations import ACTIVATIONS
from sklearn_mle_nn._network import Layout, glorot_uniform
from sklearn_mle_nn._training import MiniBatchStep, Model
from sklearn_mle_nn._variational import GaussianCode
from sklearn_mle_nn.distributions import DISTRIBUTIONS

#: Every distribution the autoencoder accepts, as p(x | z).
AUTOENCODER_DISTRIBUTIONS = [
    "gaussian",
    "heteroscedastic_gaussian",
    "laplace",
    "student_t",
    "poisson",
    "bernoulli",
]

N_SAMPLES, N_FEATURES, N_CODES, HIDDEN_UNITS = 6, 3, 2, 4


# ---- the gradient of minus the evidence lower bound -------------------------


def _variational_problem(distribution, seed=0):
    rng = np.random.RandomState(seed)
    n_raw = distribution.n_raw(N_FEATURES)
    # input -> tanh -> code (means, log-variances) -> tanh -> output
    layout = Layout(
        [N_FEATURES, HIDDEN_UNITS, 2 * N_CODES, HIDDEN_UNITS, n_raw],
        fan_ins={2: N_CODES},
    )
    params = glorot_uniform(layout, "tanh", rng, np.float64)
    params[layout.n_coef :] = rng.uniform(-0.5, 0.5, layout.n_params - layout.n_coef)
    X = rng.uniform(0.05, 0.95, size=(N_SAMPLES, N_FEATURES))
    noise = rng.normal(size=(N_SAMPLES, N_CODES))
    weights = rng.uniform(0.2, 3, size=N_SAMPLES)
    return layout, params, X, noise, weights


def _reference_objective(layout, params, X, noise, distribution, beta, alpha, w):
    """(sum_i w_i (NLL_i + beta KL_i) + alpha/2 ||W||^2) / sum_i w_i, by hand."""
    coefs, intercepts = layout.split(params)
    hidden = np.tanh(X @ coefs[0] + intercepts[0])
    code = hidden @ coefs[1] + intercepts[1]
    mean, log_variance = code[:, :N_CODES], code[:, N_CODES:]
    z = mean + np.exp(0.5 * log_variance) * noise
    raw = np.tanh(z @ coefs[2] + intercepts[2]) @ coefs[3] + intercepts[3]
    kl = 0.5 * np.sum(mean**2 + np.exp(log_variance) - 1 - log_variance, axis=1)
    nll = distribution.nll(X, raw)
    weights = params[: layout.n_coef]
    return (w @ (nll + beta * kl) + 0.5 * alpha * weights @ weights) / w.sum()


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", AUTOENCODER_DISTRIBUTIONS)
def test_elbo_gradient_matches_finite_differences(name, weighted):
    """With the noise fixed, one step's gradient is minus the ELBO's, exactly."""
    distribution = DISTRIBUTIONS[name]()
    layout, params, X, noise, weights = _variational_problem(distribution)
    if not weighted:
        weights = np.ones(N_SAMPLES)
    beta, alpha = 0.7, 0.3
    model = Model(
        layout,
        [ACTIVATIONS[a] for a in ("tanh", "identity", "tanh")],
        distribution,
        params.copy(),
        GaussianCode(1, N_CODES, beta),
    )
    recorder = RecordGradient()
    step = MiniBatchStep(model, recorder, alpha, N_SAMPLES, np.float64)
    step.workspace.fixed_noise = noise
    loss = step(X, X, weights if weighted else None)

    def objective(p):
        return _reference_objective(
            layout, p, X, noise, distribution, beta, alpha, weights
        )

    assert_array_equal(model.params, params)
    assert_allclose(
        recorder.grad, finite_difference(objective, params), rtol=1e-6, atol=1e-8
    )
    assert_allclose(loss, objective(params) * weights.sum(), rtol=1e-10)


def test_decoder_takes_one_draw_per_code():
    """The code layer has a mean and a log-variance per code; the decoder
    takes ``n_components`` inputs."""
    X = np.random.RandomState(0).rand(40, 5)
    vae = MLEAutoencoder(
        hidden_layer_sizes=(7,), n_components=3, variational=True, max_iter=2
    ).fit(X)
    assert [c.shape for c in vae.coefs_] == [(5, 7), (7, 6), (3, 7), (7, 5)]
    assert [len(b) for b in vae.intercepts_] == [7, 6, 7, 5]


# ---- log p(x): the importance-weighted estimate ---------------------------------


@pytest.fixture(scope="module")
def linear_vae():
    """A linear Gaussian decoder, whose marginal p(x) is known exactly."""
    rng = np.random.RandomState(0)
    loadings = rng.normal(size=(2, 4))
    X = rng.normal(size=(400, 2)) @ loadings + 0.3 * rng.normal(size=(400, 4)) + 5
    vae = MLEAutoencoder(
        hidden_layer_sizes=(),
        activation="identity",
        n_components=2,
        variational=True,
        max_iter=150,
        random_state=0,
    ).fit(X)
    return vae, X


def _exact_marginal(vae):
    """p(x) = N(b, W^T W + diag(sigma^2)) for x = z W + b + noise, z ~ N(0, I)."""
    W, b = vae.coefs_[-1], vae.intercepts_[-1]
    return multivariate_normal(b, W.T @ W + np.diag(vae.sigma_**2))


#: Monte Carlo error of a mean score over the rows: every row shares the same
#: draws, so their errors do not average out (about 0.01 nats at 500 draws).
MC_TOLERANCE = 0.02


def test_score_samples_approaches_the_exact_log_density(linear_vae):
    vae, X = linear_vae
    exact = _exact_marginal(vae).logpdf(X[:50])
    estimate = vae.score_samples(X[:50], n_importance_samples=3000)
    # A lower bound in expectation, and tight with many draws.
    assert estimate.mean() <= exact.mean() + MC_TOLERANCE
    assert_allclose(estimate, exact, atol=0.05)


def test_more_importance_samples_tighten_the_bound(linear_vae):
    vae, X = linear_vae
    exact = _exact_marginal(vae).logpdf(X).mean()

    def expected_score(n_draws, n_seeds=10):
        return np.mean(
            [
                vae.score(X, n_importance_samples=n_draws, random_state=seed)
                for seed in range(n_seeds)
            ]
        )

    # One draw is the evidence lower bound itself.
    elbo = expected_score(1, n_seeds=20)
    tight = expected_score(500)
    assert elbo < tight <= exact + MC_TOLERANCE


def test_score_samples_of_a_row_does_not_depend_on_the_other_rows(linear_vae):
    vae, X = linear_vae
    assert_allclose(vae.score_samples(X[:10]), vae.score_samples(X)[:10])
    assert_allclose(vae.score_samples(X[::-1])[::-1], vae.score_samples(X))


def test_log_density_is_in_the_units_of_the_data(linear_vae):
    """Data in units 10 times smaller has a density 10**d times larger; the
    scale-free training fits the same model."""
    vae, X = linear_vae
    rescaled = clone(vae).fit(X / 10)
    assert_allclose(
        rescaled.score(X / 10), vae.score(X) + X.shape[1] * np.log(10), rtol=1e-5
    )


def test_generate_draws_from_the_fitted_marginal(linear_vae):
    vae, _ = linear_vae
    draws = vae.generate(n_samples=20000, random_state=0)
    assert draws.shape == (20000, 4)
    marginal = _exact_marginal(vae)
    assert_allclose(draws.mean(axis=0), marginal.mean, atol=0.05)
    assert_allclose(np.cov(draws.T), marginal.cov, atol=0.08)
    assert_array_equal(draws[:5], vae.generate(20000, random_state=0)[:5])


def test_transform_is_the_posterior_mean_and_decodes_to_predict(linear_vae):
    vae, X = linear_vae
    coefs, intercepts = vae.coefs_, vae.intercepts_
    code_output = X @ coefs[0] + intercepts[0]
    codes = vae.transform(X)
    assert_allclose(codes, code_output[:, :2])
    assert_allclose(vae.inverse_transform(codes), vae.predict(X))
    assert vae.sample(X[:3], n_samples=4, random_state=0).shape == (3, 4, 4)


def test_n_importance_samples_is_validated(linear_vae):
    vae, X = linear_vae
    with pytest.raises(ValueError, match="n_importance_samples must be a positive"):
        vae.score_samples(X, n_importance_samples=0)


# ---- the estimator ---------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    X = load_digits().data / 16
    return X[:400]


@pytest.mark.parametrize("name", AUTOENCODER_DISTRIBUTIONS)
def test_every_distribution_trains_and_generates(name, digits):
    X = np.round(digits * 16) if name == "poisson" else digits
    vae = MLEAutoencoder(
        n_components=4,
        variational=True,
        distribution=name,
        max_iter=10,
        random_state=0,
    ).fit(X)
    generated = vae.generate(n_samples=7, random_state=0)
    assert generated.shape == (7, 64)
    assert np.isfinite(generated).all()
    assert np.isfinite(vae.score_samples(X[:5], n_importance_samples=5)).all()
    if name == "bernoulli":
        assert set(np.unique(generated)) <= {0.0, 1.0}


def test_generate_needs_a_variational_autoencoder(digits):
    ae = MLEAutoencoder(max_iter=3, random_state=0).fit(digits)
    # As scikit-learn's SVC.predict_proba without probability=True.
    assert not hasattr(ae, "generate")
    # The message says why (it was only in the chained cause).
    match = "has no attribute 'generate': .* needs MLEAutoencoder\\(variational=True\\)"
    with pytest.raises(AttributeError, match=match):
        ae.generate()
    # Before fit, the parameter decides.
    assert hasattr(MLEAutoencoder(variational=True), "generate")
    assert not hasattr(MLEAutoencoder(), "generate")


def test_methods_read_the_fitted_structure_not_the_changed_parameters(digits):
    """set_params after fit changes the next fit, not the fitted model: a
    VAE's transform gave 3 columns (one a log-variance) after
    set_params(n_components=3), and score_samples a shape error after
    set_params(variational=False)."""
    X = digits[:10]
    vae = MLEAutoencoder(n_components=2, variational=True, max_iter=3, random_state=0)
    vae.fit(digits)
    codes = vae.transform(X)
    scores = vae.score_samples(X, n_importance_samples=5)
    generated = vae.generate(3, random_state=0)
    names = vae.get_feature_names_out()
    vae.set_params(n_components=3, variational=False)
    assert_array_equal(vae.transform(X), codes)
    assert_array_equal(vae.get_feature_names_out(), names)
    assert_array_equal(vae.score_samples(X, n_importance_samples=5), scores)
    assert_array_equal(vae.generate(3, random_state=0), generated)
    assert vae.inverse_transform(codes).shape == X.shape

    ae = MLEAutoencoder(n_components=2, max_iter=3, random_state=0).fit(digits)
    codes, scores = ae.transform(X), ae.score_samples(X)
    ae.set_params(n_components=3, variational=True)
    assert not hasattr(ae, "generate")
    assert_array_equal(ae.transform(X), codes)
    assert_array_equal(ae.score_samples(X), scores)


def test_generate_validates_n_samples(digits):
    vae = MLEAutoencoder(variational=True, max_iter=3, random_state=0).fit(digits)
    with pytest.raises(ValueError, match="n_samples must be a positive"):
        vae.generate(n_samples=0)


def test_a_larger_beta_pulls_the_codes_to_the_prior(digits):
    def spread(beta):
        vae = MLEAutoencoder(
            n_components=4, variational=True, beta=beta, max_iter=40, random_state=0
        )
        return vae.fit(digits).transform(digits).std()

    assert spread(30.0) < 0.5 * spread(1.0)


def test_variational_is_kept_by_warm_start_and_partial_fit(digits):
    vae = MLEAutoencoder(variational=True, warm_start=True, max_iter=3)
    vae.fit(digits)
    with pytest.raises(ValueError, match="variational=False differs"):
        vae.set_params(variational=False).fit(digits)
    stream = MLEAutoencoder(variational=True, random_state=0)
    stream.partial_fit(digits[:200]).partial_fit(digits[200:])
    assert stream.n_iter_ == 2
    assert stream.coefs_[1].shape[1] == 2 * stream.n_components


def test_early_stopping_scores_the_evidence_lower_bound(digits):
    vae = MLEAutoencoder(
        variational=True, early_stopping=True, max_iter=15, random_state=0
    ).fit(digits)
    assert len(vae.validation_scores_) == vae.n_iter_
    assert np.isfinite(vae.validation_scores_).all()


@pytest.mark.parametrize("round_trip", ROUND_TRIPS)
def test_a_saved_variational_autoencoder_generates_the_same_data(round_trip, digits):
    vae = MLEAutoencoder(variational=True, max_iter=3, random_state=0).fit(digits)
    loaded = round_trip(vae)
    assert_array_equal(
        loaded.generate(5, random_state=1), vae.generate(5, random_state=1)
    )
    assert_array_equal(loaded.score_samples(digits[:5]), vae.score_samples(digits[:5]))


@pytest.mark.peer_quality
def test_held_out_log_density_of_digits_beats_factor_analysis():
    """Issue 16's target: digits / 16, 8 codes, on the 53 pixels whose
    training standard deviation exceeds 0.02 (the others make any per-pixel
    density unbounded)."""
    X = load_digits().data / 16
    X_train, X_test = train_test_split(X, random_state=0)
    varying = X_train.std(axis=0) > 0.02
    X_train, X_test = X_train[:, varying], X_test[:, varying]
    assert varying.sum() == 53
    factor_analysis = FactorAnalysis(8).fit(X_train).score(X_test)
    vae = MLEAutoencoder(n_components=8, variational=True, random_state=0)
    assert vae.fit(X_train).score(X_test) > factor_analysis


def test_codes_that_explain_nothing_collapse_to_the_intercept_only_model():
    """On 20 rows of independent noise the evidence lower bound's optimum is
    the collapse; the fitted model is then the maximum-likelihood Gaussian of
    every feature, with a warning."""
    X = 3 * np.random.RandomState(0).uniform(size=(20, 3))
    vae = MLEAutoencoder(variational=True, random_state=1)
    with pytest.warns(ConvergenceWarning, match="collapsed model"):
        vae.fit(X)
    independent = norm.logpdf(X, X.mean(axis=0), X.std(axis=0)).sum(axis=1)
    assert_allclose(vae.score_samples(X), independent, rtol=1e-6)
    assert_allclose(vae.transform(X), 0)


def test_one_sample_is_refused_by_name():
    with pytest.raises(ValueError, match=r"at least 2 samples \(of positive"):
        MLEAutoencoder(variational=True).fit(np.ones((1, 3)))
    # One sample of positive weight among many: the same (it said "diverged").
    X = np.random.RandomState(0).normal(size=(30, 3))
    weight = np.r_[1.0, np.zeros(29)]
    with pytest.raises(ValueError, match="at least 2 samples .* got n_samples=1"):
        MLEAutoencoder(variational=True).fit(X, sample_weight=weight)


def test_a_far_outlier_scores_minus_infinity_not_nan():
    """Its code's spread overflows and the decoder gives inf - inf: the
    density was NaN, which sorts among the most typical rows."""
    rng = np.random.RandomState(0)
    X = rng.randn(400, 5) @ rng.randn(5, 5)
    vae = MLEAutoencoder(
        (32,), n_components=2, variational=True, max_iter=30, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae.fit(X)
    scores = vae.score_samples(np.vstack([X[:5], X[:1] * 1e6]))
    assert not np.isnan(scores).any()
    assert scores[-1] == -np.inf
    assert np.isfinite(scores[:5]).all()
