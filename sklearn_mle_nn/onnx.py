"""Export of fitted estimators to ONNX through skl2onnx (optional extra ``[onnx]``).

:func:`register_converters` teaches skl2onnx the estimators of this package;
``skl2onnx.to_onnx(estimator, X[:1])`` then writes an ONNX graph that gives
what ``predict``, ``predict_proba`` or ``transform`` give, alone or inside a
scikit-learn pipeline.

Each graph is the network's forward pass (the weights act on the data as
given: training's standardization of the inputs is folded into the first
layer) followed by the distribution's link. What the graph computes is read
from the fitted distribution's declared parameters and link, never from its
name, and checked against the distribution's own ``mean`` (and ``std``) on
probe raw outputs before anything is written: a distribution whose mean or
spread takes another form raises ``NotImplementedError`` rather than giving
a wrong model.
"""

# Authors: The sklearn_mle_nn developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ._autoencoder import MLEAutoencoder
from ._classifier import MLEClassifier
from ._ensemble import MLEEnsembleClassifier, MLEEnsembleRegressor
from ._regressor import MLERegressor

#: ONNX operators of the links; "exp" is clipped first, as the package's is.
_ONNX_ACTIVATIONS = {
    "logistic": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
    "softmax": "Softmax",
}
#: The clip of the exp link (``_activations.Exp``): exp(30) counts at most.
_EXP_LIMIT = 30.0
#: Probe raw outputs lie in [-_PROBE_RANGE, _PROBE_RANGE].
_PROBE_RANGE = 4.0
_PROBE_ROWS = 64
#: How closely a formula must match the distribution on the probes.
_PROBE_RTOL = 1e-9


def register_converters():
    """Register skl2onnx converters for the estimators of this package.

    After this call, ``skl2onnx.to_onnx`` converts a fitted
    :class:`~sklearn_mle_nn.MLERegressor`,
    :class:`~sklearn_mle_nn.MLEClassifier`,
    :class:`~sklearn_mle_nn.MLEAutoencoder`,
    :class:`~sklearn_mle_nn.MLEEnsembleRegressor` or
    :class:`~sklearn_mle_nn.MLEEnsembleClassifier`, alone or as a step of a
    scikit-learn pipeline. The graph's outputs:

    - a regressor (or ensemble): ``variable``, the mean of p(y | x) of shape
      ``(n_samples, n_outputs)``; with the skl2onnx option
      ``{"return_std": True}``, also ``std``, its standard deviation (what
      ``predict(X, return_std=True)`` gives);
    - a classifier (or ensemble): ``label`` and ``probabilities``, what
      ``predict`` and ``predict_proba`` give (skl2onnx's ``zipmap`` option
      applies as for its own classifiers);
    - an autoencoder: ``variable``, the code that ``transform`` gives (the
      posterior mean of a variational one).

    Calling it again does no harm. Needs the optional extra ``[onnx]``
    (skl2onnx and onnxruntime).

    Raises
    ------
    ImportError
        If skl2onnx is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from skl2onnx import to_onnx
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_mle_nn import MLERegressor
    >>> from sklearn_mle_nn.onnx import register_converters
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> reg = MLERegressor(random_state=0).fit(X, y)
    >>> register_converters()
    >>> onx = to_onnx(reg, X[:1], options={"return_std": True})
    >>> session = onnxruntime.InferenceSession(onx.SerializeToString())
    >>> mean, std = session.run(None, {"X": X})
    >>> expected_mean, expected_std = reg.predict(X, return_std=True)
    >>> bool(np.allclose(mean.ravel(), expected_mean, rtol=1e-5))
    True
    >>> bool(np.allclose(std.ravel(), expected_std, rtol=1e-5))
    True
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as error:
        raise ImportError(
            "Exporting to ONNX needs skl2onnx and onnxruntime, the optional "
            "extra 'onnx': pip install sklearn-mle-nn[onnx]"
        ) from error
    classifier_options = {"zipmap": [True, False, "columns"], "nocl": [False, True]}
    regressor_options = {"return_std": [False, True]}
    registrations = [
        (MLERegressor, _regressor_shape, _convert_regressor, regressor_options),
        (MLEEnsembleRegressor, _regressor_shape, _convert_regressor, regressor_options),
        (MLEClassifier, _classifier_shape, _convert_classifier, classifier_options),
        (
            MLEEnsembleClassifier,
            _classifier_shape,
            _convert_classifier,
            classifier_options,
        ),
        (MLEAutoencoder, _transformer_shape, _convert_autoencoder, None),
    ]
    for model_class, shape_calculator, converter, options in registrations:
        update_registered_converter(
            model_class,
            f"SklearnMleNn{model_class.__name__}",
            shape_calculator,
            converter,
            parser=_parse_regressor if options is regressor_options else None,
            options=options,
        )


# ---- what the graph computes, read from the distribution -------------------


def _probe(distribution, n_targets):
    """Raw outputs that span the usual range, for ``n_targets`` targets."""
    rng = np.random.RandomState(0)
    shape = (_PROBE_ROWS, distribution.n_raw(n_targets))
    return rng.uniform(-_PROBE_RANGE, _PROBE_RANGE, shape)


def _not_convertible(distribution, what):
    return NotImplementedError(
        f"Cannot export the {what} of the distribution "
        f"{type(distribution).__name__} to ONNX: it is not a form the "
        "converter knows (the link of the first raw block for the mean; a "
        "constant, a log-scale block or a quadratic variance function of the "
        "mean for the spread)."
    )


def _mean_link(distribution, n_targets):
    """The name of the link whose output, on the first raw block, is the mean.

    Raises NotImplementedError when the distribution's mean is something else
    (the lognormal's ``exp(mu + sigma**2 / 2)``, a mixture's weighted sum).
    """
    raw = _probe(distribution, n_targets)
    link = distribution.activation
    expected = link.forward(np.array(distribution.split(raw)[0], copy=True))
    if not np.allclose(distribution.mean(raw), expected, rtol=_PROBE_RTOL, atol=0):
        raise _not_convertible(distribution, "mean")
    return link.name


def _spread_form(distribution, n_targets):
    """How the standard deviation follows from the raw outputs.

    One of ``("constant", std)``, ``("log_scale", block, factor)`` (``std =
    factor * exp(raw block)``) or ``("variance", (a, b, c))`` (``std**2 = a
    + b mean + c mean**2``), each coefficient one per target, checked on
    probe raw outputs. Raises NotImplementedError for any other form.
    """
    raw = _probe(distribution, n_targets)
    std = np.asarray(distribution.std(raw), dtype=float)
    roles = [parameter.role for parameter in distribution.parameters]
    if "log_scale" in roles:
        block = roles.index("log_scale")
        factor = std / np.exp(distribution.split(raw)[block])
        if _rows_agree(factor):
            return "log_scale", block, factor[0]
        raise _not_convertible(distribution, "spread")
    if _rows_agree(std):
        return "constant", std[0]
    mean = distribution.mean(raw)
    coefficients = np.array([_quadratic_fit(m, s * s) for m, s in zip(mean.T, std.T)])
    a, b, c = coefficients.T
    variance = a + mean * (b + c * mean)
    if not np.allclose(variance, std * std, rtol=_PROBE_RTOL, atol=0):
        raise _not_convertible(distribution, "spread")
    return "variance", (a, b, c)


def _rows_agree(values):
    """Whether every row of ``values`` equals the first (infinities too)."""
    return bool(np.all(np.isclose(values, values[0], rtol=_PROBE_RTOL, atol=0)))


def _quadratic_fit(mean, variance):
    """``(a, b, c)`` of ``variance = a + b mean + c mean**2``, least squares,
    with coefficients that vanish next to the others set to exactly 0 (a
    Poisson's variance is the mean: no constant of -1e-17)."""
    design = np.column_stack([np.ones_like(mean), mean, mean * mean])
    coefficients = np.linalg.lstsq(design, variance, rcond=None)[0]
    scale = np.abs(coefficients * np.abs(design).max(axis=0))
    coefficients[scale < 1e-12 * scale.max()] = 0.0
    return coefficients


def _hidden_activations(estimator):
    """The activation names of the fitted network's hidden layers, in order."""
    return list(estimator._network.hidden_activations)


# ---- graph building --------------------------------------------------------


class _Graph:
    """Nodes and constants of one converter, in the input's float type."""

    def __init__(self, scope, operator, container):
        from skl2onnx.common.data_types import guess_proto_type
        from skl2onnx.proto import onnx_proto

        self.scope, self.container = scope, container
        self.onnx_proto = onnx_proto
        double = (
            guess_proto_type(operator.inputs[0].type) == onnx_proto.TensorProto.DOUBLE
        )
        self.proto_dtype = (
            onnx_proto.TensorProto.DOUBLE if double else onnx_proto.TensorProto.FLOAT
        )
        self.dtype = np.float64 if double else np.float32
        # Integer inputs become floats, as in skl2onnx's own MLP converter.
        self.input = self.node(
            "Cast", [operator.inputs[0].full_name], to=self.proto_dtype
        )

    def constant(self, values, name="constant"):
        values = np.asarray(values, dtype=self.dtype)
        unique = self.scope.get_unique_variable_name(name)
        self.container.add_initializer(
            unique, self.proto_dtype, list(values.shape), values.ravel()
        )
        return unique

    def node(self, op_type, inputs, output=None, op_domain="", **attributes):
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            inputs,
            output,
            op_domain=op_domain,
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output

    def dense(self, inputs, coef, intercept):
        product = self.node("MatMul", [inputs, self.constant(coef, "coefficient")])
        row = np.asarray(intercept).reshape(1, -1)
        return self.node("Add", [product, self.constant(row, "intercepts")])

    def activation(self, inputs, name):
        if name == "identity":
            return inputs
        if name == "exp":
            clipped = self.node("Min", [inputs, self.constant(_EXP_LIMIT)])
            return self.node("Exp", [clipped])
        if name == "softmax":
            return self.node("Softmax", [inputs], axis=1)
        return self.node(_ONNX_ACTIVATIONS[name], [inputs])

    def hidden(self, inputs, coefs, intercepts, activations):
        """Output of the layers ``coefs``, each followed by its activation."""
        for coef, intercept, name in zip(coefs, intercepts, activations):
            inputs = self.activation(self.dense(inputs, coef, intercept), name)
        return inputs

    def output(self, values, name):
        self.node("Identity", [values], output=name)


def _hidden_output(graph, estimator):
    """The output of a fitted network's hidden layers."""
    return graph.hidden(
        graph.input,
        estimator.coefs_[:-1],
        estimator.intercepts_[:-1],
        _hidden_activations(estimator),
    )


def _raw_block(graph, estimator, hidden, block, n_targets):
    """The raw outputs of one parameter block: that block's columns of the
    output layer only."""
    columns = slice(block * n_targets, (block + 1) * n_targets)
    return graph.dense(
        hidden, estimator.coefs_[-1][:, columns], estimator.intercepts_[-1][columns]
    )


def _network_mean(graph, estimator, hidden, n_targets):
    """The mean of p(y | x) of a fitted network, ``(n, n_targets)``."""
    link = _mean_link(estimator.distribution_, n_targets)
    return graph.activation(_raw_block(graph, estimator, hidden, 0, n_targets), link)


def _network_mean_and_std(graph, estimator, with_std):
    """The regressor's mean, and its standard deviation when ``with_std``."""
    distribution, n_targets = estimator.distribution_, estimator.n_outputs_
    # Checked before any node is written.
    form = _spread_form(distribution, n_targets) if with_std else None
    hidden = _hidden_output(graph, estimator)
    mean = _network_mean(graph, estimator, hidden, n_targets)
    if form is None:
        return mean, None
    if form[0] == "constant":
        shape = graph.node("Shape", [mean])
        std = graph.node("Expand", [graph.constant(form[1].reshape(1, -1)), shape])
    elif form[0] == "log_scale":
        _, block, factor = form
        log_scale = _raw_block(graph, estimator, hidden, block, n_targets)
        std = graph.node(
            "Mul",
            [graph.node("Exp", [log_scale]), graph.constant(factor.reshape(1, -1))],
        )
    else:
        a, b, c = (graph.constant(values.reshape(1, -1)) for values in form[1])
        slope = graph.node("Add", [b, graph.node("Mul", [c, mean])])
        variance = graph.node("Add", [a, graph.node("Mul", [mean, slope])])
        # Rounding may take a variance of 0 below it.
        std = graph.node("Sqrt", [graph.node("Relu", [variance])])
    return mean, std


def _average(graph, values):
    return values[0] if len(values) == 1 else graph.node("Mean", list(values))


# ---- regressors -------------------------------------------------------------


def _parse_regressor(scope, model, inputs, custom_parsers=None):
    from skl2onnx._parse import _get_sklearn_operator_name
    from skl2onnx.common.data_types import guess_tensor_type

    options = scope.get_options(model, dict(return_std=False))
    operator = scope.declare_local_operator(
        _get_sklearn_operator_name(type(model)), model
    )
    operator.inputs = inputs
    names = ["variable", "std"] if options["return_std"] else ["variable"]
    for name in names:
        variable = scope.declare_local_variable(name, guess_tensor_type(inputs[0].type))
        operator.outputs.append(variable)
    return operator.outputs


def _regressor_shape(operator):
    n_samples = operator.inputs[0].get_first_dimension()
    for output in operator.outputs:
        output.type.shape = [n_samples, operator.raw_operator.n_outputs_]


def _convert_regressor(scope, operator, container):
    graph = _Graph(scope, operator, container)
    model = operator.raw_operator
    with_std = len(operator.outputs) == 2
    members = getattr(model, "estimators_", [model])
    outputs = [_network_mean_and_std(graph, member, with_std) for member in members]
    means = [mean for mean, _ in outputs]
    mean = _average(graph, means)
    graph.output(mean, operator.outputs[0].full_name)
    if not with_std:
        return
    if len(members) == 1:
        std = outputs[0][1]
    else:
        # The mixture's variance: the members' mean variance plus the
        # variance of their means (as MLEEnsembleRegressor.predict).
        terms = []
        for member_mean, member_std in outputs:
            gap = graph.node("Sub", [member_mean, mean])
            terms.append(
                graph.node(
                    "Add",
                    [
                        graph.node("Mul", [member_std, member_std]),
                        graph.node("Mul", [gap, gap]),
                    ],
                )
            )
        std = graph.node("Sqrt", [_average(graph, terms)])
    graph.output(std, operator.outputs[1].full_name)


# ---- classifiers ------------------------------------------------------------


def _label_type(classes):
    """``"string"`` or ``"int64"``: how the labels are written."""
    if classes.dtype.kind in "OUS":
        return "string"
    if classes.dtype.kind in "biu" or np.array_equal(classes, np.round(classes)):
        return "int64"
    raise NotImplementedError(
        f"Cannot export class labels {classes.tolist()} to ONNX: labels must "
        "be strings or integers."
    )


def _target_type(model):
    return model._label_binarizer.y_type_


def _classifier_shape(operator):
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType
    from skl2onnx.common.utils_classifier import get_label_classes

    model = operator.raw_operator
    n_samples = operator.inputs[0].get_first_dimension()
    classes = get_label_classes(operator.scope_inst, model)
    multilabel = _target_type(model) == "multilabel-indicator"
    label_shape = [n_samples, len(classes)] if multilabel else [n_samples]
    if not multilabel and _label_type(np.asarray(classes)) == "string":
        operator.outputs[0].type = StringTensorType(shape=label_shape)
    else:
        operator.outputs[0].type = Int64TensorType(shape=label_shape)
    operator.outputs[1].type.shape = [n_samples, len(model.classes_)]


def _member_probabilities(graph, member):
    """``predict_proba`` of one fitted classifier."""
    n_outputs = member.coefs_[-1].shape[1]
    mean = _network_mean(graph, member, _hidden_output(graph, member), n_outputs)
    if _target_type(member) == "binary" and n_outputs == 1:
        if len(member.classes_) == 1:
            raise NotImplementedError(
                "Cannot export a classifier fitted on a single class to ONNX."
            )
        # Two columns, as predict_proba gives.
        negative = graph.node("Sub", [graph.constant(1.0), mean])
        return graph.node("Concat", [negative, mean], axis=1)
    return mean


def _convert_classifier(scope, operator, container):
    from skl2onnx.common.utils_classifier import get_label_classes

    graph = _Graph(scope, operator, container)
    model = operator.raw_operator
    members = getattr(model, "estimators_", [model])
    probabilities = _average(
        graph, [_member_probabilities(graph, member) for member in members]
    )
    graph.output(probabilities, operator.outputs[1].full_name)
    label = operator.outputs[0].full_name
    int64 = graph.onnx_proto.TensorProto.INT64
    if _target_type(model) == "multilabel-indicator":
        # A label is on where its probability exceeds one half, as
        # LabelBinarizer.inverse_transform decides.
        on = graph.node(
            "Binarizer",
            [probabilities],
            op_domain="ai.onnx.ml",
            op_version=1,
            threshold=0.5,
        )
        graph.node("Cast", [on], output=label, to=int64)
        return
    # The most probable class; on a tie the first, as argmax (a binary
    # probability of exactly one half is the first class too).
    index = graph.node("ArgMax", [probabilities], axis=1, keepdims=0)
    classes = np.asarray(get_label_classes(scope, model))
    if _label_type(classes) == "string":
        values = {"values_strings": [str(value) for value in classes]}
    else:
        values = {"values_int64s": [int(value) for value in classes]}
    graph.node(
        "LabelEncoder",
        [index],
        output=label,
        op_domain="ai.onnx.ml",
        op_version=2,
        keys_int64s=list(range(len(classes))),
        **values,
    )


# ---- the autoencoder ----------------------------------------------------------


def _transformer_shape(operator):
    n_samples = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type.shape = [n_samples, _n_codes(operator.raw_operator)]


def _n_codes(autoencoder):
    return len(autoencoder.get_feature_names_out())


def _convert_autoencoder(scope, operator, container):
    graph = _Graph(scope, operator, container)
    model = operator.raw_operator
    code_layer = model._code_layer
    n_codes = _n_codes(model)
    activations = _hidden_activations(model)
    encoder = graph.hidden(
        graph.input,
        model.coefs_[:code_layer],
        model.intercepts_[:code_layer],
        activations,
    )
    # The code layer is linear; a variational one puts out the posterior
    # means first, then the log-variances: transform gives the means.
    code = graph.dense(
        encoder,
        model.coefs_[code_layer][:, :n_codes],
        model.intercepts_[code_layer][:n_codes],
    )
    graph.output(code, operator.outputs[0].full_name)
