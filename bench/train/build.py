"""Building the network a run trains: the registered architecture, with its tuned values."""

from __future__ import annotations

from typing import Any

import keras

import architectures
from bench.config import RunSpec
from bench.identity import model_fingerprint
from bench.train import protocol
from bench.train.fused import with_fused_batchnorm

# What an architecture that declares no search space of its own gets besides the learning rate.
DEFAULT_DROPOUT = dict(min_value=0.0, max_value=0.5, step=0.1, default=0.0)


def declares_search_space(arch: str, input_shape: tuple[int, ...], num_classes: int) -> bool:
    """Whether the builder reads any hyperparameter (else it gets the default space)."""
    import keras_tuner

    import architectures

    probe = keras_tuner.HyperParameters()
    architectures.create(arch, input_shape, num_classes, probe)
    return bool(probe.space)


def fixed_hyperparameters(values: dict[str, Any]) -> Any:
    """A ``HyperParameters`` that gives exactly ``values``: a tuned run's configuration."""
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    for name, value in values.items():
        hp.Fixed(name, value)
    return hp


def build_model(
    arch: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    hp: Any,
    own_space: bool | None = None,
    seed: int | None = None,
) -> Any:
    """Architecture ``arch`` with ``hp``'s values (a ``HyperParameters`` or a dict).

    An architecture that declares no search space gets a dropout layer before its classifier
    whose rate is the ``dropout`` hyperparameter (0 by default, which is the plain model).
    With ``seed``, the random generators are seeded just before the model is made, so a
    trial and the tuned run of its values start from the same weights.
    """
    import architectures

    if isinstance(hp, dict):
        hp = fixed_hyperparameters(hp)
    if own_space is None:
        # the probe draws initial weights too: done before seeding, it changes nothing
        own_space = declares_search_space(arch, input_shape, num_classes)
    if seed is not None:
        import keras

        keras.utils.set_random_seed(seed)
    model = architectures.create(arch, input_shape, num_classes, hp)
    if own_space or _classifier(model) is None:
        return model
    return _with_dropout_before_classifier(model, hp.Float("dropout", **DEFAULT_DROPOUT))


def _classifier(model: Any) -> Any:
    """The output layer when it is one layer with weights on one input (a Dense head), else None."""
    try:
        head = model.layers[-1]
        if head.output is not model.outputs[0] or not head.weights:
            return None
        head.input  # noqa: B018  (raises when the layer has several inputs or calls)
    except (AttributeError, IndexError, ValueError):
        return None
    return head


def _with_dropout_before_classifier(model: Any, rate: float) -> Any:
    import keras

    head = _classifier(model)
    features = keras.layers.Dropout(rate, name="tuned_dropout")(head.input)
    return keras.Model(model.inputs, head(features), name=model.name)


def build_for(spec: RunSpec, input_shape: tuple, num_classes: int, fused_batchnorm: bool = True):
    """The untrained model of ``spec``: the builder's defaults, or its tuned values.

    Its BatchNormalization layers train with the fused kernel (``bench.train.fused``) unless
    ``fused_batchnorm`` is False, which the throughput benchmark compares it with.
    """
    if spec.hyperparameters is None:

        def build():
            keras.utils.set_random_seed(spec.seed)
            return architectures.create(spec.arch, input_shape, num_classes)

    else:

        def build():
            return build_model(
                spec.arch, input_shape, num_classes, spec.hyperparameters, seed=spec.seed
            )

    model = protocol.built_in(spec.precision, build)
    return with_fused_batchnorm(model) if fused_batchnorm else model


def built_network(spec: RunSpec, input_shape: tuple, num_classes: int) -> str | None:
    """The fingerprint (``bench.identity``) of the network the code now builds for ``spec``."""
    keras.utils.clear_session()
    return model_fingerprint(build_for(spec, input_shape, num_classes))
