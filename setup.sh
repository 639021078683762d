#!/usr/bin/env bash
# Set up mnist-bench: the package, its test tools, inference runtimes and Dask, and Chromium
# for the report's browser test. `bash setup.sh --gpu` installs TensorFlow with CUDA in place of
# the CPU build.
set -euo pipefail
cd "$(dirname "$0")"

build=cpu
if [ "${1:-}" = "--gpu" ]; then
    build=gpu
    # the CPU build would shadow the CUDA one: both install the same module
    python -m pip uninstall --quiet --yes tensorflow-cpu 2>/dev/null || true
fi
python -m pip install --quiet --disable-pip-version-check -e ".[$build,dev,runtimes,distributed]"

chromium="${BENCH_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ] && command -v apt-get >/dev/null; then
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    # Not fatal: the package is only for the browser test, which says so when it is missing.
    { "${as_root[@]}" apt-get update -qq &&
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
            >/dev/null; } || echo "setup: could not install the chromium package" >&2
fi
if [ -x "$chromium" ]; then
    "$chromium" --version 2>/dev/null
else
    echo "setup: no Chromium at $chromium; the report's browser test needs one" \
        "(install it, or set BENCH_CHROMIUM to its path)" >&2
fi
