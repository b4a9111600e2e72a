#!/usr/bin/env bash
# The environment the documentation needs, without building mmcv's ops:
# torch (CPU is enough), mmcv 2.1.0 as pure Python (MMCV_WITH_OPS=0; the
# site mocks mmcv.ops, see docs/conf.py), mmengine, mmpretrain, mmdet,
# mmfewshot and the doc packages. For hosted builds (.readthedocs.yaml);
# locally `make docs` uses the full environment of `make install`.
#
# Knobs: PYTHON (default: python), TORCH_INDEX (an extra pip index for
# torch, e.g. one serving CPU-only wheels; default: the package index).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python}"
PIP=("$PY" -m pip install --disable-pip-version-check)

torch_args=()
if [ -n "${TORCH_INDEX:-}" ]; then
    torch_args=(--index-url "$TORCH_INDEX")
fi
"${PIP[@]}" "${torch_args[@]}" torch==2.14.1 torchvision==0.29.1
"${PIP[@]}" -r "$ROOT/requirements/build.txt"
# mmcv without compiled ops; installed as the distribution `mmcv-lite`, so
# the packages below are installed without their dependency on `mmcv`
MMCV_WITH_OPS=0 "${PIP[@]}" --no-build-isolation --no-deps mmcv==2.1.0
"${PIP[@]}" addict packaging Pillow pyyaml yapf opencv-python
"${PIP[@]}" --no-deps mmengine==0.10.7 mmpretrain==1.2.0 mmdet==3.3.0
"${PIP[@]}" termcolor matplotlib numpy rich scipy shapely six tqdm einops \
    importlib-metadata mat4py modelindex pycocotools terminaltables
"${PIP[@]}" --no-deps --no-build-isolation -e "$ROOT"
"${PIP[@]}" -r "$ROOT/requirements/docs.txt"
