#!/usr/bin/env bash
# Run a tool with several processes on this machine (or on several machines);
# the dist_*.sh scripts of both sides call it.
#
#   tools/dist_run.sh NPROC TOOL [tool arguments]
#
# TOOL is a path under tools/ (e.g. detection/train.py); the tool gets
# `--launcher pytorch` after its arguments. NPROC is the number of processes
# per machine: one per GPU, or CPU processes (gloo backend) on a machine
# without CUDA. Multi-machine runs set NNODES, NODE_RANK and MASTER_ADDR on
# every machine; PORT is the rendezvous port (default 29500; pick another
# when two runs share a machine). PYTHON picks the interpreter (default: the
# repository's .venv).
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 NPROC TOOL [tool arguments]" >&2
    exit 2
fi
NPROC=$1
TOOL=$2
shift 2

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
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
    --nproc_per_node="$NPROC" \
    "$ROOT/tools/$TOOL" "$@" --launcher pytorch
