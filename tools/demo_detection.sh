#!/usr/bin/env bash
# The detection demo (`make demo-detection`): generate the toy few-shot
# detection dataset, train the toy TFA base model on its 6 base classes,
# do the checkpoint surgery, fine-tune on 1 and on 5 instances of each of
# the 8 classes, test both, draw the detections of one test image next to
# the 5-shot training instances of every class, and set the result against
# the same recipe over 5 split seeds.
#
# Knobs: PYTHON, OMP_NUM_THREADS (see tools/demo_detection_common.sh),
# DEMO_WORK_DIR (default work_dirs/toy_detection_demo; every run trains
# from scratch into it).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/demo_detection_common.sh"
WORK_DIR=${DEMO_WORK_DIR:-work_dirs/toy_detection_demo}
# the many-seed summary of this recipe (`make demo-seeds`)
REFERENCE=resources/detection/tfa_toy_seeds.json

toy_dataset
rm -rf "$WORK_DIR"
toy_base_model "$WORK_DIR/base"
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
step "inference demo on $IMAGE with the 5-shot model and its 5-shot set"
"$PYTHON" demo/demo_detection.py "$CONFIG" \
    "$(last_checkpoint "$WORK_DIR/5shot")" "$IMAGE" \
    --out-file "$WORK_DIR/demo_detection.png" --show-support

step "done"
echo "base model, 6 base classes: AP50 $(base_ap50 "$WORK_DIR/base") %"
for SHOTS in 1 5; do
    echo "$SHOTS-shot fine-tuning, AP50 in %:"
    sed -n '/^AP by class split/,/^metrics written/p' \
        "$WORK_DIR/${SHOTS}shot/test.log" | grep -v '^metrics written'
done
# one run is one draw: floating-point results differ across CPUs and one
# K-shot set is a noisy estimate
echo
"$PYTHON" tools/detection/multi_seed.py compare \
    "$WORK_DIR/1shot/test_results.json" "$WORK_DIR/5shot/test_results.json" \
    --summary "$REFERENCE"
echo "work dir: $WORK_DIR (checkpoints, logs, test_results.json," \
    "saved_dataset.json, demo_detection.png)"
