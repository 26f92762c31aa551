#!/bin/sh
# The full CPU recipe with the budgets the shipped models were trained with (2 shared cores, nice 10;
# about 70 minutes of training in all). Each stage resumes from models/recipes/.work/<stage>.ckpt;
# delete a checkpoint to retrain that stage. Pass stage names to run only those, e.g. `run_all.sh lcm pd export`.
# Without the checkpoints of ae and teacher (they are not committed), `run_all.sh data from-onnx clip turbo lightning`
# starts the later stages from the shipped teacher (as the 2026-12-06 run did) and
# `train.py export --only clip turbo lightning` writes only their folders.
set -e
cd "$(dirname "$0")/../../.."
PY="nice -n 10 /usr/bin/python3 models/recipes/scenes/train.py --threads ${THREADS:-1}"
STAGES="${*:-data ae evaluator teacher lora lcm pd clip turbo lightning export}"
for s in $STAGES; do
  case $s in
    data) $PY data ;;
    ae) $PY ae --minutes 9 ;;
    evaluator) $PY evaluator --minutes 8 ;;
    teacher) $PY teacher --minutes 34 ;;
    lora) $PY lora --minutes 3 ;;
    lcm) $PY lcm --minutes 10 ;;  # defaults: from teacher + LCM-LoRA, g in [1.5, 4.5], lr 2e-5
    pd) $PY pd --minutes 8 ;;
    clip) $PY clip --minutes 12 ;;
    turbo) $PY turbo --minutes 30 ;;
    lightning) $PY lightning --minutes 28 ;;  # 7 per student: 8, 4, 2, 1 steps
    from-onnx) $PY from-onnx ;;  # ae.ckpt and teacher.ckpt rebuilt from the shipped ONNX (instead of ae, teacher)
    export) $PY export ;;
    *) echo "unknown stage $s" >&2; exit 2 ;;
  esac
done
