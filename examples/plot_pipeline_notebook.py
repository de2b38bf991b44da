"""
===================================================
A probabilistic regressor in a notebook, end to end
===================================================

What a notebook session with a probabilistic regressor looks like when every
step goes through one pipeline: the preprocessing of a table with a
categorical column, the fit, predictions with their spread, intervals and
draws, a picture of whether the predicted distribution is right, and a choice
of the likelihood by nested cross-validation. Nothing reaches inside the
pipeline: :class:`sklearn_mle_nn.pipeline.Pipeline` is scikit-learn's, with
``predict_interval``, ``sample``, ``predict_distribution`` and
``log_likelihood`` passed through to its last step.

See :ref:`pipelines` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# A table with a categorical column
# ---------------------------------
# scikit-learn's diabetes data, unscaled: ``sex`` is a category (1 or 2), the
# other nine columns are measurements in their own units; the target is a
# measure of disease progression one year later.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_score,
    train_test_split,
)
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_mle_nn import MLERegressor
from sklearn_mle_nn.metrics import PredictiveCalibrationDisplay, log_likelihood_scorer
from sklearn_mle_nn.pipeline import make_pipeline

X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
X_train.head()

# %%
# One pipeline
# ------------
# The category is one-hot encoded, the measurements standardized, and the
# regressor fits :math:`p(y \mid x)`, a Gaussian by default.
measurements = [column for column in X.columns if column != "sex"]
preprocess = ColumnTransformer(
    [
        ("category", OneHotEncoder(), ["sex"]),
        ("measurements", StandardScaler(), measurements),
    ]
)
model = make_pipeline(preprocess, MLERegressor(random_state=0))
model.fit(X_train, y_train)

# %%
# Predictions are distributions
# -----------------------------
# The mean and spread, a 90% interval and draws, each straight from the
# pipeline, in the units of ``y``.
mean, std = model.predict(X_test, return_std=True)
interval = model.predict_interval(X_test, coverage=0.9)
draws = model.sample(X_test, n_samples=200, random_state=0)
print(
    f"first patient: mean {mean[0]:.0f}, std {std[0]:.0f}, "
    f"90% interval [{interval[0, 0]:.0f}, {interval[0, 1]:.0f}]"
)
print("draws:", draws.shape)
inside = np.mean((interval[:, 0] <= y_test) & (y_test <= interval[:, 1]))
print(f"held-out targets inside their 90% interval: {inside:.0%}")

order = np.argsort(mean)
fig, ax = plt.subplots(figsize=(7, 4))
ax.fill_between(
    np.arange(len(order)), *interval[order].T, alpha=0.3, label="90% interval"
)
ax.plot(mean[order], label="mean")
ax.plot(draws[order, 0], ".", markersize=3, alpha=0.5, label="one draw")
ax.plot(y_test.to_numpy()[order], "k.", markersize=4, label="held-out target")
ax.set(xlabel="held-out patients, by predicted mean", ylabel="progression")
ax.legend()

# %%
# Is the predicted distribution right?
# ------------------------------------
# On held-out data: the fraction of targets inside the central interval of
# each nominal level (on the diagonal when calibrated, below it when the
# intervals are too narrow), and the histogram of the predicted CDF at each
# target (flat when calibrated, U-shaped when the spread is too small).
display = PredictiveCalibrationDisplay.from_estimator(model, X_test, y_test)
for level, covered in zip(display.levels[[1, 9, 17]], display.coverage[[1, 9, 17]]):
    print(f"nominal {level:.0%}: {covered:.0%} of the held-out targets inside")

# %%
# Which likelihood? Nested cross-validation
# -----------------------------------------
# The held-out log-likelihood chooses between a Gaussian and a Laplace
# distribution (two densities of the same ``y``: their scores compare), and
# the outer loop estimates how well the chosen model does on data the choice
# never saw. The same scorer works at both levels.
search = GridSearchCV(
    model,
    {"mleregressor__distribution": ["gaussian", "laplace"]},
    scoring=log_likelihood_scorer,
    cv=KFold(3, shuffle=True, random_state=0),
)
nested = cross_val_score(
    search,
    X,
    y,
    scoring=log_likelihood_scorer,
    cv=KFold(3, shuffle=True, random_state=1),
)
print("nested held-out mean log-likelihood per fold:", nested.round(2))
search.fit(X_train, y_train)
print("chosen:", search.best_params_)
print(
    f"its held-out log-likelihood: {log_likelihood_scorer(search, X_test, y_test):.2f}"
)

plt.show()
