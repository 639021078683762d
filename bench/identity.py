"""The one rule for "is this still the same network?", and the fingerprints it rests on.

``same_network`` is what every finished run, checkpoint, stored search and repeat is checked
with before it is reused.

A run is redone when its builder's code changes (``ArchSpec.code_digest``). Many edits leave
the network as it was (a comment, a block moved into a shared helper), and redoing hours of
training for them helps nobody. The fingerprint tells those edits apart: a hash of the
model's Keras config (every layer's class and settings, and how the layers connect) with
the names of layers and of the model replaced by positions.

A config only names code that lives outside Keras (a custom layer class, a registered
activation, a ``Lambda``), and that code can change while the config stays the same. A
model holding any gets no fingerprint, and its runs follow the code digest alone.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Written by ``model.save`` to tie repeated objects together; differs between saves.
_SAVE_ONLY_KEYS = {"shared_object_id"}

# The project's own layers that compute exactly what a Keras layer does (their tests hold
# them to it), by their registered names: a network counts as the same with either.
KERAS_EQUIVALENTS = {
    "mnist_bench>FusedBatchNormalization": ("keras.layers", "BatchNormalization"),
}


def config_fingerprint(config: dict) -> str | None:
    """A short hash of a serialized functional model (``serialize_keras_object(model)``
    or a .keras file's ``config.json``), or None when it holds code from outside Keras."""
    config = _as_keras(config)
    if _outside_keras(config):
        return None
    body = config.get("config", config)
    positions = {layer["name"]: f"#{i}" for i, layer in enumerate(body.get("layers", []))}
    canonical = {key: value for key, value in body.items() if key != "name"}
    text = json.dumps(_renamed(canonical, positions), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def model_fingerprint(model) -> str | None:
    """The fingerprint of a built model (None: it holds code from outside Keras)."""
    import keras

    # A JSON round trip makes tuples lists, as in a saved file.
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    return config_fingerprint(config)


def saved_fingerprint(path: Path) -> str | None:
    """The fingerprint of the model saved in a .keras file (None: unreadable, or code from
    outside Keras)."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    return config_fingerprint(config) if isinstance(config, dict) else None


def same_network(
    recorded: object,
    current: dict,
    recorded_network: str | None,
    current_network: Callable[[], str | None],
) -> bool:
    """Whether work recorded under the spec ``recorded`` (a dict) counts for ``current``.

    Equal specs count. Specs that differ only in the builder's code digest count when the
    code now builds the network the work was done with: ``recorded_network``, the recorded
    fingerprint, equals ``current_network()`` (called only then: it builds a model).
    """
    if recorded == current:
        return True
    if not isinstance(recorded, dict) or not same_but_code(recorded, current):
        return False
    return recorded_network is not None and recorded_network == current_network()


def same_but_code(recorded: dict, current: dict) -> bool:
    """Whether two run specs (as dicts) differ at most in the builder's code digest."""
    return _without_digest(recorded) == _without_digest(current)


def _without_digest(spec: dict) -> dict:
    return {key: value for key, value in spec.items() if key != "arch_digest"}


def _as_keras(node: Any) -> Any:
    """``node`` with every layer of ``KERAS_EQUIVALENTS`` named as its Keras layer."""
    if isinstance(node, dict):
        node = {key: _as_keras(value) for key, value in node.items()}
        keras_name = KERAS_EQUIVALENTS.get(node.get("registered_name"))
        if keras_name is not None:
            module, class_name = keras_name
            node.update(module=module, class_name=class_name, registered_name=None)
        return node
    if isinstance(node, list):
        return [_as_keras(value) for value in node]
    return node


def _outside_keras(node: Any) -> bool:
    if isinstance(node, dict):
        module = node.get("module")
        if isinstance(module, str) and not (module == "keras" or module.startswith("keras.")):
            return True
        if node.get("class_name") == "Lambda":
            return True
        return any(_outside_keras(value) for value in node.values())
    if isinstance(node, list):
        return any(_outside_keras(value) for value in node)
    return False


def _renamed(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: _renamed(value, names) for key, value in node.items() if key not in _SAVE_ONLY_KEYS
        }
    if isinstance(node, list):
        return [_renamed(value, names) for value in node]
    if isinstance(node, str):
        return names.get(node, node)
    return node
