"""
==========================================
Counts with excess zeros: zero-inflated
==========================================

Counts often hold more zeros than a Poisson allows: a party that did not go
fishing catches nothing whatever its gear, a student who did not publish has
no articles however productive their lab. A Poisson fitted to such counts
must choose between the zeros and the rest and fits neither.
``distribution='zero_inflated_poisson'`` makes the network output, for every
row, the rate :math:`\\lambda(x)` of a Poisson and the probability
:math:`\\pi(x)` that the count is a structural zero:

.. math::

    p(0 \\mid x) = \\pi + (1 - \\pi)\\, e^{-\\lambda}, \\qquad
    p(y \\mid x) = (1 - \\pi)\\, \\mathrm{Poisson}(y;\\ \\lambda)
    \\quad (y > 0).

Here 60% of the counts are structural zeros. When the other counts are
overdispersed as well (their variance beyond their mean),
``distribution='zero_inflated_negative_binomial'`` replaces the Poisson by a
negative binomial of mean :math:`\\mu(x)` and a fitted dispersion :math:`r`
(``dispersion_``): the last section compares the four count likelihoods. See
:ref:`every-loss-a-likelihood` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Counts with 60% structural zeros
# --------------------------------
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats
from sklearn.model_selection import GridSearchCV

from sklearn_mle_nn import MLERegressor
from sklearn_mle_nn.metrics import log_likelihood_scorer

rng = np.random.RandomState(0)
n = 4000
X = rng.standard_normal((n, 3))
rate = np.exp(0.5 + 0.5 * X[:, 0] - 0.3 * X[:, 1])
y = np.where(rng.uniform(size=n) < 0.6, 0, rng.poisson(rate)).astype(float)
X_train, y_train, X_test, y_test = X[:2000], y[:2000], X[2000:], y[2000:]

# %%
# Held-out log-likelihood
# -----------------------
# The true model's is the best any model can expect; the zero-inflated
# Poisson comes within noise of it, the Poisson far below.
true_rate = rate[2000:]
truth = np.where(
    y_test == 0,
    np.log(0.6 + 0.4 * np.exp(-true_rate)),
    np.log(0.4) + stats.poisson.logpmf(y_test, true_rate),
)
print(f"{'true model':>22}: {truth.mean():.3f}")
models = {}
for name in ["poisson", "zero_inflated_poisson"]:
    models[name] = MLERegressor(
        distribution=name, hidden_layer_sizes=(16,), random_state=0
    ).fit(X_train, y_train)
    print(f"{name:>22}: {models[name].log_likelihood(X_test, y_test).mean():.3f}")

# %%
# The same choice, by cross-validation
# ------------------------------------
# The distribution is a parameter like any other: ``GridSearchCV`` scored by
# the held-out log-likelihood picks it.
search = GridSearchCV(
    MLERegressor(hidden_layer_sizes=(16,), random_state=0),
    {"distribution": ["poisson", "zero_inflated_poisson"]},
    scoring=log_likelihood_scorer,
    cv=3,
).fit(X_train, y_train)
print(search.best_params_)

# %%
# Observed and predicted frequencies of each count
# ------------------------------------------------
# Each model's predicted frequency of a count is the average over the rows
# of its probability (``predict_distribution(X).pmf``).
counts = np.arange(9)
observed = [np.mean(y_test == c) for c in counts]
plt.figure(figsize=(6, 3.5))
plt.bar(counts, observed, color="0.8", label="observed")
for name, marker in [("poisson", "s"), ("zero_inflated_poisson", "o")]:
    dist = models[name].predict_distribution(X_test)
    expected = [dist.pmf(c).mean() for c in counts]
    plt.plot(counts, expected, marker, ls="-", label=name)
plt.xlabel("count")
plt.ylabel("frequency")
plt.legend()
plt.tight_layout()
plt.show()

# %%
# Overdispersed counts with 60% structural zeros
# ----------------------------------------------
# The counts that are not structural zeros now come from a negative binomial
# of dispersion :math:`r = 1.5` (variance :math:`\mu + \mu^2 / r`). The
# zero-inflated Poisson takes their zeros for structural ones and cannot
# follow their long tail; the negative binomial explains the excess zeros by
# a smaller :math:`r`; the zero-inflated negative binomial comes within noise
# of the true model.
mean = np.exp(1.5 + 0.5 * X[:, 0] - 0.3 * X[:, 1])
nbinom = stats.nbinom(1.5, 1.5 / (1.5 + mean))
y = np.where(rng.uniform(size=n) < 0.6, 0, nbinom.rvs(random_state=rng))
y = y.astype(float)
y_train, y_test = y[:2000], y[2000:]
truth = np.where(
    y_test == 0,
    np.log(0.6 + 0.4 * nbinom.pmf(0)[2000:]),
    np.log(0.4) + nbinom.logpmf(y)[2000:],
)
print(f"{'true model':>32}: {truth.mean():.3f}")
names = [
    "poisson",
    "negative_binomial",
    "zero_inflated_poisson",
    "zero_inflated_negative_binomial",
]
for name in names:
    models[name] = MLERegressor(
        distribution=name, hidden_layer_sizes=(16,), random_state=0
    ).fit(X_train, y_train)
    print(f"{name:>32}: {models[name].log_likelihood(X_test, y_test).mean():.3f}")
print("fitted dispersion:", models["zero_inflated_negative_binomial"].dispersion_)

# %%
# The frequency of each count, observed and predicted by the three that
# model excess zeros or overdispersion.
counts = np.arange(16)
plt.figure(figsize=(6, 3.5))
plt.bar(counts, [np.mean(y_test == c) for c in counts], color="0.8", label="observed")
for name, marker in zip(names[1:], "s^o"):
    dist = models[name].predict_distribution(X_test)
    plt.plot(counts, [dist.pmf(c).mean() for c in counts], marker, ls="-", label=name)
plt.xlabel("count")
plt.ylabel("frequency")
plt.legend()
plt.tight_layout()
plt.show()
