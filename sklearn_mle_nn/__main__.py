"""``python -m sklearn_mle_nn``: a one-minute tour of the library.

Fits the three estimators on bundled scikit-learn datasets next to their
scikit-learn counterparts, a variational autoencoder next to scikit-learn's
density models, runs a grid search over the likelihood, draws samples, and
writes a figure: the autoencoders' digits and the calibration display of the
regressor's predicted distribution on held-out data.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.decomposition import PCA, FactorAnalysis
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import BayesianRidge
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from . import MLEAutoencoder, MLEClassifier, MLERegressor
from .metrics import PredictiveCalibrationDisplay
from .pipeline import make_pipeline


def _gaussian_nll(model, X_train, y_train, X_test, y_test):
    """Held-out Gaussian NLL of a point predictor, sigma from its training residuals."""
    sigma = np.std(y_train - model.predict(X_train))
    return -norm.logpdf(y_test, model.predict(X_test), sigma).mean()


def regression_rows():
    """The rows of the diabetes regressors, and the held-out data with our
    fitted pipeline (for the calibration display of the figure)."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    rows, ours = [], None
    for model in (
        MLERegressor(random_state=0),
        MLPRegressor(random_state=0),
        BayesianRidge(),
    ):
        pipe = make_pipeline(StandardScaler(), model).fit(X_train, y_train)
        if isinstance(model, MLERegressor):
            nll = -pipe.log_likelihood(X_test, y_test).mean()
            ours = (pipe, X_test, y_test)
        else:
            nll = _gaussian_nll(pipe, X_train, y_train, X_test, y_test)
        rows.append(
            ("diabetes", type(model).__name__, "R2", pipe.score(X_test, y_test))
        )
        rows.append(("diabetes", type(model).__name__, "NLL", nll))
    return rows, ours


def classification_rows():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, random_state=0, stratify=y
    )
    rows = []
    for model in (MLEClassifier(random_state=0), MLPClassifier(random_state=0)):
        pipe = make_pipeline(StandardScaler(), model).fit(X_train, y_train)
        rows.append(
            ("digits", type(model).__name__, "accuracy", pipe.score(X_test, y_test))
        )
        loss = log_loss(y_test, pipe.predict_proba(X_test))
        rows.append(("digits", type(model).__name__, "log-loss", loss))
    return rows


def autoencoder_rows(n_components=8):
    X = load_digits().data / 16
    X_train, X_test = train_test_split(X, random_state=0)
    autoencoder = MLEAutoencoder(
        hidden_layer_sizes=(128,),
        n_components=n_components,
        distribution="bernoulli",
        random_state=0,
    ).fit(X_train)
    pca = PCA(n_components=n_components).fit(X_train)
    rows = []
    for name, reconstruction in (
        ("MLEAutoencoder", autoencoder.predict(X_test)),
        ("PCA", pca.inverse_transform(pca.transform(X_test))),
    ):
        error = mean_squared_error(X_test, reconstruction)
        rows.append(("digits/16", name, f"MSE, {n_components} codes", error))
    return rows, autoencoder, X_test


def density_rows(n_components=8):
    """Held-out log-density of digits/16: a variational autoencoder against
    probabilistic PCA and factor analysis, on the pixels that vary in the
    training split (a constant pixel makes any density unbounded)."""
    X = load_digits().data / 16
    X_train, X_test = train_test_split(X, random_state=0)
    varying = X_train.std(axis=0) > 0.02
    X_train, X_test = X_train[:, varying], X_test[:, varying]
    vae = MLEAutoencoder(
        n_components=n_components, variational=True, random_state=0
    ).fit(X_train)
    rows = [("digits/16", "MLEAutoencoder", "log p(x), VAE", vae.score(X_test))]
    for model in (PCA(n_components), FactorAnalysis(n_components)):
        score = model.fit(X_train).score(X_test)
        rows.append(("digits/16", type(model).__name__, "log p(x)", score))
    return rows, vae, varying


def grid_search():
    X, y = load_breast_cancer(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), MLEClassifier(random_state=0)),
        {"mleclassifier__distribution": ["bernoulli", "gaussian"]},
        cv=3,
    ).fit(X, y)
    return search


def print_table(rows):
    print(f"{'data':<12}{'model':<16}{'metric':<18}{'value':>8}")
    print("-" * 54)
    for data, model, metric, value in rows:
        print(f"{data:<12}{model:<16}{metric:<18}{value:>8.3f}")


def draw_samples():
    X, y = load_diabetes(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MLERegressor(random_state=0)).fit(X, y)
    draws = pipe[-1].sample(pipe[0].transform(X[:3]), n_samples=5, random_state=0)
    print("\nFive draws of p(y | x) for three diabetes patients (true y, mean, draws):")
    for truth, mean, row in zip(y[:3], pipe.predict(X[:3]), draws):
        print(f"  {truth:6.1f}  {mean:6.1f}  " + " ".join(f"{d:6.1f}" for d in row))


def write_figure(path, autoencoder, X_test, vae, varying, regression):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\nmatplotlib is not installed: no figure (pip install matplotlib).")
        return
    images = X_test[:8]
    rows = {
        "data": images,
        "mean": autoencoder.predict(images),
        "sample": autoencoder.sample(images, random_state=0)[:, :, 0],
        # New digits: decoded draws of the prior (constant pixels left blank).
        "new": _full_images(
            vae.inverse_transform(np.random.RandomState(0).standard_normal((8, 8))),
            varying,
        ),
    }
    fig = plt.figure(figsize=(8, 7.6), layout="constrained")
    digits, calibration = fig.subfigures(2, 1, height_ratios=[4.4, 3.2])
    axes = digits.subplots(4, 8)
    for row_axes, (title, values) in zip(axes, rows.items()):
        for ax, image in zip(row_axes, values):
            ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        row_axes[0].set_ylabel(title)
    digits.suptitle(
        "MLEAutoencoder (Bernoulli): digits, reconstruction means, samples;\n"
        "variational (Gaussian): new digits from the prior"
    )
    # Is the predicted distribution right? Coverage of its central intervals
    # against their level, and the PIT histogram (flat when it is).
    pipe, X_held_out, y_held_out = regression
    PredictiveCalibrationDisplay.from_estimator(
        pipe, X_held_out, y_held_out, ax=calibration.subplots(1, 2), name="ours"
    )
    calibration.suptitle("MLERegressor (Gaussian), held-out diabetes")
    fig.savefig(path, dpi=100)
    print(f"\nFigure written to {Path(path).resolve()}")


def _full_images(pixels, varying):
    images = np.zeros((len(pixels), len(varying)))
    images[:, varying] = np.clip(pixels, 0, 1)
    return images


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_mle_nn", description=__doc__
    )
    parser.add_argument(
        "--figure", default="sklearn_mle_nn_demo.png", help="PNG to write"
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)

    print("Held-out results, sklearn_mle_nn next to scikit-learn (defaults):\n")
    ae_rows, autoencoder, X_test = autoencoder_rows()
    vae_rows, vae, varying = density_rows()
    regression, held_out = regression_rows()
    print_table(regression + classification_rows() + ae_rows + vae_rows)

    search = grid_search()
    print("\nGridSearchCV over the likelihood (breast cancer, 3-fold accuracy):")
    for params, score in zip(
        search.cv_results_["params"], search.cv_results_["mean_test_score"]
    ):
        print(f"  {params['mleclassifier__distribution']:<10} {score:.3f}")
    print(f"  best: {search.best_params_['mleclassifier__distribution']}")

    draw_samples()
    write_figure(args.figure, autoencoder, X_test, vae, varying, held_out)


if __name__ == "__main__":
    main()
