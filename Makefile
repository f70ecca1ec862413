# Two commands on a fresh machine: `make demo` and `make test`. Each creates .venv from
# pyproject.toml the first time and reinstalls when pyproject.toml changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# One BLAS thread per process: the notebooks' small matrix products are slower with two
# threads on a shared 2-core machine, and grading kernels run single-threaded too.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: help venv test test-fast demo data bench bench-notebooks release clean-venv bubblewrap chromium lint

help:
	@echo "make demo   - grade a sample class in its own work directory, print gradebook and report"
	@echo "make test   - ruff and the whole test suite (unit, grading, every notebook in its bundle)"
	@echo "make data   - download and cache MNIST ahead of time"
	@echo "make bench  - performance benchmarks (prints one BENCH line at the end)"
	@echo "make bench-notebooks - every notebook with and without the BLAS thread policy (~1 h)"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# bubblewrap sandboxes every grading kernel (README, "Isolation"). As root it is installed from
# the distribution when missing; otherwise a missing bwrap is reported and kernels run unsandboxed.
bubblewrap:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing bubblewrap (grading sandbox)"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap; \
	  else \
	    echo "NOTE: bubblewrap (bwrap) is missing and cannot be installed here (not root, or no apt-get):"; \
	    echo "      grading kernels will run WITHOUT a sandbox. Install it: sudo apt-get install bubblewrap"; \
	  fi; }

# Chromium for tests/test_browser.py (the student's path in JupyterLab, driven by Playwright with
# the system browser: Playwright's own browser download is never used). As root it is installed
# from the distribution when missing; otherwise the browser test says what is missing and skips.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (browser test)"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "NOTE: chromium is missing and cannot be installed here (not root, or no apt-get):"; \
	    echo "      tests/test_browser.py will skip. Install it: sudo apt-get install chromium"; \
	  fi; }

data: $(STAMP)
	$(PY) -m course.data

lint: $(STAMP)
	$(PY) -m ruff check .

# two workers (one per core); every solution notebook is executed top to bottom inside its own
# student bundle by tests/test_bundle.py (the job nbval over solutions/ did before)
test: $(STAMP) data bubblewrap chromium lint
	$(PY) -m pytest -n 2 --dist loadfile tests

# unit tests only (no notebook execution): the quick loop while developing
test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not slow"

demo: $(STAMP) data bubblewrap
	$(PY) -m grader demo

release: $(STAMP)
	$(PY) -m grader release

# PyTorch (the `bench` extra) for the side-by-side comparison; without it that ratio is `na`
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]' || echo "PyTorch could not be installed: ratio_vs_torch will be na"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) data
	$(PY) benchmarks/run_all.py

# opt-in: executes each solution notebook 4 times (thread policy on/off, quiet/2 CPU burners)
bench-notebooks: $(STAMP) data
	$(PY) benchmarks/notebooks.py

clean-venv:
	rm -rf $(VENV)
