#!/usr/bin/env bash
# Build the original toolbox (OpenMMLab MMFewShot 0.1.0) and its stack in a
# virtual environment of its own, on the same torch as ours, so that the golden
# outputs of tests/data/reference can be regenerated and compared with ours.
#
# Everything comes from the package index: mmcv-full 1.7.2 (compiled from its
# source distribution with the C++ standard the torch headers need), mmcls
# 0.18.0, mmdet 2.28.2 and mmfewshot 0.1.0. The original's configs are not part
# of its package; the golden generator reads them from a checkout of
# open-mmlab/mmfewshot at tag v0.1.0 (see tools/reference/README.md).
#
# This environment is never the default install: it lives outside .venv and
# nothing in `make install` or `make test` needs it.
#
# Environment knobs:
#   PYTHON          interpreter for the venv (default: python3.11)
#   MMFEWSHOT_CACHE cache folder (default: ~/.cache/mmfewshot)
#   REFERENCE_VENV  venv location (default: $MMFEWSHOT_CACHE/reference-env)
#   MAX_JOBS        parallel compile jobs for mmcv-full (default: number of cores)
set -euo pipefail

PYTHON="${PYTHON:-python3.11}"
CACHE_ROOT="${MMFEWSHOT_CACHE:-$HOME/.cache/mmfewshot}"
VENV="${REFERENCE_VENV:-$CACHE_ROOT/reference-env}"
MAX_JOBS="${MAX_JOBS:-$(nproc 2>/dev/null || echo 2)}"
TORCH_VERSION="2.14.1"
TORCHVISION_VERSION="0.29.1"
MMCV_FULL_VERSION="1.7.2"
MMCLS_VERSION="0.18.0"
MMDET_VERSION="2.28.2"
MMFEWSHOT_VERSION="0.1.0"

say() { printf '[reference-env] %s\n' "$*"; }
die() { printf '[reference-env] error: %s\n' "$*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found: set PYTHON=/path/to/python3.11"
command -v g++ >/dev/null 2>&1 || die "no C++ compiler (g++): it is needed to build mmcv-full's ops"

start=$(date +%s)
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

# numpy 1.x: mmcv-full 1.7, mmcls 0.x and mmdet 2.x use numpy aliases removed in 2.0;
# opencv-python releases from 4.11 on require numpy 2.
CONSTRAINTS="$VENV/constraints.txt"
cat > "$CONSTRAINTS" <<CONS
torch==$TORCH_VERSION
torchvision==$TORCHVISION_VERSION
numpy<2
opencv-python<4.11
setuptools>=77,<81
CONS

say "installing torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION"
"${PIP[@]}" install -q -c "$CONSTRAINTS" "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" \
    "numpy<2" "setuptools>=77,<81" wheel ninja

# ---- mmcv-full with compiled ops (CPU), cached like mmcv 2 in tools/install.sh ----
if "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_FULL_VERSION'" >/dev/null 2>&1; then
    say "mmcv-full $MMCV_FULL_VERSION already installed"
else
    WHEEL_DIR="$CACHE_ROOT/wheels/torch-$TORCH_VERSION-cpu-py$("$PY" -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')"
    mkdir -p "$WHEEL_DIR"
    wheel=$(ls "$WHEEL_DIR"/mmcv_full-"$MMCV_FULL_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$wheel" ]; then
        say "building mmcv-full $MMCV_FULL_VERSION with ops ($MAX_JOBS jobs): about 12 minutes on 2 cores, once per machine"
        build_dir=$(mktemp -d)
        trap 'rm -rf "$build_dir"' EXIT
        "${PIP[@]}" download -q --no-deps --no-binary :all: -d "$build_dir" "mmcv-full==$MMCV_FULL_VERSION"
        tar -xzf "$build_dir"/mmcv-full-"$MMCV_FULL_VERSION".tar.gz -C "$build_dir"
        src="$build_dir/mmcv-full-$MMCV_FULL_VERSION"
        # torch 2.14's headers need C++20; mmcv-full 1.7 asks for C++14 or C++17.
        sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$src/setup.py"
        (cd "$src" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="$MAX_JOBS" \
            "${PIP[@]}" wheel --no-build-isolation --no-deps -w "$WHEEL_DIR" .)
        wheel=$(ls "$WHEEL_DIR"/mmcv_full-"$MMCV_FULL_VERSION"-*.whl | head -n 1)
        say "cached $wheel"
    else
        say "reusing cached $wheel"
    fi
    "${PIP[@]}" install -q --no-deps --force-reinstall "$wheel"
    "${PIP[@]}" install -q -c "$CONSTRAINTS" addict packaging Pillow pyyaml yapf opencv-python
fi

# ---- mmcls, mmdet, mmfewshot 0.1.0 -----------------------------------------
# mmcls 0.18.0: later 0.x releases no longer export DistributedSampler, which
# mmfewshot 0.1.0 imports.
say "installing mmcls==$MMCLS_VERSION mmdet==$MMDET_VERSION mmfewshot==$MMFEWSHOT_VERSION"
"${PIP[@]}" install -q -c "$CONSTRAINTS" "mmcls==$MMCLS_VERSION" "mmdet==$MMDET_VERSION" \
    "mmfewshot==$MMFEWSHOT_VERSION" pycocotools terminaltables matplotlib scipy

site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# The three packages refuse an mmcv-full, mmdet or mmcls newer than the ones
# they were released with (mmfewshot 0.1.0: mmdet <= 2.20.0, mmcls <= 0.19.0);
# the versions above are API-compatible with what they ask for.
for pkg in mmcls mmdet mmfewshot; do
    sed -i -E "s/^((mmcv|mmdet|mmcls)_maximum_version *= *)'[^']*'/\1'9.9.9'/" "$site/$pkg/__init__.py"
done
# mmcls imports matplotlib.blocking_input, removed in matplotlib 3.6; it is only
# used by the interactive image viewer.
grep -rl 'from matplotlib.blocking_input import' "$site/mmcls" 2>/dev/null | while read -r f; do
    "$PY" - "$f" <<'PYEOF'
import re
import sys
path = sys.argv[1]
text = open(path).read()
text = re.sub(r'^from matplotlib\.blocking_input import (\w+)\n',
              r'try:\n    from matplotlib.blocking_input import \1\n'
              r'except ImportError:  # matplotlib >= 3.6\n    \1 = object\n',
              text, flags=re.M)
open(path, 'w').write(text)
PYEOF
done

# -P: never import a checkout of ours from the working directory.
"$PY" -P -c "import mmfewshot, mmdet, mmcls, mmcv; from mmcv.ops import nms, RoIAlign; \
print(f'mmfewshot {mmfewshot.__version__}, mmdet {mmdet.__version__}, mmcls {mmcls.__version__}, mmcv-full {mmcv.__version__}')" \
    || die "the reference environment does not import; see the messages above"
echo "$MMFEWSHOT_VERSION" > "$VENV/.reference-ready"
say "done in $(( $(date +%s) - start )) s: $VENV"
