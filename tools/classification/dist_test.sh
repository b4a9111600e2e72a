#!/usr/bin/env bash
# Meta-test a checkpoint with several processes (the tasks are split between
# them; the same seed gives the same numbers as one process).
#
#   tools/classification/dist_test.sh CONFIG CHECKPOINT GPUS [test.py arguments]
#
# GPUS is the number of processes per machine: one per GPU, or CPU processes
# (gloo backend) on a machine without CUDA. NNODES, NODE_RANK, MASTER_ADDR,
# PORT and PYTHON: see tools/dist_run.sh.
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [test.py arguments]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
exec "$(dirname "${BASH_SOURCE[0]}")/../dist_run.sh" "$GPUS" \
    classification/test.py "$CONFIG" "$CHECKPOINT" "$@"
