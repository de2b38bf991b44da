"""What capacity and training settings move on the likelihood panel's data.

Each change of ``MLERegressor``'s settings is fitted, on the same splits and
in the same pipeline as ``quality_panel.py`` (its ``load``,
``split_indices`` and ``preprocessor``), beside the defaults, one
distribution at a time, and reported as the change's held-out NLL minus the
defaults', paired by split (mean ± standard error over the splits).

The changes (``CHANGES``): a second hidden layer; the choice between one and
two layers on each fit's own validation rows (the higher
``best_validation_score_``, the validation log-likelihood, is kept); a
larger step; more patience; a smaller penalty; the ensemble of five
(``MLEEnsembleRegressor``) of the defaults, and of ``'auto'``.

Run from the root of the checkout::

    PYTHONPATH=. python benchmarks/capacity_ablation.py --splits 10 --n-jobs 2

Per-fit results go to ``capacity_ablation.jsonl`` (``--out``) as they come.
"""

import argparse
import json
import time
import warnings

import numpy as np
import quality_panel

#: The distributions tried on each dataset: the ones the panel's search
#: picks most often there.
DISTRIBUTIONS = {
    "boston": ("heteroscedastic_gaussian", "student_t"),
    "concrete": ("heteroscedastic_gaussian", "gaussian"),
    "carseats": ("gaussian", "student_t"),
    "wage": ("student_t", "heteroscedastic_gaussian"),
    "houseprices": ("lognormal", "heteroscedastic_gaussian"),
    "doctorvisits": ("negative_binomial",),
}

DEEP = {"hidden_layer_sizes": (100, 100)}

#: name: settings of MLERegressor, a list of settings to choose among on
#: the validation rows, or ("ensemble", the members' settings).
CHANGES = {
    "defaults": {},
    "(100, 100)": DEEP,
    "chosen on validation": [{}, DEEP],
    "hidden_layer_sizes='auto'": {"hidden_layer_sizes": "auto"},
    "learning_rate_init=0.01": {"learning_rate_init": 0.01},
    "n_iter_no_change=20": {"n_iter_no_change": 20},
    "n_iter_no_change=30": {"n_iter_no_change": 30},
    "n_iter_no_change=30 and max_iter=1000": {"n_iter_no_change": 30, "max_iter": 1000},
    "alpha=0.01": {"alpha": 0.01},
    "ensemble of five": ("ensemble", {}),
    "ensemble of five 'auto'": ("ensemble", {"hidden_layer_sizes": "auto"}),
}


def fit_change(change, distribution, X, y, random_state):
    """The fitted pipeline of one change (see ``CHANGES``)."""
    from sklearn.pipeline import Pipeline

    from sklearn_mle_nn import MLEEnsembleRegressor, MLERegressor

    def pipeline(final):
        return Pipeline([("features", quality_panel.preprocessor(X)), ("model", final)])

    def regressor(settings):
        return MLERegressor(
            distribution=distribution, random_state=random_state, **settings
        )

    if isinstance(change, tuple):
        _, settings = change
        return pipeline(
            MLEEnsembleRegressor(regressor(settings), random_state=random_state)
        ).fit(X, y)
    if isinstance(change, list):
        fits = [pipeline(regressor(settings)).fit(X, y) for settings in change]
        return max(fits, key=lambda fitted: fitted[-1].best_validation_score_)
    return pipeline(regressor(change)).fit(X, y)


def run_one(dataset, distribution, name, split):
    """Held-out NLL and fit seconds of one change on one split."""
    warnings.simplefilter("ignore")
    X, y = quality_panel.load(dataset)
    train, test = quality_panel.split_indices(len(y), split)
    start = time.perf_counter()
    fitted = fit_change(CHANGES[name], distribution, X.iloc[train], y[train], split)
    seconds = time.perf_counter() - start
    Z = fitted[:-1].transform(X.iloc[test])
    nll = -float(np.mean(fitted[-1].log_likelihood(Z, y[test])))
    return {
        "dataset": dataset,
        "distribution": distribution,
        "change": name,
        "split": split,
        "nll": nll,
        "seconds": seconds,
    }


def paired_differences(results):
    """{(dataset, distribution, change): (mean, standard error)} of the
    change's NLL minus the defaults', over the splits both have."""
    by_key = {}
    for r in results:
        key = (r["dataset"], r["distribution"], r["change"])
        by_key.setdefault(key, {})[r["split"]] = r["nll"]
    out = {}
    for (dataset, distribution, change), nll in by_key.items():
        if change == "defaults":
            continue
        defaults = by_key.get((dataset, distribution, "defaults"), {})
        splits = sorted(set(nll) & set(defaults))
        differences = np.array([nll[s] - defaults[s] for s in splits])
        if len(differences) < 2:
            continue
        error = differences.std(ddof=1) / np.sqrt(len(differences))
        out[(dataset, distribution, change)] = (differences.mean(), error)
    return out


def format_table(differences):
    changes = [name for name in CHANGES if name != "defaults"]
    lines = ["| dataset, distribution | " + " | ".join(changes) + " |"]
    lines.append("|---" * (len(changes) + 1) + "|")
    for dataset, distributions in DISTRIBUTIONS.items():
        for distribution in distributions:
            cells = []
            for change in changes:
                value = differences.get((dataset, distribution, change))
                cells.append(
                    "" if value is None else f"{value[0]:+.3f} ± {value[1]:.3f}"
                )
            lines.append(f"| {dataset}, {distribution} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    from joblib import Parallel, delayed

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default="capacity_ablation.jsonl")
    parser.add_argument(
        "--changes",
        default=",".join(CHANGES),
        help="comma-separated subset of the changes (the defaults always run)",
    )
    parser.add_argument(
        "--datasets", default=",".join(DISTRIBUTIONS), help="comma-separated subset"
    )
    args = parser.parse_args()
    changes = ["defaults"] + [
        name
        for name in CHANGES
        if name in args.changes.split(",") and name != "defaults"
    ]
    datasets = [name for name in DISTRIBUTIONS if name in args.datasets.split(",")]
    tasks = [
        (dataset, distribution, name, split)
        for dataset in datasets
        for distribution in DISTRIBUTIONS[dataset]
        for name in changes
        for split in range(args.splits)
    ]
    results = []
    with open(args.out, "w") as file:
        for result in Parallel(n_jobs=args.n_jobs, return_as="generator")(
            delayed(run_one)(*task) for task in tasks
        ):
            file.write(json.dumps(result) + "\n")
            file.flush()
            results.append(result)
    print(format_table(paired_differences(results)))


if __name__ == "__main__":
    main()
