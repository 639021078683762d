"""What runs cost (report/times.py): wall time summed per architecture and in all, never
adding up runs of different CPUs."""

from __future__ import annotations

from conftest import fake_record

from bench.cli.main import main
from bench.store.records import RunRecord
from report.times import markdown, wall_times

EPYC = {"model_name": "AMD EPYC 9R14", "vendor": "AuthenticAMD", "family": 25, "model": 17,
        "flags": ["avx2", "avx512f", "avx512_bf16"]}  # fmt: skip


def _record(arch: str, seconds: float, cpu: dict | None, status: str = "ok") -> RunRecord:
    environment = {"cpu": "AMD EPYC", "cpu_count": 2, "cpu_details": cpu or {}}
    data = {**fake_record(arch, False, status), "wall_seconds": seconds, "environment": environment}
    return RunRecord.from_json(data)


def test_wall_time_is_summed_per_architecture_and_in_all_for_each_cpu():
    records = [
        _record("lenet5", 100.0, EPYC), _record("lenet5", 140.0, EPYC),
        _record("vgg_lite", 600.0, EPYC), _record("vgg_lite", 900.0, None),
        _record("mlp", 50.0, EPYC, status="failed"),  # a failed run is not a cost of the answer
    ]  # fmt: skip
    times = wall_times(records)
    epyc = "AMD EPYC 9R14 (family 25, model 17; avx2, avx512f, avx512_bf16), 2 cores"
    mine = times[times["cpu"] == epyc].set_index("arch")
    assert mine.loc["lenet5", "runs"] == 2 and mine.loc["lenet5", "seconds"] == 240.0
    assert mine.loc["all", "runs"] == 3 and mine.loc["all", "seconds"] == 840.0
    older = times[times["cpu"] == "AMD EPYC, 2 cores"]  # a record without cpu_details
    assert list(older["seconds"]) == [900.0, 900.0]
    assert f"| {epyc} | **all** | 3 | 14m00s | 2m20s |" in markdown(times)


def test_bench_report_prints_the_wall_time_table(small_suite, capsys):
    assert (
        main(["report", "--results", str(small_suite), "--format", "md", "--table", "times"]) == 0
    )
    printed = capsys.readouterr().out
    assert printed.startswith("| CPU | architecture | runs | wall time | median run |")
    assert "| **all** | 4 |" in printed  # the four runs that finished, not the failed one
