#!/usr/bin/env bash
# Build the wheel, install it in a clean virtualenv (no editable checkout on the path) and run the
# demo from it: the distribution must work when installed the ordinary way.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/pip wheel -q --no-deps --no-build-isolation -w "$work/dist" . 2>/dev/null
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$work"/dist/shotcraft-*.whl 2>&1 | grep -v '^WARNING: Location' || true
cd "$work"  # away from the checkout, so nothing is imported from src/
SHOTCRAFT_PREVIZ_SCALE=0.25 "$work/venv/bin/shotcraft" demo "$work/demo" >"$work/demo.log"
tail -n 3 "$work/demo.log"
test -s "$work/demo/exports/episode-01.mp4"
echo "wheel: demo ran from the installed wheel"
