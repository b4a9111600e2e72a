#!/usr/bin/env bash
# Meta-test a checkpoint with several processes (the tasks are split between
# them; the same seed gives the same numbers as one process).
#
#   tools/classification/dist_test.sh CONFIG CHECKPOINT GPUS [test.py arguments]
#
# GPUS is the number of processes per machine: one per GPU, or CPU processes
# (gloo backend) on a machine without CUDA. Multi-machine runs set NNODES,
# NODE_RANK and MASTER_ADDR on every machine; PORT is the rendezvous port
# (default 29500; pick another when two runs share a machine).
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [test.py arguments]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then
        PYTHON="$ROOT/.venv/bin/python"
    else
        PYTHON=python
    fi
fi

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --master_port="${PORT:-29500}" \
    --nproc_per_node="$GPUS" \
    "$ROOT/tools/classification/test.py" "$CONFIG" "$CHECKPOINT" \
    --launcher pytorch "$@"
