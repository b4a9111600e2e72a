# mmfewshot developer commands. `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: help install test demo demo-detection demo-defrcn lint clean

help:
	@echo "make install   create $(VENV) with torch, mmcv (with ops), mmengine, mmpretrain, mmdet and mmfewshot"
	@echo "make test      run the test suite (installs first when $(VENV) is missing)"
	@echo "make demo      generate the toy dataset, train and meta-test ProtoNet on it, run the inference demo"
	@echo "make demo-detection  toy detection data, TFA base training, surgery, 1/5-shot fine-tuning, test, demo"
	@echo "make demo-defrcn  toy detection data, DeFRCN base training, surgery, 1/5-shot fine-tuning, test with and without calibration"

install:
	bash tools/install.sh

STAMP := $(VENV)/.installed

$(STAMP): tools/install.sh setup.py $(wildcard requirements/*.txt)
	bash tools/install.sh

test: $(STAMP)
	$(PY) -m pytest tests $(PYTEST_ARGS)

demo: $(STAMP)
	bash tools/demo.sh

demo-detection: $(STAMP)
	bash tools/demo_detection.sh

demo-defrcn: $(STAMP)
	bash tools/demo_defrcn.sh

clean:
	rm -rf build dist *.egg-info work_dirs/toy_demo work_dirs/toy_detection_demo \
		work_dirs/toy_defrcn_demo
