"""benchmarks/capacity_ablation.py: its choice on validation rows, its ensemble
and its paired differences, on synthetic data (no download)."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import capacity_ablation  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "c": rng.choice(["x", "y"], n)})
    y = 10 + np.sin(2 * X["a"].to_numpy()) + (X["c"] == "x") + rng.normal(0, 0.3, n)
    return X, y


TINY = {"max_iter": 20, "hidden_layer_sizes": (4,)}


def test_the_choice_on_validation_keeps_the_higher_validation_likelihood():
    X, y = _data()
    candidates = [dict(TINY), {**TINY, "hidden_layer_sizes": (4, 4)}]
    kept = capacity_ablation.fit_change(candidates, "gaussian", X, y, 3)
    scores = [
        capacity_ablation.fit_change(settings, "gaussian", X, y, 3)[
            -1
        ].best_validation_score_
        for settings in candidates
    ]
    assert scores[0] != scores[1]
    assert kept[-1].best_validation_score_ == max(scores)
    assert (
        kept[-1].hidden_layer_sizes
        == candidates[int(np.argmax(scores))]["hidden_layer_sizes"]
    )


def test_a_change_is_fitted_with_the_distribution_and_the_split_as_seed():
    X, y = _data()
    fitted = capacity_ablation.fit_change(TINY, "laplace", X, y, 7)
    model = fitted[-1]
    assert (model.distribution, model.random_state) == ("laplace", 7)
    assert model.hidden_layer_sizes == (4,)


def test_the_ensemble_change_is_five_members_of_the_distribution():
    X, y = _data()
    fitted = capacity_ablation.fit_change(
        ("ensemble", {"max_iter": 5}), "student_t", X, y, 0
    )
    members = fitted[-1].estimators_
    assert len(members) == 5
    assert {m.distribution for m in members} == {"student_t"}
    assert len({m.random_state for m in members}) == 5
    assert {m.max_iter for m in members} == {5}


def test_paired_differences_are_the_mean_and_standard_error_per_split():
    defaults = [1.0, 2.0, 4.0, 3.0]
    changed = [0.5, 2.5, 3.0, 3.25]
    results = [
        {"dataset": "d", "distribution": "g", "change": change, "split": s, "nll": v}
        for change, values in (("defaults", defaults), ("x", changed))
        for s, v in enumerate(values)
    ]
    # A split the defaults lack is left out of the pairing.
    results.append(
        {"dataset": "d", "distribution": "g", "change": "x", "split": 9, "nll": 100.0}
    )
    (key, (mean, error)), *others = capacity_ablation.paired_differences(
        results
    ).items()
    assert not others and key == ("d", "g", "x")
    differences = np.subtract(changed, defaults)
    assert mean == pytest.approx(np.mean(differences))
    assert error == pytest.approx(stats.sem(differences))


def test_the_table_has_a_cell_per_dataset_distribution_and_change():
    key = ("carseats", "student_t", "alpha=0.01")
    table = capacity_ablation.format_table({key: (-0.0123, 0.0046)})
    row = next(line for line in table.splitlines() if "carseats, student_t" in line)
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    changes = [name for name in capacity_ablation.CHANGES if name != "defaults"]
    assert cells[0] == "carseats, student_t"
    assert cells[1 + changes.index("alpha=0.01")] == "-0.012 ± 0.005"
    assert sum(bool(cell) for cell in cells[1:]) == 1
