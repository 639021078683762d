"""The corrupted digits' section of a run's record."""

from __future__ import annotations

import dataclasses

from bench.store.records import RunRecord, Section

NAME = "robustness"  # the record's key, and `bench measure robustness`


@dataclasses.dataclass(frozen=True)
class Robustness(Section):
    """The trained model's accuracy on corrupted copies of its test images, predicted after
    its one look at the clean ones: test data that choose nothing. The predicted classes are
    in the run's ``corruptions.npz``, with the positions (``indices``) and labels of the test
    images the sets are made of.
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


def robustness_of(record: RunRecord) -> Robustness | None:
    """``record``'s corrupted-digit figures; None for a run made without them."""
    return record.section(NAME)
