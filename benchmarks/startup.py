"""One-time costs of the compiled path: import, first compile, cached start.

Every measurement runs in a new Python process, so that nothing is already
imported or compiled:

- importing sklearn_mle_nn (numba is not imported with it), and numba alone;
- the first fit of a small classifier in each dtype, with the compiled path
  off, then on with an empty kernel cache (numba compiles the kernels the fit
  needs), then on again from the cache that the previous run wrote.

The extra time of a first fit is its time minus the numpy path's.

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
start = time.perf_counter()
from sklearn_mle_nn import MLEClassifier, _compiled
imported = time.perf_counter()
_compiled.ENABLED = {enabled}
rng = np.random.RandomState(0)
X = rng.standard_normal((500, 10)).astype("{dtype}")
y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)
warnings.simplefilter("ignore")
MLEClassifier((20,), max_iter=1).fit(X, y)
print(imported - start, time.perf_counter() - imported)
"""

IMPORT = """
import time
start = time.perf_counter()
import {module}
print(time.perf_counter() - start)
"""


def _run(code, cache_dir=None):
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    output = done.stdout
    return [float(value) for value in output.split()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = {}
    for _ in range(args.repeats):
        for module in ("sklearn_mle_nn", "numba"):
            rows.setdefault(f"import {module}", []).append(
                _run(IMPORT.format(module=module))[0]
            )
        for dtype in ("float32", "float64"):
            numpy_fit = _run(FIRST_FIT.format(enabled=False, dtype=dtype))[1]
            with tempfile.TemporaryDirectory() as cache:
                cold = _run(FIRST_FIT.format(enabled=True, dtype=dtype), cache)[1]
                cached = _run(FIRST_FIT.format(enabled=True, dtype=dtype), cache)[1]
            rows.setdefault(f"first fit, numpy path, {dtype}", []).append(numpy_fit)
            rows.setdefault(f"extra: first compile, {dtype}", []).append(
                cold - numpy_fit
            )
            rows.setdefault(f"extra: cached start, {dtype}", []).append(
                cached - numpy_fit
            )
    print(f"median of {args.repeats} new processes each, seconds")
    for name, values in rows.items():
        print(f"{name:36}{np.median(values):8.3f}")


if __name__ == "__main__":
    main()
