"""Hyperparameter search: resumable, validation-only, tuned runs beside default ones, and
keras-tuner's chief/worker mode across processes."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import built_once

from bench.cli.main import main
from bench.config import Profile, get_profile, plan
from bench.errors import BenchError
from bench.store import results
from bench.train.checkpoint import EpochCheckpoint
from bench.tune.best import read_best
from bench.tune.hypermodel import search_space
from bench.tune.progress import TrialProgress
from bench.tune.search import search
from bench.tune.settings import BEST, SearchSettings, arch_dir
from bench.tune.trials import best_trial
from bench.tune.tuners import TUNER_CLASSES

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ["--dataset", "digits", "--profile", "smoke"]
TRIAL_LINE = re.compile(r"^\[trial (\d+)/(\d+)\]", re.MULTILINE)


def _trial_numbers(text: str) -> list[int]:
    return [int(number) for number, _ in TRIAL_LINE.findall(text)]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def _trial_files(out: Path, arch: str = "lenet5") -> list[dict]:
    folder = arch_dir(out, "digits", arch)
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*/trial_*/trial.json"))]


@pytest.fixture(scope="module")
def two_trials(tmp_path_factory):
    """lenet5 on digits: a two-trial search, and what it printed."""

    def build(folder: Path) -> None:
        out, printed = folder / "search", io.StringIO()
        with contextlib.redirect_stdout(printed):
            argv = ["tune", "--arch", "lenet5", *SMOKE, "--out", str(out), "--max-trials", "2"]
            assert main(argv) == 0
        (folder / "printed.txt").write_text(printed.getvalue())

    folder = built_once(tmp_path_factory, "two_trials", build)
    return folder / "search", (folder / "printed.txt").read_text()


@pytest.fixture(scope="module")
def tuned_results(two_trials, tmp_path_factory):
    """The two-trial search, then a default and a tuned run (augmentation off)."""

    def build(out: Path) -> None:
        shutil.copytree(two_trials[0], out, dirs_exist_ok=True)
        common = ["--arch", "lenet5", *SMOKE, "--out", str(out), "--quiet"]
        assert main(["run", *common, "--augment", "off"]) == 0
        assert main(["run", *common, "--augment", "off", "--tuned"]) == 0

    return built_once(tmp_path_factory, "tuned_results", build)


def test_the_search_counts_its_architectures_in_words(two_trials):
    assert "tuning 1 architecture on digits" in two_trials[1]


def test_a_search_saves_the_best_and_running_it_again_runs_only_the_missing_trials(
    two_trials, tmp_path, capsys
):
    searched, printed = two_trials
    assert _trial_numbers(printed) == [1, 2]
    first = read_best(arch_dir(searched, "digits", "lenet5") / BEST)
    trials = _trial_files(searched)
    assert first.trials == 2 and first.best_val_accuracy == max(t["score"] for t in trials)

    shutil.copytree(searched, tmp_path, dirs_exist_ok=True)
    command = ["tune", "--arch", "lenet5", *SMOKE, "--out", str(tmp_path)]
    assert main([*command, "--max-trials", "3"]) == 0
    assert _trial_numbers(capsys.readouterr().out) == [3]
    assert read_best(arch_dir(tmp_path, "digits", "lenet5") / BEST).trials == 3
    assert sorted(t["trial_id"] for t in _trial_files(tmp_path)) == ["0", "1", "2"]


def test_a_search_cut_off_keeps_the_best_of_the_trials_it_finished(
    tiny_arch, digits_splits, tmp_path, monkeypatch
):
    spec = plan([tiny_arch], "digits", Profile("one", "1 epoch", max_epochs=1), [False])[0]
    save = EpochCheckpoint.on_epoch_end
    epochs = []

    def save_then_stop_in_the_second_trial(self, epoch, logs=None):
        epochs.append(epoch)
        if len(epochs) == 2:
            raise KeyboardInterrupt  # as a kill during the second trial
        save(self, epoch, logs)

    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", save_then_stop_in_the_second_trial)
    with pytest.raises(KeyboardInterrupt):
        search(spec, digits_splits, tmp_path, SearchSettings(max_trials=2, quiet=True))

    best = read_best(arch_dir(tmp_path, "digits", tiny_arch) / BEST)
    assert best is not None and best.trials == 1 and best.best_trial == "0"


def test_a_resumed_trial_is_left_out_of_the_estimate_of_time_left(capsys):
    from keras_tuner import HyperParameters
    from keras_tuner.engine.trial import Trial

    progress = TrialProgress(total=3)
    first = Trial(HyperParameters(), trial_id="0", status="COMPLETED")
    first.score = 0.9
    progress.began(first)
    progress.run_resumed(epochs_done=4, max_epochs=10)
    progress.ended(first, best=first)
    progress.began(Trial(HyperParameters(), trial_id="1"))

    out = capsys.readouterr().out
    assert "since resuming" in out
    assert "left" not in out.splitlines()[-1]  # no full trial seen yet: no estimate


def test_a_cut_off_trial_goes_on_from_its_last_epoch_and_is_scored_on_all_of_them(
    tiny_arch, digits_splits, tmp_path, monkeypatch, capsys
):
    spec = plan([tiny_arch], "digits", Profile("three", "3 epochs", max_epochs=3), [False])[0]
    settings = SearchSettings(max_trials=1)
    save = EpochCheckpoint.on_epoch_end
    histories = []

    def save_and_keep_history(self, epoch, logs=None):
        save(self, epoch, logs)
        histories.append(list(self.history))
        if epoch == 0 and len(histories) == 1:
            raise KeyboardInterrupt  # as a kill after the first epoch's checkpoint

    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", save_and_keep_history)
    with pytest.raises(KeyboardInterrupt):
        search(spec, digits_splits, tmp_path, settings)
    outcome = search(spec, digits_splits, tmp_path, settings)

    out = capsys.readouterr().out
    assert "0 trials finished, 1 to run; 1 trial cut off part-way goes on from" in out
    assert "resuming after epoch 1/3" in out
    assert "since resuming | best so far" in out
    assert len(histories) == 3  # one epoch before the cut, two after it
    whole = histories[-1]
    assert [row["epoch"] for row in whole] == [1, 2, 3] and whole[0] == histories[0][0]
    (trial,) = _trial_files(tmp_path, tiny_arch)
    assert trial["status"] == "COMPLETED"
    assert outcome.best.best_val_accuracy == max(row["val_accuracy"] for row in whole)
    assert not list(arch_dir(tmp_path, "digits", tiny_arch).glob("*/trial_0/.partial"))


def _oracle_with(scores: dict[str, float | None], status: str = "COMPLETED"):
    import keras_tuner

    oracle = keras_tuner.oracles.RandomSearchOracle(
        objective=keras_tuner.Objective("val_accuracy", "max"), max_trials=len(scores)
    )
    for trial_id, score in scores.items():
        trial = keras_tuner.engine.trial.Trial(oracle.get_space(), trial_id, status)
        trial.score = score
        oracle.trials[trial_id] = trial
    return oracle


def test_of_equal_scores_the_trial_begun_first_is_best_whatever_order_the_search_reloads_in():
    # a reloaded search may hold its trials in another order than the one they began in
    oracle = _oracle_with({"09": 0.9958, "03": 0.9950, "08": 0.9958, "04": 0.9956})
    assert best_trial(oracle).trial_id == "08"


def test_a_search_with_no_scored_trial_has_no_best():
    assert best_trial(_oracle_with({"00": None, "01": 0.99}, status="RUNNING")) is None


def test_trials_are_scored_on_validation_accuracy_and_never_read_the_test_set(
    digits_splits, tiny_arch, tmp_path
):
    no_test_set = dataclasses.replace(digits_splits, x_test=None, y_test=None)
    spec = plan([tiny_arch], "digits", get_profile("smoke"), [False])[0]

    outcome = search(spec, no_test_set, tmp_path, SearchSettings(max_trials=2, quiet=True))

    assert outcome.best.objective == "val_accuracy"
    trials = _trial_files(tmp_path, tiny_arch)
    assert len(trials) == 2
    for trial in trials:
        observed = trial["metrics"]["metrics"]["val_accuracy"]["observations"]
        assert trial["score"] == max(o["value"][0] for o in observed)
    assert outcome.best.best_val_accuracy == max(t["score"] for t in trials)


def test_an_architecture_without_a_search_space_gets_learning_rate_and_dropout(tiny_arch):
    spec = plan([tiny_arch], "digits", get_profile("smoke"), [False])[0]
    space = {hp.name: hp for hp in search_space(spec, (28, 28, 1), 10).space}
    assert set(space) == {"learning_rate", "dropout"}
    assert space["dropout"].default == 0.0  # the default configuration is the plain model


def test_an_architecture_searches_its_own_space_plus_the_learning_rate_around_its_default():
    spec = plan(["custom_cnn"], "digits", get_profile("smoke"), [False])[0]
    space = {hp.name: hp for hp in search_space(spec, (28, 28, 1), 10).space}
    assert set(space) == {"dense_units", "dropout", "learning_rate"}
    assert space["learning_rate"].default == spec.learning_rate
    assert space["learning_rate"].sampling == "log"


def test_a_tuned_run_is_loaded_as_variant_tuned_beside_the_default(tuned_results):
    frame = results.load(tuned_results)
    assert sorted(frame["variant"]) == ["default", "tuned"]
    assert (frame["status"] == "ok").all()
    assert frame.loc[frame["variant"] == "tuned", "run_id"].item().endswith("-tuned-noaug-s0")


def test_a_tuned_run_trains_the_saved_best_configuration(tuned_results):
    best = read_best(arch_dir(tuned_results, "digits", "lenet5") / BEST)
    tuned = next(r for r in results.iter_records(tuned_results) if r.spec.variant == "tuned")
    assert tuned.spec.learning_rate == best.hyperparameters["learning_rate"]
    assert tuned.spec.hyperparameters == {"dropout": best.hyperparameters["dropout"]}


def test_a_tuned_run_trains_exactly_as_its_trial_did(tuned_results):
    best = read_best(arch_dir(tuned_results, "digits", "lenet5") / BEST)
    (trial,) = [t for t in _trial_files(tuned_results) if t["trial_id"] == best.best_trial]
    trial_losses = [o["value"][0] for o in trial["metrics"]["metrics"]["val_loss"]["observations"]]
    run_dir = next(tuned_results.glob("*-tuned-noaug-s0"))
    with open(run_dir / results.HISTORY) as fh:
        run_losses = [float(row["val_loss"]) for row in csv.DictReader(fh)]
    assert run_losses == pytest.approx(trial_losses, rel=1e-6)


def test_the_report_gains_a_tuning_section_with_the_trials_chart(tuned_results, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", "--results", str(tuned_results), "--file", str(out)]) == 0
    html = out.read_text()
    section = html.split('<section id="tuning">', 1)[1].split("</section>", 1)[0]
    assert "default test acc" in section and "tuned test acc" in section
    assert 'class="chart half" id="chart-tuning-digits-lenet5"' in section
    assert section.count("<tr><td data-value=") == 2  # one row per trial
    assert "learning_rate" in section and "dropout" in section  # the best hyperparameters
    spec = html.split('data-target="chart-tuning-digits-lenet5">', 1)[1].split("</script>")[0]
    assert json.loads(spec)["data"][0]["type"] == "parcoords"


def test_run_tuned_without_a_search_is_one_line_and_exit_2(tmp_path, capsys):
    argv = ["run", "--tuned", "--arch", "lenet5", *SMOKE, "--out", str(tmp_path)]
    assert main(argv) == 2
    line = _one_error_line(capsys)
    assert "no tuned hyperparameters for lenet5" in line and BEST in line


def test_a_missing_best_json_is_none_and_a_corrupt_one_an_error_naming_it(tmp_path):
    path = tmp_path / BEST
    assert read_best(path) is None
    for text in ('{"arch": "lenet5", ', "[1, 2]", json.dumps({"arch": "lenet5"})):
        path.write_text(text)
        with pytest.raises(BenchError) as error:
            read_best(path)
        assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_run_tuned_with_a_corrupt_best_json_is_one_line_naming_it_and_exit_2(tmp_path, capsys):
    path = arch_dir(tmp_path, "digits", "lenet5") / BEST
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert main(["run", "--tuned", "--arch", "lenet5", *SMOKE, "--out", str(tmp_path)]) == 2
    line = _one_error_line(capsys)
    assert str(path) in line and "unreadable" in line and "missing" not in line


def test_the_tune_package_loads_neither_tensorflow_nor_keras_tuner():
    heavy = "{'tensorflow', 'keras_tuner'}"
    probe = f"import sys, bench.tune; print(sorted({heavy} & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_the_tuners_override_only_public_keras_tuner_hooks():
    import keras_tuner

    for tuner_class in TUNER_CLASSES.values():
        ours = [c for c in tuner_class.__mro__ if c.__module__.startswith("bench.")]
        overridden = {name for c in ours for name in vars(c) if hasattr(keras_tuner.Tuner, name)}
        assert "run_trial" in overridden
        assert not [n for n in overridden if n.startswith("_") and not n.startswith("__")]


def test_tune_on_an_unknown_architecture_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["tune", "--arch", "nope", *SMOKE, "--out", str(tmp_path)]) == 2
    assert "unknown architecture 'nope'" in _one_error_line(capsys)


EDITABLE_ARCH = '''
import keras
import architectures

@architectures.register(name="editable_net")
def editable_net(input_shape, num_classes, hp=None):
    """A one-layer net whose file a test edits."""
    inputs = keras.Input(input_shape, name="image")
    x = keras.layers.Flatten(name="flatten")(inputs)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="editable_net")
'''


@pytest.fixture
def editable_arch(tmp_path):
    """``(argv, path)``: smoke-profile flags for editable_net, and the file that defines it."""
    path = tmp_path / "editable.py"
    path.write_text(EDITABLE_ARCH)
    argv = ["--arch", "editable_net", "--arch-module", str(path), *SMOKE]
    return [*argv, "--out", str(tmp_path / "results"), "--quiet"], path


def test_a_search_of_an_edited_builder_starts_afresh(editable_arch, capsys):
    argv, path = editable_arch
    assert main(["tune", *argv, "--max-trials", "1"]) == 0
    path.write_text(path.read_text() + "# edited\n")
    capsys.readouterr()

    assert main(["tune", *argv, "--max-trials", "1"]) == 0
    assert "1 trial (1 run now)" in capsys.readouterr().out  # none carried over
    searches = list(arch_dir(path.parent / "results", "digits", "editable_net").glob("*/"))
    assert len(searches) == 2  # the stale search is kept, beside the new one


def test_run_tuned_says_which_search_found_its_hyperparameters(editable_arch, capsys):
    argv, _ = editable_arch
    assert main(["tune", *argv, "--max-trials", "1"]) == 0
    capsys.readouterr()
    loud = [flag for flag in argv if flag != "--quiet"]
    assert main(["run", *loud, "--tuned", "--augment", "off"]) == 0
    assert "editable_net: tuned by the smoke random search (noaug, seed 0, 1 trial" in (
        capsys.readouterr().out
    )


def test_run_tuned_refuses_hyperparameters_searched_for_another_network(editable_arch, capsys):
    argv, path = editable_arch
    assert main(["tune", *argv, "--max-trials", "1"]) == 0
    path.write_text(path.read_text().replace('"softmax"', '"sigmoid"'))
    capsys.readouterr()

    assert main(["run", *argv, "--tuned"]) == 2
    line = _one_error_line(capsys)
    assert "earlier version of editable_net" in line and "bench tune" in line


def test_run_tuned_keeps_hyperparameters_when_an_edit_leaves_the_network_as_it_was(
    editable_arch, capsys
):
    argv, path = editable_arch
    assert main(["tune", *argv, "--max-trials", "1"]) == 0
    path.write_text(path.read_text() + "# edited\n")
    capsys.readouterr()

    loud = [flag for flag in argv if flag != "--quiet"]
    assert main(["run", *loud, "--tuned", "--augment", "off"]) == 0
    assert "(its code changed since, not its network)" in capsys.readouterr().out


def test_hyperparameters_searched_before_networks_were_recorded_count_as_another_network(
    editable_arch,
):
    argv, _ = editable_arch
    assert main(["tune", *argv, "--max-trials", "1"]) == 0
    best = read_best(arch_dir(argv[argv.index("--out") + 1], "digits", "editable_net") / BEST)
    assert best.builds_searched_network()
    assert not dataclasses.replace(best, network=None).builds_searched_network()


@pytest.mark.parametrize(
    "flags",
    [["--tuner", "grid"], ["--max-trials", "0"], ["--time-budget", "-1"], ["--no-such-flag"]],
)
def test_a_bad_tune_flag_is_one_line_and_exit_2(flags, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["tune", "--arch", "lenet5", *flags])
    assert exit_info.value.code == 2
    assert flags[0] in _one_error_line(capsys)


def test_a_worker_without_an_id_is_one_line_and_exit_2(tmp_path, capsys):
    argv = ["tune", "--arch", "lenet5", *SMOKE, "--out", str(tmp_path)]
    assert main([*argv, "--distributed", "worker", "--oracle", "127.0.0.1:1"]) == 2
    assert "--worker-id" in _one_error_line(capsys)
    assert "KERASTUNER_TUNER_ID" not in os.environ


def test_a_spent_time_budget_starts_no_new_trial(tiny_arch, tmp_path, capsys):
    argv = ["tune", "--arch", tiny_arch, *SMOKE, "--out", str(tmp_path), "--max-trials", "3"]
    assert main([*argv, "--time-budget", "0.000001"]) == 0
    assert "time budget spent" in capsys.readouterr().out
    assert _trial_files(tmp_path, tiny_arch) == []


def test_the_same_search_in_another_process_gives_the_same_trial_scores(two_trials, tmp_path):
    # a process of its own, which has run nothing before: op determinism is process-wide
    argv = [sys.executable, "-m", "bench", "tune", "--arch", "lenet5", *SMOKE, "--quiet"]
    done = subprocess.run(
        [*argv, "--max-trials", "2", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    first, second = ([t["score"] for t in _trial_files(out)] for out in (two_trials[0], tmp_path))
    assert len(first) == 2 and first == second


def _reserved_port() -> socket.socket:
    """A socket bound to a port the system chose, held (not listening) for as long as the
    test runs: no other program can bind that port, but the chief's gRPC server, which binds
    with SO_REUSEPORT as this socket does, can; connections go to the one that listens."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.mark.long
def test_a_chief_and_two_workers_run_every_trial_exactly_once(tmp_path):
    base = [sys.executable, "-m", "bench", "tune", "--arch", "lenet5", *SMOKE]
    base += ["--max-trials", "3", "--out", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
    roles = {
        "chief": ["--distributed", "chief"],
        "worker1": ["--distributed", "worker", "--worker-id", "1"],
        "worker2": ["--distributed", "worker", "--worker-id", "2"],
    }
    logs = {name: tmp_path / f"{name}.log" for name in roles}
    procs = {}
    with _reserved_port() as reserved:
        oracle = ["--oracle", f"127.0.0.1:{reserved.getsockname()[1]}"]
        try:
            for name, flags in roles.items():
                with open(logs[name], "w") as log:
                    procs[name] = subprocess.Popen(
                        [*base, *oracle, *flags],
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
            for name in ["worker1", "worker2", "chief"]:  # the chief ends after its workers
                assert procs[name].wait(timeout=300) == 0, logs[name].read_text()[-3000:]
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    ran = sorted(_trial_numbers(logs["worker1"].read_text() + logs["worker2"].read_text()))
    assert ran == [1, 2, 3]
    trials = _trial_files(tmp_path)
    assert sorted(t["trial_id"] for t in trials) == ["0", "1", "2"]
    assert {t["status"] for t in trials} == {"COMPLETED"}
    best = read_best(arch_dir(tmp_path, "digits", "lenet5") / BEST)
    assert best.trials == 3
    assert best.best_val_accuracy == max(t["score"] for t in trials)
