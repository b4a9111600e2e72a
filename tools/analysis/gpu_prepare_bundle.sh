#!/usr/bin/env bash
# Gather what tools/analysis/gpu_device_run.sh needs on a GPU machine that
# has Python 3.12, its own torch, CUDA and nvcc, and no package index: run
# this here, where pip reaches the index, in the checkout that the device
# tool sends (the one the session started in).
#
# Writes <repo>/.gpu_bundle/ (git-ignored; the run's `carry` takes it):
#   wheels/   Python 3.12 wheels (no dependencies resolved) of what the
#             project imports and that machine lacks: mmengine, mmpretrain,
#             mmdet, pycocotools and shapely (cp312 manylinux builds), and
#             the small pure-Python rest; torch, numpy, scipy, matplotlib,
#             opencv, ... are that machine's own
#   build/    setuptools < 81 for mmcv's setup.py (it imports pkg_resources),
#             installed there only if its own setuptools lacks pkg_resources
#   mmcv-2.1.0.tar.gz   mmcv's source, built there with its CUDA ops
#   MANIFEST  the files and sizes
#
# Versions are those of the project's venv ($VENV, default <repo>/.venv)
# where it has the package; the mm* packages are the pinned ones.
#
# Knobs: PYTHON (an interpreter with pip; default: python3), VENV (its
# python downloads mmcv's source: it reads mmcv's setup.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUNDLE="$ROOT/.gpu_bundle"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv}"
LIMIT_MIB=64
# what the device image lacks (its package list: .library/device/KINDS.md
# of this workplace); one version of each
PACKAGES=(mmengine mmpretrain mmdet pycocotools shapely terminaltables addict
          yapf platformdirs termcolor mat4py model-index ordered-set
          importlib_metadata lazy-importer)
PINNED=(mmengine==0.10.7 mmpretrain==1.2.0 mmdet==3.3.0)
BUILD_PACKAGES=("setuptools>=77,<81")
MMCV_VERSION=2.1.0

say() { printf '[gpu-bundle] %s\n' "$*"; }

version_in_venv() {
    [ -x "$VENV/bin/python" ] || return 0
    "$VENV/bin/python" - "$1" <<'EOF' 2>/dev/null || true
import sys
from importlib.metadata import version
print(version(sys.argv[1]))
EOF
}

requirements=()
for name in "${PACKAGES[@]}"; do
    pin=""
    for pinned in "${PINNED[@]}"; do
        [ "${pinned%%==*}" = "$name" ] && pin="$pinned"
    done
    if [ -z "$pin" ]; then
        version=$(version_in_venv "$name")
        pin="$name${version:+==$version}"
    fi
    requirements+=("$pin")
done

platforms=()
for glibc in 2_17 2_24 2_27 2_28 2_31 2_34 2_35; do
    platforms+=(--platform "manylinux_${glibc}_x86_64")
done
platforms+=(--platform manylinux2014_x86_64 --platform manylinux1_x86_64)
download=("$PYTHON" -m pip download --disable-pip-version-check -q --no-deps
          --only-binary=:all: --python-version 3.12 --implementation cp
          "${platforms[@]}")

rm -rf "$BUNDLE"
mkdir -p "$BUNDLE/wheels" "$BUNDLE/build"
say "downloading ${requirements[*]}"
"${download[@]}" -d "$BUNDLE/wheels" "${requirements[@]}"
"${download[@]}" -d "$BUNDLE/build" "${BUILD_PACKAGES[@]}"
say "downloading the source of mmcv $MMCV_VERSION"
# pip reads its metadata with setup.py, which imports pkg_resources: with
# the setuptools of the project's venv (requirements/build.txt), not the
# index's newest, which lacks it
sdist_python="$PYTHON"
[ -x "$VENV/bin/python" ] && sdist_python="$VENV/bin/python"
"$sdist_python" -m pip download --disable-pip-version-check -q --no-deps \
    --no-binary :all: --no-build-isolation -d "$BUNDLE" "mmcv==$MMCV_VERSION" \
    || { say "error: $sdist_python needs setuptools < 81 and wheel to read mmcv's setup.py (make install first)"; exit 1; }

count=$(ls "$BUNDLE"/wheels/*.whl | wc -l)
[ "$count" -eq "${#PACKAGES[@]}" ] \
    || { say "error: $count wheels for ${#PACKAGES[@]} packages"; exit 1; }
(cd "$BUNDLE" && find . -type f ! -name MANIFEST -printf '%10s  %P\n' | sort -k2 > MANIFEST)
bundle_bytes=$(du -sb "$BUNDLE" | cut -f1)
# what the device tool sends besides: tracked and untracked, not ignored
tree_bytes=$(cd "$ROOT" && git ls-files -z -co --exclude-standard \
    | xargs -0 -r stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
total=$((bundle_bytes + tree_bytes))
say "$BUNDLE: $((bundle_bytes / 1024)) KiB in $(wc -l < "$BUNDLE/MANIFEST") files; with the working tree $((total / 1024)) KiB of the ${LIMIT_MIB} MiB a run carries"
[ "$total" -lt $((LIMIT_MIB * 1024 * 1024)) ] \
    || { say "error: over the ${LIMIT_MIB} MiB limit"; exit 1; }
cat "$BUNDLE/MANIFEST"
