"""Where a training step's time goes, by TensorFlow op type, from TensorFlow's own profiler.

For each architecture asked for, at its default training settings (precision, batch size,
optimizer; ``--batchnorm keras`` for Keras' own BatchNormalization in place of the fused
one), a few warm-up steps of ``fit`` run unprofiled, then ``--steps`` steps run under
``tf.profiler``. The trace's op statistics are summed by op type (idle time left out) and
printed per step: the share of the busy time (summed over the threads, so it can exceed the
step's wall time), milliseconds, and the profiler's events of the type (one per op, except
that oneDNN's ops show two each). The first lines name the CPU and the events a step had.

    python benchmarks/step_profile.py --arch mobilenet_lite custom_cnn
    python benchmarks/step_profile.py --arch inception_lite --batchnorm keras fused --top 12
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# isort: off
import bench  # noqa: E402, F401  (its TensorFlow settings must come before TensorFlow)
# isort: on

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.profiler.internal import _pywrap_profiler_plugin  # noqa: E402

from bench.config import PRECISIONS, get_profile, plan  # noqa: E402
from bench.environment import cpu_description, enable_determinism  # noqa: E402
from bench.train.build import build_for  # noqa: E402
from bench.train.fit import compile_for_training  # noqa: E402


@dataclasses.dataclass
class OpType:
    name: str
    microseconds: float = 0.0
    count: int = 0


def op_types(trace: Path) -> list[OpType]:
    """The profile's ops summed by type, busiest first; idle time left out."""
    raw, ok = _pywrap_profiler_plugin.xspace_to_tools_data([str(trace)], "framework_op_stats", {})
    if not ok:
        raise RuntimeError(f"{trace}: the profiler could not read its trace")
    table = json.loads(raw)[0]
    column = {col["id"]: i for i, col in enumerate(table["cols"])}
    totals: dict[str, OpType] = collections.defaultdict(lambda: OpType(""))
    for row in table["rows"]:
        cells = [cell.get("v") for cell in row["c"]]
        kind = cells[column["type"]]
        if kind == "IDLE":
            continue
        total = totals[kind]
        total.name = kind
        total.microseconds += cells[column["total_self_time"]]
        total.count += int(cells[column["occurrences"]])
    return sorted(totals.values(), key=lambda op: -op.microseconds)


def profile(arch: str, precision: str | None, batchnorm: str, steps: int, folder: Path):
    (spec,) = plan([arch], "mnist", get_profile("standard"), [False])
    if precision is not None:
        spec = dataclasses.replace(spec, precision=precision)
    model = build_for(spec, (28, 28, 1), 10, fused_batchnorm=batchnorm == "fused")
    compile_for_training(model, spec, 1000)
    rng = np.random.default_rng(0)
    x = rng.random((spec.batch_size * 4, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, len(x))
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(spec.batch_size).repeat()
    model.fit(data, epochs=1, steps_per_epoch=3, verbose=0)  # traced and warm
    trace_dir = folder / f"{arch}-{batchnorm}"
    tf.profiler.experimental.start(str(trace_dir))
    model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
    tf.profiler.experimental.stop()
    (trace,) = trace_dir.glob("**/*.xplane.pb")
    return spec, op_types(trace)


def show(arch: str, spec, batchnorm: str, ops: list[OpType], steps: int, top: int) -> None:
    busy = sum(op.microseconds for op in ops)
    count = sum(op.count for op in ops)
    print(
        f"\n{arch}, {spec.precision}, batch {spec.batch_size}, {batchnorm} BatchNorm: "
        f"{busy / steps / 1000:.0f} ms busy a step, {count // steps} events a step"
    )
    print(f"{'op type':36s} {'share':>6s} {'ms/step':>8s} {'events':>8s}")
    for op in ops[:top]:
        print(
            f"{op.name:36s} {op.microseconds / busy:6.1%} {op.microseconds / steps / 1000:8.1f} "
            f"{op.count / steps:8.0f}"
        )
    rest = ops[top:]
    if rest:
        other = sum(op.microseconds for op in rest)
        print(f"{f'{len(rest)} other types':36s} {other / busy:6.1%} {other / steps / 1000:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", required=True)
    parser.add_argument("--precision", choices=PRECISIONS, help="default: each arch's own")
    parser.add_argument("--batchnorm", nargs="+", choices=["keras", "fused"], default=["fused"])
    parser.add_argument("--steps", type=int, default=6, help="profiled training steps")
    parser.add_argument("--top", type=int, default=10, help="op types to list")
    args = parser.parse_args()
    enable_determinism()
    print(cpu_description())
    with tempfile.TemporaryDirectory() as tmp:
        for arch in args.arch:
            for batchnorm in args.batchnorm:
                spec, ops = profile(arch, args.precision, batchnorm, args.steps, Path(tmp))
                show(arch, spec, batchnorm, ops, args.steps, args.top)


if __name__ == "__main__":
    main()
