# ganforge — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# MNIST for the demo: a folder of IDX files (the download is used when this is empty).
MNIST_DIR ?= $(GANFORGE_MNIST_DIR)
DEMO_RECIPE ?= dcgan
DEMO_EPOCHS ?= 5
DEMO_OUT ?= runs/demo-$(DEMO_RECIPE)
# Test processes (pytest-xdist), one torch thread each; a test file stays in one process, so
# a module's expensive fixture (the calibration sets) is computed once, and files go out in
# collection order, the slowest first (tests/conftest.py). TEST_WORKERS=0: serial.
TEST_WORKERS ?= 2

.PHONY: venv demo test lint bench bench-quality clean

# The runtime alone for the demo; the development extras (pytest, ruff, Playwright, the
# trackers, nbclient, ...) only for the tests and the linters.
$(BIN)/ganforge: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: $(BIN)/ganforge
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.dev

demo: $(BIN)/ganforge
	$(BIN)/ganforge train $(DEMO_RECIPE) --epochs $(DEMO_EPOCHS) --out $(DEMO_OUT) \
		$(if $(MNIST_DIR),--data-dir $(MNIST_DIR),) $(if $(wildcard $(DEMO_OUT)/checkpoints/last.safetensors),--resume,)
	@echo "Outputs: $(DEMO_OUT)/ (samples/, progress.gif, plots/, metrics/, checkpoints/, summary.json)"

test: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/ruff format --check src tests benchmarks

# Throughput against a classic tutorial loop, per recipe (about 5 minutes on 2 cores), and
# time-to-quality against the TensorFlow tutorial's DCGAN (about 20 minutes): see benchmarks/.
bench: venv
	$(BIN)/python benchmarks/bench_train.py $(if $(MNIST_DIR),--data-dir $(MNIST_DIR),)

bench-quality: venv
	$(BIN)/python benchmarks/bench_quality.py $(if $(MNIST_DIR),--data-dir $(MNIST_DIR),)

clean:
	rm -rf runs .pytest_cache .ruff_cache .hypothesis
