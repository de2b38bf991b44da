"""
=========================================
Training on a stream with ``partial_fit``
=========================================

The maximum-likelihood loss is a sum over samples, so its gradient can be
estimated from any subset of them: that is what makes mini-batch gradient
descent work, and it is also what lets a network learn from data that do not
fit in memory. ``partial_fit`` runs exactly one epoch (one pass of mini-batch
steps) over the data it is given and keeps the weights and the optimizer's
state (momentum) between calls.

Here the training set lives in a NumPy file on disk, opened as a
memory-mapped array: slicing it reads only that slice. We feed it to
:class:`~sklearn_mle_nn.MLEClassifier` chunk by chunk, a few mini-batches at
a time, and watch the held-out score as the chunks arrive.
See :ref:`partial-fit` in the user guide.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

# %%
# A data set on disk
# ------------------
# 50,000 training samples of a 4-class problem with 20 features, written to a
# ``.npy`` file in a temporary directory with
# :func:`numpy.lib.format.open_memmap`. The samples are in random order, which
# matters: ``partial_fit`` shuffles within a chunk, but chunks arrive in file
# order, so a file sorted by class would make the network chase one class at
# a time. The features are already on a unit scale; for raw data, fit a
# scaler on a first chunk (or with its own ``partial_fit``) before streaming.
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sklearn_mle_nn import MLEClassifier

X, y = make_classification(
    n_samples=52_000,
    n_features=20,
    n_informative=12,
    n_classes=4,
    n_clusters_per_class=2,
    random_state=0,
)
X_test, y_test = X[-2_000:], y[-2_000:]
classes = np.unique(y)

tmp = tempfile.TemporaryDirectory()
directory = Path(tmp.name)
X_disk = np.lib.format.open_memmap(
    directory / "X.npy", mode="w+", dtype=np.float64, shape=(50_000, 20)
)
y_disk = np.lib.format.open_memmap(
    directory / "y.npy", mode="w+", dtype=np.int64, shape=(50_000,)
)
X_disk[:], y_disk[:] = X[:50_000], y[:50_000]
X_disk.flush()
y_disk.flush()
del X_disk, y_disk, X, y  # from here on the training data exist only on disk

# %%
# Streaming
# ---------
# We reopen the files read-only and pass over them five times in chunks of
# 2,000 rows; each call of ``partial_fit`` runs one epoch of mini-batch steps
# over its chunk (``batch_size`` rows per step). Only one chunk is in memory
# at a time. The first call of ``partial_fit`` must list every class, since the
# first chunk need not contain them all.
X_stream = np.load(directory / "X.npy", mmap_mode="r")
y_stream = np.load(directory / "y.npy", mmap_mode="r")
n_rows, chunk_size, n_passes = len(X_stream), 2_000, 5

clf = MLEClassifier(hidden_layer_sizes=(64,), random_state=0)
samples_seen, test_accuracy = [], []
for _ in range(n_passes):
    for start in range(0, n_rows, chunk_size):
        X_chunk = np.asarray(X_stream[start : start + chunk_size])
        y_chunk = np.asarray(y_stream[start : start + chunk_size])
        clf.partial_fit(X_chunk, y_chunk, classes=classes)
        samples_seen.append(clf.t_)
        test_accuracy.append(clf.score(X_test, y_test))

print(f"{clf.n_iter_} calls of partial_fit, {clf.t_:,} samples seen")
one_pass = test_accuracy[n_rows // chunk_size - 1]
print(f"{'held-out accuracy after one pass':36s}{one_pass:.3f}")
print(f"{f'held-out accuracy after {n_passes} passes':36s}{test_accuracy[-1]:.3f}")

# %%
# For reference, the same network fitted with ``fit`` on the whole array in
# memory, for 50 epochs.
X_all, y_all = np.asarray(X_stream), np.asarray(y_stream)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    in_memory = MLEClassifier(hidden_layer_sizes=(64,), max_iter=50, random_state=0)
    in_memory.fit(X_all, y_all)
print(f"{'fit in memory, 50 epochs':36s}{in_memory.score(X_test, y_test):.3f}")

del X_stream, y_stream, X_all, y_all  # release the files before deleting them
tmp.cleanup()

# %%
# Plot
# ----
fig, ax = plt.subplots(figsize=(8, 4.2), layout="constrained")
passes = np.array(samples_seen) / n_rows
ax.plot(passes, test_accuracy, marker=".", label="partial_fit, one chunk at a time")
ax.axhline(
    in_memory.score(X_test, y_test),
    color="black",
    linestyle="--",
    label="fit in memory, 50 epochs",
)
for boundary in range(1, n_passes):
    ax.axvline(boundary, color="gray", linewidth=0.6)
ax.set(
    xlabel="passes over the file on disk (each dot: one chunk of 2,000 rows)",
    ylabel="held-out accuracy",
    title="MLEClassifier learning from a memory-mapped file",
    xlim=(0, n_passes),
)
ax.grid(alpha=0.3, axis="y")
ax.legend(loc="lower right")
plt.show()

# %%
# Most of the learning happens in the first pass; every later pass over the
# file is one more epoch and brings the stream closer to the model fitted in
# memory, which has simply seen the data more often. ``partial_fit`` does not
# stop by itself and has no ``early_stopping``: keep a held-out set, as here,
# and decide when to stop from its score.
