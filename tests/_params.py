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
