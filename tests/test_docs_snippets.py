"""Every Python snippet of README.md and docs/**/*.rst runs.

A page's snippets run in order in one namespace (a later snippet may use an
earlier one's names), in a temporary directory, with scikit-learn's
configuration and the shared scorer restored afterwards. Snippets written as
``>>>`` sessions run as doctests, their outputs compared. Where a snippet
uses data the page leaves to the reader (``X``, ``y``, ``X_new``), a small
stand-in is defined before it (``CONTEXT``); a snippet that cannot run here
is listed in ``NOT_RUN`` with the reason.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import doctest
import re
import textwrap
import warnings
from pathlib import Path

import pytest
import sklearn
from sklearn.exceptions import ConvergenceWarning

from sklearn_mle_nn.metrics import log_likelihood_scorer

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.rst"))]

# tests/test_saving_docs.py runs this page's ``>>>`` session as written.
DOCTESTS_RUN_ELSEWHERE = {"docs/saving.rst"}

# (page, text of the snippet): why it does not run here.
NOT_RUN = {
    ("docs/scaling.rst", 'client = Client("scheduler-address:8786")'): (
        "connects to a cluster at a placeholder address; "
        "tests/test_ecosystem.py runs the same search on a local dask cluster"
    ),
    ("docs/scaling.rst", 'X = da.from_zarr("features.zarr")'): (
        "reads the reader's zarr stores; tests/test_ecosystem.py trains "
        "Incremental on a chunked dask array"
    ),
    ("docs/scaling.rst", "clf.set_callbacks(ProgressBar())"): (
        "a deliberately long fit (200,000 rows, minutes) to show a progress bar"
    ),
}

_REGRESSION = """
import numpy as np
from sklearn.datasets import make_regression
from sklearn_mle_nn import MLEClassifier, MLERegressor, MLEAutoencoder
X, y = make_regression(n_samples=120, n_features=4, noise=5.0, random_state=0)
X_new, y_new = X[:5], y[:5]
"""
_CLASSIFICATION = """
import numpy as np
from sklearn.datasets import make_classification
from sklearn_mle_nn import MLEClassifier, MLERegressor, MLEAutoencoder
X, y = make_classification(n_samples=120, n_features=5, random_state=0)
X_new, w = X[:5], np.linspace(0.5, 2.0, len(y))
"""
_DIGITS = """
from sklearn.datasets import load_digits
from sklearn_mle_nn import MLEAutoencoder
X_new = load_digits().data[:5] / 16
"""
_DIGITS_SPLIT = """
from sklearn.datasets import load_digits
X_digits = load_digits().data[::4] / 16
X_train, X_test = X_digits[:300], X_digits[300:]
"""
_FRAME = """
import numpy as np
import pandas as pd
from sklearn.datasets import make_regression
rng = np.random.RandomState(0)
colour = rng.choice(["red", "green", "blue"], size=150)
size = rng.normal(size=150)
frame = pd.DataFrame({"colour": colour, "size": size})
y = 3 * size + (colour == "red") + 0.3 * rng.normal(size=150)
frame_test, y_test = frame[100:], y[100:]
X, _ = make_regression(n_samples=100, n_features=3, random_state=0)
y_positive = np.exp(X[:, 0] * 0.3 + 0.2 * rng.normal(size=100))
"""
_STREAM = """
import numpy as np
from sklearn.datasets import make_classification
from sklearn_mle_nn import MLEClassifier
X_file, y_file = make_classification(n_samples=5000, random_state=0)
np.save("X.npy", X_file)
np.save("y.npy", y_file)
classes = np.unique(y_file)
"""
_SAVED = """
import joblib
from sklearn.datasets import load_iris
from sklearn_mle_nn import MLEClassifier
joblib.dump(MLEClassifier(max_iter=5).fit(*load_iris(return_X_y=True)), "model.joblib")
"""

# (page, text of the snippet): code run before it, for the names the page
# leaves to the reader.
CONTEXT = {
    ("docs/guide/estimators.rst", 'reg = MLERegressor(hidden_layer_sizes="auto")'): (
        _REGRESSION
    ),
    ("docs/guide/estimators.rst", "reg = MLERegressor(random_state=0).fit(X, y)"): (
        _REGRESSION
    ),
    ("docs/guide/estimators.rst", "proba = clf.predict_proba(X_new)"): _CLASSIFICATION,
    ("docs/guide/estimators.rst", "codes = ae.fit_transform(X)"): _DIGITS,
    ("docs/guide/estimators.rst", "vae.fit(X_train)"): _DIGITS_SPLIT,
    ("docs/guide/estimators.rst", "preprocess = ColumnTransformer("): _FRAME,
    ("docs/scaling.rst", 'monitor = ScoringMonitor(scoring="accuracy")'): (
        _CLASSIFICATION
    ),
    ("docs/scaling.rst", "sklearn.set_config(enable_metadata_routing=True)"): (
        _CLASSIFICATION
    ),
    ("docs/guide/training.rst", 'X_disk = np.load("X.npy", mmap_mode="r")'): _STREAM,
    ("docs/saving.rst", 'model = joblib.load("model.joblib")'): _SAVED,
}

# Snippets that need an optional package or a newer scikit-learn: the module
# whose absence skips them.
NEEDS = {
    ("docs/scaling.rst", "from sklearn.callback import ScoringMonitor"): (
        "sklearn.callback"
    ),
    ("docs/saving.rst", "register_converters()"): "skl2onnx",
}


def snippets(page):
    """``(line, code)`` of every Python snippet of a page."""
    text = page.read_text()
    if page.suffix == ".md":
        return [
            (text[: match.start()].count("\n") + 1, match.group(1))
            for match in re.finditer(r"^```python\n(.*?)^```", text, re.M | re.S)
        ]
    found = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        directive = re.match(r"(\s*)\.\. code-block:: python\s*$", lines[index])
        index += 1
        if not directive:
            continue
        start, indent, body = index, len(directive.group(1)), []
        while index < len(lines) and (
            not lines[index].strip()
            or len(lines[index]) - len(lines[index].lstrip()) > indent
        ):
            body.append(lines[index])
            index += 1
        found.append((start, textwrap.dedent("\n".join(body)).strip("\n") + "\n"))
    return found


def _keyed(table, name, code):
    return [
        value for (page, line), value in table.items() if page == name and line in code
    ]


def _name(page):
    return page.relative_to(ROOT).as_posix()


def test_every_page_with_snippets_is_found():
    names = {_name(page) for page in PAGES if snippets(page)}
    assert {"README.md", "docs/index.rst", "docs/scaling.rst"} <= names
    # Every listed exception and context names exactly one snippet.
    for name, line in [*NOT_RUN, *CONTEXT, *NEEDS]:
        page = ROOT / name
        found = [code for _, code in snippets(page) if line in code]
        assert len(found) == 1, f"{len(found)} snippets of {name} hold {line!r}"


def _run_doctest(code, namespace, name, line):
    parser = doctest.DocTestParser()
    test = parser.get_doctest(code, namespace, name, name, line)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    runner.run(test, out=lambda message: failures.append(message))
    return runner.failures


failures = []


@pytest.mark.parametrize("page", [p for p in PAGES if snippets(p)], ids=_name)
def test_snippets_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = _name(page)
    namespace = {"__name__": "__snippet__"}
    scorer_state = copy.deepcopy(log_likelihood_scorer.__dict__)
    try:
        with sklearn.config_context(), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for line, code in snippets(page):
                if _keyed(NOT_RUN, name, code):
                    continue
                for module in _keyed(NEEDS, name, code):
                    pytest.importorskip(module)
                for context in _keyed(CONTEXT, name, code):
                    exec(compile(context, f"{name} context", "exec"), namespace)
                if code.lstrip().startswith(">>>"):
                    if name in DOCTESTS_RUN_ELSEWHERE:
                        continue
                    failures.clear()
                    failed = _run_doctest(code, namespace, name, line)
                    assert not failed, f"{name}:{line}\n" + "".join(failures)
                else:
                    exec(compile(code, f"{name}:{line}", "exec"), namespace)
    finally:
        log_likelihood_scorer.__dict__.clear()
        log_likelihood_scorer.__dict__.update(scorer_state)
