"""A run's record says where its seconds went and what its machine can do."""

from __future__ import annotations

import json

import pytest

from bench.store.records import Environment, RunRecord, Timing
from bench.store.results import iter_runs, load


@pytest.fixture(scope="module")
def finished(small_suite) -> list[RunRecord]:
    return [record for _, record in iter_runs(small_suite) if record.ok]


def test_a_run_records_its_training_beside_the_rest(finished):
    for record in finished:
        timing = record.timing
        assert 0 < timing.training < timing.total
        parts = timing.training + timing.test_evaluation + timing.saving
        assert parts <= timing.total
        assert timing.outside_training == pytest.approx(timing.total - timing.training)


def test_the_total_is_the_runs_wall_time_when_nothing_follows_training(finished):
    # The smoke profile makes no exports and no corrupted digits.
    for record in finished:
        assert record.timing.measurements == {}
        assert record.timing.total == pytest.approx(record.wall_seconds)


def test_a_record_names_the_cpu_and_its_matmul_rate(finished):
    environment = finished[0].environment
    assert environment.cpu_details.get("model_name")
    assert isinstance(environment.cpu_details.get("flags"), list)
    assert environment.matmul_gflops["float32"] > 0
    assert environment.limit_gflops == (
        environment.matmul_gflops.get("bfloat16") or environment.matmul_gflops["float32"]
    )


def test_timing_survives_a_round_trip_through_json(finished):
    record = finished[0]
    again = RunRecord.from_json(json.loads(json.dumps(record.to_json())))
    assert again.timing == record.timing
    assert again.environment.matmul_gflops == record.environment.matmul_gflops


def test_records_from_before_timing_read_as_not_recorded(finished):
    data = finished[0].to_json()
    del data["timing"]
    assert RunRecord.from_json(data).timing is None
    assert Timing().outside_training is None


def test_the_limit_is_bfloat16_where_the_machine_has_it():
    machine = Environment(matmul_gflops={"float32": 200.0, "bfloat16": 740.0})
    assert machine.limit_gflops == 740.0
    assert Environment(matmul_gflops={"float32": 150.0}).limit_gflops == 150.0
    assert Environment().limit_gflops is None


def test_the_results_table_reads_training_speed_as_a_fraction_of_the_machines_limit(small_suite):
    runs = load(small_suite)
    ok = runs[runs["status"] == "ok"]
    expected = ok["gflops_per_second"] / ok["limit_gflops"]
    assert (ok["fraction_of_limit"] == expected).all() and (expected > 0).all()
    assert (ok["outside_training_seconds"] > 0).all()
    assert runs.loc[runs["status"] == "failed", "fraction_of_limit"].isna().all()
