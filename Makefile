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

.PHONY: help venv test test-fast demo data bench release clean-venv bubblewrap

help:
	@echo "make demo   - grade a sample class in its own work directory, print gradebook and report"
	@echo "make test   - the whole test suite (unit tests, grading tests, nbval over solutions/)"
	@echo "make data   - download and cache MNIST ahead of time"
	@echo "make bench  - performance benchmarks (prints one BENCH line at the end)"

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

data: $(STAMP)
	$(PY) -m course.data

# two workers (one per core); --dist loadfile keeps each notebook's cells in one kernel
test: $(STAMP) data bubblewrap
	$(PY) -m pytest -n 2 --dist loadfile tests --nbval-lax --nbval-current-env solutions

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

clean-venv:
	rm -rf $(VENV)
