"""Activation functions, each with its derivative written from its output.

Every ``forward`` works in place on the pre-activation ``Z`` and returns it;
every ``backward`` multiplies an upstream gradient ``delta`` in place by the
Jacobian of the activation, expressed through the activation's *output* ``A``
(which is what the forward pass keeps), exactly as in scikit-learn's MLP.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import expit, log_expit, logit


class Identity:
    """``a = z``; ``da/dz = 1``."""

    name = "identity"

    @staticmethod
    def forward(Z):
        return Z

    @staticmethod
    def backward(A, delta):
        return delta

    @staticmethod
    def inverse(A):
        """``z`` from ``a``."""
        return np.array(A, dtype=float)


class Logistic:
    """``a = 1 / (1 + exp(-z))``; ``da/dz = a (1 - a)``."""

    name = "logistic"

    @staticmethod
    def forward(Z):
        return expit(Z, out=Z)

    @staticmethod
    def backward(A, delta):
        delta *= A
        delta -= delta * A
        return delta

    @staticmethod
    def inverse(A):
        """``z = log(a / (1 - a))``, ``a`` clipped into the open interval."""
        return logit(_clip_open(A, 0.0, 1.0))

    @staticmethod
    def log_forward(Z):
        """``log a``, computed from ``z`` so that it stays finite."""
        return log_expit(Z)


class Tanh:
    """``a = tanh(z)``; ``da/dz = 1 - a**2``."""

    name = "tanh"

    @staticmethod
    def forward(Z):
        return np.tanh(Z, out=Z)

    @staticmethod
    def backward(A, delta):
        derivative = np.multiply(A, A)
        np.subtract(1, derivative, out=derivative)
        delta *= derivative
        return delta

    @staticmethod
    def inverse(A):
        """``z = artanh(a)``, ``a`` clipped into the open interval."""
        return np.arctanh(_clip_open(A, -1.0, 1.0))


class Relu:
    """``a = max(z, 0)``; ``da/dz = 1 where a > 0 else 0``."""

    name = "relu"

    @staticmethod
    def forward(Z):
        return np.maximum(Z, 0, out=Z)

    @staticmethod
    def backward(A, delta):
        # A multiply by the 0/1 mask is an order of magnitude faster than
        # boolean-mask assignment.
        return np.multiply(delta, A > 0, out=delta)

    @staticmethod
    def inverse(A):
        """A ``z`` with ``max(z, 0) = a`` for ``a >= 0``; 0 for ``a < 0``."""
        return np.maximum(np.asarray(A, dtype=float), 0.0)


class Softmax:
    """``a_j = exp(z_j) / sum_k exp(z_k)``, row-wise.

    Its Jacobian is ``diag(a) - a a^T``, so the vector-Jacobian product is
    ``a * (delta - <a, delta>)``.
    """

    name = "softmax"

    @staticmethod
    def forward(Z):
        # Subtracting the row maximum leaves softmax unchanged and keeps exp finite.
        Z -= Z.max(axis=1, keepdims=True)
        np.exp(Z, out=Z)
        Z /= Z.sum(axis=1, keepdims=True)
        return Z

    @staticmethod
    def backward(A, delta):
        delta -= np.einsum("ij,ij->i", A, delta)[:, np.newaxis]
        delta *= A
        return delta

    @staticmethod
    def inverse(A):
        """A ``z`` (up to a constant per row) whose softmax is ``a``."""
        return np.log(_clip_open(A, 0.0, 1.0))

    @staticmethod
    def log_forward(Z):
        """``log a``, computed from ``z`` so that it stays finite."""
        Z = Z - Z.max(axis=1, keepdims=True)
        return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))


class Exp:
    """``a = exp(z)``; ``da/dz = a``. The log link of counts (output only)."""

    name = "exp"

    @staticmethod
    def forward(Z):
        # exp(30) ~ 1e13 counts: beyond it the rate has run away anyway.
        return np.exp(np.minimum(Z, 30.0, out=Z), out=Z)

    @staticmethod
    def backward(A, delta):
        delta *= A
        return delta

    @staticmethod
    def inverse(A):
        """``z = log(a)``, ``a`` kept above zero."""
        return np.log(np.maximum(np.asarray(A, dtype=float), np.finfo(float).tiny))


def _clip_open(A, low, high):
    """``A`` clipped to ``[low + eps, high - eps]``: a link's inverse stays finite."""
    eps = np.finfo(float).eps
    return np.clip(np.asarray(A, dtype=float), low + eps, high - eps)


#: Activations a user may choose, for hidden layers and for ``out_activation``.
HIDDEN_ACTIVATIONS = {cls.name: cls for cls in (Identity, Logistic, Tanh, Relu)}

#: Every activation, softmax and exp included (output layers only).
ACTIVATIONS = {**HIDDEN_ACTIVATIONS, Softmax.name: Softmax, Exp.name: Exp}
