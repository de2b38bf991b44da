"""The order of the example gallery: the order in which the user guide
tells the story, not the alphabet."""

ORDER = [
    "plot_gradient_descent.py",
    "plot_backpropagation.py",
    "plot_seed_single_neuron.py",
    "plot_vanishing_gradients.py",
    "plot_regression_uncertainty.py",
    "plot_grid_search_distribution.py",
    "plot_custom_distribution.py",
    "plot_gaussian_mixture.py",
    "plot_zero_inflated_counts.py",
    "plot_survival_censoring.py",
    "plot_multivariate_gaussian.py",
    "plot_mse_vs_cross_entropy.py",
    "plot_digits_autoencoder.py",
    "plot_anomaly_detection.py",
    "plot_vae_digits.py",
    "plot_density_anomaly.py",
    "plot_partial_fit_streaming.py",
]


class ExampleOrder:
    """sphinx-gallery ``within_subsection_order`` key: listed files first, in
    the order above, then any other file by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        position = ORDER.index(filename) if filename in ORDER else len(ORDER)
        return position, filename
