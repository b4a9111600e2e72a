#!/usr/bin/env bash
# Train on a Slurm cluster, one task per GPU.
#
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] \
#   tools/detection/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR \
#       [train.py arguments]
#
# The variables: see tools/slurm_run.sh.
set -euo pipefail

if [ "$#" -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [train.py arguments]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
exec "$(dirname "${BASH_SOURCE[0]}")/../slurm_run.sh" "$PARTITION" \
    "$JOB_NAME" detection/train.py "$CONFIG" --work-dir "$WORK_DIR" "$@"
