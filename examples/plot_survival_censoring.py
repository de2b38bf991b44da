"""
==============================================
Censored survival times: Weibull, log-normal
==============================================

A time to an event is often *censored*: the study ended, or the patient
moved away, before the event, and all that is known is that it came later.
Fitting those times as if they were events biases every prediction towards
the length of follow-up. With ``distribution='weibull'`` (or
``'lognormal'``, ``'gamma'``), :class:`~sklearn_mle_nn.MLERegressor` takes
scikit-survival's structured ``y`` (an event indicator and a time): an
event contributes its density :math:`f(t \\mid x)` to the likelihood, a
censored time its survival function :math:`S(t \\mid x) = P(T > t \\mid x)`.

Here the times are Weibull, of shape 1.5, with a scale that depends on two
features, and about 40% of them are censored by an independent follow-up
time. See :ref:`censored-targets` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# Times with 40% censoring
# ------------------------
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from sklearn_mle_nn import MLERegressor

rng = np.random.RandomState(0)
n, shape = 3000, 1.5
X = rng.uniform(-1.0, 1.0, (n, 2))
scale = np.exp(1.0 + X[:, 0] - 0.5 * X[:, 1])
event_time = scale * rng.weibull(shape, n)
follow_up = rng.exponential(np.exp(1.6), n)
# scikit-survival's layout (sksurv.util.Surv.from_arrays(event, time) makes
# the same): a boolean event indicator first, the time second.
y = np.empty(n, dtype=[("event", bool), ("time", float)])
y["event"] = event_time <= follow_up
y["time"] = np.minimum(event_time, follow_up)
print(f"censored: {1 - y['event'].mean():.0%}")
train, test = slice(0, 2000), slice(2000, None)

# %%
# Censored likelihood against times taken as events
# -------------------------------------------------
# The same network fitted twice: once on the censored data, once on the
# times alone, as if every one were an event. The true median survival time
# of a row is ``scale * log(2) ** (1 / shape)``.
params = {"distribution": "weibull", "hidden_layer_sizes": (), "random_state": 0}
censored = MLERegressor(**params).fit(X[train], y[train])
as_events = MLERegressor(**params).fit(X[train], y["time"][train])
true_median = scale[test] * np.log(2) ** (1 / shape)
for label, reg in [("censored", censored), ("times as events", as_events)]:
    median = reg.predict_distribution(X[test]).median()
    error = np.median(np.abs(median / true_median - 1))
    print(
        f"{label:>16}: shape {reg.shape_[0]:.2f} (true {shape}), typical "
        f"error of the median {error:.1%}, held-out censored log-likelihood "
        f"{reg.log_likelihood(X[test], y[test]).mean():.3f}, concordance "
        f"{reg.score(X[test], y[test]):.3f}"
    )

# %%
# The fitted median survival time against the truth: the times taken as
# events fall short of it, by more where censoring is more frequent (long
# times).
fig, ax = plt.subplots(figsize=(5, 4))
for label, reg in [("censored", censored), ("times as events", as_events)]:
    median = reg.predict_distribution(X[test]).median()
    ax.scatter(true_median, median, s=4, alpha=0.5, label=label)
line = [true_median.min(), true_median.max()]
ax.plot(line, line, color="black", linewidth=1)
ax.set(
    xscale="log",
    yscale="log",
    xlabel="true median survival time",
    ylabel="predicted median",
)
ax.legend()

# %%
# Survival curves
# ---------------
# ``predict_distribution`` is scipy's frozen Weibull: its ``sf`` is the
# predicted survival curve of each row, here against the true one.
rows = X[test][:3]
times = np.linspace(0.01, 12, 200)
curves = censored.predict_distribution(rows)
fig, ax = plt.subplots(figsize=(5, 4))
for i, color in enumerate(["C0", "C1", "C2"]):
    true_sf = stats.weibull_min(shape, scale=scale[test][i]).sf(times)
    ax.plot(times, true_sf, color=color, linestyle="--")
    ax.plot(times, curves.sf(times[:, np.newaxis])[:, i], color=color)
ax.set(xlabel="time", ylabel="P(T > t | x)", title="fitted (solid), true (dashed)")
plt.show()
