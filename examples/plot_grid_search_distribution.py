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

The search crosses the two likelihoods with four strengths of the L2 penalty
``alpha``, eight candidates in all, and scores each on two criteria:
accuracy, and the held-out log-loss (the mean negative log-likelihood of the
true labels, which scikit-learn reports as ``neg_log_loss``). The
maximum-likelihood view says the second is the natural one, so the search
refits the winner by it. See :ref:`mse-vs-cross-entropy` in the user guide.
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

# Each fit runs at most 100 epochs on all its rows (``early_stopping=False``:
# the classifier's default, ``'refit'``, would train about twice as long), to
# keep the 25 fits of the search quick; three folds give each candidate three
# held-out scores.
distributions = ["bernoulli", "gaussian"]
alphas = [1e-3, 1e-2, 1e-1, 1.0]
pipeline = make_pipeline(
    StandardScaler(),
    MLEClassifier(max_iter=100, early_stopping=False, random_state=0),
)
search = GridSearchCV(
    pipeline,
    param_grid={
        "mleclassifier__distribution": distributions,
        "mleclassifier__alpha": alphas,
    },
    scoring=["accuracy", "neg_log_loss"],
    refit="neg_log_loss",
    cv=3,
)
with warnings.catch_warnings():
    # The default tol is strict: most fits run all their epochs, which is
    # enough here, and warn that they have not converged.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

# %%
# The results table
# -----------------
# ``cv_results_`` holds, for every candidate, the mean and standard deviation
# of each score over the folds, and its rank.
results = search.cv_results_
print(
    f"{'distribution':14s}{'alpha':>7s}{'accuracy':>18s}{'log-loss':>18s}{'rank':>6s}"
)
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
        f"{params['mleclassifier__distribution']:14s}"
        f"{params['mleclassifier__alpha']:7g}{accuracy:>18s}{loss:>18s}"
        f"{results['rank_test_neg_log_loss'][i]:6d}"
    )
print("best:", search.best_params_)
for distribution in distributions:
    rows = [
        i
        for i, params in enumerate(results["params"])
        if params["mleclassifier__distribution"] == distribution
    ]
    best_row = max(rows, key=lambda i: results["mean_test_neg_log_loss"][i])
    print(
        f"best {distribution!r} candidate: alpha="
        f"{results['params'][best_row]['mleclassifier__alpha']:g}, log-loss "
        f"{-results['mean_test_neg_log_loss'][best_row]:.3f}, accuracy "
        f"{results['mean_test_accuracy'][best_row]:.3f}"
    )

# %%
# Held-out score of the refitted winner
# -------------------------------------
# The search refits the best candidate on the whole training set; the test
# set, untouched so far, gives an unbiased estimate of its performance.
best = search.best_estimator_
print(f"test accuracy {accuracy_score(y_test, best.predict(X_test)):.3f}")
print(f"test log-loss {log_loss(y_test, best.predict_proba(X_test)):.3f}")

# %%
# Every candidate, fold by fold
# -----------------------------
# One line per likelihood, against ``alpha``: the line joins the mean over
# the folds, the small dots are the folds themselves. Both axes start where
# the scores mean something rather than where the points happen to lie: the
# accuracy axis runs from 50% to 100%, so that a gap of a fraction of a
# point looks as small as it is, and the log-loss axis starts at zero, the
# log-loss of a perfect model.
colors = {"bernoulli": "tab:blue", "gaussian": "tab:red"}
labels = {
    "bernoulli": "'bernoulli' (cross-entropy)",
    "gaussian": "'gaussian' (squared error)",
}
fig, (ax_accuracy, ax_loss) = plt.subplots(
    1, 2, figsize=(11, 4.5), layout="constrained"
)
for ax, key, sign in [(ax_accuracy, "accuracy", 1), (ax_loss, "neg_log_loss", -1)]:
    for distribution in distributions:
        rows = [
            i
            for i, params in enumerate(results["params"])
            if params["mleclassifier__distribution"] == distribution
        ]
        x = [results["params"][i]["mleclassifier__alpha"] for i in rows]
        folds = sign * np.array(
            [
                [results[f"split{k}_test_{key}"][i] for k in range(search.n_splits_)]
                for i in rows
            ]
        )
        ax.plot(
            x,
            folds.mean(axis=1),
            "o-",
            color=colors[distribution],
            label=labels[distribution],
        )
        for k in range(search.n_splits_):
            ax.plot(x, folds[:, k], ".", color=colors[distribution], alpha=0.4)
    ax.set(xscale="log", xlabel="alpha (L2 penalty)")
    ax.grid(alpha=0.3)
best_params = search.best_params_
for ax, key, sign in [(ax_accuracy, "accuracy", 1), (ax_loss, "neg_log_loss", -1)]:
    ax.plot(
        best_params["mleclassifier__alpha"],
        sign * results[f"mean_test_{key}"][search.best_index_],
        "o",
        markersize=14,
        markerfacecolor="none",
        color="black",
        label="chosen by the search (best log-loss)",
    )
ax_accuracy.set(
    ylabel="held-out accuracy (higher is better)",
    title=f"{search.n_splits_}-fold CV accuracy",
    ylim=(0.5, 1.0),
)
ax_loss.set(
    ylabel="held-out log-loss, nats per digit (lower is better)",
    title=f"{search.n_splits_}-fold CV log-loss",
    ylim=(0, None),
)
ax_accuracy.legend(loc="lower left")
fig.suptitle("MLEClassifier on digits: lines are means over the folds, dots the folds")
plt.show()

# %%
# With a light penalty the two likelihoods classify about equally well: the
# gap between their mean accuracies is about as large as the spread between
# folds, and on accuracy alone the choice would be a coin toss. The log-loss
# is what the search ranks by, and the lines printed under the table give
# each likelihood's best candidate by that criterion. As the penalty grows,
# the squared error degrades much faster than the cross-entropy, in both
# panels. Squared error on probabilities is a proper scoring rule, so it is
# not wrong; but it pushes much less hard against a confident mistake (its
# penalty is bounded, the log-loss is not), which is exactly what the
# log-likelihood measures. The table printed above gives the numbers behind
# each point.
