"""The protocol search's verdict (benchmarks/protocol_table.py): a shorter budget holds only
when its mean over the seeds is at least the registered budget's, like for like."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _protocol_table():
    spec = importlib.util.spec_from_file_location(
        "protocol_table", BENCHMARKS / "protocol_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _log(path: Path, lasts: dict[int, list[float]], precision: str = "float32") -> Path:
    lines = [
        {"arch": "custom_cnn", "augment": True, "epochs": epochs, "learning_rate": 4e-3,
         "batch_size": 128, "warmup": 0.15, "seed": seed, "last": last, "seconds": 60.0 * epochs,
         "precision": precision}
        for epochs, per_seed in lasts.items()
        for seed, last in enumerate(per_seed)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_shorter_budget_holds_when_its_mean_over_the_seeds_is_as_high(tmp_path):
    table = _protocol_table()
    log = _log(tmp_path / "log.jsonl", {8: [0.995, 0.996, 0.994], 6: [0.996, 0.995, 0.994]})
    said = table.verdicts(table.pooled(table.from_log(log)), seeds=3)
    assert "8 epochs 0.9950, 6 epochs 0.9950: **6 epochs hold it**" in said


def test_a_shorter_budget_a_few_images_lower_on_average_does_not_hold(tmp_path):
    table = _protocol_table()
    log = _log(tmp_path / "log.jsonl", {8: [0.995, 0.996, 0.994], 6: [0.9962, 0.995, 0.9934]})
    groups = table.pooled(table.from_log(log))
    assert "**nothing shorter holds it**" in table.verdicts(groups, seeds=3)
    assert "| -0.7 |" in table.table(groups)  # in validation images per 5,000


def test_no_verdict_on_fewer_seeds_than_asked_for_or_across_precisions(tmp_path):
    table = _protocol_table()
    short = table.from_log(_log(tmp_path / "a.jsonl", {6: [0.999, 0.999, 0.999]}))
    budget = table.from_log(_log(tmp_path / "b.jsonl", {8: [0.99, 0.99]}, "bfloat16"))
    few = table.from_log(_log(tmp_path / "c.jsonl", {8: [0.99, 0.99]}))
    assert table.verdicts(table.pooled(short + budget), seeds=3) == ""
    assert table.verdicts(table.pooled(short + few), seeds=3) == ""


def test_docs_protocol_holds_the_table_of_the_committed_search_log():
    root = BENCHMARKS.parent
    written = (root / "docs" / "protocol.md").read_text()
    written = written.split("<!-- protocol-search -->\n")[1].split("<!-- /protocol-search -->")[0]
    log = root / "results" / "reference" / "protocol-search" / "search.jsonl"
    assert written == _protocol_table().markdown([log])
