"""What the test modules share."""

import io
import pickle

import joblib
import numpy as np
import pytest
import skops.io


def finite_difference(func, x, eps=1e-6):
    """Central finite differences of the scalar ``func`` at the array ``x``."""
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (func(x + step) - func(x - step)) / (2 * eps)
    return grad


class RecordGradient:
    """An optimizer that records the gradient and leaves the parameters alone."""

    def begin_step(self):
        self.grad = None

    def update(self, params, grad, part=slice(None), scale=1.0):
        if self.grad is None:
            self.grad = np.full_like(grad, np.nan)
        self.grad[part] = scale * grad[part]


def _pickle(estimator):
    return pickle.loads(pickle.dumps(estimator))


def _joblib(estimator):
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def _skops(estimator):
    data = skops.io.dumps(estimator)
    return skops.io.loads(data, trusted=skops.io.get_untrusted_types(data=data))


#: The three ways of saving a model that the saving tests round-trip through.
ROUND_TRIPS = [
    pytest.param(_pickle, id="pickle"),
    pytest.param(_joblib, id="joblib"),
    pytest.param(_skops, id="skops"),
]
