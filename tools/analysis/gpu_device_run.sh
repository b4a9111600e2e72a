#!/usr/bin/env bash
# The GPU check on a machine with a GPU, Python 3.12, its own torch, CUDA
# and nvcc and no package index (the workplace's device machine): install
# the bundled wheels, build mmcv 2.1.0 with its CUDA ops, install the
# project, run tools/analysis/gpu_check.py --tools. One command, under
# 10 minutes (GPU_RUN_BUDGET seconds, default 560, for all of it).
#
# Before, in the checkout the device tool sends (the session's own), with
# the package index at hand:
#     bash tools/analysis/gpu_prepare_bundle.sh      # writes .gpu_bundle/
# Then the device tool's call:
#     run(command="bash tools/analysis/gpu_device_run.sh",
#         carry=[".gpu_bundle"], timeout_s=600)
# What comes back ($OUT): device_run.log (everything), mmcv_build.log,
# gpu_check.txt (the tables), gpu_check.json. After a run that passes, put
# its table into the README and widen the torch line of
# requirements/runtime.txt to the machine's torch (printed first here).
#
# mmcv's build (136 sources, about 4 minutes on 16 cores for one
# architecture) gets what the budget leaves to the check (150 s). If it runs
# out of time, make the same call again at once: the machine stays warm for
# 30 s after a call, and the build continues from the objects already
# compiled in /tmp/mmcv-build (a finished wheel there is reused).
#
# Knobs: PYTHON (default python3: the one with the machine's torch),
# TORCH_CUDA_ARCH_LIST (default 9.0: an H100 or H200 only, to build in
# minutes), MAX_JOBS (default 16), GPU_BUNDLE (default <repo>/.gpu_bundle),
# OUT (default <repo>/work_dirs/gpu_device_run), GPU_RUN_BUDGET.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BUNDLE="${GPU_BUNDLE:-$ROOT/.gpu_bundle}"
OUT="${OUT:-$ROOT/work_dirs/gpu_device_run}"
BUDGET="${GPU_RUN_BUDGET:-560}"
PY="${PYTHON:-python3}"
ARCH="${TORCH_CUDA_ARCH_LIST:-9.0}"
JOBS="${MAX_JOBS:-16}"
MMCV_VERSION=2.1.0
BUILD_DIR=/tmp/mmcv-build
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"
exec > >(tee "$OUT/device_run.log") 2>&1
START=$SECONDS

say() { printf '[%3d s] %s\n' $((SECONDS - START)) "$*"; }
left() { echo $((BUDGET - (SECONDS - START))); }
fail() { say "FAILED: $*"; exit 1; }
pip_offline() { "$PY" -m pip install -q --no-index --no-deps --no-compile --disable-pip-version-check "$@"; }

say "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
"$PY" -c 'import sys, torch; print("python", sys.version.split()[0], "torch", torch.__version__, "CUDA", torch.version.cuda, "GPU", torch.cuda.is_available())' \
    || fail "$PY does not import torch"
(nvcc --version | tail -n 2; g++ --version | head -n 1; nproc) 2>&1
[ -d "$BUNDLE/wheels" ] || fail "no $BUNDLE: run tools/analysis/gpu_prepare_bundle.sh first and carry .gpu_bundle"
# torch builds with ninja (else one file at a time): the pip package's too
if ! command -v ninja >/dev/null 2>&1; then
    ninja_bin=$("$PY" -c 'import ninja; print(ninja.BIN_DIR)' 2>/dev/null) \
        && export PATH="$ninja_bin:$PATH" || fail "no ninja"
fi

say "installing the bundled wheels (ninja $(ninja --version))"
pip_offline "$BUNDLE"/wheels/*.whl || fail "installing $BUNDLE/wheels"
# mmcv's setup.py imports pkg_resources, which setuptools 81 dropped
"$PY" -c 'import pkg_resources' 2>/dev/null \
    || pip_offline "$BUNDLE"/build/setuptools-*.whl || fail "installing setuptools < 81"

src="$BUILD_DIR/mmcv-$MMCV_VERSION"
if [ ! -d "$src" ]; then
    mkdir -p "$BUILD_DIR"
    tar -xzf "$BUNDLE/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD_DIR" || fail "unpacking mmcv"
    # as tools/install.sh: C++20, which torch 2.14's headers need
    "$PY" tools/mmcv_build_plan.py patch-source "$src" || fail "patching mmcv's setup.py"
else
    say "continuing the build of an earlier call in $BUILD_DIR"
fi
export TORCH_CUDA_ARCH_LIST="$ARCH"
"$PY" tools/mmcv_build_plan.py plan --max-jobs "$JOBS" --mmcv-source "$src" \
    --cache "$BUILD_DIR/wheel" || fail "the build plan"
eval "$("$PY" tools/mmcv_build_plan.py plan --shell --max-jobs "$JOBS")"
[ "$MMCV_VARIANT" != "cpu" ] || fail "the plan builds CPU ops: $MMCV_REASON"
[ "${#MMCV_NVCC_PACKAGES[@]}" -eq 0 ] || fail "no CUDA toolkit of torch's version here, and no package index: $MMCV_COMPILER"
if [ "${#MMCV_LINK_CUDA_HOME[@]}" -gt 0 ]; then
    "$PY" tools/mmcv_build_plan.py cuda-home "${MMCV_LINK_CUDA_HOME[@]}" || fail "linking CUDA_HOME"
fi
wheel_dir="$BUILD_DIR/wheel/$MMCV_CACHE_KEY"
build_start=$SECONDS
if ls "$wheel_dir"/mmcv-*.whl >/dev/null 2>&1; then
    say "reusing the mmcv wheel of an earlier call"
else
    build_seconds=$(($(left) - 150))
    [ "$build_seconds" -gt 0 ] || fail "no time left for mmcv's build"
    say "building mmcv $MMCV_VERSION with its CUDA ops for $ARCH, $JOBS jobs, $build_seconds s at most"
    (cd "$src" && timeout "$build_seconds" env "${MMCV_BUILD_ENV[@]}" \
        "$PY" -m pip wheel -v --no-build-isolation --no-deps -w "$wheel_dir" .) \
        > "$OUT/mmcv_build.log" 2>&1
    status=$?
    grep -E '^\s*\[[0-9]+/[0-9]+\]' "$OUT/mmcv_build.log" | tail -n 1 | cut -c1-160
    if [ "$status" -eq 124 ]; then
        fail "mmcv's build ran out of time after $((SECONDS - build_start)) s: make the same call again at once (it continues)"
    elif [ "$status" -ne 0 ]; then
        grep -E 'error|Error' "$OUT/mmcv_build.log" | head -n 20
        tail -n 20 "$OUT/mmcv_build.log"
        fail "mmcv's build, status $status after $((SECONDS - build_start)) s; see mmcv_build.log"
    fi
    say "mmcv built in $((SECONDS - build_start)) s"
fi
pip_offline --force-reinstall "$wheel_dir"/mmcv-*.whl || fail "installing the mmcv wheel"
"$PY" - <<'EOF' || fail "mmcv's CUDA ops do not run"
import torch
from mmcv.ops import get_compiling_cuda_version, nms
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]], device='cuda')
scores = torch.tensor([0.9, 0.8, 0.7], device='cuda')
kept, order = nms(boxes, scores, 0.5)
assert order.tolist() == [0, 2], order
print('mmcv ops compiled with CUDA', get_compiling_cuda_version(), '- nms on', kept.device, 'ok')
EOF

say "installing the project"
pip_offline --no-build-isolation -e . || fail "installing the project"
"$PY" -c 'import mmfewshot.classification, mmfewshot.detection' || fail "importing mmfewshot"

limit=$(($(left) - 90))
say "GPU check, $limit s for the methods, then the tools"
"$PY" tools/analysis/gpu_check.py --tools --time-limit "$limit" --test-tasks 50 \
    --out "$OUT/gpu_check.json" 2>&1 | tee "$OUT/gpu_check.txt"
status=${PIPESTATUS[0]}
# what comes back is at most 16 MiB a file
if [ -f "$OUT/mmcv_build.log" ] && [ "$(stat -c %s "$OUT/mmcv_build.log")" -gt $((15 * 1024 * 1024)) ]; then
    tail -c $((15 * 1024 * 1024)) "$OUT/mmcv_build.log" > "$OUT/mmcv_build.tail" \
        && mv "$OUT/mmcv_build.tail" "$OUT/mmcv_build.log"
fi
say "done, GPU check status $status"
exit "$status"
