"""Stochastic optimizers on one flat parameter vector.

An optimizer knows nothing of the model: it receives the flat parameter vector
and the flat gradient of the same length, and updates the parameters in place
with scikit-learn's update rules (``sklearn/neural_network/
_stochastic_optimizers.py``), a few vector operations per step and no
allocation.

A step is :meth:`begin_step` followed by :meth:`update` on one or more parts
of the vectors, so that the caller can walk a long vector in cache-sized
pieces; the gradient's part is overwritten, as scratch space.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np


class Optimizer:
    """The interface of an optimizer, declared once.

    The training loop calls, in this order: :meth:`begin_step` and
    :meth:`update` (once per part of the vectors) for every mini-batch,
    :meth:`after_epoch` after every epoch, :meth:`no_improvement` when the
    stopping rule sees a plateau, and :meth:`restart` when an epoch blew up
    the loss. ``learning_rate_init`` and ``learning_rate`` are readable.
    """

    def begin_step(self):
        """Start a step (Adam counts it; SGD has nothing to do)."""

    def update(self, params, grad, part=slice(None), scale=1.0):
        """Update ``params[part]`` in place from the gradient ``scale * grad[part]``.

        ``grad[part]`` is overwritten.
        """
        raise NotImplementedError

    def after_epoch(self, n_samples_seen):
        """Apply a step-size schedule after an epoch (none by default)."""

    def no_improvement(self):
        """Answer a plateau. Returns ``(stop, message)``."""
        return True, "Stopping."

    def restart(self, factor):
        """Forget the state and multiply the step size by ``factor``."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum and a schedule.

    ``velocity = momentum * velocity - learning_rate * grad``, then
    ``params += velocity`` or, with Nesterov's momentum,
    ``params += momentum * velocity - learning_rate * grad``.

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    dtype : dtype
        Dtype of the parameters.
    learning_rate_init : float
        Step size at the start.
    schedule : {'constant', 'invscaling', 'adaptive'}
        How the step size evolves (see ``MLERegressor``'s ``learning_rate``).
    momentum : float
        Weight of the previous update in the velocity.
    nesterov : bool
        Whether to use Nesterov's momentum.
    power_t : float
        Exponent of the 'invscaling' schedule.
    """

    def __init__(
        self, n_params, dtype, learning_rate_init, schedule, momentum, nesterov, power_t
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.schedule = schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros(n_params, dtype=dtype)

    def update(self, params, grad, part=slice(None), scale=1.0):
        """Update ``params[part]`` in place from the gradient ``scale * grad[part]``.

        ``grad[part]`` is overwritten.
        """
        weights, step = params[part], grad[part]
        step *= self.learning_rate * scale
        if self.momentum == 0:
            weights -= step
            return
        velocity = self.velocity[part]
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            weights -= step
            weights += np.multiply(velocity, self.momentum, out=step)
        else:
            weights += velocity

    def restart(self, factor):
        """Start afresh with the step size multiplied by ``factor``.

        Called after a step blew up the loss: the velocity, which carries
        the blow-up, is forgotten.
        """
        self.learning_rate_init *= factor
        self.learning_rate *= factor
        self.velocity[...] = 0

    def after_epoch(self, n_samples_seen):
        """Apply the 'invscaling' schedule after an epoch."""
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (
                (n_samples_seen + 1) ** self.power_t
            )

    def no_improvement(self):
        """Answer a plateau: divide the step by 5 ('adaptive') or stop.

        Returns
        -------
        stop : bool
            Whether training should stop.
        message : str
            What was done, for verbose output.
        """
        if self.schedule != "adaptive":
            return True, "Stopping."
        if self.learning_rate <= 1e-6:
            return True, "Learning rate too small. Stopping."
        self.learning_rate /= 5.0
        return False, f"Setting learning rate to {self.learning_rate:f}"


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2014) with scikit-learn's bias correction.

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    dtype : dtype
        Dtype of the parameters.
    learning_rate_init : float
        Step size.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates.
    epsilon : float
        Added to the root of the second moment for numerical stability.
    """

    def __init__(self, n_params, dtype, learning_rate_init, beta_1, beta_2, epsilon):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.first_moment = np.zeros(n_params, dtype=dtype)
        self.second_moment = np.zeros(n_params, dtype=dtype)
        self._step = np.empty(n_params, dtype=dtype)

    def begin_step(self):
        """Count the step and set its bias-corrected step size."""
        self.t += 1
        self.learning_rate = (
            self.learning_rate_init
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )

    def update(self, params, grad, part=slice(None), scale=1.0):
        """Update ``params[part]`` in place from the gradient ``scale * grad[part]``.

        ``grad[part]`` is overwritten.
        """
        gradient, step = grad[part], self._step[part]
        first_moment, second_moment = self.first_moment[part], self.second_moment[part]
        if scale != 1.0:
            gradient *= scale
        first_moment *= self.beta_1
        first_moment += np.multiply(gradient, 1 - self.beta_1, out=step)
        second_moment *= self.beta_2
        np.multiply(gradient, gradient, out=step)
        step *= 1 - self.beta_2
        second_moment += step
        np.sqrt(second_moment, out=step)
        step += self.epsilon
        np.divide(first_moment, step, out=step)
        step *= self.learning_rate
        params[part] -= step

    def restart(self, factor):
        """Start afresh with the step size multiplied by ``factor``.

        Called after a step blew up the loss: the moment estimates, which
        carry the blow-up, are forgotten, and their bias correction starts
        again.
        """
        self.learning_rate_init *= factor
        self.learning_rate *= factor
        self.first_moment[...] = 0
        self.second_moment[...] = 0
        self.t = 0


def make_optimizer(
    solver,
    n_params,
    dtype,
    *,
    learning_rate_init,
    learning_rate,
    momentum,
    nesterovs_momentum,
    power_t,
    beta_1,
    beta_2,
    epsilon,
):
    """The optimizer that ``solver`` names, with its settings."""
    if solver == "adam":
        return Adam(n_params, dtype, learning_rate_init, beta_1, beta_2, epsilon)
    return SGD(
        n_params,
        dtype,
        learning_rate_init,
        learning_rate,
        momentum,
        nesterovs_momentum,
        power_t,
    )
