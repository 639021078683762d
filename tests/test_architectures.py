"""The built-in architectures and the registry's checks on what a builder returns."""

from __future__ import annotations

import functools
import subprocess
import sys

import keras
import keras_tuner
import numpy as np
import pytest
import tensorflow as tf

import architectures
from architectures.lenet import C3_CONNECTIONS, SparseConv2D
from bench.errors import ArchitectureError
from bench.measure.flops import count_flops

BUILT_IN = [
    "lenet5",
    "custom_cnn",
    "alexnet_style",
    "vgg_lite",
    "inception_lite",
    "resnet_lite",
    "mobilenet_lite",
    "mlp",
]
REGISTERED = architectures.names()


@functools.cache
def built(name: str, num_classes: int = 10) -> keras.Model:
    return architectures.create(name, input_shape=(28, 28, 1), num_classes=num_classes)


def trainable_count(model: keras.Model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _tiny(input_shape, num_classes, hp=None):
    inputs = keras.Input(input_shape)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, outputs)


def c3_mask() -> np.ndarray:
    """mask[i, j]: whether C3 map j sees S2 map i, written out from Table I."""
    mask = np.zeros((6, 16), dtype=bool)
    for j, inputs in enumerate(C3_CONNECTIONS):
        mask[list(inputs), j] = True
    return mask


def test_the_eight_built_ins_are_registered():
    assert set(BUILT_IN) <= set(REGISTERED)


def test_lenet5_has_the_papers_60806_trainable_parameters():
    assert trainable_count(built("lenet5")) == 60_806


def test_custom_cnn_has_887530_parameters():
    model = built("custom_cnn")
    assert trainable_count(model) == model.count_params() == 887_530


@pytest.mark.parametrize(
    ("name", "params", "trainable"),
    [
        ("resnet_lite", 78_426, 77_754),
        ("mobilenet_lite", 212_234, 203_978),
        ("mlp", 669_706, 669_706),
    ],
)
def test_the_parameter_count_at_the_defaults_is_the_one_its_docstring_gives(
    name, params, trainable
):
    model = built(name)
    assert (model.count_params(), trainable_count(model)) == (params, trainable)
    docstring = " ".join(sys.modules[architectures.get(name).source].__doc__.split())
    assert f"exactly {params:,} parameters" in docstring


def test_c3_follows_table_one():
    assert [len(c) for c in C3_CONNECTIONS] == [3] * 6 + [4] * 9 + [6]
    assert C3_CONNECTIONS[12] == (0, 1, 3, 4) and C3_CONNECTIONS[14] == (0, 2, 3, 5)
    assert c3_mask().sum() == 60


def test_c3_dense_kernel_is_zero_exactly_where_there_is_no_connection():
    c3 = built("lenet5").get_layer("c3")
    kernel = keras.ops.convert_to_numpy(c3.dense_kernel())
    assert kernel.shape == (5, 5, 6, 16)
    nonzero = (kernel != 0).all(axis=(0, 1))  # random init: every connected tap is nonzero
    zero = (kernel == 0).all(axis=(0, 1))
    assert (nonzero == c3_mask()).all() and (zero == ~c3_mask()).all()


def test_c3_holds_and_trains_only_the_60_connected_kernels():
    c3 = SparseConv2D(C3_CONNECTIONS, 5, activation="tanh", name="c3")
    x = tf.random.normal((2, 14, 14, 6), seed=1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(c3(x) ** 2)
    grads = tape.gradient(loss, c3.trainable_variables)
    assert [tuple(v.shape) for v in c3.trainable_variables] == [(5, 5, 60), (16,)]
    assert all(np.all(np.asarray(g) != 0) for g in grads)


def test_each_c3_map_depends_only_on_its_connected_s2_maps():
    c3 = SparseConv2D(C3_CONNECTIONS, 5, name="c3")
    x = tf.random.normal((1, 14, 14, 6), seed=2)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = c3(x)
        per_map = [tf.reduce_sum(y[..., j]) for j in range(16)]
    reached = np.stack(
        [np.abs(tape.gradient(s, x).numpy()).sum(axis=(0, 1, 2)) > 0 for s in per_map], axis=1
    )
    assert (reached == c3_mask()).all()


def test_c3_reports_the_flops_of_its_real_connections():
    c3 = built("lenet5").get_layer("c3")
    assert c3.flops((14, 14, 6), (10, 10, 16)) == 2 * 10 * 10 * 60 * 5 * 5


def test_lenet5_round_trips_through_a_keras_file(tmp_path):
    model = architectures.create("lenet5")
    model.save(tmp_path / "lenet5.keras")
    loaded = keras.models.load_model(tmp_path / "lenet5.keras")
    images = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    assert isinstance(loaded.get_layer("c3"), SparseConv2D)
    assert loaded.get_layer("c3").connections == C3_CONNECTIONS
    np.testing.assert_array_equal(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0)
    )


@pytest.mark.parametrize("name", REGISTERED)
def test_builds_and_outputs_class_probabilities(name):
    model = built(name)
    assert model.output_shape == (None, 10)
    images = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    probs = model.predict(images, verbose=0)
    assert (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", REGISTERED)
def test_forward_pass_costs_at_most_100_mflop_per_image(name):
    assert 0 < count_flops(built(name)) <= 100e6


@pytest.mark.parametrize("name", REGISTERED)
def test_builds_for_47_classes(name):
    assert built(name, num_classes=47).output_shape == (None, 47)


@pytest.mark.parametrize("name", BUILT_IN)
def test_has_a_description_and_a_reference(name):
    spec = architectures.get(name)
    assert spec.description.strip() and spec.reference.strip()


@pytest.mark.parametrize("name", BUILT_IN)
def test_builds_with_every_hyperparameter_at_its_largest_value(name):
    hp = keras_tuner.HyperParameters()
    architectures.create(name, hp=hp)  # declares the search space
    for param in hp.space:
        values = getattr(param, "values", None)
        hp.values[param.name] = max(values) if values else param.max_value
    assert architectures.create(name, hp=hp).output_shape == (None, 10)


def test_lenet5_has_no_hyperparameters():
    hp = keras_tuner.HyperParameters()
    architectures.create("lenet5", hp=hp)
    assert hp.space == []


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ArchitectureError, match="unknown architecture 'nope'") as err:
        architectures.create("nope")
    assert all(name in str(err.value) for name in BUILT_IN)


def test_a_builder_that_raises_is_reported_by_name(register_temporary):
    def broken(input_shape, num_classes, hp=None):
        raise RuntimeError("out of cheese")

    register_temporary(broken, name="broken_arch")
    with pytest.raises(ArchitectureError, match="broken_arch.*RuntimeError: out of cheese"):
        architectures.create("broken_arch")


def test_a_builder_with_the_wrong_output_shape_is_reported_by_name(register_temporary):
    def three_way(input_shape, num_classes, hp=None):
        inputs = keras.Input(input_shape)
        x = keras.layers.Flatten()(inputs)
        return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))

    register_temporary(three_way, name="three_way")
    with pytest.raises(ArchitectureError, match=r"three_way.*\(3,\).*expected.*\(10,\)"):
        architectures.create("three_way", num_classes=10)


def test_a_builder_returning_a_non_model_is_reported_by_name(register_temporary):
    register_temporary(lambda input_shape, num_classes, hp=None: "a model", name="not_a_model")
    with pytest.raises(ArchitectureError, match="not_a_model.*returned str"):
        architectures.create("not_a_model")


def test_a_builder_returning_an_unbuilt_model_is_an_architecture_error(register_temporary):
    import keras

    register_temporary(lambda input_shape, num_classes, hp=None: keras.Sequential(), name="unbuilt")
    with pytest.raises(ArchitectureError, match="'unbuilt'.*keras.Input"):
        architectures.create("unbuilt")


@pytest.mark.parametrize(
    "name", ["../../escape", "x<script>alert(3)</script>", "a/b", ".hidden", "-flag", "", "a b"]
)
def test_a_name_that_is_not_one_safe_folder_name_is_refused(register_temporary, name):
    from conftest import tiny_net

    with pytest.raises(ArchitectureError) as excinfo:
        register_temporary(tiny_net, name=name)
    message = str(excinfo.value)
    assert repr(name) in message and "not usable as a folder name" in message
    assert "\n" not in message and name not in architectures.names()


@pytest.mark.parametrize("name", ["tiny", "tiny_net", "my-net.v2", "_private", "3layers"])
def test_names_of_letters_digits_and_underscores_dots_dashes_are_accepted(register_temporary, name):
    from conftest import tiny_net

    register_temporary(tiny_net, name=name)
    assert name in architectures.names()


@pytest.fixture(scope="module")
def fresh_import() -> list[str]:
    """In a new interpreter: whether importing the registry loaded Keras, then the names it
    lists on the first look."""
    code = (
        "import sys, architectures; print('keras' in sys.modules); "
        "print(' '.join(architectures.names()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_importing_the_registry_loads_no_keras(fresh_import):
    assert fresh_import[0] == "False"


def test_the_built_ins_register_on_the_first_look_at_the_registry(fresh_import):
    assert set(fresh_import[1].split()) >= {"lenet5", "custom_cnn", "inception_lite"}


def test_an_unknown_training_setting_is_named_with_its_architecture(register_temporary):
    from bench.config import TrainConfig

    register_temporary(_tiny, name="odd_settings", train={"epoch": 3})
    with pytest.raises(ArchitectureError, match="odd_settings.*unknown training setting epoch"):
        TrainConfig.of(architectures.get("odd_settings"))


def test_an_architectures_training_settings_replace_the_defaults(register_temporary):
    from bench.config import TrainConfig

    register_temporary(_tiny, name="own_settings", train={"epochs": 3, "batch_size": 16})
    config = TrainConfig.of(architectures.get("own_settings"))
    assert (config.epochs, config.batch_size) == (3, 16)
    assert config.schedule == TrainConfig().schedule
