"""The robustness panel, benchmarks/robustness.py, on one small row: it must not rot."""

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import robustness  # noqa: E402


# The peer fitted again below stops at max_iter on iris, as in the panel.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_one_classifier_row_is_consistent():
    spec = robustness.RowSpec("classifier", "bernoulli", "iris", "raw")
    row = robustness.compute_row(spec, seeds=(0,))

    assert row["spec"] == spec
    assert row["n_seeds"] == 1
    counts = ("raised", "warned", "nonfinite", "at_null", "peer_raised", "peer_warned")
    for key in counts:
        assert isinstance(row[key], int) and 0 <= row[key] <= 1, key
    assert (row["first_error"] is None) == (row["raised"] == 0)
    assert (row["first_warning"] is None) == (row["warned"] == 0)
    assert bool(row["warning_categories"]) == (row["warned"] > 0)
    if row["raised"] == 0:
        assert 0 <= row["score_min"] <= row["score_mean"] <= 1
    assert 0 <= row["peer_score_min"] <= row["peer_score_mean"] <= 1
    assert row["time_ratio"] > 0 and np.isfinite(row["time_ratio"])
    assert row["difference"] == pytest.approx(
        row["score_mean"] - row["peer_score_mean"], nan_ok=True
    )
    worse = not row["score_mean"] >= row["peer_score_mean"] - robustness.TOLERANCE
    assert row["worse"] == worse
    assert row["miss"] == bool(row["raised"] or row["warned"] or row["worse"])

    # The peer's score, recomputed here from the documented split.
    X, y = robustness.load("iris")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    peer = MLPClassifier(random_state=0).fit(X_train, y_train)
    assert row["peer_score_mean"] == pytest.approx(peer.score(X_test, y_test))

    table = robustness.format_table([row])
    # Iris is balanced: ignoring the features scores about 1/3.
    assert row["at_null"] == int(row["score_mean"] <= 0.34)
    assert len(table.splitlines()) == 2
    assert "iris" in table and ("MISS" in table) == row["miss"]


def test_reconstruction_r2_of_pca_is_its_explained_variance_ratio():
    # On the data PCA was fitted on, 1 - SSE / SST is the sum of the ratios.
    spec = robustness.RowSpec("autoencoder", "gaussian", "wine", "standardized", 3)
    X_train, _, _, _ = robustness.split(spec, seed=0)
    pca = PCA(n_components=3).fit(X_train)
    score = robustness.held_out_score(spec, pca, X_train, X_train, None)
    assert score == pytest.approx(pca.explained_variance_ratio_.sum())


def test_bernoulli_autoencoder_rows_only_where_features_lie_in_unit_interval():
    specs = robustness.row_specs(["autoencoder"])
    bernoulli = {
        (spec.dataset, spec.transform, spec.n_components)
        for spec in specs
        if spec.distribution == "bernoulli"
    }
    # Features times 0.001 lie in [0, 1] for iris (max 7.9) and digits (max 16)
    # only; wine and breast cancer exceed 1000, diabetes is centred.
    expected = {("iris", "x0.001", 2), ("digits", "x0.001", 2), ("digits", "x0.001", 8)}
    assert bernoulli == expected


def test_gaussian_autoencoder_row_compares_held_out_log_likelihood_with_pca():
    """Issue 22: the autoencoder rows show the held-out score against PCA's,
    recomputed here from the documented split (ours: score, the mean
    log p(x | code(x)); PCA's: its mean log-density)."""
    from sklearn_mle_nn import MLEAutoencoder

    spec = robustness.RowSpec("autoencoder", "gaussian", "iris", "raw", 2)
    row = robustness.compute_row(spec, seeds=(0,))
    X_train, X_test, _, _ = robustness.split(spec, seed=0)
    pca = PCA(n_components=2).fit(X_train)
    assert row["peer_log_likelihood_mean"] == pytest.approx(pca.score(X_test))
    ours = MLEAutoencoder(n_components=2, random_state=0).fit(X_train)
    assert row["log_likelihood_mean"] == pytest.approx(ours.score(X_test))
    worse = row["score_mean"] < row["peer_score_mean"] or (
        row["log_likelihood_mean"] < row["peer_log_likelihood_mean"]
    )
    assert row["worse"] == (worse or row["nonfinite"] > 0)
    cells = robustness.format_table([row]).splitlines()[1].split()
    assert f"{row['log_likelihood_mean']:.2f}" in cells
    assert f"{row['peer_log_likelihood_mean']:.2f}" in cells
