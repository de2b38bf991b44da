"""What the test modules share."""

import numpy as np


def finite_difference(func, x, eps=1e-6):
    """Central finite differences of the scalar ``func`` at the array ``x``."""
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (func(x + step) - func(x - step)) / (2 * eps)
    return grad
