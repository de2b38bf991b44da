"""Tests of sklearn_mle_nn.metrics.PredictiveCalibrationDisplay and its numbers."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import MLERegressor
from sklearn_mle_nn.metrics import (
    PredictiveCalibrationDisplay,
    interval_coverage,
    probability_integral_transform,
)
from sklearn_mle_nn.pipeline import make_pipeline

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

LEVELS = np.array([0.1, 0.5, 0.8, 0.9, 0.95])
N = 4000


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def gaussian_data(seed=0):
    rng = np.random.RandomState(seed)
    mean = rng.normal(size=N) * 3.0
    return mean, mean + 2.0 * rng.normal(size=N)


def binomial_tolerance(levels, n):
    """Four standard deviations of a binomial proportion."""
    return 4 * np.sqrt(levels * (1 - levels) / n)


def test_correct_model_covers_the_nominal_level():
    mean, y = gaussian_data()
    coverage = interval_coverage(y, stats.norm(mean, 2.0), LEVELS)
    assert np.all(np.abs(coverage - LEVELS) <= binomial_tolerance(LEVELS, N))


@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_wrong_spread_against_the_exact_coverage(ratio):
    # With the predicted spread ``ratio`` times the true one, the interval of
    # level c holds 2 Phi(ratio z_c) - 1 of the targets: below c for a too
    # narrow model, above for a too wide one.
    mean, y = gaussian_data(seed=1)
    coverage = interval_coverage(y, stats.norm(mean, 2.0 * ratio), LEVELS)
    exact = 2 * stats.norm.cdf(ratio * stats.norm.ppf((1 + LEVELS) / 2)) - 1
    assert np.all(np.abs(coverage - exact) <= binomial_tolerance(exact, N))
    assert np.all(coverage < LEVELS) if ratio < 1 else np.all(coverage > LEVELS)


def test_continuous_pit_is_the_cdf_and_uniform_when_calibrated():
    mean, y = gaussian_data()
    pit = probability_integral_transform(y, stats.norm(mean, 2.0))
    assert_allclose(pit, stats.norm.cdf((y - mean) / 2.0), rtol=1e-12)
    assert stats.kstest(pit, "uniform").pvalue > 1e-3
    narrow = probability_integral_transform(y, stats.norm(mean, 1.0))
    assert stats.kstest(narrow, "uniform").pvalue < 1e-6


def test_discrete_pit_is_randomized_and_uniform_when_calibrated():
    rng = np.random.RandomState(0)
    rate = np.exp(rng.normal(size=N) * 0.5)
    y = rng.poisson(rate)
    distribution = stats.poisson(rate)
    pit = probability_integral_transform(y, distribution, random_state=0)
    # Each value lies in its jump [F(y - 1), F(y)] ...
    assert np.all(pit >= stats.poisson.cdf(y - 1, rate) - 1e-12)
    assert np.all(pit <= stats.poisson.cdf(y, rate) + 1e-12)
    # ... and the randomized values are uniform, where F(y) alone is not.
    assert stats.kstest(pit, "uniform").pvalue > 1e-3
    assert stats.kstest(stats.poisson.cdf(y, rate), "uniform").pvalue < 1e-6
    assert_array_equal(
        pit, probability_integral_transform(y, distribution, random_state=0)
    )


def test_from_estimator_matches_predict_interval(pyplot):
    X, y = make_regression(n_samples=300, n_features=3, noise=10.0, random_state=0)
    pipe = make_pipeline(StandardScaler(), MLERegressor(random_state=0)).fit(X, y)
    display = PredictiveCalibrationDisplay.from_estimator(pipe, X, y, levels=LEVELS)
    by_interval = []
    for level in LEVELS:
        interval = pipe.predict_interval(X, coverage=level)
        by_interval.append(np.mean((interval[:, 0] <= y) & (y <= interval[:, 1])))
    assert_allclose(display.coverage, by_interval)
    assert_allclose(display.pit, pipe.predict_distribution(X).cdf(y))
    assert display.estimator_name == "Pipeline"


def test_plot_draws_both_panels(pyplot):
    mean, y = gaussian_data()
    _, axes = pyplot.subplots(1, 2)
    display = PredictiveCalibrationDisplay.from_predictions(
        y, stats.norm(mean, 2.0), levels=LEVELS, ax=axes, name="model", n_bins=8
    )
    assert display.ax_[0] is axes[0] and display.ax_[1] is axes[1]
    assert display.figure_ is axes[0].figure
    assert_array_equal(display.line_.get_xdata(), LEVELS)
    assert_array_equal(display.line_.get_ydata(), display.coverage)
    heights = np.array([bar.get_height() for bar in display.bars_])
    assert len(heights) == 8
    assert_allclose(heights.sum() / 8, 1.0)  # a density over [0, 1]
    assert axes[0].get_legend().get_texts()[-1].get_text() == "model"


def test_default_levels_and_a_new_figure(pyplot):
    mean, y = gaussian_data()
    display = PredictiveCalibrationDisplay.from_predictions(y, stats.norm(mean, 2.0))
    assert_allclose(display.levels, np.arange(1, 20) / 20)
    assert display.ax_.shape == (2,)


def test_matplotlib_missing_raises_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    mean, y = gaussian_data()
    with pytest.raises(ImportError, match="from_predictions requires matplotlib"):
        PredictiveCalibrationDisplay.from_predictions(y, stats.norm(mean, 2.0))
    # The numbers need no matplotlib.
    assert interval_coverage(y, stats.norm(mean, 2.0), [0.5]).shape == (1,)


def test_distribution_without_quantiles_raises(pyplot):
    y = np.array([0, 1, 2])
    labels = stats.multinomial(1, [[0.2, 0.8]] * 3)
    with pytest.raises(ValueError, match="ppf.*CalibrationDisplay"):
        PredictiveCalibrationDisplay.from_predictions(y, labels)


@pytest.mark.parametrize("levels", [[0.0, 0.5], [0.5, 1.0], [[0.5]]])
def test_bad_levels_raise(pyplot, levels):
    mean, y = gaussian_data()
    with pytest.raises(ValueError, match="levels must be"):
        PredictiveCalibrationDisplay.from_predictions(
            y, stats.norm(mean, 2.0), levels=levels
        )


def test_bad_levels_raise_without_matplotlib_too():
    mean, y = gaussian_data()
    with pytest.raises(ValueError, match="levels must be"):
        interval_coverage(y, stats.norm(mean, 2.0), [0.5, 1.5])


class Mixture:
    """Not a scipy object: an equal mixture of two normals, with cdf and ppf
    (by bisection), as an ensemble's predicted distribution may be."""

    def __init__(self, means, scale):
        self.means, self.scale = means, scale

    def cdf(self, y):
        return np.mean([stats.norm.cdf(y, m, self.scale) for m in self.means], axis=0)

    def pdf(self, y):
        return np.mean([stats.norm.pdf(y, m, self.scale) for m in self.means], axis=0)

    def ppf(self, q):
        low = np.full_like(self.means[0], -50.0)
        high = np.full_like(self.means[0], 50.0)
        for _ in range(100):
            middle = (low + high) / 2
            below = self.cdf(middle) < q
            low, high = np.where(below, middle, low), np.where(below, high, middle)
        return (low + high) / 2


def test_any_object_with_cdf_and_ppf(pyplot):
    # Draws from the mixture itself: calibrated, so coverage is nominal.
    rng = np.random.RandomState(0)
    means = [rng.normal(size=N), rng.normal(size=N) + 3.0]
    component = rng.randint(2, size=N)
    y = np.where(component == 0, means[0], means[1]) + rng.normal(size=N)
    mixture = Mixture(means, 1.0)
    display = PredictiveCalibrationDisplay.from_predictions(y, mixture, levels=LEVELS)
    assert np.all(np.abs(display.coverage - LEVELS) <= binomial_tolerance(LEVELS, N))
    assert_allclose(display.pit, mixture.cdf(y))
