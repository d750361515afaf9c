# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
EXTRAS ?= client,services,test,triton,onnx,formats,s3

.PHONY: run test venv proto bench screenshot clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	rm -f $(VENV)/.installed-*
	touch $@

## Start the stack on the bundled HeLa sample and open the desktop client;
## without a display, run the same workflow headless and print a summary.
run: venv
	$(VENV)/bin/labelassist demo --gui auto

## The whole test suite.
test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

## Regenerate the gRPC stubs from protos/ (committed; a test checks them).
proto: venv
	$(PY) protos/generate.py

## Benchmarks; results land in benchmarks/out/.
bench: venv
	$(PY) benchmarks/bench_streaming.py

## The README's screenshot of the desktop client, on a virtual screen. Needs Debian's
## xvfb and Qt's xcb libraries: apt-get install xvfb libxcb-cursor0 libxcb-icccm4
## libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxkbcommon-x11-0
screenshot: venv
	xvfb-run -a -s "-screen 0 1600x1100x24" $(PY) docs/screenshot.py docs/screenshot.png

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
