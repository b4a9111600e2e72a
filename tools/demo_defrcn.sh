#!/usr/bin/env bash
# The DeFRCN toy recipe (`make demo-defrcn`): generate the toy few-shot
# detection dataset (if missing), train the toy DeFRCN base model on its 6
# base classes, do the checkpoint surgery, fine-tune on 1 and on 5
# instances of each of the 8 classes (generalised few-shot detection), and
# test each fine-tuned model with and without the Prototypical Calibration
# Block. The budget is that of the TFA toy recipe (`make demo-detection`).
#
# Knobs: PYTHON (interpreter), DEMO_WORK_DIR (default
# work_dirs/toy_defrcn_demo; every run trains from scratch into it),
# SPLIT_SEED (default 0: the K-shot files of that seed), OMP_NUM_THREADS
# (default 1: one compute thread, the other core for the data worker).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/demo_detection_common.sh"
CONFIGS=configs/detection/defrcn/toy
BASE_CONFIG=$CONFIGS/defrcn_tiny-r18_c4_toy_base-training.py
ONE_SHOT_CONFIG=$CONFIGS/defrcn_tiny-r18_c4_gfsod_toy_1shot-fine-tuning.py
WORK_DIR=${DEMO_WORK_DIR:-work_dirs/toy_defrcn_demo}
SPLIT_SEED=${SPLIT_SEED:-0}

toy_dataset
rm -rf "$WORK_DIR"
toy_base_model "$WORK_DIR/base"
SURGERED=$WORK_DIR/base/base_model_random_init_bbox_head.pth

for SHOTS in 1 5; do
    CONFIG=$CONFIGS/defrcn_tiny-r18_c4_gfsod_toy_${SHOTS}shot-fine-tuning.py
    OUT=$WORK_DIR/${SHOTS}shot
    step "$SHOTS-shot fine-tuning on all 8 classes (split seed $SPLIT_SEED)"
    # no validation run: the tests below evaluate the same images; the
    # calibration's stand-in classifier is the base model's backbone
    "$PYTHON" tools/detection/train.py "$CONFIG" --work-dir "$OUT" \
        --cfg-options load_from="$SURGERED" \
        model.calibration.checkpoint="$SURGERED" \
        split_seed="$SPLIT_SEED" \
        train_cfg.val_begin=1000000
    CHECKPOINT=$(last_checkpoint "$OUT")
    step "testing the $SHOTS-shot model on the toy test images, calibrated"
    "$PYTHON" tools/detection/test.py "$CONFIG" "$CHECKPOINT" \
        --work-dir "$OUT/calibrated" \
        --cfg-options model.calibration.checkpoint="$SURGERED" 2>&1 |
        tee "$OUT/test_calibrated.log"
    step "testing the $SHOTS-shot model without the calibration block"
    "$PYTHON" tools/detection/test.py "$CONFIG" "$CHECKPOINT" \
        --work-dir "$OUT/uncalibrated" \
        --cfg-options model.calibration=None 2>&1 |
        tee "$OUT/test_uncalibrated.log"
done

step "done"
BASE_AP50=$(base_ap50 "$WORK_DIR/base")
echo "DeFRCN base model, 6 base classes: AP50 $BASE_AP50 %"
for SHOTS in 1 5; do
    for KIND in calibrated uncalibrated; do
        echo "$SHOTS-shot fine-tuning, $KIND, AP50 in %:"
        sed -n '/^AP by class split/,/^metrics written/p' \
            "$WORK_DIR/${SHOTS}shot/test_$KIND.log" | grep -v '^metrics written'
    done
done
echo "work dir: $WORK_DIR (checkpoints, logs, test_results.json," \
    "saved_dataset.json)"
