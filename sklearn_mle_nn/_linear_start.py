"""The generalized linear model a new network starts from.

A network whose hidden layers are rectifiers contains every linear function
of its inputs: ``z = relu(z) - relu(-z)``, two units per output carried
from layer to layer. A new network starts as the distribution's own linear
model (:func:`fit_linear_mean`, its penalized maximum-likelihood fit: what
``Ridge`` gives for Gaussian targets, ``LogisticRegression`` for classes,
``PoissonRegressor`` for counts), carried by two units per mean output
(:func:`embed_linear_mean`); the other units keep their random weights and
start with no contribution (zero output weights), so training adds to the
linear fit what the data support. On data where a linear model is what
there is to learn, the fit starts there, and early stopping, which scores
the start too, keeps it unless training does better on the held-out rows.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.optimize import minimize

from ._network import _input_gradient, _is_sparse, _sparse_product

#: The narrowest spread a linear start gives a predicted spread, relative to
#: the targets' (an R^2 of 0.99): a near-perfect linear fit's spread, which
#: would be near zero, makes the first steps' 1 / sigma**2 weights explode.
MIN_START_SPREAD = 0.1
#: Iterations of L-BFGS for the linear model at most: it converges in tens
#: on standardized inputs; the network's training refines what it leaves.
MAX_ITER = 200


def linear_columns(distribution, n_targets, held=None):
    """The raw outputs a linear start sets: the mean parameter's, or None.

    A distribution whose first declared parameter is its mean, and the only
    one (a mixture has one per component, which a single linear model
    would tie together). Outputs held at a constant are left out.
    """
    roles = [parameter.role for parameter in distribution.parameters]
    if roles[0] != "mean" or roles.count("mean") != 1:
        return None
    # The mean's block comes first, one raw output per target column.
    columns = np.arange(n_targets)
    if held is not None:
        columns = columns[~held[:n_targets]]
    return columns if columns.size else None


def constant_columns(distribution, n_targets, start_raw, held=None):
    """The raw outputs after the mean's (a spread, a zero-inflation) whose
    constants the linear model fits with its mean, held outputs left out,
    and their lower bounds: a log-spread's is :data:`MIN_START_SPREAD` times
    its ``start_raw`` (the targets' own spread), the others' none.

    Returns ``(columns, lower)``, or ``(None, None)`` if there are none.
    """
    n_raw = distribution.n_raw(n_targets)
    columns = np.arange(n_targets, n_raw)
    if held is not None:
        columns = columns[~held[n_targets:n_raw]]
    if not columns.size:
        return None, None
    blocks = distribution.split(np.arange(n_raw)[np.newaxis, :])
    spreads = np.concatenate(
        [
            block.ravel()
            for block, parameter in zip(blocks, distribution.parameters)
            if parameter.role == "log_scale"
        ]
        + [np.zeros(0, dtype=int)]
    )
    lower = np.where(
        np.isin(columns, spreads),
        np.asarray(start_raw)[columns] + np.log(MIN_START_SPREAD),
        -np.inf,
    )
    return columns, lower


def can_carry(hidden_sizes, n_columns):
    """Whether rectifier layers of ``hidden_sizes`` can carry ``n_columns``
    linear outputs (two units each)."""
    return len(hidden_sizes) > 0 and min(hidden_sizes) >= 2 * n_columns


def fit_linear_mean(
    distribution,
    X,
    Y,
    sample_weight,
    start_raw,
    columns,
    penalty,
    others=None,
    lower=None,
):
    """The penalized maximum-likelihood linear model of the mean outputs.

    Minimizes ``mean_i w_i NLL(y_i, raw_i) + penalty / 2 * ||B||^2`` over
    ``raw[:, columns] = X @ B + b`` and the constants ``c`` of the raw
    outputs ``others`` (a spread, a zero-inflation: the linear model's own,
    fitted with its mean; at least ``lower``, which ``start_raw`` is), the
    remaining raw outputs held at ``start_raw`` (the intercept-only
    model's), by L-BFGS-B from ``B = 0`` and ``start_raw``.

    Returns ``(B, b, c)``, or None if the fit is no better than its start (a
    likelihood the linear model cannot improve, or steps that failed).
    """
    others = np.zeros(0, dtype=int) if others is None else np.asarray(others)
    n_features, n_columns = X.shape[1], columns.size
    # theta is B (row by row), then b, then c.
    offsets = [n_features * n_columns, n_features * n_columns + n_columns]

    def unpack(theta):
        B, b, c = np.split(theta, offsets)
        return B.reshape(n_features, n_columns), b, c

    total_weight = X.shape[0] if sample_weight is None else sample_weight.sum()
    base = np.tile(np.asarray(start_raw, dtype=np.float64), (X.shape[0], 1))
    gradient = np.empty_like(base)
    ones = np.ones(X.shape[0])

    def objective(theta):
        B, b, c = unpack(theta)
        raw = base.copy()
        raw[:, columns] = _product(X, B) + b
        raw[:, others] = c
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            nll = distribution.nll_and_gradient(Y, raw, gradient, sample_weight)
        delta = gradient[:, columns]
        if sample_weight is not None:
            delta = delta * sample_weight[:, None]
        grad_B = np.empty((n_features, n_columns))
        _input_gradient(X, delta, grad_B, ones)
        value = nll / total_weight + 0.5 * penalty * float(B.ravel() @ B.ravel())
        grad_B = grad_B / total_weight + penalty * B
        constants = gradient[:, others]
        if sample_weight is not None:
            constants = constants * sample_weight[:, None]
        grad = np.concatenate(
            [grad_B.ravel(), delta.sum(axis=0), constants.sum(axis=0)]
        )
        grad[offsets[0] :] /= total_weight
        if not (np.isfinite(value) and np.isfinite(grad).all()):
            # Steps into overflow: L-BFGS backtracks from an infinite value.
            return np.inf, np.zeros_like(theta)
        return value, grad

    start = np.concatenate(
        [np.zeros(n_features * n_columns), base[0, columns], base[0, others]]
    )
    start_value, _ = objective(start)
    bounds = None
    if lower is not None:
        free = [(None, None)] * (start.size - others.size)
        bounds = free + [
            (bound, None) for bound in np.where(np.isinf(lower), None, lower)
        ]
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": MAX_ITER, "gtol": 1e-8, "ftol": 1e-12},
    )
    if not (np.isfinite(result.fun) and result.fun < start_value):
        return None
    return unpack(result.x)


#: What a hidden unit of each activation passes on of its pair's value: a
#: pair carries ``+u`` and ``-u``; ``u`` is ``(a - b)`` for rectifiers (one
#: of them is zero), ``(a - b) / 2`` for linear units.
PAIR_WEIGHT = {"relu": 1.0, "identity": 0.5}


def embed_linear_path(coefs, intercepts, activation, encoder, decoder, code_layer=None):
    """Make the network's first outputs a linear function of its inputs, in
    place.

    ``encoder = (E, e)`` maps an input row ``x`` to ``u = x @ E + e``;
    ``decoder = (D, d)`` maps ``u`` to the first ``D.shape[1]`` outputs,
    ``u @ D + d``. The first ``2 k`` units of every hidden layer carry
    ``(u, -u)`` (``k = E.shape[1]``); a ``code_layer`` (an autoencoder's, the
    index of the weights into it) carries ``u`` itself. The weights from the
    other units into them, and from them into those outputs, are zero; the
    other units keep their random incoming weights, so that they learn from
    the first step.
    """
    E, e = encoder
    D, d = decoder
    k = E.shape[1]
    pair = PAIR_WEIGHT[activation]
    n_layers = len(coefs)
    outputs = slice(0, D.shape[1])
    # Two units per value: +I on the first k, -I on the next k.
    signs = np.concatenate([np.eye(k), -np.eye(k)], axis=1)
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        if i == 0:
            W[:, : 2 * k] = E @ signs
            b[: 2 * k] = e @ signs
        elif i == n_layers - 1:
            W[:, outputs] = 0
            W[: 2 * k, outputs] = pair * signs.T @ D
            b[outputs] = d
        elif i == code_layer:
            W[...] = 0
            W[: 2 * k] = pair * signs.T
            b[...] = 0
        elif code_layer is not None and i == code_layer + 1:
            W[:, : 2 * k] = signs
            b[: 2 * k] = 0
        else:
            W[:, : 2 * k] = 0
            W[: 2 * k, : 2 * k] = pair * signs.T @ signs
            b[: 2 * k] = 0


def embed_linear_mean(coefs, intercepts, B, b, c, columns, others=None):
    """Make the network's ``columns`` outputs ``X @ B + b`` and its
    ``others`` outputs the constants ``c``, in place (rectifier layers:
    :func:`embed_linear_path`). The mean outputs are the first; those not in
    ``columns`` (held at a constant) keep their intercept and get zero
    weights; the ``others`` have zero weights already (the intercept-only
    start's)."""
    if others is not None:
        intercepts[-1][others] = c
    width = columns.max() + 1
    decoder = np.zeros((columns.size, width))
    decoder[np.arange(columns.size), columns] = 1
    offsets = intercepts[-1][:width].copy()
    offsets[columns] = b
    embed_linear_path(
        coefs, intercepts, "relu", (B, np.zeros(columns.size)), (decoder, offsets)
    )


def _product(X, B):
    return _sparse_product(X, B) if _is_sparse(X) else X @ B
