#!/usr/bin/env bash
# Set up mnist-bench: the package, its test tools and inference runtimes, and Chromium for
# the report's browser test.
set -euo pipefail
cd "$(dirname "$0")"

python -m pip install --quiet --disable-pip-version-check -e ".[dev,runtimes]"

if [ ! -x /usr/bin/chromium ]; then
    as_root=()
    [ "$(id -u)" -eq 0 ] || as_root=(sudo)
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null
