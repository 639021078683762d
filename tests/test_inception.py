"""inception_lite computes its shared-input 1x1 convolutions as one: the same network as
four separate branches, the same parameters and the same outputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

import architectures
from architectures import inception

# The three 1x1 convolutions that read a module's input, in the fused layer's channel order.
SEPARATE_1X1 = ("b1x1", "b3x3_reduce", "b5x5_reduce")


@pytest.fixture
def pair(monkeypatch):
    """(fused, separate): inception_lite as registered, and built with separate branches,
    the fused one holding the separate one's weights (BatchNorm statistics included)."""
    keras.utils.set_random_seed(1)
    with monkeypatch.context() as patch:
        patch.setattr(inception, "inception_module", inception.separate_inception_module)
        separate = architectures.create("inception_lite")
    fused = architectures.create("inception_lite")
    rng = np.random.default_rng(0)
    for layer in separate.layers:  # moving statistics away from 0 and 1, so they count
        if isinstance(layer, layers.BatchNormalization):
            mean, var = layer.moving_mean, layer.moving_variance
            mean.assign(rng.normal(0, 0.5, mean.shape))
            var.assign(rng.uniform(0.5, 2.0, var.shape))
    for layer in fused.layers:
        if not layer.weights:
            continue
        name, _, suffix = layer.name.partition("_1x1")
        if name in inception.MODULES:  # the fused 1x1: its parts, side by side
            parts = [separate.get_layer(f"{name}_{branch}{suffix}") for branch in SEPARATE_1X1]
            per_part = [part.get_weights() for part in parts]
            weights = [np.concatenate(ws, axis=-1) for ws in zip(*per_part, strict=True)]
        else:
            weights = separate.get_layer(layer.name).get_weights()
        layer.set_weights(weights)
    return fused, separate


def test_fused_inception_has_the_parameters_of_separate_branches(pair):
    fused, separate = pair
    assert fused.count_params() == separate.count_params() == 333_338


def test_fused_inception_computes_what_separate_branches_compute(pair):
    fused, separate = pair
    x = np.random.default_rng(1).uniform(0, 1, (16, 28, 28, 1)).astype("float32")
    expected = separate.predict(x, verbose=0)
    np.testing.assert_allclose(fused.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-6)
