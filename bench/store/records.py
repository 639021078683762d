"""A run's record, ``record.json``, as types: what the run was, how it went, where it ran.

The suite writes a record last of a run's files (``bench.train.suite``); readers take it
back through ``RunRecord.from_json``. Each after-training measurement (``bench.plugins``)
adds a section of its own, a dataclass it declares, under its name. A field added after
some records were written takes, for them, the default the readers have always assumed; a
record that is not shaped as one is refused with ``RecordUnreadable``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, TypeVar

from bench.config import RunSpec
from bench.plugins import section_type

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


S = TypeVar("S", bound="Section")


class Section:
    """A JSON object of a record whose keys are the dataclass's fields: a key it does not
    know (another version's) is left out, a missing one takes the field's default."""

    @classmethod
    def from_json(cls: type[S], data: object) -> S:
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__} is read from a JSON object, not {data!r}")
        return cls(**_known(cls, data))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _known(cls: type, data: dict) -> dict[str, Any]:
    names = {field.name for field in dataclasses.fields(cls)}
    return {key: value for key, value in data.items() if key in names}


@dataclasses.dataclass(frozen=True)
class DatasetInfo(Section):
    """The data a run read: its name, where from, and the sha256 of each file."""

    name: str | None = None
    source: str | None = None
    checksums: dict[str, str] = dataclasses.field(default_factory=dict)
    num_classes: int | None = None
    input_shape: list[int] | None = None


@dataclasses.dataclass(frozen=True)
class ArchitectureInfo(Section):
    """What the registry says of the architecture, as the run found it."""

    description: str = ""
    reference: str = ""
    source: str = ""  # the module its builder came from


@dataclasses.dataclass(frozen=True)
class ModelSummary(Section):
    """The trained network's size (``bench.measure.modelinfo``) and fingerprint."""

    params: int | None = None
    trainable_params: int | None = None
    flops: int | None = None  # forward FLOPs per image
    saved_bytes: int | None = None
    # bench.identity.model_fingerprint; None for records from before it was kept
    network: str | None = None


@dataclasses.dataclass(frozen=True)
class Metrics(Section):
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
class PerClass(Section):
    """Test precision, recall, F1 and support per class, in class order."""

    precision: list[float] = dataclasses.field(default_factory=list)
    recall: list[float] = dataclasses.field(default_factory=list)
    f1: list[float] = dataclasses.field(default_factory=list)
    support: list[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Environment(Section):
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
class Timing(Section):
    """Where a run's seconds went: training, and everything around it."""

    training: float | None = None  # model.fit, its validation passes included
    test_evaluation: float | None = None  # the one prediction of the test set
    saving: float | None = None  # the model, history and predictions
    total: float | None = None  # all of it, from the start of the run to its last figure
    # after the record, by measurement (``Measurement.timing_key``): stored flat beside the
    # others, as records have always had them
    measurements: dict[str, float] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_json(cls, data: object) -> Timing:
        timing = super().from_json(data)
        known = {field.name for field in dataclasses.fields(cls)}
        after = {k: v for k, v in data.items() if k not in known and isinstance(v, (int, float))}
        return dataclasses.replace(timing, measurements=after)

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        return {**data, **data.pop("measurements")}

    @property
    def outside_training(self) -> float | None:
        """Seconds of the run spent on anything but ``fit``."""
        if self.total is None or self.training is None:
            return None
        return self.total - self.training


_SECTIONS: dict[str, type[Section]] = {
    "dataset": DatasetInfo,
    "architecture": ArchitectureInfo,
    "model": ModelSummary,
    "metrics": Metrics,
    "per_class": PerClass,
    "environment": Environment,
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
    # None for runs made before it was kept
    timing: Timing | None = None
    # After-training measurements' sections by name (``bench.plugins``), each stored as a
    # key of its own in the JSON; a section whose measurement is not registered here (a
    # user's, not loaded) is kept as its JSON, so that rewriting the record keeps it.
    measured: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def date(self) -> str:
        """When it ran (ISO 8601); empty when the record does not say."""
        return self.environment.date if self.environment is not None else ""

    def section(self, name: str) -> Any:
        """The section of the measurement ``name``; None when the run has none."""
        return self.measured.get(name)

    def with_section(self, name: str, section: Any) -> RunRecord:
        """This record with ``name``'s section set to ``section``."""
        return dataclasses.replace(self, measured={**self.measured, name: section})

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
            fields["measured"] = _measured(data)
            return cls(**{"run_id": None, **fields, "spec": spec})
        except _Malformed as problem:
            raise RecordUnreadable(path, str(problem)) from None

    def to_json(self) -> dict[str, Any]:
        """The record as ``record.json`` holds it."""
        data = {"run_id": self.run_id, "spec": self.spec.to_dict(), "error": self.error}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name not in data and field.name != "measured" and value is not None:
                data[field.name] = _json(value)
        data.update({name: _json(section) for name, section in self.measured.items()})
        if self.ok:
            data["resumed_after_epoch"] = self.resumed_after_epoch
        return data


def _measured(data: dict) -> dict[str, Any]:
    """The measurements' sections of a record's JSON: typed where the measurement is
    registered, else as they are."""
    fields = {field.name for field in dataclasses.fields(RunRecord)}
    found = {}
    for key, value in data.items():
        if key in fields or value is None:
            continue
        kind = section_type(key)
        if kind is None:
            found[key] = value
            continue
        try:
            found[key] = kind.from_json(value)
        except (TypeError, ValueError) as exc:
            raise _Malformed(f"its {key} is not shaped as one ({exc})") from None
    return found


def _json(value: Any) -> Any:
    if isinstance(value, Section):
        return value.to_json()
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value
