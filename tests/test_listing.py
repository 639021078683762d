"""``bench list``: export sizes kept by network and listing, and the same bytes as a run's."""

from __future__ import annotations

import json

import pytest

from bench import api, deployment
from bench.cli.main import main
from bench.store import results

SMALL_ARCH = '''
import keras
from keras import layers

import architectures


@architectures.register
def listed_net(input_shape, num_classes, hp=None):
    """A small convnet to list."""
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D({filters}, 3, activation="relu", name="conv")(inputs)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, layers.Dense(num_classes, name="probs")(x))
'''


def _listing(module, cache):
    (row,) = deployment.list_architectures(
        "listed_net", [module], input_shape=(8, 8, 1), num_classes=3, exports="int8", cache=cache
    )
    return row


@pytest.fixture
def listed_module(tmp_path):
    module = tmp_path / "listed.py"
    module.write_text(SMALL_ARCH.format(filters=4))
    return module


def test_a_second_listing_reads_the_sizes_kept_from_the_first(listed_module, tmp_path):
    cache = tmp_path / "sizes.json"
    first = _listing(listed_module, cache)
    second = _listing(listed_module, cache)
    assert (first["sizes"], second["sizes"]) == ("exported", "cached")
    assert first["int8_bytes"] > 0 and first["int8_arena_bytes"] > 0
    assert {**first, "sizes": None} == {**second, "sizes": None}
    assert list(first) == list(second)  # the same columns in the same order


def test_a_network_whose_builder_changed_is_exported_again(listed_module, tmp_path):
    cache = tmp_path / "sizes.json"
    before = _listing(listed_module, cache)
    listed_module.write_text(SMALL_ARCH.format(filters=8))
    after = _listing(listed_module, cache)
    assert after["sizes"] == "exported" and after["params"] > before["params"]
    assert after["int8_bytes"] > before["int8_bytes"]


def test_without_a_cache_nothing_is_kept(listed_module, tmp_path):
    assert _listing(listed_module, None)["sizes"] == "exported"
    assert _listing(listed_module, None)["sizes"] == "exported"
    assert list(tmp_path.iterdir()) == [listed_module]


def test_the_table_says_how_the_sizes_were_found_and_where_they_are_kept(
    listed_module, tmp_path, capsys
):
    command = ["list", "--arch", "listed_net", "--arch-module", str(listed_module)]
    command += ["--input-shape", "8,8,1", "--exports", "int8", "--results", str(tmp_path)]
    assert main(command) == 0
    assert f"Sizes kept in {tmp_path}" in " ".join(capsys.readouterr().out.split())
    assert main(command) == 0
    assert f"Sizes 1 of 1 read from {tmp_path}" in " ".join(capsys.readouterr().out.split())
    assert (tmp_path / ".cache" / "sizes.json").is_file()


def test_an_unknown_name_is_refused_before_anything_is_exported(tmp_path, capsys):
    assert main(["list", "--arch", "nonesuch", "--results", str(tmp_path)]) == 2
    assert "unknown architecture 'nonesuch'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # a smoke run of every built-in architecture with its int8 export: minutes
def test_listed_int8_flash_is_what_a_smoke_runs_export_weighs_for_every_builtin(tmp_path):
    specs = api.plan(None, dataset="digits", profile="smoke", augment="off")
    api.run(specs, api.load_data("digits", val_size=200), tmp_path, quiet=True,
            measure={"exports": "int8", "robustness": "none"})  # fmt: skip
    exported = {}
    for path in tmp_path.glob(f"*/{results.RECORD}"):
        record = json.loads(path.read_text())
        int8 = record["exports"]["int8"]
        exported[record["spec"]["arch"]] = (int8["bytes"], int8.get("arena_bytes"))
    listed = {
        row["name"]: (row["int8_bytes"], row["int8_arena_bytes"])
        for row in deployment.list_architectures(exports="int8")
    }
    assert listed == exported
