"""LeNet-5 as LeCun et al. (1998) describe it, including C3's partial connection table.

Adapted to 28x28x1 and to current Keras:

* The paper feeds 32x32 images (28x28 digits centred in a blank border) so that stroke
  ends reach the centre of C3's receptive fields; ``ZeroPadding2D(2)`` rebuilds that border.
* S2 and S4 are plain 2x2 average pooling. The paper's subsampling units also had one
  trainable coefficient and bias per map followed by a sigmoid; without them the pooling
  layers are parameter-free, and the count comes to the 60,806 below.
* Inputs are scaled as in the paper, so that the background is -0.1 and ink is 1.175
  (mean near 0, variance near 1), and the activation is the paper's scaled tanh,
  ``1.7159 * tanh(2/3 * a)``, which keeps unit gain near zero so that the tanh units
  start in their linear range.
* The output layer is a softmax ``Dense`` layer trained with cross-entropy, in place of
  the paper's Euclidean RBF units and their MAP criterion.

Everything else is the paper's: 6-16-120 maps of 5x5 kernels, an 84-unit F6 and, for
10 classes, exactly 60,806 trainable parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from architectures import register

# Table I of the paper: the S2 maps each C3 map is connected to. Six C3 maps see three
# neighbouring S2 maps, six see four neighbouring ones, three see four non-neighbouring
# ones and the last sees all six. The paper breaks the symmetry this way so that the maps
# learn different features, and it saves parameters.
# fmt: off
C3_CONNECTIONS: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)
# fmt: on


@keras.saving.register_keras_serializable(package="mnist_bench")
class SparseConv2D(layers.Layer):
    """A stride-1 valid convolution whose output map ``j`` sees only maps ``connections[j]``.

    Only the connected kernels are weights: ``kernel`` has shape ``(kh, kw, n_connections)``,
    ordered output map by output map, and ``bias`` one entry per output map. Each call
    gathers them into an ordinary ``(kh, kw, in_maps, out_maps)`` kernel, zeros where
    there is no connection, and runs a single dense convolution: one small gather is far
    cheaper than one convolution per output map.
    """

    def __init__(
        self,
        connections: Sequence[Sequence[int]],
        kernel_size: int | Sequence[int] = 5,
        activation: Any = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.connections = tuple(tuple(int(i) for i in inputs) for inputs in connections)
        if isinstance(kernel_size, int):
            kernel_size = (kernel_size, kernel_size)
        self.kernel_size = tuple(int(k) for k in kernel_size)
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.filters = len(self.connections)
        self.n_connections = sum(len(inputs) for inputs in self.connections)
        self.in_maps = 1 + max(max(inputs) for inputs in self.connections)
        # gather_index[i, j]: the kernel slot of connection (input i -> output j), or
        # n_connections, which points at an appended all-zero slot.
        self.gather_index = np.full((self.in_maps, self.filters), self.n_connections, "int32")
        flat = []  # position of each connection in a flattened dense kernel
        for j, inputs in enumerate(self.connections):
            for i in inputs:
                self.gather_index[i, j] = len(flat)
                flat.append(i * self.filters + j)
        self.flat_index = np.array(flat, "int32")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if input_shape[-1] != self.in_maps:
            raise ValueError(
                f"{self.name}: the connection table expects {self.in_maps} input maps, "
                f"got input shape {tuple(input_shape)}"
            )
        kh, kw = self.kernel_size

        def sparse_init(shape: tuple[int, ...], dtype: Any = None) -> Any:
            # Draw the equivalent dense kernel and keep its connected entries, so the
            # scale is what the initializer gives an ordinary Conv2D.
            dense = self.kernel_initializer((kh, kw, self.in_maps, self.filters), dtype=dtype)
            dense = ops.reshape(dense, (kh, kw, self.in_maps * self.filters))
            return ops.take(dense, self.flat_index, axis=2)

        self.kernel = self.add_weight(
            name="kernel", shape=(kh, kw, self.n_connections), initializer=sparse_init
        )
        self.bias = self.add_weight(
            name="bias", shape=(self.filters,), initializer=self.bias_initializer
        )

    def dense_kernel(self) -> Any:
        """The equivalent ``(kh, kw, in_maps, out_maps)`` kernel, zero where unconnected."""
        kernel = self.kernel
        zero = ops.zeros((*self.kernel_size, 1), dtype=kernel.dtype)
        return ops.take(ops.concatenate([kernel, zero], axis=-1), self.gather_index, axis=2)

    def call(self, inputs: Any) -> Any:
        outputs = ops.conv(inputs, self.dense_kernel(), padding="valid") + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        batch, height, width, _ = input_shape
        kh, kw = self.kernel_size
        out_h = None if height is None else height - kh + 1
        out_w = None if width is None else width - kw + 1
        return (batch, out_h, out_w, self.filters)

    def flops(self, input_shape: tuple[int, ...], output_shape: tuple[int, ...]) -> int:
        """Forward FLOPs per image (shapes without the batch axis), real connections only."""
        out_h, out_w, _ = output_shape
        kh, kw = self.kernel_size
        return 2 * out_h * out_w * self.n_connections * kh * kw

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "connections": [list(inputs) for inputs in self.connections],
            "kernel_size": list(self.kernel_size),
            "activation": keras.activations.serialize(self.activation),
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }


@keras.saving.register_keras_serializable(package="mnist_bench")
def lecun_tanh(x: Any) -> Any:
    """The paper's squashing function: unit gain near 0 and ``f(+-1) = +-1``."""
    return 1.7159 * ops.tanh(x * (2.0 / 3.0))


@register(
    name="lenet5",
    reference=(
        "LeCun, Bottou, Bengio & Haffner (1998), Gradient-based learning applied to "
        "document recognition, Proc. IEEE 86(11)"
    ),
    # Weight decay chosen on the validation split among 0, 0.05, 0.2 and 0.5 (plateau
    # schedule, standard profile, seed 0: best validation accuracy 0.9868, 0.9880, 0.9882 and
    # 0.9860), then the batch size between 128 and 64 (0.9882 and 0.9884); without weight
    # decay the net fits its training set to 99.9% within 15 epochs. Float32: its small
    # layers train faster in it than in bfloat16 (benchmarks/training_throughput.py).
    train=dict(epochs=20, batch_size=64, learning_rate=1e-3, weight_decay=0.2, precision="float32"),
)
def lenet5(input_shape: tuple[int, ...], num_classes: int, hp: Any = None) -> keras.Model:
    """LeNet-5 (1998): 32x32 padded input, scaled tanh, average pooling, C3's partial table."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.ZeroPadding2D(2, name="pad")(inputs)  # 32x32x1, the paper's input size
    # Background -0.1, ink 1.175, as in the paper: the padded border is background too.
    x = layers.Rescaling(1.275, offset=-0.1, name="normalize")(x)
    x = layers.Conv2D(6, 5, activation=lecun_tanh, name="c1")(x)  # 28x28x6
    x = layers.AveragePooling2D(2, name="s2")(x)  # 14x14x6
    x = SparseConv2D(C3_CONNECTIONS, 5, activation=lecun_tanh, name="c3")(x)  # 10x10x16
    x = layers.AveragePooling2D(2, name="s4")(x)  # 5x5x16
    x = layers.Conv2D(120, 5, activation=lecun_tanh, name="c5")(x)  # 1x1x120
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(84, activation=lecun_tanh, name="f6")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="lenet5")
