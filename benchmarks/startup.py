"""First fits in a new process: the numpy path, the compiled path, and the
default choice between them.

Every measurement runs in a new Python process, so that nothing is already
imported or compiled. For each workload it times the first fit (not the
imports) with the path forced by the environment variable
``SKLEARN_MLE_NN_COMPILED``:

- ``never``: the numpy path;
- ``always``: the compiled kernels, with numba's disk cache empty (a new
  ``NUMBA_CACHE_DIR``: numba compiles the kernels the fit needs), then
  again from the cache that run wrote;
- ``auto`` (the default): the kernels only when the fit's work reaches
  ``_compiled.MIN_WORK``, with the cache empty, then warm.

It also times importing sklearn_mle_nn and numba. Workloads: the diabetes
regression (442 x 10, the regressor's defaults), a 20,000 x 50 regression
(10 epochs) and a 100,000 x 50 one (10 epochs). The path each fit took is
read from the fit itself.

Run: python benchmarks/startup.py [--repeats 3]
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

FIRST_FIT = """
import time
import warnings
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn_mle_nn import MLERegressor, _training
warnings.simplefilter("ignore")
if "{workload}" == "diabetes":
    X, y = load_diabetes(return_X_y=True)
    params = dict(random_state=0)
else:
    n_rows = {{"20k x 50": 20_000, "100k x 50": 100_000}}["{workload}"]
    rng = np.random.RandomState(0)
    X = rng.standard_normal((n_rows, 50))
    y = np.tanh(X[:, :5]).sum(axis=1) + 0.3 * rng.standard_normal(n_rows)
    params = dict(max_iter=10, random_state=0)
used = []
original = _training.MiniBatchStep.__init__
def record(self, *args, **kwargs):
    original(self, *args, **kwargs)
    used.append(self.kernels is not None)
_training.MiniBatchStep.__init__ = record
start = time.perf_counter()
MLERegressor(**params).fit(X, y)
print(time.perf_counter() - start, int(all(used)))
"""

IMPORT = """
import time
start = time.perf_counter()
import {module}
print(time.perf_counter() - start)
"""

WORKLOADS = ("diabetes", "20k x 50", "100k x 50")


def _run(code, choice=None, cache_dir=None):
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    if choice is not None:
        env["SKLEARN_MLE_NN_COMPILED"] = choice
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return [float(value) for value in done.stdout.split()]


def _first_fits(workload):
    """Seconds and path (1: compiled) of each first fit of ``workload``."""
    code = FIRST_FIT.format(workload=workload)
    runs = {"numpy path": _run(code, "never")}
    for choice in ("always", "auto"):
        with tempfile.TemporaryDirectory() as cache:
            runs[f"{choice}, cold cache"] = _run(code, choice, cache)
            runs[f"{choice}, warm cache"] = _run(code, choice, cache)
    return runs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    seconds, paths = {}, {}
    for _ in range(args.repeats):
        for module in ("sklearn_mle_nn", "numba"):
            seconds.setdefault(("imports", f"import {module}"), []).append(
                _run(IMPORT.format(module=module))[0]
            )
        for workload in WORKLOADS:
            for run, (time, compiled) in _first_fits(workload).items():
                seconds.setdefault((workload, run), []).append(time)
                paths[workload, run] = "compiled" if compiled else "numpy"
    print(f"median of {args.repeats} new processes each, seconds")
    for (workload, run), values in seconds.items():
        path = paths.get((workload, run), "")
        print(f"{workload:10} {run:22}{np.median(values):8.3f}  {path}")


if __name__ == "__main__":
    main()
