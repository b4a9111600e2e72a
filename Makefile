# mmfewshot developer commands. `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: help install test docs demo demo-detection demo-defrcn demo-seeds demo-defrcn-seeds gpu-check lint clean

help:
	@echo "make install   create $(VENV) with torch, mmcv (with ops), mmengine, mmpretrain, mmdet and mmfewshot"
	@echo "make test      run the test suite (installs first when $(VENV) is missing)"
	@echo "make demo      generate the toy dataset, train and meta-test ProtoNet on it, run the inference demo"
	@echo "make demo-detection  toy detection data, TFA base training, surgery, 1/5-shot fine-tuning, test, demo"
	@echo "make demo-defrcn  toy detection data, DeFRCN base training, surgery, 1/5-shot fine-tuning, test with and without calibration"
	@echo "make demo-seeds  TFA on the toy detection data over 5 split seeds x 1/5 shots: mean and 95% CI (table, json, plot)"
	@echo "make demo-defrcn-seeds  the same for DeFRCN (gFSOD, calibrated), next to TFA's"
	@echo "make docs      build the documentation site into docs/_build/html (warnings are errors)"
	@echo "make gpu-check every method's training steps on the GPU against the CPU, tests and tools on the GPU"

install:
	bash tools/install.sh

STAMP := $(VENV)/.installed

$(STAMP): tools/install.sh setup.py $(wildcard requirements/*.txt)
	bash tools/install.sh

test: $(STAMP)
	$(PY) -m pytest tests $(PYTEST_ARGS)

# the doc packages of requirements/docs.txt, installed into $(VENV) when
# missing or when that file changes
DOCS_STAMP := $(VENV)/.docs-installed
SPHINX_ARGS ?=

$(DOCS_STAMP): $(STAMP) requirements/docs.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/docs.txt
	touch $@

docs: $(DOCS_STAMP)
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html $(SPHINX_ARGS)

demo: $(STAMP)
	bash tools/demo.sh

demo-detection: $(STAMP)
	bash tools/demo_detection.sh

demo-defrcn: $(STAMP)
	bash tools/demo_defrcn.sh

demo-seeds: $(STAMP)
	bash tools/demo_detection_seeds.sh

demo-defrcn-seeds: $(STAMP)
	METHOD=defrcn bash tools/demo_detection_seeds.sh

GPU_CHECK_ARGS ?= --tools --out work_dirs/gpu_check/results.json
gpu-check: $(STAMP)
	$(PY) tools/analysis/gpu_check.py $(GPU_CHECK_ARGS)

clean:
	rm -rf build dist *.egg-info docs/_build docs/model_zoo work_dirs/toy_demo work_dirs/toy_detection_demo work_dirs/toy_detection_seeds \
		work_dirs/toy_defrcn_demo work_dirs/toy_defrcn_seeds
