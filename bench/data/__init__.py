"""Datasets: loading them by name, checking them, splitting them, and the input pipeline.

The names below import no TensorFlow (the command line's parser reads ``DATASET_HELP``);
the pipeline and augmentation (``bench.data.pipeline``, ``bench.data.augment``) do.
"""

from bench.data.dataset import Dataset
from bench.data.idx import read_idx
from bench.data.sources import DATA_DIR_ENV, DATASET_HELP, NAMED_DATASETS, load_dataset
from bench.data.splits import Splits, split_dataset

__all__ = [
    "DATASET_HELP",
    "DATA_DIR_ENV",
    "NAMED_DATASETS",
    "Dataset",
    "Splits",
    "load_dataset",
    "read_idx",
    "split_dataset",
]
