#!/usr/bin/env bash
# Packs what a GPU machine with no network and no Node.js needs to run fewstep, into .stage/
# (git-ignored), in call folders .stage/c1, c2, ... each small enough to travel in one device call
# (64 MiB per call, the working tree that always travels included). Run HERE, in the repo root:
#
#   scripts/gpu/stage.sh            # then read .stage/PLAN.txt
#
# Bundle (one tar, zstd -19, split): a Node.js linux-x64 binary (the one running here), dist/,
# package.json, node_modules without dev tools (only linux-x64 ONNX Runtime, no notebook kernel),
# the CUDA provider package (npm pack com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9), and the
# SD-scale UNet graphs + manifests + flops.json (models/recipes/.work/sd-scale; their weights are
# regenerated there by materialize_weights.py). Call 1 also carries a zstd binary and its libraries
# in case the GPU machine lacks zstd.
#
# Environment: GPU_PKG_TGZ=path  reuse a downloaded provider .tgz instead of npm pack
#              TREE_MIB=n        plan for a working tree of n MiB instead of measuring it
#              ZSTD_LEVEL=n      (default 19)
set -euo pipefail
ROOT=$(git rev-parse --show-toplevel)
cd "$ROOT"
STAGE=$ROOT/.stage
BUILD=$STAGE/build
APP=$BUILD/app
PKG_SPEC=com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
SD_DIR=models/recipes/.work/sd-scale
ZSTD_LEVEL=${ZSTD_LEVEL:-19}
CALL_LIMIT_MIB=64
MARGIN_MIB=3

log() { printf 'stage: %s\n' "$*"; }
die() { printf 'stage: ERROR %s\n' "$*" >&2; exit 1; }

command -v zstd >/dev/null || die "zstd is not installed here (apt-get install zstd)"
NODE_BIN=$(readlink -f "$(command -v node)")
file -L "$NODE_BIN" | grep -q 'x86-64' || die "$NODE_BIN is not an x86-64 binary; get node-v20 linux-x64 from nodejs.org"
if ldd "$NODE_BIN" | grep -qE 'libnode|libuv|libssl|libicu'; then die "$NODE_BIN links shared libnode/libuv/openssl/icu: use the official static-ish nodejs.org build"; fi
for f in "$SD_DIR/unet-fp16.onnx" "$SD_DIR/unet-fp32.onnx" "$SD_DIR/unet-fp16.manifest.json" "$SD_DIR/unet-fp32.manifest.json" "$SD_DIR/flops.json"; do
  [ -f "$f" ] || die "$f missing: run /usr/bin/python3 models/recipes/sd_scale_unet.py first"
done

rm -rf "$STAGE"
mkdir -p "$APP" "$BUILD/pkg"

log "building dist/ (tsc)"
node node_modules/typescript/bin/tsc -p tsconfig.json

log "app: dist/, package.json, node_modules without dev dependencies"
cp -a dist package.json package-lock.json "$APP/"
[ -f .npmrc ] && cp .npmrc "$APP/"
cp -a node_modules "$APP/node_modules"
(cd "$APP" && npm prune --omit=dev --ignore-scripts --offline --no-audit --no-fund >/dev/null 2>&1) || log "npm prune failed; pruning by hand only"
# Not needed to generate, bench or diagnose: other platforms' ORT builds, the notebook kernel and
# the lecture exporter's browser-side libraries.
rm -rf "$APP"/node_modules/onnxruntime-node/bin/napi-v6/{darwin,win32} "$APP"/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64
rm -rf "$APP"/node_modules/{tslab,@tslab,zeromq,cmake-ts,plotly.js-dist-min,katex,typescript,playwright-core,@types,rollup,@rollup,resolve}
mkdir -p "$APP/.gpu-node/bin"
cp "$NODE_BIN" "$APP/.gpu-node/bin/node"
log "node $("$NODE_BIN" --version) from $NODE_BIN"

log "CUDA provider package $PKG_SPEC"
if [ -n "${GPU_PKG_TGZ:-}" ]; then cp "$GPU_PKG_TGZ" "$BUILD/pkg/"; else (cd "$BUILD/pkg" && npm pack "$PKG_SPEC" --silent >/dev/null); fi
tar xzf "$BUILD"/pkg/*.tgz -C "$BUILD/pkg"
mkdir -p "$APP/.gpu-provider/package/Plugins/Linux/x64"
cp "$BUILD/pkg/package/README.md" "$BUILD/pkg/package/package.json" "$BUILD/pkg/package/LICENSE" "$APP/.gpu-provider/package/"
cp "$BUILD"/pkg/package/Plugins/Linux/x64/*.so "$APP/.gpu-provider/package/Plugins/Linux/x64/"
grep -o 'ONNX Runtime: \[[0-9.]*\]' "$APP/.gpu-provider/package/README.md" || true

log "SD-scale graphs (weights regenerated on the GPU machine)"
mkdir -p "$APP/$SD_DIR"
cp "$SD_DIR"/unet-fp16.onnx "$SD_DIR"/unet-fp32.onnx "$SD_DIR"/*.manifest.json "$SD_DIR"/flops.json "$APP/$SD_DIR/"

du -sh "$APP" | sed 's/^/stage: app uncompressed /'
log "tar | zstd -$ZSTD_LEVEL (a few minutes)"
tar -C "$APP" -cf - . | nice -n 10 zstd -q "-$ZSTD_LEVEL" -T1 -o "$BUILD/bundle.tar.zst"
BUNDLE_BYTES=$(stat -c %s "$BUILD/bundle.tar.zst")

log "zstd for the GPU machine (in case it has none)"
TOOLS=$BUILD/tools
mkdir -p "$TOOLS"
cp "$(readlink -f "$(command -v zstd)")" "$TOOLS/zstd"
for lib in $(ldd "$(command -v zstd)" | awk '/=>/ {print $3}' | grep -vE '/libc\.so'); do cp -L "$lib" "$TOOLS/"; done
TOOLS_BYTES=$(du -cb "$TOOLS"/* | tail -1 | cut -f1)

# What travels in every call besides the carried folder: tracked + untracked-not-ignored files.
if [ -n "${TREE_MIB:-}" ]; then TREE_BYTES=$((TREE_MIB * 1048576)); else
  TREE_BYTES=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s -- 2>/dev/null | awk '{s+=$1} END {print s+0}')
fi
BUDGET=$(( (CALL_LIMIT_MIB - MARGIN_MIB) * 1048576 - TREE_BYTES - TOOLS_BYTES - 65536 ))
[ "$BUDGET" -gt 4194304 ] || die "the working tree ($((TREE_BYTES / 1048576)) MiB) leaves no room in a 64 MiB call"
PIECE_MIB=$(( BUDGET / 1048576 ))
[ "$PIECE_MIB" -gt 55 ] && PIECE_MIB=55
log "working tree $((TREE_BYTES / 1048576)) MiB -> pieces of $PIECE_MIB MiB"
split -b "${PIECE_MIB}M" -d -a 2 "$BUILD/bundle.tar.zst" "$BUILD/bundle.tar.zst.part-"
(cd "$BUILD" && sha256sum bundle.tar.zst bundle.tar.zst.part-* > SHA256SUMS)

N=0
for part in "$BUILD"/bundle.tar.zst.part-*; do
  N=$((N + 1))
  mkdir -p "$STAGE/c$N"
  mv "$part" "$STAGE/c$N/"
  cp "$BUILD/SHA256SUMS" "$STAGE/c$N/"
done
cp -a "$TOOLS" "$STAGE/c1/tools"
echo "$N" > "$STAGE/CALLS"
rm -f "$BUILD/bundle.tar.zst"

{
  echo "fewstep GPU staging, $(date -u +%FT%TZ), $(git rev-parse --short HEAD)"
  echo "bundle $((BUNDLE_BYTES / 1048576)) MiB in $N pieces of <= $PIECE_MIB MiB; working tree $((TREE_BYTES / 1048576)) MiB"
  echo
  echo "Device calls, back to back (the machine stays warm only 30 s after each):"
  for i in $(seq 1 "$N"); do
    sz=$(du -sm "$STAGE/c$i" | cut -f1)
    if [ "$i" -lt "$N" ]; then
      echo "  $i. carry [\".stage/c$i\"]  timeout_s 120  command: bash scripts/gpu/receive.sh c$i   (${sz} MiB)"
    else
      echo "  $i. carry [\".stage/c$i\"]  timeout_s 600  command: bash scripts/gpu/receive.sh c$i && bash scripts/gpu/run-on-gpu.sh   (${sz} MiB)"
    fi
  done
} > "$STAGE/PLAN.txt"
du -sh "$STAGE"/c* | sed 's/^/stage: /'
cat "$STAGE/PLAN.txt"
