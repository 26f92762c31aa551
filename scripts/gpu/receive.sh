#!/usr/bin/env bash
# Run THERE (device machine), once per staged call folder: keeps the carried pieces in
# $STAGE_DIR (default /tmp/fewstep-stage, which lasts while the machine stays warm) and checks them.
#   bash scripts/gpu/receive.sh c1
set -euo pipefail
CALL=${1:?usage: receive.sh cN}
STAGE_DIR=${STAGE_DIR:-/tmp/fewstep-stage}
SRC=.stage/$CALL
[ -d "$SRC" ] || { echo "receive: $SRC is not here: was it named in carry?" >&2; exit 1; }
mkdir -p "$STAGE_DIR"
cp -a "$SRC"/. "$STAGE_DIR"/
cd "$STAGE_DIR"
ok=1
for part in bundle.tar.zst.part-*; do
  grep " $part\$" SHA256SUMS | sha256sum -c --quiet - || ok=0
done
expected=$(grep -c 'part-' SHA256SUMS)
have=$(ls bundle.tar.zst.part-* 2>/dev/null | wc -l)
echo "receive: $CALL stored in $STAGE_DIR; pieces $have of $expected present: $(ls bundle.tar.zst.part-* | sed 's/.*part-//' | tr '\n' ' ')"
[ "$ok" = 1 ] || { echo "receive: checksum mismatch" >&2; exit 1; }
