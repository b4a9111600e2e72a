#!/usr/bin/env bash
# Train with several processes on this machine (or on several machines).
#
#   tools/detection/dist_train.sh CONFIG GPUS [train.py arguments]
#
# GPUS is the number of processes per machine: one per GPU, or CPU processes
# (gloo backend) on a machine without CUDA. NNODES, NODE_RANK, MASTER_ADDR,
# PORT and PYTHON: see tools/dist_run.sh.
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [train.py arguments]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
shift 2
exec "$(dirname "${BASH_SOURCE[0]}")/../dist_run.sh" "$GPUS" \
    detection/train.py "$CONFIG" "$@"
