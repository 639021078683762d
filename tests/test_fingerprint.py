"""Architecture fingerprints: the same network gives the same hash, another network another."""

from __future__ import annotations

import keras
import pytest
from keras import layers

from bench.identity import model_fingerprint, same_but_code, saved_fingerprint


def small_net(width: int = 4, activation="relu", name: str | None = None):
    """Unnamed layers, so that two builds in one session get different layer names."""
    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(width, 3, activation=activation)(inputs)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(10)(x), name=name)


def test_two_builds_of_one_network_share_a_fingerprint_whatever_their_names():
    first, second = small_net(name="first"), small_net(name="second")
    assert [layer.name for layer in first.layers] != [layer.name for layer in second.layers]
    assert model_fingerprint(first) == model_fingerprint(second) is not None


@pytest.mark.parametrize("change", [{"width": 8}, {"activation": "tanh"}], ids=str)
def test_a_changed_layer_changes_the_fingerprint(change):
    assert model_fingerprint(small_net(**change)) != model_fingerprint(small_net())


def test_a_saved_model_has_the_fingerprint_of_the_model_it_was(tmp_path):
    model = small_net()
    model.save(tmp_path / "model.keras")
    assert saved_fingerprint(tmp_path / "model.keras") == model_fingerprint(model)


def test_an_unreadable_file_has_no_fingerprint(tmp_path):
    (tmp_path / "model.keras").write_bytes(b"not a zip")
    assert saved_fingerprint(tmp_path / "model.keras") is None


def test_a_network_with_code_from_outside_keras_has_no_fingerprint():
    def doubled(x):
        return 2 * x

    assert model_fingerprint(small_net(activation=doubled)) is None
    inputs = keras.Input((4,))
    lambda_net = keras.Model(inputs, layers.Lambda(doubled)(inputs))
    assert model_fingerprint(lambda_net) is None


def test_specs_that_differ_only_in_the_code_digest_are_the_same_but_for_code():
    spec = {"arch": "vgg_lite", "seed": 0, "arch_digest": "aaaa"}
    assert same_but_code(spec, {**spec, "arch_digest": "bbbb"})
    assert not same_but_code(spec, {**spec, "arch_digest": "bbbb", "seed": 1})
