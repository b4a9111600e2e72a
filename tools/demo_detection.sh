#!/usr/bin/env bash
# The detection demo (`make demo-detection`): generate the toy few-shot
# detection dataset, train the toy TFA base model on its 6 base classes,
# do the checkpoint surgery, fine-tune on 1 and on 5 instances of each of
# the 8 classes, test both, and draw the detections of one test image.
#
# Knobs: PYTHON (interpreter), DEMO_WORK_DIR (default
# work_dirs/toy_detection_demo; every run trains from scratch into it),
# OMP_NUM_THREADS (default 1: one compute thread, the other core for the
# data worker).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then
        PYTHON=.venv/bin/python
    else
        PYTHON=python
    fi
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

DATA=data/toy_det
CONFIGS=configs/detection/tfa/toy
BASE_CONFIG=$CONFIGS/tfa_tiny-r18_fpn_toy_base-training.py
WORK_DIR=${DEMO_WORK_DIR:-work_dirs/toy_detection_demo}
# the many-seed summary of this recipe that the result is set against
REFERENCE=resources/detection/tfa_toy_seeds.json
START=$SECONDS

step() {
    echo
    echo "==> [$((SECONDS - START)) s] $*"
}

last_checkpoint() {
    # written by the checkpoint hook: the path of the newest checkpoint
    cat "$1/last_checkpoint"
}

if [ -f "$DATA/ImageSets/Main/test.txt" ]; then
    step "toy dataset: using $DATA"
else
    step "toy dataset: generating $DATA"
    "$PYTHON" tools/data/detection/make_toy_dataset.py "$DATA" --overwrite
fi

rm -rf "$WORK_DIR"
step "base training on the 6 base classes, work dir $WORK_DIR/base"
"$PYTHON" tools/detection/train.py "$BASE_CONFIG" --work-dir "$WORK_DIR/base"

BASE_CHECKPOINT=$(last_checkpoint "$WORK_DIR/base")
step "surgery of $BASE_CHECKPOINT: rows for the 2 novel classes"
"$PYTHON" tools/detection/misc/initialize_bbox_head.py \
    --src1 "$BASE_CHECKPOINT" --method random_init \
    --config "$CONFIGS/tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py" \
    --save-dir "$WORK_DIR/base"
SURGERED=$WORK_DIR/base/base_model_random_init_bbox_head.pth

for SHOTS in 1 5; do
    CONFIG=$CONFIGS/tfa_tiny-r18_fpn_toy_${SHOTS}shot-fine-tuning.py
    step "$SHOTS-shot fine-tuning of the last layers on all 8 classes"
    # no validation run: the test below evaluates the same images
    "$PYTHON" tools/detection/train.py "$CONFIG" \
        --work-dir "$WORK_DIR/${SHOTS}shot" \
        --cfg-options load_from="$SURGERED" train_cfg.val_begin=1000000
    step "testing the $SHOTS-shot model on the 300 toy test images"
    "$PYTHON" tools/detection/test.py "$CONFIG" \
        "$(last_checkpoint "$WORK_DIR/${SHOTS}shot")" \
        --work-dir "$WORK_DIR/${SHOTS}shot" 2>&1 |
        tee "$WORK_DIR/${SHOTS}shot/test.log"
done

IMAGE=$DATA/JPEGImages/$(tail -n 1 "$DATA/ImageSets/Main/test.txt").jpg
step "inference demo on $IMAGE with the 5-shot model"
"$PYTHON" demo/demo_detection.py "$CONFIG" \
    "$(last_checkpoint "$WORK_DIR/5shot")" "$IMAGE" \
    --out-file "$WORK_DIR/demo_detection.png"

step "done"
BASE_AP50=$("$PYTHON" -c "import json, sys
lines = open(sys.argv[1]).read().splitlines()
val = [json.loads(l) for l in lines if 'pascal_voc/AP50' in l]
print(f\"{100 * val[-1]['pascal_voc/AP50']:.1f}\")" \
    "$(ls "$WORK_DIR"/base/*/vis_data/scalars.json | tail -n 1)")
echo "base model, 6 base classes: AP50 $BASE_AP50 %"
for SHOTS in 1 5; do
    echo "$SHOTS-shot fine-tuning, AP50 in %:"
    sed -n '/^AP by class split/,/^metrics written/p' \
        "$WORK_DIR/${SHOTS}shot/test.log" | grep -v '^metrics written'
done
# one run is one draw: floating-point results differ across CPUs and one
# K-shot set is a noisy estimate; set this run against the same recipe
# over 5 split seeds (`make demo-seeds`)
echo
"$PYTHON" tools/detection/multi_seed.py compare \
    "$WORK_DIR/1shot/test_results.json" "$WORK_DIR/5shot/test_results.json" \
    --summary "$REFERENCE"
echo "work dir: $WORK_DIR (checkpoints, logs, test_results.json," \
    "saved_dataset.json, demo_detection.png)"
