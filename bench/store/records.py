"""A run's record, ``record.json``, as types: what the run was, how it went, where it ran.

The suite writes a record last of a run's files (``bench.train.suite``); readers take it
back through ``RunRecord.from_json``. A field added after some records were written takes,
for them, the default the readers have always assumed; a record that is not shaped as one
is refused with ``RecordUnreadable``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, TypeVar

from bench.config import RunSpec

# Validation accuracies whose time to reach each run records (DAWNBench's time-to-accuracy),
# as the metrics epochs_to_<key> and seconds_to_<key>.
ACCURACY_TARGETS = (0.98, 0.99, 0.995)
_TIME_TO_ACCURACY = ("epochs_to_", "seconds_to_")


def target_key(threshold: float) -> str:
    """0.995 -> '99_5': the suffix of the time-to-accuracy fields."""
    return f"{100 * threshold:g}".replace(".", "_")


class RecordUnreadable(Exception):
    """A ``record.json`` that is there but cannot be read as a record: cut short, not JSON,
    not shaped as a record, or not readable at all."""

    def __init__(self, path: Path | None, reason: str, cause: Exception | None = None):
        where = f"{path}: " if path is not None else ""
        super().__init__(f"{where}record unreadable ({reason})")
        self.path = path
        self.reason = reason
        # The OSError or ValueError (not JSON) that stopped the reading; None when the
        # JSON was read but is not a record. `run --from` words each case its own way.
        self.cause = cause


class _Malformed(ValueError):
    """Why a JSON value is not a record; ``RunRecord.from_json`` says it as unreadable."""


Section = TypeVar("Section", bound="_Section")


class _Section:
    """A JSON object of a record whose keys are the dataclass's fields: a key it does not
    know (another version's) is left out, a missing one takes the field's default."""

    @classmethod
    def from_json(cls: type[Section], data: object) -> Section:
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__} is read from a JSON object, not {data!r}")
        return cls(**_known(cls, data))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _known(cls: type, data: dict) -> dict[str, Any]:
    names = {field.name for field in dataclasses.fields(cls)}
    return {key: value for key, value in data.items() if key in names}


@dataclasses.dataclass(frozen=True)
class DatasetInfo(_Section):
    """The data a run read: its name, where from, and the sha256 of each file."""

    name: str | None = None
    source: str | None = None
    checksums: dict[str, str] = dataclasses.field(default_factory=dict)
    num_classes: int | None = None
    input_shape: list[int] | None = None


@dataclasses.dataclass(frozen=True)
class ArchitectureInfo(_Section):
    """What the registry says of the architecture, as the run found it."""

    description: str = ""
    reference: str = ""
    source: str = ""  # the module its builder came from


@dataclasses.dataclass(frozen=True)
class ModelSummary(_Section):
    """The trained network's size (``bench.measure.modelinfo``) and fingerprint."""

    params: int | None = None
    trainable_params: int | None = None
    flops: int | None = None  # forward FLOPs per image
    saved_bytes: int | None = None
    # bench.identity.model_fingerprint; None for records from before it was kept
    network: str | None = None


@dataclasses.dataclass(frozen=True)
class Metrics(_Section):
    """Test scores, timings and image counts of a finished run."""

    test_accuracy: float | None = None
    test_loss: float | None = None
    epochs: int | None = None  # trained: the budget, or fewer where early stopping ended it
    best_epoch: int | None = None  # by validation accuracy
    best_val_accuracy: float | None = None
    train_seconds: float | None = None
    seconds_per_epoch: float | None = None
    images_per_second: float | None = None  # training images a second, validation left out
    gflops_per_second: float | None = None
    eval_seconds: float | None = None
    train_images: int | None = None
    val_images: int | None = None
    test_images: int | None = None
    # epochs_to_<key> and seconds_to_<key> of each ACCURACY_TARGETS key, stored flat beside
    # the others; None where validation never got there; absent from older records.
    time_to_accuracy: dict[str, float | None] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_json(cls, data: object) -> Metrics:
        metrics = super().from_json(data)
        reached = {k: v for k, v in data.items() if k.startswith(_TIME_TO_ACCURACY)}
        return dataclasses.replace(metrics, time_to_accuracy=reached)

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        reached = data.pop("time_to_accuracy")
        return {**data, **reached}


@dataclasses.dataclass(frozen=True)
class PerClass(_Section):
    """Test precision, recall, F1 and support per class, in class order."""

    precision: list[float] = dataclasses.field(default_factory=list)
    recall: list[float] = dataclasses.field(default_factory=list)
    f1: list[float] = dataclasses.field(default_factory=list)
    support: list[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Environment(_Section):
    """Where a run ran: ``bench.environment.capture()`` and the device that trained."""

    python: str | None = None
    tensorflow: str | None = None
    keras: str | None = None
    numpy: str | None = None
    platform: str | None = None
    cpu: str | None = None
    cpu_count: int | None = None  # logical cores
    gpus: list[str] = dataclasses.field(default_factory=list)
    git_commit: str | None = None
    packages: dict[str, str] = dataclasses.field(default_factory=dict)
    intra_op_threads: int | None = None
    inter_op_threads: int | None = None
    op_determinism: bool = False
    variables: dict[str, str] = dataclasses.field(default_factory=dict)
    date: str = ""  # ISO 8601, UTC: sorts as text
    device: str | None = None  # absent from records made before it was kept
    # bench.environment.cpu_details(): model name, vendor, family and model numbers,
    # and the flags that decide the precision; absent from older records
    cpu_details: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The machine's limit, timed in the run's process (bench.measure.calibration): a
    # 2048x2048 matmul's median GFLOP/s by dtype (bfloat16 only where it is native)
    matmul_gflops: dict[str, float] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        for name in ("cpu_details", "matmul_gflops"):  # absent from records made before them
            if not data[name]:
                del data[name]
        return data

    @property
    def limit_gflops(self) -> float | None:
        """The fastest matmul this machine's TensorFlow ran: bfloat16 where native."""
        return self.matmul_gflops.get("bfloat16") or self.matmul_gflops.get("float32")


@dataclasses.dataclass(frozen=True)
class Timing(_Section):
    """Where a run's seconds went: training, and everything around it."""

    training: float | None = None  # model.fit, its validation passes included
    test_evaluation: float | None = None  # the one prediction of the test set
    saving: float | None = None  # the model, history and predictions
    corruptions: float | None = None  # after the record: corrupted-digit evaluation
    exports: float | None = None  # after the record: LiteRT exports and their accuracy
    total: float | None = None  # all of it, from the start of the run to its last figure

    @property
    def outside_training(self) -> float | None:
        """Seconds of the run spent on anything but ``fit``."""
        if self.total is None or self.training is None:
            return None
        return self.total - self.training


# The LiteRT precisions a run exports its model at (bench.measure.litert), as the record's
# ``exports`` name them.
EXPORTS = ("float32", "float16", "dynamic_int8", "int8")


@dataclasses.dataclass(frozen=True)
class Export(_Section):
    """One LiteRT export of the trained model (``bench.measure.deploy``) and how it did on
    the run's test images, predicted after the Keras model's one look (they choose nothing).

    ``accuracy_change`` is the export's test accuracy less the float32 Keras model's (the
    trained network computing in float32: a mixed-precision model's float32 twin);
    ``changed_predictions`` counts the test images whose predicted class differs from that
    model's. A failed export keeps only its status and error.
    """

    status: str = "ok"  # "ok" or "failed"
    error: str | None = None
    bytes: int | None = None  # the .tflite file: what the device stores (flash)
    peak_activation_bytes: int | None = None  # at batch 1 (bench.measure.deploy)
    test_accuracy: float | None = None
    accuracy_change: float | None = None
    changed_predictions: int | None = None
    p50_ms: float | None = None  # batch-1 latency through the LiteRT interpreter
    p99_ms: float | None = None
    throughput: float | None = None  # images/s at a batch of 256
    seconds: float | None = None  # to export, evaluate and time it

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclasses.dataclass(frozen=True)
class Robustness(_Section):
    """The trained model's accuracy on corrupted copies of its test images
    (``bench.measure.robustness``), predicted after its one look at the clean ones: test
    data that choose nothing. The predicted classes are in the run's ``corruptions.npz``,
    with the positions (``indices``) and labels of the test images the sets are made of.
    """

    # by corruption, then severity ("1", "2", "3"): the share of test images right
    accuracy: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    clean_accuracy: float | None = None  # the same model on the same images, uncorrupted
    images: int | None = None  # test images per set: a fixed sample of the test set
    seed: int = 0
    checksums: dict[str, str] = dataclasses.field(default_factory=dict)  # sha256 by set
    seconds: float | None = None  # to make or read the sets and predict them

    @property
    def mean_accuracy(self) -> float | None:
        """Over every corruption and severity: MNIST-C's corruption accuracy."""
        values = [a for by_severity in self.accuracy.values() for a in by_severity.values()]
        return sum(values) / len(values) if values else None

    @property
    def error_ratio(self) -> float | None:
        """Mean corruption error over clean error, as MNIST-C and ImageNet-C report it: 1 is
        no worse on corrupted digits than on clean ones; None when the clean error is 0."""
        mean = self.mean_accuracy
        if mean is None or self.clean_accuracy is None or self.clean_accuracy >= 1.0:
            return None
        return (1.0 - mean) / (1.0 - self.clean_accuracy)


_SECTIONS: dict[str, type[_Section]] = {
    "dataset": DatasetInfo,
    "architecture": ArchitectureInfo,
    "model": ModelSummary,
    "metrics": Metrics,
    "per_class": PerClass,
    "environment": Environment,
    "robustness": Robustness,
    "timing": Timing,
}


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """One run's ``record.json``.

    A failed run has no model, metrics or per-class figures, and keeps its traceback; a
    run that another process holds (``status`` "locked") has only its id, spec and error.
    A field that is None was not recorded, and is left out of the JSON, except ``error``
    (always there) and ``resumed_after_epoch`` (there whenever the run finished).
    """

    run_id: str | None
    spec: RunSpec
    status: str  # "ok", "failed" or "locked"
    error: str | None = None
    dataset: DatasetInfo | None = None
    architecture: ArchitectureInfo | None = None
    command: list[str] | None = None  # sys.argv
    command_line: str | None = None  # as a person would type it
    cwd: str | None = None
    resumed_after_epoch: int | None = None  # the epochs a cut-off attempt's checkpoint gave
    model: ModelSummary | None = None
    metrics: Metrics | None = None
    per_class: PerClass | None = None
    confusion_matrix: list[list[int]] | None = None  # rows: true class, columns: predicted
    traceback: str | None = None
    wall_seconds: float | None = None
    environment: Environment | None = None
    # By export precision (bench.measure.deploy.EXPORTS); None for runs made before exports
    # were kept or made with them off.
    exports: dict[str, Export] | None = None
    # None for runs made before it was kept or with --corruptions none
    robustness: Robustness | None = None
    # None for runs made before it was kept
    timing: Timing | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def date(self) -> str:
        """When it ran (ISO 8601); empty when the record does not say."""
        return self.environment.date if self.environment is not None else ""

    @classmethod
    def from_json(cls, data: object, path: Path | None = None) -> RunRecord:
        """The record ``data`` holds; ``RecordUnreadable`` (naming ``path``) when it is
        not a JSON object with a run spec and a status, or a part is not shaped as one."""
        try:
            if not isinstance(data, dict):
                raise _Malformed("not a JSON object")
            spec = RunSpec.from_dict(data.get("spec"))
            if spec is None:
                raise _Malformed("its spec is not a run spec")
            if not isinstance(data.get("status"), str):
                raise _Malformed("no status")
            fields = _known(cls, data)
            for key, kind in _SECTIONS.items():
                value = fields.get(key)
                if value is not None and not isinstance(value, dict):
                    raise _Malformed(f"its {key} is not a JSON object")
                if value is not None:
                    fields[key] = kind.from_json(value)
            exports = fields.get("exports")
            if exports is not None:
                if not isinstance(exports, dict) or not all(
                    isinstance(v, dict) for v in exports.values()
                ):
                    raise _Malformed("its exports are not JSON objects by precision")
                fields["exports"] = {k: Export.from_json(v) for k, v in exports.items()}
            return cls(**{"run_id": None, **fields, "spec": spec})
        except _Malformed as problem:
            raise RecordUnreadable(path, str(problem)) from None

    def to_json(self) -> dict[str, Any]:
        """The record as ``record.json`` holds it."""
        data = {"run_id": self.run_id, "spec": self.spec.to_dict(), "error": self.error}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name not in data and value is not None:
                data[field.name] = _json(value)
        if self.ok:
            data["resumed_after_epoch"] = self.resumed_after_epoch
        return data


def _json(value: Any) -> Any:
    if isinstance(value, _Section):
        return value.to_json()
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value
