"""The Gaussian code layer of a variational autoencoder.

A variational autoencoder's encoder does not give a code but a distribution
over codes, q(z | x) = N(mean(x), diag(exp(log_variance(x)))). Its code
layer puts out the mean and the log-variance of every code; the decoder
takes a draw from it, ``z = mean + exp(log_variance / 2) * noise`` with
standard normal noise (the reparameterisation trick: the draw is a
differentiable function of the layer's output, so the gradient of the loss
flows through it). Each sample's loss gains ``beta * KL(q(z | x) || N(0, I))``,
so that training minimises minus the evidence lower bound.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ._network import Workspace, _dot_into, _input_gradient, forward


class GaussianCode:
    """The stochastic code layer: q(z | x), its draws and its KL term.

    Parameters
    ----------
    layer : int
        Index of the weight layer whose output is the code layer: columns
        ``[:n_components]`` hold the means, ``[n_components:]`` the
        log-variances.
    n_components : int
        Number of codes.
    beta : float
        Weight of the KL term in the loss.
    """

    def __init__(self, layer, n_components, beta):
        self.layer = layer
        self.n_components = n_components
        self.beta = beta

    @property
    def fan_ins(self):
        """The decoder's first layer takes one draw per code."""
        return {self.layer + 1: self.n_components}

    def split(self, code_output):
        """The means and the log-variances of q(z | x)."""
        k = self.n_components
        return code_output[:, :k], code_output[:, k:]

    def draw(self, code_output, noise, out=None):
        """``z = mean + exp(log_variance / 2) * noise``."""
        mean, log_variance = self.split(code_output)
        z = np.multiply(log_variance, 0.5, out=out)
        np.exp(z, out=z)
        z *= noise
        z += mean
        return z

    def kl(self, code_output):
        """``KL(q(z | x) || N(0, I))`` of every row, in closed form."""
        mean, log_variance = self.split(code_output)
        with np.errstate(over="ignore"):
            terms = np.square(mean) + np.exp(log_variance) - 1.0 - log_variance
        return 0.5 * terms.sum(axis=1)

    def kl_gradient(self, code_output, out):
        """``d KL / d code_output``: the mean, and ``(exp(log_variance) - 1) / 2``."""
        mean, log_variance = self.split(code_output)
        k = self.n_components
        out[:, :k] = mean
        with np.errstate(over="ignore"):
            np.expm1(log_variance, out=out[:, k:])
        out[:, k:] *= 0.5
        return out

    def backward(self, code_output, noise, z_delta, out):
        """Add the gradient through the draw to ``out`` (the code's delta).

        ``z_delta`` is the loss gradient with respect to ``z``; ``z`` moves
        one for one with the mean and by ``noise * exp(log_variance / 2) / 2``
        with the log-variance.
        """
        k = self.n_components
        _, log_variance = self.split(code_output)
        out[:, :k] += z_delta
        spread = np.multiply(log_variance, 0.5)
        np.exp(spread, out=spread)
        spread *= noise
        spread *= 0.5
        spread *= z_delta
        out[:, k:] += spread
        return out

    def forward(self, X, coefs, intercepts, hidden_activations, random_state=None):
        """Raw output for ``X`` and ``beta * KL`` of every row.

        The decoder takes one draw of ``z`` per row (noise from
        ``random_state``), or the posterior mean when ``random_state`` is
        None.
        """
        encoder, decoder = slice(0, self.layer + 1), slice(self.layer + 1, None)
        code_output = forward(
            X, coefs[encoder], intercepts[encoder], hidden_activations[encoder]
        )
        if random_state is None:
            z = np.ascontiguousarray(self.split(code_output)[0])
        else:
            noise = random_state.standard_normal((X.shape[0], self.n_components))
            z = self.draw(code_output, noise.astype(code_output.dtype))
        raw = forward(
            z, coefs[decoder], intercepts[decoder], hidden_activations[decoder]
        )
        return raw, self.beta * self.kl(code_output)


class VariationalWorkspace(Workspace):
    """The buffers of a training run through a Gaussian code layer.

    The forward pass draws the noise of every row of the batch from
    ``random_state`` (or takes ``fixed_noise``, for checking gradients);
    :meth:`code_loss` adds the KL term; the backward pass runs through the
    draw. Numpy only: there are no compiled kernels for it.

    Parameters
    ----------
    layout, hidden_activations, batch_size, dtype
        As for :class:`~sklearn_mle_nn._network.Workspace`.
    code : GaussianCode
        The code layer.
    random_state : RandomState
        Source of the noise.
    """

    def __init__(
        self, layout, hidden_activations, batch_size, dtype, code, random_state
    ):
        super().__init__(layout, hidden_activations, batch_size, dtype)
        self.code = code
        self.random_state = random_state
        self.fixed_noise = None
        shape = (batch_size, code.n_components)
        self.noise = np.empty(shape, dtype=dtype)
        self.z = np.empty(shape, dtype=dtype)
        self._kl_gradient = np.empty((batch_size, 2 * code.n_components), dtype=dtype)
        self._has_kl_gradient = False

    def forward(self, X, coefs, intercepts):
        n_rows = X.shape[0]
        outputs = self._rows(n_rows)[0]
        inputs = X
        for i, (coef, intercept) in enumerate(zip(coefs, intercepts)):
            _dot_into(inputs, coef, outputs[i])
            outputs[i] += intercept
            if i < len(self.hidden_activations):
                self.hidden_activations[i].forward(outputs[i])
            inputs = outputs[i]
            if i == self.code.layer:
                inputs = self.code.draw(
                    outputs[i], self._draw_noise(n_rows), out=self.z[:n_rows]
                )
        self._has_kl_gradient = False
        return outputs[-1]

    def _draw_noise(self, n_rows):
        noise = self.noise[:n_rows]
        if self.fixed_noise is not None:
            noise[...] = self.fixed_noise[:n_rows]
        else:
            noise[...] = self.random_state.standard_normal(noise.shape)
        return noise

    def code_loss(self, n_rows, sample_weight):
        """``beta * sum_i w_i KL_i`` of the last forward pass; its gradient,
        weighted the same way, joins the backward pass."""
        code = self.code
        code_output = self.outputs[code.layer][:n_rows]
        kl = code.kl(code_output)
        gradient = code.kl_gradient(code_output, self._kl_gradient[:n_rows])
        weight = code.beta if sample_weight is None else code.beta * sample_weight
        gradient *= np.reshape(weight, (-1, 1))
        self._has_kl_gradient = True
        return code.beta * float(
            kl.sum() if sample_weight is None else kl @ sample_weight
        )

    def backward(self, X, coefs, coef_grads, intercept_grads):
        n_rows = X.shape[0]
        outputs, deltas, ones = self._rows(n_rows)
        code = self.code
        z = self.z[:n_rows]
        for i in range(len(coefs) - 1, 0, -1):
            inputs = z if i == code.layer + 1 else outputs[i - 1]
            np.dot(inputs.T, deltas[i], out=coef_grads[i])
            np.dot(ones, deltas[i], out=intercept_grads[i])
            if i != code.layer + 1:
                np.dot(deltas[i], coefs[i].T, out=deltas[i - 1])
                self.hidden_activations[i - 1].backward(outputs[i - 1], deltas[i - 1])
                continue
            # The code layer is linear: its delta is the KL term's gradient
            # plus the gradient through the draw.
            code_delta = deltas[code.layer]
            if self._has_kl_gradient:
                code_delta[...] = self._kl_gradient[:n_rows]
            else:
                code_delta[...] = 0.0
            code.backward(
                outputs[code.layer],
                self.noise[:n_rows],
                deltas[i] @ coefs[i].T,
                code_delta,
            )
        _input_gradient(X, deltas[0], coef_grads[0], ones)
        np.dot(ones, deltas[0], out=intercept_grads[0])
