"""LiteRT (TensorFlow Lite) models: converting a Keras model at a precision, running one,
and the memory it needs.

Precisions (``EXPORTS``), as LiteRT's post-training quantization makes them:

* ``float32``: the model as it is;
* ``float16``: weights stored in float16, computed in float32;
* ``dynamic_int8``: weights stored in int8, activations quantized on the fly;
* ``int8``: full-integer: weights and activations in int8, int8 input and output, the
  activation ranges calibrated on a sample of images (``calibration``).

Peak activation memory (``peak_activation_bytes``) is read from the converted model, the
graph a device runs: its operators in their stored order (the order the interpreter runs
them), and its tensors. A tensor is alive from the operator that writes it (or from the
start, for the model's input) to the last operator that reads it (or to the end, for the
model's output). The peak is the largest total size, at batch 1, of the tensors alive while
one operator runs. Constant tensors (weights, and what operators on constants alone compute
from them) are not activations. It is a lower bound: a memory planner needs at least this
much, more where packing the tensors leaves gaps, and kernels' scratch buffers come on top.
A float16 model's weights are dequantized to float32 when the interpreter prepares it; those
copies (twice the weights' bytes in the file) sit in RAM too and are not counted here.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.tflog import withheld_stderr

# The precisions a model is converted at, as the exports' records name them.
EXPORTS = ("float32", "float16", "dynamic_int8", "int8")


@contextlib.contextmanager
def saved_for_conversion(model: Any) -> Iterator[Path]:
    """``model``'s inference call written once as a SavedModel, in a temporary folder that
    lasts for the block: what ``convert`` reads, at as many precisions as wanted. Writing it
    costs about as much as converting it, so a run's exports share one."""
    with tempfile.TemporaryDirectory(prefix="bench-litert-") as folder:
        path = Path(folder) / "saved_model"
        with withheld_stderr():
            model.export(str(path), format="tf_saved_model", verbose=False)
        yield path


def convert(model: Any, precision: str, calibration: np.ndarray | None = None) -> bytes:
    """``model`` (float32 throughout; or a folder from ``saved_for_conversion``) as a LiteRT
    flatbuffer at ``precision``; ``int8`` needs ``calibration``, a few hundred representative
    float32 input images."""
    import tensorflow as tf

    if precision not in EXPORTS:
        raise ValueError(f"unknown export precision '{precision}'; choose from {EXPORTS}")
    if precision == "int8" and (calibration is None or not len(calibration)):
        raise ValueError("a full-integer int8 model needs calibration images")
    if not isinstance(model, Path):
        with saved_for_conversion(model) as path:
            return convert(path, precision, calibration)
    converter = tf.lite.TFLiteConverter.from_saved_model(str(model))
    # As Keras' own LiteRT export sets it up
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS,
        tf.lite.OpsSet.SELECT_TF_OPS,
    ]
    converter.experimental_enable_resource_variables = True
    if precision != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif precision == "int8":
        images = np.asarray(calibration, dtype=np.float32)
        converter.representative_dataset = lambda: ([image[None]] for image in images)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    # The converter and calibrator write their progress to stderr.
    with withheld_stderr():
        return converter.convert()


class Runner:
    """A LiteRT interpreter over one model, called like a Keras model on float32 images:
    an int8 model's input is quantized and its output dequantized on the way."""

    def __init__(self, content: bytes, threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        with withheld_stderr():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
            self._interpreter = Interpreter(model_content=content, num_threads=threads)
        (self._input,) = self._interpreter.get_input_details()
        (self._output,) = self._interpreter.get_output_details()
        self._batch = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if len(x) != self._batch:
            shape = [len(x), *self._input["shape"][1:]]
            self._interpreter.resize_tensor_input(self._input["index"], shape)
            with withheld_stderr():  # the XNNPACK delegate's INFO line comes here too
                self._interpreter.allocate_tensors()
            self._batch = len(x)
        self._interpreter.set_tensor(self._input["index"], _quantize(x, self._input))
        self._interpreter.invoke()
        return _dequantize(self._interpreter.get_tensor(self._output["index"]), self._output)

    def bound(self, x: np.ndarray) -> Callable[[], np.ndarray]:
        """A call on ``x`` with its quantization done beforehand, as a device's input arrives
        in the model's type: for timing; it returns the raw output."""
        self(x)  # shapes the interpreter for len(x) images
        ready = _quantize(x, self._input)
        interpreter, source, target = self._interpreter, self._input, self._output

        def call() -> np.ndarray:
            interpreter.set_tensor(source["index"], ready)
            interpreter.invoke()
            return interpreter.get_tensor(target["index"])

        return call

    def predict(self, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
        """Outputs for ``x`` in batches (at most two interpreter shapes)."""
        return np.concatenate([self(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def _quantize(x: np.ndarray, detail: dict) -> np.ndarray:
    if detail["dtype"] == np.float32:
        return np.asarray(x, dtype=np.float32)
    scale, zero_point = detail["quantization"]
    info = np.iinfo(detail["dtype"])
    q = np.round(np.asarray(x, dtype=np.float32) / scale) + zero_point
    return np.clip(q, info.min, info.max).astype(detail["dtype"])


def _dequantize(y: np.ndarray, detail: dict) -> np.ndarray:
    if detail["dtype"] == np.float32:
        return y
    scale, zero_point = detail["quantization"]
    return (y.astype(np.float32) - zero_point) * scale


def peak_activation_bytes(content: bytes) -> int:
    """The largest total size of the tensors alive at once at batch 1 (module docstring)."""
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(content, 0)
    graph = model.subgraphs[0]
    operators = graph.operators or []
    constant = _constant_tensors(model, graph)
    first: dict[int, int] = {int(t): 0 for t in graph.inputs}
    last: dict[int, int] = {int(t): len(operators) - 1 for t in graph.outputs}
    for step, op in enumerate(operators):
        for t in _tensors(op.outputs):
            first.setdefault(t, step)
        for t in _tensors(op.inputs):
            last[t] = max(last.get(t, step), step)
    sizes = {t: _bytes(graph.tensors[t]) for t in first if t not in constant}
    return max(
        (
            sum(size for t, size in sizes.items() if first[t] <= step <= last.get(t, first[t]))
            for step in range(max(len(operators), 1))
        ),
        default=0,
    )


def _tensors(indices: Sequence[int] | None) -> list[int]:
    return [int(t) for t in (indices if indices is not None else []) if t >= 0]


def _constant_tensors(model: Any, graph: Any) -> set[int]:
    """Tensors with stored data, and the outputs of operators that read only those."""
    constant = {
        i
        for i, tensor in enumerate(graph.tensors)
        if model.buffers[tensor.buffer].data is not None and len(model.buffers[tensor.buffer].data)
    }
    for op in graph.operators or []:
        inputs = _tensors(op.inputs)
        if inputs and all(t in constant for t in inputs):
            constant.update(_tensors(op.outputs))
    return constant


# Bytes per element of the LiteRT tensor types an export holds (schema TensorType names).
_ITEMSIZES = {
    "FLOAT32": 4,
    "FLOAT16": 2,
    "BFLOAT16": 2,
    "FLOAT64": 8,
    "INT64": 8,
    "INT32": 4,
    "UINT32": 4,
    "INT16": 2,
    "UINT16": 2,
    "INT8": 1,
    "UINT8": 1,
    "BOOL": 1,
}


def _bytes(tensor: Any) -> int:
    from ai_edge_litert import schema_py_generated as schema

    names = {code: name for name, code in vars(schema.TensorType).items() if name.isupper()}
    name = names.get(tensor.type, str(tensor.type))
    if name not in _ITEMSIZES:
        raise ValueError(f"tensor {tensor.name!r} has type {name}, whose size is not known here")
    shape = [int(d) for d in (tensor.shape if tensor.shape is not None else [])]
    if shape:
        shape[0] = 1 if shape[0] in (-1, 0) else shape[0]  # the batch: one image
    return math.prod(shape) * _ITEMSIZES[name]
