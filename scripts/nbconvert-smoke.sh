#!/usr/bin/env bash
# Executes notebooks/00-smoke.ipynb and a course notebook (01-how-diffusion-works, on the shipped
# model) with Jupyter's own machinery (nbconvert + nbclient + jupyter_client) on this project's tslab
# kernel, registered into a throw-away Jupyter data dir so the user's kernelspecs neither help nor
# hurt. Fails unless each executed notebook has the expected outputs and no error output.
#
#   scripts/nbconvert-smoke.sh            (needs: npm run build; Debian jupyter-nbconvert, python3-nbclient,
#                                           jupyter-client, python3-ipykernel)
# Env: PYTHON (default /usr/bin/python3), NOTEBOOKS (space-separated; default
#      "notebooks/00-smoke.ipynb notebooks/01-how-diffusion-works.ipynb"), OUT_DIR (default out/nbconvert)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-/usr/bin/python3}"
notebooks="${NOTEBOOKS:-notebooks/00-smoke.ipynb notebooks/01-how-diffusion-works.ipynb}"
out_dir="${OUT_DIR:-out/nbconvert}"

if ! "$python" -c 'import nbconvert, nbclient, jupyter_client' 2>/dev/null; then
  echo "nbconvert-smoke: $python lacks nbconvert/nbclient/jupyter_client (Debian: apt install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel)" >&2
  exit 1
fi
if [ ! -f dist/index.js ] || [ ! -f dist/cli/kernel.js ]; then
  echo "nbconvert-smoke: dist/ is not built; run npm run build first" >&2
  exit 1
fi

jupyter_tmp="$(mktemp -d "${TMPDIR:-/tmp}/fewstep-jupyter.XXXXXX")"
trap 'rm -rf "$jupyter_tmp"' EXIT
export JUPYTER_DATA_DIR="$jupyter_tmp/data"
export JUPYTER_PATH="$jupyter_tmp/data"
export JUPYTER_CONFIG_DIR="$jupyter_tmp/config"
export JUPYTER_RUNTIME_DIR="$jupyter_tmp/runtime"
export IPYTHONDIR="$jupyter_tmp/ipython"

# Register the kernel exactly as `npm run kernel` does (tslab install --user lands in JUPYTER_DATA_DIR).
node dist/cli/kernel.js --python "$python" > "$jupyter_tmp/kernel-install.log" 2>&1 || {
  cat "$jupyter_tmp/kernel-install.log" >&2
  exit 1
}
test -f "$JUPYTER_DATA_DIR/kernels/tslab/kernel.json" || {
  echo "nbconvert-smoke: the tslab kernelspec did not land in $JUPYTER_DATA_DIR/kernels" >&2
  cat "$jupyter_tmp/kernel-install.log" >&2
  exit 1
}

mkdir -p "$out_dir"
for notebook in $notebooks; do
"$python" -m nbconvert --to notebook --execute "$notebook" --output-dir "$out_dir" \
  --ExecutePreprocessor.kernel_name=tslab --ExecutePreprocessor.timeout=120

executed="$out_dir/$(basename "$notebook")"
"$python" - "$executed" <<'EOF'
import json, os, sys
path = sys.argv[1]
smoke = os.path.basename(path) == "00-smoke.ipynb"
nb = json.load(open(path))
code = [c for c in nb["cells"] if c["cell_type"] == "code"]
problems = []
for i, c in enumerate(code):
    # No execution_count check: nbclient takes it from iopub execute_input/execute_result, which
    # tslab never sends, so nbconvert leaves it null (the fewstep runner reads it from execute_reply).
    if smoke and not c.get("outputs"):
        problems.append(f"code cell {i} has no outputs")
    for o in c.get("outputs", []):
        if o["output_type"] == "error" or (o["output_type"] == "stream" and o["name"] == "stderr"):
            problems.append(f"code cell {i} has an error output: {json.dumps(o)[:300]}")
mimes = {m for c in code for o in c.get("outputs", []) for m in o.get("data", {})}
for want in ("application/vnd.plotly.v1+json", "text/html", "image/png"):
    if want not in mimes:
        problems.append(f"no {want} output (got {sorted(mimes)})")
streams = "".join("".join(o["text"]) if isinstance(o["text"], list) else o["text"]
                  for c in code for o in c.get("outputs", []) if o["output_type"] == "stream")
if not smoke and sum(1 for c in code if c.get("outputs")) < len(code) // 2:
    problems.append("fewer than half of the code cells have outputs")
for want in (("tslab 1.0.22", "DDIMScheduler, 4 steps: 999, 749, 499, 249") if smoke else ("MODEL_DIR = ",)):
    if want not in streams:
        problems.append(f"stdout lacks {want!r}")
if problems:
    print(f"nbconvert-smoke: {path}:", *problems, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"nbconvert-smoke: ok, {len(code)} code cells executed, mime types {sorted(mimes)} -> {path}")
EOF
done
