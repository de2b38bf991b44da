"""
===========================================
Choosing the likelihood by cross-validation
===========================================

In this library the loss is not hard-wired: it is the negative log-likelihood
of the distribution named by the ``distribution`` parameter. For
:class:`~sklearn_mle_nn.MLEClassifier`, ``'bernoulli'`` trains the class
probabilities by cross-entropy (for more than two classes, a softmax output and
categorical cross-entropy) and ``'gaussian'`` trains the same probabilities by
squared error. Since ``distribution`` is an ordinary hyper-parameter, scikit-
learn's :class:`~sklearn.model_selection.GridSearchCV` can choose it.

We score every candidate on two criteria: accuracy, and the held-out
log-loss (the mean negative log-likelihood of the true labels, which
scikit-learn reports as ``neg_log_loss``). The maximum-likelihood view says
the second is the natural one, so the search refits the winner by it.
See :ref:`mse-vs-cross-entropy` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# The search
# ----------
# Neural networks need scaled inputs, so the classifier sits in a pipeline
# after a :class:`~sklearn.preprocessing.StandardScaler`; the grid names the
# parameter through the pipeline step, ``mleclassifier__distribution``.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_mle_nn import MLEClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

pipeline = make_pipeline(StandardScaler(), MLEClassifier(random_state=0))
search = GridSearchCV(
    pipeline,
    param_grid={"mleclassifier__distribution": ["bernoulli", "gaussian"]},
    scoring=["accuracy", "neg_log_loss"],
    refit="neg_log_loss",
    cv=5,
)
with warnings.catch_warnings():
    # The default tol is strict: every fit runs its 200 epochs, which is plenty
    # here, and warns that it has not converged.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

# %%
# The results table
# -----------------
# ``cv_results_`` holds, for every candidate, the mean and standard deviation
# of each score over the five folds, and its rank.
results = search.cv_results_
print(f"{'distribution':14s}{'accuracy':>18s}{'log-loss':>18s}{'rank':>6s}")
for i, params in enumerate(results["params"]):
    accuracy = (
        f"{results['mean_test_accuracy'][i]:.3f} ± "
        f"{results['std_test_accuracy'][i]:.3f}"
    )
    loss = (
        f"{-results['mean_test_neg_log_loss'][i]:.3f} ± "
        f"{results['std_test_neg_log_loss'][i]:.3f}"
    )
    print(
        f"{params['mleclassifier__distribution']:14s}{accuracy:>18s}{loss:>18s}"
        f"{results['rank_test_neg_log_loss'][i]:6d}"
    )
print("best:", search.best_params_)

# %%
# Held-out score of the refitted winner
# -------------------------------------
# The search refits the best candidate on the whole training set; the test
# set, untouched so far, gives an unbiased estimate of its performance.
best = search.best_estimator_
print(f"test accuracy {accuracy_score(y_test, best.predict(X_test)):.3f}")
print(f"test log-loss {log_loss(y_test, best.predict_proba(X_test)):.3f}")

# %%
# Fold by fold
# ------------
# Each dot is one cross-validation fold (spread sideways so that equal scores
# stay visible). The two losses classify about as well, the squared error
# even slightly better in accuracy here, but it gives worse *probabilities*:
# its held-out log-loss is larger on every fold. Squared error on
# probabilities is a proper scoring rule, so it is not wrong; but it pushes
# much less hard against a confident mistake (its penalty is bounded, the
# log-loss is not), which is exactly what the log-likelihood measures.
names = [params["mleclassifier__distribution"] for params in results["params"]]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), layout="constrained")
for ax, (key, label) in zip(
    axes,
    [
        ("accuracy", "accuracy (higher is better)"),
        ("neg_log_loss", "log-loss (lower is better)"),
    ],
):
    sign = -1 if key == "neg_log_loss" else 1
    for position in range(len(names)):
        folds = sign * np.array(
            [results[f"split{k}_test_{key}"][position] for k in range(search.n_splits_)]
        )
        spread = position + 0.05 * (np.arange(len(folds)) - (len(folds) - 1) / 2)
        ax.scatter(spread, folds, color="tab:blue", zorder=3)
        ax.hlines(folds.mean(), position - 0.2, position + 0.2, color="black")
    ax.set(
        xticks=range(len(names)),
        xticklabels=[f"'{name}'" for name in names],
        xlim=(-0.6, len(names) - 0.4),
        xlabel="distribution",
        title=f"5-fold CV {label}",
    )
    ax.grid(alpha=0.3, axis="y")
fig.suptitle("MLEClassifier on digits: dots are folds, black lines their means")
plt.show()
