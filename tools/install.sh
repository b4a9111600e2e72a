#!/usr/bin/env bash
# Set up mmfewshot in a virtual environment at the repository root.
#
# Installs torch + torchvision, builds mmcv with its compiled ops (the wheel is
# cached outside the repository and reused), installs mmengine, mmpretrain,
# mmdet and mmfewshot itself in editable mode with the test extras.
#
# On a machine whose torch sees a GPU, mmcv's CUDA ops are built without being
# asked, for the visible GPUs' architectures; with no CUDA toolkit of torch's
# major version on the machine, nvcc comes from the package index (CUDA 13 and
# later). tools/mmcv_build_plan.py makes these decisions; see them with
#   bash tools/install.sh --print-plan
#
# Environment knobs:
#   PYTHON          interpreter used to create the venv (default: python3.11)
#   VENV            venv location (default: <repo>/.venv)
#   MMFEWSHOT_CACHE cache folder for built wheels (default: ~/.cache/mmfewshot)
#   FORCE_CUDA      1: build the CUDA ops even with no GPU visible (needs
#                   TORCH_CUDA_ARCH_LIST); 0: CPU ops only; unset: CUDA ops
#                   when torch sees a GPU
#   TORCH_CUDA_ARCH_LIST  CUDA architectures, e.g. "8.0;9.0" (default: those
#                   of the visible GPUs)
#   MMFEWSHOT_NVCC  the nvcc to use, or "index" for the package index's
#                   (default: CUDA_HOME, CUDA_PATH, nvcc on PATH, /usr/local/cuda)
#   MAX_JOBS        parallel compile jobs for mmcv (default: number of cores)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3.11}"
VENV="${VENV:-$ROOT/.venv}"
TORCH_VERSION="2.14.1"
TORCHVISION_VERSION="0.29.1"
MMCV_VERSION="2.1.0"
MMENGINE_VERSION="0.10.7"
MMPRETRAIN_VERSION="1.2.0"
MMDET_VERSION="3.3.0"
CACHE_ROOT="${MMFEWSHOT_CACHE:-$HOME/.cache/mmfewshot}"
MAX_JOBS="${MAX_JOBS:-$(nproc 2>/dev/null || echo 2)}"
PLAN_TOOL="$ROOT/tools/mmcv_build_plan.py"

say() { printf '[install] %s\n' "$*"; }
die() { printf '[install] error: %s\n' "$*" >&2; exit 1; }

PRINT_PLAN=0
for arg in "$@"; do
    case "$arg" in
        --print-plan) PRINT_PLAN=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $arg (only --print-plan)" ;;
    esac
done
if [ "$PRINT_PLAN" = "1" ]; then
    # how mmcv's ops would be built, from the torch of $VENV; installs nothing
    [ -x "$VENV/bin/python" ] || die "--print-plan reads the torch of $VENV, which does not exist yet"
    exec "$VENV/bin/python" "$PLAN_TOOL" plan --cache "$CACHE_ROOT/wheels" \
        --max-jobs "$MAX_JOBS" --mmcv-source "mmcv-$MMCV_VERSION"
fi

# ---- prerequisites -------------------------------------------------------
command -v "$PYTHON" >/dev/null 2>&1 \
    || die "$PYTHON not found: install Python 3.11 or set PYTHON=/path/to/python3.11"
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
    || die "$PYTHON lacks the venv/ensurepip modules (Debian: apt install python3.11-venv)"
command -v g++ >/dev/null 2>&1 || command -v c++ >/dev/null 2>&1 \
    || die "no C++ compiler found (g++): it is needed to build mmcv's ops (Debian: apt install g++)"
free_kb=$(df -Pk "$ROOT" | awk 'NR==2 {print $4}')
if [ -n "$free_kb" ] && [ "$free_kb" -lt $((8 * 1024 * 1024)) ]; then
    [ -d "$VENV" ] || die "less than 8 GiB free on the disk of $ROOT: torch alone needs about 6 GiB"
fi

# ---- virtual environment -------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

installed_version() {
    "$PY" - "$1" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
try:
    print(version(sys.argv[1]))
except Exception:
    pass
EOF
}

if [ "$(installed_version torch)" != "$TORCH_VERSION" ] \
        || [ "$(installed_version torchvision)" != "$TORCHVISION_VERSION" ]; then
    say "installing torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION"
    "${PIP[@]}" install "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
fi
"${PIP[@]}" install -q -r "$ROOT/requirements/build.txt"

# ---- mmcv with compiled ops ----------------------------------------------
mmcv_ops_ok() {
    "$PY" -c "from mmcv.ops import nms, RoIAlign" >/dev/null 2>&1 \
        && [ "$(installed_version mmcv)" = "$MMCV_VERSION" ]
}

# CPU or CUDA ops, architectures, compiler and cache key (see the header)
plan=$("$PY" "$PLAN_TOOL" plan --shell --max-jobs "$MAX_JOBS") \
    || die "mmcv's ops cannot be built as asked (see the line above)"
eval "$plan"
variant="$MMCV_VARIANT"
MARKER="$VENV/.mmcv-ops-variant"
if mmcv_ops_ok && [ "$(cat "$MARKER" 2>/dev/null)" = "$variant" ]; then
    say "mmcv $MMCV_VERSION with $variant ops already installed"
else
    say "mmcv ops: $variant, because $MMCV_REASON"
    WHEEL_DIR="$CACHE_ROOT/wheels/$MMCV_CACHE_KEY"
    mkdir -p "$WHEEL_DIR"
    wheel=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$wheel" ]; then
        if [ "$variant" != "cpu" ]; then
            say "building mmcv's CUDA ops for ${variant#*-} with $MMCV_COMPILER"
            if [ "${#MMCV_NVCC_PACKAGES[@]}" -gt 0 ]; then
                "${PIP[@]}" install -q "${MMCV_NVCC_PACKAGES[@]}"
            fi
            if [ "${#MMCV_LINK_CUDA_HOME[@]}" -gt 0 ]; then
                "$PY" "$PLAN_TOOL" cuda-home "${MMCV_LINK_CUDA_HOME[@]}" >/dev/null
            fi
        fi
        say "building mmcv $MMCV_VERSION with ops ($variant, $MAX_JOBS jobs): this takes several minutes once per machine"
        build_dir=$(mktemp -d)
        trap 'rm -rf "$build_dir"' EXIT
        "${PIP[@]}" download -q --no-deps --no-binary :all: -d "$build_dir" "mmcv==$MMCV_VERSION"
        tar -xzf "$build_dir"/mmcv-"$MMCV_VERSION".tar.gz -C "$build_dir"
        src="$build_dir/mmcv-$MMCV_VERSION"
        # torch 2.14's headers need C++20; mmcv 2.1.0 asks for C++17
        "$PY" "$PLAN_TOOL" patch-source "$src"
        (cd "$src" && env "${MMCV_BUILD_ENV[@]}" \
            "${PIP[@]}" wheel --no-build-isolation --no-deps -w "$WHEEL_DIR" .)
        wheel=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -n 1)
        say "cached $wheel"
    else
        say "reusing cached $wheel"
    fi
    "${PIP[@]}" install --no-deps --force-reinstall "$wheel"
    # mmcv's own runtime requirements (the wheel was installed without deps)
    "${PIP[@]}" install -q addict packaging Pillow pyyaml yapf opencv-python
    echo "$variant" > "$MARKER"
fi

# ---- the OpenMMLab stack and mmfewshot ----------------------------------
"${PIP[@]}" install -q "mmengine==$MMENGINE_VERSION" "mmpretrain==$MMPRETRAIN_VERSION" \
    "mmdet==$MMDET_VERSION" -r "$ROOT/requirements/runtime.txt"
"${PIP[@]}" install -q --no-build-isolation -e "$ROOT[tests]"

"$PY" -c "import mmfewshot; from mmcv.ops import nms, RoIAlign; import mmdet.models, mmpretrain.models" \
    || die "the installed environment does not import; see the messages above"
if [ "$variant" != "cpu" ]; then
    "$PY" -c "from mmcv.ops import get_compiling_cuda_version as v; assert v() != 'not available'" \
        || die "mmcv was built without its CUDA ops; remove $MARKER and the cached wheel, then retry"
fi
touch "$VENV/.installed"
say "done: $("$PY" -c 'import mmfewshot, torch, mmcv; print(f"mmfewshot {mmfewshot.__version__}, torch {torch.__version__}, mmcv {mmcv.__version__}")')"
