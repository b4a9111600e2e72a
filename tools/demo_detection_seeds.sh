#!/usr/bin/env bash
# The many-seed toy recipe (`make demo-seeds`, `make demo-defrcn-seeds`):
# TFA (METHOD=tfa, the default) or DeFRCN (METHOD=defrcn, gFSOD, with the
# calibration block) on the toy detection dataset over NUM_SEEDS random
# K-shot sets (split seeds 0..NUM_SEEDS-1) at 1 and 5 shots, all fine-tuned
# from one base model of the method, reported as mean and 95% confidence
# interval over the seeds (table, json, plot).
#
# It can be interrupted and started again: the base model is trained once
# (its surgered checkpoint is kept), finished seeds are skipped and an
# interrupted seed resumes from its last checkpoint.
#
# Knobs: PYTHON, OMP_NUM_THREADS (see tools/demo_detection_common.sh),
# METHOD (tfa or defrcn), SEEDS_WORK_DIR (default
# work_dirs/toy_detection_seeds for TFA, work_dirs/toy_defrcn_seeds for
# DeFRCN), NUM_SEEDS (default 5).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/demo_detection_common.sh"
METHOD=${METHOD:-tfa}
case "$METHOD" in
    tfa)
        WORK_DIR=${SEEDS_WORK_DIR:-work_dirs/toy_detection_seeds}
        FIVE_SHOT_CONFIG=$CONFIGS/tfa_tiny-r18_fpn_toy_5shot-fine-tuning.py
        TITLE="TFA, toy"
        ;;
    defrcn)
        WORK_DIR=${SEEDS_WORK_DIR:-work_dirs/toy_defrcn_seeds}
        CONFIGS=configs/detection/defrcn/toy
        BASE_CONFIG=$CONFIGS/defrcn_tiny-r18_c4_toy_base-training.py
        ONE_SHOT_CONFIG=$CONFIGS/defrcn_tiny-r18_c4_gfsod_toy_1shot-fine-tuning.py
        FIVE_SHOT_CONFIG=$CONFIGS/defrcn_tiny-r18_c4_gfsod_toy_5shot-fine-tuning.py
        TITLE="DeFRCN (gFSOD, calibrated), toy"
        ;;
    *)
        echo "demo_detection_seeds.sh: error: METHOD must be tfa or defrcn," \
            "not '$METHOD'" >&2
        exit 2
        ;;
esac
NUM_SEEDS=${NUM_SEEDS:-5}
LAST_SEED=$((NUM_SEEDS - 1))

toy_dataset
if [ ! -d "$DATA/few_shot_ann/seed$LAST_SEED" ]; then
    # the same files for the seeds already there (each class and seed has
    # its own random stream)
    step "K-shot split files of seeds 0-$LAST_SEED"
    "$PYTHON" tools/data/detection/prepare_few_shot_split.py --format voc \
        --data-root "$DATA" --ann-file ImageSets/Main/trainval.txt \
        --classes circle square triangle ring cross hexagon star diamond \
        --novel-classes star diamond --shots 1 2 3 5 10 \
        --seeds $(seq 0 "$LAST_SEED") --out "$DATA/few_shot_ann"
fi

SURGERED=$WORK_DIR/base/base_model_random_init_bbox_head.pth
if [ -f "$SURGERED" ]; then
    step "base model: using $SURGERED"
else
    toy_base_model "$WORK_DIR/base"
fi

step "1- and 5-shot fine-tuning and test over split seeds 0-$LAST_SEED"
# no validation runs: the test of every seed evaluates the same images
EXTRA_OPTIONS=()
if [ "$METHOD" = defrcn ]; then
    # the calibration's stand-in for the ImageNet classifier: the base
    # model's backbone (configs/detection/defrcn/README.md)
    EXTRA_OPTIONS=(model.calibration.checkpoint="$SURGERED")
fi
"$PYTHON" tools/detection/multi_seed.py run \
    "$ONE_SHOT_CONFIG" "$FIVE_SHOT_CONFIG" \
    --num-seeds "$NUM_SEEDS" --work-dir "$WORK_DIR/$METHOD" --title "$TITLE" \
    --cfg-options load_from="$SURGERED" train_cfg.val_begin=1000000 \
    "${EXTRA_OPTIONS[@]}"

step "done"
echo "base model (one training run), 6 base classes: AP50" \
    "$(base_ap50 "$WORK_DIR/base") %"
echo "work dir: $WORK_DIR (base model; $METHOD/<config>/seed<s>/ of every" \
    "run; $METHOD/seeds_summary.json and .png)"
