# Two commands do all set-up:  `make run` (install and launch) and `make test` (install, lint and
# type-check (`make lint`), then test).
# TORCH selects the torch requirement: users get PyPI's default build (CUDA on Linux);
# CI sets TORCH=torch==2.13.0 to use the CPU build available locally.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch
BIN := $(VENV)/bin
XVFB := xvfb-run -a -s "-screen 0 1600x1200x24" env QT_QPA_PLATFORM=xcb
PYTEST_ARGS ?=
# test processes (pytest-xdist, whole files per process): the core count, at most 4 (each holds
# a QApplication and torch); PYTEST_WORKERS=0 runs the suite in one process
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)
# 1 (default): `make lint` also checks that the tree is formatted (`ruff format --check`)
LINT_FORMAT ?= 1

.PHONY: run test lint bench fuzz verify screenshot setup system-deps clean

$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[test]"
	# torchattacks is the side-by-side reference in tests and benchmarks; --no-deps because it
	# pins torchvision (which would replace torch) although it does not import it
	$(BIN)/python -m pip install --no-deps "torchattacks==3.5.1"
	# open_clip_torch ships CLIP's BPE merges file, the source of the diffusion-ID default's
	# tokenizer (training time only; a test rebuilds the tokenizer from it); --no-deps: only that
	# data file is read, its torchvision and timm are never imported
	$(BIN)/python -m pip install --no-deps "open_clip_torch==3.3.0"
	touch $@

setup: $(VENV)/.installed

system-deps:
	@scripts/install-system-deps.sh

run: setup system-deps
	$(BIN)/workbench

# lint (ruff), types (mypy on the paths in pyproject.toml's [tool.mypy] files) and the layering
# contracts (import-linter, [tool.importlinter])
lint: setup
	$(BIN)/ruff check .
ifeq ($(LINT_FORMAT),1)
	$(BIN)/ruff format --check .
endif
	$(BIN)/mypy
	$(BIN)/lint-imports

test: setup system-deps lint
	$(XVFB) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# the long random-GUI-events session: 5,000 events per panel and seed (the suite runs 250, seed 0);
# FUZZ_EVENTS / FUZZ_SEEDS override, e.g. `make fuzz FUZZ_EVENTS=20000 FUZZ_SEEDS=0,1,2,3`
FUZZ_EVENTS ?= 5000
FUZZ_SEEDS ?= 0,1,2
fuzz: setup system-deps
	$(XVFB) env WORKBENCH_FUZZ_EVENTS=$(FUZZ_EVENTS) WORKBENCH_FUZZ_SEEDS=$(FUZZ_SEEDS) \
		$(BIN)/python -m pytest -q tests/fuzz -o faulthandler_timeout=1800

# third-party packages the benchmarks time side by side (not needed by the app or the tests);
# repsim compiles a C++ extension (cmake + a C++ compiler, about 30 s); a failed install only
# makes its benchmark row say "skipped"
$(VENV)/.bench-deps: $(VENV)/.installed
	-$(BIN)/python -m pip install -q --no-deps ckatorch torch-cka
	-$(BIN)/python -m pip install -q --no-deps repsim
	touch $@

bench: setup system-deps $(VENV)/.bench-deps
	$(XVFB) $(BIN)/python benchmarks/run_all.py

# the exhaustive cross-checks the suite skips (@pytest.mark.exhaustive: the D~ criterion on every
# member of the D~ classes with 10 and 11 vertices and on the exceptional tables; minutes)
verify: setup system-deps
	$(XVFB) $(BIN)/python -m pytest -q --exhaustive -m exhaustive

screenshot: setup system-deps
	$(XVFB) $(BIN)/workbench --screenshot docs/screenshot.png --panels all --arrange grid --size 1800x1200

clean:
	rm -rf $(VENV) build *.egg-info
