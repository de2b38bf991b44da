"""Training parameters shared by the test modules."""

# Every training parameter the tests rely on, spelled out, so that they do not
# depend on the estimators' defaults (which are tuned for out-of-the-box
# results). These are scikit-learn's MLP defaults with the 'sgd' solver.
SKLEARN_SGD_DEFAULTS = {
    "solver": "sgd",
    "learning_rate_init": 0.01,
    "alpha": 1e-4,
    "batch_size": "auto",
    "learning_rate": "constant",
    "momentum": 0.9,
    "nesterovs_momentum": True,
    "early_stopping": False,
    "validation_fraction": 0.1,
    "tol": 1e-4,
    "n_iter_no_change": 10,
    "shuffle": True,
    "random_state": 0,
}


def started_at_intercept_only(mlp_class, sample_weight=None):
    """scikit-learn's ``mlp_class``, started as ours is: at the intercept-only
    output layer (zero output weights, the maximum-likelihood constant as
    output intercepts; the hidden layers keep scikit-learn's random start).

    Everything else, the random draws included (the output layer is drawn
    and then replaced), is scikit-learn's own, so its twin of ours must
    train to the same network, step for step. ``sample_weight`` weighs the
    constant, for a twin fitted with those weights.
    """
    import numpy as np
    from scipy.special import logit

    class Twin(mlp_class):
        def _initialize(self, y, layer_units, dtype):
            super()._initialize(y, layer_units, dtype)
            # Clipped into (0, 1) as our links' inverses clip it.
            eps = np.finfo(float).eps
            mean = np.clip(np.average(y, axis=0, weights=sample_weight), eps, 1 - eps)
            if self.out_activation_ == "identity":
                mean = np.average(y, axis=0, weights=sample_weight)
            null = {
                "identity": lambda: mean,
                "logistic": lambda: logit(mean),
                "softmax": lambda: np.log(mean),
            }[self.out_activation_]()
            for coefs, intercepts in (
                (self.coefs_, self.intercepts_),
                (self._best_coefs, self._best_intercepts),
            ):
                coefs[-1][...] = 0
                intercepts[-1][...] = null

    Twin.__name__ = mlp_class.__name__
    return Twin
