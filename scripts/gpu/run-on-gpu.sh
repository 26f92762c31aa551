#!/usr/bin/env bash
# Run THERE (the GPU machine), in the repo root, after scripts/gpu/receive.sh has stored every
# piece: unpacks the bundle (Node.js, dist/, node_modules, CUDA provider, SD-scale graphs), installs
# the CUDA provider into onnxruntime-node, points the loader at the CUDA 13 / cuDNN 9 libraries of
# the machine's Python packages, then: doctor; generate on CUDA twice (bit-identical repeat) and on
# the CPU (tolerance comparison); SD-scale weights; bench:gpu. Everything goes to $OUT.
#
#   bash scripts/gpu/run-on-gpu.sh [--no-cuda] [--quick] [--skip-bench]
#     --no-cuda   CPU dry run (here): no provider install, no CUDA runs, bench with --device cpu --quick
#   env: STAGE_DIR (default /tmp/fewstep-stage), OUT (default ./out/gpu-run), PYTHON (default python3)
set -uo pipefail
NO_CUDA=0; QUICK=0; SKIP_BENCH=0
for a in "$@"; do
  case "$a" in
    --no-cuda) NO_CUDA=1 ;;
    --quick) QUICK=1 ;;
    --skip-bench) SKIP_BENCH=1 ;;
    *) echo "run-on-gpu: unknown option $a" >&2; exit 2 ;;
  esac
done
REPO=$(pwd)
STAGE_DIR=${STAGE_DIR:-/tmp/fewstep-stage}
OUT=${OUT:-$REPO/out/gpu-run}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"
LOG=$OUT/run.log
exec > >(tee -a "$LOG") 2>&1
T0=$(date +%s)
say() { printf '[%4ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
fail() { say "FAILED: $*"; exit 1; }

# 1. Reassemble and unpack (once: a marker file records the bundle's checksum).
cd "$STAGE_DIR" || fail "$STAGE_DIR missing: run scripts/gpu/receive.sh for every call folder first"
expected=$(grep -c 'part-' SHA256SUMS)
have=$(ls bundle.tar.zst.part-* 2>/dev/null | wc -l)
[ "$have" = "$expected" ] || fail "only $have of $expected pieces in $STAGE_DIR (the machine went cold between calls? start again from call 1)"
ZSTD=zstd
if ! command -v zstd >/dev/null; then ZSTD="$STAGE_DIR/tools/zstd"; export LD_LIBRARY_PATH="$STAGE_DIR/tools${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; fi
SUM=$(grep ' bundle.tar.zst$' SHA256SUMS | cut -d' ' -f1)
cd "$REPO"
if [ "$(cat .gpu-unpacked 2>/dev/null)" != "$SUM" ]; then
  say "unpacking $expected pieces with $ZSTD"
  cat "$STAGE_DIR"/bundle.tar.zst.part-* | tee >(sha256sum | cut -d' ' -f1 > "$STAGE_DIR/got.sum") | "$ZSTD" -dc | tar -xf - -C "$REPO" || fail "unpack"
  sleep 1
  [ "$(cat "$STAGE_DIR/got.sum")" = "$SUM" ] || fail "bundle checksum mismatch"
  echo "$SUM" > .gpu-unpacked
fi
export PATH="$REPO/.gpu-node/bin:$PATH"
NODE="$REPO/.gpu-node/bin/node"
say "node $("$NODE" --version) at $(command -v node)"

# 2. CUDA provider and libraries (also in the dry run: copying files and finding folders is harmless).
[ "$NO_CUDA" = 0 ] && { nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$OUT/nvidia-smi.txt"; }
{
  "$NODE" -e "
    const s = require('./dist/onnx/cudaSetup.js');
    const files = s.installCudaProviderFromPackage('.gpu-provider/package', s.defaultOrtRoot(), (l) => console.log('setup:cuda ' + l));
    console.log('installed:\n  ' + files.join('\n  '));" || fail "provider install"
  # CUDA 13 / cuDNN 9 from the Python packages (nvidia-cublas, nvidia-cudnn-cu13, ...): every
  # folder under the nvidia namespace package that holds shared libraries.
  LIBDIRS=$("$PYTHON" - <<'PY'
import glob, os
try:
    import nvidia
    roots = list(nvidia.__path__)
except Exception:
    roots = []
dirs = set()
for r in roots:
    for so in glob.glob(os.path.join(r, "**", "lib*.so*"), recursive=True):
        dirs.add(os.path.dirname(so))
print(":".join(sorted(dirs)))
PY
)
  [ -n "$LIBDIRS" ] || say "WARNING: no nvidia/*/lib folders found in $PYTHON's packages"
  # Unversioned names some libraries are dlopen()ed by (libcudnn.so, libnvrtc.so): links to the versioned files.
  LINKS=$REPO/.gpu-libs; mkdir -p "$LINKS"
  for d in ${LIBDIRS//:/ }; do
    for f in "$d"/libcudnn.so.9 "$d"/libnvrtc.so.13 "$d"/libcublas.so.13 "$d"/libcublasLt.so.13 "$d"/libcudart.so.13 "$d"/libcurand.so.10 "$d"/libcufft.so.12; do
      [ -e "$f" ] && ln -sf "$f" "$LINKS/$(basename "$f" | sed 's/\.so\..*/.so/')"
    done
  done
  DRIVER_DIRS=""; for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu; do [ -e "$d/libcuda.so.1" ] && DRIVER_DIRS="$DRIVER_DIRS:$d"; done
  export LD_LIBRARY_PATH="$LINKS:$LIBDIRS$DRIVER_DIRS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH" > "$OUT/env.txt"
  for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9 libcuda.so.1; do
    hit=""; for d in ${LD_LIBRARY_PATH//:/ }; do [ -e "$d/$lib" ] && { hit="$d/$lib"; break; }; done
    say "lib $lib -> ${hit:-NOT FOUND}"
  done
  ldd node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so | grep -E 'not found|cuda|cublas|curand' | tee -a "$OUT/env.txt"
}

# 3. Doctor (what `npm run doctor` runs; there is no npm there).
say "doctor"
"$NODE" dist/cli/doctor.js | tee "$OUT/doctor.txt"

# 4. Generate: CUDA twice (bit-identical?), CPU once; compare within a tolerance.
MODEL=models/fixtures/tiny-lcm
for m in models/scenes-lcm models/scenes-teacher; do [ -f "$m/model_index.json" ] && { MODEL=$m; break; }; done
IMG=$OUT/images; mkdir -p "$IMG"
GEN=(--model "$MODEL" --prompt "a red house on a hill at sunset" --seed 42 --batch 4)
say "generate with $MODEL"
"$NODE" dist/cli/generate.js "${GEN[@]}" --device cpu --out "$IMG/cpu.png" || fail "generate cpu"
if [ "$NO_CUDA" = 0 ]; then
  "$NODE" dist/cli/generate.js "${GEN[@]}" --device cuda --out "$IMG/cuda-a.png" || fail "generate cuda"
  "$NODE" dist/cli/generate.js "${GEN[@]}" --device cuda --out "$IMG/cuda-b.png" || fail "generate cuda (repeat)"
  A=cuda-a; B=cuda-b
else
  "$NODE" dist/cli/generate.js "${GEN[@]}" --device cpu --out "$IMG/cpu2.png" || fail "generate cpu (repeat)"
  A=cpu; B=cpu2
fi
"$NODE" scripts/gpu/compare-images.js --identical "$IMG/$A" "$IMG/$B" --tolerance "$IMG/cpu" "$IMG/$A" --json "$OUT/compare.json" || say "image comparison failed (see above)"
(cd "$OUT" && tar -cf images.tar images && rm -rf images)

# 5. SD-scale weights from the manifests (random, seeded), then bench:gpu.
SD=models/recipes/.work/sd-scale
say "materializing SD-scale weights"
"$PYTHON" models/recipes/materialize_weights.py "$SD/unet-fp32.manifest.json" "$SD/unet-fp16.manifest.json" || fail "materialize weights"
if [ "$SKIP_BENCH" = 0 ]; then
  BENCH_OUT=$OUT/gpu-bench-$(date -u +%F)-$( (cat /proc/sys/kernel/hostname 2>/dev/null || hostname) | sed 's/[^A-Za-z0-9._-]/-/g')$([ "$NO_CUDA" = 1 ] && echo -dryrun).json
  if [ "$NO_CUDA" = 1 ]; then ARGS=(--device cpu --quick); else ARGS=(--device auto); [ "$QUICK" = 1 ] && ARGS+=(--quick); fi
  say "bench:gpu ${ARGS[*]}"
  "$NODE" dist/cli/benchGpu.js "${ARGS[@]}" --out "$BENCH_OUT" || say "bench:gpu failed"
fi
say "done; files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
