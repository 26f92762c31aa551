#!/usr/bin/env bash
# Proves the staged GPU run HERE, on the CPU: copies the working tree the way the device tool does
# (tracked + untracked-not-ignored files) into a scratch folder, carries each .stage/cN into it in
# turn and runs receive.sh, then run-on-gpu.sh --no-cuda with the staged Node.js (not this
# machine's node_modules or dist/). Run scripts/gpu/stage.sh first.
#   scripts/gpu/dry-run.sh [scratch dir (default /tmp/fewstep-gpu-dry)]
set -euo pipefail
ROOT=$(git rev-parse --show-toplevel)
cd "$ROOT"
DRY=${1:-/tmp/fewstep-gpu-dry}
N=$(cat .stage/CALLS)
rm -rf "$DRY"; mkdir -p "$DRY/repo" "$DRY/out"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$DRY/repo"
echo "dry-run: working tree copy $(du -sm "$DRY/repo" | cut -f1) MiB (no dist/, no node_modules)"
for i in $(seq 1 "$N"); do
  mkdir -p "$DRY/repo/.stage" && rm -rf "$DRY/repo/.stage/"* && cp -a ".stage/c$i" "$DRY/repo/.stage/c$i"
  (cd "$DRY/repo" && STAGE_DIR="$DRY/stage" bash scripts/gpu/receive.sh "c$i")
done
cd "$DRY/repo"
STAGE_DIR="$DRY/stage" OUT="$DRY/out" PYTHON=${PYTHON:-/usr/bin/python3} bash scripts/gpu/run-on-gpu.sh --no-cuda
echo "dry-run: files in $DRY/out:"; ls -la "$DRY/out"
