#!/usr/bin/env bash
# Meta-test a checkpoint on a Slurm cluster, one task per GPU.
#
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] \
#   tools/classification/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT \
#       [test.py arguments]
#
# The variables: see tools/slurm_run.sh.
set -euo pipefail

if [ "$#" -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG CHECKPOINT [test.py arguments]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
shift 4
exec "$(dirname "${BASH_SOURCE[0]}")/../slurm_run.sh" "$PARTITION" \
    "$JOB_NAME" classification/test.py "$CONFIG" "$CHECKPOINT" "$@"
