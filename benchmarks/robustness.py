"""Robustness panel: the estimators' defaults on data as users pass it.

Every estimator is used with its defaults, with no scaler in front, on the
bundled datasets and on their features as given ("raw"), standardized
(StandardScaler fitted on the training split), times 1000 plus 500 and times
0.001. Each fit is compared on the same split with scikit-learn's
``MLPClassifier()`` / ``MLPRegressor()`` with their defaults, or with ``PCA``
for the autoencoder.

- Classifier (iris, wine, breast cancer, digits), ``'bernoulli'`` and
  ``'gaussian'``: held-out accuracy.
- Regressor (diabetes), ``'gaussian'`` on y and ``'bernoulli'`` on y min-max
  scaled to [0, 1] with the training split's min and max, clipped (the MLP is
  fitted and scored on the same scaled y): held-out R².
- Autoencoder (the features of all five datasets), ``'gaussian'``, and
  ``'bernoulli'`` where the transformed features lie in [0, 1]; 2 codes (and 8
  for digits) against ``PCA`` with as many components: held-out reconstruction
  R², 1 - sum of squared errors / sum of squared deviations from the training
  mean, in the units of the transformed features; for ``'gaussian'`` also the
  held-out mean log-likelihood (``score``: ours log p(x | code(x)), PCA's
  the log-density of probabilistic PCA), in nats per sample.

One row is estimator x distribution x dataset x transform over the seeds: the
fits that raised (the first message kept), the fits that warned (the
categories kept), our held-out score and the peer's (mean and min), the
difference of the means, the mean held-out log-likelihoods (Gaussian
autoencoder rows) and the fit time ratio (ours / peer's). A row misses the
target if a fit raised or warned, if a score is not finite, or if our mean
score is below the peer's minus 0.02 (below PCA's for the autoencoder, in
reconstruction R² and in log-likelihood). The column "at null"
counts our fits that score no better than ignoring the features (the most
frequent class, the training mean): they learned nothing, whatever the peer did.

Run: python benchmarks/robustness.py [--seeds 5] [--quick]
     [--estimators classifier,regressor,autoencoder]
     [--datasets iris,wine,breast_cancer,digits,diabetes] [--n-jobs 1]
     [--markdown | --rst]
"""

import argparse
import functools
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from joblib import Parallel, delayed
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

import sklearn_mle_nn
from sklearn_mle_nn import MLEAutoencoder, MLEClassifier, MLERegressor

LOADERS = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
    "diabetes": load_diabetes,
}
TRANSFORMS = ("raw", "standardized", "x1000+500", "x0.001")
ESTIMATORS = ("classifier", "regressor", "autoencoder")
CLASSIFIER_DATASETS = ("iris", "wine", "breast_cancer", "digits")
REGRESSOR_DATASETS = ("diabetes",)
AUTOENCODER_DATASETS = tuple(LOADERS)
QUICK_DATASETS = ("iris", "wine", "diabetes")
TOLERANCE = 0.02


@dataclass(frozen=True)
class RowSpec:
    """One row of the panel: what is fitted, on what, before the seeds."""

    estimator: str
    distribution: str
    dataset: str
    transform: str
    n_components: int | None = None

    @property
    def label(self):
        if self.n_components is None:
            return self.estimator
        return f"{self.estimator}-{self.n_components}"


@functools.cache
def load(dataset):
    """Features and target of a bundled dataset, as float64."""
    X, y = LOADERS[dataset](return_X_y=True)
    return np.asarray(X, dtype=np.float64), y


def transform_features(name, X_train, X_test):
    """The transformed training and test features; scalers see the training split."""
    if name == "raw":
        return X_train, X_test
    if name == "standardized":
        scaler = StandardScaler().fit(X_train)
        return scaler.transform(X_train), scaler.transform(X_test)
    if name == "x1000+500":
        return 1000 * X_train + 500, 1000 * X_test + 500
    if name == "x0.001":
        return 0.001 * X_train, 0.001 * X_test
    raise ValueError(f"unknown transform {name!r}")


def split(spec, seed):
    """The seed's split of the spec's dataset: X_train, X_test, y_train, y_test."""
    X, y = load(spec.dataset)
    stratify = y if spec.estimator == "classifier" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=stratify
    )
    X_train, X_test = transform_features(spec.transform, X_train, X_test)
    if spec.estimator == "regressor" and spec.distribution == "bernoulli":
        low, high = y_train.min(), y_train.max()
        y_train = (y_train - low) / (high - low)
        y_test = np.clip((y_test - low) / (high - low), 0.0, 1.0)
    return X_train, X_test, y_train, y_test


def bernoulli_features_apply(dataset, transform):
    """Whether the transformed features of the whole dataset lie in [0, 1]."""
    X, _ = load(dataset)
    X, _ = transform_features(transform, X, X)
    return bool(X.min() >= 0 and X.max() <= 1)


def row_specs(estimators=ESTIMATORS, datasets=tuple(LOADERS)):
    """Every row of the panel for the given estimators and datasets."""
    specs = []
    for estimator in estimators:
        for dataset in datasets:
            for transform in TRANSFORMS:
                specs.extend(_specs_of(estimator, dataset, transform))
    return specs


def _specs_of(estimator, dataset, transform):
    if estimator == "classifier" and dataset in CLASSIFIER_DATASETS:
        return [
            RowSpec(estimator, distribution, dataset, transform)
            for distribution in ("bernoulli", "gaussian")
        ]
    if estimator == "regressor" and dataset in REGRESSOR_DATASETS:
        return [
            RowSpec(estimator, distribution, dataset, transform)
            for distribution in ("gaussian", "bernoulli")
        ]
    if estimator == "autoencoder" and dataset in AUTOENCODER_DATASETS:
        distributions = ["gaussian"]
        if bernoulli_features_apply(dataset, transform):
            distributions.append("bernoulli")
        codes = (2, 8) if dataset == "digits" else (2,)
        return [
            RowSpec(estimator, distribution, dataset, transform, n_components)
            for n_components in codes
            for distribution in distributions
        ]
    return []


def _ours(spec, seed):
    if spec.estimator == "classifier":
        return MLEClassifier(distribution=spec.distribution, random_state=seed)
    if spec.estimator == "regressor":
        return MLERegressor(distribution=spec.distribution, random_state=seed)
    return MLEAutoencoder(
        distribution=spec.distribution,
        n_components=spec.n_components,
        random_state=seed,
    )


def _peer(spec, seed):
    if spec.estimator == "classifier":
        return MLPClassifier(random_state=seed)
    if spec.estimator == "regressor":
        return MLPRegressor(random_state=seed)
    return PCA(n_components=spec.n_components)


def _peer_key(spec, seed):
    """The peer fit's key: only the regressor's peer sees the distribution (its y)."""
    if spec.estimator != "regressor":
        spec = RowSpec(
            spec.estimator, "-", spec.dataset, spec.transform, spec.n_components
        )
    return "peer", spec, seed


def held_out_score(spec, model, X_train, X_test, y_test):
    """Accuracy, R² or reconstruction R², computed here so non-finite values show.

    The reconstruction R² measures deviations from the training mean.
    """
    with np.errstate(all="ignore"):
        if spec.estimator == "classifier":
            return float(np.mean(model.predict(X_test) == y_test))
        if spec.estimator == "regressor":
            residual = np.sum((y_test - model.predict(X_test)) ** 2)
            return float(1 - residual / np.sum((y_test - y_test.mean()) ** 2))
        if isinstance(model, PCA):
            reconstruction = model.inverse_transform(model.transform(X_test))
        else:
            reconstruction = model.predict(X_test)
        residual = np.sum((X_test - reconstruction) ** 2)
        return float(1 - residual / np.sum((X_test - X_train.mean(axis=0)) ** 2))


def compares_log_likelihood(spec):
    """Whether the row compares held-out log-likelihoods with PCA's: densities
    of the same data, for a Gaussian autoencoder (a Bernoulli one gives a
    probability mass, which compares with no density)."""
    return spec.estimator == "autoencoder" and spec.distribution == "gaussian"


def null_score(spec, X_train, X_test, y_train, y_test):
    """The held-out score of the model that ignores the features.

    The most frequent training class, the training mean of y, or the training
    mean of the features (reconstruction R² 0 by definition): a fit that scores
    no better has learned nothing that generalizes.
    """
    if spec.estimator == "classifier":
        classes, counts = np.unique(y_train, return_counts=True)
        return float(np.mean(y_test == classes[np.argmax(counts)]))
    if spec.estimator == "regressor":
        residual = np.sum((y_test - y_train.mean()) ** 2)
        return float(1 - residual / np.sum((y_test - y_test.mean()) ** 2))
    return 0.0


def run_fit(spec, seed, peer):
    """One fit and its held-out score, with its errors and warnings caught."""
    X_train, X_test, y_train, y_test = split(spec, seed)
    model = _peer(spec, seed) if peer else _ours(spec, seed)
    result = {
        "score": np.nan,
        "log_likelihood": np.nan,
        "seconds": np.nan,
        "error": None,
        "warnings": [],
    }
    result["null_score"] = null_score(spec, X_train, X_test, y_train, y_test)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            model.fit(X_train, y_train)
        except Exception as exc:
            result["error"] = f"fit: {type(exc).__name__}: {exc}"
        result["seconds"] = time.perf_counter() - start
        if result["error"] is None:
            try:
                result["score"] = held_out_score(spec, model, X_train, X_test, y_test)
                if spec.estimator == "autoencoder":
                    with np.errstate(all="ignore"):
                        result["log_likelihood"] = float(model.score(X_test))
            except Exception as exc:
                result["error"] = f"predict: {type(exc).__name__}: {exc}"
    result["warnings"] = [
        (warning.category.__name__, str(warning.message)) for warning in caught
    ]
    return result


def aggregate(spec, ours, peers):
    """The row's summary from the per-seed results of ours and of the peer."""
    scores = np.array([result["score"] for result in ours])
    peer_scores = np.array([result["score"] for result in peers])
    log_likelihoods = np.array([result["log_likelihood"] for result in ours])
    peer_log_likelihoods = np.array([result["log_likelihood"] for result in peers])
    errors = [result["error"] for result in ours if result["error"]]
    warned = [result["warnings"] for result in ours if result["warnings"]]
    categories = sorted({name for caught in warned for name, _ in caught})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        mean, low = np.nanmean(scores), np.nanmin(scores)
        peer_mean, peer_low = np.nanmean(peer_scores), np.nanmin(peer_scores)
        log_likelihood = np.nanmean(log_likelihoods)
        peer_log_likelihood = np.nanmean(peer_log_likelihoods)
    seconds = np.sum([result["seconds"] for result in ours])
    peer_seconds = np.sum([result["seconds"] for result in peers])
    row = {
        "spec": spec,
        "n_seeds": len(ours),
        "raised": len(errors),
        "first_error": errors[0] if errors else None,
        "warned": len(warned),
        "warning_categories": categories,
        "first_warning": f"{warned[0][0][0]}: {warned[0][0][1]}" if warned else None,
        "nonfinite": sum(
            not np.isfinite(result["score"])
            or (
                spec.estimator == "autoencoder"
                and not np.isfinite(result["log_likelihood"])
            )
            for result in ours
            if not result["error"]
        ),
        "at_null": sum(
            bool(result["score"] <= result["null_score"] + 1e-12) for result in ours
        ),
        "score_mean": float(mean),
        "score_min": float(low),
        "peer_score_mean": float(peer_mean),
        "peer_score_min": float(peer_low),
        "peer_raised": sum(result["error"] is not None for result in peers),
        "peer_warned": sum(bool(result["warnings"]) for result in peers),
        "difference": float(mean - peer_mean),
        "log_likelihood_mean": float(log_likelihood),
        "peer_log_likelihood_mean": float(peer_log_likelihood),
        "time_ratio": float(seconds / peer_seconds),
    }
    floor = peer_mean if spec.estimator == "autoencoder" else peer_mean - TOLERANCE
    # The mean is over the fits that did not raise; none left is no score at all.
    row["worse"] = bool(row["nonfinite"] > 0 or not mean >= floor)
    if compares_log_likelihood(spec):
        row["worse"] |= not log_likelihood >= peer_log_likelihood
    row["miss"] = bool(row["raised"] or row["warned"] or row["worse"])
    return row


def panel_rows(specs, seeds, n_jobs=1):
    """Run every fit of the given rows over the seeds; one summary per row."""
    tasks, index = [], {}
    for spec in specs:
        for seed in seeds:
            ours = ("ours", spec, seed)
            for key, peer in ((ours, False), (_peer_key(spec, seed), True)):
                if key not in index:
                    index[key] = len(tasks)
                    tasks.append((spec, seed, peer))
    results = Parallel(n_jobs=n_jobs)(delayed(run_fit)(*task) for task in tasks)
    return [
        aggregate(
            spec,
            [results[index["ours", spec, seed]] for seed in seeds],
            [results[index[_peer_key(spec, seed)]] for seed in seeds],
        )
        for spec in specs
    ]


def compute_row(spec, seeds=(0,)):
    """The summary of one row, fitted in this process."""
    return panel_rows([spec], seeds)[0]


COLUMNS = (
    "estimator",
    "distribution",
    "dataset",
    "transform",
    "raised",
    "warned",
    "ours mean",
    "ours min",
    "peer mean",
    "peer min",
    "diff",
    "loglik ours",
    "loglik peer",
    "time ratio",
    "at null",
    "miss",
)


def _cells(row):
    spec = row["spec"]
    warned = str(row["warned"])
    if row["warning_categories"]:
        warned += " " + ",".join(
            name.replace("Warning", "") for name in row["warning_categories"]
        )
    miss = []
    if row["raised"]:
        miss.append("raised")
    if row["warned"]:
        miss.append("warned")
    if row["worse"]:
        miss.append("worse")
    return [
        spec.label,
        spec.distribution,
        spec.dataset,
        spec.transform,
        str(row["raised"]),
        warned,
        *(
            f"{row[key]:.3f}"
            for key in ("score_mean", "score_min", "peer_score_mean", "peer_score_min")
        ),
        f"{row['difference']:+.4f}",
        *(
            f"{row[key]:.2f}" if compares_log_likelihood(spec) else ""
            for key in ("log_likelihood_mean", "peer_log_likelihood_mean")
        ),
        f"{row['time_ratio']:.3g}",
        str(row["at_null"]),
        "MISS " + "+".join(miss) if miss else "",
    ]


def format_table(rows, style="text"):
    """The rows as plain text (aligned columns), Markdown or an RST list-table."""
    lines = [COLUMNS, *(_cells(row) for row in rows)]
    if style == "markdown":
        out = ["| " + " | ".join(lines[0]) + " |"]
        out.append("|" + "|".join("---" for _ in COLUMNS) + "|")
        out += ["| " + " | ".join(cells) + " |" for cells in lines[1:]]
        return "\n".join(out)
    if style == "rst":
        out = [".. list-table::", "   :header-rows: 1", ""]
        for cells in lines:
            out.append("   * - " + (cells[0] or ".."))
            out += [f"     - {cell}" if cell else "     -" for cell in cells[1:]]
        return "\n".join(out)
    widths = [max(len(cells[i]) for cells in lines) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()
        for cells in lines
    )


def format_summary(rows, seconds):
    fits = sum(row["n_seeds"] for row in rows)
    missing = [row for row in rows if row["miss"]]
    out = [
        f"rows: {len(rows)}; fits of ours: {fits}; wall time {seconds:.0f} s",
        f"rows missing the target: {len(missing)} "
        f"(raised {sum(row['raised'] > 0 for row in rows)}, "
        f"warned {sum(row['warned'] > 0 for row in rows)}, "
        f"worse than the peer {sum(row['worse'] for row in rows)})",
        f"fits that raised: {sum(row['raised'] for row in rows)}; "
        f"fits that warned: {sum(row['warned'] for row in rows)}; "
        f"non-finite scores of fits that did not raise: "
        f"{sum(row['nonfinite'] for row in rows)}",
        f"fits of ours no better than ignoring the features (at null): "
        f"{sum(row['at_null'] for row in rows)} "
        f"in {sum(row['at_null'] > 0 for row in rows)} rows",
        f"peer fits that raised: {sum(row['peer_raised'] for row in rows)}; "
        f"peer fits that warned: {sum(row['peer_warned'] for row in rows)} "
        "(counted once per row that uses them)",
    ]
    details = [row for row in missing if row["first_error"] or row["first_warning"]]
    if details:
        out.append("\nfirst error / warning of each row that raised or warned:")
    for row in details:
        spec = row["spec"]
        name = f"{spec.label} {spec.distribution} {spec.dataset} {spec.transform}"
        message = row["first_error"] or row["first_warning"]
        out.append(f"  {name}: {' '.join(message.split())[:160]}")
    return "\n".join(out)


def _git_version(package_dir):
    """The package's commit, marked when its files differ from it; or "unknown"."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=package_dir,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--", "."], cwd=package_dir
        ).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" with uncommitted changes" if changed else "")


def _header(args, seeds, specs):
    package_dir = Path(sklearn_mle_nn.__file__).parent
    lines = [
        f"robustness panel, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"sklearn_mle_nn {sklearn_mle_nn.__version__} "
        f"({package_dir}, git {_git_version(package_dir)}), "
        f"scikit-learn {sklearn.__version__}, numpy {np.__version__}",
        f"seeds {list(seeds)}, n_jobs {args.n_jobs}, rows {len(specs)}",
        "scores: classifier accuracy, regressor R², autoencoder reconstruction R² "
        "(peer: PCA); loglik: the Gaussian autoencoder's held-out mean "
        "log-likelihood and PCA's, nats per sample; time ratio = ours / peer's; "
        "at null = fits of ours scoring no better than ignoring the features",
    ]
    bernoulli = [
        f"{spec.dataset} {spec.transform}"
        for spec in specs
        if spec.label == "autoencoder-2" and spec.distribution == "bernoulli"
    ]
    if any(spec.estimator == "autoencoder" for spec in specs):
        lines.append(
            "autoencoder 'bernoulli' needs features in [0, 1]: fitted only on "
            + (", ".join(bernoulli) or "none of these")
            + "; the other dataset x transform pairs lie outside [0, 1]"
        )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--quick", action="store_true", help="2 seeds on " + ", ".join(QUICK_DATASETS)
    )
    parser.add_argument(
        "--estimators",
        default=",".join(ESTIMATORS),
        help="comma-separated subset of " + ",".join(ESTIMATORS),
    )
    parser.add_argument(
        "--datasets",
        default=",".join(LOADERS),
        help="comma-separated subset of " + ",".join(LOADERS),
    )
    parser.add_argument("--n-jobs", type=int, default=1)
    style = parser.add_mutually_exclusive_group()
    style.add_argument("--markdown", action="store_true", help="a Markdown table")
    style.add_argument("--rst", action="store_true", help="an RST list-table")
    args = parser.parse_args()
    estimators = [name.strip() for name in args.estimators.split(",") if name]
    unknown = set(estimators) - set(ESTIMATORS)
    if unknown:
        parser.error(f"unknown estimators {sorted(unknown)}; use {ESTIMATORS}")
    datasets = tuple(name.strip() for name in args.datasets.split(",") if name)
    unknown = set(datasets) - set(LOADERS)
    if unknown:
        parser.error(f"unknown datasets {sorted(unknown)}; use {tuple(LOADERS)}")
    if args.quick:
        datasets = tuple(name for name in QUICK_DATASETS if name in datasets)
    seeds = range(2 if args.quick else args.seeds)
    specs = row_specs(estimators, datasets)
    print(_header(args, seeds, specs), flush=True)
    start = time.perf_counter()
    rows = panel_rows(specs, seeds, n_jobs=args.n_jobs)
    seconds = time.perf_counter() - start
    style = "markdown" if args.markdown else "rst" if args.rst else "text"
    print(format_table(rows, style))
    print()
    print(format_summary(rows, seconds))


if __name__ == "__main__":
    # Run the module under its own name, so that worker processes import the
    # functions instead of unpickling copies of this script's namespace.
    import robustness

    robustness.main()
