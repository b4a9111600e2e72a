#!/usr/bin/env bash
# Run a tool on a Slurm cluster, one task per GPU; the slurm_*.sh scripts of
# both sides call it.
#
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] \
#   tools/slurm_run.sh PARTITION JOB_NAME TOOL [tool arguments]
#
# TOOL is a path under tools/ (e.g. detection/train.py); the tool gets
# `--launcher slurm` after its arguments. GPUS is the total number of tasks
# (processes), spread GPUS_PER_NODE to a node; SRUN_ARGS are extra srun
# options (e.g. "--quotatype=auto").
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 PARTITION JOB_NAME TOOL [tool arguments]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
TOOL=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
# word splitting of SRUN_ARGS is intended: it holds several options
read -r -a EXTRA_SRUN_ARGS <<< "${SRUN_ARGS:-}"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then
        PYTHON="$ROOT/.venv/bin/python"
    else
        PYTHON=python
    fi
fi

PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
exec srun --partition="$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres="gpu:$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    "${EXTRA_SRUN_ARGS[@]}" \
    "$PYTHON" -u "$ROOT/tools/$TOOL" "$@" --launcher slurm
