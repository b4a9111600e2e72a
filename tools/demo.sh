#!/usr/bin/env bash
# The main job (`make demo`): generate the toy few-shot dataset, train
# ProtoNet (Conv4) on it, meta-test the best checkpoint, then run the
# inference demo on a support set of 5 test classes.
#
# Knobs: PYTHON (interpreter), DEMO_WORK_DIR (default work_dirs/toy_demo;
# every run trains from scratch into it), OMP_NUM_THREADS (default 1, see
# below).
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
# One compute thread for the training process, the other core for its data
# worker: on a small CPU machine this is faster than threads fighting over
# the cores (no effect on a GPU).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

DATA=data/toy_fewshot
CONFIG=configs/classification/proto_net/toy/proto-net_conv4_1xb25_toy_5way-1shot.py
WORK_DIR=${DEMO_WORK_DIR:-work_dirs/toy_demo}
START=$SECONDS

step() {
    echo
    echo "==> [$((SECONDS - START)) s] $*"
}

if [ -f "$DATA/test.csv" ] && [ -f "$DATA/class_names.txt" ]; then
    step "toy dataset: using $DATA"
else
    step "toy dataset: generating $DATA"
    "$PYTHON" tools/data/classification/make_toy_dataset.py "$DATA" \
        --overwrite
fi

step "training ProtoNet (Conv4) on 5-way 1-shot episodes, work dir $WORK_DIR"
# a best checkpoint or support folder of an earlier run must not be reused
rm -rf "$WORK_DIR"/best_accuracy_mean_iter_*.pth "$WORK_DIR/last_checkpoint" \
    "$WORK_DIR/demo_support"
"$PYTHON" tools/classification/train.py "$CONFIG" --work-dir "$WORK_DIR" \
    --skip-test

BEST=$(ls "$WORK_DIR"/best_accuracy_mean_iter_*.pth | head -n 1)
step "meta-testing $BEST on 500 5-way 1-shot tasks of the test classes"
"$PYTHON" tools/classification/test.py "$CONFIG" "$BEST" \
    --work-dir "$WORK_DIR" 2>&1 | tee "$WORK_DIR/meta_test.log"

step "inference demo: 1 support image for each of 5 test classes, 1 query"
SUPPORT_DIR="$WORK_DIR/demo_support"
mkdir -p "$SUPPORT_DIR"
mapfile -t CLASSES < <(head -n 5 "$DATA/test_classes.txt")
for wnid in "${CLASSES[@]}"; do
    mkdir -p "$SUPPORT_DIR/$wnid"
    first=$(ls "$DATA/images/$wnid" | sort -t _ -k 2 -n | head -n 1)
    cp "$DATA/images/$wnid/$first" "$SUPPORT_DIR/$wnid/"
done
# the readable class names of the wnids (capital B, digit 7, ...)
cp "$DATA/class_names.txt" "$SUPPORT_DIR/"
QUERY_CLASS=${CLASSES[2]}
QUERY_FILE=$(ls "$DATA/images/$QUERY_CLASS" | sort -t _ -k 2 -n | sed -n 2p)
QUERY="$DATA/images/$QUERY_CLASS/$QUERY_FILE"
NAME=$(grep "^$QUERY_CLASS	" "$DATA/class_names.txt" | cut -f 2)
echo "query: $QUERY (true class $QUERY_CLASS: $NAME)"
"$PYTHON" demo/demo_classification.py "$CONFIG" "$BEST" \
    --support-dir "$SUPPORT_DIR" --query "$QUERY" \
    --out-file "$WORK_DIR/demo_classification.png"

step "done"
grep '^meta-test accuracy' "$WORK_DIR/meta_test.log"
echo "work dir: $WORK_DIR (checkpoints, logs, meta_test_results.json," \
    "demo_classification.png)"
