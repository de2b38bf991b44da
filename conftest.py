"""Collection settings for the whole repository."""

from importlib.util import find_spec

# The ONNX export's docstring example needs the optional extra [onnx];
# without it the module's doctests are not collected (tests/test_onnx.py
# runs them, and is skipped, with its reason, where the extra is missing).
collect_ignore = (
    []
    if find_spec("skl2onnx") and find_spec("onnxruntime")
    else ["sklearn_mle_nn/onnx.py"]
)
