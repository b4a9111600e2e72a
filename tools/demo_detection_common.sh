# What the toy detection recipes (tools/demo_detection.sh,
# tools/demo_detection_seeds.sh and tools/demo_defrcn.sh) share: the
# interpreter, the toy dataset and the toy base model with its surgery (TFA's
# unless the recipe sets BASE_CONFIG and ONE_SHOT_CONFIG after sourcing).
# Sourced, not run.
#
# Knobs: PYTHON (interpreter; default the repository's .venv),
# OMP_NUM_THREADS (default 1: one compute thread, the other core for the
# data worker).

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
ONE_SHOT_CONFIG=$CONFIGS/tfa_tiny-r18_fpn_toy_1shot-fine-tuning.py
START=$SECONDS

step() {
    echo
    echo "==> [$((SECONDS - START)) s] $*"
}

last_checkpoint() {
    # written by the checkpoint hook: the path of the newest checkpoint
    cat "$1/last_checkpoint"
}

toy_dataset() {
    if [ -f "$DATA/ImageSets/Main/test.txt" ]; then
        step "toy dataset: using $DATA"
    else
        step "toy dataset: generating $DATA"
        "$PYTHON" tools/data/detection/make_toy_dataset.py "$DATA" \
            --overwrite
    fi
}

# toy_base_model DIR: train the toy base model into DIR and give its box
# head rows for the novel classes (DIR/base_model_random_init_bbox_head.pth)
toy_base_model() {
    step "base training on the 6 base classes, work dir $1"
    "$PYTHON" tools/detection/train.py "$BASE_CONFIG" --work-dir "$1"
    step "surgery of $(last_checkpoint "$1"): rows for the 2 novel classes"
    "$PYTHON" tools/detection/misc/initialize_bbox_head.py \
        --src1 "$(last_checkpoint "$1")" --method random_init \
        --config "$ONE_SHOT_CONFIG" --save-dir "$1"
}

# base_ap50 DIR: the last validation AP50 of the training run in DIR, in %
base_ap50() {
    "$PYTHON" -c "import json, sys
lines = open(sys.argv[1]).read().splitlines()
val = [json.loads(l) for l in lines if 'pascal_voc/AP50' in l]
print(f\"{100 * val[-1]['pascal_voc/AP50']:.1f}\")" \
        "$(ls "$1"/*/vis_data/scalars.json | tail -n 1)"
}
