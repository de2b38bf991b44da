"""Calibration of a predicted distribution, in scikit-learn's Display API."""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy import stats
from sklearn.utils import check_random_state
from sklearn.utils._optional_dependencies import check_matplotlib_support

#: Nominal levels of the central intervals, by default: 5%, 10%, ..., 95%.
DEFAULT_LEVELS = np.arange(1, 20) / 20


def _is_discrete_distribution(distribution):
    """Whether a predicted distribution is a probability mass.

    True for a ``scipy.stats`` discrete distribution (or any object with
    ``pmf`` and no ``pdf``), False for a density, None if it does not say.
    """
    family = getattr(distribution, "dist", None)
    if isinstance(family, stats.rv_discrete):
        return True
    if isinstance(family, stats.rv_continuous):
        return False
    has_mass, has_density = hasattr(distribution, "pmf"), hasattr(distribution, "pdf")
    return has_mass if has_mass != has_density else None


def _as_shape_of(values, y):
    values = np.asarray(values, dtype=float)
    return values if values.shape == y.shape else values.reshape(y.shape)


def _check_distribution(distribution, methods):
    missing = [method for method in methods if not hasattr(distribution, method)]
    if missing:
        raise ValueError(
            "PredictiveCalibrationDisplay needs a predicted distribution with "
            f"{', '.join(methods)} methods, as predict_distribution gives for "
            f"a regressor; {distribution!r} has no {', '.join(missing)}. (A "
            "classifier's calibration is scikit-learn's CalibrationDisplay.)"
        )


def _check_levels(levels):
    levels = np.asarray(levels, dtype=float)
    if levels.ndim != 1 or np.any((levels <= 0) | (levels >= 1)):
        raise ValueError(
            "levels must be a 1-D sequence of nominal coverages strictly "
            f"between 0 and 1; got {levels!r}."
        )
    return levels


def interval_coverage(y, distribution, levels):
    """Fraction of the targets inside the central interval of each level.

    The interval of level ``c`` runs from the ``(1 - c) / 2`` quantile to the
    ``(1 + c) / 2`` quantile (``ppf``), ends included, as ``predict_interval``
    gives it. Computed with numpy only (no matplotlib).

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets; every one counts once.

    distribution : object
        Their predicted distributions: a frozen, vectorised ``scipy.stats``
        distribution or any object with ``ppf``, as ``predict_distribution``
        returns.

    levels : array-like of shape (n_levels,)
        Nominal levels, in (0, 1).

    Returns
    -------
    coverage : ndarray of shape (n_levels,)
        The observed fraction of targets inside each interval: close to
        ``levels`` for a calibrated model, below it for too narrow intervals.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle_nn.metrics import interval_coverage
    >>> y = np.random.RandomState(0).normal(size=10000)
    >>> interval_coverage(y, stats.norm(np.zeros(10000), 1.0), [0.5, 0.9]).round(2)
    array([0.5, 0.9])
    """
    _check_distribution(distribution, ["ppf"])
    levels = _check_levels(levels)
    y = np.asarray(y, dtype=float)
    coverage = []
    for level in levels:
        lower = _as_shape_of(distribution.ppf((1 - level) / 2), y)
        upper = _as_shape_of(distribution.ppf((1 + level) / 2), y)
        coverage.append(np.mean((lower <= y) & (y <= upper)))
    return np.array(coverage)


def probability_integral_transform(y, distribution, random_state=None):
    """The PIT values ``F(y_i)``: uniform on [0, 1] for a calibrated model.

    For a discrete distribution ``F`` jumps at each value: the randomized PIT
    draws uniformly between ``F(y-) = F(y) - p(y)`` and ``F(y)`` (Czado,
    Gneiting and Held, 2009), which is uniform for a calibrated model too.
    Computed with numpy only (no matplotlib).

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.

    distribution : object
        Their predicted distributions: a frozen, vectorised ``scipy.stats``
        distribution or any object with ``cdf`` (and ``pmf`` if discrete),
        as ``predict_distribution`` returns.

    random_state : int, RandomState instance or None, default=None
        The uniform draws of the randomized PIT (discrete distributions
        only).

    Returns
    -------
    pit : ndarray of the shape of ``y``
        The PIT value of every target.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle_nn.metrics import probability_integral_transform
    >>> probability_integral_transform([0.0, 1.0], stats.norm([0.0, 0.0], 1.0)).round(3)
    array([0.5  , 0.841])
    """
    _check_distribution(distribution, ["cdf"])
    y = np.asarray(y, dtype=float)
    cdf = _as_shape_of(distribution.cdf(y), y)
    if not _is_discrete_distribution(distribution):
        return cdf
    below = cdf - _as_shape_of(distribution.pmf(y), y)
    uniform = check_random_state(random_state).uniform(size=y.shape)
    return below + uniform * (cdf - below)


class PredictiveCalibrationDisplay:
    """Calibration of a predicted distribution: interval coverage and PIT.

    Two panels answer "is the predicted distribution right?" on held-out
    data. On the left, for each nominal level ``c``, the fraction of the
    targets that fall inside the predicted central interval of level ``c``
    (a reliability curve: a calibrated model lies on the diagonal; below it,
    the intervals are too narrow). On the right, the histogram of the
    probability integral transform ``F(y_i | x_i)`` (PIT), flat for a
    calibrated model, U-shaped when the predicted spread is too small,
    hump-shaped when it is too large, tilted when the location is biased.
    For a discrete distribution the PIT is randomized between ``F(y-)`` and
    ``F(y)`` (Czado, Gneiting and Held, 2009), so that it is uniform too.

    Create it with :meth:`from_estimator` or :meth:`from_predictions`; the
    numbers are attributes, computed with numpy, before any plotting.
    matplotlib is needed to plot only.

    Parameters
    ----------
    levels : ndarray of shape (n_levels,)
        Nominal levels of the central intervals, in (0, 1).

    coverage : ndarray of shape (n_levels,)
        Fraction of the targets inside the interval of each level.

    pit : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        PIT values of the targets.

    estimator_name : str, default=None
        Name for the legend; None shows none.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The coverage curve.

    bars_ : matplotlib BarContainer
        The PIT histogram's bars.

    ax_ : ndarray of two matplotlib Axes
        The coverage panel and the PIT panel.

    figure_ : matplotlib Figure
        The figure of the panels.

    See Also
    --------
    sklearn.calibration.CalibrationDisplay : Reliability of a classifier's
        probabilities.

    Notes
    -----
    With a discrete distribution the central interval of level ``c``, ends
    included, holds at least ``c`` of the probability, so a calibrated
    model's coverage lies on or above the diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> from sklearn_mle_nn.metrics import PredictiveCalibrationDisplay
    >>> rng = np.random.RandomState(0)
    >>> mean = rng.normal(size=2000)
    >>> y = mean + rng.normal(size=2000)
    >>> display = PredictiveCalibrationDisplay.from_predictions(
    ...     y, stats.norm(mean, 1.0), levels=[0.5, 0.9])
    >>> display.coverage.round(2)
    array([0.5 , 0.91])
    >>> narrow = PredictiveCalibrationDisplay.from_predictions(
    ...     y, stats.norm(mean, 0.5), levels=[0.5, 0.9])
    >>> narrow.coverage.round(2)
    array([0.25, 0.59])
    """

    def __init__(self, levels, coverage, pit, *, estimator_name=None):
        self.levels = levels
        self.coverage = coverage
        self.pit = pit
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, n_bins=10, ref_line=True):
        """Plot the coverage curve and the PIT histogram.

        Parameters
        ----------
        ax : sequence of two matplotlib Axes, default=None
            The coverage panel and the PIT panel; None makes a new figure
            with both.

        name : str, default=None
            Name for the legend; None takes ``estimator_name``.

        n_bins : int, default=10
            Number of bins of the PIT histogram.

        ref_line : bool, default=True
            Whether to draw the calibrated references: the diagonal and the
            uniform density.

        Returns
        -------
        display : PredictiveCalibrationDisplay
            The display, with the plot's objects as attributes.
        """
        check_matplotlib_support("PredictiveCalibrationDisplay.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            figure, ax = plt.subplots(1, 2, figsize=(9, 4))
        coverage_ax, pit_ax = ax
        name = self.estimator_name if name is None else name

        if ref_line:
            coverage_ax.plot([0, 1], [0, 1], "k:", label="Calibrated")
        (self.line_,) = coverage_ax.plot(self.levels, self.coverage, "s-", label=name)
        coverage_ax.set(
            xlabel="Nominal level of the central interval",
            ylabel="Fraction of targets inside",
            xlim=(0, 1),
            ylim=(0, 1),
            aspect="equal",
        )
        if name is not None or ref_line:
            coverage_ax.legend(loc="upper left")

        _, _, self.bars_ = pit_ax.hist(
            np.ravel(self.pit), bins=n_bins, range=(0, 1), density=True, alpha=0.7
        )
        if ref_line:
            pit_ax.axhline(1.0, color="k", linestyle=":")
        pit_ax.set(xlabel="PIT: predicted CDF at the target", ylabel="Density")
        if name is not None:
            pit_ax.set_title(name)

        self.ax_ = np.asarray(ax)
        self.figure_ = coverage_ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        levels=None,
        random_state=None,
        name=None,
        ax=None,
        n_bins=10,
        ref_line=True,
    ):
        """Plot the calibration of a fitted estimator on ``(X, y)``.

        Parameters
        ----------
        estimator : estimator
            A fitted estimator with ``predict_distribution`` (the
            regressors, the ensembles, a :class:`sklearn_mle_nn.pipeline.Pipeline`
            ending in one).

        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Held-out inputs.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Held-out targets.

        levels : array-like of shape (n_levels,), default=None
            Nominal levels of the central intervals; None is 0.05, 0.10,
            ..., 0.95.

        random_state : int, RandomState instance or None, default=None
            Draws of the randomized PIT (discrete distributions only).

        name : str, default=None
            Name for the legend; None takes the estimator's class name.

        ax : sequence of two matplotlib Axes, default=None
            Where to plot; None makes a new figure.

        n_bins : int, default=10
            Number of bins of the PIT histogram.

        ref_line : bool, default=True
            Whether to draw the calibrated references.

        Returns
        -------
        display : PredictiveCalibrationDisplay
            The display, plotted.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        if not hasattr(estimator, "predict_distribution"):
            raise ValueError(
                f"{cls.__name__}.from_estimator needs an estimator with a "
                f"predict_distribution method; {estimator!r} has none."
            )
        return cls.from_predictions(
            y,
            estimator.predict_distribution(X),
            levels=levels,
            random_state=random_state,
            name=type(estimator).__name__ if name is None else name,
            ax=ax,
            n_bins=n_bins,
            ref_line=ref_line,
        )

    @classmethod
    def from_predictions(
        cls,
        y,
        distribution,
        *,
        levels=None,
        random_state=None,
        name=None,
        ax=None,
        n_bins=10,
        ref_line=True,
    ):
        """Plot the calibration of predicted distributions of ``y``.

        Parameters
        ----------
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Held-out targets.

        distribution : object
            The predicted distributions of ``y``, one per target: a frozen,
            vectorised ``scipy.stats`` distribution, or any object with
            ``cdf`` and ``ppf`` (and ``pmf`` if discrete), as
            ``predict_distribution`` returns.

        levels : array-like of shape (n_levels,), default=None
            Nominal levels of the central intervals; None is 0.05, 0.10,
            ..., 0.95.

        random_state : int, RandomState instance or None, default=None
            Draws of the randomized PIT (discrete distributions only).

        name : str, default=None
            Name for the legend.

        ax : sequence of two matplotlib Axes, default=None
            Where to plot; None makes a new figure.

        n_bins : int, default=10
            Number of bins of the PIT histogram.

        ref_line : bool, default=True
            Whether to draw the calibrated references.

        Returns
        -------
        display : PredictiveCalibrationDisplay
            The display, plotted.
        """
        check_matplotlib_support(f"{cls.__name__}.from_predictions")
        levels = _check_levels(DEFAULT_LEVELS if levels is None else levels)
        display = cls(
            levels=levels,
            coverage=interval_coverage(y, distribution, levels),
            pit=probability_integral_transform(y, distribution, random_state),
            estimator_name=name,
        )
        return display.plot(ax=ax, name=name, n_bins=n_bins, ref_line=ref_line)
