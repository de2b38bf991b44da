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
