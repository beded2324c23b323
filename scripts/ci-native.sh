#!/usr/bin/env bash
# CI's native step: gives tfjs-node its addon, linked against pip's tensorflow-cpu wheel, which
# pip downloads once from its configured index into the cache (~/.cache/losskit-native, outside
# the checkout; the unpacked libraries and the compiled addon are cached there too, so later
# runs only link and copy). Exit 0 built, 2 skipped (no wheel, compiler or headers here: one
# line says why), anything else a failure.
set -uo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp)
node packages/trainer/bin/losskit-native.mjs --download >"$out" 2>&1
status=$?
if [ "$status" -eq 2 ]; then
  echo "native backend: skipped, $(sed -e 's/^\[losskit-native\] //' "$out" | tail -n 1)"
else
  cat "$out"
fi
rm -f "$out"
exit "$status"
