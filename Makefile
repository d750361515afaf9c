# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
EXTRAS ?= client,services,web,test,triton,onnx,formats,s3,napari,bioimageio,sam

# Debian packages for what runs on a virtual screen: Xvfb, Qt's xcb platform, Mesa's
# software OpenGL (napari's canvas), and Chromium and Firefox ESR for the browser app's tests.
SYSTEM_PACKAGES := chromium firefox-esr xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libgl1-mesa-dri

.PHONY: run test venv system-packages proto bench screenshot clean

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

## Install SYSTEM_PACKAGES where they are missing (as root, with apt-get); elsewhere the
## tests that need a virtual screen say so and skip.
system-packages:
	@if command -v Xvfb >/dev/null && command -v chromium >/dev/null && command -v firefox-esr >/dev/null && \
		ldconfig -p | grep -q libxcb-cursor.so.0; then \
		exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null; }; \
	else echo "no Xvfb, Chromium or Firefox and no root apt-get: the tests on a virtual screen or in a browser will skip"; fi

## The whole test suite.
test: venv system-packages
	$(PY) -m pytest $(PYTEST_ARGS)

## Regenerate the gRPC stubs from protos/ (committed; a test checks them).
proto: venv
	$(PY) protos/generate.py

## Benchmarks; results land in benchmarks/out/.
bench: venv
	$(PY) benchmarks/bench_streaming.py

## The README's screenshots of the desktop client, on a virtual screen (Xvfb).
screenshot: venv system-packages
	xvfb-run -a -s "-screen 0 1600x1100x24" $(PY) docs/screenshot.py docs/screenshots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
