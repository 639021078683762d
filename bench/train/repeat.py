"""``bench run --from RECORD.json``: repeat one recorded run and compare the outcome.

The record's spec holds every setting that decides a run (seed included), so a repeat
trains the same thing again; with op determinism on, on the same machine, its test
predictions match the original's image for image.
"""

from __future__ import annotations

import dataclasses
import errno
import os
from pathlib import Path

import numpy as np

import architectures
from bench.config import RunSpec
from bench.errors import BenchError
from bench.identity import same_network
from bench.store import results
from bench.store.records import DatasetInfo, RecordUnreadable, RunRecord
from bench.train.build import built_network
from bench.train.suite import trained_network


@dataclasses.dataclass
class Repeat:
    record_path: Path
    record: RunRecord
    spec: RunSpec

    @classmethod
    def load(cls, path: str | Path) -> Repeat:
        """Read a run's ``record.json``; a missing or malformed file is a ``BenchError``."""
        path = Path(path)
        if path.is_dir():
            path = path / results.RECORD
        try:
            record = results.read_run_record(path.parent, path.name)
        except RecordUnreadable as problem:
            raise BenchError(_unusable(path, problem)) from None
        if record is None:
            raise BenchError(f"cannot read run record {path}: {os.strerror(errno.ENOENT)}")
        try:
            record.spec.run_id  # noqa: B018 (a check: the spec's names must make one folder name)
        except BenchError as exc:
            raise BenchError(f"{path}: {exc}") from None
        current = architectures.get(record.spec.arch).code_digest()
        return cls(path, record, dataclasses.replace(record.spec, arch_digest=current))

    @property
    def original_dir(self) -> Path:
        return self.record_path.parent

    def default_out(self) -> Path:
        """A ``repeats`` folder beside the original run's folder."""
        return self.original_dir.parent / results.REPEATS_DIR

    def check_target(self, out: Path) -> None:
        if (out / self.spec.run_id).resolve() == self.original_dir.resolve():
            raise BenchError(
                f"--out {out} would overwrite the run being repeated; choose another --out"
            )

    def warnings(self) -> list[str]:
        """Differences that make the repeat less than exact, worth a line each."""
        found = []
        recorded = self.record.spec.arch_digest
        if recorded and not self._same_network(recorded):
            found.append(f"the code of {self.spec.arch} changed since the record was made")
        environment = self.record.environment
        if environment is None or not environment.op_determinism:
            found.append("the original ran without op determinism; predictions may differ")
        resumed = self.record.resumed_after_epoch
        if resumed:
            found.append(
                f"the original was resumed after epoch {resumed} (bench.train.checkpoint); "
                "predictions may differ"
            )
        return found

    def _same_network(self, recorded_digest: str) -> bool:
        """Whether the code now builds the network the original trained, when the code's
        digest was ``recorded_digest`` (``bench.identity``)."""
        dataset = self.record.dataset or DatasetInfo()

        def current_network() -> str | None:
            if dataset.input_shape is None or dataset.num_classes is None:
                return None
            return built_network(self.spec, tuple(dataset.input_shape), dataset.num_classes)

        original = dataclasses.replace(self.spec, arch_digest=recorded_digest)
        network = trained_network(self.record, self.original_dir)
        return same_network(original.to_dict(), self.spec.to_dict(), network, current_network)

    def check_dataset(self, dataset) -> None:
        """The data must be the data the original saw, file for file."""
        recorded = (self.record.dataset or DatasetInfo()).checksums
        if recorded and dataset.checksums and recorded != dataset.checksums:
            raise BenchError(
                f"{dataset.source} differs from the data {self.record_path} was trained on "
                "(checksums do not match); point --data-dir at the same files"
            )

    def compare_predictions(self, run_dir: Path) -> str:
        """One line: do the repeat's test predictions match the original's?"""
        try:
            before = np.load(self.original_dir / results.PREDICTIONS)["y_pred"]
            after = np.load(run_dir / results.PREDICTIONS)["y_pred"]
        except (OSError, KeyError, ValueError):
            return "test predictions: the original's predictions are missing; nothing compared"
        if before.shape != after.shape:
            return f"test predictions: {len(after):,} images against the original's {len(before):,}"
        differ = int((before != after).sum())
        if differ == 0:
            return f"test predictions: identical to the original ({len(after):,} of {len(after):,})"
        return f"test predictions: differ from the original on {differ:,} of {len(after):,} images"


def _unusable(path: Path, problem: RecordUnreadable) -> str:
    """Why the record at ``path`` cannot be repeated, in one line."""
    if isinstance(problem.cause, OSError):
        return f"cannot read run record {path}: {problem.reason}"
    if problem.cause is not None:
        return f"{path} is not a JSON run record: {problem.cause}"
    return f"{path} holds no usable run spec ({problem.reason})"
