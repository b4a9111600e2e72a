#!/usr/bin/env bash
# Set up mmfewshot in a virtual environment at the repository root.
#
# Installs torch + torchvision, builds mmcv with its compiled ops (the wheel is
# cached outside the repository and reused), installs mmengine, mmpretrain,
# mmdet and mmfewshot itself in editable mode with the test extras.
#
# Environment knobs:
#   PYTHON          interpreter used to create the venv (default: python3.11)
#   VENV            venv location (default: <repo>/.venv)
#   MMFEWSHOT_CACHE cache folder for built wheels (default: ~/.cache/mmfewshot)
#   FORCE_CUDA=1    build mmcv's CUDA ops (needs nvcc and a CUDA build of torch)
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
FORCE_CUDA="${FORCE_CUDA:-0}"
MAX_JOBS="${MAX_JOBS:-$(nproc 2>/dev/null || echo 2)}"

say() { printf '[install] %s\n' "$*"; }
die() { printf '[install] error: %s\n' "$*" >&2; exit 1; }

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
if [ "$FORCE_CUDA" = "1" ]; then
    command -v nvcc >/dev/null 2>&1 || die "FORCE_CUDA=1 but nvcc is not on PATH"
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

variant="cpu"
if [ "$FORCE_CUDA" = "1" ]; then
    cuda=$("$PY" -c 'import torch; print(torch.version.cuda or "")')
    [ -n "$cuda" ] || die "FORCE_CUDA=1 but the installed torch is a CPU-only build"
    variant="cuda$cuda"
fi
MARKER="$VENV/.mmcv-ops-variant"
if mmcv_ops_ok && [ "$(cat "$MARKER" 2>/dev/null)" = "$variant" ]; then
    say "mmcv $MMCV_VERSION with $variant ops already installed"
else
    WHEEL_DIR="$CACHE_ROOT/wheels/torch-$TORCH_VERSION-$variant-py$("$PY" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"
    mkdir -p "$WHEEL_DIR"
    wheel=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$wheel" ]; then
        say "building mmcv $MMCV_VERSION with ops ($variant, $MAX_JOBS jobs): this takes several minutes once per machine"
        build_dir=$(mktemp -d)
        trap 'rm -rf "$build_dir"' EXIT
        "${PIP[@]}" download -q --no-deps --no-binary :all: -d "$build_dir" "mmcv==$MMCV_VERSION"
        tar -xzf "$build_dir"/mmcv-"$MMCV_VERSION".tar.gz -C "$build_dir"
        src="$build_dir/mmcv-$MMCV_VERSION"
        # torch 2.14's headers need C++20; mmcv 2.1.0 asks for C++17.
        sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
        (cd "$src" && MMCV_WITH_OPS=1 FORCE_CUDA="$FORCE_CUDA" MAX_JOBS="$MAX_JOBS" \
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
touch "$VENV/.installed"
say "done: $("$PY" -c 'import mmfewshot, torch, mmcv; print(f"mmfewshot {mmfewshot.__version__}, torch {torch.__version__}, mmcv {mmcv.__version__}")')"
